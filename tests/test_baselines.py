"""Tests for convlstm.baselines: persistence, and optical-flow extrapolation with pysteps."""
import sys

import numpy as np
import pytest
import torch

from convlstm import baselines
from convlstm.baselines import Constant, LastFrame, estimate_motion, extrapolate, optical_flow, persistence
from convlstm.radar import SyntheticRadar


def test_persistence_repeats_the_last_frame():
    x = torch.rand(2, 5, 1, 8, 8)
    out = persistence(x, future=3)
    assert out.shape == (2, 3, 1, 8, 8)
    assert all(torch.equal(out[:, t], x[:, -1]) for t in range(3))
    out[0, 0, 0, 0, 0] = 7.0  # a copy, not a view of the input
    assert x[0, -1, 0, 0, 0] != 7.0


@pytest.mark.parametrize("bad", [torch.rand(5, 1, 8, 8), np.zeros((1, 5, 1, 8, 8))], ids=["4-dims", "numpy"])
def test_persistence_bad_input(bad):
    with pytest.raises(ValueError, match=r"\(B, T, C, H, W\)"):
        persistence(bad)


def test_missing_pysteps_says_how_to_install_and_how_to_do_without(monkeypatch):
    monkeypatch.setitem(sys.modules, "pysteps", None)  # makes `import pysteps` fail
    with pytest.raises(ImportError, match="pip install pysteps.*OPTICAL_FLOW = False"):
        optical_flow(torch.rand(1, 5, 1, 8, 8))
    assert not baselines.has_pysteps()


# Everything below needs pysteps (pinned in requirements.txt; optional for the package).
needs_pysteps = pytest.mark.skipif(not baselines.has_pysteps(), reason="pysteps is not installed")


def moving_sequences(n=3, size=48, growth=0.0):
    data = SyntheticRadar(n, seq_len=10, frame_size=size, growth=growth, max_speed=2.5, max_rotation=0.01)
    return data, torch.stack([data[i] for i in range(n)])  # (n, 10, 1, size, size)


def mean_abs(a, b):
    return (a - b).abs().mean().item()


@needs_pysteps
def test_extrapolation_along_the_true_motion_nearly_reproduces_pure_advection():
    data, x = moving_sequences()
    for i in range(len(data)):
        forecast = extrapolate(x[i, 4, 0].numpy(), data.motion(i).field(48), future=5)  # (5, 48, 48)
        assert forecast.shape == (5, 48, 48) and np.isfinite(forecast).all()
        truth = x[i, 5:, 0].double().numpy()
        # Inflow (rain from outside the frame) is unknown, so compare away from the borders.
        inner = (slice(None), slice(12, -12), slice(12, -12))
        err = np.abs(forecast - truth)[inner].mean()
        standing = np.abs(x[i, 4, 0].double().numpy()[None] - truth)[inner].mean()
        assert err < 0.4 * standing, (i, err, standing)


@needs_pysteps
def test_pysteps_default_would_fill_inflow_with_nan():
    data, x = moving_sequences(n=1)
    velocity = data.motion(0).field(48)
    assert np.isnan(extrapolate(x[0, 4, 0].numpy(), velocity, 5, outval=np.nan)).any()
    assert not np.isnan(extrapolate(x[0, 4, 0].numpy(), velocity, 5)).any()  # ours: outval = 0


# VET is slow (its minimisation takes seconds to a minute on 100x100 frames): one small case.
@needs_pysteps
@pytest.mark.parametrize("method, n, size", [("proesmans", 3, 48), ("vet", 1, 32)], ids=["proesmans", "vet"])
def test_estimated_motion_is_close_to_the_true_one(method, n, size):
    data, x = moving_sequences(n=n, size=size)
    for i in range(n):
        kwargs = dict(sectors=(4, 2)) if method == "vet" else {}
        v = estimate_motion(x[i, :5, 0].numpy(), method, **kwargs)  # (2, size, size)
        true = data.motion(i).field(size)
        speed = np.hypot(*true.mean((1, 2)))
        assert np.abs(v.mean((1, 2)) - true.mean((1, 2))).max() < 0.25 + 0.15 * speed, (i, v.mean((1, 2)), true.mean((1, 2)))


@needs_pysteps
def test_proesmans_is_finite_and_repeatable_on_small_frames():
    # pysteps' default 6-level pyramid reads outside its arrays on 48x48 frames; ours stops at 8 px.
    _, x = moving_sequences(n=3)
    for i in range(3):
        runs = [estimate_motion(x[i, :5, 0].numpy(), "proesmans") for _ in range(3)]
        assert all(np.isfinite(v).all() and np.array_equal(v, runs[0]) for v in runs)


@needs_pysteps
def test_optical_flow_beats_persistence_on_pure_advection():
    _, x = moving_sequences()
    observed, truth = x[:, :5], x[:, 5:]
    forecast, motion = optical_flow(observed, future=5, return_motion=True)
    assert forecast.shape == truth.shape and forecast.dtype == observed.dtype and motion.shape == (3, 2, 48, 48)
    assert torch.isfinite(forecast).all()
    assert mean_abs(forecast, truth) < 0.6 * mean_abs(persistence(observed, 5), truth)


@needs_pysteps
def test_optical_flow_bad_input():
    with pytest.raises(ValueError, match=r"\(B, T, 1, H, W\)"):
        optical_flow(torch.rand(1, 5, 2, 8, 8))
    with pytest.raises(ValueError, match="method"):
        estimate_motion(np.zeros((3, 8, 8)), "lucas-kanade")
    with pytest.raises(ValueError, match="future"):
        optical_flow(torch.rand(1, 5, 1, 8, 8), future=0)
    with pytest.raises(ValueError, match="velocity"):
        extrapolate(np.zeros((8, 8)), np.zeros((2, 4, 4)))


@needs_pysteps
def test_importing_pysteps_through_the_library_prints_nothing():
    # In a fresh interpreter: in this one pysteps may be imported already, banner and all.
    import subprocess

    code = "from convlstm import baselines; baselines._pysteps('test'); import pysteps; print('imported')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "imported\n"  # pysteps' own banner names a machine-specific path


# ------------------------------------------------------------- the trivial forecasts as models


def test_constant_is_logit_p_everywhere_and_follows_the_input():
    frames = torch.rand(2, 10, 1, 6, 6, dtype=torch.float64)
    out = Constant(0.2)(frames, future=4)
    assert out.shape == (2, 4, 1, 6, 6) and out.dtype == torch.float64 and out.device == frames.device
    torch.testing.assert_close(torch.sigmoid(out), torch.full_like(out, 0.2))
    assert torch.equal(Constant(0.2)(torch.zeros_like(frames), future=4), out)  # ignores the movie


def test_last_frame_is_the_clipped_last_frame_at_every_step():
    frames = torch.rand(3, 5, 2, 4, 4)
    frames[:, -1, 0, 0, 0] = 0.0  # clipped up to eps
    frames[:, -1, 0, 0, 1] = 1.0  # clipped down to 1 - eps
    out = LastFrame(0.05)(frames, future=6)
    assert out.shape == (3, 6, 2, 4, 4)
    expected = frames[:, -1:].clamp(0.05, 0.95).expand(-1, 6, -1, -1, -1)
    torch.testing.assert_close(torch.sigmoid(out), expected)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(torch.sigmoid(out[:, :, 0, 0, :2]), torch.tensor([0.05, 0.95]).expand(3, 6, 2))
    # only the last frame counts
    earlier = frames.clone()
    earlier[:, :-1] = 0.5
    assert torch.equal(LastFrame(0.05)(earlier, future=6), out)


def test_last_frame_agrees_with_persistence():
    frames = torch.rand(2, 4, 1, 5, 5).clamp(0.1, 0.9)
    torch.testing.assert_close(torch.sigmoid(LastFrame(0.01)(frames, future=3)), persistence(frames, future=3))


def test_trivial_forecasts_are_scored_like_models():
    from convlstm.train import evaluate

    data = [torch.rand(20, 1, 8, 8) for _ in range(4)]
    scores = {name: evaluate(model, data, device="cpu", ssim=False)["cross_entropy"]
              for name, model in {"constant": Constant(0.5), "last": LastFrame(0.1)}.items()}
    assert scores["constant"] == pytest.approx(10 * 64 * np.log(2), rel=1e-5)  # every pixel log 2
    assert np.isfinite(scores["last"])


BAD_TRIVIAL = {
    "constant-p=0": (lambda: Constant(0.0), "Constant: expected p strictly between 0 and 1"),
    "constant-p=1": (lambda: Constant(1), "got 1"),
    "constant-p-255": (lambda: Constant(128.0), "got 128.0"),
    "constant-p-bool": (lambda: Constant(True), "got True"),
    "last-eps=0": (lambda: LastFrame(0.0), "LastFrame: expected eps strictly between 0 and 1"),
    "last-eps=0.5": (lambda: LastFrame(0.5), r"expected eps below 0.5 \(the clip is \[eps, 1 - eps\]\), got 0.5"),
    "constant-T=0": (lambda: Constant(0.3)(torch.zeros(2, 0, 1, 4, 4)),
                     r"Constant: expected at least one observed frame \(T >= 1\), got shape \(2, 0, 1, 4, 4\)"),
    "last-T=0": (lambda: LastFrame(0.1)(torch.zeros(2, 0, 1, 4, 4)), "LastFrame: expected at least one observed"),
    "last-rank-4": (lambda: LastFrame(0.1)(torch.zeros(2, 1, 4, 4)), r"\(B, T, C, H, W\), got \(2, 1, 4, 4\)"),
    "constant-future=0": (lambda: Constant(0.3)(torch.zeros(2, 3, 1, 4, 4), future=0),
                          "Constant: expected future to be an int >= 1, got 0"),
    "last-future=-2": (lambda: LastFrame(0.1)(torch.zeros(2, 3, 1, 4, 4), future=-2), "got -2"),
    "persistence-T=0": (lambda: persistence(torch.zeros(2, 0, 1, 4, 4)), "persistence: expected at least one"),
}


@pytest.mark.parametrize("call,match", BAD_TRIVIAL.values(), ids=BAD_TRIVIAL.keys())
def test_trivial_forecasts_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
