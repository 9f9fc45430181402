#!/usr/bin/env python3
"""Reference gammatone dictionaries from the PyPI `gammatone` package.

Regenerate the committed fixtures with:

    python3 -m venv .venv-gt
    .venv-gt/bin/pip install gammatone==1.0.3 numpy==2.4.6 scipy==1.17.1
    .venv-gt/bin/python tools/gammatone_reference.py cochlea/tests/data

For each (fs, channels, f_lo, length) it writes
`gammatone_<fs>_<channels>_<f_lo>_<length>.npy`: a float64 array of shape
[channels, 1 + length] whose column 0 is `centre_freqs(fs, channels, f_lo)` and
whose other columns are the impulse response of that channel, computed with
`make_erb_filters` + `erb_filterbank` on a unit impulse (not normalised). Rows
are in the package's order (highest centre frequency first).
"""
import sys
from pathlib import Path

import numpy as np
from gammatone.filters import centre_freqs, erb_filterbank, make_erb_filters

CONFIGS = [
    (16000, 40, 50, 1024),  # spikefab's default dictionary
    (8000, 16, 100, 512),
    (22050, 24, 80, 512),
]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for fs, n, f_lo, length in CONFIGS:
        cf = centre_freqs(fs, n, f_lo)
        impulse = np.zeros(length)
        impulse[0] = 1.0
        ir = erb_filterbank(impulse, make_erb_filters(fs, cf))
        table = np.column_stack([cf, ir]).astype(np.float64)
        np.save(out / f"gammatone_{fs}_{n}_{f_lo}_{length}.npy", table)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "cochlea/tests/data"))
