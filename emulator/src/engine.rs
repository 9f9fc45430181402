//! The multi-core, multi-threaded timestep loop.
//!
//! Cores are split into contiguous ranges, one per worker thread. A pass
//! `t` of a worker is:
//!
//! - **compute** (lock-free): for each of its cores, the receive side of
//!   step t − 1 is closed (its time and counts), every neuron is updated,
//!   and the fired neurons' messages go into the worker's outboxes (one per
//!   destination worker) and its link-load array; each worker also sends
//!   its share of the step's external input spikes from their input ports;
//! - **publish**: the outboxes and the pass's summary go into the worker's
//!   slot;
//! - **receive**: as each worker's slot is published — its own first — the
//!   messages addressed to this worker's cores are delivered (synaptic
//!   operations into the accumulators of the steps they take effect, each
//!   message's schedule entry); worker 0 then records step t − 1 and
//!   reduces step t's send side.
//!
//! There is no barrier between passes. Slots come in two sets used in
//! alternate passes, and a set is refilled only after every worker has
//! read it (see the end of `Worker::run`), so workers run up to a pass
//! apart and a step's imbalance between them is absorbed by the next step
//! instead of making every worker wait for the slowest. The receive work is
//! *accounted* to the step that sent the messages — the step the hardware
//! spends that energy in — so a run's totals are the sum of its steps
//! wherever it stops; one last pass after the final step closes that step's
//! receive side.
//!
//! A core's result depends only on the set of messages it receives (integer
//! accumulation commutes; schedule entries are sorted before they are
//! timed), and all energy comes from integer counts, so spikes, energy and
//! latency are identical for any thread count and for any order in which
//! slots are published. The slots are the single explicit point where cores
//! communicate; spread over several processes ([`Cluster`]), each rank runs
//! a contiguous range of cores on its threads and its leader trades the
//! messages that cross ranks between publish and receive (behind a full
//! barrier on each side), sending rank 0 its counters and link loads — see
//! `cluster.rs`.

use serde::{Deserialize, Serialize};
use std::sync::{Condvar, Mutex};

use spikefab_chip::neuron::Fixed;
use spikefab_chip::{CoreProgram, CoreTiming, InputCost, Spike, SpikeStream, TileCoord};

use crate::cluster::{Cluster, Single};
use crate::core::{buffer, Arrival, CoreState};
use crate::counters::Counters;
use crate::fanin::{FanIn, SpikeOut};
use crate::noc::{LinkTally, Mesh};
use crate::probe::Probe;
use crate::report::{Report, StepRecord, StepTotals};
use crate::EmulatorError;

/// How to run a program.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Timesteps to emulate.
    pub steps: u32,
    /// Worker threads (capped at the number of cores; 0 means 1).
    pub threads: usize,
    /// Keep one [`StepRecord`] per step in the report (memory and report size
    /// grow with the run; the totals never need them).
    pub record_steps: bool,
    /// State registers to read after every step's update, handed to the
    /// sink of [`Emulator::run_probed`] in this order.
    pub probes: Vec<Probe>,
    /// Every this many steps, the delivered weight of every plastic synapse
    /// after that step's learning ([`RunOutput::weight_snapshots`]).
    pub snapshot_every: Option<u32>,
    /// Deliver the rows of plain cores (static, unshifted, undelayed
    /// synapses) from per-worker tables ordered by sending neuron, one pass
    /// per spike (`fanin.rs`), where the program's messages carry a few
    /// synapses each at least; `false` sends every message through its
    /// core's inbox. Results are identical either way — the option is there
    /// to check that, and to measure what the tables gain.
    pub fan_in: bool,
}

impl RunConfig {
    /// `steps` steps on `threads` workers, without per-step records.
    pub fn new(steps: u32, threads: usize) -> Self {
        RunConfig {
            steps,
            threads,
            record_steps: false,
            probes: Vec::new(),
            snapshot_every: None,
            fan_in: true,
        }
    }
}

/// What a run produces.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// Spikes of the program's output ports (channel = output index).
    pub spikes: SpikeStream,
    pub report: Report,
    /// With [`RunConfig::snapshot_every`]: the plastic synapses' delivered
    /// weights (weight mantissas) after every N-th step's learning, the
    /// columns [`crate::snapshot::plastic_synapses`] lists.
    pub weight_snapshots: Vec<crate::snapshot::WeightSnapshot>,
}

/// Fewest synapse words per route, over the program, for the fan-in
/// tables to be built: each route into a plain core becomes a 12-byte
/// segment beside a copy of its row, which pays for itself where rows are
/// long (P16k: 13 words a route, ≈ 12 % faster; scaled to 64 k neurons,
/// 3.5: 10–15 % faster) and costs where a message carries a synapse or two
/// (scaled to 256 k, 1.6: 20 % slower, 19 % more memory; all measured).
const FAN_IN_MIN_WORDS_PER_ROUTE: usize = 3;

/// A message in flight between two cores.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Message {
    core: u32,
    arrival: Arrival,
}

/// What one worker hands over at the end of a pass's compute phase: the
/// messages, link loads and summary of the step it sent, and the summary of
/// the (previous) step whose messages it received.
#[derive(Default)]
struct Exchange {
    outboxes: Vec<Vec<Message>>,
    /// Spikes for workers' fan-in tables, by destination worker.
    spike_outboxes: Vec<Vec<SpikeOut>>,
    link_load: Vec<u32>,
    sent: StepSummary,
    received: StepSummary,
    /// `(probe index, value)` of the probes on the worker's cores, this step.
    probe_values: Vec<(usize, i32)>,
    /// The output-port spikes of the worker's cores, this step.
    outputs: Vec<Spike>,
    /// Messages and spikes from other ranks' cores to this worker's, this pass.
    remote_in: Vec<Message>,
    remote_spikes_in: Vec<SpikeOut>,
}

#[derive(Clone, Copy, Default, Serialize, Deserialize)]
struct StepSummary {
    counters: Counters,
    /// Send phase: the busiest input port's sending time. Receive phase: the
    /// slowest core's time in the step (send and receive sides combined;
    /// under `Phased`, the receive side alone).
    max_core_ns: f64,
    max_head_ns: f64,
    /// Send phase: the slowest core's neuron updates (for `Phased`).
    max_update_ns: f64,
}

impl StepSummary {
    /// Counts add, times take the maximum: exact in any order.
    fn absorb(&mut self, o: &StepSummary) {
        self.counters += o.counters;
        self.max_core_ns = self.max_core_ns.max(o.max_core_ns);
        self.max_head_ns = self.max_head_ns.max(o.max_head_ns);
        self.max_update_ns = self.max_update_ns.max(o.max_update_ns);
    }
}

/// One pass of a group of workers (a rank, or all of them), reduced: what
/// rank 0 needs to record the pass.
#[derive(Default, Serialize, Deserialize)]
struct PassSummary {
    sent: StepSummary,
    received: StepSummary,
    link_load: Vec<u32>,
    probe_values: Vec<(usize, i32)>,
    /// The step's output spikes, worker after worker.
    outputs: Vec<Spike>,
}

impl PassSummary {
    fn clear(&mut self, n_links: usize) {
        self.sent = StepSummary::default();
        self.received = StepSummary::default();
        self.link_load.clear();
        self.link_load.resize(n_links, 0);
        self.probe_values.clear();
        self.outputs.clear();
    }

    /// Adds the local workers' slots, taking (zeroing) their link loads for
    /// the next pass.
    fn add_slots(&mut self, slots: &[Mutex<Exchange>]) {
        for slot in slots {
            let mut slot = slot.lock().expect("exchange slot poisoned");
            self.sent.absorb(&slot.sent);
            self.received.absorb(&slot.received);
            for (s, l) in self.link_load.iter_mut().zip(slot.link_load.iter_mut()) {
                *s += std::mem::take(l);
            }
            self.probe_values.extend_from_slice(&slot.probe_values);
            self.outputs.extend_from_slice(&slot.outputs);
        }
    }

    fn absorb(&mut self, o: &PassSummary) {
        self.sent.absorb(&o.sent);
        self.received.absorb(&o.received);
        for (s, l) in self.link_load.iter_mut().zip(&o.link_load) {
            *s += l;
        }
        self.probe_values.extend_from_slice(&o.probe_values);
        self.outputs.extend_from_slice(&o.outputs);
    }
}

/// What one rank sends another in a pass: the messages its cores sent the
/// other's, and (to rank 0) its reduced pass.
#[derive(Default, Serialize, Deserialize)]
struct Packet {
    messages: Vec<Message>,
    /// By the receiving rank's worker.
    spikes: Vec<Vec<SpikeOut>>,
    summary: Option<PassSummary>,
}

/// A rank's share of the run's output, gathered by every rank at the end.
#[derive(Default, Serialize, Deserialize)]
struct RankResult {
    /// Rank 0 only: the run's output spikes.
    outputs: Vec<Spike>,
    /// Its cores, in program order.
    cores: Vec<CoreResult>,
    /// What its workers' input sends counted.
    input_ports: Counters,
    /// Rank 0 only: the step totals and records.
    totals: Option<StepTotals>,
    records: Vec<StepRecord>,
}

#[derive(Serialize, Deserialize)]
struct CoreResult {
    index: usize,
    totals: Counters,
    busy_ns: f64,
    group_saturations: Vec<u64>,
    weight_snapshots: Vec<Vec<i32>>,
}

/// Read-only facts shared by all workers.
struct Shared<'p> {
    program: &'p CoreProgram,
    /// This process's rank and the number of ranks.
    rank: usize,
    ranks: usize,
    /// Worker threads per rank: rank `r` runs workers `r * per_rank ..`.
    per_rank: usize,
    /// Rank 0: the other ranks' reduced passes, this pass.
    remote_summaries: Mutex<Vec<PassSummary>>,
    fx: Fixed,
    mesh: Mesh,
    /// Program core → owning worker (numbered across ranks).
    owner: Vec<usize>,
    /// Program core → its tile.
    tiles: Vec<spikefab_chip::TileCoord>,
    /// Program core → (worker-local index).
    local: Vec<usize>,
    /// Program core → whether it receives through its worker's fan-in table.
    plain: Vec<bool>,
    /// Program core → output channel of each neuron (u32::MAX: not an output).
    out_channel: Vec<Vec<u32>>,
    input: &'p SpikeStream,
    /// Input channel → its input port (a distinct sending core), and each
    /// port's tile.
    input_port: Vec<usize>,
    port_tiles: Vec<TileCoord>,
    steps: u32,
    record_steps: bool,
    n_outputs: usize,
    barrier_ns: f64,
    /// Program core → the indices of the probes on it.
    probes_by_core: Vec<Vec<usize>>,
    probes: &'p [Probe],
    probe_sink: &'p (dyn Fn(u32, &[i32]) + Sync),
}

struct Worker<'p> {
    /// Across ranks (worker 0 records the run).
    id: usize,
    /// Within its rank (worker 0 of a rank trades with the other ranks).
    local_id: usize,
    cores: Vec<CoreState<'p>>,
    outboxes: Vec<Vec<Message>>,
    /// Its plain cores' rows by sending neuron, the spikes for it this
    /// pass, the spikes it sends (by destination worker), and per
    /// destination worker the last of its spikes handed to it.
    fan_in: Option<FanIn>,
    spike_inbox: Vec<SpikeOut>,
    spike_outboxes: Vec<Vec<SpikeOut>>,
    spike_mark: Vec<u64>,
    spike_seq: u64,
    /// This step's messages per link, as routed ...
    links: LinkTally,
    /// ... and as handed over.
    link_load: Vec<u32>,
    /// Output-port spikes of this worker's cores, this step; worker 0 also
    /// keeps every worker's, step after step, in `all_outputs`.
    outputs: Vec<Spike>,
    all_outputs: Vec<Spike>,
    /// This step's probe readings on this worker's cores.
    probe_values: Vec<(usize, i32)>,
    /// Where it is in the input's (time-sorted) events, each input port's
    /// sending time in the current step, and what its input sends counted.
    input_cursor: usize,
    port_ns: Vec<f64>,
    input_counters: Counters,
    /// Worker 0 only: latency totals, the per-step records if asked for,
    /// the pass being reduced and the step waiting for its receive side.
    step_totals: StepTotals,
    records: Vec<StepRecord>,
    summary: PassSummary,
    pending: PendingStep,
}

/// Worker 0's reduction of a step's send side, completed once its messages are received.
#[derive(Clone, Copy, Default)]
struct PendingStep {
    sent: StepSummary,
    max_link_load: u32,
    noc_ns: f64,
}

/// Runs `program` for `cfg.steps` timesteps on `input`; `progress` is called by
/// one thread after every step with the number of steps done.
pub fn run(
    program: &CoreProgram,
    input: &SpikeStream,
    cfg: &RunConfig,
    progress: &(dyn Fn(u32) + Sync),
) -> Result<RunOutput, EmulatorError> {
    Emulator::new(program)?.run(input, cfg, progress)
}

/// A program checked once against its arch, ready to run any number of times.
pub struct Emulator<'p> {
    program: &'p CoreProgram,
}

impl<'p> Emulator<'p> {
    /// Validates the program (structure, field ranges, every capacity of its arch).
    pub fn new(program: &'p CoreProgram) -> Result<Self, EmulatorError> {
        program.validate()?;
        Ok(Emulator { program })
    }

    /// Runs the program from reset for `cfg.steps` timesteps on `input`.
    pub fn run(
        &self,
        input: &SpikeStream,
        cfg: &RunConfig,
        progress: &(dyn Fn(u32) + Sync),
    ) -> Result<RunOutput, EmulatorError> {
        run_validated(self.program, input, cfg, progress, &|_, _| {}, &Single)
    }

    /// [`Emulator::run`], calling `sink(t, values)` after step `t`'s update
    /// with the values of `cfg.probes`, in order (from one thread, in step
    /// order; the values do not depend on the thread count).
    pub fn run_probed(
        &self,
        input: &SpikeStream,
        cfg: &RunConfig,
        progress: &(dyn Fn(u32) + Sync),
        sink: &(dyn Fn(u32, &[i32]) + Sync),
    ) -> Result<RunOutput, EmulatorError> {
        run_validated(self.program, input, cfg, progress, sink, &Single)
    }

    /// [`Emulator::run_probed`] as one rank of `cluster`: every rank calls
    /// it with the same program, input and configuration, runs its share of
    /// the cores on `cfg.threads` threads, and returns the whole run's
    /// output — identical to one process's. `progress` and `sink` are
    /// called on rank 0 only. Must be called from the thread that may call
    /// the cluster's collectives (MPI's "funneled" thread).
    pub fn run_on(
        &self,
        input: &SpikeStream,
        cfg: &RunConfig,
        progress: &(dyn Fn(u32) + Sync),
        sink: &(dyn Fn(u32, &[i32]) + Sync),
        cluster: &dyn Cluster,
    ) -> Result<RunOutput, EmulatorError> {
        run_validated(self.program, input, cfg, progress, sink, cluster)
    }
}

/// What every rank must agree on before running together: the partition
/// follows from it, and a rank that loaded another file or input would
/// otherwise compute a silently different run.
fn fingerprint(
    program: &CoreProgram,
    input: &SpikeStream,
    cfg: &RunConfig,
    per_rank: usize,
) -> Vec<u8> {
    let mut words: Vec<u64> = vec![
        program.cores.len() as u64,
        program.outputs.len() as u64,
        program.num_input_channels() as u64,
        input.channels as u64,
        input.steps as u64,
        input.events().len() as u64,
        cfg.steps as u64,
        per_rank as u64,
        cfg.record_steps as u64,
        cfg.probes.len() as u64,
        cfg.snapshot_every.map_or(0, |n| n as u64 + 1),
        cfg.fan_in as u64,
        program.noise_seed.is_some() as u64,
        program.noise_seed.unwrap_or(0),
    ];
    for c in &program.cores {
        words.extend([
            c.core_id as u64,
            c.num_neurons() as u64,
            c.synapses.len() as u64,
            c.routes.len() as u64,
        ]);
    }
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn run_validated<'p>(
    program: &'p CoreProgram,
    input: &'p SpikeStream,
    cfg: &'p RunConfig,
    progress: &(dyn Fn(u32) + Sync),
    probe_sink: &'p (dyn Fn(u32, &[i32]) + Sync),
    cluster: &'p dyn Cluster,
) -> Result<RunOutput, EmulatorError> {
    crate::probe::check(program, &cfg.probes)?;
    crate::snapshot::check(program, cfg)?;
    if cfg.steps > spikefab_chip::limits::MAX_STEPS {
        return Err(EmulatorError::Input(format!(
            "{} steps is more than the {} a run may have",
            cfg.steps,
            spikefab_chip::limits::MAX_STEPS
        )));
    }
    if input.channels as usize > program.num_input_channels() {
        return Err(EmulatorError::Input(format!(
            "the input has {} channels, but the program has {} input ports",
            input.channels,
            program.num_input_channels()
        )));
    }
    let n_cores = program.cores.len();
    let (rank, ranks) = (cluster.rank(), cluster.size());
    // One process uses no more threads than cores; ranks all use the same
    // number, so that every rank derives the same partition.
    let per_rank = if ranks == 1 {
        cfg.threads.clamp(1, n_cores.max(1))
    } else {
        cfg.threads.max(1)
    };
    let workers = ranks * per_rank;
    if ranks > 1 {
        let mine = fingerprint(program, input, cfg, per_rank);
        let all = cluster.all_to_all(vec![mine.clone(); ranks]);
        if let Some(other) = all.iter().position(|f| *f != mine) {
            return Err(EmulatorError::Cluster(format!(
                "rank {other} runs a different program, input, step count or thread count than rank {rank}"
            )));
        }
    }
    let arch = &program.arch;
    let fx = Fixed::new(&arch.format);

    // Contiguous core ranges balanced by an estimate of each core's work.
    let owner = partition(program, workers);
    let mut local = vec![0; n_cores];
    let mut counts = vec![0; workers];
    for c in 0..n_cores {
        local[c] = counts[owner[c]];
        counts[owner[c]] += 1;
    }
    let tiles: Vec<_> = program
        .cores
        .iter()
        .map(|c| arch.topology.tile_of(c.core_id as usize))
        .collect();
    // Input ports: one per distinct sending core (`InputCost::OnCore`).
    let mut port_cores: Vec<u32> = (0..program.num_input_channels())
        .map(|ch| program.input_core(ch))
        .collect();
    port_cores.sort_unstable();
    port_cores.dedup();
    let input_port: Vec<usize> = (0..program.num_input_channels())
        .map(|ch| {
            port_cores
                .binary_search(&program.input_core(ch))
                .expect("every channel's core is listed")
        })
        .collect();
    let port_tiles: Vec<TileCoord> = port_cores
        .iter()
        .map(|&c| arch.topology.tile_of(c as usize))
        .collect();
    let mut active_tiles: Vec<_> = tiles.iter().map(|t| arch.topology.tile_index(*t)).collect();
    if arch.costs.inputs == InputCost::OnCore {
        active_tiles.extend(port_tiles.iter().map(|t| arch.topology.tile_index(*t)));
    }
    active_tiles.sort_unstable();
    active_tiles.dedup();

    let mut out_channel: Vec<Vec<u32>> = program
        .cores
        .iter()
        .map(|c| vec![u32::MAX; c.num_neurons()])
        .collect();
    for (k, o) in program.outputs.iter().enumerate() {
        out_channel[o.core as usize][o.neuron as usize] = k as u32;
    }

    let mut probes_by_core = vec![Vec::new(); n_cores];
    for (k, pr) in cfg.probes.iter().enumerate() {
        probes_by_core[pr.core].push(k);
    }
    let mut max_route_delay = vec![0u8; n_cores];
    let tables = program.cores.iter().map(|c| &c.routes);
    // (only tables with a delay at all are unpacked)
    for t in tables
        .chain([&program.inputs])
        .filter(|t| t.max_delay() > 0)
    {
        for r in t.iter() {
            max_route_delay[r.core as usize] = max_route_delay[r.core as usize].max(r.delay);
        }
    }
    // Fan-in tables index words and segments with u32s, and copy the rows:
    // worth it where a message carries a few synapses at least.
    let fits = |n: usize| u32::try_from(n).is_ok();
    let words: usize = program.cores.iter().map(|c| c.synapses.len()).sum();
    let routes: usize = program.cores.iter().map(|c| c.routes.len()).sum();
    // (a row is copied once per route into it, and several routes may
    // share an axon: the copies, not the words, must fit)
    let copied = || -> usize {
        let row_len = |r: spikefab_chip::Route| {
            program.cores[r.core as usize]
                .synapses
                .row(r.axon as usize)
                .len()
        };
        program
            .cores
            .iter()
            .flat_map(|c| c.routes.iter())
            .map(row_len)
            .sum()
    };
    let fan_in = cfg.fan_in
        && words >= FAN_IN_MIN_WORDS_PER_ROUTE * routes
        && fits(routes + program.cores.len())
        && fits(program.cores.iter().map(|c| c.num_neurons() + 1).sum())
        && fits(copied());
    let plain: Vec<bool> = program
        .cores
        .iter()
        .zip(&max_route_delay)
        .map(|(c, &d)| fan_in && CoreState::receives_plain(c, d))
        .collect();
    let mesh = Mesh::new(arch.topology, &arch.costs);
    let shared = Shared {
        rank,
        ranks,
        per_rank,
        remote_summaries: Mutex::new(Vec::new()),
        probes: &cfg.probes,
        probe_sink,
        program,
        fx,
        owner,
        tiles,
        local,
        plain,
        out_channel,
        input,
        input_port,
        port_tiles,
        steps: cfg.steps,
        record_steps: cfg.record_steps,
        n_outputs: program.outputs.len(),
        barrier_ns: arch.barrier_ns(active_tiles.len()),
        mesh,
        probes_by_core,
    };

    // Exact upper bounds on traffic, so that no buffer grows during the run
    // (up to a size: `core::buffer`).
    // (A plain core's messages are counted in its `inbox_cap`, the bound of
    // its schedule, though they come through the fan-in table.)
    let mut inbox_cap = vec![0usize; n_cores];
    let mut outbox_cap = vec![vec![0usize; workers]; workers];
    let mut spike_cap = vec![vec![0usize; workers]; workers];
    let mut mark = vec![usize::MAX; workers];
    for (src, core) in program.cores.iter().enumerate() {
        // A neuron sends its routes once per spike: up to its group's max a
        // step; a spike goes once to each worker with plain cores among them.
        let from = shared.owner[src];
        let mut n = 0;
        for g in &core.groups {
            let k = g.reset.max_spikes() as usize;
            for _ in 0..g.len() {
                for r in core.routes.of(n) {
                    let (to, c) = (shared.owner[r.core as usize], r.core as usize);
                    inbox_cap[c] += k;
                    if !shared.plain[c] {
                        outbox_cap[from][to] += k;
                    } else if mark[to] != n {
                        mark[to] = n;
                        spike_cap[from][to] += k;
                    }
                }
                n += 1;
            }
        }
        mark.fill(usize::MAX);
    }
    // Each worker sends a share of a step's inputs (`Worker::send_inputs`).
    for (k, r) in program.inputs.iter().enumerate() {
        inbox_cap[r.core as usize] += 1;
        outbox_cap[k % workers][shared.owner[r.core as usize]] += 1;
    }
    // A step's output events: one at most per output channel.
    let mut output_cap = vec![0usize; workers];
    for (c, channels) in shared.out_channel.iter().enumerate() {
        output_cap[shared.owner[c]] += channels.iter().filter(|&&ch| ch != u32::MAX).count();
    }

    let n_links = shared.mesh.num_links();
    let make_outboxes = |w: usize| -> Vec<Vec<Message>> {
        (0..workers).map(|d| buffer(outbox_cap[w][d])).collect()
    };
    let make_spike_outboxes = |w: usize| -> Vec<Vec<SpikeOut>> {
        (0..workers).map(|d| buffer(spike_cap[w][d])).collect()
    };
    let mut remote_cap = vec![0usize; per_rank];
    let mut remote_spike_cap = vec![0usize; per_rank];
    for src in 0..workers {
        if src / per_rank != rank {
            for local in 0..per_rank {
                remote_cap[local] += outbox_cap[src][rank * per_rank + local];
                remote_spike_cap[local] += spike_cap[src][rank * per_rank + local];
            }
        }
    }
    let worker_states: Vec<Worker> = (0..per_rank)
        .map(|local_id| (local_id, rank * per_rank + local_id))
        .map(|(local_id, id)| Worker {
            id,
            local_id,
            cores: Vec::new(),
            outboxes: make_outboxes(id),
            fan_in: None,
            spike_inbox: buffer((0..workers).map(|src| spike_cap[src][id]).sum()),
            spike_outboxes: make_spike_outboxes(id),
            spike_mark: vec![0; workers],
            spike_seq: 0,
            links: shared.mesh.tally(),
            link_load: vec![0; n_links],
            outputs: buffer(output_cap[id]),
            all_outputs: Vec::new(),
            probe_values: Vec::with_capacity(cfg.probes.len()),
            input_cursor: 0,
            port_ns: vec![0.0; shared.port_tiles.len()],
            input_counters: Counters::default(),
            step_totals: StepTotals::default(),
            records: buffer(if id == 0 && cfg.record_steps {
                cfg.steps.max(1) as usize
            } else {
                0
            }),
            summary: PassSummary::default(),
            pending: PendingStep::default(),
        })
        .collect();
    // Two sets, used in alternate passes: a worker fills one while the
    // others may still be reading the other (see `Worker::run`).
    let make_slots = || -> Vec<Mutex<Exchange>> {
        (0..per_rank)
            .map(|local| {
                let w = rank * per_rank + local;
                Mutex::new(Exchange {
                    outboxes: make_outboxes(w),
                    spike_outboxes: make_spike_outboxes(w),
                    link_load: vec![0; n_links],
                    sent: StepSummary::default(),
                    received: StepSummary::default(),
                    probe_values: Vec::with_capacity(cfg.probes.len()),
                    outputs: buffer(output_cap[w]),
                    remote_in: buffer(remote_cap[local]),
                    remote_spikes_in: buffer(remote_spike_cap[local]),
                })
            })
            .collect()
    };
    let slots = [make_slots(), make_slots()];
    let barrier = StepBarrier::new(per_rank);

    let start = |mut w: Worker<'p>, cluster: Option<&dyn Cluster>| -> Worker<'p> {
        // a worker that panics must not leave the others at the barrier
        let _poison = barrier.poison_on_panic();
        // Each worker sets up its own cores' state and fan-in table, in parallel.
        w.fan_in = FanIn::new(program, &shared.owner, &shared.local, &shared.plain, w.id);
        for c in 0..program.cores.len() {
            if shared.owner[c] == w.id {
                w.cores.push(CoreState::new(
                    program,
                    c,
                    shared.tiles[c],
                    &shared.fx,
                    max_route_delay[c],
                    inbox_cap[c],
                    cfg.snapshot_every.unwrap_or(0),
                ));
            }
        }
        w.run(&shared, &slots, &barrier, progress, cluster)
    };
    let start = &start;
    let mut states = worker_states.into_iter();
    let leader = states.next().expect("a rank has at least one worker");
    let finished: Vec<Worker> = crossbeam::thread::scope(|s| {
        let handles: Vec<_> = states.map(|w| s.spawn(move |_| start(w, None))).collect();
        // The rank's leader runs on the calling thread: the only one that
        // calls the cluster's collectives.
        let mut finished = vec![start(leader, Some(cluster))];
        finished.extend(
            handles
                .into_iter()
                .map(|h| h.join().expect("emulator worker panicked")),
        );
        finished
    })
    .expect("emulator worker panicked");

    let mine = rank_result(finished);
    let parts = if ranks == 1 {
        vec![mine]
    } else {
        let bytes = postcard::to_stdvec(&mine).expect("a rank's result serializes");
        cluster
            .all_to_all(vec![bytes; ranks])
            .iter()
            .map(|b| postcard::from_bytes(b).expect("every rank runs this build"))
            .collect()
    };
    Ok(assemble(program, &shared, parts, cfg))
}

impl<'p> Worker<'p> {
    fn run(
        mut self,
        sh: &Shared<'p>,
        slot_sets: &[Vec<Mutex<Exchange>>; 2],
        barrier: &StepBarrier,
        progress: &(dyn Fn(u32) + Sync),
        // The rank's leader (local worker 0) only: its link to other ranks.
        cluster: Option<&dyn Cluster>,
    ) -> Self {
        let costs = &sh.program.arch.costs;
        let timing = sh.program.arch.timing.core_timing;
        let scheduled = timing == CoreTiming::Scheduled;
        let phased = timing == CoreTiming::Phased;
        let (idle, active) = costs.neuron.idle_and_active();
        // Pass `t` closes step t − 1's receive side, sends step t's messages
        // and delivers them; the extra pass t = steps only closes.
        for t in 0..=sh.steps {
            let sending = t < sh.steps;
            let slots = &slot_sets[t as usize % 2];
            // ---- compute ----
            let mut sent = StepSummary::default();
            let mut received = StepSummary::default();
            if sending {
                self.send_inputs(sh, t, &mut sent);
            }
            for core in &mut self.cores {
                if t > 0 {
                    let mut c = Counters::default();
                    let receive_ns = core.finish_receive(&mut c, scheduled);
                    let ns = match timing {
                        CoreTiming::Serial => core.send_ns + receive_ns,
                        // The receive phase is its own (learning, then
                        // messages): the step's record adds the rest.
                        CoreTiming::Phased => std::mem::take(&mut core.learn_ns) + receive_ns,
                        // Scheduled: `receive_ns` is when the last message was
                        // processed, which already waited for its arrival.
                        CoreTiming::Overlapped | CoreTiming::Scheduled => {
                            core.send_ns.max(receive_ns)
                        }
                    };
                    core.busy_ns += if phased { core.send_ns + ns } else { ns };
                    core.totals += c;
                    received.counters += c;
                    received.max_core_ns = received.max_core_ns.max(ns);
                }
                if !sending {
                    continue;
                }
                let mut c = Counters::default();
                core.update(t, &mut c);
                for &k in &sh.probes_by_core[core.index] {
                    let pr = sh.probes[k];
                    self.probe_values
                        .push((k, core.state_var(pr.neuron, pr.var)));
                }
                let out = &sh.out_channel[core.index];
                let mut sends = sh.mesh.sends_from(core.tile);
                for (k, (&n, &active_so_far)) in
                    core.spiked.iter().zip(&core.active_before).enumerate()
                {
                    let ch = out[n as usize];
                    // An output channel carries one event per step, however
                    // many spikes its neuron fired (they are listed in a row).
                    let repeat = k > 0 && core.spiked[k - 1] == n;
                    if ch != u32::MAX && !repeat {
                        self.outputs.push(Spike {
                            timestep: t,
                            channel: ch,
                        });
                    }
                    // When this neuron is done: every neuron up to it updated,
                    // its own and the earlier spikes generated.
                    let updated_ns = (n as f64 + 1.0) * idle.latency_ns
                        + active_so_far as f64 * (active.latency_ns - idle.latency_ns)
                        + (k + 1) as f64 * costs.spike_out.latency_ns;
                    let spike = SpikeOut {
                        core: core.index as u32,
                        neuron: n,
                        messages_before: c.messages_out,
                        updated_ns,
                    };
                    self.spike_seq += 1;
                    for r in core.cfg.routes.of(n as usize) {
                        c.messages_out += 1;
                        let head = sends.send(sh.tiles[r.core as usize], &mut c, &mut self.links);
                        sent.max_head_ns = sent.max_head_ns.max(head);
                        let to = sh.owner[r.core as usize];
                        if sh.plain[r.core as usize] {
                            // once per spike to each worker: its fan-in
                            // table holds this route's row
                            if self.spike_mark[to] != self.spike_seq {
                                self.spike_mark[to] = self.spike_seq;
                                self.spike_outboxes[to].push(spike);
                            }
                            continue;
                        }
                        self.outboxes[to].push(Message {
                            core: r.core,
                            arrival: Arrival {
                                axon: r.axon,
                                delay: r.delay,
                                // ... and every message so far sent.
                                sent_ns: updated_ns
                                    + c.messages_out as f64 * costs.axon_out.latency_ns,
                                hop_ns: head,
                            },
                        });
                    }
                }
                sends.finish(&mut c, &mut self.links);
                if phased {
                    core.send_ns = c.update_time_ns(costs) + c.fire_time_ns(costs);
                    core.learn_ns = c.learn_time_ns(costs);
                } else {
                    core.send_ns = c.send_time_ns(costs);
                }
                sent.max_update_ns = sent.max_update_ns.max(c.update_time_ns(costs));
                core.totals += c;
                sent.counters += c;
            }
            {
                let mut slot = slots[self.local_id].lock().expect("exchange slot poisoned");
                slot.received = received;
                if sending {
                    std::mem::swap(&mut slot.outboxes, &mut self.outboxes);
                    std::mem::swap(&mut slot.spike_outboxes, &mut self.spike_outboxes);
                    self.links.drain_into(&mut self.link_load);
                    std::mem::swap(&mut slot.link_load, &mut self.link_load);
                    slot.sent = sent;
                    slot.probe_values.clear();
                    std::mem::swap(&mut slot.probe_values, &mut self.probe_values);
                    slot.outputs.clear();
                    std::mem::swap(&mut slot.outputs, &mut self.outputs);
                }
            }
            barrier.publish(self.local_id, t);

            // ---- exchange ----
            if sh.ranks > 1 {
                // the leader trades what every local worker sent
                barrier.wait();
                if let Some(cluster) = cluster {
                    self.trade(sh, slots, sending, cluster);
                }
                barrier.wait();
            }
            if sending {
                self.receive(sh, slots, barrier, t, scheduled);
            }
            if self.id == 0 {
                // (the receive above waited for every slot; a receive-only
                // pass has not)
                for k in 0..slots.len() {
                    barrier.wait_published(k, t);
                }
                self.summary.clear(sh.mesh.num_links());
                self.summary.add_slots(slots);
                for other in sh
                    .remote_summaries
                    .lock()
                    .expect("summaries poisoned")
                    .drain(..)
                {
                    self.summary.absorb(&other);
                }
                if t > 0 {
                    self.record_step(sh);
                    progress(t);
                }
                if sending {
                    // Gathered as the steps end, in step and then worker
                    // order: the order of the stream's events wherever
                    // output channels follow the cores (P16k's do), so its
                    // sort has nothing to do (sorting the workers' lists
                    // joined end to end was serial work after the loop).
                    self.all_outputs.extend_from_slice(&self.summary.outputs);
                    self.reduce_send_phase(sh);
                    if !sh.probes.is_empty() {
                        let mut row = vec![0i32; sh.probes.len()];
                        for &(k, v) in &self.summary.probe_values {
                            row[k] = v;
                        }
                        (sh.probe_sink)(t, &row);
                    }
                }
            }
            // No barrier: the next pass fills the other set of slots, which
            // everybody has finished with — each worker read them in pass
            // t − 1's receive, before publishing pass t, which this worker's
            // receive waited for (and the leader read them before it
            // published). So workers run up to a pass apart, and a worker
            // that was slow in one step catches up in the next instead of
            // the others waiting for it every step.
        }
        self
    }

    /// The receive side of pass `t + 1`, run as soon as pass `t` has sent:
    /// each worker's messages and fan-in spikes for this worker's cores,
    /// taken from its slot once it is published — this worker's own first,
    /// so that a worker done early spends the wait on its own share of the
    /// delivery instead of at a barrier. Delivery is integer accumulation
    /// plus schedule entries that are sorted later, so the order in which
    /// slots arrive changes no result.
    fn receive(
        &mut self,
        sh: &Shared,
        slots: &[Mutex<Exchange>],
        barrier: &StepBarrier,
        t: u32,
        scheduled: bool,
    ) {
        for core in &mut self.cores {
            core.begin_receive();
        }
        let n = slots.len();
        for k in 0..n {
            let from = (self.local_id + k) % n;
            barrier.wait_published(from, t);
            {
                let mut slot = slots[from].lock().expect("exchange slot poisoned");
                for m in slot.outboxes[self.id].drain(..) {
                    self.cores[sh.local[m.core as usize]].inbox.push(m.arrival);
                }
                self.spike_inbox.append(&mut slot.spike_outboxes[self.id]);
                if k == 0 && sh.ranks > 1 {
                    for m in slot.remote_in.drain(..) {
                        self.cores[sh.local[m.core as usize]].inbox.push(m.arrival);
                    }
                    self.spike_inbox.append(&mut slot.remote_spikes_in);
                }
            }
            for core in &mut self.cores {
                core.receive_inbox(t, scheduled);
            }
            if let Some(fan_in) = &self.fan_in {
                fan_in.deliver(
                    &self.spike_inbox,
                    &mut self.cores,
                    &sh.mesh,
                    &sh.tiles,
                    sh.program.arch.costs.axon_out.latency_ns,
                    scheduled,
                );
            }
            self.spike_inbox.clear();
        }
    }

    /// The step's external input spikes leave their input ports: every
    /// worker sends a contiguous share of the step's events (when worker 0
    /// sent them all, that was about a tenth of P16k's messages on top of
    /// its cores' — a serial term that grows with the number of ranks). A
    /// port sends its messages one after another; under `OnCore` they pay
    /// the axon-out time and cross the mesh like a neuron's, under
    /// `OffChip` and `Port` they queue on the one link, under `Free` they
    /// are simply there. The sending times are f64 sums in event order, so
    /// a worker first replays the sums of the events before its share
    /// (additions only): each message's time is the one a single worker
    /// would give it, for any worker count (decision 77).
    fn send_inputs(&mut self, sh: &Shared<'p>, t: u32, summary: &mut StepSummary) {
        let costs = &sh.program.arch.costs;
        let events = sh.input.events_at(t, &mut self.input_cursor);
        let share = |w: usize| events.len() * w / (sh.per_rank * sh.ranks);
        let (first, end) = (share(self.id), share(self.id + 1));
        if first == end {
            return;
        }
        self.port_ns.fill(0.0);
        let mut link_ns = 0.0;
        for e in &events[..first] {
            let port = sh.input_port[e.channel as usize];
            let messages = sh.program.inputs.of(e.channel as usize).len();
            match costs.inputs {
                InputCost::Free => {}
                InputCost::OnCore => {
                    (0..messages).for_each(|_| self.port_ns[port] += costs.axon_out.latency_ns)
                }
                InputCost::OffChip { link } => {
                    (0..messages).for_each(|_| link_ns += link.latency_ns)
                }
                InputCost::Port { event } => {
                    link_ns += event.latency_ns;
                    (0..messages).for_each(|_| link_ns += costs.axon_out.latency_ns)
                }
            }
        }
        let mut c = Counters::default();
        for e in &events[first..end] {
            let port = sh.input_port[e.channel as usize];
            c.input_events += 1;
            if let InputCost::Port { event } = costs.inputs {
                link_ns += event.latency_ns;
            }
            for r in sh.program.inputs.of(e.channel as usize) {
                c.input_messages += 1;
                let (sent_ns, hop_ns) = match costs.inputs {
                    InputCost::Free => (0.0, 0.0),
                    InputCost::OnCore => {
                        self.port_ns[port] += costs.axon_out.latency_ns;
                        let head = sh.mesh.route(
                            sh.port_tiles[port],
                            sh.tiles[r.core as usize],
                            &mut c,
                            &mut self.links,
                        );
                        summary.max_head_ns = summary.max_head_ns.max(head);
                        (self.port_ns[port], head)
                    }
                    InputCost::OffChip { link } => {
                        link_ns += link.latency_ns;
                        (link_ns, 0.0)
                    }
                    InputCost::Port { .. } => {
                        link_ns += costs.axon_out.latency_ns;
                        (link_ns, 0.0)
                    }
                };
                self.outboxes[sh.owner[r.core as usize]].push(Message {
                    core: r.core,
                    arrival: Arrival {
                        axon: r.axon,
                        delay: r.delay,
                        sent_ns,
                        hop_ns,
                    },
                });
            }
        }
        let busiest_port = self.port_ns.iter().copied().fold(link_ns, f64::max);
        summary.max_core_ns = summary.max_core_ns.max(busiest_port);
        summary.counters += c;
        self.input_counters += c;
    }

    /// A rank's leader, between the compute phase and the drain: sends the
    /// messages for other ranks' cores (and, to rank 0, this rank's reduced
    /// pass), and files the messages that came in for its workers. Every
    /// rank calls it once per pass, sending or not.
    fn trade(
        &mut self,
        sh: &Shared,
        slots: &[Mutex<Exchange>],
        sending: bool,
        cluster: &dyn Cluster,
    ) {
        let (rank, ranks) = (sh.rank, sh.ranks);
        let mut packets: Vec<Packet> = (0..ranks)
            .map(|_| Packet {
                spikes: vec![Vec::new(); sh.per_rank],
                ..Packet::default()
            })
            .collect();
        if sending {
            for slot in slots {
                let mut slot = slot.lock().expect("exchange slot poisoned");
                for (dest, outbox) in slot.outboxes.iter_mut().enumerate() {
                    let to = dest / sh.per_rank;
                    if to != rank {
                        packets[to].messages.append(outbox);
                    }
                }
                for (dest, outbox) in slot.spike_outboxes.iter_mut().enumerate() {
                    let to = dest / sh.per_rank;
                    if to != rank {
                        packets[to].spikes[dest % sh.per_rank].append(outbox);
                    }
                }
            }
        }
        if rank != 0 {
            let mut mine = PassSummary::default();
            mine.clear(sh.mesh.num_links());
            mine.add_slots(slots);
            packets[0].summary = Some(mine);
        }
        let outgoing = packets
            .iter()
            .map(|p| postcard::to_stdvec(p).expect("a packet serializes"))
            .collect();
        let incoming = cluster.all_to_all(outgoing);
        let mut by_worker: Vec<Vec<Message>> = vec![Vec::new(); sh.per_rank];
        let mut spikes_by_worker: Vec<Vec<SpikeOut>> = vec![Vec::new(); sh.per_rank];
        let mut summaries = Vec::new();
        for (from, bytes) in incoming.iter().enumerate() {
            if from == rank {
                continue;
            }
            let p: Packet = postcard::from_bytes(bytes).expect("every rank runs this build");
            for m in p.messages {
                by_worker[sh.owner[m.core as usize] - rank * sh.per_rank].push(m);
            }
            assert_eq!(p.spikes.len(), sh.per_rank, "every rank runs this build");
            for (to, spikes) in spikes_by_worker.iter_mut().zip(p.spikes) {
                to.extend(spikes);
            }
            summaries.extend(p.summary);
        }
        for ((slot, messages), spikes) in slots.iter().zip(by_worker).zip(spikes_by_worker) {
            let mut slot = slot.lock().expect("exchange slot poisoned");
            slot.remote_in.extend(messages);
            slot.remote_spikes_in.extend(spikes);
        }
        *sh.remote_summaries.lock().expect("summaries poisoned") = summaries;
    }

    /// Worker 0, during the exchange: the pass's send side (every worker's,
    /// in `self.summary`) becomes the pending step.
    fn reduce_send_phase(&mut self, sh: &Shared) {
        let sent = self.summary.sent;
        let messages = sent.counters.messages_out + sent.counters.input_messages;
        let timing = sh.program.arch.timing.core_timing;
        // Under `Scheduled` every message's trip is already in the schedule;
        // under `Phased` messages ride a bus whose time is the senders'.
        let noc_ns =
            if messages > 0 && !matches!(timing, CoreTiming::Scheduled | CoreTiming::Phased) {
                sh.mesh.drain_ns(sent.max_head_ns, &self.summary.link_load)
            } else {
                0.0
            };
        self.pending = PendingStep {
            sent,
            max_link_load: self.summary.link_load.iter().copied().max().unwrap_or(0),
            noc_ns,
        };
    }

    /// Worker 0, once the step's messages have been received (during the
    /// next pass): the step's record.
    fn record_step(&mut self, sh: &Shared) {
        let p = self.pending;
        let mut counters = p.sent.counters;
        counters += self.summary.received.counters;
        let received_ns = self.summary.received.max_core_ns;
        let core_ns = match sh.program.arch.timing.core_timing {
            // Updates ‖ input port, then every core's sends on the one bus
            // (from the integer counts: the same for any thread count), then
            // the slowest receiver.
            CoreTiming::Phased => {
                p.sent.max_update_ns.max(p.sent.max_core_ns)
                    + p.sent.counters.fire_time_ns(&sh.program.arch.costs)
                    + received_ns
            }
            _ => p.sent.max_core_ns.max(received_ns),
        };
        let record = StepRecord {
            counters,
            max_link_load: p.max_link_load,
            core_ns,
            noc_ns: p.noc_ns,
            barrier_ns: sh.barrier_ns,
            latency_ns: core_ns + p.noc_ns + sh.barrier_ns,
        };
        self.step_totals.add(&record);
        if sh.record_steps {
            self.records.push(record);
        }
    }
}

/// The workers' rendezvous: each worker publishes its slot once a pass
/// ([`StepBarrier::publish`]) and the others wait for just the slots they
/// read ([`StepBarrier::wait_published`]); across ranks there is also a
/// full barrier around the leader's trade ([`StepBarrier::wait`]). Unlike
/// `std::sync::Barrier` it can be poisoned: a worker that panics poisons it
/// on its way out ([`StepBarrier::poison_on_panic`]), and the others,
/// waiting for it or arriving later, panic in turn instead of waiting for
/// it forever — the run fails with the first panic's message, it does not
/// hang.
struct StepBarrier {
    threads: usize,
    state: Mutex<BarrierState>,
    wake: Condvar,
}

#[derive(Default)]
struct BarrierState {
    arrived: usize,
    generation: u64,
    /// Per worker, how many passes it has published (its slot of that
    /// pass's set holds them until every worker has read them).
    published: Vec<u32>,
    poisoned: bool,
}

const GONE: &str = "another emulator worker panicked";

/// Poisons its barrier when dropped during a panic.
struct PoisonOnPanic<'b>(&'b StepBarrier);

impl Drop for PoisonOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // (a poisoned mutex still holds the state: take it anyway)
            let mut s = self.0.state.lock().unwrap_or_else(|e| e.into_inner());
            s.poisoned = true;
            self.0.wake.notify_all();
        }
    }
}

impl StepBarrier {
    fn new(threads: usize) -> Self {
        StepBarrier {
            threads,
            state: Mutex::new(BarrierState {
                published: vec![0; threads],
                ..BarrierState::default()
            }),
            wake: Condvar::new(),
        }
    }

    fn poison_on_panic(&self) -> PoisonOnPanic<'_> {
        PoisonOnPanic(self)
    }

    /// Worker `id` has filled its slot for pass `t`.
    fn publish(&self, id: usize, t: u32) {
        let mut s = self.state.lock().expect(GONE);
        s.published[id] = t + 1;
        self.wake.notify_all();
    }

    /// Until worker `id` has filled its slot for pass `t` (the slot keeps it
    /// until everybody has passed the step's [`StepBarrier::wait`]).
    fn wait_published(&self, id: usize, t: u32) {
        let mut s = self.state.lock().expect(GONE);
        while s.published[id] <= t && !s.poisoned {
            s = self.wake.wait(s).expect(GONE);
        }
        assert!(!s.poisoned, "{GONE}");
    }

    fn wait(&self) {
        let mut s = self.state.lock().expect(GONE);
        assert!(!s.poisoned, "{GONE}");
        s.arrived += 1;
        if s.arrived == self.threads {
            s.arrived = 0;
            s.generation += 1;
            self.wake.notify_all();
            return;
        }
        let generation = s.generation;
        while s.generation == generation && !s.poisoned {
            s = self.wake.wait(s).expect(GONE);
        }
        assert!(!s.poisoned, "{GONE}");
    }
}

/// Splits cores into `workers` contiguous ranges of about equal work
/// (neurons + synapse words + routes).
fn partition(p: &CoreProgram, workers: usize) -> Vec<usize> {
    let work: Vec<u64> = p
        .cores
        .iter()
        .map(|c| (c.num_neurons() + c.synapses.len() + c.routes.len()) as u64 + 1)
        .collect();
    let total: u64 = work.iter().sum();
    let mut owner = Vec::with_capacity(work.len());
    let mut acc = 0u64;
    for w in &work {
        // The worker whose share this core's midpoint falls in.
        let mid = acc + w / 2;
        owner.push(((mid * workers as u64) / total.max(1)).min(workers as u64 - 1) as usize);
        acc += w;
    }
    owner
}

/// A rank's finished workers, as the run's output needs them.
fn rank_result(mut workers: Vec<Worker>) -> RankResult {
    // Workers hold contiguous core ranges in worker order.
    workers.sort_by_key(|w| w.id);
    let mut r = RankResult::default();
    for w in &mut workers {
        r.input_ports += w.input_counters;
        if w.id == 0 {
            // (the one result that grows with the run — 55 M spikes at a
            // million neurons × 1,000 steps, 8 bytes each — moved, not copied)
            r.outputs = std::mem::take(&mut w.all_outputs);
            r.totals = Some(w.step_totals);
            r.records = std::mem::take(&mut w.records);
        }
        r.cores.extend(w.cores.iter_mut().map(|c| CoreResult {
            index: c.index,
            totals: c.totals,
            busy_ns: c.busy_ns,
            group_saturations: std::mem::take(&mut c.group_saturations),
            weight_snapshots: c.take_weight_snapshots(),
        }));
    }
    r
}

fn assemble(
    program: &CoreProgram,
    sh: &Shared,
    mut parts: Vec<RankResult>,
    cfg: &RunConfig,
) -> RunOutput {
    let events = std::mem::take(&mut parts[0].outputs);
    // A neuron is one output port at most and fires once per step: no duplicates.
    let spikes = SpikeStream::new(sh.n_outputs as u32, cfg.steps, program.dt, events)
        .expect("output spikes lie within the run");
    let mut totals = parts[0].totals.expect("rank 0 holds worker 0");
    // (integer counts: the sum is the same in any order)
    totals.input_ports = parts.iter().fold(Counters::default(), |mut sum, p| {
        sum += p.input_ports;
        sum
    });
    let records = std::mem::take(&mut parts[0].records);
    let cores: Vec<&CoreResult> = parts.iter().flat_map(|p| &p.cores).collect();
    debug_assert!(cores.iter().enumerate().all(|(i, c)| c.index == i));
    let core_totals: Vec<_> = cores.iter().map(|c| (c.totals, c.busy_ns)).collect();
    let group_saturations: Vec<&[u64]> = cores.iter().map(|c| &c.group_saturations[..]).collect();
    let mut report = Report::new(program, cfg.steps, totals, records, &core_totals);
    report.layers = crate::report::layer_counts(program, &group_saturations);
    let by_core: Vec<&[Vec<i32>]> = cores.iter().map(|c| &c.weight_snapshots[..]).collect();
    let weight_snapshots = crate::snapshot::assemble(cfg, &by_core);
    RunOutput {
        spikes,
        report,
        weight_snapshots,
    }
}

#[cfg(test)]
mod tests {
    use super::StepBarrier;
    use std::time::Duration;

    /// Whether each worker of `body` panicked, from a thread of its own; a
    /// hang fails the test with `hung` instead of hanging the suite.
    fn within_20_s(hung: &str, body: impl FnOnce() -> Vec<bool> + Send + 'static) -> Vec<bool> {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(body()).unwrap());
        finished.recv_timeout(Duration::from_secs(20)).expect(hung)
    }

    /// A worker that panics fails the others at the barrier — whether they
    /// are already waiting or arrive later — instead of leaving them there.
    #[test]
    fn a_panicking_worker_does_not_hang_the_others() {
        let outcomes = within_20_s("the workers hung at the barrier", || {
            let barrier = StepBarrier::new(3);
            std::thread::scope(|s| {
                let workers: Vec<_> = (0..3)
                    .map(|k| {
                        let barrier = &barrier;
                        s.spawn(move || {
                            let _poison = barrier.poison_on_panic();
                            barrier.wait(); // all three meet once
                            if k == 0 {
                                panic!("worker 0 fails");
                            }
                            if k == 2 {
                                std::thread::sleep(Duration::from_millis(50));
                            }
                            barrier.wait();
                        })
                    })
                    .collect();
                workers.into_iter().map(|w| w.join().is_err()).collect()
            })
        });
        assert_eq!(outcomes, [true, true, true]);
    }

    /// A worker waiting for a slot that a panicking worker will never
    /// publish fails too; one waiting for a slot already published does not
    /// wait.
    #[test]
    fn a_slot_that_is_never_published_does_not_hang_its_reader() {
        let outcomes = within_20_s("the reader hung on the slot", || {
            let barrier = StepBarrier::new(2);
            std::thread::scope(|s| {
                let barrier = &barrier;
                let reader = s.spawn(move || {
                    let _poison = barrier.poison_on_panic();
                    barrier.publish(1, 0);
                    barrier.wait_published(1, 0); // its own: already there
                    barrier.wait_published(0, 0); // never comes
                });
                let failing = s.spawn(move || {
                    let _poison = barrier.poison_on_panic();
                    std::thread::sleep(Duration::from_millis(50));
                    panic!("worker 0 fails before publishing");
                });
                [failing, reader]
                    .into_iter()
                    .map(|w| w.join().is_err())
                    .collect()
            })
        });
        assert_eq!(outcomes, [true, true]);
    }

    /// A slot is read only after its pass is published: what a worker wrote
    /// before publishing pass t is there for every reader of pass t, pass
    /// after pass, with workers free to run a pass apart.
    #[test]
    fn a_published_slot_holds_its_pass() {
        use std::sync::atomic::{AtomicU32, Ordering};
        const WORKERS: usize = 3;
        let barrier = StepBarrier::new(WORKERS);
        let written: Vec<AtomicU32> = (0..WORKERS).map(|_| AtomicU32::new(0)).collect();
        std::thread::scope(|s| {
            for me in 0..WORKERS {
                let (barrier, written) = (&barrier, &written);
                s.spawn(move || {
                    for t in 0..300u32 {
                        written[me].store(t + 1, Ordering::Relaxed);
                        barrier.publish(me, t);
                        for (other, w) in written.iter().enumerate() {
                            barrier.wait_published(other, t);
                            assert!(w.load(Ordering::Relaxed) > t);
                        }
                    }
                });
            }
        });
    }

    /// Without a panic it is a barrier: nobody leaves a round before all
    /// have arrived, round after round.
    #[test]
    fn nobody_leaves_before_all_arrive() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let barrier = StepBarrier::new(4);
        let arrived = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for round in 1..=200 {
                        arrived.fetch_add(1, Ordering::SeqCst);
                        barrier.wait();
                        assert!(arrived.load(Ordering::SeqCst) >= 4 * round);
                        barrier.wait();
                    }
                });
            }
        });
    }
}
