//! Hostile and careless input, one test per class of defect (issue #9):
//! code injection into generated HDL, planted temp folders, small files that
//! ask for huge allocations, NIR blow-ups, silent wrong numbers, interrupted
//! writes and careless usage. Every command runs under a virtual-memory limit
//! (`ulimit -v`) and a time limit, so an attempted giant allocation or a hang
//! fails the test instead of the machine.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

mod common;
use common::npy_with_header;

/// Address space a command may use: far above what these small inputs need
/// (the emulator's threads and the allocator reserve some), far below what a
/// size read from a hostile header would ask for.
const MEMORY_KB: u64 = 3_000_000;
const SECONDS: u64 = 60;

fn limited(args: &[&str]) -> Output {
    limited_env(args, &[])
}

fn limited_env(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new("bash");
    c.arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_KB}; exec timeout -s KILL {SECONDS} \"$@\""
        ))
        .arg("spikefab")
        .arg(env!("CARGO_BIN_EXE_spikefab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("bash runs")
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// A clean refusal: exit 1 (not a signal, not a timeout), an `error:` line
/// naming `needle`, no panic, and nothing unsafe for a terminal.
#[track_caller]
fn refused(o: &Output, needle: &str) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !err.chars()
            .any(|c| c == '\u{1b}' || (c.is_control() && c != '\n')),
        "control characters reached the terminal: {err:?}"
    );
}

/// Writes `bytes` to `dir/name` and returns the path.
fn write_in(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// `spikefab compile MODEL --arch ARCH -o OUT`, limited.
fn compile_to(model: &str, arch: &str, out: &str) -> Output {
    if model.ends_with(".nir") {
        // hostile NIR files are snnTorch's committed ones, damaged
        limited(&[
            "compile", model, "--from", "snntorch", "--arch", arch, "-o", out,
        ])
    } else {
        limited(&["compile", model, "--arch", arch, "-o", out])
    }
}

const DEMO: &str = "examples/programs/demo.ron";
const INPUT: &str = "examples/spikes/demo_input.aer";
const MLP: &str = "examples/networks/mlp.ron";

// ---- 1. code injection into generated HDL ----

#[test]
fn file_strings_never_reach_generated_verilog_or_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let program = std::fs::read_to_string(repo(DEMO)).unwrap();
    let evil = r#"x\n$display(\"DONE\"); $system(\"touch PWNED\"); $finish; //"#;
    let cases = [
        (
            "source",
            program.replacen("source: \"synthetic", &format!("source: \"{evil}"), 1),
        ),
        (
            "name",
            program.replacen("name: \"loihi\"", &format!("name: \"{evil}\""), 1),
        ),
        (
            "producer",
            program.replacen("producer: \"", "producer: \"\\u{1b}[2J", 1),
        ),
        (
            "group name",
            program.replacen("name: \"random0", "name: \"a\\u{202e}random0", 1),
        ),
    ];
    for (field, text_) in cases {
        assert!(text_ != program, "{field}: the replacement did not apply");
        let p = dir.path().join("evil.ron");
        std::fs::write(&p, text_).unwrap();
        let out = dir.path().join("fpga");
        let o = limited(&["export-hdl", s(&p), "-o", s(&out), "--cosim"]);
        refused(&o, field);
        assert!(!out.exists(), "{field}: nothing may be written");
        assert!(!dir.path().join("PWNED").exists());
        refused(&limited(&["inspect", s(&p)]), "U+");
    }
    // A NIR node name carrying Verilog is refused where the file is read.
    let o = compile_to(
        s(&repo("compiler/tests/data/hostile/verilog_name.nir")),
        "fpga-small",
        s(&dir.path().join("x.sfc")),
    );
    refused(&o, "control character U+000A");
    // A network whose name holds an escape sequence is refused, and the
    // message shows it escaped.
    let net = std::fs::read_to_string(repo(MLP)).unwrap().replacen(
        "mlp-16-64-10",
        "mlp\\u{1b}]0;owned\\u{7}",
        1,
    );
    let p = dir.path().join("net.ron");
    std::fs::write(&p, net).unwrap();
    let o = compile_to(s(&p), "loihi", s(&dir.path().join("n.sfc")));
    refused(&o, "\\u{1b}");
}

// ---- 2. shared temp folder ----

#[test]
fn the_built_in_model_is_read_from_memory_not_a_temp_folder() {
    use spikefab::kws::{load_model, Encoding, ModelSource};
    let embedded = ModelSource::Embedded;
    let shipped = ModelSource::Dir(repo("examples/kws"));
    assert_eq!(
        load_model(&embedded).unwrap(),
        load_model(&shipped).unwrap()
    );
    assert_eq!(
        Encoding::load(&embedded).unwrap(),
        Encoding::load(&shipped).unwrap()
    );
    // A planted folder where the old code unpacked the model is neither read
    // nor written, whatever the binary is asked to do.
    let tmp = tempfile::tempdir().unwrap();
    let planted = tmp.path().join("spikefab-kws-0.1.0");
    std::fs::create_dir(&planted).unwrap();
    std::fs::write(planted.join("kws.nir"), b"planted").unwrap();
    let o = limited_env(&["arch", "list"], &[("TMPDIR", tmp.path())]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "the binary wrote into TMPDIR");
    assert_eq!(std::fs::read(planted.join("kws.nir")).unwrap(), b"planted");
}

// ---- 3. small files, huge allocations ----

fn aer_header(channels: u32, steps: u32, count: u64) -> Vec<u8> {
    let mut b = b"SFAER\0".to_vec();
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&steps.to_le_bytes());
    b.extend_from_slice(&1e-3f64.to_le_bytes());
    b.extend_from_slice(&count.to_le_bytes());
    b
}

#[test]
fn small_files_that_declare_huge_sizes_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, bytes: &[u8]| write_in(dir.path(), name, bytes);
    let out = dir.path().join("run");
    let run = |input: &Path, extra: &[&str]| {
        let mut a = vec!["run", DEMO, "--input", s(input), "--out", s(&out)];
        a.extend_from_slice(extra);
        limited(&a)
    };
    // 32-byte .aer headers
    let p = put("steps.aer", &aer_header(16, u32::MAX, 0));
    refused(&run(&p, &[]), "timesteps is more than");
    let p = put("channels.aer", &aer_header(u32::MAX, 10, 0));
    refused(&run(&p, &[]), "channels is more than");
    // a one-line .csv
    let p = put("far.csv", b"timestep,channel\n4294967294,4294967294\n");
    refused(&run(&p, &[]), "line 2");
    // .npy shapes
    let p = put(
        "wide.npy",
        &npy_with_header(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967295, 0), }",
            &[],
        ),
    );
    refused(&run(&p, &[]), "4294967295");
    let p = put(
        "tall.npy",
        &npy_with_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967295, 4294967295), }",
            &[0; 64],
        ),
    );
    refused(&run(&p, &[]), "more than the file's");
    // a 3-D sample file for compile --inputs
    let p = put(
        "samples.npy",
        &npy_with_header(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967295, 1, 0), }",
            &[],
        ),
    );
    refused(
        &limited(&[
            "simulate",
            MLP,
            "--inputs",
            s(&p),
            "-o",
            s(&dir.path().join("o.npy")),
        ]),
        "holds no spikes",
    );
    // --steps beyond the bound
    refused(
        &run(&repo(INPUT), &["--steps", "4294967295"]),
        "4294967295 steps",
    );
    // a 3 KB WAV at 1 Hz
    let wav = dir.path().join("slow.wav");
    {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 1,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&wav, spec).unwrap();
        for i in 0..1500 {
            w.write_sample((i % 100) as i16).unwrap();
        }
        w.finalize().unwrap();
    }
    refused(&limited(&["cochlea", s(&wav)]), "1 Hz");
    refused(&run(&wav, &[]), "1 Hz");
    // a WAV header claiming more samples than the file holds
    let mut bytes = std::fs::read(repo("examples/audio/neuromorphic.wav")).unwrap();
    let data = bytes.windows(4).position(|w| w == b"data").unwrap();
    bytes[data + 4..data + 8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    refused(
        &limited(&["cochlea", s(&put("long.wav", &bytes))]),
        "declares",
    );
    // architecture and network sizes
    let arch = std::fs::read_to_string(repo("examples/arch/loihi.ron"))
        .unwrap()
        .replacen("tiles_x: 8", "tiles_x: 1000000000", 1);
    let a = put("big.ron", arch.as_bytes());
    refused(
        &compile_to(MLP, s(&a), s(&dir.path().join("x.sfc"))),
        "topology",
    );
    let mlp = std::fs::read_to_string(repo(MLP)).unwrap();
    for (from, to, needle) in [
        ("size: 64,", "size: 1000000000,", "size 1000000000"),
        ("delay: 0,", "delay: 1000000000,", "delay 1000000000"),
    ] {
        let n = put("n.ron", mlp.replacen(from, to, 1).as_bytes());
        refused(
            &compile_to(s(&n), "loihi", s(&dir.path().join("x.sfc"))),
            needle,
        );
    }
}

// ---- 4. NIR blow-ups ----

#[test]
fn nested_branching_and_malformed_nir_is_refused_or_lowered_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.sfc");
    let nir = |f: &str| repo(&format!("compiler/tests/data/hostile/{f}"));
    let compile = |f: &str| compile_to(s(&nir(f)), "loihi", s(&x));
    refused(&compile("deep.nir"), "nested more than 32 deep");
    refused(&compile("conv_weight_2d.nir"), "expected 4 dimensions");
    refused(&compile("huge_input.nir"), "'shape' is 1000000000");
    refused(
        &compile("zero_weights.nir"),
        "every weight from 'input' to 'lif' is zero",
    );
    // 40 diamonds in a row: 2^40 paths, one projection of summed weights.
    let o = compile("ladder.nir");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let g = spikefab_compiler::nir::NirGraph::load(&nir("ladder.nir")).unwrap();
    let net = spikefab_compiler::lower::lower(&g, "ladder", 1e-3).unwrap();
    assert_eq!(net.projections.len(), 1);
    assert_eq!(net.num_synapses(), 2);
    // each stage: 0.5 + 0.5 = 1, so the weight is the LIF's input gain dt·r/τ = 0.1
    let spikefab_compiler::Weights::Sparse { synapses, .. } = &net.projections[0].weights else {
        panic!("lowering writes sparse weights")
    };
    for &(_, _, w) in synapses {
        assert!((w - 0.1).abs() < 1e-6, "{w}");
    }
}

// ---- 5. silent wrong numbers ----

/// Writes `values` (C order, `shape`) as a uint8 .npy in Fortran order.
fn fortran_npy(shape: &[usize], values: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let mut body = vec![0u8; values.len()];
    // element (i0, i1, …) sits at Σ i_k · Π_{j<k} shape_j in Fortran order
    let mut idx = vec![0usize; shape.len()];
    for v in values {
        let mut off = 0;
        let mut stride = 1;
        for (k, &i) in idx.iter().enumerate() {
            off += i * stride;
            stride *= shape[k];
        }
        body[off] = *v;
        for k in (0..shape.len()).rev() {
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    npy_with_header(
        &format!(
            "{{'descr': '|u1', 'fortran_order': True, 'shape': ({},), }}",
            dims.join(", ")
        ),
        &body,
    )
}

#[test]
fn fortran_order_samples_give_the_same_fidelity_as_c_order() {
    let dir = tempfile::tempdir().unwrap();
    let c_path = repo("compiler/tests/data/rleaky_input.npy");
    let a = spikefab_chip::npy::NumericArray::from_npy(&std::fs::read(&c_path).unwrap()).unwrap();
    let shape: Vec<usize> = a.shape.iter().map(|&d| d as usize).collect();
    let values: Vec<u8> = a.values.iter().map(|&v| v as u8).collect();
    let f_path = dir.path().join("fortran.npy");
    std::fs::write(&f_path, fortran_npy(&shape, &values)).unwrap();
    let report = |inputs: &Path, name: &str| {
        let r = dir.path().join(name);
        let o = limited(&[
            "compile",
            s(&repo("compiler/tests/data/rleaky.nir")),
            "--from",
            "snntorch",
            "--arch",
            "loihi",
            "-o",
            s(&dir.path().join(format!("{name}.sfc"))),
            "--inputs",
            s(inputs),
            "--report",
            s(&r),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let j: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(r).unwrap()).unwrap();
        j["fidelity"].clone()
    };
    let c = report(&c_path, "c.json");
    assert_eq!(c, report(&f_path, "f.json"));
    assert!(c["spike_agreement_vs_float"].as_f64().unwrap() > 0.9, "{c}");
}

#[test]
fn wrong_shapes_values_and_numbers_are_errors_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, bytes: &[u8]| write_in(dir.path(), name, bytes);
    let o = dir.path().join("o.npy");
    // samples: wrong channel count, non-binary values, NaN
    let three = put(
        "ch.npy",
        &npy_with_header(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 3), }",
            &[0; 6],
        ),
    );
    refused(
        &limited(&["simulate", MLP, "--inputs", s(&three), "-o", s(&o)]),
        "16 input channels",
    );
    let mut body = vec![0u8; 32];
    body[5] = 2;
    let two = put(
        "two.npy",
        &npy_with_header(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 16), }",
            &body,
        ),
    );
    refused(
        &limited(&["simulate", MLP, "--inputs", s(&two), "-o", s(&o)]),
        "value 2 at [0, 0, 5]",
    );
    let mut nan = Vec::new();
    for k in 0..32 {
        nan.extend_from_slice(&(if k == 3 { f64::NAN } else { 0.0 }).to_le_bytes());
    }
    let nan = put(
        "nan.npy",
        &npy_with_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 16), }",
            &nan,
        ),
    );
    refused(
        &limited(&["simulate", MLP, "--inputs", s(&nan), "-o", s(&o)]),
        "value NaN",
    );
    // recorded outputs of the wrong shape
    let ok = put(
        "ok.npy",
        &npy_with_header(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 16), }",
            &[0; 32],
        ),
    );
    let rec = put(
        "rec.npy",
        &npy_with_header(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 3), }",
            &[0; 6],
        ),
    );
    refused(
        &limited(&[
            "compile",
            MLP,
            "--arch",
            "loihi",
            "-o",
            s(&dir.path().join("x.sfc")),
            "--inputs",
            s(&ok),
            "--recorded",
            s(&rec),
        ]),
        "10 output neurons",
    );
    // NaN and negative costs in an architecture file
    let loihi = std::fs::read_to_string(repo("examples/arch/loihi.ron")).unwrap();
    for (to, needle) in [
        ("energy_pj: NaN", "costs.synapse_dense.energy_pj is NaN"),
        ("energy_pj: -35.5", "costs.synapse_dense.energy_pj is -35.5"),
        ("energy_pj: inf", "costs.synapse_dense.energy_pj is inf"),
    ] {
        let a = put("a.ron", loihi.replacen("energy_pj: 35.5", to, 1).as_bytes());
        refused(
            &compile_to(MLP, s(&a), s(&dir.path().join("x.sfc"))),
            needle,
        );
    }
    // cochlea settings
    let word = repo("examples/audio/neuromorphic.wav");
    for (flag, value, needle) in [
        ("--rate", "1e30", "rate is 1000000000000000000000000000000"),
        ("--frame", "inf", "frame is inf"),
        ("--dt", "1e-9", "not between one sample"),
        ("--dt", "0.0001234", "whole number of samples"),
        ("--kernels", "100000", "kernels is 100000"),
    ] {
        refused(&limited(&["cochlea", s(&word), flag, value]), needle);
    }
    // sweep bit widths that used to wrap modulo 256
    refused(
        &limited(&[
            "sweep",
            "--vary",
            "weight_bits=260",
            "--out",
            s(&dir.path().join("sw")),
        ]),
        "'260' is not a valid weight_bits",
    );
    // an empty network
    let empty = put(
        "empty.ron",
        b"(name: \"empty\", dt: 0.001, inputs: [(name: \"in\", size: 2)], populations: [], projections: [], outputs: [])",
    );
    refused(
        &compile_to(s(&empty), "fpga-small", s(&dir.path().join("e.sfc"))),
        "nothing to compile",
    );
    // a spike file that lists an event twice
    let dup = put("dup.csv", b"timestep,channel\n0,1\n2,3\n0,1\n");
    refused(
        &limited(&[
            "run",
            DEMO,
            "--input",
            s(&dup),
            "--out",
            s(&dir.path().join("r")),
        ]),
        "(t=0, channel=1) is listed more than once",
    );
}

// ---- 6. interrupted and failed writes ----

fn tree(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_killed_run_leaves_the_previous_output_whole_and_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let base = ["run", DEMO, "--input", INPUT, "--out"];
    let mut args: Vec<&str> = base.to_vec();
    args.push(s(&out));
    let first = limited(&args);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let report = std::fs::read(out.join("report.json")).unwrap();
    let files = tree(&out);
    for signal in ["KILL", "TERM", "INT"] {
        // A long run, killed while it works.
        let mut child = Command::new(env!("CARGO_BIN_EXE_spikefab"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "run",
                DEMO,
                "--input",
                INPUT,
                "--steps",
                "4000000",
                "--out",
                s(&out),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill it while it works: once its staging folder exists, plus a little.
        let staging = || {
            tree(dir.path())
                .iter()
                .any(|n| n.starts_with(".run.staging-"))
        };
        let started = std::time::Instant::now();
        while !staging() && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(staging(), "{signal}: the run never started writing");
        std::thread::sleep(Duration::from_millis(100));
        // bash's builtin kill: no dependence on procps being installed
        let k = Command::new("bash")
            .arg("-c")
            .arg(format!("kill -{signal} {}", child.id()))
            .status()
            .unwrap();
        assert!(k.success());
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "{signal}: the run finished before it was killed"
        );
        assert_eq!(
            std::fs::read(out.join("report.json")).unwrap(),
            report,
            "{signal}"
        );
        assert_eq!(tree(&out), files, "{signal}");
        let left = tree(dir.path());
        if signal == "KILL" {
            // Nothing runs to clean up after SIGKILL: the staging folder stays
            // hidden beside the output until the next command for it.
            assert!(
                left.iter().any(|n| n.starts_with(".run.staging-")),
                "{left:?}"
            );
            let again = limited(&args);
            assert!(again.status.success(), "{}", text(&again.stderr));
        }
        assert_eq!(tree(dir.path()), vec!["run".to_string()], "{signal}");
    }
}

#[test]
fn a_failed_write_leaves_no_partial_or_temporary_files() {
    // A disk that fills up mid-run, made with a file-size limit (and SIGXFSZ
    // ignored, so the write fails with an error as on a full disk).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 16; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_spikefab"))
        .args(["run", DEMO, "--input", INPUT, "--out", s(&out)])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    refused(&o, "File too large");
    assert_eq!(
        tree(dir.path()),
        Vec::<String>::new(),
        "nothing is left behind"
    );
    // the same for a single file
    let sfc = dir.path().join("p.sfc");
    let o = Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 1; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_spikefab"))
        .args(["compile", MLP, "--arch", "loihi", "-o", s(&sfc)])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    refused(&o, "File too large");
    assert_eq!(
        tree(dir.path()),
        Vec::<String>::new(),
        "nothing is left behind"
    );
}

#[test]
fn exports_refuse_a_used_folder_unless_forced_and_replace_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fpga");
    let export = |extra: &[&str]| {
        let mut a = vec!["export-hdl", DEMO, "-o", s(&out), "--steps", "20"];
        a.extend_from_slice(extra);
        limited(&a)
    };
    assert!(export(&[]).status.success());
    std::fs::write(out.join("stale.txt"), "from an older export").unwrap();
    refused(&export(&[]), "pass --force");
    let o = export(&["--force"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        !out.join("stale.txt").exists(),
        "a forced export replaces the folder whole"
    );
    // a folder spikefab did not write is never replaced, even with --force
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("thesis.tex"), "precious").unwrap();
    let o = limited(&["export-hdl", DEMO, "-o", s(&mine), "--force"]);
    refused(&o, "not a previous 'spikefab export-hdl' output");
    assert!(mine.join("thesis.tex").exists());
}

#[test]
fn a_sweep_records_each_point_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let args = [
        "sweep",
        "--vary",
        "preset=fpga-small,xylo",
        "--threads",
        "2",
        "--out",
        s(&out),
    ];
    let o = limited(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let journal = std::fs::read_to_string(out.join("points.jsonl")).unwrap();
    assert_eq!(journal.lines().count(), 2);
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    // Drop one point, as if the run had been killed after the first: the
    // rerun computes only the missing one and writes the same table.
    let first = journal.lines().next().unwrap();
    std::fs::write(out.join("points.jsonl"), format!("{first}\n")).unwrap();
    let o = limited(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("1 resumed"), "{}", text(&o.stdout));
    assert_eq!(std::fs::read_to_string(out.join("sweep.csv")).unwrap(), csv);
    // another grid in the same folder is refused rather than mixed
    let other = limited(&["sweep", "--vary", "preset=loihi", "--out", s(&out)]);
    refused(&other, "holds a different sweep");
}

// ---- 7. careless usage ----

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net.ron");
    std::fs::copy(repo(MLP), &net).unwrap();
    let before = std::fs::read(&net).unwrap();
    refused(
        &compile_to(s(&net), "loihi", s(&net)),
        "would overwrite the input",
    );
    assert_eq!(std::fs::read(&net).unwrap(), before);
    let wav = dir.path().join("w.wav");
    std::fs::copy(repo("examples/audio/neuromorphic.wav"), &wav).unwrap();
    refused(
        &limited(&["cochlea", s(&wav), "--reconstruct", s(&wav)]),
        "would overwrite the input",
    );
    // an output folder holding the input
    let run_dir = dir.path().join("r");
    let o = limited(&["run", DEMO, "--input", INPUT, "--out", s(&run_dir)]);
    assert!(o.status.success());
    refused(
        &limited(&[
            "run",
            DEMO,
            "--input",
            s(&run_dir.join("spikes.aer")),
            "--out",
            s(&run_dir),
        ]),
        "would overwrite the input",
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "\"$0\" run {DEMO} --input {INPUT} --out \"$1\" --per-step --json | head -c 10 > /dev/null; echo \"status ${{PIPESTATUS[0]}}\""
        ))
        .arg(env!("CARGO_BIN_EXE_spikefab"))
        .arg(tempfile::tempdir().unwrap().path().join("r"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
    assert!(text(&o.stdout).contains("status 0"), "{}", text(&o.stdout));
}

#[test]
fn progress_reaches_a_log_file_and_per_step_records_are_opt_in() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = limited(&["run", DEMO, "--input", INPUT, "--out", s(&out)]);
    assert!(o.status.success());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["per_step"].as_array().unwrap().len(), 0);
    let total = report["latency"]["total_ns"].as_f64().unwrap();
    let o = limited(&[
        "run",
        DEMO,
        "--input",
        INPUT,
        "--out",
        s(&out),
        "--per-step",
    ]);
    assert!(o.status.success());
    let full: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let steps = full["per_step"].as_array().unwrap();
    assert_eq!(steps.len() as u64, full["steps"].as_u64().unwrap());
    // the totals do not depend on keeping the records, and equal their sum
    assert_eq!(full["latency"]["total_ns"].as_f64().unwrap(), total);
    let sum: f64 = steps
        .iter()
        .map(|r| r["latency_ns"].as_f64().unwrap())
        .sum();
    assert!((sum - total).abs() <= 1e-9 * total, "{sum} vs {total}");
    // stderr is a pipe here, not a terminal: a run logs plain progress lines
    // (every 10 s by default; every millisecond here)
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KB}; SPIKEFAB_PROGRESS_EVERY=0.001 exec timeout -s KILL {SECONDS} \"$@\""))
        .arg("spikefab")
        .arg(env!("CARGO_BIN_EXE_spikefab"))
        .args(["run", DEMO, "--input", INPUT, "--out", s(&out), "--steps", "200000"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("emulating (steps): "), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no terminal control sequences in a log: {err:?}"
    );
    // --quiet silences it
    let o = limited(&["--quiet", "run", DEMO, "--input", INPUT, "--out", s(&out)]);
    assert!(o.status.success() && o.stdout.is_empty() && o.stderr.is_empty());
}

/// A drawn projection is a few bytes asking for up to 2³¹ synapses: one
/// that cannot be compiled within the process's memory (here `ulimit -v`
/// 3 GB) is refused by name before a row is drawn; a small one compiles
/// under the same limit.
#[test]
fn a_drawn_network_larger_than_memory_is_refused_before_it_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let network = |size: usize, out_degree: u32| {
        format!(
            r#"(name: "drawn", dt: 0.001, inputs: [(name: "in", size: 1000)],
                populations: [(name: "p", size: {size},
                    neuron: Lif(beta: 0.9, threshold: 1.0, bias: 0.0))],
                projections: [(from: "in", to: "p", weights: FixedOutDegree(
                    targets: {size}, sources: 1000, out_degree: {out_degree},
                    low: 0.0, high: 0.5, seed: 3))],
                outputs: ["p"])"#
        )
    };
    let out = dir.path().join("p.sfc");
    let huge = write_in(
        dir.path(),
        "huge.ron",
        network(1_000_000, 2_000_000).as_bytes(),
    );
    let o = compile_to(s(&huge), "loihi", s(&out));
    refused(&o, "drawn projections ask for 2000000000 synapses");
    assert!(!out.exists());
    let small = write_in(dir.path(), "small.ron", network(2_000, 100).as_bytes());
    let o = compile_to(s(&small), "loihi", s(&out));
    assert!(o.status.success(), "{}", text(&o.stderr));
}
