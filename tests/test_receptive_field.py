"""The receptive field of a ConvLSTM grows by k//2 pixels per step, and not one pixel more."""
import pytest
import torch

from convlstm import ConvLSTM, chebyshev_distance, input_gradient, pick_device


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
