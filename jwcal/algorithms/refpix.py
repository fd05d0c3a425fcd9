"""Reference-pixel correction of NIR detector ramps (jwst ``refpix``, CCWG recommendation 2013).

All work is in detector coordinates: 2048 x 2048 pixels read by 4 amplifiers of 512 columns;
rows 0-3 and 2044-2047 and columns 0-3 and 2044-2047 are reference pixels. For every group:

1. Top/bottom: per amplifier, the 3-sigma-clipped means (scipy ``sigmaclip`` iteration) of the
   top and of the bottom reference rows, separately for the two column parities when
   ``odd_even_columns``; their average is subtracted from the amplifier's columns of that parity.
2. Side (1/f along rows): for each row, the median of the 4 left (and of the 4 right) reference
   columns over a running window of ``side_smoothing_length`` rows (reflected at the ends);
   ``side_gain`` times the mean of the two is subtracted from the whole row.

Subarrays (no side/top-bottom layout): one clipped mean per column parity of the pixels flagged
REFERENCE_PIXEL, subtracted from the columns of that parity. DO_NOT_USE reference pixels are
ignored everywhere. Flips between DMS and detector orientation do not change the result (amplifier
stripes, parities and row windows are symmetric); transposed detectors must be passed transposed.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

NIR_SIZE = 2048
NREF = 4


def correct_full_frame(data: np.ndarray, pixeldq: np.ndarray, *, odd_even_columns: bool = True,
                       use_side_ref_pixels: bool = True, side_smoothing_length: int = 11,
                       side_gain: float = 1.0) -> tuple[np.ndarray, bool]:
    """Correct a full-frame NIR ramp with its reference pixels.

    Parameters
    ----------
    data : numpy.ndarray
        (nints, ngroups, ny, nx) ramp (DN) in detector orientation, (.., 2048, 2048) for a real
        detector (the 4 amplifiers are the 4 column stripes of nx / 4); not modified.
    pixeldq : numpy.ndarray
        (ny, nx) uint32 pixel DQ, same orientation.
    odd_even_columns : bool
        Separate top/bottom means for even and odd columns.
    use_side_ref_pixels : bool
        Apply the row-by-row side correction.
    side_smoothing_length : int
        Rows in the running median window (made odd by adding 1).
    side_gain : float
        Fraction of the side signal subtracted.

    Returns
    -------
    corrected : numpy.ndarray
        (nints, ngroups, ny, nx) float32 (DN).
    ok : bool
        False if some amplifier had no usable top/bottom reference pixel (nothing corrected then).
    """
    if (data.ndim != 4 or data.shape[3] % 4 or min(data.shape[2:]) < 4 * NREF
            or pixeldq.shape != data.shape[2:]):
        raise ValueError("data must be (nints, ngroups, ny, nx) with nx a multiple of 4, pixeldq (ny, nx)")
    length = int(side_smoothing_length)
    length += 1 - length % 2
    out = np.empty(data.shape, np.float32)
    good = (np.asarray(pixeldq) & 1) == 0
    status = np.ones(data.shape[0] * data.shape[1], np.uint8)
    _full_frame(np.ascontiguousarray(data, np.float32), np.ascontiguousarray(good), bool(odd_even_columns),
                bool(use_side_ref_pixels), length, float(side_gain), out, status)
    if not status.all():
        return np.array(data, np.float32), False
    return out, True


def correct_subarray(data: np.ndarray, pixeldq: np.ndarray, column0: int, *,
                     odd_even_columns: bool = True) -> tuple[np.ndarray, bool]:
    """Correct a subarray ramp with the pixels flagged REFERENCE_PIXEL.

    Parameters
    ----------
    data : numpy.ndarray
        (nints, ngroups, ny, nx) ramp (DN) in detector orientation; not modified.
    pixeldq : numpy.ndarray
        (ny, nx) uint32 pixel DQ (REFERENCE_PIXEL marks reference pixels).
    column0 : int
        0-based full-frame detector column of the subarray's first column (sets the parities).
    odd_even_columns : bool
        Separate means for even and odd full-frame columns.

    Returns
    -------
    corrected : numpy.ndarray
        (nints, ngroups, ny, nx) float32 (DN).
    ok : bool
        False if the subarray holds no usable reference pixel (data returned unchanged).
    """
    pdq = np.asarray(pixeldq, np.uint32)
    ref = ((pdq & np.uint32(1 << 31)) != 0) & ((pdq & np.uint32(1)) == 0)
    if not ref.any():
        return np.array(data, np.float32), False
    parity = (np.arange(data.shape[3]) + int(column0)) % 2
    classes = parity if odd_even_columns else np.zeros_like(parity)
    out = np.empty(data.shape, np.float32)
    status = np.ones(data.shape[0] * data.shape[1], np.uint8)
    _subarray(np.ascontiguousarray(data, np.float32), np.ascontiguousarray(ref), classes.astype(np.int64),
              out, status)
    if not status.all():
        return np.array(data, np.float32), False
    return out, True


@njit(cache=True)
def _clipped_mean(values, n):  # pragma: no cover - numba
    """Mean after iterative 3-sigma clipping (scipy.stats.sigmaclip); values[:n] is reordered."""
    if n == 0:
        return np.nan
    size = n
    while True:
        mean = 0.0
        for k in range(size):
            mean += values[k]
        mean /= size
        var = 0.0
        for k in range(size):
            var += (values[k] - mean) ** 2
        std = np.sqrt(var / size)
        if std == 0.0:
            return mean
        lo, hi = mean - 3.0 * std, mean + 3.0 * std
        kept = 0
        for k in range(size):
            v = values[k]
            if v >= lo and v <= hi:
                values[kept] = v
                kept += 1
        if kept == size or kept == 0:
            return mean
        size = kept


@njit(cache=True)
def _reflect(j, n):  # pragma: no cover - numba
    if j < 0:
        return -j
    if j > n - 1:
        return 2 * (n - 1) - j
    return j


@njit(cache=True, parallel=True)
def _full_frame(data, good, odd_even, use_side, length, gain, out, status):  # pragma: no cover - numba
    nints, ngroups, ny, nx = data.shape
    half = length // 2
    width = nx // 4
    for k in prange(nints * ngroups):
        i = k // ngroups
        g = k % ngroups
        plane = data[i, g].astype(np.float64)
        buf = np.empty(NREF * width, np.float64)
        step = 2 if odd_even else 1
        for amp in range(4):
            c0 = amp * width
            for p in range(step):
                signal = 0.0
                for rows in range(2):
                    r0 = 0 if rows == 0 else ny - NREF
                    n = 0
                    for r in range(r0, r0 + NREF):
                        for c in range(c0 + p, c0 + width, step):
                            if good[r, c]:
                                buf[n] = plane[r, c]
                                n += 1
                    m = _clipped_mean(buf, n)
                    if np.isnan(m):
                        status[k] = 0
                    signal += 0.5 * m
                for r in range(ny):
                    for c in range(c0 + p, c0 + width, step):
                        plane[r, c] -= signal
        if use_side:
            window = np.empty(length * NREF, np.float64)
            side = np.zeros(ny, np.float64)
            for r in range(ny):
                total = 0.0
                for s in range(2):
                    c0 = 0 if s == 0 else nx - NREF
                    n = 0
                    for w in range(r - half, r + half + 1):
                        rr = _reflect(w, ny)
                        for c in range(c0, c0 + NREF):
                            if good[rr, c]:
                                window[n] = plane[rr, c]
                                n += 1
                    if n > 0:
                        total += 0.5 * np.median(window[:n])
                side[r] = gain * total
            for r in range(ny):
                for c in range(nx):
                    plane[r, c] -= side[r]
        for r in range(ny):
            for c in range(nx):
                out[i, g, r, c] = plane[r, c]


@njit(cache=True, parallel=True)
def _subarray(data, ref, classes, out, status):  # pragma: no cover - numba
    nints, ngroups, ny, nx = data.shape
    for k in prange(nints * ngroups):
        i = k // ngroups
        g = k % ngroups
        buf = np.empty(ny * nx, np.float64)
        means = np.zeros(2, np.float64)
        for p in range(2):
            n = 0
            for r in range(ny):
                for c in range(nx):
                    if ref[r, c] and classes[c] == p:
                        buf[n] = data[i, g, r, c]
                        n += 1
            if n == 0:
                if p == 0 or classes.max() == 1:
                    status[k] = 0
                continue
            means[p] = _clipped_mean(buf, n)
        for r in range(ny):
            for c in range(nx):
                out[i, g, r, c] = data[i, g, r, c] - means[classes[c]]
