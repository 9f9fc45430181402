//! Human-readable terminal summaries.

use std::fmt::Write;

use spikefab_emulator::Report;

/// pJ as a readable energy.
///
/// ```
/// assert_eq!(spikefab::summary::energy_str(6_328_000.0), "6.328 µJ");
/// assert_eq!(spikefab::summary::time_str(1_500.0), "1.500 µs");
/// ```
pub fn energy_str(pj: f64) -> String {
    scaled(
        pj * 1e-12,
        &[
            (1.0, "J"),
            (1e-3, "mJ"),
            (1e-6, "µJ"),
            (1e-9, "nJ"),
            (1e-12, "pJ"),
        ],
    )
}

/// ns as a readable duration.
pub fn time_str(ns: f64) -> String {
    scaled(
        ns * 1e-9,
        &[(1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")],
    )
}

fn scaled(x: f64, units: &[(f64, &str)]) -> String {
    for &(f, u) in units {
        if x.abs() >= f {
            return format!("{:.3} {u}", x / f);
        }
    }
    let (f, u) = units[units.len() - 1];
    format!("{:.3} {u}", x / f)
}

fn pct(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

/// The run summary: energy and latency per inference, op counts, per-core utilization.
pub fn run_table(r: &Report) -> String {
    let mut s = String::new();
    let p = &r.program;
    let e = &r.energy;
    let l = &r.latency;
    let t = &r.totals;
    let _ = writeln!(
        s,
        "{} on '{}': {} cores ({} tiles), {} neurons, {} synapses, {} steps of {} ms",
        p.source,
        r.arch,
        p.cores_used,
        p.tiles_used,
        p.neurons,
        p.synapses,
        r.steps,
        p.dt_s * 1e3
    );
    // The arch's published error bars against silicon, where it has them.
    let (e_err, l_err) = match &r.accuracy {
        Some(a) => (
            format!(" ± {}%", a.energy_pct),
            format!(" ± {}%", a.latency_pct),
        ),
        None => (String::new(), String::new()),
    };
    let _ = writeln!(
        s,
        "  energy / inference    {:>14}{e_err}",
        energy_str(e.total_pj)
    );
    let _ = writeln!(
        s,
        "      synaptic {:.0}%, neuron {:.0}%, spike+axon {:.0}%, inputs {:.0}%, NoC {:.0}%, static {:.0}%",
        pct(e.synaptic_pj, e.total_pj),
        pct(e.neuron_pj, e.total_pj),
        pct(e.spike_out_pj + e.axon_out_pj + e.axon_in_pj, e.total_pj),
        pct(e.input_pj, e.total_pj),
        pct(e.noc_pj, e.total_pj),
        pct(e.static_pj, e.total_pj)
    );
    if t.learning_updates + t.trace_updates > 0 {
        let _ = writeln!(
            s,
            "      learning {:.0}% ({} weight updates, {} trace updates)",
            pct(e.learning_pj, e.total_pj),
            t.learning_updates,
            t.trace_updates
        );
    }
    let _ = writeln!(
        s,
        "  latency / inference   {:>14}{l_err}",
        time_str(l.total_ns)
    );
    let _ = writeln!(
        s,
        "      per step {} (core {}, NoC {}, barrier {}), {:.1}x real time",
        time_str(l.mean_step_ns),
        time_str(l.core_ns / r.steps.max(1) as f64),
        time_str(l.noc_ns / r.steps.max(1) as f64),
        time_str(l.barrier_ns / r.steps.max(1) as f64),
        l.speedup_vs_real_time
    );
    let _ = writeln!(
        s,
        "  synaptic ops          {:>14}   (dense equivalent {})",
        t.synaptic_ops, r.neurobench.synaptic_operations.dense
    );
    let _ = writeln!(
        s,
        "  spikes                {:>14}   (activation sparsity {:.4})",
        t.spikes, r.neurobench.activation_sparsity
    );
    let _ = writeln!(
        s,
        "  messages / hops       {:>14}   / {}",
        t.messages_out,
        t.hops_east_west + t.hops_north_south + t.hops_chip
    );
    let _ = writeln!(s, "  saturations           {:>14}", t.saturations);
    if let Some(a) = &r.accuracy {
        let _ = writeln!(s, "  error bars: {}", a.source);
    }
    let _ = writeln!(
        s,
        "  per core:  core  phys  tile     neurons  synapses   syn.ops     spikes   util"
    );
    const SHOWN: usize = 12;
    for c in r.cores.iter().take(SHOWN) {
        let _ = writeln!(
            s,
            "            {:>4}  {:>4}  {:>2},{:<2}  {:>8}  {:>8}  {:>8}  {:>9}  {:>5.1}%",
            c.core,
            c.core_id,
            c.tile.0,
            c.tile.1,
            c.neurons,
            c.synapses,
            c.counters.synaptic_ops,
            c.counters.spikes,
            100.0 * c.utilization
        );
    }
    if r.cores.len() > SHOWN {
        let _ = writeln!(
            s,
            "            … {} more cores in report.json",
            r.cores.len() - SHOWN
        );
    }
    s
}
