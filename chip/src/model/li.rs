//! Leaky-integrator readout: the CUBA LIF's current and membrane dynamics
//! without threshold or reset; it never spikes. Outputs are read from its
//! membrane (or, on chip, not at all: an LI population is what a float
//! network's readout lowers to).

use serde::{Deserialize, Serialize};

use super::cuba_lif::{self, cuba_step, CubaLif, Params, State};
use super::{Fire, Model, ModelKind, Outcome, WordField};
use crate::arch::NumberFormat;
use crate::neuron::{common, Decay, Fixed};

pub struct Li;

impl Stored {
    /// The CUBA LIF neuron with these dynamics (its threshold unused).
    fn as_lif(&self) -> cuba_lif::Stored {
        cuba_lif::Stored {
            du: self.du,
            dv: self.dv,
            bias_mant: self.bias_mant,
            bias_exp: self.bias_exp,
            vth: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stored {
    /// Current decay: `Mul12` 0..=4095, `Shift` amount (≥ 32 = none).
    pub du: u16,
    /// Membrane decay.
    pub dv: u16,
    pub bias_mant: i32,
    pub bias_exp: i8,
}

impl Model for Li {
    const KIND: ModelKind = ModelKind::Li;
    const NAME: &'static str = "LI";
    type Stored = Stored;
    type Params = Params;
    type State = State;
    const STATE_VARS: &'static [&'static str] = CubaLif::STATE_VARS;

    fn state_var(s: &State, k: usize) -> i32 {
        CubaLif::state_var(s, k)
    }

    fn threshold(_: &Stored) -> u32 {
        0
    }

    fn check(n: &Stored, f: &NumberFormat) -> Result<(), String> {
        CubaLif::check(&n.as_lif(), f)
    }

    fn params(fx: &Fixed, n: &Stored) -> Params {
        CubaLif::params(fx, &n.as_lif())
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
        cuba_step::<D, F, false>(fx, decay, fire, p, s, a_in)
    }

    #[inline(always)]
    fn is_active(p: &Params, s: &State) -> bool {
        CubaLif::is_active(p, s)
    }

    fn word_fields(f: &NumberFormat) -> Vec<WordField> {
        let [bm, be] = common::bias(f);
        vec![common::du(), common::dv(), bm, be]
    }

    fn word(n: &Stored) -> Vec<i64> {
        let mut w = CubaLif::word(&n.as_lif());
        w.pop(); // no threshold
        w
    }
}
