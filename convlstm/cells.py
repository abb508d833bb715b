r"""One step of an LSTM: the fully-connected cell and the convolutional cell.

Both follow Shi et al. (2015), equations (2) and (3), with the gates in the order of
:class:`torch.nn.LSTMCell` (``i, f, g, o``), so weights map one to one onto PyTorch's.

* :class:`FCLSTMCell` multiplies vectors by matrices.
* :class:`ConvLSTMCell` convolves feature maps with kernels, so the state keeps its
  spatial layout and each pixel only sees its neighbourhood. It is *fused*: the four
  gates come out of one convolution.
* :class:`ReferenceConvLSTMCell` is equation (3) read literally, eight separate
  convolutions; it is slow, and kept for teaching and as the test oracle.
"""
from __future__ import annotations

import math
import numbers

import torch
import torch.nn.functional as F
from torch import nn

PEEPHOLES = (None, "channel", "spatial")
GATES = ("i", "f", "g", "o")


def _shape_or_type(value) -> str:
    """What came, for an error message: a tensor's shape, or the type of anything else."""
    return str(tuple(value.shape)) if isinstance(value, torch.Tensor) else type(value).__name__


def _check_sizes(who: str, **sizes) -> None:
    """The input size (an int >= 0; 0 means no input) and the hidden size (an int >= 1)."""
    (input_name, input_size), (hidden_name, hidden_size) = sizes.items()
    ints = all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in sizes.values())
    if not (ints and input_size >= 0 and hidden_size >= 1):
        raise ValueError(
            f"{who}: expected {input_name} >= 0 and {hidden_name} >= 1 (ints), "
            f"got {input_size!r} and {hidden_size!r}"
        )


def _kernel_pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of odd positive ints, as ``(kh, kw)``."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(k, int) and not isinstance(k, bool) for k in pair):
        raise ValueError(f"{name}: expected an int or a pair (kh, kw) of ints, got {value!r}")
    if not all(k > 0 and k % 2 == 1 for k in pair):
        raise ValueError(
            f"{name}: expected odd positive sizes (an even kernel cannot keep the frame size "
            f"with 'same' padding), got {value!r}"
        )
    return pair


def _kernel_sizes(kernel_size, hidden_kernel_size, who: str):
    """The input-to-state and state-to-state kernels as pairs; the second defaults to the first."""
    kx = _kernel_pair(kernel_size, f"{who} kernel_size")
    kh = kx if hidden_kernel_size is None else _kernel_pair(hidden_kernel_size, f"{who} hidden_kernel_size")
    return kx, kh


def _check_peephole(peephole, frame_size, who: str):
    """Validate the peephole mode; return ``frame_size`` as a pair (or None)."""
    if peephole not in PEEPHOLES:
        raise ValueError(f"{who}: expected peephole in {PEEPHOLES}, got {peephole!r}")
    if peephole == "spatial":
        if frame_size is None:
            raise ValueError(
                f"{who}: peephole='spatial' has one weight per pixel, so it needs "
                "frame_size=(H, W); got frame_size=None"
            )
        size = (frame_size, frame_size) if isinstance(frame_size, int) else tuple(frame_size)
        if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
            raise ValueError(f"{who}: expected frame_size as (H, W) positive ints, got {frame_size!r}")
        return size
    return None


def _peephole_shape(peephole: str, hidden_channels: int, frame_size):
    """One weight per channel (``"channel"``), or per channel and pixel (``"spatial"``)."""
    return (hidden_channels, 1, 1) if peephole == "channel" else (hidden_channels, *frame_size)


def _check_input(x, rank: int, size: int, layout: str, who: str) -> None:
    """``x`` is a tensor of ``rank`` dimensions with ``size`` features in dimension 1."""
    if not isinstance(x, torch.Tensor) or x.dim() != rank or x.shape[1] != size:
        raise ValueError(f"{who}: expected x of shape {layout}, got {_shape_or_type(x)}")


def _check_state(state, expected: tuple[int, ...], who: str):
    """Check that ``state`` is a pair ``(h, c)`` of tensors of shape ``expected``."""
    if not (isinstance(state, (tuple, list)) and len(state) == 2):
        raise ValueError(f"{who}: expected state as a pair (h, c), got {type(state).__name__}")
    for name, t in zip("hc", state):
        if not isinstance(t, torch.Tensor) or tuple(t.shape) != expected:
            got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise ValueError(f"{who}: expected {name} of shape {expected}, got {got}")


def _hidden_of_given_state(x, state, rank: int, layout: str, who: str, size_name: str):
    """A cell without input takes ``x=None``; its state's ``h`` tells the batch (and frame) size."""
    if x is not None:
        raise ValueError(f"{who}: a cell with {size_name}=0 takes x=None, got a tensor")
    if state is None:
        raise ValueError(f"{who}: a cell with no input needs a state (h, c), got None")
    if not (isinstance(state, (tuple, list)) and len(state) == 2):
        raise ValueError(f"{who}: expected state as a pair (h, c), got {type(state).__name__}")
    h = state[0]
    if not isinstance(h, torch.Tensor) or h.dim() != rank:
        raise ValueError(f"{who}: expected h of shape {layout}, got {_shape_or_type(h)}")
    return h


def lstm_update(gates, c, peephole_weights=None):
    r"""The LSTM state update, shared by every cell here, once the gate inputs are summed.

    .. math::
        i = \sigma(a_i + w_{ci} \circ c_{t-1}),\quad f = \sigma(a_f + w_{cf} \circ c_{t-1}),\quad
        c_t = f \circ c_{t-1} + i \circ \tanh(a_g),\quad
        o = \sigma(a_o + w_{co} \circ c_t),\quad h_t = o \circ \tanh(c_t)

    where :math:`a = W_x * x_t + W_h * h_{t-1} + b` holds the four gates' pre-activations
    stacked along dimension 1, and the peephole terms are left out when
    ``peephole_weights`` is None.

    Args:
        gates: pre-activations, ``(B, 4*C_h, ...)``.
        c: previous cell state, ``(B, C_h, ...)``.
        peephole_weights: ``(w_ci, w_cf, w_co)`` broadcastable to ``c``, or None.

    Returns:
        ``(h, c)`` and the gate activations as a dict ``{"i", "f", "g", "o"}``.
    """
    a_i, a_f, a_g, a_o = gates.chunk(4, dim=1)  # each (B, C_h, ...)
    if peephole_weights is not None:
        w_ci, w_cf, w_co = peephole_weights
        a_i = a_i + w_ci * c
        a_f = a_f + w_cf * c
    i = torch.sigmoid(a_i)
    f = torch.sigmoid(a_f)
    g = torch.tanh(a_g)
    c_next = f * c + i * g
    if peephole_weights is not None:
        a_o = a_o + w_co * c_next
    o = torch.sigmoid(a_o)
    h_next = o * torch.tanh(c_next)
    return (h_next, c_next), {"i": i, "f": f, "g": g, "o": o}


class _LSTMCell(nn.Module):
    """What both cells share once :meth:`gates` is written: the step, the peepholes, the state."""

    def forward(self, x, state=None):
        return self.gates(x, state)[0]

    def _add_peepholes(self, shape):
        # Zero: the cell starts as a plain LSTM and learns how much to peep.
        self.weight_ci = nn.Parameter(torch.zeros(shape))
        self.weight_cf = nn.Parameter(torch.zeros(shape))
        self.weight_co = nn.Parameter(torch.zeros(shape))

    def peephole_weights(self):
        """``(w_ci, w_cf, w_co)``, or None without peepholes."""
        if "weight_ci" not in self._parameters:
            return None
        return self.weight_ci, self.weight_cf, self.weight_co

    @staticmethod
    def _state_or_zeros(state, expected: tuple[int, ...], like: torch.Tensor, who: str):
        """The given state, checked against ``expected``; zeros on ``like``'s device and dtype if None."""
        if state is None:
            zeros = like.new_zeros(expected)
            return zeros, zeros
        _check_state(state, expected, who)
        return tuple(state)


class FCLSTMCell(_LSTMCell):
    r"""One step of the fully-connected LSTM (Shi et al. 2015, eq. 2).

    .. math::
        \begin{aligned}
        i_t &= \sigma(W_{xi} x_t + W_{hi} h_{t-1} + w_{ci} \circ c_{t-1} + b_i) \\
        f_t &= \sigma(W_{xf} x_t + W_{hf} h_{t-1} + w_{cf} \circ c_{t-1} + b_f) \\
        c_t &= f_t \circ c_{t-1} + i_t \circ \tanh(W_{xc} x_t + W_{hc} h_{t-1} + b_c) \\
        o_t &= \sigma(W_{xo} x_t + W_{ho} h_{t-1} + w_{co} \circ c_t + b_o) \\
        h_t &= o_t \circ \tanh(c_t)
        \end{aligned}

    where :math:`\sigma` is the logistic sigmoid, :math:`\circ` the element-wise product,
    and the peephole weights :math:`w_{c\cdot}` (vectors) exist only with ``peephole=True``.

    The four gates' matrices are stacked as in :class:`torch.nn.LSTMCell`
    (``weight_ih`` is ``(4*hidden_size, input_size)``, gates ``i, f, g, o``). PyTorch keeps two
    bias vectors whose sum is all that matters; this cell keeps one, ``bias``, which is
    what the paper's parameter counts assume. :meth:`load_torch_lstm_cell` copies a
    ``torch.nn.LSTMCell`` into it.

    Args:
        input_size: features of ``x``; 0 makes a cell with no input (``x=None``).
        hidden_size: features of ``h`` and ``c``.
        bias: add the bias ``b``.
        peephole: add the peephole terms :math:`w_{c\cdot} \circ c`.

    Shape:
        - x: ``(B, input_size)``, or None when ``input_size == 0``
        - state: ``(h, c)``, each ``(B, hidden_size)``; zeros when None
        - output: ``(h, c)``, each ``(B, hidden_size)``

    Examples:
        >>> cell = FCLSTMCell(10, 20)
        >>> h, c = cell(torch.randn(3, 10))
        >>> h, c = cell(torch.randn(3, 10), (h, c))
        >>> tuple(h.shape), tuple(c.shape)
        ((3, 20), (3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, peephole: bool = False):
        super().__init__()
        _check_sizes("FCLSTMCell", input_size=input_size, hidden_size=hidden_size)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.peephole = bool(peephole)
        h4 = 4 * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(h4, input_size)) if input_size else None
        self.weight_hh = nn.Parameter(torch.empty(h4, hidden_size))
        self.bias = nn.Parameter(torch.empty(h4)) if bias else None
        if self.peephole:
            self._add_peepholes((hidden_size,))
        self.reset_parameters()

    def reset_parameters(self):
        """Uniform in ``±1/sqrt(hidden_size)``, as :class:`torch.nn.LSTMCell`; peepholes zero."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for name in ("weight_ih", "weight_hh", "bias"):
            weight = getattr(self, name)
            if weight is not None:
                nn.init.uniform_(weight, -bound, bound)

    @torch.no_grad()
    def load_torch_lstm_cell(self, lstm: nn.LSTMCell) -> "FCLSTMCell":
        """Copy the weights of a :class:`torch.nn.LSTMCell`; the two biases are summed."""
        if (lstm.input_size, lstm.hidden_size) != (self.input_size, self.hidden_size):
            raise ValueError(
                f"FCLSTMCell: expected an LSTMCell({self.input_size}, {self.hidden_size}), "
                f"got LSTMCell({lstm.input_size}, {lstm.hidden_size})"
            )
        if self.weight_ih is not None:
            self.weight_ih.copy_(lstm.weight_ih)
        self.weight_hh.copy_(lstm.weight_hh)
        if self.bias is not None:
            self.bias.copy_(lstm.bias_ih + lstm.bias_hh if lstm.bias else torch.zeros_like(self.bias))
        return self

    def gates(self, x, state=None):
        """One step, returning ``((h, c), {"i", "f", "g", "o"})``: the gates as well."""
        x, (h, c) = self._inputs(x, state)
        a = F.linear(h, self.weight_hh, self.bias)  # (B, 4*hidden_size)
        if x is not None:
            a = a + F.linear(x, self.weight_ih)  # (B, 4*hidden_size)
        return lstm_update(a, c, self.peephole_weights())

    def _inputs(self, x, state):
        """Validate ``x`` and ``state``; make a zero state on x's device and dtype."""
        who = "FCLSTMCell"
        if self.input_size == 0:
            like = _hidden_of_given_state(x, state, 2, f"(B, {self.hidden_size})", who, "input_size")
        else:
            _check_input(x, 2, self.input_size, f"(B, {self.input_size})", who)
            like = x
        return x, self._state_or_zeros(state, (like.shape[0], self.hidden_size), like, who)

    def extra_repr(self):
        return (
            f"{self.input_size}, {self.hidden_size}, bias={self.bias is not None}, "
            f"peephole={self.peephole}"
        )


class ConvLSTMCell(_LSTMCell):
    r"""One step of the convolutional LSTM (Shi et al. 2015, eq. 3).

    .. math::
        \begin{aligned}
        i_t &= \sigma(W_{xi} * X_t + W_{hi} * H_{t-1} + W_{ci} \circ C_{t-1} + b_i) \\
        f_t &= \sigma(W_{xf} * X_t + W_{hf} * H_{t-1} + W_{cf} \circ C_{t-1} + b_f) \\
        C_t &= f_t \circ C_{t-1} + i_t \circ \tanh(W_{xc} * X_t + W_{hc} * H_{t-1} + b_c) \\
        o_t &= \sigma(W_{xo} * X_t + W_{ho} * H_{t-1} + W_{co} \circ C_t + b_o) \\
        H_t &= o_t \circ \tanh(C_t)
        \end{aligned}

    where :math:`*` is a 2-D convolution with "same" padding, :math:`\circ` the element-wise
    product, and :math:`X, H, C` are feature maps ``(channels, height, width)``.

    The eight convolutions are fused. When the input-to-state and state-to-state kernels
    agree, one convolution over ``cat([X, H])`` gives all four gates (``self.conv``);
    otherwise one convolution per operand (``self.conv_x`` and ``self.conv_h``).
    :meth:`input_weight`, :meth:`hidden_weight` and :meth:`gate_bias` give the same
    views whichever layout is used.

    Args:
        in_channels: channels of ``X``; 0 makes a cell with no input (``x=None``), like the
            first layer of the paper's forecasting network.
        hidden_channels: channels of ``H`` and ``C``.
        kernel_size: input-to-state kernel, an odd int or ``(kh, kw)``.
        hidden_kernel_size: state-to-state kernel; defaults to ``kernel_size``.
            The paper's ``ConvLSTM(9x9)-1x1-128`` has a 9x9 input and a 1x1 state kernel.
        bias: add the biases ``b``.
        peephole: None (no peepholes), ``"channel"`` (one weight per channel for each of
            :math:`W_{ci}, W_{cf}, W_{co}`: what the paper's parameter counts imply) or
            ``"spatial"`` (one weight per channel and pixel; needs ``frame_size``).
        frame_size: ``(H, W)`` for ``peephole="spatial"``.

    Shape:
        - x: ``(B, in_channels, H, W)``, or None when ``in_channels == 0``
        - state: ``(h, c)``, each ``(B, hidden_channels, H, W)``; zeros when None
        - output: ``(h, c)``, each ``(B, hidden_channels, H, W)``

    Examples:
        >>> cell = ConvLSTMCell(1, 8, kernel_size=5, peephole="channel")
        >>> x = torch.randn(2, 1, 16, 16)
        >>> h, c = cell(x)
        >>> h, c = cell(x, (h, c))
        >>> tuple(h.shape)
        (2, 8, 16, 16)
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        kernel_size=3,
        hidden_kernel_size=None,
        bias: bool = True,
        peephole=None,
        frame_size=None,
    ):
        super().__init__()
        who = "ConvLSTMCell"
        _check_sizes(who, in_channels=in_channels, hidden_channels=hidden_channels)
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.kernel_size, self.hidden_kernel_size = _kernel_sizes(kernel_size, hidden_kernel_size, who)
        self.peephole = peephole
        self.frame_size = _check_peephole(peephole, frame_size, who)
        self._make_convolutions(bias)
        if peephole is not None:
            self._add_peepholes(_peephole_shape(peephole, hidden_channels, self.frame_size))

    def _make_convolutions(self, bias: bool):
        """The eight convolutions, fused: one over ``cat([X, H])`` when the two kernels agree
        (``conv``), otherwise one per operand (``conv_x`` and ``conv_h``)."""
        out = 4 * self.hidden_channels
        self.conv = self.conv_x = self.conv_h = None
        if self.in_channels and self.kernel_size == self.hidden_kernel_size:
            self.conv = _same_conv(self.in_channels + self.hidden_channels, out, self.kernel_size, bias)
            return
        if self.in_channels:
            self.conv_x = _same_conv(self.in_channels, out, self.kernel_size, bias)
        # The bias lives in one convolution only: conv_x when there is one.
        self.conv_h = _same_conv(self.hidden_channels, out, self.hidden_kernel_size, bias and not self.in_channels)

    # Views of the weights, whatever the layout.
    def input_weight(self):
        """Input-to-state kernels of the four gates, ``(4*C_h, C_in, kh, kw)``, or None."""
        if self.conv is not None:
            return self.conv.weight[:, : self.in_channels]  # (4*C_h, C_in, kh, kw)
        return None if self.conv_x is None else self.conv_x.weight

    def hidden_weight(self):
        """State-to-state kernels of the four gates, ``(4*C_h, C_h, kh, kw)``."""
        if self.conv is not None:
            return self.conv.weight[:, self.in_channels :]  # (4*C_h, C_h, kh, kw)
        return self.conv_h.weight

    def gate_bias(self):
        """Biases of the four gates, ``(4*C_h,)``, or None."""
        for conv in (self.conv, self.conv_x, self.conv_h):
            if conv is not None:
                return conv.bias

    def gates(self, x, state=None):
        """One step, returning ``((h, c), {"i", "f", "g", "o"})``: the gates as well."""
        x, (h, c) = self._inputs(x, state)
        if self.conv is not None:
            a = self.conv(torch.cat([x, h], dim=1))  # (B, 4*C_h, H, W)
        else:
            a = self.conv_h(h)  # (B, 4*C_h, H, W)
            if x is not None:
                a = a + self.conv_x(x)  # (B, 4*C_h, H, W)
        return lstm_update(a, c, self.peephole_weights())

    def _inputs(self, x, state):
        """Validate ``x`` and ``state``; make a zero state on x's device and dtype."""
        who = "ConvLSTMCell"
        if self.in_channels == 0:
            layout = f"(B, {self.hidden_channels}, H, W)"
            like = _hidden_of_given_state(x, state, 4, layout, who, "in_channels")
        else:
            _check_input(x, 4, self.in_channels, f"(B, {self.in_channels}, H, W)", who)
            like = x
        batch, _, height, width = like.shape
        if self.frame_size is not None and (height, width) != self.frame_size:
            raise ValueError(
                f"{who}: the spatial peephole was made for frames of size {self.frame_size}, "
                f"got a frame of size {(height, width)}"
            )
        return x, self._state_or_zeros(state, (batch, self.hidden_channels, height, width), like, who)

    def extra_repr(self):
        return (
            f"{self.in_channels}, {self.hidden_channels}, kernel_size={self.kernel_size}, "
            f"hidden_kernel_size={self.hidden_kernel_size}, peephole={self.peephole!r}"
        )


def _same_conv(in_channels, out_channels, kernel, bias):
    """A stride-1 convolution whose output has the input's height and width."""
    kh, kw = kernel
    return nn.Conv2d(in_channels, out_channels, kernel, padding=(kh // 2, kw // 2), bias=bias)


class ReferenceConvLSTMCell(nn.Module):
    r"""Equation (3) of Shi et al. (2015) read literally: eight convolutions.

    The equations are those of :class:`ConvLSTMCell`, with :math:`i, f, g, o` in that order,
    where each :math:`W_{x\cdot} *` and :math:`W_{h\cdot} *` is its own
    :class:`torch.nn.Conv2d` (``conv_xi``, ``conv_hi``, ... with the candidate ``g`` standing
    for the paper's ``c``), each written out, no fusing and no shared helpers. It is
    slower than :class:`ConvLSTMCell` and exists to be read and to check it:
    :meth:`load_fused` copies a fused cell's weights into it.

    Args and Shape: as :class:`ConvLSTMCell`.

    Examples:
        >>> fused = ConvLSTMCell(2, 4, kernel_size=3)
        >>> ref = ReferenceConvLSTMCell(2, 4, kernel_size=3).load_fused(fused)
        >>> x = torch.randn(1, 2, 8, 8)
        >>> torch.testing.assert_close(ref(x), fused(x))
    """

    def __init__(
        self,
        in_channels,
        hidden_channels,
        kernel_size=3,
        hidden_kernel_size=None,
        bias=True,
        peephole=None,
        frame_size=None,
    ):
        super().__init__()
        _check_sizes("ReferenceConvLSTMCell", in_channels=in_channels, hidden_channels=hidden_channels)
        kx, kh = _kernel_sizes(kernel_size, hidden_kernel_size, "ReferenceConvLSTMCell")
        self.in_channels, self.hidden_channels = in_channels, hidden_channels
        self.peephole = peephole
        self.frame_size = _check_peephole(peephole, frame_size, "ReferenceConvLSTMCell")
        C, Ch = in_channels, hidden_channels
        pad_x, pad_h = (kx[0] // 2, kx[1] // 2), (kh[0] // 2, kh[1] // 2)
        # Input-to-state: one convolution per gate, each with the gate's bias.
        if C:
            self.conv_xi = nn.Conv2d(C, Ch, kx, padding=pad_x, bias=bias)
            self.conv_xf = nn.Conv2d(C, Ch, kx, padding=pad_x, bias=bias)
            self.conv_xg = nn.Conv2d(C, Ch, kx, padding=pad_x, bias=bias)
            self.conv_xo = nn.Conv2d(C, Ch, kx, padding=pad_x, bias=bias)
        # State-to-state: one convolution per gate; the bias here only when there is no input.
        hb = bias and not C
        self.conv_hi = nn.Conv2d(Ch, Ch, kh, padding=pad_h, bias=hb)
        self.conv_hf = nn.Conv2d(Ch, Ch, kh, padding=pad_h, bias=hb)
        self.conv_hg = nn.Conv2d(Ch, Ch, kh, padding=pad_h, bias=hb)
        self.conv_ho = nn.Conv2d(Ch, Ch, kh, padding=pad_h, bias=hb)
        if peephole is not None:
            shape = _peephole_shape(peephole, Ch, self.frame_size)
            self.weight_ci = nn.Parameter(torch.randn(shape))
            self.weight_cf = nn.Parameter(torch.randn(shape))
            self.weight_co = nn.Parameter(torch.randn(shape))

    def forward(self, x, state=None):
        if state is None:
            B, _, H, W = x.shape
            h = c = x.new_zeros(B, self.hidden_channels, H, W)
        else:
            h, c = state
        has_x = self.in_channels > 0
        a_i = self.conv_hi(h) + (self.conv_xi(x) if has_x else 0)  # (B, C_h, H, W)
        a_f = self.conv_hf(h) + (self.conv_xf(x) if has_x else 0)  # (B, C_h, H, W)
        a_g = self.conv_hg(h) + (self.conv_xg(x) if has_x else 0)  # (B, C_h, H, W)
        a_o = self.conv_ho(h) + (self.conv_xo(x) if has_x else 0)  # (B, C_h, H, W)
        if self.peephole is not None:
            a_i = a_i + self.weight_ci * c
            a_f = a_f + self.weight_cf * c
        i = torch.sigmoid(a_i)
        f = torch.sigmoid(a_f)
        c_next = f * c + i * torch.tanh(a_g)
        if self.peephole is not None:
            a_o = a_o + self.weight_co * c_next
        o = torch.sigmoid(a_o)
        h_next = o * torch.tanh(c_next)
        return h_next, c_next

    @torch.no_grad()
    def load_fused(self, cell: ConvLSTMCell) -> "ReferenceConvLSTMCell":
        """Copy a fused :class:`ConvLSTMCell`'s weights, gate by gate; returns self."""
        if (cell.in_channels, cell.hidden_channels, cell.peephole) != (
            self.in_channels,
            self.hidden_channels,
            self.peephole,
        ):
            raise ValueError(
                "ReferenceConvLSTMCell.load_fused: expected a cell with "
                f"(in_channels, hidden_channels, peephole) = "
                f"{(self.in_channels, self.hidden_channels, self.peephole)}, got "
                f"{(cell.in_channels, cell.hidden_channels, cell.peephole)}"
            )
        wx, wh, b = cell.input_weight(), cell.hidden_weight(), cell.gate_bias()
        for k, gate in enumerate(GATES):
            rows = slice(k * self.hidden_channels, (k + 1) * self.hidden_channels)
            conv_h = getattr(self, f"conv_h{gate}")
            conv_h.weight.copy_(wh[rows])
            bias_conv = conv_h
            if self.in_channels:
                conv_x = getattr(self, f"conv_x{gate}")
                conv_x.weight.copy_(wx[rows])
                bias_conv = conv_x
            if b is not None:
                bias_conv.bias.copy_(b[rows])
        if self.peephole is not None:
            for name in ("weight_ci", "weight_cf", "weight_co"):
                getattr(self, name).copy_(getattr(cell, name))
        return self
