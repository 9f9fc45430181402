//! The Verilog side: the parameter header and package (from the layout
//! table), the generated top level that instantiates one `snn_core` per core,
//! the input port, the message bus and the timestep sequence, and the testbench.

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
pub fn constants(p: &CoreProgram, l: &Layouts) -> Vec<(String, i64)> {
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
        ("PROG_W".into(), l.prog_width() as i64),
    ];
    if crate::models::state_a(&crate::models::used(p)) {
        // snn_core stores, decays and passes the adaptation register
        c.push(("STATE_A".into(), 1));
    }
    if crate::layout::uses_noise(p) {
        // snn_core keeps a noise stream (xorshift32)
        c.push(("NOISE".into(), 1));
    }
    if crate::layout::uses_dendrites(p) {
        // snn_core walks input slots: K + 1 update issues per dendritic neuron
        c.push(("DENDRITES".into(), 1));
    }
    if l.schedule.is_some() {
        // snn_core keeps the schedule tables and their positions
        c.push(("SCHEDULE".into(), 1));
    }
    if crate::layout::uses_weight_shifts(p) {
        // a synapse word's weight shifts into the accumulator (per-projection exponents)
        c.push(("WEIGHT_SHIFT".into(), 1));
    }
    if l.learning.is_some() {
        // snn_core has the learning engine: traces, plastic components and
        // the learning pass at the start of the receive phase
        c.push(("LEARNING".into(), 1));
    }
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

/// The table RAM every table is an instance of, shipped verbatim.
pub const SNN_RAM_V: &str = include_str!("../rtl/snn_ram.v");

/// Files of the board kit, shipped verbatim: `(path in the export, text)`.
/// The host link (UART + byte protocol), the ULX3S top, its pins, its build
/// script, the Verilator model of its link and the Python host driver.
pub const BOARD_FILES: &[(&str, &str)] = &[
    ("rtl/snn_uart.v", include_str!("../rtl/snn_uart.v")),
    ("rtl/snn_host.v", include_str!("../rtl/snn_host.v")),
    (
        "board/snn_board_ulx3s.v",
        include_str!("../board/snn_board_ulx3s.v"),
    ),
    ("board/ulx3s.lpf", include_str!("../board/ulx3s.lpf")),
    (
        "board/build_ulx3s.sh",
        include_str!("../board/build_ulx3s.sh"),
    ),
    ("board/link_sim.cpp", include_str!("../board/link_sim.cpp")),
    (
        "board/build_link_sim.sh",
        include_str!("../board/build_link_sim.sh"),
    ),
    ("host/snn_host.py", include_str!("../host/snn_host.py")),
];

/// `snn_top.v`: the cores, the input port, the message bus, the timestep
/// sequence, the programming port and the two spike streams.
pub fn top_v(p: &CoreProgram, tables: &[CoreTables], io: &crate::tables::IoTables) -> String {
    let mut s = String::new();
    let n = p.cores.len();
    let _ = write!(
        s,
        r#"// snn_top.v — written by spikefab export-hdl for '{source}' on '{arch}'.
//
// The chip: {n} cores, one input port, one message bus. Interfaces (docs/hdl.md):
//   start        clear every neuron's state and accumulator and set t = 0
//                (also done after reset); busy while clearing
//   tick         run one timestep; busy until the one-cycle done pulse
//   s_axis_*     input events of the running step (AXI4-Stream, 32-bit):
//                tdata = input channel, tkeep = 4'hF per event; the beat with
//                tlast ends the step's events (tkeep = 0: a beat with no event)
//   m_axis_*     output-port spikes of the running step: tdata = output
//                channel, tkeep = 4'hF; then one beat with tkeep = 0, tlast = 1
//   prog_*       table writes while idle: prog_addr = {{core[7:0], table[3:0],
//                word[19:0]}}; core 8'hFF holds the input port's tables
// A step: the cores update every neuron while the input port turns the step's
// events into messages; then the cores send, one after another (each fired
// neuron: its output-port beat and its messages); then every core delivers
// its inbox into its accumulators. Cycle counts per phase: snn_core.v.
`include "snn_params.vh"
`default_nettype none

module snn_top (
    input wire clk,
    input wire rst,
    input wire start,
    input wire tick,
    output wire busy,
    output reg done,
    output reg [31:0] step,
    output reg [31:0] step_cycles,
    output reg bad_channel,
    input wire prog_we,
    input wire [31:0] prog_addr,
    input wire [`SNN_PROG_W-1:0] prog_wdata,
    input wire s_axis_tvalid,
    output wire s_axis_tready,
    /* verilator lint_off UNUSEDSIGNAL */  // a program without input channels reads none of it
    input wire [31:0] s_axis_tdata,
    /* verilator lint_on UNUSEDSIGNAL */
    input wire [3:0] s_axis_tkeep,
    input wire s_axis_tlast,
    output wire m_axis_tvalid,
    input wire m_axis_tready,
    output wire [31:0] m_axis_tdata,
    output wire [3:0] m_axis_tkeep,
    output wire m_axis_tlast
);
    localparam N = `SNN_N_CORES;
    /* verilator lint_off UNUSEDPARAM */
    localparam N_CH = {n_ch};
    /* verilator lint_on UNUSEDPARAM */
    localparam CH_AW = {ch_aw};
    localparam IR_AW = {ir_aw};
    localparam CORE_AW = {core_aw};

    // reset: synchronised to clk (two flops; it may come from a button or
    // another clock domain), then a clear of every core
    reg [1:0] rst_sync = 2'b11;
    always @(posedge clk) rst_sync <= {{rst_sync[0], rst}};
    wire srst = rst_sync[1];

    reg [2:0] cmd;
    wire [N-1:0] core_busy, msg_valid, out_valid;
    wire [`SNN_ROUTES_W-1:0] msg [0:N-1];
    wire [`SNN_OUTMAP_CHANNEL_W-1:0] out_channel [0:N-1];
    reg [31:0] t;
    reg [7:0] sender;

    // ---- the programming port ----
    localparam [2:0] T_IDLE = 3'd0, T_CLEAR = 3'd1, T_UPDATE = 3'd2, T_SEND = 3'd3,
                     T_SEND_WAIT = 3'd4, T_END = 3'd5, T_DELIVER = 3'd6;
    reg [2:0] state;
    assign busy = (state != T_IDLE);
    wire prog_ok = prog_we && !busy && !srst;
    wire [7:0] prog_core = prog_addr[31:24];
    wire [3:0] prog_table = prog_addr[23:20];

    // ---- the input port: channel -> {{base, len}} -> messages ----
    localparam [2:0] I_OFF = 3'd0, I_FETCH = 3'd1, I_PTR = 3'd2, I_ROUTE = 3'd3, I_DONE = 3'd4;
    reg [2:0] in_state;
    reg in_last;
    /* verilator lint_off UNUSEDSIGNAL */  // pointers are as wide as the table may grow
    reg [`SNN_IN_PTR_BASE_W-1:0] in_base, in_j;
    /* verilator lint_on UNUSEDSIGNAL */
    reg [`SNN_IN_PTR_LEN_W-1:0] in_len;
    reg in_msg_valid;
    wire [`SNN_IN_PTR_W-1:0] in_ptr_q;
    wire [`SNN_ROUTES_W-1:0] in_msg;
    wire in_event = s_axis_tkeep != 4'd0;
    wire channel_ok = {channel_ok};   // the event names a channel the program has
    assign s_axis_tready = (in_state == I_FETCH);
    snn_ram #(.WIDTH(`SNN_IN_PTR_W), .DEPTH({ptr_depth}), .AW(CH_AW), .INIT_FILE("mem/input_ptr.mem")) in_ptr_ram (
        .clk(clk), .we(prog_ok && prog_core == 8'hFF && prog_table == 4'd0), .waddr(prog_addr[CH_AW-1:0]),
        .wdata(prog_wdata[`SNN_IN_PTR_W-1:0]), .raddr(s_axis_tdata[CH_AW-1:0]), .rdata(in_ptr_q));
    snn_ram #(.WIDTH(`SNN_ROUTES_W), .DEPTH({routes_depth}), .AW(IR_AW), .INIT_FILE("mem/input_routes.mem")) in_rte_ram (
        .clk(clk), .we(prog_ok && prog_core == 8'hFF && prog_table == 4'd1), .waddr(prog_addr[IR_AW-1:0]),
        .wdata(prog_wdata[`SNN_ROUTES_W-1:0]), .raddr(in_base[IR_AW-1:0] + in_j[IR_AW-1:0]), .rdata(in_msg));

    always @(posedge clk) begin
        in_msg_valid <= 1'b0;
        if (srst || state == T_IDLE) begin
            in_state <= I_OFF;
        end else begin
            case (in_state)
                I_OFF: if (state == T_UPDATE) in_state <= I_FETCH;
                I_FETCH: if (s_axis_tvalid) begin
                    in_last <= s_axis_tlast;
                    if (in_event && channel_ok) in_state <= I_PTR;
                    else if (s_axis_tlast) in_state <= I_DONE;
                end
                I_PTR: begin
                    in_base <= in_ptr_q[`SNN_IN_PTR_BASE_LSB +: `SNN_IN_PTR_BASE_W];
                    in_len <= in_ptr_q[`SNN_IN_PTR_LEN_LSB +: `SNN_IN_PTR_LEN_W];
                    in_j <= 0;
                    if (in_ptr_q[`SNN_IN_PTR_LEN_LSB +: `SNN_IN_PTR_LEN_W] != 0) in_state <= I_ROUTE;
                    else in_state <= in_last ? I_DONE : I_FETCH;
                end
                I_ROUTE: begin
                    in_msg_valid <= 1'b1;
                    in_j <= in_j + 1'b1;
                    if (in_j + 1'b1 == in_len) in_state <= in_last ? I_DONE : I_FETCH;
                end
                default: ;
            endcase
        end
    end
    always @(posedge clk) begin
        if (srst) bad_channel <= 1'b0;
        else if (in_state == I_FETCH && s_axis_tvalid && in_event && !channel_ok) bad_channel <= 1'b1;
    end

    // ---- the message bus: the input port or the sending core ----
    reg bus_valid;
    reg [`SNN_ROUTES_W-1:0] bus_msg;
    integer b;
    always @* begin
        bus_valid = in_msg_valid;
        bus_msg = in_msg_valid ? in_msg : {{`SNN_ROUTES_W{{1'b0}}}};
        for (b = 0; b < N; b = b + 1) begin
            if (msg_valid[b]) begin
                bus_valid = 1'b1;
                bus_msg = msg[b];
            end
        end
    end

    // ---- the output stream: the sending core's output-port spikes, then the end of the step ----
    reg out_channel_any;
    reg [`SNN_OUTMAP_CHANNEL_W-1:0] out_ch;
    integer o;
    always @* begin
        out_channel_any = 1'b0;
        out_ch = {{`SNN_OUTMAP_CHANNEL_W{{1'b0}}}};
        for (o = 0; o < N; o = o + 1) begin
            if (out_valid[o]) begin
                out_channel_any = 1'b1;
                out_ch = out_channel[o];
            end
        end
    end
    assign m_axis_tvalid = out_channel_any || state == T_END;
    assign m_axis_tdata = {{{{(32 - `SNN_OUTMAP_CHANNEL_W){{1'b0}}}}, out_ch}};
    assign m_axis_tkeep = (state == T_END) ? 4'h0 : 4'hF;
    assign m_axis_tlast = (state == T_END);
"#,
        source = crate::comment_text(&p.provenance.source),
        arch = crate::comment_text(&p.arch.name),
        n_ch = io.channels,
        channel_ok = if io.channels == 0 {
            "1'b0".to_string()
        } else {
            "s_axis_tdata < N_CH".to_string()
        },
        ch_aw = clog2(io.input_ptr.depth()),
        ir_aw = clog2(io.input_routes.depth()),
        ptr_depth = io.input_ptr.depth(),
        core_aw = clog2(n),
        routes_depth = io.input_routes.depth(),
    );
    for (k, tb) in tables.iter().enumerate() {
        let _ = write!(
            s,
            r#"
    snn_core #(.CORE_ID({k}), .N_NEURONS({nn}), .N_AXONS({na}), .N_SYN({ns}), .N_ROUTES({nr}),
               .N_SLOTS({input_slots}), .SLOTS({slots}), .INBOX_DEPTH({inbox}),
               .NEURON_FILE("mem/core_{k}_neurons.mem"), .SYN_FILE("mem/core_{k}_synapses.mem"),
               .AXON_FILE("mem/core_{k}_axon_ptr.mem"), .RPTR_FILE("mem/core_{k}_route_ptr.mem"),
               .ROUTE_FILE("mem/core_{k}_routes.mem"), .OUTMAP_FILE("mem/core_{k}_outmap.mem"){noise}{sched}{learn})
        core{k} (.clk(clk), .rst(srst), .t(t), .cmd((state == T_SEND && sender != 8'd{k}) ? 3'd0 : cmd), .busy(core_busy[{k}]),
                .prog_we(prog_ok && prog_core == 8'd{k}), .prog_table(prog_table), .prog_addr(prog_addr[19:0]), .prog_data(prog_wdata),
                .bus_valid(bus_valid), .bus_msg(bus_msg), .msg_valid(msg_valid[{k}]), .msg(msg[{k}]),
                .out_valid(out_valid[{k}]), .out_channel(out_channel[{k}]), .out_ready(m_axis_tready));
"#,
            nn = tb.neurons.depth(),
            na = tb.axon_ptr.depth(),
            ns = tb.synapses.depth(),
            nr = tb.routes.depth(),
            slots = tb.slots,
            input_slots = tb.input_slots,
            inbox = tb.inbox_depth,
            noise = if crate::layout::uses_noise(p) {
                format!(
                    ", .NOISE_SEED(32'd{})",
                    spikefab_chip::model::noise::stream(p.noise_seed.unwrap_or(0), k as u32)
                )
            } else {
                String::new()
            },
            sched = match &tb.schedule {
                None => String::new(),
                Some((entries, dir)) => format!(
                    ",\n               .N_SCHED({}), .N_SCHED_ENTRIES({}), .SCHED_FILE(\"mem/core_{k}_schedule.mem\"), .SCHED_DIR_FILE(\"mem/core_{k}_schedule_dir.mem\")",
                    dir.depth(),
                    entries.depth()
                ),
            },
            learn = match &tb.learning {
                None => String::new(),
                Some(lt) => format!(
                    ",\n               .LEARN({}), .N_RULES({}), .N_LTRACES({}), .N_LSYN({}), .LRULE_FILE(\"mem/core_{k}_learn_rules.mem\"), .LTRACE_FILE(\"mem/core_{k}_learn_traces.mem\"), .LSYN_FILE(\"mem/core_{k}_learn_synapses.mem\")",
                    lt.active() as u8,
                    lt.rules.depth(),
                    lt.traces.depth(),
                    lt.synapses.depth()
                ),
            },
        );
    }
    s.push_str(
        r#"
    // ---- the timestep sequence ----
    // A command goes out for one cycle; a *_WAIT-like state proceeds once it
    // has been taken (cmd back to 0) and every core is idle again.
    reg [31:0] cycles;
    wire cores_idle = (core_busy == {N{1'b0}}) && cmd == 3'd0;
    always @(posedge clk) begin
        cmd <= 3'd0;
        done <= 1'b0;
        cycles <= cycles + 32'd1;
        if (srst) begin
            cmd <= 3'd1;                        // clear
            state <= T_CLEAR;
            t <= 0;
            step <= 0;
            step_cycles <= 0;
            sender <= 8'd0;
        end else begin
            case (state)
                T_IDLE: begin
                    if (start) begin
                        cmd <= 3'd1;
                        t <= 0;
                        step <= 0;
                        state <= T_CLEAR;
                    end else if (tick) begin
                        cmd <= 3'd2;                // update, while the input port runs
                        cycles <= 32'd1;
                        state <= T_UPDATE;
                    end
                end
                T_CLEAR: if (cores_idle) state <= T_IDLE;
                T_UPDATE: if (cores_idle && in_state == I_DONE) begin
                    sender <= 8'd0;
                    cmd <= 3'd3;
                    state <= T_SEND;
                end
                T_SEND: state <= T_SEND_WAIT;        // the sender has taken its command
                T_SEND_WAIT: if (!core_busy[sender[CORE_AW-1:0]]) begin
                    if (sender == N - 1) begin
                        state <= T_END;
                    end else begin
                        sender <= sender + 8'd1;
                        cmd <= 3'd3;
                        state <= T_SEND;
                    end
                end
                T_END: if (m_axis_tready) begin
                    cmd <= 3'd4;                    // deliver
                    state <= T_DELIVER;
                end
                T_DELIVER: if (cores_idle) begin
                    done <= 1'b1;
                    step_cycles <= cycles;
                    t <= t + 32'd1;
                    step <= step + 32'd1;
                    state <= T_IDLE;
                end
                default: state <= T_IDLE;
            endcase
        end
    end
endmodule

`default_nettype wire
"#,
    );
    s
}

fn clog2(depth: usize) -> usize {
    (usize::BITS - depth.max(2).saturating_sub(1).leading_zeros()) as usize
}

/// `tb/tb_snn_top.sv`: reset, then `runs` inferences of `steps` steps each,
/// streaming `tb/stimulus.mem` in and printing every output-stream spike and
/// the cycles of every step. Inference r > 0 begins with `start` when r is
/// odd and with a reset pulse when it is even, so both must clear the state.
pub fn testbench(runs: usize, steps: u32, beats: usize, cycle_limit: u64) -> String {
    format!(
        r#"// tb_snn_top.sv — runs the exported network through its stream interfaces and
// prints "SPIKE run=.. t=.. out=.." per output spike (compare with
// tb/expected_spikes.txt) and "CYCLES run=.. t=.. n=.." per step (clock
// cycles from tick to done).
`timescale 1ns/1ps
`include "snn_params.vh"
module tb_snn_top;
    localparam RUNS = {runs};
    localparam STEPS = {steps};
    localparam BEATS = {beats};
    reg clk = 1'b0;
    reg rst = 1'b1;
    reg start = 1'b0;
    reg tick = 1'b0;
    wire busy, done, bad_channel;
    wire [31:0] step, step_cycles;
    reg s_valid = 1'b0;
    wire s_ready;
    reg [31:0] s_data = 32'd0;
    reg [3:0] s_keep = 4'd0;
    reg s_last = 1'b0;
    wire m_valid, m_last;
    wire [31:0] m_data;
    wire [3:0] m_keep;
    snn_top dut (.clk(clk), .rst(rst), .start(start), .tick(tick), .busy(busy), .done(done),
                 .step(step), .step_cycles(step_cycles), .bad_channel(bad_channel),
                 .prog_we(1'b0), .prog_addr(32'd0), .prog_wdata({{`SNN_PROG_W{{1'b0}}}}),
                 .s_axis_tvalid(s_valid), .s_axis_tready(s_ready), .s_axis_tdata(s_data),
                 .s_axis_tkeep(s_keep), .s_axis_tlast(s_last),
                 .m_axis_tvalid(m_valid), .m_axis_tready(1'b1), .m_axis_tdata(m_data),
                 .m_axis_tkeep(m_keep), .m_axis_tlast(m_last));
    initial forever #5 clk = ~clk;

    reg [`SNN_STIMULUS_W-1:0] stim [0:BEATS-1];
    integer run = 0;
    integer t, beat;
    reg [63:0] mark, want;
    // free-running counts (the initial block below takes differences)
    reg [63:0] total = 64'd0, busy_cycles = 64'd0, taken = 64'd0;
    always @(posedge clk) begin
        total <= total + 64'd1;
        if (busy) busy_cycles <= busy_cycles + 64'd1;
        if (s_valid && s_ready) taken <= taken + 64'd1;
        if (total > 64'd{cycle_limit}) begin
            $display("TIMEOUT after %0d cycles at run %0d step %0d", total, run, step);
            $finish;
        end
        if (m_valid && m_keep != 4'd0) $display("SPIKE run=%0d t=%0d out=%0d", run, step, m_data);
        if (m_valid && (m_keep == 4'd0) != m_last) $display("PROTOCOL: tlast must mark exactly the step's closing beat");
    end
    task wait_idle;
        begin
            @(posedge clk); #1;
            while (busy) begin @(posedge clk); #1; end
        end
    endtask
    initial begin
        $readmemh("tb/stimulus.mem", stim);
        beat = 0;
        repeat (3) @(posedge clk);
        #1 rst = 1'b0;
        wait_idle;
        for (run = 0; run < RUNS; run = run + 1) begin
            if (run % 2 == 1) begin          // a new inference: start clears the state
                start = 1'b1; @(posedge clk); #1 start = 1'b0;
                wait_idle;
            end else if (run > 0) begin      // or a reset does
                rst = 1'b1; repeat (2) @(posedge clk); #1 rst = 1'b0;
                wait_idle;
            end
            for (t = 0; t < STEPS; t = t + 1) begin
                mark = busy_cycles;
                tick = 1'b1; @(posedge clk); #1 tick = 1'b0;
                // the step's beats, until the one with last
                s_last = 1'b0;
                while (!s_last) begin
                    {{s_last, s_keep[0], s_data}} = stim[beat];
                    s_keep = {{4{{s_keep[0]}}}};
                    s_valid = 1'b1;
                    beat = beat + 1;
                    want = taken + 64'd1;
                    while (taken < want) begin @(posedge clk); #1; end
                    s_valid = 1'b0;
                end
                while (!done) begin @(posedge clk); #1; end
                if ({{32'd0, step_cycles}} != busy_cycles - mark)
                    $display("PROTOCOL: step_cycles says %0d, the testbench counted %0d", step_cycles, busy_cycles - mark);
                $display("CYCLES run=%0d t=%0d n=%0d", run, t, busy_cycles - mark);
            end
        end
        $display("DONE runs=%0d steps=%0d bad_channel=%0d", RUNS, STEPS, bad_channel);
        $finish;
    end
endmodule
"#
    )
}
