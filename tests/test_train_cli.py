"""The command lines: no runpy warning; --paper end to end at tiny sizes; the GPU session's script."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from convlstm.train import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("module", ["convlstm.train", "convlstm.bench"])
def test_help_runs_without_a_runpy_warning(module):
    run = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", module, "--help"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "RuntimeWarning" not in run.stderr and "usage: python -m " + module in run.stdout


def test_paper_run_writes_log_scores_and_weights(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--paper", "ConvLSTM(3x3)-3x3-8", "--train-size", "8", "--val-size", "4", "--test-size", "4",
                 "--frame-size", "32", "--input-steps", "2", "--epochs", "2", "--batch-size", "4",
                 "--device", "cpu", "--bf16-weights", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("(cross-entropy per sequence)") == 2  # a progress line per epoch
    scores = json.loads((out / "scores.json").read_text())
    assert set(scores["test"]) == {"cross_entropy", "mse", "mae", "psnr", "ssim", "ssim_openstl"} and scores["test_sequences"] == 4
    assert len(scores["history"]["val_loss"]) == 2 and scores["seconds_total"] > 0
    assert (out / "log.txt").read_text().splitlines()[-1].startswith("test: cross-entropy")
    weights = torch.load(out / "model.pt", weights_only=True)
    assert {v.dtype for v in weights.values()} == {torch.bfloat16}


def test_gpu_session_script_at_tiny_sizes(tmp_path):
    env = {**os.environ, "TINY": "1", "PYTHON": sys.executable, "OUT": str(tmp_path / "runs"),
           "DATA": str(tmp_path / "data"), "OMP_NUM_THREADS": "1"}
    run = subprocess.run(["bash", "scripts/gpu_full.sh"], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    full = json.loads((tmp_path / "data" / "full_mnist_gpu.json").read_text())
    assert set(full) == {"conv", "fc"} and all("cross_entropy" in r["test"] for r in full.values())
    assert json.loads((tmp_path / "data" / "bench_gpu.json").read_text())["rows"]
    # the ConvLSTM's weights where chapter 4 loads them, in bfloat16, loadable
    from convlstm.full_run import load_weights
    from convlstm.models import paper_model
    weights = tmp_path / "data" / "full_mnist_conv.pt"
    assert all(v.dtype == torch.bfloat16 for v in torch.load(weights).values() if v.is_floating_point())
    load_weights(paper_model("ConvLSTM(3x3)-3x3-8", frame_size=32), weights)
    bad = subprocess.run(["bash", "scripts/gpu_full.sh", "conf"], capture_output=True, text=True, cwd=ROOT,
                         env=env, timeout=60)
    assert bad.returncode == 2 and "got 'conf'" in bad.stderr
