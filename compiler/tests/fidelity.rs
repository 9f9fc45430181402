//! Compiled programs against the float reference: on a wide-format chip the
//! emulator's spikes agree with the float network on ≥ 99 % of
//! (neuron, step) pairs; on the 8-bit loihi preset the agreement is reported.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
mod common;

use common::wide;
use spikefab_chip::{Arch, ModelKind, SpikeStream};
use spikefab_compiler::network::{
    Dendrites, Input, Network, Neuron, Param, Population, Projection, Schedule, Weights,
};
use spikefab_compiler::{compile, sim, CompileError};
use spikefab_emulator::{run, RunConfig};

fn dense(rng: &mut ChaCha8Rng, to: usize, from: usize, scale: f64, density: f64) -> Weights {
    Weights::Dense(
        (0..to)
            .map(|_| {
                (0..from)
                    .map(|_| {
                        if rng.random_bool(density) {
                            rng.random_range(-0.4..1.0) * scale
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect(),
    )
}

/// Input → LIF hidden (with sparse recurrence) → CUBA LIF output.
fn mlp(seed: u64, inputs: usize, hidden: usize, outputs: usize) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Network {
        name: format!("mlp{seed}"),
        dt: 1e-3,
        inputs: vec![Input {
            name: "in".into(),
            size: inputs,
        }],
        populations: vec![
            Population {
                name: "hidden".into(),
                size: hidden,
                neuron: Neuron::Lif {
                    beta: Param::Scalar(0.9),
                    threshold: Param::Scalar(1.0),
                    bias: Param::Scalar(0.01),
                },
                reset: Default::default(),
                schedule: None,
                noise: None,
                dendrites: None,
            },
            Population {
                name: "out".into(),
                size: outputs,
                neuron: Neuron::CubaLif {
                    alpha: Param::Scalar(0.5),
                    beta: Param::Scalar(0.8),
                    threshold: Param::PerNeuron(
                        (0..outputs).map(|i| 0.8 + 0.05 * i as f64).collect(),
                    ),
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
                weights: dense(&mut rng, hidden, inputs, 0.6, 0.5),
                delay: 0,
                plasticity: None,
            },
            Projection {
                from: "hidden".into(),
                to: "hidden".into(),
                weights: dense(&mut rng, hidden, hidden, RECUR, 0.1),
                delay: 0,
                plasticity: None,
            },
            Projection {
                from: "hidden".into(),
                to: "out".into(),
                weights: dense(&mut rng, outputs, hidden, 0.5, 0.6),
                delay: 1,
                plasticity: None,
            },
        ],
        outputs: vec!["hidden".into(), "out".into()],
        noise_seed: None,
    }
}

/// Recurrent weight scale: strong enough to matter, weak enough that the network
/// is not chaotic (a chaotic network diverges from any perturbation, so
/// spike-by-spike agreement stops being a measure of quantization).
const RECUR: f64 = 0.1;
fn poisson(seed: u64, steps: usize, channels: usize, p: f64) -> Vec<Vec<bool>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..steps)
        .map(|_| (0..channels).map(|_| rng.random_bool(p)).collect())
        .collect()
}

/// Fraction of (output neuron, step) pairs where chip and float agree, with
/// each output's pipeline depth (its chip latency) taken out.
fn agreement(net: &Network, arch: &Arch, input: &[Vec<bool>]) -> (f64, usize) {
    let compiled = compile(net, arch, 7).unwrap();
    let p = &compiled.program;
    let lat = p.provenance.output_latency_steps as usize;
    let steps = input.len();
    let stream = SpikeStream::from_rows(input, (steps + lat) as u32, net.dt).unwrap();
    let chip = run(
        p,
        &stream,
        &RunConfig::new((steps + lat) as u32, 2),
        &|_| {},
    )
    .unwrap();
    let dense = chip.spikes.to_dense();
    let n = p.outputs.len();
    let float = sim::simulate(net, input);
    let depths = net.depths().unwrap();
    let lat_of: Vec<usize> = net
        .outputs
        .iter()
        .flat_map(|o| {
            let p = net.population(o).unwrap();
            std::iter::repeat_n(depths[p] as usize, net.populations[p].size)
        })
        .collect();
    let (mut same, mut total, mut fired) = (0usize, 0usize, 0usize);
    for t in 0..steps {
        for k in 0..n {
            let c = dense[(t + lat_of[k]) * n + k] != 0;
            same += (c == float.spikes[t][k]) as usize;
            fired += float.spikes[t][k] as usize;
            total += 1;
        }
    }
    (same as f64 / total as f64, fired)
}

#[test]
fn wide_formats_agree_with_the_float_network() {
    for seed in 0..3 {
        let net = mlp(seed, 24, 96, 10);
        let input = poisson(seed + 10, 200, 24, 0.15);
        let (agree, fired) = agreement(&net, &wide(), &input);
        eprintln!(
            "seed {seed}: agreement {:.4} over {fired} float spikes",
            agree
        );
        assert!(fired > 500, "the network must be active");
        assert!(agree >= 0.99, "seed {seed}: {agree}");
    }
}

#[test]
fn loihi_8_bit_agreement_is_measured_not_assumed() {
    let net = mlp(5, 24, 96, 10);
    let input = poisson(15, 200, 24, 0.15);
    let (agree, _) = agreement(&net, &Arch::preset("loihi").unwrap(), &input);
    eprintln!("loihi agreement {agree:.4}");
    assert!(agree > 0.9, "{agree}");
}

#[test]
fn networks_that_do_not_fit_name_the_layer_and_the_cores() {
    let mut net = mlp(1, 16, 2500, 10);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    net.projections[2].weights = dense(&mut rng, 10, 2500, 0.5, 0.3);
    net.projections[2].delay = 0; // xylo has no delays, and this test is about cores
    match compile(&net, &Arch::preset("xylo").unwrap(), 1) {
        Err(CompileError::TooManyCores {
            needed,
            available,
            detail,
            ..
        }) => {
            assert_eq!(available, 1);
            assert!(needed >= 3, "{needed}");
            assert!(detail.contains("'hidden'"), "{detail}");
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("3000 neurons cannot fit one xylo core"),
    }
}

/// A delay the chip cannot hold is refused before packing, naming the layer
/// and the limit (xylo has no synaptic delays; fpga-small holds 15 steps).
#[test]
fn delays_a_chip_cannot_hold_name_the_layer() {
    let net = mlp(1, 16, 32, 10); // hidden → out has a delay of 1 step
    let e = compile(&net, &Arch::preset("xylo").unwrap(), 1)
        .err()
        .expect("xylo has no delays")
        .to_string();
    assert!(
        e.contains("'out'") && e.contains("from 'hidden'") && e.contains("core.max_delay"),
        "{e}"
    );
    let mut far = net.clone();
    far.projections[2].delay = 16;
    let e = compile(&far, &Arch::preset("fpga-small").unwrap(), 1)
        .err()
        .expect("16 steps pass fpga-small's 15")
        .to_string();
    assert!(e.contains("16 steps") && e.contains("at most 15"), "{e}");
    far.projections[2].delay = 15;
    compile(&far, &Arch::preset("fpga-small").unwrap(), 1).expect("15 steps fit");
}

#[test]
fn placement_is_deterministic_and_beats_in_order() {
    let net = mlp(2, 64, 600, 10);
    let arch = Arch::preset("fpga-small").unwrap();
    let mut arch = arch;
    arch.topology.tiles_x = 4;
    arch.topology.tiles_y = 4;
    // Recurrent random layers need many axons per core.
    arch.core.max_axons = 2048;
    let a = compile(&net, &arch, 3).unwrap();
    let b = compile(&net, &arch, 3).unwrap();
    assert_eq!(a.program, b.program);
    assert!(a.report.cores_used >= 4, "{}", a.report.table());
    assert!(
        a.report.placement_optimized < a.report.placement_in_order,
        "{}",
        a.report.table()
    );
    eprintln!("{}", a.report.table());
}

#[test]
fn ron_network_files_round_trip() {
    let net = mlp(4, 8, 16, 3);
    let text = net.to_ron();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.ron");
    std::fs::write(&path, &text).unwrap();
    let back = Network::load(&path).unwrap();
    assert_eq!(back, net);
}

/// 300 inputs into 8 CUBA LIF neurons, every weight a large fraction of the
/// threshold: at the gain that fills the threshold field, its current would
/// leave any preset's state register when many inputs fire together.
fn wide_layer(alpha: f64) -> Network {
    let inputs = 300;
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    Network {
        name: "wide".into(),
        dt: 1e-3,
        inputs: vec![Input {
            name: "in".into(),
            size: inputs,
        }],
        populations: vec![Population {
            name: "hot".into(),
            size: 8,
            neuron: Neuron::CubaLif {
                alpha: Param::Scalar(alpha),
                beta: Param::Scalar(0.9),
                threshold: Param::Scalar(1.0),
                bias: Param::Scalar(0.0),
                current_bias: Param::Scalar(0.0),
            },
            reset: Default::default(),
            schedule: None,
            noise: None,
            dendrites: None,
        }],
        projections: vec![Projection {
            from: "in".into(),
            to: "hot".into(),
            weights: Weights::Dense(
                (0..8)
                    .map(|_| (0..inputs).map(|_| rng.random_range(0.2..0.6)).collect())
                    .collect(),
            ),
            delay: 0,
            plasticity: None,
        }],
        outputs: vec!["hot".into()],
        noise_seed: None,
    }
}

/// The quantizer's headroom is a bound, not a hope: a layer of 300 inputs,
/// each weight a large fraction of the threshold, all firing every step,
/// drives its current far past a 16- or 24-bit register at the gain that
/// uses the threshold field; the compiled program must never wrap or
/// saturate, and the report must say how much room is left.
#[test]
fn worst_case_currents_never_wrap_or_saturate() {
    for (arch, alpha) in [("loihi", 0.0), ("loihi", 0.8), ("xylo", 0.5)] {
        let inputs = 300;
        let net = wide_layer(alpha);
        let c = compile(&net, &Arch::preset(arch).unwrap(), 1).unwrap();
        let layer = &c.report.layers[0];
        let room = layer.current_headroom.unwrap();
        // lowered by a power of two: between 1 and 2 (with the 1/64 margin)
        assert!((1.0..2.1).contains(&room), "{arch}: headroom {room}");
        let steps = 30;
        let all = vec![vec![true; inputs]; steps];
        let input = SpikeStream::from_rows(&all, steps as u32, net.dt).unwrap();
        let out = run(
            &c.program,
            &input,
            &RunConfig::new(steps as u32, 1),
            &|_| {},
        )
        .unwrap();
        assert!(out.report.totals.spikes > 0, "{arch}: the layer fires");
        assert_eq!(out.report.layers.len(), 1);
        assert_eq!(out.report.layers[0].layer, "hot");
        assert_eq!(
            out.report.totals.saturations, 0,
            "{arch}, alpha {alpha}: registers wrapped or saturated (threshold bits {:?})",
            layer.threshold_bits
        );
    }
}

/// Sized from samples, the same layer keeps more threshold bits, and the
/// samples it was sized from (and inputs like them) do not overflow.
#[test]
fn sampled_headroom_keeps_more_threshold_bits_and_holds_on_its_samples() {
    use spikefab_compiler::{compile_sized, Headroom, Options};
    let net = wide_layer(0.5);
    let arch = Arch::preset("loihi").unwrap();
    let samples: Vec<Vec<Vec<bool>>> = (0..4).map(|s| poisson(40 + s, 30, 300, 0.05)).collect();
    let chip_form = net.with_current_biases_on_membrane();
    let peaks = samples.iter().fold(vec![0.0f64], |p, x| {
        vec![p[0].max(sim::simulate(&chip_form, x).peak_current[0])]
    });
    let worst = compile(&net, &arch, 1).unwrap();
    let sampled = compile_sized(
        &net,
        &arch,
        1,
        None,
        &Options {
            headroom: Headroom::Sampled(peaks),
            ..Default::default()
        },
    )
    .unwrap();
    let bits = |c: &spikefab_compiler::Compiled| c.report.layers[0].threshold_bits.unwrap();
    assert!(
        bits(&sampled) > bits(&worst),
        "{} vs {}",
        bits(&sampled),
        bits(&worst)
    );
    for (k, x) in samples
        .iter()
        .chain([&poisson(99, 30, 300, 0.05)])
        .enumerate()
    {
        let input = SpikeStream::from_rows(x, 30, net.dt).unwrap();
        let out = run(&sampled.program, &input, &RunConfig::new(30, 1), &|_| {}).unwrap();
        assert!(out.report.totals.spikes > 0, "sample {k}: fires");
        assert_eq!(out.report.totals.saturations, 0, "sample {k}");
    }
    // ... and a wrong count of peaks is an error, not a guess
    assert!(compile_sized(
        &net,
        &arch,
        1,
        None,
        &Options {
            headroom: Headroom::Sampled(vec![]),
            ..Default::default()
        }
    )
    .is_err());
}

/// `net` with every weight moved to the nearest of `levels` steps of the
/// largest weight into its layer: what a model trained quantization-aware
/// (symmetric, one scale per layer) exports. Delays dropped, as `xylo` has
/// none.
fn on_grid(mut net: Network, levels: i32) -> Network {
    for to in net
        .populations
        .iter()
        .map(|p| p.name.clone())
        .collect::<Vec<_>>()
    {
        let mut into: Vec<&mut Projection> =
            net.projections.iter_mut().filter(|p| p.to == to).collect();
        let max = into.iter().map(|p| p.weights.max_abs()).fold(0.0, f64::max);
        let step = max / levels as f64;
        for pr in &mut into {
            let Weights::Dense(rows) = &mut pr.weights else {
                unreachable!("mlp() builds dense weights")
            };
            for w in rows.iter_mut().flatten() {
                *w = (*w / step).round() * step;
            }
        }
    }
    without_delays(net)
}

fn without_delays(mut net: Network) -> Network {
    for pr in &mut net.projections {
        pr.delay = 0;
    }
    net
}

/// The top of `arch`'s weight field for mixed-sign weights.
fn field(arch: &Arch) -> i32 {
    let f = &arch.format;
    (1 << (f.weight_bits - 1)) - 1 - f.mixed_sign_weights_even as i32
}

/// Per layer: its name, its largest |weight mantissa| on the chip, and the
/// report's weight error.
fn top_mantissas(net: &Network, arch: &Arch) -> Vec<(String, i32, f64)> {
    let c = compile(net, arch, 7).unwrap();
    c.report
        .layers
        .iter()
        .map(|l| {
            let top = c
                .program
                .cores
                .iter()
                .flat_map(|core| {
                    // the synapse words of this core that feed layer l
                    let mut first = 0u16;
                    let mut mine = Vec::new();
                    for g in &core.groups {
                        let n = g.len() as u16;
                        if g.name == l.name || g.name.starts_with(&format!("{}[", l.name)) {
                            mine.push(first..first + n);
                        }
                        first += n;
                    }
                    core.synapses
                        .iter()
                        .filter(move |s| mine.iter().any(|r| r.contains(&s.target)))
                        .map(|s| s.weight.unsigned_abs() as i32)
                        .collect::<Vec<_>>()
                })
                .max()
                .unwrap_or(0);
            (l.name.clone(), top, l.weight_error)
        })
        .collect()
}

#[test]
fn the_largest_weight_takes_the_top_of_the_weight_field() {
    // Untrained weights: each layer's largest lands on the field's top
    // (mixed-sign weights on loihi are kept even), not anywhere in its
    // upper half as a gain chosen for the threshold alone would put it.
    let net = without_delays(mlp(3, 24, 96, 10));
    for preset in ["loihi", "xylo", "fpga-small"] {
        let arch = Arch::preset(preset).unwrap();
        for (layer, top, _) in top_mantissas(&net, &arch) {
            assert_eq!(top, field(&arch), "{preset} layer {layer}");
        }
    }
}

#[test]
fn weights_already_on_a_grid_compile_without_rounding() {
    // Each grid takes the largest multiple of its levels that fits the
    // field (an even multiple where mixed-sign weights are kept even), so
    // every weight is an integer mantissa.
    for levels in [3, 63, 100] {
        let net = on_grid(mlp(4, 24, 96, 10), levels);
        for preset in ["loihi", "xylo"] {
            let arch = Arch::preset(preset).unwrap();
            let (field, even) = (field(&arch), arch.format.mixed_sign_weights_even);
            let c = if even {
                (field / levels) & !1
            } else {
                field / levels
            };
            for (layer, top, error) in top_mantissas(&net, &arch) {
                assert!(
                    error < 1e-6,
                    "{levels} levels on {preset}, {layer}: error {error}"
                );
                assert_eq!(top, levels * c, "{levels} levels on {preset}, {layer}");
            }
        }
    }
    // Off the grid by a hair: rounded as usual, not taken for a grid.
    let mut net = on_grid(mlp(4, 24, 96, 10), 63);
    if let Weights::Dense(rows) = &mut net.projections[0].weights {
        rows[0][1] += 0.003;
    }
    let (_, top, error) = top_mantissas(&net, &Arch::preset("xylo").unwrap())[0].clone();
    assert!(error > 1e-4 && top == 127, "{error} {top}");
}

/// `mlp` with an ALIF hidden layer: the resting threshold of the LIF, a
/// threshold that rises by `step` per spike and keeps `rho` of its adaptive
/// part per step.
fn alif_mlp(seed: u64, rho: f64, step: f64) -> Network {
    let mut net = mlp(seed, 24, 96, 10);
    net.populations[0].neuron = Neuron::Alif {
        alpha: Param::Scalar(0.0),
        beta: Param::Scalar(0.9),
        threshold: Param::Scalar(1.0),
        bias: Param::Scalar(0.01),
        adaptation: Param::Scalar(rho),
        threshold_step: Param::Scalar(step),
    };
    net
}

#[test]
fn alif_on_wide_formats_agrees_with_the_float_network_and_adapts() {
    let input = poisson(31, 200, 24, 0.15);
    let (agree, fired) = agreement(&alif_mlp(2, 0.95, 0.5), &wide(), &input);
    eprintln!("ALIF: agreement {agree:.4} over {fired} float spikes");
    assert!(fired > 500, "the network must be active");
    assert!(agree >= 0.99, "{agree}");
    // The adaptation is real: with a zero step the network is the LIF one
    // and fires more.
    let lif = sim::simulate(&alif_mlp(2, 0.95, 0.0), &input);
    let adapted = sim::simulate(&alif_mlp(2, 0.95, 0.5), &input);
    let count = |r: &sim::FloatRun| r.spikes.iter().flatten().filter(|&&s| s).count();
    assert!(
        count(&adapted) * 10 < count(&lif) * 8,
        "adaptation must cut spikes: {} vs {}",
        count(&adapted),
        count(&lif)
    );
}

#[test]
fn a_chip_without_alif_refuses_naming_the_layer_and_bad_parameters_are_named() {
    let net = alif_mlp(2, 0.95, 0.5);
    let mut arch = Arch::preset("loihi").unwrap();
    arch.core.models = [ModelKind::CubaLif, ModelKind::If, ModelKind::Li]
        .into_iter()
        .collect();
    let Err(e) = compile(&net, &arch, 1) else {
        panic!("the chip has no ALIF")
    };
    let e = e.to_string();
    assert!(e.contains("hidden") && e.contains("ALIF"), "{e}");
    for (rho, step, field) in [
        (1.5, 0.5, "adaptation"),
        (0.9, -0.1, "threshold_step"),
        (f64::NAN, 0.5, "adaptation"),
    ] {
        let Err(e) = compile(&alif_mlp(2, rho, step), &Arch::preset("loihi").unwrap(), 1) else {
            panic!("{field} out of range must be refused")
        };
        let e = e.to_string();
        assert!(e.contains("hidden") && e.contains(field), "{e}");
    }
}

/// `alif_mlp` with schedules: the hidden ALIF layer's threshold moves by a
/// per-step offset (CE-LIF's contextual embedding) and holds every fifth
/// step; the readout weights its input by a per-step power of two. Lengths
/// 7 and 3 divide neither the run nor each other, and the layers sit at
/// different pipeline depths, so a table indexed or rotated wrongly shows.
fn scheduled_mlp(seed: u64) -> Network {
    let mut net = alif_mlp(seed, 0.95, 0.3);
    let mut rng = ChaCha8Rng::seed_from_u64(seed + 100);
    net.populations[0].schedule = Some(Schedule {
        threshold: (0..7)
            .map(|k| (k % 5 != 4).then(|| rng.random_range(-0.4..0.6)))
            .collect(),
        input_shift: vec![0, 0, 0, 1, 0, 0, -1],
    });
    net.populations[1].schedule = Some(Schedule {
        threshold: vec![],
        input_shift: vec![0, -1, 1],
    });
    net
}

#[test]
fn scheduled_thresholds_and_input_weighting_agree_with_the_float_network() {
    let input = poisson(41, 200, 24, 0.15);
    let net = scheduled_mlp(3);
    let (agree, fired) = agreement(&net, &wide(), &input);
    eprintln!("scheduled ALIF: agreement {agree:.4} over {fired} float spikes");
    assert!(fired > 300, "the network must be active");
    assert!(agree >= 0.99, "{agree}");
    // The schedule is real: without it the hidden layer fires differently.
    let mut plain = net.clone();
    plain.populations[0].schedule = None;
    let hidden = |n: &Network| {
        let mut n = n.clone();
        n.outputs = vec!["hidden".into()];
        sim::simulate(&n, &input).spikes
    };
    let (a, b) = (hidden(&net), hidden(&plain));
    let differ = a
        .iter()
        .flatten()
        .zip(b.iter().flatten())
        .filter(|(x, y)| x != y)
        .count();
    assert!(
        differ > 200,
        "the schedule changed only {differ} (neuron, step) pairs"
    );
    // Held steps fire nothing: entries 4 (t mod 7 = 4) of the hidden layer.
    assert!(a.iter().skip(4).step_by(7).flatten().all(|&s| !s));
    // The same spikes, energy and latency for any thread count.
    let c = compile(&net, &wide(), 7).unwrap();
    let steps = input.len() as u32 + c.program.provenance.output_latency_steps;
    let stream = SpikeStream::from_rows(&input, steps, net.dt).unwrap();
    let with = |threads| {
        run(
            &c.program,
            &stream,
            &RunConfig::new(steps, threads),
            &|_| {},
        )
        .unwrap()
    };
    let (one, two) = (with(1), with(2));
    assert_eq!(one.spikes, two.spikes);
    assert_eq!(one.report.totals, two.report.totals);
    assert!(one.report.totals.schedule_lookups > 0);
    assert_eq!(
        one.report.energy.total_pj.to_bits(),
        two.report.energy.total_pj.to_bits()
    );
    assert_eq!(
        one.report.latency.total_ns.to_bits(),
        two.report.latency.total_ns.to_bits()
    );
}

#[test]
fn schedules_are_refused_where_they_cannot_run_naming_the_layer_and_field() {
    let net = scheduled_mlp(3);
    let mut arch = Arch::preset("loihi").unwrap();
    arch.core.schedule_entries = 0;
    let refused = |arch: &Arch| match compile(&net, arch, 1) {
        Ok(_) => panic!("the chip cannot hold the schedule"),
        Err(e) => e.to_string(),
    };
    let e = refused(&arch);
    assert!(
        e.contains("hidden") && e.contains("schedule_entries"),
        "{e}"
    );
    arch.core.schedule_entries = 5;
    let e = refused(&arch);
    assert!(e.contains("hidden") && e.contains("7 entries"), "{e}");
    let bad = |f: &dyn Fn(&mut Schedule)| {
        let mut n = scheduled_mlp(3);
        f(n.populations[0].schedule.as_mut().unwrap());
        let text = n.to_ron();
        Network::from_ron_str(&text, std::path::Path::new("bad.ron"))
            .unwrap_err()
            .to_string()
    };
    let e = bad(&|s| *s = Schedule::default());
    assert!(e.contains("hidden") && e.contains("length 0"), "{e}");
    let e = bad(&|s| s.input_shift.push(0));
    assert!(e.contains("hidden") && e.contains("same length"), "{e}");
    let e = bad(&|s| s.threshold[0] = Some(-1.5));
    assert!(
        e.contains("hidden") && e.contains("threshold[0]") && e.contains("below 0"),
        "{e}"
    );
    let e = bad(&|s| s.input_shift[2] = 40);
    assert!(e.contains("hidden") && e.contains("input_shift[2]"), "{e}");
    // NaN cannot be written in RON's f64 round trip test above; check it directly.
    let mut n = scheduled_mlp(3);
    n.populations[0].schedule.as_mut().unwrap().threshold[1] = Some(f64::NAN);
    let e = n.validate().unwrap_err().to_string();
    assert!(
        e.contains("hidden") && e.contains("threshold[1] is not finite"),
        "{e}"
    );
    // A readout has no threshold to schedule.
    let mut n = scheduled_mlp(3);
    n.populations[1].neuron = Neuron::Li {
        beta: Param::Scalar(0.9),
        bias: Param::Scalar(0.0),
    };
    n.populations[1].schedule.as_mut().unwrap().threshold = vec![Some(0.5); 3];
    let e = n.validate().unwrap_err().to_string();
    assert!(e.contains("readout"), "{e}");
}

/// A law the input weighting must keep: a constant shift of `k` is the
/// network with every incoming weight scaled by `2^k`, spike for spike on
/// the chip (the quantizer lands on the same mantissas).
#[test]
fn a_constant_input_shift_is_the_network_with_scaled_weights() {
    let input = poisson(43, 150, 24, 0.15);
    for k in [-1i8, 1] {
        let mut shifted = alif_mlp(3, 0.95, 0.3);
        shifted.populations[0].schedule = Some(Schedule {
            threshold: vec![],
            input_shift: vec![k],
        });
        let mut scaled = alif_mlp(3, 0.95, 0.3);
        for p in scaled.projections.iter_mut().filter(|p| p.to == "hidden") {
            if let Weights::Dense(rows) = &mut p.weights {
                rows.iter_mut()
                    .flatten()
                    .for_each(|w| *w *= 2f64.powi(k as i32));
            }
        }
        let spikes = |net: &Network| {
            let c = compile(net, &wide(), 7).unwrap();
            let steps = input.len() as u32 + c.program.provenance.output_latency_steps;
            let stream = SpikeStream::from_rows(&input, steps, net.dt).unwrap();
            run(&c.program, &stream, &RunConfig::new(steps, 2), &|_| {})
                .unwrap()
                .spikes
        };
        let (a, b) = (spikes(&shifted), spikes(&scaled));
        assert!(a.len() > 1000, "shift {k}: the network must be active");
        assert_eq!(a, b, "shift {k}");
    }
}

/// `mlp` with a dendritic hidden layer: `k` branches a neuron, each with its
/// own input and recurrent weights (rows `neuron·k + branch`), capped at `cap`.
fn dendritic_mlp(seed: u64, k: usize, cap: f64) -> Network {
    let mut net = mlp(seed, 24, 96, 10);
    let mut rng = ChaCha8Rng::seed_from_u64(seed + 200);
    net.populations[0].dendrites = Some(Dendrites { branches: k, cap });
    net.projections[0].weights = dense(&mut rng, 96 * k, 24, 0.6, 0.5);
    net.projections[1].weights = dense(&mut rng, 96 * k, 96, RECUR, 0.1);
    net
}

#[test]
fn dendrites_agree_with_the_float_network_and_their_caps_matter() {
    let input = poisson(41, 200, 24, 0.15);
    let net = dendritic_mlp(3, 3, 0.35);
    let (agree, fired) = agreement(&net, &wide(), &input);
    eprintln!("dendrites: agreement {agree:.4} over {fired} float spikes (wide)");
    assert!(fired > 500, "the network must be active");
    assert!(agree >= 0.99, "{agree}");
    let (agree, _) = agreement(&net, &Arch::preset("loihi").unwrap(), &input);
    eprintln!("dendrites: agreement {agree:.4} on loihi");
    assert!(agree > 0.9, "{agree}");
    // The cap is real: an uncapped tree (every branch rectified only) fires more.
    let count = |r: &sim::FloatRun| r.spikes.iter().flatten().filter(|&&s| s).count();
    let capped = count(&sim::simulate(&net, &input));
    let uncapped = count(&sim::simulate(&dendritic_mlp(3, 3, 1e9), &input));
    assert!(capped * 10 < uncapped * 9, "{capped} vs {uncapped}");
}

#[test]
fn dendrites_are_refused_where_they_cannot_run_naming_the_layer_and_field() {
    let loihi = Arch::preset("loihi").unwrap();
    let refused = common::assert_refused;
    refused(
        &dendritic_mlp(1, 0, 0.5),
        &loihi,
        &["hidden", "branches 0 is outside 1..=16"],
    );
    refused(
        &dendritic_mlp(1, 17, 0.5),
        &loihi,
        &["hidden", "branches 17"],
    );
    for cap in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        refused(
            &dendritic_mlp(1, 2, cap),
            &loihi,
            &["hidden", "dendrites cap"],
        );
    }
    // over the chip's limit (loihi: 4), or a chip without dendrites
    refused(
        &dendritic_mlp(1, 5, 0.5),
        &loihi,
        &[
            "hidden",
            "5 dendritic branches",
            "allows 4",
            "compartments_per_neuron",
        ],
    );
    refused(
        &dendritic_mlp(1, 2, 0.5),
        &Arch::preset("xylo").unwrap(),
        &["hidden", "point neurons only"],
    );
    // a cap below one input unit of the chip
    refused(
        &dendritic_mlp(1, 2, 1e-9),
        &loihi,
        &["hidden", "below the smallest"],
    );
    // weights must have a row per branch
    let mut net = dendritic_mlp(1, 2, 0.5);
    net.projections[0].weights = mlp(1, 24, 96, 10).projections[0].weights.clone();
    refused(&net, &loihi, &["192 × 24", "neurons × 2 branches"]);
}
