//! The Verilog side: the parameter header and package (from the layout
//! table), the generated top level that instantiates one `snn_core` per core,
//! the router/barrier, and the testbench.

use std::fmt::Write;

use spikefab_chip::{CoreProgram, DecayRule, Overflow};

use crate::layout::{Layout, Layouts};
use crate::tables::CoreTables;

/// The reference core, shipped verbatim.
pub const SNN_CORE_V: &str = include_str!("../rtl/snn_core.v");

fn const_name(layout: &Layout, field: &str) -> String {
    format!(
        "{}_{}",
        layout.memory.to_ascii_uppercase(),
        field.to_ascii_uppercase()
    )
}

/// `(name, value)` of every constant the RTL needs.
pub fn constants(
    p: &CoreProgram,
    l: &Layouts,
    stim_depth: usize,
    msg_depth: usize,
) -> Vec<(String, i64)> {
    let f = &p.arch.format;
    let (mul12, cur, vol) = match f.decay {
        DecayRule::Mul12 {
            current_offset,
            voltage_offset,
        } => (1, current_offset as i64, voltage_offset as i64),
        DecayRule::Shift => (0, 0, 0),
    };
    let mut c = vec![
        ("STATE_BITS".to_string(), f.state_bits as i64),
        ("ACT_SHIFT".into(), f.activation_shift as i64),
        ("THR_SHIFT".into(), f.threshold_shift as i64),
        ("DECAY_MUL12".into(), mul12),
        ("CUR_OFFSET".into(), cur),
        ("VOL_OFFSET".into(), vol),
        ("WRAP".into(), (f.current_overflow == Overflow::Wrap) as i64),
        ("N_CORES".into(), p.cores.len() as i64),
        ("STIM_DEPTH".into(), stim_depth.max(1) as i64),
        ("STIM_COUNT".into(), stim_depth as i64),
        ("MSG_DEPTH".into(), msg_depth.max(1) as i64),
    ];
    for layout in l.all() {
        c.push((
            format!("{}_W", layout.memory.to_ascii_uppercase()),
            layout.width() as i64,
        ));
        for fld in &layout.fields {
            c.push((
                format!("{}_LSB", const_name(layout, fld.name)),
                layout.lsb(fld.name) as i64,
            ));
            c.push((
                format!("{}_W", const_name(layout, fld.name)),
                fld.width as i64,
            ));
        }
    }
    c
}

/// `snn_params.vh`: Verilog-2005 `define`s.
pub fn header_vh(consts: &[(String, i64)]) -> String {
    let mut s = String::from("// snn_params.vh — written by spikefab export-hdl from its field-layout table. Do not edit.\n`ifndef SNN_PARAMS_VH\n`define SNN_PARAMS_VH\n");
    for (k, v) in consts {
        let _ = writeln!(s, "`define SNN_{k} {v}");
    }
    s.push_str("`endif\n");
    s
}

/// `snn_params_pkg.sv`: the same as untyped `localparam`s (Icarus 11 rejects typed string ones).
pub fn package_sv(consts: &[(String, i64)]) -> String {
    let mut s = String::from("// snn_params_pkg.sv — written by spikefab export-hdl. Do not edit.\npackage snn_params_pkg;\n");
    for (k, v) in consts {
        let _ = writeln!(s, "  localparam {k} = {v};");
    }
    s.push_str("endpackage\n");
    s
}

/// `snn_router.v`: the message buffers between timesteps (the exchange).
pub const SNN_ROUTER_V: &str = r#"// snn_router.v — spikefab's reference message exchange (Verilog-2005).
// Messages sent during step t (spikes through routing tables, and input
// events) are collected into the next-step buffer; at the barrier the buffers
// swap and the messages are delivered in step t + 1, in the order they were
// sent. Routing is by destination core index (the program's placement gives
// each core its mesh position; hop costs are the emulator's business).
`include "snn_params.vh"

module snn_router (
    input clk,
    input rst,
    input swap,
    input push,
    input [`SNN_ROUTES_W-1:0] push_msg,
    input [31:0] read_index,
    output [`SNN_ROUTES_W-1:0] read_msg,
    output [31:0] count
);
    reg [`SNN_ROUTES_W-1:0] buf0 [0:`SNN_MSG_DEPTH-1];
    reg [`SNN_ROUTES_W-1:0] buf1 [0:`SNN_MSG_DEPTH-1];
    reg bank;          // buffer being read this step (the other collects)
    reg [31:0] n_read, n_write;
    assign read_msg = bank ? buf1[read_index] : buf0[read_index];
    assign count = n_read;
    always @(posedge clk) begin
        if (rst) begin
            bank <= 1'b0;
            n_read <= 0;
            n_write <= 0;
        end else if (swap) begin
            bank <= ~bank;
            n_read <= n_write;
            n_write <= 0;
        end else if (push) begin
            if (bank) buf0[n_write] <= push_msg;
            else buf1[n_write] <= push_msg;
            n_write <= n_write + 1;
        end
    end
endmodule
"#;

/// `snn_top.v`: one core per program core, the router and the timestep barrier.
pub fn top_v(p: &CoreProgram, tables: &[CoreTables]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"// snn_top.v — written by spikefab export-hdl for '{source}' on '{arch}'.
// Per timestep: deliver every message of the previous step to its core, then
// update the cores one after another (their messages and this step's input
// events go to the router), then the barrier swaps the router's buffers.
`include "snn_params.vh"

module snn_top (
    input clk,
    input rst,
    input [31:0] n_steps,
    output reg done,
    output spike_valid,
    output [31:0] spike_t,
    output [31:0] spike_core,
    output [31:0] spike_neuron
);
    localparam N = `SNN_N_CORES;
    reg [31:0] t;
    reg [N-1:0] dlv_valid;
    reg [N-1:0] upd_start;
    wire [N-1:0] dlv_done, upd_done, spk_valid, msg_valid;
    wire [31:0] spk_neuron [0:N-1];
    wire [`SNN_ROUTES_CORE_W-1:0] msg_core [0:N-1];
    wire [`SNN_ROUTES_AXON_W-1:0] msg_axon [0:N-1];
    wire [`SNN_ROUTES_DELAY_W-1:0] msg_delay [0:N-1];
    reg [`SNN_ROUTES_AXON_W-1:0] d_axon;
    reg [`SNN_ROUTES_DELAY_W-1:0] d_delay;

    // the testbench stimulus: {{t, core, axon, delay}} words in step order
    reg [`SNN_STIMULUS_W-1:0] stim [0:`SNN_STIM_DEPTH-1];
    initial begin
        $readmemh("tb/stimulus.mem", stim);
    end

    reg swap, push;
    reg [`SNN_ROUTES_W-1:0] push_msg;
    reg [31:0] read_index;
    wire [`SNN_ROUTES_W-1:0] read_msg;
    wire [31:0] msg_count;
    snn_router router (.clk(clk), .rst(rst), .swap(swap), .push(push), .push_msg(push_msg),
                       .read_index(read_index), .read_msg(read_msg), .count(msg_count));
"#,
        source = crate::comment_text(&p.provenance.source),
        arch = crate::comment_text(&p.arch.name)
    );
    for (k, tb) in tables.iter().enumerate() {
        let core = &p.cores[k];
        let _ = write!(
            s,
            r#"
    snn_core #(.N_NEURONS({nn}), .N_AXONS({na}), .N_SYN({ns}), .N_ROUTES({nr}), .SLOTS({slots}),
               .NEURON_FILE("mem/core_{k}_neurons.mem"), .SYN_FILE("mem/core_{k}_synapses.mem"),
               .AXON_FILE("mem/core_{k}_axon_ptr.mem"), .RPTR_FILE("mem/core_{k}_route_ptr.mem"),
               .ROUTE_FILE("mem/core_{k}_routes.mem"))
        core{k} (.clk(clk), .rst(rst), .t(t),
                .dlv_valid(dlv_valid[{k}]), .dlv_axon(d_axon), .dlv_delay(d_delay), .dlv_done(dlv_done[{k}]),
                .upd_start(upd_start[{k}]), .upd_done(upd_done[{k}]),
                .spk_valid(spk_valid[{k}]), .spk_neuron(spk_neuron[{k}]),
                .msg_valid(msg_valid[{k}]), .msg_core(msg_core[{k}]), .msg_axon(msg_axon[{k}]), .msg_delay(msg_delay[{k}]));
"#,
            nn = tb.neurons.depth().max(core.num_neurons()),
            na = tb.axon_ptr.depth(),
            ns = tb.synapses.depth(),
            nr = tb.routes.depth(),
            slots = tb.slots,
        );
    }
    let _ = write!(
        s,
        r#"
    // ---- the timestep sequence ----
    localparam S_DELIVER = 3'd0, S_WAIT_DLV = 3'd1, S_UPDATE = 3'd2, S_WAIT_UPD = 3'd3, S_STIM = 3'd4, S_BARRIER = 3'd5, S_DONE = 3'd6, S_SWAP = 3'd7;
    localparam S_BARRIER_WAIT = 4'd8;
    reg [3:0] state;
    reg [31:0] k;
    reg [`SNN_ROUTES_W-1:0] m;
    reg [`SNN_STIMULUS_W-1:0] sw;
    integer stim_i;

    assign spike_valid = |spk_valid;
    assign spike_t = t;
    assign spike_core = k;
    assign spike_neuron = spk_neuron[k];

    always @(posedge clk) begin
        dlv_valid <= {{N{{1'b0}}}};
        upd_start <= {{N{{1'b0}}}};
        swap <= 1'b0;
        push <= 1'b0;
        if (rst) begin
            t <= 0;
            k <= 0;
            read_index <= 0;
            stim_i = 0;
            done <= 1'b0;
            state <= S_DELIVER;
        end else begin
            case (state)
                S_DELIVER: begin
                    if (read_index == msg_count) begin
                        k <= 0;
                        state <= S_UPDATE;
                    end else begin
                        m = read_msg;
                        d_axon <= m[`SNN_ROUTES_AXON_LSB +: `SNN_ROUTES_AXON_W];
                        d_delay <= m[`SNN_ROUTES_DELAY_LSB +: `SNN_ROUTES_DELAY_W];
                        dlv_valid[m[`SNN_ROUTES_CORE_LSB +: `SNN_ROUTES_CORE_W]] <= 1'b1;
                        k <= m[`SNN_ROUTES_CORE_LSB +: `SNN_ROUTES_CORE_W];
                        state <= S_WAIT_DLV;
                    end
                end
                S_WAIT_DLV: if (dlv_done[k]) begin
                    read_index <= read_index + 1;
                    state <= S_DELIVER;
                end
                S_UPDATE: begin
                    if (k == N) begin
                        state <= S_STIM;
                    end else begin
                        upd_start[k] <= 1'b1;
                        state <= S_WAIT_UPD;
                    end
                end
                S_WAIT_UPD: begin
                    if (msg_valid[k]) begin
                        push <= 1'b1;
                        push_msg <= ({{`SNN_ROUTES_W{{1'b0}}}} | msg_core[k]) << `SNN_ROUTES_CORE_LSB
                                  | ({{`SNN_ROUTES_W{{1'b0}}}} | msg_axon[k]) << `SNN_ROUTES_AXON_LSB
                                  | ({{`SNN_ROUTES_W{{1'b0}}}} | msg_delay[k]) << `SNN_ROUTES_DELAY_LSB;
                    end
                    if (upd_done[k]) begin
                        k <= k + 1;
                        state <= S_UPDATE;
                    end
                end
                S_STIM: begin
                    sw = stim[stim_i];
                    if (stim_i < `SNN_STIM_COUNT && sw[`SNN_STIMULUS_T_LSB +: `SNN_STIMULUS_T_W] == t) begin
                        push <= 1'b1;
                        push_msg <= ({{`SNN_ROUTES_W{{1'b0}}}} | sw[`SNN_STIMULUS_CORE_LSB +: `SNN_STIMULUS_CORE_W]) << `SNN_ROUTES_CORE_LSB
                                  | ({{`SNN_ROUTES_W{{1'b0}}}} | sw[`SNN_STIMULUS_AXON_LSB +: `SNN_STIMULUS_AXON_W]) << `SNN_ROUTES_AXON_LSB
                                  | ({{`SNN_ROUTES_W{{1'b0}}}} | sw[`SNN_STIMULUS_DELAY_LSB +: `SNN_STIMULUS_DELAY_W]) << `SNN_ROUTES_DELAY_LSB;
                        stim_i = stim_i + 1;
                    end else begin
                        state <= S_BARRIER;
                    end
                end
                S_BARRIER: begin
                    // the last push lands this edge; swap on the next
                    state <= S_SWAP;
                end
                S_SWAP: begin
                    swap <= 1'b1;
                    read_index <= 0;
                    if (t + 1 == n_steps) begin
                        state <= S_DONE;
                    end else begin
                        t <= t + 1;
                        state <= S_BARRIER_WAIT;
                    end
                end
                S_BARRIER_WAIT: state <= S_DELIVER; // the router's count updates this edge
                S_DONE: done <= 1'b1;
                default: state <= S_DONE;
            endcase
        end
    end
endmodule
"#
    );
    s
}

/// `tb/tb_snn_top.sv`: clock, reset, run `STEPS` steps, print every spike.
pub fn testbench(steps: u32, cycle_limit: u64) -> String {
    let limit = cycle_limit;
    format!(
        r#"// tb_snn_top.sv — runs the exported network and prints its spikes as
// "SPIKE t=.. core=.. n=.." (compare with tb/expected_spikes.txt).
`timescale 1ns/1ps
module tb_snn_top;
    reg clk = 1'b0;
    reg rst = 1'b1;
    wire done, spike_valid;
    wire [31:0] spike_t, spike_core, spike_neuron;
    snn_top dut (.clk(clk), .rst(rst), .n_steps(32'd{steps}), .done(done), .spike_valid(spike_valid),
                 .spike_t(spike_t), .spike_core(spike_core), .spike_neuron(spike_neuron));
    always #5 clk = ~clk;
    integer cycles = 0;
    initial begin
        repeat (3) @(posedge clk);
        rst = 1'b0;
    end
    // a watchdog: no honest run needs this many cycles
    always @(posedge clk) begin
        cycles = cycles + 1;
        if (cycles > {limit}) begin
            $display("TIMEOUT after %0d cycles at step %0d", cycles, spike_t);
            $finish;
        end
    end
    always @(posedge clk) begin
        if (spike_valid) $display("SPIKE t=%0d core=%0d n=%0d", spike_t, spike_core, spike_neuron);
        if (done) begin
            $display("DONE steps={steps}");
            $finish;
        end
    end
endmodule
"#
    )
}
