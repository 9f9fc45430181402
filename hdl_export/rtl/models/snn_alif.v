// snn_alif.v — the adaptive-threshold LIF soma, spikefab-chip's
// model/alif.rs step: the CUBA LIF (snn_cuba_lif.v) tested against
// theta = vth + a', a' the adaptation already decayed by snn_core (stages
// 1-2, the membrane's rule), and a' + step after a spike, saturating at the
// state range. Further spikes of a subtracting reset are snn_core's send
// phase, which raises a by one step per spike the same way.
//
// Ports and timing as every model block (inputs at stage 3, outputs at
// stage 4), plus the adaptation: ad (decayed, stage 3), astep (step <<
// THR_SHIFT, stage 3), a_next (stage 4).
`ifndef SNN_ALIF_V
`define SNN_ALIF_V
`include "snn_params.vh"
`include "models/snn_cuba_lif.v"
`default_nettype none

module snn_alif (
    input wire clk,
    input wire subtract,
    input wire signed [31:0] ain,
    input wire signed [31:0] bias,
    input wire signed [31:0] vth,     // vth << THR_SHIFT
    input wire signed [31:0] ud,
    input wire signed [31:0] vd,
    input wire signed [31:0] vm,
    input wire signed [31:0] ad,      // decay(a), 0 <= a < 2^(bits-1)
    input wire signed [31:0] astep,   // step << THR_SHIFT
    output wire signed [31:0] u_next,
    output wire signed [31:0] v_next,
    output wire signed [31:0] a_next,
    output wire fire
);
    localparam XB = `SNN_STATE_BITS;
    localparam signed [32:0] AMAX = (33'sd1 <<< (XB - 1)) - 33'sd1;

    // vth < 2^31 and a' < 2^(XB-1) <= 2^30: the sum fits 32 bits
    wire signed [31:0] theta = vth + ad;
    snn_cuba_lif #(.SPIKING(1)) lif (
        .clk(clk), .subtract(subtract), .ain(ain), .bias(bias), .vth(theta),
        .ud(ud), .vd(vd), .vm(vm), .u_next(u_next), .v_next(v_next), .fire(fire));

    reg signed [31:0] a4, step4;
    always @(posedge clk) begin
        a4 <= ad;
        step4 <= astep;
    end
    wire signed [32:0] raised = {a4[31], a4} + {step4[31], step4};
    assign a_next = !fire ? a4 : ((raised > AMAX) ? AMAX[31:0] : raised[31:0]);
endmodule

`default_nettype wire
`endif
