//! `Network`: the compiler's graph IR and spikefab's native RON network format.
//!
//! Populations of discrete-time neurons joined by weighted projections, in
//! floating point, already discretized at `dt`. NIR graphs are lowered to it;
//! users can also write it directly (`docs/formats.md`), with explicit sparse
//! connectivity and a neuron model per population.
//!
//! Timing: populations are listed in feed-forward order. A projection from an
//! input or an earlier population is *feed-forward*: its spikes arrive in the
//! same step (plus `delay`). A projection from the same or a later population
//! is *recurrent*: it carries the previous step's spikes (plus `delay`).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

use spikefab_chip::Reset;

use crate::error::{CompileError, Result};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    pub name: String,
    /// Seconds per timestep.
    pub dt: f64,
    pub inputs: Vec<Input>,
    pub populations: Vec<Population>,
    pub projections: Vec<Projection>,
    /// Populations read out, in output-channel order.
    pub outputs: Vec<String>,
    /// Seeds the noise of noisy populations (the float reference's stream
    /// and the chip's); required when any population is noisy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_seed: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub name: String,
    pub size: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    pub name: String,
    pub size: usize,
    pub neuron: Neuron,
    /// How its neurons reset after a spike: `Zero` (default) or
    /// `Subtract(max_spikes: k)` (θ subtracted per spike, up to k spikes a step).
    #[serde(default)]
    pub reset: Reset,
    /// A threshold and input weighting that vary with the timestep (CE-LIF's
    /// contextual embedding, STDI coding); none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// Noise added to every neuron's input each step (NSNN, TeCoS-LVM):
    /// `Some((amplitude: A))`, uniform in [−A, A) in input (weight) units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<InputNoise>,
    /// Dendritic branches (arXiv 2306.11950): `Some((branches: K, cap: C))`.
    /// Each neuron then has K input slots — row `neuron·K + branch` of every
    /// projection into the population — each rectified and capped at C
    /// (input units) before the soma sums them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dendrites: Option<Dendrites>,
}

impl Population {
    /// `size` neurons of `neuron`, reset to zero, without schedule, noise
    /// or dendrites.
    pub fn new(name: impl Into<String>, size: usize, neuron: Neuron) -> Population {
        Population {
            name: name.into(),
            size,
            neuron,
            reset: Default::default(),
            schedule: None,
            noise: None,
            dendrites: None,
        }
    }

    /// Branches per neuron: 1 for point neurons.
    pub fn branches(&self) -> usize {
        self.dendrites.map_or(1, |d| d.branches)
    }

    /// Its input slots, the targets of projections into it: `size · branches`.
    pub fn input_slots(&self) -> usize {
        self.size * self.branches()
    }
}

/// A population's dendritic branches: branch `k` of a neuron sums its own
/// synapses `b_k` (in input units, after any schedule weighting) and adds
/// `min(max(b_k, 0), cap)` to the neuron's input.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dendrites {
    pub branches: usize,
    pub cap: f64,
}

impl Dendrites {
    /// The branch nonlinearity.
    pub fn branch(&self, b: f64) -> f64 {
        b.clamp(0.0, self.cap)
    }
}

/// A population's input noise: each step every neuron's input gets an
/// independent draw, uniform in `[−amplitude, amplitude)`. On a chip the
/// amplitude is a power of two of the layer's input units (Loihi's noise
/// exponent; model/noise.rs), the nearest to this one.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputNoise {
    pub amplitude: f64,
}

/// A population's per-step table: at step `t` (of the network, as the float
/// reference counts them: the step of the input) entry `t mod len` applies.
///
/// - `threshold[k]`: added to every neuron's threshold; `None` holds the
///   population (no neuron fires that step).
/// - `input_shift[k]`: every synaptic input of the step is weighted by
///   `2^input_shift[k]` (the chip adds it to the layer's weight exponent).
///
/// Either list may be left out (no offsets, no weighting); given both, they
/// have the same length. Written in RON as
/// `schedule: Some((threshold: [Some(0.1), None], input_shift: [0, -1]))`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    #[serde(default)]
    pub threshold: Vec<Option<f64>>,
    #[serde(default)]
    pub input_shift: Vec<i8>,
}

/// Largest |input_shift| of a schedule entry: more than any chip's exponent range.
pub const MAX_INPUT_SHIFT: i8 = 16;

impl Schedule {
    /// Entries in one period.
    pub fn len(&self) -> usize {
        self.threshold.len().max(self.input_shift.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entry `t mod len`: the threshold offset (`None`: hold) and input shift.
    pub fn at(&self, t: usize) -> (Option<f64>, i8) {
        let k = t % self.len();
        (
            self.threshold.get(k).copied().unwrap_or(Some(0.0)),
            self.input_shift.get(k).copied().unwrap_or(0),
        )
    }

    /// The smallest and largest input shift, each bounded by 0 (no shift).
    pub fn shift_range(&self) -> (i8, i8) {
        self.input_shift
            .iter()
            .fold((0, 0), |(lo, hi), &s| (lo.min(s), hi.max(s)))
    }

    /// The largest threshold increase any entry makes (≥ 0).
    pub fn max_offset(&self) -> f64 {
        self.threshold
            .iter()
            .flatten()
            .fold(0.0f64, |m, &x| m.max(x))
    }

    /// `lowest`: the population's lowest threshold, `None` for readouts.
    fn check(&self, lowest: Option<f64>) -> std::result::Result<(), String> {
        let spiking = lowest.is_some();
        use spikefab_chip::model::schedule::MAX_SCHEDULE_LEN;
        let (nt, ns) = (self.threshold.len(), self.input_shift.len());
        if nt == 0 && ns == 0 {
            return Err("schedule: length 0 (give threshold or input_shift entries)".into());
        }
        if nt > 0 && ns > 0 && nt != ns {
            return Err(format!(
                "schedule: threshold has {nt} entries, input_shift {ns}; they must have the same length"
            ));
        }
        if self.len() > MAX_SCHEDULE_LEN {
            return Err(format!(
                "schedule: {} entries, more than {MAX_SCHEDULE_LEN}",
                self.len()
            ));
        }
        if let Some(k) = self
            .threshold
            .iter()
            .position(|x| x.is_some_and(|x| !x.is_finite()))
        {
            return Err(format!("schedule: threshold[{k}] is not finite"));
        }
        if let Some(k) = self
            .input_shift
            .iter()
            .position(|s| s.unsigned_abs() > MAX_INPUT_SHIFT as u8)
        {
            return Err(format!(
                "schedule: input_shift[{k}] is {}, outside ±{MAX_INPUT_SHIFT}",
                self.input_shift[k]
            ));
        }
        if let Some(th) = lowest {
            if let Some(k) = self
                .threshold
                .iter()
                .position(|x| x.is_some_and(|x| th + x < 0.0))
            {
                return Err(format!(
                    "schedule: threshold[{k}] = {} takes the lowest threshold, {th}, below 0",
                    self.threshold[k].unwrap_or(0.0)
                ));
            }
        }
        if !spiking && self.threshold.iter().any(|x| *x != Some(0.0)) {
            return Err(
                "schedule: a readout never fires, so it has no threshold to schedule (give input_shift only)"
                    .into(),
            );
        }
        Ok(())
    }
}

/// A scalar shared by a population, or one value per neuron.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    Scalar(f64),
    PerNeuron(Vec<f64>),
}

impl Default for Param {
    fn default() -> Self {
        Param::Scalar(0.0)
    }
}

impl Param {
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Param::Scalar(x) => *x,
            Param::PerNeuron(v) => v[i],
        }
    }

    fn check(&self, size: usize, what: &str) -> std::result::Result<(), String> {
        match self {
            Param::PerNeuron(v) if v.len() != size => {
                Err(format!("{what} has {} values for {size} neurons", v.len()))
            }
            Param::PerNeuron(v) if v.iter().any(|x| !x.is_finite()) => {
                Err(format!("{what} holds a non-finite value"))
            }
            Param::Scalar(x) if !x.is_finite() => Err(format!("{what} is not finite")),
            _ => Ok(()),
        }
    }

    pub fn max_abs(&self) -> f64 {
        match self {
            Param::Scalar(x) => x.abs(),
            Param::PerNeuron(v) => v.iter().fold(0.0, |m, x| m.max(x.abs())),
        }
    }
}

/// Per-step neuron dynamics. Every spiking model resets `v` to 0 in the step it fires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Neuron {
    /// `v ← β·v + I + bias`; spike when `v > threshold`.
    Lif {
        beta: Param,
        threshold: Param,
        #[serde(default)]
        bias: Param,
    },
    /// `i ← α·i + I + current_bias`; `v ← β·v + i + bias`; spike when `v > threshold`.
    CubaLif {
        alpha: Param,
        beta: Param,
        threshold: Param,
        #[serde(default)]
        bias: Param,
        /// A constant input to the current (e.g. a bias of the layer feeding it).
        #[serde(default)]
        current_bias: Param,
    },
    /// `v ← v + I + bias`; spike when `v > threshold`.
    If {
        threshold: Param,
        #[serde(default)]
        bias: Param,
    },
    /// `v ← β·v + I + bias`, never spikes (readout).
    Li {
        beta: Param,
        #[serde(default)]
        bias: Param,
    },
    /// Adaptive LIF (LSNN): `i ← α·i + I`; `v ← β·v + i + bias`;
    /// `a ← adaptation·a`; spike when `v > threshold + a`; then
    /// `a ← a + threshold_step` per spike (docs/models.md).
    Alif {
        /// Current decay; 0 (the default) adds each step's input straight to `v`.
        #[serde(default)]
        alpha: Param,
        beta: Param,
        /// The resting threshold.
        threshold: Param,
        #[serde(default)]
        bias: Param,
        /// Per-step keep factor of the threshold's adaptive part, in [0, 1].
        adaptation: Param,
        /// Threshold increase per spike, ≥ 0.
        threshold_step: Param,
    },
    /// `i ← α·i + I + current_bias`; `v ← β·v + i + bias`, never spikes.
    CubaLi {
        alpha: Param,
        beta: Param,
        #[serde(default)]
        bias: Param,
        #[serde(default)]
        current_bias: Param,
    },
}

/// The dynamics of one neuron in the common form all models share.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dynamics {
    /// Current decay; 0 means the current is just this step's input.
    pub alpha: f64,
    /// Membrane decay; 1 means no leak.
    pub beta: f64,
    /// `None` for readouts that never spike.
    pub threshold: Option<f64>,
    /// Constant added to the membrane each step.
    pub bias: f64,
    /// Constant added to the current each step (CUBA models).
    pub current_bias: f64,
    /// An adaptive threshold (ALIF), if the model has one.
    pub adaptation: Option<Adaptation>,
}

/// A threshold's adaptive part: decays by `decay` per step, rises by `step`
/// per spike, and adds to the resting threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adaptation {
    pub decay: f64,
    pub step: f64,
}

/// Every parameter of a neuron, by name: one match for shared and
/// mutable access (the binding mode follows `$n`'s type).
macro_rules! neuron_params {
    ($n:expr) => {
        match $n {
            Neuron::Lif {
                beta,
                threshold,
                bias,
            } => vec![("beta", beta), ("threshold", threshold), ("bias", bias)],
            Neuron::CubaLif {
                alpha,
                beta,
                threshold,
                bias,
                current_bias,
            } => vec![
                ("alpha", alpha),
                ("beta", beta),
                ("threshold", threshold),
                ("bias", bias),
                ("current_bias", current_bias),
            ],
            Neuron::If { threshold, bias } => vec![("threshold", threshold), ("bias", bias)],
            Neuron::Li { beta, bias } => vec![("beta", beta), ("bias", bias)],
            Neuron::Alif {
                alpha,
                beta,
                threshold,
                bias,
                adaptation,
                threshold_step,
            } => vec![
                ("alpha", alpha),
                ("beta", beta),
                ("threshold", threshold),
                ("bias", bias),
                ("adaptation", adaptation),
                ("threshold_step", threshold_step),
            ],
            Neuron::CubaLi {
                alpha,
                beta,
                bias,
                current_bias,
            } => vec![
                ("alpha", alpha),
                ("beta", beta),
                ("bias", bias),
                ("current_bias", current_bias),
            ],
        }
    };
}

impl Neuron {
    pub fn dynamics(&self, i: usize) -> Dynamics {
        let d = |alpha: f64, beta: f64, threshold: Option<f64>, bias: &Param, current_bias: f64| {
            Dynamics {
                alpha,
                beta,
                threshold,
                bias: bias.get(i),
                current_bias,
                adaptation: None,
            }
        };
        match self {
            Neuron::Lif {
                beta,
                threshold,
                bias,
            } => d(0.0, beta.get(i), Some(threshold.get(i)), bias, 0.0),
            Neuron::CubaLif {
                alpha,
                beta,
                threshold,
                bias,
                current_bias,
            } => d(
                alpha.get(i),
                beta.get(i),
                Some(threshold.get(i)),
                bias,
                current_bias.get(i),
            ),
            Neuron::If { threshold, bias } => d(0.0, 1.0, Some(threshold.get(i)), bias, 0.0),
            Neuron::Li { beta, bias } => d(0.0, beta.get(i), None, bias, 0.0),
            Neuron::Alif {
                alpha,
                beta,
                threshold,
                bias,
                adaptation,
                threshold_step,
            } => Dynamics {
                adaptation: Some(Adaptation {
                    decay: adaptation.get(i),
                    step: threshold_step.get(i),
                }),
                ..d(alpha.get(i), beta.get(i), Some(threshold.get(i)), bias, 0.0)
            },
            Neuron::CubaLi {
                alpha,
                beta,
                bias,
                current_bias,
            } => d(alpha.get(i), beta.get(i), None, bias, current_bias.get(i)),
        }
    }

    pub fn spiking(&self) -> bool {
        matches!(
            self,
            Neuron::Lif { .. } | Neuron::CubaLif { .. } | Neuron::If { .. } | Neuron::Alif { .. }
        )
    }

    /// A parameter outside the range the model is defined on, named.
    fn range_error(&self, size: usize) -> Option<String> {
        if let Neuron::Alif {
            adaptation,
            threshold_step,
            ..
        } = self
        {
            for i in 0..size {
                let (rho, step) = (adaptation.get(i), threshold_step.get(i));
                if !(0.0..=1.0).contains(&rho) {
                    return Some(format!(
                        "adaptation of neuron {i} is {rho}: a per-step keep factor in [0, 1]"
                    ));
                }
                if step < 0.0 {
                    return Some(format!(
                        "threshold_step of neuron {i} is {step}: spikes raise the threshold (≥ 0)"
                    ));
                }
            }
        }
        None
    }

    fn params(&self) -> Vec<(&'static str, &Param)> {
        neuron_params!(self)
    }

    /// Every parameter, mutably (the compiler's module clustering permutes
    /// per-neuron values).
    pub(crate) fn params_mut(&mut self) -> Vec<(&'static str, &mut Param)> {
        neuron_params!(self)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Projection {
    /// An input or a population.
    pub from: String,
    /// A population.
    pub to: String,
    pub weights: Weights,
    /// Extra timesteps before the spikes arrive.
    #[serde(default)]
    pub delay: u32,
    /// Fast plastic weights on every synapse of the projection (HebbFF),
    /// if any: `Some((rate: η, decay: λ))`, below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plasticity: Option<Plasticity>,
}

/// A projection's plasticity (HebbFF's fast weights; model/plasticity.rs).
/// Every synapse carries a plastic part `a` (0 at the start of a run) and
/// delivers `w + a`. Traces count spikes: a source's `x` the spikes it
/// sent into this step, a target neuron's `y` those it fired, each
/// `x ← trace_keep · x + spikes`. After every `epoch` steps (counted from
/// the network's step 0), `a ← decay · a + rate · x · y` (a negative rate
/// is anti-Hebbian). Written `plasticity: Some((rate: -0.1, decay: 0.9))`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plasticity {
    pub rate: f64,
    pub decay: f64,
    #[serde(default = "one_step")]
    pub epoch: u32,
    #[serde(default)]
    pub trace_keep: f64,
}

fn one_step() -> u32 {
    1
}

/// Connection weights, `to × from`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Weights {
    /// Row `r` holds the weights into target neuron `r`.
    Dense(Vec<Vec<f64>>),
    /// Only the non-zero synapses: `(target, source, weight)`.
    Sparse {
        targets: usize,
        sources: usize,
        synapses: Vec<(u32, u32, f64)>,
    },
    /// Drawn, not listed (NEST's `fixed_outdegree` rule, multapses and
    /// autapses allowed): each source sends `out_degree` synapses, each to
    /// a target drawn uniformly from `0..targets` with a weight drawn
    /// uniformly from `[low, high)` (`low` when they are equal); a weight
    /// that comes out 0 is no synapse. Source `s`'s row is ChaCha8 seeded
    /// with `seed`, stream `s`: target then weight, synapse after synapse
    /// ([`DrawnRow`]). Any row can be drawn alone, on any thread, in any
    /// order, so a network of 10⁸ synapses costs a few bytes until the
    /// compiler quantizes it (decision 79).
    FixedOutDegree {
        targets: usize,
        sources: usize,
        out_degree: u32,
        low: f64,
        high: f64,
        seed: u64,
    },
}

/// Source `s`'s synapses of a [`Weights::FixedOutDegree`] projection, drawn
/// as they are read.
#[derive(Clone, Debug)]
pub struct DrawnRow {
    rng: ChaCha8Rng,
    left: u32,
    targets: u32,
    low: f64,
    span: f64,
}

impl DrawnRow {
    fn new(seed: u64, source: usize, targets: usize, out_degree: u32, low: f64, high: f64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(source as u64);
        DrawnRow {
            rng,
            // no target to draw from: no synapse (validation refuses it)
            left: if targets == 0 { 0 } else { out_degree },
            targets: targets.min(u32::MAX as usize) as u32,
            low,
            span: high - low,
        }
    }
}

impl Iterator for DrawnRow {
    type Item = (u32, f64);

    #[inline]
    fn next(&mut self) -> Option<(u32, f64)> {
        while self.left > 0 {
            self.left -= 1;
            let t = self.rng.random_range(0..self.targets);
            let w = self.low + self.span * self.rng.random::<f64>();
            if w != 0.0 {
                return Some((t, w));
            }
        }
        None
    }
}

impl Weights {
    pub fn shape(&self) -> (usize, usize) {
        match self {
            Weights::Dense(rows) => (rows.len(), rows.first().map_or(0, Vec::len)),
            Weights::Sparse {
                targets, sources, ..
            }
            | Weights::FixedOutDegree {
                targets, sources, ..
            } => (*targets, *sources),
        }
    }

    /// How many synapses the weights list or draw at most (zeros
    /// included), without drawing one: what validation bounds.
    pub fn synapse_bound(&self) -> usize {
        match self {
            Weights::Dense(rows) => rows.iter().map(Vec::len).sum(),
            Weights::Sparse { synapses, .. } => synapses.len(),
            &Weights::FixedOutDegree {
                sources,
                out_degree,
                ..
            } => sources.saturating_mul(out_degree as usize),
        }
    }

    /// Source `s`'s row of a drawn projection (`None` for a listed one).
    pub fn drawn_row(&self, s: usize) -> Option<DrawnRow> {
        match *self {
            Weights::FixedOutDegree {
                targets,
                out_degree,
                low,
                high,
                seed,
                ..
            } => Some(DrawnRow::new(seed, s, targets, out_degree, low, high)),
            _ => None,
        }
    }

    /// The same synapses as a list, in row order, for code that edits
    /// them one by one: a drawn projection becomes [`Weights::Sparse`]
    /// (and compiles to the same program); a listed one is left alone.
    pub fn make_listed(&mut self) {
        if let Weights::FixedOutDegree {
            targets, sources, ..
        } = *self
        {
            let synapses = (0..sources)
                .flat_map(|s| {
                    self.drawn_row(s)
                        .into_iter()
                        .flatten()
                        .map(move |(t, w)| (t, s as u32, w))
                })
                .collect();
            *self = Weights::Sparse {
                targets,
                sources,
                synapses,
            };
        }
    }

    /// Non-zero synapses grouped by source: `out[s] = [(target, w), ...]`.
    pub fn by_source(&self) -> Vec<Vec<(u32, f64)>> {
        let (targets, sources) = self.shape();
        let mut out = vec![Vec::new(); sources];
        match self {
            Weights::Dense(rows) => {
                for (t, row) in rows.iter().enumerate().take(targets) {
                    for (s, &w) in row.iter().enumerate() {
                        if w != 0.0 {
                            out[s].push((t as u32, w));
                        }
                    }
                }
            }
            Weights::Sparse { synapses, .. } => {
                for &(t, s, w) in synapses {
                    if w != 0.0 {
                        out[s as usize].push((t, w));
                    }
                }
            }
            Weights::FixedOutDegree { .. } => {
                for (s, row) in out.iter_mut().enumerate() {
                    row.extend(self.drawn_row(s).into_iter().flatten());
                }
            }
        }
        out
    }

    /// [`Weights::by_source`] as an index into the weights rather than a
    /// copy of them: 4 bytes per sparse synapse instead of 16, the same
    /// rows in the same order.
    pub fn index_by_source(&self) -> BySource<'_> {
        let (_, sources) = self.shape();
        let order = match self {
            Weights::Dense(_) => Order::Dense,
            Weights::FixedOutDegree { .. } => Order::Drawn,
            Weights::Sparse { synapses, .. } => {
                // A generated or exported list is usually in source order
                // already: then each row is a range of it.
                if synapses.windows(2).all(|p| p[0].1 <= p[1].1) {
                    let mut ranges = vec![0usize; sources + 1];
                    for &(_, s, _) in synapses {
                        ranges[s as usize + 1] += 1;
                    }
                    for i in 1..ranges.len() {
                        ranges[i] += ranges[i - 1];
                    }
                    Order::Sorted(ranges)
                } else {
                    // A stable counting sort of the non-zero synapses by source.
                    let mut offsets = vec![0usize; sources + 1];
                    for &(_, s, w) in synapses {
                        if w != 0.0 {
                            offsets[s as usize + 1] += 1;
                        }
                    }
                    for i in 1..offsets.len() {
                        offsets[i] += offsets[i - 1];
                    }
                    let mut order = vec![0u32; offsets[sources]];
                    let mut fill = offsets.clone();
                    for (k, &(_, s, w)) in synapses.iter().enumerate() {
                        if w != 0.0 {
                            order[fill[s as usize]] = k as u32;
                            fill[s as usize] += 1;
                        }
                    }
                    Order::Indexed(offsets, order)
                }
            }
        };
        BySource {
            weights: self,
            sources,
            order,
        }
    }

    /// Non-zero synapses, without building anything.
    pub fn count_nonzero(&self) -> usize {
        match self {
            Weights::Dense(rows) => rows.iter().flatten().filter(|&&w| w != 0.0).count(),
            Weights::Sparse { synapses, .. } => {
                synapses.iter().filter(|&&(_, _, w)| w != 0.0).count()
            }
            &Weights::FixedOutDegree {
                sources,
                out_degree,
                low,
                high,
                ..
            } => {
                if low > 0.0 || high < 0.0 {
                    // no draw in [low, high) can be 0
                    sources * out_degree as usize
                } else {
                    (0..sources)
                        .map(|s| self.drawn_row(s).map_or(0, Iterator::count))
                        .sum()
                }
            }
        }
    }

    pub fn max_abs(&self) -> f64 {
        match self {
            Weights::Dense(rows) => rows.iter().flatten().fold(0.0, |m, w| m.max(w.abs())),
            Weights::Sparse { synapses, .. } => synapses.iter().fold(0.0, |m, s| m.max(s.2.abs())),
            Weights::FixedOutDegree { sources, .. } => (0..*sources)
                .flat_map(|s| self.drawn_row(s).into_iter().flatten())
                .fold(0.0, |m, (_, w)| m.max(w.abs())),
        }
    }
}

/// A projection's non-zero synapses grouped by source, as an index into
/// its weights (built by [`Weights::index_by_source`]): row `s` yields
/// `(target, weight)` in the order [`Weights::by_source`] lists them.
pub struct BySource<'a> {
    weights: &'a Weights,
    sources: usize,
    order: Order,
}

/// How [`BySource`] finds a source's row.
enum Order {
    /// Column `s` of the dense rows.
    Dense,
    /// The sparse list is in source order: row `s` is `list[r[s]..r[s + 1]]`
    /// (its zero weights skipped).
    Sorted(Vec<usize>),
    /// Per source its range of the index, and the non-zero synapses'
    /// positions in the list sorted (stably) by source.
    Indexed(Vec<usize>, Vec<u32>),
    /// Drawn as read ([`DrawnRow`]).
    Drawn,
}

impl BySource<'_> {
    /// Source `s`'s synapses.
    pub fn row(&self, s: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
        let (dense, sorted, indexed) = match (self.weights, &self.order) {
            (Weights::Dense(rows), _) => (Some(rows), None, None),
            (Weights::Sparse { synapses, .. }, Order::Sorted(r)) => {
                (None, Some(&synapses[r[s]..r[s + 1]]), None)
            }
            (Weights::Sparse { synapses, .. }, Order::Indexed(offsets, order)) => (
                None,
                None,
                Some((synapses, &order[offsets[s]..offsets[s + 1]])),
            ),
            (Weights::FixedOutDegree { .. }, _) => (None, None, None),
            (Weights::Sparse { .. }, Order::Dense | Order::Drawn) => {
                unreachable!("sparse weights are indexed")
            }
        };
        let dense = dense.into_iter().flat_map(move |rows| {
            rows.iter()
                .enumerate()
                .map(move |(t, row)| (t as u32, row[s]))
                .filter(|&(_, w)| w != 0.0)
        });
        let sorted = sorted
            .into_iter()
            .flat_map(|row| row.iter().filter(|x| x.2 != 0.0).map(|&(t, _, w)| (t, w)));
        let indexed = indexed.into_iter().flat_map(|(synapses, ks)| {
            ks.iter().map(move |&k| {
                let (t, _, w) = synapses[k as usize];
                (t, w)
            })
        });
        let drawn = self.weights.drawn_row(s).into_iter().flatten();
        dense.chain(sorted).chain(indexed).chain(drawn)
    }

    /// How many synapses row `s` lists at most (a sparse list's explicit
    /// zeros included): room to make, not a count.
    pub fn row_len_bound(&self, s: usize) -> usize {
        match (self.weights, &self.order) {
            (Weights::Dense(rows), _) => rows.len(),
            (&Weights::FixedOutDegree { out_degree, .. }, _) => out_degree as usize,
            (_, Order::Sorted(r)) => r[s + 1] - r[s],
            (_, Order::Indexed(offsets, _)) => offsets[s + 1] - offsets[s],
            (_, Order::Dense | Order::Drawn) => 0,
        }
    }

    /// How many sources (rows) there are.
    pub fn sources(&self) -> usize {
        self.sources
    }

    /// Every source's row, in source order.
    pub fn rows(&self) -> impl Iterator<Item = impl Iterator<Item = (u32, f64)> + '_> + '_ {
        (0..self.sources).map(move |s| self.row(s))
    }

    /// How many synapses the rows list at most (a sparse list's explicit
    /// zeros included): a size for splitting work, not a count.
    pub fn listed(&self) -> usize {
        match (self.weights, &self.order) {
            (Weights::Dense(rows), _) => rows.len() * self.sources,
            (&Weights::FixedOutDegree { out_degree, .. }, _) => out_degree as usize * self.sources,
            (_, Order::Sorted(r)) => r.last().copied().unwrap_or(0),
            (_, Order::Indexed(_, order)) => order.len(),
            (_, Order::Dense | Order::Drawn) => 0,
        }
    }

    /// Every synapse, row after row.
    pub fn all(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        // A list already in source order is its rows back to back: one
        // straight pass, not a nested iterator per row.
        let straight = match (self.weights, &self.order) {
            (Weights::Sparse { synapses, .. }, Order::Sorted(_)) => Some(synapses),
            _ => None,
        };
        let nested = straight.is_none().then(|| self.rows().flatten());
        let straight = straight
            .into_iter()
            .flat_map(|list| list.iter().filter(|x| x.2 != 0.0).map(|&(t, _, w)| (t, w)));
        straight.chain(nested.into_iter().flatten())
    }
}

/// Where a projection comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    Input(usize),
    Population(usize),
}

impl Network {
    pub fn load(path: &Path) -> Result<Network> {
        let text = std::fs::read_to_string(path).map_err(|e| CompileError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::from_ron_str(&text, path)
    }

    /// Parses and validates a network's RON text; `origin` names it in errors.
    pub fn from_ron_str(text: &str, origin: &Path) -> Result<Network> {
        let net: Network = ron::from_str(text).map_err(|e| CompileError::Ron {
            path: origin.to_path_buf(),
            message: e.to_string(),
        })?;
        net.validate()?;
        Ok(net)
    }

    pub fn to_ron(&self) -> String {
        ron::ser::to_string_pretty(
            self,
            ron::ser::PrettyConfig::new()
                .depth_limit(4)
                .compact_arrays(true),
        )
        .expect("a network always serializes")
    }

    fn invalid(&self, message: String) -> CompileError {
        CompileError::Invalid {
            network: self.name.clone(),
            message,
        }
    }

    pub fn source(&self, name: &str) -> Option<Source> {
        self.inputs
            .iter()
            .position(|i| i.name == name)
            .map(Source::Input)
            .or_else(|| self.population(name).map(Source::Population))
    }

    pub fn population(&self, name: &str) -> Option<usize> {
        self.populations.iter().position(|p| p.name == name)
    }

    pub fn source_size(&self, s: Source) -> usize {
        match s {
            Source::Input(i) => self.inputs[i].size,
            Source::Population(p) => self.populations[p].size,
        }
    }

    /// Checks names, sizes, shapes, parameters and timing against each other
    /// and against [`spikefab_chip::limits`]; errors name the layer and field.
    pub fn validate(&self) -> Result<()> {
        use spikefab_chip::limits::{MAX_DELAY, MAX_LAYER, MAX_LAYERS, MAX_NEURONS, MAX_SYNAPSES};
        use spikefab_chip::text::check_name;
        // The name goes into messages: check it before using it there.
        if let Err(m) = check_name("the network's name", &self.name) {
            return Err(CompileError::Invalid {
                network: spikefab_chip::text::escape(&self.name),
                message: m,
            });
        }
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(self.invalid(format!(
                "dt must be a positive number of seconds, found {}",
                self.dt
            )));
        }
        if self.populations.is_empty() || self.outputs.is_empty() {
            return Err(self.invalid(
                "the network has no populations or no outputs: there is nothing to compile".into(),
            ));
        }
        let layers = self.inputs.len() + self.populations.len();
        if layers > MAX_LAYERS || self.projections.len() > 16 * MAX_LAYERS {
            return Err(self.invalid(format!(
                "{layers} layers and {} projections; at most {MAX_LAYERS} layers and {} projections are allowed",
                self.projections.len(),
                16 * MAX_LAYERS
            )));
        }
        let mut neurons = 0usize;
        for (what, name, size) in self
            .inputs
            .iter()
            .map(|i| ("input", &i.name, i.size))
            .chain(
                self.populations
                    .iter()
                    .map(|p| ("population", &p.name, p.size)),
            )
        {
            check_name(&format!("{what} name"), name).map_err(|m| self.invalid(m))?;
            if size == 0 || size > MAX_LAYER {
                return Err(self.invalid(format!(
                    "{what} '{name}': size {size} is outside 1..={MAX_LAYER}"
                )));
            }
            neurons += size;
        }
        if neurons > MAX_NEURONS {
            return Err(self.invalid(format!(
                "{neurons} inputs and neurons in all, more than the {MAX_NEURONS} allowed"
            )));
        }
        let mut synapses = 0usize;
        for (k, pr) in self.projections.iter().enumerate() {
            if pr.delay > MAX_DELAY {
                return Err(self.invalid(format!(
                    "projection {k} ('{}' → '{}'): delay {} steps is more than {MAX_DELAY}",
                    pr.from, pr.to, pr.delay
                )));
            }
            synapses = synapses.saturating_add(pr.weights.synapse_bound());
        }
        if synapses > MAX_SYNAPSES {
            return Err(self.invalid(format!(
                "{synapses} synapses, more than the {MAX_SYNAPSES} allowed"
            )));
        }
        let mut seen = HashMap::new();
        for name in self
            .inputs
            .iter()
            .map(|i| &i.name)
            .chain(self.populations.iter().map(|p| &p.name))
        {
            if seen.insert(name.clone(), ()).is_some() {
                return Err(self.invalid(format!("the name '{name}' is used twice")));
            }
        }
        for p in &self.populations {
            if p.size == 0 {
                return Err(self.invalid(format!("population '{}' has no neurons", p.name)));
            }
            if let Reset::Subtract { max_spikes } = p.reset {
                let most = spikefab_chip::arch::MAX_SPIKES_PER_STEP;
                if !(1..=most).contains(&max_spikes) {
                    return Err(self.invalid(format!(
                        "population '{}': reset Subtract(max_spikes: {max_spikes}) must allow 1..={most} spikes a step",
                        p.name
                    )));
                }
                if !p.neuron.spiking() {
                    return Err(self.invalid(format!(
                        "population '{}' never spikes: a Subtract reset has nothing to reset",
                        p.name
                    )));
                }
            }
            for (what, param) in p.neuron.params() {
                param
                    .check(p.size, what)
                    .map_err(|m| self.invalid(format!("population '{}': {m}", p.name)))?;
            }
            if let Some(m) = p.neuron.range_error(p.size) {
                return Err(self.invalid(format!("population '{}': {m}", p.name)));
            }
            if let Some(n) = &p.noise {
                if !(n.amplitude.is_finite() && n.amplitude > 0.0) {
                    return Err(self.invalid(format!(
                        "population '{}': noise amplitude {} must be a positive number",
                        p.name, n.amplitude
                    )));
                }
                if self.noise_seed.is_none() {
                    return Err(self.invalid(format!(
                        "population '{}' is noisy, and the network has no noise_seed (give one: the same seed gives the same spikes)",
                        p.name
                    )));
                }
            }
            if let Some(d) = &p.dendrites {
                let most = spikefab_chip::model::dendrites::MAX_BRANCHES as usize;
                if !(1..=most).contains(&d.branches) {
                    return Err(self.invalid(format!(
                        "population '{}': dendrites branches {} is outside 1..={most}",
                        p.name, d.branches
                    )));
                }
                if !(d.cap.is_finite() && d.cap > 0.0) {
                    return Err(self.invalid(format!(
                        "population '{}': dendrites cap {} must be a positive number",
                        p.name, d.cap
                    )));
                }
            }
            if let Some(s) = &p.schedule {
                let lowest = (0..p.size)
                    .filter_map(|i| p.neuron.dynamics(i).threshold)
                    .reduce(f64::min);
                s.check(lowest)
                    .map_err(|m| self.invalid(format!("population '{}': {m}", p.name)))?;
            }
        }
        let index = self.index();
        for (k, pr) in self.projections.iter().enumerate() {
            let here = format!(
                "projection {k} ('{}' → '{}')",
                spikefab_chip::text::escape(&pr.from),
                spikefab_chip::text::escape(&pr.to)
            );
            let Some(&src) = index.get(pr.from.as_str()) else {
                return Err(self.invalid(format!(
                    "{here}: no input or population is called '{}'",
                    spikefab_chip::text::escape(&pr.from)
                )));
            };
            let Some(&Source::Population(dst)) = index.get(pr.to.as_str()) else {
                return Err(self.invalid(format!(
                    "{here}: no population is called '{}'",
                    spikefab_chip::text::escape(&pr.to)
                )));
            };
            let (t, s) = pr.weights.shape();
            let want = (self.populations[dst].input_slots(), self.source_size(src));
            if (t, s) != want {
                let slots = match self.populations[dst].dendrites {
                    Some(d) => format!(" (neurons × {} branches)", d.branches),
                    None => String::new(),
                };
                return Err(self.invalid(format!(
                    "{here}: weights are {t} × {s} (targets × sources), the layers need {} × {}{slots}",
                    want.0, want.1
                )));
            }
            if let Some(pl) = &pr.plasticity {
                let bad = |field: &str, v: String| {
                    Err(self.invalid(format!("{here}: plasticity {field} {v}")))
                };
                if !pl.rate.is_finite() {
                    return bad("rate", format!("{} is not a number", pl.rate));
                }
                if !(0.0..=1.0).contains(&pl.decay) {
                    return bad("decay", format!("{} is outside 0..=1", pl.decay));
                }
                if !(0.0..1.0).contains(&pl.trace_keep) {
                    return bad("trace_keep", format!("{} is outside 0..1", pl.trace_keep));
                }
                if !(1..=u16::MAX as u32).contains(&pl.epoch) {
                    return bad("epoch", format!("{} is outside 1..=65535", pl.epoch));
                }
                if pr.delay != 0 {
                    return bad(
                        "with a delay",
                        format!("of {} steps: plastic synapses have none", pr.delay),
                    );
                }
            }
            match &pr.weights {
                Weights::Dense(rows) => {
                    if rows.iter().any(|r| r.len() != s) {
                        return Err(
                            self.invalid(format!("{here}: dense weight rows differ in length"))
                        );
                    }
                    if rows.iter().flatten().any(|w| !w.is_finite()) {
                        return Err(self.invalid(format!("{here}: a weight is not finite")));
                    }
                }
                Weights::Sparse { synapses, .. } => {
                    if let Some(bad) = synapses.iter().find(|&&(tt, ss, w)| {
                        tt as usize >= t || ss as usize >= s || !w.is_finite()
                    }) {
                        return Err(self.invalid(format!(
                            "{here}: synapse {bad:?} lies outside {t} × {s} or is not finite"
                        )));
                    }
                }
                &Weights::FixedOutDegree {
                    out_degree,
                    low,
                    high,
                    ..
                } => {
                    if out_degree > 0 && t == 0 {
                        return Err(
                            self.invalid(format!("{here}: out_degree {out_degree} into no target"))
                        );
                    }
                    if !(low.is_finite() && high.is_finite() && (high - low).is_finite()) {
                        return Err(self.invalid(format!(
                            "{here}: weights [low, high) = [{low}, {high}) are not finite"
                        )));
                    }
                    if low > high {
                        return Err(
                            self.invalid(format!("{here}: weight low {low} is above high {high}"))
                        );
                    }
                }
            }
        }
        for o in &self.outputs {
            if !matches!(index.get(o.as_str()), Some(Source::Population(_))) {
                return Err(self.invalid(format!(
                    "output '{}' is not a population",
                    spikefab_chip::text::escape(o)
                )));
            }
        }
        self.depths().map(|_| ())
    }

    /// Whether a projection is feed-forward (from an input or an earlier population).
    pub fn is_feed_forward(&self, pr: &Projection) -> bool {
        match (self.source(&pr.from), self.population(&pr.to)) {
            (Some(Source::Input(_)), _) => true,
            (Some(Source::Population(p)), Some(q)) => p < q,
            _ => false,
        }
    }

    /// Pipeline depth of every population on a chip, where each hop costs one
    /// step: 1 + the deepest feed-forward source (inputs have depth 0).
    pub fn depths(&self) -> Result<Vec<u32>> {
        let index = self.index();
        let resolve = |pr: &Projection| {
            (
                index.get(pr.from.as_str()).copied(),
                index.get(pr.to.as_str()).copied(),
            )
        };
        // Feed-forward projections, by target, so that one pass in population order settles every depth.
        let mut into: Vec<Vec<usize>> = vec![Vec::new(); self.populations.len()];
        let mut recurrent = Vec::new();
        for pr in &self.projections {
            match resolve(pr) {
                (Some(Source::Population(p)), Some(Source::Population(q))) if p < q => {
                    into[q].push(p)
                }
                (Some(Source::Population(p)), Some(Source::Population(q))) => {
                    recurrent.push((p, q, pr))
                }
                _ => {}
            }
        }
        let mut d = vec![1u32; self.populations.len()];
        for q in 0..d.len() {
            for &p in &into[q] {
                d[q] = d[q].max(d[p] + 1);
            }
        }
        // A recurrent projection p → q delivers the previous step's spikes; on a
        // chip that takes d_q − d_p + delay extra steps, which must not be negative.
        for (p, q, pr) in recurrent {
            if d[q] + pr.delay < d[p] {
                return Err(self.invalid(format!(
                    "the recurrent projection '{}' → '{}' reaches {} layers back; a chip can only deliver it with a delay of at least {} steps",
                    pr.from,
                    pr.to,
                    d[p] - d[q],
                    d[p] - d[q]
                )));
            }
        }
        Ok(d)
    }

    /// Every input and population by name.
    fn index(&self) -> HashMap<&str, Source> {
        let mut m = HashMap::with_capacity(self.inputs.len() + self.populations.len());
        for (i, x) in self.inputs.iter().enumerate() {
            m.insert(x.name.as_str(), Source::Input(i));
        }
        for (p, x) in self.populations.iter().enumerate() {
            m.insert(x.name.as_str(), Source::Population(p));
        }
        m
    }

    /// The network as a chip with membrane-only biases runs it: a constant
    /// input to a CUBA current becomes its steady state `b / (1 − α)` on the
    /// membrane (exact once the current has settled, and for every other model).
    /// The quantizer compiles this form; compare chips against it.
    pub fn with_current_biases_on_membrane(&self) -> std::borrow::Cow<'_, Network> {
        let moves = |n: &Neuron| matches!(n, Neuron::CubaLif { .. } | Neuron::CubaLi { .. });
        // Nothing to move: no copy (the weights of a large network are gigabytes).
        if !self.populations.iter().any(|p| moves(&p.neuron)) {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut net = self.clone();
        for p in &mut net.populations {
            let size = p.size;
            let moved = |alpha: &Param, bias: &Param, cb: &Param| {
                Param::PerNeuron(
                    (0..size)
                        .map(|i| bias.get(i) + cb.get(i) / (1.0 - alpha.get(i)).max(1e-12))
                        .collect(),
                )
            };
            match &mut p.neuron {
                Neuron::CubaLif {
                    alpha,
                    bias,
                    current_bias,
                    ..
                }
                | Neuron::CubaLi {
                    alpha,
                    bias,
                    current_bias,
                    ..
                } => {
                    *bias = moved(alpha, bias, current_bias);
                    *current_bias = Param::Scalar(0.0);
                }
                _ => {}
            }
        }
        std::borrow::Cow::Owned(net)
    }

    /// Drops every projection's weights, keeping its shape: what the
    /// compiler does with a network it owns once the weights are quantized.
    pub(crate) fn release_weights(&mut self) {
        for pr in &mut self.projections {
            let (targets, sources) = pr.weights.shape();
            pr.weights = Weights::Sparse {
                targets,
                sources,
                synapses: Vec::new(),
            };
        }
    }

    pub fn num_synapses(&self) -> usize {
        self.projections
            .iter()
            .map(|p| p.weights.count_nonzero())
            .sum()
    }
}
