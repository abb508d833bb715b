"""Tests for convlstm.metrics: nowcasting scores by hand, pysteps, frames in [0, 1], centre of mass."""
import numpy as np
import pytest
import torch

from convlstm.metrics import (
    categorical_scores,
    centre_of_mass,
    contingency_counts,
    frame_mae,
    frame_mse,
    frame_ssim,
    rainfall_correlation,
    rainfall_mse,
    scores_from_counts,
    sequence_cross_entropy,
)


def frames(values, T=1):
    """A (1, T, 1, 1, N) tensor from a flat list of pixel values per lead time."""
    return torch.tensor(values, dtype=torch.float64).view(1, T, 1, 1, -1)


# (pred, obs, threshold, hits, misses, false alarms, correct negatives, CSI, FAR, POD, HSS)
TABLES = {
    # 2 hits, 1 miss, 1 false alarm, 4 correct negatives:
    # CSI 2/4, FAR 1/3, POD 2/3, HSS 2(8 - 1) / (3*5 + 3*5) = 14/30.
    "mixed": ([5, 5, 0, 5, 0, 0, 0, 0], [5, 5, 5, 0, 0, 0, 0, 0], 1.0, 2, 1, 1, 4, 0.5, 1 / 3, 2 / 3, 14 / 30),
    # Perfect: CSI 1, FAR 0, POD 1, HSS 1.
    "perfect": ([3, 0, 3, 0], [3, 0, 3, 0], 2.0, 2, 0, 0, 2, 1.0, 0.0, 1.0, 1.0),
    # Everything wrong: CSI 0, FAR 1, POD 0, HSS 2(0 - 4) / (2*2 + 2*2) = -1.
    "opposite": ([0, 3, 0, 3], [3, 0, 3, 0], 2.0, 0, 2, 2, 0, 0.0, 1.0, 0.0, -1.0),
    # At the threshold counts as an event (>=): both 2.0 are hits.
    "at-threshold": ([2.0, 1.9], [2.0, 1.9], 2.0, 1, 0, 0, 1, 1.0, 0.0, 1.0, 1.0),
    # No rain anywhere, none predicted: defined as a perfect forecast, not NaN.
    "all-dry": ([0, 0, 0], [0, 0, 0], 0.5, 0, 0, 0, 3, 1.0, 0.0, 1.0, 1.0),
    # No rain observed, some predicted: POD defined as 1 (nothing to miss), HSS 0.
    "dry-false-alarm": ([1, 0, 0], [0, 0, 0], 0.5, 0, 0, 1, 2, 0.0, 1.0, 1.0, 0.0),
    # Rain observed, none predicted: FAR defined as 0 (no false alarm), POD 0.
    "missed-all": ([0, 0, 0], [1, 1, 0], 0.5, 0, 2, 0, 1, 0.0, 0.0, 0.0, 0.0),
    # All rain, all predicted: HSS's denominator is 0; defined as 1.
    "all-wet": ([1, 1], [1, 1], 0.5, 2, 0, 0, 0, 1.0, 0.0, 1.0, 1.0),
}


@pytest.mark.parametrize("case", TABLES.values(), ids=TABLES.keys())
def test_contingency_tables_by_hand(case):
    pred, obs, threshold, a, c, b, d, csi, far, pod, hss = case
    scores = categorical_scores(frames(pred), frames(obs), threshold)
    assert [scores[k].item() for k in ("hits", "misses", "false_alarms", "correct_negatives")] == [a, c, b, d]
    for name, value in dict(csi=csi, far=far, pod=pod, hss=hss).items():
        assert scores[name].item() == pytest.approx(value), name
        assert torch.isfinite(scores[name]).all()


def test_scores_are_per_lead_time_and_pooled_over_sequences():
    obs = torch.zeros(2, 3, 1, 2, 2)
    pred = torch.zeros(2, 3, 1, 2, 2)
    obs[:, 0] = 1  # lead time 1: 8 events, all missed
    obs[0, 1, 0, 0, 0] = pred[1, 1, 0, 0, 0] = 1  # lead time 2: one miss (sequence 0), one false alarm (1)
    obs[:, 2, 0, 0, 0] = pred[:, 2, 0, 0, 0] = 1  # lead time 3: two hits
    s = categorical_scores(pred, obs, 0.5)
    assert s["hits"].tolist() == [0, 0, 2] and s["misses"].tolist() == [8, 1, 0]
    assert s["false_alarms"].tolist() == [0, 1, 0] and s["correct_negatives"].tolist() == [0, 6, 6]
    assert s["csi"].tolist() == [0.0, 0.0, 1.0]
    # Pooled, not averaged per sequence: adding the counts of two halves gives the same scores.
    halves = [contingency_counts(pred[i : i + 1], obs[i : i + 1], 0.5) for i in range(2)]
    summed = {k: halves[0][k] + halves[1][k] for k in halves[0]}
    for name, value in scores_from_counts(summed).items():
        torch.testing.assert_close(value, s[name])


def test_nan_is_refused_not_scored():
    pred = torch.zeros(1, 2, 1, 2, 2)
    pred[0, 1, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN.*outval"):
        categorical_scores(pred, torch.zeros_like(pred), 0.5)


BAD = {
    "shapes-differ": (torch.zeros(1, 2, 1, 2, 2), torch.zeros(1, 3, 1, 2, 2), "same shape"),
    "four-dims": (torch.zeros(2, 1, 2, 2), torch.zeros(2, 1, 2, 2), "same shape"),
    "a-list": ([0.0], torch.zeros(1, 1, 1, 1, 1), "tensor or numpy"),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_bad_input(case):
    pred, obs, match = case
    for fn in (lambda p, o: categorical_scores(p, o, 1.0), rainfall_mse, rainfall_correlation):
        with pytest.raises(ValueError, match=match):
            fn(pred, obs)


@pytest.mark.parametrize("threshold", [float("nan"), float("inf"), "1", None, True], ids=repr)
def test_threshold_must_be_a_finite_number(threshold):
    x = torch.zeros(1, 1, 1, 2, 2)
    with pytest.raises(ValueError, match="threshold as a finite number"):
        categorical_scores(x, x, threshold)


def test_scores_of_fractional_counts():
    # Counts need not be integers (weighted or averaged tables): a = b = c = 0.1 gives CSI 1/3.
    counts = {"hits": torch.tensor([0.1]), "false_alarms": torch.tensor([0.1]), "misses": torch.tensor([0.1]),
              "correct_negatives": torch.tensor([0.7])}
    scores = scores_from_counts(counts)
    torch.testing.assert_close(scores["csi"], torch.tensor([1 / 3], dtype=torch.float64))
    torch.testing.assert_close(scores["far"], torch.tensor([0.5], dtype=torch.float64))


def test_numpy_input_is_accepted():
    x = np.zeros((1, 1, 1, 2, 2))
    assert categorical_scores(x, x, 0.5)["csi"].tolist() == [1.0]


def test_rainfall_mse_and_correlation_by_hand():
    obs = frames([1.0, 2.0, 0.0, 2.0, 1.0, 0.0], T=2)  # lead time 1: (1, 2, 0); 2: (2, 1, 0)
    pred = frames([1.0, 0.0, 0.0, 2.0, 1.0, 2.0], T=2)
    # Lead time 1: errors (0, -2, 0) -> MSE 4/3; lead time 2: (0, 0, 2) -> 4/3.
    torch.testing.assert_close(rainfall_mse(pred, obs), torch.tensor([4 / 3, 4 / 3], dtype=torch.float64))
    # Lead time 1: 1 / sqrt(1 * 5); lead time 2: 5 / sqrt(9 * 5).
    expected = torch.tensor([1 / 5**0.5, 5 / 45**0.5], dtype=torch.float64)
    torch.testing.assert_close(rainfall_correlation(pred, obs), expected)
    # A frame of zeros scores 0, not NaN.
    zero = torch.zeros(1, 1, 1, 2, 2)
    assert rainfall_correlation(zero, zero).tolist() == [0.0]


def test_correlation_is_averaged_over_sequences():
    obs = torch.ones(2, 1, 1, 1, 2)
    pred = torch.tensor([[1.0, 1.0], [1.0, 0.0]]).view(2, 1, 1, 1, 2)
    # Sequence 0: 1; sequence 1: 1 / sqrt(1 * 2).
    assert rainfall_correlation(pred, obs).item() == pytest.approx((1 + 2**-0.5) / 2)


def test_agrees_with_pysteps_where_no_value_sits_on_the_threshold():
    pytest.importorskip("pysteps")
    from convlstm.baselines import _pysteps

    _pysteps("test")  # imports pysteps with its banner silenced
    from pysteps.verification import det_cat_fct

    rng = np.random.default_rng(0)
    obs = rng.gamma(0.5, 2.0, size=(3, 4, 1, 16, 16))
    pred = obs * rng.lognormal(0, 0.5, size=obs.shape)
    for threshold in (0.5, 2.0, 5.0):
        assert not np.isin(threshold, np.concatenate([obs.ravel(), pred.ravel()]))  # guard: > and >= agree
        ours = categorical_scores(pred, obs, threshold)
        for t in range(4):
            theirs = det_cat_fct(pred[:, t], obs[:, t], threshold, scores=["CSI", "FAR", "POD", "HSS"])
            for name in ("CSI", "FAR", "POD", "HSS"):
                assert ours[name.lower()][t].item() == pytest.approx(theirs[name], rel=1e-12), (threshold, t, name)
    # Guard: exactly at the threshold the conventions differ (HKO-7 >= counts it, pysteps > does not).
    at = np.full((1, 1, 1, 1, 2), 2.0)
    assert categorical_scores(at, at, 2.0)["hits"].item() == 2
    with np.errstate(invalid="ignore"):  # pysteps: no event at all, CSI = 0 / 0
        assert det_cat_fct(at[:, 0], at[:, 0], 2.0, scores=["CSI"])["CSI"] != 1.0


# ----------------------------------------------------------------- frames must be in [0, 1]

UNIT = torch.rand(1, 2, 1, 4, 4)
MOVIE_255 = (torch.rand(1, 2, 1, 4, 4) * 255).round()  # a 0-255 movie cast to float
MOVIE_255[0, 0, 0, 0, :2] = torch.tensor([0.0, 255.0])
NEGATIVE = UNIT - 0.5
NEGATIVE[0, 0, 0, 0, 0] = -0.5
OUT_OF_RANGE = {
    "ce-target-255": (lambda: sequence_cross_entropy(torch.zeros_like(MOVIE_255), MOVIE_255),
                      r"sequence_cross_entropy: expected target in \[0, 1\].*got values from 0 to 255 "
                      r"\(0-255 pixels\? divide by 255\)"),
    "mse-target-255": (lambda: frame_mse(UNIT, MOVIE_255), r"frame_mse: expected target in \[0, 1\].*to 255"),
    "mse-pred-255": (lambda: frame_mse(MOVIE_255, UNIT), r"frame_mse: expected pred in \[0, 1\].*divide by 255"),
    "mae-negative": (lambda: frame_mae(NEGATIVE, UNIT), r"frame_mae: expected pred in \[0, 1\].*from -0.5 to"),
    "ssim-target-255": (lambda: frame_ssim(UNIT, MOVIE_255), r"frame_ssim: expected target in \[0, 1\]"),
}


@pytest.mark.parametrize("call,match", OUT_OF_RANGE.values(), ids=OUT_OF_RANGE.keys())
def test_frames_outside_the_unit_range_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_negative_frames_get_no_divide_hint():
    with pytest.raises(ValueError) as error:
        frame_mse(NEGATIVE, UNIT)
    assert "divide by 255" not in str(error.value)


def test_the_unit_range_itself_and_unbounded_logits_are_accepted():
    edges = torch.tensor([0.0, 1.0, 0.5, 1.0]).view(1, 1, 1, 2, 2)
    assert frame_mse(edges, edges).item() == 0.0
    assert frame_mae(edges, 1 - edges).item() == 3.0
    logits = torch.tensor([-50.0, 50.0, 0.0, 50.0]).view(1, 1, 1, 2, 2)  # logits are not checked
    assert sequence_cross_entropy(logits, edges).item() == pytest.approx(np.log(2), rel=1e-6)
    assert frame_mse(edges.bool().float(), edges.ceil()).item() == 0.0  # integer-valued floats in range
    empty = torch.zeros(0, 2, 1, 4, 4)
    assert frame_mse(empty, empty, reduce=False).shape == (0, 2)


# ----------------------------------------------------------------------- centre of mass

CENTRES = {
    # (frame, expected (row, col))
    "one-pixel": ({(1, 3): 1.0}, (1.0, 3.0)),
    "two-equal-pixels-halfway": ({(0, 0): 1.0, (4, 2): 1.0}, (2.0, 1.0)),
    "weights-pull": ({(0, 0): 3.0, (4, 0): 1.0}, (1.0, 0.0)),  # (3*0 + 1*4) / 4
    "corner": ({(4, 6): 0.25}, (4.0, 6.0)),
}


@pytest.mark.parametrize("pixels,expected", CENTRES.values(), ids=CENTRES.keys())
def test_centre_of_mass_by_hand(pixels, expected):
    frame = torch.zeros(5, 7)  # not square: rows and columns are counted separately
    for (r, c), v in pixels.items():
        frame[r, c] = v
    assert centre_of_mass(frame).tolist() == pytest.approx(list(expected))


def test_centre_of_mass_keeps_leading_dims_and_follows_the_digit():
    frames = torch.zeros(2, 3, 8, 8)
    for t in range(3):
        frames[:, t, 2:4, 1 + 2 * t : 3 + 2 * t] = 1.0  # a 2x2 blob moving 2 px right per step
    centres = centre_of_mass(frames)  # (2, 3, 2)
    assert centres.shape == (2, 3, 2)
    torch.testing.assert_close(centres[0], torch.tensor([[2.5, 1.5], [2.5, 3.5], [2.5, 5.5]]))
    assert centre_of_mass(frames.double()).dtype == torch.float64


def test_centre_of_mass_of_an_empty_frame_is_nan():
    assert torch.isnan(centre_of_mass(torch.zeros(4, 4))).all()


@pytest.mark.parametrize("frames,match", [
    (torch.zeros(4), r"\(\.\.\., H, W\), got \(4,\)"),
    ([[0.0]], "got list"),
    (torch.tensor([[1.0, -0.5]]), "non-negative frames.*minimum of -0.5"),
], ids=["1d", "a-list", "negative"])
def test_centre_of_mass_bad_input(frames, match):
    with pytest.raises(ValueError, match=match):
        centre_of_mass(frames)


def test_cross_entropy_range_check_can_be_skipped_for_checked_data():
    """fit checks its frames once; its training step skips the per-call check (no sync)."""
    logits, pixels = torch.zeros(1, 1, 1, 2, 2), torch.full((1, 1, 1, 2, 2), 255.0)
    with pytest.raises(ValueError, match="divide by 255"):
        sequence_cross_entropy(logits, pixels)
    unchecked = sequence_cross_entropy(logits, pixels, check_range=False)
    assert torch.isfinite(unchecked)  # computed, not refused
