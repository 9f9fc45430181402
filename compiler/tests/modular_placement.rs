//! Modularity-aware placement (issue 13): a network whose hidden layer is
//! made of modules, stored with its neurons shuffled, packed onto cores in
//! order or by module. The clustered program computes the same outputs
//! spike for spike and sends fewer messages over fewer hops.
//!
//! `cargo test --release -p spikefab-compiler --test modular_placement -- --nocapture`
//! prints the table in docs/models.md.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use spikefab_chip::Arch;
use spikefab_compiler::modules::cluster_by_module;
use spikefab_compiler::network::{Input, Network, Neuron, Param, Population, Projection, Weights};
use spikefab_compiler::{compile, sim};
use spikefab_emulator::workload::poisson_input;
use spikefab_emulator::{run, RunConfig};

/// `modules` modules of `size` recurrent LIF neurons (dense within a
/// module, 0.05 % between), each driven by its own 8 input channels, read out
/// by one LI neuron per module; the hidden neurons stored in a random order.
fn modular(modules: usize, size: usize, seed: u64) -> Network {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = modules * size;
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let module_of = |i: usize| order[i] / size; // hidden neuron i's module
    let inputs = modules * 8;
    let w_in: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..inputs)
                .map(|c| {
                    if c / 8 == module_of(i) {
                        rng.random_range(0.2..0.6)
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let w_rec: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let same = module_of(i) == module_of(j);
                    if i != j && (same || rng.random_bool(0.0005)) {
                        rng.random_range(-0.1..0.15)
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let w_out: Vec<Vec<f64>> = (0..modules)
        .map(|m| {
            (0..n)
                .map(|i| if module_of(i) == m { 0.1 } else { 0.0 })
                .collect()
        })
        .collect();
    let proj = |from: &str, to: &str, w| Projection {
        from: from.into(),
        to: to.into(),
        weights: Weights::Dense(w),
        delay: 0,
        plasticity: None,
    };
    Network {
        name: "modular".into(),
        dt: 1e-3,
        inputs: vec![Input {
            name: "in".into(),
            size: inputs,
        }],
        populations: vec![
            Population::new(
                "hidden",
                n,
                Neuron::Lif {
                    beta: Param::Scalar(0.9),
                    threshold: Param::PerNeuron(
                        (0..n).map(|i| 1.0 + 0.01 * (i % 7) as f64).collect(),
                    ),
                    bias: Param::Scalar(0.0),
                },
            ),
            Population::new(
                "readout",
                modules,
                Neuron::Li {
                    beta: Param::Scalar(0.9),
                    bias: Param::Scalar(0.0),
                },
            ),
        ],
        projections: vec![
            proj("in", "hidden", w_in),
            proj("hidden", "hidden", w_rec),
            proj("hidden", "readout", w_out),
        ],
        outputs: vec!["readout".into()],
        noise_seed: None,
    }
}

#[test]
fn clustering_by_module_keeps_the_function_and_cuts_the_traffic() {
    let net = modular(16, 128, 5);
    let (clustered, c) = cluster_by_module(&net, 1).unwrap();
    eprintln!("modules found: {} (Q = {:.3})", c.modules, c.q);
    assert_eq!(c.modules, 16, "the planted modules");
    assert!(c.order[1].is_none(), "the output layer keeps its order");
    // the same network: the float reference's outputs are equal
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let x: Vec<Vec<bool>> = (0..60)
        .map(|_| (0..128).map(|_| rng.random_bool(0.1)).collect())
        .collect();
    assert_eq!(
        sim::simulate(&net, &x).spikes,
        sim::simulate(&clustered, &x).spikes
    );
    eprintln!("| chip | placement | cores | messages (100 steps) | messages × hops | NoC energy / step | energy / step | latency / step |");
    eprintln!("|---|---|---|---|---|---|---|---|");
    // (TrueNorth has one route a neuron: neither fits; fpga-small is too small)
    for arch in ["loihi"] {
        let arch = Arch::preset(arch).unwrap();
        let mut rows = Vec::new();
        for (name, n) in [("in order", &net), ("by module", &clustered)] {
            let p = match compile(n, &arch, 1) {
                Ok(c) => c.program,
                Err(e) => {
                    eprintln!("| {} | {name} | does not fit: {e} | | | | | |", arch.name);
                    continue;
                }
            };
            let input = poisson_input(128, 100, 0.1, p.dt, 3);
            let out = run(&p, &input, &RunConfig::new(100, 2), &|_| {}).unwrap();
            let t = &out.report.totals;
            let hops = t.hops_east_west + t.hops_north_south + t.hops_chip;
            let e = &out.report.energy;
            eprintln!(
                "| {} | {name} | {} | {} | {} | {:.2} nJ | {:.1} nJ | {:.2} µs |",
                arch.name,
                p.cores.len(),
                t.messages_out,
                hops,
                e.noc_pj / 100.0 / 1e3,
                e.total_pj / 100.0 / 1e3,
                out.report.latency.total_ns / 100.0 / 1e3
            );
            rows.push((name, out.spikes, t.messages_out, hops, e.noc_pj));
        }
        // where both fit: the same output spikes, and the clustered
        // program sends no more messages over no more hops
        if let [a, b] = &rows[..] {
            assert_eq!(a.1, b.1, "{}: outputs differ", arch.name);
            assert!(b.2 <= a.2 && b.3 <= a.3 && b.4 <= a.4, "{}", arch.name);
        }
        {
            assert_eq!(rows.len(), 2);
            assert!(
                rows[1].2 * 10 < rows[0].2 * 7,
                "messages {} vs {}",
                rows[1].2,
                rows[0].2
            );
        }
    }
}
