#!/usr/bin/env python3
"""The TeCoS-LVM task of docs/models.md: a spiking latent-variable model of
retinal responses to natural-image-like movies, with temporal conditioning
(Ma, Jiang, Yan, Tang, "Temporal Conditioning Spiking Latent Variable Models
of the Neural Response to Natural Visual Scenes", NeurIPS 2023, arXiv
2306.12045), against a deterministic spiking network of the same shape.

    python3 -m venv .venv && .venv/bin/pip install torch==2.15.0 numpy
    .venv/bin/python tools/tecos_task.py compiler/tests/data/tasks

No recordings are reachable here, so the "retina" is a ground-truth model:

- stimulus: 8x8-pixel movies, each frame spatially 1/f ("natural-image-like")
  and correlated in time (AR(1), rho = 0.9), zero mean, unit variance;
- 16 retinal ganglion cells, a linear-nonlinear-Poisson population: ON and
  OFF centre-surround (difference-of-Gaussians) receptive fields on a 4x4
  grid, a biphasic temporal filter over the last 6 frames, an exponential
  nonlinearity, a Bernoulli spike per 10 ms step (P = 1 - exp(-rate dt)).

Input to the networks: each pixel's positive and negative parts as ON and
OFF channels (128), a deterministic sigma-delta code (a spike whenever the
running sum of 0.5 |pixel| passes a whole), so chip and float see the
same spikes.

Model (spikefab's network format, feed-forward order H, Z, R):

    h[t] = LIF(x[t], h[t-1])         64 neurons, recurrent: the hidden state
                                     that carries the stimulus history (the
                                     temporal conditioning; no temporal filter)
    z[t] ~ noisy LIF(h[t])           32 latent neurons: their input noise makes
                                     z a sample of p(z | h), the prior
    r[t] ~ noisy LIF(z[t], h[t])     16 output neurons, one per cell: spikes
                                     sampled from p(r | z, h)

A noisy neuron's spike has probability clip((v - theta + A) / 2A, 0, 1)
(uniform input noise of amplitude A, NSNN's neuron, docs/models.md): the
output layer is fitted by the exact likelihood of the recorded spikes
(teacher-forced: the recorded spike resets the neuron, and the noise that
stays in its membrane is drawn given it), the latent layer through NSNN's
noise-driven gradient. Not from the paper (its text is not reachable here; said in
docs/models.md): no variational encoder q(z | x, h, r) — the generative
path is trained directly, which is what a chip runs — and the latent does
not feed back into h (a chip pipelines each layer a step later, so a z -> h
projection would need a delay).

Deterministic baseline: the same three layers without noise, trained
through a fast-sigmoid surrogate to the trial-averaged response (a
deterministic network cannot do better than the PSTH).

Writes `tecos_noisy.ron`, `tecos_deterministic.ron`,
`tecos_test_input.npy` (uint8 [clips, steps, 128]) and
`tecos_test_responses.npy` (uint8 [clips, repeats, steps, 16]: the ground
truth's held-out trials).
"""
import sys
from pathlib import Path

import numpy as np
import torch

from alif_reference import ron_dense, ron_list
from nsnn_task import NoiseDriven
from surrogate import FastSigmoid

torch.manual_seed(5)
torch.set_num_threads(2)
rng = np.random.default_rng(5)

SIDE, CELLS, STEPS, DT = 8, 16, 200, 0.01
IN, H, Z = 2 * SIDE * SIDE, 64, 32
TRAIN_CLIPS, TRAIN_REPEATS, TEST_CLIPS, TEST_REPEATS = 30, 5, 4, 30
BETA, THETA = 0.8, 1.0
A_Z, A_R = 0.5, 1.0  # input-noise amplitudes of the latent and output layers


def movie(steps):
    """[steps, 64]: 1/f frames, AR(1) in time, unit variance."""
    f = np.fft.fftfreq(SIDE)
    amp = 1.0 / np.maximum(np.hypot(*np.meshgrid(f, f)), 1.0 / SIDE)
    frames = np.zeros((steps, SIDE, SIDE))
    s = np.zeros((SIDE, SIDE))
    for t in range(steps):
        white = np.fft.fft2(rng.standard_normal((SIDE, SIDE)))
        xi = np.real(np.fft.ifft2(white * amp))
        xi /= xi.std()
        s = 0.9 * s + np.sqrt(1 - 0.81) * xi
        frames[t] = s
    return frames.reshape(steps, -1)


def retina():
    """The ground truth's spatial filters [16, 64], temporal filter, gains."""
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    w = []
    for k in range(CELLS):
        cy, cx = 1 + 2 * (k // 4), 1 + 2 * (k % 4)
        d2 = (yy - cy) ** 2 + (xx - cx) ** 2
        dog = np.exp(-d2 / 2.0) - 0.6 * np.exp(-d2 / 8.0) / 4.0
        w.append((1 if k % 2 == 0 else -1) * dog.ravel() / np.abs(dog).sum())
    temporal = np.array([0.4, 1.0, 0.6, -0.1, -0.4, -0.3])
    return np.array(w), temporal


def respond(frames, w, temporal, repeats):
    """[repeats, steps, 16] Bernoulli spikes of the LNP cells."""
    drive = frames @ w.T  # [steps, 16]
    g = np.zeros_like(drive)
    for tau, k in enumerate(temporal):
        g[tau:] += k * drive[: len(drive) - tau]
    rate = np.minimum(np.exp(2.0 + 3.0 * g), 150.0)  # Hz: ~7 Hz at rest
    p = 1.0 - np.exp(-rate * DT)
    return (rng.random((repeats,) + p.shape) < p).astype(np.uint8)


def encode(frames):
    """[steps, 64] pixels -> [steps, 128] ON/OFF sigma-delta spikes."""
    x = np.concatenate([np.maximum(frames, 0), np.maximum(-frames, 0)], 1) * 0.5
    acc = np.full(x.shape[1], 0.5)
    out = np.zeros_like(x)
    for t in range(len(x)):
        acc += np.minimum(x[t], 1.0)
        fire = acc >= 1.0
        acc -= fire
        out[t] = fire
    return out


class Net(torch.nn.Module):
    def __init__(self, noisy):
        super().__init__()
        self.noisy = noisy
        def p(scale, *shape):
            return torch.nn.Parameter(torch.randn(*shape, dtype=torch.float64) * scale)

        self.w_xh, self.w_hh = p(0.1, H, IN), p(0.05, H, H)
        self.w_hz, self.w_zr, self.w_hr = p(0.15, Z, H), p(0.15, CELLS, Z), p(0.1, CELLS, H)
        self.b_h = torch.nn.Parameter(torch.zeros(H, dtype=torch.float64))
        self.b_z = torch.nn.Parameter(torch.zeros(Z, dtype=torch.float64))
        self.b_r = torch.nn.Parameter(torch.full((CELLS,), 0.3, dtype=torch.float64))

    def forward(self, x, target=None):
        """x [b, steps, 128]; target [b, steps, 16] (teacher-forced resets).
        Returns the output spikes and, noisy, the log-likelihood of `target`."""
        b = x.shape[0]
        h = torch.zeros(b, H, dtype=torch.float64)
        vh, vz, vr = h.clone(), torch.zeros(b, Z, dtype=torch.float64), torch.zeros(b, CELLS, dtype=torch.float64)
        ll, rs = 0.0, []
        for t in range(x.shape[1]):
            vh = BETA * vh + x[:, t] @ self.w_xh.T + h @ self.w_hh.T + self.b_h
            h = FastSigmoid.apply(vh - THETA)
            vh = vh * (1 - h)
            vz = BETA * vz + h @ self.w_hz.T + self.b_z
            vr = BETA * vr + h @ self.w_hr.T + self.b_r
            if self.noisy:
                nz = (torch.rand_like(vz) * 2 - 1) * A_Z
                z = NoiseDriven.apply(vz - THETA, nz, A_Z)
                vz = (vz + nz) * (1 - z)
                vr = vr + z @ self.w_zr.T
                p = ((vr - THETA + A_R) / (2 * A_R)).clamp(1e-4, 1 - 1e-4)
                u = torch.rand_like(vr)
                if target is None:
                    nr = (u * 2 - 1) * A_R
                    r = (vr + nr > THETA).double()
                else:
                    # the recorded spike, and the noise drawn given it: above
                    # theta - v when the cell fired, below it when it did not
                    r = target[:, t]
                    ll = ll + (r * p.log() + (1 - r) * (1 - p).log()).sum()
                    edge = (THETA - vr).detach().clamp(-A_R, A_R)
                    nr = torch.where(r > 0, edge + u * (A_R - edge), -A_R + u * (edge + A_R))
                vr = (vr + nr) * (1 - r)
            else:
                z = FastSigmoid.apply(vz - THETA)
                vz = vz * (1 - z)
                vr = vr + z @ self.w_zr.T
                r = FastSigmoid.apply(vr - THETA)
                vr = vr * (1 - r)
            rs.append(r)
        return torch.stack(rs, 1), ll


def train(noisy, x, y, epochs):
    net = Net(noisy)
    opt = torch.optim.Adam(net.parameters(), lr=0.005)
    for e in range(epochs):
        if noisy:
            _, ll = net(x, y)
            loss = -ll / y.numel()
        else:
            r, _ = net(x)
            # one trial a sequence: the optimum is the trial average
            loss = ((r - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if e % 50 == 0 or e == epochs - 1:
            print(f"{'noisy' if noisy else 'deterministic'} epoch {e}: loss {loss.item():.4f}", flush=True)
    return net


def network_ron(name, net):
    noise = lambda a: f"\n            noise: Some((amplitude: {a}))," if net.noisy else ""
    lif = lambda b: f"Lif(beta: {BETA}, threshold: {THETA}, bias: {ron_list(b.detach())})"
    seed = "\n    noise_seed: Some(1)," if net.noisy else ""
    return f"""(
    name: "{name}",
    dt: {DT},
    inputs: [(name: "movie", size: {IN})],
    populations: [
        (name: "hidden", size: {H}, neuron: {lif(net.b_h)}),
        (
            name: "latent",
            size: {Z},
            neuron: {lif(net.b_z)},{noise(A_Z)}
        ),
        (
            name: "cells",
            size: {CELLS},
            neuron: {lif(net.b_r)},{noise(A_R)}
        ),
    ],
    projections: [
        (from: "movie", to: "hidden", weights: {ron_dense(net.w_xh.detach())}),
        (from: "hidden", to: "hidden", weights: {ron_dense(net.w_hh.detach())}),
        (from: "hidden", to: "latent", weights: {ron_dense(net.w_hz.detach())}),
        (from: "hidden", to: "cells", weights: {ron_dense(net.w_hr.detach())}),
        (from: "latent", to: "cells", weights: {ron_dense(net.w_zr.detach())}),
    ],
    outputs: ["cells"],{seed}
)
"""


def main(out: Path, epochs=400):
    out.mkdir(parents=True, exist_ok=True)
    w, temporal = retina()
    xs, ys = [], []
    for _ in range(TRAIN_CLIPS):
        m = movie(STEPS)
        r = respond(m, w, temporal, TRAIN_REPEATS)
        xs += [encode(m)] * TRAIN_REPEATS
        ys += list(r)
    x, y = torch.tensor(np.array(xs)), torch.tensor(np.array(ys), dtype=torch.float64)
    test_x, test_y = [], []
    for _ in range(TEST_CLIPS):
        m = movie(STEPS)
        test_x.append(encode(m))
        test_y.append(respond(m, w, temporal, TEST_REPEATS))
    np.save(out / "tecos_test_input.npy", np.array(test_x).astype(np.uint8))
    np.save(out / "tecos_test_responses.npy", np.array(test_y).astype(np.uint8))
    print(f"ground truth: {y.mean().item() / DT:.1f} Hz mean rate", flush=True)
    for noisy in [True, False]:
        net = train(noisy, x, y, epochs)
        name = "tecos_noisy" if noisy else "tecos_deterministic"
        (out / f"{name}.ron").write_text(network_ron(name.replace("_", "-"), net))
        with torch.no_grad():
            tx = torch.tensor(np.array(test_x))
            r = torch.stack([net(tx)[0] for _ in range(TEST_REPEATS)], 1).numpy()
        gt = np.array(test_y)
        psth = lambda s: s.mean(1)  # [clips, steps, cells]
        cc = np.mean([np.corrcoef(psth(r)[:, 10:, c].ravel(), psth(gt)[:, 10:, c].ravel())[0, 1] for c in range(CELLS)])
        print(f"{name}: rate {r.mean() / DT:.1f} Hz (truth {gt.mean() / DT:.1f}); PSTH correlation {cc:.3f}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 400)
