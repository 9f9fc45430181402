//! CUBA LIF: any spiking population in the common `Dynamics` form.

use spikefab_chip::model::cuba_lif::Stored;
use spikefab_chip::{ModelKind, Neurons};

use super::{Rule, Scale};
use crate::network::Dynamics;

pub(super) const RULE: Rule = Rule {
    model: ModelKind::CubaLif,
    takes: |spiking, dyns| spiking && dyns.iter().all(|d| d.adaptation.is_none()),
    lower,
};

fn lower(s: &Scale, dyns: &[Dynamics]) -> Result<Neurons, String> {
    s.each(dyns, |d, (bias_mant, bias_exp)| Stored {
        du: s.du(d.alpha),
        dv: s.dv(d.beta),
        bias_mant,
        bias_exp,
        vth: s.threshold(d.threshold),
    })
    .map(Neurons::CubaLif)
}
