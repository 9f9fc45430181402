//! The P16k reference benchmark through spikefab's whole pipeline: compile the
//! float network for a Loihi-format chip (8-bit weights), emulate 1,000 steps
//! on 1 and 2 threads, print activity, synaptic events per second, and the
//! modelled chip energy and latency.
//!
//!     cargo run --release --example p16k
//!     /usr/bin/time -v target/release/examples/p16k 1     # peak memory, one thread

use std::time::Instant;

use spikefab::p16k;
use spikefab_compiler::sim;
use spikefab_emulator::{Emulator, RunConfig};

fn main() -> anyhow::Result<()> {
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
