"""Tests for convlstm.stats: the paired bootstrap over test sequences, and excludes_zero."""
import numpy as np
import pytest
import torch

from convlstm.stats import Interval, excludes_zero, paired_bootstrap


def test_a_constant_difference_gives_a_zero_width_interval_at_that_value():
    a = np.random.default_rng(0).normal(6000, 300, size=24)  # hard and easy sequences alike
    interval = paired_bootstrap(a, a - 0.25)
    # Every resample has the same difference, up to float rounding of the means.
    assert interval.difference == pytest.approx(0.25, abs=1e-9)
    assert interval.low == pytest.approx(0.25, abs=1e-9) and interval.high == pytest.approx(0.25, abs=1e-9)
    assert excludes_zero(interval)


def test_symmetric_noise_around_zero_includes_zero():
    base = np.random.default_rng(1).normal(100, 20, size=100)
    noise = np.tile([1.0, -1.0], 50)  # mean exactly 0, symmetric
    interval = paired_bootstrap(base + noise, base)
    assert interval.difference == pytest.approx(0.0, abs=1e-12)
    assert interval.low < 0 < interval.high and not excludes_zero(interval)
    # Symmetric noise, a roughly symmetric interval: each end is 1.96 / sqrt(100) = 0.196 away.
    assert interval.low == pytest.approx(-0.196, abs=0.03) and interval.high == pytest.approx(0.196, abs=0.03)


def test_a_clear_shift_excludes_zero_and_the_width_follows_normal_theory():
    d = np.random.default_rng(2).normal(1.0, 1.0, size=400)
    interval = paired_bootstrap(d, np.zeros_like(d))
    assert excludes_zero(interval) and interval.low > 0
    half_width = (interval.high - interval.low) / 2
    assert half_width == pytest.approx(1.96 * d.std(ddof=1) / 20, rel=0.15)  # 1.96 s / sqrt(n)
    assert interval.low < interval.difference < interval.high
    # A lower confidence gives a narrower interval inside it.
    narrow = paired_bootstrap(d, np.zeros_like(d), confidence=0.5)
    assert interval.low < narrow.low < narrow.high < interval.high


def test_pairing_cancels_what_the_sequences_share():
    hardness = np.random.default_rng(3).normal(0, 100, size=50)  # large, shared by both forecasters
    small = np.random.default_rng(4).normal(0, 1, size=50)
    paired = paired_bootstrap(hardness + 2 + small, hardness)
    assert excludes_zero(paired) and paired.high - paired.low < 1.5
    # Guard: without the pairing (b in another order) the shared part no longer cancels.
    shuffled = paired_bootstrap(hardness + 2 + small, hardness[::-1])
    assert shuffled.high - shuffled.low > 20 * (paired.high - paired.low)


def test_the_same_seed_gives_the_same_interval():
    d = np.random.default_rng(5).normal(0.1, 1, size=30)
    first, again = paired_bootstrap(d, 0 * d, seed=7), paired_bootstrap(d, 0 * d, seed=7)
    assert first == again
    other = paired_bootstrap(d, 0 * d, seed=8)
    assert other.difference == first.difference and (other.low, other.high) != (first.low, first.high)


def test_a_pooled_statistic_over_per_sequence_counts():
    # Per sequence: hits, and hits + misses + false alarms; CSI pools them over sequences.
    a = np.array([[3, 4], [1, 4], [2, 2]])  # pooled CSI 6 / 10
    b = np.array([[1, 4], [1, 4], [2, 4]])  # pooled CSI 4 / 12
    pooled = lambda counts: counts[:, 0].sum() / counts[:, 1].sum()  # noqa: E731
    interval = paired_bootstrap(a, b, pooled, num_resamples=2000)
    assert interval.difference == pytest.approx(6 / 10 - 4 / 12)
    # Guard: the pooled CSI is not the mean of per-sequence CSIs (3/4, 1/4, 1 against 1/4, 1/4, 1/2).
    assert interval.difference != pytest.approx(np.mean([3 / 4, 1 / 4, 1]) - np.mean([1 / 4, 1 / 4, 1 / 2]))
    assert interval.low <= interval.difference <= interval.high


def test_tensors_and_lists_are_accepted():
    got = paired_bootstrap(torch.tensor([2.0, 3.0, 4.0]), [1.0, 2.0, 3.0], num_resamples=100)
    assert got == Interval(1.0, 1.0, 1.0)


def test_excludes_zero_by_hand():
    assert excludes_zero((0.1, 0.2)) and excludes_zero((-0.3, -0.01))
    assert not excludes_zero((-0.1, 0.2))
    assert not excludes_zero((0.0, 0.2)) and not excludes_zero((-0.2, 0.0))  # an end at 0: not excluded
    assert excludes_zero(Interval(-1.0, -2.0, -0.5))


BAD = {
    "empty": (dict(a=[], b=[]), "one entry per test sequence"),
    "scalar": (dict(a=1.0, b=2.0), "as an array"),
    "unpaired": (dict(a=[1.0, 2.0], b=[1.0, 2.0, 3.0]), "same shape"),
    "nan": (dict(a=[1.0, float("nan")], b=[1.0, 2.0]), "finite"),
    "2d-without-statistic": (dict(a=np.ones((3, 2)), b=np.ones((3, 2))), "pass a statistic"),
    "no-resamples": (dict(a=[1.0], b=[2.0], num_resamples=0), "num_resamples"),
    "confidence-1": (dict(a=[1.0], b=[2.0], confidence=1.0), "confidence"),
    "negative-seed": (dict(a=[1.0], b=[2.0], seed=-1), "seed"),
    "nan-statistic": (dict(a=[0.0, 0.0], b=[0.0, 0.0], statistic=lambda x: x.sum() / x.sum()), "finite"),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_bad_input(case):
    kwargs, match = case
    with pytest.raises(ValueError, match=match), np.errstate(invalid="ignore"):
        paired_bootstrap(**kwargs)


@pytest.mark.parametrize("interval", [(1.0, 0.0), (float("nan"), 1.0), (0.0, float("inf"))], ids=repr)
def test_excludes_zero_refuses_a_malformed_interval(interval):
    with pytest.raises(ValueError, match="low <= high"):
        excludes_zero(interval)
