"""Imaging outlier detection on arrays: weight threshold, block-wise median, derivative, comparison.

jwst's imaging outlier detection (``flag_resampled_crs``): an input pixel is an outlier when it
differs from the blotted median by more than ``scale1·deriv + snr1·err`` somewhere in its 3×3
neighbourhood and by more than ``scale2·deriv + snr2·err`` itself, where ``deriv`` is the largest
absolute difference of the blotted median to its four edge neighbours.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


def clipped_mean(values, *, sigma: float = 3.0, maxiters: int = 5) -> float:
    """Mean after iterative sigma clipping about the median (astropy ``sigma_clip`` defaults).

    Parameters
    ----------
    values : ndarray, any shape
        Finite values (others are ignored).
    sigma : float
        Clip at ``sigma`` standard deviations from the median.
    maxiters : int
        Stop after this many iterations, or earlier when nothing more is clipped.

    Returns
    -------
    float
        NaN for no finite value.
    """
    data = np.asarray(values, dtype=np.float64).ravel()
    data = data[np.isfinite(data)]
    for _ in range(maxiters):
        if data.size == 0:
            break
        centre, std = np.median(data), data.std()
        keep = np.abs(data - centre) <= sigma * std
        if keep.all():
            break
        data = data[keep]
    return float(data.mean()) if data.size else math.nan


def weight_threshold(wht, maskpt: float) -> float:
    """Return jwst's low-weight cut: ``maskpt`` × the sigma-clipped mean of the non-zero finite weights.

    Parameters
    ----------
    wht : ndarray, shape (ny, nx)
        Drizzle weights of one (grouped) resampled image.
    maskpt : float
        Fraction of the typical weight below which a pixel is not used for the median.
    """
    wht = np.asarray(wht)
    good = wht[np.isfinite(wht) & (wht != 0)]
    mean = clipped_mean(good)
    return 0.0 if math.isnan(mean) else maskpt * mean


_INSERTION_MAX = 24  # up to this many values per pixel the median sorts in place


@njit(cache=True, parallel=True)
def _nanmedian_stack(stack, out):
    # Median over axis 0 ignoring NaN, for every (row, column); NaN where all are NaN.
    n, ny, nx = stack.shape
    for j in prange(ny):
        buf = np.empty(n, dtype=np.float64)
        for i in range(nx):
            m = 0
            for k in range(n):
                v = stack[k, j, i]
                if v == v:
                    buf[m] = v
                    m += 1
            if m == 0:
                out[j, i] = np.nan
                continue
            if m <= _INSERTION_MAX:
                # Insertion sort in place: no allocation per pixel for the usual few inputs.
                for a in range(1, m):
                    v = buf[a]
                    b = a - 1
                    while b >= 0 and buf[b] > v:
                        buf[b + 1] = buf[b]
                        b -= 1
                    buf[b + 1] = v
                s = buf
            else:
                s = np.sort(buf[:m])
            h = m // 2
            out[j, i] = s[h] if m % 2 == 1 else 0.5 * (s[h - 1] + s[h])


def nanmedian_stack(stack):
    """Pixel-wise median over the first axis, ignoring NaN (``np.nanmedian(stack, axis=0)``).

    Parameters
    ----------
    stack : ndarray, shape (n, ny, nx)
        Images, any units; NaN marks missing values.

    Returns
    -------
    ndarray, shape (ny, nx), float32
        NaN where every image is NaN.
    """
    stack = np.ascontiguousarray(stack, dtype=np.float32)
    out = np.empty(stack.shape[1:], dtype=np.float32)
    _nanmedian_stack(stack, out)
    return out


def abs_deriv(image):
    """Largest absolute difference of every pixel to its four edge neighbours (in the array).

    Parameters
    ----------
    image : ndarray, shape (ny, nx)
        Any units; NaN propagates to the pixel and its neighbours' comparisons.

    Returns
    -------
    ndarray, shape (ny, nx), float32
    """
    image = np.asarray(image, dtype=np.float32)
    out = np.zeros(image.shape, dtype=np.float32)
    nan = np.isnan(image)
    for diff, a, b in (
        (np.abs(image[1:, :] - image[:-1, :]), (slice(1, None), slice(None)), (slice(None, -1), slice(None))),
        (np.abs(image[:, 1:] - image[:, :-1]), (slice(None), slice(1, None)), (slice(None), slice(None, -1))),
    ):
        d = np.where(np.isnan(diff), 0.0, diff)
        np.maximum(out[a], d, out=out[a])
        np.maximum(out[b], d, out=out[b])
    out[nan] = np.nan
    return out


def _dilate3(mask):
    """Return True where any pixel of the 3×3 neighbourhood is True (edges replicated)."""
    padded = np.pad(mask, 1, mode="edge")
    ny, nx = mask.shape
    out = np.zeros_like(mask)
    for dy in range(3):
        for dx in range(3):
            out |= padded[dy:dy + ny, dx:dx + nx]
    return out


def flag_resampled(sci, blot, err, *, backg: float = 0.0, snr=(5.0, 4.0), scale=(1.2, 0.7)):
    """Outliers of one input against the blotted median (jwst ``flag_resampled_crs``).

    Parameters
    ----------
    sci : ndarray, shape (ny, nx)
        Input surface brightness.
    blot : ndarray, shape (ny, nx)
        Median mosaic sampled on the input grid, same units; NaN where undefined.
    err : ndarray, shape (ny, nx)
        Input 1-sigma uncertainty, same units; NaN counts as 0.
    backg : float
        Background level to subtract from ``sci``.
    snr, scale : (float, float)
        Signal-to-noise and derivative factors of the two (neighbourhood, pixel) tests.

    Returns
    -------
    ndarray of bool, shape (ny, nx)
        False wherever ``sci`` or ``blot`` is NaN.
    """
    sci = np.asarray(sci, dtype=np.float32)
    blot = np.asarray(blot, dtype=np.float32)
    err = np.nan_to_num(np.asarray(err, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    deriv = abs_deriv(blot)
    diff = np.abs(sci - blot - np.float32(backg))
    with np.errstate(invalid="ignore"):
        mask1 = diff > scale[0] * deriv + snr[0] * err
        mask2 = diff > scale[1] * deriv + snr[1] * err
    return _dilate3(mask1) & mask2


def flag_median(sci, median, err, *, snr1: float = 5.0):
    """Outliers of one input against the median of aligned inputs (jwst ``resample_data=False``).

    Parameters
    ----------
    sci, median, err : ndarray, shape (ny, nx)
        Input, median of the inputs and input 1-sigma uncertainty (same units).
    snr1 : float
        Threshold in units of ``err``.

    Returns
    -------
    ndarray of bool, shape (ny, nx)
    """
    err = np.nan_to_num(np.asarray(err, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    with np.errstate(invalid="ignore"):
        return np.abs(np.asarray(sci, np.float32) - np.asarray(median, np.float32)) > snr1 * err
