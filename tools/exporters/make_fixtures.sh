#!/bin/sh
# The NIR fixtures of other exporters (compiler/tests/data/exporters/): each
# exporter in a virtualenv of its own (their torch, nir and nirtorch pins
# conflict), exporting small untrained models and recording the exporter's
# own spikes. compiler/tests/nir_exporters.rs checks every fixture.
#
#   sh tools/exporters/make_fixtures.sh [WORKDIR]     # WORKDIR keeps the venvs (default .venv-exporters)
#
# Needs Python 3.11 (pyenv's is fine) and PyPI; a few GB for four torch installs.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$root/.venv-exporters}
out=$root/compiler/tests/data/exporters
py=${PYTHON:-python3.11}
common="torch==2.15.0 numpy==2.4.6 h5py==3.16.0"
# The exporter and the nir/nirtorch versions it accepts (pip resolved them
# when the fixtures were made).
set -- \
    "sinabs sinabs==3.1.3 nir==1.0.4 nirtorch==2.0.2" \
    "norse norse==1.1.0 nir==1.0.8 nirtorch==2.6" \
    "rockpool rockpool==3.1.0 nir==1.0.8 nirtorch==2.6" \
    "spikingjelly spikingjelly==2.0.0 nir==1.0.8 nirtorch==2.6"
for spec in "$@"; do
    name=${spec%% *}
    pins=${spec#* }
    venv=$work/$name
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    # shellcheck disable=SC2086 # the pins are words
    "$venv/bin/pip" install -q $common $pins
    "$venv/bin/python" "$root/tools/exporters/${name}_models.py" "$out"
done
