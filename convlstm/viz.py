"""Pictures for the book: frame strips, animations, gate maps, receptive-field maps, tables.

Every function returns a :class:`matplotlib.figure.Figure` (or an HTML string for an
animation) and never calls ``plt.show()``: the notebook decides what to display. Colour maps
are chosen to read in greyscale too.
"""
from __future__ import annotations

import hashlib
import re

import matplotlib.pyplot as plt
import torch
from matplotlib import animation

from .diagrams import COLUMN_IN


def _frames_2d(frames, who: str):
    """``(T, H, W)`` numpy frames from ``(T, H, W)`` or ``(T, 1, H, W)`` tensors or arrays."""
    frames = torch.as_tensor(frames).detach().float().cpu()
    if frames.dim() == 4 and frames.shape[1] == 1:
        frames = frames[:, 0]  # (T, H, W)
    if frames.dim() != 3:
        raise ValueError(f"{who}: expected frames of shape (T, H, W) or (T, 1, H, W), got {tuple(frames.shape)}")
    return frames.numpy()


LABEL_PT = 9  # the smallest text the book draws (points at 100 dpi, shown 1:1 on the page)


def _label_room(labels) -> float:
    """Inches that the widest of ``labels`` takes, written level at ``LABEL_PT``, plus a gap."""
    from matplotlib.textpath import TextPath

    lines = [line for label in labels for line in str(label).split("\n")]
    widths = [TextPath((0, 0), line, size=LABEL_PT).get_extents().width for line in lines if line]
    return max(widths, default=0.0) / 72 + 0.15


def _label_row(ax, label) -> None:
    """Write a row's label level, to the left of its first picture (readable at any frame size)."""
    ax.set_ylabel(str(label), fontsize=LABEL_PT, rotation=0, ha="right", va="center", labelpad=4)


def frame_strip(rows: dict, title: str | None = None, first_step: int = 1, cmap: str = "gray_r",
                vmin: float = 0.0, vmax: float = 1.0, scale: float | None = None,
                title_room: float | None = None):
    """A grid of frames: one row per named sequence, one column per time step.

    Args:
        rows: ``{"label": frames}``, each frames ``(T, H, W)`` or ``(T, 1, H, W)``; rows may
            have different lengths (a shorter row leaves its last cells empty).
        title: the figure's title.
        first_step: the step number written above the first column.
        cmap, vmin, vmax: how values map to grey; the default draws ink dark on white.
        scale: inches per frame; by default the strip fits the book's column (``COLUMN_IN``
            less the row labels' width), at most 1 inch per frame.
        title_room: inches added to the figure's height, then laid out again, so that a
            title clears the step numbers; by default 0.3 with a title, 0 without.

    Returns:
        the figure.

    Examples:
        >>> fig = frame_strip({"input": torch.rand(4, 1, 8, 8), "truth": torch.rand(3, 8, 8)})
        >>> len(fig.axes)
        8
        >>> float(frame_strip({"a": torch.rand(2, 8, 8)}, "title").get_figheight())
        1.7
    """
    if not rows:
        raise ValueError("frame_strip: expected at least one row, got none")
    if title_room is None:
        title_room = 0.3 if title else 0.0  # tight_layout alone lets a title touch the step numbers
    sequences = {label: _frames_2d(frames, "frame_strip") for label, frames in rows.items()}
    columns = max(len(f) for f in sequences.values())
    room = _label_room(sequences)  # inches left of the frames
    if scale is None:
        scale = min(1.0, (COLUMN_IN - 0.1 - room) / columns)
    fig, axes = plt.subplots(len(sequences), columns, squeeze=False,
                             figsize=(scale * columns + room, scale * len(sequences) + 0.4))
    for r, (label, frames) in enumerate(sequences.items()):
        for c in range(columns):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(frames):
                ax.imshow(frames[c], cmap=cmap, vmin=vmin, vmax=vmax)
            else:
                ax.axis("off")
            if r == 0:
                ax.set_title(f"t={first_step + c}", fontsize=LABEL_PT)
        _label_row(axes[r, 0], label)
    if title:
        fig.suptitle(title)
    fig.tight_layout(pad=0.3)
    if title_room:
        fig.set_figheight(fig.get_figheight() + title_room)
        fig.tight_layout(pad=0.3)
    return fig


def html_table(header, rows) -> str:
    """An HTML table: the first column left-aligned (labels), the others right-aligned (numbers).

    Args:
        header: the column titles.
        rows: one list of cells per row; each cell is written with ``str`` (format numbers
            first, e.g. ``f"{x:.1f}"``).

    Returns:
        the HTML, one line per row; :func:`show_table` displays it in a notebook.

    Examples:
        >>> html = html_table(["model", "MSE"], [["ConvLSTM", "110.2"], ["FC-LSTM", "131.0"]])
        >>> html.count("<tr>"), html.splitlines()[0], html.splitlines()[-1]
        (3, '<table>', '</table>')
        >>> '<td style="text-align: right; padding: 2px 8px">110.2</td>' in html
        True
    """
    rows = [list(row) for row in rows]
    wrong = [len(row) for row in rows if len(row) != len(header)]
    if wrong:
        raise ValueError(f"html_table: expected rows of {len(header)} cells (one per header), got rows of {wrong}")

    def cells(tag, values):
        return "".join(f'<{tag} style="text-align: {"right" if i else "left"}; padding: 2px 8px">{v}</{tag}>'
                       for i, v in enumerate(values))

    lines = ["<table>", f"<tr>{cells('th', header)}</tr>", *(f"<tr>{cells('td', row)}</tr>" for row in rows)]
    return "\n".join(lines + ["</table>"])


def show_table(header, rows) -> None:
    """Display :func:`html_table` in the notebook (``IPython.display``); returns nothing."""
    from IPython.display import HTML, display

    display(HTML(html_table(header, rows)))


def animate_frames(rows: dict, interval: int = 200, cmap: str = "gray_r", scale: float = 2.0) -> str:
    """An animation that plays in the page without a kernel: JavaScript and the frames inlined.

    Args:
        rows: ``{"label": frames}`` as in :func:`frame_strip`, all of the same length ``T``.
        interval: milliseconds per frame.

    Returns:
        HTML (``matplotlib.animation.Animation.to_jshtml``); display it with
        ``IPython.display.HTML``. Unlike matplotlib's, it loads nothing from the internet (the
        player's buttons are characters, not Font Awesome icons from a CDN) and its element ids
        are a digest of the frames, so the same frames give the same HTML.

    Examples:
        >>> html = animate_frames({"a": torch.rand(3, 8, 8)})
        >>> "<script" in html and "https://" not in html
        True
    """
    sequences = {label: _frames_2d(frames, "animate_frames") for label, frames in rows.items()}
    lengths = {len(f) for f in sequences.values()}
    if len(lengths) != 1:
        raise ValueError(f"animate_frames: expected rows of one length, got lengths {sorted(lengths)}")
    steps = lengths.pop()
    fig, axes = plt.subplots(1, len(sequences), figsize=(scale * len(sequences), scale + 0.4), squeeze=False)
    images = []
    for ax, (label, frames) in zip(axes[0], sequences.items()):
        images.append(ax.imshow(frames[0], cmap=cmap, vmin=0, vmax=1))
        ax.set_title(label, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    caption = fig.suptitle("t=1")

    def draw(t):
        for image, frames in zip(images, sequences.values()):
            image.set_data(frames[t])
        caption.set_text(f"t={t + 1}")
        return images

    anim = animation.FuncAnimation(fig, draw, frames=steps, interval=interval, blit=False)
    html = anim.to_jshtml(default_mode="loop")
    plt.close(fig)
    return _offline_player(html)


# matplotlib's player: a stylesheet link to Font Awesome 4 on a CDN, buttons drawn with its
# icons, and a random uuid4 hex naming the player's elements and JavaScript object.
_CDN_LINK = re.compile(r"<link[^>]*font-awesome[^>]*>\s*")
_ICON = re.compile(r'<i class="fa fa-([a-z-]+)[^"]*"></i>')
_PLAYER_ID = re.compile(r"anim([0-9a-f]{32})\b")
_BUTTON_TEXT = {
    "minus": "&minus;", "fast-backward": "&#8676;", "step-backward": "&lsaquo;",
    "play fa-flip-horizontal": "&#9664;", "pause": "&#8214;", "play": "&#9654;",
    "step-forward": "&rsaquo;", "fast-forward": "&#8677;", "plus": "+",
}


def _offline_player(html: str) -> str:
    """matplotlib's JavaScript player without the CDN stylesheet, with a reproducible id.

    A matplotlib that changes its template (another icon, no id) still gives a working player:
    an unknown icon shows its name, and ids not found are left as they are.
    """
    html = _CDN_LINK.sub("", html)

    def button(match):
        icon = match.group(0)[len('<i class="fa fa-'):-len('"></i>')]
        return _BUTTON_TEXT.get(icon, icon)

    html = _ICON.sub(button, html)
    for random_id in set(_PLAYER_ID.findall(html)):
        digest = hashlib.sha1(html.replace(random_id, "").encode()).hexdigest()[:32]
        html = html.replace(random_id, digest)
    return html


def receptive_field_map(grad, pixel, radius: int | None = None, title: str | None = None, ax=None):
    """The magnitude of an input gradient on a log scale, with the predicted square outlined.

    Args:
        grad: ``(H, W)`` non-negative map, e.g. from :func:`convlstm.receptive_field.input_gradient`.
        pixel: ``(row, col)`` of the unit whose receptive field this is.
        radius: if given, a dashed square of this Chebyshev radius around ``pixel``.
        title: the axes' title.
        ax: draw into these axes; a new figure otherwise.

    Returns:
        the figure.

    Examples:
        >>> g = torch.zeros(9, 9); g[3:6, 3:6] = 1.0
        >>> fig = receptive_field_map(g, (4, 4), radius=1)
        >>> len(fig.axes[0].patches)
        1
    """
    grad = torch.as_tensor(grad).detach().double().cpu()
    if grad.dim() != 2:
        raise ValueError(f"receptive_field_map: expected a map of shape (H, W), got {tuple(grad.shape)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.8, 4))
    else:
        fig = ax.figure
    # log10 of the magnitude; exact zeros (outside the field) show at the bottom of the scale
    image = ax.imshow(torch.log10(grad + 1e-30).numpy(), cmap="viridis", vmin=-12)
    if radius is not None:
        row, col = pixel
        ax.add_patch(plt.Rectangle((col - radius - 0.5, row - radius - 0.5), 2 * radius + 1, 2 * radius + 1,
                                   fill=False, edgecolor="white", linestyle="--"))
    ax.set_xlabel("column (pixels)")
    ax.set_ylabel("row (pixels)")
    if title:
        ax.set_title(title)
    fig.colorbar(image, ax=ax, label="log10 |gradient|")
    return fig


def map_grid(maps, row_labels, col_labels, title: str | None = None, cmap: str = "viridis",
             symmetric: bool = False, scale: float | None = None, colorbar_label: str | None = None):
    """A grid of 2-D maps (gates, states, gradients) with labelled rows and columns.

    Args:
        maps: nested list ``maps[row][col]`` of ``(H, W)`` tensors or arrays.
        row_labels, col_labels: the labels of the rows and columns.
        symmetric: centre the colour scale on 0 (for signed maps such as ``C`` and ``H``).
        scale: inches per map; by default the grid fits the book's column (``COLUMN_IN``
            less the row labels and the colour bar), at most 1.3 inches per map.
        colorbar_label: a label for the shared colour bar, if any.

    Returns:
        the figure; all maps share one colour scale, so they can be compared.

    Examples:
        >>> fig = map_grid([[torch.rand(4, 4)] * 3] * 2, ["i", "f"], [1, 2, 3])
        >>> len(fig.axes)  # six maps and a colour bar
        7
    """
    arrays = [[torch.as_tensor(m).detach().float().cpu().numpy() for m in row] for row in maps]
    if len(arrays) != len(row_labels) or any(len(row) != len(col_labels) for row in arrays):
        raise ValueError(
            f"map_grid: expected {len(row_labels)} rows of {len(col_labels)} maps, "
            f"got {[len(row) for row in arrays]}"
        )
    room = _label_room(row_labels) + 0.9  # inches for the row labels and the colour bar
    if scale is None:
        scale = min(1.3, (COLUMN_IN - room) / len(col_labels))
    lo = min(a.min() for row in arrays for a in row)
    hi = max(a.max() for row in arrays for a in row)
    if symmetric:
        hi = max(abs(lo), abs(hi))
        lo = -hi
    # constrained layout keeps the title, the labels and the colour bar clear of the maps
    fig, axes = plt.subplots(len(arrays), len(col_labels), squeeze=False, layout="constrained",
                             figsize=(scale * len(col_labels) + room, scale * len(arrays) + 0.6))
    for r, row in enumerate(arrays):
        for c, array in enumerate(row):
            ax = axes[r, c]
            image = ax.imshow(array, cmap=cmap, vmin=lo, vmax=hi)
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(str(col_labels[c]), fontsize=LABEL_PT)
        _label_row(axes[r, 0], row_labels[r])
    bar = fig.colorbar(image, ax=axes.ravel().tolist(), fraction=0.03, pad=0.02)
    if colorbar_label:
        bar.set_label(colorbar_label)
    if title:
        fig.suptitle(title)
    return fig

