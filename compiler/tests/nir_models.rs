//! NIR files from snnTorch (tools/snntorch_models.py): imported, simulated
//! with snnTorch's semantics against snnTorch's own recorded spikes, and
//! compiled for chips against the float reference and the recorded decisions.

mod common;

use common::wide;
use spikefab_chip::{Arch, SpikeStream};
use spikefab_compiler::nir::NirGraph;
use spikefab_compiler::sim::{simulate_timed, simulate_with, Semantics, Timing};
use spikefab_compiler::{compile, lower::lower, Network};
use spikefab_emulator::{run, RunConfig};

const MODELS: &[&str] = &["leaky_mlp", "synaptic_mlp", "rleaky", "conv"];
/// Untrained exports of two more layer kinds (RSynaptic; Conv2d + AvgPool2d).
const EXTRA: &[&str] = &["rsynaptic", "avgpool_conv"];
const DT: f64 = 1e-4; // snnTorch's export convention

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `[samples][steps][values]` from a uint8 npy of shape [samples, steps, ...].
fn load_u8(name: &str) -> Vec<Vec<Vec<bool>>> {
    common::npy_u8(&data(name))
        .into_iter()
        .map(|x| {
            x.into_iter()
                .map(|r| r.into_iter().map(|v| v != 0).collect())
                .collect()
        })
        .collect()
}

fn model(name: &str) -> Network {
    let g = NirGraph::load(data(&format!("{name}.nir")).as_ref()).unwrap();
    lower(&g, name, DT).unwrap()
}

fn counts(spikes: &[Vec<bool>]) -> Vec<usize> {
    let n = spikes[0].len();
    (0..n)
        .map(|k| spikes.iter().filter(|s| s[k]).count())
        .collect()
}

fn decision(c: &[usize]) -> usize {
    // argmax, ties to the lowest index (as torch.argmax)
    let mut best = 0;
    for (k, &v) in c.iter().enumerate() {
        if v > c[best] {
            best = k;
        }
    }
    best
}

#[test]
fn snntorch_semantics_reproduce_snntorchs_own_spikes() {
    for name in MODELS.iter().chain(EXTRA) {
        let net = model(name);
        let inputs = load_u8(&format!("{name}_input.npy"));
        let expected = load_u8(&format!("{name}_output.npy"));
        let (mut same, mut total) = (0, 0);
        for (x, want) in inputs.iter().zip(&expected) {
            let got = simulate_with(&net, x, Semantics::SnnTorch).spikes;
            for (g, w) in got.iter().zip(want) {
                same += g.iter().zip(w).filter(|(a, b)| a == b).count();
                total += w.len();
            }
        }
        let agree = same as f64 / total as f64;
        eprintln!("{name}: {same}/{total} spike values equal snnTorch's");
        // float32 (torch) vs float64 (here) can only differ at threshold ties
        assert!(agree >= 0.999, "{name}: {agree}");
    }
}

/// The chip's output spikes, realigned to the network's time (output latency removed).
fn chip_run(net: &Network, arch: &Arch, x: &[Vec<bool>]) -> Vec<Vec<bool>> {
    let c = compile(net, arch, 1).unwrap();
    let p = &c.program;
    let lat = p.provenance.output_latency_steps as usize;
    let steps = x.len() + lat;
    let stream = SpikeStream::from_rows(x, steps as u32, net.dt).unwrap();
    let out = run(p, &stream, &RunConfig::new(steps as u32, 1), &|_| {}).unwrap();
    let dense = out.spikes.to_dense();
    let n = p.outputs.len();
    (0..x.len())
        .map(|t| (0..n).map(|k| dense[(t + lat) * n + k] != 0).collect())
        .collect()
}

#[test]
fn wide_chip_matches_the_float_reference_on_every_model() {
    // The trained models. (The untrained EXTRA exports are import fixtures:
    // driven hard, their membranes sit near threshold, and the 12-bit decays
    // of the Loihi formats alone move ~2 % of their late spikes.)
    for name in MODELS {
        let net = model(name);
        let inputs = load_u8(&format!("{name}_input.npy"));
        let (mut same, mut total) = (0, 0);
        for x in inputs.iter().take(16) {
            // Same semantics as the chip: reset to 0, one step per layer hop.
            let lat = compile(&net, &wide(), 1)
                .unwrap()
                .program
                .provenance
                .output_latency_steps as usize;
            let mut padded = x.clone();
            padded.extend(std::iter::repeat_n(vec![false; x[0].len()], lat));
            let chip_form = net.with_current_biases_on_membrane();
            let float: Vec<Vec<bool>> =
                simulate_timed(&chip_form, &padded, Semantics::Nir, Timing::Pipelined).spikes
                    [lat..]
                    .to_vec();
            let chip = chip_run(&net, &wide(), x);
            for (a, b) in float.iter().zip(&chip) {
                same += a.iter().zip(b).filter(|(p, q)| p == q).count();
                total += a.len();
            }
        }
        let agree = same as f64 / total as f64;
        eprintln!("{name}: wide chip vs float {agree:.4}");
        assert!(agree >= 0.99, "{name}: {agree}");
    }
}

#[test]
fn every_preset_decides_like_snntorch() {
    for preset in Arch::preset_names() {
        let arch = Arch::preset(preset).unwrap();
        for name in MODELS {
            let net = model(name);
            let inputs = load_u8(&format!("{name}_input.npy"));
            let expected = load_u8(&format!("{name}_output.npy"));
            let agree = inputs
                .iter()
                .zip(&expected)
                .filter(|(x, want)| {
                    decision(&counts(&chip_run(&net, &arch, x))) == decision(&counts(want))
                })
                .count();
            let frac = agree as f64 / inputs.len() as f64;
            eprintln!(
                "{name}: {preset} decisions agree with snnTorch on {agree}/{}",
                inputs.len()
            );
            assert!(frac >= 0.95, "{name} on {preset}: {frac}");
        }
    }
}

fn import(name: &str) -> Result<Network, String> {
    let g = NirGraph::load(data(name).as_ref()).map_err(|e| e.to_string())?;
    lower(&g, name, DT).map_err(|e| e.to_string())
}

#[test]
fn broken_nir_files_are_clear_errors() {
    let e = import("unsupported_node.nir").unwrap_err();
    assert!(
        e.contains("'lif1'") && e.contains("Izhikevich") && e.contains("supported"),
        "{e}"
    );
    let e = import("dangling_edge.nir").unwrap_err();
    assert!(e.contains("'nowhere'"), "{e}");
    let e = import("shape_mismatch.nir").unwrap_err();
    assert!(e.contains("'fc1'") && e.contains("7 inputs"), "{e}");
}

#[test]
fn truncated_or_corrupted_nir_never_panics() {
    let bytes = std::fs::read(data("rleaky.nir")).unwrap();
    let path = std::path::Path::new("rleaky.nir");
    for cut in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
        let r = NirGraph::from_bytes(&bytes[..cut], path);
        assert!(r.is_err(), "a file cut at byte {cut} was accepted");
    }
    // Flip bytes here and there: an error or a graph, never a panic.
    for k in 0..64 {
        let mut b = bytes.clone();
        let at = (k * 7919) % b.len();
        b[at] ^= 0xA5;
        if let Ok(g) = NirGraph::from_bytes(&b, path) {
            let _ = lower(&g, "x", DT);
        }
    }
    assert!(NirGraph::from_bytes(b"not hdf5 at all", path)
        .unwrap_err()
        .to_string()
        .contains("rleaky.nir"));
}

#[test]
fn the_same_network_as_nir_and_as_ron_compiles_to_the_same_program() {
    let arch = Arch::preset("loihi").unwrap();
    for name in MODELS {
        let from_nir = model(name);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("{name}.ron"));
        std::fs::write(&path, from_nir.to_ron()).unwrap();
        let from_ron = Network::load(&path).unwrap();
        assert_eq!(from_ron, from_nir, "{name}: RON round trip");
        let a = compile(&from_nir, &arch, 3).unwrap().program;
        let b = compile(&from_ron, &arch, 3).unwrap().program;
        assert_eq!(a, b, "{name}");
    }
}
