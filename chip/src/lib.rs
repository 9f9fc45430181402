//! # spikefab-chip
//!
//! The spiking chip's "ISA", shared by every other spikefab crate:
//!
//! - [`Arch`]: a chip's hardware description (mesh, core capacities, number
//!   formats, per-event energy and latency), with built-in presets.
//! - [`CoreProgram`]: a network compiled onto that chip's cores (neuron
//!   tables, CSR synapse tables, routing tables, ports, provenance), stored as
//!   RON or compact binary `.sfc`.
//! - [`neuron`]: the bit-exact fixed-point neuron arithmetic, the single
//!   implementation that the emulator runs and the RTL must match.
//! - [`SpikeStream`]: address-event spike streams and their `.aer`, `.csv`
//!   and `.npy` files.
//!
//! It does not compile networks, run them, or know about audio: those are the
//! compiler, emulator and cochlea crates.
//!
//! ```
//! use spikefab_chip::{Arch, neuron::{cuba_lif_step, CubaLif, Fixed, Mul12}};
//!
//! let loihi = Arch::preset("loihi").unwrap();
//! assert_eq!(loihi.topology.num_cores(), 128);
//! let fx = Fixed::new(&loihi.format);
//! let decay = Mul12 { current_offset: 1, voltage_offset: 0 };
//! let p = CubaLif { du: 4095, dv: 0, bias: 0, vth: fx.effective_threshold(10) };
//! // 11 << 6 exceeds the threshold 10 << 6: the neuron fires and resets.
//! let s = cuba_lif_step::<_, true>(&fx, &decay, &p, 0, 0, 11);
//! assert!(s.spike && s.v == 0 && s.u == 11 << 6);
//! ```

pub mod arch;
pub mod error;
pub mod limits;
pub mod neuron;
pub mod npy;
pub mod program;
pub mod spikes;
pub mod text;

pub use arch::{
    Accuracy, Arch, BarrierLookup, CoreLimits, CoreTiming, DecayRule, EventCost, EventCosts,
    InputCost, NeuronCharging, NumberFormat, Overflow, TileCoord, Timing, Topology,
};
pub use error::{ChipError, Result};
pub use program::{
    CoreConfig, CoreProgram, LayerScale, NeuronGroup, NeuronModel, OutputPort, Provenance, Route,
    RouteTable, SynapseTable, PROGRAM_FORMAT_VERSION,
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
