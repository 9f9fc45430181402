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

/// A placement checked against one network and one arch: per population
/// (and per input), the `(physical core, start..end)` blocks.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub populations: Vec<Vec<(u32, usize, usize)>>,
    /// Per input: its blocks, or empty when the file does not place it.
    pub inputs: Vec<Vec<(u32, usize, usize)>>,
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
        let blocks = |what: &str,
                      a: &Assignment,
                      size: usize|
         -> Result<Vec<(u32, usize, usize)>> {
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
        let mut populations = vec![None; net.populations.len()];
        for a in &self.populations {
            let p = net
                .populations
                .iter()
                .position(|p| p.name == a.name)
                .ok_or_else(|| {
                    bad(format!(
                        "no population is named '{}'",
                        spikefab_chip::text::escape(&a.name)
                    ))
                })?;
            if populations[p].is_some() {
                return Err(bad(format!(
                    "population '{}' is placed twice",
                    net.populations[p].name
                )));
            }
            populations[p] = Some(blocks("population", a, net.populations[p].size)?);
        }
        let populations = populations
            .into_iter()
            .zip(&net.populations)
            .map(|(b, p)| b.ok_or_else(|| bad(format!("population '{}' is not placed", p.name))))
            .collect::<Result<Vec<_>>>()?;
        let mut inputs = vec![Vec::new(); net.inputs.len()];
        for a in &self.inputs {
            let i = net
                .inputs
                .iter()
                .position(|i| i.name == a.name)
                .ok_or_else(|| {
                    bad(format!(
                        "no input is named '{}'",
                        spikefab_chip::text::escape(&a.name)
                    ))
                })?;
            if !inputs[i].is_empty() {
                return Err(bad(format!(
                    "input '{}' is placed twice",
                    net.inputs[i].name
                )));
            }
            inputs[i] = blocks("input", a, net.inputs[i].size)?;
        }
        Ok(Resolved {
            populations,
            inputs,
        })
    }
}
