"""Tests for convlstm.mnist_file: the original Moving MNIST test file and its download."""
import hashlib

import numpy as np
import pytest
import torch

from convlstm import mnist_file
from convlstm.mnist_file import MovingMNISTFile, download_moving_mnist, load_moving_mnist_file

# ----------------------------------------------------------------- the original test file


def test_load_moving_mnist_file(tmp_path):
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, size=(20, 7, 64, 64), dtype=np.uint8)  # (T, N, 64, 64)
    path = tmp_path / "mnist_test_seq.npy"
    np.save(path, raw)

    x = load_moving_mnist_file(path)
    assert x.shape == (7, 20, 1, 64, 64) and x.dtype == torch.float32
    assert x.min() >= 0 and x.max() <= 1
    expected = torch.from_numpy(raw.transpose(1, 0, 2, 3).astype(np.float32) / 255)  # (N, T, 64, 64)
    torch.testing.assert_close(x[:, :, 0], expected, rtol=0, atol=0)
    torch.testing.assert_close(load_moving_mnist_file(path, num_sequences=3), x[:3], rtol=0, atol=0)

    data = MovingMNISTFile(str(path))
    assert len(data) == 7
    for i in (0, 6, -1):
        torch.testing.assert_close(data[i], x[i], rtol=0, atol=0)


def test_missing_file_says_where_to_get_it(tmp_path):
    path = tmp_path / "nowhere" / "mnist_test_seq.npy"
    with pytest.raises(FileNotFoundError, match="download_moving_mnist") as error:
        load_moving_mnist_file(path)
    assert "www.cs.toronto.edu/~nitish/unsupervised_video" in str(error.value)
    with pytest.raises(FileNotFoundError, match="Srivastava"):
        MovingMNISTFile(path)


BAD_FILES = {
    "3-dims": (np.zeros((20, 64, 64), np.uint8), r"expected 4 dims \(T, N, 64, 64\).*got shape \(20, 64, 64\)"),
    "5-dims": (np.zeros((20, 2, 1, 64, 64), np.uint8), r"got shape \(20, 2, 1, 64, 64\)"),
    "32x32-frames": (np.zeros((20, 2, 32, 32), np.uint8), r"got shape \(20, 2, 32, 32\)"),
    "float32": (np.zeros((20, 2, 64, 64), np.float32), "expected dtype uint8, got float32"),
    "int64": (np.zeros((20, 2, 64, 64), np.int64), "expected dtype uint8, got int64"),
}


@pytest.mark.parametrize("array,match", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_contents(tmp_path, array, match):
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(ValueError, match=match):
        load_moving_mnist_file(path)
    with pytest.raises(ValueError, match=match):
        MovingMNISTFile(path)


# ----------------------------------------------------------------------- the download helper


@pytest.fixture
def source(tmp_path):
    """A small file to 'download' through a file:// URL, and its SHA-256."""
    payload = np.arange(20 * 2 * 64 * 64, dtype=np.int64).astype(np.uint8).reshape(20, 2, 64, 64)
    path = tmp_path / "server" / "mnist_test_seq.npy"
    path.parent.mkdir()
    np.save(path, payload)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_with_the_right_checksum(tmp_path, source):
    src, digest = source
    dest = tmp_path / "data" / "mnist_test_seq.npy"
    got = download_moving_mnist(dest, url=src.as_uri(), sha256=digest.upper())
    assert got.path == dest and got.sha256 == digest
    assert dest.read_bytes() == src.read_bytes()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["mnist_test_seq.npy"]  # no .part left
    assert load_moving_mnist_file(dest).shape == (2, 20, 1, 64, 64)


def test_download_with_a_wrong_checksum_leaves_nothing(tmp_path, source):
    src, digest = source
    wrong = "0" * 64
    dest = tmp_path / "data" / "mnist_test_seq.npy"
    with pytest.raises(ValueError, match=f"expected {wrong}, got {digest}"):
        download_moving_mnist(dest, url=src.as_uri(), sha256=wrong)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []


def test_download_unpinned_prints_and_returns_the_digest(tmp_path, source, capsys):
    src, digest = source
    got = download_moving_mnist(tmp_path, url=src.as_uri(), sha256=None)  # a directory
    assert got.path == tmp_path / "mnist_test_seq.npy" and got.sha256 == digest
    assert digest in capsys.readouterr().out
    assert mnist_file.MOVING_MNIST_SHA256 is None  # not pinned: see the module's comment


def test_download_keeps_an_existing_file_unless_asked(tmp_path, source):
    src, digest = source
    dest = tmp_path / "copy.npy"
    download_moving_mnist(dest, url=src.as_uri(), sha256=digest)
    src.write_bytes(b"changed on the server")
    assert download_moving_mnist(dest, url=src.as_uri(), sha256=digest).sha256 == digest
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == digest  # not fetched again
    with pytest.raises(ValueError, match="exists with the wrong SHA-256"):
        download_moving_mnist(dest, url=src.as_uri(), sha256="f" * 64)
    assert dest.exists()  # a file the caller already had is never deleted
    new = hashlib.sha256(b"changed on the server").hexdigest()
    assert download_moving_mnist(dest, url=src.as_uri(), sha256=new, overwrite=True).sha256 == new


def test_download_failure_leaves_nothing(tmp_path):
    import urllib.error

    dest = tmp_path / "data" / "mnist_test_seq.npy"
    missing = (tmp_path / "no-such-file.npy").as_uri()
    with pytest.raises(urllib.error.URLError):
        download_moving_mnist(dest, url=missing, sha256="0" * 64)
    assert list(dest.parent.iterdir()) == []


def test_download_rejects_a_malformed_checksum(tmp_path):
    with pytest.raises(ValueError, match="64 hex digits"):
        download_moving_mnist(tmp_path / "x.npy", url="file:///dev/null", sha256="abc")
