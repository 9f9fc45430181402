//! Compile time of a 1-million-synapse network onto `loihi`: dense
//! (1,000 inputs → 1,000 LIF) and 10 %-sparse (3,162 → 3,162 LIF), seeded
//! random weights; the whole pipeline (validation, quantization, partition,
//! packing, placement, routing, CoreProgram validation).
//!
//! Run: `cargo bench -p spikefab-compiler`.

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use spikefab_chip::Arch;
use spikefab_compiler::{compile, Input, Network, Neuron, Param, Population, Projection, Weights};

fn network(n: usize, density: f64) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut synapses = Vec::new();
    for t in 0..n {
        for s in 0..n {
            if density >= 1.0 || rng.random_bool(density) {
                synapses.push((t as u32, s as u32, rng.random_range(-0.5..1.0)));
            }
        }
    }
    Network {
        name: format!("bench-{n}-{density}"),
        dt: 1e-3,
        inputs: vec![Input {
            name: "in".into(),
            size: n,
        }],
        populations: vec![Population {
            name: "lif".into(),
            size: n,
            neuron: Neuron::Lif {
                beta: Param::Scalar(0.9),
                threshold: Param::Scalar(1.0),
                bias: Param::Scalar(0.0),
            },
            reset: Default::default(),
            schedule: None,
            noise: None,
            dendrites: None,
        }],
        projections: vec![Projection {
            from: "in".into(),
            to: "lif".into(),
            weights: Weights::Sparse {
                targets: n,
                sources: n,
                synapses,
            },
            delay: 0,
            plasticity: None,
        }],
        outputs: vec!["lif".into()],
        noise_seed: None,
    }
}

fn bench(c: &mut Criterion) {
    let arch = Arch::preset("loihi").expect("preset");
    let mut g = c.benchmark_group("compile_1M_synapses");
    g.sample_size(10);
    for (label, net) in [
        ("dense_1000x1000", network(1000, 1.0)),
        ("sparse10_3162x3162", network(3162, 0.1)),
    ] {
        let probe = compile(&net, &arch, 1).expect("compiles");
        eprintln!(
            "{label}: {} synapses on {} cores",
            net.num_synapses(),
            probe.report.cores_used
        );
        g.bench_function(label, |b| {
            b.iter(|| {
                compile(&net, &arch, 1)
                    .expect("compiles")
                    .program
                    .num_synapses()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
