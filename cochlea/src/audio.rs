//! Audio in and out: WAV files via `hound`, mono mix-down, and resampling.

use std::path::Path;

use crate::error::{CochleaError, Result};

/// Sample rates a WAV file may declare.
pub const WAV_RATES: std::ops::RangeInclusive<u32> = 1000..=768_000;
/// Frames (samples per channel) of one WAV file read whole: 2^28 (about
/// 4.7 hours at 16 kHz; 2 GiB as f64).
pub const MAX_WAV_FRAMES: u64 = 1 << 28;

/// Mono audio in [−1, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    pub samples: Vec<f64>,
    pub rate: u32,
}

/// What reading a WAV had to change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadNotes {
    /// Channels mixed down to mono (1 = already mono).
    pub channels_mixed: u16,
}

impl Audio {
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / self.rate as f64
    }

    /// Reads 8/16/24/32-bit integer or 32-bit float WAV, any rate, mixing
    /// several channels down to mono by averaging.
    pub fn read_wav(path: &Path) -> Result<(Audio, ReadNotes)> {
        let bytes = std::fs::read(path).map_err(|e| CochleaError::Wav {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::from_wav_bytes(&bytes, path)
    }

    /// Reads a WAV file's bytes; `path` names it in errors.
    pub fn from_wav_bytes(bytes: &[u8], path: &Path) -> Result<(Audio, ReadNotes)> {
        let bad = |message: String| CochleaError::Wav {
            path: path.to_path_buf(),
            message,
        };
        let file_len = bytes.len() as u64;
        let reader =
            hound::WavReader::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
        let spec = reader.spec();
        if spec.channels == 0 || !WAV_RATES.contains(&spec.sample_rate) {
            return Err(bad(format!(
                "header declares {} channels at {} Hz; spikefab reads 1 or more channels at {}..={} Hz",
                spec.channels,
                spec.sample_rate,
                WAV_RATES.start(),
                WAV_RATES.end()
            )));
        }
        // The header's sample count decides the allocation: hold it to the file and a bound.
        let declared = reader.len() as u64;
        let bytes_per_sample = (spec.bits_per_sample as u64).div_ceil(8).max(1);
        if declared.saturating_mul(bytes_per_sample) > file_len {
            return Err(bad(format!(
                "header declares {declared} samples ({} bytes), but the file has {file_len} bytes",
                declared.saturating_mul(bytes_per_sample)
            )));
        }
        if declared / spec.channels as u64 > MAX_WAV_FRAMES {
            return Err(bad(format!(
                "{} frames is more than the {MAX_WAV_FRAMES} spikefab reads at once",
                declared / spec.channels as u64
            )));
        }
        let interleaved: Vec<f64> = match spec.sample_format {
            hound::SampleFormat::Float => {
                if spec.bits_per_sample != 32 {
                    return Err(bad(format!(
                        "{}-bit float samples are not supported (32-bit only)",
                        spec.bits_per_sample
                    )));
                }
                reader
                    .into_samples::<f32>()
                    .map(|s| s.map(|x| x as f64))
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|e| bad(e.to_string()))?
            }
            hound::SampleFormat::Int => {
                let bits = spec.bits_per_sample;
                if !(1..=32).contains(&bits) {
                    return Err(bad(format!("{bits}-bit integer samples are not supported")));
                }
                let full = (1i64 << (bits - 1)) as f64;
                reader
                    .into_samples::<i32>()
                    .map(|s| s.map(|x| x as f64 / full))
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|e| bad(e.to_string()))?
            }
        };
        let ch = spec.channels as usize;
        if interleaved.len() < ch {
            return Err(CochleaError::EmptyWav {
                path: path.to_path_buf(),
            });
        }
        let samples = interleaved
            .chunks_exact(ch)
            .map(|f| f.iter().sum::<f64>() / ch as f64)
            .collect();
        Ok((
            Audio {
                samples,
                rate: spec.sample_rate,
            },
            ReadNotes {
                channels_mixed: spec.channels,
            },
        ))
    }

    /// Writes 16-bit PCM, clipping to [−1, 1], atomically.
    pub fn write_wav(&self, path: &Path) -> Result<()> {
        let err = |message: String| CochleaError::Write {
            path: path.to_path_buf(),
            message,
        };
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: self.rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut bytes = std::io::Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut bytes, spec).map_err(|e| err(e.to_string()))?;
            for &x in &self.samples {
                w.write_sample((x.clamp(-1.0, 1.0) * 32767.0).round() as i16)
                    .map_err(|e| err(e.to_string()))?;
            }
            w.finalize().map_err(|e| err(e.to_string()))?;
        }
        spikefab_chip::write_atomic(path, &bytes.into_inner()).map_err(|e| err(e.to_string()))
    }

    /// Band-limited resampling of the whole signal by FFT: the spectrum is
    /// truncated or zero-padded to the new length (as `scipy.signal.resample`
    /// does). The signal is treated as periodic; a short linear fade to the
    /// mean at both ends would hide the seam but is not applied, so the very
    /// first and last milliseconds can ring.
    pub fn resampled(&self, rate: u32) -> Audio {
        if rate == self.rate || self.samples.is_empty() {
            return Audio {
                samples: self.samples.clone(),
                rate,
            };
        }
        let n = self.samples.len();
        let m = ((n as u128 * rate as u128 + self.rate as u128 / 2) / self.rate as u128).max(1)
            as usize;
        Audio {
            samples: fft_resample(&self.samples, m),
            rate,
        }
    }
}

fn fft_resample(x: &[f64], m: usize) -> Vec<f64> {
    use realfft::RealFftPlanner;
    let n = x.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(m);
    let mut input = x.to_vec();
    let mut spec = fwd.make_output_vec();
    fwd.process(&mut input, &mut spec)
        .expect("buffer sizes come from the planner");
    let mut out_spec = inv.make_input_vec();
    let keep = spec.len().min(out_spec.len());
    out_spec[..keep].copy_from_slice(&spec[..keep]);
    // As scipy.signal.resample: when the shorter length is even, its Nyquist bin
    // stands for both ± frequencies; going down it folds into one real bin
    // (twice its real part), going up it splits into two halves.
    let nyq = n.min(m);
    if nyq % 2 == 0 && keep > 0 {
        let k = nyq / 2;
        if k < out_spec.len() {
            out_spec[k] = if m < n {
                realfft::num_complex::Complex::new(2.0 * spec[k].re, 0.0)
            } else {
                spec[k] * 0.5
            };
        }
    }
    if let Some(last) = out_spec.last_mut() {
        if m % 2 == 0 {
            last.im = 0.0;
        }
    }
    out_spec[0].im = 0.0;
    let mut out = inv.make_output_vec();
    inv.process(&mut out_spec, &mut out)
        .expect("buffer sizes come from the planner");
    let scale = 1.0 / n as f64;
    out.iter_mut().for_each(|v| *v *= scale);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(f: f64, rate: u32, n: usize) -> Audio {
        Audio {
            samples: (0..n)
                .map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / rate as f64).sin() * 0.5)
                .collect(),
            rate,
        }
    }

    #[test]
    fn resampling_a_periodic_tone_is_exact() {
        // 440 Hz has a whole number of periods (44) in 0.1 s.
        let a = tone(440.0, 44100, 4410);
        let b = a.resampled(16000);
        assert_eq!(b.samples.len(), 1600);
        let want = tone(440.0, 16000, 1600);
        let err = b
            .samples
            .iter()
            .zip(&want.samples)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-9, "{err}");
        // and back up
        let c = b.resampled(44100);
        let err = c
            .samples
            .iter()
            .zip(&a.samples)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-9, "{err}");
    }

    #[test]
    fn wav_round_trip_and_stereo_mixdown() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("st.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 24,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&p, spec).unwrap();
        for i in 0..100 {
            w.write_sample(i * 1000).unwrap();
            w.write_sample(-(i * 1000) + 4_000_000).unwrap();
        }
        w.finalize().unwrap();
        let (a, notes) = Audio::read_wav(&p).unwrap();
        assert_eq!(
            (a.rate, a.samples.len(), notes.channels_mixed),
            (8000, 100, 2)
        );
        assert!((a.samples[5] - 2_000_000.0 / 8_388_608.0).abs() < 1e-12);
        let q = dir.path().join("m.wav");
        a.write_wav(&q).unwrap();
        let (b, _) = Audio::read_wav(&q).unwrap();
        assert!(b
            .samples
            .iter()
            .zip(&a.samples)
            .all(|(x, y)| (x - y).abs() < 1.0 / 32767.0));
    }

    #[test]
    fn corrupt_and_empty_wavs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.wav");
        std::fs::write(&p, b"RIFF\x10\x00\x00\x00WAVEjunkjunk").unwrap();
        let e = Audio::read_wav(&p).unwrap_err().to_string();
        assert!(e.contains("bad.wav"), "{e}");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let q = dir.path().join("empty.wav");
        hound::WavWriter::create(&q, spec)
            .unwrap()
            .finalize()
            .unwrap();
        let e = Audio::read_wav(&q).unwrap_err().to_string();
        assert!(e.contains("no samples"), "{e}");
    }
}
