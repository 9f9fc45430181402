// snn_host.v — the host link of a board: a UART byte protocol onto snn_top's
// programming port, start/tick/done and spike streams (tools: host/snn_host.py).
//
// Host -> board (multi-byte values little-endian):
//   'W' addr[4] data[PB]   write one table word (PB = ceil(SNN_PROG_W / 8));  reply 'k'
//   'S'                    start an inference (clear the state);             reply 'k' when cleared
//   'T' count[2] ch[4]*    run one step with these input events; the reply is
//                          's' ch[4] per output spike, then 'd' cycles[4] when the step is done
// Output spikes stream back while the step runs: the UART is the output
// stream's backpressure, so a slow host slows the chip but loses nothing.
`include "snn_params.vh"
`default_nettype none

module snn_host #(
    parameter CLKS_PER_BIT = 217
) (
    input wire clk,
    input wire rst,
    input wire uart_rx,
    output wire uart_tx,
    output reg start,
    output reg tick,
    input wire busy,
    input wire done,
    input wire [31:0] step_cycles,
    output reg prog_we,
    output reg [31:0] prog_addr,
    output wire [`SNN_PROG_W-1:0] prog_wdata,
    output reg s_valid,
    input wire s_ready,
    output reg [31:0] s_data,
    output reg [3:0] s_keep,
    output reg s_last,
    input wire m_valid,
    output wire m_ready,
    input wire [31:0] m_data,
    input wire [3:0] m_keep,
    /* verilator lint_off UNUSEDSIGNAL */  // the closing beat is the one with tkeep = 0
    input wire m_last
    /* verilator lint_on UNUSEDSIGNAL */
);
    localparam PB = (`SNN_PROG_W + 7) / 8;

    wire rx_got;
    wire [7:0] rx_byte;
    snn_uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) uart_in (.clk(clk), .rst(rst), .rx(uart_rx), .valid(rx_got), .data(rx_byte));

    // 16 received bytes of slack while the chip takes an input beat or a
    // command waits for it to go idle
    reg [7:0] fifo [0:15];
    reg [4:0] f_wr, f_rd;
    wire rx_valid = (f_wr != f_rd);
    wire [7:0] rx_data = fifo[f_rd[3:0]];
    reg pop;
    always @(posedge clk) begin
        if (rst) begin
            f_wr <= 5'd0;
            f_rd <= 5'd0;
        end else begin
            if (rx_got) begin
                fifo[f_wr[3:0]] <= rx_byte;
                f_wr <= f_wr + 5'd1;
            end
            if (pop) f_rd <= f_rd + 5'd1;
        end
    end

    // ---- replies ----
    reg [39:0] out;                 // bytes to send, LSB first
    reg [2:0] out_left;
    reg d_req;                      // the step is done: send 'd' and its cycles
    reg k_req;                      // a 'k' to send
    wire tx_ready;
    wire tx_send = (out_left != 3'd0) && tx_ready;
    snn_uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) uart_out (.clk(clk), .rst(rst), .send(tx_send), .data(out[7:0]),
                                                    .ready(tx_ready), .tx(uart_tx));
    wire loading = (out_left == 3'd0) && !tx_send;
    assign m_ready = loading;       // output beats first, then 'd', then 'k'
    wire k_sent = loading && !m_valid && !d_req && k_req;

    // ---- commands ----
    // A command byte, then its fields: every multi-byte field goes through
    // one collector (C_FIELD), which shifts bytes in LSB first and, when
    // the field is whole, acts on it by what it is (f_kind).
    localparam [2:0] C_CMD = 3'd0, C_FIELD = 3'd1, C_WRITE = 3'd2, C_START = 3'd3,
                     C_CLEARING = 3'd4, C_TICK = 3'd5, C_BEAT = 3'd6;
    localparam [1:0] F_ADDR = 2'd0, F_DATA = 2'd1, F_COUNT = 2'd2, F_CH = 2'd3;
    localparam FW = (PB * 8 > 32) ? PB * 8 : 32;   // the widest field
    reg [2:0] c_state;
    reg [1:0] f_kind;
    reg [7:0] f_need;               // bytes of the field still to come
    /* verilator lint_off UNUSEDSIGNAL */  // its oldest byte is shifted out unread
    reg [FW-1:0] field;
    /* verilator lint_on UNUSEDSIGNAL */
    reg [`SNN_PROG_W-1:0] word;
    reg [15:0] events_left;
    assign prog_wdata = word;
    // the field with this byte, and right-aligned for a field of n bytes
    wire [FW-1:0] field_in = {rx_data, field[FW-1:8]};
    /* verilator lint_off UNUSEDSIGNAL */  // each kind uses its own width of it
    wire [FW-1:0] as4 = field_in >> (FW - 32);
    wire [FW-1:0] as2 = field_in >> (FW - 16);
    /* verilator lint_on UNUSEDSIGNAL */

    always @* begin
        case (c_state)
            C_CMD, C_FIELD: pop = rx_valid;
            default: pop = 1'b0;
        endcase
    end

    // The input beat of one event channel, or the closing beat without one.
    task beat(input [31:0] channel, input is_event, input is_last);
        begin
            s_valid <= 1'b1;
            s_data <= channel;
            s_keep <= is_event ? 4'hF : 4'h0;
            s_last <= is_last;
            c_state <= C_BEAT;
        end
    endtask

    task collect(input [1:0] kind, input [7:0] bytes);
        begin
            f_kind <= kind;
            f_need <= bytes;
            c_state <= C_FIELD;
        end
    endtask

    always @(posedge clk) begin
        prog_we <= 1'b0;
        start <= 1'b0;
        tick <= 1'b0;
        if (rst) begin
            c_state <= C_CMD;
            s_valid <= 1'b0;
            k_req <= 1'b0;
        end else begin
            if (k_sent) k_req <= 1'b0;
            case (c_state)
                C_CMD: if (rx_valid) begin
                    case (rx_data)
                        8'h57: collect(F_ADDR, 8'd4);     // 'W'
                        8'h53: c_state <= C_START;        // 'S'
                        8'h54: c_state <= C_TICK;         // 'T'
                        default: ;                        // unknown bytes are ignored
                    endcase
                end
                C_FIELD: if (rx_valid) begin
                    field <= field_in;
                    f_need <= f_need - 8'd1;
                    if (f_need == 8'd1) begin
                        case (f_kind)
                            F_ADDR: begin
                                prog_addr <= as4[31:0];
                                collect(F_DATA, PB[7:0]);
                            end
                            F_DATA: begin
                                word <= field_in[FW - PB*8 +: `SNN_PROG_W];
                                c_state <= C_WRITE;
                            end
                            F_COUNT: begin
                                events_left <= as2[15:0];
                                // no events: one beat without one closes the step's input
                                if (as2[15:0] == 16'd0) beat(32'd0, 1'b0, 1'b1);
                                else collect(F_CH, 8'd4);
                            end
                            default: begin                // F_CH
                                beat(as4[31:0], 1'b1, events_left == 16'd1);
                                events_left <= events_left - 16'd1;
                            end
                        endcase
                    end
                end
                C_WRITE: if (!busy) begin
                    prog_we <= 1'b1;
                    k_req <= 1'b1;
                    c_state <= C_CMD;
                end
                C_START: if (!busy) begin
                    start <= 1'b1;
                    c_state <= C_CLEARING;
                end
                C_CLEARING: if (!start && !busy) begin
                    k_req <= 1'b1;
                    c_state <= C_CMD;
                end
                C_TICK: if (!busy) begin
                    tick <= 1'b1;
                    collect(F_COUNT, 8'd2);
                end
                C_BEAT: if (s_ready) begin
                    s_valid <= 1'b0;
                    if (s_last) c_state <= C_CMD;
                    else collect(F_CH, 8'd4);
                end
                default: c_state <= C_CMD;
            endcase
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            out_left <= 3'd0;
            d_req <= 1'b0;
        end else begin
            if (done) d_req <= 1'b1;
            if (tx_send) begin
                out <= {8'd0, out[39:8]};
                out_left <= out_left - 3'd1;
            end else if (loading) begin
                if (m_valid) begin
                    if (m_keep != 4'd0) begin
                        out <= {m_data, 8'h73};                 // 's'
                        out_left <= 3'd5;
                    end
                end else if (d_req) begin
                    out <= {step_cycles, 8'h64};                // 'd'
                    out_left <= 3'd5;
                    d_req <= done;
                end else if (k_req) begin
                    out <= {32'd0, 8'h6B};                      // 'k'
                    out_left <= 3'd1;
                end
            end
        end
    end
endmodule

`default_nettype wire
