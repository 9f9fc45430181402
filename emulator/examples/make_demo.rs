//! Writes the demo program and its input spikes shipped in `examples/`:
//!
//!     cargo run -p spikefab-emulator --example make_demo
//!
//! A seeded recurrent network of 4 cores × 64 CUBA LIF neurons on the `loihi`
//! preset, fan-out 24 over 3 cores with synaptic delays up to 3 steps, fed by
//! 16 Poisson input channels (p = 0.05 per step) for 200 steps.

use spikefab_chip::Arch;
use spikefab_emulator::workload::{poisson_input, Synthetic};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let program = Synthetic {
        arch: Arch::preset("loihi")?,
        cores: 4,
        neurons_per_core: 64,
        fanout: 24,
        dest_cores: 3,
        inputs: 16,
        input_fanout: 16,
        max_delay: 3,
        outputs: 256,
        one_core_per_tile: true,
        seed: 2026,
    }
    .build();
    program.validate()?;
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    program.save(format!("{root}/programs/demo.ron").as_ref())?;
    poisson_input(16, 200, 0.05, program.dt, 7)
        .save(format!("{root}/spikes/demo_input.aer").as_ref())?;
    Ok(())
}
