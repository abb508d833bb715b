"""Training and evaluation for the encoder-forecaster models, as in Shi et al. (2015).

:func:`fit` trains any model that maps observed frames ``(B, T_in, C, H, W)`` to logits of the
next frames (``model(frames, future=T_out)``): RMSProp with learning rate 1e-3 and decay 0.9
as in the paper, validation after every epoch with early stopping, and a checkpoint after
every epoch from which an interrupted run resumes and ends exactly where an uninterrupted
one would. :func:`evaluate` reports the paper's and OpenSTL's scores.

The data are made once per run: each data set is read into one tensor on the training
device (:func:`materialize`), and every batch is an index into it, in an order that depends
only on the seed and the epoch. On CUDA the training step (forward, backward, clipping,
optimizer) runs as a CUDA graph (:mod:`convlstm.train_step`). Whether it runs under bfloat16
autocast is decided by :func:`convlstm.precision.resolve_amp` from what the device does.

Measured on the book's CPU (AMD EPYC with AVX512-BF16, 2 threads shared with other jobs,
torch 2.13), ``fit`` of ``EncoderForecaster(1, [32], kernel_size=5)`` on 400 Moving MNIST
sequences, 2 epochs, batch 16, default (bf16) against ``amp=False`` (float32), interleaved:
see ``scripts/bf16_speedups.py fit`` and the numbers in :class:`TrainConfig`.

``fit`` runs unchanged on several processes under ``torchrun``: each process trains a
:class:`~torch.nn.parallel.DistributedDataParallel` copy on its own share of every epoch's
batches, gradients are averaged across processes, and only rank 0 prints and writes the
checkpoint (no CUDA graph there).
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from .device import pick_device
from .metrics import frame_mae, frame_mse, frame_psnr, frame_ssim, sequence_cross_entropy
from .precision import resolve_amp
from .train_step import WARMUP_STEPS, EagerStep, GraphedStep, capture_step, graph_plan, warm_up


@dataclass
class TrainConfig:
    """How :func:`fit` trains. Defaults follow the paper where it says something.

    Beyond the paper, ``fit`` by default clips the gradient norm (``clip``), runs under
    bfloat16 autocast where the device runs bf16 natively (``amp``), runs the step as a CUDA
    graph on a GPU (``cuda_graph``), and stops early (``patience``). For a run to the paper's
    letter: ``TrainConfig(clip=None, amp=False, cuda_graph=False)`` (the graph changes only
    the speed, not the arithmetic).

    Batch size and learning rate go together: the loss is the cross-entropy summed over a
    sequence's pixels and averaged over the batch, so the gradient's size does not grow with
    the batch, and RMSProp divides it by its running root mean square anyway. A larger batch
    gives fewer, less noisy steps per epoch at the same learning rate: 1e-3 is the paper's for
    its batch of 16; at 64 or more (what keeps a GPU busy) fewer steps per epoch mean more
    epochs to the same loss, and a learning rate up to about 2e-3 may make up for it.

    ``amp=None`` measured on the book's CPU (AMD EPYC, AVX512-BF16, 2 threads shared with
    other jobs, torch 2.13), float32 against bf16 autocast, side by side:
    see :mod:`convlstm.precision` and the numbers filled in by ``scripts/bf16_speedups.py``.
    """

    epochs: int = 10
    batch_size: int = 16  # the paper's; see above for larger ones
    lr: float = 1e-3  # the paper's RMSProp learning rate
    alpha: float = 0.9  # the paper's RMSProp decay rate
    clip: float | None = 10.0  # max gradient norm (None: no clipping, as the paper)
    patience: int = 3  # epochs without a better validation loss before stopping
    input_steps: int = 10  # observed frames; the rest of each sequence is predicted
    seed: int = 0  # fixes the order of the batches in every epoch
    amp: bool | None = None  # bf16 autocast: None decides from the device (convlstm.precision)
    cuda_graph: bool = True  # on CUDA, run the training step as a CUDA graph
    max_minutes: float | None = None  # stop before an epoch that would end past this wall time
    workers: int = 0  # DataLoader processes that make the data sets (once, at the start)
    progress: bool = True  # a tqdm bar per epoch


@dataclass
class History:
    """What :func:`fit` did: one entry per epoch."""

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False
    seconds: list = field(default_factory=list)  # wall time of each epoch, validation included
    out_of_time: bool = False  # stopped by max_minutes

    @property
    def best_val_loss(self) -> float:
        return self.val_loss[self.best_epoch] if self.val_loss else float("inf")


def _frames(batch):
    """The sequences of a batch, whether the dataset yields tensors or ``(frames, ...)`` tuples."""
    return batch[0] if isinstance(batch, (list, tuple)) else batch


def materialize(dataset, device, input_steps: int, workers: int = 0, who: str = "fit", name="dataset"):
    """All sequences of ``dataset`` as one float32 tensor ``(N, T, C, H, W)`` on ``device``.

    Checked once: at least one sequence, five dimensions, ``T > input_steps`` and values in
    [0, 1] (a ValueError otherwise). A tensor already on ``device`` is used as it is.
    """
    device = torch.device(device)
    if len(dataset) == 0:
        raise ValueError(f"{who}: expected a {name} with at least one sequence, got an empty one")
    if isinstance(dataset, torch.Tensor):
        frames = dataset.to(device, torch.float32)
    else:
        frames, start = None, 0
        for batch in DataLoader(dataset, batch_size=256, num_workers=workers):
            chunk = _frames(batch)
            if frames is None:  # (N, T, C, H, W), filled in pieces of 256 sequences
                frames = torch.empty((len(dataset), *chunk.shape[1:]), dtype=torch.float32, device=device)
            frames[start : start + len(chunk)] = chunk.to(device, torch.float32)
            start += len(chunk)
    if frames.dim() != 5 or frames.shape[1] <= input_steps:
        raise ValueError(f"{who}: expected {name} sequences (N, T, C, H, W) with T > input_steps="
                         f"{input_steps}, got {tuple(frames.shape)}")
    low, high = frames.min().item(), frames.max().item()
    if not (0.0 <= low and high <= 1.0):
        raise ValueError(f"{who}: expected {name} frames in [0, 1], got values in [{low:g}, {high:g}]"
                         + ("; a 0-255 movie? divide it by 255" if high > 1 else ""))
    return frames


def _sum_over_ranks(*values, device, world: int) -> list[float]:
    """The sums over all processes of each of ``values`` (the values themselves in one process)."""
    if world == 1:
        return [float(v) for v in values]
    totals = torch.tensor([float(v) for v in values], dtype=torch.float64, device=device)
    dist.all_reduce(totals)
    return totals.tolist()


def _loss(model, frames, input_steps: int):
    """The mean cross-entropy per sequence of ``model``'s forecast of ``frames`` (B, T, C, H, W)."""
    observed, target = frames[:, :input_steps], frames[:, input_steps:]
    logits = model(observed, future=target.shape[1])  # (B, T_out, C, H, W)
    return sequence_cross_entropy(logits.float(), target, check_range=False)  # checked by materialize


@torch.no_grad()
def _validate(model, frames, config, rank: int, world: int) -> float:
    """The mean loss over ``frames``, in float32 whatever the training precision (so that it is
    :func:`evaluate`'s cross-entropy); each process scores every ``world``-th sequence."""
    model.eval()
    shard = frames[rank::world]
    total = torch.zeros((), dtype=torch.float64, device=frames.device)
    for start in range(0, len(shard), config.batch_size):
        batch = shard[start : start + config.batch_size]
        total += _loss(model, batch, config.input_steps).double() * len(batch)
    total, count = _sum_over_ranks(total.item(), len(shard), device=frames.device, world=world)
    return total / count


def _epoch_order(n: int, config: TrainConfig, epoch: int, rank: int, world: int) -> torch.Tensor:
    """The sequence indices of one epoch, in order; they depend only on the seed and the epoch,
    so a resumed run sees the same batches as an uninterrupted one (the permutation is the one
    a shuffling DataLoader with this generator would draw)."""
    if world == 1:
        order = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
        torch.empty((), dtype=torch.int64).random_(generator=order)  # a DataLoader's base seed, drawn first
        return torch.randperm(n, generator=order)
    # The same permutation on every process, each taking every world-th sequence of it;
    # DistributedSampler repeats a few sequences so that the shares are equal.
    sampler = DistributedSampler(range(n), world, rank, shuffle=True, seed=config.seed * 100_003)
    sampler.set_epoch(epoch)
    return torch.tensor(list(sampler))


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


def _config(config, overrides) -> TrainConfig:
    names = [f.name for f in fields(TrainConfig)]
    unknown = set(overrides) - set(names)
    if unknown:
        raise ValueError(f"fit: expected TrainConfig fields {names}, got {sorted(unknown)}")
    return replace(config or TrainConfig(), **overrides)


def use_amp(config: TrainConfig, device, graphed: bool = False) -> bool:
    """Whether :func:`fit` runs under bfloat16 autocast (see :func:`~convlstm.precision.resolve_amp`)."""
    return resolve_amp(config.amp, device, config.batch_size, graphed)


def fit(model, train_set, val_set, config: TrainConfig | None = None, checkpoint=None, device=None,
        on_epoch=None, **overrides):
    """Train ``model`` on sequences; return its :class:`History`. The model ends with its best weights.

    Args:
        model: maps ``(B, T_in, C, H, W)`` frames and ``future=T_out`` to logits ``(B, T_out, C, H, W)``.
        train_set, val_set: datasets (or tensors) of sequences ``(T, C, H, W)`` in [0, 1].
        config: a :class:`TrainConfig`; keyword ``overrides`` replace its fields.
        checkpoint: a file path. After every epoch the state is saved there; if it exists
            when ``fit`` starts, training resumes from it.
        device: defaults to :func:`~convlstm.device.pick_device` (the GPU when there is one).
        on_epoch: called as ``on_epoch(history)`` after every epoch (on rank 0), e.g. to print.

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

    config = _config(config, overrides)
    started = time.perf_counter()
    device = torch.device(device) if device is not None else pick_device()
    rank, world, device = _distributed(device)
    train = materialize(train_set, device, config.input_steps, config.workers, name="training set")
    val = materialize(val_set, device, config.input_steps, config.workers, name="validation set")
    model.to(device)
    net = model if world == 1 else DistributedDataParallel(model, device_ids=[device.index] if device.index is not None else None)
    graphed, why_not = graph_plan(device, world, config.cuda_graph)
    amp = use_amp(config, device, graphed)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.lr, alpha=config.alpha,
                                    **({"capturable": True} if graphed else {}))
    step = EagerStep(net, optimizer, config.input_steps, config.clip, amp)

    history, best_state = History(), None
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists():
        history, best_state = _load_checkpoint(path, model, optimizer)

    for epoch in range(len(history.train_loss), config.epochs):
        if history.stopped_early or history.out_of_time:
            break
        epoch_start = time.perf_counter()
        model.train()
        order = _epoch_order(len(train), config, epoch, rank, world).to(device)
        running = torch.zeros((), dtype=torch.float64, device=device)
        show = config.progress and rank == 0
        batches = range(0, len(order), config.batch_size)
        for start in tqdm(batches, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not show, leave=False):
            frames = train[order[start : start + config.batch_size]]  # (B, T, C, H, W)
            if graphed and not isinstance(step, GraphedStep):
                if step.steps < WARMUP_STEPS or len(frames) != config.batch_size:
                    running += warm_up(step, frames).double() * len(frames)
                    continue
                step, why_not = capture_step(step, frames)
                graphed = why_not is None
                if not graphed and config.amp is None:  # eager bf16 only pays off at large batches
                    step.amp = use_amp(config, device, graphed=False)
            running += step(frames).double() * len(frames)
        train_loss, seen = _sum_over_ranks(running.item(), len(order), device=device, world=world)
        history.train_loss.append(train_loss / seen)
        history.val_loss.append(_validate(model, val, config, rank, world))
        if history.val_loss[-1] < history.best_val_loss or history.best_epoch < 0:
            history.best_epoch = epoch
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        history.stopped_early = epoch - history.best_epoch >= config.patience
        now = time.perf_counter()
        history.seconds.append(now - epoch_start)
        if config.max_minutes is not None:  # would the next epoch end past the limit?
            history.out_of_time = (now - started) + history.seconds[-1] > 60 * config.max_minutes
        if path is not None and rank == 0:
            _save_checkpoint(path, model, optimizer, history, best_state)
        if on_epoch is not None and rank == 0:
            on_epoch(history)

    if best_state is not None:
        model.load_state_dict(best_state)
    return history


@torch.no_grad()
def evaluate(model, dataset, input_steps: int = 10, batch_size: int = 16, device=None, ssim: bool = True):
    """The paper's and OpenSTL's scores of ``model`` on ``dataset``, in float32.

    Returns a dict: ``cross_entropy`` (per sequence, :func:`~convlstm.metrics.sequence_cross_entropy`),
    ``mse`` and ``mae`` (per frame, summed over the pixels as OpenSTL does), ``psnr`` (dB per
    frame, OpenSTL's), and if asked ``ssim`` (per frame, data range 1) and ``ssim_openstl``
    (OpenSTL's convention, data range 2: see :func:`~convlstm.metrics.frame_ssim`), each averaged
    over the dataset.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(device).eval()
    frames = materialize(dataset, device, input_steps, who="evaluate")
    sums = {"cross_entropy": 0.0, "mse": 0.0, "mae": 0.0, "psnr": 0.0, "ssim": 0.0, "ssim_openstl": 0.0}
    for start in range(0, len(frames), batch_size):
        observed, target = frames[start : start + batch_size, :input_steps], frames[start : start + batch_size, input_steps:]
        logits = model(observed, future=target.shape[1]).float()
        pred = torch.sigmoid(logits)
        n = len(target)
        sums["cross_entropy"] += sequence_cross_entropy(logits, target).item() * n
        sums["mse"] += frame_mse(pred, target).item() * n
        sums["mae"] += frame_mae(pred, target).item() * n
        sums["psnr"] += frame_psnr(pred, target) * n
        if ssim:
            sums["ssim"] += frame_ssim(pred, target) * n
            sums["ssim_openstl"] += frame_ssim(pred, target, convention="openstl") * n
    scores = {k: v / len(frames) for k, v in sums.items()}
    if not ssim:
        del scores["ssim"], scores["ssim_openstl"]
    return scores
