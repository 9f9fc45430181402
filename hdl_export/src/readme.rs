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
        "\nTotal estimate: **{} RAMB18** — for each memory `ceil(D/d)·ceil(W/w)` minimised over the RAMB18 shapes 16K×1, 8K×2, 4K×4, 2K×9, 1K×18, 512×36 (Xilinx UG473). Every table is a block RAM (`ram_style = \"block\"`), however small; on Lattice ECP5 the same count of DP16KD, or fewer where synthesis merges tables that share their addresses.\n",
        s.ramb18_total
    );
    let _ = writeln!(
        r,
        "Logic estimate (Lattice ECP5, Yosys `synth_ecp5`): **~{} LUT4** and {} MULT18X18D — fitted to spikefab's exports, checked within 20 % in spikefab's CI; run `sh tb/synth_yosys.sh` for this export's numbers.\n",
        s.ecp5_lut4_estimate, s.ecp5_mult18_estimate
    );
    let _ = writeln!(
        r,
        "## Interfaces of `snn_top`\n\n\
         | port | direction | meaning |\n|---|---|---|\n\
         | `clk`, `rst` | in | clock; reset (asynchronous in, synchronised by two flops): clears every neuron and accumulator |\n\
         | `start` | in | one-cycle pulse while idle: a new inference — clear the state, `step` = 0 |\n\
         | `tick` | in | one-cycle pulse while idle: run one timestep |\n\
         | `busy`, `done` | out | busy from `start`/`tick` until idle; `done` pulses once at the end of a step |\n\
         | `step`, `step_cycles` | out | steps since `start`; clock cycles the last step took |\n\
         | `bad_channel` | out | sticky until reset: an input event named a channel the program does not have (it was dropped) |\n\
         | `s_axis_*` | in | AXI4-Stream input events of the running step: `tdata` = input channel, `tkeep` = 4'hF; the beat with `tlast` ends the step's events (with `tkeep` = 0 it carries none) |\n\
         | `m_axis_*` | out | AXI4-Stream output spikes of the running step: `tdata` = output channel, `tkeep` = 4'hF; then one closing beat with `tkeep` = 0 and `tlast` |\n\
         | `prog_we`, `prog_addr`, `prog_wdata` | in | table writes while idle: `prog_addr` = `{{core[7:0], table[3:0], word[19:0]}}`; tables 0–10 of a core are neurons, synapses, axon_ptr, route_ptr, routes, outmap, schedule, schedule_dir, learn_rules, learn_traces, learn_synapses (those the program has); core 8'hFF holds input_ptr (0) and input_routes (1) |\n\n\
         A new network whose tables fit these depths and field widths needs no new bitstream: write its `mem/` words through the programming port, then `start`.\n"
    );
    let _ = writeln!(
        r,
        "## A timestep in clock cycles\n\n\
         1. **update ‖ input**: every core updates its neurons, one per cycle through a 5-stage pipeline (`N + 5` cycles), while the input port turns the step's events into messages (2 cycles per event + 1 per message).\n\
         2. **send**: the cores in turn own the message bus; per fired neuron 3 cycles (spike list, pointers, output beat) + 1 per routing entry.\n\
         3. **close**: the output stream's closing beat.\n\
         4. **deliver**: every core, in parallel, drains its inbox: 3 cycles per message + 1 per synapse word (a pipelined read-modify-write of one accumulator).\n\n\
         The testbench prints each step's count (`CYCLES`); the `fpga-small` arch's `Phased` timing model is fitted to them (docs/hdl.md in spikefab).\n"
    );
    let _ = writeln!(
        r,
        "## Files\n\n\
         - `mem/*.mem`: `$readmemh` images of every table, one hex word per line, no comments, padded to depth.\n\
         - `vivado/*.coe`, `quartus/*.mif`: the same words for the Block Memory Generator and Quartus RAM IP.\n\
         - `rtl/snn_params.vh` (Verilog-2005 `define`s) and `rtl/snn_params_pkg.sv` (untyped `localparam`s): formats, sizes, every field's LSB and width.\n\
         - `rtl/snn_ram.v` (the table RAM), `rtl/snn_core.v`, `rtl/snn_soma.v` (the neuron models this program uses, from `rtl/models/`, one block each), `rtl/snn_top.v`: the RTL (Verilog-2005).\n\
         - `tb/tb_snn_top.sv`, `tb/stimulus.mem` (the input stream's beats as `{{last, keep, channel}}` words), `tb/expected_spikes.txt` (the emulator's output spikes of every inference).\n\
         - `manifest.json`: format version, fixed-point formats, cores, every file with its SHA-256.\n"
    );
    let _ = writeln!(
        r,
        "## Running it\n\n\
         - **Icarus Verilog** (11+): `sh tb/run_iverilog.sh` — compiles, runs every inference through the stream interfaces, and diffs the output spikes with `tb/expected_spikes.txt` (prints PASS or the first differences); `tb/sim.log` has the cycles of every step.\n\
         - **Verilator** (5+): `sh tb/run_verilator.sh`.\n\
         - **Yosys**: `sh tb/synth_yosys.sh` — generic `synth` (cell count) and `synth_xilinx` (block RAMs, to compare with the estimate above).\n\
         - **Vivado**: add `rtl/*.v` and `rtl/snn_params.vh` as design sources (include path `rtl/`), `tb/tb_snn_top.sv` as simulation source, and copy `mem/` and `tb/` next to the simulation's working directory (the RTL reads `mem/...` and the testbench `tb/stimulus.mem` with `$readmemh`); for block RAM IP use the `.coe` files.\n\
         - **Quartus**: add `rtl/*.v` with include path `rtl/`; initialise RAM IP from `quartus/*.mif`.\n"
    );
    r
}
