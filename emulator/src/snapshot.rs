//! Weight snapshots: what the plastic synapses deliver as a run learns
//! (issue 13: module metrics over learning are computed from them).
//!
//! Every N steps, after that step's learning, each learning core records
//! the delivered weight of each of its plastic synapses; a snapshot joins
//! the cores' in program order. [`plastic_synapses`] says what each column
//! is: the core, the synapse word, its axon, and the neuron it feeds.

use spikefab_chip::CoreProgram;

use crate::{EmulatorError, RunConfig};

/// Most values all snapshots of a run may hold together (4 bytes each: 512 MiB).
pub const MAX_SNAPSHOT_VALUES: u64 = 1 << 27;

/// The plastic synapses' delivered weights (weight mantissas: the group's
/// `2^weight_exp` scales them) after `steps_done` steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeightSnapshot {
    pub steps_done: u32,
    pub weights: Vec<i32>,
}

/// One column of a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlasticSynapse {
    pub core: u32,
    /// Its word in the core's synapse table.
    pub word: u32,
    /// The core's input axon it hangs on.
    pub axon: u32,
    /// The core-local neuron it feeds (a dendritic branch's neuron).
    pub neuron: u32,
}

/// Every plastic synapse of the program, in snapshot-column order.
pub fn plastic_synapses(p: &CoreProgram) -> Vec<PlasticSynapse> {
    let mut out = Vec::new();
    for (c, core) in p.cores.iter().enumerate() {
        let s = &core.synapses;
        if s.rule.iter().all(|&r| r == 0) {
            continue;
        }
        let neuron_of_slot = core.neuron_of_slot();
        for a in 0..s.num_axons() {
            for k in s.row(a) {
                if s.rule[k] != 0 {
                    out.push(PlasticSynapse {
                        core: c as u32,
                        word: k as u32,
                        axon: a as u32,
                        neuron: neuron_of_slot[s.word(k).target as usize],
                    });
                }
            }
        }
    }
    out
}

/// A snapshot request the run can honour: a period of at least one step, a
/// program that learns, and snapshots that fit [`MAX_SNAPSHOT_VALUES`].
pub(crate) fn check(p: &CoreProgram, cfg: &RunConfig) -> Result<(), EmulatorError> {
    let Some(every) = cfg.snapshot_every else {
        return Ok(());
    };
    let bad = |m: String| Err(EmulatorError::Input(format!("snapshot_every: {m}")));
    if every == 0 {
        return bad("a snapshot every 0 steps; give 1 or more".into());
    }
    let plastic: u64 = p
        .cores
        .iter()
        .map(|c| c.synapses.rule.iter().filter(|&&r| r != 0).count() as u64)
        .sum();
    if plastic == 0 {
        return bad("the program has no plastic synapses to snapshot".into());
    }
    let values = (cfg.steps / every) as u64 * plastic;
    if values > MAX_SNAPSHOT_VALUES {
        return bad(format!(
            "{} snapshots of {plastic} plastic synapses are {values} values, more than the {MAX_SNAPSHOT_VALUES} a run may keep; snapshot less often",
            cfg.steps / every
        ));
    }
    Ok(())
}

/// The cores' snapshots (per core, per snapshot, its columns) joined.
pub(crate) fn assemble(cfg: &RunConfig, by_core: &[&[Vec<i32>]]) -> Vec<WeightSnapshot> {
    let Some(every) = cfg.snapshot_every else {
        return Vec::new();
    };
    (0..cfg.steps / every)
        .map(|i| WeightSnapshot {
            steps_done: (i + 1) * every,
            weights: by_core
                .iter()
                .filter_map(|snaps| snaps.get(i as usize))
                .flatten()
                .copied()
                .collect(),
        })
        .collect()
}
