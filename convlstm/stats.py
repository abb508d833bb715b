r"""Error bars for comparisons on one test set: a paired bootstrap over test sequences.

Two forecasters scored on the same test sequences differ by

.. math::
    \Delta = s(a) - s(b)

where :math:`a_i, b_i` are what each scored on sequence :math:`i` and :math:`s` turns the
per-sequence values into the table's number (the mean by default). The bootstrap redraws
the :math:`n` test sequences with replacement, the same draw for both forecasters (paired:
a hard sequence is hard for both, and that part of the noise cancels), recomputes
:math:`\Delta` for each of ``num_resamples`` draws, and reports the percentile interval of
those differences (Efron and Tibshirani 1993, ch. 13). A ranking "a beats b" is then
stated only where the interval excludes 0 (:func:`excludes_zero`).

The interval covers the sampling of test sequences, not the training seed: a second seed
can move both ends.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
import torch


class Interval(NamedTuple):
    """What :func:`paired_bootstrap` returns: the difference on the whole test set and its interval."""

    difference: float
    low: float
    high: float


def _as_array(values, name: str, who: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    if not isinstance(values, (np.ndarray, list, tuple)):
        raise ValueError(f"{who}: expected {name} as an array, tensor or list, got {type(values).__name__}")
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0 or len(array) == 0:
        raise ValueError(f"{who}: expected {name} with one entry per test sequence, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{who}: expected finite {name}, got {int((~np.isfinite(array)).sum())} NaN or infinite")
    return array


def paired_bootstrap(a, b, statistic: Callable | None = None, num_resamples: int = 10_000,
                     confidence: float = 0.95, seed: int = 0) -> Interval:
    r"""The difference :math:`s(a) - s(b)` and its paired percentile bootstrap interval.

    Args:
        a, b: one entry per test sequence, in the same order: ``(n,)`` scores, or
            ``(n, ...)`` per-sequence values such as contingency counts, for ``statistic``.
        statistic: turns ``(k, ...)`` values of ``k`` sequences into one number; default the
            mean over sequences. For a pooled score such as CSI, pass per-sequence counts
            and a statistic that sums them before dividing.
        num_resamples: bootstrap draws.
        confidence: the interval's coverage, in (0, 1): 0.95 gives the 2.5th and 97.5th
            percentiles of the resampled differences.
        seed: seeds ``numpy.random.default_rng``: the same seed, the same interval.

    Returns:
        ``Interval(difference, low, high)``.

    Examples:
        >>> a, b = [3.0, 5.0, 4.0, 6.0], [2.0, 4.0, 3.0, 5.0]  # a is 1 higher on every sequence
        >>> paired_bootstrap(a, b)
        Interval(difference=1.0, low=1.0, high=1.0)
        >>> counts = np.array([[3, 1], [0, 4], [5, 5]])  # per sequence: hits, hits + misses + false alarms
        >>> pooled = lambda c: c[:, 0].sum() / c[:, 1].sum()
        >>> round(paired_bootstrap(counts, counts[[1, 2, 0]], pooled).difference, 3)  # same totals
        0.0
    """
    who = "paired_bootstrap"
    a, b = _as_array(a, "a", who), _as_array(b, "b", who)
    if a.shape != b.shape:
        raise ValueError(f"{who}: expected a and b of the same shape (paired by sequence), got {a.shape} and {b.shape}")
    if isinstance(num_resamples, bool) or not isinstance(num_resamples, (int, np.integer)) or num_resamples < 1:
        raise ValueError(f"{who}: expected num_resamples as an int >= 1, got {num_resamples!r}")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise ValueError(f"{who}: expected confidence in (0, 1), got {confidence!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{who}: expected seed as a non-negative int, got {seed!r}")
    if statistic is None:
        if a.ndim != 1:
            raise ValueError(f"{who}: expected (n,) scores for the default mean, got shape {a.shape}; "
                             "pass a statistic for per-sequence values with more dimensions")
        paired = a - b  # (n,): the mean of the differences is the difference of the means

        def difference(rows) -> float:
            return float(paired[rows].mean())
    else:
        def difference(rows) -> float:
            value = float(statistic(a[rows]) - statistic(b[rows]))
            if not math.isfinite(value):
                raise ValueError(f"{who}: the statistic gave {value} on a resample; it must be finite")
            return value

    n = len(a)
    rng = np.random.default_rng(seed)
    draws = np.array([difference(rng.integers(0, n, n)) for _ in range(num_resamples)])  # (R,)
    tail = (1 - confidence) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return Interval(difference(np.arange(n)), float(low), float(high))


def excludes_zero(interval) -> bool:
    """Whether the interval ``(low, high)`` (or an :class:`Interval`) lies wholly above or below 0.

    An end exactly at 0 does not exclude it.

    Examples:
        >>> excludes_zero(Interval(0.5, 0.1, 0.9)), excludes_zero((-0.2, 0.3)), excludes_zero((-1.0, 0.0))
        (True, False, False)
    """
    low, high = (interval.low, interval.high) if isinstance(interval, Interval) else interval
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise ValueError(f"excludes_zero: expected finite ends with low <= high, got ({low!r}, {high!r})")
    return low > 0 or high < 0
