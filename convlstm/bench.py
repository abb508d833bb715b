r"""Where the time goes: time a ConvLSTM encoder-forecaster step and count its FLOPs.

    python -m convlstm.bench                         # both configurations, every variant
    python -m convlstm.bench --configs paper --batch-size 8 --repeats 5 --json bench.json
    python -m convlstm.bench --quick                 # a tiny configuration, in seconds (tests)
    python -m convlstm.bench --checkpoint-lengths 10 20 40   # memory and time against length

The convolutions do almost all the arithmetic of a ConvLSTM. One layer at one step convolves
the input with :math:`4 C_h` kernels of size :math:`k_x \times k_x` and the previous hidden
state with :math:`4 C_h` kernels of size :math:`k_h \times k_h`, at each of the
:math:`H \times W` pixels of each of the :math:`B` sequences; one multiply-add is two FLOPs:

.. math::
    \text{FLOPs}_{\text{layer, step}} = 2\, B\, H\, W\, (C_{in} k_x^2 + C_h k_h^2)\, 4 C_h

and a training step costs three times its forward pass (the backward pass computes two
convolutions per forward one: the gradient with respect to the input and to the weights).
The gate nonlinearities and the 1x1 output convolution are left out: they are a few percent
at most, so the achieved rates below are, if anything, slight underestimates.

Each variant's time is the median of ``repeats`` timed runs after ``warmup`` untimed ones,
with the device synchronized before every clock reading. Its rate is compared with the
rate of one large matrix multiply measured in the same run and precision: the fastest the
same arithmetic units go on this machine. Memory is what one step adds on top of what
was allocated before it: on CUDA the allocator's peak (``max_memory_allocated``), on Linux
the process's peak resident memory (``VmHWM``, reset through ``/proc/self/clear_refs``);
elsewhere it is not measured (None, printed "n/a").
"""
from __future__ import annotations

import argparse
import ctypes
import json
import platform
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import torch

from .cells import ConvLSTMCell, ReferenceConvLSTMCell
from .layers import ConvLSTM
from .metrics import sequence_cross_entropy
from .models import EncoderForecaster


@dataclass(frozen=True)
class BenchConfig:
    """An encoder-forecaster to time: frames of ``frame_size`` cut into ``patch_size`` patches."""

    name: str
    hidden_channels: tuple = (128, 64, 64)
    kernel_size: int = 5  # input-to-state kernel
    hidden_kernel_size: int = 5  # state-to-state kernel
    frame_size: int = 64
    patch_size: int = 4  # 64x64 frames become a 16x16 grid with 16 channels
    in_channels: int = 1
    input_steps: int = 10
    future_steps: int = 10
    batch_size: int = 8  # fills 2 CPU cores; a GPU wants 32 or more

    @property
    def grid(self) -> int:
        """Height (= width) of the frames the cells see, after cutting into patches."""
        return self.frame_size // self.patch_size

    def layers(self):
        """``(in_channels, hidden_channels, steps)`` of every ConvLSTM layer, encoder then forecaster."""
        hidden = list(self.hidden_channels)
        patch_channels = self.in_channels * self.patch_size**2
        encoder = [(c_in, c_h, self.input_steps) for c_in, c_h in zip([patch_channels] + hidden[:-1], hidden)]
        # The forecaster's first layer has no input: it runs on from the encoder's state.
        forecaster = [(c_in, c_h, self.future_steps) for c_in, c_h in zip([0] + hidden[:-1], hidden)]
        return encoder + forecaster

    def model(self) -> EncoderForecaster:
        return EncoderForecaster(self.in_channels, list(self.hidden_channels), kernel_size=self.kernel_size,
                                 hidden_kernel_size=self.hidden_kernel_size, patch_size=self.patch_size,
                                 peephole="channel")


CONFIGS = {
    # Shi et al. (2015), Table 1: ConvLSTM(5x5)-5x5-128-5x5-64-5x5-64 on Moving MNIST.
    "paper": BenchConfig("paper"),
    # A quarter of the channels, 3x3 kernels: what a laptop trains in minutes.
    "small": BenchConfig("small", hidden_channels=(32, 16, 16), kernel_size=3, hidden_kernel_size=3),
    # Seconds on any machine: for the tests.
    "tiny": BenchConfig("tiny", hidden_channels=(8,), kernel_size=3, hidden_kernel_size=3, frame_size=16,
                        input_steps=3, future_steps=3, batch_size=2),
}


def layer_flops(batch, height, width, in_channels, hidden_channels, kernel_size, hidden_kernel_size=None) -> int:
    r"""FLOPs of the convolutions of one ConvLSTM layer at one step, forward:
    :math:`2 B H W (C_{in} k_x^2 + C_h k_h^2) 4 C_h`.

    Examples:
        >>> layer_flops(1, 1, 1, 1, 1, 1)  # one pixel, one channel: 4 gates x 2 products x 2 FLOPs
        16
    """
    k_h = kernel_size if hidden_kernel_size is None else hidden_kernel_size
    macs_per_output = in_channels * kernel_size**2 + hidden_channels * k_h**2
    return 2 * batch * height * width * macs_per_output * 4 * hidden_channels


def step_flops(config: BenchConfig, batch_size: int | None = None, training: bool = True) -> int:
    """Convolution FLOPs of one pass over a sequence (all layers, all steps); x3 when training."""
    batch = config.batch_size if batch_size is None else batch_size
    forward = sum(
        steps * layer_flops(batch, config.grid, config.grid, c_in, c_h, config.kernel_size, config.hidden_kernel_size)
        for c_in, c_h, steps in config.layers()
    )
    return 3 * forward if training else forward


# --- clocks and memory ------------------------------------------------------------------


def _sync(device: torch.device):
    """Wait for the device's queued work, so that a clock read after it has seen that work done."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _check_run_args(configs, repeats, variants, who: str):
    """ValueError for an unknown configuration or variant name, or fewer than one repeat."""
    unknown = [name for name in configs if name not in CONFIGS]
    if unknown:
        raise ValueError(f"{who}: expected configurations among {sorted(CONFIGS)}, got {unknown}")
    names = [v.name for v in VARIANTS]
    if variants is not None and any(name not in names for name in variants):
        raise ValueError(f"{who}: expected variants among {names}, got {[v for v in variants if v not in names]}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"{who}: expected repeats to be an int >= 1, got {repeats!r}")


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


def matmul_rate(device, dtype=torch.float32, size: int | None = None, repeats: int = 5) -> float:
    """FLOP/s of one ``size x size`` matrix multiply (median of ``repeats``): the machine's peak."""
    size = size or (8192 if device.type == "cuda" else 4096)  # large enough to reach the peak
    g = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=g).to(device, dtype)
    b = torch.randn(size, size, generator=g).to(device, dtype)
    seconds = statistics.median(time_call(lambda: a @ b, device, repeats=repeats, warmup=2))
    return 2 * size**3 / seconds


# --- variants ---------------------------------------------------------------------------


def _stacks(model) -> list:
    """The :class:`ConvLSTM` stacks inside ``model``."""
    return [m for m in model.modules() if isinstance(m, ConvLSTM)]


def use_reference_cells(model):
    """Swap every fused :class:`ConvLSTMCell` in ``model`` for an eight-convolution copy."""
    for stack in _stacks(model):
        for index, cell in enumerate(stack.cells):
            ref = ReferenceConvLSTMCell(cell.in_channels, cell.hidden_channels, cell.kernel_size,
                                        cell.hidden_kernel_size, bias=cell.gate_bias() is not None,
                                        peephole=cell.peephole, frame_size=cell.frame_size)
            stack.cells[index] = ref.to(cell.hidden_weight()).load_fused(cell)
    return model


def _compile_cells(model):
    """Compile each cell (a small graph, reused at every step) rather than the unrolled sequence."""
    # One compiled graph per cell and kind of call (the first step makes its own zero state),
    # more than dynamo's default of 8 before it falls back to running uncompiled.
    cells = sum(len(stack.cells) for stack in _stacks(model))
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 4 * cells)
    # The compiled CPU kernels are small elementwise loops. Run in parallel, they bring a second
    # OpenMP thread pool that spins against PyTorch's own between kernels: on 2 cores that made
    # the tiny configuration's step 100 times slower (0.5 s instead of 5 ms). One thread each.
    import torch._inductor.config as inductor_config

    inductor_config.cpp.threads = 1
    for stack in _stacks(model):
        for cell in stack.cells:
            cell.compile(dynamic=False)
    return model


@dataclass(frozen=True)
class Variant:
    """One way to run the same model: which cells, memory layout, precision and launch."""

    name: str
    reference: bool = False
    channels_last: bool = False
    compile: bool = False
    bf16: bool = False  # bfloat16 autocast
    cuda_graph: bool = False
    gpu_only: bool = False


VARIANTS = [
    Variant("reference (8 convs)", reference=True),
    Variant("fused"),
    Variant("fused + channels_last", channels_last=True),
    Variant("fused + torch.compile", compile=True),
    Variant("fused + bf16 autocast", bf16=True, gpu_only=True),
    Variant("fused + bf16 + CUDA graph", bf16=True, cuda_graph=True, gpu_only=True),
]


class _Rollout(torch.nn.Module):
    """``model(frames, future=T)`` as a one-tensor callable (what CUDA graph capture needs)."""

    def __init__(self, model, future: int):
        super().__init__()
        self.model, self.future = model, future

    def forward(self, frames):
        return self.model(frames, future=self.future)


def _precision(device, variant: Variant):
    """The variant's autocast context (off for float32); no weight cache under CUDA graph capture."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=variant.bf16,
                          cache_enabled=False if variant.cuda_graph else None)


def _build(config: BenchConfig, variant: Variant, device, batch_size: int, seed: int = 0):
    """The model of ``config`` prepared as ``variant``; returns ``(run, frames, target)``."""
    torch.manual_seed(seed)
    model = config.model()
    if variant.reference:
        model = use_reference_cells(model)
    memory_format = torch.channels_last if variant.channels_last else torch.contiguous_format
    model = model.to(device, memory_format=memory_format)
    if variant.compile:
        model = _compile_cells(model)
    g = torch.Generator().manual_seed(seed + 1)
    shape = (batch_size, config.input_steps + config.future_steps, config.in_channels,
             config.frame_size, config.frame_size)
    frames = (torch.rand(shape, generator=g) > 0.8).float().to(device)
    observed, target = frames[:, : config.input_steps], frames[:, config.input_steps:]
    run = _Rollout(model, config.future_steps)
    if variant.cuda_graph:
        with _precision(device, variant):
            run = torch.cuda.make_graphed_callables(run, (observed.requires_grad_(False),))
    return run, observed, target


def _train_step(run, observed, target, device, variant: Variant):
    """A function doing one training step of ``run``: forward, loss, and backward through time."""
    params = list(run.parameters())

    def train_step():
        for p in params:
            p.grad = None
        with _precision(device, variant):
            logits = run(observed)
        sequence_cross_entropy(logits.float(), target).backward()

    return train_step


def measure(config: BenchConfig, variant: Variant, device, batch_size=None, repeats=5, warmup=1, peak=None):
    """Time one training step and one forward pass of ``config`` run as ``variant``: a dict."""
    batch = config.batch_size if batch_size is None else batch_size
    row = {"config": config.name, "variant": variant.name, "batch_size": batch,
           "dtype": "bfloat16" if variant.bf16 else "float32"}
    try:
        run, observed, target = _build(config, variant, device, batch)
        train_step = _train_step(run, observed, target, device, variant)

        def forward():
            with torch.no_grad(), _precision(device, variant):
                run(observed)

        train = statistics.median(time_call(train_step, device, repeats, warmup))
        infer = statistics.median(time_call(forward, device, repeats, warmup))
        memory = peak_memory_mb(train_step, device)
    except Exception as error:  # torch.compile without a compiler, an old GPU, ...
        first_line = (str(error).strip().splitlines() or [""])[0][:160]
        return {**row, "ms_train": None, "ms_forward": None, "gflops_train": None, "gflops_forward": None,
                "frac_peak_train": None, "frac_peak_forward": None, "peak_mb_train": None,
                "note": f"n/a: {type(error).__name__}: {first_line}"}
    flops_train, flops_forward = step_flops(config, batch, True), step_flops(config, batch, False)
    return {**row, "ms_train": 1e3 * train, "ms_forward": 1e3 * infer,
            "gflops_train": flops_train / train / 1e9, "gflops_forward": flops_forward / infer / 1e9,
            "frac_peak_train": flops_train / train / peak if peak else None,
            "frac_peak_forward": flops_forward / infer / peak if peak else None,
            "peak_mb_train": memory, "note": ""}


def run_benchmark(configs=("paper", "small"), device=None, batch_size=None, repeats=5, warmup=1, variants=None,
                  matmul_size=None, log=None):
    """Measure every variant (those that run on ``device``) of every configuration; a dict for JSON.

    Each row's ``speedup`` is the plain float32 fused step's time over its own time. ``log``,
    if given, is called with a line of text after each measurement (progress on long runs).
    """
    _check_run_args(configs, repeats, variants, "run_benchmark")
    log = log or (lambda line: None)
    device = torch.device(device) if device is not None else _default_device()
    rates = {"float32": matmul_rate(device, torch.float32, matmul_size)}
    if device.type == "cuda":
        rates["bfloat16"] = matmul_rate(device, torch.bfloat16, matmul_size)
    log("matmul peak: " + ", ".join(f"{k} {v / 1e9:.0f} GFLOP/s" for k, v in rates.items()))
    chosen = [v for v in VARIANTS if (variants is None or v.name in variants)
              and (device.type == "cuda" or not v.gpu_only)]
    rows = []
    for name in configs:
        config = CONFIGS[name]
        measured = []
        for v in chosen:
            measured.append(measure(config, v, device, batch_size, repeats, warmup,
                                    rates["bfloat16" if v.bf16 else "float32"]))
            log(f"{name}, {v.name}: {_cell(measured[-1]['ms_train'], '.1f')} ms per training step")
        plain = next((r["ms_train"] for r in measured if r["variant"] == "fused"), None)
        for r in measured:
            r["speedup"] = plain / r["ms_train"] if plain and r["ms_train"] else None
        rows += measured
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "device": _device_name(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "matmul_gflops": {k: v / 1e9 for k, v in rates.items()},
        "repeats": repeats,
        "warmup": warmup,
        "configs": {name: {**asdict(CONFIGS[name]), "flops_train": step_flops(CONFIGS[name], batch_size),
                           "flops_forward": step_flops(CONFIGS[name], batch_size, training=False)}
                    for name in configs},
        "rows": rows,
    }


def checkpoint_table(config_name="small", lengths=(10, 20, 40), device=None, batch_size=None, repeats=3,
                     every: int = 1):
    """Time and memory of a training step against the sequence length, with and without
    activation checkpointing (``ConvLSTM(checkpoint_every=every)``); a list of dicts.

    The sequence is split evenly: ``length // 2`` observed and ``length - length // 2`` predicted steps.
    """
    _check_run_args([config_name], repeats, None, "checkpoint_table")
    if any(isinstance(n, bool) or not isinstance(n, int) or n < 2 for n in lengths):
        raise ValueError(f"checkpoint_table: expected sequence lengths as ints >= 2, got {list(lengths)}")
    device = torch.device(device) if device is not None else _default_device()
    rows = []
    for length in lengths:
        config = replace(CONFIGS[config_name], input_steps=length // 2, future_steps=length - length // 2)
        for k in (None, every):
            fused = Variant("fused")
            run, observed, target = _build(config, fused, device, batch_size or config.batch_size)
            for stack in _stacks(run):
                stack.checkpoint_every = k
            train_step = _train_step(run, observed, target, device, fused)

            seconds = statistics.median(time_call(train_step, device, repeats, warmup=1))
            rows.append({"length": length, "checkpoint_every": k, "ms_train": 1e3 * seconds,
                         "peak_mb_train": peak_memory_mb(train_step, device)})
    return rows


# --- reporting --------------------------------------------------------------------------


def _default_device():
    from .device import pick_device

    return pick_device()


def _device_name(device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    name = platform.processor() or platform.machine()
    try:  # Linux names the processor model here
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        name = found[1].strip() if found else name
    except OSError:
        pass
    return f"{device.type}: {name}, {torch.get_num_threads()} threads"


def _cell(value, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def format_table(result: dict) -> str:
    """The benchmark's rows as a fixed-width text table."""
    header = (f"{'config':<7}{'variant':<27}{'batch':>6}{'ms/train':>10}{'ms/fwd':>9}{'GFLOP/s':>9}"
              f"{'of peak':>8}{'speedup':>8}{'peak MB':>9}  note")
    lines = [f"{result['device']}, torch {result['torch']}; matmul peak "
             + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in result["matmul_gflops"].items())
             + f"; median of {result['repeats']} after {result['warmup']} warm-up",
             "(GFLOP/s, of peak and peak MB: the training step)", header]
    for r in result["rows"]:
        lines.append(
            f"{r['config']:<7}{r['variant']:<27}{r['batch_size']:>6}{_cell(r['ms_train'], '10.1f')}"
            f"{_cell(r['ms_forward'], '9.1f')}{_cell(r['gflops_train'], '9.1f')}{_cell(r['frac_peak_train'], '8.0%')}"
            f"{_cell(r['speedup'], '7.2f')}x{_cell(r['peak_mb_train'], '9.0f')}  {r['note']}"
        )
    return "\n".join(lines)


def format_checkpoint_table(rows) -> str:
    lines = [f"{'steps':>6}{'checkpoint':>12}{'ms/train':>10}{'peak MB':>9}"]
    for r in rows:
        every = "off" if r["checkpoint_every"] is None else f"every {r['checkpoint_every']}"
        lines.append(f"{r['length']:>6}{every:>12}{r['ms_train']:>10.1f}{_cell(r['peak_mb_train'], '9.0f')}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m convlstm.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["paper", "small"])
    parser.add_argument("--batch-size", type=int, default=None, help="default: each configuration's own")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the median is reported")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first")
    parser.add_argument("--variants", nargs="+", choices=[v.name for v in VARIANTS], default=None)
    parser.add_argument("--device", default=None, help="default: CUDA, then MPS, then the CPU")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--matmul-size", type=int, default=None, help="n of the n x n matmul that sets the peak")
    parser.add_argument("--quick", action="store_true", help="the tiny configuration, 2 repeats: seconds")
    parser.add_argument("--checkpoint-lengths", nargs="+", type=int, default=None,
                        help="also a table of memory and time against these sequence lengths")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers to this file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        args.configs, args.repeats, args.warmup = ["tiny"], min(args.repeats, 2), 1
        args.matmul_size = args.matmul_size or 512
    result = run_benchmark(args.configs, args.device, args.batch_size, args.repeats, args.warmup, args.variants,
                           args.matmul_size, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(format_table(result))
    if args.checkpoint_lengths:
        config = args.configs[0]
        result["checkpoint"] = checkpoint_table(config, args.checkpoint_lengths, args.device, args.batch_size,
                                                max(1, min(args.repeats, 3)))
        print(f"\nactivation checkpointing, {config} configuration:")
        print(format_checkpoint_table(result["checkpoint"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
