//! The float reference simulator: the network's own semantics in f64, the
//! yardstick for quantization loss.
//!
//! Each step, populations update in order; feed-forward projections deliver
//! this step's spikes (input or earlier population), recurrent ones the
//! previous step's, each `delay` steps later still. Spiking neurons reset in
//! the step they fire, as their population's `reset` says: to 0, or by
//! subtracting θ per spike (up to `max_spikes` spikes a step, each delivered).

use rand::{Rng, SeedableRng};
use spikefab_chip::Reset;

use crate::network::{Dynamics, Network, Source};

/// Output spikes of a run: `spikes[t][k]` for output channel `k` (the output
/// populations' neurons, concatenated in order).
#[derive(Clone, Debug, PartialEq)]
pub struct FloatRun {
    pub spikes: Vec<Vec<bool>>,
    /// Spikes per step of each output channel: 0 or 1, or up to a
    /// population's `max_spikes` under a subtractive reset.
    pub counts: Vec<Vec<u8>>,
    /// Final membrane of the output neurons (readouts report their value).
    pub last_v: Vec<f64>,
    /// Membrane of the output neurons at every step.
    pub v: Vec<Vec<f64>>,
    /// Per population, the largest |synaptic current| any of its neurons
    /// reached (what `Headroom::Sampled` sizes registers from).
    pub peak_current: Vec<f64>,
}

struct Edge {
    src: Source,
    dst: usize,
    /// Steps back in the spike history: delay for feed-forward, delay + 1 for recurrent.
    lag: usize,
    by_source: Vec<Vec<(u32, f64)>>,
    /// A plastic projection's state: its rule, every synapse's plastic
    /// part (aligned with `by_source`), the traces of its sources and of
    /// its target neurons, and the spikes each source sent this step.
    plastic: Option<PlasticState>,
}

struct PlasticState {
    rule: crate::network::Plasticity,
    a: Vec<Vec<f64>>,
    x: Vec<f64>,
    y: Vec<f64>,
    sent: Vec<f64>,
}

/// How spiking neurons reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Semantics {
    /// NIR's (and the chip's): spike when `v > θ`, and `v ← 0` in the same step.
    #[default]
    Nir,
    /// snnTorch's defaults: spike when `v > θ`; the reset subtracts `θ` one
    /// step later (`v_t = β·v_{t−1} + i_t − s_{t−1}·θ`), so `v` may stay above θ.
    SnnTorch,
}

/// When spikes cross a feed-forward projection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Timing {
    /// The graph's own: in the same step (plus the projection's delay).
    #[default]
    SameStep,
    /// As on a chip, where every layer hop costs one step: a population at
    /// pipeline depth d answers input step t at step t + d. Without biases
    /// this is `SameStep` shifted by d; with biases, deeper layers integrate
    /// their bias for d steps before the first input arrives, as the chip does.
    Pipelined,
}

/// Simulates `net` on `input[t][channel]` (channels of all inputs, concatenated)
/// with NIR semantics.
pub fn simulate(net: &Network, input: &[Vec<bool>]) -> FloatRun {
    simulate_with(net, input, Semantics::Nir)
}

/// Simulates with the chosen reset semantics, same-step timing.
pub fn simulate_with(net: &Network, input: &[Vec<bool>], semantics: Semantics) -> FloatRun {
    simulate_timed(net, input, semantics, Timing::SameStep)
}

/// Simulates with the chosen reset semantics and timing.
pub fn simulate_timed(
    net: &Network,
    input: &[Vec<bool>],
    semantics: Semantics,
    timing: Timing,
) -> FloatRun {
    let depths = net
        .depths()
        .unwrap_or_else(|_| vec![1; net.populations.len()]);
    let dyns: Vec<Vec<Dynamics>> = net
        .populations
        .iter()
        .map(|p| (0..p.size).map(|i| p.neuron.dynamics(i)).collect())
        .collect();
    let mut edges: Vec<Edge> = net
        .projections
        .iter()
        .map(|pr| Edge {
            src: net.source(&pr.from).expect("validated"),
            dst: net.population(&pr.to).expect("validated"),
            lag: {
                let ff = net.is_feed_forward(pr);
                let q = net.population(&pr.to).expect("validated");
                let d_src = match net.source(&pr.from) {
                    Some(Source::Population(p)) => depths[p],
                    _ => 0,
                };
                let extra = match (ff, timing) {
                    (false, Timing::SameStep) => 1,
                    // validated: d_q + delay ≥ d_src for recurrent projections
                    (false, Timing::Pipelined) => 1 + depths[q] as isize - d_src as isize,
                    (true, Timing::SameStep) => 0,
                    (true, Timing::Pipelined) => depths[q] as isize - d_src as isize,
                };
                (pr.delay as isize + extra).max(0) as usize
            },
            by_source: pr.weights.by_source(),
            plastic: pr.plasticity.map(|rule| {
                let rows = pr.weights.by_source();
                let q = net.population(&pr.to).expect("validated");
                PlasticState {
                    rule,
                    a: rows.iter().map(|r| vec![0.0; r.len()]).collect(),
                    x: vec![0.0; rows.len()],
                    y: vec![0.0; net.populations[q].size],
                    sent: vec![0.0; rows.len()],
                }
            }),
        })
        .collect();
    let hist = edges.iter().map(|e| e.lag).max().unwrap_or(0) + 1;
    let input_offset: Vec<usize> = net
        .inputs
        .iter()
        .scan(0, |acc, i| {
            let o = *acc;
            *acc += i.size;
            Some(o)
        })
        .collect();
    // spike history ring per population: [hist][size], spikes per step
    // (more than one only under a multi-spike subtractive reset)
    let mut pop_hist: Vec<Vec<Vec<u8>>> = net
        .populations
        .iter()
        .map(|p| vec![vec![0; p.size]; hist])
        .collect();
    let mut cur: Vec<Vec<f64>> = net.populations.iter().map(|p| vec![0.0; p.size]).collect();
    let mut v: Vec<Vec<f64>> = net.populations.iter().map(|p| vec![0.0; p.size]).collect();
    // The adaptive part of each threshold (ALIF; stays 0 for the others).
    let mut adapt: Vec<Vec<f64>> = net.populations.iter().map(|p| vec![0.0; p.size]).collect();
    let outs: Vec<usize> = net
        .outputs
        .iter()
        .map(|o| net.population(o).expect("validated"))
        .collect();
    // Noisy populations draw from one stream, in population and neuron
    // order, one draw per neuron and step (not the chip's stream: the two
    // agree in distribution, docs/models.md).
    let mut noise_rng = rand_chacha::ChaCha8Rng::seed_from_u64(net.noise_seed.unwrap_or(0));
    let mut run = FloatRun {
        spikes: Vec::with_capacity(input.len()),
        counts: Vec::with_capacity(input.len()),
        peak_current: vec![0.0; net.populations.len()],
        last_v: Vec::new(),
        v: Vec::with_capacity(input.len()),
    };
    for t in 0..input.len() {
        let slot = t % hist;
        for (q, pop) in net.populations.iter().enumerate() {
            // One input per slot: per neuron, or per branch of a dendritic neuron.
            let mut i_in = vec![0.0; pop.input_slots()];
            for e in edges.iter_mut().filter(|e| e.dst == q) {
                if let Some(pl) = &mut e.plastic {
                    pl.sent.iter_mut().for_each(|v| *v = 0.0);
                }
                if e.lag > t {
                    continue;
                }
                let past = t - e.lag;
                let fired = |s: usize| -> u8 {
                    match e.src {
                        Source::Input(k) => {
                            input[past].get(input_offset[k] + s).map_or(0, |&b| b as u8)
                        }
                        Source::Population(p) => pop_hist[p][past % hist][s],
                    }
                };
                for (s, row) in e.by_source.iter().enumerate() {
                    let n = fired(s);
                    if n > 0 {
                        match &mut e.plastic {
                            None => {
                                for &(tg, w) in row {
                                    i_in[tg as usize] += w * n as f64;
                                }
                            }
                            Some(pl) => {
                                pl.sent[s] = n as f64;
                                for (&(tg, w), a) in row.iter().zip(&pl.a[s]) {
                                    i_in[tg as usize] += (w + a) * n as f64;
                                }
                            }
                        }
                    }
                }
            }
            let mut fired_now = vec![0u8; pop.size];
            let prev = (t + hist - 1) % hist;
            // The schedule counts the input's steps: pipelined, the population
            // answers input step t − depth at step t.
            let (offset, gain) = match &pop.schedule {
                None => (Some(0.0), 1.0),
                Some(s) => {
                    let step = match timing {
                        Timing::SameStep => t as i64,
                        Timing::Pipelined => t as i64 - depths[q] as i64,
                    };
                    let (off, shift) = s.at(step.rem_euclid(s.len() as i64) as usize);
                    (off, 2f64.powi(shift as i32))
                }
            };
            if gain != 1.0 {
                i_in.iter_mut().for_each(|x| *x *= gain);
            }
            // Dendrites: each branch rectified and capped, summed per neuron.
            if let Some(d) = &pop.dendrites {
                i_in = i_in
                    .chunks_exact(d.branches)
                    .map(|b| b.iter().map(|&x| d.branch(x)).sum())
                    .collect();
            }
            if let Some(nz) = &pop.noise {
                for x in i_in.iter_mut() {
                    *x += noise_rng.random_range(-nz.amplitude..nz.amplitude);
                }
            }
            for n in 0..pop.size {
                let d = dyns[q][n];
                cur[q][n] = d.alpha * cur[q][n] + i_in[n] + d.current_bias;
                run.peak_current[q] = run.peak_current[q].max(cur[q][n].abs());
                v[q][n] = d.beta * v[q][n] + cur[q][n] + d.bias;
                // ALIF: the adaptation decays before the spike test, and this
                // step's spikes raise it for the next (docs/models.md).
                if let Some(a) = d.adaptation {
                    adapt[q][n] *= a.decay;
                }
                // A held step (schedule entry `None`) fires nothing; the
                // threshold may not fall below 0, as on the chip.
                let th = d
                    .threshold
                    .zip(offset)
                    .map(|(th, off)| (th + adapt[q][n] + off).max(0.0));
                if let Some(th) = th {
                    match semantics {
                        Semantics::Nir => match pop.reset {
                            Reset::Zero => {
                                if v[q][n] > th {
                                    fired_now[n] = 1;
                                    v[q][n] = 0.0;
                                }
                            }
                            // The chip's definition, in f64: spikes while v > θ.
                            Reset::Subtract { max_spikes } => {
                                while fired_now[n] < max_spikes && v[q][n] > th {
                                    v[q][n] -= th;
                                    fired_now[n] += 1;
                                }
                            }
                        },
                        Semantics::SnnTorch => {
                            if t > 0 && pop_hist[q][prev][n] > 0 {
                                v[q][n] -= th;
                            }
                            fired_now[n] = (v[q][n] > th) as u8;
                        }
                    }
                    if let Some(a) = d.adaptation {
                        adapt[q][n] += fired_now[n] as f64 * a.step;
                    }
                }
            }
            // Plastic projections into the population: traces, then at an
            // epoch's end (the population's own step count, as the chip
            // aligns it) every synapse's plastic part.
            let own = match timing {
                Timing::SameStep => t as i64,
                Timing::Pipelined => t as i64 - depths[q] as i64,
            };
            let k = pop.branches();
            for e in edges.iter_mut().filter(|e| e.dst == q) {
                let Some(pl) = &mut e.plastic else { continue };
                let r = pl.rule;
                for (x, &n) in pl.x.iter_mut().zip(&pl.sent) {
                    *x = r.trace_keep * *x + n;
                }
                for (y, &n) in pl.y.iter_mut().zip(&fired_now) {
                    *y = r.trace_keep * *y + n as f64;
                }
                if (own + 1).rem_euclid(r.epoch as i64) == 0 {
                    for (s, row) in e.by_source.iter().enumerate() {
                        for (&(tg, _), a) in row.iter().zip(&mut pl.a[s]) {
                            *a = r.decay * *a + r.rate * pl.x[s] * pl.y[tg as usize / k];
                        }
                    }
                }
            }
            pop_hist[q][slot] = fired_now;
        }
        run.counts.push(
            outs.iter()
                .flat_map(|&q| pop_hist[q][slot].iter().copied())
                .collect(),
        );
        run.spikes
            .push(run.counts[t].iter().map(|&n| n > 0).collect());
        run.v
            .push(outs.iter().flat_map(|&q| v[q].iter().copied()).collect());
    }
    run.last_v = run.v.last().cloned().unwrap_or_default();
    run
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{Input, Neuron, Param, Population, Projection, Weights};

    fn if_pop(name: &str, threshold: f64, reset: Reset) -> Population {
        Population {
            name: name.into(),
            size: 1,
            neuron: Neuron::If {
                threshold: Param::Scalar(threshold),
                bias: Param::Scalar(0.0),
            },
            reset,
            schedule: None,
            noise: None,
            dendrites: None,
        }
    }

    /// Worked by hand: 3.5 θ in one step is 3 spikes (3.5 > 3θ) with 0.5
    /// left; capped at 2 it is 2 spikes and 1.5 left; each spike reaches
    /// the next layer in the same step.
    #[test]
    fn a_subtractive_reset_fires_up_to_max_spikes_and_delivers_each() {
        let net = |max_spikes| Network {
            name: "multi".into(),
            dt: 1e-3,
            inputs: vec![Input {
                name: "in".into(),
                size: 1,
            }],
            populations: vec![
                if_pop("a", 1.0, Reset::Subtract { max_spikes }),
                if_pop("b", 100.0, Reset::Zero),
            ],
            projections: vec![
                Projection {
                    from: "in".into(),
                    to: "a".into(),
                    weights: Weights::Dense(vec![vec![3.5]]),
                    delay: 0,
                    plasticity: None,
                },
                Projection {
                    from: "a".into(),
                    to: "b".into(),
                    weights: Weights::Dense(vec![vec![1.0]]),
                    delay: 0,
                    plasticity: None,
                },
            ],
            outputs: vec!["a".into(), "b".into()],
            noise_seed: None,
        };
        let input = vec![vec![true], vec![false]];
        let r = simulate(&net(31), &input);
        assert_eq!(r.spikes[0], vec![true, false]);
        assert_eq!(r.v[0], vec![0.5, 3.0]); // 3 spikes, each delivered
        let r = simulate(&net(2), &input);
        assert_eq!(r.v[0], vec![1.5, 2.0]);
        // the remainder fires once more in the next step
        assert_eq!(r.spikes[1], vec![true, false]);
        assert_eq!(r.v[1], vec![0.5, 3.0]);
    }
}
