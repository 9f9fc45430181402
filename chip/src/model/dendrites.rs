//! Dendritic neurons: K branches per neuron, each with its own input
//! accumulator and a saturating-linear nonlinearity, summed into the soma
//! (Wu et al., "Mitigating Communication Costs in Neural Networks: The Role
//! of Dendritic Nonlinearity", arXiv 2306.11950; docs/models.md). An axis
//! beside the model, the reset, the schedule and the noise: any model's
//! soma can have branches.
//!
//! ```text
//! branch k of neuron i:  b_k = activation(acc[i·K + k], weight_exp)     as a point neuron's input
//!                        g_k = min(max(b_k, 0), cap)                    breakpoints 0 and cap
//! soma input:            a_in = Σ_k g_k  (+ noise)                      then the model's step
//! ```
//!
//! A synapse targets an *input slot*: a core's slots are its neurons' in
//! neuron order, one per point neuron and K per dendritic neuron
//! (`neuron·K + branch` within a group). A branch holds no state across
//! steps: its accumulator is the step's input, as a point neuron's is.
//!
//! Costs: each branch is one compartment of the core (it counts against
//! `core.max_neurons` besides its soma, as a Loihi dendritic compartment
//! does) and one `branch_op` (read the accumulator, clamp, add) per
//! neuron and step, every neuron — the soma must read its branches to know
//! whether any has input.

use serde::{Deserialize, Serialize};

use crate::arch::NumberFormat;
use crate::neuron::activation;

/// Most branches a neuron may have on any chip (the RTL's 5-bit field).
pub const MAX_BRANCHES: u8 = 16;

/// A group's dendrites, as a program stores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dendrites {
    /// Branches per neuron: 1..=the chip's `compartments_per_neuron`.
    pub branches: u8,
    /// The upper breakpoint of every branch's nonlinearity, in input (state)
    /// units: a branch contributes at most this much to the soma.
    pub cap: u32,
}

impl Dendrites {
    /// Checks the fields against a chip; the message names the field.
    pub fn check(&self, most_branches: u32, f: &NumberFormat) -> Result<(), String> {
        if most_branches == 0 {
            return Err(
                "it has dendritic branches, and the chip's neurons have none (core.compartments_per_neuron: 0)"
                    .into(),
            );
        }
        let most = most_branches.min(MAX_BRANCHES as u32);
        if self.branches == 0 || self.branches as u32 > most {
            return Err(format!(
                "dendrites branches {} is outside 1..={most} (the chip's core.compartments_per_neuron)",
                self.branches
            ));
        }
        let top = Self::max_cap(self.branches, f);
        if self.cap == 0 || self.cap > top {
            return Err(format!(
                "dendrites cap {} is outside 1..={top} (the {} branches' sum must fit the {}-bit state)",
                self.cap, self.branches, f.state_bits
            ));
        }
        Ok(())
    }

    /// The largest cap: K branches at the cap still fit the state register.
    pub fn max_cap(branches: u8, f: &NumberFormat) -> u32 {
        let state_max = (1u64 << (f.state_bits.min(32) - 1)) - 1;
        (state_max / branches.max(1) as u64) as u32
    }

    /// The branch nonlinearity on one branch's scaled input.
    #[inline(always)]
    pub fn branch(&self, b: i32) -> i32 {
        b.clamp(0, self.cap as i32)
    }

    /// The soma input of one neuron from its branch accumulators `acc`
    /// (K of them), which it takes and zeroes; and whether any had input.
    #[inline(always)]
    pub fn soma_input(&self, acc: &mut [i32], weight_exp: i8) -> (i32, bool) {
        let mut sum = 0i32;
        let mut any = false;
        for a in acc {
            let x = std::mem::take(a);
            any |= x != 0;
            // K·cap fits the state register (`check`): no wrap.
            sum += self.branch(activation(x, weight_exp));
        }
        (sum, any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;

    #[test]
    fn checks_name_the_field() {
        let f = Arch::preset("loihi").unwrap().format;
        let ok = Dendrites {
            branches: 4,
            cap: 1000,
        };
        assert!(ok.check(4, &f).is_ok());
        assert!(ok.check(0, &f).unwrap_err().contains("none"));
        let e = Dendrites { branches: 0, ..ok }.check(4, &f).unwrap_err();
        assert!(e.contains("branches 0 is outside 1..=4"), "{e}");
        let e = Dendrites { branches: 5, ..ok }.check(4, &f).unwrap_err();
        assert!(e.contains("branches 5"), "{e}");
        let e = Dendrites { cap: 0, ..ok }.check(4, &f).unwrap_err();
        assert!(e.contains("cap 0"), "{e}");
        let top = Dendrites::max_cap(4, &f);
        assert_eq!(top, ((1 << 23) - 1) / 4);
        assert!(Dendrites { cap: top + 1, ..ok }.check(4, &f).is_err());
    }

    #[test]
    fn branches_are_rectified_and_capped() {
        let d = Dendrites {
            branches: 3,
            cap: 100,
        };
        // exponent 1: 10 → 20, −40 → −80 → 0, 70 → 140 → 100
        let mut acc = [10, -40, 70];
        assert_eq!(d.soma_input(&mut acc, 1), (120, true));
        assert_eq!(acc, [0, 0, 0]);
        assert_eq!(d.soma_input(&mut acc, 1), (0, false));
        // right shifts floor before the rectifier: −1 >> 1 = −1 → 0
        let mut acc = [3, -1, 0];
        assert_eq!(d.soma_input(&mut acc, -1), (1, true));
    }

    proptest::proptest! {
        /// The laws of the branch sum: within 0..=K·cap; a point neuron's
        /// input when no branch is negative or over the cap; monotone in
        /// every branch.
        #[test]
        fn soma_input_laws(xs in proptest::collection::vec(-5000i32..5000, 1..=16), cap in 1u32..10_000, e in -3i8..=3, k in 0usize..16, bump in 0i32..500) {
            let d = Dendrites { branches: xs.len() as u8, cap };
            let (s, _) = d.soma_input(&mut xs.clone(), e);
            proptest::prop_assert!(s >= 0 && s as i64 <= cap as i64 * xs.len() as i64);
            let point: i64 = xs.iter().map(|&x| activation(x, e) as i64).sum();
            if xs.iter().all(|&x| (0..=cap as i64).contains(&(activation(x, e) as i64))) {
                proptest::prop_assert_eq!(s as i64, point);
            }
            let mut up = xs.clone();
            let k = k % up.len();
            up[k] += bump;
            proptest::prop_assert!(d.soma_input(&mut up, e).0 >= s);
        }
    }
}
