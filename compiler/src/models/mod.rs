//! One lowering rule per chip neuron model: which float populations it can
//! run, and their per-neuron parameters in the chip's formats.
//!
//! The quantizer (`quantize.rs`) fixes a population's gains and weight
//! exponent, then asks [`lower`] for its neurons. [`RULES`] is tried in order,
//! most specific first; the first rule that takes the population *and* whose
//! model the chip implements (`Arch::core.models`) lowers it. A population no
//! supported model can run is refused, naming the layer, the chip and the
//! models that would have taken it.

use spikefab_chip::neuron::SHIFT_NO_DECAY;
use spikefab_chip::{Arch, DecayRule, ModelKind, Neurons, NumberFormat};

use crate::network::Dynamics;

mod alif;
mod cuba_lif;
pub(crate) mod dendrites;
mod if_;
mod li;
pub(crate) mod noise;
pub(crate) mod plasticity;
pub(crate) mod schedule;

/// The quantities every rule maps with, fixed per population by the quantizer.
pub(crate) struct Scale<'a> {
    pub format: &'a NumberFormat,
    /// Integer membrane units (before the threshold shift) per real unit.
    pub k_gain: f64,
    /// Integer membrane units (after the threshold shift) per real unit.
    pub v_unit: f64,
}

impl Scale<'_> {
    /// The current-decay code of a per-step keep factor `alpha`.
    pub fn du(&self, alpha: f64) -> u16 {
        decay_code(self.format.decay, alpha, |c, _| c)
    }

    /// The membrane-decay code of a per-step keep factor `beta`.
    pub fn dv(&self, beta: f64) -> u16 {
        decay_code(self.format.decay, beta, |_, v| v)
    }

    /// A membrane bias as mantissa × 2^exponent, the smallest exponent that fits.
    pub fn bias(&self, bias: f64) -> Result<(i32, i8), String> {
        let max = ((1i64 << (self.format.bias_bits - 1)) - 1) as f64;
        let b = bias * self.v_unit;
        let exp = (0..=7)
            .find(|&e| (b / 2f64.powi(e)).abs().round() <= max)
            .ok_or_else(|| {
                format!(
                    "bias {bias} is too large for a {}-bit mantissa with exponent ≤ 7",
                    self.format.bias_bits
                )
            })?;
        Ok(((b / 2f64.powi(exp)).round() as i32, exp as i8))
    }

    /// Each neuron's stored parameters, made by `make` from its dynamics and
    /// quantized bias `(mantissa, exponent)`.
    pub fn each<T>(
        &self,
        dyns: &[Dynamics],
        make: impl Fn(&Dynamics, (i32, i8)) -> T,
    ) -> Result<Vec<T>, String> {
        dyns.iter()
            .map(|d| Ok(make(d, self.bias(d.bias)?)))
            .collect()
    }

    /// A threshold as its mantissa.
    pub fn threshold(&self, th: Option<f64>) -> u32 {
        th.map_or(0, |th| (th * self.k_gain).round().max(0.0) as u32)
    }
}

fn decay_code(rule: DecayRule, keep: f64, offset_of: impl Fn(u8, u8) -> u8) -> u16 {
    let keep = keep.clamp(0.0, 1.0);
    match rule {
        DecayRule::Mul12 {
            current_offset,
            voltage_offset,
        } => {
            let off = offset_of(current_offset, voltage_offset) as f64;
            ((4096.0 * (1.0 - keep)).round() - off).clamp(0.0, 4095.0) as u16
        }
        DecayRule::Shift => {
            if keep >= 1.0 {
                SHIFT_NO_DECAY
            } else if keep <= 0.0 {
                0
            } else {
                (-(1.0 - keep).log2())
                    .round()
                    .clamp(0.0, (SHIFT_NO_DECAY - 1) as f64) as u16
            }
        }
    }
}

/// A lowering rule: the chip model it targets, which populations it takes,
/// and how it writes their neurons.
pub(crate) struct Rule {
    pub model: ModelKind,
    /// Whether the model runs a population with these dynamics exactly
    /// (up to quantization).
    pub takes: fn(spiking: bool, dyns: &[Dynamics]) -> bool,
    pub lower: fn(&Scale, &[Dynamics]) -> Result<Neurons, String>,
}

/// Every rule, most specific first.
pub(crate) const RULES: &[Rule] = &[alif::RULE, if_::RULE, cuba_lif::RULE, li::RULE];

/// The neurons of one population on `arch`, or why it cannot run there.
pub(crate) fn lower(
    arch: &Arch,
    scale: &Scale,
    spiking: bool,
    dyns: &[Dynamics],
) -> Result<Neurons, String> {
    let takers: Vec<&Rule> = RULES.iter().filter(|r| (r.takes)(spiking, dyns)).collect();
    match takers.iter().find(|r| arch.core.models.contains(r.model)) {
        Some(r) => (r.lower)(scale, dyns),
        None => Err(format!(
            "it needs the {} neuron model, which the chip does not implement (core.models: {:?})",
            takers
                .iter()
                .map(|r| r.model.name())
                .collect::<Vec<_>>()
                .join(" or "),
            arch.core.models
        )),
    }
}
