#!/usr/bin/env bash
# The GPU session of issue 13: both Table 1 runs and the GPU benchmark, in one script.
#
#   bash scripts/gpu_full.sh            # everything (about 10 minutes on one H200)
#   bash scripts/gpu_full.sh conv       # only ConvLSTM(5x5)-5x5-128-5x5-64-5x5-64 (5 minutes)
#   bash scripts/gpu_full.sh fc bench   # FC-LSTM-2048-2048 (3 minutes), then the benchmark
#   TINY=1 bash scripts/gpu_full.sh     # the same commands at tiny sizes, on the CPU, in seconds
#
# Writes runs/gpu/{conv,fc}/{log.txt,scores.json,model.pt}, book/data/full_mnist_gpu.json (both
# runs' scores and logs), book/data/full_mnist_conv.pt (the ConvLSTM's weights in bfloat16,
# which chapter 4 loads) and book/data/bench_gpu.json. OUT=dir puts the runs elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
OUT=${OUT:-runs/gpu}
DATA=${DATA:-book/data}
WORKERS=${WORKERS:-8}
parts=("$@"); [ ${#parts[@]} -eq 0 ] && parts=(conv fc bench)
if [ -n "${TINY:-}" ]; then  # sizes a CPU runs in seconds; other model names, same commands
  CONV="ConvLSTM(3x3)-3x3-8"; FC="FC-LSTM-32"
  SIZES=(--train-size 16 --val-size 8 --test-size 8 --frame-size 32 --input-steps 3 --epochs 2 --batch-size 4 --device cpu)
  BENCH=(--quick --device cpu); WORKERS=0
else
  CONV="ConvLSTM(5x5)-5x5-128-5x5-64-5x5-64"; FC="FC-LSTM-2048-2048"
  SIZES=(); BENCH=(--configs paper small --repeats 5)
fi
mkdir -p "$OUT" "$DATA"
for part in "${parts[@]}"; do
  case $part in
    conv) $PY -m convlstm.train --paper "$CONV" "${SIZES[@]}" --max-minutes ${CONV_MINUTES:-4.5} \
            --workers "$WORKERS" --bf16-weights --out "$OUT/conv"
          cp "$OUT/conv/model.pt" "$DATA/full_mnist_conv.pt" ;;  # chapter 4 loads it
    fc) $PY -m convlstm.train --paper "$FC" "${SIZES[@]}" --max-minutes ${FC_MINUTES:-2.5} \
          --workers "$WORKERS" --out "$OUT/fc" ;;
    bench) $PY -m convlstm.bench "${BENCH[@]}" --json "$DATA/bench_gpu.json" ;;
    *) echo "gpu_full.sh: expected parts among conv, fc, bench, got '$part'" >&2; exit 2 ;;
  esac
done
# Both runs' scores and logs in one file for the book (those that have run so far).
$PY - "$OUT" "$DATA/full_mnist_gpu.json" <<'PYTHON'
import json, sys
from pathlib import Path
out, target = Path(sys.argv[1]), Path(sys.argv[2])
runs = {}
for name in ("conv", "fc"):
    if (out / name / "scores.json").exists():
        runs[name] = {**json.loads((out / name / "scores.json").read_text()),
                      "log": (out / name / "log.txt").read_text().splitlines()}
if runs:
    target.write_text(json.dumps(runs, indent=1))
    print(f"wrote {target}: " + ", ".join(f"{r['model']} test CE {r['test']['cross_entropy']:.1f}" for r in runs.values()))
PYTHON
