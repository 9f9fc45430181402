"""Writing a flat NIR graph with h5py, as nir.write lays it out (version
1.0.8): what the reference scripts in tools/ share."""
from pathlib import Path

import h5py
import numpy as np


def write_graph(path: Path, nodes: dict, edges: list):
    """`nodes`: name -> {field: value} (each with its "type"); `edges`: (from, to) pairs."""
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data="1.0.8")
        g = f.create_group("node")
        g.create_dataset("type", data="NIRGraph")
        g.create_dataset("edges", data=np.array(edges, dtype=object), dtype=h5py.string_dtype())
        ns = g.create_group("nodes")
        for name, fields in nodes.items():
            ng = ns.create_group(name)
            for k, v in fields.items():
                ng.create_dataset(k, data=v)
