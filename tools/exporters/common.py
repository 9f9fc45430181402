"""What every exporter's fixture script shares: the input spikes, how a
fixture is written, and how an untrained layer's weights are drawn."""
from pathlib import Path

import nir
import numpy as np

STEPS = 40
SAMPLES = 32


def poisson(shape, rate=0.2):
    """uint8-valued float32 spikes, [SAMPLES, STEPS, *shape]."""
    return (np.random.rand(SAMPLES, STEPS, *shape) < rate).astype(np.float32)


def uniform_(weights, scale):
    """Weights mostly excitatory, so that an untrained layer fires."""
    weights.uniform_(-0.2 * scale, scale)


def int8_(*weights):
    """Symmetric 8-bit weights, one scale per layer: each becomes
    k * max|w| / 127 with k an integer. What a model trained
    quantization-aware for an 8-bit chip (Rockpool's Xylo flow, lava-dl's
    8-bit weights) exports; the `_int8` fixtures pair it with decays the
    chips hold exactly (1 - 2^-j), so that chip against float measures the
    compiler, not the formats' resolution."""
    import torch

    with torch.no_grad():
        for w in weights:
            step = w.abs().max() / 127
            w.copy_(torch.round(w / step) * step)


def shift_decay(j):
    """1 - 2^-j: a per-step decay both a 12-bit multiplier and a bit shift hold."""
    return 1.0 - 2.0**-j


def save(out: Path, name: str, graph, x, y):
    """`<name>.nir`, `<name>_input.npy`, `<name>_output.npy` (uint8: spikes
    or spike counts per step)."""
    y = np.asarray(y)
    assert y.max() < 256 and (y == np.round(y)).all(), f"{name}: outputs are not spike counts"
    out.mkdir(parents=True, exist_ok=True)
    nir.write(out / f"{name}.nir", graph)
    np.save(out / f"{name}_input.npy", x.astype(np.uint8))
    np.save(out / f"{name}_output.npy", y.astype(np.uint8))
    print(f"{name}: {int(y.sum())} output spikes, most in a step {int(y.max())}")


def mlp(sequence, linear, cell, scale, n_in=20, n_hidden=24, n_out=5):
    """`sequence(linear(n_in, n_hidden), cell(n_hidden), linear(n_hidden,
    n_out), cell(n_out))` with untrained weights drawn by `uniform_`."""
    import torch

    net = sequence(linear(n_in, n_hidden), cell(n_hidden), linear(n_hidden, n_out), cell(n_out))
    with torch.no_grad():
        uniform_(net[0].weight, scale)
        uniform_(net[2].weight, scale)
    return net
