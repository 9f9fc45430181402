#!/usr/bin/env python3
"""Cross-check spikefab's emulator against SANA-FE on the same network.

    python -m venv .venv && .venv/bin/pip install sanafe==2.2.9 numpy==2.4.6
    cargo build --release
    .venv/bin/python tools/sanafe_crosscheck.py [--steps 200] [--seed 1]

SANA-FE (Boyle et al., "SANA-FE: Simulating Advanced Neuromorphic
Architectures for Fast Exploration", IEEE TCAD 2025) is an independent,
published chip simulator that ships a Loihi model. This script builds one
bias-driven network (population A of integrate-and-fire neurons with integer
biases, a 25%-dense sparse projection of integer weights onto population B),
runs it in SANA-FE on its `loihi` architecture and in spikefab on the `loihi`
preset, and compares

  * every neuron's spike train (must be identical: both simulators use
    v <- v + I + bias, fire when v > threshold, reset to 0, and deliver a spike
    to the next layer one step later; all values are integers, so quantization
    is exact),
  * the event counts the energy models multiply (synaptic events, spikes,
    spike messages), which must be identical too,
  * the energy and latency estimates: both use the same per-event Loihi
    figures but charge neuron updates and synaptic events differently
    (docs/model.md explains each difference); the table shows by how much.

Nothing here is needed by `cargo test`; the output is the table in
docs/model.md ("Cross-check with SANA-FE").
"""
import argparse
import json
from importlib import metadata
import os
import subprocess
import sys
import tempfile

import numpy as np
import sanafe

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N_A, N_B = 64, 32
THRESH_A, THRESH_B = 64, 128


def network(seed):
    rng = np.random.default_rng(seed)
    bias = rng.integers(1, 16, N_A)
    pairs = [(a, b) for a in range(N_A) for b in range(N_B) if rng.random() < 0.25]
    # No zero weights: spikefab drops them from its tables, SANA-FE keeps them.
    weights = rng.choice([w for w in range(-8, 32) if w != 0], len(pairs))
    return bias, pairs, weights


def run_sanafe(bias, pairs, weights, steps):
    arch = sanafe.load_loihi()
    net = sanafe.Network()
    lif = {"threshold": float(THRESH_A), "reset": 0.0, "leak_decay": 1.0}
    a = net.create_neuron_group("A", N_A, model_attributes=lif, log_spikes=True)
    lif_b = dict(lif, threshold=float(THRESH_B))
    b = net.create_neuron_group("B", N_B, model_attributes=lif_b, log_spikes=True)
    for i, n in enumerate(a):
        n.set_attributes(model_attributes={"bias": float(bias[i])})
    a.connect_neurons_sparse(b, {"weight": [float(w) for w in weights]}, pairs)
    # Both populations on one core, where spikefab's packer puts them.
    for n in list(a) + list(b):
        n.map_to_core(arch.tiles[0].cores[0])
    chip = sanafe.SpikingChip(arch)
    chip.load(net)
    r = chip.sim(steps, spike_trace=True, timing_model="detailed")
    trains = np.zeros((steps, N_A + N_B), dtype=np.uint8)
    for t, fired in enumerate(r["spike_trace"]):
        for n in fired:
            group, idx = str(n).split(".")
            trains[t, int(idx) + (N_A if group == "B" else 0)] = 1
    return trains, r


def ron(bias, pairs, weights):
    syn = ", ".join(f"({b}, {a}, {w}.0)" for (a, b), w in zip(pairs, weights))
    bias_list = ", ".join(f"{b}.0" for b in bias)
    return f"""(
    name: "sanafe-crosscheck",
    dt: 0.001,
    inputs: [(name: "unused", size: 1)],
    populations: [
        (name: "A", size: {N_A}, neuron: If(threshold: {THRESH_A}.0, bias: [{bias_list}])),
        (name: "B", size: {N_B}, neuron: If(threshold: {THRESH_B}.0, bias: 0.0)),
    ],
    projections: [
        (from: "A", to: "B", weights: Sparse(targets: {N_B}, sources: {N_A}, synapses: [{syn}]), delay: 0),
    ],
    outputs: ["A", "B"],
)
"""


def run_spikefab(bias, pairs, weights, steps, exe):
    with tempfile.TemporaryDirectory() as tmp:
        net = os.path.join(tmp, "net.ron")
        with open(net, "w") as f:
            f.write(ron(bias, pairs, weights))
        prog = os.path.join(tmp, "net.sfc")
        subprocess.run([exe, "compile", net, "--arch", "loihi", "-o", prog], check=True,
                       stdout=subprocess.DEVNULL)
        inp = os.path.join(tmp, "in.npy")
        np.save(inp, np.zeros((steps, 1), dtype=np.uint8))
        out = os.path.join(tmp, "out")
        subprocess.run([exe, "run", prog, "--input", inp, "--out", out, "--quiet"], check=True)
        trains = np.load(os.path.join(out, "spikes.npy"))
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
    return trains, report


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--exe", default=os.path.join(REPO, "target", "release", "spikefab"))
    args = ap.parse_args()

    bias, pairs, weights = network(args.seed)
    sf_trains, sf = run_sanafe(bias, pairs, weights, args.steps)
    sp_trains, rep = run_spikefab(bias, pairs, weights, args.steps, args.exe)
    if sf_trains.shape != sp_trains.shape:
        sys.exit(f"spike arrays differ in shape: {sf_trains.shape} vs {sp_trains.shape}")
    diff = int((sf_trains != sp_trains).sum())

    # SANA-FE counts a spike's synaptic events in the step it is sent, spikefab
    # when it arrives one step later: the last step's spikes are still in flight.
    fan_out = np.zeros(N_A, dtype=np.int64)
    for a, _ in pairs:
        fan_out[a] += 1
    in_flight = int((sp_trains[-1, :N_A] * fan_out).sum())
    tot, en, lat = rep["totals"], rep["energy"], rep["latency"]
    sfe = sf["energy"]
    rows = [
        ("differing (step, neuron) spike entries", diff, 0),
        ("spikes fired", sf["neurons_fired"], tot["spikes"]),
        ("spike messages sent", sf["packets_sent"], tot["messages_out"]),
        ("synaptic events (+ in flight at the end)", sf["spikes"],
         f'{tot["synaptic_ops"]} + {in_flight}'),
        ("neuron updates (spikefab: active / all)", sf["neurons_updated"],
         f'{tot["active_neuron_updates"]} / {tot["neuron_updates"]}'),
        ("synapse energy (nJ)", f'{sfe["synapse"] * 1e9:.1f}', f'{en["synaptic_pj"] / 1e3:.1f}'),
        ("neuron + spike-out energy (nJ)", f'{sfe["soma"] * 1e9:.1f}',
         f'{(en["neuron_pj"] + en["spike_out_pj"]) / 1e3:.1f}'),
        ("message + NoC energy (nJ)", f'{sfe["network"] * 1e9:.1f}',
         f'{(en["axon_in_pj"] + en["axon_out_pj"] + en["noc_pj"]) / 1e3:.1f}'),
        ("total energy (nJ)", f'{sfe["total"] * 1e9:.1f}', f'{en["total_pj"] / 1e3:.1f}'),
        ("chip time (µs)", f'{sf["sim_time"] * 1e6:.1f}', f'{lat["total_ns"] / 1e3:.1f}'),
    ]
    print(f"sanafe {metadata.version('sanafe')} vs spikefab, "
          f"{N_A}+{N_B} neurons, {len(pairs)} synapses, {args.steps} steps, seed {args.seed}\n")
    print("| quantity | SANA-FE (loihi) | spikefab (loihi) |")
    print("|---|---:|---:|")
    for name, x, y in rows:
        print(f"| {name} | {x} | {y} |")

    exact = (diff == 0 and sf["neurons_fired"] == tot["spikes"]
             and sf["packets_sent"] == tot["messages_out"]
             and sf["spikes"] == tot["synaptic_ops"] + in_flight)
    if not exact:
        sys.exit("spike trains or event counts disagree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
