//! The gammatone dictionary against the PyPI `gammatone` package
//! (fixtures from tools/gammatone_reference.py).

use spikefab_cochlea::gammatone::{centre_freqs, ErbFilter};

fn fixture(name: &str) -> (Vec<u64>, Vec<f64>) {
    let bytes = std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape = npy.shape().to_vec();
    (shape, npy.into_vec::<f64>().unwrap())
}

#[test]
fn centre_frequencies_and_impulse_responses_match_the_gammatone_package() {
    for (fs, n, f_lo, len) in [
        (16000, 40, 50, 1024),
        (8000, 16, 100, 512),
        (22050, 24, 80, 512),
    ] {
        let (shape, table) = fixture(&format!("gammatone_{fs}_{n}_{f_lo}_{len}.npy"));
        assert_eq!(shape, vec![n as u64, len as u64 + 1]);
        let ours = centre_freqs(f_lo as f64, fs as f64 / 2.0, n);
        for row in 0..n {
            // The package lists channels from high to low frequency.
            let k = n - 1 - row;
            let reference = &table[row * (len + 1)..(row + 1) * (len + 1)];
            let cf = reference[0];
            assert!(
                (ours[k] - cf).abs() <= 1e-9 * cf,
                "fs {fs} channel {row}: {} vs {cf}",
                ours[k]
            );
            let ir = ErbFilter::new(fs as f64, ours[k]).impulse_response(len);
            let peak = reference[1..].iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let err = ir
                .iter()
                .zip(&reference[1..])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(
                err <= 1e-9 * peak,
                "fs {fs} channel {row} ({cf:.1} Hz): max error {err:e}, peak {peak:e}"
            );
        }
    }
}
