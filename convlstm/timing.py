"""Clocks, memory and the machine's peak rate, for the benchmark.

Each variant's time is the median of ``repeats`` timed runs after ``warmup`` untimed ones,
with the device synchronized before every clock reading. Its rate is compared with the
rate of one large matrix multiply measured in the same run and precision: the fastest the
same arithmetic units go on this machine. On CUDA the float32 rows' convolutions run in
TF32 (cuDNN's default, ``torch.backends.cudnn.allow_tf32``), and so does their peak's matmul;
the bfloat16 rows are compared with a bfloat16 matmul, on the CPU too.

Memory is what one step adds on top of what was allocated before it: on CUDA the allocator's peak (``max_memory_allocated``), on Linux
the process's peak resident memory (``VmHWM``, reset through ``/proc/self/clear_refs``);
elsewhere it is not measured (None, printed "n/a"). A CUDA-graph row counts the graph's
private memory pool, which holds one step's activations for as long as the graph lives.
"""
from __future__ import annotations

import ctypes
import re
import statistics
import sys
import time
from pathlib import Path

import torch


def _sync(device: torch.device):
    """Wait for the device's queued work, so that a clock read after it has seen that work done."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_call(fn, device, repeats: int = 5, warmup: int = 1) -> list[float]:
    """Seconds taken by each of ``repeats`` calls of ``fn()``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def _resident_kib(field: str):
    """``VmHWM`` or ``VmRSS`` of this process in KiB (Linux), else None."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field}:\s+(\d+) kB", status, re.M)
    return int(found[1]) if found else None


def peak_memory_mb(fn, device) -> float | None:
    """Memory one call of ``fn()`` adds at its peak, in MB (see the module docstring), or None."""
    if device.type == "cuda":
        _sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        fn()
        _sync(device)
        return (torch.cuda.max_memory_allocated(device) - before) / 1e6
    libc = _glibc()
    if device.type != "cpu" or _resident_kib("VmRSS") is None or libc is None:
        return None
    # glibc keeps freed memory for reuse, so the resident size would not fall after earlier
    # runs and a new peak would hide under their high-water mark. While measuring, large
    # blocks get their own pages, returned when freed; the free heap goes back first.
    libc.mallopt(_M_MMAP_THRESHOLD, 64 * 1024)
    libc.malloc_trim(0)
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current VmRSS
        before = _resident_kib("VmRSS")
        fn()
        return (_resident_kib("VmHWM") - before) * 1024 / 1e6
    except OSError:
        return None
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)  # the largest glibc's own rule would reach


_M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h


def _glibc():
    """The C library, if it is glibc (Linux), for ``mallopt`` and ``malloc_trim``; else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def matmul_rate(device, dtype=torch.float32, size: int | None = None, repeats: int = 5,
                tf32: bool = False) -> float:
    """FLOP/s of one ``size x size`` matrix multiply (median of ``repeats``): the machine's peak.

    ``tf32``: a float32 product on CUDA in TF32, as cuDNN's convolutions run by default.
    """
    device = torch.device(device)
    size = size or (8192 if device.type == "cuda" else 4096)  # large enough to reach the peak
    g = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=g).to(device, dtype)
    b = torch.randn(size, size, generator=g).to(device, dtype)
    if device.type != "cuda":
        seconds = statistics.median(time_call(lambda: a @ b, device, repeats=repeats, warmup=2))
        return 2 * size**3 / seconds
    matmul = torch.backends.cuda.matmul
    strict, matmul.allow_tf32 = matmul.allow_tf32, tf32
    try:
        seconds = statistics.median(time_call(lambda: a @ b, device, repeats=repeats, warmup=2))
    finally:
        matmul.allow_tf32 = strict
    return 2 * size**3 / seconds
