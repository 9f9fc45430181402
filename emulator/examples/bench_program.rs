//! Writes the emulator benchmark's network as a program file, so that the CLI
//! can run it (and its memory use can be measured):
//!
//!     cargo run --release -p spikefab-emulator --example bench_program -- /tmp/bench64.sfc [CORES]
//!     /usr/bin/time -v target/release/spikefab run /tmp/bench64.sfc --input /tmp/none.csv --steps 1000 --out /tmp/b

use spikefab_emulator::workload::Synthetic;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: bench_program OUT.sfc [CORES]")?;
    let cores = args.next().map(|c| c.parse()).transpose()?.unwrap_or(64);
    let program = Synthetic::benchmark(cores).build();
    program.save(path.as_ref())?;
    eprintln!(
        "wrote {path}: {} neurons, {} synapses",
        program.num_neurons(),
        program.num_synapses()
    );
    Ok(())
}
