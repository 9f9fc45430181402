//! NIR files from other exporters (tools/exporters/*.py), read with the
//! exporter's convention (`spikefab compile --from NAME`): the float
//! reference reproduces the exporter's own recorded spikes, and chips that
//! implement the exporter's reset agree with the float reference — on
//! ≥ 98 % of output (neuron, step) pairs for the `_int8` fixtures, made the
//! way a model trained for an 8-bit chip is (docs/decisions.md 55).

mod common;

use spikefab_chip::{Arch, SpikeStream};
use spikefab_compiler::exporters::Exporter;
use spikefab_compiler::lower::{lower_with, LowerOptions};
use spikefab_compiler::nir::NirGraph;
use spikefab_compiler::sim::{simulate, simulate_timed, Semantics, Timing};
use spikefab_compiler::{compile, Network};
use spikefab_emulator::{run, RunConfig};

/// (fixture, exporter) pairs.
const FIXTURES: &[(&str, Exporter)] = &[
    ("sinabs_lif_mlp", Exporter::Sinabs),
    ("sinabs_iaf_conv", Exporter::Sinabs),
    ("norse_lif_mlp", Exporter::Norse),
    ("norse_lifbox_mlp", Exporter::Norse),
    ("norse_iaf_mlp", Exporter::Norse),
    ("rockpool_lif_mlp", Exporter::Rockpool),
    ("rockpool_lifneuron_mlp", Exporter::Rockpool),
    ("spikingjelly_lif_mlp", Exporter::SpikingJelly),
    ("spikingjelly_cuba_mlp", Exporter::SpikingJelly),
    ("spikingjelly_if_mlp", Exporter::SpikingJelly),
    ("sinabs_lif_mlp_int8", Exporter::Sinabs),
    ("sinabs_iaf_conv_int8", Exporter::Sinabs),
    ("norse_lif_mlp_int8", Exporter::Norse),
    ("norse_iaf_mlp_int8", Exporter::Norse),
    ("rockpool_lif_mlp_int8", Exporter::Rockpool),
    ("spikingjelly_cuba_mlp_int8", Exporter::SpikingJelly),
    ("spikingjelly_if_mlp_int8", Exporter::SpikingJelly),
];

fn data(name: &str) -> String {
    format!("{}/tests/data/exporters/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn load_u8(name: &str) -> Vec<Vec<Vec<u8>>> {
    common::npy_u8(&data(name))
}

fn read(name: &str, exporter: Exporter) -> (Network, Vec<String>) {
    let g = NirGraph::load(data(&format!("{name}.nir")).as_ref()).unwrap();
    let c = exporter.convention();
    let options = LowerOptions {
        convention: c,
        ..LowerOptions::at(c.dt.unwrap())
    };
    lower_with(&g, name, options).unwrap()
}

fn bools(x: &[Vec<u8>]) -> Vec<Vec<bool>> {
    x.iter()
        .map(|r| r.iter().map(|&v| v != 0).collect())
        .collect()
}

/// The class with the most output spikes (the first on a tie).
fn decision(counts: &[Vec<u8>]) -> usize {
    let n = counts[0].len();
    let sum = |k: usize| counts.iter().map(|r| r[k] as u32).sum::<u32>();
    (0..n).fold(0, |best, k| if sum(k) > sum(best) { k } else { best })
}

#[test]
fn the_float_reference_reproduces_each_exporters_own_spikes() {
    for &(name, exporter) in FIXTURES {
        let (net, warnings) = read(name, exporter);
        eprintln!("{name}: warnings {warnings:?}");
        let inputs = load_u8(&format!("{name}_input.npy"));
        let recorded = load_u8(&format!("{name}_output.npy"));
        let (mut tp, mut fp, mut fn_, mut same_counts, mut slots, mut decided) =
            (0u64, 0u64, 0u64, 0u64, 0u64, 0usize);
        for (x, want) in inputs.iter().zip(&recorded) {
            let got = simulate(&net, &bools(x));
            for (g, w) in got.counts.iter().zip(want) {
                for (&a, &b) in g.iter().zip(w) {
                    match (a > 0, b > 0) {
                        (true, true) => tp += 1,
                        (true, false) => fp += 1,
                        (false, true) => fn_ += 1,
                        _ => {}
                    }
                    same_counts += (a == b) as u64;
                    slots += 1;
                }
            }
            decided += (decision(&got.counts) == decision(want)) as usize;
        }
        let f1 = 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64;
        let counts = same_counts as f64 / slots as f64;
        eprintln!(
            "{name}: spike F1 {f1:.4}, spike counts equal {counts:.4}, decisions {decided}/{}",
            inputs.len()
        );
        assert!(tp > 100, "{name}: the fixture must spike");
        assert!(f1 >= 0.99, "{name}: F1 {f1}");
        assert_eq!(decided, inputs.len(), "{name}: decisions");
    }
}

/// Chip against float reference on `inputs`: the fraction of output
/// (neuron, step) pairs where both fire or both stay silent (what `compile
/// --inputs` prints), and the spike F1.
fn agreement(net: &Network, arch: &Arch, inputs: &[Vec<Vec<u8>>]) -> (f64, f64) {
    let c = compile(net, arch, 1).unwrap();
    let p = &c.program;
    let lat = p.provenance.output_latency_steps as usize;
    let chip_form = net.with_current_biases_on_membrane();
    let (mut same, mut cells, mut tp, mut fp, mut fn_) = (0u64, 0u64, 0u64, 0u64, 0u64);
    for x in inputs {
        let x = bools(x);
        let steps = x.len() + lat;
        let mut padded = x.clone();
        padded.extend(std::iter::repeat_n(vec![false; x[0].len()], lat));
        let float = simulate_timed(&chip_form, &padded, Semantics::Nir, Timing::Pipelined).spikes;
        let stream = SpikeStream::from_rows(&x, steps as u32, net.dt).unwrap();
        let out = run(p, &stream, &RunConfig::new(steps as u32, 1), &|_| {}).unwrap();
        let dense = out.spikes.to_dense();
        let n = p.outputs.len();
        for t in lat..steps {
            for k in 0..n {
                let (chip, float) = (dense[t * n + k] != 0, float[t][k]);
                same += (chip == float) as u64;
                cells += 1;
                tp += (chip && float) as u64;
                fp += (chip && !float) as u64;
                fn_ += (!chip && float) as u64;
            }
        }
    }
    let f1 = 2.0 * tp as f64 / (2 * tp + fp + fn_).max(1) as f64;
    (same as f64 / cells as f64, f1)
}

/// The wide chip with the exporters' reset.
fn wide_subtracting() -> Arch {
    let mut a = common::wide();
    a.core.subtract_reset = true;
    a.core.max_spikes_per_step = 31;
    a
}

#[test]
fn chips_with_the_exporters_reset_agree_with_the_float_reference() {
    for &(name, exporter) in FIXTURES {
        let (net, _) = read(name, exporter);
        let inputs = load_u8(&format!("{name}_input.npy"));
        let mut row = Vec::new();
        for preset in ["wide", "fpga-small", "loihi", "xylo"] {
            let arch = if preset == "wide" {
                wide_subtracting()
            } else {
                Arch::preset(preset).unwrap()
            };
            if exporter.convention().reset.is_subtract() && !arch.core.subtract_reset {
                row.push("refused".to_string());
                continue; // see the test below
            }
            let (agree, f1) = agreement(&net, &arch, &inputs);
            row.push(format!("{:.1} % / {:.3}", 100.0 * agree, f1));
            // Models on the chips' grids (8-bit weights, decays 1 − 2^−j)
            // must come through; untrained float models lose what the
            // formats cannot hold (docs/nir.md), and the floors only catch
            // a regression. The wide chip runs every model's semantics but
            // for 12-bit decays and rounding.
            let (floor, f1_floor) = match (preset, name.ends_with("_int8")) {
                ("wide", _) => (0.98, 0.98),
                // issue 16's measure is the first (what `compile --inputs`
                // prints); xylo's 16-bit membrane floors every decay step,
                // which costs the second a little on sparse outputs
                (_, true) => (0.98, 0.95),
                ("xylo", false) => (0.5, 0.3),
                _ => (0.9, 0.8),
            };
            assert!(
                agree >= floor && f1 >= f1_floor,
                "{name} on {preset}: agreement {agree:.4}, spike F1 {f1:.4}"
            );
        }
        eprintln!("| `{name}` | {} |", row.join(" | "));
    }
}

/// How wide weights must be for the untrained fixtures to reach 98 %
/// (docs/decisions.md 55): the wide chip at 8, 9, 10 and 12 weight bits of
/// any sign. A measurement, not a check:
/// `cargo test --release -p spikefab-compiler --test nir_exporters -- --ignored --nocapture`.
#[test]
#[ignore]
fn untrained_fixtures_against_weight_width() {
    for &(name, exporter) in FIXTURES.iter().filter(|f| !f.0.ends_with("_int8")) {
        let (net, _) = read(name, exporter);
        let inputs = load_u8(&format!("{name}_input.npy"));
        let row: Vec<String> = [8, 9, 10, 12]
            .iter()
            .map(|&bits| {
                let mut arch = wide_subtracting();
                arch.format.weight_bits = bits;
                let (agree, _) = agreement(&net, &arch, &inputs);
                format!("{:.1} %", 100.0 * agree)
            })
            .collect();
        eprintln!("| `{name}` | {} |", row.join(" | "));
    }
    // What xylo leaves on models made for it is its 16-bit membrane.
    for &(name, exporter) in FIXTURES.iter().filter(|f| f.0.ends_with("_int8")) {
        let (net, _) = read(name, exporter);
        let inputs = load_u8(&format!("{name}_input.npy"));
        let row: Vec<String> = [16, 20]
            .iter()
            .map(|&bits| {
                let mut arch = Arch::preset("xylo").unwrap();
                arch.format.state_bits = bits;
                arch.format.threshold_bits = bits;
                let (agree, f1) = agreement(&net, &arch, &inputs);
                format!("{:.1} % / {f1:.3}", 100.0 * agree)
            })
            .collect();
        eprintln!("xylo, 16/20-bit state: | `{name}` | {} |", row.join(" | "));
    }
}

#[test]
fn a_chip_without_the_exporters_reset_refuses_naming_the_layer() {
    let (net, _) = read("sinabs_lif_mlp", Exporter::Sinabs);
    let Err(e) = compile(&net, &Arch::preset("loihi").unwrap(), 1) else {
        panic!("loihi resets to zero only")
    };
    let e = e.to_string();
    assert!(
        e.contains("subtract_reset: false") && e.contains("layer '1'"),
        "{e}"
    );
}

#[test]
fn only_files_that_identify_their_exporter_are_detected() {
    for &(name, exporter) in FIXTURES {
        let g = NirGraph::load(data(&format!("{name}.nir")).as_ref()).unwrap();
        let expected = (exporter == Exporter::Rockpool).then_some(Exporter::Rockpool);
        assert_eq!(Exporter::detect(&g), expected, "{name}");
    }
}
