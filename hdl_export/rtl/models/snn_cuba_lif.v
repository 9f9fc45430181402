// snn_cuba_lif.v — the CUBA LIF soma, spikefab-chip's model/cuba_lif.rs step;
// with SPIKING = 0, the LI readout (model/li.rs). A spike resets v to zero or,
// when the group's `subtract` is set, subtracts the threshold once.
//
// Every model block has these ports and this timing: the neuron's inputs
// arrive at stage 3 of snn_core's update pipeline (a_in, effective bias and
// threshold, the decayed current and membrane, the stored membrane); the new
// current, membrane (already reset) and spike leave at stage 4, one clock
// later. The decays themselves are snn_core's (stages 1-2), shared by models.
`ifndef SNN_CUBA_LIF_V
`define SNN_CUBA_LIF_V
`include "snn_params.vh"
`default_nettype none

module snn_cuba_lif #(
    parameter SPIKING = 1
) (
    input wire clk,
    input wire subtract,              // reset: 0 to zero, 1 subtract the threshold
    input wire signed [31:0] ain,     // (sum of weights) scaled by the weight exponent
    input wire signed [31:0] bias,    // bias_mant << bias_exp
    input wire signed [31:0] vth,     // vth << THR_SHIFT
    input wire signed [31:0] ud,      // decay(u)
    input wire signed [31:0] vd,      // decay(v)
    /* verilator lint_off UNUSEDSIGNAL */
    input wire signed [31:0] vm,      // v as stored: CUBA integrates the decayed one
    /* verilator lint_on UNUSEDSIGNAL */
    output wire signed [31:0] u_next,
    output wire signed [31:0] v_next,  // 0 after a spike
    output wire fire
);
`include "models/snn_soma.vh"
    localparam signed [32:0] HR = 33'sd1 <<< (XB - 1);   // 2^(bits-1)
    localparam [31:0] TWO_HR = 32'd1 << XB;               // the wrap correction

    // stage 3: the new current
    reg signed [WIDE-1:0] ain_sh, c_wide;
    reg signed [31:0] c32, u_new;
    always @* begin
        ain_sh = {{(WIDE - 32){ain[31]}}, ain} <<< `SNN_ACT_SHIFT;
        c32 = ud + (ain <<< `SNN_ACT_SHIFT);
        c_wide = {{(WIDE - 32){ud[31]}}, ud} + ain_sh;
        if (`SNN_WRAP) begin
            // Lava: 32-bit add, then one correction by 2^bits
            if ($signed({c32[31], c32}) > HR) u_new = c32 - TWO_HR;
            else if ($signed({c32[31], c32}) <= -HR) u_new = c32 + TWO_HR;
            else u_new = c32;
        end else begin
            c_wide = clamp(c_wide);
            u_new = c_wide[31:0];
        end
    end

    reg signed [31:0] u4, vth4;
    reg sub4;
    reg signed [32:0] dvb4;       // decay(v) + bias, added a stage early (timing)
    always @(posedge clk) begin
        u4 <= u_new;
        vth4 <= vth;
        sub4 <= subtract;
        dvb4 <= {vd[31], vd} + {bias[31], bias};
    end

    // stage 4: the new membrane and the spike
    reg signed [31:0] s32;
    reg signed [WIDE-1:0] s_wide, vth_w;
    /* verilator lint_off UNUSEDSIGNAL */  // clamped to +-VMAX: its low 32 bits are all of it
    reg signed [WIDE-1:0] v_new;
    /* verilator lint_on UNUSEDSIGNAL */
    always @* begin
        s32 = dvb4[31:0] + u4;   // Wrap: Lava's 32-bit registers (the sum mod 2^32)
        if (`SNN_WRAP) s_wide = {{(WIDE - 32){s32[31]}}, s32};
        else s_wide = {{(WIDE - 33){dvb4[32]}}, dvb4} + {{(WIDE - 32){u4[31]}}, u4};
        v_new = clamp(s_wide);
        vth_w = {{(WIDE - 32){1'b0}}, vth4};   // vth >= 0
    end
    // clamp(s) > vth, compared beside the clamp rather than after it
    // (vth >= 0, so a sum clamped from below never fires)
    assign fire = (SPIKING != 0) && ((s_wide > VMAX) ? (VMAX > vth_w) : (s_wide > vth_w));
    assign u_next = u4;
    // the reset (model/reset.rs): to zero, or one threshold subtracted
    assign v_next = !fire ? v_new[31:0] : (sub4 ? v_new[31:0] - vth4 : 32'sd0);
endmodule

`default_nettype wire
`endif
