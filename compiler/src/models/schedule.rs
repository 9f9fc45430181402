//! A population's schedule (CE-LIF's contextual embedding, STDI's
//! time-varying threshold and input weighting) in the chip's formats: an
//! axis beside the neuron model, as on the chip (`chip/src/model/schedule.rs`).

use spikefab_chip::model::{Schedule as ChipSchedule, ScheduleStep};

use super::Scale;
use crate::network::Schedule;

/// The population's table as its group holds it. The float schedule counts
/// the network's steps (the input's); the chip counts its own, and a
/// population at pipeline depth `depth` answers input step `t` at chip step
/// `t + depth`, so chip entry `k` is float entry `(k − depth) mod len`.
pub(crate) fn lower(s: &Schedule, scale: &Scale, depth: u32) -> Result<ChipSchedule, String> {
    let len = s.len();
    let most = (1i64 << scale.format.threshold_bits) - 1;
    let steps = (0..len)
        .map(|k| {
            let (threshold, input_shift) = s.at((k + len - depth as usize % len) % len);
            let threshold = match threshold {
                None => None,
                Some(off) => {
                    let m = (off * scale.k_gain).round();
                    if m.abs() > most as f64 {
                        return Err(format!(
                            "schedule: threshold offset {off} is {m} threshold units, beyond the ±{most} the chip's {}-bit threshold field and a sign hold",
                            scale.format.threshold_bits
                        ));
                    }
                    Some(m as i32)
                }
            };
            Ok(ScheduleStep {
                threshold,
                input_shift,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(ChipSchedule { steps })
}
