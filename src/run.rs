//! `spikefab run`: emulate a program on an input and write everything a user looks at.

use anyhow::Context;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

use spikefab_chip::{CoreProgram, SpikeStream};
use spikefab_emulator::{Cluster, RunConfig, RunOutput};

use crate::progress::{Mode, Progress};
use crate::{plots, write_text};

/// What `run` needs besides the program and input.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub steps: Option<u32>,
    pub threads: usize,
    /// The folder to write into (callers stage it: see [`crate::output`]).
    pub out: PathBuf,
    pub progress: Mode,
    /// Keep one record per step in report.json (it grows with the run).
    pub per_step: bool,
    /// State registers to stream to `probe_<k>_<var>.npy` (`--probe`).
    pub probes: Vec<crate::probes::ProbeSpec>,
    /// Every this many steps, the plastic weights and their modules
    /// (`--snapshot-weights`: crate::modularity's files).
    pub snapshot_every: Option<u32>,
}

/// Host-side measurements, kept out of report.json so that it stays byte-identical across runs.
#[derive(Debug, Serialize)]
pub struct HostStats {
    pub spikefab_version: &'static str,
    /// Worker threads per process.
    pub threads: usize,
    /// Processes (MPI ranks) the run was spread over.
    pub ranks: usize,
    /// Bytes rank 0 sent the other ranks (messages between their cores,
    /// and the start and end of the run).
    pub rank0_bytes_sent: u64,
    pub steps: u32,
    pub wall_s: f64,
    pub synaptic_events_per_s: f64,
    pub steps_per_s: f64,
}

/// The files a run writes into its output folder.
pub const RUN_FILES: &[&str] = &[
    "spikes.npy",
    "spikes.aer",
    "report.json",
    "host.json",
    "raster.svg",
    "energy.svg",
    "utilization.svg",
];

/// Input spikes from a spike file, or from a WAV through the default cochlea
/// with one time step per program `dt`.
pub fn load_input(path: &Path, program: &CoreProgram) -> anyhow::Result<SpikeStream> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
    {
        return crate::cochlea::spikes_for_program(path, program.dt);
    }
    // A samples file `[1, steps, channels]` (what `accuracy` and the task
    // fixtures hold) is its one sample.
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
    {
        let bytes = std::fs::read(path)?;
        let dims = npyz::NpyFile::new(&bytes[..]).map(|f| f.shape().len());
        if dims.is_ok_and(|d| d >= 3) {
            let mut samples =
                spikefab_chip::samples_from_npy(&bytes).map_err(anyhow::Error::msg)?;
            if samples.len() != 1 {
                anyhow::bail!(
                    "the file holds {} samples; run takes one (spikefab accuracy runs many)",
                    samples.len()
                );
            }
            let rows = samples.remove(0);
            return SpikeStream::from_rows(&rows, rows.len() as u32, program.dt)
                .map_err(anyhow::Error::msg);
        }
    }
    Ok(SpikeStream::load(path)?)
}

/// Runs `program` on `input` and writes spikes, report, host stats and plots
/// into `opts.out`; with a [`Cluster`] of several ranks this is rank 0's part
/// (the others call [`follow`]).
pub fn run_and_write(
    program: &CoreProgram,
    input: &SpikeStream,
    opts: &RunOptions,
    cluster: &dyn Cluster,
) -> anyhow::Result<(RunOutput, HostStats)> {
    let steps = steps_of(program, input, opts)?;
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating the output folder {}", opts.out.display()))?;

    let (probes, probe_files) = crate::probes::open(&opts.probes, program, steps, &opts.out)?;
    let cfg = config(opts, steps, probes);
    let emulator = spikefab_emulator::Emulator::new(program)?;
    let bar = Progress::new(opts.progress, steps as u64, "emulating", "steps");
    let started = Instant::now();
    let progress = |done: u32| bar.set(done as u64);
    let out = if probe_files.is_empty() {
        emulator.run_on(input, &cfg, &progress, &|_, _| {}, cluster)?
    } else {
        // Probe rows go to a writer thread through a bounded queue: memory
        // stays a few rows whatever the run's length.
        std::thread::scope(|s| -> anyhow::Result<_> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<i32>>(64);
            let writer = s.spawn(move || probe_files.write(rx));
            let sink = |_: u32, values: &[i32]| {
                // A writer that stopped has its error below.
                let _ = tx.send(values.to_vec());
            };
            let out = emulator.run_on(input, &cfg, &progress, &sink, cluster);
            drop(tx);
            let written = writer
                .join()
                .map_err(|_| anyhow::anyhow!("the probe writer panicked"))?;
            let out = out?;
            written?;
            Ok(out)
        })?
    };
    let wall_s = started.elapsed().as_secs_f64();
    bar.finish();
    write_outputs(program, opts, steps, out, wall_s, cluster)
}

/// A rank other than 0 of `run --mpi`: the same run, its share of the cores;
/// rank 0 writes everything.
pub fn follow(
    program: &CoreProgram,
    input: &SpikeStream,
    opts: &RunOptions,
    cluster: &dyn Cluster,
) -> anyhow::Result<()> {
    let steps = steps_of(program, input, opts)?;
    let probes = crate::probes::resolve(&opts.probes, program, steps)?;
    let cfg = config(opts, steps, probes);
    spikefab_emulator::Emulator::new(program)?.run_on(input, &cfg, &|_| {}, &|_, _| {}, cluster)?;
    Ok(())
}

fn config(opts: &RunOptions, steps: u32, probes: Vec<spikefab_emulator::Probe>) -> RunConfig {
    RunConfig {
        record_steps: opts.per_step,
        probes,
        snapshot_every: opts.snapshot_every,
        ..RunConfig::new(steps, opts.threads)
    }
}

/// The run's length, refused before running if its output would not fit.
fn steps_of(program: &CoreProgram, input: &SpikeStream, opts: &RunOptions) -> anyhow::Result<u32> {
    let steps = match (opts.steps, input.steps) {
        (Some(s), _) => s,
        (None, s) if s > 0 => s,
        _ => anyhow::bail!("the input holds no timesteps; pass --steps N"),
    };
    // spikes.npy is dense: refuse a run whose output would not fit it, before running.
    let cells = steps as u64 * program.outputs.len() as u64;
    if cells > spikefab_chip::limits::MAX_DENSE_CELLS {
        anyhow::bail!(
            "{steps} steps × {} outputs is {cells} cells, more than the {} spikes.npy may hold; run fewer steps",
            program.outputs.len(),
            spikefab_chip::limits::MAX_DENSE_CELLS
        );
    }
    Ok(steps)
}

fn write_outputs(
    program: &CoreProgram,
    opts: &RunOptions,
    steps: u32,
    out: RunOutput,
    wall_s: f64,
    cluster: &dyn Cluster,
) -> anyhow::Result<(RunOutput, HostStats)> {
    let host = HostStats {
        spikefab_version: env!("CARGO_PKG_VERSION"),
        threads: opts.threads,
        ranks: cluster.size(),
        rank0_bytes_sent: cluster.bytes_sent(),
        steps,
        wall_s,
        synaptic_events_per_s: out.report.totals.synaptic_ops as f64 / wall_s.max(1e-12),
        steps_per_s: steps as f64 / wall_s.max(1e-12),
    };
    let dir = &opts.out;
    out.spikes.save(&dir.join("spikes.npy"))?;
    out.spikes.save(&dir.join("spikes.aer"))?;
    write_text(&dir.join("report.json"), &out.report.to_json())?;
    write_text(
        &dir.join("host.json"),
        &serde_json::to_string_pretty(&host)?,
    )?;
    write_text(
        &dir.join("raster.svg"),
        &plots::raster(&out.spikes, "Output spikes")?,
    )?;
    write_text(&dir.join("energy.svg"), &plots::energy(&out.report)?)?;
    write_text(
        &dir.join("utilization.svg"),
        &plots::utilization(&out.report)?,
    )?;
    if opts.snapshot_every.is_some() {
        crate::modularity::write(dir, program, &out.weight_snapshots)?;
    }
    Ok((out, host))
}
