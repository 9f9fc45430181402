//! A population's dendritic branches in the chip's formats
//! (`chip/src/model/dendrites.rs`): an axis beside the neuron model.

use spikefab_chip::model::Dendrites as ChipDendrites;
use spikefab_chip::Arch;

use crate::network::Dendrites;

/// The chip's dendrites when one float input unit is `gain` input units on
/// the chip: the cap rounded to input units (at least 1, at most what K
/// branches' sum leaves in the state register), and its error relative to
/// the float cap.
pub(crate) fn lower(d: &Dendrites, gain: f64, arch: &Arch) -> Result<(ChipDendrites, f64), String> {
    let most = arch.core.compartments_per_neuron;
    if most == 0 || d.branches as u32 > most {
        return Err(format!(
            "its neurons have {} dendritic branches; chip '{}' allows {most} (core.compartments_per_neuron{})",
            d.branches,
            arch.name,
            if most == 0 { ": point neurons only" } else { "" }
        ));
    }
    let branches = d.branches as u8;
    let top = ChipDendrites::max_cap(branches, &arch.format);
    let units = (d.cap * gain).round();
    if units < 1.0 {
        return Err(format!(
            "its dendrites cap {} is {:.3} input units on the chip, below the smallest (1)",
            d.cap,
            d.cap * gain
        ));
    }
    let cap = units.min(top as f64);
    Ok((
        ChipDendrites {
            branches,
            cap: cap as u32,
        },
        (cap / gain - d.cap).abs() / d.cap,
    ))
}
