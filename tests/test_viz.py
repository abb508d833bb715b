"""convlstm.viz draws under the Agg backend, returns figures, and rejects bad frames clearly."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from convlstm.viz import animate_frames, frame_strip, html_table, map_grid, show_table  # noqa: E402


def test_frame_strip_lays_out_rows_and_steps():
    fig = frame_strip({"input": torch.rand(5, 1, 8, 8), "prediction": torch.rand(3, 8, 8)}, title="t", first_step=11)
    axes = fig.axes
    assert len(axes) == 10
    assert axes[0].get_title() == "t=11" and axes[0].get_ylabel() == "input"
    assert not axes[9].axison  # the shorter row leaves its last cells empty
    assert len(axes[5].images) == 1 and len(axes[9].images) == 0
    plt.close(fig)


def test_animation_is_self_contained_html():
    html = animate_frames({"truth": torch.rand(4, 8, 8), "prediction": torch.rand(4, 1, 8, 8)})
    assert "<script" in html
    assert html.count("data:image/png;base64") == 4  # every step's picture is inlined: no kernel needed


def test_animation_loads_nothing_from_the_internet_and_is_reproducible():
    frames = torch.rand(3, 8, 8, generator=torch.Generator().manual_seed(0))
    html = animate_frames({"a": frames})
    # matplotlib's own player links Font Awesome on a CDN and draws its buttons with it
    assert "<link" not in html and "font-awesome" not in html and 'class="fa ' not in html
    assert "://" not in html  # no address of any kind: the frames are data: URIs
    assert html.count("<button") == 9 and "&#9654;" in html  # the play button is a character
    assert html == animate_frames({"a": frames.clone()})  # no random id: the same HTML again
    assert html != animate_frames({"a": frames.flip(0)})  # and the id follows the frames


def test_map_grid_shares_one_scale():
    maps = [[torch.full((3, 3), float(r * 3 + c)) for c in range(3)] for r in range(2)]
    fig = map_grid(maps, ["a", "b"], [1, 2, 3], symmetric=True, colorbar_label="value")
    limits = {ax.images[0].get_clim() for ax in fig.axes[:6]}
    assert limits == {(-5.0, 5.0)}
    plt.close(fig)


@pytest.mark.parametrize("call,match", [
    (lambda: frame_strip({"x": torch.rand(2, 3, 8, 8)}), r"\(T, H, W\) or \(T, 1, H, W\), got \(2, 3, 8, 8\)"),
    (lambda: frame_strip({}), "at least one row"),
    (lambda: animate_frames({"a": torch.rand(3, 8, 8), "b": torch.rand(4, 8, 8)}), "one length"),
    (lambda: map_grid([[torch.rand(2, 2)]], ["a", "b"], [1]), "2 rows of 1"),
], ids=["rgb-frames", "no-rows", "unequal-animation", "grid-shape"])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_receptive_field_map_outlines_the_radius():
    from convlstm.viz import receptive_field_map

    grad = torch.zeros(11, 11)
    grad[3:8, 3:8] = 1.0
    fig = receptive_field_map(grad, (5, 5), radius=2, title="r")
    square = fig.axes[0].patches[0]
    assert (square.get_x(), square.get_y(), square.get_width()) == (2.5, 2.5, 5)
    plt.close(fig)
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        receptive_field_map(torch.zeros(2, 3, 3), (1, 1))


def test_title_room_adds_height_and_lays_out_again():
    rows = {"truth": torch.rand(3, 8, 8)}
    plain = frame_strip(rows, "a title", title_room=0)
    roomy = frame_strip(rows, "a title", title_room=0.3)
    assert roomy.get_figheight() == pytest.approx(plain.get_figheight() + 0.3)
    # by default a title gets that room, and a strip without one none
    assert frame_strip(rows, "a title").get_figheight() == pytest.approx(roomy.get_figheight())
    assert frame_strip(rows).get_figheight() == pytest.approx(plain.get_figheight())
    # laid out again: the frames sit lower, below the title
    assert roomy.axes[0].get_position().y1 < plain.axes[0].get_position().y1
    plt.close(plain)
    plt.close(roomy)


def test_html_table_aligns_labels_left_and_numbers_right():
    html = html_table(["model", "MSE", "SSIM"], [["ConvLSTM", "110.2", 0.71], ["FC-LSTM", "131.0", 0.6]])
    lines = html.splitlines()
    assert lines[0] == "<table>" and lines[-1] == "</table>" and len(lines) == 5
    assert lines[1].count("<th ") == 3 and lines[2].count("<td ") == 3
    assert '<th style="text-align: left; padding: 2px 8px">model</th>' in lines[1]
    assert '<td style="text-align: right; padding: 2px 8px">0.71</td>' in lines[2]  # str() of a number
    assert lines[3].index("FC-LSTM") < lines[3].index("131.0")


def test_show_table_displays_the_html(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    assert show_table(["a", "b"], [["x", "1"]]) is None
    assert len(shown) == 1 and shown[0].data == html_table(["a", "b"], [["x", "1"]])


def test_html_table_rows_must_match_the_header():
    with pytest.raises(ValueError, match=r"expected rows of 2 cells \(one per header\), got rows of \[3\]"):
        html_table(["a", "b"], [["x", "1"], ["y", "2", "3"]])


def _width_on_page(fig) -> int:
    # The notebook's inline backend saves with bbox_inches="tight" at the book's 100 dpi.
    import io

    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return Image.open(buffer).size[0]


@pytest.mark.parametrize("columns", [10, 20])
def test_strips_and_grids_fit_the_column_by_default(columns):
    from convlstm.diagrams import COLUMN_IN

    frames = torch.rand(columns, 16, 16)
    strip = frame_strip({"observed": frames, "to predict": frames}, "a title", title_room=0.3)
    grid = map_grid([[f for f in frames]] * 2, ["memory C", "hidden H"], range(columns), "a title")
    column = COLUMN_IN * 100
    for fig in (strip, grid):
        width = _width_on_page(fig)
        # the browser test's limit is 10% wider than the column; and the frames use it
        assert 0.8 * column < width <= 1.1 * column, (columns, width)
    # a short strip keeps 1 inch per frame (and its label's width) rather than stretching
    short = frame_strip({"a": torch.rand(2, 8, 8)})
    assert 2.0 < short.get_figwidth() < 2.5
    assert short.axes[0].get_position().width * short.get_figwidth() < 1.0
    plt.close(short)


def test_row_labels_are_level_and_legible():
    from convlstm.viz import LABEL_PT

    fig = frame_strip({"unscrambled": torch.rand(10, 8, 8)}, first_step=11)
    label = fig.axes[0].yaxis.label
    assert label.get_rotation() == 0 and label.get_fontsize() >= 9 == LABEL_PT
    assert fig.axes[0].title.get_fontsize() >= 9
    # the label sits inside the figure, left of the first frame
    fig.canvas.draw()
    box = label.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= fig.axes[0].get_window_extent().x0
    plt.close(fig)
