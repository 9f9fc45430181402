//! `run --snapshot-weights N`: the plastic synapses' delivered weights over
//! a run, and the modules of the weight graph they form as it learns
//! (Newman modularity, module count, flexibility: compiler/src/modules.rs).
//!
//! The graph's nodes are the program's input channels, then its neurons
//! core by core; each plastic synapse is an edge from the neuron or input
//! channel that sends into its axon to the neuron it feeds, weighted by its
//! delivered weight (mantissa × 2^weight_exp of its group).

use std::collections::HashMap;
use std::path::Path;

use plotters::prelude::*;
use serde::Serialize;

use spikefab_chip::CoreProgram;
use spikefab_compiler::modules::{self, ModuleTrace};
use spikefab_emulator::snapshot::{plastic_synapses, WeightSnapshot};

/// The Louvain seed: module analyses are deterministic.
const SEED: u64 = 13;

/// The files `run --snapshot-weights` adds.
pub const FILES: &[&str] = &[
    "weights.npy",
    "weight_edges.npy",
    "modularity.json",
    "modularity.svg",
];

/// The plastic synapses as graph edges.
pub struct PlasticGraph {
    pub nodes: usize,
    /// `(source node, target node)` of each plastic synapse.
    pub ends: Vec<(u32, u32)>,
    /// What one unit of its mantissa weighs (2^(weight_exp of its group +
    /// its shift)).
    pub scale: Vec<f64>,
    /// Its stored (trained) mantissa: the delivered weight less it is what
    /// learning added.
    pub stored: Vec<i32>,
}

/// The plastic synapses of `p` as a graph.
pub fn edges(p: &CoreProgram) -> PlasticGraph {
    let channels = p.num_input_channels();
    let mut first = Vec::with_capacity(p.cores.len());
    let mut total = channels;
    for c in &p.cores {
        first.push(total);
        total += c.num_neurons();
    }
    // who sends into each (core, axon)
    let mut sender: HashMap<(u32, u32), u32> = HashMap::new();
    for ch in 0..p.inputs.num_sources() {
        for r in p.inputs.of(ch) {
            sender.insert((r.core, r.axon), ch as u32);
        }
    }
    for (c, core) in p.cores.iter().enumerate() {
        for n in 0..core.routes.num_sources() {
            for r in core.routes.of(n) {
                sender.insert((r.core, r.axon), (first[c] + n) as u32);
            }
        }
    }
    let (mut ends, mut scale, mut stored) = (Vec::new(), Vec::new(), Vec::new());
    for s in plastic_synapses(p) {
        let core = &p.cores[s.core as usize];
        let mut exp = 0;
        let mut at = 0;
        for g in &core.groups {
            if (s.neuron as usize) < at + g.len() {
                exp = g.weight_exp;
                break;
            }
            at += g.len();
        }
        // an axon no route feeds has no sender: the synapse's own target
        // stands in (a self-loop, which the analysis drops)
        let to = (first[s.core as usize] + s.neuron as usize) as u32;
        let from = sender.get(&(s.core, s.axon)).copied().unwrap_or(to);
        ends.push((from, to));
        let shift = core
            .synapses
            .shift
            .get(s.word as usize)
            .copied()
            .unwrap_or(0);
        scale.push((exp as f64 + shift as f64).exp2());
        stored.push(core.synapses.word(s.word as usize).weight as i32);
    }
    PlasticGraph {
        nodes: total,
        ends,
        scale,
        stored,
    }
}

#[derive(Serialize)]
struct ModularityJson<'a> {
    nodes: usize,
    node_ids: &'static str,
    edges: usize,
    steps_done: Vec<u32>,
    /// The graph of the delivered weights.
    weights: TraceJson<'a>,
    /// The graph of what learning added (delivered − stored).
    learned: TraceJson<'a>,
}

#[derive(Serialize)]
struct TraceJson<'a> {
    modularity: &'a [f64],
    /// The same weights shuffled over the same edges: Q by chance.
    null_modularity: &'a [f64],
    modules: &'a [usize],
    changed: &'a [f64],
    flexibility: f64,
}

impl<'a> From<&'a ModuleTrace> for TraceJson<'a> {
    fn from(t: &'a ModuleTrace) -> Self {
        TraceJson {
            modularity: &t.q,
            null_modularity: &t.null_q,
            modules: &t.modules,
            changed: &t.changed,
            flexibility: t.flexibility,
        }
    }
}

/// Writes the snapshots and their module traces into `dir` ([`FILES`]):
/// of the delivered weights' graph and of the learned part's.
pub fn write(
    dir: &Path,
    p: &CoreProgram,
    snaps: &[WeightSnapshot],
) -> anyhow::Result<(ModuleTrace, ModuleTrace)> {
    use npyz::WriterBuilder;
    let g = edges(p);
    let delivered: Vec<Vec<f64>> = snaps
        .iter()
        .map(|s| {
            s.weights
                .iter()
                .zip(&g.scale)
                .map(|(&w, k)| w as f64 * k)
                .collect()
        })
        .collect();
    let learned: Vec<Vec<f64>> = snaps
        .iter()
        .map(|s| {
            s.weights
                .iter()
                .zip(&g.stored)
                .zip(&g.scale)
                .map(|((&w, &w0), k)| (w - w0) as f64 * k)
                .collect()
        })
        .collect();
    let whole = modules::trace(g.nodes, &g.ends, &delivered, SEED).map_err(anyhow::Error::msg)?;
    let part = modules::trace(g.nodes, &g.ends, &learned, SEED).map_err(anyhow::Error::msg)?;

    let mut bytes = Vec::new();
    let mut w = npyz::WriteOptions::<f64>::new()
        .default_dtype()
        .shape(&[delivered.len() as u64, g.ends.len() as u64])
        .writer(&mut bytes)
        .begin_nd()?;
    w.extend(delivered.iter().flatten().copied())?;
    w.finish()?;
    spikefab_chip::write_atomic(&dir.join("weights.npy"), &bytes)?;
    let mut bytes = Vec::new();
    let mut w = npyz::WriteOptions::<u32>::new()
        .default_dtype()
        .shape(&[g.ends.len() as u64, 2])
        .writer(&mut bytes)
        .begin_nd()?;
    w.extend(g.ends.iter().flat_map(|&(a, b)| [a, b]))?;
    w.finish()?;
    spikefab_chip::write_atomic(&dir.join("weight_edges.npy"), &bytes)?;

    let steps_done: Vec<u32> = snaps.iter().map(|s| s.steps_done).collect();
    let json = ModularityJson {
        nodes: g.nodes,
        node_ids: "input channels, then the program's neurons core by core",
        edges: g.ends.len(),
        steps_done: steps_done.clone(),
        weights: (&whole).into(),
        learned: (&part).into(),
    };
    crate::write_text(
        &dir.join("modularity.json"),
        &serde_json::to_string_pretty(&json)?,
    )?;
    crate::write_text(
        &dir.join("modularity.svg"),
        &plot(&steps_done, &whole, &part)?,
    )?;
    Ok((whole, part))
}

/// Over the run's steps: Q of the delivered weights' graph and of the
/// learned part's, the fraction of nodes whose learned-part module changed
/// (left axis), and the learned part's module count (right axis).
fn plot(steps: &[u32], whole: &ModuleTrace, part: &ModuleTrace) -> anyhow::Result<String> {
    let last = steps.last().copied().unwrap_or(1).max(1);
    let most = part.modules.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.1;
    let caption = format!(
        "Plastic weight graph over learning (flexibility of the learned part {:.3})",
        part.flexibility
    );
    let series: [(&str, &[f64], RGBColor); 4] = [
        ("modularity Q, delivered weights", &whole.q, BLUE),
        ("modularity Q, learned part", &part.q, MAGENTA),
        (
            "Q, learned part's weights shuffled (chance)",
            &part.null_q,
            BLACK,
        ),
        (
            "nodes whose module changed (learned part)",
            &part.changed,
            GREEN,
        ),
    ];
    crate::plots::svg(
        |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(caption, ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(50)
                .right_y_label_area_size(50)
                .build_cartesian_2d(0u32..last, 0.0..1.0f64)?
                .set_secondary_coord(0u32..last, 0.0..most);
            chart
                .configure_mesh()
                .x_desc("steps")
                .y_desc("Q, fraction changed")
                .draw()?;
            chart
                .configure_secondary_axes()
                .y_desc("modules (learned part)")
                .draw()?;
            for (label, values, color) in series {
                chart
                    .draw_series(LineSeries::new(
                        steps.iter().zip(values).map(|(&s, &v)| (s, v)),
                        color.stroke_width(2),
                    ))?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], color));
            }
            chart
                .draw_secondary_series(LineSeries::new(
                    steps
                        .iter()
                        .zip(&part.modules)
                        .map(|(&s, &m)| (s, m as f64)),
                    RED,
                ))?
                .label("modules, learned part (right)")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RED));
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
            Ok(())
        },
        (900, 460),
    )
}
