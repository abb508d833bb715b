"""fit under DistributedDataParallel: two CPU processes (gloo, loopback only) end with the same weights."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from convlstm.train import TrainConfig, fit
from test_train import moving_squares, small_model

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, out: str):
    """What torchrun would start: one process of the group, told its place by the environment."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world), RANK=str(rank),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    model = small_model()
    train, val = moving_squares(16, 0), moving_squares(6, 1)
    config = TrainConfig(epochs=2, batch_size=2, input_steps=3, progress=False, patience=10)
    history = fit(model, train, val, config, checkpoint=Path(out) / "run.pt", device="cpu")
    torch.save({"state": model.state_dict(), "val_loss": history.val_loss}, Path(out) / f"rank{rank}.pt")
    dist.destroy_process_group()


def test_two_processes_end_with_identical_weights(tmp_path):
    context = mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=False)
    deadline = time.monotonic() + TIMEOUT_S
    while not context.join(timeout=2):  # raises if a process failed
        if time.monotonic() > deadline:  # a rendezvous that never completes must not hang the suite
            for process in context.processes:
                process.kill()
            pytest.fail(f"the two processes did not finish in {TIMEOUT_S} s")
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert ranks[0]["state"].keys() == ranks[1]["state"].keys()
    for name, a in ranks[0]["state"].items():
        torch.testing.assert_close(ranks[1]["state"][name], a, rtol=0, atol=0, msg=name)
    # Both processes saw the same (all-reduced) losses, so they stop and pick the best epoch alike.
    assert ranks[0]["val_loss"] == ranks[1]["val_loss"] and len(ranks[0]["val_loss"]) == 2
    # Guard: training changed the weights, so equal weights are not just the equal initial ones.
    initial = small_model().state_dict()
    assert any(not torch.equal(initial[name], a) for name, a in ranks[0]["state"].items())
    # Only rank 0 wrote the checkpoint, and it holds the same weights.
    saved = torch.load(tmp_path / "run.pt", weights_only=True)["best_model"]
    for name, a in ranks[0]["state"].items():
        torch.testing.assert_close(saved[name], a, rtol=0, atol=0, msg=name)


def test_the_training_script_under_torchrun(tmp_path):
    """`torchrun ... -m convlstm.train`: two processes, one report, one checkpoint."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "convlstm.train", "--hidden", "4", "--kernel-size", "3", "--frame-size", "32",
               "--train-size", "8", "--val-size", "4", "--input-steps", "2", "--epochs", "1",
               "--batch-size", "2", "--device", "cpu", "--checkpoint", str(tmp_path / "run.pt")]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    # Its own session, so that on a timeout torchrun's workers are killed with it.
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                           cwd=tmp_path, start_new_session=True)
    try:
        stdout, stderr = run.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        run.communicate()
        pytest.fail(f"torchrun did not finish in {TIMEOUT_S} s")
    assert run.returncode == 0, stderr[-2000:]
    assert stdout.count("epoch 1: train") == 1  # printed by rank 0 only
    assert "on 2 process(es)" in stdout
    assert (tmp_path / "run.pt").exists()
