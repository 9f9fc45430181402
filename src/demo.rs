//! `spikefab demo`: the whole job on the defaults embedded in the binary.
//!
//! Today: (1) a shipped multi-core program (examples/programs/demo.ron, a
//! recurrent network with input ports, synaptic delays and four cores on the
//! `loihi` preset) run on shipped Poisson input spikes; (2) a trained snnTorch
//! model exported to NIR (examples/models/toy_leaky_mlp.nir, which tells which
//! of five input groups fires fastest) compiled for `loihi` and run on one
//! input of each class. It grows with the pipeline.

use anyhow::Context;
use std::path::Path;

use spikefab_chip::{CoreProgram, SpikeStream};

use crate::run::{run_and_write, RunOptions, RUN_FILES};

const DEMO_PROGRAM: &str = include_str!("../examples/programs/demo.ron");
const DEMO_INPUT: &[u8] = include_bytes!("../examples/spikes/demo_input.aer");
const DEMO_MODEL: &[u8] = include_bytes!("../examples/models/toy_leaky_mlp.nir");

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
        "wrote {}/: program.ron program.sfc input.aer {}\n\n",
        out.display(),
        RUN_FILES.join(" ")
    ));
    s.push_str(&nir_model(&out.join("nir"), threads)?);
    Ok(s)
}

/// Compiles the shipped NIR model for loihi and classifies one input per class.
fn nir_model(out: &Path, threads: usize) -> anyhow::Result<String> {
    use spikefab_chip::{Arch, Spike};
    use spikefab_compiler::{compile, lower::lower, nir::NirGraph};

    let path = Path::new("examples/models/toy_leaky_mlp.nir");
    let graph = NirGraph::from_bytes(DEMO_MODEL, path)?;
    let net = lower(&graph, "toy_leaky_mlp", crate::compile::DEFAULT_NIR_DT)?;
    let compiled = compile(&net, &Arch::preset("loihi")?, 1)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    compiled.program.save(&out.join("toy_leaky_mlp.sfc"))?;
    let mut s = format!(
        "NIR model {} (snnTorch export):\n{}",
        path.display(),
        compiled.report.table()
    );
    let lat = compiled.program.provenance.output_latency_steps;
    let (steps, features, classes) = (40u32, 20u32, 5u32);
    let mut correct = 0;
    let mut energy = 0.0;
    for class in 0..classes {
        // The toy task: the features of group `class` fire at 40 %, the rest at
        // 5 % (a fixed pattern stands in for the random draws).
        let events = (0..steps)
            .flat_map(|t| (0..features).map(move |f| (t, f)))
            .filter(|&(t, f)| {
                let hot = f / (features / classes) == class;
                let h = (t * 31 + f * 17 + class * 7) % 20;
                if hot {
                    h < 8
                } else {
                    h < 1
                }
            })
            .map(|(timestep, channel)| Spike { timestep, channel })
            .collect();
        let input =
            SpikeStream::new(features, steps, net.dt, events).map_err(anyhow::Error::msg)?;
        let (result, _) = run_and_write(
            &compiled.program,
            &input,
            &RunOptions {
                steps: Some(steps + lat),
                threads,
                out: out.join(format!("class{class}")),
                progress: false,
            },
        )?;
        let mut counts = vec![0usize; classes as usize];
        for e in result.spikes.events() {
            counts[e.channel as usize] += 1;
        }
        // argmax, ties to the lowest class
        let decided =
            (0..classes as usize)
                .fold(0, |best, k| if counts[k] > counts[best] { k } else { best });
        correct += usize::from(decided == class as usize);
        energy += result.report.energy.total_pj;
        s.push_str(&format!(
            "  input of class {class}: output spike counts {counts:?} → class {decided}\n"
        ));
    }
    s.push_str(&format!(
        "  {correct}/{classes} classified as their class; {} per inference on loihi; wrote {}/\n",
        crate::summary::energy_str(energy / classes as f64),
        out.display()
    ));
    Ok(s)
}
