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

from jwcal import dq as _dq
from jwcal.algorithms.medians import sorted_median

_PAIRWISE_BLOCK = 128  # numpy's pairwise-summation block (PW_BLOCKSIZE)
_SELECT_SMALL = 16  # ranges this short are finished by insertion sort


@njit(cache=True, inline="always")
def _term(a, i, centre, square):
    v = a[i] - centre if square else a[i]
    return v * v if square else v


@njit(cache=True)
def _block_sum(a, lo, n, centre, square):
    # numpy's pairwise-summation leaf: plain loop below 8 values, else 8 accumulators.
    if n < 8:
        s = -0.0
        for i in range(lo, lo + n):
            s += _term(a, i, centre, square)
        return s
    r0, r1 = _term(a, lo, centre, square), _term(a, lo + 1, centre, square)
    r2, r3 = _term(a, lo + 2, centre, square), _term(a, lo + 3, centre, square)
    r4, r5 = _term(a, lo + 4, centre, square), _term(a, lo + 5, centre, square)
    r6, r7 = _term(a, lo + 6, centre, square), _term(a, lo + 7, centre, square)
    end = lo + n - n % 8
    i = lo + 8
    while i < end:
        r0 += _term(a, i, centre, square)
        r1 += _term(a, i + 1, centre, square)
        r2 += _term(a, i + 2, centre, square)
        r3 += _term(a, i + 3, centre, square)
        r4 += _term(a, i + 4, centre, square)
        r5 += _term(a, i + 5, centre, square)
        r6 += _term(a, i + 6, centre, square)
        r7 += _term(a, i + 7, centre, square)
        i += 8
    s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        s += _term(a, i, centre, square)
        i += 1
    return s


@njit(cache=True)
def _pairwise_sum(a, n, centre, square):
    # Σ a[:n], or Σ (a - centre)² when square, in numpy's pairwise order (blocks of at most 128,
    # halves split at multiples of 8): bit-identical to ndarray.sum/mean/std of the same values.
    # The recursion runs on an explicit stack (state 0: split, 1: left pending, 2: right pending).
    los = np.empty(64, np.int64)
    counts = np.empty(64, np.int64)
    states = np.zeros(64, np.int64)
    partial = np.empty(64)
    sp = 0
    los[0], counts[0] = 0, n
    while True:
        lo, cnt = los[sp], counts[sp]
        if cnt > _PAIRWISE_BLOCK and states[sp] == 0:
            states[sp] = 1
            half = cnt // 2
            half -= half % 8
            sp += 1
            los[sp], counts[sp], states[sp] = lo, half, 0
            continue
        value = _block_sum(a, lo, cnt, centre, square)
        sp -= 1
        while sp >= 0 and states[sp] == 2:  # both halves done: add and go up
            value = partial[sp] + value
            sp -= 1
        if sp < 0:
            return value
        partial[sp] = value  # left half done: now the right half
        states[sp] = 2
        half = counts[sp] // 2
        half -= half % 8
        lo, cnt = los[sp] + half, counts[sp] - half
        sp += 1
        los[sp], counts[sp], states[sp] = lo, cnt, 0


@njit(cache=True)
def _select(w, edge, t):
    # Value of rank t (0-based) of w, reordering w in place (quickselect). edge[i] True records
    # that w[:i] <= w[i:] already holds; the search starts from the nearest recorded edges around t,
    # so repeated selections of nearby ranks (the clipping iterations) cost little after the first.
    lo = t
    while not edge[lo]:
        lo -= 1
    hi = t + 1
    while not edge[hi]:
        hi += 1
    hi -= 1  # inclusive
    while hi - lo > _SELECT_SMALL:
        mid = (lo + hi) // 2
        a, b, c = w[lo], w[mid], w[hi]
        pivot = max(min(a, b), min(max(a, b), c))  # median of three
        i, j = lo - 1, hi + 1
        while True:  # Hoare partition: w[lo..j] <= pivot <= w[j+1..hi], both sides non-empty
            i += 1
            while w[i] < pivot:
                i += 1
            j -= 1
            while w[j] > pivot:
                j -= 1
            if i >= j:
                break
            w[i], w[j] = w[j], w[i]
        edge[j + 1] = True
        if t <= j:
            hi = j
        else:
            lo = j + 1
    for a in range(lo + 1, hi + 1):  # insertion sort of the short rest
        v = w[a]
        b = a - 1
        while b >= lo and w[b] > v:
            w[b + 1] = w[b]
            b -= 1
        w[b + 1] = v
    for a in range(lo, hi + 2):
        edge[a] = True
    return w[t]


_SAMPLE = 16384  # values sampled to bracket a rank before one counting pass (Floyd-Rivest)
_SAMPLE_MARGIN = 512  # sample ranks on each side of the expected one (about 8 binomial sigmas)


@njit(cache=True)
def _full_select(data, m, t0, t1):
    w = data[:m].copy()
    edge = np.zeros(m + 1, dtype=np.bool_)
    edge[0] = True
    edge[m] = True
    return _select(w, edge, t0), _select(w, edge, t1)


@njit(cache=True)
def _rank_values(data, m, t0, t1):
    # Values of ranks t0 <= t1 of data[:m] (sorted order), data untouched. A regular sample
    # brackets the ranks; one pass counts the values under the bracket and gathers those inside,
    # and only that small set is partitioned. Falls back to a full copy if the bracket misses.
    if m <= 4 * _SAMPLE:
        return _full_select(data, m, t0, t1)
    step = m // _SAMPLE
    sample = np.empty(_SAMPLE)
    for k in range(_SAMPLE):
        sample[k] = data[k * step]
    sample.sort()
    a = t0 * _SAMPLE // m - _SAMPLE_MARGIN
    b = t1 * _SAMPLE // m + _SAMPLE_MARGIN
    low = sample[a] if a >= 0 else -np.inf
    high = sample[b] if b < _SAMPLE else np.inf
    capacity = 4 * (b - a) * step + 4096
    inside = np.empty(capacity)
    below = 0
    n = 0
    for i in range(m):
        v = data[i]
        if v < low:
            below += 1
        elif v <= high:
            if n < capacity:
                inside[n] = v
            n += 1
    if n > capacity or t0 < below or t1 >= below + n:
        return _full_select(data, m, t0, t1)
    edge = np.zeros(n + 1, dtype=np.bool_)
    edge[0] = True
    edge[n] = True
    return _select(inside, edge, t0 - below), _select(inside, edge, t1 - below)


@njit(cache=True)
def _clipped_mean(values, sigma, maxiters, skip_zero):
    # values: any float array, C order. Kept values are compacted in place in their original order,
    # so the sums are numpy's on the same sequence.
    flat = values.ravel()
    data = np.empty(flat.size)
    m = 0
    for i in range(flat.size):
        v = np.float64(flat[i])
        if np.isfinite(v) and not (skip_zero and v == 0.0):
            data[m] = v
            m += 1
    for _ in range(maxiters):
        if m == 0:
            break
        h = m // 2
        low, high = _rank_values(data, m, h - 1 + m % 2, h)
        centre = high if m % 2 == 1 else (low + high) / 2.0
        mean = _pairwise_sum(data, m, 0.0, False) / m
        limit = sigma * np.sqrt(_pairwise_sum(data, m, mean, True) / m)
        k = 0
        for i in range(m):
            v = data[i]
            if abs(v - centre) <= limit:
                if k != i:
                    data[k] = v
                k += 1
        if k == m:
            break
        m = k
    return _pairwise_sum(data, m, 0.0, False) / m if m else np.nan


def clipped_mean(values, *, sigma: float = 3.0, maxiters: int = 5) -> float:
    """Mean after iterative sigma clipping about the median (astropy ``sigma_clip`` defaults).

    Each iteration keeps the values within ``sigma`` standard deviations of the median, as numpy
    computes them (the result is bit-identical to ``median``/``std``/``mean`` on boolean-compacted
    arrays), without copies per iteration.

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
    values = np.ascontiguousarray(values)
    if values.dtype.kind != "f":
        values = values.astype(np.float64)
    return float(_clipped_mean(values, float(sigma), int(maxiters), False))


def weight_threshold(wht, maskpt: float) -> float:
    """Return jwst's low-weight cut: ``maskpt`` × the sigma-clipped mean of the non-zero finite weights.

    Parameters
    ----------
    wht : ndarray, shape (ny, nx)
        Drizzle weights of one (grouped) resampled image.
    maskpt : float
        Fraction of the typical weight below which a pixel is not used for the median.
    """
    wht = np.ascontiguousarray(wht)
    if wht.dtype.kind != "f":
        wht = wht.astype(np.float64)
    mean = float(_clipped_mean(wht, 3.0, 5, True))
    return 0.0 if math.isnan(mean) else maskpt * mean


@njit(cache=True, parallel=True)
def _masked_mean(dsum, wsum, threshold, out):
    ny, nx = wsum.shape
    nan = np.float32(np.nan)
    for j in prange(ny):
        for i in range(nx):
            w = wsum[j, i]
            out[j, i] = nan if (w <= 0.0 or w < threshold) else np.float32(dsum[j, i] / w)


def masked_mean(dsum, wsum, threshold: float):
    """Weighted mean ``dsum / wsum`` as float32; NaN where the weight is <= 0 or below ``threshold``.

    Parameters
    ----------
    dsum : ndarray, shape (ny, nx)
        Σ weight·value of a drizzled image (any units).
    wsum : ndarray, shape (ny, nx)
        Σ weight (NaN gives NaN).
    threshold : float
        Smallest weight kept (:func:`weight_threshold`).

    Returns
    -------
    ndarray, shape (ny, nx), float32
    """
    dsum = np.ascontiguousarray(dsum, dtype=np.float64)
    wsum = np.ascontiguousarray(wsum, dtype=np.float64)
    if dsum.shape != wsum.shape:
        raise ValueError("dsum and wsum must have one shape")
    out = np.empty(wsum.shape, np.float32)
    _masked_mean(dsum, wsum, float(threshold), out)
    return out


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
                # Sorted in place: no allocation per pixel for the usual few inputs.
                out[j, i] = sorted_median(buf, m)
                continue
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


@njit(cache=True, inline="always")
def _larger_diff(best, b, other):
    d = abs(b - other)
    return d if d > best else best  # a NaN difference never wins


@njit(cache=True, inline="always")
def _deriv(blot, j, i):
    # Largest finite |difference| of blot[j, i] to its four edge neighbours inside the array (0 if none).
    ny, nx = blot.shape
    b = blot[j, i]
    best = np.float32(0.0)
    if j > 0:
        best = _larger_diff(best, b, blot[j - 1, i])
    if j + 1 < ny:
        best = _larger_diff(best, b, blot[j + 1, i])
    if i > 0:
        best = _larger_diff(best, b, blot[j, i - 1])
    if i + 1 < nx:
        best = _larger_diff(best, b, blot[j, i + 1])
    return best


@njit(cache=True, parallel=True)
def _flag_resampled(sci, blot, err, backg, scale1, snr1, scale2, snr2, first, out):
    # float32 arithmetic throughout, in numpy's order, so the tests are those of the array version.
    ny, nx = sci.shape
    for j in prange(ny):
        for i in range(nx):
            b = blot[j, i]
            e = err[j, i]
            if not np.isfinite(e):
                e = np.float32(0.0)
            deriv = _deriv(blot, j, i) if b == b else np.float32(np.nan)
            diff = abs(sci[j, i] - b - backg)
            first[j, i] = diff > scale1 * deriv + snr1 * e
            out[j, i] = diff > scale2 * deriv + snr2 * e
    for j in prange(ny):  # the pixel test, where the 3x3 neighbourhood has a first-test detection
        for i in range(nx):
            if out[j, i]:
                hit = False
                for jj in range(max(j - 1, 0), min(j + 2, ny)):
                    for ii in range(max(i - 1, 0), min(i + 2, nx)):
                        hit |= first[jj, ii]
                out[j, i] = hit


def flag_resampled(sci, blot, err, *, backg: float = 0.0, snr=(5.0, 4.0), scale=(1.2, 0.7)):
    """Outliers of one input against the blotted median (jwst ``flag_resampled_crs``).

    ``deriv`` is the largest absolute difference of the blotted median to its four edge neighbours
    (NaN differences ignored); a pixel is an outlier when ``|sci - blot - backg|`` exceeds
    ``scale[1]·deriv + snr[1]·err`` and, somewhere in its 3×3 neighbourhood (inside the array),
    ``scale[0]·deriv + snr[0]·err``. Computed in float32 in one pass plus one for the neighbourhood.

    Parameters
    ----------
    sci : ndarray, shape (ny, nx)
        Input surface brightness.
    blot : ndarray, shape (ny, nx)
        Median mosaic sampled on the input grid, same units; NaN where undefined.
    err : ndarray, shape (ny, nx)
        Input 1-sigma uncertainty, same units; NaN and ±inf count as 0.
    backg : float
        Background level to subtract from ``sci``.
    snr, scale : (float, float)
        Signal-to-noise and derivative factors of the two (neighbourhood, pixel) tests.

    Returns
    -------
    ndarray of bool, shape (ny, nx)
        False wherever ``sci`` or ``blot`` is NaN.
    """
    sci = np.ascontiguousarray(sci, dtype=np.float32)
    blot = np.ascontiguousarray(blot, dtype=np.float32)
    err = np.ascontiguousarray(err, dtype=np.float32)
    if not sci.shape == blot.shape == err.shape:
        raise ValueError("sci, blot and err must have one shape")
    first = np.empty(sci.shape, dtype=np.bool_)
    out = np.empty(sci.shape, dtype=np.bool_)
    f32 = np.float32
    _flag_resampled(sci, blot, err, f32(backg), f32(scale[0]), f32(snr[0]), f32(scale[1]), f32(snr[1]),
                    first, out)
    return out


@njit(cache=True, parallel=True)
def _mark_dq(outliers, dq, sci, flag, do_not_use, out):
    ny, nx = dq.shape
    for j in prange(ny):
        for i in range(nx):
            v = dq[j, i] | flag if outliers[j, i] else dq[j, i]
            if not np.isfinite(sci[j, i]):
                v |= do_not_use
            out[j, i] = v


@njit(cache=True, parallel=True)
def _or_not_finite(values, do_not_use, dq):
    ny, nx = dq.shape
    for j in prange(ny):
        for i in range(nx):
            if not np.isfinite(values[j, i]):
                dq[j, i] |= do_not_use


@njit(cache=True, parallel=True)
def _nan_where(values, dq, do_not_use, out):
    ny, nx = dq.shape
    nan = np.float32(np.nan)
    for j in prange(ny):
        for i in range(nx):
            out[j, i] = nan if dq[j, i] & do_not_use else values[j, i]


def mark_outliers(outliers, dq, sci, others=()):
    """Flag ``outliers`` in DQ and make NaN and DO_NOT_USE agree (jwst ``match_nans_and_flags``).

    Parameters
    ----------
    outliers : ndarray of bool, shape (ny, nx)
        Pixels to flag ``OUTLIER|DO_NOT_USE``.
    dq : ndarray of uint32, shape (ny, nx), or None
        Input data quality (None: all zero).
    sci : ndarray, shape (ny, nx)
        Input science array.
    others : sequence of ndarray, shape (ny, nx)
        ERR, variances...: a non-finite value in any of them (or in ``sci``) also sets DO_NOT_USE.

    Returns
    -------
    dq : ndarray of uint32, shape (ny, nx)
        ``dq | OUTLIER|DO_NOT_USE`` at outliers, ``| DO_NOT_USE`` where any array is not finite.
    sci : ndarray of float32, shape (ny, nx)
        NaN wherever the new DQ has DO_NOT_USE.
    others : list of ndarray of float32
        Likewise, in the order given.
    """
    sci = np.ascontiguousarray(sci, dtype=np.float32)
    dq_in = np.zeros(sci.shape, np.uint32) if dq is None else np.ascontiguousarray(dq, dtype=np.uint32)
    others = [np.ascontiguousarray(a, dtype=np.float32) for a in others]
    outliers = np.ascontiguousarray(outliers, dtype=np.bool_)
    dnu = np.uint32(_dq.DO_NOT_USE)
    new = np.empty(sci.shape, np.uint32)
    _mark_dq(outliers, dq_in, sci, np.uint32(_dq.OUTLIER | _dq.DO_NOT_USE), dnu, new)
    for a in others:
        _or_not_finite(a, dnu, new)
    results = []
    for a in (sci, *others):
        out = np.empty(a.shape, np.float32)
        _nan_where(a, new, dnu, out)
        results.append(out)
    return new, results[0], results[1:]


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
