"""convlstm.sliders: one picture per combination of slider values, linked in the browser."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from convlstm.sliders import figure_png, precomputed_view  # noqa: E402

widgets = pytest.importorskip("ipywidgets")


def _render(calls):
    def render(k, steps):
        calls.append((k, steps))
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.set_title(f"k={k} T={steps}")
        return fig
    return render


def test_every_combination_is_drawn_once_and_linked_to_its_slider():
    calls = []
    view = precomputed_view(_render(calls), {"k": [1, 3, 5], "steps": range(1, 3)}, value={"steps": 2})
    assert sorted(calls) == [(k, s) for k in (1, 3, 5) for s in (1, 2)]
    assert len(set(p.value for p in view.pictures.values())) == 6  # six different pictures
    k, steps = view.sliders
    assert (k.value, steps.value, k.index, steps.index) == (1, 2, 0, 1)
    # the outer Tab follows k; each inner Tab follows steps, and holds the pictures in order
    assert len(view.links) == 1 + 3
    assert view.switch.selected_index == 0 and len(view.switch.children) == 3
    inner = view.switch.children[2]
    assert inner.children[1] is view.pictures[(5, 2)] and inner.selected_index == 1
    for link in view.links:
        (source, source_trait), (target, target_trait) = link.source, link.target
        assert source_trait == "index" and target_trait == "selected_index"
        assert source in view.sliders and isinstance(target, widgets.Tab)


def test_a_cache_is_reused():
    calls, cache = [], {}
    precomputed_view(_render(calls), {"k": [1, 3], "steps": [1]}, cache=cache)
    precomputed_view(_render(calls), {"k": [1, 3], "steps": [1]}, value={"k": 3}, cache=cache)
    assert len(calls) == 2 and set(cache) == {(1, 1), (3, 1)}


def test_png_bytes_are_reproducible():
    def fig():
        f, ax = plt.subplots(figsize=(2, 1))
        ax.plot([0, 1], [1, 0])
        return f
    assert figure_png(fig()) == figure_png(fig())


@pytest.mark.parametrize("sliders, value, match", [
    ({}, None, "expected sliders"),
    ({"k": []}, None, "at least one value"),
    ({"k": [1, 3]}, {"k": 2}, "start value"),
    ({"k": [1, 3]}, {"q": 1}, "name sliders"),
], ids=["none", "empty-range", "start-not-in-range", "unknown-name"])
def test_bad_sliders_are_refused(sliders, value, match):
    with pytest.raises(ValueError, match=match):
        precomputed_view(lambda **kw: plt.figure(), sliders, value=value)


def test_text_views_are_shown_as_preformatted_text():
    view = precomputed_view(lambda hidden: f"{hidden * 2} GFLOP <per step>", {"hidden": [8, 16]})
    texts = [view.pictures[(h,)].value for h in (8, 16)]
    assert texts == ["<pre>16 GFLOP &lt;per step&gt;</pre>", "<pre>32 GFLOP &lt;per step&gt;</pre>"]
