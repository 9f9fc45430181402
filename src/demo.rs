//! `spikefab demo`: the whole pipeline on the shipped defaults.
//!
//! Spoken digits from voices the model never heard (examples/kws/test) are
//! encoded by the cochlea, classified by a snnTorch-trained network
//! (examples/kws/kws.nir) compiled for four chips and emulated; the table
//! compares accuracy, energy and latency per inference with the float
//! reference. The fpga-small program is exported as HDL and, when Icarus
//! Verilog is installed, co-simulated on one clip.

use std::fmt::Write;
use std::path::Path;

use spikefab_chip::{Arch, SpikeStream};
use spikefab_cochlea::{Audio, Cochlea};

use crate::kws;
use crate::output::{Previous, Staged};
use crate::progress::{Mode, Progress};
use crate::run::{run_and_write, RunOptions};
use crate::summary::{energy_str, time_str};

/// The chips the demo compares. A chip the model does not fit gets a row
/// saying why (xylo: the model's input delays; it has none).
pub const DEMO_CHIPS: [&str; 4] = ["loihi", "truenorth", "xylo", "fpga-small"];

/// Runs the demo and writes `target` as a whole (a previous demo output there is replaced).
pub fn demo(target: &Path, threads: usize, progress: Mode) -> anyhow::Result<String> {
    let staged = Staged::begin(target, "demo", Previous::Replace)?;
    let text = demo_into(staged.path(), target, threads, progress)?;
    staged.commit()?;
    Ok(text)
}

fn demo_into(out: &Path, shown: &Path, threads: usize, progress: Mode) -> anyhow::Result<String> {
    let src = kws::ModelSource::shipped();
    let bar = Progress::new(progress, 3 + DEMO_CHIPS.len() as u64, "demo", "stages");
    let mut stage = 0u64;
    let mut next_stage = || {
        stage += 1;
        bar.set(stage);
    };

    bar.set_message("encoding the held-out clips with the cochlea");
    let enc = kws::Encoding::load(&src)?;
    let clips = kws::load_test_set(&src, &enc)?;
    let festival = kws::load_test_set_in(&src, &enc, "test_festival")?;
    let net = kws::load_model(&src)?;
    next_stage();
    bar.set_message("float reference");
    let float = kws::float_accuracy(&net, &clips, threads);
    let float_festival = kws::float_accuracy(&net, &festival, threads);
    next_stage();

    let model_path = src.path("kws.nir");
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Spoken digits: {} clips from {} held-out espeak-ng voices and {} from festival (a synthesizer never trained on) → cochlea ({} kernels, {} spikes/s, {} ms steps, {} channels) → {} ({} neurons, {} synapses)\n",
        clips.len(),
        clips.len() / 10,
        festival.len(),
        enc.kernels,
        enc.rate,
        enc.dt * 1e3,
        clips.first().map_or(0, |c| c.spikes[0].len()),
        model_path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&model_path).display(),
        net.populations.iter().map(|p| p.size).sum::<usize>(),
        net.num_synapses()
    );
    let _ = writeln!(
        s,
        "  {:<16} {:>9} {:>9} {:>14} {:>14} {:>6} {:>16}",
        "", "held-out", "festival", "energy/inf.", "latency/inf.", "cores", "synaptic ops/inf."
    );
    let _ = writeln!(
        s,
        "  {:<16} {:>8.1}% {:>8.1}% {:>14} {:>14} {:>6} {:>16}",
        "float reference",
        100.0 * float,
        100.0 * float_festival,
        "—",
        "—",
        "—",
        "—"
    );
    let mut programs = Vec::new();
    for name in DEMO_CHIPS {
        bar.set_message(&format!("compiling and emulating on {name}"));
        let arch = Arch::preset(name)?;
        let (program, r) = match kws::evaluate(&net, &arch, &clips, threads) {
            Ok(done) => done,
            // the one error expected here: the model does not fit the chip
            Err(e)
                if e.downcast_ref::<spikefab_compiler::CompileError>()
                    .is_some()
                    && name != "fpga-small" =>
            {
                let why = e.root_cause().to_string();
                let _ = writeln!(
                    s,
                    "  {name:<16} does not fit: {}",
                    crate::terminal_safe(&why)
                );
                next_stage();
                continue;
            }
            Err(e) => return Err(e),
        };
        let (_, f) = kws::evaluate(&net, &arch, &festival, threads)?;
        let _ = writeln!(
            s,
            "  {:<16} {:>8.1}% {:>8.1}% {:>14} {:>14} {:>6} {:>16.0}",
            name,
            100.0 * r.accuracy,
            100.0 * f.accuracy,
            energy_str(r.energy_pj),
            time_str(r.latency_ns),
            r.cores,
            r.synaptic_ops
        );
        program.save(&out.join(format!("kws_{name}.sfc")))?;
        programs.push((name, program));
        next_stage();
    }

    // One clip through every stage, with pictures: cochleagram, and per chip
    // the report, raster and energy breakdown.
    bar.set_message("writing reports, plots and the FPGA export");
    let first = &clips[0];
    let rel = format!("test/{}", first.file);
    let (audio, _) = Audio::from_wav_bytes(&src.read(&rel)?, &src.path(&rel))?;
    let cochlea = Cochlea::new(enc.cochlea())?;
    let encoded = cochlea.encode(&audio)?;
    let points: Vec<(f64, usize, f64)> = encoded
        .spikes
        .events()
        .iter()
        .map(|e| {
            let q = enc.levels as u32;
            (
                e.timestep as f64 * encoded.spikes.dt,
                (e.channel / (2 * q)) as usize,
                (e.channel % q) as f64 / (q.max(2) - 1) as f64,
            )
        })
        .collect();
    crate::write_text(
        &out.join("cochleagram.svg"),
        &crate::plots::cochleagram(
            &points,
            &cochlea.dictionary.centre_hz,
            encoded.spikes.steps as f64 * encoded.spikes.dt,
        )?,
    )?;
    let lat_steps = |p: &spikefab_chip::CoreProgram| p.provenance.output_latency_steps as usize;
    for (name, program) in &programs {
        let steps = (first.spikes.len() + lat_steps(program)) as u32;
        let input =
            SpikeStream::from_rows(&first.spikes, steps, net.dt).map_err(anyhow::Error::msg)?;
        run_and_write(
            program,
            &input,
            &RunOptions {
                steps: Some(steps),
                threads,
                out: out.join(name),
                progress: Mode::Off,
                per_step: false,
                probes: Vec::new(),
                snapshot_every: None,
            },
            &spikefab_emulator::cluster::Single,
        )?;
    }
    let (_, fpga) = programs
        .iter()
        .find(|(n, _)| *n == "fpga-small")
        .expect("fpga-small is a demo chip");
    let steps = (first.spikes.len() + lat_steps(fpga)) as u32;
    let input = SpikeStream::from_rows(&first.spikes, steps, net.dt).map_err(anyhow::Error::msg)?;
    let expected = spikefab_emulator::run(
        fpga,
        &input,
        &spikefab_emulator::RunConfig::new(steps, 1),
        &|_| {},
    )?;
    let hdl_dir = out.join("fpga");
    let hdl_shown = shown.join("fpga");
    let summary = spikefab_hdl::export(
        fpga,
        &hdl_dir,
        spikefab_hdl::Formats::default(),
        &spikefab_hdl::Testbench {
            steps,
            runs: vec![
                spikefab_hdl::TbRun {
                    input: &input,
                    expected: &expected.spikes,
                };
                2
            ],
        },
    )?;
    let _ = writeln!(
        s,
        "\nfpga-small HDL export: {} cores, {} memories, ~{} RAMB18 → {}/",
        summary.cores,
        summary.memories.len(),
        summary.ramb18_total,
        hdl_shown.display()
    );
    if spikefab_hdl::cosim::iverilog_available() {
        let c = spikefab_hdl::cosim::run_iverilog(&hdl_dir)?;
        if !c.equal() {
            anyhow::bail!(
                "co-simulation of the demo clip differs: {}",
                c.first_difference().unwrap_or_default()
            );
        }
        let _ = writeln!(
            s,
            "  Icarus Verilog co-simulation of '{}', twice on one bitstream: PASS ({} output spikes equal the emulator's)",
            first.file,
            c.expected.len()
        );
    } else {
        let _ = writeln!(
            s,
            "  (install iverilog to co-simulate the RTL against the emulator)"
        );
    }
    next_stage();
    bar.finish();
    let _ = writeln!(
        s,
        "\nwrote {}/: kws_<chip>.sfc, <chip>/ (report.json, spikes, raster.svg, energy.svg, utilization.svg for '{}'), cochleagram.svg, fpga/",
        shown.display(),
        first.file
    );
    Ok(s)
}
