//! Classification accuracy of a network, in float and on a chip, with the
//! chip's spikes, energy and latency per inference: `spikefab accuracy` and
//! the measurements of `spikefab convert`.
//!
//! The class is the output channel with the largest membrane at the
//! readout step when every output population is a readout (LI), and the
//! channel with the most spikes over the run otherwise.

use std::fmt::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use spikefab_chip::{Arch, SpikeStream};
use spikefab_compiler::convert::argmax;
use spikefab_compiler::sim::{simulate, simulate_timed, Semantics, Timing};
use spikefab_compiler::Network;
use spikefab_emulator::{probe, Emulator, RunConfig};

/// How a run's answer is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readout {
    /// The output membranes after this step (of the float network; a chip
    /// answers its pipeline depth later).
    Membrane { step: usize },
    /// Spikes per output channel over the whole run.
    Counts,
}

impl Readout {
    /// The readout of `net` run for `steps` steps.
    pub fn of(net: &Network, steps: usize) -> Readout {
        let readouts = net.outputs.iter().all(|o| {
            let p = &net.populations[net.population(o).expect("validated")];
            !p.neuron.spiking()
        });
        if readouts {
            Readout::Membrane {
                step: steps.saturating_sub(1),
            }
        } else {
            Readout::Counts
        }
    }
}

/// What one network measured on one chip, per inference.
pub struct OnChip {
    pub accuracy: f64,
    pub spikes: f64,
    pub synaptic_ops: f64,
    /// Dendritic branch operations (every branch, every step).
    pub branch_ops: f64,
    pub energy_nj: f64,
    pub latency_us: f64,
}

/// The float network's accuracy on `inputs` (`[sample][step][channel]`),
/// with the network's own timing or, `pipelined`, as a chip times it (each
/// layer a step later, its bias integrating from step 0: `sim::Timing`).
pub fn in_float(
    net: &Network,
    inputs: &[Vec<Vec<bool>>],
    labels: &[usize],
    readout: Readout,
    pipelined: bool,
) -> f64 {
    let lat = if pipelined {
        let depths = net.depths().unwrap_or_default();
        net.outputs
            .iter()
            .filter_map(|o| net.population(o).and_then(|p| depths.get(p)))
            .copied()
            .max()
            .unwrap_or(0) as usize
    } else {
        0
    };
    let right = inputs
        .iter()
        .zip(labels)
        .filter(|(x, &y)| {
            let run = if pipelined {
                let mut x = x.to_vec();
                let width = x.first().map_or(0, Vec::len);
                x.extend(std::iter::repeat_n(vec![false; width], lat));
                simulate_timed(net, &x, Semantics::Nir, Timing::Pipelined)
            } else {
                simulate(net, x)
            };
            let scores: Vec<f64> = match readout {
                Readout::Membrane { step } => run.v[step + lat].clone(),
                Readout::Counts => {
                    let mut c = vec![0.0; run.counts.first().map_or(0, Vec::len)];
                    for row in &run.counts {
                        for (a, &n) in c.iter_mut().zip(row) {
                            *a += n as f64;
                        }
                    }
                    c
                }
            };
            argmax(&scores) == y
        })
        .count();
    right as f64 / inputs.len().max(1) as f64
}

/// Compiles `net` for `arch` and measures it on `inputs`; membranes are
/// probed at the readout step shifted by the chip's pipeline depth.
pub fn on_chip(
    net: &Network,
    arch: &Arch,
    inputs: &[Vec<Vec<bool>>],
    labels: &[usize],
    readout: Readout,
) -> Result<OnChip> {
    let compiled = spikefab_compiler::compile(net, arch, 1)
        .with_context(|| format!("compiling {} for {}", net.name, arch.name))?;
    let p = &compiled.program;
    let lat = p.provenance.output_latency_steps as usize;
    let steps = inputs.first().map_or(0, Vec::len) + lat;
    let mut cfg = RunConfig::new(steps as u32, 1);
    if let Readout::Membrane { .. } = readout {
        for o in &net.outputs {
            cfg.probes.extend(probe::resolve(p, o, None, "v")?);
        }
    }
    let emu = Emulator::new(p)?;
    let (mut right, mut spikes, mut energy, mut latency) = (0usize, 0.0, 0.0, 0.0);
    let (mut synaptic_ops, mut branch_ops) = (0u64, 0u64);
    for (x, &label) in inputs.iter().zip(labels) {
        let stream = SpikeStream::from_rows(x, steps as u32, p.dt).map_err(anyhow::Error::msg)?;
        let scores = std::sync::Mutex::new(vec![0.0; p.outputs.len()]);
        let at = match readout {
            Readout::Membrane { step } => Some((step + lat) as u32),
            Readout::Counts => None,
        };
        let out = emu.run_probed(&stream, &cfg, &|_| {}, &|t, vals| {
            if Some(t) == at {
                let mut s = scores.lock().expect("probe sink");
                *s = vals.iter().map(|&v| v as f64).collect();
            }
        })?;
        let mut scores = scores.into_inner().expect("probe sink");
        if readout == Readout::Counts {
            for e in out.spikes.events() {
                scores[e.channel as usize] += 1.0;
            }
        }
        right += (argmax(&scores) == label) as usize;
        spikes += out.report.totals.spikes as f64;
        synaptic_ops += out.report.totals.synaptic_ops;
        branch_ops += out.report.totals.branch_ops;
        energy += out.report.energy.total_pj;
        latency += out.report.latency.total_ns;
    }
    let n = inputs.len().max(1) as f64;
    Ok(OnChip {
        accuracy: right as f64 / n,
        spikes: spikes / n,
        synaptic_ops: synaptic_ops as f64 / n,
        branch_ops: branch_ops as f64 / n,
        energy_nj: energy / n / 1e3,
        latency_us: latency / n / 1e3,
    })
}

/// A perturbation of a run (robustness tables; `--perturb`), applied with
/// its own seeded stream so that every chip and the float network see the
/// same perturbed inputs and weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Perturbation {
    /// Each input spike is dropped with this probability.
    Delete(f64),
    /// Each input spike moves by a whole number of steps, uniform in ±k
    /// (kept inside the run; spikes that land together merge).
    Jitter(u32),
    /// Every weight is multiplied by `1 + N(0, σ²)`.
    Weights(f64),
}

impl std::str::FromStr for Perturbation {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let bad = || {
            format!(
                "--perturb '{}': expected delete=P (0..=1), jitter=K (steps) or weights=S (≥ 0)",
                spikefab_chip::text::escape(s)
            )
        };
        let (k, v) = s.split_once('=').ok_or_else(bad)?;
        match k {
            "delete" => v
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=1.0).contains(p))
                .map(Perturbation::Delete),
            "jitter" => v
                .parse::<u32>()
                .ok()
                .filter(|&k| k <= 1000)
                .map(Perturbation::Jitter),
            "weights" => v
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && (0.0..=10.0).contains(s))
                .map(Perturbation::Weights),
            _ => None,
        }
        .ok_or_else(bad)
    }
}

/// The perturbed inputs and network (seeded: the same for every caller).
pub fn perturb(
    net: &Network,
    inputs: &[Vec<Vec<bool>>],
    p: Perturbation,
) -> (Network, Vec<Vec<Vec<bool>>>) {
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, Normal};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x5EED);
    let mut net = net.clone();
    let mut inputs = inputs.to_vec();
    match p {
        Perturbation::Delete(prob) => {
            for s in inputs.iter_mut().flatten().flatten() {
                if *s && rng.random_bool(prob) {
                    *s = false;
                }
            }
        }
        Perturbation::Jitter(k) => {
            for sample in inputs.iter_mut() {
                let steps = sample.len() as i64;
                let mut moved = vec![vec![false; sample.first().map_or(0, Vec::len)]; sample.len()];
                for (t, row) in sample.iter().enumerate() {
                    for (c, &s) in row.iter().enumerate() {
                        if s {
                            let d = rng.random_range(-(k as i64)..=k as i64);
                            moved[(t as i64 + d).clamp(0, steps - 1) as usize][c] = true;
                        }
                    }
                }
                *sample = moved;
            }
        }
        Perturbation::Weights(sigma) => {
            let normal = Normal::new(0.0, sigma).expect("σ is finite and ≥ 0");
            for pr in &mut net.projections {
                pr.weights.make_listed();
                match &mut pr.weights {
                    spikefab_compiler::Weights::Dense(rows) => rows
                        .iter_mut()
                        .flatten()
                        .for_each(|w| *w *= 1.0 + normal.sample(&mut rng)),
                    spikefab_compiler::Weights::Sparse { synapses, .. } => synapses
                        .iter_mut()
                        .for_each(|s| s.2 *= 1.0 + normal.sample(&mut rng)),
                    spikefab_compiler::Weights::FixedOutDegree { .. } => {} // listed above
                }
            }
        }
    }
    (net, inputs)
}

/// Class labels from `.npy` `path`: one per sample, each a class of `net`
/// (an index into its output channels), checked before use.
pub fn load_labels(path: &Path, samples: usize, net: &Network) -> Result<Vec<usize>> {
    let y = spikefab_chip::npy::NumericArray::from_npy(
        &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    )
    .map_err(|e| anyhow::anyhow!("--labels {}: {e}", path.display()))?;
    if y.shape != [samples as u64] {
        bail!(
            "--labels {}: shape {:?}; there are {samples} samples",
            path.display(),
            y.shape
        );
    }
    let classes: usize = net
        .outputs
        .iter()
        .map(|o| net.populations[net.population(o).expect("validated")].size)
        .sum();
    if let Some(k) = y
        .values
        .iter()
        .position(|&v| !(v >= 0.0 && v < classes as f64 && v.fract() == 0.0))
    {
        bail!(
            "--labels {}: label {} at {k} is not a class 0..{classes}",
            path.display(),
            y.values[k]
        );
    }
    Ok(y.values.iter().map(|&v| v as usize).collect())
}

/// `spikefab accuracy`: a network's accuracy on labelled spike samples, in
/// float and on each chip, under `perturbation` if given; returns the table.
pub fn accuracy(
    network: &Path,
    inputs: &Path,
    labels: &Path,
    archs: &[String],
    perturbation: Option<Perturbation>,
) -> Result<String> {
    let net = Network::load(network)?;
    let samples = spikefab_chip::load_samples(inputs)?;
    let channels: usize = net.inputs.iter().map(|i| i.size).sum();
    if let Some((k, s)) = samples
        .iter()
        .enumerate()
        .find(|(_, s)| s.first().is_some_and(|r| r.len() != channels))
    {
        bail!(
            "--inputs {}: sample {k} has {} channels; the network has {channels} inputs",
            inputs.display(),
            s[0].len()
        );
    }
    let y = load_labels(labels, samples.len(), &net)?;
    let (net, samples) = match perturbation {
        None => (net, samples),
        Some(p) => perturb(&net, &samples, p),
    };
    let steps = samples.first().map_or(0, Vec::len);
    let readout = Readout::of(&net, steps);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} samples of {steps} steps; float accuracy {:.2} % ({:.2} % timed as a chip pipelines it)\n",
        crate::terminal_safe(&net.name),
        samples.len(),
        100.0 * in_float(&net, &samples, &y, readout, false),
        100.0 * in_float(&net, &samples, &y, readout, true)
    );
    if !archs.is_empty() {
        let _ = writeln!(
            s,
            "| chip | accuracy | spikes / inf. | synaptic ops / inf. | branch ops / inf. | energy / inf. (nJ) | latency / inf. (µs) |\n|---|---:|---:|---:|---:|---:|---:|"
        );
    }
    for a in archs {
        let arch = Arch::resolve(a)?;
        let m = on_chip(&net, &arch, &samples, &y, readout)?;
        let _ = writeln!(
            s,
            "| {} | {:.2} % | {:.0} | {:.0} | {:.0} | {:.1} | {:.2} |",
            crate::terminal_safe(&arch.name),
            100.0 * m.accuracy,
            m.spikes,
            m.synaptic_ops,
            m.branch_ops,
            m.energy_nj,
            m.latency_us
        );
    }
    Ok(s)
}
