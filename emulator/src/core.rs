//! One core's state and its work within a timestep: deliver arriving spikes
//! into the delay ring, update every neuron, collect the neurons that fired.
//!
//! Each population is a [`Population`] built once, monomorphic in its neuron
//! model and the chip's decay rule (one dynamic call per group and step,
//! never per neuron); nothing allocates while it runs.

use spikefab_chip::model::noise;
use spikefab_chip::model::plasticity::{self, LearningRule};
use spikefab_chip::model::reset::{Subtract, ToZero};
use spikefab_chip::model::schedule::Scheduled;
use spikefab_chip::model::{Dendrites, Fire, Noise, Schedule, Visit};
use spikefab_chip::neuron::{activation, Decay, Fixed, Mul12, ShiftDecay};
use spikefab_chip::program::Synapse;
use spikefab_chip::{CoreConfig, CoreProgram, DecayRule, Model, Reset, TileCoord};

use crate::counters::Counters;

/// A spike message waiting at a core's axon table.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
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

/// A buffer for a run that will hold at most `bound` items. It is reserved
/// whole up to [`RESERVE_BYTES`], so that it never grows during the run;
/// a larger bound (every neuron firing every step: 28 GB for one worker's
/// outbox at 4 M neurons, more address space than the system grants in
/// one piece) is reserved that far, and the buffer grows to what the run
/// actually sends, in its first busy steps.
pub(crate) fn buffer<T>(bound: usize) -> Vec<T> {
    Vec::with_capacity(bound.min(RESERVE_BYTES / std::mem::size_of::<T>().max(1)))
}

/// See [`buffer`].
const RESERVE_BYTES: usize = 64 << 20;

pub(crate) struct CoreState<'p> {
    /// Index in `CoreProgram::cores`.
    pub index: usize,
    pub cfg: &'p CoreConfig,
    pub tile: TileCoord,
    /// Input slots: one per point neuron, one per dendritic branch.
    n: usize,
    /// The groups' neurons and state, in neuron-id order.
    populations: Vec<Box<dyn Population>>,
    /// The core's noise stream (xorshift32 state, model/noise.rs).
    rng: u32,
    /// Its plasticity state, if it has plastic synapses (model/plasticity.rs).
    learning: Option<Learning>,
    /// Per group: its neurons' register overflows so far (for the report's layers).
    pub group_saturations: Vec<u64>,
    /// Input accumulators: `delay slots × n`, delay slot `t mod slots` is integrated at step `t`.
    ring: Vec<i32>,
    slot_mask: u32,
    pub inbox: Vec<Arrival>,
    /// This pass's received messages and synaptic operations so far.
    received: (u64, u64),
    /// A message's fixed receive time and each synaptic operation's (ns).
    receive_ns: (f64, f64),
    /// `Scheduled` timing: (sent, arrival, processing time) of this step's
    /// messages, and the sort's buffers, kept so that ordering them does
    /// not allocate.
    schedule: Vec<Timed>,
    scratch: Vec<Timed>,
    bucket_starts: Vec<u32>,
    pub spiked: Vec<u32>,
    /// For each neuron in `spiked`: the active neurons up to and including
    /// it in this step (when its messages leave, in the `Scheduled` model).
    pub active_before: Vec<u32>,
    pub totals: Counters,
    pub busy_ns: f64,
    /// This step's send-side time (neuron updates, spikes, messages out).
    pub send_ns: f64,
    /// `Phased` timing: the time of the learning the last update left for
    /// the coming receive phase.
    pub learn_ns: f64,
}

impl<'p> CoreState<'p> {
    /// Core `index` of `program`, on tile `tile`.
    pub fn new(
        program: &'p CoreProgram,
        index: usize,
        tile: TileCoord,
        fx: &Fixed,
        max_route_delay: u8,
        inbox_capacity: usize,
        snapshot_every: u32,
    ) -> Self {
        let cfg = &program.cores[index];
        let rule = program.arch.format.decay;
        let costs = &program.arch.costs;
        let n = cfg.num_input_slots();
        // Most spikes in one step: every neuron at its group's max.
        let most_spikes: usize = cfg
            .groups
            .iter()
            .map(|g| g.len() * g.reset.max_spikes() as usize)
            .sum();
        let populations = cfg
            .groups
            .iter()
            .map(|g| {
                g.neurons.visit(Build {
                    fx: *fx,
                    rule,
                    reset: g.reset,
                    weight_exp: g.weight_exp,
                    schedule: g.schedule.as_ref(),
                    noise: g.noise,
                    dendrites: g.dendrites,
                })
            })
            .collect();
        let max_delay = cfg.max_synaptic_delay() as u32 + max_route_delay as u32;
        let slots = (max_delay + 1).next_power_of_two();
        CoreState {
            index,
            cfg,
            tile,
            n,
            group_saturations: vec![0; cfg.groups.len()],
            populations,
            rng: noise::stream(program.noise_seed.unwrap_or(0), index as u32),
            learning: Learning::new(cfg, &program.arch.format, snapshot_every),
            ring: vec![0; slots as usize * n],
            slot_mask: slots - 1,
            inbox: buffer(inbox_capacity),
            received: (0, 0),
            receive_ns: (
                costs.axon_in.latency_ns,
                if cfg.synapses.dense {
                    costs.synapse_dense.latency_ns
                } else {
                    costs.synapse_sparse.latency_ns
                },
            ),
            schedule: buffer(inbox_capacity),
            scratch: buffer(inbox_capacity),
            bucket_starts: buffer(inbox_capacity + 1),
            spiked: Vec::with_capacity(most_spikes),
            active_before: Vec::with_capacity(most_spikes),
            totals: Counters::default(),
            busy_ns: 0.0,
            send_ns: 0.0,
            learn_ns: 0.0,
        }
    }

    /// Whether a core receives plain rows — static synapses, no shifts, no
    /// delays (synaptic or axonal): one accumulator slot, each synapse word
    /// added as it is. Such a core's synapses can be delivered from a
    /// worker's [`crate::fanin::FanIn`] table instead of its own.
    pub fn receives_plain(cfg: &CoreConfig, max_route_delay: u8) -> bool {
        let s = &cfg.synapses;
        s.rule.iter().all(|&r| r == 0)
            && s.shift.is_empty()
            && cfg.max_synaptic_delay() == 0
            && max_route_delay == 0
    }

    /// Starts the receive side of a pass.
    pub fn begin_receive(&mut self) {
        self.schedule.clear();
        self.received = (0, 0);
    }

    /// The receive side of step `t` for the messages in the core's inbox:
    /// synaptic operations into the accumulator slot of the step each takes
    /// effect (`t + 1 +` axonal + synaptic delay), and under the `Scheduled`
    /// model each message's (sent, arrival, work) for
    /// [`CoreState::finish_receive`].
    pub fn receive_inbox(&mut self, t: u32, scheduled: bool) {
        let s = &self.cfg.synapses;
        let n = self.n;
        let mask = self.slot_mask;
        let next = t.wrapping_add(1);
        let mut ops = 0u64;
        let (axon_in_ns, synapse_ns) = self.receive_ns;
        for (k, a) in self.inbox.iter().enumerate() {
            // The rows of later messages are far apart in memory: ask for the
            // one a few messages ahead while this one is accumulated.
            // (two stages: the row's pointer twice as far ahead, so that
            // reading it to find the row does not wait either)
            if let Some(later) = self.inbox.get(k + 2 * PREFETCH_AHEAD) {
                s.prefetch_pointer(later.axon as usize);
            }
            if let Some(next) = self.inbox.get(k + PREFETCH_AHEAD) {
                s.prefetch_row(next.axon as usize);
            }
            let row = s.row(a.axon as usize);
            ops += row.len() as u64;
            if scheduled {
                let work = axon_in_ns + row.len() as f64 * synapse_ns;
                self.schedule
                    .push(timed(a.sent_ns, a.sent_ns + a.hop_ns, work));
            }
            let words = s.words(row.clone());
            if self.learning.is_some() || !s.shift.is_empty() {
                // the general path: plastic parts, per-projection shifts
                if let Some(l) = &mut self.learning {
                    l.arrived[a.axon as usize] += 1;
                }
                let base = next.wrapping_add(a.delay as u32);
                for (k, w) in row.clone().zip(words) {
                    let slot = (base.wrapping_add(s.delay_of(k) as u32) & mask) as usize;
                    let acc = &mut self.ring[slot * n + w.target as usize];
                    let v = match &self.learning {
                        Some(l) => l.weight(k, w.weight),
                        None => w.weight as i32,
                    };
                    let v = match s.shift.get(k) {
                        Some(&sh) => ((v as i64) << sh) as i32,
                        None => v,
                    };
                    *acc = acc.wrapping_add(v);
                }
            } else if mask == 0 {
                add_row(&mut self.ring[..n], words);
            } else {
                let base = next.wrapping_add(a.delay as u32);
                if s.delay.is_empty() {
                    // delayed only by the route: one slot for the row
                    let slot = (base & mask) as usize;
                    add_row(&mut self.ring[slot * n..(slot + 1) * n], words);
                } else {
                    for (w, &d) in words.zip(&s.delay[row]) {
                        let slot = (base.wrapping_add(d as u32) & mask) as usize;
                        let acc = &mut self.ring[slot * n + w.target as usize];
                        *acc = acc.wrapping_add(w.weight as i32);
                    }
                }
            }
        }
        self.received.0 += self.inbox.len() as u64;
        self.received.1 += ops;
        self.inbox.clear();
    }

    /// One message's row delivered from elsewhere (a worker's fan-in
    /// table) to a core that [`CoreState::receives_plain`]: the same
    /// operations and schedule entry as a message in the inbox whose row
    /// holds `words`.
    #[inline(always)]
    pub fn receive_row(&mut self, words: &[Synapse], sent_ns: f64, hop_ns: f64, scheduled: bool) {
        debug_assert_eq!(self.slot_mask, 0);
        add_row(&mut self.ring[..self.n], words.iter().copied());
        self.received.0 += 1;
        self.received.1 += words.len() as u64;
        if scheduled {
            let (axon_in_ns, synapse_ns) = self.receive_ns;
            let work = axon_in_ns + words.len() as f64 * synapse_ns;
            self.schedule.push(timed(sent_ns, sent_ns + hop_ns, work));
        }
    }

    /// Ends the receive side of a pass: counts its messages and operations
    /// into `c` and returns the core's receive time — the sum of the
    /// messages' processing times, or under the `Scheduled` model the time
    /// the last one is processed when each starts once it has arrived and
    /// the core is free, taken in send order.
    pub fn finish_receive(&mut self, c: &mut Counters, scheduled: bool) -> f64 {
        let (messages, ops) = self.received;
        c.messages_in += messages;
        c.synaptic_ops += ops;
        if self.cfg.synapses.dense {
            c.dense_synaptic_ops += ops;
        }
        if scheduled {
            self.finish_of_schedule()
        } else {
            let (axon_in_ns, synapse_ns) = self.receive_ns;
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
        let step = |free_at: f64, &(_, arrives, work): &Timed| {
            free_at.max(f64::from_bits(arrives)) + f64::from_bits(work)
        };
        bucket_sort(
            &mut self.schedule,
            &mut self.scratch,
            &mut self.bucket_starts,
        );
        self.schedule.iter().fold(0.0, step)
    }

    /// Phase 2: update every neuron with this step's accumulated input.
    pub fn update(&mut self, t: u32, c: &mut Counters) {
        self.spiked.clear();
        self.active_before.clear();
        let n = self.n;
        let slot = &mut self.ring[(t & self.slot_mask) as usize * n..][..n];
        let mut out = Fired {
            first_id: 0,
            spiked: &mut self.spiked,
            active_before: &mut self.active_before,
            counters: c,
        };
        let (mut base, mut first_id) = (0, 0);
        for (p, sat) in self.populations.iter_mut().zip(&mut self.group_saturations) {
            let slots = p.input_slots();
            out.first_id = first_id;
            let before = out.counters.saturations;
            p.update(t, &mut slot[base..base + slots], &mut out, &mut self.rng);
            *sat += out.counters.saturations - before;
            base += slots;
            first_id += p.len() as u32;
        }
        c.neuron_updates += first_id as u64;
        c.spikes += self.spiked.len() as u64;
        if let Some(l) = &mut self.learning {
            l.learn(t, &self.spiked, &self.cfg.synapses, c);
        }
    }

    /// The core's weight snapshots: per snapshot, its plastic synapses'
    /// delivered weights in synapse-word order.
    pub fn take_weight_snapshots(&mut self) -> Vec<Vec<i32>> {
        self.learning
            .as_mut()
            .map_or_else(Vec::new, |l| std::mem::take(&mut l.snapshots))
    }

    /// State register `var` of core-local neuron `neuron`, as the step left it.
    pub fn state_var(&self, neuron: u32, var: usize) -> i32 {
        let mut first = 0;
        for p in &self.populations {
            let i = neuron as usize - first;
            if i < p.len() {
                return p.state_var(i, var);
            }
            first += p.len();
        }
        unreachable!("probes are resolved against the program's groups")
    }
}

/// A core's plasticity (model/plasticity.rs): the plastic component of
/// each synapse, the traces, and the spikes each axon brought into the
/// coming update.
struct Learning {
    rules: Vec<LearningRule>,
    /// Per synapse word: its rule + 1, or 0 (static).
    rule_of: Vec<u8>,
    /// Per synapse word: its plastic component (2^-8 weight units).
    plastic: Vec<i32>,
    /// Per input slot: its neuron (a dendritic neuron's branches share one).
    neuron_of_slot: Vec<u32>,
    /// Per rule: the trace of every axon and of every neuron.
    x: Vec<Vec<u8>>,
    y: Vec<Vec<u8>>,
    /// Per rule: the axons and neurons its synapses join (their traces are
    /// updated, and charged, every step).
    axons: Vec<Vec<u32>>,
    neurons: Vec<Vec<u32>>,
    /// Per axon: the spikes delivered for the coming update.
    arrived: Vec<u32>,
    /// Per neuron: the spikes of this step's update.
    fired: Vec<u32>,
    /// The weight field: effective weights and plastic components saturate at it.
    lo: i32,
    hi: i32,
    /// Steps between weight snapshots (0: none), and the snapshots.
    snapshot_every: u32,
    snapshots: Vec<Vec<i32>>,
}

impl Learning {
    fn new(
        cfg: &CoreConfig,
        f: &spikefab_chip::NumberFormat,
        snapshot_every: u32,
    ) -> Option<Learning> {
        let s = &cfg.synapses;
        if s.rule.iter().all(|&r| r == 0) {
            return None;
        }
        let slots = cfg.neuron_of_slot();
        let rules = cfg.learning.clone();
        let plasticity::Joined { axons, neurons } = plasticity::joined(cfg, &slots);
        let (lo, hi) = plasticity::weight_range(f);
        Some(Learning {
            x: vec![vec![0; s.num_axons()]; rules.len()],
            y: vec![vec![0; cfg.num_neurons()]; rules.len()],
            rules,
            rule_of: s.rule.clone(),
            plastic: vec![0; s.len()],
            neuron_of_slot: slots,
            axons,
            neurons,
            arrived: vec![0; s.num_axons()],
            fired: vec![0; cfg.num_neurons()],
            lo,
            hi,
            snapshot_every,
            snapshots: Vec::new(),
        })
    }

    /// The weight synapse word `k` delivers.
    #[inline(always)]
    fn weight(&self, k: usize, w: i16) -> i32 {
        if self.rule_of[k] == 0 {
            w as i32
        } else {
            plasticity::effective(w, self.plastic[k], self.lo, self.hi)
        }
    }

    /// After step `t`'s update: the traces, then, at a rule's epoch, its
    /// synapses' plastic components.
    fn learn(
        &mut self,
        t: u32,
        spiked: &[u32],
        s: &spikefab_chip::program::SynapseTable,
        c: &mut Counters,
    ) {
        for &n in spiked {
            self.fired[n as usize] += 1;
        }
        for (r, rule) in self.rules.iter().enumerate() {
            for &a in &self.axons[r] {
                let x = &mut self.x[r][a as usize];
                *x = rule.trace(*x, self.arrived[a as usize]);
            }
            for &n in &self.neurons[r] {
                let y = &mut self.y[r][n as usize];
                *y = rule.trace(*y, self.fired[n as usize]);
            }
            c.trace_updates += (self.axons[r].len() + self.neurons[r].len()) as u64;
        }
        let mut due = [false; plasticity::MAX_RULES];
        for (d, r) in due.iter_mut().zip(&self.rules) {
            *d = (t as u64 + 1 + r.phase as u64) % r.epoch as u64 == 0;
        }
        if due.iter().any(|&d| d) {
            for a in 0..s.num_axons() {
                for k in s.row(a) {
                    let Some(r) = (self.rule_of[k] as usize).checked_sub(1) else {
                        continue;
                    };
                    if !due[r] {
                        continue;
                    }
                    let n = self.neuron_of_slot[s.word(k).target as usize] as usize;
                    self.plastic[k] = self.rules[r].update(
                        self.plastic[k],
                        self.x[r][a],
                        self.y[r][n],
                        self.lo,
                        self.hi,
                    );
                    c.learning_updates += 1;
                }
            }
        }
        self.arrived.iter_mut().for_each(|v| *v = 0);
        self.fired.iter_mut().for_each(|v| *v = 0);
        if self.snapshot_every != 0 && (t as u64 + 1) % self.snapshot_every as u64 == 0 {
            let weights = (0..s.len())
                .filter(|&k| self.rule_of[k] != 0)
                .map(|k| self.weight(k, s.word(k).weight))
                .collect();
            self.snapshots.push(weights);
        }
    }
}

/// One message of the `Scheduled` receive side: (sent, arrival, processing time).
type Timed = (u64, u64, u64);

/// A received message's send time, arrival time and work (ns) as the bit
/// patterns of those non-negative floats: integers in the floats' order, so
/// sorting compares `u64`s where it compared `total_cmp`s.
#[inline]
fn timed(sent_ns: f64, arrives_ns: f64, work_ns: f64) -> Timed {
    let bits = |x: f64| {
        debug_assert!(x >= 0.0, "times and costs are not negative");
        (x + 0.0).to_bits() // (+ 0.0: no −0.0, whose bits sort last)
    };
    (bits(sent_ns), bits(arrives_ns), bits(work_ns))
}

/// `Timed` entries are ordered as tuples: by send time, then arrival, then
/// work. Entries equal in all three are interchangeable.
/// Sorts `v` through buckets of send time: each entry goes to
/// bucket `⌊(sent − first) · (n − 1) / (last − first)⌋` of `n` — a monotone
/// map of the time, so every entry of a bucket comes before every entry of
/// the next — and each bucket is then sorted on its own (they hold one or
/// two entries on average). A few linear passes, however many cores the
/// messages came from: a merge of the per-sender runs (an inbox is one
/// sorted run per sending core) took log₂(senders) comparisons a message,
/// which a branch predictor gets wrong half the time — P16k scaled to 64 k
/// neurons ran 1.5× faster with this. `scratch` and `starts` keep their
/// capacity, so nothing allocates once they have grown.
fn bucket_sort(v: &mut Vec<Timed>, scratch: &mut Vec<Timed>, starts: &mut Vec<u32>) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let (first, last) = v.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), e| {
        let x = f64::from_bits(e.0);
        (lo.min(x), hi.max(x))
    });
    let scale = if last > first {
        (n - 1) as f64 / (last - first)
    } else {
        0.0
    };
    let bucket = |e: &Timed| (((f64::from_bits(e.0) - first) * scale) as usize).min(n - 1);
    starts.clear();
    starts.resize(n + 1, 0);
    for e in v.iter() {
        starts[bucket(e) + 1] += 1;
    }
    for b in 1..=n {
        starts[b] += starts[b - 1];
    }
    scratch.clear();
    scratch.resize(n, (0, 0, 0));
    for e in v.iter() {
        let b = bucket(e);
        scratch[starts[b] as usize] = *e;
        starts[b] += 1;
    }
    // starts[b] is now where bucket b ends
    let mut begin = 0;
    for &end in &starts[..n] {
        let end = end as usize;
        if end - begin > 1 {
            scratch[begin..end].sort_unstable();
        }
        begin = end;
    }
    std::mem::swap(v, scratch);
}

/// Adds a row's weights to the accumulators of its targets (one slot).
#[inline(always)]
fn add_row(ring: &mut [i32], words: impl Iterator<Item = Synapse>) {
    for w in words {
        let acc = &mut ring[w.target as usize];
        *acc = acc.wrapping_add(w.weight as i32);
    }
}

/// How many messages ahead the synapse row is prefetched.
const PREFETCH_AHEAD: usize = 6;

/// Where a population's update reports: the neurons that fired and, for
/// each, the active neurons of the step up to it.
struct Fired<'a> {
    first_id: u32,
    spiked: &'a mut Vec<u32>,
    active_before: &'a mut Vec<u32>,
    counters: &'a mut Counters,
}

/// One group's neurons and state, with its update loop.
trait Population: Send {
    fn len(&self) -> usize;
    /// Its input slots: `len`, or `len · branches` for dendritic neurons.
    fn input_slots(&self) -> usize;
    /// Takes (and zeroes) each neuron's accumulated input in `acc`, steps
    /// every neuron (step `t` of the run), counts active updates and
    /// saturations, reports spikes.
    /// Noisy groups draw from the core's stream `rng`, one draw per neuron.
    fn update(&mut self, t: u32, acc: &mut [i32], out: &mut Fired, rng: &mut u32);
    /// State register `k` of neuron `i` (both checked by the probe's resolution).
    fn state_var(&self, i: usize, k: usize) -> i32;
}

/// How a neuron's input slots become its soma input: a point neuron's one
/// accumulator, or a dendritic neuron's K branches (model/dendrites.rs).
trait SomaInput: Copy + Send + 'static {
    /// Input slots per neuron.
    fn slots(&self) -> usize;
    /// The soma input from a neuron's slots (taken and zeroed), and whether any had input.
    fn take(&self, acc: &mut [i32], weight_exp: i8) -> (i32, bool);
    /// Branch operations per neuron and step (charged as `branch_op`).
    fn branch_ops(&self) -> u64;
}

#[derive(Clone, Copy)]
struct Point;

impl SomaInput for Point {
    #[inline(always)]
    fn slots(&self) -> usize {
        1
    }
    #[inline(always)]
    fn take(&self, acc: &mut [i32], weight_exp: i8) -> (i32, bool) {
        let sum = std::mem::take(&mut acc[0]);
        (activation(sum, weight_exp), sum != 0)
    }
    fn branch_ops(&self) -> u64 {
        0
    }
}

impl SomaInput for Dendrites {
    #[inline(always)]
    fn slots(&self) -> usize {
        self.branches as usize
    }
    #[inline(always)]
    fn take(&self, acc: &mut [i32], weight_exp: i8) -> (i32, bool) {
        self.soma_input(acc, weight_exp)
    }
    fn branch_ops(&self) -> u64 {
        self.branches as u64
    }
}

struct Group<M: Model, D: Decay, F: Fire, I: SomaInput> {
    fx: Fixed,
    decay: D,
    input: I,
    /// The reset rule and weight exponent of each step: one entry, or with
    /// a schedule one per schedule entry (step `t` uses `t mod len`).
    steps: Vec<(F, i8)>,
    /// Schedule reads per active neuron update: 1 with a schedule, else 0.
    lookups: u64,
    noise: Option<Noise>,
    params: Vec<M::Params>,
    state: Vec<M::State>,
}

impl<M: Model, D: Decay + Send, F: Fire, I: SomaInput> Population for Group<M, D, F, I> {
    fn len(&self) -> usize {
        self.params.len()
    }

    fn input_slots(&self) -> usize {
        self.params.len() * self.input.slots()
    }

    fn state_var(&self, i: usize, k: usize) -> i32 {
        M::state_var(&self.state[i], k)
    }

    /// A neuron is active when it has input or the model says its state must
    /// be read, changed and written back anyway (non-zero state, a bias).
    fn update(&mut self, t: u32, acc: &mut [i32], out: &mut Fired, rng: &mut u32) {
        let (fire, weight_exp) = self.steps[t as usize % self.steps.len()];
        let noise = self.noise;
        let active_base = out.counters.active_neuron_updates;
        let mut active = 0u64;
        let mut saturations = 0u64;
        let input = self.input;
        for (i, ((a, p), s)) in acc
            .chunks_exact_mut(input.slots())
            .zip(&self.params)
            .zip(&mut self.state)
            .enumerate()
        {
            let (mut a_in, had_input) = input.take(a, weight_exp);
            if let Some(n) = &noise {
                a_in = a_in.wrapping_add(n.term(noise::draw(rng)));
            }
            // A draw is input: a neuron whose draw is non-zero is active.
            active += (a_in != 0 || had_input || M::is_active(p, s)) as u64;
            let o = M::step(&self.fx, &self.decay, &fire, p, s, a_in);
            saturations += o.saturated as u64;
            // A neuron that fires n times in a step is listed n times in a
            // row: each spike is sent (and charged) as its own event.
            for _ in 0..o.spikes {
                out.spiked.push(out.first_id + i as u32);
                out.active_before.push((active_base + active) as u32);
            }
        }
        out.counters.active_neuron_updates += active;
        out.counters.threshold_updates += active * M::THRESHOLD_UPDATES;
        out.counters.schedule_lookups += active * self.lookups;
        if noise.is_some() {
            out.counters.noise_draws += self.params.len() as u64;
        }
        out.counters.branch_ops += self.params.len() as u64 * input.branch_ops();
        out.counters.saturations += saturations;
    }
}

/// Builds a group's [`Population`]: the one place the emulator turns a model,
/// a decay rule, a reset, a schedule and dendrites into a monomorphic loop.
struct Build<'a> {
    fx: Fixed,
    rule: DecayRule,
    reset: Reset,
    weight_exp: i8,
    schedule: Option<&'a Schedule>,
    noise: Option<Noise>,
    dendrites: Option<Dendrites>,
}

impl Visit for Build<'_> {
    type Out = Box<dyn Population>;

    fn visit<M: Model>(self, neurons: &[M::Stored]) -> Box<dyn Population> {
        fn group<M: Model, D: Decay + Send + 'static>(
            b: &Build,
            decay: D,
            neurons: &[M::Stored],
        ) -> Box<dyn Population> {
            match b.reset {
                Reset::Zero => with_fire::<M, D, _>(b, decay, ToZero, neurons),
                Reset::Subtract { max_spikes } => {
                    with_fire::<M, D, _>(b, decay, Subtract { max_spikes }, neurons)
                }
            }
        }
        fn with_fire<M: Model, D: Decay + Send + 'static, F: Fire>(
            b: &Build,
            decay: D,
            fire: F,
            neurons: &[M::Stored],
        ) -> Box<dyn Population> {
            let Some(schedule) = b.schedule else {
                return with_steps::<M, D, F>(b, decay, vec![(fire, b.weight_exp)], 0, neurons);
            };
            // The offsets in state units, as the threshold they move.
            let steps = schedule
                .steps
                .iter()
                .map(|s| {
                    let offset = s
                        .threshold
                        .map(|o| ((o as i64) << b.fx.threshold_shift()) as i32);
                    (Scheduled { fire, offset }, b.weight_exp + s.input_shift)
                })
                .collect();
            with_steps::<M, D, Scheduled<F>>(b, decay, steps, 1, neurons)
        }
        fn with_steps<M: Model, D: Decay + Send + 'static, F: Fire>(
            b: &Build,
            decay: D,
            steps: Vec<(F, i8)>,
            lookups: u64,
            neurons: &[M::Stored],
        ) -> Box<dyn Population> {
            match b.dendrites {
                None => with_input::<M, D, F, _>(b, decay, steps, lookups, Point, neurons),
                Some(d) => with_input::<M, D, F, _>(b, decay, steps, lookups, d, neurons),
            }
        }
        fn with_input<M: Model, D: Decay + Send + 'static, F: Fire, I: SomaInput>(
            b: &Build,
            decay: D,
            steps: Vec<(F, i8)>,
            lookups: u64,
            input: I,
            neurons: &[M::Stored],
        ) -> Box<dyn Population> {
            Box::new(Group::<M, D, F, I> {
                fx: b.fx,
                decay,
                input,
                steps,
                lookups,
                noise: b.noise,
                params: neurons.iter().map(|n| M::params(&b.fx, n)).collect(),
                state: vec![M::State::default(); neurons.len()],
            })
        }
        match self.rule {
            DecayRule::Mul12 {
                current_offset,
                voltage_offset,
            } => group::<M, _>(
                &self,
                Mul12 {
                    current_offset: current_offset as u16,
                    voltage_offset: voltage_offset as u16,
                },
                neurons,
            ),
            DecayRule::Shift => group::<M, _>(&self, ShiftDecay, neurons),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bucket sort sorts like the standard sort, whatever the times:
    /// random, in runs (an inbox's shape), all equal, spread over binades.
    #[test]
    fn bucket_sort_orders() {
        let mut rng = 12345u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 33) % 50
        };
        let (mut scratch, mut starts) = (Vec::new(), Vec::new());
        let mut check = |v: Vec<Timed>, what: &str| {
            let mut expect = v.clone();
            expect.sort_unstable();
            let mut got = v;
            bucket_sort(&mut got, &mut scratch, &mut starts);
            assert_eq!(got, expect, "{what}");
        };
        for len in [0, 1, 2, 3, 7, 64, 301, 2000] {
            // fractions too: the bits' order is the floats'
            let t = |k: u64| k as f64 * 0.37;
            let v: Vec<Timed> = (0..len)
                .map(|_| timed(t(next()), t(next()), t(next() % 3)))
                .collect();
            check(v.clone(), &format!("len {len}"));
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let mut runs: Vec<Vec<Timed>> = sorted.chunks(7).map(<[Timed]>::to_vec).collect();
            runs.reverse();
            check(runs.concat(), &format!("len {len}, runs of 7"));
            check(
                v.iter().map(|e| (0, e.1, e.2)).collect(),
                &format!("len {len}, one send time"),
            );
            let wide = v
                .iter()
                .map(|e| timed(f64::from_bits(e.0).powi(9) * 1e-6, 0.0, 1.0));
            check(wide.collect(), &format!("len {len}, wide"));
        }
    }

    /// A bound below the limit is reserved whole (the run never grows the
    /// buffer); a bound past any machine's memory — what every neuron of a
    /// 4 M-neuron program firing every step came to — reserves only the
    /// limit, and the buffer still takes what is pushed.
    #[test]
    fn buffers_reserve_their_bound_up_to_a_limit() {
        let small: Vec<u64> = buffer(1000);
        assert!(small.capacity() >= 1000);
        let mut huge: Vec<[u64; 4]> = buffer(usize::MAX / 64);
        assert_eq!(huge.capacity(), RESERVE_BYTES / 32);
        huge.extend(std::iter::repeat_n([7; 4], RESERVE_BYTES / 32 + 1));
        assert_eq!(huge.len(), RESERVE_BYTES / 32 + 1);
    }
}
