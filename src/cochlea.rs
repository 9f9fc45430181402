//! `spikefab cochlea`: audio to spikes, with reconstruction and pictures.

use anyhow::Context;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use spikefab_chip::SpikeStream;
use spikefab_cochlea::spiketrum::snr_db;
use spikefab_cochlea::{Audio, Cochlea, CochleaConfig, Mode};

use crate::{plots, write_text};

/// What the user asked for besides the configuration.
pub struct CochleaJob {
    pub input: PathBuf,
    pub output: Option<PathBuf>,
    pub plot: Option<PathBuf>,
    pub reconstruct: Option<PathBuf>,
    pub kernels_out: Option<PathBuf>,
    pub snr_table: bool,
}

/// Reads a WAV, noting a mix-down on stderr.
pub fn read_audio(path: &Path) -> anyhow::Result<Audio> {
    let (audio, notes) = Audio::read_wav(path)?;
    if notes.channels_mixed > 1 {
        eprintln!(
            "warning: {} has {} channels; mixed down to mono",
            path.display(),
            notes.channels_mixed
        );
    }
    Ok(audio)
}

/// Encodes audio with `config` and writes what `job` asks for; returns the summary.
pub fn run(config: CochleaConfig, job: &CochleaJob) -> anyhow::Result<String> {
    let audio = read_audio(&job.input)?;
    let cochlea = Cochlea::new(config.clone())?;
    let mut s = String::new();
    if job.snr_table {
        let _ = writeln!(
            s,
            "SNR of {} ({:.2} s at {} Hz), {} kernels:\n",
            job.input.display(),
            audio.duration_s(),
            audio.rate,
            config.kernels
        );
        s.push_str(&spikefab_cochlea::pipeline::snr_table(&audio, &config)?);
        return Ok(s);
    }
    let enc = cochlea.encode(&audio)?;
    let n = enc.audio.samples.len();
    let _ = writeln!(
        s,
        "{}: {:.3} s at {} Hz{} → {} spikes on {} channels ({:.1} spikes/s{}), dt = {:.3} ms",
        job.input.display(),
        audio.duration_s(),
        audio.rate,
        if audio.rate != config.fs {
            format!(" (resampled to {} Hz)", config.fs)
        } else {
            String::new()
        },
        enc.spikes.len(),
        enc.spikes.channels,
        enc.spikes.len() as f64 / enc.audio.duration_s().max(1e-12),
        if enc.codes.len() > enc.spikes.len() {
            format!(
                "; {} codes, {} of them on a channel that already fired in their step",
                enc.codes.len(),
                enc.codes.len() - enc.spikes.len()
            )
        } else {
            String::new()
        },
        enc.spikes.dt * 1e3
    );
    let rebuilt = match config.mode {
        Mode::Spiketrum => {
            let y = cochlea.decode(&enc.spikes, n);
            let _ = writeln!(
                s,
                "  reconstruction SNR from the spikes alone: {:.2} dB",
                snr_db(&enc.audio.samples, &y.samples)
            );
            Some(y)
        }
        Mode::Filterbank => None,
    };
    if let Some(out) = &job.output {
        enc.spikes
            .save(out)
            .with_context(|| format!("writing {}", out.display()))?;
        let _ = writeln!(s, "  wrote {}", out.display());
    }
    if let Some(path) = &job.reconstruct {
        let Some(y) = &rebuilt else {
            anyhow::bail!("--reconstruct needs --mode spiketrum: filterbank spikes do not carry enough to rebuild audio");
        };
        y.write_wav(path)?;
        let _ = writeln!(s, "  wrote {}", path.display());
    }
    if let Some(path) = &job.plot {
        write_text(path, &cochleagram(&cochlea, &enc.spikes)?)?;
        let _ = writeln!(s, "  wrote {}", path.display());
    }
    if let Some(path) = &job.kernels_out {
        spikefab_chip::write_atomic(path, &cochlea.dictionary.to_npy())?;
        let _ = writeln!(
            s,
            "  wrote {} ([{}, {}] float64)",
            path.display(),
            cochlea.dictionary.num_kernels(),
            cochlea.dictionary.len
        );
    }
    Ok(s)
}

/// Spikes as a cochleagram: time against centre frequency, darker = louder.
fn cochleagram(cochlea: &Cochlea, spikes: &SpikeStream) -> anyhow::Result<String> {
    let levels = cochlea.config.levels.count as u32;
    let points: Vec<(f64, usize, f64)> = spikes
        .events()
        .iter()
        .map(|e| {
            let t = e.timestep as f64 * spikes.dt;
            match cochlea.config.mode {
                Mode::Spiketrum => (
                    (t),
                    (e.channel / (2 * levels)) as usize,
                    (e.channel % levels) as f64 / (levels - 1).max(1) as f64,
                ),
                Mode::Filterbank => (t, e.channel as usize, 1.0),
            }
        })
        .collect();
    plots::cochleagram(
        &points,
        &cochlea.dictionary.centre_hz,
        spikes.steps as f64 * spikes.dt,
    )
}

/// Audio samples per time step of `dt` seconds at `fs` Hz: a whole number
/// of samples (to 1 ppm), at least one — anything else would silently
/// encode at another time step than the one asked for.
pub fn samples_per_step(dt: f64, fs: u32) -> anyhow::Result<usize> {
    let n = dt * fs as f64;
    if !(dt.is_finite() && n >= 1.0 - 1e-6 && n <= 60.0 * fs as f64) {
        anyhow::bail!("a time step of {dt} s is not between one sample (1/{fs} s) and 60 s");
    }
    let k = n.round();
    if (n - k).abs() > 1e-6 * k {
        anyhow::bail!(
            "a time step of {dt} s is {n} samples at {fs} Hz; it must be a whole number of samples"
        );
    }
    Ok(k as usize)
}

/// Spikes for `spikefab run`'s audio input: the default cochlea, one time step per program `dt`.
pub fn spikes_for_program(path: &Path, dt: f64) -> anyhow::Result<SpikeStream> {
    let audio = read_audio(path)?;
    let base = CochleaConfig::default();
    let config = CochleaConfig {
        samples_per_step: samples_per_step(dt, base.fs)
            .context("the program's dt as the cochlea's time step")?,
        ..base
    };
    Ok(Cochlea::new(config)?.encode(&audio)?.spikes)
}
