// snn_soma.vh — what every neuron-model block shares: the state width, the
// wide intermediate that holds any v + (a_in << ACT) + bias, and the clamp to
// ±(2^(STATE_BITS-1) − 1). Included inside each model module.
    localparam XB = `SNN_STATE_BITS;
    localparam WIDE = 34 + `SNN_ACT_SHIFT;
    localparam signed [WIDE-1:0] VMAX = $signed({{(WIDE - XB + 1){1'b0}}, {(XB - 1){1'b1}}});

    function signed [WIDE-1:0] clamp;
        input signed [WIDE-1:0] x;
        begin
            clamp = (x > VMAX) ? VMAX : ((x < -VMAX) ? -VMAX : x);
        end
    endfunction
