//! The multi-core, multi-threaded timestep loop.
//!
//! Cores are split into contiguous ranges, one per worker thread. Each
//! timestep has two phases separated by barriers:
//!
//! - **compute** (parallel, lock-free): every worker runs its cores —
//!   deliver, update, emit — writing messages into its own outboxes (one per
//!   destination worker) and its own link-load array;
//! - **exchange**: every worker moves the messages addressed to its cores into
//!   their inboxes, visiting source workers in a fixed order, and injects the
//!   external input of the step; worker 0 also reduces the step's counters and
//!   link loads into the step's latency.
//!
//! A core's result depends only on the set of messages it receives (integer
//! accumulation commutes) and all energy comes from integer counts, so spikes,
//! energy and latency are identical for any thread count. The exchange is the
//! single explicit point where cores communicate — the place an MPI backend
//! would exchange spikes between processes.

use std::sync::{Barrier, Mutex};

use spikefab_chip::neuron::Fixed;
use spikefab_chip::{CoreProgram, Spike, SpikeStream};

use crate::core::{Arrival, CoreState};
use crate::counters::Counters;
use crate::noc::Mesh;
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
}

impl RunConfig {
    /// `steps` steps on `threads` workers, without per-step records.
    pub fn new(steps: u32, threads: usize) -> Self {
        RunConfig {
            steps,
            threads,
            record_steps: false,
        }
    }
}

/// What a run produces.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// Spikes of the program's output ports (channel = output index).
    pub spikes: SpikeStream,
    pub report: Report,
}

/// A message in flight between two cores.
#[derive(Clone, Copy, Debug)]
struct Message {
    core: u32,
    arrival: Arrival,
}

/// What one worker hands over at the end of its compute phase.
#[derive(Default)]
struct Exchange {
    outboxes: Vec<Vec<Message>>,
    link_load: Vec<u32>,
    summary: StepSummary,
}

#[derive(Clone, Copy, Default)]
struct StepSummary {
    counters: Counters,
    max_core_ns: f64,
    max_head_ns: f64,
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
    steps: u32,
    record_steps: bool,
    n_outputs: usize,
    barrier_ns: f64,
}

struct Worker<'p> {
    id: usize,
    cores: Vec<CoreState<'p>>,
    outboxes: Vec<Vec<Message>>,
    link_load: Vec<u32>,
    /// Output-port spikes of this worker's cores, in step order.
    outputs: Vec<Spike>,
    /// Where this worker is in the input's (time-sorted) events.
    input_cursor: usize,
    /// Worker 0 only: latency totals, the per-step records if asked for, and a
    /// scratch link-load sum.
    step_totals: StepTotals,
    records: Vec<StepRecord>,
    link_sum: Vec<u32>,
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
        run_validated(self.program, input, cfg, progress)
    }
}

fn run_validated(
    program: &CoreProgram,
    input: &SpikeStream,
    cfg: &RunConfig,
    progress: &(dyn Fn(u32) + Sync),
) -> Result<RunOutput, EmulatorError> {
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
    let mut active_tiles: Vec<_> = tiles.iter().map(|t| arch.topology.tile_index(*t)).collect();
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

    let mesh = Mesh::new(arch.topology, &arch.costs);
    let shared = Shared {
        program,
        fx,
        owner,
        tiles,
        local,
        out_channel,
        input,
        steps: cfg.steps,
        record_steps: cfg.record_steps,
        n_outputs: program.outputs.len(),
        barrier_ns: arch.barrier_ns(active_tiles.len()),
        mesh,
    };

    // Exact upper bounds on traffic, so that no buffer ever grows during the run.
    let mut inbox_cap = vec![0usize; n_cores];
    let mut outbox_cap = vec![vec![0usize; workers]; workers];
    let mut max_route_delay = vec![0u8; n_cores];
    for (src, core) in program.cores.iter().enumerate() {
        for r in &core.routes.entries {
            inbox_cap[r.core as usize] += 1;
            outbox_cap[shared.owner[src]][shared.owner[r.core as usize]] += 1;
            max_route_delay[r.core as usize] = max_route_delay[r.core as usize].max(r.delay);
        }
    }
    for r in &program.inputs.entries {
        inbox_cap[r.core as usize] += 1;
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
            input_cursor: 0,
            step_totals: StepTotals::default(),
            records: Vec::with_capacity(if id == 0 && cfg.record_steps {
                cfg.steps.max(1) as usize
            } else {
                0
            }),
            link_sum: vec![0; if id == 0 { n_links } else { 0 }],
        })
        .collect();
    let slots: Vec<Mutex<Exchange>> = (0..workers)
        .map(|w| {
            Mutex::new(Exchange {
                outboxes: make_outboxes(w),
                link_load: vec![0; n_links],
                summary: StepSummary::default(),
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
                    for (c, core) in program.cores.iter().enumerate() {
                        if shared.owner[c] == w.id {
                            w.cores.push(CoreState::new(
                                c,
                                core,
                                shared.tiles[c],
                                &shared.fx,
                                max_route_delay[c],
                                inbox_cap[c],
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
        let rule = sh.program.arch.format.decay;
        let costs = &sh.program.arch.costs;
        for t in 0..sh.steps {
            // ---- compute ----
            let mut summary = StepSummary::default();
            for core in &mut self.cores {
                let mut c = Counters::default();
                core.deliver(t, &mut c);
                core.update(t, &sh.fx, rule, &mut c);
                let out = &sh.out_channel[core.index];
                for &n in &core.spiked {
                    let ch = out[n as usize];
                    if ch != u32::MAX {
                        self.outputs.push(Spike {
                            timestep: t,
                            channel: ch,
                        });
                    }
                    for r in core.cfg.routes.of(n as usize) {
                        c.messages_out += 1;
                        let head = sh.mesh.route(
                            core.tile,
                            sh.tiles[r.core as usize],
                            &mut c,
                            &mut self.link_load,
                        );
                        summary.max_head_ns = summary.max_head_ns.max(head);
                        self.outboxes[sh.owner[r.core as usize]].push(Message {
                            core: r.core,
                            arrival: Arrival {
                                axon: r.axon,
                                delay: r.delay,
                            },
                        });
                    }
                }
                let ns = c.core_time_ns(costs);
                core.busy_ns += ns;
                core.totals += c;
                summary.counters += c;
                summary.max_core_ns = summary.max_core_ns.max(ns);
            }
            {
                let mut slot = slots[self.id].lock().expect("exchange slot poisoned");
                std::mem::swap(&mut slot.outboxes, &mut self.outboxes);
                std::mem::swap(&mut slot.link_load, &mut self.link_load);
                slot.summary = summary;
            }
            barrier.wait();

            // ---- exchange ----
            for slot in slots {
                let mut slot = slot.lock().expect("exchange slot poisoned");
                for m in slot.outboxes[self.id].drain(..) {
                    self.cores[sh.local[m.core as usize]].inbox.push(m.arrival);
                }
            }
            // Input events of step t; an input shorter than the run simply ends.
            for e in sh.input.events_at(t, &mut self.input_cursor) {
                for r in sh.program.inputs.of(e.channel as usize) {
                    if sh.owner[r.core as usize] == self.id {
                        self.cores[sh.local[r.core as usize]].inbox.push(Arrival {
                            axon: r.axon,
                            delay: r.delay,
                        });
                    }
                }
            }
            if self.id == 0 {
                self.record_step(sh, slots);
                progress(t + 1);
            }
            barrier.wait();
        }
        self
    }

    /// Worker 0: reduce all workers' summaries and link loads into the step's record.
    fn record_step(&mut self, sh: &Shared, slots: &[Mutex<Exchange>]) {
        let mut total = StepSummary::default();
        self.link_sum.fill(0);
        for slot in slots {
            let mut slot = slot.lock().expect("exchange slot poisoned");
            total.counters += slot.summary.counters;
            total.max_core_ns = total.max_core_ns.max(slot.summary.max_core_ns);
            total.max_head_ns = total.max_head_ns.max(slot.summary.max_head_ns);
            for (s, l) in self.link_sum.iter_mut().zip(slot.link_load.iter_mut()) {
                *s += std::mem::take(l);
            }
        }
        let noc_ns = if total.counters.messages_out > 0 {
            sh.mesh.drain_ns(total.max_head_ns, &self.link_sum)
        } else {
            0.0
        };
        let record = StepRecord {
            counters: total.counters,
            max_link_load: self.link_sum.iter().copied().max().unwrap_or(0),
            core_ns: total.max_core_ns,
            noc_ns,
            barrier_ns: sh.barrier_ns,
            latency_ns: total.max_core_ns + noc_ns + sh.barrier_ns,
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
    let report = Report::new(program, cfg.steps, totals, records, &cores);
    RunOutput { spikes, report }
}
