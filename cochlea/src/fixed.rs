//! The fixed-point spiketrum encoder: the arithmetic a hardware encoder
//! (e.g. the FPGA spiketrum of Tang et al., TCAS-I 2025) would run.
//!
//! | quantity | format | register |
//! |---|---|---|
//! | input sample `x` | Q1.15 | i16 |
//! | kernel tap `g` (unit norm) | Q1.15 | i16 |
//! | residual `r` | Q1.15 value, 17 integer bits of headroom | i32 |
//! | correlation `C = Σ r·g` | Q2.30 | i64 (needs ≤ 15 + 15 + log2 L + 1 bits) |
//! | kernel cross-correlation `X = Σ g·g` | Q2.30 | i64 (fits i32: \|X\| ≤ 2^30) |
//! | amplitude `a = round(C / 2^15)` | Q.15 | i32 |
//!
//! Updates: `r ← r − round(a·g / 2^15)`, `C ← C − round(a·X / 2^15)`, rounding
//! half up with an arithmetic shift. Initial correlations are exact integers
//! (computed by FFT in f64 and rounded, which is exact at these magnitudes).

use crate::gammatone::Dictionary;
use crate::spiketrum::{support_of, update_range, ArgmaxTree, Code, Correlations, Encoder};

/// Fraction bits of the Q1.15 input and kernels.
pub const FRAC_BITS: u32 = 15;
const ONE: f64 = (1u32 << FRAC_BITS) as f64;

#[inline]
fn round_shift(v: i64) -> i64 {
    (v + (1 << (FRAC_BITS - 1))) >> FRAC_BITS
}

fn to_q15(x: f64) -> i32 {
    (x * ONE).round().clamp(-ONE, ONE - 1.0) as i32
}

/// A matching-pursuit encoder in integer arithmetic over Q1.15 kernels.
pub struct FixedEncoder {
    len: usize,
    kernels: usize,
    /// `[K][L]` Q1.15 kernel taps.
    taps: Vec<i32>,
    /// `[K][K][2L − 1]` Q2.30 cross-correlations.
    xcorr: Vec<i64>,
    /// Per pair, the lags where the integer cross-correlation is non-zero.
    support: Vec<(usize, usize)>,
    /// The kernels as integer-valued floats, for the FFT of the initial correlations.
    int_dict: Dictionary,
}

impl FixedEncoder {
    pub fn new(dict: &Dictionary) -> Self {
        let taps: Vec<i32> = dict.kernels.iter().map(|&g| to_q15(g)).collect();
        let int_dict = Dictionary {
            kernels: taps.iter().map(|&v| v as f64).collect(),
            ..dict.clone()
        };
        let xcorr: Vec<i64> = Correlations::new(&int_dict)
            .xcorr
            .iter()
            .map(|v| v.round() as i64)
            .collect();
        let support = xcorr
            .chunks(2 * dict.len - 1)
            .map(|x| support_of(x, 0.0))
            .collect();
        FixedEncoder {
            len: dict.len,
            kernels: dict.num_kernels(),
            taps,
            xcorr,
            support,
            int_dict,
        }
    }

    /// Encodes `x` (clipped to Q1.15) with exactly `budget` codes; amplitudes
    /// are returned as reals (`a / 2^15`) for decoding with the float dictionary.
    pub fn encode(&self, x: &[f64], budget: usize) -> Vec<Code> {
        let (nk, l) = (self.kernels, self.len);
        let positions = x.len();
        if positions == 0 || budget == 0 {
            return Vec::new();
        }
        let span = 2 * l - 1;
        let mut r: Vec<i32> = x.iter().map(|&v| to_q15(v)).collect();
        r.resize(positions + l - 1, 0);
        let rf: Vec<f64> = r.iter().map(|&v| v as f64).collect();
        let mut c: Vec<i64> = Encoder::new_untabled(&self.int_dict)
            .correlations(&rf, positions)
            .iter()
            .map(|v| v.round() as i64)
            .collect();
        let mut tree = ArgmaxTree::new(&c, nk, positions);
        let mut codes = Vec::with_capacity(budget);
        for _ in 0..budget {
            let (k, t) = tree.argmax(&c);
            let a = round_shift(c[k * positions + t]);
            codes.push(Code {
                kernel: k as u16,
                time: t as u64,
                amplitude: a as f64 / ONE,
            });
            for (rv, &g) in r[t..t + l].iter_mut().zip(&self.taps[k * l..(k + 1) * l]) {
                *rv -= round_shift(a * g as i64) as i32;
            }
            for q in 0..nk {
                let pair = k * nk + q;
                let Some((lo, hi, x0)) = update_range(self.support[pair], t, l, positions) else {
                    continue;
                };
                let xr = &self.xcorr[pair * span..(pair + 1) * span];
                for (cv, &xv) in c[q * positions..(q + 1) * positions][lo..=hi]
                    .iter_mut()
                    .zip(&xr[x0..])
                {
                    *cv -= round_shift(a * xv);
                }
                tree.refresh(&c, q, lo, hi);
            }
        }
        codes
    }
}
