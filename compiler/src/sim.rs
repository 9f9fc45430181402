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

/// Simulates `net` on `input[t][channel]` (channels of all inputs, concatenated).
pub fn simulate(net: &Network, input: &[Vec<bool>]) -> FloatRun {
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
            lag: pr.delay as usize + usize::from(!net.is_feed_forward(pr)),
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
            for n in 0..pop.size {
                let d = dyns[q][n];
                cur[q][n] = d.alpha * cur[q][n] + i_in[n];
                v[q][n] = d.beta * v[q][n] + cur[q][n] + d.bias;
                if let Some(th) = d.threshold {
                    if v[q][n] > th {
                        fired_now[n] = true;
                        v[q][n] = 0.0;
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
