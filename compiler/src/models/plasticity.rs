//! A projection's plasticity in the chip's formats
//! (`chip/src/model/plasticity.rs`): traces of spikes, and a learning rate
//! that turns their product into weight mantissas.

use spikefab_chip::model::plasticity::{LearningRule, FRACTION_BITS, MAX_RATE_SHIFT};
use spikefab_chip::Arch;

use crate::network::Plasticity;

/// The smallest |rate mantissa| a rule keeps: below it the rate's own
/// rounding error passes 6 %.
const MIN_RATE_MANTISSA: f64 = 8.0;

/// The chip's rule for `pl` when one float weight is `scale` weight
/// mantissas, on a target population at pipeline depth `depth`.
///
/// A spike adds `impulse` to a trace: as large as keeps a trace that
/// gets one spike a step under 255 with room for 2 (255·(1 − keep)/2, at
/// most 127), the precision its decays round to. The float update `rate · x · y` in weight units is then
/// `rate · scale / impulse²` mantissas per unit of the chip's trace
/// product: an 8-bit mantissa over a power of two.
pub(crate) fn lower(
    pl: &Plasticity,
    scale: f64,
    depth: u32,
    arch: &Arch,
) -> Result<LearningRule, String> {
    if !arch.core.plasticity {
        return Err(format!(
            "a projection into it is plastic, and chip '{}' has no learning engine (core.plasticity: false)",
            arch.name
        ));
    }
    let code = |keep: f64| ((1.0 - keep) * 4096.0).round().clamp(0.0, 4096.0) as u16;
    let impulse = (255.0 * (1.0 - pl.trace_keep) / 2.0)
        .floor()
        .clamp(1.0, 127.0);
    // in the component's units, 2^-FRACTION_BITS of a weight mantissa
    let per_unit = pl.rate * scale * 2f64.powi(FRACTION_BITS as i32) / (impulse * impulse);
    let (rate, rate_shift) = if per_unit == 0.0 {
        (0, 0)
    } else {
        let shift = (127.0 / per_unit.abs())
            .log2()
            .floor()
            .clamp(0.0, MAX_RATE_SHIFT as f64);
        let m = (per_unit * 2f64.powf(shift)).round();
        if m.abs() > 128.0 {
            return Err(format!(
                "plasticity rate {} is {:.1} component units per trace unit², beyond the chip's 8-bit learning rate",
                pl.rate, per_unit
            ));
        }
        if m.abs() < MIN_RATE_MANTISSA {
            return Err(format!(
                "plasticity rate {} is {per_unit:.2e} component units per trace unit², below what an 8-bit rate with a shift of at most {MAX_RATE_SHIFT} holds",
                pl.rate
            ));
        }
        (m.clamp(-128.0, 127.0) as i8, shift as u8)
    };
    let epoch = pl.epoch as u16;
    Ok(LearningRule {
        epoch,
        phase: (epoch - (depth % epoch as u32) as u16) % epoch,
        trace_decay: code(pl.trace_keep),
        impulse: impulse as u8,
        rate,
        rate_shift,
        plastic_decay: code(pl.decay),
    })
}
