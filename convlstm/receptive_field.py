r"""How far a ConvLSTM sees: the receptive field measured with autograd.

With a :math:`k \times k` kernel, one step moves information :math:`\lfloor k/2 \rfloor`
pixels. Frame 1 enters :math:`H_1` through the input kernel and then travels
:math:`T-1` more times through the state kernel, so :math:`H_T` at pixel :math:`p`
depends on frame 1 exactly within the Chebyshev radius :math:`T \lfloor k/2 \rfloor`
of :math:`p` (for equal kernels in a single layer).
"""
from __future__ import annotations

import torch


def input_gradient(model, x: torch.Tensor, pixel: tuple[int, int], frame: int = 0) -> torch.Tensor:
    r"""The magnitude of :math:`\partial H_T[:, p] / \partial X_{frame}`, summed over channels.

    ``model`` is a :class:`~convlstm.layers.ConvLSTM` (batch first); the gradient is taken
    of the sum over channels of the last layer's hidden state at the last step, at
    ``pixel = (row, col)``, for the first sequence of the batch.

    Shape:
        - x: ``(B, T, C, H, W)``
        - output: ``(H, W)``, non-negative, on x's device

    Examples:
        >>> from convlstm import ConvLSTM
        >>> net = ConvLSTM(1, 2, kernel_size=3)
        >>> g = input_gradient(net, torch.randn(1, 4, 1, 15, 15), pixel=(7, 7))
        >>> tuple(g.shape)
        (15, 15)
    """
    if x.dim() != 5:
        raise ValueError(f"input_gradient: expected x of shape (B, T, C, H, W), got {tuple(x.shape)}")
    T, H, W = x.shape[1], x.shape[3], x.shape[4]
    row, col = pixel
    if not (0 <= row < H and 0 <= col < W and -T <= frame < T):
        raise ValueError(
            f"input_gradient: expected pixel inside {(H, W)} and frame in [0, {T}), "
            f"got pixel={pixel}, frame={frame}"
        )
    x = x.detach().clone().requires_grad_(True)
    outputs, _ = model(x)  # (B, T, C_last, H, W)
    outputs[0, -1, :, row, col].sum().backward()
    return x.grad[0, frame].abs().sum(dim=0)  # (H, W)


def chebyshev_distance(size: tuple[int, int], pixel: tuple[int, int]) -> torch.Tensor:
    """Chebyshev (chessboard) distance of every pixel of a ``(H, W)`` frame to ``pixel``.

    Examples:
        >>> chebyshev_distance((3, 3), (0, 0)).tolist()
        [[0, 1, 2], [1, 1, 2], [2, 2, 2]]
    """
    rows = (torch.arange(size[0]) - pixel[0]).abs()[:, None]  # (H, 1)
    cols = (torch.arange(size[1]) - pixel[1]).abs()[None, :]  # (1, W)
    return torch.maximum(rows, cols)  # (H, W)
