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
    localparam [3:0] C_CMD = 4'd0, C_ADDR = 4'd1, C_DATA = 4'd2, C_WRITE = 4'd3, C_START = 4'd4,
                     C_CLEARING = 4'd5, C_TICK = 4'd6, C_COUNT = 4'd7, C_CH = 4'd8, C_BEAT = 4'd9;
    reg [3:0] c_state;
    reg [7:0] got;                  // bytes of the current field so far
    reg [PB*8-1:0] word;
    reg [15:0] events_left;
    assign prog_wdata = word[`SNN_PROG_W-1:0];

    always @* begin
        case (c_state)
            C_CMD, C_ADDR, C_DATA, C_COUNT, C_CH: pop = rx_valid;
            default: pop = 1'b0;
        endcase
    end

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
                    got <= 8'd0;
                    case (rx_data)
                        8'h57: c_state <= C_ADDR;         // 'W'
                        8'h53: c_state <= C_START;        // 'S'
                        8'h54: c_state <= C_TICK;         // 'T'
                        default: ;                        // unknown bytes are ignored
                    endcase
                end
                C_ADDR: if (rx_valid) begin
                    prog_addr <= {rx_data, prog_addr[31:8]};
                    got <= got + 8'd1;
                    if (got == 8'd3) begin
                        got <= 8'd0;
                        c_state <= C_DATA;
                    end
                end
                C_DATA: if (rx_valid) begin
                    word <= {rx_data, word[PB*8-1:8]};
                    got <= got + 8'd1;
                    if (got == PB - 1) c_state <= C_WRITE;
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
                    c_state <= C_COUNT;
                end
                C_COUNT: if (rx_valid) begin
                    events_left <= {rx_data, events_left[15:8]};
                    got <= got + 8'd1;
                    if (got == 8'd1) begin
                        got <= 8'd0;
                        if ({rx_data, events_left[15:8]} == 16'd0) begin
                            // no events: one beat without one closes the step's input
                            s_valid <= 1'b1;
                            s_keep <= 4'h0;
                            s_last <= 1'b1;
                            s_data <= 32'd0;
                            c_state <= C_BEAT;
                        end else begin
                            c_state <= C_CH;
                        end
                    end
                end
                C_CH: if (rx_valid) begin
                    s_data <= {rx_data, s_data[31:8]};
                    got <= got + 8'd1;
                    if (got == 8'd3) begin
                        got <= 8'd0;
                        s_valid <= 1'b1;
                        s_keep <= 4'hF;
                        s_last <= (events_left == 16'd1);
                        events_left <= events_left - 16'd1;
                        c_state <= C_BEAT;
                    end
                end
                C_BEAT: if (s_ready) begin
                    s_valid <= 1'b0;
                    c_state <= s_last ? C_CMD : C_CH;
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
