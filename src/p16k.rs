//! P16k, the emulator's reference benchmark network (described in the
//! project's architecture document and measured there on Brian2, NEST,
//! snnTorch and SANA-FE): 16,384 current-based LIF neurons, membrane decay 0.9
//! per 1 ms step, threshold 1, reset to 0, delta synapses; every neuron has
//! 256 outgoing synapses to uniformly drawn targets (self-loops and repeats
//! allowed) with weights U[0,1) × 0.0045; 1,024 Bernoulli(0.1) inputs, each
//! with 64 random targets of weight 0.2.
//!
//! The peers draw with NumPy's `default_rng(1)`; [`network`] draws the same
//! distributions with ChaCha8 (seeded), the same network in law, and
//! [`from_draws`] reads the peers' own draws (`tools/bench_peers.py` writes
//! them), the same network synapse for synapse.

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
    scaled(NEURONS, seed)
}

/// P16k at `neurons` neurons (a multiple of 1,024): the same in-degree
/// statistics — 256 outgoing synapses a neuron, one input of 64 targets per
/// 16 neurons — so activity stays ≈ 5 % at any size. For the scaling table
/// (`cargo run --release --example p16k -- scaled N`).
pub fn scaled(neurons: usize, seed: u64) -> Network {
    let inputs = neurons / 16;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rec = Vec::with_capacity(neurons * FAN_OUT);
    for s in 0..neurons as u32 {
        for _ in 0..FAN_OUT {
            rec.push((
                rng.random_range(0..neurons as u32),
                s,
                rng.random::<f64>() * 0.0045,
            ));
        }
    }
    let mut inp = Vec::with_capacity(inputs * INPUT_FAN_OUT);
    for s in 0..inputs as u32 {
        for _ in 0..INPUT_FAN_OUT {
            inp.push((rng.random_range(0..neurons as u32), s, 0.2));
        }
    }
    build(neurons, inputs, rec, inp)
}

/// [`scaled`] with its synapses drawn as the compiler reads them
/// (`Weights::FixedOutDegree`, decision 79) instead of listed: the same
/// law — 256 targets a neuron with replacement, weights U[0, 1) × 0.0045;
/// 64 targets an input, weight 0.2 — from other draws (each row its own
/// ChaCha8 stream, seeds `2·seed` and `2·seed + 1`), so a different network of
/// the same statistics. Its float network is a few bytes: the compile never
/// holds 16 bytes a synapse.
pub fn drawn(neurons: usize, seed: u64) -> Network {
    let inputs = neurons / 16;
    let mut net = build(neurons, inputs, Vec::new(), Vec::new());
    let rule = |sources: usize, out_degree: usize, low: f64, high: f64, seed: u64| {
        Weights::FixedOutDegree {
            targets: neurons,
            sources,
            out_degree: out_degree as u32,
            low,
            high,
            seed,
        }
    };
    net.projections[0].weights = rule(inputs, INPUT_FAN_OUT, 0.2, 0.2, 2 * seed + 1);
    net.projections[1].weights = rule(neurons, FAN_OUT, 0.0, 0.0045, 2 * seed);
    net
}

/// The network of `(target, source, weight)` recurrent and input synapses.
fn build(
    neurons: usize,
    inputs: usize,
    rec: Vec<(u32, u32, f64)>,
    inp: Vec<(u32, u32, f64)>,
) -> Network {
    Network {
        name: "P16k".into(),
        dt: 1e-3,
        inputs: vec![Input {
            name: "poisson".into(),
            size: inputs,
        }],
        populations: vec![Population {
            name: "lif".into(),
            size: neurons,
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
                    targets: neurons,
                    sources: inputs,
                    synapses: inp,
                },
                delay: 0,
                plasticity: None,
            },
            Projection {
                from: "lif".into(),
                to: "lif".into(),
                weights: Weights::Sparse {
                    targets: neurons,
                    sources: neurons,
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

/// The chip [`scaled`] runs on: [`arch`]'s cores (1,024 neurons each), as
/// many Loihi chips side by side on a board as it takes (each 128 cores),
/// every core's axon table wide enough for the whole network.
pub fn arch_scaled(neurons: usize) -> Arch {
    let mut a = arch();
    let cores = neurons.div_ceil(1024) as u32;
    let per_chip = a.topology.tiles_x * a.topology.tiles_y * a.topology.cores_per_tile;
    a.topology.chips_x = cores.div_ceil(per_chip).max(1);
    a.core.max_axons = (neurons + neurons / 16) as u32;
    // a core's 1,024 neurons each route to every core their 256 targets land on
    a.core.max_routes = 1024 * cores.min(FAN_OUT as u32);
    a.name = format!("loihi-p{}k", neurons / 1024);
    a
}

/// Bernoulli(0.1) inputs for `steps` steps.
pub fn input(steps: u32, seed: u64) -> SpikeStream {
    input_scaled(NEURONS, steps, seed)
}

/// Bernoulli(0.1) inputs of [`scaled`]`(neurons)` for `steps` steps.
pub fn input_scaled(neurons: usize, steps: u32, seed: u64) -> SpikeStream {
    spikefab_emulator::workload::poisson_input((neurons / 16) as u32, steps, 0.1, 1e-3, seed)
}

/// The peers' draws in `dir` (`tools/bench_peers.py`): `targets.npy` and
/// `weights.npy` (`[16384, 256]`: neuron s's synapses), `input_targets.npy`
/// (`[1024, 64]`, weight 0.2) and `input.npy` (`[steps, 1024]` Bernoulli
/// spikes). Every shape and index is checked before use.
pub fn from_draws(dir: &std::path::Path) -> anyhow::Result<(Network, SpikeStream)> {
    use anyhow::Context;
    use spikefab_chip::npy::NumericArray;
    let read = |name: &str, cols: u64| -> anyhow::Result<NumericArray> {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let a = NumericArray::from_npy(&bytes)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        if a.shape.len() != 2 || a.shape[1] != cols {
            anyhow::bail!(
                "{}: shape {:?}, expected [_, {cols}]",
                path.display(),
                a.shape
            );
        }
        Ok(a)
    };
    let index = |name: &str, v: f64, n: usize| -> anyhow::Result<u32> {
        if v.fract() != 0.0 || v < 0.0 || v >= n as f64 {
            anyhow::bail!("{name}: {v} is not an index below {n}");
        }
        Ok(v as u32)
    };
    let (targets, weights) = (
        read("targets.npy", FAN_OUT as u64)?,
        read("weights.npy", FAN_OUT as u64)?,
    );
    let input_targets = read("input_targets.npy", INPUT_FAN_OUT as u64)?;
    let input = read("input.npy", INPUTS as u64)?;
    if targets.shape[0] != NEURONS as u64 || weights.shape != targets.shape {
        anyhow::bail!("targets.npy and weights.npy must both be [{NEURONS}, {FAN_OUT}]");
    }
    if input_targets.shape[0] != INPUTS as u64 {
        anyhow::bail!("input_targets.npy must be [{INPUTS}, {INPUT_FAN_OUT}]");
    }
    let mut rec = Vec::with_capacity(NEURONS * FAN_OUT);
    for (k, (&t, &w)) in targets.values.iter().zip(&weights.values).enumerate() {
        if !w.is_finite() {
            anyhow::bail!("weights.npy: value {k} is not finite");
        }
        rec.push((index("targets.npy", t, NEURONS)?, (k / FAN_OUT) as u32, w));
    }
    let mut inp = Vec::with_capacity(INPUTS * INPUT_FAN_OUT);
    for (k, &t) in input_targets.values.iter().enumerate() {
        inp.push((
            index("input_targets.npy", t, NEURONS)?,
            (k / INPUT_FAN_OUT) as u32,
            0.2,
        ));
    }
    let steps = input.shape[0] as usize;
    let rows: Vec<Vec<bool>> = input
        .values
        .chunks(INPUTS)
        .map(|r| r.iter().map(|&v| v != 0.0).collect())
        .collect();
    let stream = SpikeStream::from_rows(&rows, steps as u32, 1e-3).map_err(anyhow::Error::msg)?;
    Ok((build(NEURONS, INPUTS, rec, inp), stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use npyz::WriterBuilder;

    fn save<T: npyz::Serialize + npyz::AutoSerialize + Copy>(
        dir: &std::path::Path,
        name: &str,
        shape: &[u64],
        v: impl Iterator<Item = T>,
    ) {
        let mut w = npyz::WriteOptions::<T>::new()
            .default_dtype()
            .shape(shape)
            .writer(std::io::BufWriter::new(
                std::fs::File::create(dir.join(name)).unwrap(),
            ))
            .begin_nd()
            .unwrap();
        for x in v {
            w.push(&x).unwrap();
        }
        w.finish().unwrap();
    }

    /// The peers' draws become the same synapses, and a draw that is not
    /// an index or a file of the wrong shape is refused by name.
    #[test]
    fn draws_become_the_network_and_bad_draws_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let n = (NEURONS * FAN_OUT) as u32;
        save(
            d,
            "targets.npy",
            &[NEURONS as u64, FAN_OUT as u64],
            (0..n).map(|k| k % NEURONS as u32),
        );
        save(
            d,
            "weights.npy",
            &[NEURONS as u64, FAN_OUT as u64],
            (0..n).map(|k| (k + 1) as f32 * 1e-9),
        );
        let it = (INPUTS * INPUT_FAN_OUT) as u32;
        save(
            d,
            "input_targets.npy",
            &[INPUTS as u64, INPUT_FAN_OUT as u64],
            (0..it).map(|k| k % 7),
        );
        save(
            d,
            "input.npy",
            &[3, INPUTS as u64],
            (0..3 * INPUTS).map(|k| (k % 10 == 0) as u8),
        );
        let (net, input) = from_draws(d).unwrap();
        assert_eq!(
            net.num_synapses(),
            NEURONS * FAN_OUT + INPUTS * INPUT_FAN_OUT
        );
        assert_eq!(
            (input.steps, input.events().len()),
            (3, 3 * INPUTS / 10 + 1)
        );
        // neuron 1's third synapse: target 1 * 256 + 2, weight (256 + 2 + 1) e-9
        let Weights::Sparse { synapses, .. } = &net.projections[1].weights else {
            panic!("sparse recurrent weights")
        };
        let (t, s, w) = synapses[FAN_OUT + 2];
        assert_eq!((t, s), (258, 1));
        assert!((w - 259e-9).abs() < 1e-12);

        save(
            d,
            "input_targets.npy",
            &[INPUTS as u64, INPUT_FAN_OUT as u64],
            (0..it).map(|k| if k == 5 { NEURONS as u32 } else { 0 }),
        );
        let e = from_draws(d).unwrap_err().to_string();
        assert!(
            e.contains("input_targets.npy") && e.contains("16384 is not an index"),
            "{e}"
        );
        save(
            d,
            "input_targets.npy",
            &[INPUTS as u64, 3],
            (0..INPUTS as u32 * 3).map(|_| 0u32),
        );
        let e = from_draws(d).unwrap_err().to_string();
        assert!(
            e.contains("input_targets.npy") && e.contains("shape"),
            "{e}"
        );
    }
}
