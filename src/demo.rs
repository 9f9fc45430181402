//! `spikefab demo`: the whole job on the defaults embedded in the binary.
//!
//! Today that is a shipped multi-core program (examples/programs/demo.ron, a
//! recurrent network with input ports, synaptic delays and four cores on the
//! `loihi` preset) run on shipped Poisson input spikes; it grows with the
//! pipeline.

use anyhow::Context;
use std::path::Path;

use spikefab_chip::{CoreProgram, SpikeStream};

use crate::run::{run_and_write, RunOptions, RUN_FILES};

const DEMO_PROGRAM: &str = include_str!("../examples/programs/demo.ron");
const DEMO_INPUT: &[u8] = include_bytes!("../examples/spikes/demo_input.aer");

pub fn demo(out: &Path, threads: usize, progress: bool) -> anyhow::Result<String> {
    let program = CoreProgram::from_ron(DEMO_PROGRAM, Path::new("examples/programs/demo.ron"))?;
    let input = SpikeStream::from_aer(DEMO_INPUT)
        .map_err(|e| anyhow::anyhow!("examples/spikes/demo_input.aer: {e}"))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    program.save(&out.join("program.ron"))?;
    program.save(&out.join("program.sfc"))?;
    input.save(&out.join("input.aer"))?;
    let (result, host) = run_and_write(
        &program,
        &input,
        &RunOptions {
            steps: Some(input.steps),
            threads,
            out: out.to_path_buf(),
            progress,
        },
    )?;
    let mut s = crate::summary::run_table(&result.report);
    s.push_str(&format!(
        "\nemulated {} steps in {:.3} s on {} thread(s) ({:.1} M synaptic events/s)\n",
        host.steps,
        host.wall_s,
        host.threads,
        host.synaptic_events_per_s / 1e6
    ));
    s.push_str(&format!(
        "wrote {}/: program.ron program.sfc input.aer {}\n",
        out.display(),
        RUN_FILES.join(" ")
    ));
    Ok(s)
}
