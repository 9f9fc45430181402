//! Every reader of untrusted input, by name: the one list that fuzzing
//! (`fuzz/`, `tools/fuzz.sh`) and the hostile-input smoke test walk. A reader
//! takes a file's bytes and must return (an error is fine) without panicking,
//! aborting, hanging or allocating beyond the bounds in `docs/reliability.md`.

use std::path::Path;

use spikefab_chip::{Arch, CoreProgram, SpikeStream};
use spikefab_compiler::nir::NirGraph;
use spikefab_compiler::Network;

/// One reader.
pub struct Reader {
    pub name: &'static str,
    /// File endings of the examples that seed its corpus.
    pub seeds: &'static [&'static str],
    pub read: fn(&[u8]),
}

const ORIGIN: &str = "<fuzz input>";

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// All readers.
pub fn all() -> &'static [Reader] {
    &[
        Reader {
            name: "aer",
            seeds: &["aer"],
            read: |d| drop(SpikeStream::from_aer(d)),
        },
        Reader {
            name: "csv",
            seeds: &["csv"],
            read: |d| drop(SpikeStream::from_csv(d)),
        },
        Reader {
            name: "npy",
            seeds: &["npy"],
            read: |d| drop(SpikeStream::from_npy(d)),
        },
        Reader {
            name: "samples_npy",
            seeds: &["npy"],
            read: |d| drop(spikefab_chip::samples_from_npy(d)),
        },
        Reader {
            name: "sfc",
            seeds: &["sfc"],
            read: |d| {
                // A program that validates must also run: validation is what
                // the emulator relies on for every index it follows.
                if let Ok(p) = CoreProgram::from_sfc(d, Path::new(ORIGIN)) {
                    run_briefly(&p);
                }
            },
        },
        Reader {
            name: "program_ron",
            seeds: &["program.ron"],
            read: |d| {
                if let Some(p) =
                    text(d).and_then(|t| CoreProgram::from_ron(t, Path::new(ORIGIN)).ok())
                {
                    run_briefly(&p);
                }
            },
        },
        Reader {
            name: "arch_ron",
            seeds: &["arch.ron"],
            read: |d| {
                if let Some(t) = text(d) {
                    drop(Arch::from_ron_str(t, Path::new(ORIGIN)));
                }
            },
        },
        Reader {
            name: "network_ron",
            seeds: &["network.ron"],
            read: |d| {
                if let Some(net) =
                    text(d).and_then(|t| Network::from_ron_str(t, Path::new(ORIGIN)).ok())
                {
                    compile_small(&net);
                }
            },
        },
        Reader {
            name: "placement_ron",
            seeds: &["placement.ron"],
            read: |d| {
                if let Some(p) = text(d).and_then(|t| {
                    spikefab_compiler::Placement::from_ron_str(t, Path::new(ORIGIN)).ok()
                }) {
                    // The shipped network it was written for, on the chip it names.
                    let net = Network::from_ron_str(
                        include_str!("../examples/networks/mlp.ron"),
                        Path::new("mlp.ron"),
                    )
                    .expect("the shipped network is valid");
                    if let Ok(arch) = Arch::preset("fpga-small") {
                        if let Ok(c) = spikefab_compiler::compile_placed(&net, &arch, &p) {
                            run_briefly(&c.program);
                        }
                    }
                }
            },
        },
        Reader {
            name: "nir",
            seeds: &["nir"],
            read: |d| {
                if let Ok(g) = NirGraph::from_bytes(d, Path::new(ORIGIN)) {
                    if let Ok(net) = spikefab_compiler::lower::lower(&g, "fuzz", 1e-4) {
                        compile_small(&net);
                    }
                }
            },
        },
        Reader {
            name: "wav",
            seeds: &["wav"],
            read: |d| {
                drop(spikefab_cochlea::Audio::from_wav_bytes(
                    d,
                    Path::new(ORIGIN),
                ))
            },
        },
    ]
}

/// The reader called `name`.
pub fn get(name: &str) -> Option<&'static Reader> {
    all().iter().find(|r| r.name == name)
}

/// A few steps of a validated program on no input.
fn run_briefly(p: &CoreProgram) {
    if p.validate().is_ok() && p.num_synapses() < 1 << 20 {
        let input = SpikeStream::empty(p.num_input_channels() as u32, 4, p.dt);
        let out =
            spikefab_emulator::run(p, &input, &spikefab_emulator::RunConfig::new(4, 1), &|_| {});
        assert!(
            out.is_ok(),
            "a validated program failed to run: {:?}",
            out.err()
        );
    }
}

/// Compiles a small valid network for a small chip (the compiler is part of
/// what a hostile network file reaches).
fn compile_small(net: &Network) {
    if net.num_synapses() < 1 << 16
        && net.populations.iter().map(|p| p.size).sum::<usize>() < 1 << 12
    {
        if let Ok(arch) = Arch::preset("fpga-small") {
            drop(spikefab_compiler::compile(net, &arch, 1));
        }
    }
}
