r"""Scores for predicted frames, as the papers report them.

* :func:`sequence_cross_entropy`: Shi et al. (2015), Table 1: binary cross-entropy summed
  over every pixel of the predicted frames of a sequence, averaged over sequences.
* :func:`frame_mse`, :func:`frame_mae`: OpenSTL's Moving MNIST benchmark: squared (absolute)
  error summed over the pixels of a frame in [0, 1], averaged over frames.
* :func:`frame_ssim`: structural similarity per frame, from scikit-image (the same function
  OpenSTL uses), averaged over frames.

Each takes ``(B, T, C, H, W)`` tensors and returns the average over sequences and frames,
or with ``reduce=False`` one value per sequence (cross-entropy) or per frame ``(B, T)``.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def _check_pair(a, b, who: str):
    if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or a.dim() != 5 or a.shape != b.shape:
        shapes = [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in (a, b)]
        raise ValueError(f"{who}: expected two tensors of the same shape (B, T, C, H, W), got {shapes[0]} and {shapes[1]}")


def sequence_cross_entropy(logits, target, reduce: bool = True):
    r"""Cross-entropy per sequence, :math:`-\sum_{t,c,h,w} [y \log p + (1-y) \log (1-p)]`.

    where :math:`p = \sigma(\text{logits})` and the sum runs over all predicted frames of one
    sequence; the result is averaged over the sequences (``reduce=True``) or returned per
    sequence ``(B,)``. The target may be any intensity in [0, 1], not only 0 or 1.

    Examples:
        >>> y = torch.zeros(1, 1, 1, 2, 2)
        >>> round(sequence_cross_entropy(torch.zeros_like(y), y).item(), 4)  # 4 pixels of log 2
        2.7726
    """
    _check_pair(logits, target, "sequence_cross_entropy")
    per_pixel = F.binary_cross_entropy_with_logits(logits.float(), target.float(), reduction="none")
    per_sequence = per_pixel.flatten(1).sum(1)  # (B,)
    return per_sequence.mean() if reduce else per_sequence


def frame_mse(pred, target, reduce: bool = True):
    r"""Squared error summed over a frame's pixels, :math:`\sum_{c,h,w} (\hat y - y)^2`, averaged over frames.

    Examples:
        >>> frame_mse(torch.ones(1, 2, 1, 2, 2), torch.zeros(1, 2, 1, 2, 2)).item()
        4.0
    """
    _check_pair(pred, target, "frame_mse")
    per_frame = (pred.float() - target.float()).square().flatten(2).sum(2)  # (B, T)
    return per_frame.mean() if reduce else per_frame


def frame_mae(pred, target, reduce: bool = True):
    r"""Absolute error summed over a frame's pixels, :math:`\sum_{c,h,w} |\hat y - y|`, averaged over frames.

    Examples:
        >>> frame_mae(torch.full((1, 1, 1, 2, 2), 0.5), torch.zeros(1, 1, 1, 2, 2)).item()
        2.0
    """
    _check_pair(pred, target, "frame_mae")
    per_frame = (pred.float() - target.float()).abs().flatten(2).sum(2)  # (B, T)
    return per_frame.mean() if reduce else per_frame


def frame_ssim(pred, target, reduce: bool = True, data_range: float = 1.0):
    """Structural similarity of each predicted frame with its target (scikit-image).

    ``skimage.metrics.structural_similarity`` with its defaults (a 7x7 uniform window) and
    ``data_range`` (1 for frames in [0, 1]); channels, if more than one, are averaged.
    Runs on the CPU; returns a float, or a ``(B, T)`` numpy array with ``reduce=False``.

    Examples:
        >>> x = torch.rand(1, 2, 1, 16, 16)
        >>> round(frame_ssim(x, x), 6)
        1.0
    """
    from skimage.metrics import structural_similarity

    _check_pair(pred, target, "frame_ssim")
    p = pred.detach().float().cpu().numpy()
    y = target.detach().float().cpu().numpy()
    B, T, C = p.shape[:3]
    scores = np.empty((B, T))
    for b in range(B):
        for t in range(T):
            scores[b, t] = np.mean(
                [structural_similarity(p[b, t, c], y[b, t, c], data_range=data_range) for c in range(C)]
            )
    return float(scores.mean()) if reduce else scores
