//! The P16k reference benchmark through spikefab's whole pipeline: compile the
//! float network for a Loihi-format chip (8-bit weights), emulate 1,000 steps
//! on 1 and 2 threads, print activity, synaptic events per second, and the
//! modelled chip energy and latency.
//!
//!     cargo run --release --example p16k
//!     /usr/bin/time -v target/release/examples/p16k 1     # peak memory, one thread
//!     cargo run --release --example p16k -- exponents    # weight error and activity, shared vs per-projection exponents
//!     target/release/examples/p16k draws DIR THREADS       # the peers' own draws (tools/bench_peers.py): one JSON line
//!     target/release/examples/p16k scaled N THREADS STEPS  # P16k at N neurons: compile time, peak memory, events/s
//!     target/release/examples/p16k drawn N THREADS STEPS   # the same with its synapses drawn as compiled, never listed
//!     target/release/examples/p16k save N STEPS DIR        # P16k at N neurons as DIR/program.sfc + DIR/input.aer, for `spikefab run` (and `--mpi`)
//!     target/release/examples/p16k memory                  # this machine's memory latency, random-update rate and bandwidth

use std::time::Instant;

use spikefab::p16k;
use spikefab_compiler::sim;
use spikefab_emulator::{Emulator, RunConfig};

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("exponents") {
        return exponents();
    }
    if let Some(kind @ ("scaled" | "drawn")) = std::env::args().nth(1).as_deref() {
        let arg = |k: usize, default: usize| -> anyhow::Result<usize> {
            Ok(std::env::args().nth(k).map_or(Ok(default), |v| v.parse())?)
        };
        return scaled(
            arg(2, p16k::NEURONS)?,
            arg(3, 1)?,
            arg(4, 100)? as u32,
            kind == "drawn",
        );
    }
    if std::env::args().nth(1).as_deref() == Some("save") {
        let arg = |k: usize| -> anyhow::Result<String> {
            std::env::args()
                .nth(k)
                .ok_or_else(|| anyhow::anyhow!("save N STEPS DIR"))
        };
        let (n, steps, dir) = (arg(2)?.parse()?, arg(3)?.parse()?, arg(4)?);
        return save(n, steps, std::path::Path::new(&dir));
    }
    if std::env::args().nth(1).as_deref() == Some("memory") {
        memory();
        return Ok(());
    }
    if std::env::args().nth(1).as_deref() == Some("draws") {
        let dir = std::env::args()
            .nth(2)
            .ok_or_else(|| anyhow::anyhow!("draws DIR THREADS"))?;
        let threads = std::env::args().nth(3).map_or(Ok(1), |t| t.parse())?;
        return draws(std::path::Path::new(&dir), threads);
    }
    let threads: Vec<usize> = match std::env::args().nth(1) {
        Some(t) => vec![t.parse()?],
        None => vec![1, 2],
    };
    let steps = 1000;
    let net = p16k::network(1);
    let t0 = Instant::now();
    let compiled = spikefab_compiler::compile(&net, &p16k::arch(), 1)?;
    println!(
        "compiled in {:.2} s:\n{}",
        t0.elapsed().as_secs_f64(),
        compiled.report.table()
    );
    let input = p16k::input(steps, 2);
    let emu = Emulator::new(&compiled.program)?;
    for t in threads {
        let started = Instant::now();
        let out = emu.run(&input, &RunConfig::new(steps, t), &|_| {})?;
        let wall = started.elapsed().as_secs_f64();
        let spikes = out.report.totals.spikes;
        let events = spikes * p16k::FAN_OUT as u64; // recurrent events, as the peers count them
        println!(
            "{t} thread(s): {spikes} spikes ({:.2} % of neurons per step), {:.3e} recurrent synaptic events in {wall:.2} s = {:.3e} events/s; chip: {:.2} mJ, {:.1} ms",
            100.0 * spikes as f64 / (p16k::NEURONS as f64 * steps as f64),
            events as f64,
            events as f64 / wall,
            out.report.energy.total_pj * 1e-9,
            out.report.latency.total_ns * 1e-6
        );
    }
    // the float network's own activity, on the first 200 steps
    let rows: Vec<Vec<bool>> = {
        let dense = input.to_dense();
        (0..200)
            .map(|s| {
                dense[s * p16k::INPUTS..(s + 1) * p16k::INPUTS]
                    .iter()
                    .map(|&v| v != 0)
                    .collect()
            })
            .collect()
    };
    let float = sim::simulate(&net, &rows);
    let fired: usize = float
        .spikes
        .iter()
        .map(|r| r.iter().filter(|&&s| s).count())
        .sum();
    println!(
        "float network: {:.2} % of neurons per step (first 200 steps)",
        100.0 * fired as f64 / (p16k::NEURONS as f64 * 200.0)
    );
    Ok(())
}

/// The population's input (0.2) and recurrent (≤ 0.0045) weights under one
/// shared exponent and under one exponent a projection: each projection's
/// relative weight error and the chip's activity against the float
/// network's over 200 steps.
fn exponents() -> anyhow::Result<()> {
    let net = p16k::network(1);
    let steps = 200;
    let input = p16k::input(steps, 2);
    let dense = input.to_dense();
    let rows: Vec<Vec<bool>> = (0..steps as usize)
        .map(|s| {
            dense[s * p16k::INPUTS..(s + 1) * p16k::INPUTS]
                .iter()
                .map(|&v| v != 0)
                .collect()
        })
        .collect();
    let float: usize = sim::simulate(&net, &rows)
        .spikes
        .iter()
        .map(|r| r.iter().filter(|&&s| s).count())
        .sum();
    println!("| exponents | input weights' error | recurrent weights' error | spikes, 200 steps (float {float}) |");
    println!("|---|---|---|---|");
    for (name, per_projection) in [("one per population", false), ("one per projection", true)] {
        let opts = spikefab_compiler::Options {
            projection_exponents: per_projection,
            ..Default::default()
        };
        let q = spikefab_compiler::quantize::quantize_with(&net, &p16k::arch(), &opts)?;
        let compiled = spikefab_compiler::compile_sized(&net, &p16k::arch(), 1, None, &opts)?;
        let out =
            Emulator::new(&compiled.program)?.run(&input, &RunConfig::new(steps, 2), &|_| {})?;
        println!(
            "| {name} | {:.2} % | {:.2} % | {} ({:+.1} %) |",
            100.0 * q.projections[0].weight_error,
            100.0 * q.projections[1].weight_error,
            out.report.totals.spikes,
            100.0 * (out.report.totals.spikes as f64 / float as f64 - 1.0)
        );
    }
    Ok(())
}

/// One timed run of the network of the peers' draws in `dir`, as a JSON
/// line for tools/bench_peers.py: the step loop's wall time (the emulator's
/// run, program set-up included, file reading and compiling not), spikes,
/// recurrent synaptic events (spikes × 256, as the peers count them) and
/// how many of the float synapses the 8-bit program does not store (their
/// weights round to zero).
fn draws(dir: &std::path::Path, threads: usize) -> anyhow::Result<()> {
    let (net, input) = p16k::from_draws(dir)?;
    let t0 = Instant::now();
    let compiled = spikefab_compiler::compile(&net, &p16k::arch(), 1)?;
    let compile_s = t0.elapsed().as_secs_f64();
    let emu = Emulator::new(&compiled.program)?;
    let started = Instant::now();
    let out = emu.run(&input, &RunConfig::new(input.steps, threads), &|_| {})?;
    let loop_s = started.elapsed().as_secs_f64();
    let spikes = out.report.totals.spikes;
    println!(
        "{}",
        serde_json::json!({
            "threads": threads,
            "steps": input.steps,
            "loop_s": loop_s,
            "compile_s": compile_s,
            "spikes": spikes,
            "events": spikes * p16k::FAN_OUT as u64,
            "synaptic_ops": out.report.totals.synaptic_ops,
            "float_synapses": net.num_synapses(),
            "stored_synapses": compiled.program.num_synapses(),
        })
    );
    Ok(())
}

/// P16k at `n` neurons, compiled, and its input, as files `spikefab run` reads.
fn save(n: usize, steps: u32, dir: &std::path::Path) -> anyhow::Result<()> {
    if n == 0 || n % 1024 != 0 {
        anyhow::bail!("save N: N must be a positive multiple of 1024");
    }
    let compiled = spikefab_compiler::compile(&p16k::scaled(n, 1), &p16k::arch_scaled(n), 1)?;
    std::fs::create_dir_all(dir)?;
    compiled.program.save(&dir.join("program.sfc"))?;
    p16k::input_scaled(n, steps, 2).save(&dir.join("input.aer"))?;
    println!("wrote {}/program.sfc and input.aer", dir.display());
    Ok(())
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
fn peak_mib() -> f64 {
    status_mib("VmHWM:")
}

/// A memory line of `/proc/self/status`, in MiB.
fn status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// P16k scaled to `neurons`: generate, compile, run `steps` steps; one line
/// for the scaling table (docs/performance.md).
/// `drawn`: the network's synapses drawn as the compiler reads them
/// (`p16k::drawn`), not listed (`p16k::scaled`).
fn scaled(neurons: usize, threads: usize, steps: u32, drawn: bool) -> anyhow::Result<()> {
    if neurons == 0 || neurons % 1024 != 0 {
        anyhow::bail!("scaled N: N must be a positive multiple of 1024");
    }
    let t0 = Instant::now();
    let net = if drawn {
        p16k::drawn(neurons, 1)
    } else {
        p16k::scaled(neurons, 1)
    };
    let generate_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    // Where the compile's time and memory go: each stage's start, on stderr.
    // owned: the compiler releases the float weights once quantized
    let compiled = spikefab_compiler::compile_owned(
        net,
        &p16k::arch_scaled(neurons),
        1,
        None,
        &Default::default(),
        &|stage| {
            eprintln!(
                "  {:6.1} s  resident {:6.0} MiB  peak {:6.0} MiB  {}",
                t1.elapsed().as_secs_f64(),
                status_mib("VmRSS:"),
                peak_mib(),
                stage.describe()
            )
        },
    )?;
    let compile_s = t1.elapsed().as_secs_f64();
    let after_compile = peak_mib();
    let input = p16k::input_scaled(neurons, steps, 2);
    let emu = Emulator::new(&compiled.program)?;
    let resident = || {
        format!(
            "resident {:6.0} MiB  peak {:6.0} MiB",
            status_mib("VmRSS:"),
            peak_mib()
        )
    };
    eprintln!("  emulator set up: {}", resident());
    let started = Instant::now();
    let out = emu.run(&input, &RunConfig::new(steps, threads), &|_| {})?;
    eprintln!("  run: {}", resident());
    let run_s = started.elapsed().as_secs_f64();
    let spikes = out.report.totals.spikes;
    let p = &compiled.program;
    // the program's tables in memory: synapse words, delays, axon pointers, routes
    let (tables, routes) = p.cores.iter().fold((0, 0), |(t, r), c| {
        (t + c.synapses.heap_bytes(), r + c.routes.heap_bytes())
    });
    let per_synapse = |b: usize| b as f64 / p.num_synapses().max(1) as f64;
    println!(
        "{neurons} neurons on {} cores: generate {generate_s:.1} s, compile {compile_s:.1} s (peak {after_compile:.0} MiB); \
         {} synapses stored, {:.1} B each in tables + {:.1} B in routes; \
         {steps} steps on {threads} thread(s): {spikes} spikes ({:.2} % a step), {:.3e} events/s, {:.3e} synaptic ops/s; peak {:.0} MiB",
        p.cores.len(),
        p.num_synapses(),
        per_synapse(tables),
        per_synapse(routes),
        100.0 * spikes as f64 / (neurons as f64 * steps as f64),
        (spikes * p16k::FAN_OUT as u64) as f64 / run_s,
        out.report.totals.synaptic_ops as f64 / run_s,
        peak_mib()
    );
    Ok(())
}

/// What limits large networks here: the memory's latency (dependent
/// loads at random over 512 MiB), its rate of independent random updates
/// (what scattering synapses to random targets costs) in arrays of 8 MiB
/// and 512 MiB, and its sequential read bandwidth.
fn memory() {
    const WORDS: usize = 1 << 26; // 512 MiB of u64
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // one cycle through every word (Sattolo), so each load depends on the last
    let mut chain: Vec<u64> = (0..WORDS as u64).collect();
    for i in (1..WORDS).rev() {
        chain.swap(i, (next() % i as u64) as usize);
    }
    let loads = 20_000_000;
    let t = Instant::now();
    let mut at = 0u64;
    for _ in 0..loads {
        at = chain[at as usize];
    }
    let latency = t.elapsed().as_secs_f64() / loads as f64;
    for words in [1 << 20, WORDS] {
        let updates = 100_000_000;
        let targets: Vec<u32> = (0..updates)
            .map(|_| (next() % words as u64) as u32)
            .collect();
        let t = Instant::now();
        for &k in &targets {
            chain[k as usize] = chain[k as usize].wrapping_add(1);
        }
        let per = t.elapsed().as_secs_f64() / updates as f64;
        println!(
            "random updates in {} MiB: {:.1} ns each",
            (words * 8) >> 20,
            per * 1e9
        );
    }
    let t = Instant::now();
    let sum = chain.iter().fold(0u64, |a, &w| a.wrapping_add(w));
    let gbs = (WORDS * 8) as f64 / t.elapsed().as_secs_f64() / 1e9;
    println!(
        "dependent random loads in 512 MiB: {:.0} ns each; sequential read: {gbs:.1} GB/s (check {})",
        latency * 1e9,
        (sum ^ at) & 1
    );
}
