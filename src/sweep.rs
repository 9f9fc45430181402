//! `spikefab sweep`: a co-design sweep over architecture and cochlea
//! parameters. Every grid point compiles the model, emulates the whole test
//! set and records accuracy, energy and latency per inference; the
//! accuracy-vs-energy Pareto front is marked and plotted.

use anyhow::Context;
use plotters::prelude::*;
use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;
use std::sync::Mutex;

use spikefab_chip::Arch;

use crate::kws;

/// One swept parameter and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub key: String,
    pub values: Vec<String>,
}

/// Keys `--vary` understands.
pub const KEYS: &[&str] = &[
    "preset",
    "weight_bits",
    "state_bits",
    "threshold_bits",
    "rate",
    "neurons",
];

/// `key=lo..hi` (inclusive integers) or `key=a,b,c`.
pub fn parse_axis(spec: &str) -> anyhow::Result<Axis> {
    let (key, vals) = spec
        .split_once('=')
        .ok_or_else(|| anyhow::anyhow!("--vary '{spec}': expected KEY=LO..HI or KEY=A,B,C"))?;
    if !KEYS.contains(&key) {
        anyhow::bail!(
            "--vary '{spec}': unknown parameter '{key}'; use one of {}",
            KEYS.join(", ")
        );
    }
    let values: Vec<String> = if let Some((lo, hi)) = vals.split_once("..") {
        let (lo, hi): (i64, i64) = (lo.trim().parse()?, hi.trim().parse()?);
        if hi < lo || hi - lo > 64 {
            anyhow::bail!("--vary '{spec}': the range must be increasing and at most 65 values");
        }
        (lo..=hi).map(|v| v.to_string()).collect()
    } else {
        vals.split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    };
    if values.is_empty() {
        anyhow::bail!("--vary '{spec}': no values");
    }
    Ok(Axis {
        key: key.to_string(),
        values,
    })
}

/// One grid point's result.
#[derive(Clone, Debug)]
pub struct Point {
    pub settings: Vec<(String, String)>,
    pub outcome: Result<kws::ChipResult, String>,
    pub pareto: bool,
}

fn arch_for(base: &str, settings: &[(String, String)]) -> anyhow::Result<Arch> {
    let preset = settings
        .iter()
        .find(|(k, _)| k == "preset")
        .map_or(base, |(_, v)| v.as_str());
    let mut arch = Arch::resolve(preset)?;
    for (k, v) in settings {
        let n: u32 = if k == "preset" || k == "rate" {
            0
        } else {
            v.parse().with_context(|| format!("{k}={v}"))?
        };
        match k.as_str() {
            "weight_bits" => arch.format.weight_bits = n as u8,
            "state_bits" => arch.format.state_bits = n as u8,
            "threshold_bits" => arch.format.threshold_bits = n as u8,
            "neurons" => arch.core.max_neurons = n,
            _ => {}
        }
    }
    arch.validate()?;
    Ok(arch)
}

/// Runs the grid on `threads` workers and writes `sweep.csv` and `pareto.svg` into `out`.
pub fn sweep(
    dir: &Path,
    base_arch: &str,
    axes: &[Axis],
    threads: usize,
    out: &Path,
) -> anyhow::Result<String> {
    let enc = kws::Encoding::load(dir)?;
    let net = kws::load_model(dir)?;
    // the grid, as lists of (key, value)
    let mut grid: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for a in axes {
        grid = grid
            .into_iter()
            .flat_map(|p| {
                a.values
                    .iter()
                    .map(move |v| [p.clone(), vec![(a.key.clone(), v.clone())]].concat())
            })
            .collect();
    }
    // the test set once per cochlea rate
    let mut sets: HashMap<String, Vec<kws::Clip>> = HashMap::new();
    for p in &grid {
        let rate = p
            .iter()
            .find(|(k, _)| k == "rate")
            .map_or(enc.rate.to_string(), |(_, v)| v.clone());
        if !sets.contains_key(&rate) {
            let e = kws::Encoding {
                rate: rate.parse().with_context(|| format!("rate={rate}"))?,
                ..enc.clone()
            };
            sets.insert(rate.clone(), kws::load_test_set(dir, &e)?);
        }
    }
    let results: Mutex<Vec<Option<Point>>> = Mutex::new(vec![None; grid.len()]);
    let next = Mutex::new(0usize);
    crossbeam::thread::scope(|s| {
        for _ in 0..threads.clamp(1, grid.len().max(1)) {
            s.spawn(|_| loop {
                let i = {
                    let mut n = next.lock().expect("sweep queue");
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some(settings) = grid.get(i) else { break };
                let rate = settings
                    .iter()
                    .find(|(k, _)| k == "rate")
                    .map_or(enc.rate.to_string(), |(_, v)| v.clone());
                let outcome = arch_for(base_arch, settings)
                    .and_then(|arch| kws::evaluate(&net, &arch, &sets[&rate]).map(|(_, r)| r))
                    .map_err(|e| format!("{e:#}"));
                results.lock().expect("sweep results")[i] = Some(Point {
                    settings: settings.clone(),
                    outcome,
                    pareto: false,
                });
            });
        }
    })
    .map_err(|_| anyhow::anyhow!("a sweep worker panicked"))?;
    let mut points: Vec<Point> = results
        .into_inner()
        .expect("sweep results")
        .into_iter()
        .flatten()
        .collect();
    // Pareto: no other point is at least as accurate, cheaper and faster, and strictly better in one.
    let ok: Vec<(usize, kws::ChipResult)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.outcome.clone().ok().map(|r| (i, r)))
        .collect();
    for (i, r) in &ok {
        let dominated = ok.iter().any(|(j, o)| {
            j != i
                && o.accuracy >= r.accuracy
                && o.energy_pj <= r.energy_pj
                && o.latency_ns <= r.latency_ns
                && (o.accuracy > r.accuracy
                    || o.energy_pj < r.energy_pj
                    || o.latency_ns < r.latency_ns)
        });
        points[*i].pareto = !dominated;
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let keys: Vec<&str> = axes.iter().map(|a| a.key.as_str()).collect();
    let mut csv = format!(
        "{},accuracy,energy_pj,latency_ns,cores,synaptic_ops,pareto,error\n",
        keys.join(",")
    );
    for p in &points {
        let vals: Vec<&str> = p.settings.iter().map(|(_, v)| v.as_str()).collect();
        match &p.outcome {
            Ok(r) => {
                let _ = writeln!(
                    csv,
                    "{},{:.4},{:.1},{:.1},{},{:.0},{},",
                    vals.join(","),
                    r.accuracy,
                    r.energy_pj,
                    r.latency_ns,
                    r.cores,
                    r.synaptic_ops,
                    p.pareto
                );
            }
            Err(e) => {
                let _ = writeln!(
                    csv,
                    "{},,,,,,false,\"{}\"",
                    vals.join(","),
                    e.replace('"', "'")
                );
            }
        }
    }
    crate::write_text(&out.join("sweep.csv"), &csv)?;
    crate::write_text(&out.join("pareto.svg"), &pareto_plot(&points)?)?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<40} {:>9} {:>12} {:>12} {:>7}",
        keys.join(" "),
        "accuracy",
        "energy/inf.",
        "latency/inf.",
        "pareto"
    );
    for p in &points {
        let label: Vec<String> = p.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        match &p.outcome {
            Ok(r) => {
                let _ = writeln!(
                    s,
                    "{:<40} {:>8.1}% {:>12} {:>12} {:>7}",
                    label.join(" "),
                    100.0 * r.accuracy,
                    crate::summary::energy_str(r.energy_pj),
                    crate::summary::time_str(r.latency_ns),
                    if p.pareto { "*" } else { "" }
                );
            }
            Err(e) => {
                let _ = writeln!(s, "{:<40} does not compile: {e}", label.join(" "));
            }
        }
    }
    let _ = writeln!(
        s,
        "wrote {}/sweep.csv and pareto.svg ({} points)",
        out.display(),
        points.len()
    );
    Ok(s)
}

/// Accuracy against energy per inference; Pareto points filled and labelled.
fn pareto_plot(points: &[Point]) -> anyhow::Result<String> {
    let ok: Vec<(&Point, &kws::ChipResult)> = points
        .iter()
        .filter_map(|p| p.outcome.as_ref().ok().map(|r| (p, r)))
        .collect();
    let emax = ok
        .iter()
        .map(|(_, r)| r.energy_pj * 1e-6)
        .fold(1e-9, f64::max)
        * 1.15;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (900, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Co-design sweep: accuracy vs energy per inference (filled: Pareto front)",
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0.0..emax, 0.0..105.0)?;
        chart
            .configure_mesh()
            .x_desc("energy per inference (µJ)")
            .y_desc("accuracy (%)")
            .draw()?;
        chart.draw_series(ok.iter().map(|(p, r)| {
            let style = if p.pareto {
                RED.filled()
            } else {
                BLUE.stroke_width(1)
            };
            Circle::new((r.energy_pj * 1e-6, 100.0 * r.accuracy), 4, style)
        }))?;
        chart.draw_series(ok.iter().filter(|(p, _)| p.pareto).map(|(p, r)| {
            let label: Vec<String> = p.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
            Text::new(
                label.join(" "),
                (r.energy_pj * 1e-6, 100.0 * r.accuracy - 3.5),
                ("sans-serif", 10),
            )
        }))?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(out)
}
