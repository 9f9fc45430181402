#!/usr/bin/env python3
"""The NSNN robustness task of docs/models.md: the same spiking network
trained deterministically and with noisy neurons (Ma et al., "Exploiting
noise as a resource for computation and learning in spiking neural
networks", arXiv 2305.16044), on scikit-learn's bundled 8x8 digits.

    python3 -m venv .venv && .venv/bin/pip install torch==2.15.0 numpy scikit-learn
    .venv/bin/python tools/nsnn_task.py compiler/tests/data/tasks

Input: each pixel (0..16) as a deterministic rate code over 16 steps (a
spike whenever the running sum of pixel/16, started at 1/2, passes a whole).
Network: 64 -> 64 LIF (beta 0.9, threshold 1, delta synapses, no biases) ->
10 integrating readouts; the class is the largest readout after step 15.

Deterministic: spikes z = H(v - theta), trained through a fast-sigmoid
surrogate. Noisy (NSNN): every hidden neuron's input gets uniform noise in
[-A, A) each step (A = 1 and 2), at training and at inference, so a spike is a Bernoulli
event with P = clip((v - theta + A) / 2A, 0, 1); the noise-driven learning
rule's gradient is that probability's derivative, the noise's density
1/2A inside the band (NSNN's "noise-driven learning": the surrogate is the
noise's pdf, not a chosen shape). spikefab's noisy neuron is exactly this:
uniform input noise (docs/models.md).

Writes `nsnn_deterministic.ron`, `nsnn_noisy.ron` (amplitude 1) and
`nsnn_noisy_a2.ron` (amplitude 2), `nsnn_test_input.npy` (uint8
[360, 16, 64]) and `nsnn_test_labels.npy`.
"""
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

from alif_reference import ron_dense
from surrogate import FastSigmoid

torch.manual_seed(7)
np.random.seed(7)
torch.set_num_threads(2)
STEPS, IN, H, OUT = 16, 64, 64, 10
BETA, THETA = 0.9, 1.0
AMPLITUDES = [1.0, 2.0]  # of the noisy networks, in input units


def encode(images):
    """[n, 64] pixels 0..16 -> [n, STEPS, 64] spikes, the rate code above."""
    x = images / 16.0
    acc = np.full_like(x, 0.5)
    out = np.zeros((len(x), STEPS, IN))
    for t in range(STEPS):
        acc += x
        fire = acc >= 1.0
        acc -= fire
        out[:, t] = fire
    return out


def data():
    d = load_digits()
    idx = np.random.permutation(len(d.target))
    x = encode(d.images.reshape(-1, 64)[idx])
    y = d.target[idx]
    return (torch.tensor(x[360:]), torch.tensor(y[360:])), (torch.tensor(x[:360]), torch.tensor(y[:360]))


class NoiseDriven(torch.autograd.Function):
    """A spike of the noisy neuron; the gradient is the noise's density."""

    @staticmethod
    def forward(ctx, v_minus_theta, noise, a):
        ctx.save_for_backward(v_minus_theta)
        ctx.a = a
        return (v_minus_theta + noise > 0).double()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() < ctx.a).double() / (2 * ctx.a), None, None


class Net(torch.nn.Module):
    def __init__(self, noisy):
        """`noisy`: the noise amplitude, or 0 for the deterministic network."""
        super().__init__()
        self.noisy = noisy
        self.w_in = torch.nn.Parameter(torch.randn(H, IN, dtype=torch.float64) * 0.3)
        self.w_out = torch.nn.Parameter(torch.randn(OUT, H, dtype=torch.float64) * 0.1)

    def forward(self, x):
        v = torch.zeros(x.shape[0], H, dtype=torch.float64)
        out = torch.zeros(x.shape[0], OUT, dtype=torch.float64)
        for t in range(STEPS):
            i = x[:, t] @ self.w_in.T
            if self.noisy:
                noise = (torch.rand_like(v) * 2 - 1) * self.noisy
                v = BETA * v + i
                z = NoiseDriven.apply(v - THETA, noise, self.noisy)
                # spikefab adds the noise to the input: it stays in v
                v = (v + noise) * (1 - z)
            else:
                v = BETA * v + i
                z = FastSigmoid.apply(v - THETA)
                v = v * (1 - z)
            out = out + z @ self.w_out.T
        return out


def train(noisy, tr, te, epochs=80):
    label = f"noisy (amplitude {noisy})" if noisy else "deterministic"
    return fit(Net(noisy), tr, te, epochs, label)


def fit(net, tr, te, epochs, label):
    """Adam (lr 0.01, cosine-annealed) on cross-entropy of the readouts over
    minibatches of 128; prints and returns the trained `net`. The digits
    tasks share it (tools/dendrite_task.py)."""
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    x, y = tr
    for _ in range(epochs):
        perm = torch.randperm(len(y))
        for i in range(0, len(y), 128):
            j = perm[i : i + 128]
            loss = torch.nn.functional.cross_entropy(net(x[j]), y[j])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    with torch.no_grad():
        acc = (net(te[0]).argmax(1) == te[1]).double().mean().item()
    print(f"{label}: test {acc:.4f}", flush=True)
    return net


def network_ron(name, net):
    noise = f"\n            noise: Some((amplitude: {net.noisy})),," if net.noisy else ""
    noise = noise.replace(",,", ",")
    seed = "\n    noise_seed: Some(1)," if net.noisy else ""
    return f"""(
    name: "{name}",
    dt: 0.001,
    inputs: [(name: "pixels", size: {IN})],
    populations: [
        (
            name: "hidden",
            size: {H},
            neuron: Lif(beta: {BETA}, threshold: {THETA}),{noise}
        ),
        (name: "readout", size: {OUT}, neuron: Li(beta: 1.0)),
    ],
    projections: [
        (from: "pixels", to: "hidden", weights: {ron_dense(net.w_in.detach())}),
        (from: "hidden", to: "readout", weights: {ron_dense(net.w_out.detach())}),
    ],
    outputs: ["readout"],{seed}
)
"""


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    tr, te = data()
    np.save(out / "nsnn_test_input.npy", te[0].numpy().astype(np.uint8))
    np.save(out / "nsnn_test_labels.npy", te[1].numpy().astype(np.int64))
    for noisy in [0.0] + AMPLITUDES:
        net = train(noisy, tr, te)
        name = {0.0: "nsnn_deterministic", 1.0: "nsnn_noisy"}.get(noisy, f"nsnn_noisy_a{noisy:g}")
        (out / f"{name}.ron").write_text(network_ron(name.replace("_", "-"), net))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
