#!/usr/bin/env python3
"""Small SpikingJelly models exported to NIR, with SpikingJelly's own outputs.

Regenerate the committed fixtures (compiler/tests/data/exporters/) with:

    sh tools/exporters/make_fixtures.sh   # or, for this exporter alone:
    python3.11 -m venv .venv-spikingjelly
    .venv-spikingjelly/bin/pip install torch==2.15.0 spikingjelly==2.0.0 nir==1.0.8 nirtorch==2.6 numpy h5py
    .venv-spikingjelly/bin/python tools/exporters/spikingjelly_models.py compiler/tests/data/exporters

SpikingJelly's conventions (docs/nir.md): exported at dt = 1e-4 s with
parameters chosen so that NIR's forward Euler is exact (LIF: tau = tau_sj*dt,
r = 1 with decay_input; CUBALIF: tau = dt/(1 - decay), r and w_in make both
gains 1; IF: r = 1/dt), hard reset to v_reset = 0 (a soft reset cannot be
exported), and Input shapes that keep the batch axis. Three untrained models
whose weights make them fire, Linear(20, 24) -> neuron -> Linear(24, 5) ->
neuron: `spikingjelly_lif_mlp` (LIFNode), `spikingjelly_cuba_mlp`
(CUBALIFNode), `spikingjelly_if_mlp` (IFNode); their decays (0.75, 0.5)
are already 1 - 2^-j, and `spikingjelly_cuba_mlp_int8`,
`spikingjelly_if_mlp_int8` add 8-bit weight grids (common.int8_).

For each, `<name>.nir`, `<name>_input.npy` (uint8 0/1, [samples, steps,
20]) and `<name>_output.npy` (uint8 0/1, [samples, steps, 5]).
"""
import sys
from pathlib import Path

import numpy as np
import torch
from spikingjelly.activation_based import functional, layer, neuron
from spikingjelly.activation_based.nir_exchange import export_to_nir
from torch import nn

from common import STEPS, int8_, mlp, poisson, save

torch.manual_seed(4)
np.random.seed(4)


def main(out: Path):
    for name, cell, scale in [
        ("spikingjelly_lif_mlp", lambda: neuron.LIFNode(tau=4.0), 1.2),
        ("spikingjelly_cuba_mlp", lambda: neuron.CUBALIFNode(c_decay=0.5, v_decay=0.75), 0.05),
        ("spikingjelly_if_mlp", lambda: neuron.IFNode(), 0.3),
        ("spikingjelly_cuba_mlp_int8", lambda: neuron.CUBALIFNode(c_decay=0.5, v_decay=0.75), 0.05),
        ("spikingjelly_if_mlp_int8", lambda: neuron.IFNode(), 0.3),
    ]:
        net = mlp(
            nn.Sequential, lambda i, o: layer.Linear(i, o, bias=False), lambda _: cell(), scale
        )
        if name.endswith("_int8"):
            int8_(net[0].weight, net[2].weight)
        x = poisson((20,))
        functional.reset_net(net)
        with torch.no_grad():
            y = np.stack([net(torch.tensor(x[:, t])).numpy() for t in range(STEPS)], axis=1)
        functional.reset_net(net)
        graph = export_to_nir(net, torch.tensor(x[:1, 0]), dt=1e-4)
        save(out, name, graph, x, y)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
