//! `spikefab inspect FILE`: a short summary of any file spikefab reads or writes.

use anyhow::Context;
use std::fmt::Write;
use std::path::Path;

use spikefab_chip::{Arch, CoreProgram, SpikeStream};
use spikefab_emulator::Report;

pub fn inspect(path: &Path) -> anyhow::Result<String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "sfc" => Ok(program_summary(&CoreProgram::load(path)?)),
        "ron" => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            match CoreProgram::from_ron(&text, path) {
                Ok(p) => {
                    p.validate()?;
                    Ok(program_summary(&p))
                }
                Err(program_err) => match Arch::from_ron_str(&text, path) {
                    Ok(a) => Ok(arch_summary(&a)),
                    Err(arch_err) => match spikefab_compiler::Network::load(path) {
                        Ok(net) => Ok(network_summary(&net)),
                        Err(net_err) => anyhow::bail!(
                            "{} is not a core program, an architecture or a network:\n  as a program: {program_err}\n  as an architecture: {arch_err}\n  as a network: {net_err}",
                            path.display()
                        ),
                    },
                },
            }
        }
        "aer" | "csv" | "npy" => Ok(spikes_summary(&SpikeStream::load(path)?)),
        "nir" => nir_summary(path),
        "wav" => {
            let (a, notes) = spikefab_cochlea::Audio::read_wav(path)?;
            Ok(format!(
                "audio: {:.3} s at {} Hz, {} channel(s) (mixed to mono), peak {:.3}\n",
                a.duration_s(),
                a.rate,
                notes.channels_mixed,
                a.samples.iter().fold(0.0f64, |m, x| m.max(x.abs()))
            ))
        }
        "json" => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let report: Report = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a spikefab report.json", path.display()))?;
            Ok(crate::summary::run_table(&report))
        }
        _ => anyhow::bail!(
            "{}: spikefab reads .sfc and .ron (programs, architectures, networks), .nir graphs, .wav audio, .aer/.csv/.npy (spikes) and report .json files",
            path.display()
        ),
    }
}

/// A NIR graph: its nodes by type, and the network spikefab lowers it to.
fn nir_summary(path: &Path) -> anyhow::Result<String> {
    let g = spikefab_compiler::nir::NirGraph::load(path)?;
    let mut kinds = std::collections::BTreeMap::new();
    for n in g.nodes.values() {
        *kinds.entry(n.kind.as_str()).or_insert(0usize) += 1;
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "NIR graph (version {}): {} nodes, {} edges",
        if g.version.is_empty() {
            "?"
        } else {
            &g.version
        },
        g.nodes.len(),
        g.edges.len()
    );
    let _ = writeln!(
        s,
        "  node types: {}",
        kinds
            .iter()
            .map(|(k, n)| format!("{k} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Shown as read, growing membranes included: inspect reports, compile
    // refuses. With the exporter's convention where the file identifies it,
    // else NIR's at snnTorch's dt, leading batch/time axes dropped.
    use spikefab_compiler::exporters::Exporter;
    let exporter = Exporter::detect(&g);
    let mut convention = exporter.unwrap_or(Exporter::Nir).convention();
    convention.input_leading_axis = true;
    let options = spikefab_compiler::lower::LowerOptions {
        dt: convention.dt.unwrap_or(crate::compile::DEFAULT_NIR_DT),
        convention,
        allow_growing_decay: true,
    };
    match spikefab_compiler::lower::lower_with(&g, "model", options) {
        Ok((net, _)) => {
            let _ = writeln!(
                s,
                "  lowered with {} at dt = {}:",
                match exporter {
                    Some(e) => format!("the {} convention (detected from its node names)", e.name()),
                    None => "NIR's reading (forward Euler, reset to zero; `compile --from` reads an exporter's)".into(),
                },
                net.dt
            );
            write_populations(&mut s, &net, "    ");
            let _ = writeln!(
                s,
                "    {} inputs, {} synapses, outputs: {}",
                net.inputs.iter().map(|i| i.size).sum::<usize>(),
                net.num_synapses(),
                net.outputs.join(", ")
            );
        }
        Err(e) => {
            let _ = writeln!(s, "  cannot be lowered: {e}");
        }
    }
    Ok(s)
}

/// One line per population: name, size and neuron model, then its per-step
/// decays (α of the current, β of the membrane, min..max over neurons), the
/// largest incoming weight (the input gain is folded into the weights) and
/// the threshold range: what a reading of a file's time unit and gain
/// convention made of it.
fn write_populations(s: &mut String, net: &spikefab_compiler::Network, indent: &str) {
    for p in &net.populations {
        let _ = writeln!(
            s,
            "{indent}population {:<16} {:>6} neurons  {}{}",
            p.name,
            p.size,
            neuron_kind(&p.neuron),
            match p.reset {
                spikefab_chip::Reset::Zero => String::new(),
                spikefab_chip::Reset::Subtract { max_spikes } => {
                    format!(", reset by subtraction (≤ {max_spikes} spikes a step)")
                }
            }
        );
        let d: Vec<_> = (0..p.size).map(|i| p.neuron.dynamics(i)).collect();
        let range = |f: &dyn Fn(&spikefab_compiler::network::Dynamics) -> f64| {
            let (lo, hi) = d
                .iter()
                .map(f)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                    (a.min(x), b.max(x))
                });
            if lo == hi {
                format!("{lo:.4}")
            } else {
                format!("{lo:.4}..{hi:.4}")
            }
        };
        let w_in = net
            .projections
            .iter()
            .filter(|pr| pr.to == p.name)
            .map(|pr| pr.weights.max_abs())
            .fold(0.0, f64::max);
        let grows = d.iter().any(|x| x.alpha > 1.0 || x.beta > 1.0);
        let mut threshold = if d.iter().any(|x| x.threshold.is_some()) {
            format!("  θ {}", range(&|x| x.threshold.unwrap_or(f64::NAN)))
        } else {
            String::new()
        };
        if d.iter().any(|x| x.adaptation.is_some()) {
            let _ = write!(
                threshold,
                " + adaptation (keeps {} a step, +{} a spike)",
                range(&|x| x.adaptation.map_or(f64::NAN, |a| a.decay)),
                range(&|x| x.adaptation.map_or(f64::NAN, |a| a.step)),
            );
        }
        let _ = writeln!(
            s,
            "{indent}  per step: α {}  β {}{}  largest |w_in| {w_in:.4}{threshold}",
            range(&|x| x.alpha),
            range(&|x| x.beta),
            if grows { " (above 1: grows)" } else { "" },
        );
    }
}

pub fn network_summary(net: &spikefab_compiler::Network) -> String {
    let mut s = format!("network '{}' (dt = {} s)\n", net.name, net.dt);
    write_populations(&mut s, net, "  ");
    let _ = writeln!(
        s,
        "  {} inputs, {} projections, {} synapses, outputs: {}",
        net.inputs.iter().map(|i| i.size).sum::<usize>(),
        net.projections.len(),
        net.num_synapses(),
        net.outputs.join(", ")
    );
    s
}

fn neuron_kind(n: &spikefab_compiler::Neuron) -> &'static str {
    use spikefab_compiler::Neuron::*;
    match n {
        Lif { .. } => "LIF",
        CubaLif { .. } => "CUBA LIF",
        If { .. } => "IF",
        Li { .. } => "LI (readout)",
        CubaLi { .. } => "CUBA LI (readout)",
        Alif { .. } => "ALIF (adaptive threshold)",
    }
}

pub fn program_summary(p: &CoreProgram) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "core program (format {}) for arch '{}'",
        p.format_version, p.arch.name
    );
    let _ = writeln!(s, "  source    {}", p.provenance.source);
    if let Some(h) = &p.provenance.source_sha256 {
        let _ = writeln!(s, "  sha256    {h}");
    }
    let _ = writeln!(s, "  producer  {}", p.provenance.producer);
    let _ = writeln!(s, "  dt        {} s", p.dt);
    let _ = writeln!(
        s,
        "  {} cores, {} neurons, {} synapses, {} input channels, {} outputs",
        p.cores.len(),
        p.num_neurons(),
        p.num_synapses(),
        p.num_input_channels(),
        p.outputs.len()
    );
    let lim = &p.arch.core;
    let _ = writeln!(
        s,
        "  core  phys  compartments   synapses         axons         routes  max delay"
    );
    for (i, c) in p.cores.iter().enumerate().take(16) {
        let _ = writeln!(
            s,
            "  {:>4}  {:>4}  {:>5}/{:<6}  {:>7}/{:<8}  {:>5}/{:<6}  {:>5}/{:<6}  {:>3}",
            i,
            c.core_id,
            c.num_compartments(),
            lim.max_neurons,
            c.synapses.len(),
            lim.max_synapses,
            c.synapses.num_axons(),
            lim.max_axons,
            c.routes.len(),
            lim.max_routes,
            c.max_synaptic_delay()
        );
    }
    if p.cores.len() > 16 {
        let _ = writeln!(s, "  … {} more cores", p.cores.len() - 16);
    }
    for l in &p.provenance.layers {
        let _ = writeln!(
            s,
            "  layer {}: weight = stored · {:e} (exp {})",
            l.name, l.weight_scale, l.weight_exp
        );
    }
    // Groups with a schedule, noise or dendrites worth naming (first 16).
    for (ci, c) in p.cores.iter().enumerate() {
        for g in c.groups.iter().take(16) {
            let mut extra = Vec::new();
            if let Some(sc) = &g.schedule {
                let held = sc.steps.iter().filter(|e| e.threshold.is_none()).count();
                extra.push(format!("schedule of {} steps ({held} held)", sc.len()));
            }
            if let Some(n) = &g.noise {
                extra.push(format!("noise 2^{} (mant {})", n.exp, n.mant));
            }
            if let Some(d) = &g.dendrites {
                extra.push(format!(
                    "{} dendritic branches a neuron, cap {}",
                    d.branches, d.cap
                ));
            }
            if !extra.is_empty() {
                let _ = writeln!(
                    s,
                    "  core {ci} group {} ({}): {}",
                    crate::terminal_safe(&g.name),
                    g.model(),
                    extra.join(", ")
                );
            }
        }
    }
    if let Some(seed) = p.noise_seed {
        let _ = writeln!(s, "  noise seed {seed}");
    }
    s
}

pub fn arch_summary(a: &Arch) -> String {
    let t = &a.topology;
    let (w, h) = t.mesh_size();
    let f = &a.format;
    let mut s = String::new();
    let _ = writeln!(s, "{}: {}", a.name, a.description);
    let _ = writeln!(
        s,
        "  mesh {w}x{h} tiles x {} cores = {} cores ({}x{} chips)",
        t.cores_per_tile,
        t.num_cores(),
        t.chips_x,
        t.chips_y
    );
    let _ = writeln!(
        s,
        "  per core: {} neurons, {} synapse words, {} axons, {} routes, delay <= {}",
        a.core.max_neurons,
        a.core.max_synapses,
        a.core.max_axons,
        a.core.max_routes,
        a.core.max_delay
    );
    let _ = writeln!(
        s,
        "  formats: {}-bit weights (exp {}..={}), {}-bit state, {}-bit threshold, decay {:?}, u overflow {:?}",
        f.weight_bits, f.weight_exp_min, f.weight_exp_max, f.state_bits, f.threshold_bits, f.decay, f.current_overflow
    );
    let c = &a.costs;
    let _ = writeln!(
        s,
        "  synaptic op {} pJ / {} ns (sparse), neuron update {} pJ idle / {} pJ active, spike {} pJ, message {} pJ, hop {}/{} pJ",
        c.synapse_sparse.energy_pj,
        c.synapse_sparse.latency_ns,
        c.neuron.idle_and_active().0.energy_pj,
        c.neuron.idle_and_active().1.energy_pj,
        c.spike_out.energy_pj,
        c.axon_out.energy_pj,
        c.hop_east_west.energy_pj,
        c.hop_north_south.energy_pj
    );
    let t = &a.timing;
    let _ = writeln!(
        s,
        "  cost model: neurons {}, inputs {:?}, core timing {:?}, barrier {:?}{}",
        match c.neuron {
            spikefab_chip::NeuronCharging::AccessPlusUpdate { .. } => "access + update",
            spikefab_chip::NeuronCharging::ActiveOrIdle { .. } => "active or idle",
        },
        c.inputs,
        t.core_timing,
        t.barrier_lookup,
        a.accuracy.as_ref().map_or(String::new(), |x| format!(
            "; vs silicon: energy ±{}%, latency ±{}%",
            x.energy_pct, x.latency_pct
        ))
    );
    s
}

pub fn spikes_summary(sp: &SpikeStream) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "spike stream: {} events, {} channels, {} steps{}",
        sp.len(),
        sp.channels,
        sp.steps,
        if sp.dt > 0.0 {
            format!(" of {} s", sp.dt)
        } else {
            String::new()
        }
    );
    if let (Some(first), Some(last)) = (sp.events().first(), sp.events().last()) {
        let cells = sp.channels as f64 * sp.steps as f64;
        let _ = writeln!(
            s,
            "  first spike at step {}, last at step {}; {:.4} spikes per channel per step",
            first.timestep,
            last.timestep,
            sp.len() as f64 / cells.max(1.0)
        );
    }
    s
}
