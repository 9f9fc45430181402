//! The bit-exact fixed-point neuron arithmetic.
//!
//! One function per neuron model, of (parameters, state, input) → (state,
//! spike). The emulator calls these; the reference RTL in `hdl_export` and the
//! committed Lava traces (`tests/lava_bit_exact.rs`) must agree with them.
//! Integers only. The conventions follow Lava's `PyLifModelBitAcc` for the
//! `Mul12` rule, including its 32-bit register behaviour, so that the `loihi`
//! preset reproduces Lava bit for bit:
//!
//! ```text
//! a_in = (Σ w·s) << weight_exp   (arithmetic >> when negative)
//! u'   = decay_u(u) + (a_in << activation_shift)      then overflow rule for u
//! v'   = decay_v(v) + u' + bias                         v saturates to ±(2^(bits−1) − 1)
//! spike = v' > (vth << threshold_shift);  on spike v' = 0
//! ```

use crate::arch::{NumberFormat, Overflow};

/// The per-step result of one neuron update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub u: i32,
    pub v: i32,
    pub spike: bool,
    /// `u` wrapped or saturated, or `v` was clamped, in this step.
    pub saturated: bool,
}

/// Constants of a core's arithmetic, derived once from its [`NumberFormat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fixed {
    /// 2^(state_bits − 1).
    half_range: i32,
    activation_shift: u32,
    threshold_shift: u32,
    overflow: Overflow,
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

/// Parameters of one current-based LIF neuron, already in effective form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CubaLif {
    pub du: u16,
    pub dv: u16,
    /// [`effective_bias`] of the mantissa and exponent.
    pub bias: i32,
    /// [`Fixed::effective_threshold`] of the threshold mantissa.
    pub vth: i32,
}

/// One step of a current-based LIF neuron (`SPIKING = false` gives the LI readout:
/// the same dynamics without threshold or reset).
#[inline(always)]
pub fn cuba_lif_step<D: Decay, const SPIKING: bool>(
    fx: &Fixed,
    decay: &D,
    p: &CubaLif,
    u: i32,
    v: i32,
    a_in: i32,
) -> Step {
    let input = a_in.wrapping_shl(fx.activation_shift);
    let hr = fx.half_range;
    let mut saturated = false;
    let u_new = match fx.overflow {
        Overflow::Wrap => {
            // Lava: 32-bit add, then one correction by ±2^bits.
            let c = decay.current(u, p.du).wrapping_add(input);
            if c > hr {
                saturated = true;
                c.wrapping_sub(hr.wrapping_mul(2))
            } else if c <= -hr {
                saturated = true;
                c.wrapping_add(hr.wrapping_mul(2))
            } else {
                c
            }
        }
        Overflow::Saturate => {
            let c = decay.current(u, p.du) as i64 + ((a_in as i64) << fx.activation_shift);
            let m = (hr - 1) as i64;
            if c > m || c < -m {
                saturated = true;
            }
            c.clamp(-m, m) as i32
        }
    };
    let dv = decay.voltage(v, p.dv);
    let sum = match fx.overflow {
        // Lava adds in 32-bit registers before clipping.
        Overflow::Wrap => dv.wrapping_add(u_new).wrapping_add(p.bias) as i64,
        Overflow::Saturate => dv as i64 + u_new as i64 + p.bias as i64,
    };
    let m = (hr - 1) as i64;
    if sum > m || sum < -m {
        saturated = true;
    }
    let mut v_new = sum.clamp(-m, m) as i32;
    let spike = SPIKING && v_new > p.vth;
    if spike {
        v_new = 0;
    }
    Step {
        u: u_new,
        v: v_new,
        spike,
        saturated,
    }
}

/// One step of a non-leaky integrate-and-fire neuron: `v' = v + (a_in << shift) + bias`,
/// saturating; spike when `v' > vth`, then `v' = 0`. Equal to a `Mul12` CUBA LIF with
/// the current fully decayed each step and no membrane decay, without the `u` register.
#[inline(always)]
pub fn if_step(fx: &Fixed, bias: i32, vth: i32, v: i32, a_in: i32) -> Step {
    let sum = v as i64 + ((a_in as i64) << fx.activation_shift) + bias as i64;
    let m = (fx.half_range - 1) as i64;
    let saturated = sum > m || sum < -m;
    let mut v_new = sum.clamp(-m, m) as i32;
    let spike = v_new > vth;
    if spike {
        v_new = 0;
    }
    Step {
        u: 0,
        v: v_new,
        spike,
        saturated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use proptest::prelude::*;

    fn loihi() -> Fixed {
        Fixed::new(&Arch::preset("loihi").unwrap().format)
    }

    const L: Mul12 = Mul12 {
        current_offset: 1,
        voltage_offset: 0,
    };

    #[test]
    fn mul12_rounds_toward_zero_on_both_signs() {
        assert_eq!(mul12(4097, 1), 4095); // 4097·4095/4096 = 4095.9998 → 4095
        assert_eq!(mul12(-4097, 1), -4095);
        assert_eq!(mul12(1000, 4096), 0);
        assert_eq!(mul12(-7, 0), -7);
    }

    #[test]
    fn lava_wraps_u_once_past_the_24_bit_range() {
        let fx = loihi();
        let p = CubaLif {
            du: 4095, // with the +1 offset, u is fully replaced by the input
            dv: 0,
            bias: 0,
            vth: 1 << 30,
        };
        // (2^17 + 1) << 6 = 2^23 + 64 > 2^23 → −2^23 + 64.
        let s = cuba_lif_step::<_, true>(&fx, &L, &p, 0, 0, (1 << 17) + 1);
        assert_eq!(s.u, -(1 << 23) + 64);
        assert!(s.saturated);
        // exactly 2^23 is kept (Lava tests u > 2^23)
        let s = cuba_lif_step::<_, true>(&fx, &L, &p, 0, 0, 1 << 17);
        assert_eq!(s.u, 1 << 23);
    }

    #[test]
    fn v_saturates_and_spikes_strictly_above_threshold() {
        let fx = loihi();
        let p = CubaLif {
            du: 4095,
            dv: 0,
            bias: 0,
            vth: 100 << 6,
        };
        let at = cuba_lif_step::<_, true>(&fx, &L, &p, 0, 0, 100);
        assert!(!at.spike);
        assert_eq!(at.v, 100 << 6);
        let above = cuba_lif_step::<_, true>(&fx, &L, &p, 0, 1, 100);
        assert!(above.spike);
        assert_eq!(above.v, 0);
        let big = CubaLif { vth: i32::MAX, ..p };
        let sat = cuba_lif_step::<_, true>(&fx, &L, &big, 0, (1 << 23) - 10, 1000);
        assert_eq!(sat.v, (1 << 23) - 1);
        assert!(sat.saturated);
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

    proptest! {
        /// IF is the Mul12 LIF with the current fully replaced each step and no leak.
        #[test]
        fn if_equals_lif_without_leak(v0 in -(1i32<<22)..(1<<22), a in -30000i32..30000, bias in -50000i32..50000, vth in 0i32..(1<<22)) {
            let fx = loihi();
            let lif = CubaLif { du: 4095, dv: 0, bias, vth };
            let a_lif = cuba_lif_step::<_, true>(&fx, &L, &lif, 0, v0, a);
            let a_if = if_step(&fx, bias, vth, v0, a);
            prop_assert_eq!(a_lif.v, a_if.v);
            prop_assert_eq!(a_lif.spike, a_if.spike);
        }

        /// v never leaves the saturation range, whatever the input.
        #[test]
        fn v_stays_in_range(u0 in any::<i32>(), v0 in -(1i32<<23)+1..(1<<23), a in any::<i32>(), du in 0u16..4096, dv in 0u16..4096, bias in -(1i32<<19)..(1<<19)) {
            let fx = loihi();
            let p = CubaLif { du, dv, bias, vth: 1 << 29 };
            let s = cuba_lif_step::<_, true>(&fx, &L, &p, u0 >> 8, v0, a >> 8);
            prop_assert!(s.v.abs() < 1 << 23);
        }

        /// Saturating state stays within the format for every decay rule.
        #[test]
        fn saturating_state_stays_in_range(u0 in -(1i32<<15)+1..(1<<15), v0 in -(1i32<<15)+1..(1<<15), a in any::<i16>(), du in 0u16..40, dv in 0u16..40) {
            let fx = Fixed::new(&Arch::preset("xylo").unwrap().format);
            let p = CubaLif { du, dv, bias: 0, vth: 1 << 14 };
            let s = cuba_lif_step::<_, true>(&fx, &ShiftDecay, &p, u0, v0, a as i32);
            prop_assert!(s.u.abs() < 1 << 15 && s.v.abs() < 1 << 15);
        }
    }
}
