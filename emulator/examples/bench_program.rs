//! Writes the emulator benchmark's network as a program file, so that the CLI
//! can run it (and its memory use can be measured):
//!
//!     cargo run --release -p spikefab-emulator --example bench_program -- /tmp/bench64.sfc [CORES] [Serial|Overlapped|Scheduled]
//!     /usr/bin/time -v target/release/spikefab run /tmp/bench64.sfc --input /tmp/none.csv --steps 1000 --out /tmp/b
//!
//! The third argument overrides the `loihi` preset's `core_timing`, to
//! measure what the timing model costs (docs/performance.md).

use spikefab_chip::CoreTiming;
use spikefab_emulator::workload::Synthetic;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: bench_program OUT.sfc [CORES] [Serial|Overlapped|Scheduled]";
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or(usage)?;
    let cores = args.next().map(|c| c.parse()).transpose()?.unwrap_or(64);
    let mut program = Synthetic::benchmark(cores).build();
    if let Some(t) = args.next() {
        program.arch.timing.core_timing = match t.as_str() {
            "Serial" => CoreTiming::Serial,
            "Overlapped" => CoreTiming::Overlapped,
            "Scheduled" => CoreTiming::Scheduled,
            _ => return Err(usage.into()),
        };
    }
    program.save(path.as_ref())?;
    eprintln!(
        "wrote {path}: {} neurons, {} synapses, {:?} timing",
        program.num_neurons(),
        program.num_synapses(),
        program.arch.timing.core_timing
    );
    Ok(())
}
