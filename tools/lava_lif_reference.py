#!/usr/bin/env python3
"""Reference traces of Lava's bit-accurate CUBA LIF (Loihi-1 semantics).

Regenerate the committed fixture with:

    PYENV_VERSION=3.10.13 python -m venv .venv-lava
    .venv-lava/bin/pip install lava-nc==0.10.0 numpy==1.26.4
    .venv-lava/bin/python tools/lava_lif_reference.py > chip/tests/data/lava_lif_traces.json

Pinned: lava-nc 0.10.0, numpy 1.26.4, Python 3.10 (lava-nc needs Python < 3.11).

Each case is a network RingBuffer -> Dense -> LIF run with
Loihi2SimCfg(select_tag="fixed_pt"); after every timestep we read Lava's own
state: the Dense output buffer (the activation the LIF integrates one step
later), the LIF's u, v and spikes, and the weights Lava actually used after its
8-bit clipping (mixed-sign matrices lose their LSB). The Rust test
chip/tests/lava_bit_exact.rs replays every case through spikefab's chip
arithmetic and requires equality of every value at every step.
"""
import json
import sys

import numpy as np
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.dense.process import Dense
from lava.proc.io.sink import RingBuffer as SinkRingBuffer
from lava.proc.io.source import RingBuffer
from lava.proc.lif.process import LIF

STEPS = 40


def case(name, seed, n_in, n_out, *, du, dv, vth, w_lo, w_hi, weight_exp=0,
         bias_mant=(0, 0), bias_exp=(0, 0), rate=0.3):
    rng = np.random.default_rng(seed)
    weights = rng.integers(w_lo, w_hi + 1, size=(n_out, n_in))
    spikes = (rng.random((n_in, STEPS)) < rate).astype(np.int32)
    bm = rng.integers(bias_mant[0], bias_mant[1] + 1, size=n_out)
    be = rng.integers(bias_exp[0], bias_exp[1] + 1, size=n_out)

    src = RingBuffer(data=spikes)
    dense = Dense(weights=weights, weight_exp=weight_exp, num_message_bits=0)
    lif = LIF(shape=(n_out,), du=du, dv=dv, vth=vth, bias_mant=bm, bias_exp=be)
    src.s_out.connect(dense.s_in)
    dense.a_out.connect(lif.a_in)
    sink = SinkRingBuffer(shape=(n_out,), buffer=STEPS)
    lif.s_out.connect(sink.a_in)

    trace = {"a_in": [], "u": [], "v": []}
    cfg = Loihi2SimCfg(select_tag="fixed_pt")
    prev_buff = np.zeros(n_out, dtype=np.int64)
    try:
        for _ in range(STEPS):
            lif.run(condition=RunSteps(num_steps=1), run_cfg=cfg)
            # The activation integrated in this step is the Dense buffer left
            # by the previous step (Dense sends before it accumulates).
            trace["a_in"].append([int(x) for x in prev_buff])
            prev_buff = dense.a_buff.get().astype(np.int64)
            u = lif.u.get().astype(np.int64)
            v = lif.v.get().astype(np.int64)
            trace["u"].append([int(x) for x in u])
            trace["v"].append([int(x) for x in v])
        effective_w = dense.weights.get().astype(np.int64)
        # The sink stores the spikes of Lava time step k in column k - 1.
        trace["spikes"] = sink.data.get().astype(np.int64).T.tolist()
    finally:
        lif.stop()

    return {
        "name": name,
        "seed": seed,
        "n_in": n_in,
        "n_out": n_out,
        "steps": STEPS,
        "du": du,
        "dv": dv,
        "vth": vth,
        "weight_exp": weight_exp,
        "requested_weights": weights.tolist(),
        "effective_weights": effective_w.tolist(),
        "bias_mant": bm.tolist(),
        "bias_exp": be.tolist(),
        # input spikes[t][i]: RingBuffer emits column t at Lava time step t+1
        "input_spikes": spikes.T.tolist(),
        **trace,
    }


def main():
    cases = [
        case("baseline", 1, 12, 8, du=410, dv=820, vth=40, w_lo=-60, w_hi=120),
        case("du_dv_zero", 2, 10, 6, du=0, dv=0, vth=200, w_lo=-40, w_hi=90),
        case("du_dv_max", 3, 10, 6, du=4095, dv=4095, vth=3, w_lo=0, w_hi=255),
        case("du_zero_dv_max", 4, 10, 6, du=0, dv=4095, vth=150, w_lo=-30, w_hi=80),
        case("du_max_dv_zero", 5, 10, 6, du=4095, dv=0, vth=500, w_lo=-100, w_hi=200),
        case("saturate_v", 6, 24, 6, du=0, dv=0, vth=131071, w_lo=200, w_hi=255,
             weight_exp=4, rate=0.8),
        case("wrap_u", 7, 32, 6, du=0, dv=4095, vth=131071, w_lo=230, w_hi=255,
             weight_exp=7, rate=0.9),
        case("negative_bias", 8, 8, 8, du=300, dv=300, vth=60, w_lo=-50, w_hi=120,
             bias_mant=(-4095, -1), bias_exp=(0, 3)),
        case("mixed_bias_exp", 9, 8, 8, du=1000, dv=200, vth=90, w_lo=0, w_hi=200,
             bias_mant=(-4095, 4095), bias_exp=(-3, 7)),
        case("inhibitory_only", 10, 16, 6, du=200, dv=100, vth=20, w_lo=-255, w_hi=0,
             bias_mant=(500, 2000), bias_exp=(0, 2)),
        case("tiny_threshold", 11, 10, 8, du=2000, dv=3000, vth=0, w_lo=-20, w_hi=40),
        case("threshold_one", 12, 10, 8, du=100, dv=4000, vth=1, w_lo=-300, w_hi=300),
        case("negative_weight_exp", 13, 20, 8, du=700, dv=1500, vth=30, w_lo=-255,
             w_hi=255, weight_exp=-3, rate=0.5),
        case("random_all", 14, 16, 10, du=1234, dv=567, vth=77, w_lo=-200, w_hi=250,
             weight_exp=2, bias_mant=(-800, 800), bias_exp=(-2, 4)),
    ]
    json.dump({"generator": "tools/lava_lif_reference.py", "lava_nc": "0.10.0",
               "numpy": np.__version__, "cases": cases}, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
