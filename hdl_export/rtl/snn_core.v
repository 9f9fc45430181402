// snn_core.v — spikefab reference neuromorphic core (Verilog-2005).
//
// One core of a compiled CoreProgram: neuron parameter ROM, CSR synapse ROM
// with per-input-axon {base,len} pointers, routing ROM with per-neuron
// {base,len} pointers, neuron state RAM (u, v; zero at reset) and a ring of
// dendritic accumulators (SLOTS delay slots × N_NEURONS).
//
// Sequential and simple on purpose: it is the bit-exact reference the
// emulator is checked against, not a fast implementation.
//   deliver: one message {axon, delay} at a time; every synapse word of the
//            axon's row adds its weight into slot (t + delay + syn_delay).
//   update:  every neuron in turn integrates slot t, fires, and streams one
//            message per routing entry when it spikes.
// The arithmetic is spikefab-chip's `neuron.rs`, field for field; the number
// formats come from snn_params.vh (written by spikefab export-hdl).
`include "snn_params.vh"

module snn_core #(
    parameter N_NEURONS = 1,
    parameter N_AXONS = 1,
    parameter N_SYN = 1,
    parameter N_ROUTES = 1,
    parameter SLOTS = 1,
    parameter NEURON_FILE = "",
    parameter SYN_FILE = "",
    parameter AXON_FILE = "",
    parameter RPTR_FILE = "",
    parameter ROUTE_FILE = ""
) (
    input clk,
    input rst,
    input [31:0] t,
    // deliver one message
    input dlv_valid,
    input [`SNN_ROUTES_AXON_W-1:0] dlv_axon,
    input [`SNN_ROUTES_DELAY_W-1:0] dlv_delay,
    output reg dlv_done,
    // update every neuron
    input upd_start,
    output reg upd_done,
    output reg spk_valid,
    output reg [31:0] spk_neuron,
    output reg msg_valid,
    output reg [`SNN_ROUTES_CORE_W-1:0] msg_core,
    output reg [`SNN_ROUTES_AXON_W-1:0] msg_axon,
    output reg [`SNN_ROUTES_DELAY_W-1:0] msg_delay
);
    // ---- memories ----
    reg [`SNN_NEURONS_W-1:0] nrn [0:N_NEURONS-1];
    reg [`SNN_SYNAPSES_W-1:0] syn [0:N_SYN-1];
    reg [`SNN_AXON_PTR_W-1:0] aptr [0:N_AXONS-1];
    reg [`SNN_ROUTE_PTR_W-1:0] rptr [0:N_NEURONS-1];
    reg [`SNN_ROUTES_W-1:0] rte [0:N_ROUTES-1];
    reg signed [31:0] u [0:N_NEURONS-1];
    reg signed [31:0] v [0:N_NEURONS-1];
    reg signed [31:0] acc [0:SLOTS*N_NEURONS-1];

    // State and accumulators start at zero (an initial block: FPGA RAMs load
    // it as their init value, and simulators accept it; loops of delayed
    // assignments in the reset branch are something Verilator rejects).
    integer i;
    initial begin
        for (i = 0; i < N_NEURONS; i = i + 1) begin
            u[i] = 32'sd0;
            v[i] = 32'sd0;
        end
        for (i = 0; i < SLOTS * N_NEURONS; i = i + 1) acc[i] = 32'sd0;
        $readmemh(NEURON_FILE, nrn);
        $readmemh(SYN_FILE, syn);
        $readmemh(AXON_FILE, aptr);
        $readmemh(RPTR_FILE, rptr);
        $readmemh(ROUTE_FILE, rte);
    end

    // ---- arithmetic (spikefab-chip neuron.rs) ----
    localparam signed [63:0] HR = 64'sd1 <<< (`SNN_STATE_BITS - 1);   // 2^(bits-1)
    localparam signed [63:0] VMAX = HR - 64'sd1;

    // Decay by code d (offset already added): Mul12 rounds toward zero; Shift floors.
    function signed [31:0] decay;
        input signed [31:0] x;
        input [13:0] d;
        reg signed [15:0] f;
        reg signed [63:0] p;
        reg signed [63:0] q;
        begin
            if (`SNN_DECAY_MUL12) begin
                f = 16'sd4096 - $signed({2'b00, d});
                p = x * f;
                q = (p < 0) ? -p : p;
                q = q >>> 12;
                decay = (p < 0) ? -q[31:0] : q[31:0];
            end else if (d >= 14'd32) begin
                decay = x;
            end else begin
                decay = x - (x >>> d[4:0]);
            end
        end
    endfunction

    function signed [63:0] clamp;
        input signed [63:0] x;
        begin
            clamp = (x > VMAX) ? VMAX : ((x < -VMAX) ? -VMAX : x);
        end
    endfunction

    // ---- decoded fields of the neuron under update ----
    reg [`SNN_NEURONS_W-1:0] w;
    reg [1:0] model;
    reg signed [31:0] wexp, bexp, bmant, vth_eff, bias, a_sum, a_in, du_dec, dv_dec, u_new, c32, s32;
    reg signed [63:0] c64, s64, v_new;
    reg [13:0] du_code, dv_code;
    reg fire;
    reg [`SNN_NEURONS_W-1:0] tmp;

    // ---- control ----
    localparam S_IDLE = 3'd0, S_ROW = 3'd1, S_NEURON = 3'd2, S_ROUTES = 3'd3;
    reg [2:0] state;
    reg [31:0] base, len, j, n, slot_base;
    reg [`SNN_SYNAPSES_W-1:0] sw;
    reg [`SNN_ROUTES_W-1:0] rw;
    reg [31:0] idx;
    reg signed [31:0] wt;

    always @(posedge clk) begin
        dlv_done <= 1'b0;
        upd_done <= 1'b0;
        spk_valid <= 1'b0;
        msg_valid <= 1'b0;
        if (rst) begin
            state <= S_IDLE;
        end else begin
            case (state)
                S_IDLE: begin
                    if (dlv_valid) begin
                        base <= aptr[dlv_axon][`SNN_AXON_PTR_BASE_LSB +: `SNN_AXON_PTR_BASE_W];
                        len <= aptr[dlv_axon][`SNN_AXON_PTR_LEN_LSB +: `SNN_AXON_PTR_LEN_W];
                        slot_base <= t + dlv_delay;
                        j <= 0;
                        state <= S_ROW;
                    end else if (upd_start) begin
                        n <= 0;
                        state <= S_NEURON;
                    end
                end
                S_ROW: begin
                    if (j == len) begin
                        dlv_done <= 1'b1;
                        state <= S_IDLE;
                    end else begin
                        sw = syn[base + j];
                        wt = $signed(sw[`SNN_SYNAPSES_WEIGHT_LSB +: `SNN_SYNAPSES_WEIGHT_W]);
                        idx = ((slot_base + sw[`SNN_SYNAPSES_DELAY_LSB +: `SNN_SYNAPSES_DELAY_W]) & (SLOTS - 1)) * N_NEURONS
                            + sw[`SNN_SYNAPSES_POST_LSB +: `SNN_SYNAPSES_POST_W];
                        acc[idx] <= acc[idx] + wt;
                        j <= j + 1;
                    end
                end
                S_NEURON: begin
                    if (n == N_NEURONS) begin
                        upd_done <= 1'b1;
                        state <= S_IDLE;
                    end else begin
                        w = nrn[n];
                        model = w[`SNN_NEURONS_MODEL_LSB +: `SNN_NEURONS_MODEL_W];
                        wexp = $signed(w[`SNN_NEURONS_WEIGHT_EXP_LSB +: `SNN_NEURONS_WEIGHT_EXP_W]);
                        bexp = $signed(w[`SNN_NEURONS_BIAS_EXP_LSB +: `SNN_NEURONS_BIAS_EXP_W]);
                        bmant = $signed(w[`SNN_NEURONS_BIAS_MANT_LSB +: `SNN_NEURONS_BIAS_MANT_W]);
                        vth_eff = {1'b0, w[`SNN_NEURONS_VTH_LSB +: `SNN_NEURONS_VTH_W]} << `SNN_THR_SHIFT;
                        du_code = w[`SNN_NEURONS_DU_LSB +: `SNN_NEURONS_DU_W] + `SNN_CUR_OFFSET;
                        dv_code = w[`SNN_NEURONS_DV_LSB +: `SNN_NEURONS_DV_W] + `SNN_VOL_OFFSET;
                        idx = (t & (SLOTS - 1)) * N_NEURONS + n;
                        a_sum = acc[idx];
                        acc[idx] <= 32'sd0;
                        // a_in = sum · 2^weight_exp; bias = mant · 2^exp (32-bit registers)
                        a_in = (wexp >= 0) ? (a_sum <<< wexp) : (a_sum >>> (-wexp));
                        bias = (bexp >= 0) ? (bmant <<< bexp) : (bmant >>> (-bexp));
                        fire = 1'b0;
                        if (model == 2'd1) begin
                            // IF: saturating v + (a_in << ACT) + bias
                            u_new = 32'sd0;
                            s64 = $signed(v[n]) + ($signed({{32{a_in[31]}}, a_in}) <<< `SNN_ACT_SHIFT) + bias;
                            v_new = clamp(s64);
                            fire = (v_new > vth_eff);
                        end else begin
                            du_dec = decay(u[n], du_code);
                            if (`SNN_WRAP) begin
                                // Lava: 32-bit add, then one correction by ±2^bits
                                c32 = du_dec + (a_in <<< `SNN_ACT_SHIFT);
                                c64 = c32;
                                if (c64 > HR) c32 = c32 - (HR[31:0] << 1);
                                else if (c64 <= -HR) c32 = c32 + (HR[31:0] << 1);
                                u_new = c32;
                                dv_dec = decay(v[n], dv_code);
                                s32 = dv_dec + u_new + bias;
                                s64 = s32;
                            end else begin
                                c64 = du_dec + ($signed({{32{a_in[31]}}, a_in}) <<< `SNN_ACT_SHIFT);
                                u_new = clamp(c64);
                                dv_dec = decay(v[n], dv_code);
                                s64 = dv_dec + u_new + bias;
                            end
                            v_new = clamp(s64);
                            fire = (model == 2'd0) && (v_new > vth_eff);
                        end
                        u[n] <= u_new;
                        v[n] <= fire ? 32'sd0 : v_new[31:0];
                        if (fire) begin
                            spk_valid <= 1'b1;
                            spk_neuron <= n;
                            base <= rptr[n][`SNN_ROUTE_PTR_BASE_LSB +: `SNN_ROUTE_PTR_BASE_W];
                            len <= rptr[n][`SNN_ROUTE_PTR_LEN_LSB +: `SNN_ROUTE_PTR_LEN_W];
                            j <= 0;
                            state <= S_ROUTES;
                        end
                        n <= n + 1;
                    end
                end
                S_ROUTES: begin
                    if (j == len) begin
                        state <= S_NEURON;
                    end else begin
                        rw = rte[base + j];
                        msg_valid <= 1'b1;
                        msg_core <= rw[`SNN_ROUTES_CORE_LSB +: `SNN_ROUTES_CORE_W];
                        msg_axon <= rw[`SNN_ROUTES_AXON_LSB +: `SNN_ROUTES_AXON_W];
                        msg_delay <= rw[`SNN_ROUTES_DELAY_LSB +: `SNN_ROUTES_DELAY_W];
                        j <= j + 1;
                    end
                end
                default: state <= S_IDLE;
            endcase
        end
    end
endmodule
