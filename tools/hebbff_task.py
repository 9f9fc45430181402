#!/usr/bin/env python3
"""HebbFF on a chip (docs/models.md): continual familiarity detection by a
feed-forward spiking network whose input weights carry a fast anti-Hebbian
plastic component (D. Tyulmankov, G. R. Yang, L. F. Abbott, "Meta-learning
synaptic plasticity and memory addressing for continual familiarity
detection", Neuron 2022; arXiv 2311.05862).

    python3 -m venv .venv && .venv/bin/pip install torch==2.15.0 numpy
    .venv/bin/python tools/hebbff_task.py compiler/tests/data/tasks

Task: a stream of random binary items (D = 50 bits, half of them on), one
a step; each item is, with probability 1/2, a repeat of the item R steps
back (if that one was new), else new. The network answers every step:
familiar (a repeat) or not.

Network, the paper's HebbFF with spikes (Heaviside units trained through
a fast-sigmoid surrogate), one step an item:

    h[t] = H((W + A[t]) x[t] + b - 1)        64 memoryless LIF (beta 0)
    y[t] = H(w . h[t] + c - 1)               1 LIF: a spike is "familiar"
    A[t+1] = lam A[t] + eta h[t] x[t]^T      the plastic part, every step

W, b, w, c, lam and eta are meta-learned (BPTT through A over sequences
with repeat intervals 1..=10), eta kept negative (anti-Hebbian: the sign
the paper's meta-learning finds, fixed here so that training converges
in minutes). spikefab runs the same network with a
plastic projection: `plasticity: Some((rate: eta, decay: lam))`.

Writes `hebbff.ron`, `hebbff_test_input_r{R}.npy` (uint8 [1, 400, 50]) and
`hebbff_test_labels_r{R}.npy` (uint8 [400]) for R in 1, 2, 3, 5, 8, 12, 20.
"""
import sys
from pathlib import Path

import numpy as np
import torch

from alif_reference import ron_dense, ron_list
from surrogate import FastSigmoid

torch.manual_seed(2)
torch.set_num_threads(2)
rng = np.random.default_rng(2)
D, N, THETA = 50, 64, 1.0
TEST_R = [1, 2, 3, 5, 8, 12, 20]


def stream(steps, r):
    """([steps, D] items, [steps] labels): repeats of the item r back."""
    x = np.zeros((steps, D))
    y = np.zeros(steps)
    for t in range(steps):
        if t >= r and y[t - r] == 0 and rng.random() < 0.5:
            x[t], y[t] = x[t - r], 1
        else:
            x[t] = rng.random(D) < 0.5
    return x, y


class HebbFF(torch.nn.Module):
    def __init__(self):
        super().__init__()
        f64 = dict(dtype=torch.float64)
        self.w1 = torch.nn.Parameter(torch.randn(N, D, **f64) * 0.2)
        self.b1 = torch.nn.Parameter(torch.zeros(N, **f64))
        self.w2 = torch.nn.Parameter(torch.randn(N, **f64) * 0.2)
        self.b2 = torch.nn.Parameter(torch.zeros(1, **f64))
        self.lam_logit = torch.nn.Parameter(torch.tensor(2.2, **f64))  # lam = sigmoid: 0.9
        self.eta_raw = torch.nn.Parameter(torch.tensor(-1.5, **f64))  # eta = -softplus: -0.2

    def lam(self):
        return torch.sigmoid(self.lam_logit)

    @property
    def eta(self):
        return -torch.nn.functional.softplus(self.eta_raw)

    def forward(self, x):
        """x [b, steps, D] -> output membrane minus threshold [b, steps]."""
        b = x.shape[0]
        a = torch.zeros(b, N, D, dtype=torch.float64)
        out = []
        for t in range(x.shape[1]):
            xt = x[:, t]
            v = torch.einsum("nd,bd->bn", self.w1, xt) + torch.einsum("bnd,bd->bn", a, xt) + self.b1
            h = FastSigmoid.apply(v - THETA)
            u = h @ self.w2 + self.b2 - THETA
            out.append(u)
            a = self.lam() * a + self.eta * h[:, :, None] * xt[:, None, :]
        return torch.stack(out, 1)


def batch(n, steps, rs):
    xs, ys = zip(*[stream(steps, int(rng.choice(rs))) for _ in range(n)])
    return torch.tensor(np.array(xs)), torch.tensor(np.array(ys))


def accuracy(net, x, y):
    with torch.no_grad():
        return ((net(x) > 0).double() == y).double().mean().item()


def main(out: Path, iters=600):
    out.mkdir(parents=True, exist_ok=True)
    net = HebbFF()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for i in range(iters):
        x, y = batch(32, 60, range(1, 11))
        u = net(x)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(4 * u, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i % 100 == 0 or i == iters - 1:
            print(f"iter {i}: loss {loss.item():.4f}, lam {net.lam().item():.3f}, eta {net.eta.item():.3f}", flush=True)
    for r in TEST_R:
        x, y = stream(400, r)
        acc = accuracy(net, torch.tensor(x[None]), torch.tensor(y[None]))
        print(f"R = {r}: accuracy {acc:.3f}", flush=True)
        np.save(out / f"hebbff_test_input_r{r}.npy", x[None].astype(np.uint8))
        np.save(out / f"hebbff_test_labels_r{r}.npy", y.astype(np.uint8))
    lif = lambda b: f"Lif(beta: 0.0, threshold: {THETA}, bias: {ron_list(b)})"
    (out / "hebbff.ron").write_text(f"""(
    name: "hebbff",
    dt: 0.001,
    inputs: [(name: "items", size: {D})],
    populations: [
        (name: "hidden", size: {N}, neuron: {lif(net.b1.detach())}),
        (name: "familiar", size: 1, neuron: {lif(net.b2.detach())}),
    ],
    projections: [
        (
            from: "items",
            to: "hidden",
            weights: {ron_dense(net.w1.detach())},
            plasticity: Some((rate: {net.eta.item()!r}, decay: {net.lam().item()!r})),
        ),
        (from: "hidden", to: "familiar", weights: {ron_dense(net.w2.detach()[None])}),
    ],
    outputs: ["familiar"],
)
""")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 600)
