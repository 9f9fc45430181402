#!/usr/bin/env python3
"""Writes the hostile NIR fixtures of compiler/tests/data/hostile/ (needs h5py, numpy).

Each file is small and valid HDF5 in NIR's layout, but built to break a
careless reader: graphs nested 40 deep (the limit is 32), a ladder of 40 diamonds (2^40 paths
from input to output), a Conv2d whose weight has too few dimensions, an
Input claiming 10^9 neurons, a node name that carries Verilog, and a network
whose only weights are zero.

    python3 tools/hostile_nir.py compiler/tests/data/hostile
"""
import sys
from pathlib import Path

import h5py
import numpy as np

STR = h5py.string_dtype()


def node(group, name, kind, **params):
    g = group.create_group(name)
    g["type"] = kind
    for k, v in params.items():
        g[k] = np.asarray(v)
    return g


def graph(group, edges):
    group["type"] = "NIRGraph"
    group["edges"] = np.array(edges, dtype=STR).reshape(-1, 2)
    return group.create_group("nodes")


def lif(nodes, name, n):
    node(nodes, name, "LIF", tau=np.full(n, 0.01, np.float32), r=np.ones(n, np.float32),
         v_leak=np.zeros(n, np.float32), v_threshold=np.ones(n, np.float32))


def write(path, build):
    with h5py.File(path, "w") as f:
        f["version"] = "1.0"
        build(f.create_group("node"))


def deep(root):
    edges = [("input", "g"), ("g", "output")]
    nodes = graph(root, edges)
    node(nodes, "input", "Input", shape=np.array([2]))
    node(nodes, "output", "Output", shape=np.array([2]))
    g = nodes.create_group("g")
    for _ in range(40):
        inner = graph(g, [("input", "g"), ("g", "output")])
        node(inner, "input", "Input", shape=np.array([2]))
        node(inner, "output", "Output", shape=np.array([2]))
        g = inner.create_group("g")
    inner = graph(g, [("input", "output")])
    node(inner, "input", "Input", shape=np.array([2]))
    node(inner, "output", "Output", shape=np.array([2]))


def ladder(root, stages=40):
    edges, n = [], 2
    prev = "input"
    names = []
    for i in range(stages):
        a, b, j = f"a{i}", f"b{i}", f"j{i}"
        edges += [(prev, a), (prev, b), (a, j), (b, j)]
        names += [(a, 0.5), (b, 0.5), (j, 1.0)]
        prev = j
    edges += [(prev, "lif"), ("lif", "output")]
    nodes = graph(root, edges)
    node(nodes, "input", "Input", shape=np.array([n]))
    node(nodes, "output", "Output", shape=np.array([n]))
    for name, s in names:
        node(nodes, name, "Scale", scale=np.full(n, s, np.float32))
    lif(nodes, "lif", n)


def conv_weight_2d(root):
    nodes = graph(root, [("input", "conv"), ("conv", "lif"), ("lif", "output")])
    node(nodes, "input", "Input", shape=np.array([1, 4, 4]))
    node(nodes, "output", "Output", shape=np.array([4]))
    node(nodes, "conv", "Conv2d", weight=np.ones((2, 2), np.float32), bias=np.zeros(1, np.float32),
         stride=np.array([1, 1]), padding=np.array([0, 0]), dilation=np.array([1, 1]), groups=np.array(1))
    lif(nodes, "lif", 9)


def huge_input(root):
    nodes = graph(root, [("input", "lif"), ("lif", "output")])
    node(nodes, "input", "Input", shape=np.array([1_000_000_000]))
    node(nodes, "output", "Output", shape=np.array([1_000_000_000]))
    lif(nodes, "lif", 1)


def verilog_name(root):
    evil = 'lif\n$display("INJECTED"); $finish; //'
    nodes = graph(root, [("input", "fc"), ("fc", evil), (evil, "output")])
    node(nodes, "input", "Input", shape=np.array([2]))
    node(nodes, "output", "Output", shape=np.array([2]))
    node(nodes, "fc", "Linear", weight=np.eye(2, dtype=np.float32))
    lif(nodes, evil, 2)


def zero_weights(root):
    nodes = graph(root, [("input", "fc"), ("fc", "lif"), ("lif", "output")])
    node(nodes, "input", "Input", shape=np.array([3]))
    node(nodes, "output", "Output", shape=np.array([2]))
    node(nodes, "fc", "Linear", weight=np.zeros((2, 3), np.float32))
    lif(nodes, "lif", 2)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "compiler/tests/data/hostile")
    out.mkdir(parents=True, exist_ok=True)
    for name, build in [("deep.nir", deep), ("ladder.nir", ladder), ("conv_weight_2d.nir", conv_weight_2d),
                        ("huge_input.nir", huge_input), ("verilog_name.nir", verilog_name),
                        ("zero_weights.nir", zero_weights)]:
        write(out / name, build)
        print(out / name, (out / name).stat().st_size, "bytes")
