//! # spikefab-chip
//!
//! The spiking chip's "ISA", shared by every other spikefab crate:
//!
//! - [`Arch`]: a chip's hardware description (mesh, core capacities, number
//!   formats, per-event energy and latency), with built-in presets.
//! - [`CoreProgram`]: a network compiled onto that chip's cores (neuron
//!   tables, CSR synapse tables, routing tables, ports, provenance), stored as
//!   RON or compact binary `.sfc`.
//! - [`model`]: the neuron models, one module each (parameters, state, the
//!   bit-exact fixed-point step), and the one registry that lists them;
//!   [`neuron`]: the arithmetic they share (decay rules, shifts). This is the
//!   single implementation that the emulator runs and the RTL must match.
//! - [`SpikeStream`]: address-event spike streams and their `.aer`, `.csv`
//!   and `.npy` files.
//!
//! It does not compile networks, run them, or know about audio: those are the
//! compiler, emulator and cochlea crates.
//!
//! ```
//! use spikefab_chip::model::{cuba_lif::{self, CubaLif}, reset::ToZero};
//! use spikefab_chip::neuron::{Fixed, Mul12};
//! use spikefab_chip::{Arch, Model};
//!
//! let loihi = Arch::preset("loihi").unwrap();
//! assert_eq!(loihi.topology.num_cores(), 128);
//! let fx = Fixed::new(&loihi.format);
//! let decay = Mul12 { current_offset: 1, voltage_offset: 0 };
//! let stored = cuba_lif::Stored { du: 4095, dv: 0, bias_mant: 0, bias_exp: 0, vth: 10 };
//! let p = CubaLif::params(&fx, &stored);
//! let mut s = cuba_lif::State::default();
//! // 11 << 6 exceeds the threshold 10 << 6: the neuron fires and resets.
//! let out = CubaLif::step(&fx, &decay, &ToZero, &p, &mut s, 11);
//! assert!(out.spikes == 1 && s.v == 0 && s.u == 11 << 6);
//! ```

pub mod arch;
pub mod error;
pub mod limits;
pub mod model;
pub mod neuron;
pub mod npy;
pub mod packed;
pub mod program;
pub mod spikes;
pub mod text;

pub use arch::{
    Accuracy, Arch, BarrierLookup, CoreLimits, CoreTiming, DecayRule, EventCost, EventCosts,
    InputCost, NeuronCharging, NumberFormat, Overflow, TileCoord, Timing, Topology,
};
pub use error::{ChipError, Result};
pub use model::{Model, ModelKind, ModelSet, Neurons, Reset};
pub use program::{
    CoreConfig, CoreProgram, LayerScale, NeuronGroup, OutputPort, Provenance, Route, RouteTable,
    SynapseTable, PROGRAM_FORMAT_VERSION,
};
pub use spikes::{load_samples, samples_from_npy, Merged, Samples, Spike, SpikeStream};

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` via a temporary file in the same folder and a
/// rename, so that a crash never leaves a half-written file behind. The
/// temporary file has a random name and is created exclusively (a link
/// planted under a predictable name cannot redirect the write), and it is
/// removed on every error path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let io = |e| ChipError::io(path, e);
    let mut tmp = tempfile::Builder::new()
        .prefix(".spikefab-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    // The temporary file is private (0600); the result is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(io)?;
    }
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
