r"""The paper's patches: each frame cut into ``p`` x ``p`` patches stacked as channels.

Shi et al. (2015) feed their ConvLSTM 16x16 maps of 16 channels, the 4x4 patches of each
64x64 Moving MNIST frame (and 2x2 patches of the 100x100 radar maps).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _check_patch_args(x, patch_size, who: str):
    if not isinstance(x, torch.Tensor) or x.dim() < 3:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{who}: expected a tensor of shape (..., C, H, W), got {got}")
    if isinstance(patch_size, bool) or not isinstance(patch_size, int) or patch_size < 1:
        raise ValueError(f"{who}: expected patch_size to be an int >= 1, got {patch_size!r}")


def to_patches(frames: torch.Tensor, patch_size: int = 4) -> torch.Tensor:
    r"""Cut each frame into ``patch_size`` x ``patch_size`` patches, stacked as channels.

    Shi et al. (2015) turn each 64x64 Moving MNIST frame into a 16x16 grid of 4x4 patches,
    so the ConvLSTM works on 16x16 maps with 16 channels. This is
    :func:`torch.nn.functional.pixel_unshuffle`: output channel
    :math:`c\,p^2 + i\,p + j` holds pixel :math:`(i, j)` of each patch of input channel
    :math:`c`. :func:`from_patches` undoes it exactly.

    Shape:
        - frames: ``(..., C, H, W)`` with H and W divisible by ``patch_size``
        - output: ``(..., C * patch_size**2, H / patch_size, W / patch_size)``

    Examples:
        >>> x = torch.rand(2, 20, 1, 64, 64)
        >>> tuple(to_patches(x).shape)
        (2, 20, 16, 16, 16)
        >>> torch.equal(from_patches(to_patches(x)), x)
        True
    """
    who = "to_patches"
    _check_patch_args(frames, patch_size, who)
    *_, C, H, W = frames.shape
    if H % patch_size or W % patch_size:
        raise ValueError(
            f"{who}: expected H and W divisible by patch_size={patch_size}, got (H, W) = {(H, W)}"
        )
    return F.pixel_unshuffle(frames, patch_size)  # (..., C*p*p, H/p, W/p)


def from_patches(patches: torch.Tensor, patch_size: int = 4) -> torch.Tensor:
    """Put patches back into frames: the inverse of :func:`to_patches`.

    Shape:
        - patches: ``(..., C * patch_size**2, h, w)``
        - output: ``(..., C, h * patch_size, w * patch_size)``

    Examples:
        >>> tuple(from_patches(torch.zeros(8, 16, 16, 16)).shape)
        (8, 1, 64, 64)
    """
    who = "from_patches"
    _check_patch_args(patches, patch_size, who)
    channels = patches.shape[-3]
    if channels % (patch_size * patch_size):
        raise ValueError(
            f"{who}: expected channels divisible by patch_size**2 = {patch_size * patch_size}, "
            f"got {channels}"
        )
    return F.pixel_shuffle(patches, patch_size)  # (..., C, h*p, w*p)
