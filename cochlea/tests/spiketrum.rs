//! Matching-pursuit invariants on speech and noise.

mod common;

use common::word;
use spikefab_cochlea::gammatone::Dictionary;
use spikefab_cochlea::spiketrum::{decode, snr_db, Encoder, Stop, StreamEncoder};

#[test]
fn energy_identity_budget_and_reconstruction() {
    let a = word();
    let dict = Dictionary::default_for(a.rate as f64, 40);
    let enc = Encoder::new(&dict);
    let budget = (1000.0 * a.duration_s()).round() as usize;
    let (codes, residual) = enc.encode(&a.samples, budget, Stop::Budget);
    assert_eq!(codes.len(), budget);
    // Replay the codes in pursuit order, independently of the encoder's own
    // bookkeeping: every atom removes exactly a² of residual energy.
    let mut r = a.samples.clone();
    r.resize(a.samples.len() + dict.len - 1, 0.0);
    let mut e_prev: f64 = r.iter().map(|v| v * v).sum();
    for (n, c) in codes.iter().enumerate() {
        let t = c.time as usize;
        for (rv, g) in r[t..t + dict.len]
            .iter_mut()
            .zip(dict.kernel(c.kernel as usize))
        {
            *rv -= c.amplitude * g;
        }
        let e: f64 = r.iter().map(|v| v * v).sum();
        let want = e_prev - c.amplitude * c.amplitude;
        assert!(
            (e - want).abs() <= 1e-9 * e_prev,
            "step {n}: ‖r‖² = {e}, expected {want}"
        );
        e_prev = e;
    }
    let x_energy: f64 = a.samples.iter().map(|v| v * v).sum();
    let r_energy: f64 = residual.iter().map(|v| v * v).sum();
    let a2: f64 = codes.iter().map(|c| c.amplitude * c.amplitude).sum();
    assert!(
        (x_energy - a2 - r_energy).abs() <= 1e-9 * x_energy,
        "{x_energy} − {a2} ≠ {r_energy}"
    );
    // Decoding the unquantized codes gives x − r.
    let y = decode(&codes, &dict, a.samples.len());
    let err = y
        .iter()
        .zip(&a.samples)
        .zip(&residual)
        .map(|((y, x), r)| (y - (x - r)).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-9, "{err}");
    let snr = snr_db(&a.samples, &y);
    eprintln!("unquantized SNR at 1000 codes/s: {snr:.2} dB");
    assert!(snr > 15.0, "SNR at 1000 codes/s: {snr:.2} dB");
}

#[test]
fn snr_never_decreases_with_budget() {
    let a = word();
    let dict = Dictionary::default_for(a.rate as f64, 40);
    let enc = Encoder::new(&dict);
    let mut last = f64::NEG_INFINITY;
    for rate in [50.0, 100.0, 300.0, 1000.0, 3000.0] {
        let budget = (rate * a.duration_s()).round() as usize;
        let (codes, _) = enc.encode(&a.samples, budget, Stop::Budget);
        let snr = snr_db(&a.samples, &decode(&codes, &dict, a.samples.len()));
        assert!(snr >= last, "{rate}/s: {snr} < {last}");
        last = snr;
    }
}

#[test]
fn streaming_meets_the_budget_exactly_and_stays_bounded() {
    // 64 s of a chirp plus the word, in 1 s pushes: codes = rate × duration exactly.
    let a = word();
    let dict = Dictionary::default_for(a.rate as f64, 24);
    let enc = Encoder::new(&dict);
    let rate = 200.0;
    let hop = 8000;
    let mut s = StreamEncoder::new(&enc, rate, hop, Stop::Budget);
    let mut total = 0usize;
    let mut n = 0u64;
    let mut max_buf = 0;
    let mut last_time = 0;
    for sec in 0..64u64 {
        let chunk: Vec<f64> = (0..16000)
            .map(|i| {
                let t = (sec * 16000 + i) as f64 / 16000.0;
                0.3 * (2.0 * std::f64::consts::PI * (200.0 + 20.0 * t) * t).sin()
                    + a.samples.get(i as usize).copied().unwrap_or(0.0) * 0.5
            })
            .collect();
        n += chunk.len() as u64;
        let codes = s.push(&chunk);
        assert!(
            codes.iter().all(|c| c.time >= last_time),
            "codes come out in time order"
        );
        if let Some(c) = codes.last() {
            last_time = c.time;
        }
        total += codes.len();
        max_buf = max_buf.max(s.buffered());
    }
    total += s.finish().len();
    assert_eq!(total as u64, (n as f64 * rate / 16000.0).round() as u64);
    assert!(max_buf < hop + dict.len + 16000, "buffer grew to {max_buf}");
}

#[test]
fn fixed_point_encoder_is_within_half_a_db_of_float() {
    use spikefab_cochlea::fixed::FixedEncoder;
    let a = word();
    let dict = Dictionary::default_for(a.rate as f64, 40);
    for rate in [300.0, 1000.0] {
        let budget = (rate * a.duration_s()).round() as usize;
        let (float_codes, _) = Encoder::new(&dict).encode(&a.samples, budget, Stop::Budget);
        let fixed_codes = FixedEncoder::new(&dict).encode(&a.samples, budget);
        assert_eq!(fixed_codes.len(), budget);
        let sf = snr_db(&a.samples, &decode(&float_codes, &dict, a.samples.len()));
        let sx = snr_db(&a.samples, &decode(&fixed_codes, &dict, a.samples.len()));
        eprintln!("{rate}/s: float {sf:.3} dB, fixed {sx:.3} dB");
        assert!(
            (sf - sx).abs() <= 0.5,
            "{rate}/s: float {sf:.3} dB, fixed {sx:.3} dB"
        );
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

        /// For any signal and rate: exactly the budget, energy conserved, x − r decoded.
        #[test]
        fn any_signal_any_rate(x in prop::collection::vec(-1.0f64..1.0, 1..3000), rate in 0.0f64..4000.0, frame in prop::option::of(100usize..1500)) {
            let dict = Dictionary::gammatone(8000.0, 8, 100.0, 256);
            let enc = Encoder::new(&dict);
            let budget = (rate * x.len() as f64 / 8000.0).round() as usize;
            let codes = match frame {
                None => {
                    let (codes, r) = enc.encode(&x, budget, Stop::Budget);
                    let e_x: f64 = x.iter().map(|v| v * v).sum();
                    let e_r: f64 = r.iter().map(|v| v * v).sum();
                    let a2: f64 = codes.iter().map(|c| c.amplitude * c.amplitude).sum();
                    prop_assert!((e_x - a2 - e_r).abs() <= 1e-9 * e_x.max(1e-12));
                    let y = decode(&codes, &dict, x.len());
                    for i in 0..x.len() {
                        prop_assert!((y[i] - (x[i] - r[i])).abs() < 1e-9);
                    }
                    codes
                }
                Some(hop) => {
                    let mut s = StreamEncoder::new(&enc, rate, hop, Stop::Budget);
                    let mut codes = s.push(&x);
                    codes.extend(s.finish());
                    codes
                }
            };
            prop_assert_eq!(codes.len(), budget);
            prop_assert!(codes.iter().all(|c| (c.time as usize) < x.len()));
        }
    }
}
