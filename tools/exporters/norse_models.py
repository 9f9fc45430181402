#!/usr/bin/env python3
"""Small Norse models exported to NIR, with Norse's own outputs.

Regenerate the committed fixtures (compiler/tests/data/exporters/) with:

    sh tools/exporters/make_fixtures.sh   # or, for this exporter alone:
    python3.11 -m venv .venv-norse
    .venv-norse/bin/pip install torch==2.15.0 norse==1.1.0 nir==1.0.8 nirtorch==2.6 numpy h5py
    .venv-norse/bin/python tools/exporters/norse_models.py compiler/tests/data/exporters

Norse's conventions, which the files do not state (docs/nir.md): exported
with dt = 1e-3 s, a time constant is written as dt/tau_inv (dt * tau, not
tau); LIFCell (CubaLIF) adds its input to the current unscaled (then the
membrane integrates it, then the current decays); IAFCell adds its input to
v unscaled; LIFBoxCell (LIF) is forward Euler. Three untrained models
whose weights make them fire, each Linear(20, 24) -> cell -> Linear(24, 5)
-> cell:

- `norse_lif_mlp`: LIFCell (CUBA) layers;
- `norse_lifbox_mlp`: LIFBoxCell (LIF) layers;
- `norse_iaf_mlp`: IAFCell layers;
- `norse_lif_mlp_int8`, `norse_iaf_mlp_int8`: trained-for-chip style
  (common.int8_): 8-bit weight grids, and LIFCell decays dt * tau_inv of
  1/8 (membrane) and 1/4 (current).

For each, `<name>.nir`, `<name>_input.npy` (uint8 0/1, [samples, steps,
20]) and `<name>_output.npy` (uint8 0/1, [samples, steps, 5]).
"""
import sys
from pathlib import Path

import norse.torch as norse
import numpy as np
import torch
from norse.torch.utils.export_nir import to_nir
from torch import nn

from common import STEPS, int8_, mlp, poisson, save

torch.manual_seed(2)
np.random.seed(2)


def record(net, x):
    state = None
    out = []
    with torch.no_grad():
        for t in range(x.shape[1]):
            z, state = net(torch.tensor(x[:, t]), state)
            out.append(z.numpy())
    return np.stack(out, axis=1)


def main(out: Path):
    def shift_lif():
        # dt * tau_inv = 2^-3 and 2^-2 at Norse's dt = 1e-3
        p = norse.LIFParameters(tau_mem_inv=torch.tensor(125.0), tau_syn_inv=torch.tensor(250.0))
        return norse.LIFCell(p)

    cells = [
        ("norse_lif_mlp", norse.LIFCell, 0.5),
        ("norse_lifbox_mlp", norse.LIFBoxCell, 1.5),
        ("norse_iaf_mlp", norse.IAFCell, 0.25),
        ("norse_lif_mlp_int8", shift_lif, 0.5),
        ("norse_iaf_mlp_int8", norse.IAFCell, 0.25),
    ]
    for name, cell, scale in cells:
        net = mlp(
            norse.SequentialState,
            lambda i, o: nn.Linear(i, o, bias=False),
            lambda _: cell(),
            scale,
        )
        if name.endswith("_int8"):
            int8_(net[0].weight, net[2].weight)
        x = poisson((20,))
        y = record(net, x)
        graph = to_nir(net, torch.tensor(x[:1, 0]), dt=1e-3)
        # Norse writes a cell's parameters as 0-d tensors, which nir.write
        # cannot store compressed: give them one element.
        for node in graph.nodes.values():
            for k, v in vars(node).items():
                if isinstance(v, torch.Tensor) and v.dim() == 0:
                    setattr(node, k, v.reshape(1).numpy())
                elif isinstance(v, np.ndarray) and v.ndim == 0:
                    setattr(node, k, v.reshape(1))
        save(out, name, graph, x, y)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
