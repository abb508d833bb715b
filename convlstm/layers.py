r"""A stack of ConvLSTM cells run over a sequence of frames."""
from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .cells import ConvLSTMCell, FCLSTMCell
from ._checks import _check_int


def _per_layer(value, num_layers: int, name: str, is_single) -> list:
    """``value`` repeated ``num_layers`` times, or checked to have one entry per layer."""
    if is_single(value):
        return [value] * num_layers
    values = list(value) if isinstance(value, (list, tuple)) else None
    if values is None or len(values) != num_layers:
        raise ValueError(f"expected {name} as one value or {num_layers} values (one per layer), got {value!r}")
    return values


def _num_layers(hidden, num_layers, who: str) -> int:
    """The number of layers: given, or the length of the per-layer ``hidden`` list."""
    if num_layers is None:
        num_layers = 1 if isinstance(hidden, int) else len(hidden) if isinstance(hidden, (list, tuple)) else 0
    if num_layers < 1:
        raise ValueError(f"{who}: expected at least one layer, got num_layers={num_layers}")
    return num_layers


def _is_kernel(value) -> bool:
    """An int kernel, or a ``(kh, kw)`` pair of ints."""
    return isinstance(value, int) or (
        isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value)
    )


def _steps(cell, inputs, state):
    """Run ``cell`` over the list ``inputs`` from ``state``; return the list of ``h`` and the last state."""
    hs = []
    for x_t in inputs:
        state = cell(x_t, state)
        hs.append(state[0])
    return hs, state


def _checkpointed_steps(cell, inputs, state, every: int):
    """:func:`_steps` in segments of ``every`` steps whose activations are recomputed in the backward pass.

    Only each segment's inputs (its frames and the state it starts from) and its outputs
    stay in memory; the gates are computed again, segment by segment, when gradients are needed.
    """
    hs = []
    for start in range(0, len(inputs), every):
        segment = inputs[start : start + every]
        seg_hs, state = checkpoint(_steps, cell, segment, state, use_reentrant=False)
        hs += seg_hs
    return hs, state


class _Stack(nn.Module):
    """What every stack of cells shares: running the cells over a sequence, layer by layer.

    A subclass sets ``cells``, ``in_channels``, ``num_layers``, ``batch_first``, and the
    class attributes ``_who`` (the name in error messages) and ``_feature_dims`` (the
    names of the dimensions after ``(B, T)``).
    """

    checkpoint_every = None  # steps per checkpointed segment; None: keep every activation

    def forward(self, x, state=None, steps: int | None = None, return_all_layers: bool = False):
        """Run the stack over the sequence; see the class docstring for shapes.

        ``steps`` is the number of steps for a stack with no input (``in_channels == 0``);
        otherwise the sequence length of ``x`` sets it. With ``return_all_layers`` the
        first result is a list with every layer's ``h`` at every step, bottom layer first.
        """
        frames, steps = self._frames(x, steps)  # frames: (T, B, C, ...) or None
        if state is None:
            state = [None] * self.num_layers
        elif not isinstance(state, (list, tuple)) or len(state) != self.num_layers:
            got = len(state) if isinstance(state, (list, tuple)) else type(state).__name__
            raise ValueError(f"{self._who}: expected state as a list of {self.num_layers} (h, c) pairs, got {got}")
        # Layer by layer: each layer runs over all steps before the next one starts.
        layer_input = [None] * steps if frames is None else list(frames.unbind(0))  # T x (B, C, ...)
        final, per_layer = [], []
        time_dim = 1 if self.batch_first else 0
        every = self.checkpoint_every
        checkpointing = bool(every) and torch.is_grad_enabled()
        for cell, layer_state in zip(self.cells, state):
            if checkpointing:
                hs, layer_state = _checkpointed_steps(cell, layer_input, layer_state, every)
            else:
                hs, layer_state = _steps(cell, layer_input, layer_state)
            final.append(layer_state)
            per_layer.append(hs)
            layer_input = hs
        if return_all_layers:
            return [torch.stack(hs, dim=time_dim) for hs in per_layer], final  # each (B, T, C_l, ...)
        return torch.stack(layer_input, dim=time_dim), final  # (B, T, C_last, ...)

    def _frames(self, x, steps):
        """The input time-major, ``(T, B, C, ...)``, and the number of steps."""
        who = self._who
        if self.in_channels == 0:
            if x is not None:
                raise ValueError(f"{who}: a stack with no input (size 0) takes x=None, got a tensor")
            if not isinstance(steps, int) or steps < 1:
                raise ValueError(f"{who}: a stack with no input needs steps >= 1, got {steps!r}")
            return None, steps
        dims = ("B", "T") if self.batch_first else ("T", "B")
        layout = "(" + ", ".join(dims + self._feature_dims) + ")"
        rank = 2 + len(self._feature_dims)
        if not isinstance(x, torch.Tensor) or x.dim() != rank or x.shape[2] != self.in_channels:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"{who}: expected x of shape {layout} with {self._feature_dims[0]}={self.in_channels}, got {got}"
            )
        if steps is not None and steps != x.shape[1 if self.batch_first else 0]:
            raise ValueError(f"{who}: steps={steps} disagrees with the sequence length of x {tuple(x.shape)}")
        if x.shape[1 if self.batch_first else 0] == 0:
            raise ValueError(f"{who}: expected a sequence of at least one step, got x of shape {tuple(x.shape)}")
        frames = x.transpose(0, 1) if self.batch_first else x  # (T, B, C, ...)
        return frames, frames.shape[0]


class ConvLSTM(_Stack):
    r"""A stack of :class:`~convlstm.cells.ConvLSTMCell` run over a sequence.

    Layer :math:`l` at step :math:`t` reads the hidden state of the layer below at the same
    step (frame :math:`t` for the first layer) and its own state from step :math:`t-1`:

    .. math::
        (H^{l}_t, C^{l}_t) = \mathrm{ConvLSTMCell}_l\big(H^{l-1}_t, (H^{l}_{t-1}, C^{l}_{t-1})\big),
        \qquad H^{0}_t = X_t

    where each cell computes the gates of Shi et al. (2015), equation (3).

    Args:
        in_channels: channels of each input frame; 0 makes a stack with no input, run
            for ``steps`` steps from a given state (the paper's forecasting network).
        hidden_channels: an int, or one int per layer.
        kernel_size: input-to-state kernel, one for all layers or one per layer.
        hidden_kernel_size: state-to-state kernel (defaults to ``kernel_size``), likewise.
        num_layers: defaults to the length of ``hidden_channels`` (1 for an int).
        peephole: None, ``"channel"`` or ``"spatial"``, as in :class:`ConvLSTMCell`.
        frame_size: ``(H, W)``, needed for ``peephole="spatial"``.
        batch_first: inputs and outputs are ``(B, T, C, H, W)``; else ``(T, B, C, H, W)``.
        bias: add the gate biases.
        checkpoint_every: activation checkpointing over time. None (the default) keeps every
            step's activations for the backward pass, memory growing with :math:`T`. An int
            :math:`k` runs each layer in segments of :math:`k` steps and keeps only each segment's
            inputs and outputs; the gates are recomputed in the backward pass (one more forward
            pass of work, the same outputs and gradients). Applies only when gradients are on.

    Shape:
        - x: ``(B, T, in_channels, H, W)`` (``batch_first``) or ``(T, B, in_channels, H, W)``;
          None when ``in_channels == 0``
        - state: None (zeros), or a list of ``(h, c)``, one per layer, each ``(B, C_l, H, W)``
        - outputs: the last layer's ``h`` at every step, ``(B, T, C_last, H, W)``
          (or ``(T, B, C_last, H, W)``)
        - states: the final ``(h, c)`` of every layer, a list

    Examples:
        >>> net = ConvLSTM(1, [16, 8], kernel_size=3)
        >>> x = torch.randn(2, 10, 1, 32, 32)
        >>> outputs, states = net(x)
        >>> tuple(outputs.shape), len(states), tuple(states[-1][0].shape)
        ((2, 10, 8, 32, 32), 2, (2, 8, 32, 32))
    """

    _who = "ConvLSTM"
    _feature_dims = ("C", "H", "W")

    def __init__(
        self,
        in_channels: int,
        hidden_channels,
        kernel_size=3,
        hidden_kernel_size=None,
        num_layers=None,
        peephole=None,
        frame_size=None,
        batch_first: bool = True,
        bias: bool = True,
        checkpoint_every: int | None = None,
    ):
        super().__init__()
        if checkpoint_every is not None:
            checkpoint_every = _check_int(checkpoint_every, "checkpoint_every (or None)", 1, self._who)
        self.checkpoint_every = checkpoint_every
        num_layers = _num_layers(hidden_channels, num_layers, self._who)
        hidden = _per_layer(hidden_channels, num_layers, "hidden_channels", lambda v: isinstance(v, int))
        kernels = _per_layer(kernel_size, num_layers, "kernel_size", _is_kernel)
        hidden_kernels = _per_layer(
            hidden_kernel_size, num_layers, "hidden_kernel_size", lambda v: v is None or _is_kernel(v)
        )
        self.in_channels = in_channels
        self.hidden_channels = hidden
        self.num_layers = num_layers
        self.batch_first = batch_first
        inputs = [in_channels] + hidden[:-1]
        self.cells = nn.ModuleList(
            ConvLSTMCell(c_in, c_h, k, kh, bias=bias, peephole=peephole, frame_size=frame_size)
            for c_in, c_h, k, kh in zip(inputs, hidden, kernels, hidden_kernels)
        )


class FCLSTM(_Stack):
    r"""A stack of :class:`~convlstm.cells.FCLSTMCell` run over a sequence of vectors.

    The fully-connected counterpart of :class:`ConvLSTM`, with the same interface:

    .. math::
        (h^{l}_t, c^{l}_t) = \mathrm{FCLSTMCell}_l\big(h^{l-1}_t, (h^{l}_{t-1}, c^{l}_{t-1})\big),
        \qquad h^{0}_t = x_t

    Args:
        input_size: features of each input vector; 0 for a stack with no input.
        hidden_sizes: an int, or one int per layer.
        num_layers: defaults to the length of ``hidden_sizes`` (1 for an int).
        peephole: add the peephole terms in every layer.
        batch_first: inputs and outputs are ``(B, T, F)``; else ``(T, B, F)``.
        bias: add the gate biases.

    Shape:
        - x: ``(B, T, input_size)`` (``batch_first``) or ``(T, B, input_size)``; None without input
        - state: None (zeros), or a list of ``(h, c)``, one per layer, each ``(B, F_l)``
        - outputs: the last layer's ``h`` at every step, ``(B, T, F_last)``
        - states: the final ``(h, c)`` of every layer, a list

    Examples:
        >>> net = FCLSTM(6, [16, 8])
        >>> outputs, states = net(torch.randn(2, 5, 6))
        >>> tuple(outputs.shape), tuple(states[0][1].shape)
        ((2, 5, 8), (2, 16))
    """

    _who = "FCLSTM"
    _feature_dims = ("F",)

    def __init__(self, input_size: int, hidden_sizes, num_layers=None, peephole: bool = False,
                 batch_first: bool = True, bias: bool = True):
        super().__init__()
        num_layers = _num_layers(hidden_sizes, num_layers, self._who)
        hidden = _per_layer(hidden_sizes, num_layers, "hidden_sizes", lambda v: isinstance(v, int))
        self.in_channels = input_size  # the name the shared stack code reads
        self.hidden_sizes = hidden
        self.num_layers = num_layers
        self.batch_first = batch_first
        inputs = [input_size] + hidden[:-1]
        self.cells = nn.ModuleList(
            FCLSTMCell(n_in, n_h, bias=bias, peephole=peephole) for n_in, n_h in zip(inputs, hidden)
        )
