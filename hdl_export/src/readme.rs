//! The export folder's README, written from the same layout table.

use std::fmt::Write;

use spikefab_chip::CoreProgram;

use crate::layout::Layouts;
use crate::ExportSummary;

pub fn readme(p: &CoreProgram, l: &Layouts, s: &ExportSummary) -> String {
    let f = &p.arch.format;
    let mut r = String::new();
    let _ = writeln!(
        r,
        "# FPGA export of '{}' for '{}'\n",
        crate::comment_text(&p.provenance.source).replace('`', "'"),
        crate::comment_text(&p.arch.name).replace('`', "'")
    );
    let _ = writeln!(
        r,
        "Written by spikefab export-hdl: {} cores, {} neurons, {} synapses. The memory tables hold the compiled\n\
         CoreProgram; `rtl/` is spikefab's reference RTL, which reproduces the emulator's spikes bit for bit.\n",
        p.cores.len(),
        p.num_neurons(),
        p.num_synapses()
    );
    if !s.unsupported_by_rtl.is_empty() {
        let _ = writeln!(r, "**The reference RTL does not simulate:** {}. The tables are complete; the testbench result is not meaningful.\n", s.unsupported_by_rtl.join("; "));
    }
    let _ = writeln!(r, "## Update equations (per timestep, per neuron)\n");
    let _ = writeln!(
        r,
        "```\na_in  = (Σ synapse weights arriving this step) << weight_exp      (arithmetic >> when negative)\n\
         bias  = bias_mant << bias_exp                                     (arithmetic >> when negative)\n\
         u'    = decay(u, du + {co}) + (a_in << {act})                        {uo}\n\
         v'    = decay(v, dv + {vo}) + u' + bias                            clamped to ±(2^{sb1} − 1)\n\
         spike = v' > (vth << {thr});  on spike v' = 0                      (LI never spikes)\n\
         IF:   v' = clamp(v + (a_in << {act}) + bias)\n\
         decay = {dec}\n```\n",
        co = match f.decay {
            spikefab_chip::DecayRule::Mul12 { current_offset, .. } => current_offset,
            spikefab_chip::DecayRule::Shift => 0,
        },
        vo = match f.decay {
            spikefab_chip::DecayRule::Mul12 { voltage_offset, .. } => voltage_offset,
            spikefab_chip::DecayRule::Shift => 0,
        },
        act = f.activation_shift,
        thr = f.threshold_shift,
        sb1 = f.state_bits - 1,
        uo = match f.current_overflow {
            spikefab_chip::Overflow::Wrap => format!("32-bit add; one ±2^{} correction outside (−2^{sb}, 2^{sb}]", f.state_bits, sb = f.state_bits - 1),
            spikefab_chip::Overflow::Saturate => format!("clamped to ±(2^{} − 1)", f.state_bits - 1),
        },
        dec = match f.decay {
            spikefab_chip::DecayRule::Mul12 { .. } => "x · (4096 − d) / 4096, rounded toward zero",
            spikefab_chip::DecayRule::Shift => "x − (x >>> d) (arithmetic shift); d ≥ 32: no decay",
        }
    );
    let _ = writeln!(r, "A spike sent (or an input event) at step t is integrated at t + 1 + axonal delay + synaptic delay.\n");
    let _ = writeln!(r, "## Memory word layouts (bit 0 first)\n");
    for layout in l.all() {
        let _ = writeln!(
            r,
            "### `{}` ({} bits)\n\n| field | bits | signed | meaning |\n|---|---|---|---|",
            layout.memory,
            layout.width()
        );
        for fld in &layout.fields {
            let lsb = layout.lsb(fld.name);
            let _ = writeln!(
                r,
                "| {} | {}:{} | {} | {} |",
                fld.name,
                lsb + fld.width - 1,
                lsb,
                if fld.signed { "yes" } else { "no" },
                fld.doc
            );
        }
        r.push('\n');
    }
    let _ = writeln!(r, "## Memories (depth × width, Xilinx RAMB18 estimate)\n\n| memory | depth | width | RAMB18 |\n|---|---|---|---|");
    for m in &s.memories {
        let _ = writeln!(
            r,
            "| {} | {} | {} | {} |",
            m.name, m.depth, m.width, m.ramb18
        );
    }
    let _ = writeln!(
        r,
        "\nTotal estimate: **{} RAMB18** — for each memory `ceil(D/d)·ceil(W/w)` minimised over the RAMB18 shapes 16K×1, 8K×2, 4K×4, 2K×9, 1K×18, 512×36 (Xilinx UG473). Small tables may land in LUT RAM instead.\n",
        s.ramb18_total
    );
    let _ = writeln!(
        r,
        "## Files\n\n\
         - `mem/*.mem`: `$readmemh` tables, one hex word per line, no comments, padded to depth.\n\
         - `vivado/*.coe`, `quartus/*.mif`: the same words for the Block Memory Generator and Quartus RAM IP.\n\
         - `rtl/snn_params.vh` (Verilog-2005 `define`s) and `rtl/snn_params_pkg.sv` (untyped `localparam`s): formats, sizes, every field's LSB and width.\n\
         - `rtl/snn_core.v`, `rtl/snn_router.v`, `rtl/snn_top.v`: the reference RTL (Verilog-2005).\n\
         - `tb/tb_snn_top.sv`, `tb/stimulus.mem` (input events as `{{t, core, axon, delay}}` words), `tb/expected_spikes.txt` (the emulator's output spikes), `tb/output_neurons.txt`.\n\
         - `manifest.json`: format version, fixed-point formats, cores, every file with its SHA-256.\n"
    );
    let _ = writeln!(
        r,
        "## Running it\n\n\
         - **Icarus Verilog** (11+): `sh tb/run_iverilog.sh` — compiles, runs, and diffs the output spikes with `tb/expected_spikes.txt` (prints PASS or the first differences).\n\
         - **Verilator** (5+): `sh tb/run_verilator.sh`.\n\
         - **Yosys**: `sh tb/synth_yosys.sh` — generic `synth` (cell count) and `synth_xilinx` (block RAMs, to compare with the estimate above).\n\
         - **Vivado**: add `rtl/*.v` and `rtl/snn_params.vh` as design sources (include path `rtl/`), `tb/tb_snn_top.sv` as simulation source, and copy `mem/` and `tb/stimulus.mem` next to the simulation's working directory (the RTL reads `mem/...` and `tb/stimulus.mem` with `$readmemh`); for block RAM IP use the `.coe` files.\n\
         - **Quartus**: add `rtl/*.v` with include path `rtl/`; initialise RAM IP from `quartus/*.mif`.\n"
    );
    r
}
