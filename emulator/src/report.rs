//! The energy and latency report of one run (`report.json`).
//!
//! Only modelled quantities live here — nothing about the host — so the
//! report is byte-identical for any thread count. Field names are stable and
//! documented in `docs/report.md`.

use serde::{Deserialize, Serialize};

use spikefab_chip::CoreProgram;

use crate::counters::{Counters, EnergyBreakdown};

/// Version of the report layout.
pub const REPORT_FORMAT_VERSION: u32 = 3;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format_version: u32,
    pub arch: String,
    /// The arch's published error bars against silicon, if it has any: the
    /// estimates below are good to ± these percentages at best.
    pub accuracy: Option<spikefab_chip::Accuracy>,
    pub program: ProgramSummary,
    /// Timesteps emulated; one run is one inference.
    pub steps: u32,
    pub totals: Counters,
    pub energy: EnergyBreakdown,
    pub latency: Latency,
    pub neurobench: NeuroBench,
    pub cores: Vec<CoreReport>,
    /// Per layer (the groups a layer was split into, summed): what its
    /// neurons' registers did. A layer's `u` wrapping is a silent wrong
    /// number on a chip; the compiler's headroom is meant to keep this 0.
    #[serde(default)]
    pub layers: Vec<LayerCounts>,
    /// One record per step when the run asked for them (`RunConfig::record_steps`,
    /// `spikefab run --per-step`); empty otherwise.
    pub per_step: Vec<StepRecord>,
}

/// The latency parts summed over a run's steps, kept as it goes so that no
/// per-step record is needed for the totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepTotals {
    pub latency_ns: f64,
    pub max_step_ns: f64,
    pub core_ns: f64,
    pub noc_ns: f64,
    pub barrier_ns: f64,
    /// Events of the input ports, which belong to no program core.
    pub input_ports: Counters,
}

impl StepTotals {
    pub fn add(&mut self, r: &StepRecord) {
        self.latency_ns += r.latency_ns;
        self.max_step_ns = self.max_step_ns.max(r.latency_ns);
        self.core_ns += r.core_ns;
        self.noc_ns += r.noc_ns;
        self.barrier_ns += r.barrier_ns;
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgramSummary {
    pub source: String,
    pub cores_used: usize,
    pub tiles_used: usize,
    /// Tiles along x and y of the arch's whole mesh.
    pub mesh_tiles: (u32, u32),
    pub neurons: usize,
    pub synapses: usize,
    pub input_channels: usize,
    pub output_channels: usize,
    pub dt_s: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Chip time for the whole run (one inference).
    pub total_ns: f64,
    pub mean_step_ns: f64,
    pub max_step_ns: f64,
    /// The three parts of every step's latency, summed over the run.
    pub core_ns: f64,
    pub noc_ns: f64,
    pub barrier_ns: f64,
    /// Timesteps per second of chip time.
    pub steps_per_s: f64,
    /// Model time over chip time: > 1 means faster than real time.
    pub speedup_vs_real_time: f64,
}

/// NeuroBench's complexity metrics (Yik et al., "NeuroBench", Nat. Commun. 2025),
/// with one run as one sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeuroBench {
    pub synaptic_operations: SynapticOperations,
    /// Zero activations over all neuron-steps: 1 − spikes / (neurons · steps).
    pub activation_sparsity: f64,
    /// Zero weights over all possible connections of the cores' axon × neuron crossbars.
    pub connection_sparsity: f64,
    /// Bytes of on-chip parameter memory (synapse words, neuron parameters, routes)
    /// at the arch's field widths.
    pub footprint_bytes: u64,
    /// Neuron state updates (neurons · steps).
    pub membrane_updates: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynapticOperations {
    /// Every synapse evaluated every step, as a dense accelerator would.
    #[serde(rename = "Dense")]
    pub dense: u64,
    /// Accumulates actually performed: one per synapse word read on a spike.
    #[serde(rename = "Eff_ACs")]
    pub eff_acs: u64,
    /// Multiply-accumulates (none: spikes are binary).
    #[serde(rename = "Eff_MACs")]
    pub eff_macs: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerCounts {
    /// The layer's name: its groups' names without the compiler's `[a..b]` slice.
    pub layer: String,
    /// Neuron updates in which `u` wrapped or saturated or `v` was clamped.
    pub saturations: u64,
}

/// Per-layer counts from per-core, per-group counts (in the program's
/// order), layers in order of first appearance.
pub(crate) fn layer_counts(p: &CoreProgram, group_saturations: &[&[u64]]) -> Vec<LayerCounts> {
    let mut layers: Vec<LayerCounts> = Vec::new();
    for (core, sats) in p.cores.iter().zip(group_saturations) {
        for (g, &s) in core.groups.iter().zip(sats.iter()) {
            let name = g.name.split_once('[').map_or(g.name.as_str(), |(l, _)| l);
            match layers.iter_mut().find(|l| l.layer == name) {
                Some(l) => l.saturations += s,
                None => layers.push(LayerCounts {
                    layer: name.to_string(),
                    saturations: s,
                }),
            }
        }
    }
    layers
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoreReport {
    /// Index in the program.
    pub core: usize,
    /// Physical core id on the arch.
    pub core_id: u32,
    pub tile: (u32, u32),
    pub neurons: usize,
    pub synapses: usize,
    pub counters: Counters,
    pub energy: EnergyBreakdown,
    /// Time the core was computing, summed over steps.
    pub busy_ns: f64,
    /// busy_ns over the run's total latency.
    pub utilization: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub counters: Counters,
    /// Messages on the busiest directed mesh link.
    pub max_link_load: u32,
    /// Slowest core's compute time.
    pub core_ns: f64,
    /// NoC drain time under this step's link loads.
    pub noc_ns: f64,
    pub barrier_ns: f64,
    pub latency_ns: f64,
}

impl Report {
    pub(crate) fn new(
        p: &CoreProgram,
        steps: u32,
        step_totals: StepTotals,
        per_step: Vec<StepRecord>,
        cores: &[(Counters, f64)],
    ) -> Report {
        let arch = &p.arch;
        let mut totals = step_totals.input_ports;
        for (c, _) in cores {
            totals += *c;
        }
        let total_ns = step_totals.latency_ns;
        let static_per_core_pj = arch.timing.static_power_mw_per_core * total_ns; // mW · ns = pJ
        let mut energy = totals.energy(&arch.costs);
        energy.static_pj = static_per_core_pj * cores.len() as f64;
        energy.total_pj += energy.static_pj;

        let mut tiles: Vec<_> = p
            .cores
            .iter()
            .map(|c| arch.topology.tile_of(c.core_id as usize))
            .collect();
        tiles.sort_unstable_by_key(|t| (t.y, t.x));
        tiles.dedup();

        let core_reports = p
            .cores
            .iter()
            .zip(cores)
            .enumerate()
            .map(|(i, (cfg, (c, busy)))| {
                let t = arch.topology.tile_of(cfg.core_id as usize);
                let mut e = c.energy(&arch.costs);
                e.static_pj = static_per_core_pj;
                e.total_pj += static_per_core_pj;
                CoreReport {
                    core: i,
                    core_id: cfg.core_id,
                    tile: (t.x, t.y),
                    neurons: cfg.num_neurons(),
                    synapses: cfg.synapses.len(),
                    counters: *c,
                    energy: e,
                    busy_ns: *busy,
                    utilization: if total_ns > 0.0 { busy / total_ns } else { 0.0 },
                }
            })
            .collect();

        let neuron_steps = p.num_neurons() as u64 * steps as u64;
        let possible: u64 = p
            .cores
            .iter()
            .map(|c| c.synapses.num_axons() as u64 * c.num_neurons() as u64)
            .sum();
        let nonzero: u64 = p
            .cores
            .iter()
            .map(|c| c.synapses.iter().filter(|w| w.weight != 0).count() as u64)
            .sum();
        let model_s = steps as f64 * p.dt;
        Report {
            format_version: REPORT_FORMAT_VERSION,
            arch: arch.name.clone(),
            accuracy: arch.accuracy.clone(),
            program: ProgramSummary {
                source: p.provenance.source.clone(),
                cores_used: p.cores.len(),
                tiles_used: tiles.len(),
                mesh_tiles: arch.topology.mesh_size(),
                neurons: p.num_neurons(),
                synapses: p.num_synapses(),
                input_channels: p.num_input_channels(),
                output_channels: p.outputs.len(),
                dt_s: p.dt,
            },
            steps,
            totals,
            energy,
            latency: Latency {
                total_ns,
                mean_step_ns: if steps > 0 {
                    total_ns / steps as f64
                } else {
                    0.0
                },
                max_step_ns: step_totals.max_step_ns,
                core_ns: step_totals.core_ns,
                noc_ns: step_totals.noc_ns,
                barrier_ns: step_totals.barrier_ns,
                steps_per_s: if total_ns > 0.0 {
                    steps as f64 / (total_ns * 1e-9)
                } else {
                    0.0
                },
                speedup_vs_real_time: if total_ns > 0.0 {
                    model_s / (total_ns * 1e-9)
                } else {
                    0.0
                },
            },
            neurobench: NeuroBench {
                synaptic_operations: SynapticOperations {
                    dense: p.num_synapses() as u64 * steps as u64,
                    eff_acs: totals.synaptic_ops,
                    eff_macs: 0,
                },
                activation_sparsity: if neuron_steps > 0 {
                    1.0 - totals.spikes as f64 / neuron_steps as f64
                } else {
                    0.0
                },
                connection_sparsity: if possible > 0 {
                    1.0 - nonzero as f64 / possible as f64
                } else {
                    0.0
                },
                footprint_bytes: footprint_bytes(p),
                membrane_updates: totals.neuron_updates,
            },
            cores: core_reports,
            layers: Vec::new(),
            per_step,
        }
    }

    /// Stable, pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }
}

/// On-chip parameter memory at the arch's field widths, in bytes.
fn footprint_bytes(p: &CoreProgram) -> u64 {
    let f = &p.arch.format;
    let bits_for = |n: u64| 64 - n.saturating_sub(1).leading_zeros() as u64;
    let neuron_id_bits = bits_for(p.arch.core.max_neurons as u64);
    let delay_bits = bits_for(p.arch.core.max_delay as u64 + 1);
    let synapse_word = f.weight_bits as u64 + neuron_id_bits + delay_bits;
    // du, dv (12), bias mantissa + 4-bit exponent, threshold.
    let neuron_word = 12 + 12 + f.bias_bits as u64 + 4 + f.threshold_bits as u64;
    let core_bits = bits_for(p.arch.topology.num_cores() as u64);
    let route_word = core_bits + bits_for(p.arch.core.max_axons as u64) + delay_bits;
    let pointer_word = bits_for(p.arch.core.max_synapses as u64 + 1);
    let bits: u64 = p
        .cores
        .iter()
        .map(|c| {
            c.synapses.len() as u64 * synapse_word
                + c.num_neurons() as u64 * (neuron_word + pointer_word)
                + (c.synapses.num_axons() + 1) as u64 * pointer_word
                + c.routes.len() as u64 * route_word
        })
        .sum();
    bits.div_ceil(8)
}
