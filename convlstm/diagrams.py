r"""Diagrams of the cells and models, drawn with matplotlib patches and arrows.

The letters and colours are the equations': the input gate :math:`i`, the forget gate
:math:`f`, the candidate :math:`g` (a candidate memory, not a gate), the output gate
:math:`o`, the memory :math:`c` and the output :math:`h`, each in one of Okabe and Ito's
colours (``GATE_COLOURS``, the book's colour cycle in the order i, f, g, o, c, h), so a
curve of :math:`f` in a plot has the colour of the :math:`f` box here. Every function
returns a Figure at the book's column width (``COLUMN_IN`` inches at 100 dpi: 688 px).

* :func:`lstm_cell`: the LSTM cell; ``highlight="f"`` (or i, g, o, c, h) draws one path in
  colour and the rest in grey, one picture per equation.
* :func:`convlstm_tensors`: a ConvLSTM step as stacks of feature maps with a k x k window.
* :func:`output_head`: the hidden states of all forecaster layers, concatenated, into the
  1 x 1 output convolution.
* :func:`patch_transform`: a frame cut into patches, stacked as channels (2-D to 3-D).
* :func:`encoder_forecaster`: the encoder, the state copy and the forecaster (Fig. 3).
* :func:`memory_gradient_plot`: :math:`\partial c_T / \partial c_t` from autograd.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle

COLUMN_IN = 6.88  # the rendered page's column is 688 px wide; the book draws at 100 dpi
GATE_COLOURS = {"i": "#0072B2", "f": "#D55E00", "g": "#009E73", "o": "#CC79A7",
                "c": "#E69F00", "h": "#56B4E9"}
GREY = "#BBBBBB"
INK = "#222222"
PATHS = ("i", "f", "g", "o", "c", "h")
EQUATIONS = {
    "i": r"input gate  $i_t = \sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i)$",
    "f": r"forget gate  $f_t = \sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f)$",
    "g": r"candidate  $g_t = \tanh(W_{xc} x_t + W_{hc} h_{t-1} + b_c)$",
    "o": r"output gate  $o_t = \sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o)$",
    "c": r"memory  $c_t = f_t \circ c_{t-1} + i_t \circ g_t$",
    "h": r"output  $h_t = o_t \circ \tanh(c_t)$",
}


def _canvas(width: float, height: float, xlim, ylim):
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _arrow(ax, points, colour=INK, width=1.6, style="-|>", dashed=False, z=1):
    """A polyline ending in an arrow head; ``points`` are (x, y) pairs."""
    for (x0, y0), (x1, y1) in zip(points[:-2], points[1:-1]):
        ax.plot([x0, x1], [y0, y1], color=colour, lw=width, ls="--" if dashed else "-",
                zorder=z, solid_capstyle="round")
    ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle=style, mutation_scale=12,
                                 color=colour, lw=width, linestyle="--" if dashed else "-",
                                 shrinkA=0, shrinkB=0, zorder=z))


def _box(ax, x, y, text, colour, w=0.9, h=0.55, text_colour="white", size=10, z=3):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.1",
                                facecolor=colour, edgecolor=colour, zorder=z))
    ax.text(x, y, text, ha="center", va="center", color=text_colour, fontsize=size, zorder=z + 1)


def _op(ax, x, y, text, colour, r=0.22):
    ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=colour, lw=1.6, zorder=3))
    ax.text(x, y, text, ha="center", va="center", color=colour, fontsize=11, zorder=4)


def lstm_cell(highlight: str | None = None, width: float = COLUMN_IN):
    r"""The LSTM cell as boxes and lines: its three gates, its candidate and its memory line.

    The memory :math:`c` runs along the top, changed only by a product with :math:`f` and a
    sum with :math:`i \circ g`; the gates and the candidate read :math:`[x_t, h_{t-1}]` from the
    bottom; :math:`h_t = o_t \circ \tanh(c_t)` leaves at the bottom right.

    Args:
        highlight: one of ``"i", "f", "g", "o", "c", "h"`` to draw that equation's path in colour
            (the rest grey) with the equation as the title; None draws everything in colour.
        width: the figure's width in inches (the column's by default).

    Returns:
        the figure.

    Examples:
        >>> fig = lstm_cell(highlight="f")
        >>> any("forget gate" in t.get_text() for t in fig.axes[0].texts)
        True
    """
    if highlight is not None and highlight not in PATHS:
        raise ValueError(f"lstm_cell: expected highlight among {PATHS} or None, got {highlight!r}")
    # which drawn element belongs to which equation's path
    on = {
        "bus": {"i", "f", "g", "o"}, "f": {"f", "c"}, "i": {"i", "c"}, "g": {"g", "c"},
        "o": {"o", "h"}, "memory_in": {"f", "c"}, "memory_out": {"c", "h"}, "tanh": {"h"},
        "ig": {"i", "g", "c"}, "out": {"h"},
    }

    def colour(part, own):
        return own if highlight is None or highlight in on[part] else GREY

    fig, ax = _canvas(width, width * 0.5, (-0.6, 11.4), (-0.75, 5.25))
    ax.add_patch(FancyBboxPatch((0.6, 0.2), 9.4, 4.4, boxstyle="round,pad=0.05,rounding_size=0.3",
                                facecolor="#F4F4F4", edgecolor="#888888", lw=1.0, zorder=0))
    top, bus, gate_y = 4.0, 0.7, 2.0
    xs = {"f": 2.4, "i": 3.8, "g": 5.4, "o": 7.0}
    mul_f, plus, mul_ig, tanh_x, mul_o = (2.4, top), (4.6, top), (4.6, 3.0), 8.2, (8.2, 2.0)
    # the memory line: c_{t-1} -> x f -> + i g -> c_t
    c_mem = GATE_COLOURS["c"]
    _arrow(ax, [(-0.4, top), (mul_f[0] - 0.22, top)], colour(("memory_in"), c_mem), width=2.4)
    _arrow(ax, [(mul_f[0] + 0.22, top), (plus[0] - 0.22, top)], colour("memory_in", c_mem), width=2.4)
    _arrow(ax, [(plus[0] + 0.22, top), (11.2, top)], colour("memory_out", c_mem), width=2.4)
    ax.text(-0.4, top + 0.3, r"$c_{t-1}$", fontsize=11, color=colour("memory_in", INK))
    ax.text(10.5, top + 0.3, r"$c_t$", fontsize=11, color=colour("memory_out", INK))
    # the bus: [x_t, h_{t-1}] feeds every gate
    bus_colour = colour("bus", INK)
    _arrow(ax, [(-0.4, bus), (1.2, bus)], bus_colour, style="-")
    _arrow(ax, [(1.2, -0.7), (1.2, bus)], bus_colour, style="-")
    ax.plot([1.2, xs["o"]], [bus, bus], color=bus_colour, lw=1.6, zorder=1)
    ax.text(-0.4, bus + 0.2, r"$h_{t-1}$", fontsize=11, color=bus_colour)
    ax.text(1.35, -0.6, r"$x_t$", fontsize=11, color=bus_colour)
    for name, x in xs.items():
        gate_colour = colour(name, GATE_COLOURS[name])
        _arrow(ax, [(x, bus), (x, gate_y - 0.28)], colour(name, INK))
        _box(ax, x, gate_y, r"$\tanh$" if name == "g" else r"$\sigma$",
             gate_colour if highlight is None or highlight in on[name] else GREY)
        ax.text(x - 0.62, gate_y - 0.05, f"${name}_t$", fontsize=11, ha="center", va="center",
                color=colour(name, GATE_COLOURS[name]))
    # f multiplies the memory; i and g are multiplied and added; o multiplies tanh(c)
    _arrow(ax, [(xs["f"], gate_y + 0.28), (xs["f"], top - 0.22)], colour("f", GATE_COLOURS["f"]))
    _arrow(ax, [(xs["i"], gate_y + 0.28), (xs["i"], mul_ig[1]), (mul_ig[0] - 0.22, mul_ig[1])],
           colour("i", GATE_COLOURS["i"]))
    _arrow(ax, [(xs["g"], gate_y + 0.28), (xs["g"], mul_ig[1]), (mul_ig[0] + 0.22, mul_ig[1])],
           colour("g", GATE_COLOURS["g"]))
    _arrow(ax, [(mul_ig[0], mul_ig[1] + 0.22), (plus[0], top - 0.22)], colour("ig", INK))
    _arrow(ax, [(tanh_x, top), (tanh_x, 3.0 + 0.25)], colour("tanh", c_mem), width=2.0)
    _box(ax, tanh_x, 3.0, r"$\tanh$", colour("tanh", GATE_COLOURS["h"]), w=0.95, h=0.5)
    _arrow(ax, [(tanh_x, 3.0 - 0.25), (tanh_x, mul_o[1] + 0.22)], colour("tanh", INK))
    _arrow(ax, [(xs["o"], gate_y + 0.28), (xs["o"], 2.55), (7.65, 2.55), (7.65, mul_o[1]),
                (mul_o[0] - 0.22, mul_o[1])], colour("o", GATE_COLOURS["o"]))
    h_colour = colour("out", GATE_COLOURS["h"])
    _arrow(ax, [(mul_o[0], mul_o[1] - 0.22), (mul_o[0], bus), (11.2, bus)], h_colour, width=2.4)
    _arrow(ax, [(9.4, bus), (9.4, 5.1)], h_colour, width=2.4)
    ax.text(10.5, bus + 0.2, r"$h_t$", fontsize=11, color=colour("out", INK))
    ax.text(9.55, 4.85, r"$h_t$", fontsize=11, color=colour("out", INK))
    _op(ax, *mul_f, r"$\times$", colour("f", INK))
    _op(ax, *plus, "+", colour("ig", INK))
    _op(ax, *mul_ig, r"$\times$", colour("ig", INK))
    _op(ax, *mul_o, r"$\times$", colour("out", INK))
    title = EQUATIONS[highlight] if highlight else "the LSTM cell: memory $c$ on top, gates below"
    ax.text(5.3, 5.05, title, ha="center", va="center", fontsize=11, color=INK)
    return fig


def _stack(ax, x, y, n, size, colour, label, depth=0.16, edge=INK, alpha=0.85):
    """``n`` square feature maps, each offset up and right: a 3-D tensor seen at an angle.

    Returns the lower-left corner of the front map.
    """
    shown = min(n, 6)
    for k in range(shown - 1, -1, -1):
        dx = dy = k * depth
        ax.add_patch(Polygon([(x + dx, y + dy), (x + dx + size, y + dy),
                              (x + dx + size, y + dy + size), (x + dx, y + dy + size)],
                             closed=True, facecolor=colour, edgecolor=edge, lw=0.8, alpha=alpha, zorder=2))
    ax.text(x + size / 2 + (shown - 1) * depth / 2, y - 0.3, label, ha="center", va="top", fontsize=10)
    return x, y


def convlstm_tensors(kernel_size: int = 3, width: float = COLUMN_IN):
    r"""A ConvLSTM step as tensors: stacks of feature maps, a k x k window, 3-D gates.

    The input :math:`\mathcal X_t` (``C_in`` maps) and the hidden state :math:`\mathcal H_{t-1}`
    (``C_h`` maps) are read through the same k x k window at every pixel; the fused
    convolution gives the four 3-D tensors :math:`i, f, g, o`, each ``C_h`` maps of ``H x W``,
    and the window's centre pixel in each.

    Examples:
        >>> fig = convlstm_tensors(5)
        >>> "5×5 window" in [t.get_text() for t in fig.axes[0].texts]
        True
    """
    if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"convlstm_tensors: expected an odd positive kernel_size, got {kernel_size!r}")
    fig, ax = _canvas(width, width * 0.34, (0, 12), (-0.7, 3.8))
    size, cell = 2.0, 2.0 / 9
    _stack(ax, 0.3, 0.9, 2, size, "#DDDDDD", r"$\mathcal{X}_t$ ($C_{in}$, H, W)")
    _stack(ax, 3.4, 0.9, 5, size, GATE_COLOURS["h"], r"$\mathcal{H}_{t-1}$ ($C_h$, H, W)", alpha=0.6)
    win = min(kernel_size, 9) * cell
    centre = (4, 4)  # the window's centre, in cells of the front map
    for x0 in (0.3, 3.4):
        wx = x0 + (centre[0] + 0.5) * cell - win / 2
        wy = 0.9 + (centre[1] + 0.5) * cell - win / 2
        ax.add_patch(Rectangle((wx, wy), win, win, fill=False, edgecolor="black", lw=2.0, zorder=5))
    ax.text(0.3 + size / 2 + 0.08, 3.35, f"{kernel_size}×{kernel_size} window", ha="center", fontsize=10)
    ax.text(2.85, 1.9, "+", fontsize=16, ha="center", va="center")
    _arrow(ax, [(6.35, 1.9), (7.25, 1.9)])
    ax.text(6.8, 2.15, "conv", ha="center", fontsize=10)
    for k, name in enumerate("ifgo"):
        x = 7.5 + k * 1.1
        _stack(ax, x, 1.2, 4, 0.85, GATE_COLOURS[name], f"${name}_t$", depth=0.09)
        px, py = x + 0.85 / 2, 1.2 + 0.85 / 2
        ax.add_patch(Rectangle((px - 0.05, py - 0.05), 0.1, 0.1, facecolor="black", zorder=6))
    ax.text(9.3, 0.2, "each ($C_h$, H, W): the same H×W as the input", ha="center", fontsize=10)
    ax.text(6.0, -0.5, r"one pixel of every gate sees the $k\times k$ window around it, in all channels",
            ha="center", fontsize=10)
    return fig


def output_head(hidden_channels=(128, 64, 64), patch_size: int = 4, in_channels: int = 1,
                width: float = COLUMN_IN):
    r"""The output of the encoder-forecaster: all forecaster layers' hidden states, concatenated.

    :math:`\hat X_t = \mathrm{unpatch}(W_{out} * [\hat H^1_t, \dots, \hat H^L_t] + b_{out})`: the
    hidden states of the L layers are stacked along channels, and a 1 x 1 convolution maps the
    ``sum(hidden_channels)`` channels of each pixel to ``patch_size**2 * in_channels``, one patch.

    Examples:
        >>> fig = output_head((128, 64))
        >>> "192 ch" in " ".join(t.get_text() for t in fig.axes[0].texts)
        True
    """
    hidden_channels = list(hidden_channels)
    if not hidden_channels or not all(isinstance(h, int) and h > 0 for h in hidden_channels):
        raise ValueError(f"output_head: expected positive ints per layer, got {hidden_channels!r}")
    out = patch_size ** 2 * in_channels
    fig, ax = _canvas(width, width * 0.4, (0, 12), (-0.6, 4.2))
    y0 = 0.3
    for layer, channels in enumerate(hidden_channels, 1):
        y = y0 + (len(hidden_channels) - layer) * 1.2
        ax.add_patch(Rectangle((0.2, y), 2.2, 0.8, facecolor=GATE_COLOURS["h"], edgecolor=INK, lw=0.8))
        ax.text(1.3, y + 0.4, rf"$\hat{{H}}^{{{layer}}}_t$: {channels} ch", ha="center", va="center",
                fontsize=10)
        _arrow(ax, [(2.4, y + 0.4), (3.6, y + 0.4)])
    top = y0 + (len(hidden_channels) - 1) * 1.2 + 0.8
    ax.add_patch(Rectangle((3.6, y0), 1.5, top - y0, facecolor=GATE_COLOURS["h"], edgecolor=INK, lw=0.8,
                           alpha=0.6))
    ax.text(4.35, (y0 + top) / 2, f"concat\n{sum(hidden_channels)} ch", ha="center", va="center",
            fontsize=10)
    mid = (y0 + top) / 2
    _arrow(ax, [(5.1, mid), (6.5, mid)])
    ax.text(5.8, mid + 0.2, "1×1 conv", ha="center", fontsize=10)
    ax.add_patch(Rectangle((6.5, mid - 0.5), 1.4, 1.0, facecolor="#DDDDDD", edgecolor=INK, lw=0.8))
    ax.text(7.2, mid, f"{out} ch", ha="center", va="center", fontsize=10)
    _arrow(ax, [(7.9, mid), (9.3, mid)])
    ax.text(8.6, mid + 0.2, "unpatch", ha="center", fontsize=10)
    ax.add_patch(Rectangle((9.3, mid - 0.8), 1.6, 1.6, facecolor="white", edgecolor=INK, lw=0.8))
    ax.text(10.1, mid, r"$\hat{X}_t$", ha="center", va="center", fontsize=12)
    ax.text(6.0, -0.4, f"every pixel of the grid: {sum(hidden_channels)} numbers in, one "
            f"{patch_size}×{patch_size} patch out", ha="center", fontsize=10)
    return fig


def patch_transform(frame=None, patch_size: int = 4, width: float = COLUMN_IN):
    r"""A frame cut into patches and stacked as channels: the paper's 2-D to 3-D transform.

    Drawn from :func:`convlstm.patches.to_patches` itself: on the left the frame with its patch
    grid and one patch outlined, on the right the ``patch_size**2`` channel maps of the result,
    the outlined patch's pixels marked in each (channel ``i * p + j`` holds pixel ``(i, j)``).

    Args:
        frame: ``(H, W)`` values in [0, 1]; a ring (64 x 64) if None.

    Examples:
        >>> fig = patch_transform()
        >>> len(fig.axes)  # the frame and 16 channel maps
        17
    """
    from .patches import to_patches

    if frame is None:
        yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
        radius = ((yy - 30) ** 2 + (xx - 34) ** 2).sqrt()
        frame = ((radius - 18).abs() < 5).float()  # (64, 64): a ring
    frame = torch.as_tensor(frame).detach().float().cpu()
    if frame.dim() != 2:
        raise ValueError(f"patch_transform: expected a frame of shape (H, W), got {tuple(frame.shape)}")
    height, wide = frame.shape
    patches = to_patches(frame[None], patch_size)  # (p*p, H/p, W/p)
    grid_h, grid_w = patches.shape[-2:]
    fig = plt.figure(figsize=(width, width * 0.47))
    left = fig.add_axes((0.02, 0.1, 0.4, 0.76))
    left.imshow(frame.numpy(), cmap="gray_r", vmin=0, vmax=1)
    for k in range(0, max(height, wide) + 1, patch_size):
        left.axhline(k - 0.5, color="#999999", lw=0.3)
        left.axvline(k - 0.5, color="#999999", lw=0.3)
    row, col = grid_h // 3, grid_w // 2  # the patch to follow
    left.add_patch(Rectangle((col * patch_size - 0.5, row * patch_size - 0.5), patch_size, patch_size,
                             fill=False, edgecolor=GATE_COLOURS["f"], lw=2.0))
    left.set_xticks([])
    left.set_yticks([])
    left.set_title(f"frame {height}×{wide}×1, cut into {patch_size}×{patch_size} patches", fontsize=10)
    fig.text(0.455, 0.5, "→", fontsize=22, ha="center", va="center")
    n = patch_size
    for i in range(n):
        for j in range(n):
            ax = fig.add_axes((0.52 + j * 0.115, 0.6 - i * 0.17, 0.105, 0.16))
            ax.imshow(patches[i * n + j].numpy(), cmap="gray_r", vmin=0, vmax=1)
            ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, edgecolor=GATE_COLOURS["f"],
                                   lw=1.2))
            ax.set_xticks([])
            ax.set_yticks([])
    fig.text(0.74, 0.8, f"{grid_h}×{grid_w}×{n * n}: channel {n}i+j holds\npixel (i, j) of every patch",
             va="bottom", ha="center", fontsize=10)
    fig.text(0.74, 0.02, "the outlined patch: one pixel per channel", ha="center", fontsize=10)
    return fig


def encoder_forecaster(layers: int = 2, observed: int = 3, predicted: int = 3, width: float = COLUMN_IN):
    r"""The encoder-forecaster of Shi et al. (2015), Fig. 3: encode, copy the states, forecast.

    Columns are time steps, rows are layers. The encoder reads the observed frames
    (patches); its last states :math:`(H^l, C^l)` are copied into the forecaster's first, one per
    layer; the forecaster runs without input (deeper layers read the layer below), and at each
    step the hidden states of all its layers, concatenated, give the predicted frame through a
    1 x 1 convolution.

    Examples:
        >>> fig = encoder_forecaster(layers=3)
        >>> "copy" in [t.get_text() for t in fig.axes[0].texts]
        True
    """
    for name, value in (("layers", layers), ("observed", observed), ("predicted", predicted)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"encoder_forecaster: expected {name} as a positive int, got {value!r}")
    columns = observed + predicted
    gap = 1.0  # between the encoder's last column and the forecaster's first
    span = columns * 1.3 + gap
    fig, ax = _canvas(width, width * (0.28 + 0.1 * layers), (-1.6, span + 0.2), (-1.5, layers * 1.1 + 1.8))

    def x_of(t):
        return t * 1.3 + (gap if t >= observed else 0)

    for t in range(columns):
        x = x_of(t)
        encoder = t < observed
        for layer in range(layers):
            y = layer * 1.1
            ax.add_patch(FancyBboxPatch((x, y), 0.9, 0.65, boxstyle="round,pad=0.02,rounding_size=0.08",
                                        facecolor="#DDDDDD" if encoder else GATE_COLOURS["h"],
                                        edgecolor=INK, lw=0.8, zorder=2))
            if t not in (observed - 1, columns - 1):
                _arrow(ax, [(x + 0.9, y + 0.33), (x_of(t + 1), y + 0.33)])
            if layer + 1 < layers:
                _arrow(ax, [(x + 0.45, y + 0.65), (x + 0.45, y + 1.1)])
        if encoder:
            _arrow(ax, [(x + 0.45, -0.85), (x + 0.45, 0)])
            ax.text(x + 0.45, -1.0, f"$X_{t + 1}$", ha="center", va="top", fontsize=10)
        else:
            top = (layers - 1) * 1.1 + 0.65
            _arrow(ax, [(x + 0.45, top), (x + 0.45, top + 0.55)])
            ax.text(x + 0.45, top + 0.6, rf"$\hat X_{{{t + 1}}}$", ha="center", va="bottom", fontsize=10)
    # the state copy
    for layer in range(layers):
        y = layer * 1.1 + 0.33
        _arrow(ax, [(x_of(observed - 1) + 0.9, y), (x_of(observed), y)], colour=GATE_COLOURS["c"],
               width=2.2, dashed=True)
    ax.text((x_of(observed - 1) + 0.9 + x_of(observed)) / 2, -0.35, "copy", ha="center", va="top",
            fontsize=10, color=GATE_COLOURS["c"])
    for layer in range(layers):
        ax.text(-0.2, layer * 1.1 + 0.33, f"layer {layer + 1}", ha="right", va="center", fontsize=10)
    y_title = layers * 1.1 + 1.45
    ax.text(x_of(0) + observed * 1.3 / 2 - 0.2, y_title, "encoder: reads frames", ha="center", fontsize=10)
    ax.text(x_of(observed) + predicted * 1.3 / 2 - 0.2, y_title, "forecaster: no input",
            ha="center", fontsize=10)
    ax.text(x_of(observed) + predicted * 1.3 / 2 - 0.2, -0.8,
            "each $\\hat X$: a 1×1 conv over\nthe $\\hat H$ of all layers", ha="center", va="top",
            fontsize=10)
    return fig


def memory_gradient_plot(forgets=(0.5, 0.9, 0.99, 1.0), steps: int = 20, width: float = COLUMN_IN):
    r"""How far back the memory carries a gradient: :math:`\partial c_T / \partial c_t` against t.

    Each curve is :func:`convlstm.recording.memory_gradient` (autograd through
    :math:`c_t = f c_{t-1} + i g`) for one constant forget value, on a log scale: a straight
    line of slope :math:`\log f` per step, flat at :math:`f = 1`.

    Examples:
        >>> fig = memory_gradient_plot((0.5, 0.9), steps=5)
        >>> len(fig.axes[0].lines)
        2
    """
    from .recording import memory_gradient

    fig, ax = plt.subplots(figsize=(width, width * 0.45))
    for f in forgets:
        grad = memory_gradient(f, steps)  # (T + 1,)
        ax.semilogy(range(steps + 1), grad.numpy(), marker="o", markersize=3, label=f"f = {f:g}")
    ax.set_xlabel("step t")
    ax.set_ylabel(r"$\partial c_T / \partial c_t$ (log scale)")
    ax.set_title(rf"the gradient through the memory: $\partial c_T/\partial c_t = f^{{T-t}}$, T = {steps}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
