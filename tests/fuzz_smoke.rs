//! The fuzzing smoke test CI runs: every reader of `spikefab::readers` gets
//! its seed files and a few hundred deterministic mutations of them (bit
//! flips, boundary values, truncations, duplicated and inserted chunks, huge
//! numbers in text) in a child process limited in memory and time, and every
//! input a fuzzer once broke a reader with (`tests/fuzz_regressions/`). The real
//! coverage-guided campaigns are `tools/fuzz.sh` (cargo-fuzz, nightly); their
//! record is in docs/reliability.md.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Mutated inputs per reader: seconds per target in CI.
const MUTATIONS: usize = 3000;
const MEMORY_KB: u64 = 3_000_000;
const SECONDS: u64 = 300;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// Files under `dirs` whose name ends with `ending` (a `.ron` kind is told by its folder).
fn seeds(ending: &str) -> Vec<Vec<u8>> {
    let (dirs, ext): (&[&str], &str) = match ending {
        "program.ron" => (&["examples/programs"], "ron"),
        "arch.ron" => (&["examples/arch"], "ron"),
        "network.ron" => (&["examples/networks"], "ron"),
        "placement.ron" => (&["examples/placements"], "ron"),
        "nir" => (
            &["compiler/tests/data", "compiler/tests/data/hostile"],
            "nir",
        ),
        "npy" => (&["compiler/tests/data", "examples/spikes"], "npy"),
        "wav" => (&["examples/audio"], "wav"),
        other => (&["examples/spikes"], other),
    };
    let mut out = Vec::new();
    for d in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(repo(d))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect();
        files.sort();
        out.extend(files.iter().take(4).map(|p| std::fs::read(p).unwrap()));
    }
    match ending {
        "csv" => out.push(b"timestep,channel\n0,1\n2,3\n5,0\n".to_vec()),
        "sfc" => {
            let text = std::fs::read_to_string(repo("examples/programs/demo.ron")).unwrap();
            let p = spikefab_chip::CoreProgram::from_ron(&text, Path::new("demo.ron")).unwrap();
            out.push(p.to_sfc());
        }
        _ => {}
    }
    assert!(!out.is_empty(), "no seeds for {ending}");
    out
}

const NUMBERS: &[&str] = &[
    "4294967295",
    "18446744073709551615",
    "-1",
    "0",
    "1e308",
    "NaN",
    "inf",
    "-2147483648",
    "65536",
];

fn mutate(seed: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    let len = b.len().max(1);
    for _ in 0..rng.random_range(1..4) {
        match rng.random_range(0..7) {
            0 if !b.is_empty() => {
                let i = rng.random_range(0..b.len());
                b[i] ^= 1 << rng.random_range(0..8);
            }
            1 if !b.is_empty() => {
                let i = rng.random_range(0..b.len());
                b[i] = *[0x00, 0xff, 0x7f, 0x80, b'9', b'\n', 0x1b]
                    .get(rng.random_range(0..7))
                    .unwrap();
            }
            2 => b.truncate(rng.random_range(0..len)),
            3 if !b.is_empty() => {
                let i = rng.random_range(0..b.len());
                let j = (i + rng.random_range(1..64)).min(b.len());
                let chunk = b[i..j].to_vec();
                b.splice(i..i, chunk);
            }
            4 => {
                let i = rng.random_range(0..=b.len());
                let n = rng.random_range(1..16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                b.splice(i..i, bytes);
            }
            5 if !b.is_empty() => {
                // 4- or 8-byte little-endian boundary values (binary headers)
                let i = rng.random_range(0..b.len());
                let v: u64 = *[u64::MAX, u32::MAX as u64, 1 << 31, 0]
                    .get(rng.random_range(0..4))
                    .unwrap();
                for (k, x) in v.to_le_bytes().iter().enumerate() {
                    if let Some(t) = b.get_mut(i + k) {
                        *t = *x;
                    }
                }
            }
            _ => {
                // a number in text replaced by an extreme one
                let digits: Vec<usize> = (0..b.len()).filter(|&i| b[i].is_ascii_digit()).collect();
                if let Some(&i) = digits.get(rng.random_range(0..digits.len().max(1))) {
                    let mut j = i;
                    while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                        j += 1;
                    }
                    let n = NUMBERS[rng.random_range(0..NUMBERS.len())];
                    b.splice(i..j, n.bytes());
                }
            }
        }
    }
    b
}

/// Runs in the child process (see below): every reader on its mutated seeds.
#[test]
#[ignore = "run by every_reader_survives_mutated_seeds in a limited child process"]
fn inner_mutation_smoke() {
    let only = std::env::var("SPIKEFAB_SMOKE_READER").ok();
    for r in spikefab::readers::all() {
        if only.as_deref().is_some_and(|o| o != r.name) {
            continue;
        }
        let seeds: Vec<Vec<u8>> = r.seeds.iter().flat_map(|e| seeds(e)).collect();
        // Inputs the fuzzers once broke a reader with, kept as regressions.
        for f in std::fs::read_dir(repo(&format!("tests/fuzz_regressions/{}", r.name)))
            .into_iter()
            .flatten()
            .flatten()
        {
            (r.read)(&std::fs::read(f.path()).unwrap());
        }
        let mut rng = ChaCha8Rng::seed_from_u64(0x5eed ^ r.name.len() as u64);
        let started = std::time::Instant::now();
        for s in &seeds {
            (r.read)(s);
        }
        for k in 0..MUTATIONS {
            let input = mutate(&seeds[k % seeds.len()], &mut rng);
            (r.read)(&input);
        }
        eprintln!(
            "reader {}: {} seeds + {MUTATIONS} mutations in {:.2} s",
            r.name,
            seeds.len(),
            started.elapsed().as_secs_f64()
        );
    }
}

#[test]
fn every_reader_survives_mutated_seeds() {
    let exe = std::env::current_exe().unwrap();
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_KB}; exec timeout -s KILL {SECONDS} \"$0\" --exact inner_mutation_smoke --ignored --nocapture"
        ))
        .arg(exe)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "status {:?}\n{err}", o.status);
    for r in spikefab::readers::all() {
        assert!(err.contains(&format!("reader {}:", r.name)), "{err}");
    }
    eprintln!("{err}");
}
