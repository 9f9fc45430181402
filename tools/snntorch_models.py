#!/usr/bin/env python3
"""Small trained snnTorch models exported to NIR, with snnTorch's own outputs.

Regenerate the committed fixtures with:

    python3 -m venv .venv-snn
    .venv-snn/bin/pip install torch==2.15.0 snntorch==1.0.0 nir==1.0.8 nirtorch==2.6 numpy==2.4.6 h5py==3.16.0
    .venv-snn/bin/python tools/snntorch_models.py compiler/tests/data

Four models learn a toy task (which of 5 input groups fires fastest) for a
few seconds of CPU each: a Leaky MLP, a Synaptic (CUBA) MLP, a recurrent
RLeaky network and a small Conv2d network. Each is exported with
`snntorch.export_nir.export_to_nir` (dt = 1e-4 s, snnTorch's convention:
tau = dt / (1 - beta), r = tau / dt) and written as `<model>.nir`, with
`<model>_input.npy` (uint8 0/1, [samples, steps, features...]) and
`<model>_output.npy` (uint8 0/1, [samples, steps, classes]): snnTorch's own
output spikes with its default semantics (subtract reset, applied one step
after the threshold crossing). `<model>_labels.npy` holds the task labels.
It also writes two untrained models with snnTorch's spikes (`rsynaptic`:
RSynaptic; `avgpool_conv`: Conv2d → Leaky → AvgPool2d → Linear), and three broken files derived from `leaky_mlp.nir`
(`unsupported_node.nir`, `dangling_edge.nir`, `shape_mismatch.nir`) that the
importer must reject with a clear error.
"""
import sys
from pathlib import Path

import nir
import numpy as np
import snntorch as snn
import torch
from snntorch import surrogate, utils
from snntorch.export_nir import export_to_nir

STEPS = 40
CLASSES = 5
SAMPLES = 64
torch.manual_seed(0)
np.random.seed(0)


def data(n, features, shape=None):
    """Class c: features in group c fire at 40 %, the rest at 5 %."""
    labels = np.random.randint(0, CLASSES, size=n)
    group = features // CLASSES
    rates = np.full((n, features), 0.05)
    for i, c in enumerate(labels):
        rates[i, c * group:(c + 1) * group] = 0.4
    x = (np.random.rand(n, STEPS, features) < rates[:, None, :]).astype(np.float32)
    if shape is not None:
        x = x.reshape(n, STEPS, *shape)
    return torch.tensor(x), torch.tensor(labels)


def run(net, x):
    """x: [batch, steps, ...] -> output spikes [batch, steps, classes]."""
    utils.reset(net)
    out = []
    for t in range(x.shape[1]):
        spk, _ = net(x[:, t])
        out.append(spk)
    return torch.stack(out, dim=1)


def train(net, features, shape=None, epochs=60):
    opt = torch.optim.Adam(net.parameters(), lr=5e-3)
    for _ in range(epochs):
        x, y = data(128, features, shape)
        counts = run(net, x).sum(dim=1)
        loss = torch.nn.functional.cross_entropy(counts, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net


grad = surrogate.fast_sigmoid()


def vec(v, n):
    return torch.full((n,), float(v))


class LeakyMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(20, 32)
        self.lif1 = snn.Leaky(beta=vec(0.9, 32), threshold=vec(1.0, 32), spike_grad=grad, init_hidden=True)
        self.fc2 = torch.nn.Linear(32, CLASSES)
        self.lif2 = snn.Leaky(beta=vec(0.8, CLASSES), threshold=vec(1.0, CLASSES), spike_grad=grad, init_hidden=True, output=True)

    def forward(self, x):
        return self.lif2(self.fc2(self.lif1(self.fc1(x))))


class SynapticMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(20, 32)
        self.syn1 = snn.Synaptic(alpha=vec(0.5, 32), beta=vec(0.9, 32), threshold=vec(1.0, 32), spike_grad=grad, init_hidden=True)
        self.fc2 = torch.nn.Linear(32, CLASSES)
        self.syn2 = snn.Synaptic(alpha=vec(0.5, CLASSES), beta=vec(0.8, CLASSES), threshold=vec(1.0, CLASSES), spike_grad=grad,
                                 init_hidden=True, output=True)

    def forward(self, x):
        spk, _syn, mem = self.syn2(self.fc2(self.syn1(self.fc1(x))))
        return spk, mem


class RecurrentNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(20, 24)
        self.rlif = snn.RLeaky(beta=vec(0.9, 24), threshold=vec(1.0, 24), linear_features=24, spike_grad=grad, init_hidden=True)
        self.fc2 = torch.nn.Linear(24, CLASSES)
        self.lif2 = snn.Leaky(beta=vec(0.8, CLASSES), threshold=vec(1.0, CLASSES), spike_grad=grad, init_hidden=True, output=True)

    def forward(self, x):
        return self.lif2(self.fc2(self.rlif(self.fc1(x))))


class ConvNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.lif1 = snn.Leaky(beta=vec(0.9, 4 * 5 * 4).reshape(4, 5, 4), threshold=torch.ones(4, 5, 4), spike_grad=grad, init_hidden=True)
        self.flat = torch.nn.Flatten(start_dim=-3)  # works batched and unbatched (export)
        self.fc = torch.nn.Linear(4 * 5 * 4, CLASSES)
        self.lif2 = snn.Leaky(beta=vec(0.8, CLASSES), threshold=vec(1.0, CLASSES), spike_grad=grad, init_hidden=True, output=True)

    def forward(self, x):
        return self.lif2(self.fc(self.flat(self.lif1(self.conv(x)))))


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    models = [
        ("leaky_mlp", LeakyMLP(), 20, None),
        ("synaptic_mlp", SynapticMLP(), 20, None),
        ("rleaky", RecurrentNet(), 20, None),
        ("conv", ConvNet(), 20, (1, 5, 4)),
    ]
    for name, net, features, shape in models:
        train(net, features, shape)
        x, y = data(SAMPLES, features, shape)
        with torch.no_grad():
            spikes = run(net, x)
        acc = (spikes.sum(dim=1).argmax(dim=1) == y).float().mean().item()
        sample = x[:, 0]
        graph = export_to_nir(net, sample[0])
        nir.write(out / f"{name}.nir", graph)
        np.save(out / f"{name}_input.npy", x.numpy().astype(np.uint8))
        np.save(out / f"{name}_output.npy", spikes.numpy().astype(np.uint8))
        np.save(out / f"{name}_labels.npy", y.numpy().astype(np.int64))
        print(f"{name}: accuracy {acc:.3f}, {int(spikes.sum())} output spikes")


if __name__ == "__main__" and len(sys.argv) <= 2:
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "compiler/tests/data"))
    broken_files(Path(sys.argv[1] if len(sys.argv) > 1 else "compiler/tests/data"))
    extra_models(Path(sys.argv[1] if len(sys.argv) > 1 else "compiler/tests/data"))


class RSynapticNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(10, 12)
        self.rs = snn.RSynaptic(alpha=vec(0.6, 12), beta=vec(0.9, 12), threshold=vec(1.0, 12), linear_features=12, init_hidden=True)
        self.fc2 = torch.nn.Linear(12, 4)
        self.out = snn.Leaky(beta=vec(0.8, 4), threshold=vec(1.0, 4), init_hidden=True, output=True)

    def forward(self, x):
        return self.out(self.fc2(self.rs(self.fc(x))))


class AvgPoolConvNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 4, 3, stride=1, padding=1)
        self.l1 = snn.Leaky(beta=torch.full((4, 6, 6), 0.9), threshold=torch.ones(4, 6, 6), init_hidden=True)
        self.pool = torch.nn.AvgPool2d(2)
        self.flat = torch.nn.Flatten(start_dim=-3)
        self.fc = torch.nn.Linear(4 * 3 * 3, 3)
        self.l2 = snn.Leaky(beta=vec(0.8, 3), threshold=vec(1.0, 3), init_hidden=True, output=True)

    def forward(self, x):
        return self.l2(self.fc(self.flat(self.pool(self.l1(self.conv(x))))))


def extra_models(out: Path):
    """Untrained RSynaptic and Conv2d + AvgPool2d models (weights scaled ×4 so
    they spike), exported with snnTorch's recorded spikes on 16 random inputs."""
    torch.manual_seed(1)
    for name, net, shape in [("rsynaptic", RSynapticNet(), (10,)), ("avgpool_conv", AvgPoolConvNet(), (2, 6, 6))]:
        with torch.no_grad():
            for p in net.parameters():
                if p.dim() >= 2:
                    p.mul_(4.0)
        x = (torch.rand(16, 30, *shape) < 0.4).float()
        with torch.no_grad():
            spikes = run(net, x)
        nir.write(out / f"{name}.nir", export_to_nir(net, x[0, 0]))
        np.save(out / f"{name}_input.npy", x.numpy().astype(np.uint8))
        np.save(out / f"{name}_output.npy", spikes.numpy().astype(np.uint8))
        print(f"{name}: {int(spikes.sum())} output spikes")


def broken_files(out: Path):
    """Small NIR files that must be rejected with a clear error."""
    import h5py

    good = out / "leaky_mlp.nir"
    for name, edit in [
        ("unsupported_node.nir", lambda f: f["node/nodes/lif1/type"].__setitem__((), "Izhikevich")),
        ("dangling_edge.nir", lambda f: f["node/edges"].__setitem__(0, ["input", "nowhere"])),
        ("shape_mismatch.nir", lambda f: (f["node/nodes/fc1"].__delitem__("weight"),
                                          f["node/nodes/fc1"].create_dataset("weight", data=np.zeros((32, 7), np.float32)))),
    ]:
        target = out / name
        target.write_bytes(good.read_bytes())
        with h5py.File(target, "r+") as f:
            edit(f)


if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[2] == "--broken":
    broken_files(Path(sys.argv[1]))
if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[2] == "--extra":
    extra_models(Path(sys.argv[1]))
