//! One core's state and its work within a timestep: deliver arriving spikes
//! into the delay ring, update every neuron, collect the neurons that fired.
//!
//! State is structure-of-arrays; the neuron loop is monomorphic per
//! population (one `match` per group, never per neuron); nothing allocates.

use spikefab_chip::neuron::{
    activation, cuba_lif_step, effective_bias, if_step, CubaLif, Decay, Fixed, Mul12, ShiftDecay,
    Step,
};
use spikefab_chip::{CoreConfig, DecayRule, EventCosts, NeuronGroup, NeuronModel, TileCoord};

use crate::counters::Counters;

/// A spike message waiting at a core's axon table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arrival {
    pub axon: u32,
    /// Axonal delay carried by the route.
    pub delay: u8,
    /// When it left its core, in ns from the start of the step (the
    /// `Scheduled` timing model orders and times arrivals by it).
    pub sent_ns: f64,
    /// Its head latency through the mesh, in ns.
    pub hop_ns: f64,
}

pub(crate) struct CoreState<'p> {
    /// Index in `CoreProgram::cores`.
    pub index: usize,
    pub cfg: &'p CoreConfig,
    pub tile: TileCoord,
    n: usize,
    u: Vec<i32>,
    v: Vec<i32>,
    /// Effective bias and threshold, precomputed from mantissa and exponent.
    bias: Vec<i32>,
    vth: Vec<i32>,
    /// Dendritic accumulators: `slots × n`, slot `t mod slots` is integrated at step `t`.
    ring: Vec<i32>,
    slot_mask: u32,
    pub inbox: Vec<Arrival>,
    /// `Scheduled` timing: (sent, arrival, processing time) of this step's
    /// messages, and the scratch space that orders them without allocating.
    schedule: Vec<Timed>,
    scratch: Vec<Timed>,
    runs: Vec<usize>,
    pub spiked: Vec<u32>,
    /// For each neuron in `spiked`: the active neurons up to and including
    /// it in this step (when its messages leave, in the `Scheduled` model).
    pub active_before: Vec<u32>,
    pub totals: Counters,
    pub busy_ns: f64,
    /// This step's send-side time (neuron updates, spikes, messages out).
    pub send_ns: f64,
}

impl<'p> CoreState<'p> {
    pub fn new(
        index: usize,
        cfg: &'p CoreConfig,
        tile: TileCoord,
        fx: &Fixed,
        max_route_delay: u8,
        inbox_capacity: usize,
    ) -> Self {
        let n = cfg.num_neurons();
        let mut bias = Vec::with_capacity(n);
        let mut vth = Vec::with_capacity(n);
        for g in &cfg.groups {
            for i in 0..g.len() {
                bias.push(effective_bias(g.bias_mant[i], g.bias_exp[i]));
                vth.push(fx.effective_threshold(g.vth[i]));
            }
        }
        let max_delay = cfg.max_synaptic_delay() as u32 + max_route_delay as u32;
        let slots = (max_delay + 1).next_power_of_two();
        CoreState {
            index,
            cfg,
            tile,
            n,
            u: vec![0; n],
            v: vec![0; n],
            bias,
            vth,
            ring: vec![0; slots as usize * n],
            slot_mask: slots - 1,
            inbox: Vec::with_capacity(inbox_capacity),
            schedule: Vec::with_capacity(inbox_capacity),
            scratch: Vec::with_capacity(inbox_capacity),
            runs: Vec::with_capacity(inbox_capacity + 1),
            spiked: Vec::with_capacity(n),
            active_before: Vec::with_capacity(n),
            totals: Counters::default(),
            busy_ns: 0.0,
            send_ns: 0.0,
        }
    }

    /// The receive side of step `t`: synaptic operations for every message
    /// sent in this step, into the accumulator slot of the step it takes
    /// effect (`t + 1 +` axonal + synaptic delay). Returns the core's receive
    /// time: the sum of the messages' processing times, or under the
    /// `Scheduled` model the time the last one is processed when each starts
    /// once it has arrived and the core is free, taken in send order.
    pub fn deliver(
        &mut self,
        t: u32,
        c: &mut Counters,
        costs: &EventCosts,
        scheduled: bool,
    ) -> f64 {
        let s = &self.cfg.synapses;
        let n = self.n;
        let mask = self.slot_mask;
        let next = t.wrapping_add(1);
        let mut ops = 0u64;
        self.schedule.clear();
        let axon_in_ns = costs.axon_in.latency_ns;
        let synapse_ns = if s.dense {
            costs.synapse_dense.latency_ns
        } else {
            costs.synapse_sparse.latency_ns
        };
        for (k, a) in self.inbox.iter().enumerate() {
            // The rows of later messages are far apart in memory: ask for the
            // one a few messages ahead while this one is accumulated.
            if let Some(next) = self.inbox.get(k + PREFETCH_AHEAD) {
                prefetch(&s.synapses, s.axon_ptr[next.axon as usize] as usize);
            }
            let row = s.row(a.axon as usize);
            ops += row.len() as u64;
            if scheduled {
                let work = axon_in_ns + row.len() as f64 * synapse_ns;
                self.schedule.push((a.sent_ns, a.sent_ns + a.hop_ns, work));
            }
            let words = &s.synapses[row.clone()];
            if mask == 0 {
                let ring = &mut self.ring[..n];
                for w in words {
                    let acc = &mut ring[w.target as usize];
                    *acc = acc.wrapping_add(w.weight as i32);
                }
            } else {
                let base = next.wrapping_add(a.delay as u32);
                for (w, &d) in words.iter().zip(&s.delay[row]) {
                    let slot = (base.wrapping_add(d as u32) & mask) as usize;
                    let acc = &mut self.ring[slot * n + w.target as usize];
                    *acc = acc.wrapping_add(w.weight as i32);
                }
            }
        }
        let messages = self.inbox.len() as u64;
        c.messages_in += messages;
        self.inbox.clear();
        c.synaptic_ops += ops;
        if s.dense {
            c.dense_synaptic_ops += ops;
        }
        if scheduled {
            self.finish_of_schedule()
        } else {
            messages as f64 * axon_in_ns + ops as f64 * synapse_ns
        }
    }

    /// The `Scheduled` receive side: messages taken in send order, each
    /// starting once it has arrived and the core is free. Synaptic work
    /// itself ran in arrival-table order (memory order of the rows, which is
    /// faster); only this timing needs the send order. Entries equal in every
    /// field are interchangeable, so the result does not depend on which
    /// worker delivered what first; unstable sorting does not allocate.
    fn finish_of_schedule(&mut self) -> f64 {
        merge_sort_runs(&mut self.schedule, &mut self.scratch, &mut self.runs);
        self.schedule
            .iter()
            .fold(0.0f64, |free_at, &(_, arrives, work)| {
                free_at.max(arrives) + work
            })
    }

    /// Phase 2: update every neuron with this step's accumulated input.
    pub fn update(&mut self, t: u32, fx: &Fixed, rule: DecayRule, c: &mut Counters) {
        self.spiked.clear();
        self.active_before.clear();
        let n = self.n;
        let slot = (t & self.slot_mask) as usize * n;
        let mut base = 0;
        for g in &self.cfg.groups {
            let len = g.len();
            let r = base..base + len;
            let mut lanes = Lanes {
                acc: &mut self.ring[slot + base..slot + base + len],
                u: &mut self.u[r.clone()],
                v: &mut self.v[r.clone()],
                bias: &self.bias[r.clone()],
                vth: &self.vth[r],
                first_id: base as u32,
                spiked: &mut self.spiked,
                active_before: &mut self.active_before,
                counters: c,
            };
            match (g.model, rule) {
                (
                    NeuronModel::CubaLif,
                    DecayRule::Mul12 {
                        current_offset,
                        voltage_offset,
                    },
                ) => lanes.cuba::<_, true>(fx, &mul12(current_offset, voltage_offset), g),
                (NeuronModel::CubaLif, DecayRule::Shift) => {
                    lanes.cuba::<_, true>(fx, &ShiftDecay, g)
                }
                (
                    NeuronModel::Li,
                    DecayRule::Mul12 {
                        current_offset,
                        voltage_offset,
                    },
                ) => lanes.cuba::<_, false>(fx, &mul12(current_offset, voltage_offset), g),
                (NeuronModel::Li, DecayRule::Shift) => lanes.cuba::<_, false>(fx, &ShiftDecay, g),
                (NeuronModel::If, _) => lanes.integrate_and_fire(fx, g),
            }
            base += len;
        }
        c.neuron_updates += n as u64;
        c.spikes += self.spiked.len() as u64;
    }
}

/// One message of the `Scheduled` receive side: (sent, arrival, processing time).
type Timed = (f64, f64, f64);

/// The total order of `Timed` entries: by send time, then arrival, then
/// work. Entries equal in all three are interchangeable.
fn before(a: &Timed, b: &Timed) -> bool {
    a.0.total_cmp(&b.0)
        .then(a.1.total_cmp(&b.1))
        .then(a.2.total_cmp(&b.2))
        .is_lt()
}

/// Sorts `v` by [`before`] with a bottom-up merge of its ascending runs.
/// An inbox is a concatenation of per-source-core runs already in send order
/// (a few runs of many messages), so this takes a few linear passes where a
/// general sort would pay `m log m` comparisons; `scratch` and `runs` have
/// the capacity of the largest inbox, so nothing allocates.
fn merge_sort_runs(v: &mut Vec<Timed>, scratch: &mut Vec<Timed>, runs: &mut Vec<usize>) {
    runs.clear();
    runs.push(0);
    for i in 1..v.len() {
        if before(&v[i], &v[i - 1]) {
            runs.push(i);
        }
    }
    runs.push(v.len());
    while runs.len() > 2 {
        scratch.clear();
        let mut merged = 1; // runs[..merged] are the new boundaries
        let mut k = 0;
        while k + 1 < runs.len() {
            let (lo, mid) = (runs[k], runs[k + 1]);
            let hi = runs.get(k + 2).copied().unwrap_or(mid);
            let (mut i, mut j) = (lo, mid);
            while i < mid && j < hi {
                if before(&v[j], &v[i]) {
                    scratch.push(v[j]);
                    j += 1;
                } else {
                    scratch.push(v[i]);
                    i += 1;
                }
            }
            scratch.extend_from_slice(&v[i..mid]);
            scratch.extend_from_slice(&v[j..hi]);
            runs[merged] = hi;
            merged += 1;
            k += 2;
        }
        runs.truncate(merged);
        std::mem::swap(v, scratch);
    }
}

/// How many messages ahead the synapse row is prefetched.
const PREFETCH_AHEAD: usize = 6;

/// A cache hint for the synapse row starting at `words[at]`; no effect on results.
#[inline(always)]
fn prefetch(words: &[spikefab_chip::program::Synapse], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(w) = words.get(at) {
        // SAFETY: `_mm_prefetch` only hints the cache; the pointer is in bounds.
        unsafe {
            std::arch::x86_64::_mm_prefetch(
                w as *const _ as *const i8,
                std::arch::x86_64::_MM_HINT_T0,
            )
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (words, at);
}

fn mul12(current_offset: u8, voltage_offset: u8) -> Mul12 {
    Mul12 {
        current_offset: current_offset as u16,
        voltage_offset: voltage_offset as u16,
    }
}

/// The slices of one population that a neuron loop works on.
struct Lanes<'a> {
    acc: &'a mut [i32],
    u: &'a mut [i32],
    v: &'a mut [i32],
    bias: &'a [i32],
    vth: &'a [i32],
    first_id: u32,
    spiked: &'a mut Vec<u32>,
    active_before: &'a mut Vec<u32>,
    counters: &'a mut Counters,
}

impl Lanes<'_> {
    /// The loop every model shares: take the accumulated input, apply `step`
    /// to (neuron, a_in, u, v), store the state, count, collect spikes.
    /// A neuron is active when it has input, non-zero state or a bias: its
    /// state must be read, changed and written back.
    #[inline(always)]
    fn integrate(&mut self, weight_exp: i8, step: impl Fn(usize, i32, i32, i32) -> Step) {
        let active_base = self.counters.active_neuron_updates;
        let mut active = 0u64;
        let mut saturations = 0u64;
        for i in 0..self.acc.len() {
            let sum = std::mem::take(&mut self.acc[i]);
            let (u, v) = (self.u[i], self.v[i]);
            active += (sum != 0 || u != 0 || v != 0 || self.bias[i] != 0) as u64;
            let s = step(i, activation(sum, weight_exp), u, v);
            self.u[i] = s.u;
            self.v[i] = s.v;
            saturations += s.saturated as u64;
            if s.spike {
                self.spiked.push(self.first_id + i as u32);
                self.active_before.push((active_base + active) as u32);
            }
        }
        self.counters.active_neuron_updates += active;
        self.counters.saturations += saturations;
    }

    #[inline(always)]
    fn cuba<D: Decay, const SPIKING: bool>(&mut self, fx: &Fixed, decay: &D, g: &NeuronGroup) {
        let (bias, vth) = (self.bias, self.vth);
        self.integrate(g.weight_exp, |i, a_in, u, v| {
            let p = CubaLif {
                du: g.du[i],
                dv: g.dv[i],
                bias: bias[i],
                vth: vth[i],
            };
            cuba_lif_step::<D, SPIKING>(fx, decay, &p, u, v, a_in)
        });
    }

    /// IF has no current register: its `u` stays 0.
    #[inline(always)]
    fn integrate_and_fire(&mut self, fx: &Fixed, g: &NeuronGroup) {
        let (bias, vth) = (self.bias, self.vth);
        self.integrate(g.weight_exp, |i, a_in, _u, v| {
            if_step(fx, bias[i], vth[i], v, a_in)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The run merge sorts like the standard sort, whatever the runs.
    #[test]
    fn merging_runs_sorts() {
        let mut rng = 12345u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 33) % 50
        };
        for len in [0, 1, 2, 3, 7, 64, 301] {
            let mut v: Vec<Timed> = (0..len)
                .map(|_| (next() as f64, next() as f64, (next() % 3) as f64))
                .collect();
            let mut expect = v.clone();
            expect.sort_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then(a.1.total_cmp(&b.1))
                    .then(a.2.total_cmp(&b.2))
            });
            let (mut scratch, mut runs) = (Vec::new(), Vec::new());
            merge_sort_runs(&mut v, &mut scratch, &mut runs);
            assert_eq!(v, expect, "len {len}");
        }
    }
}
