"""Dark-current subtraction (jwst ``dark_current`` / stcal ``dark_sub``).

The DARK reference holds a dark ramp of single frames (NIR: (nframes, ny, nx); MIRI: per
integration (nints, ngroups, ny, nx)). When the science read pattern averages NFRAMES frames per
group and skips GROUPGAP frames between groups, the dark frames are averaged the same way
(group g = mean of frames ``g*(NFRAMES+GROUPGAP) .. +NFRAMES-1``); then group g of the dark is
subtracted from group g of every integration. NaN dark values count as 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


def total_frames(ngroups: int, nframes: int, groupgap: int) -> int:
    """Return the number of frames read for ``ngroups`` groups (the last gap is not read)."""
    return ngroups * nframes + (ngroups - 1) * groupgap


def average_frames(dark: np.ndarray, ngroups: int, nframes: int, groupgap: int) -> np.ndarray:
    """Average dark frames into the science group structure.

    Parameters
    ----------
    dark : numpy.ndarray
        (nframes_dark, ny, nx) or (nints_dark, nframes_dark, ny, nx) dark frames (DN).
    ngroups, nframes, groupgap : int
        The science read pattern.

    Returns
    -------
    numpy.ndarray
        (ngroups, ny, nx) or (nints_dark, ngroups, ny, nx) float32 dark groups (DN), NaN -> 0.
    """
    frames = np.nan_to_num(np.asarray(dark, np.float32), nan=0.0)
    if frames.shape[-3] < total_frames(ngroups, nframes, groupgap):
        raise ValueError("the dark has fewer frames than the science read pattern needs")
    starts = [g * (nframes + groupgap) for g in range(ngroups)]
    out = np.empty((*frames.shape[:-3], ngroups, *frames.shape[-2:]), np.float32)
    for g, s in enumerate(starts):
        out[..., g, :, :] = frames[..., s:s + nframes, :, :].mean(axis=-3, dtype=np.float64)
    return out


def subtract_dark(data: np.ndarray, dark: np.ndarray, *, first_int_is_one: bool = True) -> np.ndarray:
    """Subtract dark groups from every integration.

    Parameters
    ----------
    data : numpy.ndarray
        (nints, ngroups, ny, nx) ramp (DN); not modified.
    dark : numpy.ndarray
        (ngroups_dark >= ngroups, ny, nx), or (nints_dark, ngroups_dark, ny, nx) per-integration darks
        (MIRI: integration i uses dark i, the last one beyond; segmented data not starting at
        integration 1 use the last one throughout). NaN counts as 0.
    first_int_is_one : bool
        Whether the data start at integration 1 (INTSTART).

    Returns
    -------
    numpy.ndarray
        (nints, ngroups, ny, nx) float32 (DN).
    """
    nints, ngroups = data.shape[:2]
    dark4 = np.nan_to_num(np.asarray(dark, np.float32), nan=0.0)
    if dark4.ndim == 3:
        dark4 = dark4[None]
    if dark4.ndim != 4 or dark4.shape[1] < ngroups or dark4.shape[2:] != data.shape[2:]:
        raise ValueError("dark must be (ngroups, ny, nx) or (nints, ngroups, ny, nx) covering the data")
    index = np.array([i if (i < dark4.shape[0] and first_int_is_one) else dark4.shape[0] - 1
                      for i in range(nints)], np.int64)
    out = np.empty(data.shape, np.float32)
    _subtract(np.ascontiguousarray(data, np.float32), np.ascontiguousarray(dark4), index, out)
    return out


@njit(cache=True, parallel=True)
def _subtract(data, dark, index, out):  # pragma: no cover - numba
    nints, ngroups, ny, nx = data.shape
    for k in prange(nints * ngroups * ny):
        y = k % ny
        g = (k // ny) % ngroups
        i = k // (ny * ngroups)
        d = index[i]
        for x in range(nx):
            out[i, g, y, x] = data[i, g, y, x] - dark[d, g, y, x]
