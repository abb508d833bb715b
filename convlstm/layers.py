r"""A stack of ConvLSTM cells run over a sequence of frames."""
from __future__ import annotations

import torch
from torch import nn

from .cells import ConvLSTMCell


def _per_layer(value, num_layers: int, name: str, is_single) -> list:
    """``value`` repeated ``num_layers`` times, or checked to have one entry per layer."""
    if is_single(value):
        return [value] * num_layers
    values = list(value) if isinstance(value, (list, tuple)) else None
    if values is None or len(values) != num_layers:
        raise ValueError(f"ConvLSTM: expected {name} as one value or {num_layers} values (one per layer), got {value!r}")
    return values


def _is_kernel(value) -> bool:
    """An int kernel, or a ``(kh, kw)`` pair of ints."""
    return isinstance(value, int) or (
        isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value)
    )


class ConvLSTM(nn.Module):
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
    ):
        super().__init__()
        if num_layers is None:
            num_layers = 1 if isinstance(hidden_channels, int) else len(list(hidden_channels))
        if num_layers < 1:
            raise ValueError(f"ConvLSTM: expected at least one layer, got num_layers={num_layers}")
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

    def forward(self, x, state=None, steps: int | None = None):
        """Run the stack over the sequence; see the class docstring for shapes.

        ``steps`` is the number of steps for a stack with no input (``in_channels == 0``);
        otherwise the sequence length of ``x`` sets it.
        """
        frames, steps = self._frames(x, steps)  # frames: (T, B, C, H, W) or None
        if state is None:
            state = [None] * self.num_layers
        elif not isinstance(state, (list, tuple)) or len(state) != self.num_layers:
            got = len(state) if isinstance(state, (list, tuple)) else type(state).__name__
            raise ValueError(f"ConvLSTM: expected state as a list of {self.num_layers} (h, c) pairs, got {got}")
        # Layer by layer: each layer runs over all steps before the next one starts.
        layer_input = [None] * steps if frames is None else list(frames.unbind(0))  # T x (B, C, H, W)
        final = []
        for cell, layer_state in zip(self.cells, state):
            hs = []
            for x_t in layer_input:
                layer_state = cell(x_t, layer_state)
                hs.append(layer_state[0])
            final.append(layer_state)
            layer_input = hs
        outputs = torch.stack(layer_input, dim=1 if self.batch_first else 0)  # (B, T, C_last, H, W)
        return outputs, final

    def _frames(self, x, steps):
        """The input as time-major frames ``(T, B, C, H, W)``, and the number of steps."""
        if self.in_channels == 0:
            if x is not None:
                raise ValueError("ConvLSTM: a stack with in_channels=0 takes x=None, got a tensor")
            if not isinstance(steps, int) or steps < 1:
                raise ValueError(f"ConvLSTM: a stack with no input needs steps >= 1, got {steps!r}")
            return None, steps
        layout = "(B, T, C, H, W)" if self.batch_first else "(T, B, C, H, W)"
        if not isinstance(x, torch.Tensor) or x.dim() != 5:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"ConvLSTM: expected x of shape {layout} with C={self.in_channels}, got {got}")
        if x.shape[2] != self.in_channels:
            raise ValueError(
                f"ConvLSTM: expected x of shape {layout} with C={self.in_channels}, got {tuple(x.shape)}"
            )
        if steps is not None and steps != x.shape[1 if self.batch_first else 0]:
            raise ValueError(f"ConvLSTM: steps={steps} disagrees with the sequence length of x {tuple(x.shape)}")
        frames = x.transpose(0, 1) if self.batch_first else x  # (T, B, C, H, W)
        return frames, frames.shape[0]
