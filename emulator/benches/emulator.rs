//! Emulator throughput on a synthetic multi-core network: 64 cores × 1024
//! CUBA LIF neurons (Loihi formats and costs), fan-out 256 spread over 4
//! cores, ≈5 % of neurons firing per step, 100 steps per iteration.
//!
//! Criterion reports synaptic events per second ("elem/s") for 1 and 2
//! worker threads; an iteration is one `Emulator::run` from reset (state set-up
//! included, program validation done once before). Run:
//! `cargo bench -p spikefab-emulator`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use spikefab_chip::SpikeStream;
use spikefab_emulator::workload::Synthetic;
use spikefab_emulator::{Emulator, RunConfig};

const STEPS: u32 = 100;

fn emulate(c: &mut Criterion) {
    let program = Synthetic::benchmark(64).build();
    let input = SpikeStream::empty(0, STEPS, program.dt);
    // Validation happens once, as for a user who runs one program on many inputs.
    let emulator = Emulator::new(&program).expect("the benchmark program is valid");
    let probe = emulator
        .run(&input, &RunConfig::new(STEPS, 1), &|_| {})
        .expect("benchmark program runs");
    let events = probe.report.totals.synaptic_ops;
    eprintln!(
        "network: {} neurons, {} synapses; {STEPS} steps: {} spikes ({:.2} % per step), {events} synaptic events",
        program.num_neurons(),
        program.num_synapses(),
        probe.report.totals.spikes,
        100.0 * probe.report.totals.spikes as f64 / (program.num_neurons() as f64 * STEPS as f64)
    );

    let mut group = c.benchmark_group("emulate_64x1024_fanout256");
    group.throughput(Throughput::Elements(events));
    group.sample_size(10);
    for threads in [1usize, 2] {
        group.bench_with_input(
            BenchmarkId::new("threads", threads),
            &threads,
            |b, &threads| {
                b.iter(|| {
                    emulator
                        .run(&input, &RunConfig::new(STEPS, threads), &|_| {})
                        .expect("runs")
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, emulate);
criterion_main!(benches);
