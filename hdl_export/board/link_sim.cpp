// link_sim.cpp — the ULX3S board top in Verilator with a model of its USB-UART
// link: bytes on stdin are serialised onto ftdi_txd (8N1, CLKS_PER_BIT clocks
// per bit), bytes the board sends on ftdi_rxd are deserialised to stdout. The
// host driver talks to this process exactly as to the board's serial port:
//   python3 host/snn_host.py . --sim board/obj_dir/link_sim
// Build: board/build_link_sim.sh. Exits when stdin closes, the chip is idle
// and the line quiet.
#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <deque>
#include <memory>

#include "Vsnn_board_ulx3s.h"
#include "verilated.h"

#ifndef CLKS_PER_BIT
#define CLKS_PER_BIT 8
#endif

int main(int argc, char** argv) {
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto top = std::make_unique<Vsnn_board_ulx3s>(ctx.get());
    std::deque<uint8_t> pending;  // host bytes not yet on the line
    bool host_closed = false;
    int out_bit = -1, out_left = 0;  // host -> board: bit index in frame, clocks left in bit
    uint16_t frame = 0;
    int in_bit = -1, in_left = 0;  // board -> host
    uint8_t in_byte = 0;
    uint64_t quiet = 0;
    top->btn_reset = 0;
    top->ftdi_txd = 1;
    top->clk_25mhz = 0;
    top->eval();
    for (uint64_t cycle = 0;; ++cycle) {
        // The host talks once the board is out of its power-on reset, as with
        // a configured FPGA.
        if (out_bit < 0 && pending.empty() && !host_closed && cycle >= 1000 && cycle % 16 == 0) {
            pollfd p{0, POLLIN, 0};
            if (poll(&p, 1, 0) > 0) {
                uint8_t buf[4096];
                ssize_t n = read(0, buf, sizeof buf);
                if (n <= 0) host_closed = true;
                else pending.insert(pending.end(), buf, buf + n);
            }
        }
        if (out_bit < 0 && !pending.empty()) {
            frame = static_cast<uint16_t>((1u << 9) | (pending.front() << 1));  // stop, data, start
            pending.pop_front();
            out_bit = 0;
            out_left = CLKS_PER_BIT;
        }
        top->ftdi_txd = out_bit < 0 ? 1 : (frame >> out_bit) & 1;
        top->clk_25mhz = 1;
        top->eval();
        top->clk_25mhz = 0;
        top->eval();
        if (out_bit >= 0 && --out_left == 0) {
            out_left = CLKS_PER_BIT;
            if (++out_bit == 10) out_bit = -1;
        }
        const int line = top->ftdi_rxd;
        if (in_bit < 0) {
            if (!line) {  // a start bit: sample the middle of every bit
                in_bit = 0;
                in_left = CLKS_PER_BIT / 2;
            }
        } else if (--in_left == 0) {
            in_left = CLKS_PER_BIT;
            if (in_bit >= 1 && in_bit <= 8) in_byte = static_cast<uint8_t>((in_byte >> 1) | (line << 7));
            if (in_bit == 0 && line) in_bit = -1;  // a glitch
            else if (in_bit == 9) {
                if (line && write(1, &in_byte, 1) != 1) return 1;
                in_bit = -1;
            } else ++in_bit;
        }
        const bool busy = top->led & 1;  // led[0]: the chip is busy
        const bool idle = out_bit < 0 && pending.empty() && in_bit < 0 && !busy;
        quiet = idle ? quiet + 1 : 0;
        if (host_closed && quiet > 64u * CLKS_PER_BIT) break;
    }
    top->final();
    return 0;
}
