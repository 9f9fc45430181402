//! The `spikefab` command line: parses arguments and hands over to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use spikefab::output::{check_distinct, Previous, Staged};
use spikefab::progress::Mode as ProgressMode;
use spikefab::{cochlea, inspect, run, summary, terminal_safe};
use spikefab_chip::{Arch, CoreProgram};
use spikefab_cochlea::place::Levels;
use spikefab_cochlea::{CochleaConfig, Mode};

#[derive(Parser)]
#[command(
    name = "spikefab",
    version,
    about = "Neuromorphic hardware co-design: emulate compiled spiking networks on a chip model and estimate energy and latency"
)]
struct Cli {
    /// No progress bars or summaries; errors only.
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole pipeline on the embedded example defaults.
    Demo {
        #[arg(long, default_value = "out/demo")]
        out: PathBuf,
        #[arg(long, default_value_t = default_threads(), value_parser = threads_parser())]
        threads: usize,
    },
    /// Compile a network (NIR or spikefab RON) into a core program for a chip.
    Compile {
        /// The network: a NIR graph (.nir, e.g. from snnTorch's export_to_nir) or a spikefab network (.ron).
        model: PathBuf,
        /// Seconds per timestep for discretizing NIR's continuous-time neurons
        /// (default 1e-4, snnTorch's export convention).
        #[arg(long)]
        dt: Option<f64>,
        /// Accept NIR time constants below 0 (a learned per-step decay above 1,
        /// a growing membrane; the chip keeps its membrane from decaying instead).
        #[arg(long)]
        allow_growing_decay: bool,
        /// Size each layer's state registers for the worst-case current (no
        /// input can overflow them; the default) or for twice the largest
        /// current the float reference reaches on --inputs (more threshold
        /// precision on wide layers, no guarantee beyond those inputs).
        #[arg(long, value_enum, default_value_t = HeadroomArg::Worst)]
        headroom: HeadroomArg,
        /// The exporter that wrote a NIR file (nir, snntorch, sinabs, norse, rockpool,
        /// spikingjelly): its time
        /// unit, discretization and reset (docs/nir.md). Required for NIR files
        /// unless --dt is given.
        #[arg(long, value_parser = parse_exporter)]
        from: Option<spikefab_compiler::exporters::Exporter>,
        /// A preset name or an architecture RON file.
        #[arg(long)]
        arch: String,
        /// Output program (.sfc or .ron).
        #[arg(short, long)]
        out: PathBuf,
        /// Also write the compile report as JSON.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Placement seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Put each population (and input) on the cores this RON file names
        /// instead of partitioning and placing automatically (docs/formats.md).
        #[arg(long, conflicts_with = "seed")]
        placement: Option<PathBuf>,
        /// Modularity-aware placement: find the network's modules (Louvain on
        /// |w|) and pack each hidden layer's neurons onto cores module by
        /// module (output layers keep their order; hidden neuron indices then
        /// follow the modules).
        #[arg(long, conflicts_with = "placement")]
        cluster_modules: bool,
        /// Give each projection its own weight exponent (chips with
        /// format.projection_exponents: loihi, fpga-small): a layer fed by
        /// strong and weak projections keeps the weak ones' precision.
        #[arg(long)]
        projection_exponents: bool,
        /// Sample inputs (.npy [samples, steps, channels...], or one spike file):
        /// the report then states spike and decision agreement with the float reference.
        #[arg(long)]
        inputs: Option<PathBuf>,
        /// The exporter's own output spikes on those inputs (.npy [samples, steps, outputs]).
        #[arg(long, requires = "inputs")]
        recorded: Option<PathBuf>,
        /// Threads for the passes over every synapse; the program is the
        /// same for any count.
        #[arg(long, default_value_t = default_threads(), value_parser = threads_parser())]
        threads: usize,
    },
    /// Run the float reference simulator of a network on sample inputs.
    Simulate {
        /// A NIR graph (.nir) or a spikefab network (.ron).
        model: PathBuf,
        /// Sample inputs (.npy [samples, steps, channels...], or one spike file).
        #[arg(long)]
        inputs: PathBuf,
        #[arg(long)]
        dt: Option<f64>,
        /// As for `compile`.
        #[arg(long)]
        allow_growing_decay: bool,
        /// As for `compile`.
        #[arg(long, value_parser = parse_exporter)]
        from: Option<spikefab_compiler::exporters::Exporter>,
        /// Reset semantics: nir (reset to 0 in the step it fires) or snntorch
        /// (subtract the threshold one step later, snnTorch's default).
        #[arg(long, value_enum, default_value_t = SemanticsArg::Nir)]
        semantics: SemanticsArg,
        /// Where to write the output spikes (.npy [samples, steps, outputs], uint8).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Emulate a compiled program on input spikes; writes spikes, report.json and plots.
    Run {
        /// Compiled program (.sfc or .ron).
        program: PathBuf,
        /// Input spikes (.aer, .csv or .npy with shape [timesteps, channels]).
        #[arg(long)]
        input: PathBuf,
        /// Timesteps to emulate (default: the input's length).
        #[arg(long)]
        steps: Option<u32>,
        /// Worker threads; results do not depend on it.
        #[arg(long, default_value_t = default_threads(), value_parser = threads_parser())]
        threads: usize,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Print report.json to stdout instead of the summary table.
        #[arg(long)]
        json: bool,
        /// Keep one record per step in report.json (its size grows with the run).
        #[arg(long)]
        per_step: bool,
        /// Stream state registers of a layer's neurons to probe_<k>_<var>.npy
        /// (int32 [steps, neurons], state units; probes.json lists them):
        /// LAYER[:NEURONS]=VAR[,VAR...], NEURONS i or a..b, VAR the model's
        /// (u, v; a for ALIF). Repeatable.
        #[arg(long, value_parser = probe_parser())]
        probe: Vec<spikefab::probes::ProbeSpec>,
        /// Every N steps, the plastic synapses' delivered weights: writes
        /// weights.npy, weight_edges.npy, and the weight graph's modules
        /// over learning (Newman modularity, module count, flexibility) to
        /// modularity.json and modularity.svg.
        #[arg(long, value_name = "N")]
        snapshot_weights: Option<u32>,
        /// Spread the cores over the processes of an MPI job (`mpirun -np N
        /// spikefab run --mpi …`, each with --threads threads); rank 0 writes
        /// the outputs, identical to one process's. Needs a build with
        /// `--features mpi`.
        #[arg(long)]
        mpi: bool,
    },
    /// Encode audio (WAV) as spikes: spiketrum (default) or a filterbank cochleagram.
    Cochlea {
        /// Input audio (WAV: 8/16/24/32-bit int or 32-bit float, any rate; stereo is mixed down).
        input: PathBuf,
        /// Output spikes (.aer, .npy or .csv).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Dictionary kernels / filterbank channels.
        #[arg(long, default_value_t = 40)]
        kernels: usize,
        /// Spikes per second of audio (met exactly in spiketrum mode).
        #[arg(long, default_value_t = 1000.0)]
        rate: f64,
        #[arg(long, value_enum, default_value_t = CochleaMode::Spiketrum)]
        mode: CochleaMode,
        /// Use the Q1.15 integer (hardware) encoder.
        #[arg(long)]
        fixed_point: bool,
        /// Amplitude levels per sign (intensity-to-place).
        #[arg(long, default_value_t = 48)]
        levels: u16,
        /// Model sample rate in Hz (other rates are resampled to it).
        #[arg(long, default_value_t = 16000)]
        fs: u32,
        /// Lowest kernel centre frequency in Hz (the highest is fs/2).
        #[arg(long, default_value_t = 50.0)]
        f_lo: f64,
        /// Seconds per spike time step (default: one audio sample).
        #[arg(long)]
        dt: Option<f64>,
        /// Encode in frames of this many seconds (bounded memory).
        #[arg(long)]
        frame: Option<f64>,
        /// Write a cochleagram of the spikes (SVG).
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Rebuild audio from the spikes alone and write it (WAV).
        #[arg(long)]
        reconstruct: Option<PathBuf>,
        /// Write the dictionary (unit-norm gammatone impulse responses, low to high
        /// frequency) as a float64 .npy of shape [kernels, length].
        #[arg(long)]
        kernels_out: Option<PathBuf>,
        /// Print the SNR vs rate and robustness tables (Markdown) instead of encoding once.
        #[arg(long)]
        snr_table: bool,
    },
    /// Export a program as Verilog memory tables, a parameter header, reference RTL and a testbench.
    ExportHdl {
        /// Compiled program (.sfc or .ron).
        program: PathBuf,
        /// Output folder.
        #[arg(short, long)]
        out: PathBuf,
        /// Memory formats besides $readmemh .mem: any of coe, mif (comma-separated).
        #[arg(long, default_value = "mem,coe,mif")]
        formats: String,
        /// Testbench input spikes (default: seeded Bernoulli p = 0.1 on every input channel).
        #[arg(long)]
        input: Option<PathBuf>,
        /// Testbench length in steps.
        #[arg(long, default_value_t = 100)]
        steps: u32,
        /// Run the testbench in Icarus Verilog and compare with the emulator.
        #[arg(long)]
        cosim: bool,
        /// Replace a previous export in the output folder.
        #[arg(long)]
        force: bool,
    },
    /// Classification accuracy of a network on labelled spike samples, in float and on chips.
    Accuracy {
        /// The network (spikefab RON).
        network: PathBuf,
        /// Spike samples: .npy [samples, steps, channels] of 0/1.
        #[arg(long)]
        inputs: PathBuf,
        /// Class labels: .npy [samples].
        #[arg(long)]
        labels: PathBuf,
        /// Chips to measure it on (preset names or RON files), comma-separated.
        #[arg(long, value_delimiter = ',')]
        arch: Vec<String>,
        /// Measure under a perturbation: delete=P (drop input spikes), jitter=K
        /// (move them ±K steps) or weights=S (multiply weights by 1 + N(0, S²)); seeded.
        #[arg(long)]
        perturb: Option<spikefab::accuracy::Perturbation>,
    },
    /// ANN→SNN conversion: a ReLU network (NIR: IF nodes at the ReLUs, an I node as readout)
    /// converted with rate and STDI coding; accuracy, spikes, energy and latency against timesteps.
    Convert {
        /// The ANN as a NIR file.
        ann: PathBuf,
        /// Samples as .npy [samples, inputs]; divided by --scale they lie in [0, 1].
        #[arg(long)]
        data: PathBuf,
        /// Class labels as .npy [samples].
        #[arg(long)]
        labels: PathBuf,
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// The first TEST samples are measured ...
        #[arg(long, default_value_t = 360)]
        test: usize,
        /// ... and the next CALIBRATE set each layer's scale (threshold balancing).
        #[arg(long, default_value_t = 500)]
        calibrate: usize,
        /// Percentile of a layer's activations taken as its scale.
        #[arg(long, default_value_t = 99.9)]
        percentile: f64,
        /// Codings to compare: rate, stdi.
        #[arg(long, value_delimiter = ',', default_value = "rate,stdi")]
        coding: Vec<spikefab_compiler::convert::Coding>,
        /// Steps per layer (rate: per inference), e.g. 1,2,4,8,16,32.
        #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16,32")]
        timesteps: Vec<usize>,
        /// Also compile and emulate each network on this chip.
        #[arg(long)]
        arch: Option<String>,
        /// Write each converted network here as RON.
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Co-design sweep: compile and emulate the spoken-digit test set over a grid of chip and cochlea parameters.
    Sweep {
        /// A model folder like examples/kws (kws.nir, cochlea.txt, test/labels.csv);
        /// default: the shipped spoken-digit model.
        model: Option<PathBuf>,
        /// Base architecture (preset name or RON file).
        #[arg(long, default_value = "loihi")]
        arch: String,
        /// A parameter and its values: KEY=LO..HI or KEY=A,B,C; keys: preset, weight_bits,
        /// state_bits, threshold_bits, rate (cochlea spikes/s), neurons (per core), model
        /// (LAYER:lif, LAYER:alif or LAYER:if: the layer's neuron model), noise (LAYER:AMPLITUDE:
        /// input noise uniform in ±AMPLITUDE, 0 for none), branches (LAYER:K: K dendritic
        /// branches a neuron, its synapses dealt round robin by source, 0 for point neurons),
        /// network (a .nir file in the model folder, e.g. sparse/esl-10.nir: another network
        /// for the same cochlea and test set). Repeatable.
        #[arg(long, required = true)]
        vary: Vec<String>,
        #[arg(long, default_value_t = default_threads(), value_parser = threads_parser())]
        threads: usize,
        #[arg(long, default_value = "out/sweep")]
        out: PathBuf,
    },
    /// List or show the built-in architecture presets.
    Arch {
        #[command(subcommand)]
        action: ArchAction,
    },
    /// Summarize any file spikefab reads or writes.
    Inspect { file: PathBuf },
}

/// The longest testbench `export-hdl` writes (its stimulus and expected
/// spikes are text files that grow with it).
const MAX_TESTBENCH_STEPS: u32 = 1_000_000;

#[derive(Clone, Copy, clap::ValueEnum)]
enum SemanticsArg {
    Nir,
    Snntorch,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CochleaMode {
    Spiketrum,
    Filterbank,
}

#[derive(Subcommand)]
enum ArchAction {
    /// Names and one-line descriptions of the presets.
    List,
    /// A preset's (or an .ron file's) full description, with the sources of its numbers.
    Show { name: String },
}

/// Worker threads a command may start.
const MAX_THREADS: u64 = 1024;

fn threads_parser() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_THREADS)
}

fn probe_parser() -> impl clap::builder::TypedValueParser<Value = spikefab::probes::ProbeSpec> {
    |s: &str| spikefab::probes::parse(s)
}

fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    spikefab::output::install_signal_cleanup();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: {}",
                terminal_safe(&format!("{e:#}"))
            );
            ExitCode::FAILURE
        }
    }
}

/// A reader that stopped reading (`spikefab … | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Prints text for the user: terminal-safe, and a closed pipe is not a panic.
fn emit(quiet: bool, text: &str) -> anyhow::Result<()> {
    if quiet {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    out.write_all(terminal_safe(text).as_bytes())?;
    out.flush()?;
    Ok(())
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    let progress = ProgressMode::detect(cli.quiet);
    let quiet = cli.quiet;
    match cli.command {
        Command::Demo { out, threads } => {
            let text = spikefab::demo::demo(&out, threads, progress)?;
            emit(quiet, &text)?;
        }
        Command::Compile {
            model,
            dt,
            allow_growing_decay,
            from,
            headroom,
            arch,
            out,
            report,
            seed,
            placement,
            cluster_modules,
            projection_exponents,
            inputs,
            recorded,
            threads,
        } => {
            let mut ins: Vec<&Path> = vec![&model];
            ins.extend(placement.as_deref());
            ins.extend(inputs.as_deref());
            ins.extend(recorded.as_deref());
            ins.push(Path::new(&arch));
            let mut outs: Vec<&Path> = vec![&out];
            outs.extend(report.as_deref());
            check_distinct(&ins, &outs)?;
            let arch = Arch::resolve(&arch)?;
            let reading = spikefab::compile::Reading {
                from,
                dt,
                allow_growing_decay,
            };
            let mut net = spikefab::compile::load_network(&model, &reading)?;
            let mut clustered = String::new();
            if cluster_modules {
                let (n, c) = spikefab_compiler::modules::cluster_by_module(&net, seed)
                    .with_context(|| format!("finding the modules of {}", model.display()))?;
                net = n;
                clustered = format!(
                    "  modules: {} (modularity Q {:.3}); hidden layers packed module by module\n",
                    c.modules, c.q
                );
            }
            let samples = inputs
                .as_deref()
                .map(|i| spikefab::compile::load_samples_for(i, &net))
                .transpose()?;
            let headroom = match (headroom, &samples) {
                (HeadroomArg::Worst, _) => spikefab_compiler::Headroom::WorstCase,
                (HeadroomArg::Sampled, Some(s)) => {
                    spikefab_compiler::Headroom::Sampled(spikefab::compile::sampled_peaks(&net, s))
                }
                (HeadroomArg::Sampled, None) => {
                    anyhow::bail!("--headroom sampled needs --inputs: the samples it is sized from")
                }
            };
            let placement = placement
                .as_deref()
                .map(spikefab_compiler::Placement::load)
                .transpose()?;
            let stages = spikefab_compiler::Stage::ALL.len() as u64;
            let bar = spikefab::progress::Progress::new(progress, stages, "compiling", "stages");
            let opts = spikefab_compiler::Options {
                headroom,
                projection_exponents,
                threads,
            };
            let on_stage = |stage: spikefab_compiler::Stage| {
                bar.set_message(stage.describe());
                bar.set(stage.index() as u64);
            };
            let context = || format!("compiling {} for '{}'", model.display(), arch.name);
            let compiled = match samples {
                // nothing needs the float network afterwards: the compiler
                // may release its weights as it goes
                None => spikefab_compiler::compile_owned(
                    net,
                    &arch,
                    seed,
                    placement.as_ref(),
                    &opts,
                    &on_stage,
                )
                .with_context(context)?,
                Some(samples) => {
                    let mut compiled = spikefab_compiler::compile_observed(
                        &net,
                        &arch,
                        seed,
                        placement.as_ref(),
                        &opts,
                        &on_stage,
                    )
                    .with_context(context)?;
                    let rec = recorded
                        .as_deref()
                        .map(|r| spikefab::compile::load_recorded_for(r, &net, &samples))
                        .transpose()?;
                    compiled.report.fidelity = Some(spikefab::compile::fidelity(
                        &net,
                        &compiled.program,
                        &samples,
                        rec.as_deref(),
                    )?);
                    compiled
                }
            };
            bar.finish();
            compiled
                .program
                .save(&out)
                .with_context(|| format!("writing {}", out.display()))?;
            if let Some(r) = &report {
                spikefab::write_text(r, &serde_json::to_string_pretty(&compiled.report)?)?;
            }
            emit(
                quiet,
                &format!(
                    "{}{clustered}wrote {}\n",
                    compiled.report.table(),
                    out.display()
                ),
            )?;
        }
        Command::Simulate {
            model,
            inputs,
            dt,
            allow_growing_decay,
            from,
            semantics,
            out,
        } => {
            check_distinct(&[&model, &inputs], &[&out])?;
            let reading = spikefab::compile::Reading {
                from,
                dt,
                allow_growing_decay,
            };
            let net = spikefab::compile::load_network(&model, &reading)?;
            let samples = spikefab::compile::load_samples_for(&inputs, &net)?;
            let semantics = match semantics {
                SemanticsArg::Nir => spikefab_compiler::sim::Semantics::Nir,
                SemanticsArg::Snntorch => spikefab_compiler::sim::Semantics::SnnTorch,
            };
            let runs = spikefab::compile::simulate_file(&net, &samples, semantics);
            spikefab::compile::save_samples(&out, &runs)?;
            let spikes: usize = runs.iter().flatten().flatten().filter(|&&s| s).count();
            emit(
                quiet,
                &format!(
                    "simulated {} sample(s) of {}: {spikes} output spikes; wrote {}\n",
                    runs.len(),
                    model.display(),
                    out.display()
                ),
            )?;
        }
        Command::Run {
            program,
            input,
            steps,
            threads,
            out,
            json,
            per_step,
            probe,
            snapshot_weights,
            mpi,
        } => {
            check_distinct(&[&program, &input], &[&out])?;
            let cluster = if mpi {
                spikefab::mpi::init()?
            } else {
                Box::new(spikefab_emulator::cluster::Single)
            };
            // Any rank's failure ends the job: the others would wait for it in
            // a collective. The staged output is cleaned up first.
            let body = || -> anyhow::Result<()> {
                let prog = CoreProgram::load(&program)
                    .with_context(|| format!("loading the program {}", program.display()))?;
                let spikes = run::load_input(&input, &prog)
                    .with_context(|| format!("loading the input {}", input.display()))?;
                let mut opts = run::RunOptions {
                    steps,
                    threads,
                    out: out.clone(),
                    progress,
                    per_step,
                    probes: probe,
                    snapshot_every: snapshot_weights,
                };
                if cluster.rank() != 0 {
                    // Rank 0 reports and writes; the others only compute.
                    opts.progress = ProgressMode::Off;
                    return run::follow(&prog, &spikes, &opts, &*cluster).with_context(|| {
                        format!("rank {}: running {}", cluster.rank(), program.display())
                    });
                }
                let staged = Staged::begin(&out, "run", Previous::Replace)?;
                opts.out = staged.path().to_path_buf();
                let (result, host) = run::run_and_write(&prog, &spikes, &opts, &*cluster)
                    .with_context(|| {
                        format!("running {} on {}", program.display(), input.display())
                    })?;
                staged.commit()?;
                if json {
                    emit(false, &format!("{}\n", result.report.to_json()))?;
                } else {
                    emit(
                        quiet,
                        &format!(
                            "{}emulated {} steps in {:.3} s on {} thread(s){} ({:.1} M synaptic events/s); wrote {}/: {}\n",
                            summary::run_table(&result.report),
                            host.steps,
                            host.wall_s,
                            host.threads,
                            if host.ranks > 1 {
                                format!(" × {} processes", host.ranks)
                            } else {
                                String::new()
                            },
                            host.synaptic_events_per_s / 1e6,
                            out.display(),
                            run::RUN_FILES
                                .iter()
                                .chain(if snapshot_weights.is_some() {
                                    spikefab::modularity::FILES
                                } else {
                                    &[]
                                })
                                .copied()
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    )?;
                }
                Ok(())
            };
            let done = body();
            if let Err(e) = &done {
                if cluster.size() > 1 {
                    let _ = writeln!(
                        std::io::stderr(),
                        "error: rank {}: {}",
                        cluster.rank(),
                        terminal_safe(&format!("{e:#}"))
                    );
                    cluster.abort(1);
                }
            }
            done?;
        }
        Command::Cochlea {
            input,
            out,
            kernels,
            rate,
            mode,
            fixed_point,
            levels,
            fs,
            f_lo,
            dt,
            frame,
            plot,
            reconstruct,
            kernels_out,
            snr_table,
        } => {
            let outs: Vec<&Path> = [&out, &plot, &reconstruct, &kernels_out]
                .into_iter()
                .filter_map(|p| p.as_deref())
                .collect();
            check_distinct(&[&input], &outs)?;
            let samples_per_step = match dt {
                None => 1,
                Some(dt) => cochlea::samples_per_step(dt, fs)?,
            };
            let config = CochleaConfig {
                fs,
                f_lo,
                mode: match mode {
                    CochleaMode::Spiketrum => Mode::Spiketrum,
                    CochleaMode::Filterbank => Mode::Filterbank,
                },
                kernels,
                rate,
                fixed_point,
                levels: Levels {
                    count: levels,
                    ..Levels::default()
                },
                samples_per_step,
                frame_s: frame,
            };
            let job = cochlea::CochleaJob {
                input: input.clone(),
                output: out,
                plot,
                reconstruct,
                kernels_out,
                snr_table,
            };
            let text = cochlea::run(config, &job)
                .with_context(|| format!("encoding {}", input.display()))?;
            emit(quiet, &text)?;
        }
        Command::ExportHdl {
            program,
            out,
            formats,
            input,
            steps,
            cosim,
            force,
        } => {
            let mut ins: Vec<&Path> = vec![&program];
            ins.extend(input.as_deref());
            check_distinct(&ins, &[&out])?;
            let wanted: Vec<&str> = formats
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .collect();
            if let Some(bad) = wanted.iter().find(|f| !["mem", "coe", "mif"].contains(f)) {
                anyhow::bail!("unknown memory format '{bad}': use mem, coe and/or mif");
            }
            if steps == 0 || steps > MAX_TESTBENCH_STEPS {
                anyhow::bail!(
                    "--steps is {steps}; a testbench runs 1..={MAX_TESTBENCH_STEPS} steps"
                );
            }
            let job = spikefab::hdl::ExportJob {
                program,
                out,
                formats: spikefab_hdl::Formats {
                    coe: wanted.contains(&"coe"),
                    mif: wanted.contains(&"mif"),
                },
                input,
                steps,
                cosim,
                force,
            };
            let text = spikefab::hdl::export_hdl(&job)?;
            emit(quiet, &text)?;
        }
        Command::Accuracy {
            network,
            inputs,
            labels,
            arch,
            perturb,
        } => {
            let text = spikefab::accuracy::accuracy(&network, &inputs, &labels, &arch, perturb)?;
            emit(quiet, &text)?;
        }
        Command::Convert {
            ann,
            data,
            labels,
            scale,
            test,
            calibrate,
            percentile,
            coding,
            timesteps,
            arch,
            out,
        } => {
            let text = spikefab::convert::run(&spikefab::convert::Request {
                ann: &ann,
                data: &data,
                labels: &labels,
                scale,
                test,
                calibrate,
                percentile,
                codings: &coding,
                timesteps: &timesteps,
                arch: arch.as_deref(),
                out: out.as_deref(),
            })?;
            emit(quiet, &text)?;
        }
        Command::Sweep {
            model,
            arch,
            vary,
            threads,
            out,
        } => {
            let axes = vary
                .iter()
                .map(|v| spikefab::sweep::parse_axis(v))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let src = model.map_or_else(spikefab::kws::ModelSource::shipped, |d| {
                spikefab::kws::ModelSource::Dir(d)
            });
            let text = spikefab::sweep::sweep(&src, &arch, &axes, threads, &out, progress)?;
            emit(quiet, &text)?;
        }
        Command::Arch { action } => match action {
            ArchAction::List => {
                let mut text = String::new();
                for name in Arch::preset_names() {
                    let a = Arch::preset(name)?;
                    text.push_str(&format!(
                        "{name:<12} {:>5} cores  {}\n",
                        a.topology.num_cores(),
                        a.description
                    ));
                }
                emit(false, &text)?;
            }
            ArchAction::Show { name } => match Arch::preset_source(&name) {
                Some(text) => emit(false, text)?,
                None => emit(false, &inspect::arch_summary(&Arch::resolve(&name)?))?,
            },
        },
        Command::Inspect { file } => emit(false, &inspect::inspect(&file)?)?,
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum HeadroomArg {
    Worst,
    Sampled,
}

/// `--from NAME`: an exporter whose NIR convention spikefab knows.
fn parse_exporter(name: &str) -> Result<spikefab_compiler::exporters::Exporter, String> {
    use spikefab_compiler::exporters::Exporter;
    Exporter::parse(name).ok_or_else(|| {
        let known: Vec<&str> = Exporter::ALL.iter().map(|e| e.name()).collect();
        format!(
            "unknown exporter '{}': spikefab knows {} (lava-dl writes no NIR: docs/nir.md)",
            spikefab::terminal_safe(name),
            known.join(", ")
        )
    })
}
