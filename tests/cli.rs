//! End-to-end tests through the `spikefab` binary, as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::npy_with_header;

fn spikefab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spikefab"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// A failed command: non-zero exit, an error line naming `needle`, and no panic.
fn assert_clean_failure(o: &Output, needle: &str) {
    let err = text(&o.stderr);
    assert!(
        !o.status.success(),
        "expected failure, stdout: {}",
        text(&o.stdout)
    );
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "expected '{needle}' in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

const DEMO: &str = "examples/programs/demo.ron";
const INPUT: &str = "examples/spikes/demo_input.aer";

#[test]
fn arch_list_and_show() {
    let o = spikefab(&["arch", "list"]);
    assert!(o.status.success());
    let out = text(&o.stdout);
    for name in ["loihi", "truenorth", "xylo", "fpga-small"] {
        assert!(out.contains(name), "{out}");
    }
    let o = spikefab(&["arch", "show", "loihi"]);
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("SANA-FE"));
    assert_clean_failure(&spikefab(&["arch", "show", "nosuchchip"]), "nosuchchip");
}

#[test]
fn thread_count_does_not_change_any_output_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = spikefab(&[
            "run",
            repo(DEMO).to_str().unwrap(),
            "--input",
            repo(INPUT).to_str().unwrap(),
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert!(text(&o.stdout).contains("energy / inference"));
        outs.push(out);
    }
    for f in ["spikes.npy", "spikes.aer", "report.json"] {
        let a = std::fs::read(outs[0].join(f)).unwrap();
        assert!(a.len() > 100, "{f} is suspiciously small");
        for o in &outs[1..] {
            assert_eq!(
                a,
                std::fs::read(o.join(f)).unwrap(),
                "{f} differs between thread counts"
            );
        }
    }
    for f in ["host.json", "raster.svg", "energy.svg", "utilization.svg"] {
        assert!(outs[0].join(f).exists(), "{f} missing");
    }
}

#[test]
fn json_flag_prints_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let o = spikefab(&[
        "run",
        repo(DEMO).to_str().unwrap(),
        "--input",
        repo(INPUT).to_str().unwrap(),
        "--steps",
        "50",
        "--json",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["steps"], 50);
    assert!(
        v["neurobench"]["synaptic_operations"]["Eff_ACs"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn malformed_spike_files_are_rejected_without_panic() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage.npy", b"this is not numpy".to_vec(), "garbage.npy"),
        (
            "one_d.npy",
            npy_with_header(
                "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }",
                &[0, 1, 0, 1],
            ),
            "2 dimensions",
        ),
        (
            "two.npy",
            npy_with_header(
                "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }",
                &[0, 2, 0, 1],
            ),
            "not 0 or 1",
        ),
        (
            "short.npy",
            npy_with_header(
                "{'descr': '<f8', 'fortran_order': False, 'shape': (20, 16), }",
                &[0; 40],
            ),
            "truncated",
        ),
        (
            "complex.npy",
            npy_with_header(
                "{'descr': '<c16', 'fortran_order': False, 'shape': (1, 1), }",
                &[0; 16],
            ),
            "is not supported",
        ),
        (
            "truncated.aer",
            std::fs::read(repo(INPUT)).unwrap()[..50].to_vec(),
            "bytes follow the header",
        ),
        (
            "magic.aer",
            b"RIFF\x00\x00\x00\x00WAVEfmt plus enough bytes here".to_vec(),
            "magic",
        ),
        (
            "bad.csv",
            b"timestep,channel\n1,2\n3,-4\n".to_vec(),
            "line 3",
        ),
    ];
    for (name, bytes, needle) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let o = spikefab(&[
            "run",
            repo(DEMO).to_str().unwrap(),
            "--input",
            path.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ]);
        assert_clean_failure(&o, needle);
        assert_clean_failure(&o, name);
    }
}

#[test]
fn a_program_that_exceeds_its_arch_is_rejected_naming_core_and_resource() {
    let dir = tempfile::tempdir().unwrap();
    let text_prog = std::fs::read_to_string(repo(DEMO)).unwrap();
    let small = text_prog.replacen("max_neurons: 1024", "max_neurons: 48", 1);
    assert_ne!(small, text_prog);
    let path = dir.path().join("too_big.ron");
    std::fs::write(&path, small).unwrap();
    let o = spikefab(&[
        "run",
        path.to_str().unwrap(),
        "--input",
        repo(INPUT).to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_clean_failure(
        &o,
        "core 0 exceeds the 'loihi' capacity for compartments (somas and dendritic branches): uses 64, the core has 48",
    );
}

#[test]
fn input_with_more_channels_than_ports_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.csv");
    std::fs::write(&path, "timestep,channel\n0,99\n").unwrap();
    let o = spikefab(&[
        "run",
        repo(DEMO).to_str().unwrap(),
        "--input",
        path.to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_clean_failure(&o, "100 channels, but the program has 16 input ports");
}

#[test]
fn inspect_summarizes_programs_arches_spikes_and_reports() {
    let o = spikefab(&["inspect", repo(DEMO).to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("4 cores, 256 neurons"),
        "{}",
        text(&o.stdout)
    );
    let o = spikefab(&["inspect", repo("examples/arch/xylo.ron").to_str().unwrap()]);
    assert!(
        text(&o.stdout).contains("1008 neurons"),
        "{}",
        text(&o.stdout)
    );
    let o = spikefab(&["inspect", repo(INPUT).to_str().unwrap()]);
    assert!(
        text(&o.stdout).contains("16 channels, 200 steps"),
        "{}",
        text(&o.stdout)
    );
    assert_clean_failure(&spikefab(&["inspect", "Cargo.toml"]), "Cargo.toml");
    let o = spikefab(&["inspect", repo("examples/kws/kws.nir").to_str().unwrap()]);
    assert!(
        text(&o.stdout).contains("LIF ×2") && text(&o.stdout).contains("outputs: lif2"),
        "{}",
        text(&o.stdout)
    );
    let o = spikefab(&[
        "inspect",
        repo("examples/networks/mlp.ron").to_str().unwrap(),
    ]);
    assert!(
        text(&o.stdout).contains("network 'mlp-16-64-10'"),
        "{}",
        text(&o.stdout)
    );
    let o = spikefab(&[
        "inspect",
        repo("examples/audio/neuromorphic.wav").to_str().unwrap(),
    ]);
    assert!(text(&o.stdout).contains("16000 Hz"), "{}", text(&o.stdout));
}

#[test]
fn demo_runs_the_spoken_digit_pipeline_and_writes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let o = spikefab(&["demo", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    for chip in ["float reference", "loihi", "truenorth", "fpga-small"] {
        assert!(stdout.contains(chip), "{stdout}");
    }
    // the time-delay model does not fit a chip without delays, and the demo says why
    assert!(
        stdout.contains("xylo             does not fit:") && stdout.contains("core.max_delay"),
        "{stdout}"
    );
    assert!(
        stdout.contains("100 clips from 10 held-out espeak-ng voices and 100 from festival"),
        "{stdout}"
    );
    for f in [
        "kws_loihi.sfc",
        "kws_truenorth.sfc",
        "kws_fpga-small.sfc",
        "cochleagram.svg",
        "loihi/report.json",
        "loihi/raster.svg",
        "truenorth/energy.svg",
        "fpga/README.md",
        "fpga/rtl/snn_core.v",
    ] {
        assert!(out.join(f).exists(), "demo did not write {f}");
    }
    if !stdout.contains("install iverilog") {
        assert!(
            stdout.contains("co-simulation") && stdout.contains("PASS"),
            "{stdout}"
        );
    }
}

#[test]
fn sweep_writes_csv_and_pareto_plot() {
    let dir = tempfile::tempdir().unwrap();
    let o = spikefab(&[
        "sweep",
        "--vary",
        "weight_bits=3..5",
        "--vary",
        "rate=500,1000",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let csv = std::fs::read_to_string(dir.path().join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3 * 2, "{csv}");
    assert!(
        csv.starts_with("weight_bits,rate,accuracy,energy_pj,latency_ns"),
        "{csv}"
    );
    // more weight bits never cost accuracy on this model at the same rate
    let acc = |wb: &str, rate: &str| -> f64 {
        csv.lines()
            .find(|l| l.starts_with(&format!("{wb},{rate},")))
            .and_then(|l| l.split(',').nth(2)?.parse().ok())
            .unwrap()
    };
    assert!(acc("5", "1000") >= acc("3", "1000"), "{csv}");
    assert!(
        csv.lines().skip(1).any(|l| l.contains(",true,")),
        "no Pareto point: {csv}"
    );
    assert!(dir.path().join("pareto.svg").exists());
    assert_clean_failure(
        &spikefab(&["sweep", "--vary", "colour=1..2"]),
        "unknown parameter 'colour'",
    );
}

/// `--vary network=…`: other networks of the model folder on the same test
/// set; `synapses` is what each compiled program stores, and sweep.md is
/// the same table for the docs.
#[test]
fn sweeps_compare_the_networks_of_a_model_folder() {
    let dir = tempfile::tempdir().unwrap();
    let o = spikefab(&[
        "sweep",
        "--vary",
        "network=sparse/esl-100.nir,sparse/esl-10.nir",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let csv = std::fs::read_to_string(dir.path().join("sweep.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0][5], "synapses", "{csv}");
    let synapses = |r: usize| -> f64 { rows[r][5].parse().unwrap() };
    assert!(
        rows.len() == 3 && rows[2][0] == "sparse/esl-10.nir",
        "{csv}"
    );
    let ratio = synapses(2) / synapses(1);
    assert!((0.08..0.11).contains(&ratio), "{ratio}: {csv}");
    let md = std::fs::read_to_string(dir.path().join("sweep.md")).unwrap();
    assert!(
        md.lines().count() == 4 && md.contains("| sparse/esl-10.nir |"),
        "{md}"
    );
}

const WORD: &str = "examples/audio/neuromorphic.wav";

#[test]
fn cochlea_encodes_reconstructs_and_feeds_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    let o = spikefab(&[
        "cochlea",
        repo(WORD).to_str().unwrap(),
        "-o",
        &d("w.npy"),
        "--plot",
        &d("cg.svg"),
        "--reconstruct",
        &d("rec.wav"),
        "--kernels-out",
        &d("k.npy"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("1171 spikes on 3840 channels"), "{out}");
    let snr: f64 = out
        .split("spikes alone: ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(snr >= 15.0, "{out}");
    for f in ["w.npy", "cg.svg", "rec.wav", "k.npy"] {
        assert!(dir.path().join(f).exists(), "{f}");
    }
    let o = spikefab(&["inspect", &d("w.npy")]);
    assert!(
        text(&o.stdout).contains("1171 events, 3840 channels"),
        "{}",
        text(&o.stdout)
    );

    // A small place code (4 kernels × 2 signs × 2 levels = 16 channels) at 1 ms
    // steps feeds the 16-input demo program directly.
    let o = spikefab(&[
        "cochlea",
        repo(WORD).to_str().unwrap(),
        "-o",
        &d("small.aer"),
        "--kernels",
        "4",
        "--levels",
        "2",
        "--dt",
        "0.001",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = spikefab(&[
        "run",
        repo(DEMO).to_str().unwrap(),
        "--input",
        &d("small.aer"),
        "--out",
        &d("run"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // 18,742 samples in steps of 16 samples
    assert!(
        text(&o.stdout).contains("1172 steps of 1 ms"),
        "{}",
        text(&o.stdout)
    );

    // Audio straight into run goes through the default cochlea, whose 3840
    // channels do not fit the demo's 16 input ports: a clear error.
    let o = spikefab(&[
        "run",
        repo(DEMO).to_str().unwrap(),
        "--input",
        repo(WORD).to_str().unwrap(),
        "--out",
        &d("run2"),
    ]);
    assert_clean_failure(&o, "3840 channels, but the program has 16 input ports");
}

#[test]
fn cochlea_filterbank_mode_and_bad_audio() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fb.aer");
    let o = spikefab(&[
        "cochlea",
        repo(WORD).to_str().unwrap(),
        "--mode",
        "filterbank",
        "--kernels",
        "32",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("on 32 channels"),
        "{}",
        text(&o.stdout)
    );
    let o = spikefab(&[
        "cochlea",
        repo(WORD).to_str().unwrap(),
        "--mode",
        "filterbank",
        "--reconstruct",
        dir.path().join("x.wav").to_str().unwrap(),
    ]);
    assert_clean_failure(&o, "--reconstruct needs --mode spiketrum");

    let bad = dir.path().join("bad.wav");
    std::fs::write(&bad, &std::fs::read(repo(WORD)).unwrap()[..60]).unwrap();
    assert_clean_failure(&spikefab(&["cochlea", bad.to_str().unwrap()]), "bad.wav");
    let txt = dir.path().join("text.wav");
    std::fs::write(&txt, "not audio").unwrap();
    assert_clean_failure(
        &spikefab(&["cochlea", txt.to_str().unwrap()]),
        "not a readable WAV file",
    );
}

#[test]
fn compile_then_run_a_ron_network() {
    let dir = tempfile::tempdir().unwrap();
    let prog = dir.path().join("mlp.sfc");
    let report = dir.path().join("compile.json");
    let o = spikefab(&[
        "compile",
        repo("examples/networks/mlp.ron").to_str().unwrap(),
        "--arch",
        "loihi",
        "-o",
        prog.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("1 of 128 cores"),
        "{}",
        text(&o.stdout)
    );
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["layers"][0]["name"], "hidden");
    assert_eq!(r["output_latency_steps"], 2);
    let o = spikefab(&[
        "run",
        prog.to_str().unwrap(),
        "--input",
        repo(INPUT).to_str().unwrap(),
        "--out",
        dir.path().join("run").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));

    // A network that names a missing layer, and one too large for the chip.
    let bad = dir.path().join("bad.ron");
    let net = std::fs::read_to_string(repo("examples/networks/mlp.ron")).unwrap();
    std::fs::write(&bad, net.replacen("from: \"hidden\"", "from: \"hiddn\"", 1)).unwrap();
    assert_clean_failure(
        &spikefab(&[
            "compile",
            bad.to_str().unwrap(),
            "--arch",
            "loihi",
            "-o",
            prog.to_str().unwrap(),
        ]),
        "no input or population is called 'hiddn'",
    );
    let big = dir.path().join("big.ron");
    std::fs::write(
        &big,
        net.replacen("size: 64,", "size: 1200,", 1)
            .replace("targets: 64,", "targets: 1200,")
            .replacen("sources: 64,", "sources: 1200,", 2),
    )
    .unwrap();
    assert_clean_failure(
        &spikefab(&[
            "compile",
            big.to_str().unwrap(),
            "--arch",
            "xylo",
            "-o",
            prog.to_str().unwrap(),
        ]),
        "'hidden'",
    );
}

#[test]
fn compile_nir_with_sample_inputs_reports_fidelity_and_simulate_matches_snntorch() {
    let dir = tempfile::tempdir().unwrap();
    let d = |f: &str| {
        repo(&format!("compiler/tests/data/{f}"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let report = dir.path().join("r.json");
    let o = spikefab(&[
        "compile",
        &d("synaptic_mlp.nir"),
        "--from",
        "snntorch",
        "--arch",
        "loihi",
        "-o",
        dir.path().join("p.sfc").to_str().unwrap(),
        "--inputs",
        &d("synaptic_mlp_input.npy"),
        "--recorded",
        &d("synaptic_mlp_output.npy"),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("on 64 sample inputs"),
        "{}",
        text(&o.stdout)
    );
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let f = &r["fidelity"];
    assert_eq!(f["samples"], 64);
    assert!(
        f["decision_agreement_vs_recorded"].as_f64().unwrap() >= 0.95,
        "{f}"
    );
    assert!(f["spike_agreement_vs_float"].as_f64().unwrap() > 0.8, "{f}");

    // The float reference with snnTorch's semantics writes snnTorch's own spikes.
    let sim = dir.path().join("sim.npy");
    let o = spikefab(&[
        "simulate",
        &d("synaptic_mlp.nir"),
        "--from",
        "snntorch",
        "--inputs",
        &d("synaptic_mlp_input.npy"),
        "--semantics",
        "snntorch",
        "-o",
        sim.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let ours = std::fs::read(&sim).unwrap();
    let theirs = std::fs::read(d("synaptic_mlp_output.npy")).unwrap();
    let n = 64 * 40 * 5;
    assert_eq!(ours[ours.len() - n..], theirs[theirs.len() - n..]);

    assert_clean_failure(
        &spikefab(&[
            "compile",
            &d("unsupported_node.nir"),
            "--from",
            "snntorch",
            "--arch",
            "loihi",
            "-o",
            dir.path().join("x.sfc").to_str().unwrap(),
        ]),
        "Izhikevich",
    );
}

#[test]
fn export_hdl_writes_the_folder_and_cosimulates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fpga");
    let o = spikefab(&[
        "export-hdl",
        repo(DEMO).to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--steps",
        "40",
        "--cosim",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("block-RAM estimate"), "{stdout}");
    if stdout.contains("co-simulation skipped") {
        eprintln!("!!! iverilog missing: the CLI co-simulation was skipped !!!");
    } else {
        assert!(stdout.contains("PASS"), "{stdout}");
    }
    for f in [
        "README.md",
        "manifest.json",
        "rtl/snn_core.v",
        "rtl/snn_ram.v",
        "mem/core_0_outmap.mem",
        "mem/input_ptr.mem",
        "mem/input_routes.mem",
        "rtl/snn_top.v",
        "rtl/snn_params.vh",
        "rtl/snn_params_pkg.sv",
        "mem/core_0_neurons.mem",
        "mem/core_3_routes.mem",
        "vivado/core_0_synapses.coe",
        "quartus/core_0_synapses.mif",
        "tb/tb_snn_top.sv",
        "tb/stimulus.mem",
        "tb/expected_spikes.txt",
        "tb/run_iverilog.sh",
    ] {
        assert!(out.join(f).exists(), "missing {f}");
    }
    let o = spikefab(&[
        "export-hdl",
        repo(DEMO).to_str().unwrap(),
        "-o",
        dir.path().join("x").to_str().unwrap(),
        "--formats",
        "mem,vhdl",
    ]);
    assert_clean_failure(&o, "unknown memory format 'vhdl'");
}

#[test]
fn kernels_out_matches_the_gammatone_package_at_other_settings() {
    let dir = tempfile::tempdir().unwrap();
    let k = dir.path().join("k.npy");
    let o = spikefab(&[
        "cochlea",
        repo(WORD).to_str().unwrap(),
        "--fs",
        "8000",
        "--kernels",
        "16",
        "--f-lo",
        "100",
        "--kernels-out",
        k.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let read = |p: &Path| {
        let b = std::fs::read(p).unwrap();
        let npy = npyz::NpyFile::new(&b[..]).unwrap();
        let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
        (shape, npy.into_vec::<f64>().unwrap())
    };
    let (shape, ours) = read(&k);
    assert_eq!(shape, vec![16, 512]);
    // the package's fixture: [16, 1 + 512], centre frequency first, high to low, not normalised
    let (_, reference) = read(&repo("cochlea/tests/data/gammatone_8000_16_100_512.npy"));
    for row in 0..16 {
        let r = &reference[row * 513 + 1..(row + 1) * 513];
        let norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        let mine = &ours[(15 - row) * 512..(16 - row) * 512];
        let err = mine
            .iter()
            .zip(r)
            .map(|(a, b)| (a - b / norm).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-9, "kernel {row}: {err}");
    }
}

#[test]
fn sampled_headroom_needs_inputs_and_reports_its_room() {
    let dir = tempfile::tempdir().unwrap();
    let prog = dir.path().join("p.sfc");
    let d = |f: &str| repo(&format!("compiler/tests/data/{f}"));
    assert_clean_failure(
        &spikefab(&[
            "compile",
            repo("examples/networks/mlp.ron").to_str().unwrap(),
            "--arch",
            "loihi",
            "-o",
            prog.to_str().unwrap(),
            "--headroom",
            "sampled",
        ]),
        "--headroom sampled needs --inputs",
    );
    let o = spikefab(&[
        "compile",
        d("synaptic_mlp.nir").to_str().unwrap(),
        "--from",
        "snntorch",
        "--arch",
        "loihi",
        "-o",
        prog.to_str().unwrap(),
        "--inputs",
        d("synaptic_mlp_input.npy").to_str().unwrap(),
        "--headroom",
        "sampled",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("current room"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn an_alif_network_compiles_runs_and_is_costed_where_the_chip_has_alif() {
    let dir = tempfile::tempdir().unwrap();
    let net = repo("examples/networks/alif.ron");
    // `spikefab compile` of the example for `arch` into `out`.
    let compile = |arch: &str, out: &std::path::Path| {
        spikefab(&[
            "compile",
            net.to_str().unwrap(),
            "--arch",
            arch,
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let prog = dir.path().join("alif.sfc");
    let o = compile("loihi", &prog);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // `spikefab run` of the program on the demo input into `out`, with `extra` flags.
    let input = repo(INPUT);
    let run_into = |out: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "run",
            prog.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        spikefab(&args)
    };
    let run_dir = dir.path().join("run");
    let o = run_into(&run_dir, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("report.json")).unwrap()).unwrap();
    let updates = r["totals"]["threshold_updates"].as_u64().unwrap();
    assert!(
        updates > 0 && updates == r["totals"]["active_neuron_updates"].as_u64().unwrap(),
        "every active ALIF update adapts its threshold: {}",
        r["totals"]
    );
    // Probes: the threshold's adaptive part rises at a spike and relaxes,
    // byte-identical for any thread count.
    let mut files = Vec::new();
    for threads in ["1", "2"] {
        let d = dir.path().join(format!("probe{threads}"));
        let probes = [
            "--threads",
            threads,
            "--probe",
            "alif:2..6=v,a",
            "--probe",
            "alif:9=u",
        ];
        let o = run_into(&d, &probes);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let names = [
            "probe_1_v.npy",
            "probe_1_a.npy",
            "probe_2_u.npy",
            "probes.json",
        ];
        files.push(names.map(|f| std::fs::read(d.join(f)).unwrap()));
    }
    assert_eq!(files[0], files[1]);
    let a = npyz::NpyFile::new(&files[0][1][..]).unwrap();
    assert_eq!(a.shape(), &[200, 4]);
    let a: Vec<i32> = a.into_vec().unwrap();
    assert!(
        a.iter().all(|&x| x >= 0) && a.iter().any(|&x| x > 0),
        "{a:?}"
    );
    let rises = (4..a.len()).filter(|&i| a[i] > a[i - 4]).count();
    let falls = (4..a.len()).filter(|&i| a[i] < a[i - 4]).count();
    assert!(
        rises > 5 && falls > 5,
        "a must rise at spikes and relax: {rises} {falls}"
    );
    let bad = dir.path().join("bad");
    assert_clean_failure(&run_into(&bad, &["--probe", "alif\u{1b}[2J=v"]), "no layer");
    assert_clean_failure(
        &run_into(&bad, &["--probe", "alif=theta"]),
        "whose state is u, v, a",
    );
    assert!(!bad.exists(), "a refused run writes nothing");
    // A chip without ALIF refuses it, naming the layer.
    assert_clean_failure(&compile("xylo", &dir.path().join("x.sfc")), "layer 'alif'");
    // fpga-small's RTL has the ALIF block: export and co-simulate.
    let fpga = dir.path().join("alif-fpga.sfc");
    let o = compile("fpga-small", &fpga);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let hdl = dir.path().join("hdl");
    let args = [
        "export-hdl",
        fpga.to_str().unwrap(),
        "--out",
        hdl.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--steps",
        "40",
        "--cosim",
    ];
    let o = spikefab(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    if stdout.contains("co-simulation skipped") {
        eprintln!("!!! iverilog missing: the ALIF co-simulation was skipped !!!");
    } else {
        assert!(stdout.contains("PASS"), "{stdout}");
    }
    assert!(hdl.join("rtl/models/snn_alif.v").exists());
}

#[test]
fn scheduled_examples_compile_run_and_count_their_table_reads() {
    let dir = tempfile::tempdir().unwrap();
    for (name, also_adapts) in [("celif", true), ("stdi", false)] {
        let net = repo(&format!("examples/networks/{name}.ron"));
        let prog = dir.path().join(format!("{name}.sfc"));
        let o = spikefab(&[
            "compile",
            net.to_str().unwrap(),
            "--arch",
            "loihi",
            "-o",
            prog.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let out = dir.path().join(format!("{name}-run"));
        let o = spikefab(&[
            "run",
            prog.to_str().unwrap(),
            "--input",
            repo(INPUT).to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
        let t = &r["totals"];
        let active = t["active_neuron_updates"].as_u64().unwrap();
        // Every neuron of these networks is in a scheduled group.
        assert!(
            active > 0 && t["schedule_lookups"].as_u64() == Some(active),
            "{t}"
        );
        assert_eq!(
            t["threshold_updates"].as_u64() == Some(active),
            also_adapts,
            "{name}: {t}"
        );
        // A chip without schedule memory refuses, naming the layer.
        let o = spikefab(&[
            "compile",
            net.to_str().unwrap(),
            "--arch",
            "truenorth",
            "-o",
            dir.path().join("x.sfc").to_str().unwrap(),
        ]);
        assert_clean_failure(&o, &format!("'{name}'"));
    }
}

#[test]
fn sweeps_vary_a_layers_model_and_conversion_inputs_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = spikefab(&[
        "sweep",
        "--vary",
        "model=lif1:lif,lif1:alif,lif1:if",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    for m in ["lif1:lif", "lif1:alif", "lif1:if"] {
        assert!(csv.contains(m), "{csv}");
    }
    // noise: a layer's input noise, on a chip with a noise generator
    let o = spikefab(&[
        "sweep",
        "--vary",
        "noise=lif1:0,lif1:0.1",
        "--out",
        dir.path().join("noise").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let csv = std::fs::read_to_string(dir.path().join("noise/sweep.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(
        rows.len() == 3 && rows[2].starts_with("lif1:0.1,0.") && rows[2].ends_with(','),
        "{csv}"
    );
    // branches: a layer's dendritic branch count (0: point neurons); the
    // trained point network loses accuracy when split untrained (the cap
    // bites), and pays for its branches
    let o = spikefab(&[
        "sweep",
        "--vary",
        "branches=lif1:0,lif1:2",
        "--out",
        dir.path().join("branches").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let csv = std::fs::read_to_string(dir.path().join("branches/sweep.csv")).unwrap();
    let energy = |row: &str| -> f64 { row.split(',').nth(2).unwrap().parse().unwrap() };
    let rows: Vec<&str> = csv.lines().collect();
    assert!(
        rows.len() == 3 && rows[2].starts_with("lif1:2,") && energy(rows[2]) > energy(rows[1]),
        "{csv}"
    );
    for (vary, needle) in [
        ("branches=lif1:17", "not a valid branches"),
        ("branches=nosuch:2", "no layer 'nosuch'"),
        ("model=nosuch:alif", "no layer 'nosuch'"),
        ("model=lif1:hh", "not a valid model"),
        ("noise=lif1:-1", "not a valid noise"),
        ("noise=nosuch:0.1", "no layer 'nosuch'"),
        ("network=../kws/kws.nir", "not a valid network"),
        ("network=/etc/passwd", "not a valid network"),
        ("network=sparse/none.nir", "sparse/none.nir"),
    ] {
        let out = dir.path().join("refused");
        let o = spikefab(&["sweep", "--vary", vary, "--out", out.to_str().unwrap()]);
        assert_clean_failure(&o, needle);
    }
    // convert: labels that are not classes, data outside [0, 1]
    let tasks = |f: &str| repo(&format!("compiler/tests/data/tasks/{f}"));
    let bad_labels = dir.path().join("labels.npy");
    use npyz::WriterBuilder;
    let mut y = npyz::WriteOptions::<i64>::new()
        .default_dtype()
        .shape(&[1797])
        .writer(std::fs::File::create(&bad_labels).unwrap())
        .begin_nd()
        .unwrap();
    for i in 0..1797i64 {
        y.push(&(if i == 5 { 12 } else { 1 })).unwrap();
    }
    y.finish().unwrap();
    let convert = |labels: &std::path::Path, scale: &str| {
        spikefab(&[
            "convert",
            tasks("digits_cnn.nir").to_str().unwrap(),
            "--data",
            tasks("digits_pixels.npy").to_str().unwrap(),
            "--labels",
            labels.to_str().unwrap(),
            "--scale",
            scale,
            "--timesteps",
            "2",
        ])
    };
    assert_clean_failure(&convert(&bad_labels, "16"), "label 12 at 5 is not a class");
    assert_clean_failure(&convert(&tasks("digits_labels.npy"), "4"), "outside [0, 4]");
    let o = convert(&tasks("digits_labels.npy"), "16");
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("| STDI | 2 | 6 |"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn a_noisy_network_compiles_with_inputs_and_its_rates_are_compared() {
    let dir = tempfile::tempdir().unwrap();
    // 8 samples of 40 steps on 16 channels, every 5th cell a spike
    let inputs = dir.path().join("in.npy");
    {
        use npyz::WriterBuilder;
        let mut w = npyz::WriteOptions::<u8>::new()
            .default_dtype()
            .shape(&[8, 40, 16])
            .writer(std::fs::File::create(&inputs).unwrap())
            .begin_nd()
            .unwrap();
        for k in 0..8 * 40 * 16u32 {
            w.push(&u8::from(k % 5 == 0)).unwrap();
        }
        w.finish().unwrap();
    }
    let o = spikefab(&[
        "compile",
        repo("examples/networks/noisy.ron").to_str().unwrap(),
        "--arch",
        "loihi",
        "-o",
        dir.path().join("n.sfc").to_str().unwrap(),
        "--inputs",
        inputs.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let line = out
        .lines()
        .find(|l| l.contains("output rate"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("noisy"), "{line}");
    let rates: Vec<f64> = line
        .split_whitespace()
        .filter_map(|w| w.trim_end_matches(',').parse().ok())
        .collect();
    assert!(rates.len() == 2 && rates[0] > 0.05, "{line}");
    assert!((rates[0] - rates[1]).abs() < 0.1 * rates[1], "{line}");
}

/// The plastic example learns wherever it compiles: on `loihi` and on the
/// reference RTL's chip the report counts weight and trace updates and
/// their energy, and the run's summary says what learning cost.
#[test]
fn the_plastic_example_learns_on_loihi_and_fpga_small() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(repo("compiler/tests/data/tasks/hebbff_test_input_r3.npy")).unwrap();
    let rows = spikefab_chip::samples_from_npy(&bytes).unwrap().remove(0);
    let input = dir.path().join("items.npy");
    let stream = spikefab_chip::SpikeStream::from_rows(&rows[..100], 100, 1e-3).unwrap();
    std::fs::write(&input, stream.to_npy()).unwrap();
    for arch in ["loihi", "fpga-small"] {
        let prog = dir.path().join(format!("{arch}.sfc"));
        let o = spikefab(&[
            "compile",
            repo("examples/networks/hebbff.ron").to_str().unwrap(),
            "--arch",
            arch,
            "-o",
            prog.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{arch}: {}", text(&o.stderr));
        let out = dir.path().join(arch);
        let o = spikefab(&[
            "run",
            prog.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--snapshot-weights",
            "10",
        ]);
        assert!(o.status.success(), "{arch}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains("learning"), "{}", text(&o.stdout));
        // ten snapshots of 3200 weights, and the weight graph's modules in each
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("modularity.json")).unwrap()).unwrap();
        assert_eq!(m["edges"].as_u64(), Some(50 * 64));
        assert_eq!(m["nodes"].as_u64(), Some(50 + 65));
        for part in ["weights", "learned"] {
            let q = m[part]["modularity"].as_array().unwrap();
            assert_eq!(q.len(), 10, "{part}");
            assert!(q
                .iter()
                .all(|q| (-0.5..=1.0).contains(&q.as_f64().unwrap())));
            assert!(m[part]["modules"][0].as_u64().unwrap() >= 1);
        }
        for f in ["weights.npy", "weight_edges.npy", "modularity.svg"] {
            assert!(out.join(f).exists(), "{f}");
        }
        let r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
        // 50 × 64 plastic synapses, a weight update each every step
        assert_eq!(
            r["totals"]["learning_updates"].as_u64(),
            Some(50 * 64 * 100),
            "{arch}"
        );
        assert!(r["totals"]["trace_updates"].as_u64().unwrap() > 0, "{arch}");
        assert!(r["energy"]["learning_pj"].as_f64().unwrap() > 0.0, "{arch}");
    }
    // a snapshot every 0 steps is refused by name
    let o = spikefab(&[
        "run",
        dir.path().join("loihi.sfc").to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--out",
        dir.path().join("zero").to_str().unwrap(),
        "--snapshot-weights",
        "0",
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("snapshot_every"),
        "{}",
        text(&o.stderr)
    );
}

/// `compile --cluster-modules` packs hidden neurons by module: the program
/// differs, its output spikes do not.
#[test]
fn clustering_by_module_keeps_the_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    let rows: Vec<Vec<bool>> = (0..50u32)
        .map(|t| (0..16).map(|c| (t * 7 + c * 3) % 5 == 0).collect())
        .collect();
    let input = spikefab_chip::SpikeStream::from_rows(&rows, 50, 1e-3).unwrap();
    std::fs::write(d("in.npy"), input.to_npy()).unwrap();
    let mut outputs = Vec::new();
    for (name, extra) in [("plain", None), ("clustered", Some("--cluster-modules"))] {
        let prog = d(&format!("{name}.sfc"));
        let net = repo("examples/networks/mlp.ron");
        let mut args = vec![
            "compile",
            net.to_str().unwrap(),
            "--arch",
            "loihi",
            "-o",
            &prog,
        ];
        args.extend(extra);
        let o = spikefab(&args);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(text(&o.stdout).contains("modules:"), extra.is_some());
        let o = spikefab(&["run", &prog, "--input", &d("in.npy"), "--out", &d(name)]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        outputs.push((
            std::fs::read(d(&format!("{name}.sfc"))).unwrap(),
            std::fs::read(dir.path().join(name).join("spikes.npy")).unwrap(),
        ));
    }
    assert_ne!(outputs[0].0, outputs[1].0, "the hidden layer moved");
    assert_eq!(outputs[0].1, outputs[1].1, "the outputs did not");
}

/// `run --mpi` in a build without MPI says how to get one.
#[cfg(not(feature = "mpi"))]
#[test]
fn mpi_without_the_feature_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = spikefab(&[
        "run",
        repo(DEMO).to_str().unwrap(),
        "--input",
        repo(INPUT).to_str().unwrap(),
        "--mpi",
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert_clean_failure(&o, "--features mpi");
    assert!(!dir.path().join("x").exists());
}
