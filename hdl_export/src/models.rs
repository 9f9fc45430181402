//! The RTL block of each neuron model, and the generated dispatcher
//! (`rtl/snn_soma.v`) that instantiates the blocks a program uses and
//! selects among them by the neuron word's model code.
//!
//! Every block (`rtl/models/snn_<model>.v`) has the same ports and timing —
//! inputs at stage 3 of snn_core's update pipeline, outputs at stage 4 — so
//! `snn_core.v` never changes when a model is added.

use std::fmt::Write;

use spikefab_chip::{CoreProgram, ModelKind};

/// One model's Verilog: its file and how to instantiate it.
pub struct RtlBlock {
    /// Path in the export (and under `hdl_export/` in the source tree).
    pub file: &'static str,
    pub source: &'static str,
    pub module: &'static str,
    /// Parameter overrides, e.g. `.SPIKING(0)`.
    pub params: &'static str,
    /// ECP5 LUT4 of the block alone (Yosys 0.23 `synth_ecp5`, 24-bit state;
    /// `tools/model_luts.sh` measures them).
    pub lut4: usize,
    /// The block this one wraps (ALIF wraps the CUBA LIF): when both are in
    /// a program, synthesis shares the wrapped datapath, so the block costs
    /// only its difference.
    pub wraps: Option<ModelKind>,
    /// Whether the block keeps a third state word per neuron (ALIF's
    /// adaptation): snn_core then stores, decays and passes it
    /// (`SNN_STATE_A`), and the neuron word carries the block's own fields.
    pub state_a: bool,
}

const CUBA_LIF_V: &str = include_str!("../rtl/models/snn_cuba_lif.v");

/// The block that implements `kind`, if the reference RTL has one yet (the
/// export refuses a program using a model without one, naming it).
pub fn block(kind: ModelKind) -> Option<RtlBlock> {
    Some(match kind {
        ModelKind::CubaLif => RtlBlock {
            file: "rtl/models/snn_cuba_lif.v",
            source: CUBA_LIF_V,
            module: "snn_cuba_lif",
            params: ".SPIKING(1)",
            lut4: 180,
            wraps: None,
            state_a: false,
        },
        ModelKind::If => RtlBlock {
            file: "rtl/models/snn_if.v",
            source: include_str!("../rtl/models/snn_if.v"),
            module: "snn_if",
            params: "",
            lut4: 157,
            wraps: None,
            state_a: false,
        },
        ModelKind::Li => RtlBlock {
            file: "rtl/models/snn_cuba_lif.v",
            source: CUBA_LIF_V,
            module: "snn_cuba_lif",
            params: ".SPIKING(0)",
            lut4: 80,
            wraps: None,
            state_a: false,
        },
        ModelKind::Alif => RtlBlock {
            file: "rtl/models/snn_alif.v",
            source: include_str!("../rtl/models/snn_alif.v"),
            module: "snn_alif",
            params: "",
            lut4: 219,
            wraps: Some(ModelKind::CubaLif),
            state_a: true,
        },
    })
}

/// The blocks of `kinds`, each with its model; models without one are left
/// out (the export has refused them already).
fn blocks(kinds: &[ModelKind]) -> impl Iterator<Item = (ModelKind, RtlBlock)> + '_ {
    kinds.iter().filter_map(|&k| block(k).map(|b| (k, b)))
}

/// What the model blocks share (widths, the clamp).
pub const SOMA_VH: (&str, &str) = (
    "rtl/models/snn_soma.vh",
    include_str!("../rtl/models/snn_soma.vh"),
);

/// The models a program's neurons use, in code order.
pub fn used(p: &CoreProgram) -> Vec<ModelKind> {
    let mut kinds: Vec<ModelKind> = p
        .cores
        .iter()
        .flat_map(|c| c.groups.iter().map(|g| g.model()))
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// ECP5 LUT4 of the model blocks of `kinds` together: each block's own,
/// less what it shares with a block it wraps that is also present.
pub fn lut4(kinds: &[ModelKind]) -> usize {
    blocks(kinds)
        .map(
            |(_, b)| match b.wraps.and_then(|w| kinds.contains(&w).then(|| block(w))) {
                Some(Some(inner)) => b.lut4.saturating_sub(inner.lut4),
                _ => b.lut4,
            },
        )
        .sum()
}

/// Whether any of `kinds` keeps the third state word.
pub fn state_a(kinds: &[ModelKind]) -> bool {
    blocks(kinds).any(|(_, b)| b.state_a)
}

/// The model-block files to ship for `kinds`, each once (with the files a
/// block includes: ALIF wraps the CUBA LIF).
pub fn files(kinds: &[ModelKind]) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![SOMA_VH];
    let mut push = |f: &'static str, src: &'static str| {
        if !out.iter().any(|(g, _)| *g == f) {
            out.push((f, src));
        }
    };
    for (_, b) in blocks(kinds) {
        if let Some(inner) = b.wraps.and_then(block) {
            push(inner.file, inner.source);
        }
        push(b.file, b.source);
    }
    out
}

/// `rtl/snn_soma.v`: one instance per used model, selected by the model
/// code registered with the inputs. A code no instance implements gives a
/// neuron that keeps zero state and never fires (only a table rewritten
/// through the programming port can hold one).
pub fn soma_v(kinds: &[ModelKind]) -> String {
    let with_a = state_a(kinds);
    let mut s = String::from(
        "// snn_soma.v — written by spikefab export-hdl: the neuron-model blocks this\n\
         // program uses (rtl/models/), one instance each, selected by the model code.\n\
         // Inputs at stage 3 of snn_core's update pipeline, outputs at stage 4. Do not edit.\n\
         `include \"snn_params.vh\"\n",
    );
    // The blocks come in by `include (found through -Irtl), so that every
    // script lists the same files whatever models a program uses.
    for (file, _) in files(kinds).iter().skip(1) {
        let _ = writeln!(s, "`include \"{}\"", file.trim_start_matches("rtl/"));
    }
    s.push_str(
        "`default_nettype none\n\n\
         module snn_soma (\n\
         \x20   input wire clk,\n\
         \x20   input wire [`SNN_NEURONS_MODEL_W-1:0] model,\n\
         \x20   input wire subtract,\n\
         \x20   input wire signed [31:0] ain, bias, vth, ud, vd, vm,\n",
    );
    if with_a {
        // the adaptation register: decayed at stage 3, written at stage 4
        s.push_str(
            "    input wire signed [31:0] ad, astep,\n    output reg signed [31:0] a_next,\n",
        );
    }
    s.push_str(
        "    output reg signed [31:0] u_next, v_next,\n\
         \x20   output reg fire\n);\n\
         \x20   reg [`SNN_NEURONS_MODEL_W-1:0] model4;\n\
         \x20   always @(posedge clk) model4 <= model;\n",
    );
    for (k, b) in blocks(kinds) {
        let c = k.code();
        let params = if b.params.is_empty() {
            String::new()
        } else {
            format!(" #({})", b.params)
        };
        let (a_wire, a_ports) = if b.state_a {
            (
                format!("    wire signed [31:0] a_{c};\n"),
                format!(" .ad(ad), .astep(astep), .a_next(a_{c}),"),
            )
        } else {
            (String::new(), String::new())
        };
        let _ = write!(
            s,
            "\n    // {name}\n    wire signed [31:0] u_{c}, v_{c};\n{a_wire}    wire fire_{c};\n    {module}{params} m_{c} (\n        .clk(clk), .subtract(subtract), .ain(ain), .bias(bias), .vth(vth), .ud(ud), .vd(vd), .vm(vm),\n       {a_ports} .u_next(u_{c}), .v_next(v_{c}), .fire(fire_{c}));\n",
            name = k.name(),
            module = b.module,
        );
    }
    s.push_str("\n    always @* begin\n        u_next = 32'sd0;\n        v_next = 32'sd0;\n");
    if with_a {
        // models without the register keep it at zero
        s.push_str("        a_next = 32'sd0;\n");
    }
    s.push_str("        fire = 1'b0;\n        case (model4)\n");
    for (k, b) in blocks(kinds) {
        let c = k.code();
        let a = if b.state_a {
            format!(" a_next = a_{c};")
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "            {w}'d{c}: begin u_next = u_{c}; v_next = v_{c};{a} fire = fire_{c}; end",
            w = crate::layout::model_code_bits()
        );
    }
    s.push_str(
        "            default: ;\n        endcase\n    end\nendmodule\n\n`default_nettype wire\n",
    );
    s
}
