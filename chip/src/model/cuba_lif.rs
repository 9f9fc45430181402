//! Current-based leaky integrate-and-fire: Loihi's neuron with `Mul12`
//! decays (bit-exact to Lava's `PyLifModelBitAcc`), Xylo's with `Shift`.
//!
//! ```text
//! u'    = decay_u(u) + (a_in << activation_shift)    then the format's overflow rule for u
//! v'    = decay_v(v) + u' + bias                     v saturates to ±(2^(bits−1) − 1)
//! spike = v' > (vth << threshold_shift);  then the group's reset (model/reset.rs)
//! ```

use serde::{Deserialize, Serialize};

use super::{Fire, Model, ModelKind, Outcome, WordField};
use crate::arch::{NumberFormat, Overflow};
use crate::neuron::{common, effective_bias, Decay, Fixed};

pub struct CubaLif;

/// One neuron as a program stores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stored {
    /// Current decay: `Mul12` 0..=4095, `Shift` amount (≥ 32 = none).
    pub du: u16,
    /// Membrane decay.
    pub dv: u16,
    pub bias_mant: i32,
    pub bias_exp: i8,
    /// Threshold mantissa.
    pub vth: u32,
}

/// The parameters in effective form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    pub du: u16,
    pub dv: u16,
    /// [`effective_bias`] of the mantissa and exponent.
    pub bias: i32,
    /// [`Fixed::effective_threshold`] of the threshold mantissa.
    pub vth: i32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// Synaptic current.
    pub u: i32,
    /// Membrane potential.
    pub v: i32,
}

/// The CUBA step shared with the LI readout (`SPIKING = false`: the same
/// dynamics without threshold or reset).
#[inline(always)]
pub(crate) fn cuba_step<D: Decay, F: Fire, const SPIKING: bool>(
    fx: &Fixed,
    decay: &D,
    fire: &F,
    p: &Params,
    s: &mut State,
    a_in: i32,
) -> Outcome {
    let input = a_in.wrapping_shl(fx.activation_shift);
    let hr = fx.half_range;
    let mut saturated = false;
    let u_new = match fx.overflow {
        Overflow::Wrap => {
            // Lava: 32-bit add, then one correction by ±2^bits.
            let c = decay.current(s.u, p.du).wrapping_add(input);
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
            let c = decay.current(s.u, p.du) as i64 + ((a_in as i64) << fx.activation_shift);
            let m = (hr - 1) as i64;
            if c > m || c < -m {
                saturated = true;
            }
            c.clamp(-m, m) as i32
        }
    };
    let dv = decay.voltage(s.v, p.dv);
    let sum = match fx.overflow {
        // Lava adds in 32-bit registers before clipping.
        Overflow::Wrap => dv.wrapping_add(u_new).wrapping_add(p.bias) as i64,
        Overflow::Saturate => dv as i64 + u_new as i64 + p.bias as i64,
    };
    let m = (hr - 1) as i64;
    if sum > m || sum < -m {
        saturated = true;
    }
    let v_new = sum.clamp(-m, m) as i32;
    let (v_new, spikes) = if SPIKING {
        fire.fire(v_new, p.vth)
    } else {
        (v_new, 0)
    };
    *s = State { u: u_new, v: v_new };
    Outcome { spikes, saturated }
}

impl Model for CubaLif {
    const KIND: ModelKind = ModelKind::CubaLif;
    const NAME: &'static str = "CUBA LIF";
    type Stored = Stored;
    type Params = Params;
    type State = State;
    const STATE_VARS: &'static [&'static str] = &["u", "v"];

    fn state_var(s: &State, k: usize) -> i32 {
        [s.u, s.v][k]
    }

    fn threshold(n: &Stored) -> u32 {
        n.vth
    }

    fn check(n: &Stored, f: &NumberFormat) -> Result<(), String> {
        common::check_decay("du", n.du, f)?;
        common::check_decay("dv", n.dv, f)?;
        common::check_bias(n.bias_mant, n.bias_exp, f)?;
        common::check_threshold(n.vth, f)
    }

    fn params(fx: &Fixed, n: &Stored) -> Params {
        Params {
            du: n.du,
            dv: n.dv,
            bias: effective_bias(n.bias_mant, n.bias_exp),
            vth: fx.effective_threshold(n.vth),
        }
    }

    #[inline(always)]
    fn step<D: Decay, F: Fire>(
        fx: &Fixed,
        decay: &D,
        fire: &F,
        p: &Params,
        s: &mut State,
        a_in: i32,
    ) -> Outcome {
        cuba_step::<D, F, true>(fx, decay, fire, p, s, a_in)
    }

    #[inline(always)]
    fn is_active(p: &Params, s: &State) -> bool {
        s.u != 0 || s.v != 0 || p.bias != 0
    }

    fn word_fields(f: &NumberFormat) -> Vec<WordField> {
        let [bm, be] = common::bias(f);
        vec![common::du(), common::dv(), bm, be, common::vth(f)]
    }

    fn word(n: &Stored) -> Vec<i64> {
        vec![
            n.du as i64,
            n.dv as i64,
            n.bias_mant as i64,
            n.bias_exp as i64,
            n.vth as i64,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::model::reset::ToZero;
    use crate::model::testing::{loihi, L};
    use crate::neuron::ShiftDecay;
    use proptest::prelude::*;

    fn step<D: Decay>(
        fx: &Fixed,
        d: &D,
        p: &Params,
        u: i32,
        v: i32,
        a_in: i32,
    ) -> (State, Outcome) {
        let mut s = State { u, v };
        let o = CubaLif::step(fx, d, &ToZero, p, &mut s, a_in);
        (s, o)
    }

    #[test]
    fn lava_wraps_u_once_past_the_24_bit_range() {
        let fx = loihi();
        let p = Params {
            du: 4095, // with the +1 offset, u is fully replaced by the input
            dv: 0,
            bias: 0,
            vth: 1 << 30,
        };
        // (2^17 + 1) << 6 = 2^23 + 64 > 2^23 → −2^23 + 64.
        let (s, o) = step(&fx, &L, &p, 0, 0, (1 << 17) + 1);
        assert_eq!(s.u, -(1 << 23) + 64);
        assert!(o.saturated);
        // exactly 2^23 is kept (Lava tests u > 2^23)
        let (s, _) = step(&fx, &L, &p, 0, 0, 1 << 17);
        assert_eq!(s.u, 1 << 23);
    }

    #[test]
    fn v_saturates_and_spikes_strictly_above_threshold() {
        let fx = loihi();
        let p = Params {
            du: 4095,
            dv: 0,
            bias: 0,
            vth: 100 << 6,
        };
        let (at, o) = step(&fx, &L, &p, 0, 0, 100);
        assert_eq!(o.spikes, 0);
        assert_eq!(at.v, 100 << 6);
        let (above, o) = step(&fx, &L, &p, 0, 1, 100);
        assert_eq!(o.spikes, 1);
        assert_eq!(above.v, 0);
        let big = Params { vth: i32::MAX, ..p };
        let (sat, o) = step(&fx, &L, &big, 0, (1 << 23) - 10, 1000);
        assert_eq!(sat.v, (1 << 23) - 1);
        assert!(o.saturated);
    }

    proptest! {
        /// v never leaves the saturation range, whatever the input.
        #[test]
        fn v_stays_in_range(u0 in any::<i32>(), v0 in -(1i32<<23)+1..(1<<23), a in any::<i32>(), du in 0u16..4096, dv in 0u16..4096, bias in -(1i32<<19)..(1<<19)) {
            let fx = loihi();
            let p = Params { du, dv, bias, vth: 1 << 29 };
            let (s, _) = step(&fx, &L, &p, u0 >> 8, v0, a >> 8);
            prop_assert!(s.v.abs() < 1 << 23);
        }

        /// Saturating state stays within the format for every decay rule.
        #[test]
        fn saturating_state_stays_in_range(u0 in -(1i32<<15)+1..(1<<15), v0 in -(1i32<<15)+1..(1<<15), a in any::<i16>(), du in 0u16..40, dv in 0u16..40) {
            let fx = Fixed::new(&Arch::preset("xylo").unwrap().format);
            let p = Params { du, dv, bias: 0, vth: 1 << 14 };
            let (s, _) = step(&fx, &ShiftDecay, &p, u0, v0, a as i32);
            prop_assert!(s.u.abs() < 1 << 15 && s.v.abs() < 1 << 15);
        }
    }
}
