//! `spikefab compile`: a network file to a core program.

use anyhow::Context;
use std::path::Path;

use spikefab_chip::Samples;
use spikefab_compiler::exporters::Exporter;
use spikefab_compiler::lower::{lower_with, LowerOptions};
use spikefab_compiler::nir::NirGraph;
use spikefab_compiler::Network;

/// The timestep `inspect` and the shipped spoken-digit model (an snnTorch
/// export) read NIR files at: snnTorch's export convention.
pub const DEFAULT_NIR_DT: f64 = 1e-4;

/// How to read a network file: the NIR exporter's convention and timestep
/// (`--from`, `--dt`), and whether a growing membrane is accepted.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reading {
    pub from: Option<Exporter>,
    pub dt: Option<f64>,
    pub allow_growing_decay: bool,
}

/// The lowering options a NIR file is read with: the exporter's convention
/// and its timestep unless `--dt` overrides it. Without either, the file's
/// units cannot be known (NIR carries no timestep, and exporters disagree
/// by factors up to 10^4), so there is no default: the error says what to pass.
pub fn nir_options(model: &Path, g: &NirGraph, r: &Reading) -> anyhow::Result<LowerOptions> {
    let detected = match (r.from, r.dt) {
        (None, None) => Exporter::detect(g),
        _ => None,
    };
    if let Some(e) = detected {
        eprintln!(
            "warning: {}: read as a {} export (its node names say so); --from overrides",
            crate::terminal_safe(&model.display().to_string()),
            e.name()
        );
    }
    let convention = r.from.or(detected).unwrap_or(Exporter::Nir).convention();
    let Some(dt) = r.dt.or(convention.dt) else {
        let names: Vec<&str> = Exporter::ALL.iter().map(|e| e.name()).collect();
        anyhow::bail!(
            "{}: a NIR file carries no timestep and exporters write time constants in different units; \
             say which exporter wrote it (--from {}) or give the timestep in the file's time unit (--dt, with NIR's own reading)",
            model.display(),
            names.join("|")
        )
    };
    Ok(LowerOptions {
        dt,
        convention,
        allow_growing_decay: r.allow_growing_decay,
    })
}

/// Loads a network by extension: `.nir` (lowered as `reading` says; what it
/// had to assume is printed as warnings) or spikefab `.ron`.
pub fn load_network(model: &Path, reading: &Reading) -> anyhow::Result<Network> {
    let dt = reading.dt;
    let ext = model
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let mut net = match ext.as_str() {
        "nir" | "h5" | "hdf5" => {
            let g = NirGraph::load(model)?;
            let name = model
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let options = nir_options(model, &g, reading)?;
            if reading.from.is_none() && options.convention.exporter == Exporter::Nir {
                eprintln!(
                    "warning: {}: read with NIR's own convention (forward Euler, reset to zero) at dt = {}; --from names the exporter",
                    crate::terminal_safe(&model.display().to_string()),
                    options.dt
                );
            }
            let (net, warnings) = lower_with(&g, &name, options)
                .with_context(|| format!("lowering {}", model.display()))?;
            for w in warnings {
                eprintln!("warning: {}", crate::terminal_safe(&w));
            }
            net
        }
        "ron" => Network::load(model)?,
        _ => anyhow::bail!(
            "{}: expected a NIR graph (.nir) or a spikefab network (.ron)",
            model.display()
        ),
    };
    if let (Some(dt), "ron") = (dt, ext.as_str()) {
        net.dt = dt;
    }
    check_drawn_fits(&net, model)?;
    Ok(net)
}

/// Bytes a compile holds at its peak for each synapse a drawn projection
/// asks for: its quantized rows, slice lists and tables (14.8–14.9 per
/// stored synapse measured from 1 M to 4 M neurons with packed tables,
/// docs/performance.md, "Drawn networks"), rounded up.
const COMPILE_BYTES_PER_DRAWN_SYNAPSE: f64 = 15.0;

/// A drawn projection (`FixedOutDegree`) is a few bytes of file that may
/// ask for 2³¹ synapses. One that this process cannot compile is refused
/// here, by name, rather than killed or aborted for memory halfway
/// through; listed synapses are already in memory, bounded by the file.
fn check_drawn_fits(net: &Network, model: &Path) -> anyhow::Result<()> {
    let drawn: usize = net
        .projections
        .iter()
        .filter(|p| matches!(p.weights, spikefab_compiler::Weights::FixedOutDegree { .. }))
        .map(|p| p.weights.synapse_bound())
        .fold(0, usize::saturating_add);
    let need = drawn as f64 * COMPILE_BYTES_PER_DRAWN_SYNAPSE;
    match memory_available() {
        Some(have) if need > have => anyhow::bail!(
            "{}: its drawn projections ask for {drawn} synapses, about {:.1} GiB to compile \
             ({COMPILE_BYTES_PER_DRAWN_SYNAPSE} bytes a synapse), and this process may use {:.1} GiB",
            crate::terminal_safe(&model.display().to_string()),
            need / GIB,
            have / GIB
        ),
        _ => Ok(()),
    }
}

const GIB: f64 = (1u64 << 30) as f64;

/// The memory this process may still take: the system's available memory
/// and free swap (`/proc/meminfo`), within its address-space limit
/// (`ulimit -v`). `None` where neither can be read.
fn memory_available() -> Option<f64> {
    let system = std::fs::read_to_string("/proc/meminfo").ok().map(|text| {
        let kib = |key: &str| -> f64 {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (kib("MemAvailable:") + kib("SwapFree:")) * 1024.0
    });
    let limit = address_space_limit();
    match (system, limit) {
        (Some(s), Some(l)) => Some(s.min(l)),
        (s, l) => s.or(l),
    }
}

#[cfg(unix)]
fn address_space_limit() -> Option<f64> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` writes the limit into `r`, which outlives the call.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut r) } == 0;
    (ok && r.rlim_cur != libc::RLIM_INFINITY).then_some(r.rlim_cur as f64)
}

#[cfg(not(unix))]
fn address_space_limit() -> Option<f64> {
    None
}

/// Sample inputs for `net`: a `.npy` `[samples, steps, channels…]` of 0/1 or
/// one spike file, whose channels must be the network's inputs.
pub fn load_samples_for(path: &Path, net: &Network) -> anyhow::Result<Samples> {
    let samples = spikefab_chip::load_samples(path)?;
    let want: usize = net.inputs.iter().map(|i| i.size).sum();
    check_channels(path, &samples, want, "input channels of the network")?;
    Ok(samples)
}

/// An exporter's recorded outputs for `inputs`: `[samples, steps, outputs]`,
/// as many samples and steps as the inputs, one channel per output neuron.
pub fn load_recorded_for(path: &Path, net: &Network, inputs: &Samples) -> anyhow::Result<Samples> {
    let rec = spikefab_chip::load_samples(path)?;
    let want: usize = net
        .outputs
        .iter()
        .filter_map(|o| net.population(o))
        .map(|p| net.populations[p].size)
        .sum();
    check_channels(path, &rec, want, "output neurons of the network")?;
    let steps = |s: &Samples| s.first().map_or(0, Vec::len);
    if rec.len() != inputs.len() || steps(&rec) != steps(inputs) {
        anyhow::bail!(
            "{}: holds {} samples of {} steps, the inputs {} samples of {} steps",
            path.display(),
            rec.len(),
            steps(&rec),
            inputs.len(),
            steps(inputs)
        );
    }
    Ok(rec)
}

fn check_channels(path: &Path, s: &Samples, want: usize, what: &str) -> anyhow::Result<()> {
    let got = s.first().and_then(|x| x.first()).map_or(0, Vec::len);
    if got != want {
        anyhow::bail!(
            "{}: has {got} channels per step, but there are {want} {what}",
            path.display()
        );
    }
    Ok(())
}

/// The decision of a sample: the output neuron with the most spikes (ties to the lowest).
fn decision(spikes: &[Vec<bool>]) -> usize {
    let n = spikes.first().map_or(0, Vec::len);
    let counts: Vec<usize> = (0..n)
        .map(|k| spikes.iter().filter(|s| s[k]).count())
        .collect();
    (0..n).fold(0, |best, k| if counts[k] > counts[best] { k } else { best })
}

/// Per population, the largest |synaptic current| the float reference
/// reaches on `samples` (in the chip's form, current biases on the
/// membrane, as the quantizer sees the network): `Headroom::Sampled`.
pub fn sampled_peaks(net: &Network, samples: &[Vec<Vec<bool>>]) -> Vec<f64> {
    let chip_form = net.with_current_biases_on_membrane();
    samples
        .iter()
        .fold(vec![0.0; net.populations.len()], |peaks, x| {
            let run = spikefab_compiler::sim::simulate(&chip_form, x);
            peaks
                .iter()
                .zip(&run.peak_current)
                .map(|(a, b)| a.max(*b))
                .collect()
        })
}

/// Emulates the program on each sample and compares it with the float
/// reference (chip semantics) and, if given, the exporter's recorded outputs.
pub fn fidelity(
    net: &Network,
    program: &spikefab_chip::CoreProgram,
    samples: &[Vec<Vec<bool>>],
    recorded: Option<&[Vec<Vec<bool>>]>,
) -> anyhow::Result<spikefab_compiler::Fidelity> {
    use spikefab_compiler::sim::{simulate_timed, Semantics, Timing};
    let chip_form = net.with_current_biases_on_membrane();
    let lat = program.provenance.output_latency_steps as usize;
    let emulator = spikefab_emulator::Emulator::new(program)?;
    let (mut same, mut total, mut dec_same) = (0usize, 0usize, 0usize);
    let (mut rec_same, mut rec_total, mut rec_dec) = (0usize, 0usize, 0usize);
    let (mut chip_spikes, mut float_spikes) = (0usize, 0usize);
    for (i, x) in samples.iter().enumerate() {
        let steps = x.len();
        let channels = x.first().map_or(0, Vec::len);
        let stream = spikefab_chip::SpikeStream::from_rows(x, (steps + lat) as u32, net.dt)
            .map_err(anyhow::Error::msg)?;
        let out = emulator.run(
            &stream,
            &spikefab_emulator::RunConfig::new((steps + lat) as u32, 1),
            &|_| {},
        )?;
        let n = program.outputs.len();
        let dense = out.spikes.to_dense();
        let chip: Vec<Vec<bool>> = (0..steps)
            .map(|t| (0..n).map(|k| dense[(t + lat) * n + k] != 0).collect())
            .collect();
        let mut padded = x.clone();
        padded.extend(std::iter::repeat_n(vec![false; channels], lat));
        let float = simulate_timed(&chip_form, &padded, Semantics::Nir, Timing::Pipelined).spikes
            [lat..]
            .to_vec();
        for (a, b) in chip.iter().zip(&float) {
            same += a.iter().zip(b).filter(|(p, q)| p == q).count();
            total += a.len();
            chip_spikes += a.iter().filter(|&&s| s).count();
            float_spikes += b.iter().filter(|&&s| s).count();
        }
        dec_same += usize::from(decision(&chip) == decision(&float));
        if let Some(rec) = recorded.and_then(|r| r.get(i)) {
            for (a, b) in chip.iter().zip(rec) {
                rec_same += a.iter().zip(b).filter(|(p, q)| p == q).count();
                rec_total += a.len();
            }
            rec_dec += usize::from(decision(&chip) == decision(rec));
        }
    }
    let frac = |a: usize, b: usize| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    Ok(spikefab_compiler::Fidelity {
        samples: samples.len(),
        spike_agreement_vs_float: frac(same, total),
        decision_agreement_vs_float: frac(dec_same, samples.len()),
        spike_agreement_vs_recorded: recorded.map(|_| frac(rec_same, rec_total)),
        decision_agreement_vs_recorded: recorded.map(|_| frac(rec_dec, samples.len())),
        output_rate_chip: frac(chip_spikes, total),
        output_rate_float: frac(float_spikes, total),
        noisy: net.populations.iter().any(|p| p.noise.is_some()),
    })
}

/// `spikefab simulate`: the float reference's output spikes on each sample.
pub fn simulate_file(
    net: &Network,
    samples: &[Vec<Vec<bool>>],
    semantics: spikefab_compiler::sim::Semantics,
) -> Vec<Vec<Vec<bool>>> {
    samples
        .iter()
        .map(|x| spikefab_compiler::sim::simulate_with(net, x, semantics).spikes)
        .collect()
}

/// Writes `[sample][step][channel]` spikes as a uint8 `.npy`, atomically.
pub fn save_samples(path: &Path, runs: &[Vec<Vec<bool>>]) -> anyhow::Result<()> {
    use npyz::WriterBuilder;
    let steps = runs.first().map_or(0, Vec::len);
    let ch = runs.first().and_then(|r| r.first()).map_or(0, Vec::len);
    let mut bytes = Vec::new();
    let mut w = npyz::WriteOptions::<u8>::new()
        .default_dtype()
        .shape(&[runs.len() as u64, steps as u64, ch as u64])
        .writer(&mut bytes)
        .begin_nd()?;
    w.extend(runs.iter().flatten().flatten().map(|&b| b as u8))?;
    w.finish()?;
    spikefab_chip::write_atomic(path, &bytes)?;
    Ok(())
}
