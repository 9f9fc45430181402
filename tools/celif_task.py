#!/usr/bin/env python3
"""The long-memory task of docs/models.md: pixel-by-pixel classification of
scikit-learn's bundled 8x8 digits with a *feed-forward* spiking network, one
pixel per step (64 steps), read out only after the last pixel. A neuron that
only leaks (LIF) forgets where in the image a pixel was; the adaptive
threshold (ALIF) keeps a trace of the neuron's own past; CE-LIF's contextual
embedding, a learned threshold offset per step, tells the neurons *when* they
are in the sequence (arXiv 2308.15150).

    python3 -m venv .venv && .venv/bin/pip install torch==2.15.0 numpy scikit-learn
    .venv/bin/python tools/celif_task.py compiler/tests/data/tasks

Trains the three models with surrogate gradients (BPTT) on the same split,
in float64, with spikefab's float semantics (reset to zero; ALIF's adaptation
decays before the spike test and rises after it; docs/models.md), and writes
for each `{lif,alif,celif}_digits.ron` (spikefab's network format), plus
`digits_test_input.npy` (uint8 [360, 64, 4]) and `digits_test_labels.npy`.
`spikefab simulate` of a network reproduces the trained float network; the
chip numbers come from `cargo run --release --example long_memory`.

Input: each pixel (0..16) as a 4-channel thermometer code (>= 1, 5, 9, 13).
Network: 4 -> 64 hidden (the model under test, no recurrence) -> 10
readouts that integrate (beta = 1); no biases (a chip's pipeline would
shift them); the class is the readout with the largest membrane after
step 63.
"""
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

from surrogate import FastSigmoid

torch.manual_seed(3)
np.random.seed(3)
torch.set_num_threads(2)
STEPS, CH, H, OUT = 64, 4, 64, 10
BETA, THETA, RHO, STEP = 0.9, 1.0, 0.96, 0.5


def data():
    d = load_digits()
    levels = np.array([1, 5, 9, 13])
    x = (d.images.reshape(-1, 64)[:, :, None] >= levels).astype(np.float64)  # [n, 64, 4]
    y = d.target
    idx = np.random.permutation(len(y))
    test, train = idx[:360], idx[360:]
    return (torch.tensor(x[train]), torch.tensor(y[train])), (torch.tensor(x[test]), torch.tensor(y[test]))


class Net(torch.nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.w_in = torch.nn.Parameter(torch.randn(H, CH, dtype=torch.float64) * 0.8)
        self.w_out = torch.nn.Parameter(torch.randn(OUT, H, dtype=torch.float64) * 0.1)
        # No biases: a chip pipelines each layer a step behind the one
        # before, and a bias a layer integrates before its input arrives
        # shifts its dynamics (a bias-driven rhythm by a step; docs/models.md)
        # CE-LIF's contextual embedding: one threshold offset per step
        self.e = torch.nn.Parameter(torch.zeros(STEPS, dtype=torch.float64))

    def forward(self, x, hard=False):
        b = x.shape[0]
        v = torch.zeros(b, H, dtype=torch.float64)
        a = torch.zeros_like(v)
        out = torch.zeros(b, OUT, dtype=torch.float64)
        spikes = 0
        for t in range(STEPS):
            v = BETA * v + x[:, t] @ self.w_in.T
            theta = torch.full_like(v, THETA)
            if self.kind != "lif":
                a = RHO * a
                theta = theta + a
            if self.kind == "celif":
                # thresholds stay >= 0.05 (spikefab refuses a negative one)
                theta = theta + self.e[t].clamp(min=0.05 - THETA)
            z = FastSigmoid.apply(v - theta) if not hard else (v > theta).double()
            v = v * (1 - z)
            if self.kind != "lif":
                a = a + STEP * z
            out = out + z @ self.w_out.T
            spikes = spikes + z.sum()
        return out, spikes / b


def train(kind, tr, te, epochs=150):
    net = Net(kind)
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    x, y = tr
    for ep in range(epochs):
        perm = torch.randperm(len(y))
        for i in range(0, len(y), 128):
            j = perm[i : i + 128]
            out, _ = net(x[j])
            loss = torch.nn.functional.cross_entropy(out, y[j])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        if ep % 50 == 49 or ep == epochs - 1:
            with torch.no_grad():
                out, s = net(te[0], hard=True)
                acc = (out.argmax(1) == te[1]).double().mean().item()
            print(f"{kind} epoch {ep + 1}: test {acc:.4f}, {s.item():.1f} hidden spikes per inference", flush=True)
    return net, acc


def ron_list(t):
    return "[" + ", ".join(repr(float(v)) for v in t) + "]"


def ron_dense(w):
    return "Dense([" + ", ".join(ron_list(r) for r in w) + "])"


def network_ron(kind, net):
    if kind == "lif":
        neuron = f"Lif(beta: {BETA}, threshold: {THETA})"
    else:
        neuron = f"Alif(beta: {BETA}, threshold: {THETA}, adaptation: {RHO}, threshold_step: {STEP})"
    schedule = ""
    if kind == "celif":
        e = net.e.detach().clamp(min=0.05 - THETA)
        schedule = f"\n        schedule: Some((threshold: [{', '.join(f'Some({float(v)!r})' for v in e)}])),"
    return f"""(
    name: "{kind}-digits",
    dt: 0.001,
    inputs: [(name: "pixels", size: {CH})],
    populations: [
        (
            name: "hidden",
            size: {H},
            neuron: {neuron},{schedule}
        ),
        (
            name: "readout",
            size: {OUT},
            neuron: Li(beta: 1.0),
        ),
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
    np.save(out / "digits_test_input.npy", te[0].numpy().astype(np.uint8))
    np.save(out / "digits_test_labels.npy", te[1].numpy().astype(np.int64))
    for kind in ["lif", "alif", "celif"]:
        net, acc = train(kind, tr, te)
        (out / f"{kind}_digits.ron").write_text(network_ron(kind, net))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
