#!/usr/bin/env python3
"""Independent PyTorch implementations of the two models spikefab builds on
per-step tables (docs/models.md), and the fixtures they make for spikefab's
float reference (compiler/tests/models.rs checks them to 1e-6).

    python3 -m venv .venv-torch && .venv-torch/bin/pip install torch==2.15.0 numpy
    .venv-torch/bin/python tools/schedule_reference.py compiler/tests/data/models examples/networks

CE-LIF (Chen et al., arXiv 2308.15150): the ALIF neuron (tools/alif_reference.py)
whose threshold also carries a contextual embedding e[t], one learned value
per timestep of the sequence, shared by the population (spikefab's reading:
docs/models.md says why). Per step t:

    i[t] = alpha * i[t-1] + W_in x[t] + W_rec z[t-1]
    v[t] = beta * v[t-1] + i[t] + bias
    a[t] = rho * a[t-1]
    z[t] = v[t] > theta0 + a[t] + e[t mod T]
    v[t] = 0 where z[t];   a[t] = a[t] + step * z[t]

STDI-style schedule (arXiv 2306.12010): an integrate-and-fire population whose
threshold changes from step to step (halving through a window), which holds
(does not fire) on some steps, weights its input by 2^s[t], and resets by
subtracting the threshold, up to two spikes a step (each one delivered):

    I[t] = 2^s[t mod T] (W_in x[t] + W_rec n[t-1])
    v[t] = v[t-1] + I[t] + bias
    n[t] = 0 on a held step, else the largest n <= 2 with v[t] > n * th[t]
    v[t] = v[t] - n[t] * th[t],   th[t] = theta0 + o[t mod T]

Also writes the CE-LIF network with delta synapses as a NIR file with
spikefab's extension node `spikefab.CELIF` (docs/nir.md): `celif_delta.nir`
with `celif_delta_{input,spikes,v}.npy`.

Writes `{celif,stdi}_net.ron` (spikefab's network format; also written as
the examples `celif.ron` and `stdi.ron` into the second folder, the latter
resetting to zero so that chips without a subtractive reset run it),
`{name}_input.npy` (uint8 [samples, steps, inputs]), `{name}_spikes.npy`
(uint8 [samples, steps, N]: whether the neuron fired) and `{name}_v.npy`
(float64 [samples, steps, N]: the membrane after its reset).
"""
import sys
from pathlib import Path

import numpy as np
import torch

from alif_reference import ron_dense, ron_list, write_nir

SAMPLES, STEPS, N_IN, N = 8, 60, 16, 16
torch.manual_seed(12)


def uniform(lo, hi, *shape):
    return torch.rand(*shape, dtype=torch.float64) * (hi - lo) + lo


def run_celif(p, e, w_in, w_rec, x):
    b = x.shape[0]
    i = torch.zeros(b, N, dtype=torch.float64)
    v, a, z = torch.zeros_like(i), torch.zeros_like(i), torch.zeros_like(i)
    zs, vs = [], []
    for t in range(x.shape[1]):
        i = p["alpha"] * i + x[:, t] @ w_in.T + z @ w_rec.T
        v = p["beta"] * v + i + p["bias"]
        a = p["adaptation"] * a
        z = (v > p["threshold"] + a + e[t % len(e)]).double()
        v = v * (1 - z)
        a = a + p["threshold_step"] * z
        zs.append(z)
        vs.append(v)
    return torch.stack(zs, 1), torch.stack(vs, 1)


def run_stdi(theta, bias, offsets, shifts, w_in, w_rec, x, most=2):
    """offsets[k] is None on a held step."""
    b = x.shape[0]
    v = torch.zeros(b, N, dtype=torch.float64)
    n = torch.zeros_like(v)
    ns, vs = [], []
    for t in range(x.shape[1]):
        k = t % len(offsets)
        v = v + 2.0 ** shifts[k] * (x[:, t] @ w_in.T + n @ w_rec.T) + bias
        n = torch.zeros_like(v)
        if offsets[k] is not None:
            th = theta + offsets[k]
            for _ in range(most):
                fire = (v > th).double()
                v = v - fire * th
                n = n + fire
        ns.append(n)
        vs.append(v)
    return torch.stack(ns, 1), torch.stack(vs, 1)


def ron_options(xs):
    return "[" + ", ".join("None" if x is None else f"Some({float(x)!r})" for x in xs) + "]"


def network_ron(name, neuron, reset, schedule, w_in, w_rec):
    return f"""(
    name: "{name}",
    dt: 0.001,
    inputs: [(name: "in", size: {N_IN})],
    populations: [(
        name: "{name}",
        size: {N},
        neuron: {neuron},
        reset: {reset},
        schedule: Some(({schedule})),
    )],
    projections: [
        (from: "in", to: "{name}", weights: {ron_dense(w_in)}),
        (from: "{name}", to: "{name}", weights: {ron_dense(w_rec)}),
    ],
    outputs: ["{name}"],
)
"""


def save(out: Path, examples: Path, name, ron, x, z, v, example=None):
    (out / f"{name}_net.ron").write_text(ron)
    (examples / f"{name}.ron").write_text(example or ron)
    np.save(out / f"{name}_input.npy", x.numpy().astype(np.uint8))
    np.save(out / f"{name}_spikes.npy", (z > 0).numpy().astype(np.uint8))
    np.save(out / f"{name}_v.npy", v.numpy())


def main(out: Path, examples: Path):
    out.mkdir(parents=True, exist_ok=True)

    # CE-LIF: per-neuron ALIF parameters and a 13-step embedding.
    p = dict(
        alpha=uniform(0.0, 0.6, N),
        beta=uniform(0.8, 0.95, N),
        threshold=uniform(0.8, 1.2, N),
        bias=uniform(-0.02, 0.05, N),
        adaptation=uniform(0.8, 0.98, N),
        threshold_step=uniform(0.1, 0.6, N),
    )
    e = uniform(-0.4, 0.5, 13)
    w_in = uniform(-0.2, 0.8, N, N_IN)
    w_rec = uniform(-0.3, 0.3, N, N)
    x = (torch.rand(SAMPLES, STEPS, N_IN) < 0.25).double()
    z, v = run_celif(p, e, w_in, w_rec, x)
    fields = ", ".join(f"{k}: {ron_list(val)}" for k, val in p.items())
    ron = network_ron("celif", f"Alif({fields})", "Zero", f"threshold: {ron_options(e)}", w_in, w_rec)
    save(out, examples, "celif", ron, x, z, v)
    z0, _ = run_celif(p, torch.zeros(1, dtype=torch.float64), w_in, w_rec, x)
    changed = (z0 != z).double().mean().item()
    print(f"celif: {int(z.sum())} spikes; the embedding changes {changed:.1%} of (neuron, step) pairs")
    assert changed > 0.05, changed

    # STDI-style: a 6-step window: hold, then thresholds theta * 2^-k.
    theta = uniform(0.8, 1.2, N)
    bias = uniform(-0.01, 0.03, N)
    offsets = [None] + [float(2.0 ** -k - 1.0) * 0.8 for k in range(5)]
    shifts = [1, 0, 0, -1, -1, -2]
    w_in = uniform(-0.35, 0.4, N, N_IN)
    w_rec = uniform(-0.3, 0.3, N, N)
    x = (torch.rand(SAMPLES, STEPS, N_IN) < 0.25).double()
    z, v = run_stdi(theta, bias, offsets, shifts, w_in, w_rec, x)
    neuron = f"If(threshold: {ron_list(theta)}, bias: {ron_list(bias)})"
    schedule = f"threshold: {ron_options(offsets)}, input_shift: {shifts}"
    ron = network_ron("stdi", neuron, "Subtract(max_spikes: 2)", schedule, w_in, w_rec)
    # The example resets to zero, so that chips without a subtractive reset
    # (loihi) run it too.
    example = network_ron("stdi", neuron, "Zero", schedule, w_in, w_rec)
    save(out, examples, "stdi", ron, x, z, v, example)
    print(f"stdi: {int((z > 0).sum())} neuron-steps fired, {int((z > 1).sum())} with two spikes")
    assert 0 < (z > 1).sum() < (z > 0).sum() and z[:, 0::6].sum() == 0

    # CE-LIF with delta synapses as spikefab's NIR extension node
    # spikefab.CELIF (alif_reference's fields, plus the embedding), its
    # parameters chosen so that NIR's forward-Euler reading at dt = 1e-3 is exact.
    p = dict(
        alpha=torch.zeros(N, dtype=torch.float64),
        beta=uniform(0.8, 0.95, N),
        threshold=uniform(0.8, 1.2, N),
        bias=uniform(-0.02, 0.05, N),
        adaptation=uniform(0.8, 0.98, N),
        threshold_step=uniform(0.1, 0.6, N),
    )
    e = uniform(-0.4, 0.5, 11)
    w_in = uniform(-0.2, 0.8, N, N_IN)
    w_rec = uniform(-0.3, 0.3, N, N)
    x = (torch.rand(SAMPLES, STEPS, N_IN) < 0.25).double()
    z, v = run_celif(p, e, w_in, w_rec, x)
    write_nir(out / "celif_delta.nir", p, w_in, w_rec, "spikefab.CELIF", {"embedding": e.numpy()})
    np.save(out / "celif_delta_input.npy", x.numpy().astype(np.uint8))
    np.save(out / "celif_delta_spikes.npy", z.numpy().astype(np.uint8))
    np.save(out / "celif_delta_v.npy", v.numpy())
    print(f"celif_delta: {int(z.sum())} spikes")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
