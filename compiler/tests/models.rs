//! The float reference against independent implementations of each model's
//! published equations (`tools/<model>_reference.py`, PyTorch in float64):
//! the same spikes, and membranes within 1e-6, on random parameters and
//! inputs. What is checked here is the network format's reading of a model
//! and `spikefab simulate`'s step; the chip's fixed-point step is checked
//! against this reference elsewhere (fidelity.rs).

mod common;

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

#[test]
fn alif_matches_the_lsnn_equations_in_pytorch() {
    let net = Network::load(data("alif_net.ron").as_ref()).unwrap();
    let inputs = common::npy_u8(&data("alif_input.npy"));
    let spikes = common::npy_u8(&data("alif_spikes.npy"));
    let v = npy_f64(&data("alif_v.npy"));
    let (mut fired, mut worst) = (0usize, 0.0f64);
    for (s, x) in inputs.iter().enumerate() {
        let x: Vec<Vec<bool>> = x
            .iter()
            .map(|r| r.iter().map(|&b| b != 0).collect())
            .collect();
        let run = simulate(&net, &x);
        for t in 0..x.len() {
            let want: Vec<bool> = spikes[s][t].iter().map(|&b| b != 0).collect();
            assert_eq!(run.spikes[t], want, "sample {s}, step {t}");
            fired += want.iter().filter(|&&b| b).count();
            for (a, b) in run.v[t].iter().zip(&v[s][t]) {
                worst = worst.max((a - b).abs());
            }
        }
    }
    eprintln!("ALIF: {fired} spikes equal, membranes within {worst:.2e}");
    assert!(fired > 1000, "the fixture must be active");
    assert!(worst <= 1e-6, "{worst}");
}
