"""Tests for convlstm.patches: the paper's patches and their exact inverse."""
import numpy as np
import pytest
import torch

from convlstm.patches import from_patches, to_patches

# ------------------------------------------------------------------------------- patches

PATCH_CASES = {
    "moving-mnist-BT1x64x64-p4": ((2, 3, 1, 64, 64), 4, (2, 3, 16, 16, 16)),
    "hko-100x100-p2": ((2, 5, 1, 100, 100), 2, (2, 5, 4, 50, 50)),
    "no-batch-CHW": ((3, 8, 12), 4, (48, 2, 3)),
    "p1-identity": ((2, 2, 5, 7), 1, (2, 2, 5, 7)),
}


@pytest.mark.parametrize("shape,p,expected", PATCH_CASES.values(), ids=PATCH_CASES.keys())
def test_patch_round_trip_is_exact(shape, p, expected):
    x = torch.rand(shape)
    patches = to_patches(x, p)
    assert tuple(patches.shape) == expected
    assert torch.equal(from_patches(patches, p), x)


def test_patch_channels_are_the_pixels_of_each_patch():
    x = torch.arange(64 * 64, dtype=torch.float32).reshape(1, 64, 64)  # (1, H, W)
    patches = to_patches(x)  # (16, 16, 16)
    # Channel i*4 + j of the patch at grid cell (r, c) is pixel (4r + i, 4c + j).
    for r, c, i, j in [(0, 0, 0, 0), (0, 0, 3, 1), (5, 7, 2, 3), (15, 15, 3, 3)]:
        assert patches[i * 4 + j, r, c] == x[0, 4 * r + i, 4 * c + j]


BAD_PATCHES = {
    "H-not-divisible": (to_patches, torch.zeros(1, 1, 62, 64), 4, r"divisible by patch_size=4, got \(H, W\) = \(62, 64\)"),
    "W-not-divisible": (to_patches, torch.zeros(1, 64, 66), 4, r"got \(H, W\) = \(64, 66\)"),
    "channels-not-p-squared": (from_patches, torch.zeros(2, 12, 16, 16), 4, "divisible by patch_size\\*\\*2 = 16, got 12"),
    "2d-frames": (to_patches, torch.zeros(64, 64), 4, r"\(\.\.\., C, H, W\), got \(64, 64\)"),
    "zero-patch": (to_patches, torch.zeros(1, 64, 64), 0, "patch_size to be an int >= 1, got 0"),
    "numpy-input": (from_patches, np.zeros((16, 4, 4)), 4, "got ndarray"),
}


@pytest.mark.parametrize("fn,x,p,match", BAD_PATCHES.values(), ids=BAD_PATCHES.keys())
def test_bad_patch_inputs(fn, x, p, match):
    with pytest.raises(ValueError, match=match):
        fn(x, p)
