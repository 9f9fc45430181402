//! The spoken-digit task end to end: a held-out test set of WAV clips,
//! encoded by spikefab's cochlea, classified by a NIR model compiled for a
//! chip and emulated, against the float reference.

use anyhow::Context;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use spikefab_chip::{Arch, CoreProgram, SpikeStream};
use spikefab_cochlea::{Audio, Cochlea, CochleaConfig, Levels};
use spikefab_compiler::{compile, lower::lower, nir::NirGraph, Network};
use spikefab_emulator::{Emulator, RunConfig};

include!(concat!(env!("OUT_DIR"), "/kws_embedded.rs"));

/// The shipped model and test set: examples/kws in the source tree, or, when
/// the binary runs away from it, a copy unpacked from the binary.
pub fn default_dir() -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kws");
    if source.join("kws.nir").exists() {
        return source;
    }
    let dir = std::env::temp_dir().join(format!("spikefab-kws-{}", env!("CARGO_PKG_VERSION")));
    for (name, bytes) in KWS_FILES {
        let path = dir.join(name);
        if !path.exists() {
            if let Some(parent) = path.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = spikefab_chip::write_atomic(&path, bytes);
        }
    }
    dir
}

/// How the model's inputs were made (`cochlea.txt`: `kernels= levels= rate= dt= steps=`).
#[derive(Clone, Debug, PartialEq)]
pub struct Encoding {
    pub kernels: usize,
    pub levels: u16,
    pub rate: f64,
    pub dt: f64,
    pub steps: usize,
}

impl Encoding {
    pub fn load(dir: &Path) -> anyhow::Result<Encoding> {
        let path = dir.join("cochlea.txt");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let kv: BTreeMap<&str, &str> = text
            .split_whitespace()
            .filter_map(|p| p.split_once('='))
            .collect();
        let get = |k: &str| -> anyhow::Result<f64> {
            kv.get(k)
                .ok_or_else(|| anyhow::anyhow!("{}: no '{k}='", path.display()))?
                .parse()
                .with_context(|| format!("{}: '{k}' is not a number", path.display()))
        };
        Ok(Encoding {
            kernels: get("kernels")? as usize,
            levels: get("levels")? as u16,
            rate: get("rate")?,
            dt: get("dt")?,
            steps: get("steps")? as usize,
        })
    }

    pub fn cochlea(&self) -> CochleaConfig {
        CochleaConfig {
            kernels: self.kernels,
            levels: Levels {
                count: self.levels,
                ..Levels::default()
            },
            rate: self.rate,
            samples_per_step: (self.dt * 16000.0).round() as usize,
            ..CochleaConfig::default()
        }
    }
}

/// One labelled clip, encoded.
pub struct Clip {
    pub file: String,
    pub digit: usize,
    /// `[step][channel]`, padded or cut to the model's length.
    pub spikes: Vec<Vec<bool>>,
}

/// Reads `test/labels.csv` and encodes every clip with `enc`.
pub fn load_test_set(dir: &Path, enc: &Encoding) -> anyhow::Result<Vec<Clip>> {
    let labels = dir.join("test/labels.csv");
    let text = std::fs::read_to_string(&labels)
        .with_context(|| format!("reading {}", labels.display()))?;
    let cochlea = Cochlea::new(enc.cochlea())?;
    let mut clips = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let (file, digit) = line.split_once(',').ok_or_else(|| {
            anyhow::anyhow!("{} line {}: expected 'file,digit'", labels.display(), i + 1)
        })?;
        let digit: usize = digit
            .trim()
            .parse()
            .with_context(|| format!("{} line {}", labels.display(), i + 1))?;
        let (audio, _) = Audio::read_wav(&dir.join("test").join(file))?;
        clips.push(Clip {
            file: file.to_string(),
            digit,
            spikes: rows(&cochlea.encode(&audio)?.spikes, enc.steps),
        });
    }
    Ok(clips)
}

/// Dense rows of a spike stream, padded or cut to `steps`.
pub fn rows(s: &SpikeStream, steps: usize) -> Vec<Vec<bool>> {
    let dense = s.to_dense();
    let ch = s.channels as usize;
    (0..steps)
        .map(|t| {
            if t < s.steps as usize {
                dense[t * ch..(t + 1) * ch]
                    .iter()
                    .map(|&v| v != 0)
                    .collect()
            } else {
                vec![false; ch]
            }
        })
        .collect()
}

/// The model, lowered from NIR at snnTorch's export timestep.
pub fn load_model(dir: &Path) -> anyhow::Result<Network> {
    let path = dir.join("kws.nir");
    let g = NirGraph::load(&path)?;
    Ok(lower(&g, "kws", crate::compile::DEFAULT_NIR_DT)?)
}

fn decision(counts: &[usize]) -> usize {
    (0..counts.len()).fold(0, |best, k| if counts[k] > counts[best] { k } else { best })
}

/// Accuracy of the float reference (NIR semantics, as the model was trained).
pub fn float_accuracy(net: &Network, clips: &[Clip]) -> f64 {
    let correct = clips
        .iter()
        .filter(|c| {
            let out = spikefab_compiler::sim::simulate(net, &c.spikes).spikes;
            let counts: Vec<usize> = (0..out[0].len())
                .map(|k| out.iter().filter(|s| s[k]).count())
                .collect();
            decision(&counts) == c.digit
        })
        .count();
    correct as f64 / clips.len().max(1) as f64
}

/// A chip's results on the test set.
#[derive(Clone, Debug, PartialEq)]
pub struct ChipResult {
    pub arch: String,
    pub accuracy: f64,
    pub energy_pj: f64,
    pub latency_ns: f64,
    pub cores: usize,
    pub synaptic_ops: f64,
}

/// Compiles `net` for `arch` and classifies every clip on the emulated chip.
pub fn evaluate(
    net: &Network,
    arch: &Arch,
    clips: &[Clip],
) -> anyhow::Result<(CoreProgram, ChipResult)> {
    let program = compile(net, arch, 1)
        .with_context(|| format!("compiling the model for '{}'", arch.name))?
        .program;
    let emu = Emulator::new(&program)?;
    let lat = program.provenance.output_latency_steps as usize;
    let (mut correct, mut energy, mut latency, mut ops) = (0usize, 0.0, 0.0, 0.0);
    for c in clips {
        let steps = (c.spikes.len() + lat) as u32;
        let input = SpikeStream::from_rows(&c.spikes, steps, net.dt).map_err(anyhow::Error::msg)?;
        let out = emu.run(&input, &RunConfig::new(steps, 1), &|_| {})?;
        let mut counts = vec![0usize; program.outputs.len()];
        for e in out.spikes.events() {
            counts[e.channel as usize] += 1;
        }
        correct += usize::from(decision(&counts) == c.digit);
        energy += out.report.energy.total_pj;
        latency += out.report.latency.total_ns;
        ops += out.report.totals.synaptic_ops as f64;
    }
    let n = clips.len().max(1) as f64;
    let result = ChipResult {
        arch: arch.name.clone(),
        accuracy: correct as f64 / n,
        energy_pj: energy / n,
        latency_ns: latency / n,
        cores: program.cores.len(),
        synaptic_ops: ops / n,
    };
    Ok((program, result))
}
