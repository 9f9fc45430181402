#!/usr/bin/env python3
"""Sparse and distilled spoken-digit SNNs: ESL-style sparse training from
scratch at fixed density, and knowledge distillation from an ANN teacher,
for the density table of docs/models.md ("Sparse structure").

    cargo build --release
    KWS_CACHE=/tmp/kws_data.npz .venv-snn/bin/python tools/train_kws_sparse.py   # ~45 min on 2 CPU cores (+ ~6 min of synthesis)

Same data, network and surrogate as tools/train_kws.py (imported from it;
KWS_CACHE lets both share one synthesis, ~10 minutes). Writes
examples/kws/sparse/:
  esl-100.nir .. esl-5.nir  ESL-trained at 100, 50, 20, 10 and 5 % density
  kd-100.nir, kd-10.nir      the same, distilled from the ANN teacher
  training_log.txt           per model: density per layer, float accuracy on
                             the held-out voices and on festival (last epoch)

ESL (Shen et al., arXiv 2306.03693): connectivity starts as an Erdős–Rényi
graph at the target density (per layer proportional to (n_in + n_out) /
(n_in n_out), as the paper's ER initialisation), weights are trained with
the mask applied, and every REWIRE_EVERY iterations each layer prunes the
fraction zeta(t) of its live synapses with the smallest |w| and regrows as
many where the dense loss gradient is largest, so the density never
changes. zeta(t) decays as a cosine from ZETA0 to 0 at 75 % of training. The
paper publishes no code; its pruning-by-magnitude and regrowth at fixed
density are what is kept; growth by gradient (RigL) is our choice, stated in
docs/decisions.md.

KD (arXiv 2304.09500, 2304.05627): an ANN teacher (a temporal convolution
network over the same cochlea spikes) is trained first; the SNN student's
loss is (1 - KD_ALPHA) * cross-entropy + KD_ALPHA * T^2 * KL(teacher || student)
on outputs softened by the temperature T, the student's logits being its
output spike counts.
"""
import os
import sys
import tempfile
from pathlib import Path

import nir
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_kws as K  # noqa: E402  (the data, network, teacher and training loop)

OUT = Path(os.environ.get("KWS_SPARSE_OUT", K.ROOT / "examples" / "kws" / "sparse"))
EPOCHS = int(os.environ.get("KWS_SPARSE_EPOCHS", "8"))
# (name, density, distilled): distillation first, so its verdict comes early
MODELS = [("kd-100", 1.0, True)] + [(f"esl-{round(d * 100)}", d, False) for d in [1.0, 0.5, 0.2, 0.1, 0.05]] + \
         [("kd-10", 0.1, True)]


def main():
    torch.set_num_threads(int(os.environ.get("KWS_THREADS", "2")))
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data, _, _, first = K.training_data(Path(tmp))
    log = [first, f"{EPOCHS} epochs each; ESL rewiring every {K.REWIRE_EVERY} iterations from zeta {K.ZETA0}; "
                  f"KD temperature {K.KD_T}, teacher weight {K.KD_ALPHA}"]
    only = os.environ.get("KWS_SPARSE_ONLY")  # e.g. "esl-10,kd-10": retrain just these
    todo = [m for m in MODELS if not only or m[0] in only.split(",")]
    teacher = K.train_teacher(data, log, EPOCHS) if any(kd for _, _, kd in todo) else None
    for name, density, kd in todo:
        net = K.train_snn(data, log, EPOCHS, density, teacher if kd else None, name)
        nir.write(OUT / f"{name}.nir", net.to_nir())
        (OUT / "training_log.txt").write_text("\n".join(log) + "\n")


if __name__ == "__main__":
    main()
