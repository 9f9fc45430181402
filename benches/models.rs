//! The emulator's neuron loop per model: one 1024-neuron layer of each
//! model (and of LIF with a schedule, CE-LIF's and STDI's table, with
//! on-chip noise, and with 4 dendritic branches a neuron — its 16 synapses
//! dealt over them, so five times the compartments and cores) driven by
//! the same 256 Poisson inputs for 200 steps on `loihi`, compiled from the
//! same float network. Criterion reports neuron updates per second; the
//! ratio to LIF, in the same run, is the cost of a model. Run:
//! `cargo bench --bench models`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use spikefab_chip::Arch;
use spikefab_compiler::network::{
    Dendrites, Input, InputNoise, Network, Neuron, Param, Population, Projection, Schedule, Weights,
};
use spikefab_emulator::workload::poisson_input;
use spikefab_emulator::{Emulator, RunConfig};

const STEPS: u32 = 200;
const N: usize = 1024;
const INPUTS: usize = 256;

fn layer(neuron: Neuron, schedule: Option<Schedule>) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let synapses = (0..N as u32)
        .flat_map(|t| (0..16).map(move |k| (t, k)))
        .map(|(t, _)| {
            (
                t,
                rng.random_range(0..INPUTS as u32),
                rng.random_range(0.05..0.4),
            )
        })
        .collect();
    Network {
        name: "bench".into(),
        dt: 1e-3,
        inputs: vec![Input {
            name: "in".into(),
            size: INPUTS,
        }],
        populations: vec![Population {
            name: "layer".into(),
            size: N,
            neuron,
            reset: Default::default(),
            schedule,
            noise: None,
            dendrites: None,
        }],
        projections: vec![Projection {
            from: "in".into(),
            to: "layer".into(),
            weights: Weights::Sparse {
                targets: N,
                sources: INPUTS,
                synapses,
            },
            delay: 0,
            plasticity: None,
        }],
        outputs: vec!["layer".into()],
        noise_seed: None,
    }
}

fn models(c: &mut Criterion) {
    let s = |x: f64| Param::Scalar(x);
    let lif = || Neuron::CubaLif {
        alpha: s(0.5),
        beta: s(0.9),
        threshold: s(1.0),
        bias: s(0.0),
        current_bias: s(0.0),
    };
    let alif = || Neuron::Alif {
        alpha: s(0.5),
        beta: s(0.9),
        threshold: s(1.0),
        bias: s(0.0),
        adaptation: s(0.95),
        threshold_step: s(0.2),
    };
    let table = Schedule {
        threshold: (0..16).map(|k| Some(0.05 * k as f64 - 0.3)).collect(),
        input_shift: vec![],
    };
    let cases: Vec<(&str, Network)> = vec![
        ("cuba_lif", layer(lif(), None)),
        (
            "if",
            layer(
                Neuron::If {
                    threshold: s(1.0),
                    bias: s(0.0),
                },
                None,
            ),
        ),
        (
            "li",
            layer(
                Neuron::Li {
                    beta: s(0.9),
                    bias: s(0.0),
                },
                None,
            ),
        ),
        ("alif", layer(alif(), None)),
        ("cuba_lif+schedule", layer(lif(), Some(table.clone()))),
        ("ce_lif", layer(alif(), Some(table))),
        ("cuba_lif+noise", {
            let mut n = layer(lif(), None);
            n.populations[0].noise = Some(InputNoise { amplitude: 0.05 });
            n.noise_seed = Some(1);
            n
        }),
        ("cuba_lif+dendrites", {
            let mut n = layer(lif(), None);
            n.populations[0].dendrites = Some(Dendrites {
                branches: 4,
                cap: 0.5,
            });
            if let Weights::Sparse {
                targets, synapses, ..
            } = &mut n.projections[0].weights
            {
                *targets *= 4;
                for (k, s) in synapses.iter_mut().enumerate() {
                    s.0 = s.0 * 4 + k as u32 % 4;
                }
            }
            n
        }),
    ];
    let arch = Arch::preset("loihi").unwrap();
    let input = poisson_input(INPUTS as u32, STEPS, 0.1, 1e-3, 3);
    let mut group = c.benchmark_group("neuron_updates_1024x200");
    group.throughput(Throughput::Elements(N as u64 * STEPS as u64));
    group.sample_size(20);
    for (name, net) in &cases {
        let program = spikefab_compiler::compile(net, &arch, 1).unwrap().program;
        let emu = Emulator::new(&program).unwrap();
        let cfg = RunConfig::new(STEPS, 1);
        let spikes = emu.run(&input, &cfg, &|_| {}).unwrap().report.totals.spikes;
        eprintln!("{name}: {spikes} spikes in {STEPS} steps");
        group.bench_with_input(BenchmarkId::new("model", name), &(), |b, _| {
            b.iter(|| emu.run(&input, &cfg, &|_| {}).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, models);
criterion_main!(benches);
