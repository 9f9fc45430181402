#!/usr/bin/env python3
"""Small Sinabs models exported to NIR, with Sinabs' own outputs.

Regenerate the committed fixtures (compiler/tests/data/exporters/) with:

    sh tools/exporters/make_fixtures.sh   # or, for this exporter alone:
    python3.11 -m venv .venv-sinabs
    .venv-sinabs/bin/pip install torch==2.15.0 sinabs==3.1.3 nir==1.0.4 nirtorch==2.0.2 numpy h5py
    .venv-sinabs/bin/python tools/exporters/sinabs_models.py compiler/tests/data/exporters

Sinabs' conventions, which the files do not state: time constants are in
steps (dt = 1), a LIF decays exactly (alpha = exp(-1/tau)) and scales its
input by (1 - alpha) (`norm_input=True`), and every neuron resets by
subtracting its threshold, firing floor(v / threshold) spikes a step
(`MultiSpike`). Two untrained models whose weights make them fire:

- `sinabs_lif_mlp`: Linear(20, 32) -> LIF -> Linear(32, 5) -> LIF;
- `sinabs_iaf_conv`: Conv2d(1, 4, 3) -> IAF -> SumPool2d(2) -> Flatten ->
  Linear(36, 5) -> IAF on 8x8 inputs;
- `sinabs_lif_mlp_int8`, `sinabs_iaf_conv_int8`: the same, trained-for-chip
  style (common.int8_): 8-bit weight grids, one decay exp(-1/tau) = 1 - 2^-j
  per layer.

For each, `<name>.nir`, `<name>_input.npy` (uint8 0/1, [samples, steps,
features...]) and `<name>_output.npy` (uint8, [samples, steps, 5]: Sinabs'
output spike counts per step).
"""
import sys
from pathlib import Path

import nir
import numpy as np
import sinabs
import sinabs.layers as sl
import torch
from torch import nn

import math

from common import SAMPLES, STEPS, int8_, poisson, save, shift_decay

torch.manual_seed(1)
np.random.seed(1)


def shift_tau(j):
    """Sinabs' tau (in steps) whose decay exp(-1/tau) is 1 - 2^-j."""
    return -1.0 / math.log(shift_decay(j))


def lif_mlp(int8=False):
    if int8:
        # One decay per layer: the input factor 1 - alpha scales a layer's
        # weights alike, so their grid survives it.
        hidden, out = torch.full((32,), shift_tau(3)), torch.full((5,), shift_tau(2))
    else:
        hidden, out = torch.linspace(4.0, 20.0, 32), torch.full((5,), 8.0)
    net = nn.Sequential(
        nn.Linear(20, 32, bias=False),
        # per-neuron parameters: Sinabs' export needs tau and threshold alike
        sl.LIF(tau_mem=hidden, spike_threshold=torch.ones(32)),
        nn.Linear(32, 5, bias=False),
        sl.LIF(tau_mem=out, spike_threshold=torch.full((5,), 1.5)),
    )
    with torch.no_grad():
        net[0].weight.uniform_(-0.5, 2.5)
        net[2].weight.uniform_(-0.5, 2.0)
    if int8:
        int8_(net[0].weight, net[2].weight)
    x = poisson((20,))
    sinabs.reset_states(net)
    with torch.no_grad():
        y = net(torch.tensor(x))  # [batch, time, 5]
    sinabs.reset_states(net)
    graph = sinabs.to_nir(net, torch.tensor(x[:1]))
    return graph, x, y.numpy()


def iaf_conv(int8=False):
    b = SAMPLES
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, bias=False),
        sl.IAFSqueeze(batch_size=b, spike_threshold=1.0),
        sl.SumPool2d(2),
        nn.Flatten(),
        nn.Linear(36, 5, bias=False),
        sl.IAFSqueeze(batch_size=b, spike_threshold=2.0),
    )
    with torch.no_grad():
        net[0].weight.uniform_(-0.3, 0.6)
        net[4].weight.uniform_(-0.3, 0.4)
    if int8:
        int8_(net[0].weight, net[4].weight)
    x = poisson((1, 8, 8), 0.3)
    flat = torch.tensor(x).reshape(b * STEPS, 1, 8, 8)
    sinabs.reset_states(net)
    with torch.no_grad():
        y = net(flat).reshape(b, STEPS, 5)
    sinabs.reset_states(net)
    graph = sinabs.to_nir(net, flat)
    # Sinabs leaves the shapes around its Conv2d, SumPool2d and Flatten unset
    # (None), which nir.write cannot store: fill them in.
    shapes = {
        nir.Conv2d: ([1, 8, 8], [4, 6, 6]),
        nir.SumPool2d: ([4, 6, 6], [4, 3, 3]),
        nir.Flatten: ([4, 3, 3], [36]),
    }
    for node in graph.nodes.values():
        if type(node) in shapes:
            i, o = shapes[type(node)]
            node.input_type = {"input": np.array(i)}
            node.output_type = {"output": np.array(o)}
        if isinstance(node, nir.Conv2d) and node.input_shape is None:
            node.input_shape = np.array([8, 8])
    return graph, x, y.numpy()


def main(out: Path):
    for name, make in [
        ("sinabs_lif_mlp", lif_mlp),
        ("sinabs_iaf_conv", iaf_conv),
        ("sinabs_lif_mlp_int8", lambda: lif_mlp(int8=True)),
        ("sinabs_iaf_conv_int8", lambda: iaf_conv(int8=True)),
    ]:
        graph, x, y = make()
        save(out, name, graph, x, y)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
