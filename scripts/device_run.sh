#!/usr/bin/env bash
# On the GPU machine (the device tool): every chapter on the GPU, then the optional long run.
#   run(command="bash scripts/device_run.sh", carry=[".device-wheels"], timeout_s=...)
# Installs the wheels scripts/device_wheels.sh put in .device-wheels/ (the machine has Python
# 3.12 and torch, but no Jupyter packages and no mlxtend), runs scripts/gpu_check.py, which writes
# book/data/gpu_run.json, then scripts/gpu_full.sh if it exists. Results are copied to $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/device-out}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
  .device-wheels/*.whl || { echo "installing .device-wheels failed: run scripts/device_wheels.sh here first"; exit 2; }
export PYTHONPATH=/tmp/site:$PWD  # the Jupyter packages, and this checkout's convlstm
export PATH=/tmp/site/bin:$PATH PYTHONUNBUFFERED=1 PYDEVD_DISABLE_FILE_VALIDATION=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python3 scripts/gpu_check.py --out book/data/gpu_run.json 2>&1 | tee "$OUT/gpu_check.log"
status=${PIPESTATUS[0]}
cp book/data/gpu_run.json "$OUT/" 2>/dev/null
if [ -f scripts/gpu_full.sh ]; then
  bash scripts/gpu_full.sh 2>&1 | tee "$OUT/gpu_full.log"
  full=${PIPESTATUS[0]}
  [ "$status" -eq 0 ] && status=$full
fi
exit "$status"
