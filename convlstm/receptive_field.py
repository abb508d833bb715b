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


def measured_radius(grad: torch.Tensor, pixel: tuple[int, int]) -> int:
    """The largest Chebyshev distance from ``pixel`` at which ``grad`` is nonzero (-1 if none).

    Examples:
        >>> g = torch.zeros(5, 5); g[1:4, 1:4] = 1.0
        >>> measured_radius(g, (2, 2))
        1
    """
    distance = chebyshev_distance(tuple(grad.shape), pixel).to(grad.device)  # (H, W)
    reached = distance[grad != 0]
    return int(reached.max()) if reached.numel() else -1


@torch.no_grad()
def shifting_cell(kernel_size: int, shift: tuple[int, int], gain: float = 3.0):
    r"""A one-channel ConvLSTM cell, built by hand, that moves what it holds by ``shift`` pixels a step.

    The gates are pinned open or shut by their biases (:math:`i \approx 1`, :math:`f \approx 0`,
    :math:`o \approx 1`) and the candidate reads the input in place and the previous hidden
    state shifted:

    .. math::
        C_t \approx \tanh\big(a\,(X_t + S_{\delta} H_{t-1})\big), \qquad H_t \approx \tanh(C_t)

    where :math:`S_\delta` moves a map by :math:`\delta = (\delta_y, \delta_x)` pixels and
    :math:`a` is ``gain``. :math:`S_\delta` is one tap of the state-to-state kernel, so it
    exists only for :math:`|\delta_y|, |\delta_x| \le \lfloor k/2 \rfloor`: a
    :math:`k \times k` kernel cannot carry motion faster than that.

    Shape:
        - input of the returned cell: ``(B, 1, H, W)``; its state ``(B, 1, H, W)``

    Examples:
        >>> cell = shifting_cell(3, (0, 1))
        >>> x = torch.zeros(1, 1, 1, 7); x[..., 2] = 1.0
        >>> state = cell(x)                        # reads the dot at column 2
        >>> state = cell(torch.zeros_like(x), state)
        >>> int(state[0][0, 0, 0].argmax())        # one step later it is at column 3
        3
    """
    from .cells import ConvLSTMCell

    radius = kernel_size // 2
    dy, dx = shift
    if abs(dy) > radius or abs(dx) > radius:
        raise ValueError(
            f"shifting_cell: a {kernel_size}x{kernel_size} kernel moves at most {radius} px per step, "
            f"got shift={shift}"
        )
    cell = ConvLSTMCell(1, 1, kernel_size=kernel_size)
    weight = torch.zeros_like(cell.conv.weight)  # (4, 2, k, k): gates i, f, g, o x inputs [x, h]
    weight[2, 0, radius, radius] = gain  # candidate reads x in place
    weight[2, 1, radius - dy, radius - dx] = gain  # and h from `shift` pixels behind
    cell.conv.weight.copy_(weight)
    # Saturated gates: a leftover of sigmoid(-30) ~ 1e-13 cannot grow into a visible trail.
    cell.conv.bias.copy_(torch.tensor([30.0, -30.0, 0.0, 30.0]))  # i open, f shut, o open
    return cell
