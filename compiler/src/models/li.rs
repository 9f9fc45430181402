//! LI: non-spiking readout populations.

use spikefab_chip::model::li::Stored;
use spikefab_chip::{ModelKind, Neurons};

use super::{Rule, Scale};
use crate::network::Dynamics;

pub(super) const RULE: Rule = Rule {
    model: ModelKind::Li,
    takes: |spiking, _| !spiking,
    lower,
};

fn lower(s: &Scale, dyns: &[Dynamics]) -> Result<Neurons, String> {
    s.each(dyns, |d, (bias_mant, bias_exp)| Stored {
        du: s.du(d.alpha),
        dv: s.dv(d.beta),
        bias_mant,
        bias_exp,
    })
    .map(Neurons::Li)
}
