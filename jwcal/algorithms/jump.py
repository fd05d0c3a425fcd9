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
the uint8 flags does the neighbour and after-jump flagging.
"""

from __future__ import annotations

import math
import os
import warnings

import numba
import numpy as np
from numba import njit, prange

from jwcal import dq
from jwcal.algorithms.medians import sorted_median

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
    _primary(data, groupdq, gain, readnoise, float(nframes), int(mode), float(rejection_threshold),
             float(four_group_rejection_threshold), float(three_group_rejection_threshold),
             float(min_jump_to_flag_neighbors), float(max_jump_to_flag_neighbors),
             float(after_jump_flag_e1), float(after_jump_flag_e2), out, code)
    if mode in (MODE_SIGCLIP_INTS, MODE_SIGCLIP_ALL):
        _sigclip_plane_reset(out, code)
    counts = np.zeros(data.shape[2], np.int64)
    _secondary(out, code, bool(flag_4_neighbors), int(after_jump_flag_n1), int(after_jump_flag_n2), counts)
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


@njit(cache=True, parallel=True)
def _secondary(out, code, neighbours, n1, n2, counts):
    nints, ngroups, ny, nx = out.shape
    src = _C_PRIMARY | _C_NEIGHBOUR
    for y in prange(ny):
        big1 = np.zeros(ngroups, np.bool_)
        big2 = np.zeros(ngroups, np.bool_)
        count = 0
        for x in range(nx):
            for i in range(nints):
                for g in range(ngroups):
                    if code[i, g, y, x] & _C_PRIMARY:
                        count += 1
                if neighbours:
                    for g in range(1, ngroups):
                        f = out[i, g, y, x]
                        if f & BAD or f & JUMP:
                            continue
                        if (y > 0 and code[i, g, y - 1, x] & src == src) or \
                                (y < ny - 1 and code[i, g, y + 1, x] & src == src) or \
                                (x > 0 and code[i, g, y, x - 1] & src == src) or \
                                (x < nx - 1 and code[i, g, y, x + 1] & src == src):
                            out[i, g, y, x] = f | JUMP
                if n1 > 0 or n2 > 0:
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
                    f = out[i, g, y, x]
                    if f & JUMP and f & BAD:
                        out[i, g, y, x] = f & ~JUMP
        counts[y] = count


# ----------------------------------------------------------------------------------------------
# Large events: NIR snowballs (stcal's ``flag_large_events``)


Ellipse = tuple[tuple[float, float], tuple[float, float], float]


def blob_ellipses(mask: np.ndarray, min_area: float) -> list[Ellipse]:
    """Return an ellipse per 8-connected blob of ``mask`` whose hole-filled area is >= ``min_area``.

    Parameters
    ----------
    mask : numpy.ndarray
        (ny, nx), nonzero = member.
    min_area : float
        Smallest filled area (pixels).

    Returns
    -------
    list
        ``((x_centre, y_centre), (minor - 1, major - 1), orientation_degrees)`` per blob, where the
        axis lengths are 4 sqrt(eigenvalues of the blob's inertia tensor) and the orientation is the
        angle from the row axis to the major axis (scikit-image ``regionprops`` conventions).
    """
    from scipy import ndimage

    labels, count = ndimage.label(mask != 0, structure=np.ones((3, 3), bool))
    if count == 0:
        return []
    result = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        member = labels[box] == index
        if min_area > 1 and ndimage.binary_fill_holes(member).sum() < min_area:
            continue
        rows, cols = np.nonzero(member)
        n = rows.size
        r = rows + box[0].start
        c = cols + box[1].start
        rc, cc = r.mean(), c.mean()
        mu_rr = ((r - rc) ** 2).sum() / n
        mu_cc = ((c - cc) ** 2).sum() / n
        mu_rc = ((r - rc) * (c - cc)).sum() / n
        a, b, d = mu_cc, -mu_rc, mu_rr  # inertia tensor [[a, b], [b, d]]
        half_trace, root = (a + d) / 2, math.sqrt(((a - d) / 2) ** 2 + b * b)
        major = 4 * math.sqrt(max(half_trace + root, 0.0))
        minor = 4 * math.sqrt(max(half_trace - root, 0.0))
        if a - d == 0:
            orientation = math.pi / 4 if b < 0 else -math.pi / 4
        else:
            orientation = 0.5 * math.atan2(-2 * b, d - a)
        result.append(((float(cc), float(rc)), (minor - 1, major - 1), math.degrees(orientation)))
    return result


def ellipse_pixels(row: float, col: float, r_radius: float, c_radius: float, shape: tuple[int, int],
                   rotation_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Return (rows, cols) strictly inside a rotated ellipse (scikit-image ``draw.ellipse`` rules)."""
    if r_radius == 0 or c_radius == 0:
        return np.zeros(0, int), np.zeros(0, int)
    rotation = math.radians(rotation_deg) % math.pi
    sin_a, cos_a = math.sin(rotation), math.cos(rotation)
    r_ext = abs(r_radius * cos_a) + c_radius * sin_a
    c_ext = r_radius * sin_a + abs(c_radius * cos_a)
    r0 = max(math.ceil(row - r_ext), 0)
    c0 = max(math.ceil(col - c_ext), 0)
    r1 = min(math.floor(row + r_ext), shape[0] - 1)
    c1 = min(math.floor(col + c_ext), shape[1] - 1)
    if r1 < r0 or c1 < c0:
        return np.zeros(0, int), np.zeros(0, int)
    rr = np.arange(r0, r1 + 1, dtype=float)[:, None] - row
    cc = np.arange(c0, c1 + 1, dtype=float)[None, :] - col
    dist = ((rr * cos_a + cc * sin_a) / r_radius) ** 2 + ((rr * sin_a - cc * cos_a) / c_radius) ** 2
    inside_r, inside_c = np.nonzero(dist < 1)
    return inside_r + r0, inside_c + c0


def _draw(ellipse_centre, axis1: float, axis2: float, angle: float, shape) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of an ellipse of full axes (axis1, axis2) drawn as stcal's ``ellipse_subim`` does."""
    x, y = round(ellipse_centre[0]), round(ellipse_centre[1])
    half = max(round(axis1 / 2), round(axis2 / 2)) + 2
    x0, x1 = max(x - half, 0), min(x + half + 1, shape[1])
    y0, y1 = max(y - half, 0), min(y + half + 1, shape[0])
    if x1 <= x0 or y1 <= y0:
        return np.zeros(0, int), np.zeros(0, int)
    rows, cols = ellipse_pixels(y - y0, x - x0, round(axis2 / 2), round(axis1 / 2), (y1 - y0, x1 - x0), angle)
    return rows + y0, cols + x0


def _inside(point, ellipse) -> bool:
    angle = math.radians(180 - ellipse[2])
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    xc, yc = point[0] - ellipse[0][0], point[1] - ellipse[0][1]
    xt, yt = xc * cos_a - yc * sin_a, xc * sin_a + yc * cos_a
    semi_major, semi_minor = max(ellipse[1]) * 0.5, min(ellipse[1]) * 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        return bool(np.float64(xt) ** 2 / semi_major ** 2 + np.float64(yt) ** 2 / semi_minor ** 2 <= 1)


def flag_snowballs(groupdq: np.ndarray, *, min_sat_area: float = 1.0, min_jump_area: float = 5.0,
                   expand_factor: float = 2.0, sat_required_snowball: bool = True,
                   min_sat_radius_extend: float = 2.5, sat_expand: float = 4.0, edge_size: int = 25,
                   max_extended_width: float = 400.0, persist_groups: int = 0) -> tuple[np.ndarray, int]:
    """Grow jump flags around snowballs and their saturated cores (stcal's ``flag_large_events``).

    Parameters
    ----------
    groupdq : numpy.ndarray
        uint8 (nints, ngroups, ny, nx) after the two-point detection; not modified.
    min_sat_area, min_jump_area : float
        Smallest new-saturation and jump blobs (pixels).
    expand_factor : float
        Snowball ellipse growth: minor x factor, major + (factor - 1) x minor.
    sat_required_snowball : bool
        A jump blob is a snowball only if a new saturated core lies inside it (or it touches the
        edge zone); False: every jump blob, and no core growth.
    min_sat_radius_extend, sat_expand : float
        Cores with minor axis above the first get ``sat_expand`` pixels added to each axis and are
        flagged SATURATED (assigned) in this and later groups.
    edge_size : int
        Jump blobs centred within this many pixels of an edge are snowballs.
    max_extended_width : float
        Cap on the full axis lengths (pixels).
    persist_groups : int
        Groups 1 .. persist_groups - 1 of the next integration get JUMP on this integration's cores.

    Returns
    -------
    groupdq : numpy.ndarray
        New array.
    n_snowballs : int
        Snowballs found.
    """
    gdq = groupdq.copy()
    nints, ngroups, ny, nx = gdq.shape
    persist = np.zeros((nints, ny, nx), bool)
    total = 0
    low, high = edge_size, max(0, ny - edge_size)
    for i in range(nints):
        for g in range(1, ngroups):
            sat_now = gdq[i, g] & SAT != 0
            new_sat = sat_now & (gdq[i, g - 1] & SAT == 0)
            next_new = (gdq[i, g + 1] & SAT != 0) & ~sat_now if g < ngroups - 1 else None
            sat_ellipses = blob_ellipses(new_sat, min_sat_area)
            next_ellipses = blob_ellipses(next_new, min_sat_area) if next_new is not None else []
            jumps = blob_ellipses(gdq[i, g] & JUMP, min_jump_area)
            if sat_required_snowball:
                snowballs = []
                for jump in jumps:
                    (x, y) = jump[0]
                    if x < low or y < low or x > high or y > high \
                            or any(_inside(s[0], jump) for s in sat_ellipses) \
                            or any(_inside(s[0], jump) for s in next_ellipses):
                        snowballs.append(jump)
                for core in sat_ellipses:
                    if min(core[1]) > min_sat_radius_extend:
                        a1 = min(core[1][0] + sat_expand, max_extended_width)
                        a2 = min(core[1][1] + sat_expand, max_extended_width)
                        rows, cols = _draw(core[0], a1, a2, core[2], (ny, nx))
                        gdq[i, g:, rows, cols] = SAT
                        rows, cols = _draw(core[0], core[1][0], core[1][1], core[2], (ny, nx))
                        persist[i, rows, cols] = True
            else:
                snowballs = jumps
            total += len(snowballs)
            for ball in snowballs:
                h, w = ball[1]
                if w < h:
                    a1, a2 = h + (expand_factor - 1.0) * w, w * expand_factor
                else:
                    a1, a2 = h * expand_factor, w + (expand_factor - 1.0) * h
                a1 = round(min(a1, max_extended_width) / 2) * 2
                a2 = round(min(a2, max_extended_width) / 2) * 2
                rows, cols = _draw(ball[0], a1, a2, ball[2], (ny, nx))
                keep = gdq[i, g, rows, cols] & SAT == 0
                gdq[i, g, rows[keep], cols[keep]] |= JUMP
    if persist_groups >= 1:
        last = min(persist_groups, ngroups)
        for i in range(1, nints):
            for g in range(1, last):
                gdq[i, g][persist[i - 1]] |= JUMP
    return gdq, total


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


# ----------------------------------------------------------------------------------------------
# Large events: MIRI showers (stcal's ``find_faint_extended``)


def ring_kernel(inner_radius: float, width: float) -> np.ndarray:
    """Return the ring (annulus) kernel of stcal's shower search, as astropy's ``Ring2DKernel``.

    Parameters
    ----------
    inner_radius : float
        Inner radius (pixels); stcal's ``extend_inner_radius``.
    width : float
        Ring width (pixels); stcal passes ``extend_outer_radius`` here, so the outer radius is
        ``inner_radius + width``.

    Returns
    -------
    numpy.ndarray
        float64 (n, n), n = 2 int(outer + 0.5) + 1; 1/ring area where inner <= r <= outer (pixel
        centres), else 0.
    """
    outer = inner_radius + width
    half = int(outer + 0.5)
    yy, xx = np.mgrid[-half:half + 1, -half:half + 1]
    rr = (xx * xx + yy * yy).astype(float)
    ring = (rr >= inner_radius ** 2) & (rr <= outer ** 2)
    return ring / (math.pi * (outer ** 2 - inner_radius ** 2))


def masked_convolve(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve a 2-D image that has NaNs, renormalising by the kernel weight on valid pixels.

    Outside the image counts as valid zeros (stcal's ``convolve_fast`` edge rule); pixels that
    are NaN, or whose valid kernel weight is below 1e-3 x the kernel mean, are NaN on output.

    Parameters
    ----------
    image : numpy.ndarray
        (ny, nx) float; not modified.
    kernel : numpy.ndarray
        (k, k) float, k odd, symmetric.

    Returns
    -------
    numpy.ndarray
        float64 (ny, nx).
    """
    from scipy import ndimage

    good = np.isfinite(image)
    filled = np.where(good, image, 0.0).astype(np.float64)
    total = ndimage.convolve(filled, kernel, mode="constant", cval=0.0)
    norm = ndimage.convolve(good.astype(np.float64), kernel, mode="constant", cval=1.0)
    good &= norm > 1e-3 * kernel.mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = total / norm
    out[~good] = np.nan
    return out


def _sigma_clipped_median_std(values: np.ndarray, sigma: float = 5.0, maxiters: int = 5):
    """Median and std along axis 0 after iterative sigma clipping about the median (NaN ignored)."""
    work = np.array(values, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(maxiters):
            median = np.nanmedian(work, axis=0)
            std = np.nanstd(work, axis=0)
            clip = np.abs(work - median) > sigma * std
            if not clip.any():
                break
            work[clip] = np.nan
        return np.nanmedian(work, axis=0), np.nanstd(work, axis=0)


def shower_ratios(electrons: np.ndarray, groupdq: np.ndarray, readnoise_e: np.ndarray, *, nframes: int = 1,
                  minimum_sigclip_groups: int = 100) -> np.ndarray:
    """Return |first difference - median difference| / sigma per integration and difference.

    Parameters
    ----------
    electrons : numpy.ndarray
        (nints, ngroups, ny, nx) ramp in electrons.
    groupdq : numpy.ndarray
        uint8, same shape; groups with JUMP_DET, SATURATED or DO_NOT_USE are NaN'd first.
    readnoise_e : numpy.ndarray
        (ny, nx) CDS read noise in electrons.
    nframes : int
        Frames per group.
    minimum_sigclip_groups : int
        With at least this many integrations, the median and sigma of each difference come from
        5-sigma clipping across integrations; otherwise the median is over all integrations and
        differences and sigma = sqrt(|median| + readnoise^2 / nframes).

    Returns
    -------
    numpy.ndarray
        float64 (nints, ngroups - 1, ny, nx), NaN where a difference is unusable.
    """
    data = np.where(groupdq & (JUMP | SAT | DNU) != 0, np.nan, electrons.astype(np.float64))
    diffs = np.diff(data, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if electrons.shape[0] >= minimum_sigclip_groups:
            median, sigma = _sigma_clipped_median_std(diffs)
            return np.abs(diffs - median[None]) / sigma[None]
        median = np.nanmedian(diffs, axis=(0, 1))
        sigma = np.sqrt(np.abs(median) + readnoise_e.astype(np.float64) ** 2 / nframes)
        return np.abs(diffs - median[None, None]) / sigma[None, None]


def find_showers(electrons: np.ndarray, data_dn: np.ndarray, groupdq: np.ndarray, pixeldq: np.ndarray,
                 readnoise_e: np.ndarray, *, nframes: int = 1, minimum_sigclip_groups: int = 100,
                 extend_snr_threshold: float = 1.2, extend_min_area: float = 90,
                 extend_inner_radius: float = 1.0, extend_outer_radius: float = 2.6,
                 extend_ellipse_expand_ratio: float = 1.1, max_extended_width: float = 400.0,
                 groups_masked_after: int = 0, max_shower_amplitude_dn: float = math.inf,
                 min_diffs: int = 10) -> tuple[np.ndarray, int]:
    """Flag faint extended MIRI showers as JUMP_DET (stcal's ``find_faint_extended``).

    For each integration and usable group, the ratio image of that group's first difference
    (:func:`shower_ratios`) is masked where GROUPDQ|PIXELDQ has JUMP/SAT/DNU, convolved with the
    ring kernel (:func:`ring_kernel`, :func:`masked_convolve`) and thresholded at
    ``extend_snr_threshold``; 8-connected regions of at least ``extend_min_area`` pixels get an
    ellipse (inertia moments), grown by ``extend_ellipse_expand_ratio`` (minor x ratio, major +
    (ratio - 1) x minor, capped at ``max_extended_width``), that is flagged JUMP_DET in the group
    and the ``groups_masked_after`` next ones (not on SATURATED pixels). Detection is done on the
    input flags only. Finally, per integration, pixels whose mean first difference (DN, unflagged
    groups) changed by more than ``max_shower_amplitude_dn`` or became non-finite get their input
    flags back.

    Parameters
    ----------
    electrons : numpy.ndarray
        (nints, ngroups, ny, nx) ramp in electrons (DN x gain).
    data_dn : numpy.ndarray
        The same ramp in DN (for the amplitude check).
    groupdq : numpy.ndarray
        uint8 (nints, ngroups, ny, nx); not modified.
    pixeldq : numpy.ndarray
        uint32 (ny, nx); REFERENCE_PIXEL pixels are left out.
    readnoise_e : numpy.ndarray
        (ny, nx) CDS read noise in electrons.
    nframes, minimum_sigclip_groups
        See :func:`shower_ratios`.
    extend_snr_threshold, extend_min_area, extend_inner_radius, extend_outer_radius
        Detection threshold (sigma), smallest region (pixels), ring radius and width (pixels).
    extend_ellipse_expand_ratio, max_extended_width : float
        Ellipse growth and the cap on its full axes (pixels).
    groups_masked_after : int
        Later groups also flagged.
    max_shower_amplitude_dn : float
        Largest allowed change of a pixel's mean first difference (DN/group).
    min_diffs : int
        Fewer usable differences (nints (ngroups - 1) - all-DNU group planes): nothing is done.

    Returns
    -------
    groupdq : numpy.ndarray
        New uint8 array.
    n_showers : int
        Showers (ellipses) found.
    """
    nints, ngroups, ny, nx = groupdq.shape
    if nints * (ngroups - 1) - int(all_dnu_groups(groupdq).sum()) < min_diffs:
        return groupdq.copy(), 0
    gdq_in = groupdq.copy()
    reference = (pixeldq & np.uint32(dq.REFERENCE_PIXEL)) != 0
    gdq_in[:, :, reference] = DNU
    ratios = shower_ratios(electrons, gdq_in, readnoise_e, nframes=nframes,
                           minimum_sigclip_groups=minimum_sigclip_groups)
    kernel = ring_kernel(extend_inner_radius, extend_outer_radius)
    pix_bad = (pixeldq & np.uint32(JUMP | SAT | DNU)) != 0
    found = []
    for i in range(nints):
        first = 0
        for g in range(ngroups):
            if not np.all(gdq_in[i, g] & DNU):
                first = g
                break
        for g in range(first + 1, ngroups):
            ratio = ratios[i, g - 1].copy()
            ratio[pix_bad | (gdq_in[i, g] & (JUMP | SAT | DNU) != 0)] = np.nan
            with np.errstate(invalid="ignore"):
                extended = masked_convolve(ratio, kernel) > extend_snr_threshold
            ellipses = blob_ellipses(extended, extend_min_area)
            if ellipses:
                found.append((i, g, ellipses))
    out = groupdq.copy()
    total = 0
    for i, g, ellipses in found:
        total += len(ellipses)
        for ellipse in ellipses:
            h, w = ellipse[1]
            ratio_ = extend_ellipse_expand_ratio
            if w < h:
                a1, a2 = h + (ratio_ - 1.0) * w, w * ratio_
            else:
                a1, a2 = h * ratio_, w + (ratio_ - 1.0) * h
            a1 = round(min(a1, max_extended_width) / 2) * 2
            a2 = round(min(a2, max_extended_width) / 2) * 2
            rows, cols = _draw(ellipse[0], a1, a2, ellipse[2], (ny, nx))
            keep = np.ones(rows.size, bool)
            for h_ in range(g, min(g + groups_masked_after + 1, ngroups)):
                keep &= out[i, h_, rows, cols] & SAT == 0
                out[i, h_, rows[keep], cols[keep]] |= JUMP
    if total and math.isfinite(max_shower_amplitude_dn):
        bad = JUMP | SAT | DNU
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for i in range(nints):
                before = np.nanmean(np.diff(np.where(groupdq[i] & bad != 0, np.nan, data_dn[i].astype(float)),
                                            axis=0), axis=0)
                after = np.nanmean(np.diff(np.where(out[i] & bad != 0, np.nan, data_dn[i].astype(float)),
                                           axis=0), axis=0)
                change = np.abs(before - after)
                revert = ~np.isfinite(change) | (change > max_shower_amplitude_dn)
                out[i][:, revert] = groupdq[i][:, revert]
    return out, total
