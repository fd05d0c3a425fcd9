"""Jump (cosmic-ray) detection in up-the-ramp data: the two-point difference method.

The rules are those of stcal's ``jump/twopoint_difference.py`` (stcal 1.20): everything is done in
electrons (``data * gain``), the first differences of a pixel are pooled over all integrations,
and one of three detectors runs:

* **iterative** (the usual 3-10 groups): on ``|diff|``, a clipped median (largest value dropped
  when at least 4 differences are usable, the minimum when only 2), noise
  ``sqrt(|median| + (readnoise * gain)**2 / nframes)``, the largest outlier above the threshold
  for the number of usable differences is flagged and removed, repeat;
* **single pass** (at least ``min_diffs_single_pass`` usable differences): every difference whose
  distance from the plain median exceeds ``rejection_threshold`` sigma;
* **sigma clipping** (at least ``minimum_sigclip_groups`` integrations, or groups when
  ``only_use_ints`` is False): astropy-style iterative clipping (median centre, standard deviation,
  5 iterations) of each difference across integrations (or of all differences of the pixel).

Then the four neighbours of jumps between ``min_jump_to_flag_neighbors`` and
``max_jump_to_flag_neighbors`` sigma are flagged, groups after large jumps are flagged
(``after_jump_flag_*``), and JUMP_DET is removed where a group is also DO_NOT_USE or SATURATED.

Every pixel's ramp is read once, in a numba kernel parallel over rows; a second light kernel over
the uint8 flags does the neighbour and after-jump flagging. Snowballs and showers (large events)
are in :mod:`jwcal.algorithms.large_events`; beyond jwst, :func:`two_group_jumps` handles 2-group
integrations.
"""

from __future__ import annotations

import math
import os

import numba
import numpy as np
from numba import njit, prange

from jwcal import dq
from jwcal.algorithms.medians import sorted_median
from jwcal.algorithms.row_bands import in_row_bands

JUMP = np.uint8(dq.JUMP_DET)
SAT = np.uint8(dq.SATURATED)
DNU = np.uint8(dq.DO_NOT_USE)
BAD = np.uint8(dq.SATURATED | dq.DO_NOT_USE)

MODE_ITERATIVE, MODE_SINGLE_PASS, MODE_SIGCLIP_INTS, MODE_SIGCLIP_ALL = 0, 1, 2, 3
MODE_NAMES = {MODE_ITERATIVE: "iterative", MODE_SINGLE_PASS: "single pass",
              MODE_SIGCLIP_INTS: "sigma clipping across integrations",
              MODE_SIGCLIP_ALL: "sigma clipping across groups and integrations"}

# Bits of the per-group scratch code written by the first kernel.
_C_NEIGHBOUR = np.uint8(1)  # min_jump_to_flag_neighbors < ratio < max_jump_to_flag_neighbors
_C_AFTER1 = np.uint8(2)  # diff - median >= after_jump_flag_e1
_C_AFTER2 = np.uint8(4)  # diff - median >= after_jump_flag_e2
_C_PRIMARY = np.uint8(8)  # JUMP_DET set after the primary detection

#: Most differences per pixel (integrations x (groups - 1)) the row kernel sorts with its network
#: (n rounds of n/2 compare-exchanges); more go to the per-pixel kernel.
_MAX_ROW_DIFFS = 32
_CHUNK = 256  # pixels per block of the row kernel: its sorted copies stay in the L1 cache


def resolve_threads(maximum_cores: str | int) -> int:
    """Return the number of threads for jwst's ``maximum_cores`` value.

    Parameters
    ----------
    maximum_cores : str or int
        ``'none'``/``'one'``, ``'quarter'``, ``'half'``, ``'all'`` or a whole number.

    Returns
    -------
    int
        Between 1 and the number of threads numba may use.

    Raises
    ------
    ValueError
        Anything else.
    """
    available = max(1, min(os.cpu_count() or 1, numba.config.NUMBA_NUM_THREADS))
    text = str(maximum_cores).strip().lower()
    if text in ("none", "one"):
        return 1
    if text == "quarter":
        return max(1, available // 4)
    if text == "half":
        return max(1, available // 2)
    if text == "all":
        return available
    if text.isdigit() and int(text) >= 1:
        return min(int(text), available)
    raise ValueError(f"maximum_cores must be a whole number >= 1, 'none', 'quarter', 'half' or 'all', "
                     f"not {maximum_cores!r}")


def all_dnu_groups(groupdq: np.ndarray) -> np.ndarray:
    """Return which group planes have DO_NOT_USE on every pixel.

    Parameters
    ----------
    groupdq : numpy.ndarray
        uint8, shape (nints, ngroups, ny, nx).

    Returns
    -------
    numpy.ndarray
        bool, shape (nints, ngroups).
    """
    return _all_dnu_groups(groupdq)


@njit(cache=True)
def _all_dnu_groups(groupdq):
    nints, ngroups, ny, nx = groupdq.shape
    out = np.ones((nints, ngroups), np.bool_)
    for i in range(nints):
        for g in range(ngroups):
            plane = groupdq[i, g]
            done = False
            for y in range(ny):
                for x in range(nx):
                    if plane[y, x] & DNU == 0:
                        out[i, g] = False
                        done = True
                        break
                if done:
                    break
    return out


def choose_mode(nints: int, ngroups: int, all_dnu: np.ndarray, *, minimum_groups: int = 3,
                minimum_sigclip_groups: int = 100, only_use_ints: bool = True,
                min_diffs_single_pass: int = 10) -> int | None:
    """Return the detector stcal would use (``MODE_*``), or None when it would skip.

    Parameters
    ----------
    nints, ngroups : int
        Ramp dimensions.
    all_dnu : numpy.ndarray
        bool (nints, ngroups), from :func:`all_dnu_groups`.
    minimum_groups, minimum_sigclip_groups, only_use_ints, min_diffs_single_pass
        jwst's JumpStep parameters of the same names.
    """
    per_int = all_dnu.sum(axis=1) if all_dnu.size else np.zeros(1, int)
    min_usable_groups = ngroups - int(per_int.max())
    total_groups = nints * ngroups - int(all_dnu.sum())
    # stcal counts the all-DNU planes of the last integration only here (a quirk kept as is).
    last_flagged = int(per_int[-1]) if per_int.size else 0
    sigclip_groups = nints if only_use_ints else nints * ngroups - last_flagged
    sigclip_fails = sigclip_groups < minimum_sigclip_groups
    if min_usable_groups < minimum_groups and sigclip_fails:
        return None
    if only_use_ints and nints >= minimum_sigclip_groups:
        return MODE_SIGCLIP_INTS
    if not only_use_ints and total_groups >= minimum_sigclip_groups:
        return MODE_SIGCLIP_ALL
    if min_usable_groups - 1 >= min_diffs_single_pass:
        return MODE_SINGLE_PASS
    return MODE_ITERATIVE


def two_point_difference(data: np.ndarray, groupdq: np.ndarray, gain: np.ndarray, readnoise: np.ndarray, *,
                         nframes: int = 1, mode: int = MODE_ITERATIVE, rejection_threshold: float = 4.0,
                         three_group_rejection_threshold: float = 6.0,
                         four_group_rejection_threshold: float = 5.0, flag_4_neighbors: bool = True,
                         min_jump_to_flag_neighbors: float = 10.0, max_jump_to_flag_neighbors: float = 1000.0,
                         after_jump_flag_e1: float = 0.0, after_jump_flag_n1: int = 0,
                         after_jump_flag_e2: float = 0.0, after_jump_flag_n2: int = 0,
                         threads: int = 1) -> tuple[np.ndarray, int]:
    """Flag jumps in a ramp cube; return the new GROUPDQ and the number of primary jump flags.

    Parameters
    ----------
    data : numpy.ndarray
        float32 (nints, ngroups, ny, nx), DN.
    groupdq : numpy.ndarray
        uint8, same shape. Not modified.
    gain : numpy.ndarray
        (ny, nx), e-/DN. Pixels with gain <= 0 or NaN give no jumps (their differences are NaN or 0).
    readnoise : numpy.ndarray
        (ny, nx), CDS read noise in DN.
    nframes : int
        Frames averaged per group.
    mode : int
        One of ``MODE_*`` (see :func:`choose_mode`).
    rejection_threshold, three_group_rejection_threshold, four_group_rejection_threshold : float
        Sigma thresholds for >= 4, 2 and 3 usable differences (pooled over integrations).
    flag_4_neighbors : bool
        Flag the 4 edge neighbours of jumps whose significance lies strictly between
        ``min_jump_to_flag_neighbors`` and ``max_jump_to_flag_neighbors``.
    after_jump_flag_e1, after_jump_flag_e2 : float
        Electrons; jumps at least this large get the next ``after_jump_flag_n1``/``_n2`` groups flagged.
    threads : int
        numba threads.

    Returns
    -------
    groupdq : numpy.ndarray
        uint8 (nints, ngroups, ny, nx), input flags with JUMP_DET added.
    n_primary : int
        JUMP_DET flags (pre-existing included) after the primary detection, before neighbours.
    """
    if data.ndim != 4 or groupdq.shape != data.shape or gain.shape != data.shape[2:] \
            or readnoise.shape != data.shape[2:]:
        raise ValueError("data/groupdq must be 4-D of one shape, gain/readnoise 2-D (ny, nx)")
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    data = np.ascontiguousarray(data, dtype=np.float32)
    groupdq = np.ascontiguousarray(groupdq, dtype=np.uint8)
    gain = np.ascontiguousarray(gain, dtype=np.float32)
    readnoise = np.ascontiguousarray(readnoise, dtype=np.float32)
    out = np.empty_like(groupdq)
    code = np.empty_like(groupdq)
    thresholds = (float(rejection_threshold), float(four_group_rejection_threshold),
                  float(three_group_rejection_threshold), float(min_jump_to_flag_neighbors),
                  float(max_jump_to_flag_neighbors), float(after_jump_flag_e1), float(after_jump_flag_e2))
    n = data.shape[0] * (data.shape[1] - 1)
    if mode == MODE_ITERATIVE and 2 <= n <= _MAX_ROW_DIFFS:
        in_row_bands(_iterative_rows, data.shape[2], threads, data, groupdq, gain, readnoise, float(nframes),
                     *thresholds, out, code)
    else:
        _primary(data, groupdq, gain, readnoise, float(nframes), int(mode), *thresholds, out, code)
    if mode in (MODE_SIGCLIP_INTS, MODE_SIGCLIP_ALL):
        _sigclip_plane_reset(out, code)
    counts = np.zeros(data.shape[2], np.int64)
    in_row_bands(_secondary_rows, data.shape[2], threads, out, code, bool(flag_4_neighbors),
                 int(after_jump_flag_n1), int(after_jump_flag_n2), counts)
    return out, int(counts.sum())


def warm_up() -> None:
    """Load the detection kernels from numba's cache with a 1-pixel, 3-group ramp.

    Commands call this in a background thread while their input arrives through a pipe. The
    argument types are those of a full-frame call, so the same cached specializations load.
    """
    one = np.ones((1, 1), np.float32)
    ramp = np.zeros((1, 3, 1, 1), np.float32)
    flags = np.zeros(ramp.shape, np.uint8)
    all_dnu_groups(flags)
    two_point_difference(ramp, flags, one, one, threads=numba.get_num_threads())


def _sigclip_plane_reset(out: np.ndarray, code: np.ndarray) -> None:
    """Apply stcal's quirk: in a plane all JUMP or DNU, flags that are exactly JUMP are cleared."""
    nints, ngroups = out.shape[:2]
    for i in range(nints):
        for g in range(ngroups):
            plane = out[i, g]
            if np.all(plane & (JUMP | DNU) != 0):
                only = plane == JUMP
                plane[only] = 0
                code[i, g][only] &= ~_C_PRIMARY


@njit(cache=True)
def _nanmedian(values, n, tmp):
    """Median of the finite entries of ``values[:n]`` (NaN if none); ``tmp`` is scratch."""
    m = 0
    for k in range(n):
        v = values[k]
        if not math.isnan(v):
            tmp[m] = v
            m += 1
    if m == 0:
        return np.nan
    return sorted_median(tmp, m)


@njit(cache=True)
def _clipped_median(values, n, tmp):
    """Return stcal's ``calc_med_first_diffs`` of one pixel: max dropped (>= 4 usable), min (2), NaN."""
    usable = 0
    top = -np.inf
    low = np.inf
    for k in range(n):
        v = values[k]
        if not math.isnan(v):
            usable += 1
            if v > top:
                top = v
            if v < low:
                low = v
    if usable < 2:
        return np.nan
    if usable == 2:
        return low
    m = 0
    for k in range(n):
        v = values[k]
        if not math.isnan(v) and (usable < 4 or v != top):
            tmp[m] = v
            m += 1
    if m == 0:
        return np.nan
    return sorted_median(tmp, m)


@njit(cache=True)
def _iterative(diffs, n, rn2_over_nframes, thr4, thr3, thr2, work, tmp, flags):
    """Flag the largest outlier of ``|diffs|`` while it exceeds the threshold; sets ``flags``."""
    usable = 0
    for k in range(n):
        v = diffs[k]
        if math.isnan(v):
            work[k] = np.nan
        else:
            work[k] = abs(v)
            usable += 1
    for _ in range(n):
        if usable >= 4:
            thr = thr4
        elif usable == 3:
            thr = thr3
        elif usable == 2:
            thr = thr2
        else:
            return
        med = _clipped_median(work, n, tmp)
        sigma = math.sqrt(abs(med) + rn2_over_nframes)
        if sigma == 0.0 or math.isnan(sigma):
            return
        best = -1.0
        for k in range(n):
            if not math.isnan(work[k]):
                r = abs(work[k] - med) / sigma
                if r > best:
                    best = r
        if not best > thr:
            return
        for k in range(n):
            if not math.isnan(work[k]) and abs(work[k] - med) / sigma == best:
                flags[k] = True
                work[k] = np.nan
                usable -= 1


@njit(cache=True)
def _sigma_clip(values, idx, m, sigma, tmp, flags):
    """Clip ``values[idx[:m]]`` like astropy ``sigma_clip`` (median, std, 5 iterations) into ``flags``."""
    clipped = np.zeros(m, np.bool_)
    for k in range(m):
        if math.isnan(values[idx[k]]):
            clipped[k] = True
    for _ in range(5):
        c = 0
        total = 0.0
        for k in range(m):
            if not clipped[k]:
                tmp[c] = values[idx[k]]
                total += tmp[c]
                c += 1
        if c == 0:
            break
        s = np.sort(tmp[:c])
        med = s[c // 2] if c % 2 == 1 else 0.5 * (s[c // 2 - 1] + s[c // 2])
        mean = total / c
        var = 0.0
        for k in range(c):
            var += (tmp[k] - mean) ** 2
        std = math.sqrt(var / c)
        lo = med - sigma * std
        hi = med + sigma * std
        changed = 0
        for k in range(m):
            if not clipped[k]:
                v = values[idx[k]]
                if v < lo or v > hi:
                    clipped[k] = True
                    changed += 1
        if changed == 0:
            break
    for k in range(m):
        if clipped[k] and not math.isnan(values[idx[k]]):
            flags[idx[k]] = True


@njit(cache=True, parallel=True)
def _primary(data, gdq, gain, readnoise, nframes, mode, thr4, thr3, thr2, nbr_min, nbr_max, e1, e2,
             out, code):
    nints, ngroups, ny, nx = data.shape
    ndiffs = ngroups - 1
    n = nints * ndiffs
    for y in prange(ny):
        diffs = np.empty(n, np.float32)
        work = np.empty(n, np.float64)
        tmp = np.empty(n, np.float64)
        idx = np.empty(n, np.int64)
        flags = np.zeros(n, np.bool_)
        for x in range(nx):
            g = gain[y, x]
            rn = readnoise[y, x] * g
            rn2 = np.float64(rn * rn) / nframes
            for i in range(nints):
                prev = data[i, 0, y, x] * g
                prev_bad = gdq[i, 0, y, x] & BAD != 0
                out[i, 0, y, x] = gdq[i, 0, y, x]
                code[i, 0, y, x] = _C_PRIMARY if gdq[i, 0, y, x] & JUMP else 0
                for j in range(ndiffs):
                    cur = data[i, j + 1, y, x] * g
                    cur_bad = gdq[i, j + 1, y, x] & BAD != 0
                    if prev_bad or cur_bad:
                        diffs[i * ndiffs + j] = np.nan
                    else:
                        diffs[i * ndiffs + j] = cur - prev
                    prev = cur
                    prev_bad = cur_bad
                    flags[i * ndiffs + j] = False
            med = _nanmedian(diffs, n, tmp)
            sigma = math.sqrt(abs(med) + rn2)
            if sigma == 0.0:
                sigma = np.nan
            if mode == MODE_ITERATIVE:
                _iterative(diffs, n, rn2, thr4, thr3, thr2, work, tmp, flags)
            elif mode == MODE_SINGLE_PASS:
                for k in range(n):
                    if not math.isnan(diffs[k]) and abs(diffs[k] - med) / sigma > thr4:
                        flags[k] = True
            elif mode == MODE_SIGCLIP_INTS:
                for j in range(ndiffs):
                    for i in range(nints):
                        idx[i] = i * ndiffs + j
                    _sigma_clip(diffs, idx, nints, thr4, tmp, flags)
            else:
                for k in range(n):
                    idx[k] = k
                _sigma_clip(diffs, idx, n, thr4, tmp, flags)
            for i in range(nints):
                for j in range(ndiffs):
                    k = i * ndiffs + j
                    flag = gdq[i, j + 1, y, x]
                    if flags[k] and flag & BAD == 0:
                        flag |= JUMP
                    out[i, j + 1, y, x] = flag
                    c = np.uint8(0)
                    if flag & JUMP:
                        c |= _C_PRIMARY
                    e = diffs[k] - med
                    r = abs(e) / sigma
                    if r > nbr_min and r < nbr_max:
                        c |= _C_NEIGHBOUR
                    if e >= e1:
                        c |= _C_AFTER1
                    if e >= e2:
                        c |= _C_AFTER2
                    code[i, j + 1, y, x] = c


@njit(cache=True, nogil=True, error_model="numpy")
def _iterative_rows(data, gdq, gain, readnoise, nframes, thr4, thr3, thr2, nbr_min, nbr_max, e1, e2, out,
                    code, y0, y1):
    """Run the iterative detector of :func:`_primary` on rows ``y0:y1``, laid out for SIMD over pixels.

    A block of pixels of a row is handled plane by plane: first differences, two sorted copies
    (signed and absolute, an odd-even transposition network run on all pixels at once), the
    medians and the largest deviation read off the sorted copies, the output flags. A pixel with
    a non-finite difference or whose largest deviation exceeds the threshold (a cosmic-ray
    candidate) goes through the per-pixel code of :func:`_primary` (``_nanmedian``,
    ``_iterative``); the arithmetic is the same, so the flags are identical.
    """
    nints, ngroups, _, nx = data.shape
    nd = ngroups - 1
    n = nints * nd
    chunk = min(nx, _CHUNK)
    diffs = np.empty((n, chunk), np.float32)
    signed = np.empty((n, chunk), np.float32)
    absolute = np.empty((n, chunk), np.float32)
    flags = np.zeros((n, chunk), np.bool_)
    med = np.empty(chunk, np.float64)
    sig = np.empty(chunk, np.float64)
    clean = np.empty(chunk, np.bool_)
    column = np.empty(n, np.float32)
    work = np.empty(n, np.float64)
    tmp = np.empty(n, np.float64)
    pixel_flags = np.zeros(n, np.bool_)
    half = n // 2
    for y in range(y0, y1):
        for x0 in range(0, nx, chunk):
            m = min(chunk, nx - x0)
            for c in range(m):
                clean[c] = True
            for i in range(nints):
                for j in range(nd):
                    k = i * nd + j
                    for c in range(m):
                        x = x0 + c
                        g = gain[y, x]
                        d = data[i, j + 1, y, x] * g - data[i, j, y, x] * g
                        if (gdq[i, j, y, x] | gdq[i, j + 1, y, x]) & BAD:
                            d = np.float32(np.nan)
                        diffs[k, c] = d
                        signed[k, c] = d
                        absolute[k, c] = abs(d)
                        flags[k, c] = False
                        if not math.isfinite(d):
                            clean[c] = False
            for r in range(n):
                for a in range(r & 1, n - 1, 2):
                    for c in range(m):
                        u = signed[a, c]
                        v = signed[a + 1, c]
                        signed[a, c] = min(u, v)
                        signed[a + 1, c] = max(u, v)
                        u = absolute[a, c]
                        v = absolute[a + 1, c]
                        absolute[a, c] = min(u, v)
                        absolute[a + 1, c] = max(u, v)
            for c in range(m):
                x = x0 + c
                g = gain[y, x]
                rn = readnoise[y, x] * g
                rn2 = np.float64(rn * rn) / nframes
                if clean[c]:
                    if n % 2:
                        centre = np.float64(signed[half, c])
                    else:
                        centre = 0.5 * (np.float64(signed[half - 1, c]) + np.float64(signed[half, c]))
                else:
                    for k in range(n):
                        column[k] = diffs[k, c]
                    centre = _nanmedian(column, n, tmp)
                sigma = math.sqrt(abs(centre) + rn2)
                med[c] = centre
                sig[c] = sigma if sigma != 0.0 else np.nan
                if clean[c] and not _candidate(absolute, c, n, rn2, thr4, thr3, thr2):
                    continue
                for k in range(n):
                    column[k] = diffs[k, c]
                    pixel_flags[k] = False
                _iterative(column, n, rn2, thr4, thr3, thr2, work, tmp, pixel_flags)
                for k in range(n):
                    flags[k, c] = pixel_flags[k]
            for i in range(nints):
                for c in range(m):
                    x = x0 + c
                    out[i, 0, y, x] = gdq[i, 0, y, x]
                    code[i, 0, y, x] = _C_PRIMARY if gdq[i, 0, y, x] & JUMP else 0
                for j in range(nd):
                    k = i * nd + j
                    for c in range(m):
                        x = x0 + c
                        flag = gdq[i, j + 1, y, x]
                        if flags[k, c] and flag & BAD == 0:
                            flag |= JUMP
                        out[i, j + 1, y, x] = flag
                        bits = _C_PRIMARY if flag & JUMP else np.uint8(0)
                        e = diffs[k, c] - med[c]
                        ratio = abs(e) / sig[c]
                        if ratio > nbr_min and ratio < nbr_max:
                            bits |= _C_NEIGHBOUR
                        if e >= e1:
                            bits |= _C_AFTER1
                        if e >= e2:
                            bits |= _C_AFTER2
                        code[i, j + 1, y, x] = bits


@njit(cache=True, nogil=True, error_model="numpy")
def _candidate(absolute, c, n, rn2, thr4, thr3, thr2):
    """Tell whether :func:`_iterative` would flag anything in sorted column ``c`` of ``n`` finite |diffs|.

    Its first round read off the sorted values: the clipped median (all copies of the maximum
    dropped with 4 or more values, the minimum of 2), the noise from it, and the largest
    deviation, which belongs to the smallest or the largest value.
    """
    if n >= 4:
        thr = thr4
    elif n == 3:
        thr = thr3
    else:
        thr = thr2
    top = absolute[n - 1, c]
    if n == 2:
        centre = np.float64(absolute[0, c])
    else:
        kept = n
        if n >= 4:
            while kept > 0 and absolute[kept - 1, c] == top:
                kept -= 1
            if kept == 0:
                return False  # every value equals the maximum: NaN median, no flags
        h = kept // 2
        if kept % 2:
            centre = np.float64(absolute[h, c])
        else:
            centre = 0.5 * (np.float64(absolute[h - 1, c]) + np.float64(absolute[h, c]))
    sigma = math.sqrt(abs(centre) + rn2)
    if sigma == 0.0 or math.isnan(sigma):
        return False
    best = max(abs(np.float64(top) - centre) / sigma, abs(np.float64(absolute[0, c]) - centre) / sigma)
    return best > thr


@njit(cache=True, nogil=True, error_model="numpy")
def _secondary_rows(out, code, neighbours, n1, n2, counts, y0, y1):
    """Count primary flags, flag neighbours and after-jump groups, clear JUMP on bad groups (rows y0:y1).

    Rows of pixels are walked plane by plane (SIMD over pixels); neighbour flags read only ``code``,
    so rows are independent and the order of the passes is that of the per-pixel rules.
    """
    nints, ngroups, ny, nx = out.shape
    src = _C_PRIMARY | _C_NEIGHBOUR
    keep = BAD | JUMP
    big1 = np.zeros(ngroups, np.bool_)
    big2 = np.zeros(ngroups, np.bool_)
    hit = np.zeros(nx, np.bool_)
    nothing = np.zeros(nx, np.uint8)  # the missing row above the first and below the last
    for y in range(y0, y1):
        count = 0
        for i in range(nints):
            for g in range(ngroups):
                for x in range(nx):
                    count += (code[i, g, y, x] & _C_PRIMARY) >> 3
            if neighbours:
                for g in range(1, ngroups):
                    row = out[i, g, y]
                    here = code[i, g, y]
                    above = code[i, g, y - 1] if y > 0 else nothing
                    below = code[i, g, y + 1] if y < ny - 1 else nothing
                    for x in range(nx):
                        hit[x] = (above[x] & src == src) | (below[x] & src == src)
                    for x in range(1, nx):
                        hit[x] |= here[x - 1] & src == src
                    for x in range(nx - 1):
                        hit[x] |= here[x + 1] & src == src
                    for x in range(nx):
                        if hit[x] and row[x] & keep == 0:
                            row[x] |= JUMP
            if n1 > 0 or n2 > 0:
                for x in range(nx):
                    for g in range(ngroups):
                        jumped = g > 0 and out[i, g, y, x] & JUMP != 0
                        big1[g] = jumped and code[i, g, y, x] & _C_AFTER1 != 0
                        big2[g] = jumped and code[i, g, y, x] & _C_AFTER2 != 0
                    for g in range(1, ngroups):
                        if big1[g] or big2[g]:
                            span = max(n1 if big1[g] else 0, n2 if big2[g] else 0)
                            for h in range(g + 1, min(g + span, ngroups - 1) + 1):
                                if out[i, h, y, x] & BAD == 0:
                                    out[i, h, y, x] |= JUMP
            for g in range(ngroups):
                row = out[i, g, y]
                for x in range(nx):
                    f = row[x]
                    if f & JUMP and f & BAD:
                        row[x] = f & ~JUMP
        counts[y] = count


# ----------------------------------------------------------------------------------------------
# Beyond jwst: cosmic rays in 2-group integrations (one difference per pixel and integration)


def two_group_jumps(data: np.ndarray, groupdq: np.ndarray, gain: np.ndarray, readnoise: np.ndarray, *,
                    nframes: int = 1, threshold: float = 5.0, sharpness: float = 4.0,
                    threads: int = 1) -> tuple[np.ndarray, int]:
    """Flag cosmic rays in 2-group ramps, where the two-point method has nothing to compare.

    A cosmic ray adds charge, so only positive excesses are flagged, on group 1 (in electrons):

    * 3 or more integrations: the pixel's difference against the median of its differences over
      integrations, sigma = sqrt(|median| + (readnoise * gain)^2 / nframes);
    * 2 integrations: the larger difference against the smaller, with sqrt(2) sigma of the smaller;
    * 1 integration: against the median of the 8 neighbouring differences and against the
      fourth-brightest neighbour, and only if the height above the faintest neighbour is also
      ``sharpness`` times that of the fourth-brightest (a cosmic ray hits one pixel or a short
      track; a star's core has its wings on all four sides).

    Parameters
    ----------
    data : numpy.ndarray
        float32 (nints, 2, ny, nx), DN.
    groupdq : numpy.ndarray
        uint8, same shape; SATURATED / DO_NOT_USE groups are skipped. Not modified.
    gain, readnoise : numpy.ndarray
        (ny, nx), e-/DN and CDS read noise in DN.
    nframes : int
        Frames per group.
    threshold : float
        Sigma threshold.
    sharpness : float
        Single-integration case: excess over brightest-neighbour excess needed.
    threads : int
        numba threads.

    Returns
    -------
    groupdq : numpy.ndarray
        New array with JUMP_DET added.
    n_flagged : int
        Groups flagged.
    """
    if data.ndim != 4 or data.shape[1] != 2 or groupdq.shape != data.shape:
        raise ValueError("two_group_jumps needs data and groupdq of shape (nints, 2, ny, nx)")
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    nints, _, ny, nx = data.shape
    diffs = np.empty((nints, ny, nx), np.float32)
    _electron_diffs(np.ascontiguousarray(data, dtype=np.float32), np.ascontiguousarray(groupdq),
                    np.ascontiguousarray(gain, dtype=np.float32), diffs)
    out = groupdq.copy()
    counts = np.zeros(ny, np.int64)
    rn = np.ascontiguousarray(readnoise, dtype=np.float32) * np.ascontiguousarray(gain, dtype=np.float32)
    _two_group_flags(diffs, rn, float(nframes), float(threshold), float(sharpness), out, counts)
    return out, int(counts.sum())


@njit(cache=True, parallel=True)
def _electron_diffs(data, gdq, gain, diffs):
    nints, _, ny, nx = data.shape
    for y in prange(ny):
        for i in range(nints):
            for x in range(nx):
                if (gdq[i, 0, y, x] | gdq[i, 1, y, x]) & BAD:
                    diffs[i, y, x] = np.nan
                else:
                    diffs[i, y, x] = (data[i, 1, y, x] - data[i, 0, y, x]) * gain[y, x]


@njit(cache=True, parallel=True)
def _two_group_flags(diffs, rn, nframes, threshold, sharpness, out, counts):
    nints, ny, nx = diffs.shape
    for y in prange(ny):
        tmp = np.empty(max(nints, 9), np.float64)
        count = 0
        for x in range(nx):
            rn2 = np.float64(rn[y, x]) ** 2 / nframes
            if nints >= 3:
                ref = _nanmedian(diffs[:, y, x], nints, tmp)
                sigma = math.sqrt(abs(ref) + rn2)
                for i in range(nints):
                    d = diffs[i, y, x]
                    if sigma > 0 and d - ref > threshold * sigma:
                        out[i, 1, y, x] |= JUMP
                        count += 1
            elif nints == 2:
                a, b = diffs[0, y, x], diffs[1, y, x]
                if math.isnan(a) or math.isnan(b):
                    continue
                low, k = (a, 1) if a <= b else (b, 0)
                sigma = math.sqrt(2.0 * (abs(low) + rn2))
                if sigma > 0 and abs(a - b) > threshold * sigma:
                    out[k, 1, y, x] |= JUMP
                    count += 1
            else:
                d = diffs[0, y, x]
                if math.isnan(d):
                    continue
                m = 0
                for dy in range(-1, 2):
                    for dx in range(-1, 2):
                        yy, xx = y + dy, x + dx
                        if (dy or dx) and 0 <= yy < ny and 0 <= xx < nx and not math.isnan(diffs[0, yy, xx]):
                            tmp[m] = diffs[0, yy, xx]
                            m += 1
                if m < 3:
                    continue
                s = np.sort(tmp[:m])
                ref = s[m // 2] if m % 2 == 1 else 0.5 * (s[m // 2 - 1] + s[m // 2])
                sigma = math.sqrt(abs(ref) + rn2)
                top4 = s[m - 4] if m >= 4 else s[m - 1]
                if sigma > 0 and d - ref > threshold * sigma and d - top4 > threshold * sigma \
                        and d - s[0] > sharpness * (top4 - s[0]):
                    out[0, 1, y, x] |= JUMP
                    count += 1
        counts[y] = count
