//! Helpers shared by the compiler's integration tests.

use spikefab_chip::{Arch, Overflow};

/// The `loihi` preset widened to 16-bit weights of any sign and saturating
/// currents: the "wide formats" against which fixed-point fidelity must
/// reach the float reference (its 24-bit state is already wide).
pub fn wide() -> Arch {
    let mut a = Arch::preset("loihi").unwrap();
    a.name = "wide".into();
    a.format.weight_bits = 16;
    a.format.mixed_sign_weights_even = false;
    a.format.current_overflow = Overflow::Saturate;
    a
}
