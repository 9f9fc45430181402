//! Quantization: a float `Network` into the chip's fixed-point formats.
//!
//! Per population, a gain `K` maps real membrane units to integer ones
//! (`v_int = v · K · 2^threshold_shift`), chosen so the largest threshold
//! uses all but two bits of the threshold field (leaving ±4× threshold of
//! membrane range), then lowered by less than 2× so that the largest incoming
//! weight lands exactly on the top of the weight field — or, when the
//! weights already lie on an integer grid (a quantization-aware trained
//! model's), so that every weight is an exact mantissa. Every projection into
//! the population shares one weight exponent (the chip scales the summed
//! input). Decays map to the arch's
//! rule (`du = round(4096·(1−α)) − offset` for `Mul12`, the nearest shift for
//! `Shift`); biases become mantissa × 2^exponent.

use spikefab_chip::{Arch, NeuronGroup, Reset};

use crate::error::{CompileError, Result};
use crate::models;
use crate::network::{BySource, Network, Source};

/// One population in chip formats: the whole layer as one neuron group,
/// which the mapper slices across cores.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantizedPopulation {
    pub group: NeuronGroup,
    /// Integer weight units per real weight before the exponent: w_int · 2^exp ≈ w · gain.
    pub gain: f64,
    /// The state register's range over the worst-case synaptic current
    /// (≥ 1: the current cannot wrap or saturate); `None` when the current
    /// never decays, so no input bound bounds it.
    pub current_headroom: Option<f64>,
    /// Bits the largest threshold mantissa uses (what the headroom cost).
    pub threshold_bits: Option<u32>,
    /// The largest error of the schedule's quantized threshold offsets,
    /// relative to the largest threshold (`None` without offsets).
    pub schedule_error: Option<f64>,
    /// The chip's noise amplitude against the network's, relative (`None`
    /// for a layer without noise): a power of two of the input units.
    pub noise_error: Option<f64>,
    /// The chip's dendrite cap against the network's, relative (`None`
    /// for point neurons).
    pub dendrite_error: Option<f64>,
}

/// The largest synaptic current any neuron of a population can reach, in
/// real units: its larger same-signed weight sum, every source firing every
/// step, accumulated to the steady state `/(1 − α)`. A dendritic neuron's
/// input is its branches' positive sums, each at most the cap. `None` if
/// some neuron's current never decays (α ≥ 1) while it has inputs.
fn worst_current(
    sums: &InputSums,
    dyns: &[crate::network::Dynamics],
    dendrites: Option<&crate::network::Dendrites>,
    input_gain: f64,
) -> Option<f64> {
    let k = dendrites.map_or(1, |d| d.branches);
    let (pos, neg) = (&sums.pos, &sums.neg);
    let mut worst = 0.0f64;
    for (i, d) in dyns.iter().enumerate() {
        let slots = i * k..(i + 1) * k;
        let drive = match dendrites {
            None => pos[i].max(neg[i]) * input_gain,
            Some(dd) => pos[slots].iter().map(|&p| dd.branch(p * input_gain)).sum(),
        };
        if drive == 0.0 {
            continue;
        }
        if d.alpha >= 1.0 {
            return None;
        }
        worst = worst.max(drive / (1.0 - d.alpha.max(0.0)));
    }
    Some(worst)
}

/// What the quantizer needs of a population's incoming weights, gathered
/// in one pass over them (on a large network every pass over the synapses
/// is a pass over gigabytes): per input slot the sums of its positive and
/// of its negative weights' magnitudes, and per projection its largest
/// |weight| and whether it mixes signs.
struct InputSums {
    pos: Vec<f64>,
    neg: Vec<f64>,
}

/// One projection's weights at a glance.
#[derive(Clone, Copy, Debug, Default)]
struct WeightStats {
    max_abs: f64,
    any_pos: bool,
    any_neg: bool,
}

impl WeightStats {
    fn mixed(&self) -> bool {
        self.any_pos && self.any_neg
    }
}

impl InputSums {
    /// Sums over `incoming`'s synapses (in source order, so that the float
    /// sums do not depend on how a file lists them), filling `stats` for
    /// each of those projections.
    ///
    /// On `threads` threads, each owns a range of the input slots and passes
    /// over every synapse, adding only its own: a slot's sum is the same
    /// additions in the same order as on one thread. (Its random writes are
    /// the cost — at 1 M neurons the sums are 16 MiB, twice the cache — and
    /// each thread's range is a fraction of them.)
    fn of(
        incoming: &[usize],
        by_source: &[BySource],
        slots: usize,
        stats: &mut [WeightStats],
        threads: usize,
    ) -> InputSums {
        // below this many synapses a thread costs more than it saves (a
        // thread's start is tens of µs; 2¹⁵ synapses take about a ms)
        const PER_THREAD: usize = 1 << 15;
        let synapses: usize = incoming.iter().map(|&k| by_source[k].listed()).sum();
        let parts = threads.min(synapses / PER_THREAD).clamp(1, slots.max(1));
        let bounds = |i: usize| slots * i / parts;
        let sums = crate::parallel::in_chunks(parts, parts, |i| {
            let (lo, len) = (bounds(i), bounds(i + 1) - bounds(i));
            // one slot more, where the others' synapses go: a branch on
            // whether a random target is ours would be mispredicted half
            // the time
            let mut pos = vec![0.0f64; len + 1];
            let mut neg = vec![0.0f64; len + 1];
            let mut part_stats = vec![WeightStats::default(); incoming.len()];
            for (st, &k) in part_stats.iter_mut().zip(incoming) {
                // (`for_each`, not `for`: the nested row iterators run ~8×
                // faster driven from inside, which matters at 10⁸ synapses)
                by_source[k].all().for_each(|(t, w)| {
                    let a = (t as usize).wrapping_sub(lo);
                    let at = if a < len { a } else { len };
                    st.max_abs = st.max_abs.max(w.abs());
                    if w > 0.0 {
                        st.any_pos = true;
                        pos[at] += w;
                    } else {
                        st.any_neg = true;
                        neg[at] -= w;
                    }
                });
            }
            pos.pop();
            neg.pop();
            (pos, neg, part_stats)
        });
        let (mut pos, mut neg) = (Vec::with_capacity(slots), Vec::with_capacity(slots));
        for (p, n, part_stats) in sums {
            pos.extend(p);
            neg.extend(n);
            for (st, &k) in part_stats.iter().zip(incoming) {
                let all = &mut stats[k];
                all.max_abs = all.max_abs.max(st.max_abs);
                all.any_pos |= st.any_pos;
                all.any_neg |= st.any_neg;
            }
        }
        InputSums { pos, neg }
    }
}

/// The largest |a| a plastic synapse can reach: traces at most one spike a
/// step (`1/(1 − trace_keep)`), an update `rate·x·y` every epoch decayed
/// by `decay` (a geometric sum; without decay, a thousand epochs').
fn plastic_bound(p: &crate::network::Plasticity) -> f64 {
    let trace = 1.0 / (1.0 - p.trace_keep);
    let epochs = if p.decay < 1.0 {
        1.0 / (1.0 - p.decay)
    } else {
        1000.0
    };
    p.rate.abs() * trace * trace * epochs
}

/// The mantissa the largest weight of a population's inputs should take.
/// Normally `w_max`, the top of the field. When the weights already lie on
/// a grid — every one an integer multiple `k` of `max_w / m` with `m ≤ w_max`,
/// as a quantization-aware trained model's do — the largest multiple of
/// `m` that fits, so that every weight maps to an integer exactly (an even
/// one where mixed-sign weights are kept even).
fn top_mantissa<I: Iterator<Item = f64>>(
    weights: impl Fn() -> I,
    max_w: f64,
    w_max: i32,
    even: bool,
) -> i32 {
    // f32 weights: a grid point is within a few ulps of k·step.
    const ON_GRID: f64 = 1e-4;
    // The weight that ruled out the last grid is tried first on the next:
    // a weight off one grid is usually off the next ones too, so a network
    // off every grid costs one pass, not one per mantissa (P16k at 1 M
    // neurons: 4 M input weights all on every grid came before the first
    // recurrent one, 3 s of its compile).
    let mut witness: Option<f64> = None;
    for m in (1..=w_max).rev() {
        let c = if even { (w_max / m) & !1 } else { w_max / m };
        if c == 0 {
            continue;
        }
        let step = max_w / m as f64;
        let on_grid = |w: f64| {
            let k = w / step;
            (k - k.round()).abs() <= ON_GRID
        };
        if witness.is_some_and(|w| !on_grid(w)) {
            continue;
        }
        match weights().find(|&w| !on_grid(w)) {
            None => return m * c,
            off => witness = off,
        }
    }
    w_max
}

/// One projection in chip formats.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantizedProjection {
    pub src: Source,
    pub dst: usize,
    /// Steps added on the chip beyond its one-step hop, so timing matches the network.
    pub chip_delay: u32,
    /// `by_source[s] = [(target, integer weight)]`, zeros dropped.
    pub by_source: Vec<Vec<(u32, i16)>>,
    /// Relative RMS error of the effective weights against the float ones.
    pub weight_error: f64,
    /// The learning rule of a plastic projection (its synapses are kept
    /// even where their trained weight rounds to 0: they learn).
    pub plastic: Option<spikefab_chip::model::LearningRule>,
    /// Its weights' left shift into the accumulator: its own weight
    /// exponent less its target group's (0 unless
    /// [`Options::projection_exponents`]).
    pub shift: u8,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QuantizedNetwork {
    pub populations: Vec<QuantizedPopulation>,
    pub projections: Vec<QuantizedProjection>,
    /// Steps from an input spike to its effect on each population, on the chip.
    pub depths: Vec<u32>,
}

/// How much synaptic current each layer's state register must hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Headroom {
    /// Every source firing every step into the same-signed weights: no
    /// input can overflow a register.
    #[default]
    WorstCase,
    /// Per population (in network order), the largest |current| the float
    /// reference reached on sample inputs; registers hold
    /// [`SAMPLED_MARGIN`] times that (never more than the worst case).
    /// More threshold bits on wide layers, no guarantee beyond the samples.
    Sampled(Vec<f64>),
}

/// How the quantizer sizes and scales what it may choose.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    pub headroom: Headroom,
    /// Give each projection its own weight exponent where the chip can
    /// (`format.projection_exponents`): a population fed by strong and by
    /// weak projections keeps the weak ones' bits. Otherwise a population's
    /// projections share the exponent its largest weight needs.
    pub projection_exponents: bool,
    /// Threads for the passes over every synapse (0: every core). The
    /// result is the same for any count.
    pub threads: usize,
}

/// Sources quantized as one piece of work: fixed, so that the error sums
/// are the same on any number of threads.
const ROW_CHUNK: usize = 4096;

/// How far above the sampled peak a register's range reaches.
pub const SAMPLED_MARGIN: f64 = 2.0;

/// Quantizes `net` (through [`Network::with_current_biases_on_membrane`]) for `arch`.
pub fn quantize(net: &Network, arch: &Arch) -> Result<QuantizedNetwork> {
    quantize_with(net, arch, &Options::default())
}

/// [`quantize`] with registers sized and exponents chosen as `opts` says.
pub fn quantize_with(net: &Network, arch: &Arch, opts: &Options) -> Result<QuantizedNetwork> {
    let headroom = &opts.headroom;
    let threads = crate::parallel::threads(opts.threads);
    let net = &net.with_current_biases_on_membrane();
    let f = &arch.format;
    let depths = net.depths()?;
    let err = |layer: &str, message: String| CompileError::Quantize {
        layer: layer.to_string(),
        arch: arch.name.clone(),
        message,
    };
    let even = f.mixed_sign_weights_even;
    let w_max = ((1i32 << (f.weight_bits - 1)) - 1) as f64 - if even { 1.0 } else { 0.0 };
    if w_max < 1.0 {
        return Err(err(
            net.populations.first().map_or("", |p| p.name.as_str()),
            format!(
                "{}-bit weights leave no magnitude (mixed-sign weights are kept even)",
                f.weight_bits
            ),
        ));
    }
    let bias_max = ((1i64 << (f.bias_bits - 1)) - 1) as f64;
    let shift_gain = 2f64.powi(f.threshold_shift as i32 - f.activation_shift as i32);
    let by_source: Vec<BySource> = net
        .projections
        .iter()
        .map(|p| p.weights.index_by_source())
        .collect();

    let mut populations = Vec::with_capacity(net.populations.len());
    // Per projection its own weight exponent, where it has one.
    let mut proj_exp: Vec<Option<i8>> = vec![None; net.projections.len()];
    let mut stats = vec![WeightStats::default(); net.projections.len()];
    for (q, pop) in net.populations.iter().enumerate() {
        let dyns: Vec<_> = (0..pop.size).map(|i| pop.neuron.dynamics(i)).collect();
        let incoming: Vec<usize> = (0..net.projections.len())
            .filter(|&k| net.projections[k].to == pop.name)
            .collect();
        let sums = InputSums::of(
            &incoming,
            &by_source,
            pop.input_slots(),
            &mut stats,
            threads,
        );
        // A plastic synapse delivers w + a: the field must hold the largest
        // |w| plus the largest |a| its rule can reach.
        let max_w = incoming
            .iter()
            .map(|&k| {
                let pr = &net.projections[k];
                stats[k].max_abs + pr.plasticity.as_ref().map_or(0.0, plastic_bound)
            })
            .fold(0.0, f64::max);
        // Membrane gain K: thresholds use the top of their field; readouts get
        // headroom for 16× their largest per-step input.
        // A schedule's input shifts move the layer's exponent step by step:
        // the exponent must leave room for them at both ends.
        let (shift_lo, shift_hi) = pop.schedule.as_ref().map_or((0, 0), |s| s.shift_range());
        let (exp_lo, exp_hi) = (
            f.weight_exp_min as i32 - shift_lo as i32,
            f.weight_exp_max as i32 - shift_hi as i32,
        );
        if pop.schedule.is_some() && arch.core.schedule_entries == 0 {
            return Err(err(
                &pop.name,
                "it has a schedule (a per-step threshold or input weighting), and the chip has no schedule memory (core.schedule_entries: 0)".into(),
            ));
        }
        if exp_lo > exp_hi {
            return Err(err(
                &pop.name,
                format!(
                    "its schedule's input shifts span {shift_lo}..={shift_hi}, wider than the chip's weight exponent range {}..={}",
                    f.weight_exp_min, f.weight_exp_max
                ),
            ));
        }
        let k_gain = if pop.neuron.spiking() {
            // The largest threshold any step compares with.
            let raise = pop.schedule.as_ref().map_or(0.0, |s| s.max_offset());
            let th = dyns.iter().filter_map(|d| d.threshold).fold(0.0, f64::max) + raise;
            if th <= 0.0 {
                return Err(err(&pop.name, "thresholds must be positive".into()));
            }
            2f64.powi(f.threshold_bits as i32 - 2) / th
        } else {
            let mut row_sum = vec![0.0; pop.size];
            for &k in &incoming {
                by_source[k]
                    .all()
                    .for_each(|(t, w)| row_sum[t as usize / pop.branches()] += w.abs());
            }
            let worst = row_sum.iter().fold(0.0, |m: f64, x| m.max(*x)).max(1e-12);
            2f64.powi(f.state_bits as i32 - 1 - f.threshold_shift as i32 - 4) / worst
        };
        let v_bias: Vec<f64> = dyns.iter().map(|d| d.bias).collect();
        // Lower the gain where a bias would not fit mantissa × 2^7.
        let worst_bias = v_bias.iter().fold(0.0f64, |m, b| m.max(b.abs()));
        let bias_room = bias_max * 2f64.powi(7) / 2f64.powi(f.threshold_shift as i32);
        let k_gain = if worst_bias * k_gain > bias_room {
            bias_room / worst_bias
        } else {
            k_gain
        };
        // Lower it where the largest weight would need an exponent above the arch's.
        let weight_room = w_max * 2f64.powi(exp_hi) / shift_gain * (1.0 - 1e-9);
        let k_gain = if max_w * k_gain > weight_room {
            weight_room / max_w
        } else {
            k_gain
        };
        // Lower it where the worst-case synaptic current — every source firing
        // into the same-signed weights every step, accumulated by the
        // current's decay — would leave the state register (Lava's u wraps,
        // Xylo's saturates). 1/64 of the range is kept for weight rounding.
        let state_room = ((1i64 << (f.state_bits - 1)) - 1) as f64 * (1.0 - 1.0 / 64.0);
        let per_unit = 2f64.powi(f.threshold_shift as i32); // state units per k_gain unit
        let worst = worst_current(
            &sums,
            &dyns,
            pop.dendrites.as_ref(),
            2f64.powi(shift_hi as i32),
        );
        let worst = match headroom {
            Headroom::WorstCase => worst,
            Headroom::Sampled(peaks) => {
                let seen = peaks.get(q).copied().unwrap_or(f64::INFINITY) * SAMPLED_MARGIN;
                Some(worst.map_or(seen, |w| w.min(seen)))
            }
        };
        // By a power of two, so that a network whose integers fit stays exact.
        let k_gain = match worst {
            Some(w) if w * k_gain * per_unit > state_room => {
                let over = w * k_gain * per_unit / state_room;
                k_gain / 2f64.powi(over.log2().ceil() as i32)
            }
            _ => k_gain,
        };
        // Let the largest weight land exactly on the top of the weight field
        // (lowering the gain by less than 2×, which only adds range): a
        // gain chosen for the threshold alone uses between half and all of
        // the field, a bit lost on average.
        let needs_even = even && incoming.iter().any(|&k| stats[k].mixed());
        let (k_gain, weight_exp) = if max_w == 0.0 {
            (k_gain, 0)
        } else {
            let weights = || {
                incoming
                    .iter()
                    .flat_map(|&k| by_source[k].all().map(|x| x.1))
            };
            let top = top_mantissa(weights, max_w, w_max as i32, needs_even) as f64;
            let gain = k_gain * shift_gain;
            let e = ((gain * max_w / top).log2().floor() as i32).min(exp_hi);
            if e >= exp_lo {
                (top * 2f64.powi(e) / max_w / shift_gain, e as i8)
            } else {
                // Even the smallest exponent leaves the weights low in their
                // field; keep the gain the threshold asked for.
                (k_gain, exp_lo as i8)
            }
        };
        // Per-projection exponents: each projection's largest weight on the
        // top of the field, the group at the smallest; the others shift
        // their weights up into the accumulator — as long as a neuron's
        // accumulated mantissas cannot leave 32 bits (every source at its
        // most spikes a step into same-signed weights).
        let weight_exp = if opts.projection_exponents
            && f.projection_exponents
            && incoming.len() > 1
            && max_w > 0.0
        {
            let gain = k_gain * shift_gain;
            let own: Vec<(usize, i32)> = incoming
                .iter()
                .map(|&k| {
                    let pr = &net.projections[k];
                    let m = stats[k].max_abs + pr.plasticity.as_ref().map_or(0.0, plastic_bound);
                    let e = if m == 0.0 {
                        weight_exp as i32
                    } else {
                        // the gain is the group's: the smallest exponent
                        // that keeps the largest weight in the field
                        ((gain * m / w_max).log2().ceil() as i32).clamp(exp_lo, weight_exp as i32)
                    };
                    (k, e)
                })
                .collect();
            let mut row_sum = vec![0.0; pop.input_slots()];
            for &k in &incoming {
                let spikes = match net.source(&net.projections[k].from).expect("validated") {
                    Source::Population(p) => net.populations[p].reset.max_spikes() as f64,
                    Source::Input(_) => 1.0,
                };
                by_source[k]
                    .all()
                    .for_each(|(t, w)| row_sum[t as usize] += w.abs() * spikes);
            }
            let worst_row = row_sum.iter().fold(0.0f64, |m, &x| m.max(x));
            // the accumulator holds Σ|w|·gain/2^e_min (+ rounding): keep it under 2^30
            let floor = (worst_row * gain / 2f64.powi(30)).log2().ceil() as i32;
            let e_min = own
                .iter()
                .map(|x| x.1)
                .min()
                .unwrap_or(weight_exp as i32)
                .max(floor);
            for (k, e) in own {
                proj_exp[k] = Some(e.max(e_min) as i8);
            }
            e_min.min(weight_exp as i32) as i8
        } else {
            weight_exp
        };
        let current_headroom = worst.map(|w| {
            let full = ((1i64 << (f.state_bits - 1)) - 1) as f64;
            full / (w * k_gain * per_unit).max(f64::MIN_POSITIVE)
        });
        let gain = k_gain * shift_gain;
        let scale = models::Scale {
            format: f,
            k_gain,
            v_unit: k_gain * 2f64.powi(f.threshold_shift as i32),
        };
        let neurons = models::lower(arch, &scale, pop.neuron.spiking(), &dyns)
            .map_err(|m| err(&pop.name, m))?;
        if let Reset::Subtract { max_spikes } = pop.reset {
            let core = &arch.core;
            if !core.subtract_reset || max_spikes > core.max_spikes_per_step {
                return Err(err(
                    &pop.name,
                    format!(
                        "its reset subtracts the threshold with up to {max_spikes} spikes a step; the chip has subtract_reset: {}, max_spikes_per_step: {}",
                        core.subtract_reset, core.max_spikes_per_step
                    ),
                ));
            }
        }
        let schedule = pop
            .schedule
            .as_ref()
            .map(|s| models::schedule::lower(s, &scale, depths[q]))
            .transpose()
            .map_err(|m| err(&pop.name, m))?;
        // Noise and dendrites are in the layer's input units (a_in = Σ w · gain).
        let (noise, noise_error) = match &pop.noise {
            None => (None, None),
            Some(nz) => {
                let (n, e) = models::noise::lower(nz, gain, arch).map_err(|m| err(&pop.name, m))?;
                (Some(n), Some(e))
            }
        };
        let (dendrites, dendrite_error) = match &pop.dendrites {
            None => (None, None),
            Some(d) => {
                let (d, e) =
                    models::dendrites::lower(d, gain, arch).map_err(|m| err(&pop.name, m))?;
                (Some(d), Some(e))
            }
        };
        let g = NeuronGroup {
            name: pop.name.clone(),
            weight_exp,
            neurons,
            reset: pop.reset,
            schedule,
            noise,
            dendrites,
        };
        let threshold_bits = dyns
            .iter()
            .filter_map(|d| d.threshold)
            .map(|th| (th * k_gain).round().max(1.0).log2().floor() as u32 + 1)
            .max();
        let th_max = dyns.iter().filter_map(|d| d.threshold).fold(0.0, f64::max);
        let schedule_error = pop.schedule.as_ref().and_then(|sc| {
            let errs: Vec<f64> = sc
                .threshold
                .iter()
                .flatten()
                .map(|&x| ((x * k_gain).round() / k_gain - x).abs() / th_max.max(f64::MIN_POSITIVE))
                .collect();
            (!errs.is_empty()).then(|| errs.into_iter().fold(0.0, f64::max))
        });
        populations.push(QuantizedPopulation {
            group: g,
            gain,
            current_headroom,
            threshold_bits,
            schedule_error,
            noise_error,
            dendrite_error,
        });
    }

    let mut projections = Vec::with_capacity(net.projections.len());
    for (k, pr) in net.projections.iter().enumerate() {
        let src = net.source(&pr.from).expect("validated");
        let dst = net.population(&pr.to).expect("validated");
        let qp = &populations[dst];
        let exp = proj_exp[k].unwrap_or(qp.group.weight_exp);
        let scale = qp.gain / 2f64.powi(exp as i32);
        let shift = (exp - qp.group.weight_exp) as u8;
        let mixed = stats[k].mixed();
        // Chunks of sources on the compile's threads; the error sums are
        // summed per chunk, then over chunks in order (`parallel`).
        let rows = &by_source[k];
        let plastic = pr.plasticity.is_some();
        let quantized =
            crate::parallel::in_chunks(rows.sources().div_ceil(ROW_CHUNK), threads, |chunk| {
                let (mut num, mut den) = (0.0, 0.0);
                let end = ((chunk + 1) * ROW_CHUNK).min(rows.sources());
                let q_rows: Vec<Vec<(u32, i16)>> = (chunk * ROW_CHUNK..end)
                    .map(|s| {
                        // sized once: grown push by push, a row of 256
                        // was allocated and copied 7 times
                        let mut q = Vec::with_capacity(rows.row_len_bound(s));
                        rows.row(s).for_each(|(t, w)| {
                            let mut x = (w * scale).round().clamp(-w_max - 1.0, w_max);
                            if even && mixed {
                                x = (2.0 * (x / 2.0).round()).clamp(-w_max - 1.0, w_max);
                            }
                            num += (x / scale - w).powi(2);
                            den += w * w;
                            if x != 0.0 || plastic {
                                q.push((t, x as i16));
                            }
                        });
                        q
                    })
                    .collect();
                (q_rows, num, den)
            });
        let (mut num, mut den) = (0.0, 0.0);
        let mut q_rows = Vec::with_capacity(rows.sources());
        for (chunk, n, d) in quantized {
            q_rows.extend(chunk);
            num += n;
            den += d;
        }
        let d_src = match src {
            Source::Input(_) => 0,
            Source::Population(p) => depths[p],
        };
        let chip_delay = if net.is_feed_forward(pr) {
            depths[dst] - d_src - 1 + pr.delay
        } else {
            depths[dst] + pr.delay - d_src
        };
        // said here, naming the layer, rather than as a core's table limit after packing
        if chip_delay > arch.core.max_delay {
            return Err(err(
                &net.populations[dst].name,
                format!(
                    "its projection from '{}' needs a delay of {chip_delay} steps on the chip; '{}' holds at most {} (core.max_delay)",
                    spikefab_chip::text::escape(&pr.from),
                    spikefab_chip::text::escape(&arch.name),
                    arch.core.max_delay
                ),
            ));
        }
        let plastic = pr
            .plasticity
            .as_ref()
            .map(|pl| {
                if chip_delay != 0 {
                    return Err(format!(
                        "its plastic projection from '{}' would need a chip delay of {chip_delay} steps; plastic synapses have none",
                        spikefab_chip::text::escape(&pr.from)
                    ));
                }
                models::plasticity::lower(pl, scale, depths[dst], arch)
            })
            .transpose()
            .map_err(|m| err(&net.populations[dst].name, m))?;
        projections.push(QuantizedProjection {
            src,
            dst,
            chip_delay,
            by_source: q_rows,
            weight_error: if den > 0.0 { (num / den).sqrt() } else { 0.0 },
            plastic,
            shift,
        });
    }
    Ok(QuantizedNetwork {
        populations,
        projections,
        depths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::Weights;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Two projections of mixed-sign weights into 3,001 slots: one listed in
    /// source order, one shuffled (and with a zero), so both row orders of
    /// [`BySource`] are read.
    fn projections() -> Vec<Weights> {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let (targets, sources) = (3_001usize, 6_000usize);
        let mut list = |sorted: bool| {
            let mut s: Vec<(u32, u32, f64)> = (0..sources as u32)
                .flat_map(|s| (0..12).map(move |_| s))
                .map(|s| {
                    let t = rng.random_range(0..targets as u32);
                    (t, s, rng.random_range(-1.0..1.0))
                })
                .collect();
            if !sorted {
                s.reverse();
                s[5].2 = 0.0;
            }
            Weights::Sparse {
                targets,
                sources,
                synapses: s,
            }
        };
        vec![list(true), list(false)]
    }

    /// Each slot's sums are its weights added in source order (projection
    /// by projection), whatever the number of threads: the same f64s, bit
    /// for bit, as a plain loop over a stable sort by source gives.
    #[test]
    fn input_sums_are_source_order_sums_on_any_thread_count() {
        let w = projections();
        let by_source: Vec<BySource> = w.iter().map(Weights::index_by_source).collect();
        let (mut pos, mut neg) = (vec![0.0f64; 3_001], vec![0.0f64; 3_001]);
        for weights in &w {
            let Weights::Sparse { synapses, .. } = weights else {
                unreachable!()
            };
            let mut in_order: Vec<_> = synapses.iter().filter(|x| x.2 != 0.0).collect();
            in_order.sort_by_key(|x| x.1);
            for &&(t, _, w) in &in_order {
                if w > 0.0 {
                    pos[t as usize] += w;
                } else {
                    neg[t as usize] -= w;
                }
            }
        }
        // four ranges of slots on five threads
        assert_eq!(
            by_source.iter().map(BySource::listed).sum::<usize>() >> 15,
            4
        );
        for threads in [1, 2, 3, 5] {
            let mut stats = vec![WeightStats::default(); 2];
            let sums = InputSums::of(&[0, 1], &by_source, 3_001, &mut stats, threads);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&sums.pos), bits(&pos), "{threads} threads");
            assert_eq!(bits(&sums.neg), bits(&neg), "{threads} threads");
            for st in &stats {
                assert!(st.mixed() && st.max_abs > 0.99 && st.max_abs < 1.0);
            }
        }
    }
}
