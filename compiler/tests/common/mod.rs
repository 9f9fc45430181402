//! Helpers shared by the compiler's integration tests.

use spikefab_chip::{Arch, Overflow};

/// The `loihi` preset widened to 16-bit weights of any sign and saturating
/// currents: the "wide formats" against which fixed-point fidelity must
/// reach the float reference (its 24-bit state is already wide).
#[allow(dead_code)] // not every test binary runs the wide chip
pub fn wide() -> Arch {
    let mut a = Arch::preset("loihi").unwrap();
    a.name = "wide".into();
    a.format.weight_bits = 16;
    a.format.mixed_sign_weights_even = false;
    a.format.current_overflow = Overflow::Saturate;
    a
}

/// `[samples][steps][values]` of a uint8 npy of shape [samples, steps, ...]
/// (the values of a step flattened in C order).
#[allow(dead_code)] // not every test binary reads npy files
pub fn npy_u8(path: &str) -> Vec<Vec<Vec<u8>>> {
    let bytes = std::fs::read(path).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let v = npy.into_vec::<u8>().unwrap();
    let per_step: usize = shape[2..].iter().product();
    (0..shape[0])
        .map(|s| {
            (0..shape[1])
                .map(|t| v[(s * shape[1] + t) * per_step..][..per_step].to_vec())
                .collect()
        })
        .collect()
}

/// Compiling `net` for `arch` fails with an error that contains every one
/// of `want` (the layer, the field, the chip's limit…).
#[allow(dead_code)] // not every test binary checks refusals
pub fn assert_refused(net: &spikefab_compiler::Network, arch: &Arch, want: &[&str]) {
    let Err(e) = spikefab_compiler::compile(net, arch, 1) else {
        panic!("must be refused: {want:?}")
    };
    let e = e.to_string();
    assert!(want.iter().all(|w| e.contains(w)), "{e}");
}
