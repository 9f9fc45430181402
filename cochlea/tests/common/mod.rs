//! Helpers shared by the cochlea's integration tests.

use spikefab_cochlea::Audio;

/// The spoken word "neuromorphic" shipped in `examples/audio/`.
pub fn word() -> Audio {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/audio/neuromorphic.wav"
    );
    Audio::read_wav(p.as_ref()).unwrap().0
}
