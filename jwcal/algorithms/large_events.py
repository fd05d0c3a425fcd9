"""Large events in ramps: NIR snowballs and MIRI showers.

stcal's ``flag_large_events`` and ``find_faint_extended``, run by ``jwcal jump --expand-large-events`` /
``--find-showers`` after the two-point-difference detection of :mod:`jwcal.algorithms.jump`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from jwcal import dq
from jwcal.algorithms.jump import DNU, JUMP, SAT, all_dnu_groups

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


def _grown_pixels(ellipse: Ellipse, factor: float, max_width: float, shape) -> tuple[np.ndarray, np.ndarray]:
    """Return the pixels of ``ellipse`` with its axes grown by ``factor``.

    The minor axis's growth is also added to the major one (as stcal does); each axis is capped at
    ``max_width`` and rounded to an even number of pixels.
    """
    h, w = ellipse[1]
    if w < h:
        a1, a2 = h + (factor - 1.0) * w, w * factor
    else:
        a1, a2 = h * factor, w + (factor - 1.0) * h
    a1 = round(min(a1, max_width) / 2) * 2
    a2 = round(min(a2, max_width) / 2) * 2
    return _draw(ellipse[0], a1, a2, ellipse[2], shape)


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
                rows, cols = _grown_pixels(ball, expand_factor, max_extended_width, (ny, nx))
                keep = gdq[i, g, rows, cols] & SAT == 0
                gdq[i, g, rows[keep], cols[keep]] |= JUMP
    if persist_groups >= 1:
        last = min(persist_groups, ngroups)
        for i in range(1, nints):
            for g in range(1, last):
                gdq[i, g][persist[i - 1]] |= JUMP
    return gdq, total


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
            rows, cols = _grown_pixels(ellipse, extend_ellipse_expand_ratio, max_extended_width, (ny, nx))
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
