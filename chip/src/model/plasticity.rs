//! On-chip synaptic plasticity in the style of Loihi's learning engine: a
//! pre-synaptic trace per input axon, a post-synaptic trace per neuron,
//! and every `epoch` steps a weight update of every plastic synapse from
//! the two traces and its own plastic component (issue 13; HebbFF's fast
//! Hebbian weights, Tyulmankov et al. 2022).
//!
//! ```text
//! traces, every step (x of an axon, y of a neuron; 0..=255):
//!     x ← decay(x, trace_decay) + impulse · (spikes the axon brought into this step's update)
//!     y ← decay(y, trace_decay) + impulse · (spikes the neuron fired this step)      saturating at 255
//! weight update, after the update of every step t with (t + 1 + phase) mod epoch = 0:
//!     a ← decay(a, plastic_decay) + ((rate · x · y) >> rate_shift)       a in 2^-8 weight units, saturating
//!                                                                   at the weight field (>> to nearest)
//! effective weight of a plastic synapse:
//!     w_eff = clamp(w + round(a / 2^8)) to the weight field               (w: the stored, trained weight)
//! decay(v, d) = v · (4096 − d) / 4096, rounded to nearest, halves to even
//! ```
//!
//! A core's synapses each name a rule (`SynapseTable::rule`: 0 static, k
//! the core's rule k − 1); a plastic synapse has no delay, so the spike a
//! pre-synaptic trace counts is the one the same step's update integrates.
//! The plastic components start at 0 with every run.

use serde::{Deserialize, Serialize};

use crate::arch::NumberFormat;
use crate::program::CoreConfig;

/// One learning rule, as a core stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningRule {
    /// Steps between weight updates (≥ 1).
    pub epoch: u16,
    /// Where in the epoch the update falls: after chip step `t` with
    /// `(t + 1 + phase) mod epoch = 0` (the compiler aligns it with the
    /// float network's epochs across the pipeline; 0..epoch).
    #[serde(default)]
    pub phase: u16,
    /// Decay code of both traces (0..=4096: 4096 forgets a trace each step).
    pub trace_decay: u16,
    /// What one spike adds to a trace (1..=255).
    pub impulse: u8,
    /// Signed learning-rate mantissa (−128..=127; negative is anti-Hebbian).
    pub rate: i8,
    /// The product's right shift (0..=24).
    pub rate_shift: u8,
    /// Decay code of the plastic component per weight update (0..=4096).
    pub plastic_decay: u16,
}

/// The largest trace.
pub const TRACE_MAX: i32 = 255;
/// The largest `rate_shift`.
pub const MAX_RATE_SHIFT: u8 = 24;
/// Rules a core may hold.
pub const MAX_RULES: usize = 15;
/// Bits a plastic component keeps below the weight's LSB. Without them a
/// component of a few units never decays (a 6 % decay of 8 is under half
/// a unit: rounding keeps 8 forever) and a learned depression on a 9-bit
/// weight would last for good; Loihi rounds stochastically instead.
pub const FRACTION_BITS: u32 = 8;

/// `v · (4096 − d) / 4096`, rounded to nearest, halves to even: the decay
/// of traces and plastic components. Rounding toward zero would take about
/// half a unit off every value at every step (on a 9-bit weight that
/// decays by 10 % an update, 5 % of the learned change each time); halves
/// away from zero would hold 1 at 1 forever under a halving decay, a trace
/// that never forgets. Loihi rounds stochastically for the same reasons.
#[inline(always)]
pub fn decay(v: i32, d: u16) -> i32 {
    let p = (v as i64 * (4096 - d as i64)).abs();
    let (q, r) = (p >> 12, p & 4095);
    let q = q + (r > 2048 || (r == 2048 && q & 1 == 1)) as i64;
    (if v < 0 { -q } else { q }) as i32
}

impl LearningRule {
    /// Checks the fields; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        if self.epoch == 0 {
            return Err("learning epoch 0: weights are updated every 1.. steps".into());
        }
        if self.phase >= self.epoch {
            return Err(format!(
                "learning phase {} is outside 0..{} (the epoch)",
                self.phase, self.epoch
            ));
        }
        for (name, d) in [
            ("trace_decay", self.trace_decay),
            ("plastic_decay", self.plastic_decay),
        ] {
            if d > 4096 {
                return Err(format!(
                    "learning {name} {d} is outside 0..=4096 (a Mul12 decay code)"
                ));
            }
        }
        if self.impulse == 0 {
            return Err("learning impulse 0: a spike must add to its trace".into());
        }
        if self.rate_shift > MAX_RATE_SHIFT {
            return Err(format!(
                "learning rate_shift {} is above {MAX_RATE_SHIFT}",
                self.rate_shift
            ));
        }
        Ok(())
    }

    /// A trace after one step in which `spikes` spikes arrived or fired.
    #[inline(always)]
    pub fn trace(&self, x: u8, spikes: u32) -> u8 {
        let v = decay(x as i32, self.trace_decay) as i64 + self.impulse as i64 * spikes as i64;
        v.min(TRACE_MAX as i64) as u8
    }

    /// A plastic component (in 2^-[`FRACTION_BITS`] weight units) after one
    /// weight update with traces `x`, `y`, saturated to the weight field
    /// `lo..=hi`.
    #[inline(always)]
    pub fn update(&self, a: i32, x: u8, y: u8, lo: i32, hi: i32) -> i32 {
        // to nearest (halves up): a floor would add half a mantissa of
        // depression to every anti-Hebbian update
        let p = self.rate as i32 * x as i32 * y as i32;
        let dw = if self.rate_shift == 0 {
            p
        } else {
            (p + (1 << (self.rate_shift - 1))) >> self.rate_shift
        };
        (decay(a, self.plastic_decay) + dw).clamp(lo << FRACTION_BITS, hi << FRACTION_BITS)
    }
}

/// The weight field's range `(lo, hi)`: what effective weights and plastic
/// components saturate at.
pub fn weight_range(f: &NumberFormat) -> (i32, i32) {
    let hi = (1i32 << (f.weight_bits - 1)) - 1;
    (-hi - 1, hi)
}

/// The weight a plastic synapse delivers: its component rounded to
/// weight units (halves up) added to the stored weight, saturated.
#[inline(always)]
pub fn effective(w: i16, a: i32, lo: i32, hi: i32) -> i32 {
    let whole = (a + (1 << (FRACTION_BITS - 1))) >> FRACTION_BITS;
    (w as i32 + whole).clamp(lo, hi)
}

/// Per rule of a core, the axons and the neurons its synapses join: the
/// traces a learning engine keeps and updates every step (in index order,
/// each once).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Joined {
    pub axons: Vec<Vec<u32>>,
    pub neurons: Vec<Vec<u32>>,
}

/// What the rules of `cfg` join; `neuron_of_slot` is
/// [`CoreConfig::neuron_of_slot`].
pub fn joined(cfg: &CoreConfig, neuron_of_slot: &[u32]) -> Joined {
    let s = &cfg.synapses;
    let rules = cfg.learning.len();
    let (mut axons, mut neurons) = (vec![Vec::new(); rules], vec![Vec::new(); rules]);
    if !s.rule.is_empty() {
        for a in 0..s.num_axons() {
            for k in s.row(a) {
                if let Some(r) = (s.rule[k] as usize).checked_sub(1) {
                    axons[r].push(a as u32);
                    neurons[r].push(neuron_of_slot[s.word(k).target as usize]);
                }
            }
        }
    }
    for v in axons.iter_mut().chain(neurons.iter_mut()) {
        v.sort_unstable();
        v.dedup();
    }
    Joined { axons, neurons }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEBB: LearningRule = LearningRule {
        epoch: 1,
        phase: 0,
        trace_decay: 4096,
        impulse: 16,
        rate: -64,
        rate_shift: 8,
        plastic_decay: 400,
    };

    #[test]
    fn traces_and_updates_follow_the_stated_arithmetic() {
        // a trace forgotten each step is the step's spikes times the impulse
        assert_eq!(HEBB.trace(200, 1), 16);
        assert_eq!(HEBB.trace(0, 0), 0);
        assert_eq!(HEBB.trace(0, 30), 255); // saturates
        let slow = LearningRule {
            trace_decay: 2048,
            ..HEBB
        };
        assert_eq!(slow.trace(101, 0), 50); // 50.5 to even
        assert_eq!(slow.trace(1, 0), 0); // a halving trace forgets
                                         // anti-Hebbian: both traces 16 → −64·256 >> 8 = −64 (2^-8 units); a decays by 400/4096 first
        assert_eq!(HEBB.update(100, 16, 16, -256, 255), 90 - 64);
        assert_eq!(HEBB.update(-256 * 256, 255, 255, -256, 255), -256 * 256); // saturates
        assert_eq!(HEBB.update(-100, 0, 16, -256, 255), -90); // −90.2 to nearest
                                                              // a few weight units of component decay (kept in 2^-8 units)
        let mut a = -8 * 256;
        for _ in 0..40 {
            a = HEBB.update(a, 0, 0, -256, 255);
        }
        assert_eq!(effective(10, a, -256, 255), 10); // −8 · 0.9^40 ≈ −0.1 → 0
        assert_eq!(effective(10, -8 * 256, -256, 255), 2);
        assert_eq!(effective(250, 20 * 256, -256, 255), 255);
    }

    #[test]
    fn checks_name_the_field() {
        assert!(HEBB.check().is_ok());
        for (r, field) in [
            (LearningRule { epoch: 0, ..HEBB }, "epoch"),
            (
                LearningRule {
                    trace_decay: 5000,
                    ..HEBB
                },
                "trace_decay",
            ),
            (
                LearningRule {
                    plastic_decay: 4097,
                    ..HEBB
                },
                "plastic_decay",
            ),
            (LearningRule { impulse: 0, ..HEBB }, "impulse"),
            (
                LearningRule {
                    rate_shift: 25,
                    ..HEBB
                },
                "rate_shift",
            ),
        ] {
            assert!(r.check().unwrap_err().contains(field), "{field}");
        }
    }

    proptest::proptest! {
        /// Traces stay in 0..=255 and never grow without spikes; a plastic
        /// component stays in the weight field and, without activity, decays
        /// toward 0.
        #[test]
        fn stays_in_range(x in 0u8..=255, s in 0u32..40, a in -65536i32..=65280, y in 0u8..=255, d in 0u16..=4096, rate in -128i8..=127, shift in 0u8..=24) {
            let r = LearningRule { trace_decay: d, plastic_decay: d, rate, rate_shift: shift, ..HEBB };
            proptest::prop_assert!(r.trace(x, 0) <= x);
            let _ = r.trace(x, s);
            let n = r.update(a, x, y, -256, 255);
            proptest::prop_assert!((-65536..=65280).contains(&n));
            let quiet = r.update(a, 0, y, -256, 255);
            proptest::prop_assert!(quiet.abs() <= a.abs());
        }
    }
}
