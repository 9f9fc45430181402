//! Plastic projections (HebbFF's fast weights; chip/src/model/plasticity.rs)
//! from the network format to the chip: the chip's learned spikes against
//! the float reference's, learning that changes what a network does, the
//! same run for any thread count, and bad rules refused by name.

mod common;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use spikefab_chip::{Arch, SpikeStream};
use spikefab_compiler::network::{
    Input, Network, Neuron, Param, Plasticity, Population, Projection, Weights,
};
use spikefab_compiler::{compile, sim};
use spikefab_emulator::{run, RunConfig};

const INPUTS: usize = 32;
const HIDDEN: usize = 48;

/// 32 inputs → 48 LIF with an anti-Hebbian plastic projection.
fn plastic_net(rate: f64, decay: f64, epoch: u32, trace_keep: f64) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    Network {
        name: "plastic".into(),
        dt: 1e-3,
        inputs: vec![Input {
            name: "in".into(),
            size: INPUTS,
        }],
        populations: vec![Population::new(
            "hidden",
            HIDDEN,
            Neuron::Lif {
                beta: Param::Scalar(0.5),
                threshold: Param::Scalar(1.0),
                bias: Param::Scalar(0.0),
            },
        )],
        projections: vec![Projection {
            from: "in".into(),
            to: "hidden".into(),
            weights: Weights::Dense(
                (0..HIDDEN)
                    .map(|_| (0..INPUTS).map(|_| rng.random_range(-0.1..0.5)).collect())
                    .collect(),
            ),
            delay: 0,
            plasticity: Some(Plasticity {
                rate,
                decay,
                epoch,
                trace_keep,
            }),
        }],
        outputs: vec!["hidden".into()],
        noise_seed: None,
    }
}

/// A stream of sparse binary items, each shown for one step, half of them
/// repeats of an item shown a few steps before (what HebbFF detects).
fn items(steps: usize) -> Vec<Vec<bool>> {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut seen: Vec<Vec<bool>> = Vec::new();
    (0..steps)
        .map(|t| {
            let x: Vec<bool> = if t > 8 && rng.random_bool(0.5) {
                seen[t - rng.random_range(2..8)].clone()
            } else {
                (0..INPUTS).map(|_| rng.random_bool(0.3)).collect()
            };
            seen.push(x.clone());
            x
        })
        .collect()
}

/// The chip's spikes as `[step][neuron]`, latency taken out, and its report totals.
fn on_chip(
    net: &Network,
    arch: &Arch,
    input: &[Vec<bool>],
    threads: usize,
) -> (Vec<Vec<bool>>, spikefab_emulator::Counters, f64) {
    let p = compile(net, arch, 1).unwrap().program;
    let lat = p.provenance.output_latency_steps as usize;
    let steps = input.len();
    let stream = SpikeStream::from_rows(input, (steps + lat) as u32, p.dt).unwrap();
    let out = run(
        &p,
        &stream,
        &RunConfig::new((steps + lat) as u32, threads),
        &|_| {},
    )
    .unwrap();
    let n = p.outputs.len();
    let dense = out.spikes.to_dense();
    let spikes = (0..steps)
        .map(|t| (0..n).map(|k| dense[(t + lat) * n + k] != 0).collect())
        .collect();
    (spikes, out.report.totals, out.report.energy.learning_pj)
}

fn agreement(a: &[Vec<bool>], b: &[Vec<bool>]) -> f64 {
    let (same, all) = a
        .iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y))
        .fold((0, 0), |(s, n), (x, y)| (s + (x == y) as usize, n + 1));
    same as f64 / all as f64
}

fn count(s: &[Vec<bool>]) -> usize {
    s.iter().flatten().filter(|&&x| x).count()
}

#[test]
fn the_chip_learns_what_the_float_network_learns() {
    let input = items(300);
    for (epoch, keep, rate) in [(1, 0.0, -0.05), (3, 0.5, -0.05), (1, 0.0, -0.25)] {
        let net = plastic_net(rate, 0.9, epoch, keep);
        let float = sim::simulate(&net, &input).spikes;
        // Learning is real: anti-Hebbian weights suppress the hidden layer.
        let fixed = sim::simulate(&plastic_net(0.0, 0.9, epoch, keep), &input).spikes;
        assert!(
            count(&float) * 10 < count(&fixed) * 9,
            "epoch {epoch}: {} learned vs {} static spikes",
            count(&float),
            count(&fixed)
        );
        let (wide, totals, learning_pj) = on_chip(&net, &common::wide(), &input, 1);
        let agree = agreement(&wide, &float);
        eprintln!(
            "epoch {epoch}, trace keep {keep}, rate {rate}: wide agreement {agree:.4}; {} spikes learned, {} static, {} on chip",
            count(&float),
            count(&fixed),
            count(&wide)
        );
        // A plastic network is chaotic: one spike that crosses its threshold
        // by less than the fixed point's rounding changes what it learns,
        // and the runs part. Traces are 8 bits (a spike is 63 of them when
        // they decay by half a step), so a decaying trace's rounding is the
        // larger. A moderate rate with spike-count traces agrees spike for
        // spike; every rule agrees in how much it learns (the suppression
        // of the hidden layer, within 3 %).
        let (c, f) = (count(&wide) as f64, count(&float) as f64);
        assert!((c - f).abs() <= 0.03 * f, "{c} vs {f}");
        let floor = if rate != -0.05 {
            0.9
        } else if keep == 0.0 {
            0.99
        } else {
            0.95
        };
        assert!(
            agree >= floor,
            "epoch {epoch}, keep {keep}, rate {rate}: {agree}"
        );
        // every synapse updated once an epoch (the chip's epochs shifted by
        // the layer's pipeline depth, 1, to fall where the network's do),
        // every axon and neuron traced every step; 301 chip steps
        let phase = (epoch - 1 % epoch) % epoch;
        let epochs = (0..301u32).filter(|t| (t + 1 + phase) % epoch == 0).count() as u64;
        assert_eq!(
            totals.learning_updates,
            (INPUTS * HIDDEN) as u64 * epochs,
            "epoch {epoch}"
        );
        assert!(totals.trace_updates >= ((INPUTS + HIDDEN) * 300) as u64);
        assert!(learning_pj > 0.0);
        let (loihi, loihi_totals, loihi_pj) =
            on_chip(&net, &Arch::preset("loihi").unwrap(), &input, 1);
        let agree = agreement(&loihi, &float);
        eprintln!("  loihi agreement {agree:.4}, {} spikes", count(&loihi));
        assert!(agree >= 0.85, "epoch {epoch}: loihi {agree}");
        // the same learning on two threads
        // (spikes, every event count and the learning energy alike)
        let (two, totals2, pj2) = on_chip(&net, &Arch::preset("loihi").unwrap(), &input, 2);
        assert_eq!(two, loihi);
        assert_eq!(totals2, loihi_totals);
        assert_eq!(pj2.to_bits(), loihi_pj.to_bits());
    }
}

#[test]
fn bad_plasticity_is_refused_naming_the_projection_or_layer_and_field() {
    let loihi = Arch::preset("loihi").unwrap();
    let refused = common::assert_refused;
    refused(
        &plastic_net(f64::NAN, 0.9, 1, 0.0),
        &loihi,
        &["'in' → 'hidden'", "plasticity rate"],
    );
    refused(
        &plastic_net(-0.2, 1.5, 1, 0.0),
        &loihi,
        &["plasticity decay"],
    );
    refused(
        &plastic_net(-0.2, 0.9, 0, 0.0),
        &loihi,
        &["plasticity epoch"],
    );
    refused(
        &plastic_net(-0.2, 0.9, 1, 1.0),
        &loihi,
        &["plasticity trace_keep"],
    );
    let mut delayed = plastic_net(-0.2, 0.9, 1, 0.0);
    delayed.projections[0].delay = 2;
    refused(&delayed, &loihi, &["plasticity with a delay"]);
    // a rate the chip's 8-bit mantissa cannot hold, or a chip without learning
    refused(
        &plastic_net(-1e-9, 0.9, 1, 0.0),
        &loihi,
        &["hidden", "below what an 8-bit rate"],
    );
    refused(
        &plastic_net(-0.2, 0.9, 1, 0.0),
        &Arch::preset("xylo").unwrap(),
        &["hidden", "no learning engine", "core.plasticity"],
    );
}

/// Weight snapshots: one per N steps, a column per plastic synapse, the
/// stored weights while nothing is learned and drifting from them when it
/// is, the same for any thread count; bad requests are refused.
#[test]
fn weight_snapshots_show_what_was_learned() {
    use spikefab_emulator::snapshot::plastic_synapses;
    let input = items(100);
    let snaps = |rate: f64, threads: usize, every: u32| {
        let p = compile(
            &plastic_net(rate, 0.9, 1, 0.0),
            &Arch::preset("loihi").unwrap(),
            1,
        )
        .unwrap()
        .program;
        let stream = SpikeStream::from_rows(&input, 100, p.dt).unwrap();
        let cfg = RunConfig {
            snapshot_every: Some(every),
            ..RunConfig::new(100, threads)
        };
        let out = run(&p, &stream, &cfg, &|_| {});
        (p, out)
    };
    let (p, out) = snaps(0.0, 1, 10);
    let out = out.unwrap();
    let columns = plastic_synapses(&p);
    assert_eq!(columns.len(), INPUTS * HIDDEN);
    let stored: Vec<i32> = columns
        .iter()
        .map(|c| {
            p.cores[c.core as usize]
                .synapses
                .word(c.word as usize)
                .weight as i32
        })
        .collect();
    assert_eq!(out.weight_snapshots.len(), 10);
    for (i, s) in out.weight_snapshots.iter().enumerate() {
        assert_eq!(s.steps_done, 10 * (i as u32 + 1));
        assert_eq!(s.weights, stored, "nothing learned at rate 0");
    }
    let learned = snaps(-0.05, 1, 10).1.unwrap().weight_snapshots;
    let moved = |s: &[i32]| s.iter().zip(&stored).filter(|(a, b)| a != b).count();
    assert!(learned.iter().all(|s| moved(&s.weights) > 0));
    assert!(learned[3].weights != learned[4].weights);
    assert_eq!(snaps(-0.05, 2, 10).1.unwrap().weight_snapshots, learned);
    let err = snaps(-0.05, 1, 0).1.unwrap_err().to_string();
    assert!(err.contains("snapshot_every"), "{err}");
    let static_net = {
        let mut n = plastic_net(-0.05, 0.9, 1, 0.0);
        n.projections[0].plasticity = None;
        compile(&n, &Arch::preset("loihi").unwrap(), 1)
            .unwrap()
            .program
    };
    let cfg = RunConfig {
        snapshot_every: Some(5),
        ..RunConfig::new(20, 1)
    };
    let stream = SpikeStream::from_rows(&input[..20], 20, static_net.dt).unwrap();
    let err = run(&static_net, &stream, &cfg, &|_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("no plastic synapses"), "{err}");
}

/// Learning spread over cores and ranks (threads standing in for MPI
/// processes): the weight snapshots, spikes and report are one process's.
#[test]
fn weight_snapshots_are_the_same_on_any_number_of_ranks() {
    use spikefab_emulator::cluster::InProcess;
    use spikefab_emulator::Emulator;
    let mut arch = Arch::preset("loihi").unwrap();
    arch.core.max_neurons = 16; // the 48 hidden neurons on three cores
    let p = compile(&plastic_net(-0.05, 0.9, 1, 0.5), &arch, 1)
        .unwrap()
        .program;
    assert_eq!(p.cores.len(), 3);
    let stream = SpikeStream::from_rows(&items(80), 80, p.dt).unwrap();
    let cfg = RunConfig {
        snapshot_every: Some(10),
        ..RunConfig::new(80, 1)
    };
    let one = run(&p, &stream, &cfg, &|_| {}).unwrap();
    let emulator = Emulator::new(&p).unwrap();
    for ranks in [2, 3, 4] {
        let outs: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = InProcess::ranks(ranks)
                .into_iter()
                .map(|rank| {
                    let (emulator, stream, cfg) = (&emulator, &stream, &cfg);
                    s.spawn(move || {
                        emulator
                            .run_on(stream, cfg, &|_| {}, &|_, _| {}, &rank)
                            .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for out in outs {
            assert_eq!(out.weight_snapshots, one.weight_snapshots, "{ranks} ranks");
            assert_eq!(out.spikes, one.spikes);
            assert_eq!(out.report.to_json(), one.report.to_json());
        }
    }
    let moved = one.weight_snapshots[7]
        .weights
        .iter()
        .zip(&one.weight_snapshots[0].weights)
        .filter(|(a, b)| a != b)
        .count();
    assert!(moved > 0, "the network learned nothing");
}
