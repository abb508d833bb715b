"""The receptive field of a ConvLSTM grows by k//2 pixels per step, and not one pixel more."""
import pytest
import torch

from convlstm import ConvLSTM, chebyshev_distance, input_gradient, pick_device
from convlstm.receptive_field import measured_radius, shifting_cell
from convlstm.recording import record_gates


@pytest.mark.parametrize("k,steps", [(3, 1), (3, 4), (5, 3), (7, 2), (1, 5)], ids=lambda v: str(v))
def test_gradient_is_nonzero_exactly_inside_the_radius(k, steps):
    torch.manual_seed(0)
    size, pixel = 25, (12, 11)
    net = ConvLSTM(1, 3, kernel_size=k).double()
    x = torch.randn(1, steps, 1, size, size, dtype=torch.float64)
    grad = input_gradient(net, x, pixel, frame=0)
    radius = steps * (k // 2)
    inside = chebyshev_distance((size, size), pixel) <= radius
    assert radius < 12  # the field fits in the frame, so "outside" is not empty
    assert (grad[inside] > 0).all(), "a pixel inside the radius does not reach h_T"
    assert (grad[~inside] == 0).all(), "a pixel outside the radius reaches h_T"


def test_input_gradient_rejects_bad_pixel():
    net = ConvLSTM(1, 2)
    with pytest.raises(ValueError, match="pixel inside"):
        input_gradient(net, torch.randn(1, 2, 1, 5, 5), pixel=(5, 0))


def test_pick_device_is_usable():
    device = pick_device()
    assert torch.zeros(1, device=device).device.type == device.type


@pytest.mark.parametrize("k,steps", [(3, 3), (5, 2), (9, 4)], ids=lambda v: str(v))
def test_measured_radius_is_the_formula(k, steps):
    torch.manual_seed(1)
    net = ConvLSTM(1, 2, kernel_size=k).double()
    size = 2 * steps * (k // 2) + 5
    pixel = (size // 2, size // 2)
    grad = input_gradient(net, torch.randn(1, steps, 1, size, size, dtype=torch.float64), pixel)
    assert measured_radius(grad, pixel) == steps * (k // 2)


@pytest.mark.parametrize("shift", [(0, 1), (0, 2), (-2, 1), (0, 0)], ids=str)
def test_shifting_cell_moves_its_content(shift):
    cell = shifting_cell(5, shift)
    frame = torch.zeros(1, 1, 21, 21)
    frame[0, 0, 8:11, 8:11] = 1.0  # a 3x3 square centred at (9, 9)
    state = cell(frame)
    for step in range(1, 4):
        state = cell(torch.zeros_like(frame), state)
        h = state[0][0, 0]
        rows, cols = torch.nonzero(h > 0.5, as_tuple=True)
        assert (rows.float().mean().item(), cols.float().mean().item()) == pytest.approx(
            (9 + step * shift[0], 9 + step * shift[1])
        )
        assert len(rows) == 9  # the square keeps its shape


def test_shifting_cell_cannot_outrun_its_kernel():
    with pytest.raises(ValueError, match="at most 1 px per step"):
        shifting_cell(3, (0, 2))


def test_recorded_gates_are_the_cells():
    torch.manual_seed(2)
    net = ConvLSTM(1, 3, kernel_size=3, peephole="channel")
    torch.nn.init.normal_(net.cells[0].weight_cf)
    frames = torch.rand(2, 5, 1, 6, 6)
    out, states = net(frames)
    rec = record_gates(net.cells[0], frames)
    torch.testing.assert_close(rec["h"], out)
    torch.testing.assert_close(rec["c"][:, -1], states[0][1])
    # c_t = f * c_{t-1} + i * g at every step
    c_prev = torch.cat([torch.zeros_like(rec["c"][:, :1]), rec["c"][:, :-1]], dim=1)
    torch.testing.assert_close(rec["c"], rec["f"] * c_prev + rec["i"] * rec["g"])
