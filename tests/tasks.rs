//! The issue-11 task tables (docs/models.md) as regression checks: what each
//! paper claims, on the trained fixtures of `tools/celif_task.py` and
//! `tools/stdi_task.py`, in float and on a chip.

use std::path::PathBuf;

use spikefab::accuracy::{in_float, on_chip, Readout};
use spikefab_chip::Arch;
use spikefab_compiler::Network;

fn tasks(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("compiler/tests/data/tasks")
        .join(name)
}

#[test]
fn celif_beats_lif_on_the_long_memory_task_in_float_and_on_loihi() {
    let inputs = spikefab_chip::load_samples(&tasks("digits_test_input.npy")).unwrap();
    let labels = spikefab_chip::npy::NumericArray::from_npy(
        &std::fs::read(tasks("digits_test_labels.npy")).unwrap(),
    )
    .unwrap();
    let y: Vec<usize> = labels.values.iter().map(|&v| v as usize).collect();
    let loihi = Arch::preset("loihi").unwrap();
    let mut acc = Vec::new();
    for m in ["lif", "alif", "celif"] {
        let net = Network::load(&tasks(&format!("{m}_digits.ron"))).unwrap();
        let readout = Readout::of(&net, inputs[0].len());
        let float = in_float(&net, &inputs, &y, readout, false);
        let chip = on_chip(&net, &loihi, &inputs, &y, readout).unwrap();
        eprintln!(
            "{m}: float {float:.4}, loihi {:.4}, {:.0} spikes",
            chip.accuracy, chip.spikes
        );
        acc.push((float, chip.accuracy, chip.spikes));
    }
    let (lif, celif) = (acc[0], acc[2]);
    assert!(
        celif.0 >= lif.0 + MARGIN,
        "float: CE-LIF {} vs LIF {}",
        celif.0,
        lif.0
    );
    assert!(
        celif.1 >= lif.1 + MARGIN,
        "loihi: CE-LIF {} vs LIF {}",
        celif.1,
        lif.1
    );
    assert!(
        celif.2 < lif.2,
        "CE-LIF spikes {} vs LIF {}",
        celif.2,
        lif.2
    );
}

/// What "a clear margin" is held to (docs/models.md has the measured one).
const MARGIN: f64 = 0.15;

#[test]
fn stdi_matches_the_ann_in_eight_steps_on_fpga_small_where_rate_coding_does_not() {
    let study = spikefab::convert::study(&spikefab::convert::Request {
        ann: &tasks("digits_cnn.nir"),
        data: &tasks("digits_pixels.npy"),
        labels: &tasks("digits_labels.npy"),
        scale: 16.0,
        test: 360,
        calibrate: 500,
        percentile: 99.9,
        codings: &[
            spikefab_compiler::convert::Coding::Rate,
            spikefab_compiler::convert::Coding::Stdi,
        ],
        timesteps: &[8],
        arch: Some("fpga-small"),
        out: None,
    })
    .unwrap();
    let (rate, stdi) = (&study.rows[0], &study.rows[1]);
    let chip = |r: &spikefab::convert::Row| r.chip.as_ref().unwrap().accuracy;
    eprintln!(
        "ANN {:.4}; rate(8) {:.4} / {:.4}; STDI(8) {:.4} / {:.4}",
        study.ann,
        rate.float,
        chip(rate),
        stdi.float,
        chip(stdi)
    );
    assert!(stdi.float >= study.ann - 0.01 && chip(stdi) >= study.ann - 0.01);
    assert!(chip(rate) < study.ann - 0.01 && rate.float < study.ann - 0.01);
}
