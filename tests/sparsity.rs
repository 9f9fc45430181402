//! Sparse connectivity costs what it holds (issue 14): a layer at 10 %
//! density against the same layer at 100 % — synapse words, HDL table
//! depth, synaptic operations and their energy all scale with the density.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use spikefab_chip::Arch;
use spikefab_compiler::network::{Input, Network, Neuron, Param, Population, Projection, Weights};
use spikefab_emulator::workload::poisson_input;
use spikefab_emulator::{run, RunConfig};
use spikefab_hdl::{export, Formats, TbRun, Testbench};

const N: usize = 128;

/// 128 inputs → 128 LIF, each weight present with probability `density`
/// and of magnitude 0.05–0.3 (none rounds to zero).
fn layer(density: f64) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let w = (0..N)
        .map(|_| {
            (0..N)
                .map(|_| {
                    let w: f64 =
                        rng.random_range(0.05..0.3) * if rng.random_bool(0.7) { 1.0 } else { -1.0 };
                    if rng.random_bool(density) {
                        w
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    Network {
        name: format!("density {density}"),
        dt: 1e-3,
        inputs: vec![Input {
            name: "in".into(),
            size: N,
        }],
        populations: vec![Population::new(
            "hidden",
            N,
            Neuron::Lif {
                beta: Param::Scalar(0.9),
                threshold: Param::Scalar(1.0),
                bias: Param::Scalar(0.0),
            },
        )],
        projections: vec![Projection {
            from: "in".into(),
            to: "hidden".into(),
            weights: Weights::Dense(w),
            delay: 0,
            plasticity: None,
        }],
        outputs: vec!["hidden".into()],
        noise_seed: None,
    }
}

/// (synapse words, synapse-table depth in the HDL export, synaptic ops,
/// synaptic energy in pJ) of the layer at `density` on `arch`.
fn costs(density: f64, arch: &str) -> (f64, f64, f64, f64) {
    let p = spikefab_compiler::compile(&layer(density), &Arch::preset(arch).unwrap(), 1)
        .unwrap()
        .program;
    let input = poisson_input(N as u32, 60, 0.1, p.dt, 5);
    let out = run(&p, &input, &RunConfig::new(60, 1), &|_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let summary = export(
        &p,
        dir.path(),
        Formats::default(),
        &Testbench {
            steps: 60,
            runs: vec![TbRun {
                input: &input,
                expected: &out.spikes,
            }],
        },
    )
    .unwrap();
    let depth: usize = summary
        .memories
        .iter()
        .filter(|m| m.name.ends_with("_synapses"))
        .map(|m| m.depth)
        .sum();
    (
        p.num_synapses() as f64,
        depth as f64,
        out.report.totals.synaptic_ops as f64,
        out.report.energy.synaptic_pj,
    )
}

#[test]
fn memory_ops_and_energy_scale_with_density() {
    for arch in ["loihi", "fpga-small"] {
        let (full, tenth) = (costs(1.0, arch), costs(0.1, arch));
        let ratios = [
            tenth.0 / full.0,
            tenth.1 / full.1,
            tenth.2 / full.2,
            tenth.3 / full.3,
        ];
        eprintln!("{arch}: 10 % / 100 % — synapse words, HDL depth, synaptic ops, synaptic energy: {ratios:.3?}");
        for r in ratios {
            assert!((0.085..=0.115).contains(&r), "{arch}: {ratios:?}");
        }
    }
}
