r"""Radar echoes: HKO-7's unit conversions and a synthetic radar data set with known motion.

Shi et al. (2015) trained on radar maps of the Hong Kong Observatory, which are not public;
the HKO-7 benchmark (Shi et al. 2017) later defined how its images map to physical units:

.. math::
    \mathrm{dBZ} = \frac{\text{pixel}}{255} \cdot 70 - 10, \qquad
    Z = 10^{\mathrm{dBZ}/10} = a R^{b}, \quad a = 58.53,\ b = 1.56

where :math:`Z` is the radar reflectivity factor (mm\ :sup:`6` m\ :sup:`-3`) and :math:`R`
the rain rate (mm/h). :func:`pixel_to_dbz`, :func:`dbz_to_rain_rate` and their inverses
convert numpy arrays, torch tensors and floats alike.

:class:`SyntheticRadar` makes radar-like sequences offline, with the physics in the reader's
hands: a random field with a power-law spectrum (slope about 3, like rain fields), thresholded
into rain and no rain, carried by a velocity field that is a translation plus a rotation,
and growing or decaying along the way at a rate set by one parameter, ``growth``. With
``growth=0`` the rain is only moved, and extrapolation along the true motion is right but for
rain that flows in from outside the frame and the smoothing of interpolation; the larger
``growth``, the sooner the future stops being a moved copy of the past.

For training runs, :meth:`SyntheticRadar.cached` generates every sequence once (in batches,
on a GPU if given one) and keeps them as uint8, so epochs read memory instead of drawing
fields again.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from ._checks import _check_int, _item_index

ZR_A = 58.53  # HKO-7's Z-R relation Z = a R^b (Shi et al. 2017)
ZR_B = 1.56
NO_ECHO_DBZ = -10.0  # pixel 0
RAIN_DBZ = 10.0  # the weakest echo the generator draws; weaker is "no rain" (pixel 0)
DBZ_PER_STD = 15.0  # reflectivity per standard deviation of the field above the rain edge
_SALT = 5  # part of every item's seed, so radar items never share a stream with other data


# ------------------------------------------------------------------------------ conversions


def _log10(x):
    return torch.log10(x) if isinstance(x, torch.Tensor) else np.log10(x)


def pixel_to_dbz(pixel):
    r"""Reflectivity of an HKO-7 pixel value, :math:`\mathrm{dBZ} = \text{pixel} / 255 \cdot 70 - 10`.

    Examples:
        >>> pixel_to_dbz(0), pixel_to_dbz(255)
        (-10.0, 60.0)
    """
    return pixel / 255 * 70 - 10


def dbz_to_pixel(dbz):
    r"""The inverse of :func:`pixel_to_dbz`, :math:`\text{pixel} = (\mathrm{dBZ} + 10) / 70 \cdot 255`.

    Not rounded or clipped: HKO-7's images store ``round`` of it, clipped to ``[0, 255]``.

    Examples:
        >>> dbz_to_pixel(25.0)
        127.5
    """
    return (dbz + 10) / 70 * 255


def dbz_to_rain_rate(dbz, a: float = ZR_A, b: float = ZR_B):
    r"""Rain rate (mm/h) from reflectivity: :math:`R = (10^{\mathrm{dBZ}/10} / a)^{1/b}`.

    Examples:
        >>> round(float(dbz_to_rain_rate(10 * np.log10(58.53))), 12)  # Z = a: R = 1 mm/h
        1.0
    """
    return (10 ** (dbz / 10) / a) ** (1 / b)


def rain_rate_to_dbz(rain_rate, a: float = ZR_A, b: float = ZR_B):
    r"""Reflectivity from rain rate (mm/h): :math:`\mathrm{dBZ} = 10 \log_{10}(a R^b)`.

    Examples:
        >>> round(float(rain_rate_to_dbz(0.5)), 2)  # HKO-7's lowest threshold
        12.98
    """
    return 10 * (math.log10(a) + b * _log10(rain_rate))


def pixel_to_rain_rate(pixel, a: float = ZR_A, b: float = ZR_B):
    """Rain rate (mm/h) of an HKO-7 pixel value: :func:`pixel_to_dbz`, then :func:`dbz_to_rain_rate`.

    Examples:
        >>> round(float(pixel_to_rain_rate(255)), 1)  # 60 dBZ
        516.7
    """
    return dbz_to_rain_rate(pixel_to_dbz(pixel), a, b)


def rain_rate_to_pixel(rain_rate, a: float = ZR_A, b: float = ZR_B):
    """HKO-7 pixel value (not rounded) of a rain rate (mm/h): the inverse of :func:`pixel_to_rain_rate`.

    Examples:
        >>> round(float(rain_rate_to_pixel(pixel_to_rain_rate(100.0))), 9)
        100.0
    """
    return dbz_to_pixel(rain_rate_to_dbz(rain_rate, a, b))


# ---------------------------------------------------------------------------- the generator


@functools.lru_cache(maxsize=16)
def _spectral_filter(size: int, slope: float, device: torch.device) -> torch.Tensor:
    """:math:`|k|^{-slope/2}` on the grid of ``rfft2``, 0 at :math:`k = 0`: ``(size, size // 2 + 1)``."""
    ky = np.fft.fftfreq(size)[:, None]  # (N, 1)
    kx = np.fft.rfftfreq(size)[None, :]  # (1, N//2 + 1)
    k2 = kx**2 + ky**2
    k2[0, 0] = np.inf  # no mean
    return torch.from_numpy((k2 ** (-slope / 4)).astype(np.float32)).to(device)  # (N, N//2 + 1)


def _fourier_noise(rng: np.random.Generator, size: int) -> np.ndarray:
    """White noise as Fourier coefficients: real and imaginary parts, ``(2, size, size // 2 + 1)``."""
    return rng.standard_normal((2, size, size // 2 + 1), dtype=np.float32)


def _fields_from_noise(noise: torch.Tensor, slope: float) -> torch.Tensor:
    """:func:`power_law_field` for a batch of noise ``(B, 2, N, N//2 + 1)``: ``(B, N, N)`` on its device."""
    size = noise.shape[-2]
    coefficients = torch.complex(noise[:, 0], noise[:, 1])  # (B, N, N//2 + 1)
    spectrum = coefficients * _spectral_filter(size, float(slope), noise.device)  # (B, N, N//2 + 1)
    field = torch.fft.irfft2(spectrum, s=(size, size))  # (B, N, N)
    field = field - field.mean((1, 2), keepdim=True)
    # One field at a time: on the CPU, torch's std over the last dims of a batch is five times
    # slower than over each field alone (and gives the same bits).
    std = torch.stack([f.std(unbiased=False) for f in field])  # (B,)
    return field / std[:, None, None]  # (B, N, N)


def power_law_field(rng: np.random.Generator, size: int, slope: float = 3.0) -> torch.Tensor:
    r"""A periodic Gaussian random field whose power spectrum falls as :math:`|k|^{-\beta}`.

    White noise, drawn directly as Fourier coefficients (independent complex Gaussians), is
    filtered by :math:`|k|^{-\beta/2}` (the mean, :math:`k = 0`, is removed), transformed
    back and scaled to mean 0 and standard deviation 1. Rain fields have
    :math:`\beta \approx 3` in two dimensions; larger slopes give smoother fields.

    Shape:
        - output: ``(size, size)``, float32

    Examples:
        >>> z = power_law_field(np.random.default_rng(0), 64)
        >>> tuple(z.shape), abs(z.mean().item()) < 1e-6, round(z.std(unbiased=False).item(), 4)
        ((64, 64), True, 1.0)
    """
    noise = torch.from_numpy(_fourier_noise(rng, size))[None]  # (1, 2, N, N//2 + 1)
    return _fields_from_noise(noise, slope)[0]  # (N, N)


@dataclass(frozen=True)
class Motion:
    r"""A rigid motion in the image plane: translation ``velocity`` plus rotation ``omega`` about ``centre``.

    The velocity field is :math:`v(x) = u + \omega J (x - c)` with
    :math:`J = \begin{pmatrix} 0 & -1 \\ 1 & 0 \end{pmatrix}`, in pixels per frame, with
    :math:`x` = (column, row) and rows counted downwards (so :math:`\omega > 0` turns
    clockwise on screen). A point starting at :math:`x_0` is at

    .. math::
        x(t) = c + R(\omega t)(x_0 - c) + A(t) u, \qquad A(t) = \int_0^t R(\omega s)\, ds

    after :math:`t` frames, where :math:`R(\theta)` is the rotation by :math:`\theta`: exact for
    any :math:`t`, with no time stepping.

    Attributes:
        velocity: ``(u_x, u_y)``, pixels per frame.
        omega: radians per frame.
        centre: ``(x, y)`` of the rotation centre, in frame pixels.
    """

    velocity: tuple
    omega: float
    centre: tuple

    def field(self, frame_size: int) -> np.ndarray:
        """The velocity at every pixel, as pysteps wants it: ``V[0]`` along x (columns), ``V[1]`` along y (rows).

        Shape:
            - output: ``(2, frame_size, frame_size)``, pixels per frame
        """
        y, x = np.mgrid[0:frame_size, 0:frame_size].astype(np.float64)  # each (S, S)
        (ux, uy), (cx, cy) = self.velocity, self.centre
        return np.stack([ux - self.omega * (y - cy), uy + self.omega * (x - cx)])  # (2, S, S)

    def backward(self, t) -> np.ndarray:
        r"""The flow run backwards as affine maps: :math:`x_0 = R(-\omega t)\,(x - c - A(t) u) + c`.

        Returns ``M`` with ``M[..., :, :2] @ (x, y) + M[..., :, 2]`` = where the point
        ``(x, y)`` at time ``t`` was at time 0.

        Shape:
            - t: a float or an array ``(...)`` of times, in frames
            - output: ``(..., 2, 3)``
        """
        t = np.asarray(t, dtype=np.float64)
        theta = self.omega * t
        cos, sin = np.cos(theta), np.sin(theta)
        # A(t) u with A(t) = [[s, -q], [q, s]], s = sin(wt)/w, q = (1 - cos wt)/w, safe as w -> 0.
        s = t * np.sinc(theta / np.pi)
        q = t * theta / 2 * np.sinc(theta / (2 * np.pi)) ** 2
        (ux, uy), (cx, cy) = self.velocity, self.centre
        px, py = cx + s * ux - q * uy, cy + q * ux + s * uy  # where the centre's point has gone
        return np.stack([np.stack([cos, sin, cx - cos * px - sin * py], -1),
                         np.stack([-sin, cos, cy + sin * px - cos * py], -1)], -2)  # (..., 2, 3)

    def origin(self, x, y, t):
        """Where the point ``(x, y)`` at time ``t`` (floats) was at time 0.

        Examples:
            >>> Motion((2.0, -1.0), 0.0, (50.0, 50.0)).origin(10.0, 10.0, 3.0)  # pure translation
            (4.0, 13.0)
        """
        m = self.backward(t)  # (2, 3)
        return float(m[0, 0] * x + m[0, 1] * y + m[0, 2]), float(m[1, 0] * x + m[1, 1] * y + m[1, 2])


def _sample(fields: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """Bilinear values of 2-D ``fields`` at ``grid`` (grid_sample's coordinates): ``(B, N, N), (B, P, Q, 2) -> (B, P, Q)``."""
    return F.grid_sample(fields[:, None], grid, mode="bilinear", padding_mode="border", align_corners=True)[:, 0]


def _check_number(value, name: str, minimum: float, who: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value < minimum:
        raise ValueError(f"{who}: expected {name} to be a finite number >= {minimum}, got {value!r}")
    return float(value)


class SyntheticRadar(Dataset):
    r"""Radar-like rain sequences moved by a known motion, with tunable growth and decay.

    Item ``i`` is drawn from ``numpy.random.default_rng([seed, 5, i])``, so it is always the
    same sequence, in any access order. For each item:

    1. a power-law field :math:`z` (:func:`power_law_field`, ``spectral_slope``) on a periodic
       domain larger than the frame, and a smoother one :math:`g` (slope ``spectral_slope + 2``)
       for where the rain grows and decays;
    2. in the frame of the moving rain (Lagrangian), the field turns from :math:`z` towards
       :math:`g`: :math:`z_t(\xi) = \cos(\gamma t)\, z(\xi) + \sin(\gamma t)\, g(\xi)`, with
       :math:`\gamma` = ``growth`` (radians per frame). At first rain grows where :math:`g > 0`
       and decays where :math:`g < 0` (:math:`\partial z_t / \partial t = \gamma g` at
       :math:`t = 0`), a trend the past frames show; the statistics stay the same (:math:`z_t` has unit
       variance), and the correlation of :math:`z_t` with the moved :math:`z` falls as
       :math:`\cos(\gamma t)`. Reflectivity is :math:`D_t = 10 + 15 (z_t - z_0)` dBZ, where
       :math:`z_0` puts the rain edge (10 dBZ) so that a fraction ``rain_fraction`` of the
       domain rains;
    3. frame :math:`t` shows :math:`D_t` at the points the :class:`Motion` brings into view:
       :math:`\text{frame}_t(x) = D_t(\text{origin}(x, t))`; reflectivity below 10 dBZ is no
       echo (pixel 0), the rest becomes HKO-7 pixels (:func:`dbz_to_pixel`), rounded and
       clipped to ``[0, 255]`` like HKO-7's images.

    The motion: speed uniform in ``[0, max_speed]`` in a uniform direction; rotation rate
    uniform in ``[-max_rotation, max_rotation]`` about a uniform point of the central half
    of the frame. ``growth`` is the data set's predictability knob: 0 is pure advection.

    Args:
        num_sequences: ``len()`` of the data set.
        seq_len: frames per sequence (the paper: 5 observed + 15 predicted).
        frame_size: side of the square frame in pixels (the paper: 100).
        seed: a non-negative int.
        growth: radians per frame, >= 0: how fast rain grows and decays in the moving frame
            (0.05 leaves a correlation of cos(0.05 * 19) = 0.58 with the moved first frame
            after 19 frames). Keep ``growth * (seq_len - 1)`` at most :math:`\pi / 2`: past
            that the field turns on towards :math:`-z` and the moved first frame becomes
            predictive again (anti-correlated).
        max_speed: largest translation speed, pixels per frame.
        max_rotation: largest rotation rate, radians per frame.
        spectral_slope: :math:`\beta` of the rain field's power spectrum.
        rain_fraction: share of the domain with rain at :math:`t = 0`, in ``(0, 1)``.

    Shape:
        - item: ``(seq_len, 1, frame_size, frame_size)``, float32 pixel / 255 in ``[0, 1]``
        - :meth:`pixels`: the same as uint8 HKO-7 pixel values

    Examples:
        >>> data = SyntheticRadar(10, seq_len=20, frame_size=100)
        >>> x = data[3]
        >>> tuple(x.shape), x.dtype, torch.equal(x, SyntheticRadar(10)[3])
        ((20, 1, 100, 100), torch.float32, True)
        >>> data.motion(3).field(100).shape  # the true velocity, pixels per frame
        (2, 100, 100)
    """

    def __init__(self, num_sequences: int, seq_len: int = 20, frame_size: int = 100, seed: int = 0,
                 growth: float = 0.0, max_speed: float = 3.0, max_rotation: float = 0.02,
                 spectral_slope: float = 3.0, rain_fraction: float = 0.4):
        who = "SyntheticRadar"
        self.num_sequences = _check_int(num_sequences, "num_sequences", 1, who)
        self.seq_len = _check_int(seq_len, "seq_len", 1, who)
        self.frame_size = _check_int(frame_size, "frame_size", 4, who)
        self.seed = _check_int(seed, "seed", 0, who)
        self.growth = _check_number(growth, "growth", 0, who)
        self.max_speed = _check_number(max_speed, "max_speed", 0, who)
        self.max_rotation = _check_number(max_rotation, "max_rotation", 0, who)
        self.spectral_slope = _check_number(spectral_slope, "spectral_slope", 0, who)
        self.rain_fraction = _check_number(rain_fraction, "rain_fraction", 0, who)
        if not 0 < self.rain_fraction < 1:
            raise ValueError(f"{who}: expected rain_fraction in (0, 1), got {rain_fraction!r}")
        # The domain holds every point that comes into view: the frame, the largest drift
        # and the largest rotation of a frame corner, rounded up to a multiple of 32.
        steps = self.seq_len - 1
        drift = self.max_speed * steps + self.max_rotation * steps * self.frame_size
        self.domain_size = int(math.ceil((self.frame_size + 2 * drift + 8) / 32) * 32)
        self._offset = (self.domain_size - self.frame_size) / 2  # frame pixel -> domain pixel
        self._edge = NormalDist().inv_cdf(1 - self.rain_fraction)  # z_0

    def __len__(self) -> int:
        return self.num_sequences

    def _rng(self, index) -> tuple[int, np.random.Generator]:
        i = _item_index(index, self.num_sequences, "SyntheticRadar")
        return i, np.random.default_rng([self.seed, _SALT, i])

    def motion(self, index) -> Motion:
        """The true motion of sequence ``index`` (pixels and radians per frame)."""
        _, rng = self._rng(index)
        return self._draw_motion(rng)

    def _draw_motion(self, rng: np.random.Generator) -> Motion:
        speed, angle = self.max_speed * rng.random(), 2 * math.pi * rng.random()
        omega = self.max_rotation * (2 * rng.random() - 1)
        centre = self.frame_size * (0.25 + 0.5 * rng.random(2))
        return Motion((speed * math.cos(angle), speed * math.sin(angle)), omega, (float(centre[0]), float(centre[1])))

    def _draw(self, index) -> tuple[Motion, np.ndarray, np.ndarray | None]:
        """Everything item ``index`` draws from its generator, in order: the motion, then the
        Fourier noise of :math:`z` and (with growth) of :math:`g`."""
        _, rng = self._rng(index)
        motion = self._draw_motion(rng)
        z_noise = _fourier_noise(rng, self.domain_size)  # (2, N, N//2 + 1)
        g_noise = _fourier_noise(rng, self.domain_size // 4) if self.growth else None  # (2, N/4, N/8 + 1)
        return motion, z_noise, g_noise

    def pixels(self, index) -> torch.Tensor:
        """Sequence ``index`` as uint8 HKO-7 pixel values, ``(seq_len, 1, frame_size, frame_size)``."""
        return self.pixels_batch([index])[0]

    def pixels_batch(self, indices, device=None) -> torch.Tensor:
        """Several sequences at once as uint8 HKO-7 pixel values, generated on ``device``.

        Only the random numbers are drawn one item at a time (each from its own generator, on
        the CPU, so item ``i`` is the same in any batch); the fields, their motion and the
        conversion to pixels run batched on ``device`` (default: the CPU). On the CPU the
        result equals :meth:`pixels` item by item; on a GPU, rounding to pixels can differ
        by one level where a value lies within float32 rounding of a half.

        Shape:
            - output: ``(len(indices), seq_len, 1, frame_size, frame_size)``, uint8, on ``device``

        Examples:
            >>> data = SyntheticRadar(8, frame_size=32)
            >>> batch = data.pixels_batch([5, 2])
            >>> tuple(batch.shape), torch.equal(batch[1], data.pixels(2))
            ((2, 20, 1, 32, 32), True)
        """
        indices = list(indices)
        if not indices:
            raise ValueError("SyntheticRadar.pixels_batch: expected at least one index, got none")
        device = torch.device("cpu" if device is None else device)
        draws = [self._draw(i) for i in indices]
        B, N, S, T = len(draws), self.domain_size, self.frame_size, self.seq_len

        def fields(k: int, slope: float) -> torch.Tensor:
            noise = torch.from_numpy(np.stack([draw[k] for draw in draws])).to(device)  # (B, 2, n, n//2 + 1)
            return _fields_from_noise(noise, slope)  # (B, n, n)

        z = fields(1, self.spectral_slope)  # (B, N, N): the rain at t = 0
        # Each frame's pixels, traced back to t = 0, in grid_sample's coordinates (-1 and 1 are
        # the centres of the domain's first and last pixels).
        scale = 2 / (N - 1)
        maps = np.stack([draw[0].backward(np.arange(T)) for draw in draws]) * scale  # (B, T, 2, 3)
        maps[..., 2] += scale * self._offset - 1
        m = torch.from_numpy(maps.astype(np.float32)).to(device)  # (B, T, 2, 3)
        xs = torch.arange(S, dtype=torch.float32, device=device)  # (S,)
        # An affine map of each pixel (x, y): a * x (along a row) plus b * y + c (down a column).
        grid = torch.stack([m[:, :, k, 0, None, None] * xs + (m[:, :, k, 1, None] * xs + m[:, :, k, 2, None])[..., None]
                            for k in (0, 1)], dim=-1)  # (B, T, S, S, 2)
        grid = grid.view(B, T * S, S, 2)
        z_t = _sample(z, grid).view(B, T, S, S)  # z at each pixel's origin
        if self.growth:
            # Where rain grows and decays: a smooth field (slope + 2), so a coarse grid holds it.
            g = fields(2, self.spectral_slope + 2)  # (B, N/4, N/4)
            angle = self.growth * torch.arange(T, dtype=torch.float32, device=device).view(T, 1, 1)  # (T, 1, 1)
            z_t = z_t * angle.cos() + _sample(g, grid).view(B, T, S, S) * angle.sin()  # (B, T, S, S)
        dbz = RAIN_DBZ + DBZ_PER_STD * (z_t - self._edge)  # (B, T, S, S)
        pixel = dbz_to_pixel(dbz).round_().clamp_(0, 255).masked_fill_(dbz < RAIN_DBZ, 0)  # (B, T, S, S)
        return pixel.to(torch.uint8).unsqueeze(2)  # (B, T, 1, S, S)

    def __getitem__(self, index) -> torch.Tensor:
        return self.pixels(index).float().div_(255)  # (T, 1, S, S)

    def __getitems__(self, indices) -> list[torch.Tensor]:
        """A batch of items at once (a ``DataLoader`` over this data set calls it): :meth:`pixels_batch`."""
        return list(self.pixels_batch(indices).float().div_(255))  # each (T, 1, S, S)

    def cached(self, device=None, batch_size: int = 64) -> "CachedRadar":
        """Every sequence generated once, in batches on ``device``, and kept there as uint8.

        A training run then reads sequences at memory speed instead of generating them every
        epoch. The memory is ``len * seq_len * frame_size**2`` bytes: 600 MB for 3,000
        sequences of 20 maps of 100x100.

        Examples:
            >>> data = SyntheticRadar(5, frame_size=32, growth=0.05)
            >>> cache = data.cached(batch_size=2)
            >>> len(cache), torch.equal(cache[3], data[3]), cache.motion(3) == data.motion(3)
            (5, True, True)
        """
        return CachedRadar(self, device, batch_size)

    def __repr__(self) -> str:
        return (f"SyntheticRadar({self.num_sequences}, seq_len={self.seq_len}, frame_size={self.frame_size}, "
                f"seed={self.seed}, growth={self.growth}, max_speed={self.max_speed}, "
                f"max_rotation={self.max_rotation})")


class CachedRadar(Dataset):
    """The sequences of a :class:`SyntheticRadar`, all generated once and kept as uint8 pixels.

    Made by :meth:`SyntheticRadar.cached`; items are the same float32 pixel / 255 tensors,
    on the device the pixels are kept on.

    Args:
        source: the data set to generate.
        device: where to generate and keep the pixels (default: the CPU).
        batch_size: sequences generated at once.

    Shape:
        - :attr:`pixels`: ``(len, seq_len, 1, frame_size, frame_size)``, uint8
        - item: ``(seq_len, 1, frame_size, frame_size)``, float32 in ``[0, 1]``
    """

    def __init__(self, source: SyntheticRadar, device=None, batch_size: int = 64):
        if not isinstance(source, SyntheticRadar):
            raise ValueError(f"CachedRadar: expected a SyntheticRadar, got {type(source).__name__}")
        step = _check_int(batch_size, "batch_size", 1, "CachedRadar")
        self.source = source
        n = len(source)
        self.pixels = torch.cat([source.pixels_batch(range(start, min(start + step, n)), device)
                                 for start in range(0, n, step)])  # (N, T, 1, S, S)

    def __len__(self) -> int:
        return len(self.pixels)

    def __getitem__(self, index) -> torch.Tensor:
        i = _item_index(index, len(self), "CachedRadar")
        return self.pixels[i].float().div_(255)  # (T, 1, S, S)

    def __getitems__(self, indices) -> list[torch.Tensor]:
        rows = [_item_index(i, len(self), "CachedRadar") for i in indices]
        return list(self.pixels[rows].float().div_(255))  # each (T, 1, S, S)

    def motion(self, index) -> Motion:
        """The true motion of sequence ``index``, as :meth:`SyntheticRadar.motion`."""
        return self.source.motion(index)

    def __repr__(self) -> str:
        return f"CachedRadar({self.source!r}, device={str(self.pixels.device)!r})"
