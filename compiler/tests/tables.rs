//! The synapse tables and routes the compiler builds reach, from every
//! source, exactly the targets the network gives it — on a network large
//! enough that the table builder works in several rounds of sources and
//! several blocks of cores.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use spikefab_chip::{Arch, CoreProgram};
use spikefab_compiler::{compile, Network};

const INPUTS: usize = 2_500;
const NEURONS: usize = 3_000;

/// `(target, source)` pairs: `per_source` distinct random targets each.
fn random_synapses(sources: usize, per_source: usize, rng: &mut ChaCha8Rng) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for s in 0..sources {
        let mut targets: Vec<u32> = Vec::new();
        while targets.len() < per_source {
            let t = rng.random_range(0..NEURONS as u32);
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
        out.extend(targets.into_iter().map(|t| (t, s as u32)));
    }
    out
}

fn ron_synapses(syn: &[(u32, u32)], w: f64) -> String {
    syn.iter()
        .map(|(t, s)| format!("({t}, {s}, {w})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each source's targets (global neuron ids), sorted, as the program routes
/// them: its routes' axons' rows, each slot read back to its neuron.
fn reached(p: &CoreProgram) -> Vec<Vec<u32>> {
    // every program core's neurons, from its groups' names `pop[a..b]`
    let neurons_of: Vec<Vec<u32>> = p
        .cores
        .iter()
        .map(|c| {
            c.groups
                .iter()
                .flat_map(|g| {
                    let range = g.name.trim_start_matches("p[").trim_end_matches(']');
                    let (a, b) = range.split_once("..").expect("a slice's name");
                    a.parse::<u32>().unwrap()..b.parse::<u32>().unwrap()
                })
                .collect()
        })
        .collect();
    let targets = |routes: &mut dyn Iterator<Item = spikefab_chip::Route>| -> Vec<u32> {
        let mut out: Vec<u32> = routes
            .flat_map(|r| {
                let s = &p.cores[r.core as usize].synapses;
                let neurons = &neurons_of[r.core as usize];
                s.words(s.row(r.axon as usize))
                    .map(move |w| neurons[w.target as usize])
            })
            .collect();
        out.sort_unstable();
        out
    };
    let mut by_source: Vec<Vec<u32>> = (0..INPUTS).map(|k| targets(&mut p.inputs.of(k))).collect();
    let mut recurrent = vec![Vec::new(); NEURONS];
    for (c, core) in p.cores.iter().enumerate() {
        for (local, &n) in neurons_of[c].iter().enumerate() {
            recurrent[n as usize] = targets(&mut core.routes.of(local));
        }
    }
    by_source.extend(recurrent);
    by_source
}

#[test]
fn every_source_reaches_exactly_its_targets() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let input = random_synapses(INPUTS, 12, &mut rng);
    let recurrent = random_synapses(NEURONS, 9, &mut rng);
    let text = format!(
        r#"(name: "tables", dt: 0.001, inputs: [(name: "in", size: {INPUTS})],
        populations: [(name: "p", size: {NEURONS},
            neuron: Lif(beta: 0.9, threshold: 100.0, bias: 0.0))],
        projections: [
            (from: "in", to: "p", weights: Sparse(targets: {NEURONS}, sources: {INPUTS},
                synapses: [{}]), delay: 0),
            (from: "p", to: "p", weights: Sparse(targets: {NEURONS}, sources: {NEURONS},
                synapses: [{}]), delay: 0),
        ],
        outputs: ["p"])"#,
        ron_synapses(&input, 1.0),
        ron_synapses(&recurrent, -1.0),
    );
    let net = Network::from_ron_str(&text, std::path::Path::new("tables.ron")).unwrap();
    let mut arch = Arch::preset("loihi").unwrap();
    arch.core.max_neurons = 64; // ≥ 47 cores: more than one block of cores
    let p = compile(&net, &arch, 1).unwrap().program;
    assert!(p.cores.len() > 40, "{} cores", p.cores.len());

    let mut expected = vec![Vec::new(); INPUTS + NEURONS];
    for &(t, s) in &input {
        expected[s as usize].push(t);
    }
    for &(t, s) in &recurrent {
        expected[INPUTS + s as usize].push(t);
    }
    for e in &mut expected {
        e.sort_unstable();
    }
    let got = reached(&p);
    for (g, (got, want)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "source {g}");
    }
}

/// The passes over every synapse run on several threads — the quantizer's
/// input sums over ranges of targets, its rows in fixed chunks of sources
/// (4,096), the table builder's over shares of sources and blocks of cores:
/// a projection of 10,000 sources with 10 random weights each onto 94 cores
/// compiles to the same program and the same weight errors and current
/// headroom (float sums over all its synapses) on 1, 2 and 3 threads.
#[test]
fn the_program_does_not_depend_on_compile_threads() {
    const SOURCES: usize = 10_000;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let synapses: Vec<String> = random_synapses(SOURCES, 10, &mut rng)
        .iter()
        .map(|(t, s)| format!("({t}, {s}, {})", rng.random_range(-1.0..1.0f64)))
        .collect();
    let text = format!(
        r#"(name: "threads", dt: 0.001, inputs: [(name: "in", size: {SOURCES})],
        populations: [(name: "p", size: {NEURONS},
            neuron: Lif(beta: 0.9, threshold: 10.0, bias: 0.0))],
        projections: [(from: "in", to: "p", weights: Sparse(targets: {NEURONS},
            sources: {SOURCES}, synapses: [{}]), delay: 0)],
        outputs: ["p"])"#,
        synapses.join(", ")
    );
    let net = Network::from_ron_str(&text, std::path::Path::new("threads.ron")).unwrap();
    let mut arch = Arch::preset("loihi").unwrap();
    arch.core.max_neurons = 32;
    // and synapses bind too (≈ 33 a neuron): the fan-in counts, also
    // counted on several threads, size the slices — cores to share out
    arch.core.max_synapses = 900;
    let compile_on = |arch: &Arch, threads| {
        let opts = spikefab_compiler::Options {
            threads,
            ..Default::default()
        };
        spikefab_compiler::compile_sized(&net, arch, 1, None, &opts)
    };
    let with = |threads| compile_on(&arch, threads).unwrap();
    let one = with(1);
    assert!(one.report.layers[0].weight_error > 0.0);
    assert!(
        one.program.cores.len() > 64,
        "{} cores",
        one.program.cores.len()
    );
    for threads in [2, 3] {
        let many = with(threads);
        assert_eq!(many.program, one.program, "{threads} threads");
        assert_eq!(many.report, one.report, "{threads} threads");
    }
    // On a chip too small, the error states the layer's synapse count:
    // the fan-in counts summed, the same on any number of threads.
    let mut small = arch.clone();
    small.topology.tiles_x = 2;
    small.topology.tiles_y = 2;
    let too_small = |threads| match compile_on(&small, threads) {
        Ok(_) => panic!(
            "{threads} threads: fits {} cores",
            small.topology.num_cores()
        ),
        Err(e) => e.to_string(),
    };
    let stored = one.program.num_synapses();
    assert!(
        too_small(1).contains(&format!("{stored} synapses")),
        "{}",
        too_small(1)
    );
    for threads in [2, 3] {
        assert_eq!(too_small(threads), too_small(1), "{threads} threads");
    }
}
