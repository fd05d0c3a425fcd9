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

_SELECT_SMALL = 16  # ranges this short are finished by insertion sort
_CHUNK = 16384  # values per chunk of the parallel passes
_SAMPLE = 16384  # values sampled to bracket the median (Floyd-Rivest)
_SAMPLE_MARGIN = 512  # sample ranks on each side of the sample median (about 8 binomial sigmas)
_SMALL = 4 * _SAMPLE  # up to this many values the medians come from full selections


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


@njit(cache=True, fastmath={"reassoc", "nsz"})
def _chunk_stats(flat, lo, hi, skip_zero, vlo, vhi, shift, low):
    # (kept, Σ(v-shift), Σ(v-shift)², kept < low) over flat[lo:hi]; v is kept when vlo <= v <= vhi
    # (and v != 0 with skip_zero). Branch-free and reassociable: the compiler vectorizes it.
    k = 0
    below = 0
    s1 = 0.0
    s2 = 0.0
    for i in range(lo, hi):
        v = np.float64(flat[i])
        keep = (vlo <= v) & (v <= vhi) & ((v != 0.0) | (not skip_zero))
        d = v - shift if keep else 0.0
        k += keep
        below += keep & (v < low)
        s1 += d
        s2 += d * d
    return k, s1, s2, below


@njit(cache=True, parallel=True)
def _stats_pass(flat, skip_zero, vlo, vhi, shift, low, stats):
    # One read-only parallel pass: stats[c] = _chunk_stats of chunk c.
    for c in prange(stats.shape[0]):
        lo = c * _CHUNK
        hi = min(lo + _CHUNK, flat.size)
        k, s1, s2, below = _chunk_stats(flat, lo, hi, skip_zero, vlo, vhi, shift, low)
        stats[c, 0] = k
        stats[c, 1] = s1
        stats[c, 2] = s2
        stats[c, 3] = below


@njit(cache=True, parallel=True)
def _gather_pass(flat, mid, half, inside, icap, counts):
    # The values with |v - mid| <= half of chunk c go to inside[c*icap:], at most icap of them;
    # counts[c] is how many there were (more than icap: the chunk overflowed). One comparison per value.
    for c in prange(counts.size):
        lo = c * _CHUNK
        ib = c * icap
        g = 0
        for i in range(lo, min(lo + _CHUNK, flat.size)):
            v = np.float64(flat[i])
            if abs(v - mid) <= half:
                if g < icap:
                    inside[ib + g] = v
                g += 1
        counts[c] = g


@njit(cache=True)
def _gather(inside, counts, icap):
    # The values gathered per chunk (counts[c] of them at inside[c*icap:]) in one contiguous array.
    out = np.empty(counts.sum())
    k = 0
    for c in range(counts.size):
        out[k:k + counts[c]] = inside[c * icap:c * icap + counts[c]]
        k += counts[c]
    return out


@njit(cache=True)
def _median_of(values):
    # Median of values (size >= 1), reordering them.
    m = values.size
    edge = np.zeros(m + 1, dtype=np.bool_)
    edge[0] = True
    edge[m] = True
    h = m // 2
    high = _select(values, edge, h)
    return high if m % 2 == 1 else (_select(values, edge, h - 1) + high) / 2.0


@njit(cache=True)
def _kept_values(flat, skip_zero, vlo, vhi, m):
    # The m kept values of flat (see _clip_pass), in order.
    out = np.empty(m)
    k = 0
    for i in range(flat.size):
        v = np.float64(flat[i])
        if vlo <= v <= vhi and not (skip_zero and v == 0.0):
            out[k] = v
            k += 1
    return out


@njit(cache=True)
def _sample(flat, skip_zero):
    # A regular sample (at most _SAMPLE) of the finite, with skip_zero non-zero, values; sorted.
    step = max(flat.size // _SAMPLE, 1)
    sample = np.empty(min(flat.size, _SAMPLE))
    ns = 0
    for k in range(sample.size):
        v = np.float64(flat[k * step])
        if np.isfinite(v) and not (skip_zero and v == 0.0):
            sample[ns] = v
            ns += 1
    return np.sort(sample[:ns])


_BIG = float(np.finfo(np.float64).max)


def _order(v: float) -> int:
    """Integer key of a float64 that sorts like the float (-0.0 and 0.0 share 0)."""
    bits = int(np.float64(v).view(np.int64))
    return bits if bits >= 0 else -(bits & 0x7FFF_FFFF_FFFF_FFFF)


def _unorder(key: int) -> float:
    """Return the float64 of an :func:`_order` key."""
    bits = key if key >= 0 else (-key) | (1 << 63)
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


def _kept_interval(centres, limits, inner: float) -> tuple[float, float]:
    """Smallest and largest finite floats ``v`` with ``abs(v - c) <= l`` for every clip ``(c, l)``.

    ``fl(abs(v - c))`` falls then rises with ``v``, so each clip keeps an interval of floats and all
    of them keep the intersection; ``inner`` is a float all keep. Its ends are found by bisection on
    the float order, so testing ``lo <= v <= hi`` decides exactly as the clips one after the other
    would. Returns (inf, -inf) if ``inner`` is not kept.
    """
    def kept(v):
        return all(abs(v - c) <= lim for c, lim in zip(centres, limits, strict=True))

    if not kept(inner) or not -_BIG <= inner <= _BIG:
        return math.inf, -math.inf
    ends = []
    for far in (-_BIG, _BIG):
        if kept(far):
            ends.append(far)
            continue
        out, keep = _order(far), _order(inner)  # out fails, keep passes
        while abs(out - keep) > 1:
            mid = (out + keep) // 2
            if kept(_unorder(mid)):
                keep = mid
            else:
                out = mid
        ends.append(_unorder(keep))
    return ends[0], ends[1]


class _Bracket:
    """The values of ranks ``[below, below + part.size)`` of the finite (non-zero) values, for medians.

    Built once from a regular sample and one gathering pass. A later kept set is an interval of
    floats, so its sorted order is: its ``kept_below`` values under the bracket, then the part's values
    inside the interval, then the rest; a median rank that falls in the middle piece is a selection in
    ``part``, which keeps its partial order (``edge``) from one clip to the next.
    """

    def __init__(self, flat, skip_zero, sample):
        self.part = None
        self.low, self.high = math.inf, -math.inf
        ns = sample.size
        if flat.size <= _SMALL or ns < 4 * _SAMPLE_MARGIN:
            return
        low, high = float(sample[(ns - 1) // 2 - _SAMPLE_MARGIN]), float(sample[ns // 2 + _SAMPLE_MARGIN])
        # the gathering test |v - mid| <= half keeps exactly the floats of [low, high] recomputed here
        mid, half = 0.5 * (low + high), 0.5 * (high - low)
        low, high = _kept_interval([mid], [half], mid)
        nchunks = (flat.size + _CHUNK - 1) // _CHUNK
        icap = 1024 + 4 * (2 * _SAMPLE_MARGIN + 1) * _CHUNK // ns
        inside = np.empty(nchunks * icap)
        counts = np.zeros(nchunks, np.int64)
        _gather_pass(flat, mid, half, inside, icap, counts)
        if counts.max() > icap or low > high:
            return
        self.part = _gather(inside, counts, icap)
        if skip_zero:
            self.part = self.part[self.part != 0.0]
        self.edge = np.zeros(self.part.size + 1, dtype=np.bool_)
        self.edge[0] = self.edge[-1] = True
        self.low, self.high = low, high

    def median(self, m, kept_below, vlo, vhi):
        """Median of the ``m`` kept values, or None when its ranks are not in the part."""
        if self.part is None:
            return None
        first, end = _count_range(self.part, vlo, vhi)  # the part's kept values: ranks [first, end)
        h = m // 2
        ranks = (h,) if m % 2 else (h - 1, h)
        if not all(0 <= r - kept_below < end - first for r in ranks):
            return None
        values = [_select(self.part, self.edge, first + r - kept_below) for r in ranks]
        return values[0] if m % 2 else (values[0] + values[1]) / 2.0


@njit(cache=True)
def _count_range(values, vlo, vhi):
    # (count of values < vlo, count of values <= vhi)
    a = 0
    b = 0
    for v in values:
        a += v < vlo
        b += v <= vhi
    return a, b


def _clipped_mean(values, sigma, maxiters, skip_zero):
    """Sigma-clipped mean of the finite (and with ``skip_zero`` non-zero) values of a C-ordered float array.

    Clips never copy data: the values kept by the clips so far are one interval of floats
    (:func:`_kept_interval`), and each iteration is one parallel read-only pass returning the count and
    shifted sums (mean and variance) of the values in it; medians come from a bracket gathered once
    (:class:`_Bracket`), or from a copy of the kept values when the bracket cannot tell.
    """
    flat = values.ravel()
    stats = np.zeros((max((flat.size + _CHUNK - 1) // _CHUNK, 1), 4))
    sample = _sample(flat, skip_zero)
    bracket = _Bracket(flat, skip_zero, sample)
    shift = float(sample[sample.size // 2]) if sample.size else 0.0
    centres, limits = [], []
    vlo, vhi = -_BIG, _BIG
    m = -1
    for it in range(maxiters + 1):
        _stats_pass(flat, skip_zero, vlo, vhi, shift, bracket.low, stats)
        kept = int(stats[:, 0].sum())
        if kept == 0:
            return math.nan
        s1 = float(stats[:, 1].sum()) / kept
        mean = shift + s1
        if kept == m or it == maxiters:
            return mean
        m = kept
        var = max(float(stats[:, 2].sum()) / m - s1 * s1, 0.0)
        centre = bracket.median(m, int(stats[:, 3].sum()), vlo, vhi)
        if centre is None:
            centre = _median_of(_kept_values(flat, skip_zero, vlo, vhi, m))
        centres.append(centre)
        limits.append(sigma * math.sqrt(var))
        vlo, vhi = _kept_interval(centres, limits, centre)
        shift = centre
    return math.nan


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


@njit(cache=True, inline="always")
def _median_upto4(buf, m):
    # Median of buf[:m], 1 <= m <= 4, by min/max networks: no data-dependent branches (an insertion
    # sort of random values mispredicts about every other comparison). Same values as sorting.
    a = buf[0]
    if m == 1:
        return a
    b = buf[1]
    if m == 2:
        return 0.5 * (a + b)
    lo, hi = min(a, b), max(a, b)
    c = buf[2]
    if m == 3:
        return max(lo, min(hi, c))
    d = buf[3]
    return 0.5 * (max(lo, min(c, d)) + min(hi, max(c, d)))


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
            if m <= 4:
                out[j, i] = _median_upto4(buf, m)
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
def _mark(outliers, dq, arrays, flag, do_not_use, dq_out, outs):
    # One pass, row by row: dq_out = dq | flag at outliers, | do_not_use where any of arrays (a tuple
    # of float32 images, sci first) is not finite; outs[k] = arrays[k], NaN where dq_out has do_not_use.
    ny, nx = dq.shape
    nan = np.float32(np.nan)
    for j in prange(ny):
        for i in range(nx):
            dq_out[j, i] = dq[j, i] | flag if outliers[j, i] else dq[j, i]
        for k in range(len(arrays)):
            a = arrays[k]
            for i in range(nx):
                if not np.isfinite(a[j, i]):
                    dq_out[j, i] |= do_not_use
        for k in range(len(arrays)):
            a = arrays[k]
            o = outs[k]
            for i in range(nx):
                o[j, i] = nan if dq_out[j, i] & do_not_use else a[j, i]


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
    new = np.empty(sci.shape, np.uint32)
    arrays = (sci, *others)
    if any(a.shape != sci.shape for a in arrays) or outliers.shape != sci.shape or dq_in.shape != sci.shape:
        raise ValueError("outliers, dq, sci and others must have one shape")
    results = tuple(np.empty(sci.shape, np.float32) for _ in arrays)
    flag, dnu = np.uint32(_dq.OUTLIER | _dq.DO_NOT_USE), np.uint32(_dq.DO_NOT_USE)
    _mark(outliers, dq_in, arrays, flag, dnu, new, results)
    return new, results[0], list(results[1:])


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
