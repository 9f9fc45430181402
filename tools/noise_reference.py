#!/usr/bin/env python3
"""An independent PyTorch implementation of spikefab's noisy neuron (input
noise, uniform in [-A, A), added to every neuron's input each step;
docs/models.md) and the statistic compiler/tests/noise.rs checks the float
reference against: the firing rate of a leaky population that fires only
through its noise, with its standard error.

    python3 -m venv .venv && .venv/bin/pip install torch==2.15.0 numpy
    .venv/bin/python tools/noise_reference.py compiler/tests/data/noise

Per step: v = beta * v + bias + U(-A, A); spike when v > theta; v = 0 then.
Without noise v settles at bias / (1 - beta) = 0.75 < theta: every spike is
the noise's. Writes `rates.json`: for each amplitude, the rate over
N neurons x STEPS steps and its standard error from R independent repeats.
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


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    result = {"n": N, "steps": STEPS, "beta": BETA, "bias": BIAS, "threshold": THETA, "amplitudes": []}
    for a in [0.25, 0.5, 1.0]:
        rs = torch.tensor([rate(a) for _ in range(REPEATS)], dtype=torch.float64)
        mean, se = rs.mean().item(), (rs.std() / REPEATS**0.5).item()
        sd = rs.std().item()
        print(f"amplitude {a}: rate {mean:.5f} ± {se:.5f} (one run's sd {sd:.5f})")
        result["amplitudes"].append({"amplitude": a, "rate": mean, "run_sd": sd})
    (out / "rates.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
