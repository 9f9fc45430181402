//! # spikefab-emulator
//!
//! Runs a compiled [`CoreProgram`](spikefab_chip::CoreProgram) on the cores of
//! its [`Arch`](spikefab_chip::Arch): per-core synapse and neuron engines that
//! call the chip crate's bit-exact arithmetic, an XY-routed mesh
//! network-on-chip, and a barrier per timestep. Every operation is counted, and
//! the arch's per-event costs turn the counts into energy and latency
//! ([`Report`]).
//!
//! Cycle-approximate, not cycle-accurate: a step's latency is the slowest
//! core's serial pipeline time, plus the NoC drain time under the step's
//! measured link loads, plus the barrier. Results are identical for any number
//! of worker threads.
//!
//! It does not compile networks (the compiler crate does) or read audio.
//!
//! ```
//! use spikefab_emulator::{run, workload::{poisson_input, Synthetic}, RunConfig};
//!
//! let mut net = Synthetic::benchmark(4);
//! net.neurons_per_core = 64;
//! net.fanout = 16;
//! net.inputs = 8;
//! net.input_fanout = 8;
//! let program = net.build();
//! let input = poisson_input(8, 50, 0.1, program.dt, 1);
//! let out = run(&program, &input, &RunConfig::new(50, 2), &|_| {}).unwrap();
//! assert!(out.report.totals.spikes > 0);
//! assert!(out.report.energy.total_pj > 0.0 && out.report.latency.total_ns > 0.0);
//! ```

pub mod cluster;
mod core;
pub mod counters;
mod engine;
mod fanin;
pub mod noc;
pub mod probe;
pub mod report;
pub mod snapshot;
pub mod workload;

pub use cluster::Cluster;
pub use counters::{Counters, EnergyBreakdown};
pub use engine::{run, Emulator, RunConfig, RunOutput};
pub use probe::Probe;
pub use report::{CoreReport, Latency, NeuroBench, Report, StepRecord};

/// Everything that can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error(transparent)]
    Program(#[from] spikefab_chip::ChipError),
    #[error("input spikes do not fit the program: {0}")]
    Input(String),
    #[error("probe: {0}")]
    Probe(String),
    #[error("ranks disagree: {0}")]
    Cluster(String),
}
