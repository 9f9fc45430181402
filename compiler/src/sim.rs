//! The float reference simulator: the network's own semantics in f64, the
//! yardstick for quantization loss.
//!
//! Each step, populations update in order; feed-forward projections deliver
//! this step's spikes (input or earlier population), recurrent ones the
//! previous step's, each `delay` steps later still. Spiking neurons reset to
//! 0 in the step they fire.

use crate::network::{Dynamics, Network, Source};

/// Output spikes of a run: `spikes[t][k]` for output channel `k` (the output
/// populations' neurons, concatenated in order).
#[derive(Clone, Debug, PartialEq)]
pub struct FloatRun {
    pub spikes: Vec<Vec<bool>>,
    /// Final membrane of the output neurons (readouts report their value).
    pub last_v: Vec<f64>,
    /// Membrane of the output neurons at every step.
    pub v: Vec<Vec<f64>>,
}

struct Edge {
    src: Source,
    dst: usize,
    /// Steps back in the spike history: delay for feed-forward, delay + 1 for recurrent.
    lag: usize,
    by_source: Vec<Vec<(u32, f64)>>,
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
    let edges: Vec<Edge> = net
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
    // spike history ring per population: [hist][size]
    let mut pop_hist: Vec<Vec<Vec<bool>>> = net
        .populations
        .iter()
        .map(|p| vec![vec![false; p.size]; hist])
        .collect();
    let mut cur: Vec<Vec<f64>> = net.populations.iter().map(|p| vec![0.0; p.size]).collect();
    let mut v: Vec<Vec<f64>> = net.populations.iter().map(|p| vec![0.0; p.size]).collect();
    let outs: Vec<usize> = net
        .outputs
        .iter()
        .map(|o| net.population(o).expect("validated"))
        .collect();
    let mut run = FloatRun {
        spikes: Vec::with_capacity(input.len()),
        last_v: Vec::new(),
        v: Vec::with_capacity(input.len()),
    };
    for t in 0..input.len() {
        let slot = t % hist;
        for (q, pop) in net.populations.iter().enumerate() {
            let mut i_in = vec![0.0; pop.size];
            for e in edges.iter().filter(|e| e.dst == q) {
                if e.lag > t {
                    continue;
                }
                let past = t - e.lag;
                let fired = |s: usize| -> bool {
                    match e.src {
                        Source::Input(k) => input[past]
                            .get(input_offset[k] + s)
                            .copied()
                            .unwrap_or(false),
                        Source::Population(p) => pop_hist[p][past % hist][s],
                    }
                };
                for (s, row) in e.by_source.iter().enumerate() {
                    if fired(s) {
                        for &(tg, w) in row {
                            i_in[tg as usize] += w;
                        }
                    }
                }
            }
            let mut fired_now = vec![false; pop.size];
            let prev = (t + hist - 1) % hist;
            for n in 0..pop.size {
                let d = dyns[q][n];
                cur[q][n] = d.alpha * cur[q][n] + i_in[n] + d.current_bias;
                v[q][n] = d.beta * v[q][n] + cur[q][n] + d.bias;
                if let Some(th) = d.threshold {
                    match semantics {
                        Semantics::Nir => {
                            if v[q][n] > th {
                                fired_now[n] = true;
                                v[q][n] = 0.0;
                            }
                        }
                        Semantics::SnnTorch => {
                            if t > 0 && pop_hist[q][prev][n] {
                                v[q][n] -= th;
                            }
                            fired_now[n] = v[q][n] > th;
                        }
                    }
                }
            }
            pop_hist[q][slot] = fired_now;
        }
        run.spikes.push(
            outs.iter()
                .flat_map(|&q| pop_hist[q][slot].iter().copied())
                .collect(),
        );
        run.v
            .push(outs.iter().flat_map(|&q| v[q].iter().copied()).collect());
    }
    run.last_v = run.v.last().cloned().unwrap_or_default();
    run
}
