"""Which run is the reference run, and what the chapters may assert on the others.

The book's stored outputs come from one run: on the CPU, with the torch that requirements.txt
pins, started by ``scripts/execute_notebooks.py`` (and re-run by ``pytest --nbval``, which
compares with them). Only that run can promise the exact numbers the prose quotes. Everywhere
else (a GPU, Colab's torch, a reader's Jupyter) the same code computes slightly different
numbers, and a chapter asserts only its claims, with margins. Chapters ask, in one place:

    >>> from convlstm import check_quoted, is_reference_run
    >>> check_quoted(round(2 / 3, 3), 0.667)  # asserts only on the reference run
    >>> is_reference_run() in {True, False}
    True
"""
from __future__ import annotations

import os

import torch

ENV_VAR = "CONVLSTM_REFERENCE_RUN"
# requirements.txt pins the same (tests/test_reference.py checks it): the stored outputs' torch.
PINNED_TORCH = "2.13.0"


def is_reference_run(device: torch.device | str | None = None) -> bool:
    """True only for the run that writes, or compares with, the book's stored outputs.

    That run sets ``CONVLSTM_REFERENCE_RUN=1`` (``scripts/execute_notebooks.py``, and
    ``conftest.py`` for ``pytest --nbval``), runs the pinned torch (``PINNED_TORCH``) on the
    CPU, with float32 at full precision. A reader's Jupyter or Colab never sets the variable,
    so there this is False whatever the device.

    Args:
        device: the device the chapter computes on (``pick_device()``); None means the one
            ``pick_device()`` would pick.
    """
    if os.environ.get(ENV_VAR) != "1":
        return False
    if torch.__version__.split("+")[0] != PINNED_TORCH:
        return False
    if device is None:
        from .device import pick_device

        device = pick_device()
    return torch.device(device).type == "cpu" and reduced_float32(device) is None


def check_quoted(actual, expected, what: str = "the number the text quotes") -> None:
    """Assert ``actual == expected`` on the reference run; elsewhere do nothing.

    For the exact numbers the prose quotes from the stored CPU run (round them first, as the
    text does). Claims that must hold on every device are plain asserts, with margins.

    Raises:
        AssertionError: on the reference run, when the two differ.
    """
    if is_reference_run() and actual != expected:
        raise AssertionError(f"{what}: the stored CPU run has {expected!r}, this run computed {actual!r}; "
                             "re-execute the chapter (make notebooks) and update the text")


def reduced_float32(device: torch.device | str) -> str | None:
    """The lower precision float32 convolutions or matrix products run in on ``device``, or None.

    On CUDA, cuDNN runs float32 convolutions in TF32 by default (PyTorch's
    ``torch.backends.cudnn.allow_tf32``), and matrix products when
    ``torch.backends.cuda.matmul.allow_tf32`` is set. On the CPU, oneDNN may be asked for TF32
    or bf16 (``torch.backends.mkldnn.conv.fp32_precision`` and ``.matmul.fp32_precision``).
    """
    kind = torch.device(device).type
    if kind == "cuda":
        if torch.backends.cudnn.allow_tf32 or torch.backends.cuda.matmul.allow_tf32:
            return "tf32"
        return None
    if kind == "cpu":
        mkldnn = torch.backends.mkldnn
        asked = {getattr(getattr(mkldnn, op, None), "fp32_precision", "none") for op in ("conv", "matmul")}
        for precision in ("bf16", "tf32"):  # the coarser one decides
            if precision in asked:
                return precision
    return None


# Unit roundoff of each format's mantissa: 10 bits for TF32, 7 for bf16.
_ROUNDOFF = {"tf32": 2.0**-11, "bf16": 2.0**-8}


def tolerance(device: torch.device | str, dtype: torch.dtype = torch.float32) -> dict:
    """``rtol`` and ``atol`` for ``torch.testing.assert_close`` of one computation done two ways.

    In float64, or in float32 at full precision, PyTorch's own defaults fit (the two ways differ
    only in the order of the sums). On a GPU, cuDNN computes float32 convolutions in TF32: the
    inputs are rounded to a 10-bit mantissa (relative error up to 2^-11 = 4.9e-4), so a
    convolution and the matrix product it equals differ by about 1e-5 to 1e-4 on values of
    order one (4.9e-5 seen on an H200 for chapter 3's 1x1 ConvLSTM against the FC-LSTM).
    The tolerance is then four times the format's unit roundoff, relative and absolute on
    values of order one; bf16 (7-bit mantissa) likewise.

    Examples:
        >>> tolerance("cpu", torch.float64)
        {'rtol': 1e-07, 'atol': 1e-07}
    """
    dtype_default = {torch.float64: (1e-7, 1e-7), torch.float32: (1.3e-6, 1e-5),
                     torch.float16: (1e-3, 1e-5), torch.bfloat16: (1.6e-2, 1e-5)}
    if dtype not in dtype_default:
        raise ValueError(f"tolerance: expected a floating dtype {list(dtype_default)}, got {dtype}")
    rtol, atol = dtype_default[dtype]
    reduced = reduced_float32(device) if dtype == torch.float32 else None
    if reduced is not None:
        rtol = atol = 4 * _ROUNDOFF[reduced]
    return {"rtol": rtol, "atol": atol}
