//! Readings of a NIR file that cannot be right are refused, naming the node
//! and the likely cause: a per-step decay outside [0, 1] (a file in another
//! time unit than dt) and a layer that can never fire (a gain convention
//! read wrong). The graphs are snnTorch's leaky MLP with one parameter
//! changed as another exporter would have written it.

use spikefab_compiler::lower::{lower, lower_with, LowerOptions};
use spikefab_compiler::nir::{Array, NirGraph};

fn leaky_mlp() -> NirGraph {
    let path = format!("{}/tests/data/leaky_mlp.nir", env!("CARGO_MANIFEST_DIR"));
    NirGraph::load(path.as_ref()).unwrap()
}

/// The name of the first LIF node and the graph with `f` applied to its parameter `p`.
fn with_lif_param(p: &str, f: impl Fn(f64) -> f64) -> (String, NirGraph) {
    let mut g = leaky_mlp();
    let (name, node) = g
        .nodes
        .iter_mut()
        .find(|(_, n)| n.kind == "LIF")
        .expect("the leaky MLP has LIF nodes");
    let a: &mut Array = node.params.get_mut(p).unwrap();
    a.data.iter_mut().for_each(|x| *x = f(*x));
    (name.clone(), g)
}

#[test]
fn the_unmodified_file_lowers() {
    lower(&leaky_mlp(), "leaky_mlp", 1e-4).unwrap();
}

#[test]
fn a_time_constant_shorter_than_dt_is_refused_naming_the_node() {
    // Sinabs counts tau in steps: read as seconds at dt = 1e-4, tau = 5e-5 s
    // would give a per-step decay of 1 − 2 = −1.
    let (name, g) = with_lif_param("tau", |_| 5e-5);
    let e = lower(&g, "m", 1e-4).unwrap_err().to_string();
    assert!(
        e.contains(&format!("node '{name}'"))
            && e.contains("dt/tau = 2.0000")
            && e.contains("--dt"),
        "{e}"
    );
    let (_, g) = with_lif_param("tau", |_| 0.0);
    let e = lower(&g, "m", 1e-4).unwrap_err().to_string();
    assert!(e.contains("is not a time constant"), "{e}");
}

#[test]
fn a_negative_time_constant_is_a_growing_membrane_accepted_only_when_asked() {
    // snnTorch writes a learned β = 1.0168 as τ = dt/(1 − β) < 0.
    let (name, g) = with_lif_param("tau", |_| 1e-4 / (1.0 - 1.0168));
    let e = lower(&g, "m", 1e-4).unwrap_err().to_string();
    assert!(
        e.contains(&format!("node '{name}'"))
            && e.contains("1.0168 above 1")
            && e.contains("--allow-growing-decay"),
        "{e}"
    );
    let options = LowerOptions {
        allow_growing_decay: true,
        ..LowerOptions::at(1e-4)
    };
    let (net, _) = lower_with(&g, "m", options).unwrap();
    let p = net.populations.iter().find(|p| p.name == name).unwrap();
    assert!((p.neuron.dynamics(0).beta - 1.0168).abs() < 1e-9);
}

#[test]
fn a_layer_that_can_never_fire_is_refused_naming_it() {
    // A gain 10^-6 of the trained one (Norse 1.1 writes tau = dt/τ⁻¹, read as
    // seconds it shrinks every input gain): no input reaches the threshold.
    let (name, g) = with_lif_param("r", |r| r * 1e-6);
    let e = lower(&g, "m", 1e-4).unwrap_err().to_string();
    assert!(e.contains("can never fire") && e.contains(&name), "{e}");
}
