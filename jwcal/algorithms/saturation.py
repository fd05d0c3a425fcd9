"""Saturation and A/D-floor flagging of ramps (jwst ``saturation`` / stcal ``flag_saturated_pixels``).

A group whose value reaches the pixel's threshold is SATURATED, and so is every later group of the
integration; each group's saturated set is grown by ``n_pix_grow_sat`` pixels (a square box) for
charge spilling into neighbours. A group at or below 0 DN is AD_FLOOR|DO_NOT_USE (that group only).
With frame averaging (a read pattern of NFRAMES > 1 frames per group) a group can hold a saturated
frame while its average is still below the threshold: a backward pass flags such groups DO_NOT_USE
when the next group is saturated and the group exceeds the threshold diluted by
``mean(frames) / last frame``, and a third pass flags group 2 when group 3 saturated although
group 1 predicted it would not. Pixels with NO_SAT_CHECK or a NaN threshold are never saturated.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from jwcal import dq

#: Hard DN limit of the 16-bit A-to-D converter.
ATOD_LIMIT = 65535.0


def thresholds(sat_thresh: np.ndarray, sat_dq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the effective thresholds, the NO_SAT_CHECK mask and the reference DQ with NaNs flagged.

    Parameters
    ----------
    sat_thresh : numpy.ndarray
        (ny, nx) saturation thresholds (DN); NaN means "do not check".
    sat_dq : numpy.ndarray
        (ny, nx) uint32 reference DQ (standard bits).

    Returns
    -------
    thresh : numpy.ndarray
        (ny, nx) float32, ``ATOD_LIMIT + 1`` where the pixel is not checked.
    no_check : numpy.ndarray
        (ny, nx) bool.
    ref_dq : numpy.ndarray
        (ny, nx) uint32, ``sat_dq`` with NO_SAT_CHECK added where the threshold is NaN.
    """
    thresh = np.array(sat_thresh, dtype=np.float32)
    ref_dq = np.array(sat_dq, dtype=np.uint32)
    nan = np.isnan(thresh)
    ref_dq[nan] |= np.uint32(dq.PIXEL["NO_SAT_CHECK"])
    no_check = nan | ((ref_dq & np.uint32(dq.PIXEL["NO_SAT_CHECK"])) != 0)
    thresh[no_check] = ATOD_LIMIT + 1
    return thresh, no_check, ref_dq


def read_pattern(ngroups: int, nframes: int, groupgap: int) -> list[list[int]]:
    """Return the 1-based frame numbers averaged into each group."""
    return [[g * (nframes + groupgap) + k + 1 for k in range(nframes)] for g in range(ngroups)]


def flag_saturation(data: np.ndarray, groupdq: np.ndarray, sat_thresh: np.ndarray, sat_dq: np.ndarray, *,
                    n_pix_grow_sat: int = 1,
                    frames: list[list[int]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Flag saturated and A/D-floor groups.

    Parameters
    ----------
    data : numpy.ndarray
        (nints, ngroups, ny, nx) float32 ramp (DN).
    groupdq : numpy.ndarray
        (nints, ngroups, ny, nx) uint8 group DQ; not modified.
    sat_thresh, sat_dq : numpy.ndarray
        (ny, nx) reference thresholds (DN) and reference DQ (uint32).
    n_pix_grow_sat : int
        Box half-width of the neighbour flagging (1 flags the 8 neighbours; 0 none).
    frames : list of list of int, optional
        The read pattern (frame numbers per group); ``None`` disables the frame-averaging passes.

    Returns
    -------
    groupdq : numpy.ndarray
        New (nints, ngroups, ny, nx) uint8 group DQ.
    ref_dq : numpy.ndarray
        (ny, nx) uint32 bits to OR into PIXELDQ (the reference DQ, NO_SAT_CHECK on NaN thresholds).
    """
    if data.ndim != 4 or groupdq.shape != data.shape or sat_thresh.shape != data.shape[2:]:
        raise ValueError("data and groupdq must be (nints, ngroups, ny, nx) and the threshold (ny, nx)")
    thresh, no_check, ref_dq = thresholds(sat_thresh, sat_dq)
    ngroups = data.shape[1]
    dilution = np.ones(ngroups, dtype=np.float32)
    second = False
    c0 = c2 = 0.0
    n1 = 1.0
    if frames is not None:
        dilution[:] = [np.mean(f) / f[-1] for f in frames]
        if ngroups > 2:
            second = True
            c0, c2, n1 = float(np.mean(frames[0])), float(frames[2][-1]), float(len(frames[1]))
    out = np.empty_like(groupdq, dtype=np.uint8)
    _flag(np.ascontiguousarray(data, dtype=np.float32), np.ascontiguousarray(groupdq, dtype=np.uint8),
          thresh, no_check, int(n_pix_grow_sat), dilution, second, c0, c2, n1, out)
    return out, ref_dq


def zeroframe_flags(zeroframe: np.ndarray, sat_thresh: np.ndarray, sat_dq: np.ndarray, *,
                    n_pix_grow_sat: int = 1) -> np.ndarray:
    """Return ZEROFRAME with saturated (grown) or A/D-floor values set to 0 (jwst's convention).

    Parameters
    ----------
    zeroframe : numpy.ndarray
        (nints, ny, nx) frame-zero values (DN); not modified.
    sat_thresh, sat_dq : numpy.ndarray
        (ny, nx) reference thresholds and DQ.
    n_pix_grow_sat : int
        Box half-width of the neighbour flagging.

    Returns
    -------
    numpy.ndarray
        (nints, ny, nx) float32.
    """
    thresh, _, _ = thresholds(sat_thresh, sat_dq)
    out = np.array(zeroframe, dtype=np.float32)
    for i in range(out.shape[0]):
        sat = (out[i] >= thresh).astype(np.uint8)
        bad = _dilate(sat, int(n_pix_grow_sat)).astype(bool) | (out[i] <= 0)
        out[i][bad] = 0.0
    return out


def _dilate(mask: np.ndarray, n: int) -> np.ndarray:
    out = np.empty_like(mask)
    _dilate_into(mask, n, out)
    return out


@njit(cache=True, parallel=True)
def _dilate_into(mask, n, out):  # pragma: no cover - numba
    """Square-box dilation (half-width n) of a uint8 (ny, nx) mask; outside the image counts as 0."""
    ny, nx = mask.shape
    for y in prange(ny):
        y0, y1 = max(0, y - n), min(ny, y + n + 1)
        for x in range(nx):
            x0, x1 = max(0, x - n), min(nx, x + n + 1)
            v = 0
            for yy in range(y0, y1):
                for xx in range(x0, x1):
                    if mask[yy, xx]:
                        v = 1
                        break
                if v:
                    break
            out[y, x] = v


@njit(cache=True, parallel=True)
def _or_grown(plane, n, grown, target, flag):  # pragma: no cover - numba
    """OR ``flag`` into ``target`` wherever ``plane``, dilated by a box of half-width n, is set."""
    if n > 0:
        _dilate_into(plane, n, grown)
    else:
        grown[:, :] = plane
    ny, nx = plane.shape
    for y in prange(ny):
        for x in range(nx):
            if grown[y, x]:
                target[y, x] |= flag


@njit(cache=True, parallel=True)
def _flag(data, gdq, thresh, no_check, n, dilution, second, c0, c2, n1, out):  # pragma: no cover - numba
    nints, ngroups, ny, nx = data.shape
    sat, low, dnu = np.uint8(2), np.uint8(64 | 1), np.uint8(1)
    seen = np.zeros((ny, nx), np.uint8)
    plane = np.zeros((ny, nx), np.uint8)
    grown = np.zeros((ny, nx), np.uint8)
    for i in range(nints):
        seen[:, :] = 0
        for g in range(ngroups):
            for y in prange(ny):
                for x in range(nx):
                    v = data[i, g, y, x]
                    flags = gdq[i, g, y, x]
                    if v >= thresh[y, x]:
                        seen[y, x] = 1
                    if v <= 0:
                        flags |= low
                    out[i, g, y, x] = flags
                    plane[y, x] = 1 if (seen[y, x] or (flags & sat)) else 0
            _or_grown(plane, n, grown, out[i, g], sat)
        # Backward pass: a group holding a saturated frame that its average hides.
        for g in range(ngroups - 2, -1, -1):
            if dilution[g] == 1.0:
                continue
            for y in prange(ny):
                for x in range(nx):
                    f = 1.0 if no_check[y, x] else dilution[g]
                    this, nxt = out[i, g, y, x], out[i, g + 1, y, x]
                    hit = (data[i, g, y, x] >= thresh[y, x] * f and not (this & sat) and not (this & dnu)
                           and (nxt & sat))
                    plane[y, x] = 1 if hit else 0
            _or_grown(plane, n, grown, out[i, g], dnu)
        # Group 2 saturated in a frame although group 1 predicted no saturation by group 3.
        if second:
            for y in prange(ny):
                for x in range(nx):
                    t = thresh[y, x]
                    if (data[i, 0, y, x] / c0 * c2 < t and data[i, 1, y, x] > t / n1
                            and (out[i, 2, y, x] & sat) and not (out[i, 1, y, x] & sat)):
                        out[i, 1, y, x] |= dnu
