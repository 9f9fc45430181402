//! Neuron models: one module each, one registry.
//!
//! A model is everything the chip knows about one kind of neuron: the
//! parameters a program stores per neuron, the state a core keeps, the
//! bit-exact fixed-point step, the checks against a chip's number formats and
//! the neuron-word fields the RTL reads. Each lives in its own file
//! (`cuba_lif.rs`, `if_.rs`, `li.rs`) behind the [`Model`] trait; the shared
//! arithmetic (decay rules, saturation, shifts) is in [`crate::neuron`].
//!
//! The [`models!`] list below is the only place that names every model. It
//! generates [`ModelKind`] (the name in architecture files, `inspect` and the
//! RTL's model code), [`Neurons`] (a group's per-neuron parameters, tagged by
//! model) and the one `match` that turns a [`Neurons`] into a call generic in
//! the model ([`Neurons::visit`]). Below that call everything is monomorphic:
//! the emulator's neuron loop, the RTL table packer and the checks are
//! written once, generically, and instantiated per model.
//!
//! Adding a model: a file here implementing [`Model`], one line in
//! [`models!`], a lowering rule in the compiler, an RTL block in
//! `hdl_export/rtl/models/`. See ARCHITECTURE.md.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::arch::NumberFormat;
use crate::neuron::{Decay, Fixed};

pub mod alif;
pub mod cuba_lif;
pub mod dendrites;
pub mod if_;
pub mod li;
pub mod noise;
pub mod plasticity;
pub mod reset;
pub mod schedule;

pub use dendrites::Dendrites;
pub use noise::Noise;
pub use plasticity::LearningRule;
pub use reset::{Fire, Reset};
pub use schedule::{Schedule, ScheduleStep};

/// What the models' unit tests share: the `loihi` preset's formats and its
/// `Mul12` decay rule.
#[cfg(test)]
pub(crate) mod testing {
    use crate::arch::Arch;
    use crate::neuron::{Fixed, Mul12};

    pub fn loihi() -> Fixed {
        Fixed::new(&Arch::preset("loihi").unwrap().format)
    }

    pub const L: Mul12 = Mul12 {
        current_offset: 1,
        voltage_offset: 0,
    };
}

/// What one neuron update did besides changing the state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Spikes emitted this step: 0 or 1, or up to the group's
    /// `max_spikes` under a subtractive reset.
    pub spikes: u8,
    /// A register wrapped or saturated in this step.
    pub saturated: bool,
}

/// One field of the neuron parameter word in the RTL's neuron memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordField {
    pub name: &'static str,
    pub width: u32,
    pub signed: bool,
    pub doc: &'static str,
}

/// One neuron model. Implementations are zero-sized markers; everything
/// per neuron lives in the associated types.
pub trait Model: 'static {
    const KIND: ModelKind;
    /// How reports, `inspect` and the docs name the model.
    const NAME: &'static str;
    /// Threshold-state updates an active neuron makes per step (adaptive
    /// thresholds); each is charged the arch's `threshold_update` cost.
    const THRESHOLD_UPDATES: u64 = 0;
    /// Per-neuron parameters as a program stores them (mantissas, exponents, codes).
    type Stored: Copy + Debug + PartialEq + Serialize + DeserializeOwned;
    /// Per-neuron parameters as the step uses them, derived once from `Stored`.
    type Params: Copy + Debug + Send + Sync;
    /// Per-neuron state; `Default` is the state after reset.
    type State: Copy + Debug + Default + PartialEq + Send + Sync;
    /// The state registers a probe can read (`spikefab run --probe`), by
    /// name, in the order [`Model::state_var`] indexes them.
    const STATE_VARS: &'static [&'static str];

    /// Register `k` (< `STATE_VARS.len()`) of a neuron's state, in state units.
    fn state_var(s: &Self::State, k: usize) -> i32;

    /// The resting threshold mantissa a schedule's offsets move (0 for
    /// models that never fire).
    fn threshold(n: &Self::Stored) -> u32;

    /// Checks a stored neuron against the chip's formats; the message names the field.
    fn check(n: &Self::Stored, f: &NumberFormat) -> Result<(), String>;

    /// The step's form of the parameters (effective bias, shifted threshold…).
    fn params(fx: &Fixed, n: &Self::Stored) -> Self::Params;

    /// One timestep: `a_in` is the summed, exponent-scaled synaptic input;
    /// `fire` the group's reset rule (non-spiking models ignore it).
    fn step<D: Decay, F: Fire>(
        fx: &Fixed,
        decay: &D,
        fire: &F,
        p: &Self::Params,
        s: &mut Self::State,
        a_in: i32,
    ) -> Outcome;

    /// Whether the update must read, change and write back state even
    /// without input (the emulator charges such neurons as active).
    fn is_active(p: &Self::Params, s: &Self::State) -> bool;

    /// The neuron-word fields this model reads, in the order [`Model::word`] gives them.
    fn word_fields(f: &NumberFormat) -> Vec<WordField>;

    /// The values of [`Model::word_fields`] for one neuron.
    fn word(n: &Self::Stored) -> Vec<i64>;
}

/// A computation generic in the model, run by [`Neurons::visit`].
pub trait Visit {
    type Out;
    fn visit<M: Model>(self, neurons: &[M::Stored]) -> Self::Out;
}

/// A computation generic in the model, over the model's marker type only.
pub trait VisitKind {
    type Out;
    fn visit<M: Model>(self) -> Self::Out;
}

macro_rules! models {
    ($($(#[$doc:meta])* $kind:ident => $model:path, code $code:literal;)*) => {
        /// Which neuron model a group runs. Its name is how architecture files,
        /// programs and `inspect` spell the model; [`ModelKind::code`] is the
        /// RTL's model code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum ModelKind {
            $($(#[$doc])* $kind,)*
        }

        /// A group's neurons: per-neuron stored parameters of one model.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub enum Neurons {
            $($kind(Vec<<$model as Model>::Stored>),)*
        }

        impl ModelKind {
            /// Every model, in code order.
            pub const ALL: &'static [ModelKind] = &[$(ModelKind::$kind,)*];

            /// The model's code in the RTL's neuron word.
            pub fn code(self) -> u32 {
                match self {
                    $(ModelKind::$kind => $code,)*
                }
            }

            /// Runs `v` with this model's type.
            pub fn visit<V: VisitKind>(self, v: V) -> V::Out {
                match self {
                    $(ModelKind::$kind => v.visit::<$model>(),)*
                }
            }
        }

        impl Neurons {
            pub fn kind(&self) -> ModelKind {
                match self {
                    $(Neurons::$kind(_) => ModelKind::$kind,)*
                }
            }

            /// Runs `v` with this group's model type and its neurons: the one
            /// dispatch from a model value to monomorphic code.
            pub fn visit<V: Visit>(&self, v: V) -> V::Out {
                match self {
                    $(Neurons::$kind(n) => v.visit::<$model>(n),)*
                }
            }

            /// Neurons `range` as a group of their own.
            pub fn slice(&self, range: std::ops::Range<usize>) -> Neurons {
                match self {
                    $(Neurons::$kind(n) => Neurons::$kind(n[range].to_vec()),)*
                }
            }
        }
    };
}

models! {
    /// Current-based LIF (Loihi semantics with `Mul12`, Xylo semantics with `Shift`).
    CubaLif => cuba_lif::CubaLif, code 0;
    /// Non-leaky integrate-and-fire.
    If => if_::If, code 1;
    /// Leaky integrator readout: CUBA dynamics that never spike.
    Li => li::Li, code 2;
    /// CUBA LIF with a spike-driven adaptive threshold (LSNN, CE-LIF's base).
    Alif => alif::Alif, code 3;
}

impl ModelKind {
    pub fn name(self) -> &'static str {
        struct Name;
        impl VisitKind for Name {
            type Out = &'static str;
            fn visit<M: Model>(self) -> &'static str {
                M::NAME
            }
        }
        self.visit(Name)
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Neurons {
    pub fn len(&self) -> usize {
        struct Len;
        impl Visit for Len {
            type Out = usize;
            fn visit<M: Model>(self, n: &[M::Stored]) -> usize {
                n.len()
            }
        }
        self.visit(Len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lowest resting threshold mantissa of the group and its neuron.
    pub fn lowest_threshold(&self) -> Option<(usize, u32)> {
        struct Lowest;
        impl Visit for Lowest {
            type Out = Option<(usize, u32)>;
            fn visit<M: Model>(self, n: &[M::Stored]) -> Self::Out {
                n.iter()
                    .map(M::threshold)
                    .enumerate()
                    .min_by_key(|&(_, v)| v)
            }
        }
        self.visit(Lowest)
    }

    /// Checks every neuron against the formats; the error names the neuron and field.
    pub fn check(&self, f: &NumberFormat) -> Result<(), (usize, String)> {
        struct Check<'a>(&'a NumberFormat);
        impl Visit for Check<'_> {
            type Out = Result<(), (usize, String)>;
            fn visit<M: Model>(self, n: &[M::Stored]) -> Self::Out {
                n.iter()
                    .enumerate()
                    .try_for_each(|(i, x)| M::check(x, self.0).map_err(|e| (i, e)))
            }
        }
        self.visit(Check(f))
    }
}

/// A set of models: what an architecture's cores implement. Written in
/// architecture files as a list, e.g. `models: [CubaLif, If, Li]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModelSet(u64);

impl ModelSet {
    pub fn contains(self, k: ModelKind) -> bool {
        self.0 & (1 << k.code()) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = ModelKind> {
        ModelKind::ALL
            .iter()
            .copied()
            .filter(move |&k| self.contains(k))
    }

    /// What an architecture file that does not list its models supports: the
    /// three models spikefab had before models became a capability.
    pub fn legacy() -> ModelSet {
        [ModelKind::CubaLif, ModelKind::If, ModelKind::Li]
            .into_iter()
            .collect()
    }
}

impl FromIterator<ModelKind> for ModelSet {
    fn from_iter<I: IntoIterator<Item = ModelKind>>(it: I) -> Self {
        ModelSet(it.into_iter().fold(0, |s, k| s | 1 << k.code()))
    }
}

impl Debug for ModelSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for ModelSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A Vec, not the iterator: postcard needs the length up front.
        self.iter().collect::<Vec<_>>().serialize(s)
    }
}

impl<'de> Deserialize<'de> for ModelSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<ModelKind>::deserialize(d)?.into_iter().collect())
    }
}
