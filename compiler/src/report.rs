//! The compile report: does it fit, how full is each core, what did
//! quantization and placement do.

use serde::{Deserialize, Serialize};

use spikefab_chip::CoreProgram;

use crate::map::PlacementCost;
use crate::network::Network;
use crate::quantize::QuantizedNetwork;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompileReport {
    pub network: String,
    pub arch: String,
    pub cores_used: usize,
    pub cores_available: usize,
    pub neurons: usize,
    pub synapses: usize,
    /// Per core: fraction of each capacity used.
    pub utilization: Vec<CoreUtilization>,
    /// Mean routing entries (messages) per spiking neuron.
    pub mean_fan_out_messages: f64,
    /// Per layer (population): the weight exponent and the relative RMS error
    /// of the quantized incoming weights.
    pub layers: Vec<LayerReport>,
    /// Messages × hops if every neuron fired once, in order and after placement.
    pub placement_in_order: u64,
    pub placement_optimized: u64,
    /// Chip steps from an input spike to the output layer.
    pub output_latency_steps: u32,
    /// Filled in when sample inputs were given (`spikefab compile --inputs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fidelity: Option<Fidelity>,
}

/// How the compiled program behaves against references on sample inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fidelity {
    pub samples: usize,
    /// Fraction of (output neuron, step) pairs where the emulated program and the
    /// float reference with the chip's semantics (reset to 0, one step per layer) agree.
    pub spike_agreement_vs_float: f64,
    /// Fraction of samples whose decision (the output neuron with most spikes) agrees.
    pub decision_agreement_vs_float: f64,
    /// The same against the exporter's own recorded output spikes, when given.
    pub spike_agreement_vs_recorded: Option<f64>,
    pub decision_agreement_vs_recorded: Option<f64>,
    /// Output spikes per output neuron and step, on the chip and in the
    /// float reference: what to compare when the network is noisy (the two
    /// draw different noise, so spikes agree only in distribution).
    #[serde(default)]
    pub output_rate_chip: f64,
    #[serde(default)]
    pub output_rate_float: f64,
    /// Whether the network has noisy populations.
    #[serde(default)]
    pub noisy: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoreUtilization {
    pub core_id: u32,
    pub neurons: f64,
    pub synapses: f64,
    pub axons: f64,
    pub routes: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerReport {
    pub name: String,
    pub neurons: usize,
    pub cores: usize,
    pub weight_exp: i8,
    pub weight_error: f64,
    /// The state register's range over the layer's worst-case synaptic
    /// current (every source firing every step into same-signed weights):
    /// ≥ 1 means its current cannot wrap or saturate. The quantizer lowers
    /// the layer's gain until it is; absent when the current never decays.
    #[serde(default)]
    pub current_headroom: Option<f64>,
    /// Bits the layer's largest threshold mantissa uses after that.
    #[serde(default)]
    pub threshold_bits: Option<u32>,
    /// Entries of the layer's schedule (CE-LIF, STDI), 0 without one.
    #[serde(default)]
    pub schedule_entries: usize,
    /// The largest error of its quantized threshold offsets, relative to
    /// the layer's largest threshold.
    #[serde(default)]
    pub schedule_error: Option<f64>,
    /// For a noisy layer: the chip's noise amplitude against the network's,
    /// relative (a power of two of the input units is the nearest it has).
    #[serde(default)]
    pub noise_error: Option<f64>,
    /// Dendritic branches per neuron, 0 for point neurons.
    #[serde(default)]
    pub branches: usize,
    /// For a dendritic layer: the chip's branch cap against the network's, relative.
    #[serde(default)]
    pub dendrite_error: Option<f64>,
}

impl CompileReport {
    pub(crate) fn new(
        net: &Network,
        q: &QuantizedNetwork,
        p: &CoreProgram,
        slices: &[Vec<crate::map::Slice>],
        cost: &PlacementCost,
    ) -> Self {
        let lim = &p.arch.core;
        let frac = |a: usize, b: u32| if b > 0 { a as f64 / b as f64 } else { 0.0 };
        let routes: usize = p.cores.iter().map(|c| c.routes.len()).sum();
        CompileReport {
            network: net.name.clone(),
            arch: p.arch.name.clone(),
            cores_used: p.cores.len(),
            cores_available: p.arch.topology.num_cores(),
            neurons: p.num_neurons(),
            synapses: p.num_synapses(),
            utilization: p
                .cores
                .iter()
                .map(|c| CoreUtilization {
                    core_id: c.core_id,
                    // somas and dendritic branches share the core's compartments
                    neurons: frac(c.num_compartments(), lim.max_neurons),
                    synapses: frac(c.synapses.len(), lim.max_synapses),
                    axons: frac(c.synapses.num_axons(), lim.max_axons),
                    routes: frac(c.routes.len(), lim.max_routes),
                })
                .collect(),
            mean_fan_out_messages: routes as f64 / p.num_neurons().max(1) as f64,
            layers: net
                .populations
                .iter()
                .enumerate()
                .map(|(i, pop)| {
                    let incoming: Vec<f64> = q
                        .projections
                        .iter()
                        .filter(|pr| pr.dst == i)
                        .map(|pr| pr.weight_error)
                        .collect();
                    LayerReport {
                        name: pop.name.clone(),
                        neurons: pop.size,
                        cores: slices[i].len(),
                        weight_exp: q.populations[i].group.weight_exp,
                        weight_error: incoming.iter().copied().fold(0.0, f64::max),
                        current_headroom: q.populations[i].current_headroom,
                        threshold_bits: q.populations[i].threshold_bits,
                        schedule_entries: pop.schedule.as_ref().map_or(0, |s| s.len()),
                        schedule_error: q.populations[i].schedule_error,
                        noise_error: q.populations[i].noise_error,
                        branches: pop.dendrites.map_or(0, |d| d.branches),
                        dendrite_error: q.populations[i].dendrite_error,
                    }
                })
                .collect(),
            placement_in_order: cost.in_order,
            placement_optimized: cost.optimized,
            output_latency_steps: p.provenance.output_latency_steps,
            fidelity: None,
        }
    }

    /// A compact table for the terminal.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} → '{}': {} of {} cores, {} neurons, {} synapses, output latency {} steps",
            self.network,
            self.arch,
            self.cores_used,
            self.cores_available,
            self.neurons,
            self.synapses,
            self.output_latency_steps
        );
        let _ = writeln!(
            s,
            "  layer                 neurons  cores  weight exp  weight error  current room  threshold bits  schedule  dendrites  noise"
        );
        for l in &self.layers {
            // the state register over the worst-case current: ≥ 1× cannot overflow
            let room = l
                .current_headroom
                .map_or("unbounded".into(), |h| format!("{h:.2}×"));
            // entries, and the offsets' largest quantization error
            let schedule = match (l.schedule_entries, l.schedule_error) {
                (0, _) => "-".to_string(),
                (n, Some(e)) => format!("{n} (±{:.1e})", e),
                (n, None) => n.to_string(),
            };
            // branches, and the cap's quantization error
            let dendrites = match (l.branches, l.dendrite_error) {
                (0, _) => "-".to_string(),
                (k, Some(e)) => format!("{k} (±{:.1}%)", 100.0 * e),
                (k, None) => k.to_string(),
            };
            let _ = writeln!(
                s,
                "  {:<20} {:>8} {:>6} {:>11} {:>12.2e} {:>13} {:>15}  {:<8}  {:<9}  {}",
                l.name,
                l.neurons,
                l.cores,
                l.weight_exp,
                l.weight_error,
                room,
                l.threshold_bits.map_or("-".into(), |b| b.to_string()),
                schedule,
                dendrites,
                l.noise_error
                    .map_or("-".into(), |e| format!("±{:.0}% amplitude", 100.0 * e))
            );
        }
        let max = |f: fn(&CoreUtilization) -> f64| {
            self.utilization.iter().map(f).fold(0.0, f64::max) * 100.0
        };
        let _ = writeln!(
            s,
            "  fullest core: compartments {:.0}%, synapses {:.0}%, axons {:.0}%, routes {:.0}%",
            max(|u| u.neurons),
            max(|u| u.synapses),
            max(|u| u.axons),
            max(|u| u.routes)
        );
        let _ = writeln!(
            s,
            "  placement: messages × hops {} in order → {} placed; {:.2} messages per neuron",
            self.placement_in_order, self.placement_optimized, self.mean_fan_out_messages
        );
        if let Some(f) = &self.fidelity {
            let _ = writeln!(
                s,
                "  on {} sample inputs: spikes agree with the float reference {:.2}%, decisions {:.1}%",
                f.samples,
                100.0 * f.spike_agreement_vs_float,
                100.0 * f.decision_agreement_vs_float
            );
            let _ = writeln!(
                s,
                "  output rate: chip {:.4}, float {:.4} spikes per neuron and step{}",
                f.output_rate_chip,
                f.output_rate_float,
                if f.noisy {
                    " (noisy: chip and float draw different noise, so compare these, not spikes)"
                } else {
                    ""
                }
            );
            if let (Some(sp), Some(d)) = (
                f.spike_agreement_vs_recorded,
                f.decision_agreement_vs_recorded,
            ) {
                let _ = writeln!(
                    s,
                    "  against the exporter's recorded outputs: spikes {:.2}%, decisions {:.1}%",
                    100.0 * sp,
                    100.0 * d
                );
            }
        }
        s
    }
}
