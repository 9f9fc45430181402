//! `spikefab convert`: an ANN (NIR) into SNNs by rate and STDI coding, each
//! measured in float and on a chip: accuracy, spikes, energy and latency
//! per inference against the number of timesteps.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use spikefab_chip::npy::NumericArray;
use spikefab_chip::Arch;
use spikefab_compiler::convert::{convert, Ann, Coding};
use spikefab_compiler::lower::{lower_with, LowerOptions};
use spikefab_compiler::nir::NirGraph;

use crate::accuracy::{in_float, on_chip, OnChip, Readout};

/// What `spikefab convert` is asked.
pub struct Request<'a> {
    pub ann: &'a Path,
    pub data: &'a Path,
    pub labels: &'a Path,
    /// Divides the data (pixels 0..16: 16) so that inputs lie in [0, 1].
    pub scale: f64,
    /// The first `test` samples are measured; the next `calibrate` set the scales.
    pub test: usize,
    pub calibrate: usize,
    pub percentile: f64,
    pub codings: &'a [Coding],
    pub timesteps: &'a [usize],
    pub arch: Option<&'a str>,
    pub out: Option<&'a Path>,
}

/// One converted network's measurements.
pub struct Row {
    pub coding: Coding,
    pub timesteps: usize,
    /// Steps of one inference.
    pub steps: usize,
    pub float: f64,
    pub chip: Option<OnChip>,
}

/// A conversion study: the ANN's accuracy and every converted network's.
pub struct Study {
    pub name: String,
    pub ann: f64,
    pub arch: Option<Arch>,
    pub rows: Vec<Row>,
}

fn load(path: &Path, what: &str) -> Result<NumericArray> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading {what} {}", path.display()))?;
    NumericArray::from_npy(&bytes).map_err(|e| anyhow::anyhow!("{what} {}: {e}", path.display()))
}

/// Runs the conversion study and returns its table (Markdown).
pub fn run(r: &Request) -> Result<String> {
    let s = study(r)?;
    Ok(table(&s.name, s.ann, r, s.arch.as_ref(), &s.rows))
}

/// Converts the ANN every way asked and measures each network.
pub fn study(r: &Request) -> Result<Study> {
    if !(r.scale.is_finite() && r.scale > 0.0) {
        bail!("--scale must be a positive number, found {}", r.scale);
    }
    if !(0.0..=100.0).contains(&r.percentile) {
        bail!("--percentile must be in 0..=100, found {}", r.percentile);
    }
    let g = NirGraph::load(r.ann)?;
    let name = r
        .ann
        .file_stem()
        .map_or("ann".into(), |s| s.to_string_lossy().into_owned());
    let (net, _) = lower_with(&g, &name, LowerOptions::at(1e-3))?;
    let ann = Ann::new(net)?;
    let n_in = ann.input_size();
    let data = load(r.data, "--data")?;
    if data.shape.len() != 2 || data.shape[1] as usize != n_in {
        bail!(
            "--data {}: shape {:?}; the ANN needs [samples, {n_in}]",
            r.data.display(),
            data.shape
        );
    }
    let samples = data.shape[0] as usize;
    let y = crate::accuracy::load_labels(r.labels, samples, ann.network())?;
    if r.test == 0 || r.test + r.calibrate > samples || r.calibrate == 0 {
        bail!(
            "--test {} and --calibrate {} must be ≥ 1 and fit the {samples} samples",
            r.test,
            r.calibrate
        );
    }
    let x: Vec<Vec<f64>> = data
        .values
        .chunks(n_in)
        .map(|c| c.iter().map(|v| v / r.scale).collect())
        .collect();
    if let Some(k) = data
        .values
        .iter()
        .position(|v| !(0.0..=1.0).contains(&(v / r.scale)))
    {
        bail!(
            "--data {}: value {} at {:?} is outside [0, {}] (inputs are rates or binary fractions in [0, 1] after --scale)",
            r.data.display(),
            data.values[k],
            data.index_of(k),
            r.scale
        );
    }
    let (test, rest) = x.split_at(r.test);
    let lambdas = ann.calibrate(&rest[..r.calibrate], r.percentile);
    let ann_acc = (0..r.test)
        .filter(|&i| ann.predict(&test[i]) == y[i])
        .count() as f64
        / r.test as f64;
    let arch = r.arch.map(Arch::resolve).transpose()?;
    if let Some(dir) = r.out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }

    let mut rows = Vec::new();
    for &coding in r.codings {
        for &t in r.timesteps {
            let c = convert(&ann, &lambdas, coding, t)?;
            let inputs: Vec<Vec<Vec<bool>>> = test.iter().map(|v| c.encode(v)).collect();
            let readout = Readout::Membrane {
                step: c.readout_step,
            };
            let float = in_float(&c.network, &inputs, &y[..r.test], readout, false);
            let chip = match &arch {
                None => None,
                Some(a) => Some(on_chip(&c.network, a, &inputs, &y[..r.test], readout)?),
            };
            if let Some(dir) = r.out {
                let path: PathBuf = dir.join(format!("{}.ron", c.network.name));
                spikefab_chip::write_atomic(&path, c.network.to_ron().as_bytes())?;
            }
            rows.push(Row {
                coding,
                timesteps: t,
                steps: c.steps,
                float,
                chip,
            });
        }
    }
    Ok(Study {
        name,
        ann: ann_acc,
        arch,
        rows,
    })
}

fn table(name: &str, ann: f64, r: &Request, arch: Option<&Arch>, rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{name}: ANN {:.2} % on {} test samples; scales from {} samples at the {} th percentile\n",
        100.0 * ann,
        r.test,
        r.calibrate,
        r.percentile
    );
    match arch {
        None => {
            let _ = writeln!(
                s,
                "| coding | T | steps | float acc. |\n|---|---:|---:|---:|"
            );
        }
        Some(a) => {
            let _ = writeln!(
                s,
                "| coding | T | steps | float acc. | {0} acc. | spikes / inf. | energy / inf. (nJ) | latency / inf. (µs) |\n|---|---:|---:|---:|---:|---:|---:|---:|",
                a.name
            );
        }
    }
    for row in rows {
        let _ = write!(
            s,
            "| {} | {} | {} | {:.2} % |",
            row.coding,
            row.timesteps,
            row.steps,
            100.0 * row.float
        );
        if let Some(c) = &row.chip {
            let _ = write!(
                s,
                " {:.2} % | {:.0} | {:.1} | {:.2} |",
                100.0 * c.accuracy,
                c.spikes,
                c.energy_nj,
                c.latency_us
            );
        }
        s.push('\n');
    }
    s
}
