//! P16k, the emulator's reference benchmark network (described in the
//! project's architecture document and measured there on Brian2, NEST,
//! snnTorch and SANA-FE): 16,384 current-based LIF neurons, membrane decay 0.9
//! per 1 ms step, threshold 1, reset to 0, delta synapses; every neuron has
//! 256 outgoing synapses to uniformly drawn targets (self-loops and repeats
//! allowed) with weights U[0,1) × 0.0045; 1,024 Bernoulli(0.1) inputs, each
//! with 64 random targets of weight 0.2.
//!
//! The peers draw with NumPy's `default_rng(1)`; spikefab draws the same
//! distributions with ChaCha8 (seeded), so the network is the same in law,
//! not synapse for synapse.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use spikefab_chip::{Arch, SpikeStream};
use spikefab_compiler::{Input, Network, Neuron, Param, Population, Projection, Weights};

pub const NEURONS: usize = 16_384;
pub const FAN_OUT: usize = 256;
pub const INPUTS: usize = 1_024;
pub const INPUT_FAN_OUT: usize = 64;

/// The float network.
pub fn network(seed: u64) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rec = Vec::with_capacity(NEURONS * FAN_OUT);
    for s in 0..NEURONS as u32 {
        for _ in 0..FAN_OUT {
            rec.push((
                rng.random_range(0..NEURONS as u32),
                s,
                rng.random::<f64>() * 0.0045,
            ));
        }
    }
    let mut inp = Vec::with_capacity(INPUTS * INPUT_FAN_OUT);
    for s in 0..INPUTS as u32 {
        for _ in 0..INPUT_FAN_OUT {
            inp.push((rng.random_range(0..NEURONS as u32), s, 0.2));
        }
    }
    Network {
        name: "P16k".into(),
        dt: 1e-3,
        inputs: vec![Input {
            name: "poisson".into(),
            size: INPUTS,
        }],
        populations: vec![Population {
            name: "lif".into(),
            size: NEURONS,
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
        projections: vec![
            Projection {
                from: "poisson".into(),
                to: "lif".into(),
                weights: Weights::Sparse {
                    targets: NEURONS,
                    sources: INPUTS,
                    synapses: inp,
                },
                delay: 0,
                plasticity: None,
            },
            Projection {
                from: "lif".into(),
                to: "lif".into(),
                weights: Weights::Sparse {
                    targets: NEURONS,
                    sources: NEURONS,
                    synapses: rec,
                },
                delay: 0,
                plasticity: None,
            },
        ],
        outputs: vec!["lif".into()],
        noise_seed: None,
    }
}

/// The chip P16k runs on: Loihi formats and per-event costs with 8-bit
/// weights, cores large enough for 16 × 1,024 neurons (every neuron's 256
/// random targets land on all 16 cores, so each core needs 16,384 + 1,024
/// input axons and ~280 K synapse words).
pub fn arch() -> Arch {
    let mut a = Arch::preset("loihi").expect("built-in preset");
    a.name = "loihi-p16k".into();
    a.format.weight_bits = 8;
    a.core.max_axons = (NEURONS + INPUTS) as u32;
    a.core.max_synapses = 1 << 20;
    a.core.max_routes = (NEURONS / 16 * 16) as u32;
    a
}

/// Bernoulli(0.1) inputs for `steps` steps.
pub fn input(steps: u32, seed: u64) -> SpikeStream {
    spikefab_emulator::workload::poisson_input(INPUTS as u32, steps, 0.1, 1e-3, seed)
}
