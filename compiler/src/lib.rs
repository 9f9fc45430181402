//! # spikefab-compiler
//!
//! Lowers a trained spiking network onto a chip: float [`Network`] →
//! [`quantize`] (fixed-point parameters and weights) → [`map`] (partition,
//! packing, placement, routing) → [`CoreProgram`](spikefab_chip::CoreProgram),
//! plus a [`CompileReport`]. [`sim::simulate`] is the float reference the
//! quantized program is judged against.
//!
//! Networks come from spikefab's RON format ([`Network::load`]) or from NIR
//! graphs ([`nir::NirGraph`], lowered by [`lower::lower`]). The compiler never
//! runs the emulator: fidelity checks that need both live in the `spikefab`
//! binary's library.
//!
//! ```
//! use spikefab_chip::Arch;
//! use spikefab_compiler::{compile, Input, Network, Neuron, Param, Population, Projection, Weights};
//!
//! let net = Network {
//!     name: "tiny".into(),
//!     dt: 1e-3,
//!     inputs: vec![Input { name: "in".into(), size: 2 }],
//!     populations: vec![Population {
//!         name: "lif".into(),
//!         size: 3,
//!         neuron: Neuron::Lif { beta: Param::Scalar(0.9), threshold: Param::Scalar(1.0), bias: Param::Scalar(0.0) },
//!         reset: Default::default(),
//!         schedule: None,
//!         noise: None,
//!         dendrites: None,
//!     }],
//!     projections: vec![Projection {
//!         from: "in".into(),
//!         to: "lif".into(),
//!         weights: Weights::Dense(vec![vec![0.5, 0.0], vec![0.0, 0.8], vec![0.3, 0.3]]),
//!         delay: 0,
//!         plasticity: None,
//!     }],
//!     outputs: vec!["lif".into()],
//!     noise_seed: None,
//! };
//! let compiled = compile(&net, &Arch::preset("loihi").unwrap(), 1).unwrap();
//! assert_eq!(compiled.report.cores_used, 1);
//! assert_eq!(compiled.program.num_synapses(), 4);
//! ```

pub mod convert;
pub mod error;
pub mod exporters;
pub mod lower;
pub mod map;
mod models;
pub mod modules;
pub mod network;
pub mod nir;
mod parallel;
pub mod placement;
pub mod quantize;
pub mod report;
pub mod sim;

pub use error::{CompileError, Result};
pub use network::{Input, Network, Neuron, Param, Population, Projection, Weights};
pub use placement::Placement;
pub use quantize::{Headroom, Options};
pub use report::{CompileReport, Fidelity};

use std::borrow::Cow;

use spikefab_chip::{Arch, CoreProgram};

/// A compiled network.
pub struct Compiled {
    pub program: CoreProgram,
    pub report: CompileReport,
}

/// Compiles `net` for `arch`; `seed` makes placement reproducible.
pub fn compile(net: &Network, arch: &Arch, seed: u64) -> Result<Compiled> {
    compile_with(
        Cow::Borrowed(net),
        arch,
        map::Placing::Anneal { seed },
        &Options::default(),
        &|_| {},
    )
}

/// Compiles `net` for `arch` with its neurons on the cores `placement` names.
pub fn compile_placed(net: &Network, arch: &Arch, placement: &Placement) -> Result<Compiled> {
    compile_with(
        Cow::Borrowed(net),
        arch,
        map::Placing::Forced(placement),
        &Options::default(),
        &|_| {},
    )
}

/// [`compile`] (or [`compile_placed`], given a placement) with each layer's
/// registers sized and weight exponents chosen as `opts` says.
pub fn compile_sized(
    net: &Network,
    arch: &Arch,
    seed: u64,
    placement: Option<&Placement>,
    opts: &Options,
) -> Result<Compiled> {
    compile_observed(net, arch, seed, placement, opts, &|_| {})
}

/// [`compile_sized`], calling `on_stage` as each stage begins (a large
/// network takes minutes: the CLI shows the stage).
pub fn compile_observed(
    net: &Network,
    arch: &Arch,
    seed: u64,
    placement: Option<&Placement>,
    opts: &Options,
    on_stage: &dyn Fn(Stage),
) -> Result<Compiled> {
    compile_with(
        Cow::Borrowed(net),
        arch,
        placing(placement, seed),
        opts,
        on_stage,
    )
}

/// [`compile_observed`] of a network the compiler may consume: its float
/// weights are released as soon as they are quantized, so that a large
/// network's float and integer synapses and its program are not all held
/// at once (a 1 M-neuron P16k: 4 GiB of float weights).
pub fn compile_owned(
    net: Network,
    arch: &Arch,
    seed: u64,
    placement: Option<&Placement>,
    opts: &Options,
    on_stage: &dyn Fn(Stage),
) -> Result<Compiled> {
    compile_with(
        Cow::Owned(net),
        arch,
        placing(placement, seed),
        opts,
        on_stage,
    )
}

/// The placement file's, or the compiler's own seeded one.
fn placing(placement: Option<&Placement>, seed: u64) -> map::Placing<'_> {
    match placement {
        Some(p) => map::Placing::Forced(p),
        None => map::Placing::Anneal { seed },
    }
}

/// The compiler's stages, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Quantizing,
    Partitioning,
    BuildingTables,
    Placing,
    Emitting,
    Checking,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Quantizing,
        Stage::Partitioning,
        Stage::BuildingTables,
        Stage::Placing,
        Stage::Emitting,
        Stage::Checking,
    ];

    /// What the stage does, for a progress line.
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Quantizing => "quantizing weights and parameters",
            Stage::Partitioning => "partitioning layers into cores",
            Stage::BuildingTables => "building synapse and routing tables",
            Stage::Placing => "placing cores on the mesh",
            Stage::Emitting => "writing the core program",
            Stage::Checking => "checking the program against the chip",
        }
    }

    /// Its position in [`Stage::ALL`].
    pub fn index(self) -> usize {
        Stage::ALL.iter().position(|&s| s == self).expect("listed")
    }
}

fn compile_with(
    mut net: Cow<'_, Network>,
    arch: &Arch,
    placing: map::Placing,
    opts: &Options,
    on_stage: &dyn Fn(Stage),
) -> Result<Compiled> {
    net.validate()?;
    if opts.projection_exponents && !arch.format.projection_exponents {
        return Err(CompileError::Invalid {
            network: net.name.clone(),
            message: format!(
                "per-projection weight exponents asked for, and chip '{}' has one exponent per neuron group (format.projection_exponents: false)",
                spikefab_chip::text::escape(&arch.name)
            ),
        });
    }
    if let Headroom::Sampled(peaks) = &opts.headroom {
        if peaks.len() != net.populations.len() {
            return Err(CompileError::Invalid {
                network: net.name.clone(),
                message: format!(
                    "sampled headroom gives {} peaks for {} populations",
                    peaks.len(),
                    net.populations.len()
                ),
            });
        }
    }
    on_stage(Stage::Quantizing);
    let mut q = quantize::quantize_with(&net, arch, opts)?;
    if let Cow::Owned(n) = &mut net {
        n.release_weights();
    }
    let threads = parallel::threads(opts.threads);
    let mapped = map::map(&net, &mut q, arch, placing, threads, on_stage)?;
    on_stage(Stage::Checking);
    mapped.program.validate()?;
    let report = CompileReport::new(&net, &q, &mapped.program, &mapped.slices, &mapped.placement);
    Ok(Compiled {
        program: mapped.program,
        report,
    })
}
