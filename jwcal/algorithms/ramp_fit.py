"""Ordinary least-squares ramp fitting with optimal weighting (the algorithm of stcal's OLS_C).

Every pixel's ramp is read once, by a numba kernel running in parallel over image rows:

1. a median rate (DN/s) from the first differences of good groups (only for Poisson variance);
2. per integration, segments = runs of good groups, split at JUMP_DET (the group carrying the jump
   starts the next segment) and at any other flag (DO_NOT_USE, SATURATED, DROPOUT, ...);
   length-1 segments are dropped when a longer one exists;
3. per segment a weighted least-squares slope with weights ``|(i - c)/c|**P`` (``c = (n-1)/2``), the
   power ``P`` from the segment's signal-to-noise ratio, and its Poisson and read-noise variances;
4. segments combined into an integration, and integrations into the exposure, by inverse read-noise
   variance; variances combined as inverse sums; ``ERR = sqrt(VAR_POISSON + VAR_RNOISE)`` for the
   exposure and ``sqrt(1 / sum(1 / (var_P + var_R)))`` per integration (as stcal does).

Units: data DN, gain e-/DN, read noise the CDS read noise in DN, times in s; rates DN/s and
variances (DN/s)**2. Data-quality rules are those of ``stcal/ramp_fitting/src/slope_fitter.c``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from jwcal import dq
from jwcal.algorithms.medians import rank_median

_DNU = np.uint32(dq.DO_NOT_USE)
_SAT = np.uint32(dq.SATURATED)
_JUMP = np.uint32(dq.JUMP_DET)
_PERSIST = np.uint32(dq.PERSISTENCE)
_NO_GAIN = np.uint32(dq.PIXEL["NO_GAIN_VALUE"])
_LARGE_VARIANCE = 1.0e6


_POWERS = (0.0, 0.4, 1.0, 3.0, 6.0, 10.0)


@njit(cache=True, error_model="numpy")
def _weight_table(ngroups):
    """Return ``table[p, n, k] = |(k - c)/c| ** _POWERS[p]`` for segments of n >= 3 groups.

    The weights of a segment depend only on its length and on the exponent its signal-to-noise
    ratio selects, so pow() is called once per (exponent, length, group) instead of per pixel.
    """
    powers = np.array(_POWERS)
    table = np.ones((powers.size, ngroups + 1, max(ngroups, 1)), np.float64)
    for n in range(3, ngroups + 1):
        mid = (n - 1) / 2.0
        for k in range(n):
            w = abs((k - mid) / mid)
            table[2, n, k] = w
            for p in (1, 3, 4, 5):
                table[p, n, k] = w ** powers[p]
    return table


@njit(cache=True, error_model="numpy")
def _snr_index(snr):
    """Return the index in _POWERS of the weight exponent for a segment's S/N (lower bounds inclusive)."""
    if snr < 5.0:
        return 0
    if snr < 10.0:
        return 1
    if snr < 20.0:
        return 2
    if snr < 50.0:
        return 3
    if snr < 100.0:
        return 4
    return 5


@njit(cache=True, error_model="numpy")
def _fit_segment(y, start, n, tgroup, gain, rn, poisson_rate, t_one, wtab):
    """Fit one segment of ``n`` groups of ramp ``y`` starting at group ``start``.

    ``rn`` is the read noise per group in electrons, ``poisson_rate`` the median rate plus dark
    current (DN/s; dark only when the median is not positive), ``t_one`` the time of a length-1
    segment. Returns (slope DN/s, var_poisson, var_rnoise) in (DN/s)**2.
    """
    if n == 1:
        slope = y[start] / t_one
        var_p = poisson_rate / (t_one * gain)
        var_r = 2.0 * (rn / t_one) ** 2 / (gain * gain)
        return slope, var_p, var_r
    if n == 2:
        slope = (y[start + 1] - y[start]) / tgroup
        var_p = poisson_rate / (tgroup * gain)
        var_r = 2.0 * (rn / tgroup) ** 2 / (gain * gain)
        return slope, var_p, var_r
    delta = y[start + n - 1] - y[start]
    den = rn * rn + delta * gain
    snr = 0.0
    if den > 0.0 and gain != 0.0:
        snr = max(delta * gain / math.sqrt(den), 0.0)
    weights = wtab[_snr_index(snr), n]
    inv_rn2 = 1.0 / (rn * rn)
    sw = sx = sxx = sy = sxy = 0.0
    for k in range(n):
        w = weights[k] * inv_rn2
        x = float(start + k)
        v = y[start + k]
        if math.isnan(v):
            v = 0.0
        sw += w
        sx += w * x
        sxx += w * x * x
        sy += w * v
        sxy += w * x * v
    slope = (sw * sxy - sx * sy) / (sw * sxx - sx * sx) / tgroup
    var_p = poisson_rate / (tgroup * gain * (n - 1))
    var_r = 0.0
    if gain > 0.0:
        var_r = 12.0 * (rn / tgroup) ** 2 / ((n * n * n - n) * gain * gain)
    return slope, var_p, var_r


@njit(cache=True, error_model="numpy")
def _median_rate(y, gdq, nints, ngroups, tgroup, t_one, is_0th, scratch):
    """Mean over integrations of the median first difference of good groups (DN/s); NaN counts as 0."""
    total = 0.0
    for i in range(nints):
        base = i * ngroups
        if is_0th[i]:
            rate = y[base] / t_one
        elif ngroups == 1:
            rate = y[base] / t_one
            total += rate  # stcal: no NaN guard for one-group ramps
            continue
        else:
            k = 0
            for g in range(ngroups - 1):
                if gdq[base + g + 1] & _JUMP or gdq[base + g + 1] & _DNU or gdq[base + g] & _DNU:
                    continue
                d = (y[base + g + 1] - y[base + g]) / tgroup
                if not math.isnan(d):
                    scratch[k] = d
                    k += 1
            if k > 0:
                rate = rank_median(scratch, k)
            elif not gdq[base] & _DNU:
                rate = y[base] / tgroup
            else:
                rate = np.nan
        if not math.isnan(rate):
            total += rate
    return total / nints


@njit(cache=True, error_model="numpy")
def _fit_pixel(y, gdq, pixeldq, gain, rn_cds, dark, nints, ngroups, nframes, tgroup, t_one,
               suppress_one_group, is_0th, sat_any, starts, lengths, scratch, out_rate, out_ints, wtab):
    """Fit one pixel; ``y`` and ``gdq`` hold its (nints * ngroups) ramp and are modified (scratch).

    ``out_rate`` receives (slope, dq, var_poisson, var_rnoise, err); ``out_ints`` (nints, 5) the same
    per integration.
    """
    pdq = np.uint32(pixeldq)
    if not gain > 0.0:
        pdq |= _DNU | _NO_GAIN
    rn = rn_cds * gain / math.sqrt(2.0 * nframes)
    rate_dq = pdq
    for i in range(nints):
        base = i * ngroups
        good = 0
        raw_good = 0
        flags = np.uint32(0)
        for g in range(ngroups):
            flags |= gdq[base + g]
            if gdq[base + g] == 0:
                raw_good += 1
            gdq[base + g] &= ~_PERSIST
            if gdq[base + g] & _SAT:
                y[base + g] = np.nan
            if gdq[base + g] == 0:
                good += 1
        if suppress_one_group and good == 1:
            for g in range(ngroups):
                gdq[base + g] |= _DNU
        # stcal counts PERSISTENCE groups as not good here (but as good for segments)
        is_0th[i] = (not suppress_one_group) and raw_good == 1 and gdq[base] == 0
        out_ints[i, 1] = pdq | (flags & (_JUMP | _PERSIST))
        rate_dq |= flags & (_JUMP | _PERSIST)
        sat_any[i] = (flags & _SAT) != 0

    median = _median_rate(y, gdq, nints, ngroups, tgroup, t_one, is_0th, scratch)
    poisson_rate = median + dark if median > 0.0 else dark

    sum_p = sum_r = sum_slope = 0.0
    n_dnu = n_sat = 0
    for i in range(nints):
        base = i * ngroups
        idq = np.uint32(out_ints[i, 1])
        out_ints[i, 0] = 0.0
        out_ints[i, 2] = 0.0
        out_ints[i, 3] = 0.0
        out_ints[i, 4] = 0.0
        n_dnu_sat = 0
        n_sat_g = 0
        for g in range(ngroups):
            if gdq[base + g] & (_DNU | _SAT):
                n_dnu_sat += 1
            if gdq[base + g] & _SAT:
                n_sat_g += 1
        if gdq[base] & _SAT:
            idq |= _DNU | _SAT
        elif n_dnu_sat == ngroups:
            idq |= _DNU
            if n_sat_g == ngroups:
                idq |= _SAT
        else:
            # segments: runs of good groups, a pure-JUMP group before a run starts it
            nseg = 0
            longest = 0
            in_seg = False
            start = 0
            for g in range(ngroups + 1):
                ok = g < ngroups and gdq[base + g] == 0
                if ok and not in_seg:
                    start = g - 1 if g > 0 and gdq[base + g - 1] == _JUMP else g
                    in_seg = True
                elif not ok and in_seg:
                    starts[nseg] = start
                    lengths[nseg] = g - start
                    longest = max(longest, g - start)
                    nseg += 1
                    in_seg = False
            inv_r = inv_p = inv_e = num = 0.0
            t1 = t_one if is_0th[i] else tgroup
            for s in range(nseg):
                n = lengths[s]
                if n == 1 and (longest > 1 or s > 0):
                    continue
                slope, var_p, var_r = _fit_segment(y[base:base + ngroups], starts[s], n, tgroup, gain, rn,
                                                   poisson_rate, t1, wtab)
                inv_r += 1.0 / var_r
                if var_p > 0.0:
                    inv_p += 1.0 / var_p
                inv_e += 1.0 / (var_p + var_r)
                num += slope / var_r
            if nseg > 0:
                var_p_i = 1.0 / inv_p if inv_p > 0.0 else 0.0
                var_r_i = 1.0 / inv_r
                out_ints[i, 2] = var_p_i if var_p_i < _LARGE_VARIANCE else 0.0
                out_ints[i, 3] = var_r_i if var_r_i < _LARGE_VARIANCE else 0.0
                if not idq & (_DNU | _SAT):
                    out_ints[i, 0] = num * out_ints[i, 3]  # stcal: times the thresholded variance
                    var_e = 1.0 / inv_e
                    out_ints[i, 4] = math.sqrt(var_e) if var_e <= _LARGE_VARIANCE else 0.0
                sum_p += inv_p
                sum_r += inv_r
                sum_slope += num
        if idq & _DNU:
            n_dnu += 1
        if idq & _SAT:
            n_sat += 1
        if idq & (_DNU | _SAT):
            out_ints[i, 0] = np.nan
            out_ints[i, 2] = 0.0
            out_ints[i, 3] = 0.0
            out_ints[i, 4] = 0.0
        out_ints[i, 1] = idq

    if n_dnu == nints:
        rate_dq |= _DNU
    if n_sat == nints:
        rate_dq |= _SAT
    var_p = 1.0 / sum_p if sum_p > 0.0 else 0.0
    if var_p >= _LARGE_VARIANCE:
        var_p = 0.0
    var_r = 1.0 / sum_r if sum_r > 0.0 else 0.0
    if var_r >= _LARGE_VARIANCE:
        var_r = 0.0
    if rate_dq & (_DNU | _SAT):
        out_rate[0] = np.nan
        out_rate[2] = out_rate[3] = out_rate[4] = 0.0
    else:
        out_rate[0] = sum_slope * var_r
        out_rate[2] = var_p
        out_rate[3] = var_r
        out_rate[4] = math.sqrt(var_p + var_r)
    # partial saturation is flagged after the NaN decisions: the slope of the good groups stays
    for i in range(nints):
        if sat_any[i]:
            out_ints[i, 1] = np.uint32(out_ints[i, 1]) | _SAT
            rate_dq |= _SAT
    out_rate[1] = rate_dq


@njit(cache=True, error_model="numpy")
def _fit_clean_row(data, groupdq, pixeldq, gain, readnoise, dark, row, nframes, tgroup, wtab, rate, rate_dq,
                   done):
    """Fit the clean pixels of one row of a one-integration ramp, column by column in SIMD order.

    Clean: no GROUPDQ flag in any group, no DO_NOT_USE/SATURATED in PIXELDQ, a positive gain,
    finite data and at least 3 groups. Such a pixel's ramp is one segment of every group, so
    :func:`_fit_pixel` reduces to a median of differences and one weighted fit; the same
    operations are done here in the same order for each pixel (so the same bits), with the
    columns innermost so that the compiler vectorizes them. ``done[col]`` tells which pixels
    were fitted; the others are left to :func:`_fit_pixel`.
    """
    ngroups, nx = data.shape[1], data.shape[3]
    k = ngroups - 1
    n = ngroups
    diffs = np.empty((k, nx), np.float64)
    for col in range(nx):
        ok = (pixeldq[row, col] & (_DNU | _SAT)) == 0 and gain[row, col] > 0.0
        for g in range(ngroups):
            ok = ok and groupdq[0, g, row, col] == 0 and math.isfinite(data[0, g, row, col])
        done[col] = ok
    for g in range(k):
        for col in range(nx):
            diffs[g, col] = (np.float64(data[0, g + 1, row, col]) - np.float64(data[0, g, row, col])) / tgroup
    half = k // 2
    y = np.empty(n, np.float64)
    lo = np.zeros(nx, np.float64)
    hi = np.zeros(nx, np.float64)
    rank = np.empty(nx, np.int64)
    for i in range(k):  # the stable-rank median of medians.rank_median, across the row
        rank[:] = 0
        for j in range(k):
            for col in range(nx):
                rank[col] += (diffs[j, col] < diffs[i, col]) | ((diffs[j, col] == diffs[i, col]) & (j < i))
        for col in range(nx):
            lo[col] = diffs[i, col] if rank[col] == half - 1 else lo[col]
            hi[col] = diffs[i, col] if rank[col] == half else hi[col]
    for col in range(nx):
        if not done[col]:
            continue
        g32 = gain[row, col]
        rn = readnoise[row, col] * g32 / math.sqrt(2.0 * nframes)
        median = (0.0 + (hi[col] if k % 2 else 0.5 * (lo[col] + hi[col]))) / 1
        poisson_rate = median + dark[row, col] if median > 0.0 else dark[row, col]
        for j in range(n):
            y[j] = data[0, j, row, col]
        slope, var_p, var_r = _fit_segment(y, 0, n, tgroup, g32, rn, poisson_rate, tgroup, wtab)
        inv_r = 0.0 + 1.0 / var_r
        inv_p = 0.0 + 1.0 / var_p if var_p > 0.0 else 0.0
        num = 0.0 + slope / var_r
        var_p = 1.0 / inv_p if inv_p > 0.0 else 0.0
        if var_p >= _LARGE_VARIANCE:
            var_p = 0.0
        var_r = 1.0 / inv_r if inv_r > 0.0 else 0.0
        if var_r >= _LARGE_VARIANCE:
            var_r = 0.0
        rate[0, row, col] = num * var_r
        rate[1, row, col] = var_p
        rate[2, row, col] = var_r
        rate[3, row, col] = math.sqrt(var_p + var_r)
        rate_dq[row, col] = np.uint32(pixeldq[row, col])


@njit(cache=True, parallel=True, error_model="numpy")
def _fit_rows(data, groupdq, pixeldq, gain, readnoise, dark, nframes, tgroup, t_one, suppress_one_group,
              rate, rate_dq, ints, ints_dq, want_ints):
    """Fit every pixel, in parallel over rows; results go into the preallocated output arrays.

    ``ints``/``ints_dq`` are only written when ``want_ints`` (else they may be empty).
    """
    nints, ngroups, ny, nx = data.shape
    wtab = _weight_table(ngroups)
    for row in prange(ny):
        y = np.empty(nints * ngroups, np.float64)
        gdq = np.empty(nints * ngroups, np.uint32)
        is_0th = np.zeros(nints, np.bool_)
        sat_any = np.zeros(nints, np.bool_)
        starts = np.empty(ngroups + 1, np.int64)
        lengths = np.empty(ngroups + 1, np.int64)
        scratch = np.empty(max(ngroups, 1), np.float64)
        out_rate = np.empty(5, np.float64)
        out_ints = np.empty((nints, 5), np.float64)
        done = np.zeros(nx, np.bool_)
        if nints == 1 and ngroups >= 3 and not want_ints:
            _fit_clean_row(data, groupdq, pixeldq, gain, readnoise, dark, row, nframes, tgroup, wtab, rate,
                           rate_dq, done)
        for col in range(nx):
            if done[col]:
                continue
            for i in range(nints):
                for g in range(ngroups):
                    y[i * ngroups + g] = data[i, g, row, col]
                    gdq[i * ngroups + g] = groupdq[i, g, row, col]
            _fit_pixel(y, gdq, pixeldq[row, col], gain[row, col], readnoise[row, col], dark[row, col],
                       nints, ngroups, nframes, tgroup, t_one, suppress_one_group, is_0th, sat_any, starts,
                       lengths, scratch, out_rate, out_ints, wtab)
            rate[0, row, col] = out_rate[0]
            rate[1, row, col] = out_rate[2]
            rate[2, row, col] = out_rate[3]
            rate[3, row, col] = out_rate[4]
            rate_dq[row, col] = np.uint32(out_rate[1])
            if not want_ints:
                continue
            for i in range(nints):
                ints[0, i, row, col] = out_ints[i, 0]
                ints[1, i, row, col] = out_ints[i, 2]
                ints[2, i, row, col] = out_ints[i, 3]
                ints[3, i, row, col] = out_ints[i, 4]
                ints_dq[i, row, col] = np.uint32(out_ints[i, 1])


def fit_ramps(data, groupdq, pixeldq, gain, readnoise, *, group_time, frame_time, nframes=1,
              suppress_one_group=True, dark_current=None, rateints=True):
    """Fit slopes to ramps.

    Parameters
    ----------
    data : ndarray, float32, shape (nints, ngroups, ny, nx)
        Ramps in DN.
    groupdq : ndarray, uint8, same shape
        GROUPDQ flags.
    pixeldq : ndarray, uint32, shape (ny, nx)
        PIXELDQ flags (copied into every output DQ).
    gain : ndarray, float, shape (ny, nx)
        e-/DN; pixels with gain <= 0 get DO_NOT_USE | NO_GAIN_VALUE.
    readnoise : ndarray, float, shape (ny, nx)
        CDS read noise in DN.
    group_time, frame_time : float
        TGROUP and TFRAME in s.
    nframes : int
        Frames averaged per group.
    suppress_one_group : bool
        Integrations with a single good group give no slope (DO_NOT_USE), as jwst's default.
    dark_current : ndarray, float, shape (ny, nx), optional
        Average dark current (DN/s) added to the Poisson variance's rate.
    rateints : bool
        Also return the per-integration arrays (False saves 5 (nints, ny, nx) float32/uint32 arrays).

    Returns
    -------
    dict
        ``rate``: dict of SCI, ERR, VAR_POISSON, VAR_RNOISE (float32, (ny, nx)) and DQ (uint32);
        ``rateints``: the same with shape (nints, ny, nx), or None when ``rateints`` is False.
        Inputs are not modified.
    """
    data = np.asarray(data)
    nints, ngroups, ny, nx = data.shape
    if groupdq.shape != data.shape:
        raise ValueError(f"GROUPDQ shape {groupdq.shape} differs from SCI {data.shape}")
    for name, array in (("PIXELDQ", pixeldq), ("gain", gain), ("read noise", readnoise)):
        if array.shape != (ny, nx):
            raise ValueError(f"{name} shape {array.shape} differs from the image shape {(ny, nx)}")
    dark = np.zeros((ny, nx), np.float32) if dark_current is None else np.asarray(dark_current, np.float32)
    t_one = (nframes + 1) * frame_time / 2.0
    rate = np.empty((4, ny, nx), np.float32)
    rate_dq = np.empty((ny, nx), np.uint32)
    ishape = (nints, ny, nx) if rateints else (nints, 0, 0)
    ints = np.empty((4, *ishape), np.float32)
    ints_dq = np.empty(ishape, np.uint32)
    contiguous = np.ascontiguousarray  # one kernel signature for full frames and subarray cuts
    _fit_rows(data, groupdq, contiguous(pixeldq, np.uint32), contiguous(gain, np.float32),
              contiguous(readnoise, np.float32), dark, int(nframes), float(group_time), float(t_one),
              bool(suppress_one_group and ngroups > 1), rate, rate_dq, ints, ints_dq, bool(rateints))

    def product(arrays, dq_array):
        return {"SCI": arrays[0], "ERR": arrays[3], "DQ": dq_array, "VAR_POISSON": arrays[1],
                "VAR_RNOISE": arrays[2]}

    return {"rate": product(rate, rate_dq), "rateints": product(ints, ints_dq) if rateints else None}


def warm_up() -> None:
    """Load the compiled kernel from numba's cache by fitting a 1x1-pixel, 2-group ramp.

    Commands call this in a background thread while their input is still arriving through a pipe,
    so the cache loading (~0.4 s) is not added after the last byte is read. The argument types are
    those of a full-frame call (C-contiguous float32/uint8/uint32 arrays).
    """
    one = np.ones((1, 1), np.float32)
    ramp = np.zeros((1, 2, 1, 1), np.float32)
    fit_ramps(ramp, np.zeros(ramp.shape, np.uint8), np.zeros((1, 1), np.uint32), one, one, group_time=1.0,
              frame_time=1.0, rateints=False)
