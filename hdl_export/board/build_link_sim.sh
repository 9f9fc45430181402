#!/bin/sh
# Builds board/obj_dir/link_sim: the ULX3S top in Verilator (5+) behind a
# model of its UART link (link_sim.cpp), for host/snn_host.py --sim.
# CLKS_PER_BIT (default 8) shortens the bits so a simulated run is quick.
set -e
cd "$(dirname "$0")/.."
cpb=${CLKS_PER_BIT:-8}
verilator --cc --exe --build -j 0 -Wall -Wno-DECLFILENAME -Irtl -Mdir board/obj_dir \
  -GCLKS_PER_BIT=$cpb -CFLAGS -DCLKS_PER_BIT=$cpb --top-module snn_board_ulx3s -o link_sim \
  board/snn_board_ulx3s.v rtl/snn_host.v rtl/snn_uart.v rtl/snn_top.v rtl/snn_core.v rtl/snn_soma.v rtl/snn_ram.v "$PWD/board/link_sim.cpp" > board/link_sim_build.log
echo "board/obj_dir/link_sim"
