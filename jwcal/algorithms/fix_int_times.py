"""Exposure time keywords from the per-integration times of the INT_TIMES table (GI-TS01).

INT_TIMES holds, per integration, start/mid/end times in MJD (UTC) and BJD (TDB) derived from the
group times read with the engineering data; header keywords were computed without the electronic
shifts, so they disagree. The exposure starts when integration 1 starts and ends when the last
integration ends; the mid time is halfway between (JWST's EXPMID convention).
"""

from __future__ import annotations

import numpy as np

SECONDS_PER_DAY = 86400.0


def exposure_times(numbers, start, end, nints: int) -> dict[str, float]:
    """Return the exposure start/mid/end the table determines.

    Parameters
    ----------
    numbers : array_like of int, shape (n,)
        1-based integration numbers of the rows.
    start, end : array_like of float, shape (n,)
        Integration start and end times (days, any one time scale).
    nints : int
        Number of integrations of the whole exposure.

    Returns
    -------
    dict
        ``start`` when integration 1 is in the table, ``end`` when integration ``nints`` is,
        ``mid`` when both are; values in the same scale as the input.
    """
    numbers = np.asarray(numbers)
    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    out: dict[str, float] = {}
    first, last = numbers == 1, numbers == nints
    if first.any():
        out["start"] = float(start[first][0])
    if last.any():
        out["end"] = float(end[last][0])
    if "start" in out and "end" in out:
        out["mid"] = 0.5 * (out["start"] + out["end"])
    return out


def correction_at(time, sample_times, corrections) -> float | None:
    """Linearly interpolate a correction tabulated at ``sample_times`` to ``time``.

    Returns None when ``time`` lies outside the tabulated range (no extrapolation).

    Parameters
    ----------
    time : float
        Where to evaluate (days).
    sample_times, corrections : array_like of float, shape (n,)
        Sample instants (days, any order) and the correction there (any unit).
    """
    t = np.asarray(sample_times, dtype=float)
    c = np.asarray(corrections, dtype=float)
    if t.size == 0 or time < t.min() - 1e-9 or time > t.max() + 1e-9:
        return None
    order = np.argsort(t)
    return float(np.interp(time, t[order], c[order]))
