//! `spikefab compile`: a network file to a core program.

use anyhow::Context;
use std::path::Path;

use spikefab_chip::Arch;
use spikefab_compiler::nir::NirGraph;
use spikefab_compiler::{compile, lower::lower, Compiled, Network};

/// The timestep NIR files get when none is given: snnTorch's export convention.
pub const DEFAULT_NIR_DT: f64 = 1e-4;

/// Loads a network by extension: `.nir` (lowered at `dt`) or spikefab `.ron`.
pub fn load_network(model: &Path, dt: Option<f64>) -> anyhow::Result<Network> {
    let ext = model
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let mut net = match ext.as_str() {
        "nir" | "h5" | "hdf5" => {
            let g = NirGraph::load(model)?;
            let name = model
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            lower(&g, &name, dt.unwrap_or(DEFAULT_NIR_DT))
                .with_context(|| format!("lowering {}", model.display()))?
        }
        "ron" => Network::load(model)?,
        _ => anyhow::bail!(
            "{}: expected a NIR graph (.nir) or a spikefab network (.ron)",
            model.display()
        ),
    };
    if let (Some(dt), "ron") = (dt, ext.as_str()) {
        net.dt = dt;
    }
    Ok(net)
}

/// Loads and compiles a network file for `arch`.
pub fn compile_file(
    model: &Path,
    arch: &Arch,
    dt: Option<f64>,
    seed: u64,
) -> anyhow::Result<Compiled> {
    let net = load_network(model, dt)?;
    compile(&net, arch, seed)
        .with_context(|| format!("compiling {} for '{}'", model.display(), arch.name))
}
