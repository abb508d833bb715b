r"""Scores for predicted frames, as the papers report them.

* :func:`sequence_cross_entropy`: Shi et al. (2015), Table 1: binary cross-entropy summed
  over every pixel of the predicted frames of a sequence, averaged over sequences.
* :func:`frame_mse`, :func:`frame_mae`: OpenSTL's Moving MNIST benchmark: squared (absolute)
  error summed over the pixels of a frame in [0, 1], averaged over frames.
* :func:`frame_ssim`: structural similarity per frame, from scikit-image (the same function
  OpenSTL uses), averaged over frames; ``convention="openstl"`` uses OpenSTL's data range.
* :func:`frame_psnr`: peak signal-to-noise ratio per frame, averaged over frames, as OpenSTL
  reports it.

Each takes ``(B, T, C, H, W)`` tensors and returns the average over sequences and frames,
or with ``reduce=False`` one value per sequence (cross-entropy) or per frame ``(B, T)``.
Frames (targets, and predictions in probability space) must lie in [0, 1]: a 0-255 movie
cast to float is a ValueError that says to divide by 255.

:func:`centre_of_mass` gives where a frame's ink is, to see whether a forecast keeps up with
the digits.

For precipitation nowcasting (Shi et al. 2015, Table 2; the HKO-7 benchmark), per lead time:

* :func:`categorical_scores`: rain / no rain at a threshold, counted in a contingency table
  (:func:`contingency_counts`), and the CSI, FAR, POD and HSS computed from it
  (:func:`scores_from_counts`);
* :func:`rainfall_mse` and :func:`rainfall_correlation` on rain rates (mm/h).

These return one value per lead time, ``(T,)``.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def _check_pair(a, b, who: str):
    if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or a.dim() != 5 or a.shape != b.shape:
        shapes = [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in (a, b)]
        raise ValueError(f"{who}: expected two tensors of the same shape (B, T, C, H, W), got {shapes[0]} and {shapes[1]}")


def _check_unit_range(who: str, **tensors):
    """Each tensor's values in [0, 1]: intensities, not 0-255 pixels. One ``aminmax`` each, one sync.

    NaN is let through (it compares as in range); it shows in the score as NaN.
    """
    named = {name: t for name, t in tensors.items() if t.numel() and t.dtype != torch.bool}
    if not named:
        return
    bounds = torch.stack([torch.stack(torch.aminmax(t.detach())).float() for t in named.values()]).tolist()
    for name, (lo, hi) in zip(named, bounds):
        if lo < 0 or hi > 1:
            hint = " (0-255 pixels? divide by 255)" if hi > 1 else ""
            raise ValueError(
                f"{who}: expected {name} in [0, 1] (intensities or probabilities), got values from "
                f"{lo:g} to {hi:g}{hint}"
            )


def sequence_cross_entropy(logits, target, reduce: bool = True, check_range: bool = True):
    r"""Cross-entropy per sequence, :math:`-\sum_{t,c,h,w} [y \log p + (1-y) \log (1-p)]`.

    where :math:`p = \sigma(\text{logits})` and the sum runs over all predicted frames of one
    sequence; the result is averaged over the sequences (``reduce=True``) or returned per
    sequence ``(B,)``. The target may be any intensity in [0, 1], not only 0 or 1; a target
outside [0, 1] (e.g. 0-255 pixels) is a ValueError. The logits are unbounded. That check costs a
    host-device sync; ``check_range=False`` skips it for data checked once before (``fit``'s
    training step, which must not sync inside a CUDA graph).

    Examples:
        >>> y = torch.zeros(1, 1, 1, 2, 2)
        >>> round(sequence_cross_entropy(torch.zeros_like(y), y).item(), 4)  # 4 pixels of log 2
        2.7726
    """
    _check_pair(logits, target, "sequence_cross_entropy")
    if check_range:
        _check_unit_range("sequence_cross_entropy", target=target)
    per_pixel = F.binary_cross_entropy_with_logits(logits.float(), target.float(), reduction="none")
    per_sequence = per_pixel.flatten(1).sum(1)  # (B,)
    return per_sequence.mean() if reduce else per_sequence


def frame_mse(pred, target, reduce: bool = True):
    r"""Squared error summed over a frame's pixels, :math:`\sum_{c,h,w} (\hat y - y)^2`, averaged over frames.

    Examples:
        >>> frame_mse(torch.ones(1, 2, 1, 2, 2), torch.zeros(1, 2, 1, 2, 2)).item()
        4.0
    """
    _check_pair(pred, target, "frame_mse")
    _check_unit_range("frame_mse", pred=pred, target=target)
    per_frame = (pred.float() - target.float()).square().flatten(2).sum(2)  # (B, T)
    return per_frame.mean() if reduce else per_frame


def frame_mae(pred, target, reduce: bool = True):
    r"""Absolute error summed over a frame's pixels, :math:`\sum_{c,h,w} |\hat y - y|`, averaged over frames.

    Examples:
        >>> frame_mae(torch.full((1, 1, 1, 2, 2), 0.5), torch.zeros(1, 1, 1, 2, 2)).item()
        2.0
    """
    _check_pair(pred, target, "frame_mae")
    _check_unit_range("frame_mae", pred=pred, target=target)
    per_frame = (pred.float() - target.float()).abs().flatten(2).sum(2)  # (B, T)
    return per_frame.mean() if reduce else per_frame


# SSIM's data_range by convention: the C_1 = (0.01 L)^2, C_2 = (0.03 L)^2 of Wang et al. (2004) use L.
SSIM_DATA_RANGE = {
    "data_range_1": 1.0,  # the range of frames in [0, 1]: Wang et al.'s definition
    # OpenSTL calls scikit-image without data_range (it pins scikit-image<=0.19.3); for float
    # images those versions take the range of the dtype, -1 to 1, so L = 2.
    "openstl": 2.0,
}


def frame_ssim(pred, target, reduce: bool = True, data_range: float | None = None,
               convention: str = "data_range_1"):
    r"""Structural similarity of each predicted frame with its target (scikit-image).

    .. math::
        \mathrm{SSIM}(x, y) = \frac{(2 \mu_x \mu_y + C_1)(2 \sigma_{xy} + C_2)}
        {(\mu_x^2 + \mu_y^2 + C_1)(\sigma_x^2 + \sigma_y^2 + C_2)}, \quad
        C_1 = (0.01 L)^2, \ C_2 = (0.03 L)^2

    where the means, variances (sample, :math:`n - 1`) and covariance are taken over each 7x7
    window lying wholly inside the frame, and the frame's score is the mean over windows
    (``skimage.metrics.structural_similarity`` with its defaults). :math:`L` is the data range:

    * ``convention="data_range_1"`` (the default): :math:`L = 1`, the range of frames in
      [0, 1], as Wang et al. (2004) define it;
    * ``convention="openstl"``: :math:`L = 2` and predictions clipped to [0, 1] first, as
      OpenSTL's benchmark computes it. OpenSTL passes no ``data_range``, and the
      scikit-image it pins (<= 0.19.3) then takes the range of the float dtype, -1 to 1;
      scikit-image >= 0.21 refuses float images without ``data_range`` instead, so it is
      passed here explicitly. A larger :math:`L` makes :math:`C_1, C_2` larger, which pulls
      both factors towards 1 (as a rule the same forecasts score higher), so only scores of
      the same convention compare.

    ``data_range`` sets :math:`L` directly (then ``convention`` must stay the default).
    Channels, if more than one, are averaged. Runs on the CPU; returns a float, or a
    ``(B, T)`` numpy array with ``reduce=False``.

    Examples:
        >>> x = torch.rand(1, 2, 1, 16, 16)
        >>> round(frame_ssim(x, x), 6)
        1.0
        >>> p, y = torch.full((1, 1, 1, 7, 7), 0.5), torch.zeros(1, 1, 1, 7, 7)
        >>> round(frame_ssim(p, y), 6), round(frame_ssim(p, y, convention="openstl"), 6)  # C1 / (0.25 + C1)
        (0.0004, 0.001597)
    """
    from skimage.metrics import structural_similarity

    _check_pair(pred, target, "frame_ssim")
    # OpenSTL clips the predictions to [0, 1] itself, so under its convention only the target
    # must be in range.
    checked = {"target": target} if convention == "openstl" else {"pred": pred, "target": target}
    _check_unit_range("frame_ssim", **checked)
    if convention not in SSIM_DATA_RANGE:
        raise ValueError(f"frame_ssim: expected convention in {sorted(SSIM_DATA_RANGE)}, got {convention!r}")
    if data_range is None:
        data_range = SSIM_DATA_RANGE[convention]
    elif convention != "data_range_1":
        raise ValueError(f"frame_ssim: give data_range or convention, not both (got {data_range!r} and {convention!r})")
    elif isinstance(data_range, bool) or not isinstance(data_range, (int, float)) or not data_range > 0:
        raise ValueError(f"frame_ssim: expected data_range as a positive number, got {data_range!r}")
    p = pred.detach().float().cpu().numpy()
    y = target.detach().float().cpu().numpy()
    if convention == "openstl":
        p = p.clip(0, 1)  # OpenSTL clips predictions to [0, 1] before SSIM and PSNR
    B, T, C = p.shape[:3]
    scores = np.empty((B, T))
    for b in range(B):
        for t in range(T):
            scores[b, t] = np.mean(
                [structural_similarity(p[b, t, c], y[b, t, c], data_range=data_range) for c in range(C)]
            )
    return float(scores.mean()) if reduce else scores


def centre_of_mass(frames) -> torch.Tensor:
    r"""The intensity-weighted centre ``(row, col)`` of each frame, in pixels.

    .. math::
        \bar r = \frac{\sum_{r,c} r\, x_{rc}}{\sum_{r,c} x_{rc}}, \quad
        \bar c = \frac{\sum_{r,c} c\, x_{rc}}{\sum_{r,c} x_{rc}}

    with rows and columns counted from 0 at the top left. A frame with no ink has no
    centre: NaN.

    Shape:
        - frames: ``(..., H, W)``, non-negative (e.g. intensities in [0, 1])
        - output: ``(..., 2)``, the dtype of ``frames`` (float32 for integer frames)

    Examples:
        >>> frame = torch.zeros(5, 5); frame[1, 3] = 1.0; frame[3, 3] = 1.0
        >>> centre_of_mass(frame).tolist()  # halfway between rows 1 and 3, in column 3
        [2.0, 3.0]
    """
    if not isinstance(frames, torch.Tensor) or frames.dim() < 2:
        got = tuple(frames.shape) if isinstance(frames, torch.Tensor) else type(frames).__name__
        raise ValueError(f"centre_of_mass: expected frames of shape (..., H, W), got {got}")
    if not frames.is_floating_point():
        frames = frames.float()
    if frames.numel() and frames.detach().min().item() < 0:
        raise ValueError(
            f"centre_of_mass: expected non-negative frames (a mass), got a minimum of {frames.min().item():g}"
        )
    H, W = frames.shape[-2:]
    rows = torch.arange(H, dtype=frames.dtype, device=frames.device)  # (H,)
    cols = torch.arange(W, dtype=frames.dtype, device=frames.device)  # (W,)
    mass = frames.sum((-2, -1))  # (...)
    row = (frames.sum(-1) * rows).sum(-1) / mass  # (...)
    col = (frames.sum(-2) * cols).sum(-1) / mass  # (...)
    return torch.stack([row, col], -1)  # (..., 2)


def frame_psnr(pred, target, reduce: bool = True):
    r"""Peak signal-to-noise ratio of each frame in [0, 1], in dB, averaged over frames (OpenSTL's).

    .. math::
        \mathrm{PSNR} = 10 \log_{10} \frac{1}{\mathrm{MSE}}, \qquad
        \mathrm{MSE} = \frac{1}{CHW} \sum_{c,h,w} (\hat y - y)^2

    per frame, with the predictions clipped to [0, 1] first (the peak is 1); the frames'
    dB values are then averaged, as OpenSTL's benchmark reports PSNR. The mean here runs
    over the pixels, where :func:`frame_mse` sums them. A frame predicted exactly scores
    ``inf`` (as in OpenSTL), and so does the average.

    Shape:
        - pred, target: ``(B, T, C, H, W)``, frames in [0, 1]
        - output: a float, or ``(B, T)`` float64 with ``reduce=False``

    Examples:
        >>> round(frame_psnr(torch.full((1, 1, 1, 2, 2), 0.1), torch.zeros(1, 1, 1, 2, 2)), 6)  # MSE 0.01
        20.0
    """
    _check_pair(pred, target, "frame_psnr")
    _check_unit_range("frame_psnr", target=target)  # the predictions are clipped below
    p, y = pred.detach().double().clamp(0, 1), target.detach().double()
    mse = (p - y).square().flatten(2).mean(2)  # (B, T)
    per_frame = -10 * torch.log10(mse)  # (B, T); inf where mse == 0
    return per_frame.mean().item() if reduce else per_frame


# ------------------------------------------------------------------ precipitation nowcasting


def _check_rain_pair(pred, obs, who: str):
    """Both as float64 tensors of the same shape ``(B, T, C, H, W)``, finite."""
    if not isinstance(pred, torch.Tensor) and not isinstance(pred, np.ndarray):
        raise ValueError(f"{who}: expected pred as a tensor or numpy array, got {type(pred).__name__}")
    if not isinstance(obs, torch.Tensor) and not isinstance(obs, np.ndarray):
        raise ValueError(f"{who}: expected obs as a tensor or numpy array, got {type(obs).__name__}")
    pred, obs = torch.as_tensor(pred).detach(), torch.as_tensor(obs).detach()
    _check_pair(pred, obs, who)
    pred, obs = pred.double().cpu(), obs.double().cpu()
    for name, x in (("pred", pred), ("obs", obs)):
        if not torch.isfinite(x).all():
            raise ValueError(
                f"{who}: expected finite values, got {int((~torch.isfinite(x)).sum())} NaN or infinite in {name} "
                "(pysteps' extrapolation fills inflow with NaN unless outval is set)"
            )
    return pred, obs


def contingency_counts(pred, obs, threshold: float) -> dict:
    r"""Hits, misses, false alarms and correct negatives per lead time, events :math:`\geq` threshold.

    An *event* is a pixel at or above ``threshold`` (HKO-7's convention; pysteps'
    ``det_cat_fct`` counts ``>``, which differs only for values exactly at the threshold).
    The counts are pooled over sequences, channels and pixels, as HKO-7's evaluation
    accumulates them over its test set.

    ============  ==============  ==============
    \             observed event  observed none
    ============  ==============  ==============
    predicted     hits            false alarms
    not predicted misses          correct negatives
    ============  ==============  ==============

    Shape:
        - pred, obs: ``(B, T, C, H, W)``, tensors or numpy arrays (e.g. rain rates in mm/h)
        - each count: ``(T,)``, int64

    Examples:
        >>> obs = torch.tensor([0.0, 1.0, 2.0, 3.0]).view(1, 1, 1, 2, 2)
        >>> pred = torch.tensor([2.0, 2.0, 0.0, 3.0]).view(1, 1, 1, 2, 2)
        >>> {k: v.tolist() for k, v in contingency_counts(pred, obs, 2.0).items()}
        {'hits': [1], 'misses': [1], 'false_alarms': [2], 'correct_negatives': [0]}
    """
    pred, obs = _check_rain_pair(pred, obs, "contingency_counts")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
        raise ValueError(f"contingency_counts: expected threshold as a finite number, got {threshold!r}")
    p, o = pred >= threshold, obs >= threshold  # each (B, T, C, H, W)

    def count(mask):
        return mask.transpose(0, 1).flatten(1).sum(1)  # (T,)

    return {"hits": count(p & o), "misses": count(~p & o), "false_alarms": count(p & ~o),
            "correct_negatives": count(~p & ~o)}


def _ratio(numerator, denominator, when_empty: float):
    """``numerator / denominator``, and ``when_empty`` where the denominator is 0 (by definition, not NaN)."""
    denominator = denominator.double()
    out = numerator.double() / torch.where(denominator == 0, torch.ones_like(denominator), denominator)
    return torch.where(denominator == 0, torch.full_like(out, when_empty), out)


def scores_from_counts(counts: dict) -> dict:
    r"""CSI, FAR, POD and HSS from a contingency table (``hits`` :math:`a`, ``false_alarms`` :math:`b`,
    ``misses`` :math:`c`, ``correct_negatives`` :math:`d`).

    .. math::
        \mathrm{CSI} = \frac{a}{a + b + c}, \quad \mathrm{FAR} = \frac{b}{a + b}, \quad
        \mathrm{POD} = \frac{a}{a + c}, \quad
        \mathrm{HSS} = \frac{2 (a d - b c)}{(a + c)(c + d) + (a + b)(b + d)}

    Empty cases are defined, never NaN: with no event observed and none predicted
    (:math:`a + b + c = 0`) the forecast is perfect, CSI = 1; with no event predicted
    (:math:`a + b = 0`) there is no false alarm, FAR = 0; with no event observed
    (:math:`a + c = 0`) nothing was missed, POD = 1; HSS's denominator is 0 only when
    observation and forecast are the same uniform field, HSS = 1.

    Shape:
        - each count: any shape, e.g. ``(T,)``
        - each score: the same shape, float64

    Examples:
        >>> counts = {k: torch.tensor([v]) for k, v in
        ...           dict(hits=1, misses=1, false_alarms=2, correct_negatives=0).items()}
        >>> {k: round(v.item(), 4) for k, v in scores_from_counts(counts).items()}
        {'csi': 0.25, 'far': 0.6667, 'pod': 0.5, 'hss': -0.5}
    """
    a, b, c, d = (torch.as_tensor(counts[k]).double()
                  for k in ("hits", "false_alarms", "misses", "correct_negatives"))
    hss_denominator = (a + c) * (c + d) + (a + b) * (b + d)
    return {"csi": _ratio(a, a + b + c, 1.0), "far": _ratio(b, a + b, 0.0), "pod": _ratio(a, a + c, 1.0),
            "hss": _ratio(2 * (a * d - b * c), hss_denominator, 1.0)}


def categorical_scores(pred, obs, threshold: float) -> dict:
    r"""The contingency table and CSI, FAR, POD, HSS per lead time, events :math:`\geq` threshold.

    :func:`contingency_counts` then :func:`scores_from_counts` (see both for the
    conventions: events are ``>= threshold`` as in HKO-7, where pysteps counts ``>``; counts
    are pooled over sequences and pixels; empty cases are defined, not NaN). To score a data
    set in batches, add up the counts of the batches and call :func:`scores_from_counts`.

    Shape:
        - pred, obs: ``(B, T, C, H, W)``, e.g. rain rates in mm/h
        - output: a dict of ``(T,)`` tensors: ``hits``, ``misses``, ``false_alarms``,
          ``correct_negatives``, ``csi``, ``far``, ``pod``, ``hss``

    Examples:
        >>> obs = torch.zeros(2, 3, 1, 4, 4)
        >>> categorical_scores(obs, obs, 0.5)["csi"].tolist()  # no rain, none predicted: perfect
        [1.0, 1.0, 1.0]
    """
    counts = contingency_counts(pred, obs, threshold)
    return {**counts, **scores_from_counts(counts)}


def rainfall_mse(pred, obs) -> torch.Tensor:
    r"""Mean squared error of rain rates per lead time, :math:`\frac{1}{BCHW} \sum (\hat R - R)^2`.

    Shi et al. (2015) report this "rainfall-MSE" on rain rates (mm/h) from the Z-R relation;
    here the mean runs over every pixel of every sequence, rain or not.

    Shape:
        - pred, obs: ``(B, T, C, H, W)``, rain rates
        - output: ``(T,)``, float64

    Examples:
        >>> rainfall_mse(torch.ones(2, 3, 1, 2, 2), torch.zeros(2, 3, 1, 2, 2)).tolist()
        [1.0, 1.0, 1.0]
    """
    pred, obs = _check_rain_pair(pred, obs, "rainfall_mse")
    return (pred - obs).square().transpose(0, 1).flatten(1).mean(1)  # (T,)


def rainfall_correlation(pred, obs, eps: float = 1e-9) -> torch.Tensor:
    r"""The correlation of Shi et al. (2015) per lead time, averaged over sequences.

    .. math::
        \rho = \frac{\sum_{i,j} \hat R_{ij} R_{ij}}{\sqrt{\sum_{i,j} \hat R_{ij}^2 \, \sum_{i,j} R_{ij}^2} + \varepsilon}

    where the sums run over the pixels of one frame (not centred: rain rates are positive,
    so this is the cosine of the angle between the two frames) and :math:`\varepsilon = 10^{-9}`.
    A frame that is all zeros in either scores 0.

    Shape:
        - pred, obs: ``(B, T, C, H, W)``, rain rates
        - output: ``(T,)``, float64

    Examples:
        >>> x = torch.rand(2, 3, 1, 8, 8)
        >>> torch.allclose(rainfall_correlation(x, 2 * x), torch.ones(3, dtype=torch.float64))
        True
    """
    pred, obs = _check_rain_pair(pred, obs, "rainfall_correlation")
    p, o = pred.flatten(2), obs.flatten(2)  # (B, T, C*H*W)
    rho = (p * o).sum(2) / ((p.square().sum(2) * o.square().sum(2)).sqrt() + eps)  # (B, T)
    return rho.mean(0)  # (T,)
