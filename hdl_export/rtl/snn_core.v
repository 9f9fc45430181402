// snn_core.v — one spikefab neuromorphic core (Verilog-2005).
//
// Every table is a synchronous block RAM (snn_ram): neuron parameters, CSR
// synapse rows with per-axon {base, len} pointers, routing entries with
// per-neuron pointers, the output-port map, neuron state {v, u}, the ring of
// dendritic accumulators (SLOTS delay slots x 2^NW neurons), the list of
// neurons that fired and the inbox of messages for this step. The parameter
// tables start from the export's mem/*.mem and can be rewritten through the
// programming port while the core is idle.
//
// The top level runs one command at a time on every core (snn_top.v):
//   CLEAR    zero state and accumulators: 2^NW x SLOTS cycles.
//   UPDATE   one neuron per cycle through a 5-stage pipeline (read, decode +
//            multiply, decay, current, voltage + fire + write back):
//            N_NEURONS + 5 cycles. Fired neurons go to the spike list.
//            (SNN_DENDRITES: a neuron with K branches takes K + 1 cycles,
//            one per branch accumulator and one for its soma.)
//   SEND     (one core at a time: it owns the message bus) per fired neuron,
//            3 cycles (list, pointers, output port) + 1 per routing entry;
//            an output-port neuron also offers its channel on the output
//            stream and waits for it to be taken.
//   DELIVER  per inbox message, 3 cycles (inbox, axon pointer, row) + 1 per
//            synapse word; each word is a read-modify-write of one
//            accumulator, pipelined with one-entry forwarding, + 2 cycles of
//            drain.
// The arithmetic is spikefab-chip's neuron step, field for field; the widths
// and number formats come from snn_params.vh (written by export-hdl).
`include "snn_params.vh"
`default_nettype none

module snn_core #(
    parameter CORE_ID = 0,
    parameter N_NEURONS = 1,
    parameter N_SLOTS = N_NEURONS,  // input slots: one per neuron, one per dendritic branch
    parameter N_AXONS = 1,
    parameter N_SYN = 1,
    parameter N_ROUTES = 1,
    parameter SLOTS = 1,        // a power of two > the largest total delay
    parameter INBOX_DEPTH = 1,  // most messages the core can receive in one step
    parameter NEURON_FILE = "",
    parameter SYN_FILE = "",
    parameter AXON_FILE = "",
    parameter RPTR_FILE = "",
    parameter ROUTE_FILE = "",
    parameter OUTMAP_FILE = "",
    // schedules (SNN_SCHEDULE): the groups' per-step tables and their directory
    /* verilator lint_off UNUSEDPARAM */  // programs without schedules or noise leave them unused
    parameter [31:0] NOISE_SEED = 32'd1,  // the core's noise stream (model/noise.rs::stream)
    parameter N_SCHED = 1,          // tables (groups with a schedule) in the core
    parameter N_SCHED_ENTRIES = 1,  // their entries together
    parameter SCHED_FILE = "",
    parameter SCHED_DIR_FILE = "",
    // the learning engine (SNN_LEARNING): whether this core learns, its
    // rules, trace entries and plastic synapses, and their tables
    parameter LEARN = 0,
    parameter N_RULES = 1,
    parameter N_LTRACES = 1,
    parameter N_LSYN = 1,
    parameter LRULE_FILE = "",
    parameter LTRACE_FILE = "",
    parameter LSYN_FILE = ""
    /* verilator lint_on UNUSEDPARAM */
) (
    input wire clk,
    input wire rst,
    /* verilator lint_off UNUSEDSIGNAL */  // only t mod SLOTS matters here
    input wire [31:0] t,
    /* verilator lint_on UNUSEDSIGNAL */
    input wire [2:0] cmd,          // one-cycle command, see CMD_*
    output wire busy,
    // programming port, already decoded to this core
    input wire prog_we,
    input wire [3:0] prog_table,
    /* verilator lint_off UNUSEDSIGNAL */  // each table uses the address bits it needs
    input wire [19:0] prog_addr,
    /* verilator lint_on UNUSEDSIGNAL */
    input wire [`SNN_PROG_W-1:0] prog_data,
    // the message bus: a message for this core goes into its inbox
    input wire bus_valid,
    input wire [`SNN_ROUTES_W-1:0] bus_msg,
    // what this core puts on the bus while it sends
    output reg msg_valid,
    output wire [`SNN_ROUTES_W-1:0] msg,
    // output-port spikes while it sends
    output wire out_valid,
    output wire [`SNN_OUTMAP_CHANNEL_W-1:0] out_channel,
    input wire out_ready
);
    localparam CMD_CLEAR = 3'd1, CMD_UPDATE = 3'd2, CMD_SEND = 3'd3, CMD_DELIVER = 3'd4;
    localparam [3:0] T_NEURONS = 4'd0, T_SYNAPSES = 4'd1, T_AXON_PTR = 4'd2,
                     T_ROUTE_PTR = 4'd3, T_ROUTES = 4'd4, T_OUTMAP = 4'd5;
    /* verilator lint_off UNUSEDPARAM */  // programs without schedules have no such tables
    localparam [3:0] T_SCHEDULE = 4'd6, T_SCHEDULE_DIR = 4'd7,
                     T_LEARN_RULES = 4'd8, T_LEARN_TRACES = 4'd9, T_LEARN_SYNAPSES = 4'd10;
    /* verilator lint_on UNUSEDPARAM */

    // ---- sizes ----
    localparam NW = (N_NEURONS > 1) ? $clog2(N_NEURONS) : 1;   // neuron index bits
    localparam SB = (SLOTS > 1) ? $clog2(SLOTS) : 1;           // slot index bits
    localparam IW = (N_SLOTS > 1) ? $clog2(N_SLOTS) : 1;        // input-slot index bits
    localparam ACC_AW = IW + SB;                                // accumulator {delay slot, input slot}
    localparam SYN_AW = (N_SYN > 1) ? $clog2(N_SYN) : 1;
    localparam AX_AW = (N_AXONS > 1) ? $clog2(N_AXONS) : 1;
    localparam RT_AW = (N_ROUTES > 1) ? $clog2(N_ROUTES) : 1;
    localparam IB_AW = (INBOX_DEPTH > 1) ? $clog2(INBOX_DEPTH) : 1;
    localparam XB = `SNN_STATE_BITS;                            // stored width of u and v
`ifdef SNN_STATE_A
    localparam AB = XB;     // ALIF's adaptation register, stored above v
`else
    localparam AB = 0;
`endif
    localparam SW = XB + 32 + AB;                               // state word {a, v, u}
    localparam KW = NW + AB;                                    // spike-list word {a', neuron}
    localparam IBW = `SNN_ROUTES_AXON_W + `SNN_ROUTES_DELAY_W;  // inbox word {axon, delay}
`ifdef SNN_LEARNING
    localparam RB = (N_RULES > 1) ? $clog2(N_RULES) : 1;        // rule index bits
    localparam LT_AW = (N_LTRACES > 1) ? $clog2(N_LTRACES) : 1;
    localparam LS_AW = (N_LSYN > 1) ? $clog2(N_LSYN) : 1;
    localparam PW = `SNN_SYNAPSES_WEIGHT_W + 8;                // plastic component: 8 bits below the weight's LSB
    // the RAMs the learning engine fills: a core that does not learn keeps one word of each
    localparam PL_DEPTH = (LEARN != 0) ? N_SYN : 1;             // plastic components, per synapse word
    localparam X_DEPTH = (LEARN != 0) ? (N_RULES << AX_AW) : 1;  // pre traces {rule, axon}
    localparam Y_DEPTH = (LEARN != 0) ? (N_RULES << NW) : 1;     // post traces {rule, neuron}
    localparam ARR_DEPTH = (LEARN != 0) ? (1 << AX_AW) : 1;      // spikes an axon brought this step
    localparam FIR_DEPTH = (LEARN != 0) ? (1 << NW) : 1;         // spikes a neuron fired this step
    localparam XA_AW = (X_DEPTH > 1) ? $clog2(X_DEPTH) : 1;      // {rule, axon} without the bits a single rule lacks
    localparam YA_AW = (Y_DEPTH > 1) ? $clog2(Y_DEPTH) : 1;
    localparam CLR_L1 = (PL_DEPTH > X_DEPTH) ? PL_DEPTH : X_DEPTH;
    localparam CLR_L = (CLR_L1 > Y_DEPTH) ? CLR_L1 : Y_DEPTH;
    localparam CLR_N = (CLR_L > (1 << ACC_AW)) ? CLR_L : (1 << ACC_AW);
`else
    localparam CLR_N = 1 << ACC_AW;
`endif
    localparam CLR_W = $clog2(CLR_N) + 1;                       // CLEAR writes CLR_N words into every RAM it zeroes

    // ---- phases ----
    localparam [2:0] P_IDLE = 3'd0, P_CLEAR = 3'd1, P_UPDATE = 3'd2, P_SEND = 3'd3, P_DELIVER = 3'd4,
                     P_LEARN = 3'd5;
    reg [2:0] phase;
    assign busy = (phase != P_IDLE);

    // ---- tables ----
    wire [`SNN_NEURONS_W-1:0] nrn_q;
    /* verilator lint_off UNUSEDSIGNAL */  // fields are as wide as the arch allows, addresses as the tables need
    wire [`SNN_SYNAPSES_W-1:0] syn_q;
    wire [`SNN_AXON_PTR_W-1:0] aptr_q;
    wire [`SNN_ROUTE_PTR_W-1:0] rptr_q;
    wire [`SNN_OUTMAP_W-1:0] outm_q;
    wire [SW-1:0] state_q;           // {a (ALIF), v (XB bits), u (32: Lava's wrap keeps any value)}
    wire [31:0] acc_q;
    wire [KW-1:0] spk_q;
    wire [IBW-1:0] inbox_q;
    /* verilator lint_on UNUSEDSIGNAL */

    reg [NW-1:0] nrn_ra, rptr_ra;
    reg [SYN_AW-1:0] syn_ra;
    reg [AX_AW-1:0] aptr_ra;
    reg [RT_AW-1:0] rte_ra;
    reg [ACC_AW-1:0] acc_ra, acc_wa;
    reg [31:0] acc_wd;
    reg acc_we;
    reg [NW-1:0] state_wa;
    reg [SW-1:0] state_wd;
    reg state_we;
    reg [NW-1:0] spk_ra;
    reg [IB_AW-1:0] inbox_ra;

    wire prog_nrn = prog_we && prog_table == T_NEURONS;
    wire prog_syn = prog_we && prog_table == T_SYNAPSES;
    wire prog_aptr = prog_we && prog_table == T_AXON_PTR;
    wire prog_rptr = prog_we && prog_table == T_ROUTE_PTR;
    wire prog_rte = prog_we && prog_table == T_ROUTES;
    wire prog_outm = prog_we && prog_table == T_OUTMAP;

    snn_ram #(.WIDTH(`SNN_NEURONS_W), .DEPTH(N_NEURONS), .AW(NW), .INIT_FILE(NEURON_FILE)) nrn_ram (
        .clk(clk), .we(prog_nrn), .waddr(prog_addr[NW-1:0]), .wdata(prog_data[`SNN_NEURONS_W-1:0]),
        .raddr(nrn_ra), .rdata(nrn_q));
    snn_ram #(.WIDTH(`SNN_SYNAPSES_W), .DEPTH(N_SYN), .AW(SYN_AW), .INIT_FILE(SYN_FILE)) syn_ram (
        .clk(clk), .we(prog_syn), .waddr(prog_addr[SYN_AW-1:0]), .wdata(prog_data[`SNN_SYNAPSES_W-1:0]),
        .raddr(syn_ra), .rdata(syn_q));
    snn_ram #(.WIDTH(`SNN_AXON_PTR_W), .DEPTH(N_AXONS), .AW(AX_AW), .INIT_FILE(AXON_FILE)) aptr_ram (
        .clk(clk), .we(prog_aptr), .waddr(prog_addr[AX_AW-1:0]), .wdata(prog_data[`SNN_AXON_PTR_W-1:0]),
        .raddr(aptr_ra), .rdata(aptr_q));
    snn_ram #(.WIDTH(`SNN_ROUTE_PTR_W), .DEPTH(N_NEURONS), .AW(NW), .INIT_FILE(RPTR_FILE)) rptr_ram (
        .clk(clk), .we(prog_rptr), .waddr(prog_addr[NW-1:0]), .wdata(prog_data[`SNN_ROUTE_PTR_W-1:0]),
        .raddr(rptr_ra), .rdata(rptr_q));
    snn_ram #(.WIDTH(`SNN_ROUTES_W), .DEPTH(N_ROUTES), .AW(RT_AW), .INIT_FILE(ROUTE_FILE)) rte_ram (
        .clk(clk), .we(prog_rte), .waddr(prog_addr[RT_AW-1:0]), .wdata(prog_data[`SNN_ROUTES_W-1:0]),
        .raddr(rte_ra), .rdata(msg));
    snn_ram #(.WIDTH(`SNN_OUTMAP_W), .DEPTH(N_NEURONS), .AW(NW), .INIT_FILE(OUTMAP_FILE)) outm_ram (
        .clk(clk), .we(prog_outm), .waddr(prog_addr[NW-1:0]), .wdata(prog_data[`SNN_OUTMAP_W-1:0]),
        .raddr(rptr_ra), .rdata(outm_q));
    snn_ram #(.WIDTH(SW), .DEPTH(1 << NW), .AW(NW)) state_ram (
        .clk(clk), .we(state_we), .waddr(state_wa), .wdata(state_wd), .raddr(nrn_ra), .rdata(state_q));
    snn_ram #(.WIDTH(32), .DEPTH(1 << ACC_AW), .AW(ACC_AW)) acc_ram (
        .clk(clk), .we(acc_we), .waddr(acc_wa), .wdata(acc_wd), .raddr(acc_ra), .rdata(acc_q));

    // the neurons that fired this step, in index order
    reg [NW:0] spk_count;
    wire spk_we;
    // with ALIF, each entry also keeps the neuron's decayed adaptation a':
    // the threshold vth + a' its further spikes (send phase) are tested against
    wire [KW-1:0] spk_wd;
    snn_ram #(.WIDTH(KW), .DEPTH(1 << NW), .AW(NW)) spk_ram (
        .clk(clk), .we(spk_we), .waddr(spk_count[NW-1:0]), .wdata(spk_wd), .raddr(spk_ra), .rdata(spk_q));

    // this step's messages for the core
    reg [IB_AW:0] inbox_count;
    wire inbox_we = bus_valid
        && bus_msg[`SNN_ROUTES_CORE_LSB +: `SNN_ROUTES_CORE_W] == CORE_ID[`SNN_ROUTES_CORE_W-1:0];
    wire [IBW-1:0] inbox_wd = {bus_msg[`SNN_ROUTES_AXON_LSB +: `SNN_ROUTES_AXON_W],
                               bus_msg[`SNN_ROUTES_DELAY_LSB +: `SNN_ROUTES_DELAY_W]};
    snn_ram #(.WIDTH(IBW), .DEPTH(INBOX_DEPTH), .AW(IB_AW)) inbox_ram (
        .clk(clk), .we(inbox_we), .waddr(inbox_count[IB_AW-1:0]), .wdata(inbox_wd),
        .raddr(inbox_ra), .rdata(inbox_q));

    // ---- arithmetic (spikefab-chip neuron step) ----
    // Mul12 decay of x by d: x * (4096 - d) / 4096 rounded toward zero; the
    // product is registered between the multiply and the rounding.
    function signed [44:0] mul12;
        input signed [31:0] x;
        input [13:0] d;
        begin
            mul12 = x * $signed({1'b0, 14'd4096 - d});
        end
    endfunction
    function signed [31:0] rtz12;
        input signed [44:0] p;
        /* verilator lint_off UNUSEDSIGNAL */  // |q| < 2^31
        reg signed [44:0] q;
        /* verilator lint_on UNUSEDSIGNAL */
        begin
            q = (p + (p[44] ? 45'sd4095 : 45'sd0)) >>> 12;
            rtz12 = q[31:0];
        end
    endfunction
    // Shift decay: x - (x >>> d); d >= 32 leaves x.
    function signed [31:0] shift_decay;
        input signed [31:0] x;
        input [13:0] d;
        begin
            shift_decay = (d >= 14'd32) ? x : x - (x >>> d[4:0]);
        end
    endfunction
    function signed [31:0] shift_by_exp;   // x * 2^e, arithmetic shift right when e < 0
        input signed [31:0] x;
        input signed [5:0] e;
        begin
            shift_by_exp = e[5] ? (x >>> (-e)) : (x <<< e);
        end
    endfunction

    // ---- clear ----
    reg [CLR_W-1:0] clr_i;

    // ---- update pipeline ----
    reg [NW:0] upd_i;               // next neuron to read
    reg [SB-1:0] t_slot;
    reg e1_v, e2_v, e3_v, e4_v;
    reg [NW-1:0] e1_n, e2_n, e3_n, e4_n;
    wire e1_go;                     // stage 1 holds a neuron that goes on to stage 2
    // stage 2 inputs (registered by stage 1)
    reg [`SNN_NEURONS_MODEL_W-1:0] e2_model;
    reg e2_subtract;
    reg signed [31:0] e2_ain, e2_bias, e2_vth;
    reg signed [44:0] e2_pu, e2_pv;      // Mul12: products; Shift: u and v themselves
    reg [13:0] e2_du, e2_dv;
    reg signed [31:0] e2_vm;            // v as read (IF integrates it undecayed)
    // stage 3 inputs: the soma's
    reg [`SNN_NEURONS_MODEL_W-1:0] e3_model;
    reg e3_subtract;
    reg signed [31:0] e3_ain, e3_bias, e3_vth, e3_u, e3_dv, e3_vm;

    wire [`SNN_NEURONS_W-1:0] w = nrn_q;
    wire signed [31:0] u_q = state_q[31:0];
    wire signed [31:0] v_q = {{(32 - XB){state_q[XB+31]}}, state_q[XB+31:32]};
    wire signed [5:0] wexp = {{(6 - `SNN_NEURONS_WEIGHT_EXP_W){w[`SNN_NEURONS_WEIGHT_EXP_LSB + `SNN_NEURONS_WEIGHT_EXP_W - 1]}},
                              w[`SNN_NEURONS_WEIGHT_EXP_LSB +: `SNN_NEURONS_WEIGHT_EXP_W]};
    wire signed [5:0] bexp = {{(6 - `SNN_NEURONS_BIAS_EXP_W){w[`SNN_NEURONS_BIAS_EXP_LSB + `SNN_NEURONS_BIAS_EXP_W - 1]}},
                              w[`SNN_NEURONS_BIAS_EXP_LSB +: `SNN_NEURONS_BIAS_EXP_W]};
    wire signed [31:0] bmant = {{(32 - `SNN_NEURONS_BIAS_MANT_W){w[`SNN_NEURONS_BIAS_MANT_LSB + `SNN_NEURONS_BIAS_MANT_W - 1]}},
                                w[`SNN_NEURONS_BIAS_MANT_LSB +: `SNN_NEURONS_BIAS_MANT_W]};
    wire [13:0] du_code = {{(14 - `SNN_NEURONS_DU_W){1'b0}}, w[`SNN_NEURONS_DU_LSB +: `SNN_NEURONS_DU_W]} + `SNN_CUR_OFFSET;
    wire [13:0] dv_code = {{(14 - `SNN_NEURONS_DV_W){1'b0}}, w[`SNN_NEURONS_DV_LSB +: `SNN_NEURONS_DV_W]} + `SNN_VOL_OFFSET;
    // the group's reset: 0 to zero, k >= 1 subtract the threshold, up to k spikes a step
    wire [`SNN_NEURONS_RESET_W-1:0] spikes_max = w[`SNN_NEURONS_RESET_LSB +: `SNN_NEURONS_RESET_W];
    wire [31:0] vth_eff = {{(32 - `SNN_NEURONS_VTH_W){1'b0}}, w[`SNN_NEURONS_VTH_LSB +: `SNN_NEURONS_VTH_W]} << `SNN_THR_SHIFT;
`ifdef SNN_STATE_A
    // ALIF: the adaptation a (0 <= a < 2^(XB-1)), its decay code and step
    wire signed [31:0] a_q = {{(32 - XB){1'b0}}, state_q[SW-1 -: XB]};
    wire [13:0] da_code = {{(14 - `SNN_NEURONS_DA_W){1'b0}}, w[`SNN_NEURONS_DA_LSB +: `SNN_NEURONS_DA_W]} + `SNN_VOL_OFFSET;
    wire signed [31:0] astep_eff = $signed({{(32 - `SNN_NEURONS_VTH_STEP_W){1'b0}}, w[`SNN_NEURONS_VTH_STEP_LSB +: `SNN_NEURONS_VTH_STEP_W]} << `SNN_THR_SHIFT);
    reg signed [44:0] e2_pa;
    reg [13:0] e2_da;
    reg signed [31:0] e2_astep, e3_ad, e3_astep;
    /* verilator lint_off UNUSEDSIGNAL */  // stored: the low state_bits of a (< 2^(XB-1))
    reg signed [31:0] e4_ad;
    wire signed [31:0] soma_a;
    /* verilator lint_on UNUSEDSIGNAL */
    assign spk_wd = {e4_ad[XB-1:0], e4_n};
`else
    assign spk_wd = e4_n;
`endif

    // ---- schedules (model/schedule.rs) ----
    // Each group with a schedule has a directory entry {len, base} into the
    // entry table; the neuron word's `sched` is its directory index + 1 (0:
    // none). sch_pos[k] is t mod len of table k: zeroed by CLEAR, advanced
    // when a step's deliver phase ends. An entry moves the threshold by
    // `threshold << THR_SHIFT`, holds the group (no neuron fires) or adds
    // `input_shift` to the weight exponent. Both tables are small: read
    // asynchronously (LUT RAM), in the cycle the neuron word arrives.
`ifdef SNN_SCHEDULE
    localparam SE_AW = (N_SCHED_ENTRIES > 1) ? $clog2(N_SCHED_ENTRIES) : 1;
    localparam SD_AW = (N_SCHED > 1) ? $clog2(N_SCHED) : 1;
    reg [`SNN_SCHEDULE_W-1:0] sch_mem [0:N_SCHED_ENTRIES-1];
    reg [`SNN_SCHEDULE_DIR_W-1:0] sch_dir [0:N_SCHED-1];
    reg [`SNN_SCHEDULE_DIR_LEN_W-1:0] sch_pos [0:N_SCHED-1];
    initial begin
        if (SCHED_FILE != "") $readmemh(SCHED_FILE, sch_mem);
        if (SCHED_DIR_FILE != "") $readmemh(SCHED_DIR_FILE, sch_dir);
    end
    /* verilator lint_off UNUSEDSIGNAL */  // ids and addresses are as wide as the arch allows
    wire [`SNN_NEURONS_SCHED_W-1:0] sch_id = w[`SNN_NEURONS_SCHED_LSB +: `SNN_NEURONS_SCHED_W];
    wire [`SNN_NEURONS_SCHED_W-1:0] sch_k = sch_id - 1'b1;
    wire [`SNN_SCHEDULE_DIR_W-1:0] sch_d = sch_dir[sch_k[SD_AW-1:0]];
    wire [`SNN_SCHEDULE_DIR_BASE_W-1:0] sch_at = sch_d[`SNN_SCHEDULE_DIR_BASE_LSB +: `SNN_SCHEDULE_DIR_BASE_W]
                                                + sch_pos[sch_k[SD_AW-1:0]][`SNN_SCHEDULE_DIR_BASE_W-1:0];
    wire [`SNN_SCHEDULE_W-1:0] sch_e = sch_mem[sch_at[SE_AW-1:0]];
    /* verilator lint_on UNUSEDSIGNAL */
    wire sch_on = sch_id != 0;
    wire sch_hold = sch_on && sch_e[`SNN_SCHEDULE_HOLD_LSB];
    wire signed [31:0] sch_off = !sch_on ? 32'sd0
        : ($signed({{(32 - `SNN_SCHEDULE_THRESHOLD_W){sch_e[`SNN_SCHEDULE_THRESHOLD_LSB + `SNN_SCHEDULE_THRESHOLD_W - 1]}},
                    sch_e[`SNN_SCHEDULE_THRESHOLD_LSB +: `SNN_SCHEDULE_THRESHOLD_W]}) <<< `SNN_THR_SHIFT);
    wire signed [5:0] sch_shift = !sch_on ? 6'sd0
        : $signed(sch_e[`SNN_SCHEDULE_INPUT_SHIFT_LSB +: 6]);
    // a held group compares against 2^30: above any membrane (< 2^(XB-1)),
    // and with an adaptation (< 2^(XB-1)) added it still fits 32 bits
    wire signed [31:0] vth_step = sch_hold ? 32'sd1073741824 : $signed(vth_eff) + sch_off;
    wire signed [5:0] wexp_step = wexp + sch_shift;
    integer sch_i;
    always @(posedge clk) begin
        if (prog_we && prog_table == T_SCHEDULE)
            sch_mem[prog_addr[SE_AW-1:0]] <= prog_data[`SNN_SCHEDULE_W-1:0];
        if (prog_we && prog_table == T_SCHEDULE_DIR)
            sch_dir[prog_addr[SD_AW-1:0]] <= prog_data[`SNN_SCHEDULE_DIR_W-1:0];
        if (cmd == CMD_CLEAR && phase == P_IDLE) begin
            for (sch_i = 0; sch_i < N_SCHED; sch_i = sch_i + 1) sch_pos[sch_i] <= 0;
        end else if (phase == P_DELIVER && sub == D_DRAIN && !s1_v && !s2_v) begin
            for (sch_i = 0; sch_i < N_SCHED; sch_i = sch_i + 1)
                sch_pos[sch_i] <= (sch_pos[sch_i] + 1'b1 == sch_dir[sch_i][`SNN_SCHEDULE_DIR_LEN_LSB +: `SNN_SCHEDULE_DIR_LEN_W])
                    ? 0 : sch_pos[sch_i] + 1'b1;
        end
    end
`else
    wire signed [31:0] vth_step = $signed(vth_eff);
    wire signed [5:0] wexp_step = wexp;
`endif

    // ---- noise (model/noise.rs) ----
    // One xorshift32 stream per core, reset to NOISE_SEED by CLEAR; each
    // neuron of a noisy group draws once per step as it enters the update
    // pipeline: n = ((r - 128) + 64*mant) * 2^(exp - 7), r the top 8 bits,
    // added to its input.
`ifdef SNN_NOISE
    reg [31:0] rng;
    wire [31:0] rng_a = rng ^ (rng << 13);
    wire [31:0] rng_b = rng_a ^ (rng_a >> 17);
    wire [31:0] rng_next = rng_b ^ (rng_b << 5);
    wire noise_on = w[`SNN_NEURONS_NOISE_ON_LSB];
    wire signed [31:0] noise_mant = {{(32 - `SNN_NEURONS_NOISE_MANT_W){w[`SNN_NEURONS_NOISE_MANT_LSB + `SNN_NEURONS_NOISE_MANT_W - 1]}},
                                     w[`SNN_NEURONS_NOISE_MANT_LSB +: `SNN_NEURONS_NOISE_MANT_W]};
    wire [`SNN_NEURONS_NOISE_EXP_W-1:0] noise_exp = w[`SNN_NEURONS_NOISE_EXP_LSB +: `SNN_NEURONS_NOISE_EXP_W];
    wire signed [31:0] noise_base = $signed({24'd0, rng_next[31:24]}) - 32'sd128 + (noise_mant <<< 6);
    wire signed [31:0] noise_term = !noise_on ? 32'sd0
        : (noise_exp >= 7) ? (noise_base <<< (noise_exp - 7)) : (noise_base >>> (7 - noise_exp));
    always @(posedge clk) begin
        if (rst || (cmd == CMD_CLEAR && phase == P_IDLE)) rng <= NOISE_SEED;
        else if (phase == P_UPDATE && e1_go && noise_on) rng <= rng_next;
    end
`else
    wire signed [31:0] noise_term = 32'sd0;
`endif

    // ---- dendrites (model/dendrites.rs) ----
    // A neuron whose word has branches = K > 0 is issued K + 1 times: once
    // per branch, reading that branch's accumulator (its input slots are
    // consecutive), then once for its soma. Each branch read adds
    // min(max(acc * 2^exp, 0), cap) to dsum and clears the accumulator; the
    // soma issue takes dsum as its input. Which issue comes next is decided
    // from the neuron word of the issue in stage 1 (a point neuron's word
    // says K = 0: the next neuron follows at once).
    reg [IW:0] upd_s;               // next input slot to read
    reg [IW-1:0] e1_s;              // the slot stage 1 read
`ifdef SNN_DENDRITES
    reg [4:0] e1_j;                 // its branch
    reg e1_soma;                    // stage 1 is a dendritic neuron's soma issue
    reg signed [31:0] dsum;
    wire [4:0] br_k = {{(5 - `SNN_NEURONS_BRANCHES_W){1'b0}}, w[`SNN_NEURONS_BRANCHES_LSB +: `SNN_NEURONS_BRANCHES_W]};
    wire signed [31:0] br_cap = {{(32 - `SNN_NEURONS_CAP_W){1'b0}}, w[`SNN_NEURONS_CAP_LSB +: `SNN_NEURONS_CAP_W]};
    wire signed [31:0] br_in = shift_by_exp(acc_q, wexp_step);
    wire signed [31:0] br_g = br_in[31] ? 32'sd0 : (br_in > br_cap) ? br_cap : br_in;
    wire iss_cont = e1_v && !e1_soma && br_k != 0;          // the next issue is stage 1's neuron again
    wire iss_soma = iss_cont && e1_j + 1'b1 == br_k;         // ... for its soma
    wire [4:0] iss_j = iss_cont ? e1_j + 1'b1 : 5'd0;
    assign e1_go = e1_v && (e1_soma || br_k == 0);
    wire signed [31:0] ain_in = e1_soma ? dsum : shift_by_exp(acc_q, wexp_step);
    always @(posedge clk)
        if (phase == P_UPDATE && e1_v && !e1_soma && br_k != 0)
            dsum <= (e1_j == 0 ? 32'sd0 : dsum) + br_g;
`else
    wire e1_soma = 1'b0;
    wire iss_cont = 1'b0;
    wire iss_soma = 1'b0;
    assign e1_go = e1_v;
    wire signed [31:0] ain_in = shift_by_exp(acc_q, wexp_step);
`endif
    wire [NW-1:0] iss_n = iss_cont ? e1_n : upd_i[NW-1:0];  // the neuron issued this cycle

    // stages 3-4: the neuron models (snn_soma.v, written by export-hdl for
    // the models the program uses)
    /* verilator lint_off UNUSEDSIGNAL */  // stored: the low state_bits of v
    wire signed [31:0] soma_u, soma_v;
    /* verilator lint_on UNUSEDSIGNAL */
    wire fire;
    snn_soma soma (
        .clk(clk), .model(e3_model), .subtract(e3_subtract),
        .ain(e3_ain), .bias(e3_bias), .vth(e3_vth), .ud(e3_u), .vd(e3_dv), .vm(e3_vm),
`ifdef SNN_STATE_A
        .ad(e3_ad), .astep(e3_astep), .a_next(soma_a),
`endif
        .u_next(soma_u), .v_next(soma_v), .fire(fire));

    // ---- deliver pipeline ----
    reg [IB_AW:0] dlv_i;
    reg [SB-1:0] slot_base;           // slots are t mod SLOTS: SB-bit arithmetic wraps for free
    reg [`SNN_ROUTES_DELAY_W-1:0] dlv_delay;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [`SNN_AXON_PTR_BASE_W-1:0] row_base, row_j;
    reg [`SNN_AXON_PTR_LEN_W-1:0] row_len;
    reg s1_v, s2_v, fwd_v;
    reg [SB-1:0] s1_slot;
    reg [ACC_AW-1:0] s2_addr, fwd_addr;
    reg signed [31:0] s2_w, fwd_data;
    wire [SB-1:0] s1_target = s1_slot + syn_delay[SB-1:0];
    wire [SB+`SNN_SYNAPSES_DELAY_W-1:0] syn_delay = {{SB{1'b0}}, syn_q[`SNN_SYNAPSES_DELAY_LSB +: `SNN_SYNAPSES_DELAY_W]};
    wire [SB+`SNN_ROUTES_DELAY_W-1:0] msg_delay = {{SB{1'b0}}, dlv_delay};
    /* verilator lint_on UNUSEDSIGNAL */
    wire [IW-1:0] s1_post = syn_q[`SNN_SYNAPSES_POST_LSB +: IW];
    wire [ACC_AW-1:0] s1_addr = {s1_target & (SLOTS[SB-1:0] - 1'b1), s1_post};
    wire signed [31:0] s2_old = (fwd_v && fwd_addr == s2_addr) ? fwd_data : $signed(acc_q);
    wire signed [31:0] s2_sum = s2_old + s2_w;

    // ---- send ----
    reg [NW:0] snd_i;
    reg [NW-1:0] snd_n;
    // Several spikes a step (subtractive reset): the update fired a neuron
    // once and subtracted one threshold; here, after its routes are sent,
    // it fires again while v > vth and fewer than its max spikes went out,
    // subtracting a threshold each time. Each repetition takes the cycles of
    // a listed neuron (the emulator lists it once per spike) but does not
    // offer the output port again (a channel has one event a step).
    reg snd_any;                    // snd_n holds a neuron sent this phase
    reg snd_rep;                    // this pass over snd_n is a repetition
    reg [`SNN_NEURONS_RESET_W-1:0] snd_count;
    // the threshold of the neuron being sent: vth, plus a' under ALIF
`ifdef SNN_STATE_A
    reg signed [31:0] a_hold;
    wire signed [31:0] theta_snd = vth_step + a_hold;
    // each further spike raises a by one step, saturating (model/alif.rs)
    localparam signed [32:0] AMAX = (33'sd1 <<< (XB - 1)) - 33'sd1;
    wire signed [32:0] a_raised = {a_q[31], a_q} + {astep_eff[31], astep_eff};
    /* verilator lint_off UNUSEDSIGNAL */  // < 2^(XB-1)
    wire signed [31:0] a_rep = (a_raised > AMAX) ? AMAX[31:0] : a_raised[31:0];
    /* verilator lint_on UNUSEDSIGNAL */
`else
    wire signed [31:0] theta_snd = vth_step;
`endif
    /* verilator lint_off UNUSEDSIGNAL */  // v > theta >= 0: the difference fits state_bits
    wire signed [31:0] v_sub = v_q - theta_snd;
    /* verilator lint_on UNUSEDSIGNAL */
    wire snd_again = snd_any && snd_count < spikes_max && $signed(v_q) > theta_snd;
    /* verilator lint_off UNUSEDSIGNAL */
    reg [`SNN_ROUTE_PTR_BASE_W-1:0] rt_base, rt_j;
    /* verilator lint_on UNUSEDSIGNAL */
    reg [`SNN_ROUTE_PTR_LEN_W-1:0] rt_len;

    localparam [3:0] S_NONE = 4'd0,
                     D_MSG = 4'd1, D_PTR = 4'd2, D_ROW0 = 4'd3, D_ROW = 4'd4, D_DRAIN = 4'd5,
                     X_FETCH = 4'd6, X_NID = 4'd7, X_PTR = 4'd8, X_ROUTE = 4'd9,
                     L_TRACE = 4'd10, L_WSTART = 4'd11, L_WEIGHT = 4'd12;
    reg [3:0] sub;
    wire out_port = outm_q[`SNN_OUTMAP_VALID_LSB];
    assign out_valid = (sub == X_PTR) && out_port && !snd_rep;
    assign out_channel = outm_q[`SNN_OUTMAP_CHANNEL_LSB +: `SNN_OUTMAP_CHANNEL_W];


    // ---- learning (model/plasticity.rs) ----
    // A learning core starts its receive phase (CMD_DELIVER) with a learning
    // pass: every step it updates the traces its learn_traces table lists,
    // one a cycle (x of an axon from the spikes it brought into this step's
    // update, y of a neuron from the spikes it fired, the repetitions of
    // the send phase included), then, one bubble cycle later, for every
    // rule at its epoch the plastic components of that rule's learn_synapses
    // entries, one a cycle, a 4-stage pipeline (entry, traces and component,
    // products, rounding and write) whose tail overlaps the first messages.
    // The spike counts are 8-bit saturating (a trace saturates first); the
    // last trace entry of an axon or neuron zeroes its count. Every rounding
    // is model/plasticity.rs's: decays to nearest with halves to even, the
    // rate shift and the component's weight units to nearest, halves up.
    // A plastic synapse delivers clamp(w + round(a / 2^8)) to the weight field.
`ifdef SNN_LEARNING
    localparam L_ON = LEARN != 0;
    localparam signed [31:0] W_HI = (32'sd1 <<< (`SNN_SYNAPSES_WEIGHT_W - 1)) - 32'sd1;
    localparam signed [31:0] W_LO = -W_HI - 32'sd1;
    // the rules: a small table read asynchronously (LUT RAM), every rule at once
    reg [`SNN_LEARN_RULES_W-1:0] lrule [0:N_RULES-1];
    initial if (LRULE_FILE != "") $readmemh(LRULE_FILE, lrule);
    always @(posedge clk)
        if (prog_we && prog_table == T_LEARN_RULES) lrule[prog_addr[RB-1:0]] <= prog_data[`SNN_LEARN_RULES_W-1:0];
    wire [LT_AW-1:0] ltr_ra;
    wire [LS_AW-1:0] lsy_ra;
    /* verilator lint_off UNUSEDSIGNAL */  // indices are as wide as the arch allows
    wire [`SNN_LEARN_TRACES_W-1:0] ltr_q;
    wire [`SNN_LEARN_SYNAPSES_W-1:0] lsy_q;
    /* verilator lint_on UNUSEDSIGNAL */
    snn_ram #(.WIDTH(`SNN_LEARN_TRACES_W), .DEPTH(N_LTRACES), .AW(LT_AW), .INIT_FILE(LTRACE_FILE)) ltr_ram (
        .clk(clk), .we(prog_we && prog_table == T_LEARN_TRACES), .waddr(prog_addr[LT_AW-1:0]),
        .wdata(prog_data[`SNN_LEARN_TRACES_W-1:0]), .raddr(ltr_ra), .rdata(ltr_q));
    snn_ram #(.WIDTH(`SNN_LEARN_SYNAPSES_W), .DEPTH(N_LSYN), .AW(LS_AW), .INIT_FILE(LSYN_FILE)) lsy_ram (
        .clk(clk), .we(prog_we && prog_table == T_LEARN_SYNAPSES), .waddr(prog_addr[LS_AW-1:0]),
        .wdata(prog_data[`SNN_LEARN_SYNAPSES_W-1:0]), .raddr(lsy_ra), .rdata(lsy_q));

    // the RAMs the engine keeps (zeroed by CLEAR)
    /* verilator lint_off UNUSEDSIGNAL */  // a single rule's RAM has no rule bits
    reg [RB+AX_AW-1:0] x_ra, x_wa;
    reg [RB+NW-1:0] y_ra, y_wa;
    /* verilator lint_on UNUSEDSIGNAL */
    reg [AX_AW-1:0] arr_ra, arr_wa;
    reg [NW-1:0] fir_ra, fir_wa;
    reg [SYN_AW-1:0] pl_ra, pl_wa;
    reg [7:0] x_wd, y_wd, arr_wd, fir_wd;
    reg [PW-1:0] pl_wd;
    reg x_we, y_we, arr_we, fir_we, pl_we;
    wire [7:0] x_q, y_q, arr_q, fir_q;
    wire [PW-1:0] pl_q;
    snn_ram #(.WIDTH(8), .DEPTH(X_DEPTH), .AW(XA_AW)) x_ram (
        .clk(clk), .we(x_we), .waddr(x_wa[XA_AW-1:0]), .wdata(x_wd), .raddr(x_ra[XA_AW-1:0]), .rdata(x_q));
    snn_ram #(.WIDTH(8), .DEPTH(Y_DEPTH), .AW(YA_AW)) y_ram (
        .clk(clk), .we(y_we), .waddr(y_wa[YA_AW-1:0]), .wdata(y_wd), .raddr(y_ra[YA_AW-1:0]), .rdata(y_q));
    snn_ram #(.WIDTH(8), .DEPTH(ARR_DEPTH), .AW(AX_AW)) arr_ram (
        .clk(clk), .we(arr_we), .waddr(arr_wa), .wdata(arr_wd), .raddr(arr_ra), .rdata(arr_q));
    snn_ram #(.WIDTH(8), .DEPTH(FIR_DEPTH), .AW(NW)) fir_ram (
        .clk(clk), .we(fir_we), .waddr(fir_wa), .wdata(fir_wd), .raddr(fir_ra), .rdata(fir_q));
    snn_ram #(.WIDTH(PW), .DEPTH(PL_DEPTH), .AW(SYN_AW)) pl_ram (
        .clk(clk), .we(pl_we), .waddr(pl_wa), .wdata(pl_wd), .raddr(pl_ra), .rdata(pl_q));

    // decay(v, d) = v (4096 - d) / 4096 to nearest, halves to even, of a
    // product p = v (4096 - d) given as its sign and magnitude
    function [47:0] round12_even;
        input [47:0] mag;
        reg [47:0] q;
        begin
            q = mag >> 12;
            round12_even = q + {47'd0, (mag[11:0] > 12'd2048) || (mag[11:0] == 12'd2048 && q[0])};
        end
    endfunction

    // per rule: where step t falls in its epoch, (t + 1 + phase) mod epoch
    // (0: the rule updates its weights after this step); CLEAR starts it at t = 0
    reg [15:0] lpos [0:N_RULES-1];
    reg [N_RULES-1:0] ldue;             // at its epoch, with plastic synapses
    reg [RB:0] lfrom, lnext;            // the first due rule from lfrom on (N_RULES: none)
    integer li;
    always @* begin
        for (li = 0; li < N_RULES; li = li + 1)
            ldue[li] = lpos[li] == 16'd0 && lrule[li][`SNN_LEARN_RULES_LEN_LSB +: `SNN_LEARN_RULES_LEN_W] != 0;
        lnext = N_RULES[RB:0];
        for (li = N_RULES - 1; li >= 0; li = li - 1)
            if (ldue[li] && li >= lfrom) lnext = li[RB:0];
    end
    /* verilator lint_off UNUSEDSIGNAL */  // the rule's list range is as wide as the arch allows
    wire [`SNN_LEARN_RULES_W-1:0] lnext_w = lrule[lnext[RB-1:0]];
    /* verilator lint_on UNUSEDSIGNAL */

    // the walk
    reg [LT_AW:0] lt_i;                 // next trace entry
    reg [RB:0] ls_r;                    // the rule being walked
    /* verilator lint_off UNUSEDSIGNAL */  // as wide as the arch allows
    reg [`SNN_LEARN_RULES_BASE_W-1:0] ls_p;   // its next entry
    /* verilator lint_on UNUSEDSIGNAL */
    reg [`SNN_LEARN_RULES_LEN_W-1:0] ls_left;
    assign ltr_ra = lt_i[LT_AW-1:0];
    assign lsy_ra = ls_p[LS_AW-1:0];
    wire l_last_trace = lt_i + 1'b1 == N_LTRACES[LT_AW:0];
    // traces: stage 1 has the entry, stage 2 the trace and the count
    reg lt1_v, lt2_v;
    /* verilator lint_off UNUSEDSIGNAL */  // an axon's or a neuron's: each RAM takes the bits it has
    reg [`SNN_LEARN_TRACES_INDEX_W-1:0] lt2_index;
    /* verilator lint_on UNUSEDSIGNAL */
    reg [RB-1:0] lt2_rule;
    reg lt2_neuron, lt2_last;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [`SNN_LEARN_TRACES_INDEX_W-1:0] lt1_index = ltr_q[`SNN_LEARN_TRACES_INDEX_LSB +: `SNN_LEARN_TRACES_INDEX_W];
    wire [`SNN_LEARN_TRACES_RULE_W-1:0] lt1_rule = ltr_q[`SNN_LEARN_TRACES_RULE_LSB +: `SNN_LEARN_TRACES_RULE_W];
    wire [`SNN_LEARN_RULES_W-1:0] lt2_w = lrule[lt2_rule];
    /* verilator lint_on UNUSEDSIGNAL */
    wire [7:0] lt2_old = lt2_neuron ? y_q : x_q;
    wire [7:0] lt2_count = lt2_neuron ? fir_q : arr_q;
    wire [13:0] lt2_keep = 14'd4096 - {1'b0, lt2_w[`SNN_LEARN_RULES_TRACE_DECAY_LSB +: 13]};
    /* verilator lint_off UNUSEDSIGNAL */  // < 2^9 after the decay, < 2^17 with the impulses
    wire [21:0] lt2_prod = {14'd0, lt2_old} * {8'd0, lt2_keep};
    wire [15:0] lt2_add = {8'd0, lt2_w[`SNN_LEARN_RULES_IMPULSE_LSB +: 8]} * {8'd0, lt2_count};
    wire [47:0] lt2_dec = round12_even({26'd0, lt2_prod});
    wire [47:0] lt2_sum = lt2_dec + {32'd0, lt2_add};
    /* verilator lint_on UNUSEDSIGNAL */
    wire [7:0] lt2_new = (lt2_sum > 48'd255) ? 8'd255 : lt2_sum[7:0];
    // weights: stage 1 has the entry, stage 2 the traces and the component,
    // stage 3 the products
    reg ls1_v, ls2_v, ls3_v;
    reg [RB-1:0] ls1_r, ls2_r, ls3_r;
    reg [SYN_AW-1:0] ls2_k, ls3_k;
    reg signed [24:0] ls3_pp;           // rate x y
    reg signed [PW+14:0] ls3_pd;        // a (4096 - plastic_decay)
    /* verilator lint_off UNUSEDSIGNAL */
    wire [`SNN_LEARN_RULES_W-1:0] ls2_w = lrule[ls2_r];
    wire [`SNN_LEARN_RULES_W-1:0] ls3_w = lrule[ls3_r];
    /* verilator lint_on UNUSEDSIGNAL */
    // the products at their widths (one multiplier each): |rate x y| < 2^23,
    // |a (4096 - d)| < 2^(PW + 13)
    wire signed [7:0] ls2_rate = ls2_w[`SNN_LEARN_RULES_RATE_LSB +: 8];
    wire [15:0] ls2_xy = {8'd0, x_q} * {8'd0, y_q};
    wire signed [13:0] ls2_keep = 14'd4096 - {1'b0, ls2_w[`SNN_LEARN_RULES_PLASTIC_DECAY_LSB +: 13]};
    wire signed [24:0] ls2_pp = ls2_rate * $signed({1'b0, ls2_xy});
    wire signed [PW+14:0] ls2_pd = $signed(pl_q) * $signed({1'b0, ls2_keep});
    wire [4:0] ls3_sh = ls3_w[`SNN_LEARN_RULES_RATE_SHIFT_LSB +: 5];
    wire signed [31:0] ls3_pp32 = {{7{ls3_pp[24]}}, ls3_pp};
    wire signed [31:0] ls3_dw = (ls3_sh == 5'd0) ? ls3_pp32
        : (ls3_pp32 + (32'sd1 <<< (ls3_sh - 5'd1))) >>> ls3_sh;
    wire [47:0] ls3_mag = {{(33 - PW){1'b0}}, ls3_pd[PW+14] ? -ls3_pd : ls3_pd};
    wire [47:0] ls3_q = round12_even(ls3_mag);
    /* verilator lint_off UNUSEDSIGNAL */  // |a| < 2^(PW-1)
    wire signed [47:0] ls3_dec = ls3_pd[PW+14] ? -$signed(ls3_q) : $signed(ls3_q);
    /* verilator lint_on UNUSEDSIGNAL */
    wire signed [31:0] ls3_sum = ls3_dec[31:0] + ls3_dw;
    /* verilator lint_off UNUSEDSIGNAL */  // within the weight field's 2^-8 units: PW bits
    wire signed [31:0] ls3_new = (ls3_sum > (W_HI <<< 8)) ? (W_HI <<< 8)
                               : (ls3_sum < (W_LO <<< 8)) ? (W_LO <<< 8) : ls3_sum;
    /* verilator lint_on UNUSEDSIGNAL */
    wire l_finish = phase == P_LEARN && ((sub == L_WSTART && lnext == N_RULES[RB:0])
                    || (sub == L_WEIGHT && ls_left == 1 && lnext == N_RULES[RB:0]));

    // the weight a synapse word delivers: a plastic one adds its component
    wire syn_plastic = syn_q[`SNN_SYNAPSES_RULE_LSB +: `SNN_SYNAPSES_RULE_W] != 0;
    wire signed [31:0] syn_w_static = {{(32 - `SNN_SYNAPSES_WEIGHT_W){syn_q[`SNN_SYNAPSES_WEIGHT_LSB + `SNN_SYNAPSES_WEIGHT_W - 1]}},
                                       syn_q[`SNN_SYNAPSES_WEIGHT_LSB +: `SNN_SYNAPSES_WEIGHT_W]};
    wire signed [31:0] pl_whole = ($signed({{(32 - PW){pl_q[PW-1]}}, pl_q}) + 32'sd128) >>> 8;
    wire signed [31:0] syn_w_plastic = syn_w_static + pl_whole;
    wire signed [31:0] syn_w = !syn_plastic ? syn_w_static
        : (syn_w_plastic > W_HI) ? W_HI : (syn_w_plastic < W_LO) ? W_LO : syn_w_plastic;

    // read addresses and write ports of the engine's RAMs
    /* verilator lint_off UNUSEDSIGNAL */  // each RAM clears the address bits it has
    wire [63:0] clr_wide = {{(64 - CLR_W){1'b0}}, clr_i};
    /* verilator lint_on UNUSEDSIGNAL */
    /* verilator lint_off UNUSEDSIGNAL */  // as wide as the arch allows
    reg [`SNN_ROUTES_AXON_W-1:0] dlv_axon;   // the message being delivered: its axon's count + 1
    /* verilator lint_on UNUSEDSIGNAL */
    always @* begin
        x_ra = ls1_v ? {ls1_r, lsy_q[`SNN_LEARN_SYNAPSES_AXON_LSB +: AX_AW]} : {lt1_rule[RB-1:0], lt1_index[AX_AW-1:0]};
        y_ra = ls1_v ? {ls1_r, lsy_q[`SNN_LEARN_SYNAPSES_NEURON_LSB +: NW]} : {lt1_rule[RB-1:0], lt1_index[NW-1:0]};
        pl_ra = ls1_v ? lsy_q[`SNN_LEARN_SYNAPSES_SYNAPSE_LSB +: SYN_AW] : syn_ra;
        arr_ra = lt1_v ? lt1_index[AX_AW-1:0] : inbox_q[`SNN_ROUTES_DELAY_W +: AX_AW];
        fir_ra = lt1_v ? lt1_index[NW-1:0] : rptr_ra;
        x_wa = {lt2_rule, lt2_index[AX_AW-1:0]};
        y_wa = {lt2_rule, lt2_index[NW-1:0]};
        x_wd = lt2_new;
        y_wd = lt2_new;
        x_we = L_ON && lt2_v && !lt2_neuron;
        y_we = L_ON && lt2_v && lt2_neuron;
        arr_wa = lt2_index[AX_AW-1:0];
        arr_wd = 8'd0;
        arr_we = L_ON && lt2_v && !lt2_neuron && lt2_last;
        fir_wa = lt2_index[NW-1:0];
        fir_wd = 8'd0;
        fir_we = L_ON && lt2_v && lt2_neuron && lt2_last;
        pl_wa = ls3_k;
        pl_wd = ls3_new[PW-1:0];
        pl_we = L_ON && ls3_v;
        if (phase == P_DELIVER && sub == D_ROW0) begin
            arr_we = L_ON;
            arr_wa = dlv_axon[AX_AW-1:0];
            arr_wd = (arr_q == 8'd255) ? arr_q : arr_q + 8'd1;
        end
        if (phase == P_SEND && sub == X_PTR && (!out_port || snd_rep || out_ready)) begin
            fir_we = L_ON;
            fir_wa = snd_n;
            fir_wd = (fir_q == 8'd255) ? fir_q : fir_q + 8'd1;
        end
        if (phase == P_CLEAR) begin
            x_we = 1'b1; y_we = 1'b1; arr_we = 1'b1; fir_we = 1'b1; pl_we = 1'b1;
            x_wa = clr_wide[RB+AX_AW-1:0]; y_wa = clr_wide[RB+NW-1:0];
            arr_wa = clr_wide[AX_AW-1:0]; fir_wa = clr_wide[NW-1:0]; pl_wa = clr_wide[SYN_AW-1:0];
            x_wd = 8'd0; y_wd = 8'd0; arr_wd = 8'd0; fir_wd = 8'd0; pl_wd = {PW{1'b0}};
        end
    end

    always @(posedge clk) begin
        lt1_v <= 1'b0;
        lt2_v <= lt1_v;
        lt2_index <= lt1_index;
        lt2_rule <= lt1_rule[RB-1:0];
        lt2_neuron <= ltr_q[`SNN_LEARN_TRACES_NEURON_LSB];
        lt2_last <= ltr_q[`SNN_LEARN_TRACES_LAST_LSB];
        ls1_v <= 1'b0;
        ls2_v <= ls1_v;
        ls2_r <= ls1_r;
        ls2_k <= lsy_q[`SNN_LEARN_SYNAPSES_SYNAPSE_LSB +: SYN_AW];
        ls3_v <= ls2_v;
        ls3_r <= ls2_r;
        ls3_k <= ls2_k;
        ls3_pp <= ls2_pp;
        ls3_pd <= ls2_pd;
        if (phase == P_DELIVER && sub == D_PTR) dlv_axon <= inbox_q[`SNN_ROUTES_DELAY_W +: `SNN_ROUTES_AXON_W];
        // (the phase's sub-state moves in the main block below: L_TRACE
        // until the last entry, L_WSTART for one cycle, L_WEIGHT until l_finish)
        if (rst) begin
            lt2_v <= 1'b0; ls2_v <= 1'b0; ls3_v <= 1'b0;
        end else if (phase == P_IDLE) begin
            lt_i <= 0;
        end else if (phase == P_LEARN && sub == L_TRACE) begin
            lt1_v <= 1'b1;
            lt_i <= lt_i + 1'b1;
        end else if (phase == P_LEARN && (sub == L_WSTART || sub == L_WEIGHT)) begin
            if (sub == L_WEIGHT) begin
                ls1_v <= 1'b1;
                ls1_r <= ls_r[RB-1:0];
                ls_p <= ls_p + 1'b1;
                ls_left <= ls_left - 1'b1;
            end
            if (sub == L_WSTART || ls_left == 1) begin
                ls_r <= lnext;
                ls_p <= lnext_w[`SNN_LEARN_RULES_BASE_LSB +: `SNN_LEARN_RULES_BASE_W];
                ls_left <= lnext_w[`SNN_LEARN_RULES_LEN_LSB +: `SNN_LEARN_RULES_LEN_W];
            end
        end
    end
    always @* lfrom = (sub == L_WSTART) ? {(RB + 1){1'b0}} : ls_r + 1'b1;
    integer lp;
    always @(posedge clk) begin
        if (cmd == CMD_CLEAR && phase == P_IDLE) begin
            for (lp = 0; lp < N_RULES; lp = lp + 1)
                lpos[lp] <= (lrule[lp][`SNN_LEARN_RULES_PHASE_LSB +: 16] + 16'd1 == lrule[lp][`SNN_LEARN_RULES_EPOCH_LSB +: 16])
                    ? 16'd0 : lrule[lp][`SNN_LEARN_RULES_PHASE_LSB +: 16] + 16'd1;
        end else if (l_finish) begin
            for (lp = 0; lp < N_RULES; lp = lp + 1)
                lpos[lp] <= (lpos[lp] + 16'd1 == lrule[lp][`SNN_LEARN_RULES_EPOCH_LSB +: 16]) ? 16'd0 : lpos[lp] + 16'd1;
        end
    end
`else
    localparam L_ON = 1'b0;
    wire l_finish = 1'b0;
    wire l_last_trace = 1'b0;
    wire signed [31:0] syn_w = {{(32 - `SNN_SYNAPSES_WEIGHT_W){syn_q[`SNN_SYNAPSES_WEIGHT_LSB + `SNN_SYNAPSES_WEIGHT_W - 1]}},
                                syn_q[`SNN_SYNAPSES_WEIGHT_LSB +: `SNN_SYNAPSES_WEIGHT_W]};
`endif

    // read addresses: a function of the phase and its counters
    always @* begin
        nrn_ra = (phase == P_SEND) ? snd_n : iss_n;   // send: v and vth of the neuron sent
        acc_ra = (phase == P_DELIVER) ? s1_addr : {t_slot, upd_s[IW-1:0]};
        syn_ra = row_base[SYN_AW-1:0] + row_j[SYN_AW-1:0];
        aptr_ra = inbox_q[`SNN_ROUTES_DELAY_W +: AX_AW];
        inbox_ra = dlv_i[IB_AW-1:0];
        spk_ra = snd_i[NW-1:0];
        rptr_ra = (sub == X_NID && !snd_rep) ? spk_q[NW-1:0] : snd_n;   // held while the output port waits
        rte_ra = rt_base[RT_AW-1:0] + rt_j[RT_AW-1:0];
    end

    // write ports, combinational so that a write lands at the end of the
    // cycle that computed it (the deliver pipeline's forwarding relies on it)
    always @* begin
        acc_we = 1'b0;
        acc_wa = s2_addr;
        acc_wd = s2_sum;
        state_we = e4_v;
        state_wa = e4_n;
`ifdef SNN_STATE_A
        state_wd = {soma_a[XB-1:0], soma_v[XB-1:0], soma_u};
`else
        state_wd = {soma_v[XB-1:0], soma_u};
`endif
        if (phase == P_SEND) begin
            state_we = sub == X_FETCH && snd_again;
            state_wa = snd_n;
`ifdef SNN_STATE_A
            state_wd = {a_rep[XB-1:0], v_sub[XB-1:0], u_q};
`else
            state_wd = {v_sub[XB-1:0], u_q};
`endif
        end
        if (phase == P_CLEAR) begin
            acc_we = 1'b1;
            acc_wa = clr_i[ACC_AW-1:0];     // past 2^ACC_AW (learning RAMs): zeroed again
            acc_wd = 32'd0;
            state_we = 1'b1;
            state_wa = clr_i[NW-1:0];
            state_wd = {SW{1'b0}};
        end else if (s2_v) begin
            acc_we = 1'b1;
        end else if (e1_v && !e1_soma) begin
            acc_we = 1'b1;              // the slot just read is free again
            acc_wa = {t_slot, e1_s};
            acc_wd = 32'd0;
        end
    end
    assign spk_we = e4_v && fire;

    always @(posedge clk) begin
        msg_valid <= 1'b0;
        if (inbox_we) inbox_count <= inbox_count + 1'b1;
        if (spk_we) spk_count <= spk_count + 1'b1;
        if (rst) begin
            phase <= P_IDLE;
            sub <= S_NONE;
            e1_v <= 1'b0; e2_v <= 1'b0; e3_v <= 1'b0; e4_v <= 1'b0;
            s1_v <= 1'b0; s2_v <= 1'b0; fwd_v <= 1'b0;
            inbox_count <= 0;
            spk_count <= 0;
        end else begin
            // ---- accumulator write port: deliver (read-modify-write), update (clear), clear ----
            s2_v <= s1_v && phase == P_DELIVER;
            s2_addr <= s1_addr;
`ifdef SNN_WEIGHT_SHIFT
            // per-projection exponents: the word's shift into the accumulator
            s2_w <= syn_w <<< syn_q[`SNN_SYNAPSES_SHIFT_LSB +: `SNN_SYNAPSES_SHIFT_W];
`else
            s2_w <= syn_w;
`endif
            fwd_v <= s2_v;
            fwd_addr <= s2_addr;
            fwd_data <= s2_sum;
            s1_v <= 1'b0;

            // ---- update stages 1..4 (they drain on their own) ----
            e1_v <= 1'b0;
            e2_v <= e1_go;
            e2_n <= e1_n;
            e2_model <= w[`SNN_NEURONS_MODEL_LSB +: `SNN_NEURONS_MODEL_W];
            e2_subtract <= spikes_max != 0;
            e2_ain <= ain_in + noise_term;
            e2_bias <= shift_by_exp(bmant, bexp);
            e2_vth <= vth_step;
            e2_vm <= v_q;
            e2_du <= du_code;
            e2_dv <= dv_code;
            if (`SNN_DECAY_MUL12) begin
                e2_pu <= mul12(u_q, du_code);
                e2_pv <= mul12(v_q, dv_code);
            end else begin
                e2_pu <= {{13{u_q[31]}}, u_q};
                e2_pv <= {{13{v_q[31]}}, v_q};
            end
`ifdef SNN_STATE_A
            e2_pa <= `SNN_DECAY_MUL12 ? mul12(a_q, da_code) : {13'd0, a_q};
            e2_da <= da_code;
            e2_astep <= astep_eff;
            e3_ad <= `SNN_DECAY_MUL12 ? rtz12(e2_pa) : shift_decay(e2_pa[31:0], e2_da);
            e3_astep <= e2_astep;
            e4_ad <= e3_ad;
`endif
            e3_v <= e2_v;
            e3_vm <= e2_vm;
            e3_n <= e2_n;
            e3_model <= e2_model;
            e3_subtract <= e2_subtract;
            e3_ain <= e2_ain;
            e3_bias <= e2_bias;
            e3_vth <= e2_vth;
            e3_u <= `SNN_DECAY_MUL12 ? rtz12(e2_pu) : shift_decay(e2_pu[31:0], e2_du);
            e3_dv <= `SNN_DECAY_MUL12 ? rtz12(e2_pv) : shift_decay(e2_pv[31:0], e2_dv);
            e4_v <= e3_v;
            e4_n <= e3_n;

            case (phase)
                P_IDLE: begin
                    case (cmd)
                        CMD_CLEAR: begin
                            clr_i <= 0;
                            phase <= P_CLEAR;
                        end
                        CMD_UPDATE: begin
                            upd_i <= 0;
                            upd_s <= 0;
                            t_slot <= t[SB-1:0] & (SLOTS[SB-1:0] - 1'b1);
                            spk_count <= 0;
                            phase <= P_UPDATE;
                        end
                        CMD_SEND: begin
                            snd_i <= 0;
                            snd_any <= 1'b0;
                            snd_rep <= 1'b0;
                            sub <= X_FETCH;
                            phase <= P_SEND;
                        end
                        CMD_DELIVER: begin
                            dlv_i <= 0;
                            if (L_ON) begin         // learn first (SNN_LEARNING)
                                sub <= L_TRACE;
                                phase <= P_LEARN;
                            end else begin
                                sub <= D_MSG;
                                phase <= P_DELIVER;
                            end
                        end
                        default: ;
                    endcase
                end
                P_CLEAR: begin
                    clr_i <= clr_i + 1'b1;
                    if (clr_i == CLR_N[CLR_W-1:0] - 1'b1) begin
                        inbox_count <= 0;
                        spk_count <= 0;
                        phase <= P_IDLE;
                    end
                end
                P_UPDATE: begin
                    if (iss_cont || upd_i != N_NEURONS[NW:0]) begin
                        e1_v <= 1'b1;
                        e1_n <= iss_n;
                        e1_s <= upd_s[IW-1:0];
`ifdef SNN_DENDRITES
                        e1_j <= iss_j;
                        e1_soma <= iss_soma;
`endif
                        if (!iss_soma) upd_s <= upd_s + 1'b1;
                        if (!iss_cont) upd_i <= upd_i + 1'b1;
                    end else if (!e1_v && !e2_v && !e3_v && !e4_v) begin
                        phase <= P_IDLE;
                    end
                end
                P_SEND: begin
                    case (sub)
                        X_FETCH: begin
                            snd_rep <= snd_again;
                            if (snd_again) begin
                                snd_count <= snd_count + 1'b1;
                                sub <= X_NID;
                            end else if (snd_i == spk_count) begin
                                sub <= S_NONE;
                                phase <= P_IDLE;
                            end else begin
                                snd_i <= snd_i + 1'b1;
                                sub <= X_NID;
                            end
                        end
                        X_NID: begin
                            if (!snd_rep) begin
                                snd_n <= spk_q[NW-1:0];
                                snd_count <= 1;
`ifdef SNN_STATE_A
                                a_hold <= {{(32 - XB){1'b0}}, spk_q[KW-1 -: XB]};
`endif
                            end
                            snd_any <= 1'b1;
                            sub <= X_PTR;
                        end
                        X_PTR: begin
                            if (!out_port || snd_rep || out_ready) begin
                                rt_base <= rptr_q[`SNN_ROUTE_PTR_BASE_LSB +: `SNN_ROUTE_PTR_BASE_W];
                                rt_len <= rptr_q[`SNN_ROUTE_PTR_LEN_LSB +: `SNN_ROUTE_PTR_LEN_W];
                                rt_j <= 0;
                                sub <= (rptr_q[`SNN_ROUTE_PTR_LEN_LSB +: `SNN_ROUTE_PTR_LEN_W] == 0) ? X_FETCH : X_ROUTE;
                            end
                        end
                        X_ROUTE: begin
                            msg_valid <= 1'b1;
                            rt_j <= rt_j + 1'b1;
                            if (rt_j + 1'b1 == rt_len) sub <= X_FETCH;
                        end
                        default: sub <= X_FETCH;
                    endcase
                end
                P_DELIVER: begin
                    case (sub)
                        D_MSG: begin
                            if (dlv_i == inbox_count) begin
                                sub <= D_DRAIN;
                            end else begin
                                dlv_i <= dlv_i + 1'b1;
                                sub <= D_PTR;
                            end
                        end
                        D_PTR: begin
                            dlv_delay <= inbox_q[`SNN_ROUTES_DELAY_W-1:0];
                            sub <= D_ROW0;
                        end
                        D_ROW0: begin
                            slot_base <= t[SB-1:0] + 1'b1 + msg_delay[SB-1:0];
                            row_base <= aptr_q[`SNN_AXON_PTR_BASE_LSB +: `SNN_AXON_PTR_BASE_W];
                            row_len <= aptr_q[`SNN_AXON_PTR_LEN_LSB +: `SNN_AXON_PTR_LEN_W];
                            row_j <= 0;
                            sub <= (aptr_q[`SNN_AXON_PTR_LEN_LSB +: `SNN_AXON_PTR_LEN_W] == 0) ? D_MSG : D_ROW;
                        end
                        D_ROW: begin
                            s1_v <= 1'b1;
                            s1_slot <= slot_base;
                            row_j <= row_j + 1'b1;
                            if (row_j + 1'b1 == row_len) sub <= D_MSG;
                        end
                        D_DRAIN: begin
                            if (!s1_v && !s2_v) begin
                                inbox_count <= 0;
                                sub <= S_NONE;
                                phase <= P_IDLE;
                            end
                        end
                        default: sub <= D_MSG;
                    endcase
                end
                P_LEARN: begin                  // the walk itself is the learning block's
                    if (l_finish) begin
                        sub <= D_MSG;
                        phase <= P_DELIVER;
                    end else if (sub == L_TRACE) begin
                        if (l_last_trace) sub <= L_WSTART;
                    end else begin
                        sub <= L_WEIGHT;
                    end
                end
                default: phase <= P_IDLE;
            endcase
        end
    end
endmodule

`default_nettype wire
