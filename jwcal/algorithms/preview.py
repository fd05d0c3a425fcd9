"""Display scaling for previews: zscale limits, stretches, 8-bit conversion and DQ colouring."""

from __future__ import annotations

import numpy as np

from jwcal import dq

STRETCHES = ("asinh", "linear", "log")
#: Overlay colours (R, G, B) in priority order: the first matching flag colours the pixel.
DQ_COLOURS = (
    (dq.SATURATED, (255, 140, 0)),
    (dq.JUMP_DET, (0, 200, 255)),
    (dq.OUTLIER, (255, 0, 255)),
    (dq.HOT | dq.DEAD, (255, 255, 0)),
    (dq.REFERENCE_PIXEL | dq.NON_SCIENCE, (0, 90, 255)),
    (dq.DO_NOT_USE, (255, 0, 0)),
)


def _line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares intercept and slope."""
    xm, ym = x.mean(), y.mean()
    sxx = ((x - xm) ** 2).sum()
    slope = 0.0 if sxx == 0 else float(((x - xm) * (y - ym)).sum() / sxx)
    return float(ym - slope * xm), slope


def zscale(values, *, n_samples: int = 1000, contrast: float = 0.25, max_reject: float = 0.5,
           min_npixels: int = 5, krej: float = 2.5, max_iterations: int = 5) -> tuple[float, float]:
    """Return IRAF-style zscale display limits ``(zmin, zmax)`` of the finite values.

    A line is fitted to the sorted sample (at most ``n_samples`` values taken evenly through the
    array) with iterative rejection of pixels deviating by more than ``krej`` sigma (and their
    neighbours); the limits are the sample median -/+ the fitted slope over ``contrast`` times the
    distance to the sample ends, clipped to the sample range.

    Parameters
    ----------
    values : array_like
        Any shape; NaN and inf are ignored.

    Returns
    -------
    (float, float)
        ``zmin <= zmax``; (0, 1) when there are no finite values.
    """
    flat = np.asarray(values, dtype=float).ravel()
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return 0.0, 1.0
    stride = max(1, flat.size // n_samples)
    sample = np.sort(flat[::stride][:n_samples])
    npix = sample.size
    zmin, zmax = float(sample[0]), float(sample[-1])
    center = (npix - 1) // 2
    median = float(sample[center]) if npix % 2 else 0.5 * float(sample[center] + sample[center + 1])
    min_keep = max(min_npixels, int(npix * (1 - max_reject)))
    x = np.arange(npix, dtype=float)
    good = np.ones(npix, dtype=bool)
    grow = max(1, int(npix * 0.01))
    slope = 0.0
    for _ in range(max_iterations):
        if good.sum() < min_keep:
            break
        intercept, slope = _line_fit(x[good], sample[good])
        residual = sample - (intercept + slope * x)
        sigma = residual[good].std()
        bad = np.abs(residual) > krej * sigma if sigma > 0 else np.zeros(npix, dtype=bool)
        bad = np.convolve(bad.astype(float), np.ones(2 * grow + 1), mode="same") > 0
        new_good = ~bad
        if (new_good == good).all():
            break
        good = new_good
    if good.sum() >= min_keep and slope > 0:
        zmin = max(zmin, median - (center - 1) * slope / contrast)
        zmax = min(zmax, median + (npix - center) * slope / contrast)
    return zmin, zmax


def stretch(normalized, kind: str = "asinh", *, a: float | None = None) -> np.ndarray:
    """Map values in [0, 1] monotonically onto [0, 1].

    Parameters
    ----------
    normalized : array_like
        Values already scaled so the display limits are 0 and 1 (clipped here).
    kind : {"asinh", "linear", "log"}
        ``asinh(x/a)/asinh(1/a)`` (a = 0.1), ``x``, or ``log10(a x + 1)/log10(a + 1)`` (a = 1000).
    """
    x = np.clip(np.asarray(normalized, dtype=float), 0.0, 1.0)
    if kind == "linear":
        return x
    if kind == "asinh":
        a = 0.1 if a is None else a
        return np.arcsinh(x / a) / np.arcsinh(1.0 / a)
    if kind == "log":
        a = 1000.0 if a is None else a
        return np.log10(a * x + 1.0) / np.log10(a + 1.0)
    raise ValueError(f"unknown stretch {kind!r}")


def to_uint8(image, limits: tuple[float, float], kind: str = "asinh") -> np.ndarray:
    """Scale ``image`` between ``limits`` with a stretch into uint8 (NaN → 0); same shape."""
    low, high = limits
    span = high - low if high > low else 1.0
    values = np.asarray(image, dtype=float)
    scaled = stretch(np.nan_to_num((values - low) / span, nan=0.0, posinf=1.0, neginf=0.0), kind)
    return np.round(scaled * 255.0).astype(np.uint8)


def overlay_dq(gray: np.ndarray, flags, *, alpha: float = 0.6) -> np.ndarray:
    """Return an RGB (ny, nx, 3) uint8 image: ``gray`` with flagged pixels tinted by flag.

    Parameters
    ----------
    gray : ndarray, shape (ny, nx), uint8
    flags : array_like of int, shape (ny, nx)
        DQ bit masks; colours in ``DQ_COLOURS`` order of priority.
    alpha : float
        Weight of the flag colour.
    """
    rgb = np.repeat(np.asarray(gray, dtype=float)[..., None], 3, axis=-1)
    flags = np.asarray(flags).astype(np.uint32)
    done = np.zeros(flags.shape, dtype=bool)
    for bits, colour in DQ_COLOURS:
        hit = ((flags & np.uint32(bits)) != 0) & ~done
        rgb[hit] = (1 - alpha) * rgb[hit] + alpha * np.asarray(colour, dtype=float)
        done |= hit
    return np.round(rgb).astype(np.uint8)
