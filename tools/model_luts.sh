#!/bin/sh
# ECP5 LUT4 of each neuron-model RTL block on its own (Yosys synth_ecp5),
# the per-model terms of hdl_export's logic_estimate (hdl_export/src/models.rs).
#
#   sh tools/model_luts.sh            # needs yosys and a release build
#
# The blocks are synthesised inside a wrapper that keeps 24 bits of v (the
# loihi preset's state), as snn_core stores them.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
cargo run -q --release --manifest-path "$root/Cargo.toml" -- export-hdl --quiet \
    "$root/examples/programs/demo.ron" -o "$work/x" --formats mem
cp "$root"/hdl_export/rtl/models/*.v "$work/x/rtl/models/"
cd "$work/x"
for inst in "snn_cuba_lif #(.SPIKING(1))" "snn_cuba_lif #(.SPIKING(0))" "snn_if"; do
    module=${inst%% *}
    cat > one.v <<V
\`include "snn_params.vh"
\`include "models/$module.v"
module one(input wire clk, input wire subtract, input wire signed [31:0] ain, bias, vth, ud, vd, vm,
           output wire signed [31:0] u_next, output wire [23:0] v_next, output wire fire);
    wire signed [31:0] v32;
    $inst m (.clk(clk), .subtract(subtract), .ain(ain), .bias(bias), .vth(vth), .ud(ud), .vd(vd), .vm(vm),
             .u_next(u_next), .v_next(v32), .fire(fire));
    assign v_next = v32[23:0];
endmodule
V
    luts=$(yosys -q -p 'read_verilog -Irtl one.v; synth_ecp5 -top one; tee -o /dev/stdout stat' \
        | awk '$1 == "LUT4" { print $2 }')
    echo "$inst: $luts LUT4"
done
# ALIF has the adaptation ports too (and wraps the CUBA LIF: beside one, a
# program pays only the difference, hdl_export/src/models.rs::lut4).
cat > one.v <<'V'
`include "snn_params.vh"
`include "models/snn_alif.v"
module one(input wire clk, input wire subtract, input wire signed [31:0] ain, bias, vth, ud, vd, vm, ad, astep,
           output wire signed [31:0] u_next, output wire [23:0] v_next, output wire [23:0] a_next, output wire fire);
    wire signed [31:0] v32, a32;
    snn_alif m (.clk(clk), .subtract(subtract), .ain(ain), .bias(bias), .vth(vth), .ud(ud), .vd(vd), .vm(vm),
                .ad(ad), .astep(astep), .u_next(u_next), .v_next(v32), .a_next(a32), .fire(fire));
    assign v_next = v32[23:0];
    assign a_next = a32[23:0];
endmodule
V
luts=$(yosys -q -p 'read_verilog -Irtl one.v; synth_ecp5 -top one; tee -o /dev/stdout stat' \
    | awk '$1 == "LUT4" { print $2 }')
echo "snn_alif: $luts LUT4"
