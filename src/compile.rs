//! `spikefab compile`: a network file to a core program.

use anyhow::Context;
use std::path::Path;

use spikefab_chip::Arch;
use spikefab_compiler::{compile, Compiled, Network};

/// Loads a network by extension (`.ron`; `.nir` once the importer lands) and compiles it.
pub fn compile_file(model: &Path, arch: &Arch, seed: u64) -> anyhow::Result<Compiled> {
    let ext = model
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let net = match ext.as_str() {
        "ron" => Network::load(model)?,
        _ => anyhow::bail!("{}: expected a spikefab network (.ron)", model.display()),
    };
    compile(&net, arch, seed)
        .with_context(|| format!("compiling {} for '{}'", model.display(), arch.name))
}
