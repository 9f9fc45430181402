// snn_if.v — the non-leaky integrate-and-fire soma, spikefab-chip's
// model/if_.rs step: v' = clamp(v + (a_in << ACT) + bias), spike when
// v' > vth, then v' = 0 (or v' - vth under a subtractive reset); no current register (u stays 0). Ports and timing
// as every model block (see snn_cuba_lif.v).
`ifndef SNN_IF_V
`define SNN_IF_V
`include "snn_params.vh"
`default_nettype none

module snn_if (
    input wire clk,
    input wire subtract,              // reset: 0 to zero, 1 subtract the threshold
    input wire signed [31:0] ain,
    input wire signed [31:0] bias,
    input wire signed [31:0] vth,
    /* verilator lint_off UNUSEDSIGNAL */  // IF has no decays
    input wire signed [31:0] ud,
    input wire signed [31:0] vd,
    /* verilator lint_on UNUSEDSIGNAL */
    input wire signed [31:0] vm,
    output wire signed [31:0] u_next,
    output wire signed [31:0] v_next,
    output wire fire
);
`include "models/snn_soma.vh"
    /* verilator lint_off UNUSEDSIGNAL */  // clamped to +-VMAX: its low 32 bits are all of it
    reg signed [WIDE-1:0] sum4;
    /* verilator lint_on UNUSEDSIGNAL */
    reg signed [31:0] vth4;
    reg sub4;
    always @(posedge clk) begin
        sub4 <= subtract;
        sum4 <= clamp({{(WIDE - 32){vm[31]}}, vm} + ({{(WIDE - 32){ain[31]}}, ain} <<< `SNN_ACT_SHIFT)
                      + {{(WIDE - 32){bias[31]}}, bias});
        vth4 <= vth;
    end
    assign fire = sum4 > $signed({{(WIDE - 32){1'b0}}, vth4});   // vth >= 0
    assign u_next = 32'sd0;
    assign v_next = !fire ? sum4[31:0] : (sub4 ? sum4[31:0] - vth4 : 32'sd0);
endmodule

`default_nettype wire
`endif
