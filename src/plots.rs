//! SVG pictures of a run: spike raster, energy breakdown, per-core utilization.
//!
//! Plotters' SVG backend emits text as SVG `<text>`, so no font files are needed.

use plotters::prelude::*;

use spikefab_chip::SpikeStream;
use spikefab_emulator::Report;

/// Most mesh cells the utilization plot draws.
const MAX_DRAWN_TILES: u64 = 16_384;

/// Most spikes drawn in a raster; beyond this the picture says how many it skipped.
const MAX_RASTER_POINTS: usize = 60_000;

pub(crate) fn svg(
    draw: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> anyhow::Result<()>,
    size: (u32, u32),
) -> anyhow::Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| anyhow::anyhow!("drawing failed: {e}"))?;
        draw(&root)?;
        root.present()
            .map_err(|e| anyhow::anyhow!("drawing failed: {e}"))?;
    }
    Ok(out)
}

/// Spike raster: one dot per spike, timestep against channel.
pub fn raster(spikes: &SpikeStream, title: &str) -> anyhow::Result<String> {
    let shown = spikes.len().min(MAX_RASTER_POINTS);
    let caption = if shown < spikes.len() {
        format!("{title} (first {shown} of {} spikes)", spikes.len())
    } else {
        format!("{title} ({} spikes)", spikes.len())
    };
    svg(
        |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(caption, ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(50)
                .build_cartesian_2d(0u32..spikes.steps.max(1), 0u32..spikes.channels.max(1))?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc("timestep")
                .y_desc("output channel")
                .draw()?;
            chart.draw_series(
                spikes.events()[..shown]
                    .iter()
                    .map(|e| Circle::new((e.timestep, e.channel), 1, BLACK.filled())),
            )?;
            Ok(())
        },
        (900, 500),
    )
}

/// Energy per inference by op class, as horizontal bars in µJ.
pub fn energy(report: &Report) -> anyhow::Result<String> {
    let e = &report.energy;
    let parts = [
        ("static", e.static_pj),
        ("learning", e.learning_pj),
        ("NoC hops", e.noc_pj),
        ("axon out", e.axon_out_pj),
        ("spike out", e.spike_out_pj),
        ("neuron update", e.neuron_pj),
        ("synaptic ops", e.synaptic_pj),
        ("axon in", e.axon_in_pj),
    ];
    let max = parts.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9) * 1e-6 * 1.1;
    let caption = format!(
        "Energy per inference on {}: {} total",
        report.arch,
        crate::summary::energy_str(e.total_pj)
    );
    svg(
        |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(caption, ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(110)
                .build_cartesian_2d(0.0..max, (0..parts.len()).into_segmented())?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .x_desc("µJ")
                .y_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                        parts.get(*i).map(|p| p.0.to_string()).unwrap_or_default()
                    }
                    SegmentValue::Last => String::new(),
                })
                .draw()?;
            chart.draw_series(parts.iter().enumerate().map(|(i, (_, pj))| {
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (pj * 1e-6, SegmentValue::Exact(i + 1)),
                    ],
                    Palette99::pick(i).filled(),
                );
                bar.set_margin(4, 4, 0, 0);
                bar
            }))?;
            Ok(())
        },
        (800, 420),
    )
}

/// Per-core utilization (busy time over run latency) on the mesh, one cell per used core.
pub fn utilization(report: &Report) -> anyhow::Result<String> {
    // A large mesh is drawn from its first tile to the last one in use, at
    // most MAX_DRAWN_TILES cells (a million idle tiles help nobody).
    let (mw, mh) = report.program.mesh_tiles;
    let (w, h) = if mw as u64 * mh as u64 > MAX_DRAWN_TILES {
        let ux = report.cores.iter().map(|c| c.tile.0 + 1).max().unwrap_or(1);
        let uy = report.cores.iter().map(|c| c.tile.1 + 1).max().unwrap_or(1);
        (ux.min(mw), uy.min(mh))
    } else {
        (mw, mh)
    };
    if w as u64 * h as u64 > MAX_DRAWN_TILES {
        let note = format!(
            "Core utilization not drawn: the cores in use span {w} × {h} tiles (at most {MAX_DRAWN_TILES} are drawn); see report.json"
        );
        return svg(
            |root| {
                root.draw(&Text::new(note, (20, 240), ("sans-serif", 16)))
                    .map_err(|e| anyhow::anyhow!("drawing failed: {e}"))
            },
            (800, 500),
        );
    }
    let mut per_tile_count = std::collections::HashMap::new();
    for c in &report.cores {
        *per_tile_count.entry(c.tile).or_insert(0u32) += 1;
    }
    let per_tile = per_tile_count.values().copied().max().unwrap_or(1);
    svg(
        |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(
                    format!(
                        "Core utilization on {} (busy time / run latency)",
                        report.arch
                    ),
                    ("sans-serif", 18),
                )
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(40)
                .build_cartesian_2d(0.0..w as f64, 0.0..h as f64)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(w as usize + 1)
                .y_labels(h as usize + 1)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .x_desc("tile x")
                .y_desc("tile y")
                .draw()?;
            // Unused tiles in light grey, then the used cores coloured by utilization.
            chart.draw_series(
                (0..w)
                    .flat_map(|x| (0..h).map(move |y| (x as f64, y as f64)))
                    .map(|(x, y)| {
                        Rectangle::new(
                            [(x + 0.02, y + 0.02), (x + 0.98, y + 0.98)],
                            RGBColor(235, 235, 235).filled(),
                        )
                    }),
            )?;
            // Cores sharing a tile split its cell left to right.
            let mut slot = std::collections::HashMap::new();
            let cells: Vec<(f64, f64, f64, f64)> = report
                .cores
                .iter()
                .map(|c| {
                    let k = slot.entry(c.tile).or_insert(0u32);
                    let x0 = c.tile.0 as f64 + *k as f64 / per_tile as f64;
                    *k += 1;
                    (
                        x0,
                        x0 + 1.0 / per_tile as f64,
                        c.tile.1 as f64,
                        c.utilization.clamp(0.0, 1.0),
                    )
                })
                .collect();
            chart.draw_series(cells.iter().map(|&(x0, x1, y, u)| {
                // white (idle) to deep red (always busy)
                let color = RGBColor(
                    255 - (60.0 * u) as u8,
                    (235.0 * (1.0 - u)) as u8 + 10,
                    (235.0 * (1.0 - u)) as u8 + 10,
                );
                Rectangle::new(
                    [(x0 + 0.02, y + 0.02), (x1 - 0.02, y + 0.98)],
                    color.filled(),
                )
            }))?;
            chart.draw_series(cells.iter().map(|&(x0, _, y, u)| {
                Text::new(
                    format!("{:.0}%", 100.0 * u),
                    (x0 + 0.05, y + 0.5),
                    ("sans-serif", 10),
                )
            }))?;
            Ok(())
        },
        (800, 500),
    )
}

/// A cochleagram of spikes: `(time s, channel row, intensity 0..1)` points over
/// rows labelled by centre frequency.
pub fn cochleagram(
    points: &[(f64, usize, f64)],
    centre_hz: &[f64],
    duration_s: f64,
) -> anyhow::Result<String> {
    let rows = centre_hz.len().max(1);
    svg(
        |root| {
            let mut chart = ChartBuilder::on(root)
                .caption(
                    format!("Cochleagram ({} spikes)", points.len()),
                    ("sans-serif", 18),
                )
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(60)
                .build_cartesian_2d(0.0..duration_s.max(1e-3), 0.0..rows as f64)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc("time (s)")
                .y_desc("centre frequency (Hz)")
                .y_labels(8)
                .y_label_formatter(&|y| {
                    let i = (*y as usize).min(rows - 1);
                    centre_hz
                        .get(i)
                        .map(|f| format!("{f:.0}"))
                        .unwrap_or_default()
                })
                .draw()?;
            chart.draw_series(points.iter().take(MAX_RASTER_POINTS).map(|&(t, row, v)| {
                let shade = (220.0 * (1.0 - v.clamp(0.0, 1.0))) as u8;
                Circle::new(
                    (t, row as f64 + 0.5),
                    1,
                    RGBColor(shade, shade, 255 - shade / 2).filled(),
                )
            }))?;
            Ok(())
        },
        (900, 500),
    )
}
