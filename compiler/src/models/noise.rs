//! A population's input noise in the chip's formats (`chip/src/model/noise.rs`):
//! an axis beside the neuron model, as on the chip.

use spikefab_chip::model::Noise;
use spikefab_chip::Arch;

use crate::network::InputNoise;

/// The chip's noise for amplitude `nz` when one float input unit is `gain`
/// input units on the chip: the nearest power of two (Loihi's noise
/// exponent), and its error relative to the float amplitude.
pub(crate) fn lower(nz: &InputNoise, gain: f64, arch: &Arch) -> Result<(Noise, f64), String> {
    if !arch.core.noise {
        return Err("it is noisy, and the chip has no noise generator (core.noise: false)".into());
    }
    let e = (nz.amplitude * gain).log2().round();
    let most = Noise::max_exp(&arch.format);
    if !(0.0..=most as f64).contains(&e) {
        return Err(format!(
            "its noise amplitude {} is 2^{e} input units; the chip's noise exponent spans 2^0..=2^{most}",
            nz.amplitude
        ));
    }
    let chip = 2f64.powi(e as i32) / gain;
    Ok((
        Noise {
            mant: 0,
            exp: e as u8,
        },
        (chip - nz.amplitude).abs() / nz.amplitude,
    ))
}
