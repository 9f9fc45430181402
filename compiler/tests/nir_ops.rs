//! Every operator the NIR importer lowers, against values computed
//! independently with torch and numpy (tools/nir_ops.py).

use spikefab_compiler::lower::lower;
use spikefab_compiler::nir::NirGraph;
use spikefab_compiler::sim::simulate;

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn npy_u8(name: &str) -> Vec<Vec<bool>> {
    let bytes = std::fs::read(data(name)).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let v = npy.into_vec::<u8>().unwrap();
    v.chunks(shape[1])
        .map(|r| r.iter().map(|&x| x != 0).collect())
        .collect()
}

fn npy_f64(name: &str) -> Vec<Vec<f64>> {
    let bytes = std::fs::read(data(name)).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let cols = npy.shape()[1] as usize;
    npy.into_vec::<f64>()
        .unwrap()
        .chunks(cols)
        .map(<[f64]>::to_vec)
        .collect()
}

fn case(name: &str) -> (spikefab_compiler::Network, Vec<Vec<bool>>, Vec<Vec<f64>>) {
    let g = NirGraph::load(data(&format!("ops_{name}.nir")).as_ref()).unwrap();
    let net = lower(&g, name, 1e-4).unwrap();
    (
        net,
        npy_u8(&format!("ops_{name}_input.npy")),
        npy_f64(&format!("ops_{name}_expected.npy")),
    )
}

fn assert_close(got: &[Vec<f64>], want: &[Vec<f64>], what: &str) {
    for (t, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len(), "{what}: step {t} width");
        for (k, (a, b)) in g.iter().zip(w).enumerate() {
            assert!(
                (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                "{what}: step {t} value {k}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn conv2d_with_stride_padding_dilation_groups_then_pools_flatten_affine_li() {
    let (net, x, want) = case("conv2d_pools");
    let run = simulate(&net, &x);
    assert_close(&run.v, &want, "conv2d_pools");
}

#[test]
fn conv1d_with_groups_then_scale_and_cuba_li() {
    let (net, x, want) = case("conv1d_scale_cuba");
    let run = simulate(&net, &x);
    assert_close(&run.v, &want, "conv1d_scale_cuba");
}

#[test]
fn delay_if_threshold_and_a_nested_graph() {
    let (net, x, want) = case("delay_if_threshold");
    let run = simulate(&net, &x);
    // columns of `want`: IF (2), then the nested Threshold (2)
    let col = |name: &str| net.outputs.iter().position(|o| o == name).unwrap();
    let (if_at, th_at) = (col("if"), col("sub.th"));
    let width = |i: usize| net.populations[net.population(&net.outputs[i]).unwrap()].size;
    let start = |i: usize| (0..i).map(width).sum::<usize>();
    for (t, row) in want.iter().enumerate() {
        let got_if: Vec<f64> = run.spikes[t][start(if_at)..start(if_at) + 2]
            .iter()
            .map(|&b| b as u8 as f64)
            .collect();
        let got_th: Vec<f64> = run.spikes[t][start(th_at)..start(th_at) + 2]
            .iter()
            .map(|&b| b as u8 as f64)
            .collect();
        assert_eq!(
            got_if,
            row[..2].to_vec(),
            "IF after a 3-step Delay, step {t}"
        );
        assert_eq!(
            got_th,
            row[2..].to_vec(),
            "Threshold inside a nested graph, step {t}"
        );
    }
    assert!(
        want.iter().flatten().filter(|&&v| v > 0.0).count() >= 4,
        "the case must fire"
    );
}
