//! The spoken-digit targets (issue 14): on held-out espeak-ng voices the
//! float reference reaches 90 %, on a synthesizer the model never trained on
//! (festival's ked voice) 80 % (the single-delay model before: 56 %; before
//! augmentation and flite: 51 %); the 8-bit loihi program stays within 2
//! points of float on both; under white noise the chip follows the float
//! network (the table in docs/cochlea.md).
//!
//! `cargo test --release --test kws -- --nocapture` prints the figures.

use spikefab::kws;
use spikefab_chip::Arch;

/// Workers a test shares its clips among (the results do not depend on it).
const THREADS: usize = 2;

#[test]
fn spoken_digits_on_held_out_voices_and_another_synthesizer() {
    let dir = kws::ModelSource::shipped();
    let enc = kws::Encoding::load(&dir).unwrap();
    let net = kws::load_model(&dir).unwrap();
    let loihi = Arch::preset("loihi").unwrap();
    for (set, floor, gap) in [("test", 0.90, 0.02), ("test_festival", 0.80, 0.02)] {
        let clips = kws::load_test_set_in(&dir, &enc, set).unwrap();
        assert!(clips.len() >= 100, "{set}: {} clips", clips.len());
        let float = kws::float_accuracy(&net, &clips, THREADS);
        let (_, chip) = kws::evaluate(&net, &loihi, &clips, THREADS).unwrap();
        eprintln!("{set}: float {float:.3}, loihi {:.3}", chip.accuracy);
        assert!(float >= floor, "{set}: float reference accuracy {float}");
        assert!(
            chip.accuracy >= float - gap,
            "{set}: loihi {} vs float {float}",
            chip.accuracy
        );
    }
}

/// White noise on the held-out clips before the cochlea: accuracy falls
/// with the SNR, and the chip follows the float network at every level.
#[test]
fn spoken_digits_under_noise() {
    let dir = kws::ModelSource::shipped();
    let enc = kws::Encoding::load(&dir).unwrap();
    let net = kws::load_model(&dir).unwrap();
    let loihi = Arch::preset("loihi").unwrap();
    eprintln!("| SNR (white noise) | float | loihi |");
    eprintln!("|---|---|---|");
    let mut last = 1.0;
    for snr in [20.0, 10.0, 0.0] {
        let clips = kws::load_noisy_test_set(&dir, &enc, "test", Some(snr)).unwrap();
        let float = kws::float_accuracy(&net, &clips, THREADS);
        let (_, chip) = kws::evaluate(&net, &loihi, &clips, THREADS).unwrap();
        eprintln!(
            "| {snr} dB | {:.1} % | {:.1} % |",
            100.0 * float,
            100.0 * chip.accuracy
        );
        assert!(
            chip.accuracy >= float - 0.06,
            "{snr} dB: loihi {} vs float {float}",
            chip.accuracy
        );
        assert!(
            float <= last + 0.03,
            "{snr} dB: more noise, better accuracy? {float}"
        );
        assert!(float > 0.1, "{snr} dB: chance");
        last = float;
    }
}

/// The sparse and distilled variants (`examples/kws/sparse`, made by
/// tools/train_kws_sparse.py; the density table in docs/models.md): a
/// network trained by ESL at 10 % density stores a tenth of the dense
/// network's synapses on the chip, performs fewer synaptic operations and
/// spends less energy an inference, and stays within a few points of it.
#[test]
fn sparse_spoken_digit_networks_cost_what_they_hold() {
    let dir = kws::ModelSource::shipped();
    let enc = kws::Encoding::load(&dir).unwrap();
    let clips = kws::load_test_set(&dir, &enc).unwrap();
    let loihi = Arch::preset("loihi").unwrap();
    let eval = |file: &str| {
        let net = kws::load_model_file(&dir, file).unwrap();
        let float = kws::float_accuracy(&net, &clips, THREADS);
        let (_, chip) = kws::evaluate(&net, &loihi, &clips, THREADS).unwrap();
        eprintln!(
            "{file}: float {float:.3}, loihi {:.3}, {} synapses, {:.0} synaptic ops, {:.3} µJ",
            chip.accuracy,
            chip.synapses,
            chip.synaptic_ops,
            chip.energy_pj * 1e-6
        );
        assert!(
            chip.accuracy >= float - 0.03,
            "{file}: loihi {} vs float {float}",
            chip.accuracy
        );
        (float, chip)
    };
    let (dense_float, dense) = eval("sparse/esl-100.nir");
    let (sparse_float, sparse) = eval("sparse/esl-10.nir");
    let stored = sparse.synapses as f64 / dense.synapses as f64;
    assert!(
        (0.085..=0.105).contains(&stored),
        "stored synapses {stored}"
    );
    assert!(
        sparse.synaptic_ops < 0.3 * dense.synaptic_ops,
        "synaptic ops {} vs {}",
        sparse.synaptic_ops,
        dense.synaptic_ops
    );
    assert!(sparse.energy_pj < dense.energy_pj);
    assert!(
        sparse_float >= dense_float - SPARSE_LOSS,
        "10 % density: {sparse_float} vs dense {dense_float}"
    );
    // the clips shared among workers or not: the same figures
    let net = kws::load_model_file(&dir, "sparse/esl-10.nir").unwrap();
    let (_, alone) = kws::evaluate(&net, &loihi, &clips, 1).unwrap();
    assert_eq!(alone, sparse);
}

/// How much held-out accuracy ESL at 10 % density may cost against the same
/// training at 100 % (tools/train_kws_sparse.py's log; docs/models.md).
const SPARSE_LOSS: f64 = 0.05;
