//! The cochlea as a user drives it: WAV at any rate in, spikes out, audio back.

mod common;

use common::word;
use spikefab_cochlea::spiketrum::snr_db;
use spikefab_cochlea::{Audio, Cochlea, CochleaConfig, Mode};

/// Codes that land on the same channel in the same step are one spike (a
/// channel fires once per step; matching pursuit may pick an atom twice).
fn distinct_spikes(c: &Cochlea, codes: &[spikefab_cochlea::spiketrum::Code]) -> usize {
    let pc = c.place_code();
    let sps = pc.samples_per_step as u64;
    let set: std::collections::BTreeSet<(u64, u32)> = codes
        .iter()
        .map(|k| (k.time / sps, pc.channel(k)))
        .collect();
    set.len()
}

#[test]
fn speech_decodes_from_spikes_alone_at_1000_per_second() {
    let a = word();
    let c = Cochlea::new(CochleaConfig::default()).unwrap();
    let e = c.encode(&a).unwrap();
    assert_eq!(e.codes.len(), (1000.0 * a.duration_s()).round() as usize);
    assert_eq!(e.spikes.len(), distinct_spikes(&c, &e.codes));
    assert_eq!(e.spikes.channels, 40 * 2 * 48);
    let y = c.decode(&e.spikes, a.samples.len());
    let snr = snr_db(&a.samples, &y.samples);
    eprintln!("SNR from spikes at 1000/s: {snr:.2} dB");
    assert!(snr >= 15.0, "{snr}");
}

#[test]
fn other_sample_rates_are_resampled_and_keep_the_exact_budget() {
    let a = word().resampled(22050);
    let c = Cochlea::new(CochleaConfig {
        rate: 700.0,
        ..CochleaConfig::default()
    })
    .unwrap();
    let e = c.encode(&a).unwrap();
    assert_eq!(e.audio.rate, 16000);
    assert_eq!(
        e.codes.len(),
        (700.0 * e.audio.duration_s()).round() as usize
    );
    assert_eq!(e.spikes.len(), distinct_spikes(&c, &e.codes));
    let snr = snr_db(
        &e.audio.samples,
        &c.decode(&e.spikes, e.audio.samples.len()).samples,
    );
    assert!(snr > 10.0, "{snr}");
}

/// Frames get equal shares of the budget (causal rate control), so a frame of
/// silence spends its share on nothing: on this word, which starts and ends in
/// silence, 0.25 s frames cost ≈3 dB against encoding the whole clip at once.
#[test]
fn streaming_frames_cost_little_snr() {
    let a = word();
    let whole = Cochlea::new(CochleaConfig::default()).unwrap();
    let framed = Cochlea::new(CochleaConfig {
        frame_s: Some(0.25),
        ..CochleaConfig::default()
    })
    .unwrap();
    let (ew, ef) = (whole.encode(&a).unwrap(), framed.encode(&a).unwrap());
    // The budget is met exactly in codes; a code that a later frame repeats
    // at the same sample, kernel and level merges into one spike (a channel
    // fires once per step), which happens to a few codes at frame edges.
    assert_eq!(ew.codes.len(), ef.codes.len());
    assert_eq!(ew.spikes.len(), distinct_spikes(&whole, &ew.codes));
    assert_eq!(ef.spikes.len(), distinct_spikes(&framed, &ef.codes));
    let n = a.samples.len();
    let sw = snr_db(&a.samples, &whole.decode(&ew.spikes, n).samples);
    let sf = snr_db(&a.samples, &framed.decode(&ef.spikes, n).samples);
    assert!(
        sf > sw - 4.0 && sf > 15.0,
        "framed {sf:.2} vs whole {sw:.2}"
    );
}

#[test]
fn filterbank_mode_hits_the_rate_and_favours_loud_bands() {
    let a = word();
    let c = Cochlea::new(CochleaConfig {
        mode: Mode::Filterbank,
        kernels: 32,
        rate: 2000.0,
        ..CochleaConfig::default()
    })
    .unwrap();
    let e = c.encode(&a).unwrap();
    let target = 2000.0 * a.duration_s();
    assert!(
        (e.spikes.len() as f64 - target).abs() <= 0.02 * target,
        "{} vs {target}",
        e.spikes.len()
    );
    assert_eq!(e.spikes.channels, 32);
    // A 1 kHz tone fires mostly the channels near 1 kHz.
    let tone = Audio {
        samples: (0..16000)
            .map(|i| 0.5 * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 16000.0).sin())
            .collect(),
        rate: 16000,
    };
    let e = c.encode(&tone).unwrap();
    let mut per = vec![0usize; 32];
    for s in e.spikes.events() {
        per[s.channel as usize] += 1;
    }
    let best = (0..32).max_by_key(|&k| per[k]).unwrap();
    let cf = spikefab_cochlea::gammatone::centre_freqs(50.0, 8000.0, 32)[best];
    assert!((800.0..1250.0).contains(&cf), "loudest channel at {cf} Hz");
}
