//! The float reference against independent implementations of each model's
//! published equations (`tools/<model>_reference.py`, PyTorch in float64):
//! the same spikes, and membranes within 1e-6, on random parameters and
//! inputs. What is checked here is the network format's reading of a model
//! and `spikefab simulate`'s step; the chip's fixed-point step is checked
//! against this reference elsewhere (fidelity.rs).

mod common;

use spikefab_compiler::lower::{lower_with, LowerOptions};
use spikefab_compiler::nir::NirGraph;
use spikefab_compiler::sim::simulate;
use spikefab_compiler::Network;

fn data(name: &str) -> String {
    format!("{}/tests/data/models/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `[samples][steps][values]` of a float64 npy of shape [samples, steps, values].
fn npy_f64(path: &str) -> Vec<Vec<Vec<f64>>> {
    let bytes = std::fs::read(path).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let v = npy.into_vec::<f64>().unwrap();
    let row = |s: usize, t: usize| v[(s * shape[1] + t) * shape[2]..][..shape[2]].to_vec();
    (0..shape[0])
        .map(|s| (0..shape[1]).map(|t| row(s, t)).collect())
        .collect()
}

/// Runs `net` on the fixture `name` (`<name>_{input,spikes,v}.npy`) and
/// checks every spike and the membranes to 1e-6; returns the spikes compared.
fn matches_reference(net: &Network, name: &str) -> usize {
    let inputs = common::npy_u8(&data(&format!("{name}_input.npy")));
    let spikes = common::npy_u8(&data(&format!("{name}_spikes.npy")));
    let v = npy_f64(&data(&format!("{name}_v.npy")));
    let (mut fired, mut worst) = (0usize, 0.0f64);
    for (s, x) in inputs.iter().enumerate() {
        let x: Vec<Vec<bool>> = x
            .iter()
            .map(|r| r.iter().map(|&b| b != 0).collect())
            .collect();
        let run = simulate(net, &x);
        for t in 0..x.len() {
            let want: Vec<bool> = spikes[s][t].iter().map(|&b| b != 0).collect();
            assert_eq!(run.spikes[t], want, "{name}: sample {s}, step {t}");
            fired += want.iter().filter(|&&b| b).count();
            for (a, b) in run.v[t].iter().zip(&v[s][t]) {
                worst = worst.max((a - b).abs());
            }
        }
    }
    eprintln!("{name}: {fired} spikes equal, membranes within {worst:.2e}");
    assert!(fired > 1000, "{name}: the fixture must be active");
    assert!(worst <= 1e-6, "{name}: {worst}");
    fired
}

#[test]
fn alif_matches_the_lsnn_equations_in_pytorch() {
    let net = Network::load(data("alif_net.ron").as_ref()).unwrap();
    matches_reference(&net, "alif");
}

#[test]
fn alif_reads_from_spikefabs_nir_extension() {
    let g = NirGraph::load(data("alif_delta.nir").as_ref()).unwrap();
    let (net, _) = lower_with(&g, "alif_delta", LowerOptions::at(1e-3)).unwrap();
    matches_reference(&net, "alif_delta");
}

#[test]
fn bad_alif_extension_parameters_are_refused_naming_node_and_field() {
    let g = NirGraph::load(data("alif_delta.nir").as_ref()).unwrap();
    for (field, value, needle) in [
        ("threshold_step", -0.1, "threshold_step"),
        ("tau_adapt", 0.0, "tau_adapt"),
        ("tau_adapt", 1e-4, "tau_adapt"), // dt/τ > 1: a decay below 0
    ] {
        let mut bad = g.clone();
        let p = bad
            .nodes
            .get_mut("alif")
            .unwrap()
            .params
            .get_mut(field)
            .unwrap();
        p.data[3] = value;
        let Err(e) = lower_with(&bad, "bad", LowerOptions::at(1e-3)) else {
            panic!("{field} = {value} must be refused")
        };
        let e = e.to_string();
        assert!(e.contains("'alif'") && e.contains(needle), "{e}");
    }
    refuses_without(&g, "tau_adapt");
}

/// `g` without node `alif`'s parameter `field` is refused, naming it.
fn refuses_without(g: &NirGraph, field: &str) {
    let mut missing = g.clone();
    missing.nodes.get_mut("alif").unwrap().params.remove(field);
    let Err(e) = lower_with(&missing, "bad", LowerOptions::at(1e-3)) else {
        panic!("a missing {field} must be refused")
    };
    assert!(e.to_string().contains(field), "{e}");
}

#[test]
fn celif_matches_its_equations_in_pytorch() {
    let net = Network::load(data("celif_net.ron").as_ref()).unwrap();
    matches_reference(&net, "celif");
}

#[test]
fn an_stdi_schedule_matches_its_equations_in_pytorch() {
    let net = Network::load(data("stdi_net.ron").as_ref()).unwrap();
    matches_reference(&net, "stdi");
}

#[test]
fn celif_reads_from_spikefabs_nir_extension_and_bad_embeddings_are_named() {
    let g = NirGraph::load(data("celif_delta.nir").as_ref()).unwrap();
    let (net, _) = lower_with(&g, "celif_delta", LowerOptions::at(1e-3)).unwrap();
    assert_eq!(
        net.populations[0].schedule.as_ref().map(|s| s.len()),
        Some(11)
    );
    matches_reference(&net, "celif_delta");
    let refused = |edit: &dyn Fn(&mut spikefab_compiler::nir::Array)| {
        let mut bad = g.clone();
        let node = bad.nodes.get_mut("alif").unwrap();
        edit(node.params.get_mut("embedding").unwrap());
        match lower_with(&bad, "bad", LowerOptions::at(1e-3)) {
            Ok(_) => panic!("a bad embedding must be refused"),
            Err(e) => e.to_string(),
        }
    };
    let e = refused(&|a| a.data[2] = f64::NAN);
    assert!(e.contains("'alif'") && e.contains("embedding[2]"), "{e}");
    let e = refused(&|a| {
        a.data.clear();
        a.shape = vec![0];
    });
    assert!(
        e.contains("'alif'") && e.contains("embedding has shape"),
        "{e}"
    );
    // an offset that takes a threshold below 0 is the network's error, named
    let e = refused(&|a| a.data[0] = -5.0);
    assert!(e.contains("'alif'") && e.contains("below 0"), "{e}");
    refuses_without(&g, "embedding");
}

#[test]
fn dendritic_neurons_match_their_equations_in_pytorch() {
    // The fixture's branches are rectified (28 % of branch inputs) and
    // capped (45 %) often enough that a linear sum changes 16 % of the
    // (neuron, step) spike decisions: the nonlinearity is exercised.
    let net = Network::load(data("dendrites_net.ron").as_ref()).unwrap();
    matches_reference(&net, "dendrites");
}
