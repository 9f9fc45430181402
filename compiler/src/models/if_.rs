//! IF: spiking populations without current or membrane leak (`alpha = 0`,
//! `beta = 1` for every neuron), which need no decay registers.

use spikefab_chip::model::if_::Stored;
use spikefab_chip::{ModelKind, Neurons};

use super::{Rule, Scale};
use crate::network::Dynamics;

pub(super) const RULE: Rule = Rule {
    model: ModelKind::If,
    takes: |spiking, dyns| {
        spiking
            && dyns
                .iter()
                .all(|d| d.alpha == 0.0 && d.beta == 1.0 && d.adaptation.is_none())
    },
    lower,
};

fn lower(s: &Scale, dyns: &[Dynamics]) -> Result<Neurons, String> {
    s.each(dyns, |d, (bias_mant, bias_exp)| Stored {
        bias_mant,
        bias_exp,
        vth: s.threshold(d.threshold),
    })
    .map(Neurons::If)
}
