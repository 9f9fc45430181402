#!/usr/bin/env python3
"""An independent PyTorch implementation of spikefab's dendritic neuron
(docs/models.md; Wu et al., arXiv 2306.11950) and the fixtures it makes for
spikefab's float reference (compiler/tests/models.rs checks them to 1e-6).

    python3 -m venv .venv-torch && .venv-torch/bin/pip install torch==2.15.0 numpy
    .venv-torch/bin/python tools/dendrite_reference.py compiler/tests/data/models examples/networks

A CUBA LIF population of N neurons with K branches each; branch k of neuron
n sums its own synapses (rows n*K + k of every weight matrix into the
population), rectifies and caps the sum, and the soma adds the K results:

    b[t]      = W_in x[t] + W_rec z[t-1]                      (N*K values)
    s[t]_n    = sum_k min(max(b[t]_{n*K+k}, 0), cap)
    i[t]      = alpha * i[t-1] + s[t]
    v[t]      = beta * v[t-1] + i[t] + bias
    z[t]      = v[t] > theta;   v[t] = 0 where z[t]

Writes `dendrites_net.ron`, `dendrites_{input,spikes,v}.npy` (as the other
model fixtures) and the example `dendritic.ron` into the second folder:
16 inputs -> 32 LIF neurons with 4 branches each -> a 10-neuron LI readout.
"""
import sys
from pathlib import Path

import numpy as np
import torch

from alif_reference import ron_dense, ron_list

SAMPLES, STEPS, N_IN, N, K, CAP = 8, 60, 16, 16, 4, 0.45
torch.manual_seed(31)


def uniform(lo, hi, *shape):
    return torch.rand(*shape, dtype=torch.float64) * (hi - lo) + lo


def run(p, w_in, w_rec, x, k=K, cap=CAP):
    b = x.shape[0]
    n = w_in.shape[0] // k
    i = torch.zeros(b, n, dtype=torch.float64)
    v, z = torch.zeros_like(i), torch.zeros_like(i)
    zs, vs = [], []
    for t in range(x.shape[1]):
        branch = x[:, t] @ w_in.T + z @ w_rec.T
        soma = branch.clamp(0.0, cap).reshape(b, n, k).sum(-1)
        i = p["alpha"] * i + soma
        v = p["beta"] * v + i + p["bias"]
        z = (v > p["threshold"]).double()
        v = v * (1 - z)
        zs.append(z)
        vs.append(v)
    return torch.stack(zs, 1), torch.stack(vs, 1)


def main(out: Path, examples: Path):
    out.mkdir(parents=True, exist_ok=True)
    p = dict(
        alpha=uniform(0.0, 0.5, N),
        beta=uniform(0.8, 0.95, N),
        threshold=uniform(0.8, 1.2, N),
        bias=uniform(-0.02, 0.03, N),
    )
    w_in = uniform(-0.5, 0.7, N * K, N_IN)
    w_rec = uniform(-0.3, 0.3, N * K, N)
    x = (torch.rand(SAMPLES, STEPS, N_IN) < 0.25).double()
    z, v = run(p, w_in, w_rec, x)
    # How much the nonlinearity does: the same weights summed linearly.
    z_lin, _ = run(p, w_in, w_rec, x, cap=float("inf"))
    branch = torch.einsum("bti,ki->btk", x, w_in)
    capped = (branch > CAP).double().mean().item()
    rectified = (branch < 0).double().mean().item()
    fields = ", ".join(f"{k}: {ron_list(val)}" for k, val in p.items())
    ron = f"""(
    name: "dendrites",
    dt: 0.001,
    inputs: [(name: "in", size: {N_IN})],
    populations: [(
        name: "dendrites",
        size: {N},
        neuron: CubaLif({fields}),
        dendrites: Some((branches: {K}, cap: {CAP!r})),
    )],
    projections: [
        (from: "in", to: "dendrites", weights: {ron_dense(w_in)}),
        (from: "dendrites", to: "dendrites", weights: {ron_dense(w_rec)}),
    ],
    outputs: ["dendrites"],
)
"""
    (out / "dendrites_net.ron").write_text(ron)
    np.save(out / "dendrites_input.npy", x.numpy().astype(np.uint8))
    np.save(out / "dendrites_spikes.npy", (z > 0).numpy().astype(np.uint8))
    np.save(out / "dendrites_v.npy", v.numpy())
    changed = (z_lin != z).double().mean().item()
    print(
        f"dendrites: {int(z.sum())} spikes; {rectified:.0%} of branch inputs rectified, "
        f"{capped:.0%} capped; the nonlinearity changes {changed:.1%} of (neuron, step) pairs"
    )
    example(examples / "dendritic.ron")


def example(path: Path):
    """16 inputs -> 32 LIF neurons x 4 branches (cap 0.5) -> 10 LI readouts."""
    n_in, n, k = 16, 32, 4
    w_in = uniform(-0.3, 0.6, n * k, n_in)
    w_out = uniform(-0.5, 0.5, 10, n)
    path.write_text(f"""(
    name: "dendritic",
    dt: 0.001,
    inputs: [(name: "in", size: {n_in})],
    populations: [
        (
            name: "dendritic",
            size: {n},
            neuron: Lif(beta: 0.85, threshold: 1.0, bias: 0.0),
            dendrites: Some((branches: {k}, cap: 0.5)),
        ),
        (name: "readout", size: 10, neuron: Li(beta: 0.9)),
    ],
    projections: [
        (from: "in", to: "dendritic", weights: {ron_dense(w_in)}),
        (from: "dendritic", to: "readout", weights: {ron_dense(w_out)}),
    ],
    outputs: ["dendritic", "readout"],
)
""")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
