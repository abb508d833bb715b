"""The original Moving MNIST test file of Srivastava et al. (2015), and its opt-in download.

``mnist_test_seq.npy`` holds 10,000 sequences of 20 frames of two digits, 64x64, uint8, time
first. :func:`load_moving_mnist_file` reads it into one tensor, :class:`MovingMNISTFile`
serves it one sequence at a time, and :func:`download_moving_mnist` fetches it (about
819 MB) and checks its SHA-256. Nothing here downloads unless asked.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset

from ._checks import _check_int, _item_index

MOVING_MNIST_URL = "http://www.cs.toronto.edu/~nitish/unsupervised_video/mnist_test_seq.npy"
MOVING_MNIST_PAGE = "http://www.cs.toronto.edu/~nitish/unsupervised_video/"
# Not pinned: the file could not be fetched where this library was written. With
# sha256=None, download_moving_mnist prints and returns the digest it computed, and the
# caller should compare it with a trusted source before relying on the file.
MOVING_MNIST_SHA256 = None



def _open_moving_mnist_file(path, who: str) -> np.ndarray:
    """Memory-map ``mnist_test_seq.npy`` and check it is uint8 ``(T, N, 64, 64)``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{who}: no file at {str(path)!r}. Get mnist_test_seq.npy (about 819 MB) with "
            f"convlstm.mnist_file.download_moving_mnist({str(path)!r}), or from the University of "
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
