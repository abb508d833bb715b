"""Argument checks shared by the data sets, layers and baselines: one message for one mistake."""
from __future__ import annotations

import operator

import numpy as np


def _check_int(value, name: str, minimum: int, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{who}: expected {name} to be an int >= {minimum}, got {value!r}")
    return int(value)


def _item_index(index, length: int, who: str) -> int:
    """A Python index in ``[0, length)``; negative indices count from the end."""
    i = operator.index(index)
    if not -length <= i < length:
        raise IndexError(f"{who}: index {i} out of range for {length} sequences")
    return i % length
