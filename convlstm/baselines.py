r"""What forecasters compare a nowcast with: persistence and optical-flow extrapolation.

* :class:`Constant` and :class:`LastFrame`: the two trivial forecasts as models, called like
  :class:`~convlstm.models.EncoderForecaster` (``model(frames, future=T)`` gives logits), so
  :func:`convlstm.train.evaluate` scores them the same way;
* :func:`persistence`: the last observed frame, repeated.
* :func:`optical_flow`: a motion field estimated from the observed frames with pysteps
  (Pulkkinen et al. 2019), then the last frame carried along it by semi-Lagrangian
  extrapolation: the paper's ROVER baseline in spirit (Shi et al. 2015 used the Hong Kong
  Observatory's ROVER, optical flow then semi-Lagrangian advection).
* :func:`extrapolate`: the same extrapolation along a given motion field, e.g. the true motion
  of :class:`~convlstm.radar.SyntheticRadar`: the motion that moved the data, frozen at the last
  observed map. It is not the best any extrapolation can do. With growth and decay the
  rain does not follow that field alone, and a flow fitted to the last maps (plus the
  smoothing of its interpolation) can partly absorb those changes; and CSI rewards smooth
  forecasts. So optical flow can beat it, as it does in chapter 5 at growth 0.03 and 0.06.

pysteps is optional: ``convlstm`` imports without it, and these functions import it when
called. Two of its defaults are changed here on purpose: its extrapolation fills pixels whose
rain comes from outside the frame with NaN (``outval=nan``), which would make every score NaN,
so inflow is filled with ``outval=0`` (no rain); and its messages are silenced.
"""
from __future__ import annotations

import contextlib
import io
import numbers

import numpy as np
import torch
from torch import nn

from ._checks import _check_int
from .models import _check_frames

PYSTEPS_MISSING = (
    "{who} needs pysteps (pip install pysteps; it builds from source with a C compiler, "
    "and it is pinned in requirements.txt). Without it, run the chapter with "
    "OPTICAL_FLOW = False: it then skips the optical-flow rows."
)
# How many of the last observed frames each motion method uses (pysteps' limits).
FRAMES_USED = {"vet": 3, "proesmans": 2, "darts": None}  # None: all of them


def _pysteps(who: str):
    """Import pysteps without its configuration banner (a path that differs between machines)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            import pysteps  # noqa: F401
            from pysteps import motion, nowcasts
    except ImportError as error:
        raise ImportError(PYSTEPS_MISSING.format(who=who)) from error
    return motion, nowcasts


def has_pysteps() -> bool:
    """Whether pysteps can be imported (the optical-flow baseline needs it)."""
    try:
        _pysteps("has_pysteps")
    except ImportError:
        return False
    return True


def persistence(observed: torch.Tensor, future: int = 15) -> torch.Tensor:
    """The last observed frame as the forecast for every future step.

    Shape:
        - observed: ``(B, T_in, C, H, W)``
        - output: ``(B, future, C, H, W)``

    Examples:
        >>> x = torch.arange(6.0).view(1, 3, 1, 1, 2)
        >>> persistence(x, future=2)[0, :, 0, 0].tolist()
        [[4.0, 5.0], [4.0, 5.0]]
    """
    _check_observed(observed, "persistence")
    _check_int(future, "future", 1, "persistence")
    return observed[:, -1:].expand(-1, future, -1, -1, -1).clone()  # (B, future, C, H, W)


def _check_observed(observed, who: str):
    """Observed frames ``(B, T, C, H, W)``, any channels, with at least one step."""
    if not isinstance(observed, torch.Tensor) or observed.dim() != 5:
        got = tuple(observed.shape) if isinstance(observed, torch.Tensor) else type(observed).__name__
        raise ValueError(f"{who}: expected observed frames of shape (B, T, C, H, W), got {got}")
    if observed.shape[1] == 0:
        raise ValueError(f"{who}: expected at least one observed frame (T >= 1), got shape {tuple(observed.shape)}")


def _check_probability(p, name: str, who: str) -> float:
    """A number strictly inside (0, 1) (its logit is finite), as a float."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 < p < 1.0:
        raise ValueError(f"{who}: expected {name} strictly between 0 and 1 (its logit must be finite), got {p!r}")
    return float(p)


class Constant(nn.Module):
    r"""A forecast that ignores the movie: every pixel of every frame at probability ``p``.

    Its logit is :math:`\operatorname{logit}(p) = \log \frac{p}{1 - p}` everywhere; with ``p``
    the data's mean intensity it is the best forecast that knows nothing of the frames.

    Args:
        p: the probability (intensity) of every pixel, strictly between 0 and 1.

    Shape:
        - frames: ``(B, T_in, C, H, W)``; only its shape, device and dtype are read
        - output: logits ``(B, future, C, H, W)``

    Examples:
        >>> model = Constant(0.5)
        >>> model(torch.rand(2, 10, 1, 4, 4), future=3).shape
        torch.Size([2, 3, 1, 4, 4])
        >>> model(torch.rand(1, 1, 1, 1, 1), future=1).item()  # logit(0.5)
        0.0
    """

    def __init__(self, p: float):
        super().__init__()
        self.p = _check_probability(p, "p", "Constant")
        self.logit = torch.logit(torch.tensor(self.p)).item()

    def forward(self, frames, future: int = 10):
        _check_observed(frames, "Constant")
        _check_int(future, "future", 1, "Constant")
        B, _, C, H, W = frames.shape
        return torch.full((B, future, C, H, W), self.logit, device=frames.device, dtype=frames.dtype)

    def extra_repr(self):
        return f"p={self.p}"


class LastFrame(nn.Module):
    r"""Persistence as a model: the last observed frame, clipped to ``[eps, 1 - eps]``, as logits.

    .. math::
        \hat y_t = \operatorname{logit}\big(\operatorname{clip}(x_{T_{in}}, \varepsilon,
        1 - \varepsilon)\big), \quad t = 1 \dots T_{out}

    The clip keeps the cross-entropy finite where the last frame is exactly 0 or 1 and the
    truth is not; ``eps`` is best chosen on a validation set.

    Args:
        eps: how far from 0 and 1 the probabilities are clipped, strictly between 0 and 0.5.

    Shape:
        - frames: ``(B, T_in, C, H, W)``, intensities in [0, 1]
        - output: logits ``(B, future, C, H, W)``

    Examples:
        >>> frames = torch.tensor([0.0, 0.5, 1.0]).view(1, 1, 1, 1, 3)
        >>> torch.sigmoid(LastFrame(0.1)(frames, future=2))[0, :, 0, 0]
        tensor([[0.1000, 0.5000, 0.9000],
                [0.1000, 0.5000, 0.9000]])
    """

    def __init__(self, eps: float):
        super().__init__()
        self.eps = _check_probability(eps, "eps", "LastFrame")
        if self.eps >= 0.5:
            raise ValueError(f"LastFrame: expected eps below 0.5 (the clip is [eps, 1 - eps]), got {eps!r}")

    def forward(self, frames, future: int = 10):
        _check_observed(frames, "LastFrame")
        _check_int(future, "future", 1, "LastFrame")
        p = frames[:, -1:].clamp(self.eps, 1 - self.eps)  # (B, 1, C, H, W)
        return torch.logit(p).expand(-1, future, -1, -1, -1)  # (B, future, C, H, W)

    def extra_repr(self):
        return f"eps={self.eps}"


def extrapolate(frame, velocity, future: int = 15, outval: float = 0.0) -> np.ndarray:
    """Carry one frame along a motion field for ``future`` steps (pysteps' semi-Lagrangian scheme).

    Args:
        frame: the last observed frame, ``(H, W)``.
        velocity: ``(2, H, W)``: ``velocity[0]`` along x (columns), ``velocity[1]`` along y
            (rows), in pixels per frame, as :meth:`convlstm.radar.Motion.field` gives it.
        future: steps to extrapolate.
        outval: the value of rain that comes from outside the frame (pysteps' default is NaN).

    Shape:
        - output: ``(future, H, W)``, float64
    """
    _, nowcasts = _pysteps("extrapolate")
    frame, velocity = np.asarray(frame, dtype=np.float64), np.asarray(velocity, dtype=np.float64)
    if frame.ndim != 2 or velocity.shape != (2, *frame.shape):
        raise ValueError(f"extrapolate: expected a frame (H, W) and a velocity (2, H, W), got {frame.shape} "
                         f"and {velocity.shape}")
    _check_int(future, "future", 1, "extrapolate")
    forecast = nowcasts.get_method("extrapolation")(frame, velocity, future, extrap_kwargs={"outval": outval})
    return forecast  # (future, H, W)


def _pyramid_levels(side: int, coarsest: int = 8, most: int = 6) -> int:
    """Levels of an image pyramid (halving each time) whose coarsest level keeps >= ``coarsest`` pixels."""
    levels = 1
    while side // 2 >= coarsest and levels < most:
        side, levels = side // 2, levels + 1
    return levels


def estimate_motion(frames, method: str = "proesmans", **kwargs) -> np.ndarray:
    """A motion field from a few consecutive frames, with pysteps.

    ``"vet"`` (variational echo tracking) uses the last 3 frames, ``"proesmans"`` the last 2,
    ``"darts"`` all of them: pysteps' DARTS needs more frames than its ``N_t`` (default 4)
    plus one, so with fewer than 6 frames ``N_t`` is lowered to ``T - 2``. The paper
    observes 5 frames. VET and DARTS are slow on a CPU (seconds to a minute per 100x100
    sequence where this was written); Proesmans' method takes a fraction of a second.

    Proesmans' method works on an image pyramid, 6 levels by default; on frames smaller than
    about 2^6 * 8 pixels its coarsest levels shrink to a pixel or two, where pysteps' compiled
    code reads outside its arrays (NaN or garbage, differently from run to run). So unless
    ``num_levels`` is given, the pyramid stops at 8 pixels (4 levels for 100x100 frames).

    Shape:
        - frames: ``(T, H, W)``
        - output: ``(2, H, W)``, pixels per frame, x (columns) first
    """
    motion, _ = _pysteps("estimate_motion")
    if method not in FRAMES_USED:
        raise ValueError(f"estimate_motion: expected method in {sorted(FRAMES_USED)}, got {method!r}")
    frames = np.asarray(frames, dtype=np.float64)
    if frames.ndim != 3 or len(frames) < 2:
        raise ValueError(f"estimate_motion: expected at least 2 frames (T, H, W), got shape {frames.shape}")
    used = FRAMES_USED[method]
    if method == "proesmans":
        kwargs.setdefault("num_levels", _pyramid_levels(min(frames.shape[1:])))
    if method == "darts":
        if len(frames) < 3:
            raise ValueError(f"estimate_motion: DARTS needs at least 3 frames, got {len(frames)}")
        kwargs.setdefault("N_t", min(4, len(frames) - 2))
    with contextlib.redirect_stdout(io.StringIO()):
        return motion.get_method(method)(frames if used is None else frames[-used:], verbose=False, **kwargs)


def optical_flow(observed: torch.Tensor, future: int = 15, method: str = "proesmans", outval: float = 0.0,
                 return_motion: bool = False, **kwargs):
    """Optical-flow extrapolation of each sequence: :func:`estimate_motion`, then :func:`extrapolate`.

    Runs on the CPU, one sequence at a time, in the units of ``observed`` (pixel / 255 works:
    the motion does not depend on the scale, and extrapolation only moves values).

    Args:
        observed: the observed frames.
        future: steps to forecast.
        method: ``"proesmans"``, ``"vet"`` or ``"darts"`` (see :func:`estimate_motion`).
        outval: the value of rain flowing in from outside the frame (0: none).
        return_motion: also return the motion fields ``(B, 2, H, W)``.
        kwargs: passed to the pysteps motion method.

    Shape:
        - observed: ``(B, T_in, 1, H, W)``
        - output: ``(B, future, 1, H, W)``, the dtype and device of ``observed``
    """
    _check_frames(observed, 1, "optical_flow")
    _check_int(future, "future", 1, "optical_flow")
    frames = observed[:, :, 0].detach().cpu().double().numpy()  # (B, T_in, H, W)
    forecasts, motions = [], []
    for sequence in frames:
        velocity = estimate_motion(sequence, method, **kwargs)  # (2, H, W)
        forecasts.append(extrapolate(sequence[-1], velocity, future, outval))  # (future, H, W)
        motions.append(velocity)
    out = torch.from_numpy(np.stack(forecasts)).unsqueeze(2).to(observed.device, observed.dtype)  # (B, future, 1, H, W)
    return (out, torch.from_numpy(np.stack(motions))) if return_motion else out
