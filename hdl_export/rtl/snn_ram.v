// snn_ram.v — one table of the spikefab core: a simple dual-port RAM with a
// registered read (one write port, one read port, read data one cycle after
// the address). This is the pattern every FPGA synthesiser maps to block RAM
// (Xilinx RAMB18/36, Lattice DP16KD/EBR, Intel M9K/M10K), and the attribute
// below asks for it even for tables small enough for LUT RAM, so a table can
// be reloaded through the programming port whatever its size.
// A read of the address written in the same cycle is unspecified for
// synthesis (`no_rw_check`; simulators return the old word), so the
// synthesiser adds no bypass logic around the block RAM. The core never
// depends on it — it never reads what it writes in that cycle, except in the
// accumulator pipeline, which forwards the written value itself.
`default_nettype none

module snn_ram #(
    parameter WIDTH = 8,
    parameter DEPTH = 1,
    parameter AW = 1,          // address bits, at least clog2(DEPTH)
    parameter INIT_FILE = ""   // $readmemh image (the export's mem/*.mem), or none
) (
    input wire clk,
    input wire we,
    input wire [AW-1:0] waddr,
    input wire [WIDTH-1:0] wdata,
    input wire [AW-1:0] raddr,
    output reg [WIDTH-1:0] rdata
);
    (* ram_style = "block", no_rw_check *) reg [WIDTH-1:0] mem [0:DEPTH-1];

    integer i;
    initial begin
        if (INIT_FILE != "") $readmemh(INIT_FILE, mem);
        else for (i = 0; i < DEPTH; i = i + 1) mem[i] = {WIDTH{1'b0}};
    end

    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
    end
    always @(posedge clk) begin
        rdata <= mem[raddr];
    end
endmodule

`default_nettype wire
