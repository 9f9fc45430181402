#!/usr/bin/env python3
"""An independent PyTorch implementation of the adaptive LIF (ALIF / LSNN)
equations, and the fixture it makes for spikefab's float reference
(compiler/tests/models.rs checks it to 1e-6).

    python3 -m venv .venv-torch && .venv-torch/bin/pip install torch==2.15.0 numpy
    .venv-torch/bin/python tools/alif_reference.py compiler/tests/data/models examples/networks

The equations, per step t (Bellec et al. 2018, "Long short-term memory and
learning-to-learn in networks of spiking neurons", with the threshold's
adaptive part a = beta_a * b and Lava's ATRLIF order of updates):

    i[t] = alpha * i[t-1] + W_in x[t] + W_rec z[t-1]
    v[t] = beta * v[t-1] + i[t] + bias
    a[t] = rho * a[t-1]                       the adaptation relaxes first
    z[t] = v[t] > theta0 + a[t]
    v[t] = 0 where z[t]                       reset to zero
    a[t] = a[t] + step * z[t]                 a spike raises the next threshold

Also writes the same kind of network with delta synapses (alpha = 0) as a
NIR file using spikefab's extension node `spikefab.ALIF` (docs/nir.md),
`alif_delta.nir` with `alif_delta_{input,spikes,v}.npy`, its parameters
chosen so that NIR's forward-Euler reading at dt = 1e-3 is exact:
tau = dt / (1 - beta), r = tau / dt, tau_adapt = dt / (1 - rho),
v_leak = bias * tau / dt.

Writes `alif_net.ron` (a 16-input, 16-neuron recurrent ALIF network with
per-neuron parameters, in spikefab's network format; also written as the
example `alif.ron` into the second folder), `alif_input.npy`
(uint8 [samples, steps, 16]), `alif_spikes.npy` (uint8 [samples, steps, 16])
and `alif_v.npy` (float64 [samples, steps, 16]: the membrane after reset).
"""
import sys
from pathlib import Path

import numpy as np
import torch

from nirfile import write_graph

SAMPLES, STEPS, N_IN, N = 8, 60, 16, 16
torch.manual_seed(11)
np.random.seed(11)


def uniform(lo, hi, *shape):
    return torch.rand(*shape, dtype=torch.float64) * (hi - lo) + lo


def params():
    return dict(
        alpha=uniform(0.0, 0.6, N),
        beta=uniform(0.8, 0.95, N),
        threshold=uniform(0.8, 1.2, N),
        bias=uniform(-0.02, 0.05, N),
        adaptation=uniform(0.8, 0.98, N),
        threshold_step=uniform(0.1, 0.6, N),
    )


def run(p, w_in, w_rec, x):
    """x: [samples, steps, N_IN] float64 0/1 -> spikes, membranes [samples, steps, N]."""
    b = x.shape[0]
    i = torch.zeros(b, N, dtype=torch.float64)
    v = torch.zeros_like(i)
    a = torch.zeros_like(i)
    z = torch.zeros_like(i)
    zs, vs = [], []
    for t in range(x.shape[1]):
        drive = x[:, t] @ w_in.T + z @ w_rec.T
        i = p["alpha"] * i + drive
        v = p["beta"] * v + i + p["bias"]
        a = p["adaptation"] * a
        z = (v > p["threshold"] + a).double()
        v = v * (1 - z)
        a = a + p["threshold_step"] * z
        zs.append(z)
        vs.append(v)
    return torch.stack(zs, 1), torch.stack(vs, 1)


def ron_list(t):
    return "[" + ", ".join(repr(float(x)) for x in t) + "]"


def ron_dense(w):
    return "Dense([" + ", ".join(ron_list(row) for row in w) + "])"


def network_ron(p, w_in, w_rec):
    fields = ",\n".join(f"            {k}: {ron_list(v)}" for k, v in p.items())
    return f"""(
    name: "alif-reference",
    dt: 0.001,
    inputs: [(name: "in", size: {N_IN})],
    populations: [(
        name: "alif",
        size: {N},
        neuron: Alif(
{fields},
        ),
    )],
    projections: [
        (from: "in", to: "alif", weights: {ron_dense(w_in)}),
        (from: "alif", to: "alif", weights: {ron_dense(w_rec)}),
    ],
    outputs: ["alif"],
)
"""


DT = 1e-3


def write_nir(path: Path, p, w_in, w_rec, kind="spikefab.ALIF", extra=None):
    """A NIR graph input -> w_in -> alif (<- w_rec <- alif) -> output, in
    float64, with the ALIF as spikefab's extension node `kind` (and its
    `extra` fields: tools/schedule_reference.py writes spikefab.CELIF)."""
    beta, rho = p["beta"].numpy(), p["adaptation"].numpy()
    tau = DT / (1 - beta)
    nodes = {
        "input": {"type": "Input", "shape": np.array([N_IN])},
        "w_in": {"type": "Linear", "weight": w_in.numpy()},
        "alif": {
            "type": kind,
            "tau": tau,
            "r": tau / DT,
            "v_leak": p["bias"].numpy() * tau / DT,
            "v_threshold": p["threshold"].numpy(),
            "tau_adapt": DT / (1 - rho),
            "threshold_step": p["threshold_step"].numpy(),
            **(extra or {}),
        },
        "w_rec": {"type": "Linear", "weight": w_rec.numpy()},
        "output": {"type": "Output", "shape": np.array([N])},
    }
    edges = [("input", "w_in"), ("w_in", "alif"), ("alif", "w_rec"), ("w_rec", "alif"), ("alif", "output")]
    write_graph(path, nodes, edges)


def main(out: Path, examples: Path):
    p = params()
    w_in = uniform(-0.2, 0.8, N, N_IN)
    w_rec = uniform(-0.3, 0.3, N, N)
    x = (torch.rand(SAMPLES, STEPS, N_IN) < 0.25).double()
    z, v = run(p, w_in, w_rec, x)
    out.mkdir(parents=True, exist_ok=True)
    (out / "alif_net.ron").write_text(network_ron(p, w_in, w_rec))
    (examples / "alif.ron").write_text(network_ron(p, w_in, w_rec))
    np.save(out / "alif_input.npy", x.numpy().astype(np.uint8))
    np.save(out / "alif_spikes.npy", z.numpy().astype(np.uint8))
    np.save(out / "alif_v.npy", v.numpy())
    rate = z.mean().item()
    print(f"alif: {int(z.sum())} spikes ({rate:.3f} per neuron and step)")
    # The adaptation must matter, or the fixture tests nothing of it.
    z0, _ = run(dict(p, threshold_step=torch.zeros(N, dtype=torch.float64)), w_in, w_rec, x)
    assert z0.sum() > 1.3 * z.sum(), (z0.sum(), z.sum())

    # The delta-synapse network, as spikefab's NIR extension.
    p = dict(params(), alpha=torch.zeros(N, dtype=torch.float64))
    w_in = uniform(-0.2, 0.8, N, N_IN)
    w_rec = uniform(-0.3, 0.3, N, N)
    x = (torch.rand(SAMPLES, STEPS, N_IN) < 0.25).double()
    z, v = run(p, w_in, w_rec, x)
    write_nir(out / "alif_delta.nir", p, w_in, w_rec)
    np.save(out / "alif_delta_input.npy", x.numpy().astype(np.uint8))
    np.save(out / "alif_delta_spikes.npy", z.numpy().astype(np.uint8))
    np.save(out / "alif_delta_v.npy", v.numpy())
    print(f"alif_delta: {int(z.sum())} spikes")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
