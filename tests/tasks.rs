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

/// The class labels in fixture `name`.
fn labels(name: &str) -> Vec<usize> {
    let y =
        spikefab_chip::npy::NumericArray::from_npy(&std::fs::read(tasks(name)).unwrap()).unwrap();
    y.values.iter().map(|&v| v as usize).collect()
}

#[test]
fn celif_beats_lif_on_the_long_memory_task_in_float_and_on_loihi() {
    let inputs = spikefab_chip::load_samples(&tasks("digits_test_input.npy")).unwrap();
    let y = labels("digits_test_labels.npy");
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

#[test]
fn perturbations_do_what_they_say() {
    use spikefab::accuracy::{perturb, Perturbation};
    let net = Network::load(&tasks("nsnn_noisy.ron")).unwrap();
    let inputs = spikefab_chip::load_samples(&tasks("nsnn_test_input.npy")).unwrap();
    let count = |x: &[Vec<Vec<bool>>]| x.iter().flatten().flatten().filter(|&&s| s).count();
    let n = count(&inputs);
    assert_eq!(
        count(&perturb(&net, &inputs, Perturbation::Delete(0.0)).1),
        n
    );
    assert_eq!(
        count(&perturb(&net, &inputs, Perturbation::Delete(1.0)).1),
        0
    );
    let half = count(&perturb(&net, &inputs, Perturbation::Delete(0.5)).1) as f64 / n as f64;
    assert!((half - 0.5).abs() < 0.01, "{half}");
    let (same, kept) = perturb(&net, &inputs, Perturbation::Weights(0.0));
    assert_eq!(same, net);
    assert_eq!(kept, inputs);
    let (jittered_net, jittered) = perturb(&net, &inputs, Perturbation::Jitter(2));
    assert_eq!(jittered_net, net);
    // spikes that land together merge (dense rate codes collide often)
    assert!(count(&jittered) <= n && count(&jittered) > n / 2 && jittered != inputs);
    // seeded: the same perturbation twice is the same
    assert_eq!(
        perturb(&net, &inputs, Perturbation::Weights(0.3)),
        perturb(&net, &inputs, Perturbation::Weights(0.3))
    );
}

#[test]
fn the_noisy_network_degrades_more_gracefully_under_weight_noise() {
    use spikefab::accuracy::{perturb, Perturbation};
    let inputs = spikefab_chip::load_samples(&tasks("nsnn_test_input.npy")).unwrap();
    let y = labels("nsnn_test_labels.npy");
    let loihi = Arch::preset("loihi").unwrap();
    let measure = |m: &str, p: Perturbation| {
        let net = Network::load(&tasks(&format!("nsnn_{m}.ron"))).unwrap();
        let (net, x) = perturb(&net, &inputs, p);
        let r = Readout::of(&net, x[0].len());
        (
            in_float(&net, &x, &y, r, false),
            on_chip(&net, &loihi, &x, &y, r).unwrap().accuracy,
        )
    };
    let det = measure("deterministic", Perturbation::Weights(0.6));
    let noisy = measure("noisy", Perturbation::Weights(0.6));
    eprintln!("weights ×(1 + N(0, 0.36)): deterministic {det:?}, noisy {noisy:?}");
    assert!(
        noisy.0 >= det.0 + 0.02 && noisy.1 >= det.1 + 0.05,
        "{noisy:?} vs {det:?}"
    );
}

/// The dendrite table (docs/models.md, `tools/dendrite_task.py`): at equal
/// neuron count, dendritic neurons are at least as accurate as point
/// neurons; against point neurons with as many synapses (32 × 4 branches
/// vs 128), they match the accuracy with fewer spikes sent — the paper's
/// capacity-for-communication trade, measured on loihi.
#[test]
fn dendritic_neurons_trade_branches_for_spikes_on_loihi() {
    let inputs = spikefab_chip::load_samples(&tasks("nsnn_test_input.npy")).unwrap();
    let y = labels("nsnn_test_labels.npy");
    let loihi = Arch::preset("loihi").unwrap();
    let measure = |m: &str| {
        let net = Network::load(&tasks(&format!("dendrites_{m}.ron"))).unwrap();
        let r = Readout::of(&net, inputs[0].len());
        let float = in_float(&net, &inputs, &y, r, false);
        let chip = on_chip(&net, &loihi, &inputs, &y, r).unwrap();
        eprintln!(
            "{m}: float {float:.4}, loihi {:.4}, {:.0} spikes, {:.0} branch ops, {:.1} nJ",
            chip.accuracy, chip.spikes, chip.branch_ops, chip.energy_nj
        );
        (float, chip)
    };
    let (p32, k4, p128) = (measure("point32"), measure("k4"), measure("point128"));
    assert!(k4.0 >= p32.0 && k4.1.accuracy >= p32.1.accuracy);
    assert!((k4.0 - p128.0).abs() <= 0.01 && (k4.1.accuracy - p128.1.accuracy).abs() <= 0.01);
    assert!(
        k4.1.spikes < 0.6 * p128.1.spikes,
        "{} vs {}",
        k4.1.spikes,
        p128.1.spikes
    );
    // every branch of every neuron, every step of every inference
    assert_eq!(p32.1.branch_ops, 0.0);
    assert_eq!(k4.1.branch_ops % (32.0 * 4.0), 0.0);
}

/// The TeCoS-LVM table (docs/models.md, `tools/tecos_task.py`): a noisy
/// spiking latent-variable model and a deterministic network of the same
/// shape against a ground-truth retina's held-out trials, in float and on
/// `loihi` with its on-chip noise (a noise seed per trial). Prints the
/// table: `cargo test --release --test tasks tecos -- --nocapture`.
#[test]
fn tecos_lvm_fits_spike_statistics_in_float_and_on_loihi() {
    use spikefab::spike_stats::{fano_factor, isi_distance, psth_correlation, rate_error, Trials};
    const SKIP: usize = 10; // warm-up steps left out of every statistic
    let inputs = spikefab_chip::load_samples(&tasks("tecos_test_input.npy")).unwrap();
    let r = spikefab_chip::npy::NumericArray::from_npy(
        &std::fs::read(tasks("tecos_test_responses.npy")).unwrap(),
    )
    .unwrap();
    let [clips, repeats, steps, cells] = [0, 1, 2, 3].map(|k| r.shape[k] as usize);
    let data: Vec<Trials> = (0..clips)
        .map(|c| {
            (0..repeats)
                .map(|k| {
                    (0..steps)
                        .map(|t| {
                            let at = ((c * repeats + k) * steps + t) * cells;
                            r.values[at..at + cells].iter().map(|&v| v != 0.0).collect()
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let loihi = Arch::preset("loihi").unwrap();
    // a model's trials: float with a noise seed per trial, or the chip's
    let float = |net: &Network| -> Vec<Trials> {
        inputs
            .iter()
            .map(|x| {
                (0..repeats)
                    .map(|k| {
                        let mut net = net.clone();
                        net.noise_seed = net.noise_seed.map(|_| 1000 + k as u64);
                        spikefab_compiler::sim::simulate(&net, x).spikes
                    })
                    .collect()
            })
            .collect()
    };
    let chip = |net: &Network| -> Vec<Trials> {
        let mut p = spikefab_compiler::compile(net, &loihi, 1).unwrap().program;
        let lat = p.provenance.output_latency_steps as usize;
        inputs
            .iter()
            .map(|x| {
                let stream =
                    spikefab_chip::SpikeStream::from_rows(x, (steps + lat) as u32, p.dt).unwrap();
                (0..repeats)
                    .map(|k| {
                        p.noise_seed = p.noise_seed.map(|_| 1000 + k as u64);
                        let cfg = spikefab_emulator::RunConfig::new((steps + lat) as u32, 1);
                        let out = spikefab_emulator::run(&p, &stream, &cfg, &|_| {}).unwrap();
                        let dense = out.spikes.to_dense();
                        (0..steps)
                            .map(|t| {
                                (0..cells)
                                    .map(|c| dense[(t + lat) * cells + c] != 0)
                                    .collect()
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect()
    };
    // the ground truth against itself: one half of its trials against the other
    let halves: (Vec<Trials>, Vec<Trials>) = data
        .iter()
        .map(|t| (t[..repeats / 2].to_vec(), t[repeats / 2..].to_vec()))
        .unzip();
    let row = |what: &str, m: &[Trials], d: &[Trials]| {
        let s = (
            psth_correlation(m, d, SKIP),
            rate_error(m, d, SKIP),
            isi_distance(m, d, SKIP) * 10.0, // 10 ms steps
            fano_factor(m, 10, SKIP),
        );
        eprintln!(
            "| {what} | {:.3} | {:.1} % | {:.1} ms | {:.2} |",
            s.0,
            100.0 * s.1,
            s.2,
            s.3
        );
        s
    };
    eprintln!("| model | PSTH correlation | rate error | ISI distance (W1) | Fano factor (100 ms) |\n|---|---:|---:|---:|---:|");
    let ceiling = row("ground truth, half against half", &halves.0, &halves.1);
    let mut results = Vec::new();
    for m in ["noisy", "deterministic"] {
        let net = Network::load(&tasks(&format!("tecos_{m}.ron"))).unwrap();
        let f = row(&format!("{m}, float"), &float(&net), &data);
        let c = row(&format!("{m}, loihi"), &chip(&net), &data);
        results.push((f, c));
    }
    let (noisy, det) = (results[0], results[1]);
    // The noisy model's trials vary as the retina's do; the deterministic
    // network repeats itself.
    assert!(noisy.0 .3 > 0.5 && noisy.1 .3 > 0.5 && det.0 .3 < 0.05 && det.1 .3 < 0.05);
    // Its ISI distribution is closer to the retina's, in float and on chip.
    assert!(noisy.0 .2 < det.0 .2 && noisy.1 .2 < det.1 .2);
    // It follows the stimulus: a PSTH correlation within reach of the ceiling.
    assert!(noisy.0 .0 > 0.5 * ceiling.0 && noisy.1 .0 > 0.5 * ceiling.0);
}

/// The NSNN table's additive-noise rows: white noise on the pixels at 10
/// and 0 dB SNR (`tools/nsnn_snr_inputs.py`) costs the noisy network less
/// than the deterministic one, in float and on loihi.
#[test]
fn the_noisy_network_degrades_more_gracefully_under_additive_input_noise() {
    let y = labels("nsnn_test_labels.npy");
    let loihi = Arch::preset("loihi").unwrap();
    for snr in [10, 0] {
        let x =
            spikefab_chip::load_samples(&tasks(&format!("nsnn_test_input_snr{snr}.npy"))).unwrap();
        let measure = |m: &str| {
            let net = Network::load(&tasks(&format!("nsnn_{m}.ron"))).unwrap();
            let r = Readout::of(&net, x[0].len());
            let float = in_float(&net, &x, &y, r, false);
            (float, on_chip(&net, &loihi, &x, &y, r).unwrap().accuracy)
        };
        let (det, noisy) = (measure("deterministic"), measure("noisy"));
        eprintln!("{snr} dB: deterministic {det:?}, noisy {noisy:?}");
        assert!(
            noisy.0 >= det.0 + 0.02 && noisy.1 >= det.1 + 0.015,
            "{snr} dB"
        );
    }
}

/// The HebbFF table (docs/models.md, `tools/hebbff_task.py`): continual
/// familiarity detection with anti-Hebbian fast weights learned on the
/// chip, accuracy against the repeat interval R in float and on `loihi`,
/// and the chip's energy per item split into inference and learning.
/// Prints the table: `cargo test --release --test tasks hebbff -- --nocapture`.
#[test]
fn hebbff_detects_repeats_learning_on_loihi() {
    const SKIP: usize = 20; // the first items cannot be repeats of long intervals
    let net = Network::load(&tasks("hebbff.ron")).unwrap();
    let loihi = Arch::preset("loihi").unwrap();
    let p = spikefab_compiler::compile(&net, &loihi, 1).unwrap().program;
    let lat = p.provenance.output_latency_steps as usize;
    eprintln!("| R | float | loihi | loihi energy / item: inference | learning |\n|---:|---:|---:|---:|---:|");
    let mut rows = Vec::new();
    for r in [1, 2, 3, 5, 8, 12, 20] {
        let x =
            spikefab_chip::load_samples(&tasks(&format!("hebbff_test_input_r{r}.npy"))).unwrap();
        let y = labels(&format!("hebbff_test_labels_r{r}.npy"));
        let steps = x[0].len();
        let score = |fired: &dyn Fn(usize) -> bool| {
            (SKIP..steps).filter(|&t| fired(t) == (y[t] == 1)).count() as f64
                / (steps - SKIP) as f64
        };
        let float = spikefab_compiler::sim::simulate(&net, &x[0]).spikes;
        let f = score(&|t| float[t][0]);
        let stream =
            spikefab_chip::SpikeStream::from_rows(&x[0], (steps + lat) as u32, p.dt).unwrap();
        let out = spikefab_emulator::run(
            &p,
            &stream,
            &spikefab_emulator::RunConfig::new((steps + lat) as u32, 1),
            &|_| {},
        )
        .unwrap();
        let dense = out.spikes.to_dense();
        let c = score(&|t| dense[t + lat] != 0);
        let e = &out.report.energy;
        let (inference, learning) = (
            (e.total_pj - e.learning_pj) / steps as f64 / 1e3,
            e.learning_pj / steps as f64 / 1e3,
        );
        eprintln!(
            "| {r} | {:.1} % | {:.1} % | {inference:.1} nJ | {learning:.1} nJ |",
            100.0 * f,
            100.0 * c
        );
        rows.push((r, f, c, learning));
    }
    for &(r, f, c, learning) in &rows {
        assert!((f - c).abs() <= 0.03, "R = {r}: float {f:.3}, loihi {c:.3}");
        assert!(learning > 0.0);
    }
    // the paper's curve: familiarity fades with the interval
    let (first, last) = (rows[0], rows[rows.len() - 1]);
    assert!(first.1 > last.1 + 0.1 && first.2 > last.2 + 0.1, "{rows:?}");
}
