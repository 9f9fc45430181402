#!/usr/bin/env python3
"""The dendrite task of docs/models.md: the same digits solved by point
neurons and by dendritic neurons (Wu et al., "Mitigating Communication
Costs in Neural Networks: The Role of Dendritic Nonlinearity", arXiv
2306.11950), on scikit-learn's bundled 8x8 digits.

    python3 -m venv .venv && .venv/bin/pip install torch==2.15.0 numpy scikit-learn
    .venv/bin/python tools/dendrite_task.py compiler/tests/data/tasks

Input and split: tools/nsnn_task.py's (a deterministic 16-step rate code of
each pixel; the same 360 test digits). Networks: 64 -> hidden LIF (beta
0.9, threshold 1, delta synapses, no biases) -> 10 integrating readouts.

- point N: N point neurons (N = 32, 64 and 128);
- dendritic N x K: N = 32 neurons with K = 2 and 4 branches. Every branch
  sees every input through its own weights, and adds min(max(b, 0), 1) to
  its neuron (spikefab's dendritic neuron, docs/models.md); trained through
  the clamp's own gradient and a fast-sigmoid spike surrogate.

dendritic 32 x K has the synapses of point 32K and the neurons (and so the
spikes sent) of point 32: the paper's trade, capacity against communication.

Writes `dendrites_point32.ron`, `dendrites_point128.ron`,
`dendrites_k2.ron`, `dendrites_k4.ron`, `dendrites_point64.ron` (the test digits are
`nsnn_test_input.npy` and `nsnn_test_labels.npy`).
"""
import sys
from pathlib import Path

import numpy as np
import torch

from alif_reference import ron_dense
from nsnn_task import BETA, IN, OUT, STEPS, THETA, data, fit
from surrogate import FastSigmoid

torch.manual_seed(11)
np.random.seed(7)  # nsnn_task's split
torch.set_num_threads(2)
CAP = 1.0


class Net(torch.nn.Module):
    def __init__(self, n, k):
        """`n` hidden neurons with `k` branches each (0: point neurons)."""
        super().__init__()
        self.n, self.k = n, k
        rows = n * max(k, 1)
        self.w_in = torch.nn.Parameter(torch.randn(rows, IN, dtype=torch.float64) * 0.3)
        self.w_out = torch.nn.Parameter(torch.randn(OUT, n, dtype=torch.float64) * 0.1)

    def forward(self, x):
        b = x.shape[0]
        v = torch.zeros(b, self.n, dtype=torch.float64)
        out = torch.zeros(b, OUT, dtype=torch.float64)
        for t in range(STEPS):
            i = x[:, t] @ self.w_in.T
            if self.k:
                i = i.clamp(0.0, CAP).reshape(b, self.n, self.k).sum(-1)
            v = BETA * v + i
            z = FastSigmoid.apply(v - THETA)
            v = v * (1 - z)
            out = out + z @ self.w_out.T
        return out


def network_ron(name, net):
    dendrites = f"\n            dendrites: Some((branches: {net.k}, cap: {CAP})),"
    return f"""(
    name: "{name}",
    dt: 0.001,
    inputs: [(name: "pixels", size: {IN})],
    populations: [
        (
            name: "hidden",
            size: {net.n},
            neuron: Lif(beta: {BETA}, threshold: {THETA}),{dendrites if net.k else ""}
        ),
        (name: "readout", size: {OUT}, neuron: Li(beta: 1.0)),
    ],
    projections: [
        (from: "pixels", to: "hidden", weights: {ron_dense(net.w_in.detach())}),
        (from: "hidden", to: "readout", weights: {ron_dense(net.w_out.detach())}),
    ],
    outputs: ["readout"],
)
"""


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    tr, te = data()
    for name, n, k in [
        ("point32", 32, 0),
        ("k2", 32, 2),
        ("k4", 32, 4),
        ("point128", 128, 0),
        ("point64", 64, 0),
    ]:
        net = fit(Net(n, k), tr, te, 60, f"{n} x {k} branches")
        (out / f"dendrites_{name}.ron").write_text(network_ron(f"dendrites-{name}", net))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
