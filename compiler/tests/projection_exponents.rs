//! Per-projection weight exponents (issue 14; Loihi's synapse formats): a
//! layer fed by strong input weights and weak recurrent ones — P16k's
//! shape, 0.2 against ≤ 0.0045 — keeps its recurrent weights' precision
//! when each projection has its own exponent, and the chip follows the
//! float network more closely.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use spikefab_chip::{Arch, SpikeStream};
use spikefab_compiler::network::{Input, Network, Neuron, Param, Population, Projection, Weights};
use spikefab_compiler::{compile_sized, quantize, sim, Options};
use spikefab_emulator::{run, RunConfig};

const N: usize = 200;
const INPUTS: usize = 40;

/// 40 inputs → 200 recurrent LIF: input weights 0.2 (10 % of pairs),
/// recurrent ones in ±0.0045 (25 %).
fn strong_and_weak() -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let w_in = (0..N)
        .map(|_| {
            (0..INPUTS)
                .map(|_| if rng.random_bool(0.1) { 0.2 } else { 0.0 })
                .collect()
        })
        .collect();
    let w_rec = (0..N)
        .map(|i| {
            (0..N)
                .map(|j| {
                    if i != j && rng.random_bool(0.25) {
                        rng.random_range(-0.0045..0.0045)
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let proj = |from: &str, w| Projection {
        from: from.into(),
        to: "hidden".into(),
        weights: Weights::Dense(w),
        delay: 0,
        plasticity: None,
    };
    Network {
        name: "strong-and-weak".into(),
        dt: 1e-3,
        inputs: vec![Input {
            name: "in".into(),
            size: INPUTS,
        }],
        populations: vec![Population::new(
            "hidden",
            N,
            Neuron::Lif {
                beta: Param::Scalar(0.95),
                threshold: Param::Scalar(0.1),
                bias: Param::Scalar(0.0),
            },
        )],
        projections: vec![proj("in", w_in), proj("hidden", w_rec)],
        outputs: vec!["hidden".into()],
        noise_seed: None,
    }
}

fn opts(per_projection: bool) -> Options {
    Options {
        projection_exponents: per_projection,
        ..Default::default()
    }
}

#[test]
fn weak_projections_keep_their_bits_and_the_chip_follows_the_float_network() {
    let net = strong_and_weak();
    let arch = Arch::preset("loihi").unwrap();
    let shared = quantize::quantize_with(&net, &arch, &opts(false)).unwrap();
    let own = quantize::quantize_with(&net, &arch, &opts(true)).unwrap();
    let err = |q: &quantize::QuantizedNetwork| {
        q.projections
            .iter()
            .map(|p| p.weight_error)
            .collect::<Vec<_>>()
    };
    eprintln!(
        "weight error (input, recurrent): shared {:?}, per projection {:?}; shifts {:?}",
        err(&shared),
        err(&own),
        own.projections.iter().map(|p| p.shift).collect::<Vec<_>>()
    );
    assert!(
        err(&shared)[1] > 0.15,
        "the shared exponent must cost the weak weights"
    );
    assert!(err(&own)[1] < 0.02, "{:?}", err(&own));
    assert_eq!(
        err(&own)[0],
        err(&shared)[0],
        "the strong weights are as they were"
    );
    assert_eq!(own.projections[1].shift, 0);
    assert!(own.projections[0].shift >= 5);

    // the chip against the float network, spike for spike
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let x: Vec<Vec<bool>> = (0..150)
        .map(|_| (0..INPUTS).map(|_| rng.random_bool(0.2)).collect())
        .collect();
    let float = sim::simulate(&net, &x).spikes;
    let agreement = |per_projection: bool, threads: usize| {
        let p = compile_sized(&net, &arch, 1, None, &opts(per_projection))
            .unwrap()
            .program;
        let lat = p.provenance.output_latency_steps as usize;
        let stream = SpikeStream::from_rows(&x, (x.len() + lat) as u32, p.dt).unwrap();
        let out = run(
            &p,
            &stream,
            &RunConfig::new((x.len() + lat) as u32, threads),
            &|_| {},
        )
        .unwrap();
        let dense = out.spikes.to_dense();
        let (mut same, mut all) = (0, 0);
        for (t, row) in float.iter().enumerate() {
            for (k, &f) in row.iter().enumerate() {
                same += (f == (dense[(t + lat) * N + k] != 0)) as usize;
                all += 1;
            }
        }
        (same as f64 / all as f64, out.spikes)
    };
    let (before, _) = agreement(false, 1);
    let (after, one) = agreement(true, 1);
    let (_, two) = agreement(true, 2);
    eprintln!(
        "loihi agreement with the float network: shared {before:.4}, per projection {after:.4}"
    );
    assert!(after > before, "{after} vs {before}");
    assert_eq!(one, two, "1 and 2 threads");
}

#[test]
fn a_chip_with_one_exponent_a_group_refuses_per_projection_exponents() {
    let e = compile_sized(
        &strong_and_weak(),
        &Arch::preset("xylo").unwrap(),
        1,
        None,
        &opts(true),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("projection_exponents"), "{e}");
    // and a program that shifts on such a chip is invalid
    let mut p = compile_sized(
        &strong_and_weak(),
        &Arch::preset("loihi").unwrap(),
        1,
        None,
        &opts(true),
    )
    .unwrap()
    .program;
    p.arch.format.projection_exponents = false;
    assert!(p
        .validate()
        .unwrap_err()
        .to_string()
        .contains("projection_exponents"));
    p.arch.format.projection_exponents = true;
    let core = p
        .cores
        .iter_mut()
        .find(|c| !c.synapses.shift.is_empty())
        .unwrap();
    core.synapses.shift[0] = 16;
    assert!(p
        .validate()
        .unwrap_err()
        .to_string()
        .contains("shift of 16"));
}
