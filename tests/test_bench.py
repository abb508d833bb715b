"""Tests for convlstm.bench: the FLOP count by hand and by PyTorch's counter; the benchmark end to end."""
import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from convlstm import bench, variants
from convlstm.bench import CONFIGS, BenchConfig, layer_flops, step_flops


def test_layer_flops_by_hand():
    # B=2, 3x3 frame, C_in=1 with a 3x3 kernel, C_h=2 with a 1x1 kernel:
    # each of the 2*3*3 pixels x 4*2 gate channels = 144 outputs takes 1*9 + 2*1 = 11
    # multiply-adds, 2 FLOPs each: 144 * 11 * 2 = 3168.
    assert layer_flops(2, 3, 3, 1, 2, 3, 1) == 3168
    # No input (the forecaster's first layer): only the state-to-state part, 144 * 2 * 2 = 576.
    assert layer_flops(2, 3, 3, 0, 2, 3, 1) == 576
    # The hidden kernel defaults to the input kernel: 144 * (9 + 18) * 2.
    assert layer_flops(2, 3, 3, 1, 2, 3) == 144 * 27 * 2


def test_step_flops_by_hand():
    tiny = CONFIGS["tiny"]  # 16x16 frames in 4x4 patches: a 4x4 grid with 16 channels; 8 hidden; 3+3 steps
    # Encoder: 2*4*4*4*8 = 1024 outputs per step, 16*9 + 8*9 = 216 multiply-adds each, 3 steps.
    encoder = 3 * 2 * 216 * 1024
    # Forecaster, no input: 8*9 = 72 multiply-adds per output, 3 steps.
    forecaster = 3 * 2 * 72 * 1024
    assert step_flops(tiny, training=False) == encoder + forecaster == 1_769_472
    assert step_flops(tiny) == 3 * 1_769_472
    assert step_flops(tiny, batch_size=4) == 2 * step_flops(tiny)


@pytest.mark.parametrize("name", ["tiny", "small"])
def test_step_flops_agree_with_pytorchs_counter(name):
    """PyTorch's own counter sees the same convolutions (plus the 1x1 output, which we leave out)."""
    config = CONFIGS[name]
    model = config.model()
    frames = torch.rand(2, config.input_steps, 1, config.frame_size, config.frame_size)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(frames, future=config.future_steps)
    patch_channels = config.patch_size**2
    output_conv = 2 * 2 * config.future_steps * config.grid**2 * sum(config.hidden_channels) * patch_channels
    assert counter.get_total_flops() - output_conv == step_flops(config, batch_size=2, training=False)


def test_paper_config_is_the_papers_model():
    config = CONFIGS["paper"]
    assert sum(p.numel() for p in config.model().parameters()) == 7_585_296  # Shi et al. (2015), Table 1
    assert (config.grid, config.input_steps, config.future_steps) == (16, 10, 10)


FIELDS = {"config", "variant", "batch_size", "dtype", "ms_train", "ms_forward", "gflops_train", "gflops_forward",
          "frac_peak_train", "frac_peak_forward", "peak_mb_train", "speedup", "note"}


def test_benchmark_runs_end_to_end_and_writes_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    variants = ["reference (8 convs)", "fused", "fused + channels_last"]
    assert bench.main(["--quick", "--variants", *variants, "--json", str(path), "--checkpoint-lengths", "2", "4"]) == 0
    printed = capsys.readouterr().out
    result = json.loads(path.read_text())
    assert {"date", "device", "torch", "threads", "matmul_gflops", "bf16", "fp32_math", "repeats", "configs", "rows",
            "checkpoint"} <= set(result)
    assert result["matmul_gflops"]["float32"] > 0.1
    assert [r["variant"] for r in result["rows"]] == variants
    assert result["configs"]["tiny"]["flops_train"] == step_flops(CONFIGS["tiny"])
    for row in result["rows"]:
        assert set(row) == FIELDS
        assert row["note"] == "" and row["config"] == "tiny" and row["batch_size"] == 2
        assert 0 < row["ms_forward"] and 0 < row["ms_train"] < 60_000
        # The rate is the FLOP count over the time, and the fraction is that rate over the matmul's.
        assert row["gflops_train"] == pytest.approx(step_flops(CONFIGS["tiny"]) / row["ms_train"] / 1e6)
        assert row["frac_peak_train"] == pytest.approx(row["gflops_train"] / result["matmul_gflops"]["float32"])
        assert row["variant"] in printed
    assert next(r for r in result["rows"] if r["variant"] == "fused")["speedup"] == 1.0
    assert [(r["length"], r["checkpoint_every"]) for r in result["checkpoint"]] == [(2, None), (2, 1), (4, None), (4, 1)]


def test_a_variant_that_cannot_run_is_reported_not_raised(monkeypatch):
    def no_compiler(model):
        raise RuntimeError("no C++ compiler here\nsecond line")

    monkeypatch.setattr(variants, "compile_cells", no_compiler)
    variant = next(v for v in bench.VARIANTS if v.compile)
    row = bench.measure(CONFIGS["tiny"], variant, torch.device("cpu"), repeats=1, peak=1e9)
    assert row["ms_train"] is None and row["note"] == "n/a: RuntimeError: no C++ compiler here"
    assert "n/a" in bench.format_table({"device": "cpu", "torch": "", "matmul_gflops": {"float32": 1.0},
                                        "repeats": 1, "warmup": 1, "rows": [{**row, "speedup": None}]})


def test_cpu_runs_the_bf16_rows_and_says_whether_bf16_is_native(monkeypatch):
    variants_run = ["fused", "fused + bf16 autocast", "fused + bf16 + CUDA graph"]
    result = bench.run_benchmark(["tiny"], "cpu", repeats=1, variants=variants_run, matmul_size=64)
    assert [r["variant"] for r in result["rows"]] == variants_run[:2]  # CUDA graphs need CUDA
    assert [r["dtype"] for r in result["rows"]] == ["float32", "bfloat16"]
    assert result["bf16"] in {"native", "emulated"} and result["fp32_math"] == "float32"
    bf16_row = result["rows"][1]
    # Against the bf16 matmul rate, not the float32 one.
    assert bf16_row["frac_peak_train"] == pytest.approx(bf16_row["gflops_train"] / result["matmul_gflops"]["bfloat16"])
    assert "bf16 here: " + result["bf16"] in bench.format_table(result)
    # A device without bf16 skips the bf16 rows and does not measure a bf16 peak.
    monkeypatch.setattr(bench, "bf16_support", lambda device: "none")
    result = bench.run_benchmark(["tiny"], "cpu", repeats=1, variants=variants_run, matmul_size=64)
    assert [r["variant"] for r in result["rows"]] == ["fused"] and set(result["matmul_gflops"]) == {"float32"}


def test_gpu_defaults_keep_it_busy_and_name_tf32():
    assert bench.default_batch(CONFIGS["paper"], torch.device("cuda")) >= 64
    assert bench.default_batch(CONFIGS["paper"], torch.device("cpu")) == CONFIGS["paper"].batch_size
    assert bench.fp32_math(torch.device("cuda")) == ("tf32" if torch.backends.cudnn.allow_tf32 else "float32")
    assert bench.fp32_math(torch.device("cpu")) == "float32"
    assert variants.runs_on(bench.VARIANTS[-1], torch.device("cuda"), "native")
    assert not variants.runs_on(bench.VARIANTS[-1], torch.device("cpu"), "native")


def test_peak_memory_sees_a_large_allocation():
    if bench.peak_memory_mb(lambda: None, torch.device("cpu")) is None:
        pytest.skip("no way to read the peak resident memory on this system")
    grown = bench.peak_memory_mb(lambda: torch.ones(50_000_000).sum(), torch.device("cpu"))  # 200 MB
    assert 150 < grown < 400
    assert bench.peak_memory_mb(lambda: None, torch.device("cpu")) < 20


@pytest.mark.parametrize("call, match", [
    (lambda: bench.run_benchmark(["papr"], "cpu"), r"configurations among .*got \['papr'\]"),
    (lambda: bench.run_benchmark(["tiny"], "cpu", variants=["fussed"]), r"variants among .*got \['fussed'\]"),
    (lambda: bench.run_benchmark(["tiny"], "cpu", repeats=0), "repeats to be an int >= 1, got 0"),
    (lambda: bench.checkpoint_table("tiny", lengths=(1, 4), device="cpu"), r"lengths as ints >= 2, got \[1, 4\]"),
], ids=["config", "variant", "repeats", "length"])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
