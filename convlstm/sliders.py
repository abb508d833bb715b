"""Sliders that work on the rendered page: every view drawn in advance, switched in the browser.

A slider wired to a plot with ``interactive_output`` needs a kernel: on the static page its
handle moves while the figure under it stays. :func:`precomputed_view` draws the figure for
every combination of slider values once, as PNG pictures in :class:`ipywidgets.Image` widgets,
and puts them in nested :class:`ipywidgets.Tab` containers (their tab bars hidden), one level
per slider. Each slider's ``index`` is linked in the browser (``ipywidgets.jslink``) to the
``selected_index`` of its level, so moving the handle shows the matching picture with or
without a kernel, on ipywidgets 7.7 and 8 alike (both have ``SelectionSlider.index``,
``Tab.selected_index`` and ``jslink``).

The cost: ``n_1 * n_2 * ...`` renders and their PNGs in the notebook; keep the ranges small.
"""
from __future__ import annotations

import html
import io
import itertools

import matplotlib.pyplot as plt

# The widget manager draws a Tab's bar with Lumino (ipywidgets 8) or Phosphor (7.7) classes.
SWITCH_CLASS = "convlstm-switch"
_HIDE_TAB_BARS = (
    f"<style>.{SWITCH_CLASS} > .lm-TabBar, .{SWITCH_CLASS} > .p-TabBar, "
    f".{SWITCH_CLASS} > .widget-tab-bar {{display: none !important;}} "
    f".{SWITCH_CLASS} > .widget-tab-contents, .{SWITCH_CLASS} > .lm-StackedPanel, "
    f".{SWITCH_CLASS} > .p-StackedPanel {{border: none !important; padding: 0 !important;}}</style>"
)


def figure_png(fig, close: bool = True) -> bytes:
    """The figure as PNG bytes, the same bytes for the same figure (no software tag, no date).

    Examples:
        >>> fig = plt.figure(figsize=(1, 1))
        >>> figure_png(fig)[:4]
        b'\\x89PNG'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    if close:
        plt.close(fig)
    return buffer.getvalue()


def _check_sliders(sliders) -> dict:
    if not isinstance(sliders, dict) or not sliders:
        raise ValueError(f"precomputed_view: expected sliders as {{name: values}}, got {sliders!r}")
    checked = {}
    for name, values in sliders.items():
        values = list(values)
        if not values:
            raise ValueError(f"precomputed_view: expected at least one value for slider {name!r}, got none")
        checked[name] = values
    return checked


def precomputed_view(render, sliders: dict, value: dict | None = None, labels: dict | None = None,
                     cache: dict | None = None):
    """Sliders and the figure they choose, every figure drawn in advance.

    Args:
        render: ``render(**values)`` returns a matplotlib Figure (saved as PNG, then closed) or a
            string (shown as preformatted text, e.g. a printed cost).
        sliders: ``{name: values}``, in the order the nesting follows: each ``name`` is a keyword of
            ``render`` and a slider whose handle steps through ``values`` (a ``range`` or a list).
        value: the starting value of each slider, ``{name: value}``; the first values if omitted.
        labels: each slider's description, ``{name: text}``; the name if omitted.
        cache: a dict to keep the PNGs (or texts) in, keyed by the tuple of values; pass the same dict
            again (e.g. after changing only the starting value) and nothing is drawn twice.

    Returns:
        an :class:`ipywidgets.VBox`: the sliders in a row above the picture. Display it.

    Examples:
        >>> def render(k, steps):
        ...     fig = plt.figure(figsize=(1, 1)); fig.suptitle(f"{k}, {steps}"); return fig
        >>> view = precomputed_view(render, {"k": [1, 3], "steps": range(1, 4)}, value={"k": 3})
        >>> [s.value for s in view.sliders], view.switch.selected_index
        ([3, 1], 1)
        >>> len(view.pictures)  # one picture per combination
        6
    """
    import ipywidgets as widgets  # only the widget helper needs it (the book's extra)

    sliders = _check_sliders(sliders)
    value, labels = dict(value or {}), dict(labels or {})
    unknown = (set(value) | set(labels)) - set(sliders)
    if unknown:
        raise ValueError(f"precomputed_view: value/labels name sliders {sorted(unknown)}, "
                         f"expected names among {list(sliders)}")
    for name, start in value.items():
        if start not in sliders[name]:
            raise ValueError(f"precomputed_view: expected a start value for {name!r} among "
                             f"{sliders[name]}, got {start!r}")
    cache = {} if cache is None else cache
    names = list(sliders)
    controls = [
        widgets.SelectionSlider(options=[(str(v), v) for v in values], value=value.get(name, values[0]),
                                description=labels.get(name, name), continuous_update=True)
        for name, values in sliders.items()
    ]
    pictures = {}
    for combo in itertools.product(*sliders.values()):
        if combo not in cache:
            drawn = render(**dict(zip(names, combo)))
            cache[combo] = drawn if isinstance(drawn, str) else figure_png(drawn)
        if isinstance(cache[combo], str):
            pictures[combo] = widgets.HTML(f"<pre>{html.escape(cache[combo])}</pre>")
        else:
            pictures[combo] = widgets.Image(value=cache[combo], format="png",
                                            layout=widgets.Layout(max_width="100%", height="auto"))

    links = []

    def level(depth: int, prefix: tuple):
        """A Tab over the values of slider ``depth``, its children the next level down."""
        values = sliders[names[depth]]
        if depth == len(names) - 1:
            children = [pictures[prefix + (v,)] for v in values]
        else:
            children = [level(depth + 1, prefix + (v,)) for v in values]
        tab = widgets.Tab(children=children)
        tab.add_class(SWITCH_CLASS)
        tab.selected_index = controls[depth].index
        # in the browser (and in a live kernel's front end): the handle picks the child
        links.append(widgets.jslink((controls[depth], "index"), (tab, "selected_index")))
        return tab

    switch = level(0, ())
    view = widgets.VBox([widgets.HTML(_HIDE_TAB_BARS), widgets.HBox(controls), switch])
    view.sliders, view.switch, view.pictures, view.links = controls, switch, pictures, links
    return view
