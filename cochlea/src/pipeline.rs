//! The cochlea as one configurable stage: audio in, spike stream out, and the
//! way back for spiketrum streams.

use spikefab_chip::SpikeStream;

use crate::audio::Audio;
use crate::error::{CochleaError, Result};
use crate::filterbank::Cochleagram;
use crate::fixed::FixedEncoder;
use crate::gammatone::Dictionary;
use crate::place::{drop_codes, jitter_codes, Levels, PlaceCode};
use crate::spiketrum::{decode, snr_db, Code, Correlations, Encoder, Stop, StreamEncoder};

/// Which front end turns audio into spikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Matching pursuit + intensity-to-place (reconstructable).
    Spiketrum,
    /// Gammatone filterbank + rectification + integrate-and-fire per channel.
    Filterbank,
}

/// Everything that shapes the spike stream.
#[derive(Clone, Debug, PartialEq)]
pub struct CochleaConfig {
    pub mode: Mode,
    /// Model sample rate; other rates are resampled to it.
    pub fs: u32,
    pub kernels: usize,
    pub f_lo: f64,
    /// Spikes per second of audio.
    pub rate: f64,
    pub levels: Levels,
    /// Audio samples per spike time step (1: the step is one sample).
    pub samples_per_step: usize,
    /// Frame length for streaming, in seconds (`None`: the whole signal at once).
    pub frame_s: Option<f64>,
    /// Use the Q1.15 hardware encoder.
    pub fixed_point: bool,
}

impl Default for CochleaConfig {
    fn default() -> Self {
        CochleaConfig {
            mode: Mode::Spiketrum,
            fs: 16000,
            kernels: 40,
            f_lo: 50.0,
            rate: 1000.0,
            levels: Levels::default(),
            samples_per_step: 1,
            frame_s: None,
            fixed_point: false,
        }
    }
}

/// Bounds on a cochlea's settings (see `docs/reliability.md`).
pub const MAX_KERNELS: usize = 128;
pub const MAX_LEVELS: u16 = 1024;
pub const FS_RANGE: std::ops::RangeInclusive<u32> = 1000..=192_000;
/// Kernels × samples of one whole-clip encoding (its correlation table holds
/// that many f64s); longer clips are encoded in frames (`frame_s`).
pub const MAX_KERNEL_SAMPLES: u64 = 1 << 28;

impl CochleaConfig {
    /// Checks every setting against its range; errors name the setting.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(CochleaError::Config(m));
        if !FS_RANGE.contains(&self.fs) {
            return bad(format!(
                "fs is {} Hz; the model rate must lie in {}..={} Hz",
                self.fs,
                FS_RANGE.start(),
                FS_RANGE.end()
            ));
        }
        let fs = self.fs as f64;
        if !(1..=MAX_KERNELS).contains(&self.kernels) {
            return bad(format!(
                "kernels is {}; it must lie in 1..={MAX_KERNELS}",
                self.kernels
            ));
        }
        if !(1..=MAX_LEVELS).contains(&self.levels.count) {
            return bad(format!(
                "levels is {}; it must lie in 1..={MAX_LEVELS}",
                self.levels.count
            ));
        }
        let l = &self.levels;
        if !(l.top.is_finite() && l.top > 0.0 && l.range_db.is_finite() && l.range_db > 0.0) {
            return bad(format!(
                "levels: top {} and range_db {} must be positive numbers",
                l.top, l.range_db
            ));
        }
        if !(self.rate.is_finite() && (0.0..=fs).contains(&self.rate)) {
            return bad(format!(
                "rate is {} spikes/s; it must lie in 0..={fs} (at most one spike per sample at {} Hz)",
                self.rate, self.fs
            ));
        }
        if !(self.f_lo.is_finite() && self.f_lo > 0.0 && self.f_lo < fs / 2.0) {
            return bad(format!(
                "f_lo is {} Hz; the lowest centre frequency must lie in (0, fs/2 = {} Hz)",
                self.f_lo,
                fs / 2.0
            ));
        }
        if self.samples_per_step == 0 || self.samples_per_step > 60 * self.fs as usize {
            return bad(format!(
                "a time step of {} samples is outside 1 sample ..= 60 s",
                self.samples_per_step
            ));
        }
        if let Some(f) = self.frame_s {
            if !(f.is_finite() && f * fs >= 1.0 && f <= 3600.0) {
                return bad(format!(
                    "frame is {f} s; it must be at least one sample (1/fs) and at most 3600 s"
                ));
            }
            if (self.kernels as f64 * f * fs) > MAX_KERNEL_SAMPLES as f64 {
                return bad(format!(
                    "frame {f} s × {} kernels exceeds {MAX_KERNEL_SAMPLES} kernel-samples; use shorter frames",
                    self.kernels
                ));
            }
        }
        Ok(())
    }
}

/// A configured cochlea, its dictionary built once (and its correlation
/// tables at the first spiketrum encoding, then shared by every later one).
pub struct Cochlea {
    pub config: CochleaConfig,
    pub dictionary: Dictionary,
    correlations: std::sync::OnceLock<Correlations>,
}

/// The result of encoding one clip.
pub struct Encoded {
    /// The audio as encoded (mono, at the model rate).
    pub audio: Audio,
    pub spikes: SpikeStream,
    /// Spiketrum codes with unquantized amplitudes (empty for the filterbank).
    pub codes: Vec<Code>,
}

impl Cochlea {
    pub fn new(config: CochleaConfig) -> Result<Self> {
        config.validate()?;
        let fs = config.fs as f64;
        let dictionary = Dictionary::gammatone(
            fs,
            config.kernels,
            config.f_lo,
            Dictionary::kernel_len_for(fs),
        );
        Ok(Cochlea {
            config,
            dictionary,
            correlations: Default::default(),
        })
    }

    pub fn place_code(&self) -> PlaceCode {
        PlaceCode {
            kernels: self.config.kernels,
            levels: self.config.levels,
            fs: self.config.fs as f64,
            samples_per_step: self.config.samples_per_step.max(1),
        }
    }

    /// Number of spike channels this configuration produces.
    pub fn channels(&self) -> u32 {
        match self.config.mode {
            Mode::Spiketrum => self.place_code().channels(),
            Mode::Filterbank => self.config.kernels as u32,
        }
    }

    /// Checks that `audio` is not too long to encode in one piece (see
    /// [`MAX_KERNEL_SAMPLES`]; streaming with `frame_s` has no such bound
    /// beyond holding the audio).
    pub fn check_length(&self, audio: &Audio) -> Result<()> {
        let samples = audio.samples.len() as f64 * self.config.fs as f64 / audio.rate.max(1) as f64;
        let cells = samples * self.config.kernels as f64;
        if samples > crate::audio::MAX_WAV_FRAMES as f64 {
            return Err(CochleaError::Config(format!(
                "{:.1} s of audio is {samples:.0} samples at {} Hz, more than the {} spikefab holds at once",
                audio.duration_s(),
                self.config.fs,
                crate::audio::MAX_WAV_FRAMES
            )));
        }
        let streamed = self.config.frame_s.is_some()
            && !self.config.fixed_point
            && self.config.mode == Mode::Spiketrum;
        if !streamed && cells > MAX_KERNEL_SAMPLES as f64 {
            return Err(CochleaError::Config(format!(
                "{:.1} s of audio × {} kernels is {cells:.0} kernel-samples, more than the {MAX_KERNEL_SAMPLES} one encoding may hold; encode it in frames (--frame)",
                audio.duration_s(),
                self.config.kernels
            )));
        }
        Ok(())
    }

    /// Resamples to the model rate and encodes.
    pub fn encode(&self, audio: &Audio) -> Result<Encoded> {
        self.check_length(audio)?;
        let audio = audio.resampled(self.config.fs);
        let n = audio.samples.len();
        let budget = (self.config.rate * audio.duration_s()).round() as usize;
        match self.config.mode {
            Mode::Filterbank => {
                let cg = Cochleagram::new(
                    &audio.samples,
                    self.config.fs as f64,
                    self.config.kernels,
                    self.config.f_lo,
                );
                let spikes = cg.spikes(budget, self.config.samples_per_step);
                Ok(Encoded {
                    audio,
                    spikes,
                    codes: Vec::new(),
                })
            }
            Mode::Spiketrum => {
                let codes = if self.config.fixed_point {
                    FixedEncoder::new(&self.dictionary).encode(&audio.samples, budget)
                } else {
                    let tables = self
                        .correlations
                        .get_or_init(|| Correlations::new(&self.dictionary));
                    let enc = Encoder::with(&self.dictionary, std::borrow::Cow::Borrowed(tables));
                    match self.config.frame_s {
                        None => enc.encode(&audio.samples, budget, Stop::Budget).0,
                        Some(f) => {
                            let hop = ((f * self.config.fs as f64) as usize).max(1);
                            let mut s =
                                StreamEncoder::new(&enc, self.config.rate, hop, Stop::Budget);
                            let mut codes = s.push(&audio.samples);
                            codes.extend(s.finish());
                            codes
                        }
                    }
                };
                let spikes = self.place_code().to_spikes(&codes, n);
                Ok(Encoded {
                    audio,
                    spikes,
                    codes,
                })
            }
        }
    }

    /// Rebuilds audio of `samples` samples from a spiketrum spike stream alone.
    pub fn decode(&self, spikes: &SpikeStream, samples: usize) -> Audio {
        let codes = self.place_code().from_spikes(spikes);
        Audio {
            samples: decode(&codes, &self.dictionary, samples),
            rate: self.config.fs,
        }
    }

    /// SNR (dB) of the audio rebuilt from quantized codes after spike loss and jitter.
    pub fn degraded_snr_db(&self, enc: &Encoded, drop: f64, jitter_samples: f64, seed: u64) -> f64 {
        let pc = self.place_code();
        let n = enc.audio.samples.len();
        let mut codes = pc.from_spikes(&enc.spikes);
        if drop > 0.0 {
            codes = drop_codes(&codes, drop, seed);
        }
        if jitter_samples > 0.0 {
            codes = jitter_codes(&codes, jitter_samples, n, seed ^ 0x5eed);
        }
        snr_db(&enc.audio.samples, &decode(&codes, &self.dictionary, n))
    }
}

/// The SNR table of `docs/cochlea.md` for one clip, as Markdown.
pub fn snr_table(audio: &Audio, base: &CochleaConfig) -> Result<String> {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| spikes/s | SNR from codes (dB) | SNR from spikes (dB) | fixed-point, from spikes (dB) |"
    );
    let _ = writeln!(s, "|---|---|---|---|");
    for rate in [100.0, 300.0, 1000.0, 3000.0] {
        let float = Cochlea::new(CochleaConfig {
            rate,
            ..base.clone()
        })?;
        let fixed = Cochlea::new(CochleaConfig {
            rate,
            fixed_point: true,
            ..base.clone()
        })?;
        let e = float.encode(audio)?;
        let n = e.audio.samples.len();
        let from_codes = snr_db(&e.audio.samples, &decode(&e.codes, &float.dictionary, n));
        let from_spikes = snr_db(&e.audio.samples, &float.decode(&e.spikes, n).samples);
        let f = fixed.encode(audio)?;
        let fixed_spikes = snr_db(&f.audio.samples, &fixed.decode(&f.spikes, n).samples);
        let _ = writeln!(
            s,
            "| {rate:.0} | {from_codes:.2} | {from_spikes:.2} | {fixed_spikes:.2} |"
        );
    }
    let cochlea = Cochlea::new(base.clone())?;
    let e = cochlea.encode(audio)?;
    let _ = writeln!(
        s,
        "\nAt {:.0} spikes/s, decoded from the spike stream:\n",
        base.rate
    );
    let _ = writeln!(s, "| damage | SNR (dB) |");
    let _ = writeln!(s, "|---|---|");
    let _ = writeln!(
        s,
        "| none | {:.2} |",
        cochlea.degraded_snr_db(&e, 0.0, 0.0, 1)
    );
    for p in [0.1, 0.2, 0.5] {
        let _ = writeln!(
            s,
            "| {:.0} % of spikes deleted | {:.2} |",
            p * 100.0,
            cochlea.degraded_snr_db(&e, p, 0.0, 1)
        );
    }
    for sigma in [1.0, 4.0, 16.0] {
        let _ = writeln!(
            s,
            "| times jittered, σ = {sigma:.0} samples | {:.2} |",
            cochlea.degraded_snr_db(&e, 0.0, sigma, 1)
        );
    }
    Ok(s)
}
