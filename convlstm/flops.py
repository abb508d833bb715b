r"""The cost model of the benchmark: the configurations it times and their convolution FLOPs.

The convolutions do almost all the arithmetic of a ConvLSTM. One layer at one step convolves
the input with :math:`4 C_h` kernels of size :math:`k_x \times k_x` and the previous hidden
state with :math:`4 C_h` kernels of size :math:`k_h \times k_h`, at each of the
:math:`H \times W` pixels of each of the :math:`B` sequences; one multiply-add is two FLOPs:

.. math::
    \text{FLOPs}_{\text{layer, step}} = 2\, B\, H\, W\, (C_{in} k_x^2 + C_h k_h^2)\, 4 C_h

and a training step costs three times its forward pass (the backward pass computes two
convolutions per forward one: the gradient with respect to the input and to the weights).
The gate nonlinearities and the 1x1 output convolution are left out: they are a few percent
at most, so the achieved rates below are, if anything, slight underestimates.
"""
from __future__ import annotations

from dataclasses import dataclass

from .models import EncoderForecaster


@dataclass(frozen=True)
class BenchConfig:
    """An encoder-forecaster to time: frames of ``frame_size`` cut into ``patch_size`` patches."""

    name: str
    hidden_channels: tuple = (128, 64, 64)
    kernel_size: int = 5  # input-to-state kernel
    hidden_kernel_size: int = 5  # state-to-state kernel
    frame_size: int = 64
    patch_size: int = 4  # 64x64 frames become a 16x16 grid with 16 channels
    in_channels: int = 1
    input_steps: int = 10
    future_steps: int = 10
    batch_size: int = 8  # fills 2 CPU cores; on a GPU the benchmark runs at least 64

    @property
    def grid(self) -> int:
        """Height (= width) of the frames the cells see, after cutting into patches."""
        return self.frame_size // self.patch_size

    def layers(self):
        """``(in_channels, hidden_channels, steps)`` of every ConvLSTM layer, encoder then forecaster."""
        hidden = list(self.hidden_channels)
        patch_channels = self.in_channels * self.patch_size**2
        encoder = [(c_in, c_h, self.input_steps) for c_in, c_h in zip([patch_channels] + hidden[:-1], hidden)]
        # The forecaster's first layer has no input: it runs on from the encoder's state.
        forecaster = [(c_in, c_h, self.future_steps) for c_in, c_h in zip([0] + hidden[:-1], hidden)]
        return encoder + forecaster

    def model(self) -> EncoderForecaster:
        return EncoderForecaster(self.in_channels, list(self.hidden_channels), kernel_size=self.kernel_size,
                                 hidden_kernel_size=self.hidden_kernel_size, patch_size=self.patch_size,
                                 peephole="channel")


CONFIGS = {
    # Shi et al. (2015), Table 1: ConvLSTM(5x5)-5x5-128-5x5-64-5x5-64 on Moving MNIST.
    "paper": BenchConfig("paper"),
    # A quarter of the channels, 3x3 kernels: what a laptop trains in minutes.
    "small": BenchConfig("small", hidden_channels=(32, 16, 16), kernel_size=3, hidden_kernel_size=3),
    # Seconds on any machine: for the tests.
    "tiny": BenchConfig("tiny", hidden_channels=(8,), kernel_size=3, hidden_kernel_size=3, frame_size=16,
                        input_steps=3, future_steps=3, batch_size=2),
}


def layer_flops(batch, height, width, in_channels, hidden_channels, kernel_size, hidden_kernel_size=None) -> int:
    r"""FLOPs of the convolutions of one ConvLSTM layer at one step, forward:
    :math:`2 B H W (C_{in} k_x^2 + C_h k_h^2) 4 C_h`.

    Examples:
        >>> layer_flops(1, 1, 1, 1, 1, 1)  # one pixel, one channel: 4 gates x 2 products x 2 FLOPs
        16
    """
    k_h = kernel_size if hidden_kernel_size is None else hidden_kernel_size
    macs_per_output = in_channels * kernel_size**2 + hidden_channels * k_h**2
    return 2 * batch * height * width * macs_per_output * 4 * hidden_channels


def step_flops(config: BenchConfig, batch_size: int | None = None, training: bool = True) -> int:
    """Convolution FLOPs of one pass over a sequence (all layers, all steps); x3 when training."""
    batch = config.batch_size if batch_size is None else batch_size
    forward = sum(
        steps * layer_flops(batch, config.grid, config.grid, c_in, c_h, config.kernel_size, config.hidden_kernel_size)
        for c_in, c_h, steps in config.layers()
    )
    return 3 * forward if training else forward
