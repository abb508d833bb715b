"""Colour scales that say what a value means: two-sided for signed maps, rain rates in mm/h.

* Signed quantities (the candidate ``g``, the memory ``c``, the hidden state ``h``) get a
  diverging map, ``RdBu_r``, centred on 0 with symmetric limits: white is zero, red positive,
  blue negative, and equal magnitudes get equal strength.
* Radar frames are HKO-7 pixels divided by 255, in [0, 1] (``SyntheticRadar``);
  :func:`rain_colorbar` adds a colour bar to any figure that draws such pixels, its ticks at
  the pixels of chosen rain rates and labelled in mm/h: the strips keep their pixel scale and
  gain physical units.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize

SIGNED_CMAP = "RdBu_r"
RAIN_RATES = (0.5, 2.0, 5.0, 10.0, 30.0)  # mm/h, HKO-7's thresholds


def _array(values):
    return torch.as_tensor(values).detach().double().cpu().numpy()


def signed_norm(*maps) -> Normalize:
    """A colour scale centred on 0 with limits ``-m, +m``, m the largest magnitude of all maps.

    Examples:
        >>> norm = signed_norm(torch.tensor([[-0.2, 0.5]]), torch.tensor([0.1]))
        >>> norm.vmin, norm.vmax
        (-0.5, 0.5)
    """
    if not maps:
        raise ValueError("signed_norm: expected at least one map, got none")
    largest = max(float(abs(_array(m)).max()) for m in maps)
    largest = largest if largest > 0 else 1.0  # an all-zero map still gets a scale
    return Normalize(vmin=-largest, vmax=largest)


def imshow_signed(ax, values, norm: Normalize | None = None, label: str | None = None,
                  colorbar: bool = True):
    """Draw a signed ``(H, W)`` map in ``RdBu_r`` centred on 0, with a colour bar.

    Args:
        ax: the axes to draw in.
        values: ``(H, W)`` tensor or array.
        norm: a shared scale (from :func:`signed_norm` over all maps compared); this map's own
            symmetric scale if None.
        label: the colour bar's label (the quantity and its unit).
        colorbar: add a colour bar next to ``ax``.

    Returns:
        the image (an ``AxesImage``).

    Examples:
        >>> fig, ax = plt.subplots()
        >>> image = imshow_signed(ax, torch.tensor([[-1.0, 2.0]]), label="c")
        >>> image.norm.vmin, image.get_cmap().name
        (-2.0, 'RdBu_r')
    """
    array = _array(values)
    if array.ndim != 2:
        raise ValueError(f"imshow_signed: expected a map of shape (H, W), got {array.shape}")
    image = ax.imshow(array, cmap=SIGNED_CMAP, norm=norm or signed_norm(array))
    ax.set_xticks([])
    ax.set_yticks([])
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        if label:
            bar.set_label(label)
    return image


def rain_colorbar(fig, axes=None, cmap: str = "gray_r", vmin: float = 0.0, vmax: float = 1.0,
                  rates=RAIN_RATES, label: str = "rain rate (mm/h)",
                  orientation: str = "horizontal"):
    """A colour bar in mm/h for radar frames drawn as pixel/255 (``frame_strip``'s default scale).

    Args:
        fig: the figure, e.g. from :func:`convlstm.viz.frame_strip`.
        axes: the axes to steal room from; all of ``fig``'s if None.
        cmap, vmin, vmax: the pixel scale the frames were drawn with.
        rates: rain rates to mark (mm/h); each tick sits at that rate's pixel value.
        label: the bar's label.
        orientation: ``"horizontal"`` (below the frames: room for the ticks) or ``"vertical"``.

    Returns:
        the colour bar.

    Examples:
        >>> from convlstm.viz import frame_strip
        >>> fig = frame_strip({"radar": torch.rand(3, 8, 8)})
        >>> bar = rain_colorbar(fig)
        >>> [t.get_text() for t in bar.ax.get_xticklabels()]
        ['0.5', '2', '5', '10', '30']
    """
    from .radar import rain_rate_to_pixel

    rates = [float(r) for r in rates]
    if not rates or any(r <= 0 for r in rates):
        raise ValueError(f"rain_colorbar: expected positive rain rates in mm/h, got {rates}")
    # the frames hold pixel / 255
    pixels = [float(rain_rate_to_pixel(torch.tensor(r, dtype=torch.float64))) / 255 for r in rates]
    mappable = ScalarMappable(norm=Normalize(vmin=vmin, vmax=vmax), cmap=plt.get_cmap(cmap))
    axes = list(fig.axes) if axes is None else list(axes)
    if orientation == "horizontal":
        # a taller figure, the frames kept where they are, the bar in the new strip below them
        height, extra = fig.get_figheight(), 0.75  # inches: the bar, its ticks and its label
        fig.set_figheight(height + extra)
        for ax in fig.axes:
            box = ax.get_position(original=True)
            ax.set_position((box.x0, (box.y0 * height + extra) / (height + extra), box.width,
                             box.height * height / (height + extra)))
        left = min(ax.get_position().x0 for ax in axes)
        right = max(ax.get_position().x1 for ax in axes)
        cax = fig.add_axes((left, 0.45 / (height + extra), right - left, 0.12 / (height + extra)))
        bar = fig.colorbar(mappable, cax=cax, orientation="horizontal")
    elif orientation == "vertical":
        bar = fig.colorbar(mappable, ax=axes, fraction=0.03, pad=0.02)
    else:
        raise ValueError(
            f"rain_colorbar: expected orientation 'horizontal' or 'vertical', got {orientation!r}")
    bar.set_ticks(pixels, labels=[f"{r:g}" for r in rates])
    bar.set_label(label)
    return bar
