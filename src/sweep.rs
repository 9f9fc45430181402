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
use spikefab_compiler::network::InputNoise;
use spikefab_compiler::{Network, Neuron, Param};

use crate::kws;
use crate::progress::{Mode, Progress};

/// Most grid points one sweep may have.
pub const MAX_POINTS: usize = 100_000;
/// The sweep's journal: one JSON line per finished point, flushed as it finishes.
pub const JOURNAL: &str = "points.jsonl";

/// What identifies a sweep, so that a resumed run only reuses its own points.
fn sweep_id(src: &kws::ModelSource, base_arch: &str, axes: &[Axis]) -> String {
    let axes: Vec<String> = axes
        .iter()
        .map(|a| format!("{}={}", a.key, a.values.join(",")))
        .collect();
    format!(
        "model={} arch={} {}",
        src.path("kws.nir").display(),
        base_arch,
        axes.join(" ")
    )
}

/// A grid point's settings, `(key, value)` in axis order.
type Settings = Vec<(String, String)>;
type Outcome = Result<kws::ChipResult, String>;

/// The append-only record of finished points in the output folder.
struct Journal {
    path: std::path::PathBuf,
    file: std::fs::File,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct JournalLine {
    settings: Settings,
    outcome: Outcome,
}

impl Journal {
    /// Opens (creating) `out` for the sweep `id`: a new folder, an empty one,
    /// or one holding this same sweep's journal; anything else is refused.
    fn open(out: &Path, id: &str) -> anyhow::Result<Journal> {
        use std::io::Write as _;
        let marker = out.join(crate::output::MARKER);
        let path = out.join(JOURNAL);
        let header = format!("spikefab sweep\n{id}\n");
        if out.exists() {
            let mine = std::fs::read_to_string(&marker).unwrap_or_default();
            let empty = std::fs::read_dir(out)
                .with_context(|| format!("reading {}", out.display()))?
                .next()
                .is_none();
            if !empty && !mine.starts_with("spikefab sweep\n") {
                anyhow::bail!(
                    "{} is not empty and is not a spikefab sweep folder: choose another --out",
                    out.display()
                );
            }
            if !empty && mine != header {
                anyhow::bail!(
                    "{} holds a different sweep ({}); choose another --out to keep it, or remove it",
                    out.display(),
                    mine.lines().nth(1).unwrap_or("?")
                );
            }
        }
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        crate::write_text(&marker, &header)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        let mut j = Journal { path, file };
        j.file.flush()?;
        Ok(j)
    }

    /// The points already finished (a torn last line from a kill is skipped).
    fn finished(&self) -> anyhow::Result<HashMap<Settings, Outcome>> {
        let text = std::fs::read_to_string(&self.path)
            .with_context(|| format!("reading {}", self.path.display()))?;
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str::<JournalLine>(l).ok())
            .map(|l| (l.settings, l.outcome))
            .collect())
    }

    fn append(&mut self, settings: &[(String, String)], outcome: &Outcome) -> anyhow::Result<()> {
        use std::io::Write as _;
        let line = serde_json::to_string(&JournalLine {
            settings: settings.to_vec(),
            outcome: outcome.clone(),
        })?;
        self.file
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|_| self.file.sync_data())
            .with_context(|| format!("appending to {}", self.path.display()))
    }
}

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
    "model",
    "noise",
    "branches",
    "network",
];

/// A `network=FILE` value: a `.nir` file inside the model folder, named by
/// a relative path of plain components (letters, digits, `_`, `-`, `.`; no
/// `..`), so a sweep never reads outside the folder it was given.
pub fn check_network_file(file: &str) -> anyhow::Result<()> {
    let plain = |c: &str| {
        !c.is_empty()
            && c != "."
            && c != ".."
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'))
    };
    if file.len() > 200 || !file.ends_with(".nir") || !file.split('/').all(plain) {
        anyhow::bail!(
            "network={}: expected a .nir file inside the model folder, like sparse/esl-10.nir \
             (plain names separated by /, no ..)",
            spikefab_chip::text::escape(file)
        );
    }
    Ok(())
}

/// The neuron models `--vary model=LAYER:MODEL` can give a layer: its own
/// membrane, threshold and bias, with the synaptic current of CUBA models
/// kept where the model has one.
pub const MODELS: &[&str] = &["lif", "alif", "if"];

/// ALIF's adaptation when a sweep turns a layer into ALIF: keep factor per
/// step (a time constant of 20 steps) and rise per spike, as a fraction of
/// the layer's threshold.
const SWEEP_ALIF_KEEP: f64 = 0.95;
const SWEEP_ALIF_STEP: f64 = 0.2;

/// A `LAYER:VALUE` setting of `key`: the layer's index in `net` and the value.
fn layer_setting<'s>(
    net: &Network,
    key: &str,
    spec: &'s str,
    expected: &str,
) -> anyhow::Result<(usize, &'s str)> {
    use spikefab_chip::text::escape;
    let (layer, value) = spec
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("{key}={}: expected {expected}", escape(spec)))?;
    let q = net.population(layer).ok_or_else(|| {
        anyhow::anyhow!(
            "{key}={}: the network has no layer '{}'",
            escape(spec),
            escape(layer)
        )
    })?;
    Ok((q, value))
}

/// `net` with layer `LAYER` of `spec` (`LAYER:AMPLITUDE`) noisy: input noise
/// uniform in ±AMPLITUDE (docs/models.md), seed 1 unless the network has one.
pub fn with_noise(net: &Network, spec: &str) -> anyhow::Result<Network> {
    let (q, a) = layer_setting(net, "noise", spec, "LAYER:AMPLITUDE")?;
    let amplitude: f64 = a.parse().with_context(|| {
        format!(
            "noise={}: '{}' is not a number",
            spikefab_chip::text::escape(spec),
            spikefab_chip::text::escape(a)
        )
    })?;
    let mut net = net.clone();
    net.populations[q].noise = (amplitude > 0.0).then_some(InputNoise { amplitude });
    net.noise_seed.get_or_insert(1);
    net.validate()?;
    Ok(net)
}

/// `net` with layer `LAYER` of `spec` (`LAYER:K`) given K dendritic
/// branches (0: point neurons). Each neuron's synapses are first summed per
/// source (a dendritic layer's branches merged), then source `s` of every
/// projection into the layer feeds branch `s mod K`. The cap is the
/// layer's, or for a point layer its largest threshold: a branch alone can
/// bring its neuron to threshold in one step, no further.
pub fn with_branches(net: &Network, spec: &str) -> anyhow::Result<Network> {
    use spikefab_compiler::network::{Dendrites, Weights};
    let (q, k) = layer_setting(net, "branches", spec, "LAYER:K")?;
    let k: usize = k.parse().with_context(|| {
        format!(
            "branches={}: '{}' is not a branch count",
            spikefab_chip::text::escape(spec),
            spikefab_chip::text::escape(k)
        )
    })?;
    let mut net = net.clone();
    let p = &net.populations[q];
    let (size, old) = (p.size, p.branches());
    let cap = match p.dendrites {
        Some(d) => d.cap,
        None => (0..size)
            .filter_map(|i| p.neuron.dynamics(i).threshold)
            .fold(0.0, f64::max)
            .max(1e-9),
    };
    let name = p.name.clone();
    for pr in net.projections.iter_mut().filter(|pr| pr.to == name) {
        let (_, sources) = pr.weights.shape();
        let mut merged: std::collections::BTreeMap<(u32, u32), f64> = Default::default();
        for (s, row) in pr.weights.by_source().iter().enumerate() {
            for &(t, w) in row {
                *merged.entry((t / old as u32, s as u32)).or_default() += w;
            }
        }
        let per = k.max(1) as u32;
        pr.weights = Weights::Sparse {
            targets: size * per as usize,
            sources,
            synapses: merged
                .into_iter()
                .filter(|&(_, w)| w != 0.0)
                .map(|((n, s), w)| (n * per + s % per, s, w))
                .collect(),
        };
    }
    net.populations[q].dendrites = (k > 0).then_some(Dendrites { branches: k, cap });
    net.validate()?;
    Ok(net)
}

/// `net` with layer `layer` running `model` (one of [`MODELS`]).
pub fn with_model(net: &Network, spec: &str) -> anyhow::Result<Network> {
    let (q, model) = layer_setting(net, "model", spec, "LAYER:MODEL")?;
    let mut net = net.clone();
    let p = &mut net.populations[q];
    if !p.neuron.spiking() {
        anyhow::bail!(
            "model={}: layer '{}' is a readout; only spiking layers change model",
            spikefab_chip::text::escape(spec),
            spikefab_chip::text::escape(&p.name)
        );
    }
    let d: Vec<_> = (0..p.size).map(|i| p.neuron.dynamics(i)).collect();
    let each = |f: &dyn Fn(&spikefab_compiler::network::Dynamics) -> f64| {
        Param::PerNeuron(d.iter().map(f).collect())
    };
    let threshold = each(&|d| d.threshold.unwrap_or(1.0));
    p.neuron = match model {
        "lif" => Neuron::CubaLif {
            alpha: each(&|d| d.alpha),
            beta: each(&|d| d.beta),
            threshold,
            bias: each(&|d| d.bias),
            current_bias: each(&|d| d.current_bias),
        },
        "alif" => Neuron::Alif {
            alpha: each(&|d| d.alpha),
            beta: each(&|d| d.beta),
            bias: each(&|d| d.bias + d.current_bias / (1.0 - d.alpha).max(1e-12)),
            adaptation: Param::Scalar(SWEEP_ALIF_KEEP),
            threshold_step: each(&|d| SWEEP_ALIF_STEP * d.threshold.unwrap_or(1.0)),
            threshold,
        },
        "if" => Neuron::If {
            threshold,
            bias: each(&|d| d.bias),
        },
        other => anyhow::bail!(
            "model={}: unknown model '{}'; use one of {}",
            spikefab_chip::text::escape(spec),
            spikefab_chip::text::escape(other),
            MODELS.join(", ")
        ),
    };
    net.validate()?;
    Ok(net)
}

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
    // LO..HI only for the numeric keys (a file name may hold "..", to be refused as such)
    let numeric = matches!(
        key,
        "weight_bits" | "state_bits" | "threshold_bits" | "rate" | "neurons"
    );
    let values: Vec<String> = if let Some((lo, hi)) = vals.split_once("..").filter(|_| numeric) {
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
    for v in &values {
        let ok = match key {
            "preset" => spikefab_chip::text::check_name("preset", v).is_ok(),
            "rate" => v.parse::<f64>().is_ok_and(|r| r.is_finite() && r >= 0.0),
            "neurons" => v.parse::<u32>().is_ok(),
            "noise" => v.split_once(':').is_some_and(|(l, a)| {
                spikefab_chip::text::check_name("layer", l).is_ok()
                    && a.parse::<f64>().is_ok_and(|a| a.is_finite() && a >= 0.0)
            }),
            "model" => v.split_once(':').is_some_and(|(l, m)| {
                spikefab_chip::text::check_name("layer", l).is_ok() && MODELS.contains(&m)
            }),
            "network" => check_network_file(v).is_ok(),
            "branches" => v.split_once(':').is_some_and(|(l, k)| {
                spikefab_chip::text::check_name("layer", l).is_ok()
                    && k.parse::<u8>()
                        .is_ok_and(|k| k <= spikefab_chip::model::dendrites::MAX_BRANCHES)
            }),
            _ => v.parse::<u8>().is_ok(),
        };
        if !ok {
            anyhow::bail!(
                "--vary '{}': '{}' is not a valid {key}",
                spikefab_chip::text::escape(spec),
                spikefab_chip::text::escape(v)
            );
        }
    }
    if values.len() > 4096 {
        anyhow::bail!("--vary '{spec}': more than 4096 values");
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
    // Bit widths are u8 fields: a value that does not fit is an error, never wrapped.
    let bits = |k: &str, v: &str| -> anyhow::Result<u8> {
        v.parse::<u8>()
            .with_context(|| format!("{k}={v}: expected a whole number of bits, 0..=255"))
    };
    for (k, v) in settings {
        match k.as_str() {
            "weight_bits" => arch.format.weight_bits = bits(k, v)?,
            "state_bits" => arch.format.state_bits = bits(k, v)?,
            "threshold_bits" => arch.format.threshold_bits = bits(k, v)?,
            "neurons" => {
                arch.core.max_neurons = v
                    .parse()
                    .with_context(|| format!("{k}={v}: expected a whole number of neurons"))?
            }
            _ => {}
        }
    }
    arch.validate()?;
    Ok(arch)
}

/// Runs the grid on `threads` workers and writes `sweep.csv` and `pareto.svg` into `out`.
pub fn sweep(
    src: &kws::ModelSource,
    base_arch: &str,
    axes: &[Axis],
    threads: usize,
    out: &Path,
    progress: Mode,
) -> anyhow::Result<String> {
    let points: usize = axes.iter().map(|a| a.values.len()).product();
    if points > MAX_POINTS {
        anyhow::bail!("the grid has {points} points, more than the {MAX_POINTS} a sweep may have");
    }
    let enc = kws::Encoding::load(src)?;
    // the networks, by file: the model's, or those a network axis names
    let mut nets: HashMap<String, Network> = HashMap::new();
    let files: Vec<&str> = match axes.iter().find(|a| a.key == "network") {
        Some(a) => a.values.iter().map(String::as_str).collect(),
        None => vec![kws::MODEL_FILE],
    };
    for f in files {
        check_network_file(f)?;
        nets.insert(f.to_string(), kws::load_model_file(src, f)?);
    }
    // A model axis naming a layer a network lacks is refused before any point runs.
    for a in axes {
        for v in &a.values {
            for net in nets.values() {
                match a.key.as_str() {
                    "model" => with_model(net, v).map(drop)?,
                    "noise" => with_noise(net, v).map(drop)?,
                    "branches" => with_branches(net, v).map(drop)?,
                    _ => {}
                }
            }
        }
    }
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
    // Points finished by an earlier, interrupted run of the same sweep are kept.
    let journal = Journal::open(out, &sweep_id(src, base_arch, axes))?;
    let done: HashMap<Settings, Outcome> = journal.finished()?;
    // the test set once per cochlea rate
    let mut sets: HashMap<String, Vec<kws::Clip>> = HashMap::new();
    for p in grid.iter().filter(|p| !done.contains_key(*p)) {
        let rate = p
            .iter()
            .find(|(k, _)| k == "rate")
            .map_or(enc.rate.to_string(), |(_, v)| v.clone());
        if !sets.contains_key(&rate) {
            let e = kws::Encoding {
                rate: rate.parse().with_context(|| format!("rate={rate}"))?,
                ..enc.clone()
            };
            sets.insert(rate.clone(), kws::load_test_set(src, &e)?);
        }
    }
    let results: Mutex<Vec<Option<Point>>> = Mutex::new(
        grid.iter()
            .map(|p| {
                done.get(p).map(|o| Point {
                    settings: p.clone(),
                    outcome: o.clone(),
                    pareto: false,
                })
            })
            .collect(),
    );
    let bar = Progress::new(progress, grid.len() as u64, "sweeping", "points");
    let finished = std::sync::atomic::AtomicUsize::new(done.len());
    bar.set(done.len() as u64);
    let journal = Mutex::new(journal);
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
                if done.contains_key(settings) {
                    continue;
                }
                let rate = settings
                    .iter()
                    .find(|(k, _)| k == "rate")
                    .map_or(enc.rate.to_string(), |(_, v)| v.clone());
                // the point's network: its file, its layer's model, noise and branches
                let file = settings
                    .iter()
                    .find(|(k, _)| k == "network")
                    .map_or(kws::MODEL_FILE, |(_, v)| v.as_str());
                let net = settings.iter().try_fold(
                    std::borrow::Cow::Borrowed(&nets[file]),
                    |n, (k, v)| match k.as_str() {
                        "model" => with_model(&n, v).map(std::borrow::Cow::Owned),
                        "noise" => with_noise(&n, v).map(std::borrow::Cow::Owned),
                        "branches" => with_branches(&n, v).map(std::borrow::Cow::Owned),
                        _ => Ok(n),
                    },
                );
                let outcome = net
                    .and_then(|net| {
                        let arch = arch_for(base_arch, settings)?;
                        kws::evaluate(&net, &arch, &sets[&rate], 1).map(|(_, r)| r)
                    })
                    .map_err(|e| format!("{e:#}"));
                let logged = journal
                    .lock()
                    .expect("sweep journal")
                    .append(settings, &outcome);
                results.lock().expect("sweep results")[i] = Some(Point {
                    settings: settings.clone(),
                    outcome,
                    pareto: false,
                });
                if let Err(e) = logged {
                    eprintln!("warning: {}", crate::terminal_safe(&format!("{e:#}")));
                }
                let n = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                bar.set(n as u64);
            });
        }
    })
    .map_err(|_| anyhow::anyhow!("a sweep worker panicked"))?;
    bar.finish();
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
    let keys: Vec<&str> = axes.iter().map(|a| a.key.as_str()).collect();
    let mut csv = format!(
        "{},accuracy,energy_pj,latency_ns,cores,synapses,synaptic_ops,pareto,error\n",
        keys.join(",")
    );
    for p in &points {
        let vals: Vec<&str> = p.settings.iter().map(|(_, v)| v.as_str()).collect();
        match &p.outcome {
            Ok(r) => {
                let _ = writeln!(
                    csv,
                    "{},{:.4},{:.1},{:.1},{},{},{:.0},{},",
                    vals.join(","),
                    r.accuracy,
                    r.energy_pj,
                    r.latency_ns,
                    r.cores,
                    r.synapses,
                    r.synaptic_ops,
                    p.pareto
                );
            }
            Err(e) => {
                let _ = writeln!(
                    csv,
                    "{},,,,,,,false,\"{}\"",
                    vals.join(","),
                    e.replace('"', "'")
                );
            }
        }
    }
    crate::write_text(&out.join("sweep.csv"), &csv)?;
    crate::write_text(&out.join("sweep.md"), &markdown(&keys, &points))?;
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
        "wrote {}/sweep.csv, sweep.md and pareto.svg ({} points, {} resumed from {JOURNAL})",
        out.display(),
        points.len(),
        done.len()
    );
    Ok(s)
}

/// The points as a Markdown table, for the docs (a point that does not
/// compile says why in its accuracy cell).
fn markdown(keys: &[&str], points: &[Point]) -> String {
    let mut md = format!(
        "| {} | accuracy | energy / inf. | latency / inf. | cores | synapses | synaptic ops / inf. |\n|{}\n",
        keys.join(" | "),
        "---|".repeat(keys.len() + 6)
    );
    for p in points {
        let vals: Vec<&str> = p.settings.iter().map(|(_, v)| v.as_str()).collect();
        let _ = match &p.outcome {
            Ok(r) => writeln!(
                md,
                "| {} | {:.1} %{} | {} | {} | {} | {} | {:.0} |",
                vals.join(" | "),
                100.0 * r.accuracy,
                if p.pareto { " *" } else { "" },
                crate::summary::energy_str(r.energy_pj),
                crate::summary::time_str(r.latency_ns),
                r.cores,
                r.synapses,
                r.synaptic_ops
            ),
            Err(e) => {
                // the reason, without the "compiling the model for 'chip'" every row would repeat
                let why = e
                    .split_once("': ")
                    .filter(|(head, _)| head.starts_with("compiling the model for '"))
                    .map_or(e.as_str(), |(_, why)| why);
                writeln!(
                    md,
                    "| {} | does not fit: {} | | | | | |",
                    vals.join(" | "),
                    why.replace('|', "/").replace('\n', " ")
                )
            }
        };
    }
    md
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
