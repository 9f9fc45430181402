//! On-chip noise: a seeded hardware PRNG per core and a per-group noise
//! term added to every neuron's synaptic input, the way Loihi injects
//! noise into a compartment (Davies et al. 2018; NxSDK's
//! `(lfsr() − 2^7 + noiseMant·2^6) · 2^(noiseExp − 7)`). An axis beside the
//! model, the reset and the schedule: any model can be noisy (NSNN,
//! TeCoS-LVM's stochastic neurons).
//!
//! ```text
//! stream:  one 32-bit xorshift (13, 17, 5; Marsaglia 2003) per core, seeded
//!          from the program's noise seed and the core's index (`stream`);
//!          each neuron of a noisy group draws once per step, in neuron-id
//!          order, whether or not it is active
//! draw:    r = x >> 24                                     8 random bits
//! noise:   n = ((r − 128) + 64·mant) · 2^(exp − 7)          arithmetic >> when exp < 7
//! input:   a_in ← a_in + n                                 (32-bit wrapping), then the model's step
//! ```
//!
//! The noise enters where synaptic input does, so it is in the same units
//! (the summed weight mantissas after the group's exponent); through a
//! CUBA current it is filtered like input, on a delta-synapse or IF
//! neuron it is membrane noise.

use serde::{Deserialize, Serialize};

use crate::arch::NumberFormat;

/// A group's noise, as a program stores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Noise {
    /// Offset of the draw in units of 64: −2..=1 (0: centred on −½).
    pub mant: i8,
    /// Scale: the draw is multiplied by `2^(exp − 7)`, 0..=`max_exp`.
    pub exp: u8,
}

/// The range of [`Noise::mant`].
pub const MANT_RANGE: std::ops::RangeInclusive<i8> = -2..=1;

impl Noise {
    /// The largest exponent a format allows: the noise (at most 2^(exp+1)
    /// in magnitude), shifted like input, stays inside the state register.
    pub fn max_exp(f: &NumberFormat) -> u8 {
        (f.state_bits as i32 - 3 - f.activation_shift as i32).clamp(0, 30) as u8
    }

    /// Checks the fields against a chip's formats; the message names the field.
    pub fn check(&self, f: &NumberFormat) -> Result<(), String> {
        if !MANT_RANGE.contains(&self.mant) {
            return Err(format!(
                "noise mant {} is outside {}..={}",
                self.mant,
                MANT_RANGE.start(),
                MANT_RANGE.end()
            ));
        }
        let most = Self::max_exp(f);
        if self.exp > most {
            return Err(format!(
                "noise exp {} is above {most} (the noise, shifted like input, must fit the {}-bit state)",
                self.exp, f.state_bits
            ));
        }
        Ok(())
    }

    /// The noise term of one 8-bit draw `r`.
    #[inline(always)]
    pub fn term(&self, r: u32) -> i32 {
        let base = r as i32 - 128 + 64 * self.mant as i32;
        let e = self.exp as i32 - 7;
        if e >= 0 {
            base << e
        } else {
            base >> -e
        }
    }
}

/// The xorshift32 state of core `core`'s stream for program seed `seed`:
/// splitmix64 of the two, folded to 32 bits, never 0 (xorshift's fixed point).
pub fn stream(seed: u64, core: u32) -> u32 {
    let mut z = seed ^ (core as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let x = (z ^ (z >> 32)) as u32;
    if x == 0 {
        0x6D2B_79F5
    } else {
        x
    }
}

/// Advances `x` and returns its 8 random bits.
#[inline(always)]
pub fn draw(x: &mut u32) -> u32 {
    let mut v = *x;
    v ^= v << 13;
    v ^= v >> 17;
    v ^= v << 5;
    *x = v;
    v >> 24
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;

    #[test]
    fn xorshift32_is_marsaglias() {
        // Marsaglia's example generator from the state 2463534242
        let mut x = 2_463_534_242u32;
        draw(&mut x);
        assert_eq!(x, 723_471_715);
        // streams differ by core and by seed, and are never stuck at 0
        assert_ne!(stream(1, 0), stream(1, 1));
        assert_ne!(stream(1, 0), stream(2, 0));
        assert!((0..1000).all(|c| stream(7, c) != 0));
    }

    #[test]
    fn the_term_is_loihis_formula() {
        let n = Noise { mant: 0, exp: 7 };
        assert_eq!((n.term(0), n.term(128), n.term(255)), (-128, 0, 127));
        let n = Noise { mant: 1, exp: 9 };
        assert_eq!(n.term(0), -64 * 4);
        let n = Noise { mant: 0, exp: 5 };
        assert_eq!((n.term(0), n.term(129)), (-32, 0)); // floor of 1/4
        let f = Arch::preset("loihi").unwrap().format;
        assert!(Noise { mant: 2, exp: 0 }
            .check(&f)
            .unwrap_err()
            .contains("mant"));
        let e = Noise { mant: 0, exp: 16 }.check(&f).unwrap_err();
        assert!(e.contains("noise exp 16 is above 15"), "{e}");
    }

    proptest::proptest! {
        /// Every draw is 8 bits; the term stays within 2^(exp+1).
        #[test]
        fn draws_and_terms_stay_in_range(seed in proptest::prelude::any::<u64>(), core in 0u32..4096, mant in -2i8..=1, exp in 0u8..=15) {
            let mut x = stream(seed, core);
            let n = Noise { mant, exp };
            for _ in 0..64 {
                let r = draw(&mut x);
                proptest::prop_assert!(r < 256 && x != 0);
                proptest::prop_assert!(n.term(r).unsigned_abs() <= 1 << (exp as u32 + 1));
            }
        }
    }
}
