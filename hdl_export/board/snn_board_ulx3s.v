// snn_board_ulx3s.v — spikefab's chip on a Radiona ULX3S (Lattice ECP5,
// LFE5U-25F/45F/85F, CABGA381): 25 MHz clock, the FT231X USB-UART as the host
// link (host/snn_host.py), the FIRE2 button as reset, five LEDs of status.
// Pins: board/ulx3s.lpf. Build: board/build_ulx3s.sh.
`include "snn_params.vh"
`default_nettype none

module snn_board_ulx3s #(
    parameter CLKS_PER_BIT = 217          // 25 MHz / 115200 baud
) (
    input wire clk_25mhz,
    input wire btn_reset,                 // FIRE2, active high
    input wire ftdi_txd,                  // host -> FPGA
    output wire ftdi_rxd,                 // FPGA -> host
    output wire [4:0] led                 // busy, bad channel, step[2:0]
);
    wire clk = clk_25mhz;

    // reset: held for 16 cycles after configuration, and by the button; the
    // chip synchronises it itself, the host link gets a synchronised copy
    reg [4:0] por = 5'd0;
    reg [1:0] host_rst_sync = 2'b11;
    wire rst_request = btn_reset || !por[4];
    always @(posedge clk) begin
        if (!por[4]) por <= por + 5'd1;
        host_rst_sync <= {host_rst_sync[0], rst_request};
    end
    wire host_rst = host_rst_sync[1];

    wire start, tick, busy, done, bad_channel, prog_we;
    wire [31:0] step, step_cycles, prog_addr;
    wire [`SNN_PROG_W-1:0] prog_wdata;
    wire s_valid, s_ready, s_last, m_valid, m_ready, m_last;
    wire [31:0] s_data, m_data;
    wire [3:0] s_keep, m_keep;

    snn_host #(.CLKS_PER_BIT(CLKS_PER_BIT)) host (
        .clk(clk), .rst(host_rst), .uart_rx(ftdi_txd), .uart_tx(ftdi_rxd),
        .start(start), .tick(tick), .busy(busy), .done(done), .step_cycles(step_cycles),
        .prog_we(prog_we), .prog_addr(prog_addr), .prog_wdata(prog_wdata),
        .s_valid(s_valid), .s_ready(s_ready), .s_data(s_data), .s_keep(s_keep), .s_last(s_last),
        .m_valid(m_valid), .m_ready(m_ready), .m_data(m_data), .m_keep(m_keep), .m_last(m_last));

    snn_top chip (
        .clk(clk), .rst(rst_request), .start(start), .tick(tick), .busy(busy), .done(done),
        .step(step), .step_cycles(step_cycles), .bad_channel(bad_channel),
        .prog_we(prog_we), .prog_addr(prog_addr), .prog_wdata(prog_wdata),
        .s_axis_tvalid(s_valid), .s_axis_tready(s_ready), .s_axis_tdata(s_data),
        .s_axis_tkeep(s_keep), .s_axis_tlast(s_last),
        .m_axis_tvalid(m_valid), .m_axis_tready(m_ready), .m_axis_tdata(m_data),
        .m_axis_tkeep(m_keep), .m_axis_tlast(m_last));

    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0] step_shown = step;        // the LEDs show its low bits
    /* verilator lint_on UNUSEDSIGNAL */
    assign led = {step_shown[2:0], bad_channel, busy};
endmodule

`default_nettype wire
