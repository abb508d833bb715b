"""convlstm.reference: the one flag for the reference run, quoted numbers, device tolerances."""
import re
from pathlib import Path

import pytest
import torch

import convlstm
from convlstm import reference
from convlstm.reference import check_quoted, is_reference_run, reduced_float32, tolerance

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def restore_precision():
    """torch.backends' flags are properties that monkeypatch cannot undo: restore them here."""
    saved = [(obj, name, getattr(obj, name)) for obj, name in PRECISION_FLAGS]
    yield
    for obj, name, value in saved:
        setattr(obj, name, value)


PRECISION_FLAGS = [(torch.backends.mkldnn.conv, "fp32_precision"),
                   (torch.backends.mkldnn.matmul, "fp32_precision"),
                   (torch.backends.cudnn, "allow_tf32"), (torch.backends.cuda.matmul, "allow_tf32")]


@pytest.fixture
def reference_env(monkeypatch):
    """The environment of the reference run: the variable set, full float32 precision."""
    monkeypatch.setenv(reference.ENV_VAR, "1")
    monkeypatch.setattr(reference, "PINNED_TORCH", torch.__version__.split("+")[0])
    torch.backends.mkldnn.conv.fp32_precision = torch.backends.mkldnn.matmul.fp32_precision = "none"


def test_pinned_torch_is_the_one_in_requirements():
    pins = re.findall(r"^torch==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pins == [reference.PINNED_TORCH]


def test_the_reference_run_is_the_cpu_run_with_the_variable(reference_env):
    assert is_reference_run("cpu")
    assert not is_reference_run("cuda")
    assert not is_reference_run("mps")


def test_without_the_variable_no_run_is_the_reference(reference_env, monkeypatch):
    monkeypatch.delenv(reference.ENV_VAR)
    assert not is_reference_run("cpu")
    monkeypatch.setenv(reference.ENV_VAR, "0")
    assert not is_reference_run("cpu")


def test_another_torch_is_not_the_reference(reference_env, monkeypatch):
    monkeypatch.setattr(reference, "PINNED_TORCH", "0.0.1")
    assert not is_reference_run("cpu")


@pytest.mark.parametrize("op", ["conv", "matmul"])
@pytest.mark.parametrize("precision", ["tf32", "bf16"])
def test_lower_float32_precision_is_not_the_reference(reference_env, monkeypatch, op, precision):
    setattr(getattr(torch.backends.mkldnn, op), "fp32_precision", precision)
    assert reduced_float32("cpu") == precision
    assert not is_reference_run("cpu")


def test_check_quoted_asserts_on_the_reference_run_only(reference_env, monkeypatch):
    check_quoted(0.667, 0.667)
    with pytest.raises(AssertionError, match=r"CPU run has 0\.667, this run computed 0\.668"):
        check_quoted(0.668, 0.667)
    monkeypatch.delenv(reference.ENV_VAR)
    assert check_quoted(0.668, 0.667) is None  # elsewhere: nothing, and nothing printed


def test_cuda_tolerance_follows_tf32():
    torch.backends.cudnn.allow_tf32 = True
    tf32 = tolerance("cuda")
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    assert tolerance("cuda") == tolerance("cpu", torch.float32) == {"rtol": 1.3e-6, "atol": 1e-5}
    # TF32 differs by up to 4.9e-5 on chapter 3's identity (an H200): the tolerance covers it,
    # and is still far below what a wrong formula gives (order 0.1).
    assert 1e-4 < tf32["atol"] < 1e-2 and 1e-4 < tf32["rtol"] < 1e-2
    assert tolerance("cuda", torch.float64) == {"rtol": 1e-7, "atol": 1e-7}


def test_tolerance_covers_tf32_rounding_and_catches_an_error():
    # Round a convolution's inputs to TF32's 10-bit mantissa, as cuDNN does on a GPU.
    def tf32(t):
        return (t.view(torch.int32) + 0x1000 & -0x2000).view(torch.float32)

    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(2, 16, 8, 8, generator=g), torch.randn(8, 16, 3, 3, generator=g) / 12
    exact = torch.nn.functional.conv2d(x, w, padding=1)
    rounded = torch.nn.functional.conv2d(tf32(x), tf32(w), padding=1)
    with pytest.raises(AssertionError):  # guard: the default float32 tolerance does not cover it
        torch.testing.assert_close(rounded, exact)
    tol = {"rtol": 4 * 2.0**-11, "atol": 4 * 2.0**-11}
    torch.testing.assert_close(rounded, exact, **tol)
    with pytest.raises(AssertionError):  # a real error (one weight off by 0.1) is still caught
        w[0, 0, 1, 1] += 0.1
        torch.testing.assert_close(torch.nn.functional.conv2d(x, w, padding=1), exact, **tol)


def test_tolerance_rejects_integer_dtypes():
    with pytest.raises(ValueError, match="expected a floating dtype .* got torch.int64"):
        tolerance("cpu", torch.int64)


def test_public_api():
    assert convlstm.is_reference_run is is_reference_run
    assert convlstm.check_quoted is check_quoted and convlstm.tolerance is tolerance
