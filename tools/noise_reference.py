#!/usr/bin/env python3
"""An independent PyTorch implementation of spikefab's noisy neuron (input
noise, uniform in [-A, A), added to every neuron's input each step;
docs/models.md) and the statistic compiler/tests/noise.rs checks the float
reference against: the firing rate of a leaky population that fires only
through its noise, with its standard error.

    python3 -m venv .venv && .venv/bin/pip install torch==2.15.0 numpy
    .venv/bin/python tools/noise_reference.py compiler/tests/data/noise examples/networks

Per step: v = beta * v + bias + U(-A, A); spike when v > theta; v = 0 then.
Without noise v settles at bias / (1 - beta) = 0.75 < theta: every spike is
the noise's. Writes `rates.json`: for each amplitude, the rate over
N neurons x STEPS steps and its standard error from R independent repeats.
Also writes the example `noisy.ron` into the second folder: 16 inputs -> 32
noisy leaky neurons -> 10 readouts, random weights.
"""
import json
import sys
from pathlib import Path

import torch

N, STEPS, REPEATS = 400, 500, 20
BETA, BIAS, THETA = 0.8, 0.15, 1.0
torch.manual_seed(21)


def rate(amplitude):
    v = torch.zeros(N, dtype=torch.float64)
    spikes = 0
    for _ in range(STEPS):
        noise = (torch.rand(N, dtype=torch.float64) * 2 - 1) * amplitude
        v = BETA * v + BIAS + noise
        z = v > THETA
        spikes += int(z.sum())
        v = torch.where(z, torch.zeros_like(v), v)
    return spikes / (N * STEPS)


def example(path: Path):
    from alif_reference import ron_dense

    w1 = (torch.rand(32, 16, dtype=torch.float64) * 0.8 - 0.2)
    w2 = (torch.rand(10, 32, dtype=torch.float64) * 1.0 - 0.5)
    path.write_text(f"""(
    name: "noisy",
    dt: 0.001,
    inputs: [(name: "in", size: 16)],
    populations: [
        (
            name: "noisy",
            size: 32,
            neuron: Lif(beta: 0.85, threshold: 1.0, bias: 0.05),
            noise: Some((amplitude: 0.25)),
        ),
        (name: "readout", size: 10, neuron: Li(beta: 0.9)),
    ],
    projections: [
        (from: "in", to: "noisy", weights: {ron_dense(w1)}),
        (from: "noisy", to: "readout", weights: {ron_dense(w2)}),
    ],
    outputs: ["noisy", "readout"],
    noise_seed: Some(7),
)
""")


def main(out: Path, examples: Path):
    out.mkdir(parents=True, exist_ok=True)
    result = {"n": N, "steps": STEPS, "beta": BETA, "bias": BIAS, "threshold": THETA, "amplitudes": []}
    for a in [0.25, 0.5, 1.0]:
        rs = torch.tensor([rate(a) for _ in range(REPEATS)], dtype=torch.float64)
        mean, se = rs.mean().item(), (rs.std() / REPEATS**0.5).item()
        sd = rs.std().item()
        print(f"amplitude {a}: rate {mean:.5f} ± {se:.5f} (one run's sd {sd:.5f})")
        result["amplitudes"].append({"amplitude": a, "rate": mean, "run_sd": sd})
    (out / "rates.json").write_text(json.dumps(result, indent=1) + "\n")
    example(examples / "noisy.ron")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
