"""convlstm.diagrams, convlstm.maps and memory_gradient: figures under Agg at the column's width."""
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from convlstm import diagrams  # noqa: E402
from convlstm.maps import imshow_signed, rain_colorbar, signed_norm  # noqa: E402
from convlstm.radar import pixel_to_rain_rate  # noqa: E402
from convlstm.recording import memory_gradient  # noqa: E402
from convlstm.viz import frame_strip  # noqa: E402

COLUMN_PX = 688  # the rendered page's column


def _texts(fig):
    return " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def _fits_the_column(fig):
    width_px = fig.get_figwidth() * fig.dpi
    assert COLUMN_PX - 10 <= width_px <= COLUMN_PX, f"{width_px:.0f} px wide, the column is {COLUMN_PX}"
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
    assert sizes and min(sizes) >= 9, f"text of {min(sizes)} pt: under 9 pt on the page"


CASES = {
    "lstm_cell": (lambda: diagrams.lstm_cell(), ["$c_{t-1}$", "$h_{t-1}$", "$x_t$", "$i_t$", "$f_t$",
                                                  "$g_t$", "$o_t$", "$c_t$", "$h_t$", r"$\tanh$"]),
    "convlstm_tensors": (lambda: diagrams.convlstm_tensors(5), ["5×5 window", r"$\mathcal{X}_t$",
                                                                r"$\mathcal{H}_{t-1}$", "$i_t$", "$g_t$"]),
    "output_head": (lambda: diagrams.output_head((128, 64, 64)), ["concat", "256 ch", "1×1 conv", "16 ch"]),
    "patch_transform": (lambda: diagrams.patch_transform(), ["64×64×1", "4×4 patches", "16×16×16"]),
    "encoder_forecaster": (lambda: diagrams.encoder_forecaster(2), ["copy", "encoder", "forecaster",
                                                                     "layer 2", r"$\hat X_{4}$"]),
    "memory_gradient_plot": (lambda: diagrams.memory_gradient_plot((0.5, 0.9)), ["f = 0.5", "f = 0.9"]),
}


@pytest.mark.parametrize("name", CASES, ids=list(CASES))
def test_diagram_is_a_figure_with_its_labels_at_the_columns_width(name):
    make, labels = CASES[name]
    fig = make()
    assert isinstance(fig, matplotlib.figure.Figure)
    text = _texts(fig)
    missing = [label for label in labels if label not in text]
    assert missing == [], f"{name}: labels not drawn: {missing}"
    _fits_the_column(fig)
    fig.savefig(io.BytesIO(), format="png")  # draws without error
    plt.close(fig)


@pytest.mark.parametrize("path", diagrams.PATHS)
def test_one_picture_per_equation_colours_only_its_path(path):
    fig = diagrams.lstm_cell(highlight=path)
    ax = fig.axes[0]
    assert diagrams.EQUATIONS[path] in [t.get_text() for t in ax.texts]
    colours = {matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches}
    own = diagrams.GATE_COLOURS[path] if path in "ifgo" else None
    if own:  # its own box in colour, every other gate box grey
        assert own.lower() in colours
        others = {diagrams.GATE_COLOURS[g].lower() for g in "ifgo" if g != path}
        assert not others & colours
    full = {matplotlib.colors.to_hex(p.get_facecolor()) for p in diagrams.lstm_cell().axes[0].patches}
    assert {diagrams.GATE_COLOURS[g].lower() for g in "ifgo"} <= full  # guard: all coloured when plain
    plt.close("all")


def test_patch_transform_draws_the_libraries_patches():
    frame = torch.rand(64, 64, generator=torch.Generator().manual_seed(0))
    fig = diagrams.patch_transform(frame)
    channel_5 = fig.axes[1 + 5].images[0].get_array()  # channel 1*4+1: pixel (1, 1) of each patch
    torch.testing.assert_close(torch.as_tensor(channel_5.data), frame[1::4, 1::4])
    plt.close(fig)


@pytest.mark.parametrize("call, match", [
    (lambda: diagrams.lstm_cell("x"), "highlight"),
    (lambda: diagrams.convlstm_tensors(4), "odd positive"),
    (lambda: diagrams.output_head([]), "positive ints"),
    (lambda: diagrams.patch_transform(torch.rand(2, 8, 8)), r"\(H, W\)"),
    (lambda: diagrams.encoder_forecaster(0), "layers"),
], ids=["highlight", "even-kernel", "no-layers", "frame-3d", "zero-layers"])
def test_bad_arguments_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("f", [0.0, 0.3, 0.9, 1.0], ids=lambda f: f"f={f}")
def test_memory_gradient_is_f_to_the_power_T_minus_t(f):
    steps = 12
    grad = memory_gradient(f, steps)
    assert grad.dtype == torch.float64 and grad.shape == (steps + 1,)
    # exactly: the chain rule multiplies f once per step back, as this loop does
    exact, product = [], 1.0
    for _ in range(steps + 1):
        exact.insert(0, product)
        product *= f
    torch.testing.assert_close(grad, torch.tensor(exact, dtype=torch.float64), rtol=0, atol=0)
    power = torch.tensor([f ** (steps - t) for t in range(steps + 1)], dtype=torch.float64)
    torch.testing.assert_close(grad, power, rtol=1e-15, atol=0)  # and f^(T-t) to the last bits


def test_memory_gradient_is_a_product_of_changing_forget_values():
    forget = torch.tensor([0.9, 0.5, 0.8, 0.25], dtype=torch.float64)
    grad = memory_gradient(forget)
    expected = torch.stack([forget[t:].prod() for t in range(4)] + [torch.tensor(1.0, dtype=torch.float64)])
    torch.testing.assert_close(grad, expected)
    assert memory_gradient(0.5, 3, input_gate=1.0, candidate=-1.0, c0=2.0).equal(memory_gradient(0.5, 3))


@pytest.mark.parametrize("forget, steps, match", [
    (0.5, None, "steps >= 1"), (0.5, 0, "steps >= 1"), ([0.5, 0.5], 3, "sequence of T values"),
    ([[0.5]], None, "sequence of T values"), (1.5, 2, r"in \[0, 1\]"),
], ids=["no-steps", "zero-steps", "steps-mismatch", "2-d", "above-one"])
def test_memory_gradient_refuses_bad_input(forget, steps, match):
    with pytest.raises(ValueError, match=match):
        memory_gradient(forget, steps)


def test_signed_maps_are_centred_on_zero():
    fig, ax = plt.subplots()
    image = imshow_signed(ax, torch.tensor([[-0.5, 2.0], [0.0, 1.0]]), label="c")
    assert (image.norm.vmin, image.norm.vmax) == (-2.0, 2.0) and image.get_cmap().name == "RdBu_r"
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "c"  # the colour bar and its label
    shared = signed_norm(torch.tensor([0.1]), torch.tensor([-3.0]))
    assert (shared.vmin, shared.vmax) == (-3.0, 3.0)
    assert (signed_norm(torch.zeros(3)).vmin, signed_norm(torch.zeros(3)).vmax) == (-1.0, 1.0)
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        imshow_signed(ax, torch.zeros(3))
    plt.close(fig)


@pytest.mark.parametrize("orientation", ["horizontal", "vertical"])
def test_rain_colorbar_ticks_sit_at_the_pixels_of_their_rain_rates(orientation):
    fig = frame_strip({"radar": torch.rand(3, 8, 8)})
    bar = rain_colorbar(fig, orientation=orientation)
    ticks = torch.tensor(bar.get_ticks(), dtype=torch.float64)
    torch.testing.assert_close(pixel_to_rain_rate(ticks * 255), torch.tensor([0.5, 2, 5, 10, 30],
                                                                              dtype=torch.float64))
    assert bar.ax.get_xlabel() + bar.ax.get_ylabel() == "rain rate (mm/h)"
    plt.close(fig)


def test_rain_colorbar_refuses_bad_input():
    fig = frame_strip({"radar": torch.rand(3, 8, 8)})
    with pytest.raises(ValueError, match="positive rain rates"):
        rain_colorbar(fig, rates=[0.0])
    with pytest.raises(ValueError, match="orientation"):
        rain_colorbar(fig, orientation="diagonal")
    plt.close(fig)
