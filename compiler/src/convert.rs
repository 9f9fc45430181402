//! ANN→SNN conversion: a trained ReLU network into a spiking one that
//! compiles like any other, with rate coding or with STDI coding (Qu et al.'s
//! spike-time-dependent integrated coding, arXiv 2306.12010).
//!
//! **The ANN** is read from NIR (NIR has no ReLU): feed-forward `Affine`,
//! `Conv2d`, pooling and `Flatten` nodes with an `IF` node where each ReLU
//! is (its spiking stand-in, `r = 1/dt` so that it integrates its input
//! unscaled) and an `I` node as the linear readout. Lowered, that is a
//! [`Network`] of `If` populations (their bias the layer's) and an `Li`
//! readout with β = 1, which [`Ann`] runs as the ReLU network it stands for.
//!
//! **Threshold balancing**: each ReLU layer's activation scale `λ` is a high
//! percentile of its activations on sample data (Rueckauer et al. 2017);
//! thresholds are normalised to 1 and weights scaled by `λ_source / λ`.
//!
//! **Rate coding** (`T` steps): integrate-and-fire neurons resetting by
//! subtraction, inputs as deterministic spike trains of rate `x`; a layer's
//! spike count over `T` steps approximates its activation — `log2(T)` bits.
//!
//! **STDI coding** (`T` steps per layer): a spike at step `k` of a window is
//! worth `2^−(k+1)` of the layer's scale, so `T` steps carry `T` bits. Layer
//! `d` (its pipeline depth) integrates in window `d − 1` — holding, its
//! input weighted by `2^−k` at step `k` (the schedule's input shift) — and
//! emits in window `d` against thresholds `2^−(k+1)` (the schedule's
//! offsets), subtracting each; its bias arrives once, as an input channel
//! that fires when its window opens. The readout integrates the last window;
//! an inference takes `depth × T` steps; a window carries at most
//! [`MAX_STDI_BITS`] bits. This is the time-varying threshold
//! the paper names; its timestep compression is the choice of `T`: how many
//! steps (bits) each layer gets.

use spikefab_chip::Reset;

use crate::error::{CompileError, Result};
use crate::network::{Input, Network, Neuron, Param, Population, Projection, Schedule, Source};

/// How activations become spikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Coding {
    Rate,
    Stdi,
}

impl std::str::FromStr for Coding {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "rate" => Ok(Coding::Rate),
            "stdi" => Ok(Coding::Stdi),
            other => Err(format!(
                "coding '{}' is not 'rate' or 'stdi'",
                spikefab_chip::text::escape(other)
            )),
        }
    }
}

impl std::fmt::Display for Coding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Coding::Rate => "rate",
            Coding::Stdi => "STDI",
        })
    }
}

/// Most steps per layer a conversion may use: rate coding's 256 steps carry
/// 8 bits, what STDI's window carries at most; the encoded inputs
/// (`steps × channels` per sample) stay small.
pub const MAX_TIMESTEPS: usize = 256;

/// Most bits an STDI window carries: the input weighting `2^−k` spends
/// `k` of the chip's weight-exponent range (loihi, fpga-small: −8..=7), so
/// longer windows hold after this many steps (more steps, no more bits).
pub const MAX_STDI_BITS: usize = 8;

/// A projection's source and its weights by source (`rows[s] = [(target, w)]`).
type Incoming = (Source, Vec<Vec<(u32, f64)>>);

/// A ReLU network, as its lowered NIR graph holds it.
#[derive(Clone, Debug)]
pub struct Ann {
    net: Network,
    /// Per population: its feed-forward projections `(source, weights by source)`.
    into: Vec<Vec<Incoming>>,
    /// Per population: whether it is a ReLU layer (else the linear readout).
    relu: Vec<bool>,
    depths: Vec<u32>,
}

impl Ann {
    /// Reads `net` (lowered from NIR) as a ReLU network; refuses anything
    /// else naming the layer: one input, feed-forward projections without
    /// delays, `If` layers (ReLU) and `Li` readouts with β = 1 (the outputs).
    pub fn new(net: Network) -> Result<Ann> {
        let bad = |m: String| CompileError::Invalid {
            network: net.name.clone(),
            message: format!("not a ReLU network spikefab can convert: {m}"),
        };
        if net.inputs.len() != 1 {
            return Err(bad(format!(
                "it has {} inputs; one is expected",
                net.inputs.len()
            )));
        }
        let depths = net.depths()?;
        let mut into = vec![Vec::new(); net.populations.len()];
        for pr in &net.projections {
            let q = net.population(&pr.to).expect("validated");
            if !net.is_feed_forward(pr) || pr.delay != 0 {
                return Err(bad(format!(
                    "the projection '{}' → '{}' is recurrent or delayed",
                    pr.from, pr.to
                )));
            }
            let src = net.source(&pr.from).expect("validated");
            // STDI gives each depth one window: a layer may only read the one before.
            let d_src = match src {
                Source::Input(_) => 0,
                Source::Population(p) => depths[p],
            };
            if depths[q] != d_src + 1 {
                return Err(bad(format!(
                    "the projection '{}' → '{}' skips a layer",
                    pr.from, pr.to
                )));
            }
            into[q].push((src, pr.weights.by_source()));
        }
        let mut relu = Vec::with_capacity(net.populations.len());
        for p in &net.populations {
            let is_out = net.outputs.contains(&p.name);
            match (&p.neuron, is_out) {
                (Neuron::If { .. }, false) => relu.push(true),
                (Neuron::Li { beta, .. }, true) if (0..p.size).all(|i| beta.get(i) == 1.0) => {
                    relu.push(false)
                }
                _ => {
                    return Err(bad(format!(
                        "layer '{}' must be an IF node (a ReLU) or, as an output, an I node (the readout)",
                        p.name
                    )))
                }
            }
        }
        Ok(Ann {
            net,
            into,
            relu,
            depths,
        })
    }

    pub fn network(&self) -> &Network {
        &self.net
    }

    pub fn input_size(&self) -> usize {
        self.net.inputs[0].size
    }

    /// Every layer's activations on input `x` (ReLU layers rectified, the
    /// readout linear).
    pub fn forward(&self, x: &[f64]) -> Vec<Vec<f64>> {
        let mut acts: Vec<Vec<f64>> = Vec::with_capacity(self.net.populations.len());
        for (q, p) in self.net.populations.iter().enumerate() {
            let mut a: Vec<f64> = (0..p.size).map(|i| p.neuron.dynamics(i).bias).collect();
            for (src, rows) in &self.into[q] {
                let from: &[f64] = match *src {
                    Source::Input(_) => x,
                    Source::Population(s) => &acts[s],
                };
                for (s, row) in rows.iter().enumerate() {
                    if from[s] != 0.0 {
                        for &(t, w) in row {
                            a[t as usize] += w * from[s];
                        }
                    }
                }
            }
            if self.relu[q] {
                a.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            acts.push(a);
        }
        acts
    }

    /// The class of input `x`: the largest readout.
    pub fn predict(&self, x: &[f64]) -> usize {
        argmax(&self.readout(&self.forward(x)))
    }

    fn readout(&self, acts: &[Vec<f64>]) -> Vec<f64> {
        self.net
            .outputs
            .iter()
            .flat_map(|o| acts[self.net.population(o).expect("validated")].clone())
            .collect()
    }

    /// Each ReLU layer's scale `λ`: the `percentile` (0..=100) of its
    /// activations over `samples` (1 where a layer never activates);
    /// readouts get 1.
    pub fn calibrate(&self, samples: &[Vec<f64>], percentile: f64) -> Vec<f64> {
        let mut seen: Vec<Vec<f64>> = vec![Vec::new(); self.net.populations.len()];
        for x in samples {
            for (q, a) in self.forward(x).into_iter().enumerate() {
                if self.relu[q] {
                    seen[q].extend(a.into_iter().filter(|&v| v > 0.0));
                }
            }
        }
        seen.into_iter()
            .map(|mut v| {
                if v.is_empty() {
                    return 1.0;
                }
                v.sort_by(f64::total_cmp);
                let k = ((percentile / 100.0) * (v.len() - 1) as f64).round() as usize;
                v[k.min(v.len() - 1)]
            })
            .collect()
    }
}

/// The index of the largest value (the first on ties).
pub fn argmax(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &x)| {
            if x > bv {
                (i, x)
            } else {
                (bi, bv)
            }
        })
        .0
}

/// A converted network and how to feed it.
#[derive(Clone, Debug)]
pub struct Converted {
    pub network: Network,
    pub coding: Coding,
    /// Steps per layer (rate: the whole run).
    pub timesteps: usize,
    /// Steps of one inference (the float network's; a chip adds its pipeline depth).
    pub steps: usize,
    /// The step after which the readout holds the answer.
    pub readout_step: usize,
    /// STDI: per bias channel, the step it fires.
    bias_steps: Vec<usize>,
}

impl Converted {
    /// Input spikes `[step][channel]` for pixels `x` (each in [0, 1]): the
    /// ANN's inputs, then (STDI) one bias channel per layer.
    pub fn encode(&self, x: &[f64]) -> Vec<Vec<bool>> {
        let n = x.len();
        let mut rows = vec![vec![false; n + self.bias_steps.len()]; self.steps];
        match self.coding {
            Coding::Rate => {
                // deterministic: a spike whenever the running sum passes a whole
                let mut acc: Vec<f64> = vec![0.5; n];
                for row in rows.iter_mut() {
                    for (c, (a, &v)) in acc.iter_mut().zip(x).enumerate() {
                        *a += v.clamp(0.0, 1.0);
                        if *a >= 1.0 {
                            *a -= 1.0;
                            row[c] = true;
                        }
                    }
                }
            }
            Coding::Stdi => {
                let t = self.timesteps.min(MAX_STDI_BITS);
                for (c, &v) in x.iter().enumerate() {
                    // the T-bit binary expansion of v, most significant bit first
                    let q = (v.clamp(0.0, 1.0) * 2f64.powi(t as i32))
                        .floor()
                        .min(2f64.powi(t as i32) - 1.0) as u64;
                    for (k, row) in rows.iter_mut().take(t).enumerate() {
                        row[c] = (q >> (t - 1 - k)) & 1 == 1;
                    }
                }
                for (b, &s) in self.bias_steps.iter().enumerate() {
                    rows[s][n + b] = true;
                }
            }
        }
        rows
    }
}

/// Converts `ann` with scales `lambdas` ([`Ann::calibrate`]) to `coding`
/// with `timesteps` steps (per layer, under STDI).
pub fn convert(ann: &Ann, lambdas: &[f64], coding: Coding, timesteps: usize) -> Result<Converted> {
    let net = &ann.net;
    if !(1..=MAX_TIMESTEPS).contains(&timesteps) {
        return Err(CompileError::Invalid {
            network: net.name.clone(),
            message: format!("timesteps {timesteps} is outside 1..={MAX_TIMESTEPS}"),
        });
    }
    if lambdas.len() != net.populations.len()
        || lambdas.iter().any(|l| !(l.is_finite() && *l > 0.0))
    {
        return Err(CompileError::Invalid {
            network: net.name.clone(),
            message: "one positive, finite scale per layer is needed".into(),
        });
    }
    let scale_of = |s: &Source| match *s {
        Source::Input(_) => 1.0,
        Source::Population(p) => lambdas[p],
    };
    let name_of = |s: &Source| match *s {
        Source::Input(i) => net.inputs[i].name.clone(),
        Source::Population(p) => net.populations[p].name.clone(),
    };
    let t = timesteps;
    let depth = ann.depths.iter().copied().max().unwrap_or(1) as usize;
    let stdi = coding == Coding::Stdi;
    // Under STDI each spike of a window's first step is worth half the
    // source's scale; the input shifts halve it step by step.
    let spike_worth = if stdi { 0.5 } else { 1.0 };
    let mut populations = Vec::with_capacity(net.populations.len());
    let mut projections = Vec::new();
    let mut bias_steps = Vec::new();
    let mut bias_rows: Vec<(String, Vec<(u32, f64)>)> = Vec::new();
    for (q, p) in net.populations.iter().enumerate() {
        let d = ann.depths[q] as usize;
        // ReLU layers count in units of their scale (threshold 1); the
        // readout in the ANN's own units.
        let unit = if ann.relu[q] { lambdas[q] } else { 1.0 };
        let bias: Vec<f64> = (0..p.size)
            .map(|i| p.neuron.dynamics(i).bias / unit)
            .collect();
        let neuron = if ann.relu[q] {
            Neuron::If {
                threshold: Param::Scalar(1.0),
                bias: Param::PerNeuron(if stdi {
                    vec![0.0; p.size]
                } else {
                    bias.clone()
                }),
            }
        } else {
            Neuron::Li {
                beta: Param::Scalar(1.0),
                bias: Param::PerNeuron(if stdi {
                    vec![0.0; p.size]
                } else {
                    bias.clone()
                }),
            }
        };
        let schedule = stdi.then(|| {
            let len = depth * t;
            let window = |k: usize| k / t;
            // the bit a step of a window carries, if any
            let bit = |k: usize| Some(k % t).filter(|&b| b < MAX_STDI_BITS);
            let input_shift = (0..len)
                .map(|k| match bit(k) {
                    Some(b) if window(k) + 1 == d => -(b as i8),
                    _ => 0,
                })
                .collect();
            let threshold = if ann.relu[q] {
                (0..len)
                    .map(|k| {
                        bit(k)
                            .filter(|_| window(k) == d)
                            .map(|b| 2f64.powi(-(b as i32 + 1)) - 1.0)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Schedule {
                threshold,
                input_shift,
            }
        });
        if stdi && bias.iter().any(|&b| b != 0.0) {
            bias_steps.push((d - 1) * t);
            bias_rows.push((
                p.name.clone(),
                bias.iter()
                    .enumerate()
                    .map(|(i, &b)| (i as u32, b))
                    .collect(),
            ));
        }
        populations.push(Population {
            name: p.name.clone(),
            size: p.size,
            neuron,
            reset: if ann.relu[q] {
                Reset::Subtract { max_spikes: 1 }
            } else {
                Reset::Zero
            },
            schedule,
            noise: None,
            dendrites: None,
        });
        for (src, rows) in &ann.into[q] {
            let k = scale_of(src) / unit * spike_worth;
            let size = (p.size, rows.len());
            let synapses = rows
                .iter()
                .enumerate()
                .flat_map(|(s, row)| row.iter().map(move |&(tg, w)| (tg, s as u32, w * k)))
                .collect();
            projections.push(Projection {
                from: name_of(src),
                to: p.name.clone(),
                weights: crate::network::Weights::Sparse {
                    targets: size.0,
                    sources: size.1,
                    synapses,
                },
                delay: 0,
                plasticity: None,
            });
        }
    }
    let mut inputs = vec![net.inputs[0].clone()];
    if !bias_rows.is_empty() {
        let channels = bias_rows.len();
        inputs.push(Input {
            name: "bias".into(),
            size: channels,
        });
        for (b, (to, row)) in bias_rows.iter().enumerate() {
            let size = populations[net.population(to).expect("validated")].size;
            projections.push(Projection {
                from: "bias".into(),
                to: to.clone(),
                weights: crate::network::Weights::Sparse {
                    targets: size,
                    sources: channels,
                    synapses: row.iter().map(|&(tg, w)| (tg, b as u32, w)).collect(),
                },
                delay: 0,
                plasticity: None,
            });
        }
    }
    let steps = if stdi { depth * t } else { t };
    let network = Network {
        name: format!("{}-{}{}", net.name, if stdi { "stdi" } else { "rate" }, t),
        dt: net.dt,
        inputs,
        populations,
        projections,
        outputs: net.outputs.clone(),
        noise_seed: None,
    };
    network.validate()?;
    Ok(Converted {
        network,
        coding,
        timesteps: t,
        steps,
        readout_step: steps - 1,
        bias_steps,
    })
}
