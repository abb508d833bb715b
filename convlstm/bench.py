r"""Where the time goes: time a ConvLSTM encoder-forecaster step and count its FLOPs.

    python -m convlstm.bench                         # both configurations, every variant
    python -m convlstm.bench --configs paper --batch-size 8 --repeats 5 --json bench.json
    python -m convlstm.bench --quick                 # a tiny configuration, in seconds (tests)
    python -m convlstm.bench --checkpoint-lengths 10 20 40   # memory and time against length

The pieces: :mod:`convlstm.flops` (the configurations and their FLOP count),
:mod:`convlstm.timing` (clocks, memory, the matmul peak), :mod:`convlstm.variants` (the ways
to run the same model); this module measures every variant and prints or writes the table.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import platform
import re
import statistics
import sys
from dataclasses import asdict, replace
from datetime import datetime, timezone
from pathlib import Path

import torch

from .flops import CONFIGS, BenchConfig, layer_flops, step_flops  # noqa: F401 (the chapters import them here)
from .timing import matmul_rate, peak_memory_mb, time_call  # noqa: F401
from .precision import bf16_support
from .variants import VARIANTS, Variant, _build, _precision, _stacks, _train_step, runs_on  # noqa: F401


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


def default_batch(config: BenchConfig, device) -> int:
    """The configuration's batch on a CPU (8 fills 2 cores); at least 64 on a GPU, to keep it busy.

    Examples:
        >>> default_batch(CONFIGS["paper"], torch.device("cuda")), default_batch(CONFIGS["paper"], "cpu")
        (64, 8)
    """
    return max(64, config.batch_size) if torch.device(device).type == "cuda" else config.batch_size


def fp32_math(device) -> str:
    """What the float32 rows' convolutions run in: ``"tf32"`` on CUDA unless cuDNN's TF32 is off."""
    return "tf32" if torch.device(device).type == "cuda" and torch.backends.cudnn.allow_tf32 else "float32"


class _CudaPool:
    """``with _CudaPool(device) as p:``: ``p.mb``, the CUDA memory allocated inside and still
    held at its end (a CUDA graph's private pool, with the model's weights and inputs)."""

    def __init__(self, device):
        self.device, self.mb = torch.device(device), 0.0

    def __enter__(self):
        self.before = torch.cuda.memory_allocated(self.device)
        return self

    def __exit__(self, *exc):
        torch.cuda.synchronize(self.device)
        self.mb = (torch.cuda.memory_allocated(self.device) - self.before) / 1e6
        return False


def measure(config: BenchConfig, variant: Variant, device, batch_size=None, repeats=5, warmup=1, peak=None):
    """Time one training step and one forward pass of ``config`` run as ``variant``: a dict."""
    batch = default_batch(config, device) if batch_size is None else batch_size
    row = {"config": config.name, "variant": variant.name, "batch_size": batch,
           "dtype": "bfloat16" if variant.bf16 else fp32_math(device)}
    try:
        built = _CudaPool(device) if variant.cuda_graph else None
        with built or contextlib.nullcontext():
            run, observed, target = _build(config, variant, device, batch)
        train_step = _train_step(run, observed, target, device, variant)

        def forward():
            with torch.no_grad(), _precision(device, variant):
                run(observed)

        train = statistics.median(time_call(train_step, device, repeats, warmup))
        infer = statistics.median(time_call(forward, device, repeats, warmup))
        memory = peak_memory_mb(train_step, device)
        if built is not None:  # the graph's private pool holds every step's activations for good
            memory = max(memory or 0.0, built.mb - sum(p.numel() * p.element_size() for p in run.parameters()) / 1e6)
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
    bf16 = bf16_support(device)
    chosen = [v for v in VARIANTS if (variants is None or v.name in variants) and runs_on(v, device, bf16)]
    # The float32 peak in the arithmetic the convolutions use: TF32 on CUDA by default.
    tf32 = fp32_math(device) == "tf32"
    rates = {"float32": matmul_rate(device, torch.float32, matmul_size, tf32=tf32)}
    if any(v.bf16 for v in chosen):
        rates["bfloat16"] = matmul_rate(device, torch.bfloat16, matmul_size)
    log("matmul peak: " + ", ".join(f"{k} {v / 1e9:.0f} GFLOP/s" for k, v in rates.items()))
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
        "bf16": bf16,  # "native", "emulated" or "none" (convlstm.precision.bf16_support)
        "fp32_math": fp32_math(device),  # what the float32 rows' convolutions and peak run in
        "repeats": repeats,
        "warmup": warmup,
        "configs": {name: {**asdict(CONFIGS[name]), "batch_size": batch_size or default_batch(CONFIGS[name], device),
                           "flops_train": step_flops(CONFIGS[name], batch_size or default_batch(CONFIGS[name], device)),
                           "flops_forward": step_flops(CONFIGS[name], batch_size or default_batch(CONFIGS[name], device),
                                                       training=False)}
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
            run, observed, target = _build(config, fused, device, batch_size or default_batch(config, device))
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
             f"bf16 here: {result.get('bf16', 'n/a')}; float32 rows and peak in {result.get('fp32_math', 'float32')}",
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
