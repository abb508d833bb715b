"""fit under DistributedDataParallel: two CPU processes (gloo, loopback only) end with the same weights."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from convlstm.train import TrainConfig, fit
from test_train import moving_squares, small_model

ROOT = Path(__file__).resolve().parent.parent


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
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
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
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("epoch 1: train") == 1  # printed by rank 0 only
    assert "on 2 process(es)" in done.stdout
    assert (tmp_path / "run.pt").exists()
