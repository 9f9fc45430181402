//! Writes the example network shipped in `examples/networks/`:
//!
//!     cargo run -p spikefab-compiler --example make_network
//!
//! 16 inputs → 64 LIF neurons (10 % sparse recurrence) → 10 CUBA LIF outputs,
//! seeded random weights: a small network to try `spikefab compile` on.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use spikefab_compiler::{Input, Network, Neuron, Param, Population, Projection, Weights};

fn sparse(rng: &mut ChaCha8Rng, to: usize, from: usize, density: f64, scale: f64) -> Weights {
    let mut synapses = Vec::new();
    for t in 0..to {
        for s in 0..from {
            if rng.random_bool(density) {
                synapses.push((
                    t as u32,
                    s as u32,
                    (rng.random_range(-0.4..1.0) * scale * 1e3).round() / 1e3,
                ));
            }
        }
    }
    Weights::Sparse {
        targets: to,
        sources: from,
        synapses,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let net = Network {
        name: "mlp-16-64-10".into(),
        dt: 1e-3,
        inputs: vec![Input {
            name: "in".into(),
            size: 16,
        }],
        populations: vec![
            Population {
                name: "hidden".into(),
                size: 64,
                neuron: Neuron::Lif {
                    beta: Param::Scalar(0.9),
                    threshold: Param::Scalar(1.0),
                    bias: Param::Scalar(0.0),
                },
                reset: Default::default(),
                schedule: None,
                noise: None,
                dendrites: None,
            },
            Population {
                name: "out".into(),
                size: 10,
                neuron: Neuron::CubaLif {
                    alpha: Param::Scalar(0.5),
                    beta: Param::Scalar(0.8),
                    threshold: Param::Scalar(1.0),
                    bias: Param::Scalar(0.0),
                    current_bias: Param::Scalar(0.0),
                },
                reset: Default::default(),
                schedule: None,
                noise: None,
                dendrites: None,
            },
        ],
        projections: vec![
            Projection {
                from: "in".into(),
                to: "hidden".into(),
                weights: sparse(&mut rng, 64, 16, 0.5, 0.8),
                delay: 0,
                plasticity: None,
            },
            Projection {
                from: "hidden".into(),
                to: "hidden".into(),
                weights: sparse(&mut rng, 64, 64, 0.1, 0.1),
                delay: 0,
                plasticity: None,
            },
            Projection {
                from: "hidden".into(),
                to: "out".into(),
                weights: sparse(&mut rng, 10, 64, 0.5, 0.6),
                delay: 0,
                plasticity: None,
            },
        ],
        outputs: vec!["out".into()],
        noise_seed: None,
    };
    net.validate()?;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/networks/mlp.ron");
    std::fs::write(path, net.to_ron())?;
    Ok(())
}
