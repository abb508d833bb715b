"""Training and evaluation for the encoder-forecaster models, as in Shi et al. (2015).

:func:`fit` trains any model that maps observed frames ``(B, T_in, C, H, W)`` to logits of the
next frames (``model(frames, future=T_out)``): RMSProp with learning rate 1e-3 and decay 0.9
as in the paper, gradient clipping, validation after every epoch with early stopping, and a
checkpoint after every epoch from which an interrupted run resumes and ends exactly where
an uninterrupted one would. :func:`evaluate` reports the paper's and OpenSTL's scores.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import torch
from torch.utils.data import DataLoader

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
    amp: bool = False  # bfloat16 autocast
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


def _loss(model, batch, config: TrainConfig, device):
    observed, target = _split(batch, config.input_steps)
    observed, target = observed.to(device), target.to(device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.amp):
        logits = model(observed, future=target.shape[1])
    return sequence_cross_entropy(logits.float(), target)


@torch.no_grad()
def _validate(model, loader, config, device) -> float:
    model.eval()
    total, count = 0.0, 0
    for batch in loader:
        loss = _loss(model, batch, config, device)
        n = len(_frames(batch))
        total, count = total + loss.item() * n, count + n
    return total / count


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
    model.to(device)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.lr, alpha=config.alpha)
    val_loader = DataLoader(val_set, batch_size=config.batch_size)

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
        loader = DataLoader(train_set, batch_size=config.batch_size, shuffle=True, generator=order)
        model.train()
        running, seen = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not config.progress, leave=False)
        for batch in bar:
            loss = _loss(model, batch, config, device)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            n = len(_frames(batch))
            running, seen = running + loss.item() * n, seen + n
            bar.set_postfix(loss=f"{running / seen:.1f}")
        history.train_loss.append(running / seen)
        history.val_loss.append(_validate(model, val_loader, config, device))
        if history.val_loss[-1] < history.best_val_loss or history.best_epoch < 0:
            history.best_epoch = epoch
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        history.stopped_early = epoch - history.best_epoch >= config.patience
        if path is not None:
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
