//! Non-leaky integrate-and-fire: `v' = v + (a_in << activation_shift) + bias`,
//! saturating; spike when `v' > vth << threshold_shift`, then the group's
//! reset (model/reset.rs).
//!
//! Equal to a `Mul12` CUBA LIF whose current is fully replaced each step and
//! whose membrane does not decay, without the current register (the test
//! below holds the two to that).

use serde::{Deserialize, Serialize};

use super::{Fire, Model, ModelKind, Outcome, WordField};
use crate::arch::NumberFormat;
use crate::neuron::{common, effective_bias, Decay, Fixed};

pub struct If;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stored {
    pub bias_mant: i32,
    pub bias_exp: i8,
    /// Threshold mantissa.
    pub vth: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    pub bias: i32,
    pub vth: i32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct State {
    pub v: i32,
}

impl Model for If {
    const KIND: ModelKind = ModelKind::If;
    const NAME: &'static str = "IF";
    type Stored = Stored;
    type Params = Params;
    type State = State;
    const STATE_VARS: &'static [&'static str] = &["v"];

    fn state_var(s: &State, _: usize) -> i32 {
        s.v
    }

    fn threshold(n: &Stored) -> u32 {
        n.vth
    }

    fn check(n: &Stored, f: &NumberFormat) -> Result<(), String> {
        common::check_bias(n.bias_mant, n.bias_exp, f)?;
        common::check_threshold(n.vth, f)
    }

    fn params(fx: &Fixed, n: &Stored) -> Params {
        Params {
            bias: effective_bias(n.bias_mant, n.bias_exp),
            vth: fx.effective_threshold(n.vth),
        }
    }

    #[inline(always)]
    fn step<D: Decay, F: Fire>(
        fx: &Fixed,
        _decay: &D,
        fire: &F,
        p: &Params,
        s: &mut State,
        a_in: i32,
    ) -> Outcome {
        let sum = s.v as i64 + ((a_in as i64) << fx.activation_shift) + p.bias as i64;
        let m = (fx.half_range - 1) as i64;
        let saturated = sum > m || sum < -m;
        let (v, spikes) = fire.fire(sum.clamp(-m, m) as i32, p.vth);
        s.v = v;
        Outcome { spikes, saturated }
    }

    #[inline(always)]
    fn is_active(p: &Params, s: &State) -> bool {
        s.v != 0 || p.bias != 0
    }

    fn word_fields(f: &NumberFormat) -> Vec<WordField> {
        let [bm, be] = common::bias(f);
        vec![bm, be, common::vth(f)]
    }

    fn word(n: &Stored) -> Vec<i64> {
        vec![n.bias_mant as i64, n.bias_exp as i64, n.vth as i64]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::model::cuba_lif::{self, CubaLif};
    use crate::model::reset::{Subtract, ToZero};
    use crate::neuron::Mul12;
    use proptest::prelude::*;

    proptest! {
        /// IF is the Mul12 LIF with the current fully replaced each step and no leak.
        #[test]
        fn if_equals_lif_without_leak(v0 in -(1i32<<22)..(1<<22), a in -30000i32..30000, bias in -50000i32..50000, vth in 0i32..(1<<22)) {
            let fx = Fixed::new(&Arch::preset("loihi").unwrap().format);
            let l = Mul12 { current_offset: 1, voltage_offset: 0 };
            let lif = cuba_lif::Params { du: 4095, dv: 0, bias, vth };
            for fire in [Subtract { max_spikes: 1 }, Subtract { max_spikes: 7 }] {
                let (mut s_lif, mut s_if) = (cuba_lif::State { u: 0, v: v0 }, State { v: v0 });
                let o_lif = CubaLif::step(&fx, &l, &fire, &lif, &mut s_lif, a);
                let o_if = If::step(&fx, &l, &fire, &Params { bias, vth }, &mut s_if, a);
                prop_assert_eq!(s_lif.v, s_if.v);
                prop_assert_eq!(o_lif.spikes, o_if.spikes);
            }
            let (mut s_lif, mut s_if) = (cuba_lif::State { u: 0, v: v0 }, State { v: v0 });
            let o_lif = CubaLif::step(&fx, &l, &ToZero, &lif, &mut s_lif, a);
            let o_if = If::step(&fx, &l, &ToZero, &Params { bias, vth }, &mut s_if, a);
            prop_assert_eq!(s_lif.v, s_if.v);
            prop_assert_eq!(o_lif.spikes, o_if.spikes);
        }
    }
}
