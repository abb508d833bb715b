"""Draw the landing page's figure and the book's icon from the library, deterministically.

    python scripts/landing_figure.py     # writes book/images/landing.png and favicon.png

What one hidden unit in the middle of the frame can see of the first input frame: for the
fully-connected LSTM every pixel, after one step; for a ConvLSTM with 5x5 kernels a square
that grows by 2 pixels per step. The squares are measured with autograd
(convlstm.receptive_field.input_gradient), not drawn by hand.
"""
from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

from convlstm import ConvLSTM, FCLSTM  # noqa: E402
from convlstm.diagrams import COLUMN_IN  # noqa: E402
from convlstm.moving_mnist import MovingMNIST  # noqa: E402
from convlstm.receptive_field import input_gradient, measured_radius  # noqa: E402

IMAGES = Path(__file__).resolve().parent.parent / "book" / "images"
SIZE, PIXEL, KERNEL, STEPS = 64, (32, 32), 5, (1, 4, 10)


def fc_lstm_gradient(frames: torch.Tensor) -> torch.Tensor:
    """|d h_T[unit] / d x_1| of a one-layer FC-LSTM on flattened frames, as an (H, W) map."""
    net = FCLSTM(SIZE * SIZE, 32)
    x = frames.reshape(1, frames.shape[0], -1).clone().requires_grad_(True)  # (1, T, H*W)
    outputs, _ = net(x)  # (1, T, 32)
    outputs[0, -1, 0].backward()
    return x.grad[0, 0].abs().reshape(SIZE, SIZE)  # (H, W)


def receptive_fields():
    """The first frame of a Moving MNIST sequence and the maps, titled, with radii checked."""
    torch.manual_seed(0)
    frames = MovingMNIST(1, seq_len=max(STEPS), frame_size=SIZE, seed=0)[0]  # (T, 1, H, W)
    maps = [("FC-LSTM, 1 step:\nevery pixel", fc_lstm_gradient(frames[:1]))]
    net = ConvLSTM(1, 8, kernel_size=KERNEL)
    for steps in STEPS:
        grad = input_gradient(net, frames[None, :steps], PIXEL)  # (H, W)
        radius = measured_radius(grad, PIXEL)
        if radius != steps * (KERNEL // 2):
            raise RuntimeError(f"radius {radius} after {steps} steps; expected {steps * (KERNEL // 2)}")
        side = 2 * radius + 1
        label = "step" if steps == 1 else "steps"
        maps.append((f"ConvLSTM, {steps} {label}:\n{side}x{side} pixels", grad))
    return frames[0, 0], maps


def landing(path: Path) -> None:
    frame, maps = receptive_fields()
    # drawn at the column's width (COLUMN_IN at 100 dpi), so the page shows it unscaled
    fig, axes = plt.subplots(1, len(maps), figsize=(COLUMN_IN, 2.3))
    for ax, (title, grad) in zip(axes, maps):
        ax.imshow(frame.numpy(), cmap="gray_r", vmin=0, vmax=1)
        seen = np.ma.masked_equal((grad > 0).numpy().astype(float), 0.0)
        ax.imshow(seen, cmap=ListedColormap(["tab:orange"]), alpha=0.4, vmin=0, vmax=1)
        ax.plot(PIXEL[1], PIXEL[0], marker="+", color="tab:blue", markersize=9, mew=2)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("What one hidden unit (+) can see of the first frame (ConvLSTM: 5x5 kernels)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def favicon(path: Path) -> None:
    """A 5x5 kernel over a 3x3 grid: the book's icon."""
    fig = plt.figure(figsize=(0.32, 0.32), dpi=100)
    ax = fig.add_axes([0, 0, 1, 1])
    grid = np.zeros((5, 5))
    grid[1:4, 1:4] = 0.5
    grid[2, 2] = 1.0
    ax.imshow(grid, cmap="Blues", vmin=0, vmax=1)
    ax.set_axis_off()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def main() -> int:
    IMAGES.mkdir(exist_ok=True)
    landing(IMAGES / "landing.png")
    favicon(IMAGES / "favicon.png")
    print(f"wrote {IMAGES / 'landing.png'} and {IMAGES / 'favicon.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
