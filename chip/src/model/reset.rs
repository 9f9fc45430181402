//! How a spiking neuron fires and resets: an axis of its own, so that any
//! spiking model composes with any reset (as Lava's `reset_voltage` hook,
//! Brian2's `reset=` string).
//!
//! - [`ToZero`]: one spike when `v > vth`, then `v = 0` (Loihi, snnTorch's
//!   `reset_mechanism="zero"`).
//! - [`Subtract`]: `n` spikes, `n` the largest count up to `max_spikes` with
//!   `v > n·vth`, then `v −= n·vth` (snnTorch's `"subtract"` with one spike,
//!   Sinabs' and Rockpool's `max_spikes_per_dt`, Xylo's hardware). The
//!   comparison is the chip's strict `>` throughout; the float references
//!   spike at `v ≥ n·θ`, which differs only at exact multiples.
//!
//! Both are integer-only and need no divider in the RTL's sense: `n` is
//! `min(max_spikes, (v − 1) / vth)` for `v ≥ 1`, computed here by division and
//! in `rtl/models/snn_reset.v` by the same comparison chain the definition
//! states.

use serde::{Deserialize, Serialize};

/// A group's reset, as a program stores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reset {
    /// One spike at most, then `v = 0`.
    #[default]
    Zero,
    /// Up to `max_spikes` spikes a step (≥ 1), `vth` subtracted per spike.
    Subtract { max_spikes: u8 },
}

impl Reset {
    /// Most spikes a neuron can emit in one step.
    pub fn max_spikes(self) -> u8 {
        match self {
            Reset::Zero => 1,
            Reset::Subtract { max_spikes } => max_spikes,
        }
    }

    pub fn is_subtract(self) -> bool {
        matches!(self, Reset::Subtract { .. })
    }
}

/// A reset rule, resolved once per group so that the neuron loop is monomorphic.
pub trait Fire: Copy + Send + Sync + 'static {
    /// The spikes of a neuron whose clamped membrane is `v`, against its
    /// effective threshold `vth` (≥ 0), and the membrane after the reset.
    fn fire(&self, v: i32, vth: i32) -> (i32, u8);
}

#[derive(Clone, Copy, Debug)]
pub struct ToZero;

impl Fire for ToZero {
    #[inline(always)]
    fn fire(&self, v: i32, vth: i32) -> (i32, u8) {
        if v > vth {
            (0, 1)
        } else {
            (v, 0)
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Subtract {
    pub max_spikes: u8,
}

impl Fire for Subtract {
    #[inline(always)]
    fn fire(&self, v: i32, vth: i32) -> (i32, u8) {
        if v <= vth {
            return (v, 0);
        }
        // v > n·vth  ⇔  n ≤ (v − 1) / vth  (v ≥ 1, vth ≥ 1); with vth = 0 every
        // n qualifies. v − n·vth stays within [−|v|, v]: no overflow.
        let most = self.max_spikes as i64;
        let n = if vth == 0 {
            most
        } else {
            ((v as i64 - 1) / vth as i64).min(most)
        };
        ((v as i64 - n * vth as i64) as i32, n as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn subtract_counts_whole_thresholds_strictly_above() {
        let s = Subtract { max_spikes: 31 };
        assert_eq!(s.fire(100, 100), (100, 0)); // not above
        assert_eq!(s.fire(101, 100), (1, 1));
        assert_eq!(s.fire(250, 100), (50, 2));
        assert_eq!(s.fire(300, 100), (100, 2)); // 300 > 3·100 is false
        assert_eq!(Subtract { max_spikes: 2 }.fire(1000, 100), (800, 2));
        assert_eq!(s.fire(5, 0), (5, 31));
        assert_eq!(s.fire(-50, 0), (-50, 0));
        assert_eq!(ToZero.fire(101, 100), (0, 1));
        assert_eq!(ToZero.fire(100, 100), (100, 0));
    }

    proptest! {
        /// The count is the definition's: spikes while v > k·vth, at most max.
        #[test]
        fn subtract_is_repeated_compare_and_subtract(v in -(1i32 << 23)..(1 << 23), vth in 0i32..(1 << 23), max in 1u8..=31) {
            let (mut w, mut k) = (v, 0u8);
            while k < max && w > vth {
                w -= vth;
                k += 1;
            }
            prop_assert_eq!(Subtract { max_spikes: max }.fire(v, vth), (w, k));
        }
    }
}
