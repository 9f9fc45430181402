//! # spikefab-compiler
//!
//! Lowers a trained spiking network onto a chip: float [`Network`] →
//! [`quantize`] (fixed-point parameters and weights) → [`map`] (partition,
//! packing, placement, routing) → [`CoreProgram`](spikefab_chip::CoreProgram),
//! plus a [`CompileReport`]. [`sim::simulate`] is the float reference the
//! quantized program is judged against.
//!
//! Networks come from spikefab's RON format ([`Network::load`]); the NIR
//! importer lowers into the same IR. The compiler never runs the emulator:
//! fidelity checks that need both live in the `spikefab` binary's library.

pub mod error;
pub mod lower;
pub mod map;
pub mod network;
pub mod nir;
pub mod quantize;
pub mod report;
pub mod sim;

pub use error::{CompileError, Result};
pub use network::{Input, Network, Neuron, Param, Population, Projection, Weights};
pub use report::{CompileReport, Fidelity};

use spikefab_chip::{Arch, CoreProgram};

/// A compiled network.
pub struct Compiled {
    pub program: CoreProgram,
    pub report: CompileReport,
}

/// Compiles `net` for `arch`; `seed` makes placement reproducible.
pub fn compile(net: &Network, arch: &Arch, seed: u64) -> Result<Compiled> {
    net.validate()?;
    let q = quantize::quantize(net, arch)?;
    let mapped = map::map(net, &q, arch, seed)?;
    mapped.program.validate()?;
    let report = CompileReport::new(net, &q, &mapped.program, &mapped.slices, &mapped.placement);
    Ok(Compiled {
        program: mapped.program,
        report,
    })
}
