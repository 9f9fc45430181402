//! What an exporter's NIR means beyond what NIR states.
//!
//! NIR files carry no timestep, and exporters write the same node types
//! with different units, gains and reset rules (docs/nir.md has the table,
//! with how each row was established). A [`Convention`] is one exporter's
//! reading; [`Exporter::convention`] gives it for the exporters whose
//! writers have been read and whose outputs are reproduced by a committed
//! fixture (`compiler/tests/nir_exporters.rs`).

use spikefab_chip::Reset;

/// An exporter whose convention spikefab knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exporter {
    /// NIR's own reading: forward Euler at a `dt` the user gives, reset to zero.
    Nir,
    /// snnTorch 1.0 (`export_to_nir`): dt = 1e-4 s, `tau = dt/(1 − β)`,
    /// `r = tau/dt`, so that forward Euler is exact; reset to zero on chip
    /// (snnTorch's own subtract-one-step-late is `Semantics::SnnTorch`).
    SnnTorch,
    /// Sinabs 3.1 (`sinabs.to_nir`): time constants in steps (dt = 1), exact
    /// exponential decay with the input scaled by `(1 − e^(−dt/τ))`
    /// (`norm_input`), reset by subtraction with several spikes a step
    /// (`MultiSpike`), and an `Input` shape that includes the time axis when
    /// the model was exported on `[batch, time, …]` data.
    Sinabs,
    /// Norse 1.1 (`norse.torch.to_nir`, dt = 1e-3 s): writes `tau = dt/τ⁻¹`
    /// (dt·τ, not τ), so Euler at dt² = 1e-6 gives Norse's decays; `IAFCell`
    /// and `LIFCell` add the input unscaled (to v, to the current); `Input`
    /// shapes keep the batch axis.
    Norse,
}

/// How a continuous-time NIR neuron becomes a discrete one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discretization {
    /// Forward Euler: `β = 1 − dt/τ`, input gain `dt·R/τ` (NIR's reading).
    Euler,
    /// Exact for input held over the step (zero-order hold):
    /// `β = e^(−dt/τ)`, input gain `(1 − β)·R` (Sinabs, Rockpool).
    Exact,
}

/// One exporter's reading of a NIR file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Convention {
    pub exporter: Exporter,
    /// The exporter's timestep in the file's time unit, if it has one.
    pub dt: Option<f64>,
    pub discretization: Discretization,
    /// How its spiking neurons reset.
    pub reset: Reset,
    /// `Input` shapes may carry a leading batch or time axis (the exporter
    /// traced the model on such data), dropped where the next layer expects
    /// the rest.
    pub input_leading_axis: bool,
    /// The input is added to the first state as it is: an IF's membrane
    /// (gain `r`, not `dt·r`) and a CUBA current (gain `w_in`, not
    /// `dt/τ_syn·w_in`).
    pub unscaled_input: bool,
}

/// The most spikes a step Sinabs' `MultiSpike` is allowed on a chip: its own
/// default has no limit; 31 is Xylo's, and the most any spikefab chip has.
pub const SINABS_MAX_SPIKES: u8 = 31;

impl Exporter {
    pub const ALL: &'static [Exporter] = &[
        Exporter::Nir,
        Exporter::SnnTorch,
        Exporter::Sinabs,
        Exporter::Norse,
    ];

    /// The name `--from` takes.
    pub fn name(self) -> &'static str {
        match self {
            Exporter::Nir => "nir",
            Exporter::SnnTorch => "snntorch",
            Exporter::Sinabs => "sinabs",
            Exporter::Norse => "norse",
        }
    }

    pub fn parse(name: &str) -> Option<Exporter> {
        Exporter::ALL.iter().copied().find(|e| e.name() == name)
    }

    pub fn convention(self) -> Convention {
        let nir = Convention {
            exporter: self,
            dt: None,
            discretization: Discretization::Euler,
            reset: Reset::Zero,
            input_leading_axis: false,
            unscaled_input: false,
        };
        match self {
            Exporter::Nir => nir,
            Exporter::SnnTorch => Convention {
                dt: Some(1e-4),
                ..nir
            },
            Exporter::Sinabs => Convention {
                dt: Some(1.0),
                discretization: Discretization::Exact,
                reset: Reset::Subtract {
                    max_spikes: SINABS_MAX_SPIKES,
                },
                input_leading_axis: true,
                ..nir
            },
            Exporter::Norse => Convention {
                dt: Some(1e-6),
                input_leading_axis: true,
                unscaled_input: true,
                ..nir
            },
        }
    }
}
