//! A forced placement: which physical cores hold each population's neurons
//! and send each input's spikes.
//!
//! The compiler normally partitions, packs and places by itself
//! ([`crate::map`]). A placement file overrides all three, so that a mapping
//! made elsewhere — a SANA-FE network's `map_to_core` calls, a hand
//! placement, a floor plan — can be rebuilt exactly:
//!
//! ```ron
//! (
//!     populations: [
//!         // neurons 0..1000 of "hidden" on core 0, 1000..1200 on core 5
//!         (name: "hidden", cores: [(core: 0, neurons: 1000), (core: 5, neurons: 200)]),
//!         (name: "out", cores: [(core: 5, neurons: 10)]),
//!     ],
//!     // where input spikes are sent from (arch `inputs: OnCore`); optional
//!     inputs: [(name: "in", cores: [(core: 4, neurons: 64)])],
//! )
//! ```
//!
//! Several blocks may share a core; the core's capacities are checked as for
//! any program. An input not listed sends from the core of its first target.

use serde::Deserialize;
use std::path::Path;

use spikefab_chip::limits::MAX_CORES;

use crate::error::{CompileError, Result};
use crate::network::Network;

/// Largest placement file read, in bytes (a block is ~30 bytes; this allows
/// a block for every one of the most cores an arch may have).
pub const MAX_PLACEMENT_BYTES: u64 = 64 << 20;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    pub populations: Vec<Assignment>,
    #[serde(default)]
    pub inputs: Vec<Assignment>,
}

/// Consecutive blocks of one population's (or input's) neurons, in order.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub name: String,
    pub cores: Vec<Block>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// Physical core id on the arch (tile-major, as `Topology::tile_of`).
    pub core: u32,
    pub neurons: u32,
}

/// `(physical core, start, end)`: neurons `start..end` on one core.
pub(crate) type Blocks = Vec<(u32, usize, usize)>;

/// A placement checked against one network and one arch: per population
/// (and per input), its blocks.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub populations: Vec<Blocks>,
    /// Per input: its blocks, or empty when the file does not place it.
    pub inputs: Vec<Blocks>,
}

impl Placement {
    pub fn load(path: &Path) -> Result<Placement> {
        let read_err = |message: String| CompileError::Read {
            path: path.to_path_buf(),
            message,
        };
        let len = std::fs::metadata(path)
            .map_err(|e| read_err(e.to_string()))?
            .len();
        if len > MAX_PLACEMENT_BYTES {
            return Err(read_err(format!(
                "placement file of {len} bytes is larger than the {MAX_PLACEMENT_BYTES} read"
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| read_err(e.to_string()))?;
        Self::from_ron_str(&text, path)
    }

    pub fn from_ron_str(text: &str, origin: &Path) -> Result<Placement> {
        ron::from_str(text).map_err(|e| CompileError::Read {
            path: origin.to_path_buf(),
            message: format!("not a valid placement RON file: {e}"),
        })
    }

    /// Checks every name, size and core id against `net` and an arch of
    /// `num_cores` cores.
    pub(crate) fn resolve(&self, net: &Network, num_cores: usize) -> Result<Resolved> {
        let bad = |message: String| CompileError::Invalid {
            network: spikefab_chip::text::escape(&net.name),
            message: format!("placement: {message}"),
        };
        let blocks = |what: &str, a: &Assignment, size: usize| -> Result<Blocks> {
            let name = spikefab_chip::text::escape(&a.name);
            if a.cores.is_empty() || a.cores.len() > MAX_CORES {
                return Err(bad(format!(
                    "{what} '{name}' needs 1..={MAX_CORES} blocks, found {}",
                    a.cores.len()
                )));
            }
            let mut out = Vec::with_capacity(a.cores.len());
            let mut start = 0usize;
            for (k, b) in a.cores.iter().enumerate() {
                if b.core as usize >= num_cores {
                    return Err(bad(format!(
                        "{what} '{name}' block {k}: core {} does not exist (the arch has {num_cores})",
                        b.core
                    )));
                }
                if b.neurons == 0 {
                    return Err(bad(format!("{what} '{name}' block {k} places no neurons")));
                }
                let end = start.saturating_add(b.neurons as usize);
                if end > size {
                    return Err(bad(format!(
                        "{what} '{name}' has {size} neurons, its blocks place more"
                    )));
                }
                out.push((b.core, start, end));
                start = end;
            }
            if start != size {
                return Err(bad(format!(
                    "{what} '{name}' has {size} neurons, its blocks place {start}"
                )));
            }
            Ok(out)
        };
        // Each assignment's blocks, indexed like `sizes` (None: not placed).
        let resolve_all = |what: &str,
                           list: &[Assignment],
                           names: Vec<&str>,
                           sizes: Vec<usize>|
         -> Result<Vec<Option<Blocks>>> {
            let mut out = vec![None; names.len()];
            for a in list {
                let k = names.iter().position(|n| *n == a.name).ok_or_else(|| {
                    bad(format!(
                        "no {what} is named '{}'",
                        spikefab_chip::text::escape(&a.name)
                    ))
                })?;
                if out[k].is_some() {
                    return Err(bad(format!("{what} '{}' is placed twice", names[k])));
                }
                out[k] = Some(blocks(what, a, sizes[k])?);
            }
            Ok(out)
        };
        let populations = resolve_all(
            "population",
            &self.populations,
            net.populations.iter().map(|p| p.name.as_str()).collect(),
            net.populations.iter().map(|p| p.size).collect(),
        )?
        .into_iter()
        .zip(&net.populations)
        .map(|(b, p)| b.ok_or_else(|| bad(format!("population '{}' is not placed", p.name))))
        .collect::<Result<Vec<_>>>()?;
        let inputs = resolve_all(
            "input",
            &self.inputs,
            net.inputs.iter().map(|i| i.name.as_str()).collect(),
            net.inputs.iter().map(|i| i.size).collect(),
        )?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
        Ok(Resolved {
            populations,
            inputs,
        })
    }
}
