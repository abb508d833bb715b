"""Training and evaluation for the encoder-forecaster models, as in Shi et al. (2015).

:func:`fit` trains any model that maps observed frames ``(B, T_in, C, H, W)`` to logits of the
next frames (``model(frames, future=T_out)``): RMSProp with learning rate 1e-3 and decay 0.9
as in the paper, gradient clipping, validation after every epoch with early stopping, and a
checkpoint after every epoch from which an interrupted run resumes and ends exactly where
an uninterrupted one would. :func:`evaluate` reports the paper's and OpenSTL's scores.

``fit`` runs unchanged on several processes under ``torchrun``: each process trains a
:class:`~torch.nn.parallel.DistributedDataParallel` copy on its own share of every epoch's
batches, gradients are averaged across processes, and only rank 0 prints and writes the
checkpoint. ``python -m convlstm.train`` trains a small Moving MNIST model this way::

    torchrun --standalone --nproc_per_node=4 -m convlstm.train --epochs 20   # 4 GPUs
    python -m convlstm.train --epochs 2                                      # one process
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, Subset

from .device import pick_device
from .metrics import frame_mae, frame_mse, frame_ssim, sequence_cross_entropy


@dataclass
class TrainConfig:
    """How :func:`fit` trains. Defaults follow the paper where it says something."""

    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-3  # the paper's RMSProp learning rate
    alpha: float = 0.9  # the paper's RMSProp decay rate
    clip: float = 10.0  # max gradient norm; the summed cross-entropy has large gradients
    patience: int = 3  # epochs without a better validation loss before stopping
    input_steps: int = 10  # observed frames; the rest of each sequence is predicted
    seed: int = 0  # fixes the order of the batches in every epoch
    # bfloat16 autocast. None: on CUDA where the GPU supports bfloat16 (faster, same loss
    # curve in the benchmark's chapter), off on the CPU (autocast there makes steps slower).
    amp: bool | None = None
    progress: bool = True  # a tqdm bar per epoch


@dataclass
class History:
    """What :func:`fit` did: one entry per epoch."""

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False

    @property
    def best_val_loss(self) -> float:
        return self.val_loss[self.best_epoch] if self.val_loss else float("inf")


def _frames(batch):
    """The sequences of a batch, whether the dataset yields tensors or ``(frames, ...)`` tuples."""
    return batch[0] if isinstance(batch, (list, tuple)) else batch


def _split(batch, input_steps: int):
    """Observed and target frames of a batch of sequences ``(B, T, C, H, W)``."""
    frames = _frames(batch)
    if frames.dim() != 5 or frames.shape[1] <= input_steps:
        raise ValueError(
            f"fit: expected sequences (B, T, C, H, W) with T > input_steps={input_steps}, got {tuple(frames.shape)}"
        )
    return frames[:, :input_steps], frames[:, input_steps:]


def use_amp(config: TrainConfig, device: torch.device) -> bool:
    """Whether :func:`fit` runs under bfloat16 autocast: ``config.amp``, or when None, on CUDA with bfloat16."""
    if config.amp is not None:
        return bool(config.amp)
    return device.type == "cuda" and torch.cuda.is_bf16_supported()


def _loss(model, batch, config: TrainConfig, device):
    observed, target = _split(batch, config.input_steps)
    observed, target = observed.to(device), target.to(device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp(config, device)):
        logits = model(observed, future=target.shape[1])
    return sequence_cross_entropy(logits.float(), target)


def _sum_over_ranks(*values, device, world: int) -> list[float]:
    """The sums over all processes of each of ``values`` (the values themselves in one process)."""
    if world == 1:
        return list(values)
    totals = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(totals)
    return totals.tolist()


@torch.no_grad()
def _validate(model, val_set, config, device, rank: int, world: int) -> float:
    """The mean loss over ``val_set``; each process scores every ``world``-th sequence."""
    model.eval()
    shard = val_set if world == 1 else Subset(val_set, range(rank, len(val_set), world))
    total, count = 0.0, 0
    for batch in DataLoader(shard, batch_size=config.batch_size):
        loss = _loss(model, batch, config, device)
        n = len(_frames(batch))
        total, count = total + loss.item() * n, count + n
    total, count = _sum_over_ranks(total, count, device=device, world=world)
    return total / count


def _distributed(device: torch.device):
    """Join the process group that ``torchrun`` describes; return ``(rank, world_size, device)``.

    With ``WORLD_SIZE`` unset or 1 this is one process: ``(0, 1, device)``. Otherwise the group
    is initialized from the environment (NCCL on CUDA, gloo on the CPU) unless it already is,
    and a CUDA device becomes the process's own GPU, ``cuda:LOCAL_RANK``.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 and not (dist.is_available() and dist.is_initialized()):
        return 0, 1, device
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    return dist.get_rank(), dist.get_world_size(), device


def _load_checkpoint(path: Path, model, optimizer):
    """Restore model and optimizer from ``path``; return ``(history, best_state)``."""
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        history = History(**saved["history"])
        best_state = saved["best_model"]
    except Exception as error:  # a truncated file, another model's checkpoint, ...
        raise RuntimeError(
            f"fit: cannot resume from the checkpoint {path} ({type(error).__name__}: {error}). "
            "It may be from another model or an interrupted write: delete it, or pass another checkpoint path."
        ) from error
    return history, best_state


def _save_checkpoint(path: Path, model, optimizer, history: History, best_state):
    """Write the checkpoint atomically: a crash mid-write leaves the previous one intact."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "history": asdict(history),
         "best_model": best_state},
        tmp,
    )
    os.replace(tmp, path)


def fit(model, train_set, val_set, config: TrainConfig | None = None, checkpoint=None, device=None, **overrides):
    """Train ``model`` on sequences; return its :class:`History`. The model ends with its best weights.

    Args:
        model: maps ``(B, T_in, C, H, W)`` frames and ``future=T_out`` to logits ``(B, T_out, C, H, W)``.
        train_set, val_set: datasets of sequences ``(T, C, H, W)`` in [0, 1].
        config: a :class:`TrainConfig`; keyword ``overrides`` replace its fields.
        checkpoint: a file path. After every epoch the state is saved there; if it exists
            when ``fit`` starts, training resumes from it.
        device: defaults to :func:`~convlstm.device.pick_device` (the GPU when there is one).

    Under ``torchrun`` (``WORLD_SIZE`` > 1) each process trains on its share of every epoch's
    batches (``batch_size`` sequences per process and step), with gradients averaged across
    processes by :class:`~torch.nn.parallel.DistributedDataParallel`; the losses in the
    history are over all processes, so every process stops at the same epoch and ends with
    the same weights. Only rank 0 shows progress and writes the checkpoint.

    Examples:
        >>> from convlstm.models import EncoderForecaster
        >>> data = torch.rand(8, 4, 1, 8, 8)
        >>> model = EncoderForecaster(1, [4], kernel_size=3, patch_size=2)
        >>> history = fit(model, data, data, epochs=2, batch_size=4, input_steps=2, progress=False, device="cpu")
        >>> len(history.train_loss), len(history.val_loss)
        (2, 2)
    """
    from tqdm.auto import tqdm

    unknown = set(overrides) - {f.name for f in fields(TrainConfig)}
    if unknown:
        raise ValueError(f"fit: expected TrainConfig fields {[f.name for f in fields(TrainConfig)]}, got {sorted(unknown)}")
    config = replace(config or TrainConfig(), **overrides)
    device = torch.device(device) if device is not None else pick_device()
    rank, world, device = _distributed(device)
    model.to(device)
    net = model if world == 1 else DistributedDataParallel(model, device_ids=[device.index] if device.index is not None else None)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.lr, alpha=config.alpha)

    history, best_state = History(), None
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists():
        history, best_state = _load_checkpoint(path, model, optimizer)

    for epoch in range(len(history.train_loss), config.epochs):
        if history.stopped_early:
            break
        # The order of the batches depends only on the seed and the epoch, so a resumed
        # run sees the same batches as an uninterrupted one.
        order = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
        if world == 1:
            loader = DataLoader(train_set, batch_size=config.batch_size, shuffle=True, generator=order)
        else:  # the same permutation on every process, each taking every world-th sequence of it;
            # DistributedSampler repeats a few sequences so that the shares are equal when
            # len(train_set) is not a multiple of world (their losses then count twice).
            sampler = DistributedSampler(train_set, world, rank, shuffle=True, seed=config.seed * 100_003)
            sampler.set_epoch(epoch)
            loader = DataLoader(train_set, batch_size=config.batch_size, sampler=sampler)
        model.train()
        running, seen = 0.0, 0
        show = config.progress and rank == 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not show, leave=False)
        for batch in bar:
            loss = _loss(net, batch, config, device)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            n = len(_frames(batch))
            running, seen = running + loss.item() * n, seen + n
            bar.set_postfix(loss=f"{running / seen:.1f}")
        running, seen = _sum_over_ranks(running, seen, device=device, world=world)
        history.train_loss.append(running / seen)
        history.val_loss.append(_validate(model, val_set, config, device, rank, world))
        if history.val_loss[-1] < history.best_val_loss or history.best_epoch < 0:
            history.best_epoch = epoch
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        history.stopped_early = epoch - history.best_epoch >= config.patience
        if path is not None and rank == 0:
            _save_checkpoint(path, model, optimizer, history, best_state)

    if best_state is not None:
        model.load_state_dict(best_state)
    return history


@torch.no_grad()
def evaluate(model, dataset, input_steps: int = 10, batch_size: int = 16, device=None, ssim: bool = True):
    """The paper's and OpenSTL's scores of ``model`` on ``dataset``.

    Returns a dict: ``cross_entropy`` (per sequence, :func:`~convlstm.metrics.sequence_cross_entropy`),
    ``mse`` and ``mae`` (per frame), and ``ssim`` (per frame, if asked), each averaged over the dataset.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device).eval()
    sums, count = {"cross_entropy": 0.0, "mse": 0.0, "mae": 0.0, "ssim": 0.0}, 0
    for batch in DataLoader(dataset, batch_size=batch_size):
        observed, target = _split(batch, input_steps)
        observed, target = observed.to(device), target.to(device)
        logits = model(observed, future=target.shape[1]).float()
        pred = torch.sigmoid(logits)
        n = len(target)
        sums["cross_entropy"] += sequence_cross_entropy(logits, target).item() * n
        sums["mse"] += frame_mse(pred, target).item() * n
        sums["mae"] += frame_mae(pred, target).item() * n
        if ssim:
            sums["ssim"] += frame_ssim(pred, target) * n
        count += n
    scores = {k: v / count for k, v in sums.items()}
    if not ssim:
        del scores["ssim"]
    return scores


def main(argv=None) -> int:
    """``python -m convlstm.train``: a small ConvLSTM on generated Moving MNIST, on one or many processes."""
    from .data import MovingMNIST
    from .models import EncoderForecaster

    parser = argparse.ArgumentParser(prog="python -m convlstm.train", description=main.__doc__)
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 64], help="hidden channels per layer")
    parser.add_argument("--kernel-size", type=int, default=5)
    parser.add_argument("--frame-size", type=int, default=64)
    parser.add_argument("--train-size", type=int, default=2000, help="training sequences")
    parser.add_argument("--val-size", type=int, default=200, help="validation sequences")
    parser.add_argument("--input-steps", type=int, default=10, help="observed frames; as many are predicted")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=16, help="sequences per process and step")
    parser.add_argument("--checkpoint", default=None, help="resume from / save to this file")
    parser.add_argument("--device", default=None, help="default: CUDA, then MPS, then the CPU")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    seq_len = 2 * args.input_steps
    train = MovingMNIST(args.train_size, seq_len=seq_len, frame_size=args.frame_size, split="train", seed=args.seed)
    val = MovingMNIST(args.val_size, seq_len=seq_len, frame_size=args.frame_size, split="val", seed=args.seed)
    torch.manual_seed(args.seed)  # the same initial weights on every process
    model = EncoderForecaster(1, args.hidden, kernel_size=args.kernel_size, patch_size=4)
    history = fit(model, train, val, epochs=args.epochs, batch_size=args.batch_size, input_steps=args.input_steps,
                  seed=args.seed, checkpoint=args.checkpoint, device=args.device)
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
