#!/usr/bin/env bash
# Fill .device-wheels/ (gitignored) with what scripts/device_run.sh installs on the GPU machine:
# Python 3.12 wheels of the Jupyter packages and mlxtend, which it lacks, and a wheel of pysteps
# built here with Python 3.12 (PyPI has none). Packages the machine already has (torch, NumPy,
# Matplotlib, SciPy, pandas, scikit-learn, ...) are left out: a second copy would shadow its own.
set -euo pipefail
cd "$(dirname "$0")/.."
PY312=${PY312:-$(command -v python3.12 || echo ~/.pyenv/versions/3.12.1/bin/python)}
DIR=.device-wheels
rm -rf "$DIR" && mkdir -p "$DIR"
platforms=""
for p in manylinux_2_28 manylinux_2_27 manylinux_2_26 manylinux_2_24 manylinux_2_17 manylinux2014 \
         manylinux2010 manylinux_2_12 manylinux1 manylinux_2_5; do
  platforms="$platforms --platform ${p}_x86_64"
done
python3 -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp $platforms \
  -d "$DIR" nbclient==0.11.0 nbformat ipykernel==7.4.0 ipywidgets==8.1.9 mlxtend==0.25.0
"$PY312" -m pip wheel -q --no-deps -w "$DIR" pysteps==1.21.5
# On the machine already (its package list, /work/.library/device/KINDS.md):
for name in attrs cloudpickle contourpy cycler fonttools joblib kiwisolver matplotlib-3 narwhals numpy \
            packaging pandas pillow psutil pygments pyparsing python_dateutil scikit_learn scipy \
            threadpoolctl typing_extensions opencv; do
  rm -f "$DIR/$name"*.whl
done
ls "$DIR" && du -sh "$DIR"
