"""Dark-current subtraction (jwst ``dark_current`` / stcal ``dark_sub``).

The DARK reference holds a dark ramp of single frames (NIR: (nframes, ny, nx); MIRI: per
integration (nints, ngroups, ny, nx)). When the science read pattern averages NFRAMES frames per
group and skips GROUPGAP frames between groups, the dark frames are averaged the same way
(group g = mean of frames ``g*(NFRAMES+GROUPGAP) .. +NFRAMES-1``); then group g of the dark is
subtracted from group g of every integration. NaN dark values count as 0.
"""

from __future__ import annotations

import numpy as np


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
    if data.ndim != 4:
        raise ValueError("data must be (nints, ngroups, ny, nx)")
    subtract = dark_subtractor(dark, data.shape, first_int_is_one=first_int_is_one)
    out = np.empty(data.shape, np.float32)
    for i in range(data.shape[0]):
        for g in range(data.shape[1]):
            out[i, g] = subtract(data[i, g], i, g)
    return out


def dark_subtractor(dark: np.ndarray, shape: tuple[int, ...], *, first_int_is_one: bool = True):
    """Return ``f(plane, i, g) -> plane - dark group g of integration i`` (float32) for a ramp of ``shape``.

    Parameters as :func:`subtract_dark`; ``shape`` is the ramp's (nints, ngroups, ny, nx). The
    detector-1 filters apply it one group plane at a time while writing (one numpy pass per plane,
    no numba start-up, no whole corrected copy of the ramp).
    """
    nints, ngroups = shape[:2]
    dark4 = np.asarray(dark)  # NaN handled plane by plane: no whole copy of a large dark
    if dark4.ndim == 3:
        dark4 = dark4[None]
    if dark4.ndim != 4 or dark4.shape[1] < ngroups or dark4.shape[2:] != tuple(shape[2:]):
        raise ValueError("dark must be (ngroups, ny, nx) or (nints, ngroups, ny, nx) covering the data")
    last = dark4.shape[0] - 1
    index = [i if (i <= last and first_int_is_one) else last for i in range(nints)]

    def subtract(plane: np.ndarray, i: int, g: int) -> np.ndarray:
        frame = dark4[index[i], g]
        out = np.subtract(plane, frame, dtype=np.float32)
        unknown = np.isnan(frame)
        out[unknown] = plane[unknown]  # a NaN dark value counts as 0
        return out

    return subtract
