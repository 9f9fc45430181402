//! What an exporter's NIR means beyond what NIR states.
//!
//! NIR files carry no timestep, and exporters write the same node types
//! with different units, gains and reset rules (docs/nir.md has the table,
//! with how each row was established). A [`Convention`] is one exporter's
//! reading; [`Exporter::convention`] gives it for the exporters whose
//! writers have been read and whose outputs are reproduced by a committed
//! fixture (`compiler/tests/nir_exporters.rs`).

use spikefab_chip::arch::MAX_SPIKES_PER_STEP;
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
    /// Rockpool 3.1 (`rockpool.nn.modules.to_nir`, dt = 1e-3 s, τ in
    /// seconds): exact exponential decays; `LIFTorch` (CubaLIF) adds the
    /// input to the current and then decays both, integrates the current
    /// into the membrane unscaled (the file's `r = τ·e^(−dt/τ)/dt` encodes
    /// that), resets by subtraction with several spikes a step, and exports
    /// no bias.
    Rockpool,
    /// SpikingJelly 2.0 (`nir_exchange.export_to_nir`, dt = 1e-4 s): writes
    /// parameters for which NIR's forward Euler is exact (as snnTorch does),
    /// hard reset to 0 (it refuses to export a soft reset), and `Input`
    /// shapes that keep the batch axis.
    SpikingJelly,
}

/// One exporter's reading of a NIR file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Convention {
    pub exporter: Exporter,
    /// The exporter's timestep in the file's time unit, if it has one.
    pub dt: Option<f64>,
    /// How its spiking neurons reset.
    pub reset: Reset,
    /// `Input` shapes may carry a leading batch or time axis (the exporter
    /// traced the model on such data), dropped where the next layer expects
    /// the rest.
    pub input_leading_axis: bool,
}

impl Convention {
    /// Whether decays are forward Euler's `1 − dt/τ` (which a `dt/τ > 1`
    /// makes negative) rather than exact exponentials.
    pub fn euler(&self) -> bool {
        matches!(
            self.exporter,
            Exporter::Nir | Exporter::SnnTorch | Exporter::Norse | Exporter::SpikingJelly
        )
    }

    /// A membrane of time constant `tau` per step: the decay kept, and the
    /// gain of its input `I` (`kind`: the NIR node, `LIF`, `LI`, `CubaLIF`,
    /// `CubaLI`). The gain of `v_leak` is the gain at `r = 1`.
    pub fn membrane(&self, kind: &str, dt: f64, tau: f64, r: f64) -> (f64, f64) {
        let x = dt / tau;
        match self.exporter {
            Exporter::Nir | Exporter::SnnTorch | Exporter::Norse | Exporter::SpikingJelly => {
                (1.0 - x, x * r)
            }
            // norm_input: v = α·v + (1 − α)·I
            Exporter::Sinabs => ((-x).exp(), (1.0 - (-x).exp()) * r),
            // LIFNeuronTorch / LIFTorch: v = α·v + I, exported with
            // r = τ·e^(−dt/τ)/dt; ExpSynTorch (LI): I = β·(I + x), the same r.
            Exporter::Rockpool => match kind {
                "LI" => ((-x).exp(), x * r),
                _ => ((-x).exp(), x * x.exp() * r),
            },
        }
    }

    /// A synaptic current of time constant `tau_syn` per step: the decay
    /// kept, and the gain of its input.
    pub fn current(&self, dt: f64, tau_syn: f64, w_in: f64) -> (f64, f64) {
        let x = dt / tau_syn;
        match self.exporter {
            Exporter::Nir | Exporter::SnnTorch | Exporter::SpikingJelly => (1.0 - x, x * w_in),
            // LIFCell: i += input, unscaled
            Exporter::Norse => (1.0 - x, w_in),
            Exporter::Sinabs => ((-x).exp(), (1.0 - (-x).exp()) * w_in),
            // LIFTorch: isyn = β·(isyn + input): the input decays with it
            Exporter::Rockpool => ((-x).exp(), (-x).exp() * w_in),
        }
    }

    /// The gain of an integrator's (IF's) input.
    pub fn integrator(&self, dt: f64, r: f64) -> f64 {
        match self.exporter {
            // IAFCell: v += input, unscaled
            Exporter::Norse => r,
            _ => dt * r,
        }
    }
}

/// Sinabs' `MultiSpike` and Rockpool's `max_spikes_per_dt` have no practical
/// limit by default; here they get the most any spikefab chip (and Xylo,
/// and Rockpool's Xylo networks) has.
const MULTI_SPIKE_CAP: u8 = MAX_SPIKES_PER_STEP;

impl Exporter {
    pub const ALL: &'static [Exporter] = &[
        Exporter::Nir,
        Exporter::SnnTorch,
        Exporter::Sinabs,
        Exporter::Norse,
        Exporter::Rockpool,
        Exporter::SpikingJelly,
    ];

    /// The name `--from` takes.
    pub fn name(self) -> &'static str {
        match self {
            Exporter::Nir => "nir",
            Exporter::SnnTorch => "snntorch",
            Exporter::Sinabs => "sinabs",
            Exporter::Norse => "norse",
            Exporter::Rockpool => "rockpool",
            Exporter::SpikingJelly => "spikingjelly",
        }
    }

    /// The exporter a file identifies, if it does. NIR files carry no
    /// producer (every fixture's metadata is empty); Rockpool alone leaves a
    /// signature, node names after its module classes (`0_LIFTorch`,
    /// `1_LinearTorch`).
    pub fn detect(g: &crate::nir::NirGraph) -> Option<Exporter> {
        let rockpool = |n: &str| {
            n.rsplit_once('_')
                .is_some_and(|(_, class)| class.ends_with("Torch") && class.len() > 5)
        };
        let named: Vec<&String> = g
            .nodes
            .keys()
            .filter(|n| !matches!(g.nodes[*n].kind.as_str(), "Input" | "Output"))
            .collect();
        (!named.is_empty() && named.iter().all(|n| rockpool(n))).then_some(Exporter::Rockpool)
    }

    pub fn parse(name: &str) -> Option<Exporter> {
        Exporter::ALL.iter().copied().find(|e| e.name() == name)
    }

    pub fn convention(self) -> Convention {
        let nir = Convention {
            exporter: self,
            dt: None,
            reset: Reset::Zero,
            input_leading_axis: false,
        };
        match self {
            Exporter::Nir => nir,
            Exporter::SnnTorch => Convention {
                dt: Some(1e-4),
                ..nir
            },
            Exporter::Sinabs => Convention {
                dt: Some(1.0),
                reset: Reset::Subtract {
                    max_spikes: MULTI_SPIKE_CAP,
                },
                input_leading_axis: true,
                ..nir
            },
            Exporter::Norse => Convention {
                dt: Some(1e-6),
                input_leading_axis: true,
                ..nir
            },
            Exporter::SpikingJelly => Convention {
                dt: Some(1e-4),
                input_leading_axis: true,
                ..nir
            },
            Exporter::Rockpool => Convention {
                dt: Some(1e-3),
                reset: Reset::Subtract {
                    max_spikes: MULTI_SPIKE_CAP,
                },
                input_leading_axis: true,
                ..nir
            },
        }
    }
}
