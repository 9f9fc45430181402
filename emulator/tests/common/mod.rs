//! Programs shared by the emulator's integration tests.

use spikefab_chip::{Arch, CoreProgram};
use spikefab_emulator::workload::Synthetic;

/// A small synthetic program on preset `arch`: `cores` cores of 40 LIF
/// neurons, each with 20 synapses over 3 cores, 6 inputs, synaptic delays
/// up to `max_delay`, every neuron an output; odd seeds put one core per tile.
pub fn program(seed: u64, cores: usize, max_delay: u8, arch: &str) -> CoreProgram {
    Synthetic {
        arch: Arch::preset(arch).unwrap(),
        cores,
        neurons_per_core: 40,
        fanout: 20,
        dest_cores: 3,
        inputs: 6,
        input_fanout: 10,
        max_delay,
        outputs: cores * 40,
        one_core_per_tile: seed % 2 == 1,
        seed,
    }
    .build()
}
