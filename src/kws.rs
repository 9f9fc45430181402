//! The spoken-digit task end to end: a held-out test set of WAV clips,
//! encoded by spikefab's cochlea, classified by a NIR model compiled for a
//! chip and emulated, against the float reference.

use anyhow::Context;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use spikefab_chip::{Arch, CoreProgram, SpikeStream};
use spikefab_cochlea::{Audio, Cochlea, CochleaConfig, Levels};
use spikefab_compiler::exporters::Exporter;
use spikefab_compiler::lower::{lower_with, LowerOptions};
use spikefab_compiler::{compile, nir::NirGraph, Network};
use spikefab_emulator::{Emulator, RunConfig};

include!(concat!(env!("OUT_DIR"), "/kws_embedded.rs"));

/// Where the spoken-digit model and test set are read from: a folder like
/// `examples/kws`, or the copy built into the binary. The built-in copy is
/// read from memory — never unpacked to disk, so no shared temporary folder
/// is written, followed or trusted.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelSource {
    Dir(PathBuf),
    Embedded,
}

impl ModelSource {
    /// `examples/kws` of the source tree when it is there, else the built-in copy.
    pub fn shipped() -> ModelSource {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kws");
        if source.join("kws.nir").is_file() {
            ModelSource::Dir(source)
        } else {
            ModelSource::Embedded
        }
    }

    /// A path for messages (the built-in copy says so).
    pub fn path(&self, file: &str) -> PathBuf {
        match self {
            ModelSource::Dir(d) => d.join(file),
            ModelSource::Embedded => Path::new("<built-in examples/kws>").join(file),
        }
    }

    /// The bytes of `file` (a path inside the model folder).
    pub fn read(&self, file: &str) -> anyhow::Result<Cow<'static, [u8]>> {
        match self {
            ModelSource::Dir(d) => {
                let p = d.join(file);
                Ok(Cow::Owned(
                    std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?,
                ))
            }
            ModelSource::Embedded => KWS_FILES
                .iter()
                .find(|(name, _)| *name == file)
                .map(|(_, bytes)| Cow::Borrowed(*bytes))
                .ok_or_else(|| anyhow::anyhow!("the built-in model has no file {file}")),
        }
    }

    fn read_text(&self, file: &str) -> anyhow::Result<String> {
        String::from_utf8(self.read(file)?.into_owned())
            .with_context(|| format!("{} is not UTF-8 text", self.path(file).display()))
    }
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
    pub fn load(src: &ModelSource) -> anyhow::Result<Encoding> {
        let path = src.path("cochlea.txt");
        let text = src.read_text("cochlea.txt")?;
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
        let whole = |k: &str, max: f64| -> anyhow::Result<f64> {
            let v = get(k)?;
            if v.fract() != 0.0 || !(1.0..=max).contains(&v) {
                anyhow::bail!(
                    "{}: '{k}' is {v}, expected a whole number in 1..={max}",
                    path.display()
                );
            }
            Ok(v)
        };
        let enc = Encoding {
            kernels: whole("kernels", 1024.0)? as usize,
            levels: whole("levels", u16::MAX as f64)? as u16,
            rate: get("rate")?,
            dt: get("dt")?,
            steps: whole("steps", 1e7)? as usize,
        };
        if !(enc.dt.is_finite() && enc.dt > 0.0) {
            anyhow::bail!(
                "{}: 'dt' is {}, expected a positive number of seconds",
                path.display(),
                enc.dt
            );
        }
        crate::cochlea::samples_per_step(enc.dt, 16000)
            .with_context(|| format!("{}: 'dt'", path.display()))?;
        enc.cochlea()
            .validate()
            .with_context(|| format!("{}", path.display()))?;
        Ok(enc)
    }

    pub fn cochlea(&self) -> CochleaConfig {
        CochleaConfig {
            kernels: self.kernels,
            levels: Levels {
                count: self.levels,
                ..Levels::default()
            },
            rate: self.rate,
            samples_per_step: (self.dt * 16000.0).round().max(1.0) as usize,
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

/// The test sets a model folder holds: held-out espeak-ng voices, and a
/// synthesizer the model never trained on (festival's ked voice).
pub const TEST_SETS: [&str; 2] = ["test", "test_festival"];

/// Reads `test/labels.csv` and encodes every clip with `enc`.
pub fn load_test_set(src: &ModelSource, enc: &Encoding) -> anyhow::Result<Vec<Clip>> {
    load_test_set_in(src, enc, "test")
}

/// Reads `<set>/labels.csv` (`set` one of [`TEST_SETS`]) and encodes every clip with `enc`.
pub fn load_test_set_in(
    src: &ModelSource,
    enc: &Encoding,
    set: &'static str,
) -> anyhow::Result<Vec<Clip>> {
    load_noisy_test_set(src, enc, set, None)
}

/// `audio` with white Gaussian noise at `snr_db` (signal power over noise
/// power, in dB), drawn from `seed`.
pub fn with_noise(audio: &Audio, snr_db: f64, seed: u64) -> Audio {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let power =
        audio.samples.iter().map(|x| x * x).sum::<f64>() / audio.samples.len().max(1) as f64;
    let sigma = (power / 10f64.powf(snr_db / 10.0)).sqrt();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let normal =
        Normal::new(0.0, sigma.max(f64::MIN_POSITIVE)).expect("a finite, positive deviation");
    Audio {
        samples: audio
            .samples
            .iter()
            .map(|&x| x + normal.sample(&mut rng))
            .collect(),
        rate: audio.rate,
    }
}

/// [`load_test_set_in`] with every clip's audio under white noise at
/// `snr_db` (a seed per clip) before the cochlea, when given.
pub fn load_noisy_test_set(
    src: &ModelSource,
    enc: &Encoding,
    set: &'static str,
    snr_db: Option<f64>,
) -> anyhow::Result<Vec<Clip>> {
    let labels_file = format!("{set}/labels.csv");
    let labels = src.path(&labels_file);
    let text = src.read_text(&labels_file)?;
    let cochlea = Cochlea::new(enc.cochlea())?;
    let mut listed = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let (file, digit) = line.split_once(',').ok_or_else(|| {
            anyhow::anyhow!("{} line {}: expected 'file,digit'", labels.display(), i + 1)
        })?;
        let digit: usize = digit
            .trim()
            .parse()
            .with_context(|| format!("{} line {}", labels.display(), i + 1))?;
        // A clip is a plain file name in test/: no folders, no way out of the model folder.
        let plain = !file.is_empty()
            && !file.contains(['/', '\\'])
            && file != ".."
            && spikefab_chip::text::check_name("clip", file).is_ok();
        if !plain {
            anyhow::bail!(
                "{} line {}: '{}' is not a plain file name in {set}/",
                labels.display(),
                i + 1,
                spikefab_chip::text::escape(file)
            );
        }
        listed.push((i, file, digit));
    }
    // The cochlea's matching pursuit is most of a test set's cost: the clips
    // are encoded on every core, each on its own (the same spikes however
    // they are shared).
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let encode = |&(i, file, digit): &(usize, &str, usize)| -> anyhow::Result<Clip> {
        let rel = format!("{set}/{file}");
        let (audio, _) = Audio::from_wav_bytes(&src.read(&rel)?, &src.path(&rel))?;
        let audio = match snr_db {
            Some(snr) => with_noise(&audio, snr, i as u64),
            None => audio,
        };
        Ok(Clip {
            file: file.to_string(),
            digit,
            spikes: rows(&cochlea.encode(&audio)?.spikes, enc.steps),
        })
    };
    in_parallel(&listed, threads, encode).into_iter().collect()
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

/// The model folder's network (`kws.nir`).
pub const MODEL_FILE: &str = "kws.nir";

/// The model, lowered from NIR at snnTorch's export timestep.
pub fn load_model(src: &ModelSource) -> anyhow::Result<Network> {
    load_model_file(src, MODEL_FILE)
}

/// Another network of the model folder (`file`, a path inside it: the
/// sparse and distilled variants in `sparse/`), lowered as [`load_model`]
/// lowers `kws.nir`. They share its cochlea settings and test sets.
pub fn load_model_file(src: &ModelSource, file: &str) -> anyhow::Result<Network> {
    let g = NirGraph::from_bytes(&src.read(file)?, &src.path(file))?;
    // The shipped model learned decays slightly above 1 for some neurons
    // (tools/train_kws.py does not clamp β): the float reference keeps them,
    // the chips keep those membranes from decaying (docs/decisions.md 52).
    let options = LowerOptions {
        dt: crate::compile::DEFAULT_NIR_DT,
        convention: Exporter::SnnTorch.convention(),
        allow_growing_decay: true,
    };
    Ok(lower_with(&g, "kws", options)?.0)
}

fn decision(counts: &[usize]) -> usize {
    (0..counts.len()).fold(0, |best, k| if counts[k] > counts[best] { k } else { best })
}

/// `f` of every item on `threads` workers (contiguous shares), in item
/// order: sums over the results are the same for any thread count.
fn in_parallel<I: Sync, T: Send>(
    items: &[I],
    threads: usize,
    f: impl Fn(&I) -> T + Sync,
) -> Vec<T> {
    let share = items.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let workers: Vec<_> = items
            .chunks(share)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<T>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker panicked"))
            .collect()
    })
}

/// Accuracy of the float reference (NIR semantics, as the model was
/// trained), the clips shared among `threads` workers.
pub fn float_accuracy(net: &Network, clips: &[Clip], threads: usize) -> f64 {
    let correct = in_parallel(clips, threads, |c| {
        let out = spikefab_compiler::sim::simulate(net, &c.spikes).spikes;
        let counts: Vec<usize> = (0..out[0].len())
            .map(|k| out.iter().filter(|s| s[k]).count())
            .collect();
        decision(&counts) == c.digit
    });
    correct.iter().filter(|&&c| c).count() as f64 / clips.len().max(1) as f64
}

/// A chip's results on the test set.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChipResult {
    pub arch: String,
    pub accuracy: f64,
    pub energy_pj: f64,
    pub latency_ns: f64,
    pub cores: usize,
    /// Synapses the compiled program stores (weights that quantize to zero are not stored).
    pub synapses: usize,
    pub synaptic_ops: f64,
}

/// Compiles `net` for `arch` and classifies every clip on the emulated
/// chip, the clips shared among `threads` workers (each clip one run on one
/// thread; the results do not depend on `threads`).
pub fn evaluate(
    net: &Network,
    arch: &Arch,
    clips: &[Clip],
    threads: usize,
) -> anyhow::Result<(CoreProgram, ChipResult)> {
    let program = compile(net, arch, 1)
        .with_context(|| format!("compiling the model for '{}'", arch.name))?
        .program;
    let emu = Emulator::new(&program)?;
    let lat = program.provenance.output_latency_steps as usize;
    let runs = in_parallel(clips, threads, |c| -> anyhow::Result<_> {
        let steps = (c.spikes.len() + lat) as u32;
        let input = SpikeStream::from_rows(&c.spikes, steps, net.dt).map_err(anyhow::Error::msg)?;
        let out = emu.run(&input, &RunConfig::new(steps, 1), &|_| {})?;
        let mut counts = vec![0usize; program.outputs.len()];
        for e in out.spikes.events() {
            counts[e.channel as usize] += 1;
        }
        Ok((decision(&counts) == c.digit, out.report))
    });
    let (mut correct, mut energy, mut latency, mut ops) = (0usize, 0.0, 0.0, 0.0);
    for run in runs {
        let (right, report) = run?;
        correct += usize::from(right);
        energy += report.energy.total_pj;
        latency += report.latency.total_ns;
        ops += report.totals.synaptic_ops as f64;
    }
    let n = clips.len().max(1) as f64;
    let result = ChipResult {
        arch: arch.name.clone(),
        accuracy: correct as f64 / n,
        energy_pj: energy / n,
        latency_ns: latency / n,
        cores: program.cores.len(),
        synapses: program.num_synapses(),
        synaptic_ops: ops / n,
    };
    Ok((program, result))
}
