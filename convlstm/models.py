r"""The paper's sequence-to-sequence models: encoder-forecaster networks (Shi et al. 2015, Fig. 3).

An *encoding* stack reads the observed frames. Its final states become the initial states
of a *forecasting* stack of the same shape, which runs on without input (its first layer
has no input-to-state weights) and predicts one frame per step from the hidden states.

* :class:`EncoderForecaster`: ConvLSTM layers on frames cut into patches; a 1x1
  convolution over the hidden states of *all* forecasting layers gives each frame.
* :class:`FCLSTMForecaster`: FC-LSTM layers on flattened frames; a linear layer on the
  *last* forecasting layer gives each frame.
* :func:`paper_model` builds either from the paper's names, e.g.
  ``"ConvLSTM(5x5)-5x5-128-5x5-64-5x5-64"`` or ``"FC-LSTM-2048-2048"``.

* :func:`count_parameters`: how many numbers a model learns (the paper's Table 1 column).

Both models take frames ``(B, T, C, H, W)`` and return *logits* of the next frames
(apply :func:`torch.sigmoid` for intensities in [0, 1]).
"""
from __future__ import annotations

import re

import torch
from torch import nn

from ._checks import _check_int
from .patches import from_patches, to_patches
from .layers import FCLSTM, ConvLSTM


def count_parameters(module: nn.Module) -> int:
    """How many numbers a module learns: the sum of its parameters' sizes.

    Works on the ``meta`` device too, so a model of any size can be counted without memory.

    Examples:
        >>> count_parameters(nn.Linear(3, 2))  # 3x2 weights and 2 biases
        8
        >>> with torch.device("meta"):
        ...     count_parameters(paper_model("FC-LSTM-2048-2048"))  # Shi et al. (2015), Table 1
        142667776
    """
    if not isinstance(module, nn.Module):
        raise ValueError(f"count_parameters: expected a torch.nn.Module, got {type(module).__name__}")
    return sum(p.numel() for p in module.parameters())


def _check_frames(frames, channels: int, who: str):
    """Observed frames ``(B, T, channels, H, W)`` with at least one step."""
    if not isinstance(frames, torch.Tensor) or frames.dim() != 5 or frames.shape[2] != channels:
        got = tuple(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__
        raise ValueError(f"{who}: expected frames of shape (B, T, {channels}, H, W), got {got}")
    if frames.shape[1] == 0:
        raise ValueError(f"{who}: expected at least one observed frame (T >= 1), got shape {tuple(frames.shape)}")


class EncoderForecaster(nn.Module):
    r"""The ConvLSTM encoder-forecaster of Shi et al. (2015), Figure 3.

    .. math::
        \begin{aligned}
        (H^{l}_t, C^{l}_t) &= \mathrm{Enc}_l\big(H^{l-1}_t, (H^{l}_{t-1}, C^{l}_{t-1})\big),
            \quad t = 1 \dots T_{in}, \quad H^0_t = \mathrm{patches}(X_t) \\
        (\hat H^{l}_t, \hat C^{l}_t) &= \mathrm{Fore}_l\big(\hat H^{l-1}_t, (\hat H^{l}_{t-1}, \hat C^{l}_{t-1})\big),
            \quad (\hat H^{l}_{T_{in}}, \hat C^{l}_{T_{in}}) = (H^{l}_{T_{in}}, C^{l}_{T_{in}}) \\
        \hat X_t &= \mathrm{unpatch}\big(W_{out} * [\hat H^{1}_t, \dots, \hat H^{L}_t] + b_{out}\big)
        \end{aligned}

    where the first forecasting layer has no input (:math:`\hat H^0_t` is absent), and
    :math:`W_{out}` is a 1x1 convolution over the concatenated hidden states of all
    forecasting layers.

    Args:
        in_channels: channels of a frame (1 for Moving MNIST).
        hidden_channels: one int per layer, e.g. ``[128, 64, 64]``.
        kernel_size: input-to-state kernel of every layer.
        hidden_kernel_size: state-to-state kernel; defaults to ``kernel_size``.
        patch_size: frames are cut into ``patch_size x patch_size`` patches, stacked as
            channels (the paper: 4, so a 64x64 frame becomes 16x16 with 16 channels).
        peephole: as :class:`~convlstm.cells.ConvLSTMCell`; the paper's counts imply
            ``"channel"``.

    Shape:
        - frames: ``(B, T_in, in_channels, H, W)``, H and W divisible by ``patch_size``
        - output: logits ``(B, T_out, in_channels, H, W)``

    Examples:
        >>> model = EncoderForecaster(1, [8, 4], kernel_size=3, patch_size=4)
        >>> model(torch.rand(2, 5, 1, 32, 32), future=3).shape
        torch.Size([2, 3, 1, 32, 32])
    """

    def __init__(self, in_channels=1, hidden_channels=(64,), kernel_size=5, hidden_kernel_size=None,
                 patch_size=4, peephole="channel", frame_size=None):
        super().__init__()
        hidden = [hidden_channels] if isinstance(hidden_channels, int) else list(hidden_channels)
        self.in_channels = in_channels
        self.patch_size = patch_size
        patch_channels = in_channels * patch_size**2
        stack = dict(kernel_size=kernel_size, hidden_kernel_size=hidden_kernel_size, peephole=peephole,
                     frame_size=frame_size)
        self.encoder = ConvLSTM(patch_channels, hidden, **stack)
        self.forecaster = ConvLSTM(0, hidden, **stack)
        self.output = nn.Conv2d(sum(hidden), patch_channels, kernel_size=1)

    def forward(self, frames, future: int = 10):
        _check_frames(frames, self.in_channels, "EncoderForecaster")
        _check_int(future, "future", 1, "EncoderForecaster")
        x = to_patches(frames, self.patch_size)  # (B, T_in, C*p*p, H/p, W/p)
        _, states = self.encoder(x)
        hidden, _ = self.forecaster(None, states, steps=future, return_all_layers=True)
        h = torch.cat(hidden, dim=2)  # (B, T_out, sum C_l, H/p, W/p)
        B, T = h.shape[:2]
        logits = self.output(h.flatten(0, 1))  # (B*T_out, C*p*p, H/p, W/p)
        logits = logits.unflatten(0, (B, T))  # (B, T_out, C*p*p, H/p, W/p)
        return from_patches(logits, self.patch_size)  # (B, T_out, C, H, W)


class FCLSTMForecaster(nn.Module):
    r"""The FC-LSTM encoder-forecaster: the same structure on flattened frames.

    .. math::
        \hat x_t = W_{out} \hat h^{L}_t + b_{out}

    where the encoder reads :math:`x_t = \mathrm{vec}(X_t)` and the forecaster, started from
    the encoder's final states, runs without input, as in :class:`EncoderForecaster`;
    the output layer reads the last forecasting layer only.

    Args:
        frame_shape: ``(C, H, W)`` of a frame; the input size is ``C*H*W``.
        hidden_sizes: one int per layer, e.g. ``[2048, 2048]``.
        peephole: add the peephole terms (the paper's counts imply them).

    Shape:
        - frames: ``(B, T_in, C, H, W)``
        - output: logits ``(B, T_out, C, H, W)``

    Examples:
        >>> model = FCLSTMForecaster((1, 8, 8), [32])
        >>> model(torch.rand(2, 5, 1, 8, 8), future=4).shape
        torch.Size([2, 4, 1, 8, 8])
    """

    def __init__(self, frame_shape=(1, 64, 64), hidden_sizes=(2048, 2048), peephole=True):
        super().__init__()
        hidden = [hidden_sizes] if isinstance(hidden_sizes, int) else list(hidden_sizes)
        self.frame_shape = tuple(frame_shape)
        size = self.frame_shape[0] * self.frame_shape[1] * self.frame_shape[2]
        self.encoder = FCLSTM(size, hidden, peephole=peephole)
        self.forecaster = FCLSTM(0, hidden, peephole=peephole)
        self.output = nn.Linear(hidden[-1], size)

    def forward(self, frames, future: int = 10):
        _check_frames(frames, self.frame_shape[0], "FCLSTMForecaster")
        _check_int(future, "future", 1, "FCLSTMForecaster")
        if tuple(frames.shape[2:]) != self.frame_shape:
            raise ValueError(
                f"FCLSTMForecaster: expected frames of shape (B, T, {', '.join(map(str, self.frame_shape))}), "
                f"got {tuple(frames.shape)}"
            )
        _, states = self.encoder(frames.flatten(2))  # reads (B, T_in, C*H*W)
        h, _ = self.forecaster(None, states, steps=future)  # (B, T_out, hidden[-1])
        return self.output(h).unflatten(2, self.frame_shape)  # (B, T_out, C, H, W)


_CONV_NAME = re.compile(r"ConvLSTM\((\d+)x(\d+)\)((?:-\d+x\d+-\d+)+)")
_CONV_LAYER = re.compile(r"-(\d+)x(\d+)-(\d+)")
_FC_NAME = re.compile(r"FC-LSTM((?:-\d+)+)")


def paper_model(name: str, in_channels: int = 1, frame_size: int = 64, patch_size: int = 4) -> nn.Module:
    """Build a model from its name in Shi et al. (2015), Tables 1 and 2.

    ``ConvLSTM(KxK)-KxK-H1-KxK-H2...``: the first kernel is the input-to-state kernel of every
    layer; each ``-KxK-H`` adds a layer with that state-to-state kernel and ``H`` hidden
    channels. ``FC-LSTM-N1-N2...``: FC-LSTM layers of ``N`` units on flattened frames.
    Both with channel peepholes, as the paper's parameter counts require.

    Args:
        name: the model's name, e.g. ``"ConvLSTM(5x5)-5x5-256"``.
        in_channels, frame_size: the frames (1 and 64 for Moving MNIST; the FC-LSTM's input
            size is ``in_channels * frame_size**2``).
        patch_size: for ConvLSTM models (4 for Moving MNIST, 2 for the radar maps).

    Examples:
        >>> sum(p.numel() for p in paper_model("ConvLSTM(5x5)-5x5-256").parameters())
        13524496
    """
    name = name.replace(" ", "")
    conv = _CONV_NAME.fullmatch(name)
    if conv:
        k_in = (int(conv[1]), int(conv[2]))
        layers = [(int(kh), int(kw), int(h)) for kh, kw, h in _CONV_LAYER.findall(conv[3])]
        kernels = {(kh, kw) for kh, kw, _ in layers}
        if len(kernels) != 1:
            raise ValueError(f"paper_model: expected one state-to-state kernel for all layers, got {sorted(kernels)} in {name!r}")
        return EncoderForecaster(in_channels, [h for *_, h in layers], kernel_size=k_in,
                                 hidden_kernel_size=kernels.pop(), patch_size=patch_size, peephole="channel")
    fc = _FC_NAME.fullmatch(name)
    if fc:
        sizes = [int(n) for n in fc[1].strip("-").split("-")]
        return FCLSTMForecaster((in_channels, frame_size, frame_size), sizes, peephole=True)
    raise ValueError(
        "paper_model: expected a name like 'ConvLSTM(5x5)-5x5-128-5x5-64-5x5-64' or "
        f"'FC-LSTM-2048-2048', got {name!r}"
    )
