//! ALIF: spiking populations with an adaptive threshold.

use spikefab_chip::model::alif::Stored;
use spikefab_chip::{ModelKind, Neurons};

use super::{Rule, Scale};
use crate::network::Dynamics;

pub(super) const RULE: Rule = Rule {
    model: ModelKind::Alif,
    takes: |spiking, dyns| spiking && dyns.iter().any(|d| d.adaptation.is_some()),
    lower,
};

fn lower(s: &Scale, dyns: &[Dynamics]) -> Result<Neurons, String> {
    s.each(dyns, |d, (bias_mant, bias_exp)| {
        let a = d.adaptation.unwrap_or(crate::network::Adaptation {
            decay: 1.0,
            step: 0.0,
        });
        Stored {
            du: s.du(d.alpha),
            dv: s.dv(d.beta),
            // the membrane's decay rule (no Mul12 offset)
            da: s.dv(a.decay),
            bias_mant,
            bias_exp,
            vth: s.threshold(d.threshold),
            step: s.threshold(Some(a.step)),
        }
    })
    .map(Neurons::Alif)
}
