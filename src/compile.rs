//! `spikefab compile`: a network file to a core program.

use anyhow::Context;
use std::path::Path;

use spikefab_chip::Arch;
use spikefab_compiler::nir::NirGraph;
use spikefab_compiler::{compile, lower::lower, Compiled, Network};

/// The timestep NIR files get when none is given: snnTorch's export convention.
pub const DEFAULT_NIR_DT: f64 = 1e-4;

/// Loads a network by extension: `.nir` (lowered at `dt`) or spikefab `.ron`.
pub fn load_network(model: &Path, dt: Option<f64>) -> anyhow::Result<Network> {
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
            lower(&g, &name, dt.unwrap_or(DEFAULT_NIR_DT))
                .with_context(|| format!("lowering {}", model.display()))?
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
    Ok(net)
}

/// Loads and compiles a network file for `arch`.
pub fn compile_file(
    model: &Path,
    arch: &Arch,
    dt: Option<f64>,
    seed: u64,
) -> anyhow::Result<Compiled> {
    let net = load_network(model, dt)?;
    compile(&net, arch, seed)
        .with_context(|| format!("compiling {} for '{}'", model.display(), arch.name))
}

/// Sample spike trains: `[sample][step][channel]`. A `.npy` of shape
/// `[samples, steps, ...]` (any 0/1 dtype) holds many; any spike file holds one.
pub fn load_samples(path: &Path) -> anyhow::Result<Vec<Vec<Vec<bool>>>> {
    let is_npy = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if is_npy {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let npy = npyz::NpyFile::new(&bytes[..])
            .with_context(|| format!("{}: not a valid .npy file", path.display()))?;
        let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
        if shape.len() >= 3 {
            let per_step: usize = shape[2..].iter().product();
            let values = npy_values(npy).with_context(|| format!("reading {}", path.display()))?;
            if values.len() != shape.iter().product::<usize>() {
                anyhow::bail!("{}: truncated array", path.display());
            }
            return Ok((0..shape[0])
                .map(|s| {
                    (0..shape[1])
                        .map(|t| {
                            values[(s * shape[1] + t) * per_step..][..per_step]
                                .iter()
                                .map(|&v| v != 0.0)
                                .collect()
                        })
                        .collect()
                })
                .collect());
        }
    }
    let stream = spikefab_chip::SpikeStream::load(path)?;
    let dense = stream.to_dense();
    let ch = stream.channels as usize;
    Ok(vec![(0..stream.steps as usize)
        .map(|t| {
            dense[t * ch..(t + 1) * ch]
                .iter()
                .map(|&v| v != 0)
                .collect()
        })
        .collect()])
}

fn npy_values(npy: npyz::NpyFile<&[u8]>) -> anyhow::Result<Vec<f64>> {
    use npyz::{DType, TypeChar};
    let DType::Plain(ts) = npy.dtype() else {
        anyhow::bail!("structured arrays are not spike arrays")
    };
    Ok(match (ts.type_char(), ts.size_field()) {
        (TypeChar::Bool, 1) => npy
            .into_vec::<bool>()?
            .into_iter()
            .map(|b| b as u8 as f64)
            .collect(),
        (TypeChar::Uint, 1) => npy.into_vec::<u8>()?.into_iter().map(f64::from).collect(),
        (TypeChar::Int, 8) => npy
            .into_vec::<i64>()?
            .into_iter()
            .map(|v| v as f64)
            .collect(),
        (TypeChar::Int, 4) => npy.into_vec::<i32>()?.into_iter().map(f64::from).collect(),
        (TypeChar::Float, 4) => npy.into_vec::<f32>()?.into_iter().map(f64::from).collect(),
        (TypeChar::Float, 8) => npy.into_vec::<f64>()?,
        (c, s) => anyhow::bail!("dtype {c:?} of {s} bytes is not a spike array"),
    })
}

/// The decision of a sample: the output neuron with the most spikes (ties to the lowest).
fn decision(spikes: &[Vec<bool>]) -> usize {
    let n = spikes.first().map_or(0, Vec::len);
    let counts: Vec<usize> = (0..n)
        .map(|k| spikes.iter().filter(|s| s[k]).count())
        .collect();
    (0..n).fold(0, |best, k| if counts[k] > counts[best] { k } else { best })
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
