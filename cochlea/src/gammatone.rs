//! Slaney's 4th-order gammatone filters (Auditory Toolbox, 1998) and the
//! spiketrum dictionary made of their impulse responses.
//!
//! Centre frequencies and filter coefficients follow the PyPI `gammatone`
//! package (`centre_freqs`, `make_erb_filters`, `erb_filterbank`) formula for
//! formula, so the impulse responses agree with it to ~1e-12 relative
//! (tested against committed fixtures from `tools/gammatone_reference.py`).
//! Unlike the package, channels are ordered from low to high frequency.

use rustfft::num_complex::Complex64;
use std::f64::consts::PI;

/// Glasberg & Moore's ERB parameters, as in Slaney's toolbox.
pub const EAR_Q: f64 = 9.26449;
pub const MIN_BW: f64 = 24.7;

/// `num` centre frequencies ERB-spaced from `f_lo` up to (not including) `f_hi`,
/// ascending. The package's `centre_freqs(fs, num, f_lo)` lists the same values
/// from high to low with `f_hi = fs / 2`.
pub fn centre_freqs(f_lo: f64, f_hi: f64, num: usize) -> Vec<f64> {
    let a = EAR_Q * MIN_BW;
    (1..=num)
        .rev()
        .map(|i| {
            let fraction = i as f64 / num as f64;
            -a + (fraction * (-(f_hi + a).ln() + (f_lo + a).ln())).exp() * (f_hi + a)
        })
        .collect()
}

/// One channel's four cascaded biquads: numerators `[a0, a1k, a2]` share one
/// denominator `[1, b1, b2]`; the output is divided by `gain`.
#[derive(Clone, Debug, PartialEq)]
pub struct ErbFilter {
    pub centre_hz: f64,
    pub numerators: [[f64; 3]; 4],
    pub denominator: [f64; 3],
    pub gain: f64,
}

impl ErbFilter {
    /// `make_erb_filters` for one centre frequency.
    pub fn new(fs: f64, cf: f64) -> Self {
        let t = 1.0 / fs;
        let erb = cf / EAR_Q + MIN_BW;
        let b = 1.019 * 2.0 * PI * erb;
        let arg = 2.0 * cf * PI * t;
        let vec = Complex64::new(0.0, 2.0 * arg).exp();
        let b1 = -2.0 * arg.cos() / (b * t).exp();
        let b2 = (-2.0 * b * t).exp();
        let rt_pos = (3.0 + 2f64.powf(1.5)).sqrt();
        let rt_neg = (3.0 - 2f64.powf(1.5)).sqrt();
        let common = -t * (-(b * t)).exp();
        let k = [
            arg.cos() + rt_pos * arg.sin(),
            arg.cos() - rt_pos * arg.sin(),
            arg.cos() + rt_neg * arg.sin(),
            arg.cos() - rt_neg * arg.sin(),
        ];
        let gain_arg = Complex64::new(-b * t, arg).exp();
        let bt = (b * t).exp();
        let tail =
            Complex64::new(t * bt, 0.0) / (Complex64::new(-1.0 / bt + 1.0, 0.0) + vec * (1.0 - bt));
        let gain = ((vec - gain_arg * k[0])
            * (vec - gain_arg * k[1])
            * (vec - gain_arg * k[2])
            * (vec - gain_arg * k[3])
            * tail.powi(4))
        .norm();
        ErbFilter {
            centre_hz: cf,
            numerators: k.map(|k| [t, common * k, 0.0]),
            denominator: [1.0, b1, b2],
            gain,
        }
    }

    /// Filters `x` through the four biquads (transposed direct form II, as
    /// `scipy.signal.lfilter`) and divides by the gain (`erb_filterbank`).
    pub fn filter(&self, x: &[f64]) -> Vec<f64> {
        let mut y = x.to_vec();
        let [_, a1, a2] = self.denominator;
        for [b0, b1, b2] in self.numerators {
            let (mut z0, mut z1) = (0.0, 0.0);
            for v in y.iter_mut() {
                let xi = *v;
                let yi = b0 * xi + z0;
                z0 = b1 * xi - a1 * yi + z1;
                z1 = b2 * xi - a2 * yi;
                *v = yi;
            }
        }
        y.iter_mut().for_each(|v| *v /= self.gain);
        y
    }

    /// The first `len` samples of the impulse response.
    pub fn impulse_response(&self, len: usize) -> Vec<f64> {
        let mut x = vec![0.0; len];
        if len > 0 {
            x[0] = 1.0;
        }
        self.filter(&x)
    }
}

/// The spiketrum dictionary: `K` unit-norm gammatone kernels of length `L`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dictionary {
    pub fs: f64,
    pub centre_hz: Vec<f64>,
    /// Row-major `[K][L]`, each row of unit Euclidean norm.
    pub kernels: Vec<f64>,
    pub len: usize,
}

impl Dictionary {
    /// `k` kernels ERB-spaced from `f_lo` to `fs / 2`, `len` samples each.
    pub fn gammatone(fs: f64, k: usize, f_lo: f64, len: usize) -> Self {
        let centre_hz = centre_freqs(f_lo, fs / 2.0, k);
        let mut kernels = Vec::with_capacity(k * len);
        for &cf in &centre_hz {
            let mut ir = ErbFilter::new(fs, cf).impulse_response(len);
            let norm = ir.iter().map(|v| v * v).sum::<f64>().sqrt();
            ir.iter_mut().for_each(|v| *v /= norm);
            kernels.extend(ir);
        }
        Dictionary {
            fs,
            centre_hz,
            kernels,
            len,
        }
    }

    /// Spikefab's default for a sample rate: 40 kernels from 50 Hz, 1024 samples
    /// at 16 kHz (the length scales with the rate).
    pub fn default_for(fs: f64, k: usize) -> Self {
        Self::gammatone(fs, k, 50.0, Self::kernel_len_for(fs))
    }

    /// Kernel length at a sample rate: 1024 samples (64 ms) at 16 kHz, scaled.
    pub fn kernel_len_for(fs: f64) -> usize {
        ((1024.0 * fs / 16000.0).round() as usize).max(16)
    }

    pub fn num_kernels(&self) -> usize {
        self.centre_hz.len()
    }

    /// The kernels as a float64 `.npy` array of shape `[K, L]`.
    pub fn to_npy(&self) -> Vec<u8> {
        use npyz::WriterBuilder;
        let mut out = Vec::new();
        let mut w = npyz::WriteOptions::<f64>::new()
            .default_dtype()
            .shape(&[self.num_kernels() as u64, self.len as u64])
            .writer(&mut out)
            .begin_nd()
            .expect("writing to a Vec cannot fail");
        w.extend(self.kernels.iter().copied())
            .expect("writing to a Vec cannot fail");
        w.finish().expect("writing to a Vec cannot fail");
        out
    }

    pub fn kernel(&self, k: usize) -> &[f64] {
        &self.kernels[k * self.len..(k + 1) * self.len]
    }
}
