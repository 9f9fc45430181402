//! The energy and latency of the `loihi` preset against SANA-FE 2.2.9, the
//! published simulator whose Loihi model it follows: `tools/sanafe_crosscheck.py`
//! on seven networks (one core to five tiles, sparse, recurrent, a full
//! 1,024-neuron core, input-heavy) must give identical spike trains and event
//! counts and total energy and latency within 5% per network.
//!
//! Runs where a Python with `sanafe` is found — `$SPIKEFAB_SANAFE_PYTHON`, or
//! the `.venv-sanafe` that `.ci/run` makes — and says loudly that it skipped
//! otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

fn python_with_sanafe() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = std::env::var_os("SPIKEFAB_SANAFE_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([repo.join(".venv-sanafe/bin/python")]);
    candidates.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import sanafe, numpy"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn loihi_preset_agrees_with_sanafe_within_5_percent_per_network() {
    let Some(python) = python_with_sanafe() else {
        eprintln!(
            "SKIPPED: no Python with sanafe (set SPIKEFAB_SANAFE_PYTHON or run .ci/run); \
             the SANA-FE cross-check of docs/model.md did not run"
        );
        return;
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(&python)
        .arg(repo.join("tools/sanafe_crosscheck.py"))
        .args(["--steps", "100", "--tolerance", "0.05", "--exe"])
        .arg(env!("CARGO_BIN_EXE_spikefab"))
        .output()
        .expect("running the cross-check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the SANA-FE cross-check failed:\n{stdout}\n{stderr}"
    );
    // Every network reported, so a network silently dropped from the script fails here.
    for net in [
        "bias-1core",
        "ff-64-64-64",
        "sparse-256",
        "multi-tile",
        "big-core",
        "recurrent",
        "input-heavy",
    ] {
        assert!(stdout.contains(net), "{net} missing from:\n{stdout}");
    }
}
