"""Tests for convlstm.metrics' frame scores in OpenSTL's conventions: SSIM's data range, PSNR.

The references here are computed from the formulas with numpy, independently of scikit-image.
"""
import math

import numpy as np
import pytest
import torch

from convlstm.metrics import SSIM_DATA_RANGE, frame_psnr, frame_ssim


def frame(values):
    """A (1, 1, 1, H, W) float64 tensor from a 2-D array."""
    return torch.as_tensor(np.asarray(values, dtype=np.float64)).view(1, 1, 1, *np.shape(values))


def ssim_one_window(x, y, L):
    """SSIM of two 7x7 images by hand: one window, the whole image, sample (n - 1) statistics."""
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    c1, c2 = (0.01 * L) ** 2, (0.03 * L) ** 2
    mx, my = x.mean(), y.mean()
    vx, vy = x.var(ddof=1), y.var(ddof=1)
    cxy = ((x - mx) * (y - my)).sum() / (len(x) - 1)
    return (2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2))


def ssim_sliding(x, y, L, win=7):
    """SSIM as the mean over every 7x7 window lying inside the image, each by :func:`ssim_one_window`."""
    windows = np.lib.stride_tricks.sliding_window_view
    wx, wy = windows(x, (win, win)), windows(y, (win, win))  # (H-6, W-6, 7, 7)
    return np.mean([ssim_one_window(a, b, L) for a, b in zip(wx.reshape(-1, win, win), wy.reshape(-1, win, win))])


# (pred value, target value) of two constant 7x7 frames: both sigmas are 0, so
# SSIM = (2 a b + C1) / (a^2 + b^2 + C1), with C1 = (0.01 L)^2.
CONSTANT = {
    "half-vs-zero": (0.5, 0.0),  # C1 / (0.25 + C1): 1e-4 / 0.2501 (L = 1), 4e-4 / 0.2504 (L = 2)
    "one-vs-half": (1.0, 0.5),  # (1 + C1) / (1.25 + C1)
    "equal": (0.3, 0.3),  # 1
}


@pytest.mark.parametrize("case", CONSTANT.values(), ids=CONSTANT.keys())
@pytest.mark.parametrize("convention, L", [("data_range_1", 1.0), ("openstl", 2.0)], ids=["L1", "openstl-L2"])
def test_ssim_of_constant_frames_by_hand(case, convention, L):
    a, b = case
    c1 = (0.01 * L) ** 2
    expected = (2 * a * b + c1) / (a * a + b * b + c1)
    got = frame_ssim(frame(np.full((7, 7), a)), frame(np.full((7, 7), b)), convention=convention)
    assert got == pytest.approx(expected, rel=1e-6)  # frame_ssim works in float32


def test_the_two_conventions_differ_by_hand():
    # Guard that the convention reaches scikit-image: 1e-4 / 0.2501 against 4e-4 / 0.2504.
    p, y = frame(np.full((7, 7), 0.5)), frame(np.zeros((7, 7)))
    assert frame_ssim(p, y) == pytest.approx(1e-4 / 0.2501)
    assert frame_ssim(p, y, convention="openstl") == pytest.approx(4e-4 / 0.2504)
    assert frame_ssim(p, y, data_range=2.0) == frame_ssim(p, y, convention="openstl")


def test_ssim_of_a_structured_7x7_pair_by_hand():
    x = np.arange(49.0).reshape(7, 7) / 48  # a ramp in [0, 1]
    y = x**2  # the same ramp, bent: high correlation, other mean and contrast
    for convention, L in SSIM_DATA_RANGE.items():
        expected = ssim_one_window(x, y, L)
        assert frame_ssim(frame(x), frame(y), convention=convention) == pytest.approx(expected, rel=1e-6)  # frame_ssim works in float32
    # Guard: the pair is neither identical nor unrelated.
    assert 0.3 < ssim_one_window(x, y, 1.0) < 0.99


@pytest.mark.parametrize("convention", SSIM_DATA_RANGE)
def test_ssim_is_the_mean_over_windows_inside_the_frame(convention):
    rng = np.random.default_rng(0)
    x = rng.random((10, 12))
    y = np.clip(x + rng.normal(0, 0.2, x.shape), 0, 1)
    expected = ssim_sliding(x, y, SSIM_DATA_RANGE[convention])
    assert frame_ssim(frame(x), frame(y), convention=convention) == pytest.approx(expected, rel=1e-6)  # frame_ssim works in float32


def test_openstl_takes_the_float_dtype_range_of_scikit_image():
    # scikit-image <= 0.19.3 (OpenSTL's pin) sets data_range = dmax - dmin of this table for floats.
    from skimage.util.dtype import dtype_range

    dmin, dmax = dtype_range[np.float32]
    assert dmax - dmin == SSIM_DATA_RANGE["openstl"] == 2.0


def test_openstl_clips_predictions_and_transposing_changes_nothing():
    rng = np.random.default_rng(1)
    y = torch.from_numpy(rng.random((2, 3, 1, 16, 16)))
    p = y + torch.from_numpy(rng.normal(0, 0.3, y.shape))  # outside [0, 1] in places
    assert (p > 1).any() and (p < 0).any()  # guard: there is something to clip
    assert frame_ssim(p, y, convention="openstl") == pytest.approx(frame_ssim(p.clamp(0, 1), y, data_range=2.0))
    with pytest.raises(ValueError, match="expected pred in"):  # other conventions refuse, not clip
        frame_ssim(p, y, data_range=2.0)
    # OpenSTL hands scikit-image each frame as (W, H, C): the transposed frame scores the same.
    q = p.clamp(0, 1)
    assert frame_ssim(q, y, reduce=False) == pytest.approx(
        frame_ssim(q.transpose(-1, -2), y.transpose(-1, -2), reduce=False))


SSIM_BAD = {
    "unknown-convention": (dict(convention="skimage"), "convention in"),
    "both": (dict(convention="openstl", data_range=1.0), "not both"),
    "zero-range": (dict(data_range=0.0), "positive number"),
    "string-range": (dict(data_range="1"), "positive number"),
}


@pytest.mark.parametrize("case", SSIM_BAD.values(), ids=SSIM_BAD.keys())
def test_ssim_bad_arguments(case):
    kwargs, match = case
    x = torch.zeros(1, 1, 1, 7, 7)
    with pytest.raises(ValueError, match=match):
        frame_ssim(x, x, **kwargs)


# (pred frames, target frames, PSNR per frame in dB), frames (T, H, W) with one channel.
PSNR = {
    # Error 0.1 everywhere: MSE 0.01, 10 log10(1 / 0.01) = 20 dB.
    "error-0.1": ([[[0.1, 0.1], [0.1, 0.1]]], [[[0.0, 0.0], [0.0, 0.0]]], [20.0]),
    # Error 0.5 everywhere: MSE 0.25, 10 log10(4) = 6.0206 dB.
    "error-0.5": ([[[0.5, 0.5]]], [[[0.0, 0.0]]], [10 * math.log10(4)]),
    # A mean over pixels, not a sum: error 0.2 on one pixel of 4 is MSE 0.01, 20 dB.
    "one-pixel": ([[[0.2, 0.0], [0.0, 0.0]]], [[[0.0, 0.0], [0.0, 0.0]]], [20.0]),
    # Predictions are clipped to [0, 1]: 1.5 against 1 is exact (inf), -0.5 against 0.1 is error 0.1.
    "clipped-high": ([[[1.5]]], [[[1.0]]], [math.inf]),
    "clipped-low": ([[[-0.5]]], [[[0.1]]], [20.0]),
}


@pytest.mark.parametrize("case", PSNR.values(), ids=PSNR.keys())
def test_psnr_by_hand(case):
    pred, target, expected = case
    p = torch.tensor(pred, dtype=torch.float64).unsqueeze(0).unsqueeze(2)  # (1, T, 1, H, W)
    y = torch.tensor(target, dtype=torch.float64).unsqueeze(0).unsqueeze(2)
    got = frame_psnr(p, y, reduce=False)
    assert got.shape == (1, len(expected))
    assert got[0].tolist() == pytest.approx(expected, rel=1e-12)


def test_psnr_averages_decibels_over_frames_and_sequences():
    # Frames at 20 and 40 dB (errors 0.1 and 0.01) average to 30 dB, where the dB of the
    # average MSE would be 10 log10(2 / 0.0101) = 22.97: OpenSTL averages per-frame values.
    y = torch.zeros(2, 2, 2, 3, 3, dtype=torch.float64)  # two sequences, two frames, two channels
    p = y.clone()
    p[:, 0], p[:, 1] = 0.1, 0.01
    assert frame_psnr(p, y) == pytest.approx(30.0)
    assert frame_psnr(p, y) != pytest.approx(10 * math.log10(2 / 0.0101), abs=1.0)


def test_psnr_agrees_with_scikit_image_per_frame():
    from skimage.metrics import peak_signal_noise_ratio

    rng = np.random.default_rng(2)
    y = rng.random((2, 3, 1, 8, 8))
    p = np.clip(y + rng.normal(0, 0.1, y.shape), 0, 1)
    ours = frame_psnr(torch.from_numpy(p), torch.from_numpy(y), reduce=False)
    theirs = [[peak_signal_noise_ratio(y[b, t], p[b, t], data_range=1.0) for t in range(3)] for b in range(2)]
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-12)


def test_psnr_of_an_exact_forecast_is_infinite():
    x = torch.rand(1, 2, 1, 4, 4)
    assert frame_psnr(x, x) == math.inf


def test_psnr_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        frame_psnr(torch.zeros(1, 2, 1, 4, 4), torch.zeros(1, 3, 1, 4, 4))
