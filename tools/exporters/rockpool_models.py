#!/usr/bin/env python3
"""Small Rockpool models exported to NIR, with Rockpool's own outputs.

Regenerate the committed fixtures (compiler/tests/data/exporters/) with:

    sh tools/exporters/make_fixtures.sh   # or, for this exporter alone:
    python3.11 -m venv .venv-rockpool
    .venv-rockpool/bin/pip install torch==2.15.0 rockpool==3.1.0 nir==1.0.8 nirtorch==2.6 numpy h5py
    .venv-rockpool/bin/python tools/exporters/rockpool_models.py compiler/tests/data/exporters

Rockpool's conventions, which the files do not state (docs/nir.md): time
constants in seconds at dt = 1e-3; exact exponential decays; LIFTorch
(exported as CubaLIF) adds its input to the synaptic current and then decays
both, integrates the current into the membrane unscaled (the exported
r = tau*exp(-dt/tau)/dt encodes that), and resets by subtracting the
threshold, floor(v / threshold) spikes a step. Two untrained models whose
weights make them fire, Linear(20, 24) -> LIF -> Linear(24, 5) -> LIF:

- `rockpool_lif_mlp`: LIFTorch (CUBA) layers, per-neuron time constants;
- `rockpool_lifneuron_mlp`: LIFNeuronTorch (LIF, no synaptic current) layers;
- `rockpool_lif_mlp_int8`: LIFTorch layers trained-for-Xylo style
  (common.int8_): 8-bit weight grids, time constants whose decays
  exp(-dt/tau) are 1 - 2^-j (Xylo's bit-shift decays), one current decay
  per layer.

For each, `<name>.nir`, `<name>_input.npy` (uint8 0/1, [samples, steps,
20]) and `<name>_output.npy` (uint8, [samples, steps, 5]: spike counts).
"""
import sys
from pathlib import Path

import numpy as np
import torch
from rockpool.nn.combinators import Sequential
from rockpool.nn.modules import LIFNeuronTorch, LIFTorch, LinearTorch
from rockpool.nn.modules.torch.nir import to_nir

import math

from common import int8_, mlp, poisson, save, shift_decay

DT = 1e-3
torch.manual_seed(3)
np.random.seed(3)


def lif(n):
    return LIFTorch(
        n,
        tau_mem=torch.linspace(0.01, 0.04, n),
        tau_syn=torch.linspace(0.004, 0.01, n),
        threshold=torch.ones(n),
        dt=DT,
    )


def shift_tau(j):
    """The tau (s) whose decay exp(-dt/tau) is 1 - 2^-j."""
    return -DT / math.log(shift_decay(j))


def lif_int8(n):
    return LIFTorch(
        n,
        tau_mem=torch.tensor([shift_tau(3 + i % 3) for i in range(n)]),
        # one current decay per layer: it scales the layer's weights alike
        # (i = alpha * (i + x)), so their grid survives it
        tau_syn=torch.full((n,), shift_tau(2)),
        threshold=torch.ones(n),
        dt=DT,
    )


def lif_neuron(n):
    return LIFNeuronTorch(n, tau_mem=torch.linspace(0.01, 0.04, n), threshold=torch.ones(n), dt=DT)


def main(out: Path):
    for name, layer, scale in [
        ("rockpool_lif_mlp", lif, 0.03),
        ("rockpool_lifneuron_mlp", lif_neuron, 0.2),
        ("rockpool_lif_mlp_int8", lif_int8, 0.06),
    ]:
        net = mlp(Sequential, lambda i, o: LinearTorch((i, o), has_bias=False), layer, scale)
        if name.endswith("_int8"):
            int8_(net[0].weight, net[2].weight)
        x = poisson((20,))
        with torch.no_grad():
            y, _, _ = net(torch.tensor(x))
        y = y.numpy()
        net.reset_state()
        graph = to_nir(net, torch.tensor(x[:1]))
        save(out, name, graph, x, y)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
