#!/usr/bin/env python3
"""Hand-built NIR graphs that exercise every operator the importer lowers,
with expected values computed independently (torch functional ops, numpy).

Regenerate with (same venv as tools/snntorch_models.py):

    .venv-snn/bin/python tools/nir_ops.py compiler/tests/data

Writes `ops_<case>.nir` and `ops_<case>.npz`-free `.npy` files:
`ops_<case>_input.npy` (uint8 [steps, channels]) and `ops_<case>_expected.npy`
(float64 [steps, outputs]: the readout membrane for LI/CubaLI cases, 0/1
spikes for spiking cases), for dt = 1e-4 s, forward Euler, reset to 0.
"""
import sys
from pathlib import Path

import nir
import numpy as np
import torch
import torch.nn.functional as F

DT = 1e-4
rng = np.random.default_rng(7)


def save(out, name, graph, x, expected):
    nir.write(out / f"ops_{name}.nir", graph)
    np.save(out / f"ops_{name}_input.npy", x.astype(np.uint8))
    np.save(out / f"ops_{name}_expected.npy", np.asarray(expected, dtype=np.float64))


def conv2d_pools(out):
    """Conv2d (stride, padding, dilation, groups) → SumPool2d → AvgPool2d → Flatten → Affine → LI."""
    c_in, h, w = 2, 9, 8
    wconv = rng.normal(size=(4, 1, 3, 2)).astype(np.float32)  # groups = 2
    bconv = rng.normal(size=4).astype(np.float32)
    x = (rng.random((3, c_in, h, w)) < 0.5)
    t = torch.tensor(x.astype(np.float32))
    y = F.conv2d(t, torch.tensor(wconv), torch.tensor(bconv), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    y = F.avg_pool2d(y, (2, 2), stride=(1, 2)) * 4.0  # sum pool
    y = F.avg_pool2d(y, (2, 1), stride=(1, 1))
    flat = y.flatten(start_dim=1)
    wa = rng.normal(size=(5, flat.shape[1])).astype(np.float32) * 0.1
    ba = rng.normal(size=5).astype(np.float32)
    cur = flat @ torch.tensor(wa).T + torch.tensor(ba)
    tau, r, v_leak = 2e-3, 1.5, 0.25
    beta, gain, bias = 1 - DT / tau, DT * r / tau, DT / tau * v_leak
    v = np.zeros(5)
    expected = []
    for step in range(3):
        v = beta * v + gain * cur[step].numpy().astype(np.float64) + bias
        expected.append(v.copy())
    conv_out = y.shape[1:]
    g = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([c_in, h, w])}),
            "conv": nir.Conv2d(input_shape=(h, w), weight=wconv, stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=bconv),
            "sum": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([1, 2]), padding=np.array([0, 0])),
            "avg": nir.AvgPool2d(kernel_size=np.array([2, 1]), stride=np.array([1, 1]), padding=np.array([0, 0])),
            "flat": nir.Flatten(input_type={"input": np.array(list(conv_out))}, start_dim=0, end_dim=-1),
            "fc": nir.Affine(weight=wa, bias=ba),
            "li": nir.LI(tau=np.full(5, tau), r=np.full(5, r), v_leak=np.full(5, v_leak)),
            "output": nir.Output(output_type={"output": np.array([5])}),
        },
        edges=[("input", "conv"), ("conv", "sum"), ("sum", "avg"), ("avg", "flat"), ("flat", "fc"), ("fc", "li"), ("li", "output")],
        type_check=False,
    )
    save(out, "conv2d_pools", g, x.reshape(3, -1), expected)


def conv1d_scale_cuba(out):
    """Conv1d (stride 2, padding 1, groups 2) → Scale → CubaLI."""
    c_in, length = 4, 11
    wconv = rng.normal(size=(6, 2, 3)).astype(np.float32)
    x = rng.random((4, c_in, length)) < 0.5
    t = torch.tensor(x.astype(np.float32))
    y = F.conv1d(t, torch.tensor(wconv), None, stride=2, padding=1, groups=2).flatten(start_dim=1)
    n = y.shape[1]
    scale = rng.normal(size=n).astype(np.float32)
    inp = (y * torch.tensor(scale)).numpy().astype(np.float64)
    ts, tm, r, w_in = 3e-4, 1e-3, 2.0, 0.5
    i = np.zeros(n)
    v = np.zeros(n)
    expected = []
    for step in range(4):
        i = i + DT / ts * (-i + w_in * inp[step])
        v = v + DT / tm * (-v + r * i)
        expected.append(v.copy())
    g = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([c_in, length])}),
            "conv": nir.Conv1d(input_shape=length, weight=wconv, stride=2, padding=1, dilation=1, groups=2, bias=np.zeros(6, np.float32)),
            "flat": nir.Flatten(input_type={"input": np.array([6, y.shape[1] // 6])}, start_dim=0, end_dim=-1),
            "scale": nir.Scale(scale=scale),
            "cuba": nir.CubaLI(tau_syn=np.full(n, ts), tau_mem=np.full(n, tm), r=np.full(n, r), v_leak=np.zeros(n), w_in=np.full(n, w_in)),
            "output": nir.Output(output_type={"output": np.array([n])}),
        },
        edges=[("input", "conv"), ("conv", "flat"), ("flat", "scale"), ("scale", "cuba"), ("cuba", "output")],
        type_check=False,
    )
    save(out, "conv1d_scale_cuba", g, x.reshape(4, -1), expected)


def delay_if_threshold(out):
    """Linear → Delay (3 steps) → IF, and Linear → Threshold, in a nested graph."""
    w1 = np.array([[0.6, 0.0, 0.5], [0.3, 0.3, 0.0]], np.float32)
    w2 = np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 2.0]], np.float32)
    steps = 12
    x = np.zeros((steps, 3), bool)
    x[[0, 1, 4, 5, 6], 0] = True
    x[[2, 7], 1] = True
    x[[3, 8], 2] = True
    r_if, th_if = 1.0 / DT, 1.0  # r = 1/dt: one unit of input per unit of weight per step
    v = np.zeros(2)
    spikes_if = []
    for s in range(steps):
        inp = w1 @ x[s - 3].astype(float) if s >= 3 else np.zeros(2)
        v = v + DT * r_if * inp
        fired = v > th_if
        v[fired] = 0.0
        spikes_if.append(fired.astype(float))
    spikes_th = [((w2 @ x[s].astype(float)) > 0.5).astype(float) for s in range(steps)]
    expected = np.concatenate([np.array(spikes_if), np.array(spikes_th)], axis=1)
    inner = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([2])}),
            "th": nir.Threshold(threshold=np.full(2, 0.5)),
            "output": nir.Output(output_type={"output": np.array([2])}),
        },
        edges=[("input", "th"), ("th", "output")],
        type_check=False,
    )
    g = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([3])}),
            "w1": nir.Linear(weight=w1),
            "delay": nir.Delay(delay=np.full(2, 3 * DT)),
            "if": nir.IF(r=np.full(2, r_if), v_threshold=np.full(2, th_if), v_reset=np.zeros(2)),
            "w2": nir.Linear(weight=w2),
            "sub": inner,
            "output": nir.Output(output_type={"output": np.array([4])}),
        },
        edges=[("input", "w1"), ("w1", "delay"), ("delay", "if"), ("if", "output"), ("input", "w2"), ("w2", "sub.input"), ("sub.output", "output")],
        type_check=False,
    )
    save(out, "delay_if_threshold", g, x, expected)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "compiler/tests/data")
    conv2d_pools(out)
    conv1d_scale_cuba(out)
    delay_if_threshold(out)
