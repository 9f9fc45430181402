//! How well a model's spike trains match recorded ones, the statistics
//! neural-response models are judged by (TeCoS-LVM, docs/models.md): the
//! trial-averaged response (PSTH) correlation, the firing-rate error, the
//! distance between inter-spike-interval distributions, and the
//! trial-to-trial variability (Fano factor).
//!
//! Trains are `[trial][step][cell]` of one stimulus; a set of stimuli is a
//! slice of those. Every statistic skips the first `skip` steps (the
//! networks' warm-up) and averages over cells.

/// `[trial][step][cell]` spikes for one stimulus.
pub type Trials = Vec<Vec<Vec<bool>>>;

/// The half-width of the PSTH's centred boxcar, in steps.
pub const PSTH_SMOOTHING: usize = 2;

fn cells(set: &[Trials]) -> usize {
    set.first()
        .and_then(|s| s.first())
        .and_then(|t| t.first())
        .map_or(0, Vec::len)
}

/// Cell `c`'s PSTH over all stimuli of `set`, steps from `skip`: the
/// fraction of trials with a spike, smoothed by a boxcar of ±[`PSTH_SMOOTHING`] steps.
fn psth(set: &[Trials], c: usize, skip: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for trials in set {
        let steps = trials.first().map_or(0, Vec::len);
        let raw: Vec<f64> = (0..steps)
            .map(|t| trials.iter().filter(|tr| tr[t][c]).count() as f64 / trials.len() as f64)
            .collect();
        for t in skip..steps {
            let lo = t.saturating_sub(PSTH_SMOOTHING);
            let hi = (t + PSTH_SMOOTHING + 1).min(steps);
            out.push(raw[lo..hi].iter().sum::<f64>() / (hi - lo) as f64);
        }
    }
    out
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma) * (x - ma);
        bb += (y - mb) * (y - mb);
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        ab / (aa * bb).sqrt()
    }
}

/// Mean over cells of the Pearson correlation of model and recorded PSTHs.
pub fn psth_correlation(model: &[Trials], data: &[Trials], skip: usize) -> f64 {
    let n = cells(data);
    (0..n)
        .map(|c| pearson(&psth(model, c, skip), &psth(data, c, skip)))
        .sum::<f64>()
        / n as f64
}

/// Cell `c`'s mean spikes per step.
fn rate(set: &[Trials], c: usize, skip: usize) -> f64 {
    let (mut spikes, mut bins) = (0usize, 0usize);
    for trials in set {
        for tr in trials {
            for step in tr.iter().skip(skip) {
                spikes += step[c] as usize;
                bins += 1;
            }
        }
    }
    spikes as f64 / bins.max(1) as f64
}

/// Mean over cells of |model rate − recorded rate| / recorded rate.
pub fn rate_error(model: &[Trials], data: &[Trials], skip: usize) -> f64 {
    let n = cells(data);
    (0..n)
        .map(|c| {
            let d = rate(data, c, skip);
            (rate(model, c, skip) - d).abs() / d.max(f64::MIN_POSITIVE)
        })
        .sum::<f64>()
        / n as f64
}

/// Cell `c`'s inter-spike intervals (steps), within trials, sorted.
fn isis(set: &[Trials], c: usize, skip: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for trials in set {
        for tr in trials {
            let mut last = None;
            for (t, step) in tr.iter().enumerate().skip(skip) {
                if step[c] {
                    if let Some(l) = last {
                        out.push((t - l) as f64);
                    }
                    last = Some(t);
                }
            }
        }
    }
    out.sort_by(f64::total_cmp);
    out
}

/// The 1-Wasserstein distance between two sorted samples: the mean
/// |difference| of their quantile functions (the area between the CDFs).
pub fn wasserstein1(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::INFINITY;
    }
    const QUANTILES: usize = 1000;
    let q = |s: &[f64], u: f64| s[((u * s.len() as f64) as usize).min(s.len() - 1)];
    (0..QUANTILES)
        .map(|k| {
            let u = (k as f64 + 0.5) / QUANTILES as f64;
            (q(a, u) - q(b, u)).abs()
        })
        .sum::<f64>()
        / QUANTILES as f64
}

/// Mean over cells of the 1-Wasserstein distance between model and
/// recorded ISI distributions, in steps (infinite for a cell one of them
/// never fires twice in a trial).
pub fn isi_distance(model: &[Trials], data: &[Trials], skip: usize) -> f64 {
    let n = cells(data);
    (0..n)
        .map(|c| wasserstein1(&isis(model, c, skip), &isis(data, c, skip)))
        .sum::<f64>()
        / n as f64
}

/// Mean over cells and stimuli of the Fano factor (variance / mean across
/// trials) of spike counts in windows of `window` steps: ≈ 1 for Poisson
/// trains, 0 for a model that repeats itself.
pub fn fano_factor(set: &[Trials], window: usize, skip: usize) -> f64 {
    let n = cells(set);
    let (mut sum, mut count) = (0.0, 0usize);
    for trials in set {
        let steps = trials.first().map_or(0, Vec::len);
        for c in 0..n {
            let mut t0 = skip;
            while t0 + window <= steps {
                let counts: Vec<f64> = trials
                    .iter()
                    .map(|tr| tr[t0..t0 + window].iter().filter(|s| s[c]).count() as f64)
                    .collect();
                let m = counts.iter().sum::<f64>() / counts.len() as f64;
                if m > 0.0 {
                    let v = counts.iter().map(|x| (x - m) * (x - m)).sum::<f64>()
                        / (counts.len() - 1).max(1) as f64;
                    sum += v / m;
                    count += 1;
                }
                t0 += window;
            }
        }
    }
    sum / count.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trains(seed: u64, trials: usize, steps: usize, p: f64) -> Trials {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..trials)
            .map(|_| (0..steps).map(|_| vec![next() < p, next() < p]).collect())
            .collect()
    }

    #[test]
    fn identical_trains_match_perfectly_and_independent_ones_do_not() {
        let a = vec![trains(1, 20, 300, 0.1)];
        assert!((psth_correlation(&a, &a, 0) - 1.0).abs() < 1e-12);
        assert_eq!(rate_error(&a, &a, 0), 0.0);
        assert_eq!(isi_distance(&a, &a, 0), 0.0);
        let b = vec![trains(2, 20, 300, 0.1)];
        assert!(psth_correlation(&a, &b, 0).abs() < 0.3);
        // Bernoulli trains: Fano factor 1 − p; a repeated trial: 0
        assert!((fano_factor(&a, 10, 0) - 0.9).abs() < 0.1);
        let same = vec![vec![a[0][0].clone(); 20]];
        assert_eq!(fano_factor(&same, 10, 0), 0.0);
    }

    #[test]
    fn wasserstein_is_the_shift_between_shifted_samples() {
        let a: Vec<f64> = (0..500).map(|k| (k % 17) as f64).collect::<Vec<_>>();
        let mut a = a;
        a.sort_by(f64::total_cmp);
        let b: Vec<f64> = a.iter().map(|x| x + 3.0).collect();
        assert!((wasserstein1(&a, &b) - 3.0).abs() < 1e-12);
        assert_eq!(wasserstein1(&a, &[]), f64::INFINITY);
    }
}
