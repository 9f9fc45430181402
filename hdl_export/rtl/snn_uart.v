// snn_uart.v — 8N1 UART receiver and transmitter for the board's host link.
// CLKS_PER_BIT = clock / baud (25 MHz / 115200 = 217 on the ULX3S).
`default_nettype none

module snn_uart_rx #(
    parameter CLKS_PER_BIT = 217
) (
    input wire clk,
    input wire rst,
    input wire rx,            // asynchronous line, idle high
    output reg valid,         // one cycle per received byte
    output reg [7:0] data
);
    localparam CW = $clog2(CLKS_PER_BIT + 1);
    reg [2:0] sync;           // two flops against metastability, one for the edge
    reg [CW-1:0] count;
    reg [3:0] bit_i;          // 0: start bit, 1..8: data, 9: stop bit
    reg busy;
    always @(posedge clk) begin
        sync <= {sync[1:0], rx};
        valid <= 1'b0;
        if (rst) begin
            busy <= 1'b0;
            sync <= 3'b111;
        end else if (!busy) begin
            if (sync[2:1] == 2'b10) begin       // falling edge: a start bit
                busy <= 1'b1;
                bit_i <= 4'd0;
                count <= CLKS_PER_BIT[CW-1:0] / 2;  // sample in the middle of each bit
            end
        end else if (count != 0) begin
            count <= count - 1'b1;
        end else begin
            count <= CLKS_PER_BIT[CW-1:0] - 1'b1;
            bit_i <= bit_i + 4'd1;
            if (bit_i == 4'd0) begin
                if (sync[1]) busy <= 1'b0;      // a glitch, not a start bit
            end else if (bit_i <= 4'd8) begin
                data <= {sync[1], data[7:1]};   // LSB first
            end else begin
                busy <= 1'b0;
                valid <= sync[1];               // a byte only with its stop bit
            end
        end
    end
endmodule

module snn_uart_tx #(
    parameter CLKS_PER_BIT = 217
) (
    input wire clk,
    input wire rst,
    input wire send,          // with data, while ready
    input wire [7:0] data,
    output wire ready,
    output wire tx
);
    localparam CW = $clog2(CLKS_PER_BIT + 1);
    reg [9:0] shift;          // {stop, data, start}, LSB out first
    reg [3:0] left;
    reg [CW-1:0] count;
    assign ready = (left == 4'd0);
    assign tx = ready ? 1'b1 : shift[0];
    always @(posedge clk) begin
        if (rst) begin
            left <= 4'd0;
        end else if (ready) begin
            if (send) begin
                shift <= {1'b1, data, 1'b0};
                left <= 4'd10;
                count <= CLKS_PER_BIT[CW-1:0] - 1'b1;
            end
        end else if (count != 0) begin
            count <= count - 1'b1;
        end else begin
            count <= CLKS_PER_BIT[CW-1:0] - 1'b1;
            shift <= {1'b1, shift[9:1]};
            left <= left - 4'd1;
        end
    end
endmodule

`default_nettype wire
