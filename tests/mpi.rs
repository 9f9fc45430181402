//! `mpirun -np N spikefab run --mpi` against one process, bit for bit (the
//! emulator's exchange over real MPI processes). Built only with
//! `--features mpi`; `.ci/run` installs OpenMPI and runs it:
//! `cargo test --release --features mpi --test mpi`.
#![cfg(feature = "mpi")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .to_string_lossy()
        .into_owned()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// `spikefab run` of the demo program on `ranks` processes (0: no mpirun).
fn run(ranks: usize, threads: usize, out: &Path, extra: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_spikefab");
    let mut args: Vec<String> = vec![
        "--quiet".into(),
        "run".into(),
        repo("examples/programs/demo.ron"),
        "--input".into(),
        repo("examples/spikes/demo_input.aer"),
        "--threads".into(),
        threads.to_string(),
        "--out".into(),
        out.to_string_lossy().into_owned(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut cmd = if ranks == 0 {
        Command::new(bin)
    } else {
        let mut c = Command::new("mpirun");
        // CI runs as root; two cores hold more ranks than cores only oversubscribed.
        c.env("OMPI_ALLOW_RUN_AS_ROOT", "1")
            .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
            .args(["--oversubscribe", "-np", &ranks.to_string(), bin]);
        args.push("--mpi".into());
        c
    };
    cmd.args(&args)
        .output()
        .expect("mpirun runs (install OpenMPI: openmpi-bin)")
}

#[test]
fn mpirun_equals_one_process_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| -> PathBuf { dir.path().join(name) };
    let one = run(0, 1, &d("one"), &["--per-step"]);
    assert!(one.status.success(), "{}", text(&one.stderr));
    for (ranks, threads) in [(2, 1), (2, 2), (3, 1)] {
        let name = format!("np{ranks}t{threads}");
        let o = run(ranks, threads, &d(&name), &["--per-step"]);
        assert!(o.status.success(), "{name}: {}", text(&o.stderr));
        for f in ["spikes.npy", "spikes.aer", "report.json"] {
            let a = std::fs::read(d("one").join(f)).unwrap();
            assert!(a.len() > 100, "{f} is suspiciously small");
            assert_eq!(
                a,
                std::fs::read(d(&name).join(f)).unwrap(),
                "{f} differs: {ranks} processes × {threads} threads vs one process"
            );
        }
        let host: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d(&name).join("host.json")).unwrap()).unwrap();
        assert_eq!(host["ranks"], ranks);
    }
}

/// A rank that fails ends the job with the error, its staged output
/// removed, instead of leaving the other ranks waiting.
#[test]
fn a_failing_rank_ends_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"").unwrap();
    let o = run(2, 1, &file.join("out"), &[]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(err.contains("error: rank 0"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "staging left behind: {left:?}");
}
