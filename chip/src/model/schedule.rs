//! Per-step tables of a group: a threshold that varies with the timestep and
//! a time-dependent input weighting. An axis of its own, like the reset, so
//! that any spiking model composes with it:
//!
//! - CE-LIF (Chen et al., arXiv 2308.15150): an ALIF group whose threshold
//!   carries a learned contextual embedding `e[t]`, one entry per step of the
//!   sequence.
//! - STDI (arXiv 2306.12010): a converted network's neurons fire against a
//!   threshold that halves from step to step of a window, and the layer they
//!   feed weights each step's spikes to match; steps of a window can be
//!   held silent while a layer integrates.
//!
//! At step `t` of a run the group uses entry `t mod len`:
//!
//! ```text
//! a_in = (Σ w) << (weight_exp + input_shift[t])     the group's exponent, per step
//! θ_t  = max(0, θ + (threshold[t] << threshold_shift))   θ: the model's threshold
//!                                                   (ALIF: vth << shift + a')
//! threshold[t] = None: no neuron of the group fires this step (v is kept)
//! ```
//!
//! The offset is a signed mantissa of the threshold's width plus a sign, and
//! `weight_exp + input_shift` must lie in the chip's exponent range: the
//! hardware holds one small table per group (a few bits per entry) and uses
//! the exponent shifter and threshold adder it already has.

use serde::{Deserialize, Serialize};

use super::reset::Fire;
use crate::arch::NumberFormat;

/// Most entries one group's schedule may hold, on any chip.
pub const MAX_SCHEDULE_LEN: usize = 1 << 16;

/// A group's per-step table, as a program stores it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Step `t` uses entry `t mod steps.len()`; never empty.
    pub steps: Vec<ScheduleStep>,
}

/// One entry of a [`Schedule`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleStep {
    /// Added to every neuron's threshold mantissa this step; `None`: the
    /// group holds (does not fire) this step.
    pub threshold: Option<i32>,
    /// Added to the group's weight exponent this step.
    #[serde(default)]
    pub input_shift: i8,
}

impl Schedule {
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The entry step `t` uses.
    pub fn at(&self, t: u32) -> ScheduleStep {
        self.steps[t as usize % self.steps.len()]
    }

    /// Checks the table against the chip's formats and the group's weight
    /// exponent; the message names the entry and field.
    pub fn check(&self, weight_exp: i8, f: &NumberFormat) -> Result<(), String> {
        if self.steps.is_empty() {
            return Err("schedule has no steps (it needs at least one entry)".into());
        }
        if self.steps.len() > MAX_SCHEDULE_LEN {
            return Err(format!(
                "schedule has {} steps, more than {MAX_SCHEDULE_LEN}",
                self.steps.len()
            ));
        }
        let most = (1i64 << f.threshold_bits) - 1;
        for (k, s) in self.steps.iter().enumerate() {
            if let Some(off) = s.threshold {
                if (off as i64).abs() > most {
                    return Err(format!(
                        "schedule step {k}: threshold offset {off} does not fit {} bits and a sign",
                        f.threshold_bits
                    ));
                }
            }
            let e = weight_exp as i32 + s.input_shift as i32;
            if e < f.weight_exp_min as i32 || e > f.weight_exp_max as i32 {
                return Err(format!(
                    "schedule step {k}: weight exponent {weight_exp} + input_shift {} = {e} is outside the chip's range {}..={}",
                    s.input_shift, f.weight_exp_min, f.weight_exp_max
                ));
            }
        }
        Ok(())
    }
}

/// A reset rule seen through one schedule entry: the threshold moved by the
/// entry's offset (already shifted to state units), or no firing at all.
#[derive(Clone, Copy, Debug)]
pub struct Scheduled<F> {
    pub fire: F,
    /// `threshold << threshold_shift`, or `None` to hold.
    pub offset: Option<i32>,
}

impl<F: Fire> Fire for Scheduled<F> {
    #[inline(always)]
    fn fire(&self, v: i32, vth: i32) -> (i32, u8) {
        match self.offset {
            None => (v, 0),
            Some(off) => {
                let theta = (vth as i64 + off as i64).clamp(0, i32::MAX as i64) as i32;
                self.fire.fire(v, theta)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::model::reset::{Subtract, ToZero};

    #[test]
    fn an_entry_moves_the_threshold_or_holds() {
        let up = Scheduled {
            fire: ToZero,
            offset: Some(50),
        };
        assert_eq!(up.fire(120, 100), (120, 0)); // 120 is not above 150
        assert_eq!(up.fire(151, 100), (0, 1));
        let down = Scheduled {
            fire: Subtract { max_spikes: 4 },
            offset: Some(-60),
        };
        assert_eq!(down.fire(130, 100), (10, 3)); // θ = 40
        let floor = Scheduled {
            fire: ToZero,
            offset: Some(-500),
        };
        assert_eq!(floor.fire(1, 100), (0, 1)); // θ clamps at 0
        let hold = Scheduled {
            fire: ToZero,
            offset: None,
        };
        assert_eq!(hold.fire(1 << 20, 100), (1 << 20, 0));
    }

    proptest::proptest! {
        /// An entry is the reset rule against the moved threshold (clamped
        /// at 0), or no spike and `v` kept when it holds.
        #[test]
        fn an_entry_is_the_rule_against_the_moved_threshold(
            v in -(1i32 << 23)..(1 << 23),
            vth in 0i32..(1 << 23),
            off in -(1i32 << 23)..(1 << 23),
            max in 1u8..=31,
            hold in proptest::bool::ANY,
        ) {
            let rule = Subtract { max_spikes: max };
            let s = Scheduled { fire: rule, offset: (!hold).then_some(off) };
            let want = if hold { (v, 0) } else { rule.fire(v, (vth + off).max(0)) };
            proptest::prop_assert_eq!(s.fire(v, vth), want);
            let z = Scheduled { fire: ToZero, offset: (!hold).then_some(off) };
            let want = if hold { (v, 0) } else { ToZero.fire(v, (vth + off).max(0)) };
            proptest::prop_assert_eq!(z.fire(v, vth), want);
        }
    }

    #[test]
    fn steps_wrap_and_bad_tables_are_named() {
        let f = Arch::preset("loihi").unwrap().format;
        let s = Schedule {
            steps: vec![
                ScheduleStep {
                    threshold: Some(3),
                    input_shift: 0,
                },
                ScheduleStep {
                    threshold: None,
                    input_shift: -1,
                },
            ],
        };
        assert_eq!(s.at(5), s.steps[1]);
        assert_eq!(s.at(6), s.steps[0]);
        s.check(0, &f).unwrap();
        let e = Schedule::default().check(0, &f).unwrap_err();
        assert!(e.contains("no steps"), "{e}");
        let big = Schedule {
            steps: vec![ScheduleStep {
                threshold: Some(1 << f.threshold_bits),
                input_shift: 0,
            }],
        };
        assert!(big
            .check(0, &f)
            .unwrap_err()
            .contains("step 0: threshold offset"));
        let e = s.check(f.weight_exp_min, &f).unwrap_err();
        assert!(e.contains("step 1") && e.contains("input_shift -1"), "{e}");
    }
}
