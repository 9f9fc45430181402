//! `spikefab run --probe LAYER[:NEURONS]=VAR[,VAR…]`: state registers of
//! chosen neurons, one `.npy` per flag and variable (`int32 [steps,
//! neurons]`, in state units), streamed to disk a step at a time so a long
//! run never holds its traces in memory; `probes.json` says which file holds
//! what.

use std::fs::File;
use std::io::BufWriter;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use anyhow::{bail, Context};
use npyz::WriterBuilder;
use serde::Serialize;

use spikefab_chip::CoreProgram;
use spikefab_emulator::Probe;

/// One `--probe` flag as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeSpec {
    pub layer: String,
    /// `None`: every neuron of the layer.
    pub neurons: Option<Range<usize>>,
    pub vars: Vec<String>,
}

/// Most values one probe file may hold (`steps × neurons`), as spikes.npy.
const MAX_CELLS: u64 = spikefab_chip::limits::MAX_DENSE_CELLS;

/// Parses `LAYER[:NEURONS]=VAR[,VAR…]`, NEURONS `i` or `a..b` (end
/// exclusive). A layer name may itself hold `:`; only a suffix that reads
/// as neurons is taken for them.
pub fn parse(spec: &str) -> Result<ProbeSpec, String> {
    let shown = spikefab_chip::text::escape(spec);
    let Some((target, vars)) = spec.rsplit_once('=') else {
        return Err(format!(
            "'{shown}': expected LAYER[:NEURONS]=VAR[,VAR...], e.g. hidden:0..8=v,u"
        ));
    };
    let vars: Vec<String> = vars.split(',').map(|v| v.trim().to_string()).collect();
    if vars.iter().any(|v| v.is_empty()) {
        return Err(format!("'{shown}': an empty variable name"));
    }
    let neurons = |s: &str| -> Option<Range<usize>> {
        match s.split_once("..") {
            Some((a, b)) => Some(a.parse().ok()?..b.parse().ok()?),
            None => s.parse().ok().map(|i: usize| i..i.saturating_add(1)),
        }
    };
    let (layer, neurons) = match target.rsplit_once(':') {
        Some((layer, n)) => match neurons(n) {
            Some(r) => (layer, Some(r)),
            None => (target, None),
        },
        None => (target, None),
    };
    if layer.is_empty() {
        return Err(format!("'{shown}': no layer name"));
    }
    Ok(ProbeSpec {
        layer: layer.to_string(),
        neurons,
        vars,
    })
}

/// What `probes.json` lists per file.
#[derive(Serialize)]
struct FileEntry {
    file: String,
    layer: String,
    /// `[first, end)` of the layer's neurons, one column each.
    neurons: [usize; 2],
    variable: String,
    dtype: &'static str,
    shape: [u64; 2],
}

/// The probe files of a run, to be written by [`ProbeFiles::write`] on a
/// thread of its own (npyz's writers stay on the thread that made them).
pub struct ProbeFiles {
    /// Per file: its path, its number of columns, and which of the run's
    /// probe values (a range of each step's row) it takes.
    files: Vec<(PathBuf, Range<usize>)>,
    steps: u32,
}

/// Resolves `specs` against `program`; returns the probes to run with and
/// the files to write them to in `dir` (`probes.json` is written now).
pub fn open(
    specs: &[ProbeSpec],
    program: &CoreProgram,
    steps: u32,
    dir: &Path,
) -> anyhow::Result<(Vec<Probe>, ProbeFiles)> {
    let (probes, index, files) = plan(specs, program, steps, dir)?;
    if !files.is_empty() {
        crate::write_text(
            &dir.join("probes.json"),
            &serde_json::to_string_pretty(&index)?,
        )?;
    }
    Ok((probes, ProbeFiles { files, steps }))
}

/// The probes `specs` ask for, without any file (the ranks of `run --mpi`
/// other than 0 run them; rank 0 writes).
pub fn resolve(
    specs: &[ProbeSpec],
    program: &CoreProgram,
    steps: u32,
) -> anyhow::Result<Vec<Probe>> {
    Ok(plan(specs, program, steps, Path::new(""))?.0)
}

type Plan = (Vec<Probe>, Vec<FileEntry>, Vec<(PathBuf, Range<usize>)>);

fn plan(
    specs: &[ProbeSpec],
    program: &CoreProgram,
    steps: u32,
    dir: &Path,
) -> anyhow::Result<Plan> {
    let mut probes = Vec::new();
    let mut files = Vec::new();
    let mut index = Vec::new();
    for (k, spec) in specs.iter().enumerate() {
        for var in &spec.vars {
            let ps =
                spikefab_emulator::probe::resolve(program, &spec.layer, spec.neurons.clone(), var)
                    .with_context(|| format!("--probe #{}", k + 1))?;
            let cells = steps as u64 * ps.len() as u64;
            if cells > MAX_CELLS {
                bail!(
                    "--probe #{}: {steps} steps × {} neurons is {cells} values, more than the {MAX_CELLS} a probe file may hold; probe fewer neurons or steps",
                    k + 1,
                    ps.len()
                );
            }
            // The file name holds the flag's position and a variable name
            // `resolve` matched against the model's own (ASCII) names.
            let file = format!("probe_{}_{var}.npy", k + 1);
            let first = spec.neurons.as_ref().map_or(0, |r| r.start);
            index.push(FileEntry {
                file: file.clone(),
                layer: spec.layer.clone(),
                neurons: [first, first + ps.len()],
                variable: var.clone(),
                dtype: "int32",
                shape: [steps as u64, ps.len() as u64],
            });
            files.push((dir.join(file), probes.len()..probes.len() + ps.len()));
            probes.extend(ps);
        }
    }
    Ok((probes, index, files))
}

impl ProbeFiles {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Writes every step's values as they arrive on `rows` (one row per
    /// step, the run's probe values in order) until the sender hangs up.
    pub fn write(self, rows: Receiver<Vec<i32>>) -> anyhow::Result<()> {
        let mut writers = Vec::with_capacity(self.files.len());
        for (path, cols) in &self.files {
            let w = npyz::WriteOptions::<i32>::new()
                .default_dtype()
                .shape(&[self.steps as u64, cols.len() as u64])
                .writer(BufWriter::new(
                    File::create(path).with_context(|| format!("creating {}", path.display()))?,
                ))
                .begin_nd()
                .with_context(|| format!("writing {}", path.display()))?;
            writers.push((w, cols.clone(), path));
        }
        let mut got = 0u32;
        for row in rows {
            for (w, cols, path) in &mut writers {
                w.extend(row[cols.clone()].iter().copied())
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            got += 1;
        }
        if got != self.steps {
            bail!("the run stopped after {got} of {} steps", self.steps);
        }
        for (w, _, path) in writers {
            w.finish()
                .with_context(|| format!("closing {}", path.display()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_with_and_without_neurons() {
        let p = parse("hidden:0..8=v,u").unwrap();
        assert_eq!(
            (p.layer.as_str(), p.neurons, p.vars),
            ("hidden", Some(0..8), vec!["v".into(), "u".into()])
        );
        let p = parse("hidden:3=a").unwrap();
        assert_eq!(p.neurons, Some(3..4));
        let p = parse("lif1=v").unwrap();
        assert_eq!((p.layer.as_str(), p.neurons), ("lif1", None));
        // a colon that is part of the name
        let p = parse("net:fc1=v").unwrap();
        assert_eq!((p.layer.as_str(), p.neurons), ("net:fc1", None));
        for bad in ["hidden", "=v", "hidden:0..2=", "hidden=v,,u"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
