//! The multi-core, multi-threaded timestep loop.
//!
//! Cores are split into contiguous ranges, one per worker thread. Each
//! timestep has two phases separated by barriers:
//!
//! - **compute** (parallel, lock-free): every worker runs its cores —
//!   receive the previous step's messages (synaptic operations into the
//!   accumulators of the steps they take effect), update every neuron, emit
//!   the fired neurons' messages into its own outboxes (one per destination
//!   worker) and its own link-load array; worker 0 also sends the step's
//!   external input spikes from their input ports;
//! - **exchange**: every worker moves the messages addressed to its cores into
//!   their inboxes, visiting source workers in a fixed order; worker 0
//!   records the previous step and reduces this step's send side.
//!
//! Receiving right before updating keeps a core's accumulators in cache, but
//! the receive work is *accounted* to the step that sent the messages — the
//! step the hardware spends that energy in — so a run's totals are the sum of
//! its steps wherever it stops; one last receive-only pass after the final
//! step counts that step's messages.
//!
//! A core's result depends only on the set of messages it receives (integer
//! accumulation commutes), messages reach an inbox in an order fixed by
//! program core (not by worker), and all energy comes from integer counts, so
//! spikes, energy and latency are identical for any thread count. The
//! exchange is the single explicit point where cores communicate — the place
//! an MPI backend would exchange spikes between processes.

use std::sync::{Barrier, Mutex};

use spikefab_chip::neuron::Fixed;
use spikefab_chip::{CoreProgram, CoreTiming, InputCost, Spike, SpikeStream, TileCoord};

use crate::core::{Arrival, CoreState};
use crate::counters::Counters;
use crate::noc::Mesh;
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

/// A message in flight between two cores.
#[derive(Clone, Copy, Debug)]
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
    link_load: Vec<u32>,
    sent: StepSummary,
    received: StepSummary,
    /// `(probe index, value)` of the probes on the worker's cores, this step.
    probe_values: Vec<(usize, i32)>,
}

#[derive(Clone, Copy, Default)]
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

/// Read-only facts shared by all workers.
struct Shared<'p> {
    program: &'p CoreProgram,
    fx: Fixed,
    mesh: Mesh,
    /// Program core → owning worker.
    owner: Vec<usize>,
    /// Program core → its tile.
    tiles: Vec<spikefab_chip::TileCoord>,
    /// Program core → (worker-local index).
    local: Vec<usize>,
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
    id: usize,
    cores: Vec<CoreState<'p>>,
    outboxes: Vec<Vec<Message>>,
    link_load: Vec<u32>,
    /// Output-port spikes of this worker's cores, in step order.
    outputs: Vec<Spike>,
    /// This step's probe readings on this worker's cores.
    probe_values: Vec<(usize, i32)>,
    /// Worker 0 only: where it is in the input's (time-sorted) events, and
    /// each input port's sending time in the current step.
    input_cursor: usize,
    port_ns: Vec<f64>,
    /// Worker 0 only: latency totals, the per-step records if asked for, a
    /// scratch link-load sum and the step being reduced.
    step_totals: StepTotals,
    records: Vec<StepRecord>,
    link_sum: Vec<u32>,
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
        run_validated(self.program, input, cfg, progress, &|_, _| {})
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
        run_validated(self.program, input, cfg, progress, sink)
    }
}

fn run_validated<'p>(
    program: &'p CoreProgram,
    input: &'p SpikeStream,
    cfg: &'p RunConfig,
    progress: &(dyn Fn(u32) + Sync),
    probe_sink: &'p (dyn Fn(u32, &[i32]) + Sync),
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
    let workers = cfg.threads.clamp(1, n_cores.max(1));
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
    let mesh = Mesh::new(arch.topology, &arch.costs);
    let shared = Shared {
        probes: &cfg.probes,
        probe_sink,
        program,
        fx,
        owner,
        tiles,
        local,
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

    // Exact upper bounds on traffic, so that no buffer ever grows during the run.
    let mut inbox_cap = vec![0usize; n_cores];
    let mut outbox_cap = vec![vec![0usize; workers]; workers];
    let mut max_route_delay = vec![0u8; n_cores];
    for (src, core) in program.cores.iter().enumerate() {
        // A neuron sends its routes once per spike: up to its group's max a step.
        let mut n = 0;
        for g in &core.groups {
            let k = g.reset.max_spikes() as usize;
            for _ in 0..g.len() {
                for r in core.routes.of(n) {
                    inbox_cap[r.core as usize] += k;
                    outbox_cap[shared.owner[src]][shared.owner[r.core as usize]] += k;
                    max_route_delay[r.core as usize] =
                        max_route_delay[r.core as usize].max(r.delay);
                }
                n += 1;
            }
        }
    }
    for r in &program.inputs.entries {
        inbox_cap[r.core as usize] += 1;
        outbox_cap[0][shared.owner[r.core as usize]] += 1;
        max_route_delay[r.core as usize] = max_route_delay[r.core as usize].max(r.delay);
    }

    let n_links = shared.mesh.num_links();
    let make_outboxes = |w: usize| -> Vec<Vec<Message>> {
        (0..workers)
            .map(|d| Vec::with_capacity(outbox_cap[w][d]))
            .collect()
    };
    let worker_states: Vec<Worker> = (0..workers)
        .map(|id| Worker {
            id,
            cores: Vec::new(),
            outboxes: make_outboxes(id),
            link_load: vec![0; n_links],
            outputs: Vec::new(),
            probe_values: Vec::with_capacity(cfg.probes.len()),
            input_cursor: 0,
            port_ns: vec![0.0; if id == 0 { shared.port_tiles.len() } else { 0 }],
            step_totals: StepTotals::default(),
            records: Vec::with_capacity(if id == 0 && cfg.record_steps {
                cfg.steps.max(1) as usize
            } else {
                0
            }),
            link_sum: vec![0; if id == 0 { n_links } else { 0 }],
            pending: PendingStep::default(),
        })
        .collect();
    let slots: Vec<Mutex<Exchange>> = (0..workers)
        .map(|w| {
            Mutex::new(Exchange {
                outboxes: make_outboxes(w),
                link_load: vec![0; n_links],
                sent: StepSummary::default(),
                received: StepSummary::default(),
                probe_values: Vec::with_capacity(cfg.probes.len()),
            })
        })
        .collect();
    let barrier = Barrier::new(workers);

    let finished: Vec<Worker> = crossbeam::thread::scope(|s| {
        let handles: Vec<_> = worker_states
            .into_iter()
            .map(|mut w| {
                let (shared, slots, barrier) = (&shared, &slots, &barrier);
                let (inbox_cap, max_route_delay) = (&inbox_cap, &max_route_delay);
                s.spawn(move |_| {
                    // Each worker sets up its own cores' state, in parallel.
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
                    w.run(shared, slots, barrier, progress)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("emulator worker panicked"))
            .collect()
    })
    .expect("emulator worker panicked");

    Ok(assemble(program, &shared, finished, cfg))
}

impl<'p> Worker<'p> {
    fn run(
        mut self,
        sh: &Shared<'p>,
        slots: &[Mutex<Exchange>],
        barrier: &Barrier,
        progress: &(dyn Fn(u32) + Sync),
    ) -> Self {
        let costs = &sh.program.arch.costs;
        let timing = sh.program.arch.timing.core_timing;
        let scheduled = timing == CoreTiming::Scheduled;
        let phased = timing == CoreTiming::Phased;
        let (idle, active) = costs.neuron.idle_and_active();
        // Pass `t` receives step t − 1's messages and sends step t's; the
        // extra pass t = steps only receives.
        for t in 0..=sh.steps {
            let sending = t < sh.steps;
            // ---- compute ----
            let mut sent = StepSummary::default();
            let mut received = StepSummary::default();
            if self.id == 0 && sending {
                self.send_inputs(sh, t, &mut sent);
            }
            for core in &mut self.cores {
                if t > 0 {
                    let mut c = Counters::default();
                    let receive_ns = core.deliver(t - 1, &mut c, costs, scheduled);
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
                    for r in core.cfg.routes.of(n as usize) {
                        c.messages_out += 1;
                        let head = sh.mesh.route(
                            core.tile,
                            sh.tiles[r.core as usize],
                            &mut c,
                            &mut self.link_load,
                        );
                        sent.max_head_ns = sent.max_head_ns.max(head);
                        self.outboxes[sh.owner[r.core as usize]].push(Message {
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
                let mut slot = slots[self.id].lock().expect("exchange slot poisoned");
                slot.received = received;
                if sending {
                    std::mem::swap(&mut slot.outboxes, &mut self.outboxes);
                    std::mem::swap(&mut slot.link_load, &mut self.link_load);
                    slot.sent = sent;
                    slot.probe_values.clear();
                    std::mem::swap(&mut slot.probe_values, &mut self.probe_values);
                }
            }
            barrier.wait();

            // ---- exchange ----
            if sending {
                for slot in slots {
                    let mut slot = slot.lock().expect("exchange slot poisoned");
                    for m in slot.outboxes[self.id].drain(..) {
                        self.cores[sh.local[m.core as usize]].inbox.push(m.arrival);
                    }
                }
            }
            if self.id == 0 {
                if t > 0 {
                    self.record_step(sh, slots);
                    progress(t);
                }
                if sending {
                    self.reduce_send_phase(sh, slots);
                    if !sh.probes.is_empty() {
                        let mut row = vec![0i32; sh.probes.len()];
                        for slot in slots {
                            let slot = slot.lock().expect("exchange slot poisoned");
                            for &(k, v) in &slot.probe_values {
                                row[k] = v;
                            }
                        }
                        (sh.probe_sink)(t, &row);
                    }
                }
            }
            barrier.wait();
        }
        self
    }

    /// Worker 0: the step's external input spikes leave their input ports.
    /// A port sends its messages one after another; under `OnCore` they pay
    /// the axon-out time and cross the mesh like a neuron's, under `OffChip`
    /// they queue on the one link, under `Free` they are simply there.
    fn send_inputs(&mut self, sh: &Shared<'p>, t: u32, summary: &mut StepSummary) {
        let costs = &sh.program.arch.costs;
        self.port_ns.fill(0.0);
        let mut link_ns = 0.0;
        let mut c = Counters::default();
        for e in sh.input.events_at(t, &mut self.input_cursor) {
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
                            &mut self.link_load,
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
        self.step_totals.input_ports += c;
    }

    /// Worker 0, during the exchange: reduce every worker's send summary and
    /// link loads (the next pass overwrites them) into the pending step.
    fn reduce_send_phase(&mut self, sh: &Shared, slots: &[Mutex<Exchange>]) {
        let mut sent = StepSummary::default();
        self.link_sum.fill(0);
        for slot in slots {
            let mut slot = slot.lock().expect("exchange slot poisoned");
            sent.counters += slot.sent.counters;
            sent.max_core_ns = sent.max_core_ns.max(slot.sent.max_core_ns);
            sent.max_head_ns = sent.max_head_ns.max(slot.sent.max_head_ns);
            sent.max_update_ns = sent.max_update_ns.max(slot.sent.max_update_ns);
            for (s, l) in self.link_sum.iter_mut().zip(slot.link_load.iter_mut()) {
                *s += std::mem::take(l);
            }
        }
        let messages = sent.counters.messages_out + sent.counters.input_messages;
        let timing = sh.program.arch.timing.core_timing;
        // Under `Scheduled` every message's trip is already in the schedule;
        // under `Phased` messages ride a bus whose time is the senders'.
        let noc_ns =
            if messages > 0 && !matches!(timing, CoreTiming::Scheduled | CoreTiming::Phased) {
                sh.mesh.drain_ns(sent.max_head_ns, &self.link_sum)
            } else {
                0.0
            };
        self.pending = PendingStep {
            sent,
            max_link_load: self.link_sum.iter().copied().max().unwrap_or(0),
            noc_ns,
        };
    }

    /// Worker 0, once the step's messages have been received (during the
    /// next pass): the step's record.
    fn record_step(&mut self, sh: &Shared, slots: &[Mutex<Exchange>]) {
        let p = self.pending;
        let mut counters = p.sent.counters;
        let mut received_ns: f64 = 0.0;
        for slot in slots {
            let r = slot.lock().expect("exchange slot poisoned").received;
            counters += r.counters;
            received_ns = received_ns.max(r.max_core_ns);
        }
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

/// Splits cores into `workers` contiguous ranges of about equal work
/// (neurons + synapse words + routes).
fn partition(p: &CoreProgram, workers: usize) -> Vec<usize> {
    let work: Vec<u64> = p
        .cores
        .iter()
        .map(|c| (c.num_neurons() + c.synapses.len() + c.routes.entries.len()) as u64 + 1)
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

fn assemble(
    program: &CoreProgram,
    sh: &Shared,
    mut workers: Vec<Worker>,
    cfg: &RunConfig,
) -> RunOutput {
    let events: Vec<Spike> = workers
        .iter_mut()
        .flat_map(|w| std::mem::take(&mut w.outputs))
        .collect();
    // A neuron is one output port at most and fires once per step: no duplicates.
    let spikes = SpikeStream::new(sh.n_outputs as u32, cfg.steps, program.dt, events)
        .expect("output spikes lie within the run");
    let records = std::mem::take(&mut workers[0].records);
    let totals = workers[0].step_totals;
    let cores: Vec<_> = workers
        .iter()
        .flat_map(|w| w.cores.iter())
        .map(|c| (c.totals, c.busy_ns))
        .collect();
    let group_saturations: Vec<&[u64]> = workers
        .iter()
        .flat_map(|w| w.cores.iter())
        .map(|c| &c.group_saturations[..])
        .collect();
    let mut report = Report::new(program, cfg.steps, totals, records, &cores);
    report.layers = crate::report::layer_counts(program, &group_saturations);
    let by_core: Vec<&[Vec<i32>]> = workers
        .iter()
        .flat_map(|w| w.cores.iter())
        .map(|c| c.weight_snapshots())
        .collect();
    let weight_snapshots = crate::snapshot::assemble(cfg, &by_core);
    RunOutput {
        spikes,
        report,
        weight_snapshots,
    }
}
