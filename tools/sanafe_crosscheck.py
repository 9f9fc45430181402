#!/usr/bin/env python3
"""Cross-check spikefab's energy and latency against SANA-FE, network by network.

    python -m venv .venv-sanafe && .venv-sanafe/bin/pip install sanafe==2.2.9 numpy==2.4.6
    cargo build --release
    .venv-sanafe/bin/python tools/sanafe_crosscheck.py [--steps 100] [--markdown --variants]

SANA-FE (Boyle et al., "SANA-FE: Simulating Advanced Neuromorphic
Architectures for Fast Exploration", IEEE TCAD 2025) is an independent,
published chip simulator whose Loihi model was calibrated against silicon
(energy within 12%, latency within 25% on three applications). This script
builds each network below twice — in SANA-FE on its `loihi` architecture and
in spikefab on the `loihi` preset — with the same neurons on the same cores
(spikefab's `compile --placement`), the same input spikes sent from the same
cores, and compares

  * every neuron's spike train and every event count (must be identical:
    integrate-and-fire neurons, integer weights and biases, thresholds that
    quantize exactly; a spike sent in step t is integrated in step t+1 in
    both),
  * total energy and latency, and energy per op class (synapse, soma =
    neuron updates + spike generation, network = messages + hops), as
    spikefab / SANA-FE ratios.

It exits non-zero when spikes or counts differ, or when a total energy or
latency ratio leaves [1 - tolerance, 1 + tolerance] (default 5%).
Nothing here is needed by `cargo test` unless SANA-FE is installed
(tests/sanafe.rs runs it then); `--markdown` prints the table in
docs/model.md ("Cross-check with SANA-FE").
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata

import numpy as np
import sanafe

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TILES_X, TILES_Y, CORES_PER_TILE = 8, 4, 4  # spikefab's loihi preset = SANA-FE's loihi.yaml


@dataclass
class Layer:
    name: str
    size: int
    threshold: int = 64
    bias: list = None  # per-neuron integer bias (None: 0)
    cores: list = field(default_factory=list)  # [(physical core, neurons)], spikefab numbering


@dataclass
class Net:
    name: str
    what: str
    inputs: list  # [Layer] (threshold unused); spikes drawn at `rate`
    layers: list  # [Layer]
    edges: list  # [(src name, dst name, [(src, dst, weight)])]
    rate: float = 0.0


def sparse(rng, n_src, n_dst, p, lo=-8, hi=31, self_loops=True):
    pairs = [(s, d) for s in range(n_src) for d in range(n_dst)
             if rng.random() < p and (self_loops or s != d)]
    # No zero weights: spikefab drops them from its tables, SANA-FE keeps them.
    w = rng.choice([x for x in range(lo, hi + 1) if x != 0], len(pairs))
    return [(s, d, int(x)) for (s, d), x in zip(pairs, w)]


def networks(seed):
    r = np.random.default_rng(seed)
    nets = []
    # 1. Bias-driven, one core (the original cross-check).
    a = Layer("A", 64, 64, [int(b) for b in r.integers(1, 16, 64)], [(0, 64)])
    b = Layer("B", 32, 128, None, [(0, 32)])
    nets.append(Net("bias-1core", "64 bias-driven IF → 32, 25% sparse, one core",
                    [], [a, b], [("A", "B", sparse(r, 64, 32, 0.25))]))
    # 2. Feed-forward 64-64-64, one core per layer, inputs on a core of their own.
    i = Layer("in", 64, cores=[(0, 64)])
    h = Layer("h", 64, 64, None, [(1, 64)])
    o = Layer("out", 64, 64, None, [(2, 64)])
    nets.append(Net("ff-64-64-64", "input 64 → 64 → 64, 50% dense, one tile",
                    [i], [h, o], [("in", "h", sparse(r, 64, 64, 0.5)),
                                  ("h", "out", sparse(r, 64, 64, 0.5))], rate=0.2))
    # 3. Sparse 256 → 256, input driven.
    i = Layer("in", 256, cores=[(0, 256)])
    o = Layer("out", 256, 64, None, [(1, 256)])
    nets.append(Net("sparse-256", "input 256 → 256, 5% sparse",
                    [i], [o], [("in", "out", sparse(r, 256, 256, 0.05))], rate=0.3))
    # 4. Multi-tile: layers far apart on the mesh.
    i = Layer("in", 64, cores=[(0, 64)])
    l1 = Layer("l1", 128, 64, None, [(21, 64), (46, 64)])
    l2 = Layer("l2", 128, 64, None, [(75, 128)])
    o = Layer("out", 32, 64, None, [(127, 32)])
    nets.append(Net("multi-tile", "input 64 → 128 → 128 → 32 over 5 cores in 5 tiles",
                    [i], [l1, l2, o], [("in", "l1", sparse(r, 64, 128, 0.3)),
                                       ("l1", "l2", sparse(r, 128, 128, 0.2)),
                                       ("l2", "out", sparse(r, 128, 32, 0.3))], rate=0.25))
    # 5. A full core: 1,024 neurons, bias-driven, fed by inputs from another tile.
    i = Layer("in", 128, cores=[(4, 128)])
    big = Layer("big", 1024, 128, [int(b) for b in r.integers(0, 6, 1024)], [(0, 1024)])
    nets.append(Net("big-core", "input 128 → 1,024 neurons on one core, 2% sparse, biases",
                    [i], [big], [("in", "big", sparse(r, 128, 1024, 0.02))], rate=0.1))
    # 6. Recurrent: a population feeding itself across two tiles.
    i = Layer("in", 64, cores=[(0, 64)])
    rec = Layer("rec", 200, 64, None, [(1, 100), (5, 100)])
    o = Layer("out", 20, 64, None, [(9, 20)])
    nets.append(Net("recurrent", "input 64 → 200 recurrent (5%) → 20, three tiles",
                    [i], [rec, o], [("in", "rec", sparse(r, 64, 200, 0.1)),
                                    ("rec", "rec", sparse(r, 200, 200, 0.05, -12, 20, False)),
                                    ("rec", "out", sparse(r, 200, 20, 0.2))], rate=0.2))
    # 7. Input-heavy: many busy inputs on two cores, few neurons.
    i = Layer("in", 512, cores=[(8, 256), (12, 256)])
    o = Layer("out", 64, 128, None, [(9, 64)])
    nets.append(Net("input-heavy", "input 512 (p = 0.5) from two tiles → 64, 10% sparse",
                    [i], [o], [("in", "out", sparse(r, 512, 64, 0.1))], rate=0.5))
    return nets


def input_spikes(net, steps, seed):
    rng = np.random.default_rng(seed + 1000)
    n = sum(i.size for i in net.inputs)
    return (rng.random((steps, n)) < net.rate).astype(np.uint8)


def sanafe_core(arch, core):
    """spikefab numbers tiles row-major (x fastest); SANA-FE column-major."""
    tile = core // CORES_PER_TILE
    x, y = tile % TILES_X, tile // TILES_X
    return arch.tiles[x * TILES_Y + y].cores[core % CORES_PER_TILE]


def run_sanafe(net, spikes, steps):
    arch = sanafe.load_loihi()
    snn = sanafe.Network()
    groups, offsets, total = {}, {}, 0
    col = 0
    for layer in net.inputs:
        g = snn.create_neuron_group(layer.name, layer.size, log_spikes=True)
        groups[layer.name] = g
        offsets[layer.name] = total
        total += layer.size
        k = 0
        per_core = {}
        for core, count in layer.cores:
            for _ in range(count):
                slot = per_core.get(core, 0)
                per_core[core] = slot + 1
                # Each input neuron needs its own input unit (SANA-FE's input
                # model holds one spike train per unit).
                g[k].set_attributes(soma_hw_name=f"loihi_inputs[{slot}]",
                                    model_attributes={"spikes": [bool(s) for s in spikes[:, col]]})
                g[k].map_to_core(sanafe_core(arch, core))
                k += 1
                col += 1
    for layer in net.layers:
        attrs = {"threshold": float(layer.threshold), "reset": 0.0, "leak_decay": 1.0}
        g = snn.create_neuron_group(layer.name, layer.size, model_attributes=attrs, log_spikes=True)
        groups[layer.name] = g
        offsets[layer.name] = total
        total += layer.size
        k = 0
        for core, count in layer.cores:
            for _ in range(count):
                # spikefab's compiler stores sparse (CSR) synapse tables.
                g[k].set_attributes(default_synapse_hw_name="loihi_sparse_synapse")
                if layer.bias is not None:
                    g[k].set_attributes(model_attributes={"bias": float(layer.bias[k])})
                g[k].map_to_core(sanafe_core(arch, core))
                k += 1
    for src, dst, syn in net.edges:
        pairs = [(s, d) for s, d, _ in syn]
        groups[src].connect_neurons_sparse(
            groups[dst], {"weight": [float(w) for _, _, w in syn]}, pairs)
    chip = sanafe.SpikingChip(arch)
    chip.load(snn)
    r = chip.sim(steps, spike_trace=True, timing_model="detailed")
    trains = np.zeros((steps, total), dtype=np.uint8)
    for t, fired in enumerate(r["spike_trace"]):
        for n in fired:
            group, idx = str(n).split(".")
            trains[t, offsets[group] + int(idx)] = 1
    n_in = sum(i.size for i in net.inputs)
    return trains[:, n_in:], r


def ron_network(net):
    def weights(src, dst, syn):
        n_src = next(x.size for x in net.inputs + net.layers if x.name == src)
        n_dst = next(x.size for x in net.layers if x.name == dst)
        body = ", ".join(f"({d}, {s}, {w}.0)" for s, d, w in syn)
        return f"Sparse(targets: {n_dst}, sources: {n_src}, synapses: [{body}])"

    inputs = ", ".join(f'(name: "{i.name}", size: {i.size})' for i in net.inputs) or \
        '(name: "unused", size: 1)'
    pops = []
    for layer in net.layers:
        bias = "0.0" if layer.bias is None else "[" + ", ".join(f"{b}.0" for b in layer.bias) + "]"
        pops.append(f'(name: "{layer.name}", size: {layer.size}, '
                    f'neuron: If(threshold: {layer.threshold}.0, bias: {bias}))')
    projs = [f'(from: "{s}", to: "{d}", weights: {weights(s, d, syn)}, delay: 0)'
             for s, d, syn in net.edges]
    outs = ", ".join(f'"{layer.name}"' for layer in net.layers)
    return (f'(name: "{net.name}", dt: 0.001, inputs: [{inputs}], '
            f'populations: [{", ".join(pops)}], projections: [{", ".join(projs)}], '
            f'outputs: [{outs}])')


def ron_placement(net):
    def assign(layers):
        return ", ".join(
            f'(name: "{x.name}", cores: [' +
            ", ".join(f"(core: {c}, neurons: {n})" for c, n in x.cores) + "])" for x in layers)
    return f"(populations: [{assign(net.layers)}], inputs: [{assign(net.inputs)}])"


def run_spikefab(net, spikes, steps, exe, arch):
    with tempfile.TemporaryDirectory() as tmp:
        paths = {k: os.path.join(tmp, k) for k in ("net.ron", "place.ron", "net.sfc", "in.npy")}
        with open(paths["net.ron"], "w") as f:
            f.write(ron_network(net))
        with open(paths["place.ron"], "w") as f:
            f.write(ron_placement(net))
        subprocess.run([exe, "compile", paths["net.ron"], "--arch", arch, "--placement",
                        paths["place.ron"], "-o", paths["net.sfc"], "--quiet"], check=True)
        np.save(paths["in.npy"], spikes if net.inputs else np.zeros((steps, 1), np.uint8))
        out = os.path.join(tmp, "out")
        subprocess.run([exe, "run", paths["net.sfc"], "--input", paths["in.npy"],
                        "--steps", str(steps), "--out", out, "--quiet"], check=True)
        trains = np.load(os.path.join(out, "spikes.npy"))
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
    return trains, report


# What each modelling choice of the `loihi` preset is worth: the preset with
# one choice switched back to spikefab's earlier model (text edits of
# `spikefab arch show loihi`).
VARIANTS = {
    "neuron: ActiveOrIdle": [("neuron: AccessPlusUpdate(", "neuron: ActiveOrIdle("),
                             ("access: (energy_pj: 51.2", "active: (energy_pj: 51.2"),
                             ("update: (energy_pj: 21.6", "idle: (energy_pj: 21.6")],
    "inputs: Free": [("inputs: OnCore", "inputs: Free")],
    "core_timing: Serial": [("core_timing: Scheduled", "core_timing: Serial")],
    "core_timing: Overlapped": [("core_timing: Scheduled", "core_timing: Overlapped")],
    "barrier_lookup: Linear": [("barrier_lookup: Step", "barrier_lookup: Linear")],
}


def variant_archs(exe, tmp):
    src = subprocess.run([exe, "arch", "show", "loihi"], check=True, capture_output=True,
                         text=True).stdout
    paths = {}
    for k, (name, edits) in enumerate(VARIANTS.items()):
        text = src
        for a, b in edits:
            if a not in text:
                sys.exit(f"variant {name}: '{a}' is not in the loihi preset")
            text = text.replace(a, b)
        paths[name] = os.path.join(tmp, f"variant{k}.ron")
        with open(paths[name], "w") as f:
            f.write(text)
    return paths


def compare(net, steps, seed, exe, arch):
    spikes = input_spikes(net, steps, seed)
    sf_trains, sf = run_sanafe(net, spikes, steps)
    sp_trains, rep = run_spikefab(net, spikes, steps, exe, arch)
    tot, en, lat = rep["totals"], rep["energy"], rep["latency"]
    n_inputs_fired = int(spikes.sum())
    counts = {
        "spike entries differing": (0, int((sf_trains != sp_trains).sum())
                                    if sf_trains.shape == sp_trains.shape else -1),
        "neurons fired": (sf["neurons_fired"], tot["spikes"] + n_inputs_fired),
        "messages": (sf["packets_sent"], tot["messages_out"] + tot["input_messages"]),
        "synaptic events": (sf["spikes"], tot["synaptic_ops"]),
    }
    # SANA-FE counts an input neuron's spike as an update, and a neuron whose
    # inputs cancel to exactly zero as updated; spikefab's accumulator reads
    # 0 there and the neuron is idle (docs/model.md). Reported, not required.
    updates = (sf["neurons_updated"], tot["active_neuron_updates"] + n_inputs_fired)
    sfe = sf["energy"]
    classes = {
        "synapse": (sfe["synapse"] * 1e12, en["synaptic_pj"]),
        "soma": (sfe["soma"] * 1e12, en["neuron_pj"] + en["spike_out_pj"]),
        "network": (sfe["network"] * 1e12,
                    en["axon_in_pj"] + en["axon_out_pj"] + en["input_pj"] + en["noc_pj"]),
        "energy": (sfe["total"] * 1e12, en["total_pj"]),
        "latency": (sf["sim_time"] * 1e9, lat["total_ns"]),
    }
    return counts, classes, updates, (spikes, sf)


def variant_ratios(net, steps, exe, spikes, sf, archs):
    out = {}
    for name, path in archs.items():
        _, rep = run_spikefab(net, spikes, steps, exe, path)
        out[name] = (rep["energy"]["total_pj"] / (sf["energy"]["total"] * 1e12),
                     rep["latency"]["total_ns"] / (sf["sim_time"] * 1e9))
    return out


def ratio(pair):
    ref, ours = pair
    return ours / ref if ref else (1.0 if ours == 0 else float("inf"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tolerance", type=float, default=0.05)
    ap.add_argument("--only", help="run only the network of this name")
    ap.add_argument("--markdown", action="store_true", help="print the docs/model.md tables")
    ap.add_argument("--variants", action="store_true",
                    help="also run variants of the loihi preset, one modelling choice each")
    ap.add_argument("--arch", default="loihi",
                    help="spikefab's arch (a preset or a RON file): try a variant of the loihi "
                         "preset to see what one modelling choice changes")
    ap.add_argument("--exe", default=os.path.join(REPO, "target", "release", "spikefab"))
    args = ap.parse_args()

    failures = []
    rows = []
    variants = []
    tmp = tempfile.TemporaryDirectory()
    archs = variant_archs(args.exe, tmp.name) if args.variants else {}
    for net in networks(args.seed):
        if args.only and net.name != args.only:
            continue
        counts, classes, updates, (spikes, sf) = compare(net, args.steps, args.seed, args.exe,
                                                          args.arch)
        if archs:
            variants.append((net, variant_ratios(net, args.steps, args.exe, spikes, sf, archs)))
        for what, (ref, ours) in counts.items():
            if ref != ours:
                failures.append(f"{net.name}: {what}: SANA-FE {ref}, spikefab {ours}")
        for what in ("energy", "latency"):
            if abs(ratio(classes[what]) - 1.0) > args.tolerance:
                failures.append(f"{net.name}: {what} ratio {ratio(classes[what]):.3f}")
        rows.append((net, updates, classes))
        if not args.markdown:
            print(f"{net.name:12s} energy {ratio(classes['energy']):.4f}  "
                  f"latency {ratio(classes['latency']):.4f}  "
                  + "  ".join(f"{k} {ratio(classes[k]):.4f}" for k in ("synapse", "soma", "network"))
                  + f"  updates {updates[1] - updates[0]:+d} of {updates[0]}"
                  + f"  [{classes['energy'][0] / 1e3:.1f} nJ, {classes['latency'][0] / 1e3:.1f} µs]",
                  flush=True)
    if args.markdown:
        print(f"SANA-FE {metadata.version('sanafe')} (`detailed` timing) vs spikefab "
              f"(`loihi` preset), {args.steps} steps, seed {args.seed}; ratios are "
              f"spikefab / SANA-FE.\n")
        print("| network | what | SANA-FE energy (nJ) | SANA-FE latency (µs) | energy | latency "
              "| synapse | soma | network | neuron updates, spikefab − SANA-FE |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for net, updates, c in rows:
            print(f"| {net.name} | {net.what} | {c['energy'][0] / 1e3:.1f} | "
                  f"{c['latency'][0] / 1e3:.1f} | {ratio(c['energy']):.4f} | "
                  f"{ratio(c['latency']):.4f} | {ratio(c['synapse']):.4f} | "
                  f"{ratio(c['soma']):.4f} | {ratio(c['network']):.4f} | "
                  f"{updates[1] - updates[0]:+d} of {updates[0]} |")
    if variants:
        print("\nEnergy / latency ratios with one choice of the preset changed:\n")
        print("| network | " + " | ".join(f"`{v}`" for v in VARIANTS) + " |")
        print("|---|" + "---:|" * len(VARIANTS))
        for net, r in variants:
            print(f"| {net.name} | " + " | ".join(f"{e:.3f} / {t:.3f}" for e, t in r.values())
                  + " |")
    if failures:
        print("\n".join(["", "FAILED:"] + failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
