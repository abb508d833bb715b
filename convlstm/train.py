"""``python -m convlstm.train``: train on generated Moving MNIST from the command line.

Two uses. A small ConvLSTM, on one process or many under ``torchrun``::

    torchrun --standalone --nproc_per_node=4 -m convlstm.train --epochs 20   # 4 GPUs
    python -m convlstm.train --epochs 2                                      # one process

A row of Shi et al. (2015), Table 1, by the model's name, as the paper ran it: 10,000
training, 2,000 validation (early stopping) and 3,000 test sequences of 20 frames, scored with
the paper's cross-entropy per sequence and OpenSTL's per-frame MSE, MAE and SSIM; it writes
``log.txt``, ``scores.json`` and ``model.pt`` (the best weights) into ``--out``::

    python -m convlstm.train --paper "ConvLSTM(5x5)-5x5-128-5x5-64-5x5-64" --max-minutes 5 --out runs/conv
    python -m convlstm.train --paper FC-LSTM-2048-2048 --out runs/fc

The training itself is :func:`convlstm.training.fit`; its names are importable from here too.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
import torch.distributed as dist

from .precision import bf16_support
from .training import (History, TrainConfig, evaluate, fit, materialize,  # noqa: F401 (re-exported)
                       use_amp)

TABLE_1 = {  # Shi et al. (2015), Table 1: test cross-entropy per sequence, Moving MNIST
    "FC-LSTM-2048-2048": 4832.49,
    "ConvLSTM(5x5)-5x5-256": 3887.94,
    "ConvLSTM(5x5)-5x5-128-5x5-128": 3733.56,
    "ConvLSTM(5x5)-5x5-128-5x5-64-5x5-64": 3670.85,
    "ConvLSTM(9x9)-1x1-128-1x1-128": 4782.84,
    "ConvLSTM(9x9)-1x1-128-1x1-64-1x1-64": 4231.50,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m convlstm.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--paper", default=None, metavar="NAME",
                        help="a model named as in the paper's Table 1, e.g. 'ConvLSTM(5x5)-5x5-128-5x5-64-5x5-64'")
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 64], help="hidden channels per layer")
    parser.add_argument("--kernel-size", type=int, default=5)
    parser.add_argument("--frame-size", type=int, default=64)
    parser.add_argument("--train-size", type=int, default=None, help="training sequences (2000; --paper: 10000)")
    parser.add_argument("--val-size", type=int, default=None, help="validation sequences (200; --paper: 2000)")
    parser.add_argument("--test-size", type=int, default=3000, help="--paper: test sequences")
    parser.add_argument("--input-steps", type=int, default=10, help="observed frames; as many are predicted")
    parser.add_argument("--epochs", type=int, default=None, help="at most this many (10; --paper: 1000)")
    parser.add_argument("--batch-size", type=int, default=16, help="sequences per process and step")
    parser.add_argument("--lr", type=float, default=1e-3, help="RMSProp learning rate")
    parser.add_argument("--patience", type=int, default=None, help="early stopping (3; --paper: 10)")
    parser.add_argument("--max-minutes", type=float, default=None, help="wall-time limit for the training")
    parser.add_argument("--float32", action="store_true", help="no bf16 autocast, no clipping: the paper's letter")
    parser.add_argument("--workers", type=int, default=0, help="processes that generate the data (once)")
    parser.add_argument("--out", type=Path, default=None, help="--paper: write log.txt, scores.json, model.pt here")
    parser.add_argument("--bf16-weights", action="store_true", help="save model.pt in bfloat16 (half the size)")
    parser.add_argument("--checkpoint", default=None, help="resume from / save to this file")
    parser.add_argument("--device", default=None, help="default: CUDA, then MPS, then the CPU")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def _epoch_line(history: History) -> str:
    epoch = len(history.val_loss)
    mark = " *" if history.best_epoch == epoch - 1 else ""
    return (f"epoch {epoch}: train {history.train_loss[-1]:.1f}, validation {history.val_loss[-1]:.1f} "
            f"(cross-entropy per sequence), {history.seconds[-1]:.1f} s{mark}")


def run_paper(args) -> dict:
    """Train, validate and test a model of Table 1 (see the module docstring); the scores."""
    from .moving_mnist import MovingMNIST
    from .device import pick_device
    from .models import paper_model

    started = time.perf_counter()
    device = torch.device(args.device) if args.device else pick_device()
    out = args.out or Path("runs") / "".join(c if c.isalnum() else "_" for c in args.paper)
    out.mkdir(parents=True, exist_ok=True)
    log_file = (out / "log.txt").open("w")

    def log(line: str):
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    seq_len = 2 * args.input_steps
    make = dict(seq_len=seq_len, frame_size=args.frame_size, seed=args.seed)
    train = MovingMNIST(args.train_size or 10_000, split="train", **make)
    val = MovingMNIST(args.val_size or 2000, split="val", **make)
    test = MovingMNIST(args.test_size, split="test", **make)
    torch.manual_seed(args.seed)
    model = paper_model(args.paper, frame_size=args.frame_size)
    config = TrainConfig(epochs=args.epochs or 1000, batch_size=args.batch_size, lr=args.lr,
                         patience=args.patience or 10, input_steps=args.input_steps, seed=args.seed,
                         max_minutes=args.max_minutes, workers=args.workers, progress=False,
                         **({"amp": False, "clip": None} if args.float32 else {}))
    precision = "bfloat16 autocast" if use_amp(config, device, graphed=device.type == "cuda") else "float32"
    log(f"{args.paper}: {sum(p.numel() for p in model.parameters()):,} parameters, on {device} "
        f"({precision}; bf16 here: {bf16_support(device)}), {len(train)}/{len(val)}/{len(test)} sequences")
    data_start = time.perf_counter()
    train, val = (materialize(d, device, args.input_steps, args.workers, name=n)
                  for d, n in ((train, "training set"), (val, "validation set")))
    log(f"data made in {time.perf_counter() - data_start:.1f} s")
    history = fit(model, train, val, config, checkpoint=args.checkpoint, device=device,
                  on_epoch=lambda h: log(_epoch_line(h)))
    train_seconds = time.perf_counter() - started
    scores = evaluate(model, materialize(test, device, args.input_steps, args.workers, who="evaluate"),
                      input_steps=args.input_steps, batch_size=max(args.batch_size, 64), device=device)
    paper = TABLE_1.get(args.paper.replace(" ", ""))
    log(f"test: cross-entropy {scores['cross_entropy']:.2f} per sequence (Table 1: {paper}), "
        f"MSE {scores['mse']:.2f}, MAE {scores['mae']:.2f}, SSIM {scores['ssim']:.4f} per frame; "
        f"best epoch {history.best_epoch + 1}, {time.perf_counter() - started:.0f} s in all")
    state = model.state_dict()
    if args.bf16_weights:
        state = {k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in state.items()}
    torch.save({k: v.cpu() for k, v in state.items()}, out / "model.pt")
    result = {"model": args.paper, "table_1_cross_entropy": paper, "test": scores,
              "test_sequences": len(test), "history": asdict(history), "config": asdict(config),
              "precision": precision, "device": str(device),
              "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
              "torch": torch.__version__, "seconds_to_trained": train_seconds,
              "seconds_total": time.perf_counter() - started, "weights": "model.pt",
              "weights_dtype": "bfloat16" if args.bf16_weights else "float32"}
    (out / "scores.json").write_text(json.dumps(result, indent=1))
    log_file.close()
    return result


def main(argv=None) -> int:
    """``python -m convlstm.train``: see the module docstring."""
    args = _parser().parse_args(argv)
    if args.paper:
        run_paper(args)
        return 0
    from .moving_mnist import MovingMNIST
    from .models import EncoderForecaster

    seq_len = 2 * args.input_steps
    make = dict(seq_len=seq_len, frame_size=args.frame_size, seed=args.seed)
    train = MovingMNIST(args.train_size or 2000, split="train", **make)
    val = MovingMNIST(args.val_size or 200, split="val", **make)
    torch.manual_seed(args.seed)  # the same initial weights on every process
    model = EncoderForecaster(1, args.hidden, kernel_size=args.kernel_size, patch_size=4)
    history = fit(model, train, val, epochs=args.epochs or 10, batch_size=args.batch_size, lr=args.lr,
                  input_steps=args.input_steps, seed=args.seed, checkpoint=args.checkpoint, device=args.device,
                  workers=args.workers, **({"patience": args.patience} if args.patience else {}),
                  **({"amp": False, "clip": None} if args.float32 else {}))
    world = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
    if not world > 1 or dist.get_rank() == 0:
        for epoch, (t, v) in enumerate(zip(history.train_loss, history.val_loss), start=1):
            print(f"epoch {epoch}: train {t:.1f}, validation {v:.1f} (cross-entropy per sequence)")
        print(f"best epoch {history.best_epoch + 1} of {len(history.val_loss)}, on {world} process(es)")
    if world > 1:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
