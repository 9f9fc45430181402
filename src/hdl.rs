//! `spikefab export-hdl`: a program's FPGA folder, with the emulator's spikes
//! as the testbench's expectation, optionally co-simulated in Icarus Verilog.

use anyhow::Context;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use spikefab_chip::{CoreProgram, SpikeStream};
use spikefab_emulator::{run, RunConfig};
use spikefab_hdl::{cosim, export, Formats, TbRun, Testbench};

use crate::output::{Previous, Staged};

pub struct ExportJob {
    pub program: PathBuf,
    pub out: PathBuf,
    pub formats: Formats,
    pub input: Option<PathBuf>,
    pub steps: u32,
    pub cosim: bool,
    /// Replace a previous export in `out`.
    pub force: bool,
}

/// The testbench input when none is given: seeded Bernoulli spikes (p = 0.1)
/// on every input channel.
fn default_input(p: &CoreProgram, steps: u32) -> SpikeStream {
    spikefab_emulator::workload::poisson_input(p.num_input_channels() as u32, steps, 0.1, p.dt, 1)
}

pub fn export_hdl(job: &ExportJob) -> anyhow::Result<String> {
    let p = CoreProgram::load(&job.program)
        .with_context(|| format!("loading {}", job.program.display()))?;
    let input = match &job.input {
        Some(path) => crate::run::load_input(path, &p)?,
        None => default_input(&p, job.steps),
    };
    let out = run(&p, &input, &RunConfig::new(job.steps, 1), &|_| {})?;
    let previous = if job.force {
        Previous::Replace
    } else {
        Previous::Refuse { flag: "--force" }
    };
    // The folder is written (and co-simulated) in staging, then moved into place whole.
    let staged = Staged::begin(&job.out, "export-hdl", previous)?;
    let dir = staged.path();
    // The same clip twice: the second inference (after `start`) must not see
    // the first one's state.
    let once = TbRun {
        input: &input,
        expected: &out.spikes,
    };
    let tb = Testbench {
        steps: job.steps,
        runs: vec![once, once],
    };
    let summary = export(&p, dir, job.formats, &tb)
        .with_context(|| format!("exporting {}", job.program.display()))?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "exported '{}' ({} cores, arch '{}') to {}/",
        summary.source,
        summary.cores,
        summary.arch,
        job.out.display()
    );
    let _ = writeln!(s, "  memory                         depth   width  RAMB18");
    for m in &summary.memories {
        let _ = writeln!(
            s,
            "  {:<28} {:>7} {:>7} {:>7}",
            m.name, m.depth, m.width, m.ramb18
        );
    }
    let _ = writeln!(
        s,
        "  block-RAM estimate: {} RAMB18 ({} files, listed with SHA-256 in manifest.json)",
        summary.ramb18_total,
        summary.files.len() + 1
    );
    let _ = writeln!(
        s,
        "  logic estimate (ECP5): ~{} LUT4, {} MULT18X18D",
        summary.ecp5_lut4_estimate, summary.ecp5_mult18_estimate
    );
    if !summary.unsupported_by_rtl.is_empty() {
        let _ = writeln!(
            s,
            "  the reference RTL does not simulate: {}",
            summary.unsupported_by_rtl.join("; ")
        );
    }
    let _ = writeln!(
        s,
        "  testbench: 2 inferences (the second after `start`) of {} steps, {} expected output spikes each (the emulator's)",
        job.steps,
        out.spikes.len()
    );
    // A failed co-simulation still leaves the export (and the RTL's spikes) to look at.
    let cosim = job.cosim.then(|| cosimulate(dir));
    staged.commit()?;
    if let Some(c) = cosim {
        s.push_str(&c?);
    }
    Ok(s)
}

fn cosimulate(dir: &Path) -> anyhow::Result<String> {
    if !cosim::iverilog_available() {
        return Ok(
            "  co-simulation skipped: iverilog is not installed (apt-get install iverilog)\n"
                .into(),
        );
    }
    let c = cosim::run_iverilog(dir)?;
    if c.equal() {
        let mut per_step: Vec<u64> = c.cycles.iter().flatten().copied().collect();
        per_step.sort_unstable();
        let (lo, mid, hi) = match per_step.as_slice() {
            [] => (0, 0, 0),
            v => (v[0], v[v.len() / 2], v[v.len() - 1]),
        };
        Ok(format!(
            "  co-simulation (Icarus Verilog): PASS, {} output spikes equal the emulator's\n  \
             RTL clock cycles per step: min {lo}, median {mid}, max {hi}\n",
            c.expected.len()
        ))
    } else {
        anyhow::bail!(
            "co-simulation (Icarus Verilog): the RTL's spikes differ from the emulator's at {}",
            c.first_difference().unwrap_or_default()
        )
    }
}
