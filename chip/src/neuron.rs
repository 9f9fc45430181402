//! The bit-exact fixed-point neuron arithmetic.
//!
//! What every neuron model shares: the decay rules, the shifts and the
//! register widths of a core's [`NumberFormat`]. The models themselves, each
//! a step of (parameters, state, input) → (state, spike), are in
//! [`crate::model`]; the emulator runs them, and the reference RTL in
//! `hdl_export` and the committed Lava traces (`tests/lava_bit_exact.rs`) must
//! agree with them. Integers only. The conventions follow Lava's
//! `PyLifModelBitAcc` for the `Mul12` rule, including its 32-bit register
//! behaviour, so that the `loihi` preset reproduces Lava bit for bit:
//! `a_in = (Σ w·s) << weight_exp` (arithmetic `>>` when negative).

use crate::arch::{NumberFormat, Overflow};

/// Constants of a core's arithmetic, derived once from its [`NumberFormat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fixed {
    /// 2^(state_bits − 1).
    pub(crate) half_range: i32,
    pub(crate) activation_shift: u32,
    pub(crate) threshold_shift: u32,
    pub(crate) overflow: Overflow,
}

impl Fixed {
    pub fn new(f: &NumberFormat) -> Self {
        Fixed {
            half_range: 1i32 << (f.state_bits - 1),
            activation_shift: f.activation_shift as u32,
            threshold_shift: f.threshold_shift as u32,
            overflow: f.current_overflow,
        }
    }

    /// Largest magnitude `v` may hold.
    pub fn state_max(&self) -> i32 {
        self.half_range - 1
    }

    /// How far a threshold mantissa is shifted to compare with `v`.
    pub fn threshold_shift(&self) -> u32 {
        self.threshold_shift
    }

    /// The threshold as compared with `v`: `vth << threshold_shift`.
    pub fn effective_threshold(&self, vth: u32) -> i32 {
        ((vth as i64) << self.threshold_shift) as i32
    }
}

/// `bias_mant · 2^bias_exp`; a negative exponent is an arithmetic (floor) shift, as in Lava.
#[inline]
pub fn effective_bias(mant: i32, exp: i8) -> i32 {
    if exp >= 0 {
        ((mant as i64) << exp) as i32
    } else {
        mant >> (-(exp as i32)).min(31)
    }
}

/// The summed synaptic input scaled by a population's weight exponent.
/// Left shifts wrap like a 32-bit register; right shifts floor.
#[inline]
pub fn activation(sum: i32, weight_exp: i8) -> i32 {
    if weight_exp >= 0 {
        ((sum as i64) << weight_exp) as i32
    } else {
        sum >> (-(weight_exp as i32)).min(31)
    }
}

/// A decay rule, resolved once per population so that the per-neuron loop is monomorphic.
pub trait Decay: Copy {
    fn current(&self, x: i32, d: u16) -> i32;
    fn voltage(&self, x: i32, d: u16) -> i32;
}

/// Loihi's `x · (4096 − (d + offset)) / 4096`, rounded toward zero.
#[derive(Clone, Copy, Debug)]
pub struct Mul12 {
    pub current_offset: u16,
    pub voltage_offset: u16,
}

#[inline]
fn mul12(x: i32, d: u16) -> i32 {
    let p = x as i64 * (4096 - d as i64);
    // Round toward zero: the decay acts on the magnitude (Lava: sign · (|p| >> 12)).
    let q = p.abs() >> 12;
    (if p < 0 { -q } else { q }) as i32
}

impl Decay for Mul12 {
    #[inline]
    fn current(&self, x: i32, d: u16) -> i32 {
        mul12(x, d + self.current_offset)
    }
    #[inline]
    fn voltage(&self, x: i32, d: u16) -> i32 {
        mul12(x, d + self.voltage_offset)
    }
}

/// Xylo's `x − (x >> d)` with an arithmetic (floor) shift; `d ≥ 32` disables the decay.
#[derive(Clone, Copy, Debug)]
pub struct ShiftDecay;

/// Shift amounts at or above this value mean "no decay" in the `Shift` rule.
pub const SHIFT_NO_DECAY: u16 = 32;

#[inline]
fn shift_decay(x: i32, d: u16) -> i32 {
    if d >= SHIFT_NO_DECAY {
        x
    } else {
        x - (x >> d)
    }
}

impl Decay for ShiftDecay {
    #[inline]
    fn current(&self, x: i32, d: u16) -> i32 {
        shift_decay(x, d)
    }
    #[inline]
    fn voltage(&self, x: i32, d: u16) -> i32 {
        shift_decay(x, d)
    }
}

/// The checks and neuron-word fields the LIF family shares, so that a field
/// of the same name means the same thing (and has the same width) in every model.
pub mod common {
    use crate::arch::{DecayRule, NumberFormat};
    use crate::model::WordField;

    use super::SHIFT_NO_DECAY;

    /// Largest decay code of the format's rule.
    pub fn max_decay(f: &NumberFormat) -> u16 {
        match f.decay {
            DecayRule::Mul12 { .. } => 4095,
            DecayRule::Shift => SHIFT_NO_DECAY,
        }
    }

    pub fn check_decay(field: &str, d: u16, f: &NumberFormat) -> Result<(), String> {
        let max = max_decay(f);
        if d > max {
            return Err(format!("{field} {d} is above {max}"));
        }
        Ok(())
    }

    pub fn check_bias(mant: i32, exp: i8, f: &NumberFormat) -> Result<(), String> {
        let max = (1i32 << (f.bias_bits - 1)) - 1;
        if mant > max || mant < -max - 1 {
            return Err(format!(
                "bias mantissa {mant} does not fit {} bits",
                f.bias_bits
            ));
        }
        if !(-8..=7).contains(&exp) {
            return Err(format!("bias exponent {exp} outside -8..=7"));
        }
        Ok(())
    }

    pub fn check_threshold(vth: u32, f: &NumberFormat) -> Result<(), String> {
        if vth as u64 > (1u64 << f.threshold_bits) - 1 {
            return Err(format!(
                "threshold {vth} does not fit {} bits",
                f.threshold_bits
            ));
        }
        Ok(())
    }

    pub fn du() -> WordField {
        WordField {
            name: "du",
            width: 12,
            signed: false,
            doc: "current decay (Mul12: 0..4095; Shift: shift, ≥ 32 = none)",
        }
    }

    pub fn dv() -> WordField {
        WordField {
            name: "dv",
            width: 12,
            signed: false,
            doc: "membrane decay",
        }
    }

    pub fn bias(f: &NumberFormat) -> [WordField; 2] {
        [
            WordField {
                name: "bias_mant",
                width: f.bias_bits as u32,
                signed: true,
                doc: "bias mantissa",
            },
            WordField {
                name: "bias_exp",
                width: 4,
                signed: true,
                doc: "bias = bias_mant · 2^bias_exp (arithmetic shift when negative)",
            },
        ]
    }

    pub fn vth(f: &NumberFormat) -> WordField {
        WordField {
            name: "vth",
            width: f.threshold_bits as u32,
            signed: false,
            doc: "threshold mantissa; spike when v > vth << THR_SHIFT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul12_rounds_toward_zero_on_both_signs() {
        assert_eq!(mul12(4097, 1), 4095); // 4097·4095/4096 = 4095.9998 → 4095
        assert_eq!(mul12(-4097, 1), -4095);
        assert_eq!(mul12(1000, 4096), 0);
        assert_eq!(mul12(-7, 0), -7);
    }

    #[test]
    fn shift_decay_matches_the_xylo_rule() {
        assert_eq!(shift_decay(1000, 3), 1000 - 125);
        assert_eq!(shift_decay(-1000, 3), -1000 + 125);
        assert_eq!(shift_decay(-1, 4), 0); // floor shift: −1 >> 4 = −1
        assert_eq!(shift_decay(12345, SHIFT_NO_DECAY), 12345);
        assert_eq!(shift_decay(12345, 0), 0);
    }

    #[test]
    fn bias_and_activation_shifts_floor_like_numpy() {
        assert_eq!(effective_bias(-5, -1), -3);
        assert_eq!(effective_bias(5, 3), 40);
        assert_eq!(activation(-7, -2), -2);
        assert_eq!(activation(3, 4), 48);
    }
}
