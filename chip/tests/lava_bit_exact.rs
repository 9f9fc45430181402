//! Replays Lava's own fixed-point LIF traces (tools/lava_lif_reference.py)
//! through spikefab's chip arithmetic: every input activation, u, v and spike
//! of every step must be equal.

use spikefab_chip::model::cuba_lif::{self, CubaLif};
use spikefab_chip::model::reset::ToZero;
use spikefab_chip::neuron::{activation, Fixed, Mul12};
use spikefab_chip::{Arch, DecayRule, Model};

#[path = "common/lava_fixture.rs"]
mod lava_fixture;
use lava_fixture::{fixture, Case};

#[test]
fn loihi_arithmetic_matches_lava_bit_for_bit() {
    let arch = Arch::preset("loihi").unwrap();
    let fx = Fixed::new(&arch.format);
    let DecayRule::Mul12 {
        current_offset,
        voltage_offset,
    } = arch.format.decay
    else {
        panic!("the loihi preset uses Mul12 decays")
    };
    let decay = Mul12 {
        current_offset: current_offset as u16,
        voltage_offset: voltage_offset as u16,
    };
    let fixture = fixture();
    assert!(fixture.cases.len() >= 10);
    let mut checked_spikes = 0;
    let mut saturations = 0;
    for c in &fixture.cases {
        let mut state = vec![cuba_lif::State::default(); c.n_out];
        for t in 0..c.steps {
            for (n, s) in state.iter_mut().enumerate() {
                // The dendrite: spikes of step t−1 weighted, summed, scaled.
                let sum: i64 = if t == 0 {
                    0
                } else {
                    (0..c.n_in)
                        .filter(|&i| c.input_spikes[t - 1][i] != 0)
                        .map(|i| c.effective_weights[n][i])
                        .sum()
                };
                let a_in = activation(sum as i32, c.weight_exp);
                assert_eq!(
                    a_in as i64, c.a_in[t][n],
                    "{}: a_in, step {t}, neuron {n}",
                    c.name
                );
                let stored = cuba_lif::Stored {
                    du: c.du,
                    dv: c.dv,
                    bias_mant: c.bias_mant[n],
                    bias_exp: c.bias_exp[n],
                    vth: c.vth,
                };
                let p = CubaLif::params(&fx, &stored);
                let out = CubaLif::step(&fx, &decay, &ToZero, &p, s, a_in);
                assert_eq!(s.u as i64, c.u[t][n], "{}: u, step {t}, neuron {n}", c.name);
                assert_eq!(s.v as i64, c.v[t][n], "{}: v, step {t}, neuron {n}", c.name);
                assert_eq!(
                    out.spikes, c.spikes[t][n],
                    "{}: spike, step {t}, neuron {n}",
                    c.name
                );
                checked_spikes += out.spikes as usize;
                saturations += out.saturated as usize;
            }
        }
    }
    // The fixture really exercises firing and the overflow paths.
    assert!(checked_spikes > 1000, "{checked_spikes}");
    assert!(saturations > 100, "{saturations}");
}

#[test]
fn fixture_covers_the_corner_cases_the_issue_names() {
    let f = fixture();
    let has = |pred: &dyn Fn(&Case) -> bool| f.cases.iter().any(pred);
    assert!(has(&|c| c.du == 0 && c.dv == 0));
    assert!(has(&|c| c.du == 4095 && c.dv == 4095));
    assert!(has(&|c| c.bias_mant.iter().any(|&b| b < 0)));
    assert!(has(&|c| c
        .effective_weights
        .iter()
        .flatten()
        .all(|&w| w <= 0)));
    assert!(has(&|c| c.vth <= 1));
    assert!(has(&|c| c.weight_exp < 0));
    // u wrapped past 2^23, and v saturated at −(2^23 − 1) somewhere (a positive
    // saturation always exceeds the largest 17-bit threshold and resets).
    assert!(has(&|c| c.u.iter().flatten().any(|&u| u.abs() > 1 << 23)));
    assert!(has(&|c| c.v.iter().flatten().any(|&v| v == -(1 << 23) + 1)));
    // Lava's mixed-sign clipping made weights even.
    assert!(has(&|c| {
        let w = c.effective_weights.iter().flatten();
        w.clone().any(|&x| x < 0) && w.clone().any(|&x| x > 0) && w.clone().all(|&x| x % 2 == 0)
    }));
}
