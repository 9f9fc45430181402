//! The classic cochleagram front end: a gammatone filterbank, half-wave
//! rectification, and one integrate-and-fire spike generator per channel.
//!
//! Each channel integrates its rectified output and fires (subtracting the
//! threshold) when the integral reaches a threshold common to all channels, so
//! louder bands fire more. The threshold is found by bisection so that the
//! total spike count matches `rate × duration` as closely as the signal allows.

use spikefab_chip::{Spike, SpikeStream};

use crate::gammatone::{centre_freqs, ErbFilter};

/// Rectified gammatone channel outputs, `[K][N]`, low to high frequency.
pub struct Cochleagram {
    pub centre_hz: Vec<f64>,
    pub channels: Vec<Vec<f64>>,
    pub fs: f64,
}

impl Cochleagram {
    pub fn new(x: &[f64], fs: f64, kernels: usize, f_lo: f64) -> Self {
        let centre_hz = centre_freqs(f_lo, fs / 2.0, kernels);
        let channels = centre_hz
            .iter()
            .map(|&cf| {
                ErbFilter::new(fs, cf)
                    .filter(x)
                    .into_iter()
                    .map(|v| v.max(0.0))
                    .collect()
            })
            .collect();
        Cochleagram {
            centre_hz,
            channels,
            fs,
        }
    }

    /// Spike times (sample indices) per channel for one threshold.
    fn fire(&self, threshold: f64, mut each: impl FnMut(usize, usize)) -> usize {
        let mut count = 0;
        for (k, ch) in self.channels.iter().enumerate() {
            let mut acc = 0.0;
            for (n, &v) in ch.iter().enumerate() {
                acc += v;
                if acc >= threshold {
                    acc -= threshold;
                    each(k, n);
                    count += 1;
                }
            }
        }
        count
    }

    /// Spikes at a target total count, on time steps of `samples_per_step` samples.
    pub fn spikes(&self, target: usize, samples_per_step: usize) -> SpikeStream {
        let total: f64 = self.channels.iter().flatten().sum();
        let samples = self.channels.first().map_or(0, Vec::len);
        let sps = samples_per_step.max(1);
        let dt = sps as f64 / self.fs;
        let steps = samples.div_ceil(sps) as u32;
        if target == 0 || total <= 0.0 {
            return SpikeStream::empty(self.channels.len() as u32, steps, dt);
        }
        // Count falls as the threshold rises: bisect in log space.
        let (mut lo, mut hi) = (total / (target as f64 * 1e3), total / target as f64 * 2.0);
        for _ in 0..60 {
            let mid = (lo * hi).sqrt();
            if self.fire(mid, |_, _| {}) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let mut events = Vec::with_capacity(target + 16);
        self.fire(hi, |k, n| {
            events.push(Spike {
                timestep: (n / sps) as u32,
                channel: k as u32,
            })
        });
        // A channel fires once per step at most: with coarse steps its spikes merge.
        SpikeStream::merging(self.channels.len() as u32, steps, dt, events)
            .expect("spikes lie within the audio")
            .stream
    }
}
