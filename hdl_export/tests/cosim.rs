//! Co-simulation is the proof: export compiled programs, run the testbench in
//! Icarus Verilog, and require the RTL's output spikes to equal the emulator's.
//! Skips (loudly) only where iverilog is not installed; CI installs it.

use spikefab_chip::model::{alif, cuba_lif, if_, li};
use spikefab_chip::{
    Arch, CoreProgram, ModelKind, NeuronGroup, Neurons, Reset, Route, SpikeStream,
};
use spikefab_emulator::workload::{poisson_input, Synthetic};
use spikefab_emulator::{run, RunConfig};
use spikefab_hdl::{cosim, export, Formats, TbRun, Testbench};

fn cosim_program(name: &str, p: &CoreProgram, input: &SpikeStream, steps: u32) -> usize {
    cosim_runs(name, p, std::slice::from_ref(input), steps)
}

/// One testbench run per input, each expecting the emulator's spikes on it.
fn testbench<'a>(
    steps: u32,
    inputs: &'a [SpikeStream],
    outs: &'a [spikefab_emulator::RunOutput],
) -> Testbench<'a> {
    Testbench {
        steps,
        runs: inputs
            .iter()
            .zip(outs)
            .map(|(input, o)| TbRun {
                input,
                expected: &o.spikes,
            })
            .collect(),
    }
}

/// Exports `p` with one testbench run per input (run r > 0 after `start` or
/// a reset) and requires every run's spikes to equal the emulator's.
fn cosim_runs(name: &str, p: &CoreProgram, inputs: &[SpikeStream], steps: u32) -> usize {
    cosim_cycles(name, p, inputs, steps).0
}

/// [`cosim_runs`], returning also the RTL's cycles and the emulator's
/// latency (ns) of every step of every run.
fn cosim_cycles(
    name: &str,
    p: &CoreProgram,
    inputs: &[SpikeStream],
    steps: u32,
) -> (usize, Vec<(u64, f64)>) {
    let cfg = RunConfig {
        record_steps: true,
        ..RunConfig::new(steps, 1)
    };
    let outs: Vec<_> = inputs
        .iter()
        .map(|i| run(p, i, &cfg, &|_| {}).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    export(
        p,
        dir.path(),
        Formats::default(),
        &testbench(steps, inputs, &outs),
    )
    .unwrap();
    if cosim::verilator_available() {
        let lint = cosim::lint_verilator(dir.path()).unwrap();
        assert!(lint.is_empty(), "{name}: verilator -Wall:\n{lint}");
    }
    if !cosim::iverilog_available() {
        eprintln!("!!! SKIPPED co-simulation of {name}: iverilog is not installed (apt-get install iverilog) !!!");
        return (0, Vec::new());
    }
    let c = cosim::run_iverilog(dir.path()).unwrap();
    eprintln!("{name}: cycles per step {:?}", c.cycles);
    assert!(
        c.equal(),
        "{name}: {}",
        c.first_difference().unwrap_or_default()
    );
    assert_eq!(c.cycles.len(), inputs.len(), "{name}: every run's steps");
    assert!(
        !c.bad_channel,
        "{name}: the stimulus names only existing channels"
    );
    assert!(!c.expected.is_empty(), "{name}: the network must spike");
    eprintln!("{name}: {} spikes equal", c.expected.len());
    let steps: Vec<(u64, f64)> = c
        .cycles
        .iter()
        .zip(&outs)
        .flat_map(|(cycles, o)| {
            assert_eq!(cycles.len(), o.report.per_step.len(), "{name}: steps");
            cycles
                .iter()
                .zip(&o.report.per_step)
                .map(|(&n, r)| (n, r.latency_ns))
        })
        .collect();
    (c.expected.len(), steps)
}

fn synthetic(arch: &str, cores: usize, n: usize, max_delay: u8, seed: u64) -> CoreProgram {
    Synthetic {
        arch: Arch::preset(arch).unwrap(),
        cores,
        neurons_per_core: n,
        fanout: 12,
        dest_cores: cores.min(3),
        inputs: 8,
        input_fanout: 8,
        max_delay,
        outputs: cores * n,
        one_core_per_tile: true,
        seed,
    }
    .build()
}

#[test]
fn single_core_loihi_mul12() {
    let p = synthetic("loihi", 1, 24, 0, 1);
    cosim_program("single core", &p, &poisson_input(8, 50, 0.2, p.dt, 2), 50);
}

#[test]
fn four_cores_with_routing_and_delays() {
    let p = synthetic("fpga-small", 4, 16, 3, 3);
    cosim_program(
        "4 cores, delays",
        &p,
        &poisson_input(8, 60, 0.2, p.dt, 4),
        60,
    );
}

/// The `fpga-small` latency model against the RTL's measured cycles: total
/// within 1 % on every program (the issue asks 5 %), every step within 5 %.
#[test]
fn fpga_small_latency_is_the_rtl_cycle_count() {
    if !cosim::iverilog_available() {
        eprintln!("!!! SKIPPED the cycle-model check: iverilog is not installed !!!");
        return;
    }
    let arch = Arch::preset("fpga-small").unwrap();
    let ns_per_cycle = 1e9 / arch.timing.clock_hz.unwrap();
    let mut programs: Vec<(String, CoreProgram, u32, f64)> = Vec::new();
    for (cores, n, delay, rate, seed) in [
        (1, 40, 0, 0.2, 41),
        (2, 64, 2, 0.3, 42),
        (4, 24, 5, 0.15, 43),
        (3, 100, 1, 0.6, 44), // input-heavy: the input port rivals the updates
    ] {
        programs.push((
            format!("{cores} cores x {n}, delay {delay}, p {rate}"),
            synthetic("fpga-small", cores, n, delay, seed),
            40,
            rate,
        ));
    }
    // Several spikes a step: each repetition is a listed neuron's cycles.
    let mut multi = synthetic("fpga-small", 2, 48, 1, 45);
    for g in multi.cores.iter_mut().flat_map(|c| &mut c.groups) {
        g.reset = Reset::Subtract { max_spikes: 4 };
        g.weight_exp += 2;
    }
    programs.push(("2 cores x 48, up to 4 spikes a step".into(), multi, 40, 0.3));
    // Dendrites: a K-branch neuron is K + 1 update cycles.
    let dendritic = with_dendrites(synthetic("fpga-small", 2, 40, 1, 46), 3);
    programs.push((
        "2 cores x 40, half with 3 branches".into(),
        dendritic,
        40,
        0.3,
    ));
    // Learning: a trace a cycle, a plastic synapse a cycle (and a bubble
    // cycle between the two passes, in the 1 % left).
    programs.push((
        "3 cores x 40, plastic".into(),
        with_learning(synthetic("fpga-small", 3, 40, 1, 47)),
        40,
        0.3,
    ));
    let (rleaky, x) = compiled("rleaky", "fpga-small");
    let steps = x.len() as u32 + 2;
    let rleaky_input = SpikeStream::from_rows(&x, steps, rleaky.dt).unwrap();
    programs.push(("rleaky (snnTorch)".into(), rleaky, steps, f64::NAN));
    for (name, p, steps, rate) in &programs {
        let input = if rate.is_nan() {
            rleaky_input.clone()
        } else {
            poisson_input(8, *steps, *rate, p.dt, 7)
        };
        let (_, per_step) = cosim_cycles(name, p, &[input], *steps);
        let rtl: u64 = per_step.iter().map(|s| s.0).sum();
        let model: f64 = per_step.iter().map(|s| s.1 / ns_per_cycle).sum();
        let mut ratios: Vec<f64> = per_step
            .iter()
            .map(|&(n, ns)| ns / ns_per_cycle / n as f64)
            .collect();
        ratios.sort_by(f64::total_cmp);
        let total = model / rtl as f64;
        eprintln!(
            "{name}: RTL {rtl} cycles, model {model:.0} (ratio {total:.4}); per step min {:.3} median {:.3} max {:.3}",
            ratios[0],
            ratios[ratios.len() / 2],
            ratios[ratios.len() - 1]
        );
        // The issue asks for 5 % on the total; the model is exact but for a
        // cycle or two of phase handshakes in some steps.
        assert!((total - 1.0).abs() < 0.01, "{name}: model/RTL = {total:.4}");
        assert!(
            ratios[0] > 0.95 && ratios[ratios.len() - 1] < 1.05,
            "{name}: a step off by more than 5 %: {ratios:?}"
        );
    }
}

#[test]
fn three_inferences_on_one_bitstream_after_start_and_after_reset() {
    // Run 1 follows `start`, run 2 a reset pulse, each with the state of the
    // run before still in the RAMs: both must clear it for the spikes to match.
    let p = synthetic("fpga-small", 3, 16, 2, 21);
    let inputs: Vec<SpikeStream> = (0..3)
        .map(|seed| poisson_input(8, 30, 0.25, p.dt, 30 + seed))
        .collect();
    cosim_runs("three inferences", &p, &inputs, 30);
}

#[test]
fn shift_decay_xylo() {
    let p = synthetic("xylo", 1, 32, 0, 5);
    cosim_program(
        "xylo shift decay",
        &p,
        &poisson_input(8, 50, 0.2, p.dt, 6),
        50,
    );
}

/// The neurons of a synthetic program's group (always CUBA LIF).
fn lif(g: &mut NeuronGroup) -> &mut Vec<cuba_lif::Stored> {
    match &mut g.neurons {
        Neurons::CubaLif(n) => n,
        other => panic!("synthetic groups are CUBA LIF, found {:?}", other.kind()),
    }
}

/// The models the reference RTL has a block for.
fn with_rtl() -> Vec<ModelKind> {
    ModelKind::ALL
        .iter()
        .copied()
        .filter(|&k| spikefab_hdl::models::block(k).is_some())
        .collect()
}

/// `p` with core `c`'s neurons turned into model `kinds[c % len]`, keeping
/// what parameters the model has (so every model's RTL block runs).
fn every_model(mut p: CoreProgram, kinds: &[ModelKind]) -> CoreProgram {
    p.arch.core.models = kinds.iter().copied().collect();
    // ALIF's adaptation halves in about 6 steps on either decay rule
    let da = match p.arch.format.decay {
        spikefab_chip::DecayRule::Mul12 { .. } => 512,
        spikefab_chip::DecayRule::Shift => 3,
    };
    for (c, core) in p.cores.iter_mut().enumerate() {
        let kind = kinds[c % kinds.len()];
        for g in &mut core.groups {
            let n = lif(g).clone();
            g.neurons = match kind {
                ModelKind::CubaLif => Neurons::CubaLif(n),
                ModelKind::If => Neurons::If(
                    n.iter()
                        .map(|x| if_::Stored {
                            bias_mant: x.bias_mant,
                            bias_exp: x.bias_exp,
                            vth: x.vth,
                        })
                        .collect(),
                ),
                ModelKind::Li => Neurons::Li(
                    n.iter()
                        .map(|x| li::Stored {
                            du: x.du,
                            dv: x.dv,
                            bias_mant: x.bias_mant,
                            bias_exp: x.bias_exp,
                        })
                        .collect(),
                ),
                ModelKind::Alif => Neurons::Alif(
                    n.iter()
                        .map(|x| alif::Stored {
                            du: x.du,
                            dv: x.dv,
                            da,
                            bias_mant: x.bias_mant,
                            bias_exp: x.bias_exp,
                            vth: x.vth,
                            step: x.vth / 2,
                        })
                        .collect(),
                ),
            };
        }
    }
    p
}

#[test]
fn every_model_and_reset_co_simulates_on_both_decay_rules() {
    for (arch, reset) in [
        ("loihi", Reset::Zero),
        ("xylo", Reset::Zero),
        ("loihi", Reset::Subtract { max_spikes: 1 }),
        ("xylo", Reset::Subtract { max_spikes: 1 }),
        ("loihi", Reset::Subtract { max_spikes: 3 }),
        ("xylo", Reset::Subtract { max_spikes: 31 }),
    ] {
        let kinds = with_rtl();
        let mut p = every_model(synthetic(arch, kinds.len(), 16, 1, 21), &kinds);
        // Subtraction shows only when the membrane overshoots the threshold.
        p.arch.core.subtract_reset = true;
        p.arch.core.max_spikes_per_step = reset.max_spikes();
        for g in p.cores.iter_mut().flat_map(|c| &mut c.groups) {
            g.reset = reset;
            if reset.is_subtract() {
                g.weight_exp += 2;
            }
        }
        let arch = format!("{arch}, {reset:?}");
        let out = run(
            &p,
            &poisson_input(8, 40, 0.3, p.dt, 22),
            &RunConfig::new(40, 1),
            &|_| {},
        )
        .unwrap();
        // Cores other than the LI one must fire, or the test shows nothing.
        assert!(out.report.totals.spikes > 20, "{arch}: too few spikes");
        if reset.is_subtract() {
            // ... and the reset must matter.
            let mut zero = p.clone();
            for g in zero.cores.iter_mut().flat_map(|c| &mut c.groups) {
                g.reset = Reset::Zero;
            }
            let z = run(
                &zero,
                &poisson_input(8, 40, 0.3, p.dt, 22),
                &RunConfig::new(40, 1),
                &|_| {},
            )
            .unwrap();
            assert_ne!(z.spikes, out.spikes, "{arch}: the reset changes nothing");
        }
        if reset.max_spikes() > 1 {
            // Every neuron is an output: more spikes than output events
            // means some neuron fired several times in a step.
            assert!(
                out.report.totals.spikes > out.spikes.events().len() as u64,
                "{arch}: no neuron fired twice in a step"
            );
        }
        cosim_program(
            &format!("every model, {arch}"),
            &p,
            &poisson_input(8, 40, 0.3, p.dt, 22),
            40,
        );
    }
}

#[test]
fn alif_co_simulates_and_its_adaptation_changes_the_spikes() {
    for arch in ["fpga-small", "xylo"] {
        let adaptive = every_model(synthetic(arch, 1, 32, 1, 31), &[ModelKind::Alif]);
        let mut plain = adaptive.clone();
        for g in plain.cores.iter_mut().flat_map(|c| &mut c.groups) {
            if let Neurons::Alif(n) = &mut g.neurons {
                n.iter_mut().for_each(|x| x.step = 0);
            }
        }
        let input = poisson_input(8, 40, 0.4, adaptive.dt, 32);
        let spikes = |p: &CoreProgram| {
            run(p, &input, &RunConfig::new(40, 1), &|_| {})
                .unwrap()
                .spikes
        };
        let (a, b) = (spikes(&adaptive), spikes(&plain));
        assert!(
            a.events().len() * 10 < b.events().len() * 9,
            "{arch}: adaptation must cut spikes: {} vs {}",
            a.events().len(),
            b.events().len()
        );
        cosim_program(&format!("ALIF, {arch}"), &adaptive, &input, 40);
    }
}

/// `p` with each core's group split in three: the first and last thirds get
/// schedules of different lengths (threshold offsets of either sign, held
/// steps, input shifts), the middle none — so the RTL's directory, its
/// positions and the entries' fields all show in the spikes.
fn with_schedules(mut p: CoreProgram, seed: u64) -> CoreProgram {
    use spikefab_chip::model::{Schedule, ScheduleStep};
    p.arch.core.schedule_entries = 64;
    let mut rng = seed;
    let mut next = move |m: u64| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) % m
    };
    let (lo, hi) = (p.arch.format.weight_exp_min, p.arch.format.weight_exp_max);
    for core in &mut p.cores {
        let mut groups = Vec::new();
        for g in &core.groups {
            let n = g.len();
            let (a, b) = (n / 3, 2 * n / 3);
            let lowest = g.neurons.lowest_threshold().map_or(0, |x| x.1) as i64;
            let mut table = |len: usize| Schedule {
                steps: (0..len)
                    .map(|k| ScheduleStep {
                        threshold: (k % 4 != 3)
                            .then(|| (next(lowest as u64 + 1) as i64 - lowest / 2) as i32),
                        input_shift: (next(3) as i8 - 1)
                            .clamp(lo - g.weight_exp, hi - g.weight_exp),
                    })
                    .collect(),
            };
            let mut first = g.slice(0..a, format!("{}_a", g.name));
            first.schedule = Some(table(5));
            let middle = g.slice(a..b, format!("{}_b", g.name));
            let mut last = g.slice(b..n, format!("{}_c", g.name));
            last.schedule = Some(table(7));
            groups.extend([first, middle, last]);
        }
        core.groups = groups;
    }
    p
}

/// `p` with every other group noisy (offsets and exponents varied), on a
/// chip with a noise generator and seed `seed`.
fn with_noise(mut p: CoreProgram, seed: u64) -> CoreProgram {
    use spikefab_chip::model::Noise;
    p.arch.core.noise = true;
    p.noise_seed = Some(seed);
    let most = Noise::max_exp(&p.arch.format);
    for (k, g) in p.cores.iter_mut().flat_map(|c| &mut c.groups).enumerate() {
        if k % 2 == 0 {
            g.noise = Some(Noise {
                mant: [0, -1, 1, -2][k / 2 % 4],
                exp: (7 + k as u8 % 5).min(most),
            });
        }
    }
    p
}

/// `p` with the first half of every group dendritic: `k` branches, each
/// synapse of a dendritic neuron moved to one of them (round robin), the
/// cap half the core's largest weight (so that branches saturate).
fn with_dendrites(mut p: CoreProgram, k: u8) -> CoreProgram {
    use spikefab_chip::model::Dendrites;
    p.arch.core.compartments_per_neuron = k as u32;
    for core in &mut p.cores {
        let w_max = core
            .synapses
            .iter()
            .map(|w| w.weight.unsigned_abs())
            .max()
            .unwrap_or(2);
        let mut groups = Vec::new();
        for g in &core.groups {
            let half = g.len().div_ceil(2);
            let mut first = g.slice(0..half, format!("{}_d", g.name));
            let top = Dendrites::max_cap(k, &p.arch.format);
            first.dendrites = Some(Dendrites {
                branches: k,
                cap: (spikefab_chip::neuron::activation(w_max as i32, g.weight_exp) / 2)
                    .clamp(1, top as i32) as u32,
            });
            groups.push(first);
            if half < g.len() {
                groups.push(g.slice(half..g.len(), format!("{}_p", g.name)));
            }
        }
        // each neuron's first input slot, in the new groups' order
        let mut slot_of = Vec::new();
        let mut next = 0u16;
        for g in &groups {
            for _ in 0..g.len() {
                slot_of.push(next);
                next += g.branches() as u16;
            }
        }
        let branches: Vec<u16> = groups
            .iter()
            .flat_map(|g| std::iter::repeat_n(g.branches() as u16, g.len()))
            .collect();
        core.synapses.map_words(|i, mut w| {
            let n = w.target as usize;
            w.target = slot_of[n] + i as u16 % branches[n];
            w
        });
        core.groups = groups;
    }
    p.validate().unwrap();
    p
}

/// `p` on a chip with a learning engine, two rules a core (Hebbian every
/// step; anti-Hebbian every third step, phase 1, slower traces) and two
/// axons in three plastic: their synapses alternate between the rules and,
/// like the routes into them, lose their delays.
fn with_learning(mut p: CoreProgram) -> CoreProgram {
    use spikefab_chip::model::plasticity::LearningRule;
    p.arch.core.plasticity = true;
    let rules = vec![
        LearningRule {
            epoch: 1,
            phase: 0,
            trace_decay: 1024,
            impulse: 64,
            rate: 100,
            rate_shift: 5,
            plastic_decay: 200,
        },
        LearningRule {
            epoch: 3,
            phase: 1,
            trace_decay: 2048,
            impulse: 128,
            rate: -80,
            rate_shift: 4,
            plastic_decay: 50,
        },
    ];
    let mut plastic: Vec<Vec<bool>> = Vec::new();
    for core in &mut p.cores {
        core.learning = rules.clone();
        let s = &mut core.synapses;
        s.rule = vec![0; s.len()];
        let axons: Vec<bool> = (0..s.num_axons()).map(|a| a % 3 != 0).collect();
        for (a, &on) in axons.iter().enumerate() {
            if on {
                for k in s.row(a) {
                    s.rule[k] = 1 + (k % 2) as u8;
                    if let Some(d) = s.delay.get_mut(k) {
                        *d = 0;
                    }
                }
            }
        }
        plastic.push(axons);
    }
    let undelay = |mut r: Route| {
        if plastic[r.core as usize][r.axon as usize] {
            r.delay = 0;
        }
        r
    };
    p.cores.iter_mut().for_each(|c| c.routes.map(undelay));
    p.inputs.map(undelay);
    p.validate().unwrap();
    p
}

#[test]
fn plasticity_co_simulates_with_dendrites_and_several_spikes_a_step() {
    let kinds = with_rtl();
    let plain = every_model(synthetic("fpga-small", 3, 20, 2, 61), &kinds);
    let mut multi = with_dendrites(plain.clone(), 2);
    for g in multi.cores.iter_mut().flat_map(|c| &mut c.groups) {
        g.reset = Reset::Subtract { max_spikes: 3 };
        g.weight_exp += 1;
    }
    for (name, p) in [
        ("learning", with_learning(plain)),
        ("learning, dendrites, 3 spikes a step", with_learning(multi)),
    ] {
        let input = poisson_input(8, 50, 0.3, p.dt, 62);
        let out = run(&p, &input, &RunConfig::new(50, 2), &|_| {}).unwrap();
        let t = &out.report.totals;
        assert!(
            t.learning_updates > 0 && t.trace_updates > 0,
            "{name}: {t:?}"
        );
        // The plastic components must matter: without the rules' updates
        // (rate 0) the spikes differ.
        let mut frozen = p.clone();
        for r in frozen.cores.iter_mut().flat_map(|c| &mut c.learning) {
            r.rate = 0;
        }
        let spikes = |p: &CoreProgram| {
            run(p, &input, &RunConfig::new(50, 1), &|_| {})
                .unwrap()
                .spikes
        };
        assert!(
            spikes(&p) != spikes(&frozen),
            "{name}: learning changes nothing"
        );
        assert_eq!(out.spikes, spikes(&p), "{name}: 1 and 2 threads differ");
        cosim_program(name, &p, &input, 50);
    }
}

#[test]
fn dendrites_co_simulate_with_every_model_noise_and_schedules() {
    for (arch, reset, k) in [
        ("fpga-small", Reset::Zero, 3),
        ("xylo", Reset::Subtract { max_spikes: 3 }, 4),
    ] {
        let kinds = with_rtl();
        let mut plain = every_model(synthetic(arch, kinds.len(), 18, 1, 27), &kinds);
        plain.arch.core.subtract_reset = true;
        plain.arch.core.max_spikes_per_step = reset.max_spikes();
        for g in plain.cores.iter_mut().flat_map(|c| &mut c.groups) {
            g.reset = reset;
            g.weight_exp += 1;
        }
        let p = with_noise(with_schedules(with_dendrites(plain.clone(), k), 3), 19);
        p.validate().unwrap();
        let input = poisson_input(8, 40, 0.3, p.dt, 28);
        let out = run(&p, &input, &RunConfig::new(40, 2), &|_| {}).unwrap();
        let t = &out.report.totals;
        let dendritic: u64 = p
            .cores
            .iter()
            .flat_map(|c| &c.groups)
            .filter_map(|g| g.dendrites.map(|d| (g.len() * d.branches as usize) as u64))
            .sum();
        assert_eq!(
            t.branch_ops,
            dendritic * 40,
            "{arch}: every branch, every step"
        );
        // The caps must matter: the same branches with the largest cap
        // fire differently.
        let mut linear = p.clone();
        for g in linear.cores.iter_mut().flat_map(|c| &mut c.groups) {
            if let Some(d) = &mut g.dendrites {
                d.cap = spikefab_chip::model::Dendrites::max_cap(d.branches, &p.arch.format);
            }
        }
        let spikes = |p: &CoreProgram| {
            run(p, &input, &RunConfig::new(40, 1), &|_| {})
                .unwrap()
                .spikes
        };
        assert!(
            spikes(&p) != spikes(&linear),
            "{arch}: the caps change nothing"
        );
        assert_eq!(out.spikes, spikes(&p), "{arch}: 1 and 2 threads differ");
        cosim_program(&format!("dendrites, {arch}, {reset:?}"), &p, &input, 40);
    }
}

#[test]
fn noise_co_simulates_with_every_model_on_both_decay_rules() {
    for (arch, reset) in [
        ("fpga-small", Reset::Zero),
        ("xylo", Reset::Subtract { max_spikes: 3 }),
    ] {
        let kinds = with_rtl();
        let mut plain = every_model(synthetic(arch, kinds.len(), 18, 1, 25), &kinds);
        plain.arch.core.subtract_reset = true;
        plain.arch.core.max_spikes_per_step = reset.max_spikes();
        for g in plain.cores.iter_mut().flat_map(|c| &mut c.groups) {
            g.reset = reset;
        }
        // split each group so that noisy and quiet groups share cores
        let p = with_noise(with_schedules(plain.clone(), 3), 17);
        p.validate().unwrap();
        let input = poisson_input(8, 40, 0.3, p.dt, 26);
        let spikes = |p: &CoreProgram| {
            run(p, &input, &RunConfig::new(40, 2), &|_| {})
                .unwrap()
                .spikes
        };
        let mut quiet = p.clone();
        for g in quiet.cores.iter_mut().flat_map(|c| &mut c.groups) {
            g.noise = None;
        }
        assert_ne!(
            spikes(&p),
            spikes(&quiet),
            "{arch}: the noise changes nothing"
        );
        cosim_program(&format!("noise, {arch}, {reset:?}"), &p, &input, 40);
    }
}

#[test]
fn schedules_co_simulate_with_every_model_and_reset() {
    for (arch, reset) in [
        ("fpga-small", Reset::Zero),
        ("xylo", Reset::Zero),
        ("fpga-small", Reset::Subtract { max_spikes: 3 }),
    ] {
        let kinds = with_rtl();
        let mut plain = every_model(synthetic(arch, kinds.len(), 18, 1, 23), &kinds);
        plain.arch.core.subtract_reset = true;
        plain.arch.core.max_spikes_per_step = reset.max_spikes();
        for g in plain.cores.iter_mut().flat_map(|c| &mut c.groups) {
            g.reset = reset;
        }
        let p = with_schedules(plain.clone(), 5);
        p.validate().unwrap();
        let input = poisson_input(8, 40, 0.35, p.dt, 24);
        let spikes = |p: &CoreProgram| {
            run(p, &input, &RunConfig::new(40, 1), &|_| {})
                .unwrap()
                .spikes
        };
        let unscheduled = with_schedules(plain, 5);
        let mut unscheduled = unscheduled;
        for g in unscheduled.cores.iter_mut().flat_map(|c| &mut c.groups) {
            g.schedule = None;
        }
        assert_ne!(
            spikes(&p),
            spikes(&unscheduled),
            "{arch}: the schedules change nothing"
        );
        cosim_program(&format!("schedules, {arch}, {reset:?}"), &p, &input, 40);
    }
}

/// Every example network (one per neuron model and table: MLP, ALIF,
/// CE-LIF, STDI) compiles for the reference RTL's chip and co-simulates
/// bit-exact; `loihi` compiles it too (the CLI tests run it there).
#[test]
fn every_example_network_co_simulates_on_fpga_small() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/networks");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    names.sort();
    assert!(names.len() >= 4, "{names:?}");
    for path in names {
        let net = spikefab_compiler::Network::load(&path).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        spikefab_compiler::compile(&net, &Arch::preset("loihi").unwrap(), 1)
            .unwrap_or_else(|e| panic!("{name} on loihi: {e}"));
        let p = spikefab_compiler::compile(&net, &Arch::preset("fpga-small").unwrap(), 1)
            .unwrap_or_else(|e| panic!("{name} on fpga-small: {e}"))
            .program;
        let channels: usize = net.inputs.iter().map(|i| i.size).sum();
        let steps = 40;
        let input = poisson_input(channels as u32, steps, 0.3, p.dt, 9);
        cosim_program(&format!("example {name}"), &p, &input, steps);
    }
}

/// Per-projection exponents: synapse words that shift their weights into
/// the accumulator (0, 1 or 2 places, by word), alone and under learning
/// (a plastic synapse's delivered weight is shifted too).
#[test]
fn weight_shifts_co_simulate_alone_and_with_learning() {
    let shifted = |mut p: CoreProgram| {
        p.arch.format.projection_exponents = true;
        for c in &mut p.cores {
            c.synapses.shift = (0..c.synapses.len()).map(|k| (k % 3) as u8).collect();
            for g in &mut c.groups {
                g.weight_exp -= 1;
            }
        }
        p.validate().unwrap();
        p
    };
    let plain = synthetic("fpga-small", 3, 24, 2, 71);
    let input = poisson_input(8, 40, 0.3, plain.dt, 72);
    let spikes = |p: &CoreProgram| {
        run(p, &input, &RunConfig::new(40, 1), &|_| {})
            .unwrap()
            .spikes
    };
    let p = shifted(plain.clone());
    assert!(spikes(&p) != spikes(&plain), "the shifts change nothing");
    cosim_program("weight shifts", &p, &input, 40);
    cosim_program(
        "weight shifts, learning",
        &shifted(with_learning(plain)),
        &input,
        40,
    );
}

/// The plastic example (HebbFF) on its own task, the hidden layer watched
/// too: every hidden spike of 40 steps of items repeating after 3 must be
/// the emulator's, with the fast weights learning every step.
#[test]
fn hebbff_example_learns_bit_exact_on_its_task() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut net =
        spikefab_compiler::Network::load(format!("{root}/examples/networks/hebbff.ron").as_ref())
            .unwrap();
    net.outputs.push("hidden".into());
    let p = spikefab_compiler::compile(&net, &Arch::preset("fpga-small").unwrap(), 1)
        .unwrap()
        .program;
    let bytes = std::fs::read(format!(
        "{root}/compiler/tests/data/tasks/hebbff_test_input_r3.npy"
    ))
    .unwrap();
    let rows = spikefab_chip::samples_from_npy(&bytes).unwrap().remove(0);
    let steps = 40;
    let input = SpikeStream::from_rows(&rows[..steps as usize], steps, p.dt).unwrap();
    let out = run(&p, &input, &RunConfig::new(steps, 1), &|_| {}).unwrap();
    let t = &out.report.totals;
    let plastic = 50 * 64;
    assert_eq!(
        t.learning_updates,
        plastic * steps as u64,
        "every synapse, every step"
    );
    assert!(out.report.energy.learning_pj > 0.0);
    assert!(
        cosim_program("hebbff on its task", &p, &input, steps) > 200
            || !cosim::iverilog_available()
    );
}

#[test]
fn saturating_and_wrapping_inputs() {
    // Strong input weights drive u past its 24-bit range (Lava's wrap) and v into saturation.
    let mut p = synthetic("loihi", 2, 16, 1, 7);
    for core in &mut p.cores {
        core.synapses.map_words(|_, mut w| {
            w.weight = if w.weight >= 0 { 255 } else { -256 };
            w
        });
        for g in &mut core.groups {
            g.weight_exp = 7;
            for n in lif(g) {
                n.du = 0;
                n.vth = 131071;
            }
        }
    }
    let out = run(
        &p,
        &poisson_input(8, 40, 0.6, p.dt, 8),
        &RunConfig::new(40, 1),
        &|_| {},
    )
    .unwrap();
    assert!(
        out.report.totals.saturations > 0,
        "the test must exercise overflow"
    );
    // ... and the report says which layers overflowed, adding up.
    let layers = &out.report.layers;
    assert_eq!(
        layers.iter().map(|l| l.layer.as_str()).collect::<Vec<_>>(),
        ["random0", "random1"]
    );
    assert_eq!(
        layers.iter().map(|l| l.saturations).sum::<u64>(),
        out.report.totals.saturations
    );
    cosim_program(
        "saturation and wrap",
        &p,
        &poisson_input(8, 40, 0.6, p.dt, 8),
        40,
    );
}

fn compiled(model: &str, arch: &str) -> (CoreProgram, Vec<Vec<bool>>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../compiler/tests/data");
    let g = spikefab_compiler::nir::NirGraph::load(format!("{dir}/{model}.nir").as_ref()).unwrap();
    let net = spikefab_compiler::lower::lower(&g, model, 1e-4).unwrap();
    let p = spikefab_compiler::compile(&net, &Arch::preset(arch).unwrap(), 1)
        .unwrap()
        .program;
    // sample 0 of the committed inputs: [64, 40, features...] uint8
    let bytes = std::fs::read(format!("{dir}/{model}_input.npy")).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let per: usize = shape[2..].iter().product();
    let v = npy.into_vec::<u8>().unwrap();
    let x = (0..shape[1])
        .map(|t| v[t * per..(t + 1) * per].iter().map(|&b| b != 0).collect())
        .collect();
    (p, x)
}

#[test]
fn compiled_snntorch_models() {
    for (model, arch) in [
        ("rleaky", "fpga-small"),
        ("conv", "loihi"),
        ("synaptic_mlp", "xylo"),
    ] {
        let (mut p, x) = compiled(model, arch);
        // read every neuron out, so the comparison covers the hidden layers too
        p.outputs = p
            .cores
            .iter()
            .enumerate()
            .flat_map(|(c, core)| {
                (0..core.num_neurons() as u32).map(move |n| spikefab_chip::OutputPort {
                    core: c as u32,
                    neuron: n,
                })
            })
            .collect();
        let steps = x.len() as u32 + 2;
        let input = SpikeStream::from_rows(&x, steps, p.dt).unwrap();
        cosim_program(&format!("{model} on {arch}"), &p, &input, steps);
    }
}

/// Exports `p` with a testbench whose "expected" spikes are just the input:
/// for tests of the files themselves, which never run the testbench.
fn export_without_expectations(
    p: &CoreProgram,
    dir: &std::path::Path,
    input: &SpikeStream,
    steps: u32,
) -> Result<spikefab_hdl::ExportSummary, spikefab_hdl::ExportError> {
    let tb = Testbench {
        steps,
        runs: vec![TbRun {
            input,
            expected: input,
        }],
    };
    export(p, dir, Formats::default(), &tb)
}

#[test]
fn a_parameter_that_does_not_fit_its_field_is_an_error() {
    let mut p = synthetic("loihi", 1, 8, 0, 9);
    lif(&mut p.cores[0].groups[0])[5].vth = 1 << 17; // one past the 17-bit threshold field
    let input = poisson_input(8, 5, 0.2, p.dt, 1);
    let dir = tempfile::tempdir().unwrap();
    let e = export_without_expectations(&p, dir.path(), &input, 5)
        .unwrap_err()
        .to_string();
    // The program is validated before export: the error names the neuron,
    // the value and the field's width.
    assert!(
        e.contains("core 0")
            && e.contains("neuron 5")
            && e.contains("131072")
            && e.contains("17 bits"),
        "{e}"
    );
}

#[test]
fn memory_files_have_the_syntax_the_tools_expect() {
    let p = synthetic("fpga-small", 2, 8, 2, 11);
    let input = poisson_input(8, 10, 0.2, p.dt, 1);
    let dir = tempfile::tempdir().unwrap();
    let summary = export_without_expectations(&p, dir.path(), &input, 10).unwrap();
    let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
    for m in summary.memories.iter().filter(|m| {
        !["_state", "_accumulators", "_spikes", "_inbox"]
            .iter()
            .any(|k| m.name.ends_with(k))
    }) {
        let digits = (m.width as usize).div_ceil(4);
        let mem = read(&format!("mem/{}.mem", m.name));
        assert_eq!(mem.lines().count(), m.depth, "{}", m.name);
        assert!(
            mem.lines()
                .all(|l| l.len() == digits && l.chars().all(|c| c.is_ascii_hexdigit())),
            "{}",
            m.name
        );
        let coe = read(&format!("vivado/{}.coe", m.name));
        assert!(coe.starts_with("memory_initialization_radix=16;\nmemory_initialization_vector=\n"));
        assert_eq!(coe.lines().count(), m.depth + 2);
        assert!(coe.trim_end().ends_with(';'));
        let mif = read(&format!("quartus/{}.mif", m.name));
        assert!(mif.contains(&format!("DEPTH = {};\nWIDTH = {};", m.depth, m.width)));
        assert!(mif.trim_end().ends_with("END;"));
        assert_eq!(mif.lines().filter(|l| l.contains(" : ")).count(), m.depth);
    }
    // the manifest lists every file with its hash
    let manifest: serde_json::Value = serde_json::from_str(&read("manifest.json")).unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert!(files
        .iter()
        .any(|f| f["path"] == "rtl/snn_core.v" && f["sha256"].as_str().unwrap().len() == 64));
    assert!(read("README.md").contains("RAMB18"));
    assert!(read("rtl/snn_params.vh").contains(&format!(
        "`define SNN_NEURONS_VTH_LSB {}",
        2 + 5 + 5 + 12 + 12 + 13 + 4 // model, reset, weight_exp, du, dv, bias
    )));
}

#[test]
fn yosys_puts_every_table_in_block_ram_and_the_logic_estimate_holds() {
    let alif_and_lif = [ModelKind::Alif, ModelKind::CubaLif];
    synthesizes_as_estimated(&[
        ("fpga-small", 1, &[][..]),
        ("fpga-small/shift", 2, &alif_and_lif),
        ("xylo", 1, &[]),
        // the learning engine alone (what LEARNING_LUT4 is fitted on)
        ("fpga-small/learning", 2, &alif_and_lif),
    ]);
}

/// The same for the exports with every optional block (two tests, so that
/// the syntheses run side by side).
#[test]
fn yosys_estimates_every_model_and_every_axis() {
    let all = with_rtl();
    let alif_and_lif = [ModelKind::Alif, ModelKind::CubaLif];
    synthesizes_as_estimated(&[
        // every model, ALIF's adaptation register included
        ("fpga-small", all.len(), &all),
        // schedule tables (LUT RAM) and their adders, a noise stream per
        // core, the dendritic branch walk and the learning engine (its
        // tables, traces, components and pipeline)
        (
            "fpga-small/schedules+noise+dendrites+learning",
            2,
            &alif_and_lif,
        ),
    ]);
}

/// Yosys `synth_ecp5` on each `(arch[/variant], cores, models)` export:
/// every table in block RAM, LUT4 within 20 % and multipliers equal to the
/// README's estimates.
fn synthesizes_as_estimated(configs: &[(&str, usize, &[ModelKind])]) {
    if !cosim::yosys_available() {
        eprintln!(
            "!!! SKIPPED synthesis check: yosys is not installed (apt-get install yosys) !!!"
        );
        return;
    }
    for &(arch, cores, kinds) in configs {
        let mut p = synthetic(arch.split('/').next().unwrap(), cores, 24, 1, 13);
        if arch.ends_with("/shift") {
            p.arch.format.decay = spikefab_chip::DecayRule::Shift;
            for n in p
                .cores
                .iter_mut()
                .flat_map(|c| &mut c.groups)
                .flat_map(|g| lif(g).iter_mut())
            {
                n.du = n.du.min(31);
                n.dv = n.dv.min(31);
            }
        }
        let p = if kinds.is_empty() {
            p
        } else {
            every_model(p, kinds)
        };
        let p = if arch.ends_with("/schedules+noise+dendrites+learning") {
            with_learning(with_noise(with_schedules(with_dendrites(p, 3), 3), 3))
        } else if arch.ends_with("/learning") {
            with_learning(p)
        } else {
            p
        };
        let input = poisson_input(8, 5, 0.2, p.dt, 1);
        let dir = tempfile::tempdir().unwrap();
        let summary = export_without_expectations(&p, dir.path(), &input, 5).unwrap();
        let s = cosim::run_yosys(dir.path()).unwrap();
        eprintln!(
            "{arch} x{cores}: {} LUT4 (estimate {}), {} CCU2C, {} FF, {} DP16KD (estimate {}), {} MULT18X18D (estimate {})",
            s.lut4,
            summary.ecp5_lut4_estimate,
            s.carry,
            s.flip_flops,
            s.dp16kd,
            summary.ramb18_total,
            s.mult18,
            summary.ecp5_mult18_estimate
        );
        assert!(s.ram_modules > 0, "{arch} x{cores}: no table RAM found");
        assert!(
            s.rams_not_in_bram.is_empty(),
            "{arch} x{cores}: tables outside block RAM: {:?}",
            s.rams_not_in_bram
        );
        let ratio = s.lut4 as f64 / summary.ecp5_lut4_estimate as f64;
        assert!(
            (0.8..=1.2).contains(&ratio),
            "{arch} x{cores}: {} LUT4 against an estimate of {}",
            s.lut4,
            summary.ecp5_lut4_estimate
        );
        assert_eq!(s.mult18 as usize, summary.ecp5_mult18_estimate);
    }
}

#[test]
fn verilator_agrees_too() {
    if !cosim::verilator_available() {
        eprintln!("!!! SKIPPED Verilator co-simulation: verilator 5 is not installed (apt-get install verilator) !!!");
        return;
    }
    // every model with the RTL, each core's groups with schedules of two
    // lengths (and one without) and noise on every other one, routed with delays
    let kinds = with_rtl();
    let p = with_learning(with_noise(
        with_schedules(
            with_dendrites(every_model(synthetic("fpga-small", 4, 18, 3, 3), &kinds), 3),
            7,
        ),
        5,
    ));
    let input = poisson_input(8, 60, 0.3, p.dt, 4);
    let out = run(&p, &input, &RunConfig::new(60, 1), &|_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    export(
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
    let c = cosim::run_verilator(dir.path()).unwrap();
    assert!(
        c.equal() && !c.expected.is_empty(),
        "{}",
        c.first_difference().unwrap_or_default()
    );
    eprintln!("verilator: {} spikes equal", c.expected.len());
}

/// The board kit end to end in simulation: the ULX3S top in Verilator behind
/// a model of its UART link, driven by the Python host driver, starting from
/// blank tables. The driver loads the program through the programming port,
/// then runs two inferences; their spikes must equal the emulator's.
#[test]
fn board_link_loads_the_tables_and_streams_spikes() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if !cosim::verilator_available() || python.is_err() {
        eprintln!("!!! SKIPPED the board-link simulation: it needs verilator 5 and python3 !!!");
        return;
    }
    let p = synthetic("fpga-small", 2, 16, 2, 51);
    let inputs: Vec<SpikeStream> = (0..2)
        .map(|seed| poisson_input(8, 20, 0.25, p.dt, 60 + seed))
        .collect();
    let outs: Vec<_> = inputs
        .iter()
        .map(|i| run(&p, i, &RunConfig::new(20, 1), &|_| {}).unwrap())
        .collect();
    let export_dir = tempfile::tempdir().unwrap();
    let tb = testbench(20, &inputs, &outs);
    export(&p, export_dir.path(), Formats::default(), &tb).unwrap();
    // The simulated board starts from all-zero tables: only the driver's
    // writes through the programming port can make it compute anything.
    let board_dir = tempfile::tempdir().unwrap();
    for sub in ["rtl", "rtl/models", "board", "mem"] {
        std::fs::create_dir_all(board_dir.path().join(sub)).unwrap();
        for f in std::fs::read_dir(export_dir.path().join(sub)).unwrap() {
            let f = f.unwrap().path();
            if f.is_dir() {
                continue;
            }
            let text = std::fs::read_to_string(&f).unwrap();
            let text = if sub == "mem" {
                text.lines()
                    .map(|l| format!("{}\n", "0".repeat(l.len())))
                    .collect()
            } else {
                text
            };
            std::fs::write(
                board_dir.path().join(sub).join(f.file_name().unwrap()),
                text,
            )
            .unwrap();
        }
    }
    let build = std::process::Command::new("sh")
        .arg("board/build_link_sim.sh")
        .current_dir(board_dir.path())
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}{}",
        String::from_utf8_lossy(&build.stdout),
        String::from_utf8_lossy(&build.stderr)
    );
    let host = |extra: &[&str]| {
        let o = std::process::Command::new("python3")
            .arg(export_dir.path().join("host/snn_host.py"))
            .arg(export_dir.path())
            .arg("--sim")
            .arg(board_dir.path().join("board/obj_dir/link_sim"))
            .args(["--runs", "2"])
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut spikes: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.starts_with("SPIKE "))
            .map(str::to_string)
            .collect();
        spikes.sort_by_key(|l| {
            l.split(' ')
                .filter_map(|f| f.split_once('=')?.1.parse::<u64>().ok())
                .collect::<Vec<_>>()
        });
        spikes
    };
    let expected: Vec<String> =
        std::fs::read_to_string(export_dir.path().join("tb/expected_spikes.txt"))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
    assert!(!expected.is_empty());
    assert!(
        host(&["--no-load"]).is_empty(),
        "blank tables must not spike"
    );
    assert_eq!(host(&[]), expected, "spikes over the board link");
}

/// Degenerate shapes still export lint-clean RTL that runs: a program with
/// one output port, one with no input channel at all (driven by biases), and
/// a one-neuron core.
#[test]
fn degenerate_programs_export_and_run() {
    let base = |inputs: usize, outputs: usize, n: usize| {
        let mut p = Synthetic {
            arch: Arch::preset("fpga-small").unwrap(),
            cores: 2,
            neurons_per_core: n,
            fanout: 3,
            dest_cores: 2,
            inputs,
            input_fanout: 4.min(n),
            max_delay: 0,
            outputs,
            one_core_per_tile: true,
            seed: 77,
        }
        .build();
        // biases large enough to fire without input
        for core in &mut p.cores {
            for g in &mut core.groups {
                for n in lif(g) {
                    n.bias_mant = 2000;
                    n.bias_exp = 3;
                }
            }
        }
        p
    };
    for (name, p) in [
        ("one output", base(4, 1, 8)),
        ("no inputs", base(0, 8, 8)),
        ("one-neuron cores", base(2, 2, 1)),
    ] {
        let input = poisson_input(p.num_input_channels() as u32, 12, 0.3, p.dt, 3);
        cosim_runs(name, &p, &[input.clone(), input], 12);
    }
}
