//! Operation counters: what the energy and latency model is computed from.

use serde::{Deserialize, Serialize};
use std::ops::AddAssign;

use spikefab_chip::{EventCosts, InputCost};

/// Events counted per core and per timestep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Spike messages arriving at a core's axon table (from the NoC or an input port).
    pub messages_in: u64,
    /// Of those, messages from external input ports (their sending cost
    /// depends on the arch's `costs.inputs`).
    #[serde(default)]
    pub input_messages: u64,
    /// External input events (spikes on input channels) taken by the input
    /// ports; each becomes `input_messages` through the port's routes.
    #[serde(default)]
    pub input_events: u64,
    /// Synaptic operations: synapse words read and accumulated.
    pub synaptic_ops: u64,
    /// Of those, the ones read from dense (crossbar) tables.
    pub dense_synaptic_ops: u64,
    /// Neuron updates (every neuron of a used core, every step).
    pub neuron_updates: u64,
    /// Of those, updates of neurons with input or non-zero state.
    pub active_neuron_updates: u64,
    /// Spikes fired.
    pub spikes: u64,
    /// Spike messages sent (one per routing-table entry of a firing neuron).
    pub messages_out: u64,
    /// NoC hops taken by those messages, by kind.
    pub hops_east_west: u64,
    pub hops_north_south: u64,
    pub hops_chip: u64,
    /// State overflows: `u` wrapped or saturated, `v` clamped.
    pub saturations: u64,
    /// Plastic weight updates.
    pub learning_updates: u64,
    /// Adaptive-threshold updates (active ALIF neurons), on top of their
    /// neuron updates.
    #[serde(default)]
    pub threshold_updates: u64,
    /// Schedule-table reads (active neurons of groups with a schedule).
    #[serde(default)]
    pub schedule_lookups: u64,
    /// Random draws of noisy groups' neurons (every neuron, every step).
    #[serde(default)]
    pub noise_draws: u64,
    /// Dendritic branch operations (every branch of every neuron of a
    /// dendritic group, every step).
    #[serde(default)]
    pub branch_ops: u64,
    /// Pre- and post-synaptic trace updates of plastic synapses' axons and
    /// neurons (every step); their weight updates are `learning_updates`.
    #[serde(default)]
    pub trace_updates: u64,
}

impl AddAssign for Counters {
    fn add_assign(&mut self, o: Self) {
        self.messages_in += o.messages_in;
        self.input_messages += o.input_messages;
        self.input_events += o.input_events;
        self.synaptic_ops += o.synaptic_ops;
        self.dense_synaptic_ops += o.dense_synaptic_ops;
        self.neuron_updates += o.neuron_updates;
        self.active_neuron_updates += o.active_neuron_updates;
        self.spikes += o.spikes;
        self.messages_out += o.messages_out;
        self.hops_east_west += o.hops_east_west;
        self.hops_north_south += o.hops_north_south;
        self.hops_chip += o.hops_chip;
        self.saturations += o.saturations;
        self.learning_updates += o.learning_updates;
        self.threshold_updates += o.threshold_updates;
        self.schedule_lookups += o.schedule_lookups;
        self.noise_draws += o.noise_draws;
        self.branch_ops += o.branch_ops;
        self.trace_updates += o.trace_updates;
    }
}

/// Dynamic energy by op class, in pJ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EnergyBreakdown {
    pub axon_in_pj: f64,
    pub synaptic_pj: f64,
    pub neuron_pj: f64,
    pub spike_out_pj: f64,
    pub axon_out_pj: f64,
    /// Sending external input spikes (`costs.inputs`); their hops are in `noc_pj`.
    #[serde(default)]
    pub input_pj: f64,
    pub noc_pj: f64,
    pub learning_pj: f64,
    pub static_pj: f64,
    pub total_pj: f64,
}

impl Counters {
    pub fn idle_neuron_updates(&self) -> u64 {
        self.neuron_updates - self.active_neuron_updates
    }

    pub fn sparse_synaptic_ops(&self) -> u64 {
        self.synaptic_ops - self.dense_synaptic_ops
    }

    /// Time one core's send side spends on these events, in ns: updating its
    /// neurons, firing, sending messages and learning, one after another.
    /// (The receive side — axon lookups and synaptic operations — is timed
    /// by the core as it processes its messages.)
    pub fn send_time_ns(&self, c: &EventCosts) -> f64 {
        self.update_time_ns(c) + self.fire_time_ns(c) + self.learn_time_ns(c)
    }

    /// The neuron-update part of [`Self::send_time_ns`].
    pub fn update_time_ns(&self, c: &EventCosts) -> f64 {
        let (idle, active) = c.neuron.idle_and_active();
        self.active_neuron_updates as f64 * active.latency_ns
            + self.idle_neuron_updates() as f64 * idle.latency_ns
            + self.threshold_updates as f64 * c.threshold_update.latency_ns
            + self.schedule_lookups as f64 * c.schedule_lookup.latency_ns
            + self.noise_draws as f64 * c.noise_draw.latency_ns
            + self.branch_ops as f64 * c.branch_op.latency_ns
    }

    /// Firing and sending messages.
    pub fn fire_time_ns(&self, c: &EventCosts) -> f64 {
        self.spikes as f64 * c.spike_out.latency_ns
            + self.messages_out as f64 * c.axon_out.latency_ns
    }

    /// Learning: the traces and the weight updates. Under `Phased` timing
    /// a core learns at the start of its receive phase (the reference
    /// RTL's order: after its sends, so the traces count every spike of
    /// the step, and in parallel with the other cores).
    pub fn learn_time_ns(&self, c: &EventCosts) -> f64 {
        self.learning_updates as f64 * c.learning_update.latency_ns
            + self.trace_updates as f64 * c.trace_update.latency_ns
    }

    /// Dynamic energy of these events (static energy is added by the caller).
    /// Computed from integer counts only, so it is the same for any thread count.
    pub fn energy(&self, c: &EventCosts) -> EnergyBreakdown {
        let (idle, active) = c.neuron.idle_and_active();
        let (input_event_pj, input_message_pj) = match c.inputs {
            InputCost::Free => (0.0, 0.0),
            InputCost::OnCore => (0.0, c.axon_out.energy_pj),
            InputCost::OffChip { link } => (0.0, link.energy_pj),
            InputCost::Port { event } => (event.energy_pj, c.axon_out.energy_pj),
        };
        let mut e = EnergyBreakdown {
            axon_in_pj: self.messages_in as f64 * c.axon_in.energy_pj,
            synaptic_pj: self.dense_synaptic_ops as f64 * c.synapse_dense.energy_pj
                + self.sparse_synaptic_ops() as f64 * c.synapse_sparse.energy_pj,
            neuron_pj: self.active_neuron_updates as f64 * active.energy_pj
                + self.idle_neuron_updates() as f64 * idle.energy_pj
                + self.threshold_updates as f64 * c.threshold_update.energy_pj
                + self.schedule_lookups as f64 * c.schedule_lookup.energy_pj
                + self.noise_draws as f64 * c.noise_draw.energy_pj
                + self.branch_ops as f64 * c.branch_op.energy_pj,
            spike_out_pj: self.spikes as f64 * c.spike_out.energy_pj,
            axon_out_pj: self.messages_out as f64 * c.axon_out.energy_pj,
            input_pj: self.input_events as f64 * input_event_pj
                + self.input_messages as f64 * input_message_pj,
            noc_pj: self.hops_east_west as f64 * c.hop_east_west.energy_pj
                + self.hops_north_south as f64 * c.hop_north_south.energy_pj
                + self.hops_chip as f64 * c.hop_chip.energy_pj,
            learning_pj: self.learning_updates as f64 * c.learning_update.energy_pj
                + self.trace_updates as f64 * c.trace_update.energy_pj,
            static_pj: 0.0,
            total_pj: 0.0,
        };
        e.total_pj = e.dynamic_pj();
        e
    }
}

impl EnergyBreakdown {
    pub fn dynamic_pj(&self) -> f64 {
        self.axon_in_pj
            + self.synaptic_pj
            + self.neuron_pj
            + self.spike_out_pj
            + self.axon_out_pj
            + self.input_pj
            + self.noc_pj
            + self.learning_pj
    }
}

impl AddAssign for EnergyBreakdown {
    fn add_assign(&mut self, o: Self) {
        self.axon_in_pj += o.axon_in_pj;
        self.synaptic_pj += o.synaptic_pj;
        self.neuron_pj += o.neuron_pj;
        self.spike_out_pj += o.spike_out_pj;
        self.axon_out_pj += o.axon_out_pj;
        self.input_pj += o.input_pj;
        self.noc_pj += o.noc_pj;
        self.learning_pj += o.learning_pj;
        self.static_pj += o.static_pj;
        self.total_pj += o.total_pj;
    }
}
