//! Noisy neurons (chip/src/model/noise.rs): the float reference against an
//! independent PyTorch implementation, and the chip against the float
//! reference, in distribution — the firing rate of a leaky population that
//! fires only through its noise — and the chip's streams bit-for-bit
//! reproducible for any thread count.
//!
//! Statistical power: PyTorch's rate comes from 20 independent runs of the
//! same size as one run here, with its run-to-run sd (`tools/noise_reference.py`,
//! `rates.json`); a test allows 5 sd, so a rate off by 5 sd (≈ 5 % of the
//! rate at the smallest amplitude) fails with probability ≥ 0.5, and a
//! correct one passes with probability 1 − 6e-7.

use spikefab_chip::{Arch, SpikeStream};
use spikefab_compiler::network::{Input, InputNoise, Network, Neuron, Param, Population};
use spikefab_compiler::{compile, quantize, sim};
use spikefab_emulator::{run, RunConfig};

const N: usize = 400;
const STEPS: usize = 500;

fn noisy(amplitude: f64, seed: u64) -> Network {
    Network {
        name: "noisy".into(),
        dt: 1e-3,
        inputs: vec![Input {
            name: "in".into(),
            size: 1,
        }],
        populations: vec![Population {
            name: "noisy".into(),
            size: N,
            neuron: Neuron::Lif {
                beta: Param::Scalar(0.8),
                threshold: Param::Scalar(1.0),
                bias: Param::Scalar(0.15),
            },
            reset: Default::default(),
            schedule: None,
            noise: Some(InputNoise { amplitude }),
            dendrites: None,
        }],
        projections: vec![],
        outputs: vec!["noisy".into()],
        noise_seed: Some(seed),
    }
}

fn float_rate(net: &Network) -> f64 {
    let input = vec![vec![false]; STEPS];
    let r = sim::simulate(net, &input);
    r.spikes.iter().flatten().filter(|&&s| s).count() as f64 / (N * STEPS) as f64
}

fn reference() -> Vec<(f64, f64, f64)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/noise/rates.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["amplitudes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["amplitude"].as_f64().unwrap(),
                a["rate"].as_f64().unwrap(),
                a["run_sd"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_float_reference_fires_through_noise_as_pytorch_does() {
    for (a, want, sd) in reference() {
        let got = float_rate(&noisy(a, 3));
        eprintln!("amplitude {a}: float {got:.5}, PyTorch {want:.5} (sd {sd:.5})");
        assert!(
            (got - want).abs() < 5.0 * sd,
            "amplitude {a}: {got} vs {want}"
        );
    }
    // and without noise it never fires (every spike above is the noise's)
    let mut quiet = noisy(0.25, 3);
    quiet.populations[0].noise = None;
    assert_eq!(float_rate(&quiet), 0.0);
}

/// The chip's spikes over `STEPS` steps on `arch` with `threads` workers.
fn chip(net: &Network, arch: &Arch, threads: usize) -> spikefab_emulator::RunOutput {
    let p = compile(net, arch, 1).unwrap().program;
    let steps = STEPS as u32 + p.provenance.output_latency_steps;
    let input = SpikeStream::empty(1, steps, net.dt);
    run(&p, &input, &RunConfig::new(steps, threads), &|_| {}).unwrap()
}

#[test]
fn loihi_fires_through_its_noise_as_the_float_network_does() {
    let arch = Arch::preset("loihi").unwrap();
    for (a, _, sd) in reference() {
        // the float network with the amplitude the chip can have: a power
        // of two of the layer's input units
        let q = quantize::quantize(&noisy(a, 3), &arch).unwrap();
        let e = q.populations[0].group.noise.unwrap().exp;
        let on_chip = 2f64.powi(e as i32) / q.populations[0].gain;
        let want = float_rate(&noisy(on_chip, 3));
        let out = chip(&noisy(a, 3), &arch, 1);
        let got = out.report.totals.spikes as f64 / (N * STEPS) as f64;
        eprintln!("amplitude {a} (chip {on_chip:.4}): loihi {got:.5}, float {want:.5}");
        // Fixed point lowers the rate by about 2 %: Loihi's draw is centred
        // half a unit below 0 and its decays round toward zero; allowed 3 %
        // on top of the statistical 5 sd.
        assert!(
            (got - want).abs() < 5.0 * sd + 0.03 * want,
            "amplitude {a}: {got} vs {want}"
        );
        assert!(got < want, "the fixed-point bias is downward");
        assert_eq!(out.report.totals.noise_draws, (N * (STEPS + 1)) as u64);
    }
}

#[test]
fn the_same_seed_gives_the_same_spikes_for_any_thread_count() {
    let mut arch = Arch::preset("loihi").unwrap();
    arch.core.max_neurons = 64; // 7 cores: one stream each
    let net = noisy(0.5, 11);
    let (one, two) = (chip(&net, &arch, 1), chip(&net, &arch, 2));
    assert!(one.report.program.cores_used > 4);
    assert_eq!(one.spikes, two.spikes);
    assert_eq!(one.report.totals, two.report.totals);
    assert_eq!(
        one.report.energy.total_pj.to_bits(),
        two.report.energy.total_pj.to_bits()
    );
    let other = chip(&noisy(0.5, 12), &arch, 2);
    assert_ne!(one.spikes, other.spikes, "another seed, other spikes");
}

#[test]
fn bad_noise_is_refused_naming_the_population_and_field() {
    let mut net = noisy(0.5, 1);
    net.noise_seed = None;
    let e = net.validate().unwrap_err().to_string();
    assert!(e.contains("'noisy'") && e.contains("noise_seed"), "{e}");
    for a in [0.0, -1.0, f64::NAN] {
        let e = noisy(a, 1).validate().unwrap_err().to_string();
        assert!(
            e.contains("'noisy'") && e.contains("noise amplitude"),
            "{e}"
        );
    }
    let refused = |net: &Network, arch: &str| match compile(net, &Arch::preset(arch).unwrap(), 1) {
        Ok(_) => panic!("{arch} must refuse"),
        Err(e) => e.to_string(),
    };
    let e = refused(&noisy(0.5, 1), "xylo");
    assert!(e.contains("noisy") && e.contains("core.noise"), "{e}");
    let e = refused(&noisy(1e6, 1), "loihi");
    assert!(e.contains("noisy") && e.contains("noise exponent"), "{e}");
}
