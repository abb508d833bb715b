r"""The one place that decides whether training runs in bfloat16: from what the device does.

bfloat16 keeps float32's exponent and a 7-bit mantissa. Under
:func:`torch.autocast` the convolutions and matrix products run in it, with float32
accumulation, while the loss and the optimizer stay in float32. Whether that is faster
depends on the hardware, measured on the book's machines:

- **A CPU with native bf16 arithmetic** (x86 with AVX512-BF16 or AMX, e.g. AMD Zen 4 and
  later, Intel Cooper Lake and Sapphire Rapids and later; Arm cores with the BF16 extension,
  e.g. Neoverse V1/N2): faster. On the book's AMD EPYC (2 threads, torch 2.13), side by side
  against float32: 4096² matmul 2.0x, the benchmark's ``paper`` training step 1.8x, chapter 4's
  ConvLSTM Adam step 1.7x and FC-LSTM step 2.2x, ``fit`` end to end 1.4-1.7x, with the same
  validation losses to 0.1% (issue 18; re-measured numbers are in :mod:`convlstm.training`).
- **A CPU without it** (AVX2-only or AVX-512 without BF16, e.g. Intel Skylake to Ice Lake,
  AMD Zen 2/3, Apple M1/M2 under PyTorch's CPU backend): bf16 is emulated by converting to
  float32 and back, and slower than float32.
- **A CUDA GPU with bf16 tensor cores** (compute capability 8.0 or higher: A100, H100, H200,
  RTX 30xx and later). On one H200 (torch 2.11, the benchmark's ``paper`` training step, fp32
  meaning TF32 convolutions): batch 8, fp32 49.1 ms, bf16 autocast 63.8 ms, bf16 inside a
  CUDA graph 16.0 ms; batch 64, fp32 81 ms, bf16 73 ms, bf16 inside a CUDA graph 36 ms.
  Without a CUDA graph a small step waits on kernel launches, and autocast's casts add
  launches; inside a graph the launches are free and bf16 halves the arithmetic time. So
  the default is bf16 where the step runs as a CUDA graph or the batch is at least 64.

:func:`bf16_support` reports ``"native"``, ``"emulated"`` or ``"none"``; :func:`resolve_amp`
turns a :class:`~convlstm.training.TrainConfig` ``amp`` setting into a yes or no.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import torch

_CUDA_BF16_MIN_BATCH = 64  # eager bf16 beat fp32 on the H200 at batch 64, not at 8


def _cpu_flags() -> set:
    """The processor's feature flags from ``/proc/cpuinfo`` (Linux), else an empty set."""
    try:
        found = re.search(r"^flags\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    except OSError:
        return set()
    return set(found[1].split()) if found else set()


def _call(owner, name: str):
    """``owner.name()`` if that private probe exists in this torch and works, else None."""
    probe = getattr(owner, name, None)
    try:
        return bool(probe()) if callable(probe) else None
    except (RuntimeError, AttributeError, NotImplementedError):
        return None


def cpu_bf16_native() -> bool:
    """Whether this CPU computes bf16 products in hardware, as PyTorch's oneDNN kernels use it.

    oneDNN must be built in and accept bf16 (``torch.ops.mkldnn._is_mkldnn_bf16_supported``,
    which on x86 is also true for AVX-512 cores that only emulate bf16), and on x86 the cores
    must have AVX512-BF16 or AMX (``torch.cpu._is_avx512_bf16_supported``, or the
    ``/proc/cpuinfo`` flags where an old torch lacks that probe). On Arm, oneDNN's check
    already asks for the BF16 extension.
    """
    if not torch.backends.mkldnn.is_available():
        return False
    mkldnn = getattr(torch.ops, "mkldnn", None)
    if not _call(mkldnn, "_is_mkldnn_bf16_supported"):
        return False
    import platform

    if platform.machine().lower() not in {"x86_64", "amd64", "i686", "x86"}:
        return True
    avx512_bf16 = _call(torch.cpu, "_is_avx512_bf16_supported")
    amx = _call(torch.cpu, "_is_amx_tile_supported")
    if avx512_bf16 is None and amx is None:  # an old torch: ask the processor
        return bool({"avx512_bf16", "amx_bf16"} & _cpu_flags())
    return bool(avx512_bf16 or amx)


def bf16_support(device) -> str:
    """``"native"``, ``"emulated"`` or ``"none"``: how ``device`` runs bfloat16 arithmetic.

    Examples:
        >>> bf16_support("cpu") in {"native", "emulated"}
        True
    """
    device = torch.device(device)
    if device.type == "cpu":
        return "native" if cpu_bf16_native() else "emulated"
    if device.type == "cuda":
        if not torch.cuda.is_bf16_supported():
            return "none"
        major, _ = torch.cuda.get_device_capability(device)
        return "native" if major >= 8 else "emulated"  # bf16 tensor cores from Ampere on
    if device.type == "mps":
        mps = torch.backends.mps
        newer = getattr(mps, "is_macos_or_newer", None)
        return "native" if callable(newer) and newer(14, 0) else "none"
    return "none"


def resolve_amp(amp, device, batch_size: int = 16, graphed: bool = False, who: str = "fit") -> bool:
    """Whether to train under bfloat16 autocast on ``device``.

    Args:
        amp: ``True`` (bf16: a ValueError where the device has none, a warning where it is
            emulated), ``False`` (float32, the paper's letter) or ``None`` (the measured
            default: bf16 on a CPU that runs it natively; on CUDA with bf16 tensor cores when
            the step runs as a CUDA graph or ``batch_size`` >= 64; float32 elsewhere).
        device: where the model trains.
        batch_size: sequences per step (decides CUDA's default).
        graphed: whether the training step runs as a CUDA graph.

    Examples:
        >>> resolve_amp(False, "cpu")
        False
    """
    device = torch.device(device)
    support = bf16_support(device)
    if amp is None:
        if device.type == "cuda":
            return support == "native" and (graphed or batch_size >= _CUDA_BF16_MIN_BATCH)
        return device.type == "cpu" and support == "native"
    if not amp:
        return False
    if support == "none":
        raise ValueError(f"{who}: expected a device with bfloat16 for amp=True, got {device} without it; "
                         "pass amp=False (float32) or amp=None")
    if support == "emulated":
        warnings.warn(f"{who}: {device} emulates bfloat16, so amp=True will be slower than float32 "
                      "(amp=None picks the faster one)", stacklevel=3)
    return True
