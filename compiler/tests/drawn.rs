//! Drawn connectivity (`Weights::FixedOutDegree`, decision 79): rows drawn
//! as they are read compile to the very program of the same synapses
//! listed, on any thread count; the draws follow the rule's law; and a bad
//! rule is refused with the field named, before anything is drawn.

use std::path::Path;

use proptest::prelude::*;
use spikefab_chip::Arch;
use spikefab_compiler::{compile_sized, Network, Options, Weights};

/// A recurrent LIF layer fed by an input, both projections drawn.
fn network(neurons: usize, inputs: usize, recurrent: &str, input: &str) -> Network {
    let text = format!(
        r#"(
    name: "drawn",
    dt: 0.001,
    inputs: [(name: "in", size: {inputs})],
    populations: [(name: "p", size: {neurons},
        neuron: Lif(beta: 0.9, threshold: 1.0, bias: 0.0))],
    projections: [
        (from: "in", to: "p", weights: {input}),
        (from: "p", to: "p", weights: {recurrent}),
    ],
    outputs: ["p"],
)"#
    );
    Network::from_ron_str(&text, Path::new("drawn.ron")).expect("a valid network")
}

fn drawn(targets: usize, sources: usize, k: u32, low: f64, high: f64, seed: u64) -> String {
    format!(
        "FixedOutDegree(targets: {targets}, sources: {sources}, out_degree: {k}, \
         low: {low:?}, high: {high:?}, seed: {seed})"
    )
}

#[test]
fn drawn_rows_compile_to_the_program_of_the_same_synapses_listed() {
    let (neurons, inputs) = (3_000, 300);
    let net = network(
        neurons,
        inputs,
        &drawn(neurons, neurons, 40, -0.004, 0.012, 5),
        &drawn(neurons, inputs, 24, 0.3, 0.3, 6),
    );
    let mut listed = net.clone();
    for pr in &mut listed.projections {
        pr.weights.make_listed();
        assert!(matches!(pr.weights, Weights::Sparse { .. }));
    }
    let arch = Arch::preset("loihi").unwrap();
    let compile = |net: &Network, threads| {
        let opts = Options {
            threads,
            ..Default::default()
        };
        compile_sized(net, &arch, 1, None, &opts).expect("compiles")
    };
    let reference = compile(&listed, 1);
    assert!(reference.program.cores.len() > 2, "several cores");
    // weights near 0 round to 0 at the chip's bits and are not stored
    assert!((100_000..net.num_synapses()).contains(&reference.program.num_synapses()));
    for threads in [1, 2, 3] {
        let c = compile(&net, threads);
        assert_eq!(c.program, reference.program, "{threads} threads");
        assert_eq!(
            format!("{:?}", c.report),
            format!("{:?}", reference.report),
            "{threads} threads"
        );
    }
}

#[test]
fn draws_follow_the_rule() {
    // Uniform targets and weights: each target's count and the weights'
    // mean within 5 standard deviations of their expectation.
    let (targets, sources, k, low, high) = (50usize, 4_000usize, 25u32, -0.5, 1.5);
    let w = Weights::FixedOutDegree {
        targets,
        sources,
        out_degree: k,
        low,
        high,
        seed: 11,
    };
    let rows = w.by_source();
    assert!(rows.iter().all(|r| r.len() == k as usize), "{k} a row");
    let n = (sources * k as usize) as f64;
    let mut hits = vec![0usize; targets];
    let (mut sum, mut lowest, mut highest) = (0.0, f64::MAX, f64::MIN);
    for &(t, x) in rows.iter().flatten() {
        hits[t as usize] += 1;
        sum += x;
        lowest = lowest.min(x);
        highest = highest.max(x);
    }
    let p = 1.0 / targets as f64;
    let sd = (n * p * (1.0 - p)).sqrt();
    for (t, &h) in hits.iter().enumerate() {
        assert!((h as f64 - n * p).abs() < 5.0 * sd, "target {t}: {h}");
    }
    let mean_sd = (high - low) / 12f64.sqrt() / n.sqrt();
    assert!((sum / n - 0.5).abs() < 5.0 * mean_sd, "mean {}", sum / n);
    assert!(lowest >= low && highest < high && highest - lowest > 0.99 * (high - low));
    // Rows are independent streams: no two sources draw the same row, and
    // another seed draws other rows.
    let mut distinct = rows.clone();
    distinct.sort_by(|a, b| a.partial_cmp(b).unwrap());
    distinct.dedup();
    assert_eq!(distinct.len(), sources);
    let other = Weights::FixedOutDegree {
        targets,
        sources,
        out_degree: k,
        low,
        high,
        seed: 12,
    };
    assert!(other.by_source().iter().zip(&rows).all(|(a, b)| a != b));
}

proptest! {
    /// Any row drawn alone is that row of the whole, the index reads the
    /// same rows, and the listed copy holds them in order.
    #[test]
    fn a_row_is_the_same_drawn_alone_or_with_the_rest(
        targets in 1usize..40, sources in 1usize..40, k in 0u32..30,
        low in -2i8..3, span in 0u8..4, seed in any::<u64>(), s in 0usize..40,
    ) {
        let (low, high) = (low as f64 * 0.5, low as f64 * 0.5 + span as f64 * 0.25);
        let w = Weights::FixedOutDegree { targets, sources, out_degree: k, low, high, seed };
        let rows = w.by_source();
        let s = s % sources;
        let alone: Vec<_> = w.index_by_source().row(s).collect();
        prop_assert_eq!(&alone, &rows[s]);
        let index: Vec<Vec<_>> = w.index_by_source().rows().map(|r| r.collect()).collect();
        prop_assert_eq!(&index, &rows);
        prop_assert_eq!(w.count_nonzero(), rows.iter().map(Vec::len).sum::<usize>());
        let mut listed = w.clone();
        listed.make_listed();
        prop_assert_eq!(listed.by_source(), rows);
    }
}

#[test]
fn a_bad_rule_is_refused_by_name() {
    let bad = |weights: String, field: &str| {
        let text = format!(
            r#"(name: "bad", dt: 0.001, inputs: [(name: "in", size: 4)],
                populations: [(name: "p", size: 8,
                    neuron: Lif(beta: 0.9, threshold: 1.0, bias: 0.0))],
                projections: [(from: "in", to: "p", weights: {weights})],
                outputs: ["p"])"#
        );
        let e = Network::from_ron_str(&text, Path::new("bad.ron"))
            .expect_err(&weights)
            .to_string();
        assert!(e.contains(field), "{weights}: {e}");
    };
    bad(drawn(8, 4, 3, 0.5, 0.1, 1), "low 0.5 is above high 0.1");
    bad(drawn(8, 4, 3, f64::NAN, 0.1, 1), "not finite");
    bad(drawn(8, 4, 3, -1e308, 1e308, 1), "not finite");
    bad(drawn(9, 4, 3, 0.1, 0.2, 1), "weights are 9 × 4");
    // far more synapses than allowed: refused before a row is drawn
    bad(drawn(8, 4, u32::MAX, 0.1, 0.2, 1), "synapses, more than");
    bad(
        "FixedOutDegree(targets: 8, sources: 4, out_degree: 3, low: 0.1, high: 0.2)".into(),
        "seed",
    );
}
