//! The spiketrum encoder: matching pursuit over a gammatone dictionary.
//!
//! Each step picks the kernel and shift whose correlation with the residual
//! is largest, emits the code `(kernel, time, amplitude)` and subtracts the
//! atom. Correlations are computed once per frame by FFT and then updated
//! only within ±L of the chosen time, using precomputed kernel
//! cross-correlations; a segment tree over block maxima finds the next
//! argmax in O(log) after each update.
//!
//! Atoms always lie wholly inside the (zero-padded) signal, so for unit-norm
//! kernels every step removes exactly `a²` of residual energy.
//!
//! Long audio runs in frames of `hop` atom positions; frame `j` owns the
//! positions `[j·hop, (j+1)·hop)` and sees `hop + L − 1` residual samples, so
//! consecutive frames overlap by `L − 1` samples. Each frame gets its share of
//! the spike budget (`rate × duration`, cumulatively rounded so the total is
//! exact), and memory stays bounded however long the input is.

use realfft::num_complex::Complex64;
use realfft::RealFftPlanner;

use crate::gammatone::Dictionary;

/// One matching-pursuit code: `amplitude · kernel(· − time)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Code {
    pub kernel: u16,
    /// Sample index at which the kernel starts.
    pub time: u64,
    pub amplitude: f64,
}

/// When a frame stops emitting codes (the budget always bounds it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// Exactly the budget.
    Budget,
    /// Also stop once the best |amplitude| falls below this.
    AmplitudeFloor(f64),
    /// Also stop once the frame's residual energy is this many dB below its start.
    TargetSnrDb(f64),
}

/// What an encoder precomputes from its dictionary — K² FFT products, the
/// larger part of encoding one short clip — built once and shared by every
/// encoding with that dictionary ([`crate::Cochlea`] keeps one).
#[derive(Clone, Debug, Default)]
pub struct Correlations {
    /// Cross-correlations `X[p][q][d + L − 1] = Σ_j g_p(j + d) g_q(j)`, d ∈ (−L, L).
    pub(crate) xcorr: Vec<f64>,
    /// Per pair `(p, q)`: the first and last index of `X[p][q]` above
    /// [`XCORR_FLOOR`]; updates skip the rest. Gammatone kernels decay
    /// exponentially, so high-frequency pairs need only a few lags.
    pub(crate) support: Vec<(usize, usize)>,
}

/// A matching-pursuit encoder: a dictionary and its [`Correlations`].
pub struct Encoder<'d> {
    dict: &'d Dictionary,
    tables: std::borrow::Cow<'d, Correlations>,
}

/// Cross-correlation values below this (the kernels have unit norm, so the
/// largest value is 1) are left out of correlation updates: each skipped term
/// changes a correlation by less than |a|·1e-13.
pub const XCORR_FLOOR: f64 = 1e-13;

/// Index range of the entries of `x` whose magnitude exceeds `floor` (empty: `(1, 0)`).
pub(crate) fn support_of<T: Magnitude>(x: &[T], floor: f64) -> (usize, usize) {
    let first = x.iter().position(|v| v.magnitude() > floor);
    let last = x.iter().rposition(|v| v.magnitude() > floor);
    match (first, last) {
        (Some(a), Some(b)) => (a, b),
        _ => (1, 0),
    }
}

/// Positions per block of the argmax tree.
const BLOCK: usize = 64;

impl Correlations {
    /// The tables of `dict`.
    pub fn new(dict: &Dictionary) -> Self {
        let (k, l) = (dict.num_kernels(), dict.len);
        let span = 2 * l - 1;
        let m = (2 * l).next_power_of_two();
        let mut planner = RealFftPlanner::<f64>::new();
        let fwd = planner.plan_fft_forward(m);
        let inv = planner.plan_fft_inverse(m);
        let spectra: Vec<Vec<Complex64>> = (0..k)
            .map(|p| {
                let mut buf = vec![0.0; m];
                buf[..l].copy_from_slice(dict.kernel(p));
                let mut out = fwd.make_output_vec();
                fwd.process(&mut buf, &mut out)
                    .expect("sizes from the planner");
                out
            })
            .collect();
        let mut xcorr = vec![0.0; k * k * span];
        let mut prod = inv.make_input_vec();
        let mut time = inv.make_output_vec();
        for p in 0..k {
            for q in 0..k {
                for (o, (a, b)) in prod.iter_mut().zip(spectra[p].iter().zip(&spectra[q])) {
                    *o = a * b.conj();
                }
                prod[0].im = 0.0;
                prod[m / 2].im = 0.0;
                inv.process(&mut prod, &mut time)
                    .expect("sizes from the planner");
                let row = &mut xcorr[(p * k + q) * span..(p * k + q + 1) * span];
                // circular lag d lives at index d mod m
                for (i, v) in row.iter_mut().enumerate() {
                    let d = i as isize - (l as isize - 1);
                    *v = time[d.rem_euclid(m as isize) as usize] / m as f64;
                }
            }
        }
        let support = xcorr
            .chunks(span)
            .map(|x| support_of(x, XCORR_FLOOR))
            .collect();
        Correlations { xcorr, support }
    }
}

impl<'d> Encoder<'d> {
    /// An encoder with its own [`Correlations`].
    pub fn new(dict: &'d Dictionary) -> Self {
        Encoder::with(dict, std::borrow::Cow::Owned(Correlations::new(dict)))
    }

    /// An encoder with `tables` made from `dict` ([`Correlations::new`]).
    pub fn with(dict: &'d Dictionary, tables: std::borrow::Cow<'d, Correlations>) -> Self {
        Encoder { dict, tables }
    }

    /// An encoder without the cross-correlation table, for its FFT helpers only.
    pub(crate) fn new_untabled(dict: &'d Dictionary) -> Self {
        Encoder::with(dict, std::borrow::Cow::Owned(Correlations::default()))
    }

    /// Entries of the cross-correlation table (K² · (2L − 1)).
    pub fn xcorr_len(&self) -> usize {
        self.tables.xcorr.len()
    }

    pub fn dictionary(&self) -> &Dictionary {
        self.dict
    }

    /// Encodes a whole signal as one frame with exactly `budget` codes (fewer only
    /// if `stop` ends it early). Returns the codes in the order they were
    /// chosen and the final residual over `x.len() + L − 1` samples.
    pub fn encode(&self, x: &[f64], budget: usize, stop: Stop) -> (Vec<Code>, Vec<f64>) {
        let mut r = x.to_vec();
        r.resize(x.len() + self.dict.len - 1, 0.0);
        let mut codes = Vec::with_capacity(budget);
        self.pursue(&mut r, x.len(), budget, 0, stop, &mut codes);
        (codes, r)
    }

    /// Matching pursuit on one frame: `r` holds `positions + L − 1` residual
    /// samples, atoms may start at `0..positions`. Codes are appended with
    /// `offset` added to their time.
    fn pursue(
        &self,
        r: &mut [f64],
        positions: usize,
        budget: usize,
        offset: u64,
        stop: Stop,
        codes: &mut Vec<Code>,
    ) {
        let (nk, l) = (self.dict.num_kernels(), self.dict.len);
        if positions == 0 || budget == 0 {
            return;
        }
        let span = 2 * l - 1;
        let mut c = self.correlations(r, positions);
        let mut tree = ArgmaxTree::new(&c, nk, positions);
        let start_energy: f64 = r.iter().map(|v| v * v).sum();
        let mut energy = start_energy;
        for _ in 0..budget {
            let (k, t) = tree.argmax(&c);
            let a = c[k * positions + t];
            match stop {
                Stop::Budget => {}
                Stop::AmplitudeFloor(floor) if a.abs() < floor => break,
                Stop::TargetSnrDb(db) if energy <= start_energy * 10f64.powf(-db / 10.0) => break,
                _ => {}
            }
            energy -= a * a;
            codes.push(Code {
                kernel: k as u16,
                time: offset + t as u64,
                amplitude: a,
            });
            for (rv, g) in r[t..t + l].iter_mut().zip(self.dict.kernel(k)) {
                *rv -= a * g;
            }
            // Correlations change only within ±(L − 1) of t, and only where
            // the kernel pair correlates at all.
            for q in 0..nk {
                let pair = k * nk + q;
                let Some((lo, hi, x0)) = update_range(self.tables.support[pair], t, l, positions)
                else {
                    continue;
                };
                let x = &self.tables.xcorr[pair * span..(pair + 1) * span];
                let row = &mut c[q * positions..(q + 1) * positions];
                subtract_scaled(&mut row[lo..=hi], a, &x[x0..]);
                tree.refresh(&c, q, lo, hi);
            }
        }
    }

    /// `C[k][t] = Σ_j r[t + j] g_k[j]` for `t < positions`, by FFT.
    pub(crate) fn correlations(&self, r: &[f64], positions: usize) -> Vec<f64> {
        let (nk, l) = (self.dict.num_kernels(), self.dict.len);
        let m = realfft_size(r.len().max(l));
        let mut planner = RealFftPlanner::<f64>::new();
        let fwd = planner.plan_fft_forward(m);
        let inv = planner.plan_fft_inverse(m);
        let mut buf = vec![0.0; m];
        buf[..r.len()].copy_from_slice(r);
        let mut rs = fwd.make_output_vec();
        fwd.process(&mut buf, &mut rs)
            .expect("sizes from the planner");
        let mut c = vec![0.0; nk * positions];
        let mut gs = fwd.make_output_vec();
        let mut out = inv.make_output_vec();
        for k in 0..nk {
            buf.iter_mut().for_each(|v| *v = 0.0);
            buf[..l].copy_from_slice(self.dict.kernel(k));
            fwd.process(&mut buf, &mut gs)
                .expect("sizes from the planner");
            for (g, rv) in gs.iter_mut().zip(&rs) {
                *g = rv * g.conj();
            }
            gs[0].im = 0.0;
            if m % 2 == 0 {
                gs[m / 2].im = 0.0;
            }
            inv.process(&mut gs, &mut out)
                .expect("sizes from the planner");
            for (cv, o) in c[k * positions..(k + 1) * positions].iter_mut().zip(&out) {
                *cv = o / m as f64;
            }
        }
        c
    }
}

/// `y ← y − a·x` over `y`'s length: the inner loop of every correlation
/// update, compiled for AVX2 too and picked at run time. (No FMA: a fused
/// multiply-add rounds differently, and results must not depend on the CPU.)
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn subtract_scaled(y: &mut [f64], a: f64, x: &[f64]) {
    for (yv, xv) in y.iter_mut().zip(x) {
        *yv -= a * xv;
    }
}

/// Positions `lo..=hi` of a row touched by an atom at `t`, given the pair's
/// lag support (indices into the `2L − 1` lags), and the lag index of `lo`.
#[inline]
pub(crate) fn update_range(
    support: (usize, usize),
    t: usize,
    l: usize,
    positions: usize,
) -> Option<(usize, usize, usize)> {
    let (i0, i1) = support;
    if i0 > i1 {
        return None;
    }
    // lag index i ↔ position t + i − (L − 1)
    let lo = (t + i0).saturating_sub(l - 1);
    let hi = (t + i1).checked_sub(l - 1)?.min(positions - 1);
    if lo > hi {
        return None;
    }
    Some((lo, hi, lo + (l - 1) - t))
}

/// A length at least `n` whose FFT is fast (a product of 2, 3 and 5).
fn realfft_size(n: usize) -> usize {
    let mut m = n.max(2);
    loop {
        let mut v = m;
        for p in [2, 3, 5] {
            while v % p == 0 {
                v /= p;
            }
        }
        if v == 1 && m % 2 == 0 {
            return m;
        }
        m += 1;
    }
}

/// |value| of a correlation, whatever its number type.
pub(crate) trait Magnitude: Copy {
    fn magnitude(self) -> f64;
}

impl Magnitude for f64 {
    #[inline]
    fn magnitude(self) -> f64 {
        self.abs()
    }
}

impl Magnitude for i64 {
    #[inline]
    fn magnitude(self) -> f64 {
        self.unsigned_abs() as f64
    }
}

/// Largest |value| of a block, with four independent running maxima (one
/// compare chain would bound the scan by its latency).
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn max_magnitude<T: Magnitude>(block: &[T]) -> f64 {
    let mut m = [0.0f64; 4];
    let mut chunks = block.chunks_exact(4);
    for ch in &mut chunks {
        for (mi, v) in m.iter_mut().zip(ch) {
            let a = v.magnitude();
            if a > *mi {
                *mi = a;
            }
        }
    }
    for v in chunks.remainder() {
        m[0] = m[0].max(v.magnitude());
    }
    m[0].max(m[1]).max(m[2].max(m[3]))
}

/// Max-|value| segment tree over blocks of [`BLOCK`] positions of every kernel row.
pub(crate) struct ArgmaxTree {
    positions: usize,
    blocks_per_row: usize,
    leaves: usize,
    /// Heap-ordered maxima of |c|; leaves start at `leaves`.
    max: Vec<f64>,
}

impl ArgmaxTree {
    pub(crate) fn new<T: Magnitude>(c: &[T], rows: usize, positions: usize) -> Self {
        let blocks_per_row = positions.div_ceil(BLOCK);
        let leaves = (rows * blocks_per_row).next_power_of_two();
        let mut t = ArgmaxTree {
            positions,
            blocks_per_row,
            leaves,
            max: vec![f64::NEG_INFINITY; 2 * leaves],
        };
        for row in 0..rows {
            for b in 0..blocks_per_row {
                let i = leaves + row * blocks_per_row + b;
                t.max[i] = t.block_max(c, row, b);
            }
        }
        for i in (1..leaves).rev() {
            t.max[i] = t.max[2 * i].max(t.max[2 * i + 1]);
        }
        t
    }

    fn block_max<T: Magnitude>(&self, c: &[T], row: usize, b: usize) -> f64 {
        let lo = b * BLOCK;
        let hi = (lo + BLOCK).min(self.positions);
        c[row * self.positions + lo..row * self.positions + hi]
            .iter()
            .fold(0.0, |m, v| m.max(v.magnitude()))
    }

    /// Recomputes the blocks of `row` covering positions `lo..=hi`.
    pub(crate) fn refresh<T: Magnitude>(&mut self, c: &[T], row: usize, lo: usize, hi: usize) {
        let base = self.leaves + row * self.blocks_per_row;
        let (mut a, mut b) = (base + lo / BLOCK, base + hi / BLOCK);
        for i in a..=b {
            self.max[i] = self.block_max(c, row, i - base);
        }
        // Climb once per level over the contiguous range of changed nodes.
        while a > 1 {
            a /= 2;
            b /= 2;
            for i in a..=b {
                self.max[i] = self.max[2 * i].max(self.max[2 * i + 1]);
            }
        }
    }

    /// (row, position) of the largest |c|; ties go to the lowest index.
    pub(crate) fn argmax<T: Magnitude>(&self, c: &[T]) -> (usize, usize) {
        let mut i = 1;
        while i < self.leaves {
            i = if self.max[2 * i] >= self.max[2 * i + 1] {
                2 * i
            } else {
                2 * i + 1
            };
        }
        let leaf = i - self.leaves;
        let (row, b) = (leaf / self.blocks_per_row, leaf % self.blocks_per_row);
        let lo = b * BLOCK;
        let hi = (lo + BLOCK).min(self.positions);
        let base = row * self.positions;
        let target = self.max[i];
        let t = (lo..hi)
            .find(|&t| c[base + t].magnitude() == target)
            .unwrap_or(lo);
        (row, t)
    }
}

/// Encodes audio of any length frame by frame with bounded memory: push
/// samples as they come, collect codes, `finish` at the end.
pub struct StreamEncoder<'e, 'd> {
    enc: &'e Encoder<'d>,
    hop: usize,
    /// Codes per sample (rate / fs).
    density: f64,
    stop: Stop,
    /// Residual samples not yet final: the current window.
    buf: Vec<f64>,
    /// Absolute sample index of `buf[0]`.
    start: u64,
    /// Real (not padding) samples received.
    received: u64,
    emitted: u64,
}

impl<'e, 'd> StreamEncoder<'e, 'd> {
    /// `rate` codes per second of audio; frames of `hop` atom positions.
    pub fn new(enc: &'e Encoder<'d>, rate: f64, hop: usize, stop: Stop) -> Self {
        StreamEncoder {
            enc,
            hop: hop.max(1),
            density: rate / enc.dict.fs,
            stop,
            buf: Vec::new(),
            start: 0,
            received: 0,
            emitted: 0,
        }
    }

    /// The exact cumulative budget after `samples` samples.
    fn budget_through(&self, samples: u64) -> u64 {
        (samples as f64 * self.density).round() as u64
    }

    /// Adds samples; returns the codes of every frame this completed.
    pub fn push(&mut self, samples: &[f64]) -> Vec<Code> {
        self.buf.extend_from_slice(samples);
        self.received += samples.len() as u64;
        let l = self.enc.dict.len;
        let mut codes = Vec::new();
        while self.buf.len() >= self.hop + l - 1 {
            self.frame(self.hop, &mut codes);
        }
        codes
    }

    /// Encodes what is left (padding the tail with zeros) and returns its codes.
    pub fn finish(mut self) -> Vec<Code> {
        let mut codes = Vec::new();
        let l = self.enc.dict.len;
        while self.start < self.received {
            let positions = ((self.received - self.start) as usize).min(self.hop);
            let need = positions + l - 1;
            if self.buf.len() < need {
                self.buf.resize(need, 0.0);
            }
            self.frame(positions, &mut codes);
        }
        codes
    }

    fn frame(&mut self, positions: usize, codes: &mut Vec<Code>) {
        let l = self.enc.dict.len;
        let end = self.start + positions as u64;
        let budget = (self.budget_through(end.min(self.received)) - self.emitted) as usize;
        let first = codes.len();
        self.enc.pursue(
            &mut self.buf[..positions + l - 1],
            positions,
            budget,
            self.start,
            self.stop,
            codes,
        );
        codes[first..].sort_by_key(|c| (c.time, c.kernel));
        self.emitted += (codes.len() - first) as u64;
        self.buf.drain(..positions);
        self.start = end;
    }

    /// Samples currently held (bounded by `hop + L − 1` between pushes).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// `x̂[n] = Σ a · g_k[n − t]` over `len` samples.
pub fn decode(codes: &[Code], dict: &Dictionary, len: usize) -> Vec<f64> {
    let mut y = vec![0.0; len + dict.len];
    for c in codes {
        let t = c.time as usize;
        if t >= len {
            continue;
        }
        for (yv, g) in y[t..t + dict.len]
            .iter_mut()
            .zip(dict.kernel(c.kernel as usize))
        {
            *yv += c.amplitude * g;
        }
    }
    y.truncate(len);
    y
}

/// `10 log10(‖x‖² / ‖x − x̂‖²)` in dB.
pub fn snr_db(x: &[f64], y: &[f64]) -> f64 {
    let signal: f64 = x.iter().map(|v| v * v).sum();
    let noise: f64 = x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum();
    10.0 * (signal / noise.max(f64::MIN_POSITIVE)).log10()
}
