//! Adaptive LIF: the CUBA LIF with a threshold that rises with each spike
//! and relaxes back (Bellec et al. 2018's LSNN neuron; Lava's ATRLIF without
//! its refractory term; Loihi 2's formats), the base of CE-LIF.
//!
//! ```text
//! u'    = decay_u(u) + (a_in << activation_shift)   then the format's overflow rule for u
//! v'    = decay_v(v) + u' + bias                    v saturates to ±(2^(bits−1) − 1)
//! a'    = decay_a(a)                                the adaptation, ≥ 0; decay_a is the
//!                                                   membrane's rule (no Mul12 offset)
//! θ     = (vth << threshold_shift) + a'
//! n     = the group's reset on v' against θ (model/reset.rs): 0 or 1 spike, or up to
//!         max_spikes subtracting θ each
//! a''   = min(a' + n · (step << threshold_shift), 2^(bits−1) − 1)
//! ```
//!
//! The threshold a spike is tested against has decayed first, and the
//! spike's own increment counts from the next step — the order of the LSNN
//! equations (`b(t+1) = ρ·b(t) + (1−ρ)·z(t)`) and of Lava's ATRLIF.

use serde::{Deserialize, Serialize};

use super::cuba_lif::{self, cuba_step};
use super::{Fire, Model, ModelKind, Outcome, WordField};
use crate::arch::NumberFormat;
use crate::neuron::{common, Decay, Fixed};

pub struct Alif;

/// One neuron as a program stores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stored {
    /// Current decay: `Mul12` 0..=4095, `Shift` amount (≥ 32 = none).
    pub du: u16,
    /// Membrane decay.
    pub dv: u16,
    /// Adaptation decay (the membrane's rule).
    pub da: u16,
    pub bias_mant: i32,
    pub bias_exp: i8,
    /// Resting threshold mantissa.
    pub vth: u32,
    /// Threshold increase per spike, a mantissa like `vth`.
    pub step: u32,
}

impl Stored {
    fn as_lif(&self) -> cuba_lif::Stored {
        cuba_lif::Stored {
            du: self.du,
            dv: self.dv,
            bias_mant: self.bias_mant,
            bias_exp: self.bias_exp,
            vth: self.vth,
        }
    }
}

/// The parameters in effective form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    pub lif: cuba_lif::Params,
    pub da: u16,
    /// `step << threshold_shift`.
    pub step: i32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// Synaptic current and membrane, as in CUBA LIF.
    pub lif: cuba_lif::State,
    /// The threshold's adaptive part, in state units (≥ 0).
    pub a: i32,
}

impl Model for Alif {
    const KIND: ModelKind = ModelKind::Alif;
    const NAME: &'static str = "ALIF";
    const THRESHOLD_UPDATES: u64 = 1;
    type Stored = Stored;
    type Params = Params;
    type State = State;
    /// `a`: the threshold's adaptive part (the threshold is `vth << shift` + a).
    const STATE_VARS: &'static [&'static str] = &["u", "v", "a"];

    fn state_var(s: &State, k: usize) -> i32 {
        [s.lif.u, s.lif.v, s.a][k]
    }

    fn threshold(n: &Stored) -> u32 {
        n.vth
    }

    fn check(n: &Stored, f: &NumberFormat) -> Result<(), String> {
        cuba_lif::CubaLif::check(&n.as_lif(), f)?;
        common::check_decay("da", n.da, f)?;
        if n.step as u64 > (1u64 << f.threshold_bits) - 1 {
            return Err(format!(
                "threshold step {} does not fit {} bits",
                n.step, f.threshold_bits
            ));
        }
        Ok(())
    }

    fn params(fx: &Fixed, n: &Stored) -> Params {
        Params {
            lif: cuba_lif::CubaLif::params(fx, &n.as_lif()),
            da: n.da,
            step: fx.effective_threshold(n.step),
        }
    }

    #[inline(always)]
    fn step<D: Decay, F: Fire>(
        fx: &Fixed,
        decay: &D,
        fire: &F,
        p: &Params,
        s: &mut State,
        a_in: i32,
    ) -> Outcome {
        // The CUBA dynamics without firing; the adapted threshold decides below.
        let mut o = cuba_step::<D, F, false>(fx, decay, fire, &p.lif, &mut s.lif, a_in);
        let a_max = fx.half_range - 1;
        let a = decay.voltage(s.a, p.da);
        let theta = (p.lif.vth as i64 + a as i64).min(i32::MAX as i64) as i32;
        let (v, spikes) = fire.fire(s.lif.v, theta);
        s.lif.v = v;
        let raised = a as i64 + spikes as i64 * p.step as i64;
        if raised > a_max as i64 {
            o.saturated = true;
        }
        s.a = raised.min(a_max as i64) as i32;
        o.spikes = spikes;
        o
    }

    #[inline(always)]
    fn is_active(p: &Params, s: &State) -> bool {
        cuba_lif::CubaLif::is_active(&p.lif, &s.lif) || s.a != 0
    }

    fn word_fields(f: &NumberFormat) -> Vec<WordField> {
        let [bm, be] = common::bias(f);
        vec![
            common::du(),
            common::dv(),
            WordField {
                name: "da",
                width: 12,
                signed: false,
                doc: "threshold-adaptation decay (the membrane's rule)",
            },
            bm,
            be,
            common::vth(f),
            WordField {
                name: "vth_step",
                width: f.threshold_bits as u32,
                signed: false,
                doc: "threshold increase per spike, a mantissa like vth",
            },
        ]
    }

    fn word(n: &Stored) -> Vec<i64> {
        vec![
            n.du as i64,
            n.dv as i64,
            n.da as i64,
            n.bias_mant as i64,
            n.bias_exp as i64,
            n.vth as i64,
            n.step as i64,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::reset::{Subtract, ToZero};
    use crate::model::testing::{loihi, L};
    use proptest::prelude::*;

    /// Delta synapses, no leak, resting threshold 100, step 50, adaptation
    /// halving each step (da = 2048).
    fn params() -> Params {
        Params {
            lif: cuba_lif::Params {
                du: 4095,
                dv: 0,
                bias: 0,
                vth: 100 << 6,
            },
            da: 2048,
            step: 50 << 6,
        }
    }

    #[test]
    fn each_spike_raises_the_threshold_from_the_next_step_and_it_relaxes() {
        let fx = loihi();
        let p = params();
        let mut s = State::default();
        // 101 (in units of 64 after the activation shift) crosses 100: a spike.
        let o = Alif::step(&fx, &L, &ToZero, &p, &mut s, 101);
        assert_eq!((o.spikes, s.lif.v, s.a), (1, 0, 50 << 6));
        // Next step: a halves to 25·64 first, θ = 125·64; 120 does not cross it.
        let o = Alif::step(&fx, &L, &ToZero, &p, &mut s, 120);
        assert_eq!((o.spikes, s.lif.v, s.a), (0, 120 << 6, 25 << 6));
        // At rest the adaptation keeps halving (truncating toward zero).
        let mut s = State {
            a: 50 << 6,
            ..State::default()
        };
        for want in [1600, 800, 400, 200, 100, 50, 25, 12, 6, 3, 1, 0, 0] {
            let o = Alif::step(&fx, &L, &ToZero, &p, &mut s, 0);
            assert_eq!((o.spikes, s.a), (0, want));
        }
    }

    #[test]
    fn a_subtracting_reset_subtracts_the_adapted_threshold() {
        let fx = loihi();
        let p = params();
        let mut s = State {
            a: 40 << 6, // halves to 20·64: θ = 120·64
            ..State::default()
        };
        let o = Alif::step(&fx, &L, &Subtract { max_spikes: 3 }, &p, &mut s, 250);
        // 250 > 2·120 but not 3·120: two spikes, 2θ subtracted, 2 steps added.
        assert_eq!(o.spikes, 2);
        assert_eq!(s.lif.v, (250 - 240) << 6);
        assert_eq!(s.a, (20 + 100) << 6);
    }

    #[test]
    fn with_a_zero_step_it_is_the_cuba_lif() {
        let fx = loihi();
        let p = Params {
            step: 0,
            ..params()
        };
        let lif = p.lif;
        let (mut s, mut t) = (State::default(), cuba_lif::State::default());
        for a_in in [30, 90, -10, 150, 0, 0, 101, 7] {
            let o = Alif::step(&fx, &L, &ToZero, &p, &mut s, a_in);
            let q = cuba_lif::CubaLif::step(&fx, &L, &ToZero, &lif, &mut t, a_in);
            assert_eq!((o, s.lif), (q, t));
            assert_eq!(s.a, 0);
        }
    }

    proptest! {
        /// The adaptation stays in [0, 2^23) and the membrane in range,
        /// whatever the input and parameters.
        #[test]
        fn state_stays_in_range(a0 in 0i32..(1 << 23), v0 in -(1i32 << 23) + 1..(1 << 23), a_in in any::<i32>(), da in 0u16..4096, step in 0i32..(1 << 23), n in 1u8..=31) {
            let fx = loihi();
            let p = Params { da, step, ..params() };
            let mut s = State { a: a0, lif: cuba_lif::State { u: 0, v: v0 } };
            Alif::step(&fx, &L, &Subtract { max_spikes: n }, &p, &mut s, a_in >> 8);
            prop_assert!((0..1 << 23).contains(&s.a));
            prop_assert!(s.lif.v.abs() < 1 << 23);
        }
    }
}
