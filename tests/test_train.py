"""Tests for convlstm.train: training lowers the loss, resuming is exact, early stopping, checkpoints."""
import pytest
import torch

from convlstm.metrics import frame_mae, frame_mse, frame_ssim, sequence_cross_entropy
from convlstm.models import EncoderForecaster
from convlstm.train import TrainConfig, evaluate, fit, use_amp

CONFIG = TrainConfig(epochs=3, batch_size=4, input_steps=3, progress=False, patience=10)


def moving_squares(n, seed):
    """Sequences of a bright square sliding right by one pixel per step: learnable in a few steps."""
    g = torch.Generator().manual_seed(seed)
    data = torch.zeros(n, 6, 1, 8, 8)
    for i in range(n):
        row, col = torch.randint(0, 6, (2,), generator=g).tolist()
        for t in range(6):
            c = (col + t) % 7
            data[i, t, 0, row : row + 2, c : c + 2] = 1.0
    return data


def small_model(seed=0):
    torch.manual_seed(seed)
    return EncoderForecaster(1, [6], kernel_size=3, patch_size=2)


def test_training_lowers_the_validation_loss():
    model = small_model()
    train, val = moving_squares(32, 0), moving_squares(8, 1)
    before = evaluate(model, val, input_steps=3, ssim=False)["cross_entropy"]
    history = fit(model, train, val, CONFIG, device="cpu", epochs=4)
    assert len(history.val_loss) == 4
    assert history.val_loss[history.best_epoch] < 0.9 * before
    # The model ends with its best weights.
    after = evaluate(model, val, input_steps=3, ssim=False)["cross_entropy"]
    assert after == pytest.approx(history.best_val_loss, rel=1e-5)


def test_interrupted_and_resumed_run_ends_like_an_uninterrupted_one(tmp_path):
    train, val = moving_squares(12, 0), moving_squares(4, 1)
    whole = small_model()
    fit(whole, train, val, CONFIG, device="cpu")

    resumed = small_model()
    ckpt = tmp_path / "run.pt"
    first = fit(resumed, train, val, CONFIG, checkpoint=ckpt, device="cpu", epochs=1)  # "interrupted"
    assert len(first.train_loss) == 1 and ckpt.exists()
    fresh = small_model()  # a new process: new model object, same checkpoint
    history = fit(fresh, train, val, CONFIG, checkpoint=ckpt, device="cpu")
    assert len(history.train_loss) == 3
    for (name, a), b in zip(whole.state_dict().items(), fresh.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    # Guard: one epoch of training changes the weights, so the equality above is not vacuous.
    assert any(not torch.equal(a, b) for a, b in zip(small_model().state_dict().values(), fresh.state_dict().values()))


def test_early_stopping():
    train, val = moving_squares(8, 0), moving_squares(4, 1)
    history = fit(small_model(), train, val, CONFIG, device="cpu", epochs=20, patience=1, lr=1.0)
    # A huge learning rate makes the validation loss stop improving; patience 1 stops right after.
    assert history.stopped_early
    assert len(history.val_loss) == history.best_epoch + 2 < 20


def test_bad_checkpoint_says_what_to_do(tmp_path):
    ckpt = tmp_path / "broken.pt"
    ckpt.write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match="delete it"):
        fit(small_model(), moving_squares(4, 0), moving_squares(4, 1), CONFIG, checkpoint=ckpt, device="cpu")


def test_bad_arguments():
    with pytest.raises(ValueError, match="TrainConfig fields"):
        fit(small_model(), moving_squares(4, 0), moving_squares(4, 1), CONFIG, device="cpu", epoch=3)


# Hand-worked metric values, one comment a case.
def test_metrics_by_hand():
    target = torch.zeros(2, 1, 1, 2, 2)
    pred = torch.zeros(2, 1, 1, 2, 2)
    pred[0, 0, 0, 0, 0] = 1.0  # one pixel off by 1 in the first sequence only
    assert frame_mse(pred, target).item() == 0.5  # (1 + 0) / 2 frames
    assert frame_mae(pred, target).item() == 0.5
    torch.testing.assert_close(frame_mse(pred, target, reduce=False), torch.tensor([[1.0], [0.0]]))
    # logits 0 mean p = 0.5: each pixel costs log 2, 4 pixels per sequence.
    ce = sequence_cross_entropy(torch.zeros(2, 1, 1, 2, 2), target, reduce=False)
    torch.testing.assert_close(ce, torch.full((2,), 4 * torch.log(torch.tensor(2.0)).item()))
    # Confident and right costs almost nothing; confident and wrong costs about the logit.
    assert sequence_cross_entropy(torch.full((1, 1, 1, 1, 1), -20.0), torch.zeros(1, 1, 1, 1, 1)).item() < 1e-8
    assert sequence_cross_entropy(torch.full((1, 1, 1, 1, 1), 20.0), torch.zeros(1, 1, 1, 1, 1)).item() == pytest.approx(20.0)
    # SSIM: identical frames score 1; a frame against its negative scores below 0.
    x = torch.rand(1, 2, 1, 16, 16)
    assert frame_ssim(x, x) == pytest.approx(1.0)
    assert frame_ssim(x, 1 - x) < 0
    with pytest.raises(ValueError, match="same shape"):
        frame_mse(pred, target[:, :, :, :1])


def test_amp_runs_the_convolutions_in_bfloat16_when_forced_on_the_cpu():
    model = small_model()
    dtypes = []
    model.encoder.cells[0].conv.register_forward_hook(lambda m, i, out: dtypes.append(out.dtype))
    train, val = moving_squares(16, 0), moving_squares(4, 1)
    before = evaluate(model, val, input_steps=3, ssim=False)["cross_entropy"]
    dtypes.clear()  # evaluate runs in float32
    history = fit(model, train, val, CONFIG, device="cpu", amp=True, epochs=2)
    assert torch.bfloat16 in set(dtypes)  # training; validation runs in float32, as evaluate does
    assert all(torch.isfinite(torch.tensor(history.train_loss)))
    assert history.best_val_loss < before  # bfloat16 still trains
    # Guard: without autocast the same convolution computes in float32.
    dtypes.clear()
    fit(model, train, val, CONFIG, device="cpu", amp=False, epochs=1)
    assert set(dtypes) == {torch.float32}


@pytest.mark.parametrize("device, support, amp, batch, graphed, expected", [
    ("cpu", "native", None, 16, False, True),  # AVX512-BF16 / AMX: bf16 by default
    ("cpu", "emulated", None, 16, False, False),  # emulated: float32
    ("cpu", "native", False, 16, False, False),  # the paper's letter
    ("cpu", "native", True, 16, False, True),
    ("cuda", "native", None, 8, True, True),  # inside a CUDA graph bf16 wins even at batch 8
    ("cuda", "native", None, 8, False, False),  # eager at batch 8 it loses (63.8 against 49.1 ms)
    ("cuda", "native", None, 64, False, True),  # eager at batch 64 it wins (73 against 81 ms)
    ("cuda", "emulated", None, 64, True, False),  # pre-Ampere
    ("cuda", "none", False, 64, True, False),
], ids=["cpu-native", "cpu-emulated", "cpu-off", "cpu-on", "cuda-graph", "cuda-eager-8", "cuda-eager-64",
        "cuda-old", "cuda-none-off"])
def test_precision_default_follows_the_device(monkeypatch, device, support, amp, batch, graphed, expected):
    from convlstm import precision

    monkeypatch.setattr(precision, "bf16_support", lambda d: support)
    assert precision.resolve_amp(amp, device, batch, graphed) is expected
    assert use_amp(TrainConfig(amp=amp, batch_size=batch), torch.device(device), graphed) is expected


def test_forced_bf16_where_there_is_none_or_it_is_emulated(monkeypatch):
    from convlstm import precision

    monkeypatch.setattr(precision, "bf16_support", lambda d: "none")
    with pytest.raises(ValueError, match="expected a device with bfloat16 for amp=True, got cuda"):
        precision.resolve_amp(True, "cuda")
    monkeypatch.setattr(precision, "bf16_support", lambda d: "emulated")
    with pytest.warns(UserWarning, match="emulates bfloat16, so amp=True will be slower"):
        assert precision.resolve_amp(True, "cpu") is True


@pytest.mark.parametrize("mkldnn, avx512_bf16, amx, flags, expected", [
    (True, True, False, set(), True),  # AMD Zen 4, Intel Cooper Lake
    (True, False, True, set(), True),  # Intel Sapphire Rapids (AMX)
    (True, False, False, set(), False),  # AVX-512 without BF16: oneDNN says yes, but emulates
    (False, True, True, set(), False),  # a build without oneDNN's bf16
    (True, None, None, {"avx512_bf16"}, True),  # an old torch without the probes: /proc/cpuinfo
    (True, None, None, {"avx2"}, False),
], ids=["avx512-bf16", "amx", "avx512-only", "no-mkldnn", "old-torch-bf16", "old-torch-avx2"])
def test_cpu_bf16_native(monkeypatch, mkldnn, avx512_bf16, amx, flags, expected):
    import platform

    from convlstm import precision

    probes = {"_is_mkldnn_bf16_supported": mkldnn, "_is_avx512_bf16_supported": avx512_bf16,
              "_is_amx_tile_supported": amx}
    monkeypatch.setattr(precision, "_call", lambda owner, name: probes[name])
    monkeypatch.setattr(precision, "_cpu_flags", lambda: flags)
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    assert precision.cpu_bf16_native() is expected
    assert precision.bf16_support("cpu") == ("native" if expected else "emulated")


def test_resume_is_exact_with_bf16_autocast(tmp_path):
    train, val = moving_squares(12, 0), moving_squares(4, 1)
    whole = small_model()
    fit(whole, train, val, CONFIG, device="cpu", amp=True)
    fresh = small_model()
    fit(small_model(), train, val, CONFIG, checkpoint=tmp_path / "run.pt", device="cpu", amp=True, epochs=1)
    fit(fresh, train, val, CONFIG, checkpoint=tmp_path / "run.pt", device="cpu", amp=True)
    for (name, a), b in zip(whole.state_dict().items(), fresh.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    # Guard: bf16 training differs from float32 training, so autocast was really on.
    other = small_model()
    fit(other, train, val, CONFIG, device="cpu", amp=False)
    assert any(not torch.equal(a, b) for a, b in zip(other.state_dict().values(), fresh.state_dict().values()))


BF16_TOLERANCE = 0.02  # relative: bf16 and float32 training end within 2% of each other's loss


def test_bf16_and_float32_training_reach_the_same_validation_loss():
    train, val = moving_squares(64, 0), moving_squares(16, 1)
    before = evaluate(small_model(), val, input_steps=3, ssim=False)["cross_entropy"]
    losses = {}
    for amp in (True, False):
        history = fit(small_model(), train, val, CONFIG, device="cpu", amp=amp, epochs=4)
        losses[amp] = history.val_loss
    assert losses[True][-1] == pytest.approx(losses[False][-1], rel=BF16_TOLERANCE)
    # Guard: both trained (the loss fell by a quarter), so agreeing is not agreeing on nothing.
    assert max(losses[True][-1], losses[False][-1]) < 0.75 * before


def test_clipping_can_be_switched_off():
    train, val = moving_squares(8, 0), moving_squares(4, 1)
    runs = [small_model() for _ in range(3)]
    for model, clip in zip(runs, (None, 1e9, 1e-3)):
        fit(model, train, val, CONFIG, device="cpu", amp=False, clip=clip, epochs=1)
    # No clipping is clipping at an unreachable norm; a tiny norm changes the result.
    for a, b, c in zip(*(m.state_dict().values() for m in runs)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert any(not torch.equal(a, c) for a, c in zip(runs[0].state_dict().values(), runs[2].state_dict().values()))


def test_batches_are_the_shuffled_dataloaders():
    """The epoch order is the permutation a shuffling DataLoader with the same generator draws."""
    from torch.utils.data import DataLoader

    from convlstm.training import _epoch_order

    data = torch.arange(10)
    loader = DataLoader(data, batch_size=3, shuffle=True, generator=torch.Generator().manual_seed(100_003 * 2 + 5))
    expected = torch.cat(list(loader))
    torch.testing.assert_close(_epoch_order(10, TrainConfig(seed=2), 5, 0, 1), expected)


def test_max_minutes_stops_before_an_epoch_that_would_not_fit():
    history = fit(small_model(), moving_squares(8, 0), moving_squares(4, 1), CONFIG, device="cpu",
                  epochs=50, max_minutes=1e-9)
    assert history.out_of_time and len(history.val_loss) == 1


@pytest.mark.parametrize("train, val, match", [
    (moving_squares(4, 0), moving_squares(0, 1), "validation set with at least one sequence, got an empty one"),
    (moving_squares(0, 0), moving_squares(4, 1), "training set with at least one sequence"),
    (moving_squares(4, 0) * 255, moving_squares(4, 1), r"frames in \[0, 1\], got values in \[0, 255\]; a 0-255 movie"),
    (moving_squares(4, 0), moving_squares(4, 1) - 0.5, r"validation set frames in \[0, 1\], got values in \[-0.5, 0.5\]"),
    (torch.rand(4, 0, 1, 8, 8), moving_squares(4, 1), r"T > input_steps=3, got \(4, 0, 1, 8, 8\)"),
    (torch.rand(4, 3, 1, 8, 8), moving_squares(4, 1), r"T > input_steps=3, got \(4, 3, 1, 8, 8\)"),
    (torch.rand(4, 6, 8, 8), moving_squares(4, 1), r"\(N, T, C, H, W\) .*got \(4, 6, 8, 8\)"),
], ids=["empty-val", "empty-train", "0-255", "negative", "T=0", "T-too-short", "4-dims"])
def test_bad_data_is_named(train, val, match):
    with pytest.raises(ValueError, match=match):
        fit(small_model(), train, val, CONFIG, device="cpu")


def test_evaluate_rejects_frames_outside_0_1():
    with pytest.raises(ValueError, match=r"evaluate: expected dataset frames in \[0, 1\]"):
        evaluate(small_model(), moving_squares(4, 0) * 255, input_steps=3)


def test_cuda_graph_decision():
    from convlstm.train_step import graph_plan

    assert graph_plan(torch.device("cuda"), 1) == (True, None)
    assert graph_plan(torch.device("cuda"), 2) == (False, "DistributedDataParallel synchronizes outside the graph")
    assert graph_plan(torch.device("cuda"), 1, enabled=False) == (False, "switched off (cuda_graph=False)")
    assert graph_plan(torch.device("cpu"), 1) == (False, "not a CUDA device")


def test_a_failed_capture_falls_back_with_a_warning(monkeypatch):
    from convlstm import train_step

    model = small_model()
    optimizer = torch.optim.RMSprop(model.parameters())
    eager = train_step.EagerStep(model, optimizer, 3, 10.0, False)
    frames = moving_squares(4, 0)
    eager(frames)
    with pytest.warns(UserWarning, match=r"without a CUDA graph, because capture failed \((RuntimeError|AssertionError|AttributeError)"):
        step, why = train_step.capture_step(eager, frames)  # no CUDA here: capture fails
    assert step is eager and why and not eager.keep_grads
    assert torch.isfinite(step(frames))  # and training goes on eagerly


def test_evaluate_reports_openstl_scores_on_their_own_definitions():
    from convlstm.metrics import frame_psnr, frame_ssim

    model, data = small_model(), moving_squares(4, 0)
    scores = evaluate(model, data, input_steps=3, device="cpu")
    assert set(scores) == {"cross_entropy", "mse", "mae", "psnr", "ssim", "ssim_openstl"}
    with torch.no_grad():
        pred = torch.sigmoid(model(data[:, :3], future=data.shape[1] - 3).float())
    target = data[:, 3:]
    assert scores["psnr"] == pytest.approx(frame_psnr(pred, target), rel=1e-5)
    assert scores["ssim_openstl"] == pytest.approx(frame_ssim(pred, target, convention="openstl"), rel=1e-5)
    assert scores["ssim_openstl"] != pytest.approx(scores["ssim"])  # the two conventions differ
    assert "ssim_openstl" not in evaluate(model, data, input_steps=3, device="cpu", ssim=False)
