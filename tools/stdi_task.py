#!/usr/bin/env python3
"""The conversion task of docs/models.md: a small ReLU CNN trained on
scikit-learn's bundled 8x8 digits, written as the NIR graph `spikefab
convert` reads (NIR has no ReLU: an IF node with r = 1/dt stands where each
ReLU is, an I node is the linear readout), with the test images.

    python3 -m venv .venv && .venv/bin/pip install torch==2.15.0 numpy scikit-learn h5py
    .venv/bin/python tools/stdi_task.py compiler/tests/data/tasks

Writes `digits_cnn.nir`, `digits_pixels.npy` (uint8 [1797, 64], 0..16: the
network's input is pixel / 16; the first 360 are the test split, the rest
trained on)
and `digits_labels.npy` (int64). Prints the ANN's test accuracy, which
`spikefab convert` reproduces from the NIR file.

CNN: 1x8x8 -> Conv2d(6, 3x3, pad 1) -> ReLU -> Conv2d(16, 3x3, stride 2,
pad 1) -> ReLU -> Flatten (256) -> Affine(10): 650 neurons, small enough
for fpga-small's four 256-neuron cores with STDI's bias channel (a layer
reads 384 + 1 of a core's 512 axons).
"""
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

from nirfile import write_graph

torch.manual_seed(5)
np.random.seed(5)
torch.set_num_threads(2)
DT = 1e-3


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    d = load_digits()
    idx = np.random.permutation(len(d.target))
    x = (d.images.reshape(-1, 64) / 16.0)[idx]
    y = d.target[idx]
    test = 360
    xt = torch.tensor(x, dtype=torch.float32).reshape(-1, 1, 8, 8)
    yt = torch.tensor(y)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(6, 16, 3, stride=2, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(256, 10),
    )
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for ep in range(60):
        perm = torch.randperm(len(y) - test) + test
        for i in range(0, len(perm), 64):
            j = perm[i : i + 64]
            loss = torch.nn.functional.cross_entropy(net(xt[j]), yt[j])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        acc = (net(xt[:test]).argmax(1) == yt[:test]).double().mean().item()
    print(f"ANN test accuracy {acc:.4f}")

    c1, c2, fc = net[0], net[2], net[5]
    f64 = lambda t: t.detach().double().numpy()
    nodes = {
        "input": {"type": "Input", "shape": np.array([1, 8, 8])},
        "conv1": {"type": "Conv2d", "weight": f64(c1.weight), "bias": f64(c1.bias), "stride": np.array([1, 1]),
                  "padding": np.array([1, 1]), "dilation": np.array([1, 1]), "groups": 1, "input_shape": np.array([8, 8])},
        "relu1": {"type": "IF", "r": np.full((6, 8, 8), 1 / DT), "v_threshold": np.ones((6, 8, 8))},
        "conv2": {"type": "Conv2d", "weight": f64(c2.weight), "bias": f64(c2.bias), "stride": np.array([2, 2]),
                  "padding": np.array([1, 1]), "dilation": np.array([1, 1]), "groups": 1, "input_shape": np.array([8, 8])},
        "relu2": {"type": "IF", "r": np.full((16, 4, 4), 1 / DT), "v_threshold": np.ones((16, 4, 4))},
        "flat": {"type": "Flatten", "start_dim": -3, "end_dim": -1, "input_type": np.array([16, 4, 4])},
        "fc": {"type": "Affine", "weight": f64(fc.weight), "bias": f64(fc.bias)},
        "readout": {"type": "I", "r": np.full(10, 1 / DT)},
        "output": {"type": "Output", "shape": np.array([10])},
    }
    chain = ["input", "conv1", "relu1", "conv2", "relu2", "flat", "fc", "readout", "output"]
    edges = list(zip(chain, chain[1:]))
    write_graph(out / "digits_cnn.nir", nodes, edges)
    np.save(out / "digits_pixels.npy", (x * 16).round().astype(np.uint8))
    np.save(out / "digits_labels.npy", y.astype(np.int64))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
