"""Superbias subtraction (jwst ``superbias``, ``bias_sub.py``): one bias frame off every group.

NaN bias values count as 0 (jwst replaces them); ZEROFRAME values of 0 mean "unusable" and stay 0.
"""

from __future__ import annotations

import numpy as np


def subtract_bias(data: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Return ``data - bias`` for every integration and group.

    Parameters
    ----------
    data : numpy.ndarray
        (..., ny, nx) ramp or group planes (DN); not modified.
    bias : numpy.ndarray
        (ny, nx) superbias (DN); NaN counts as 0.

    Returns
    -------
    numpy.ndarray
        ``data``'s shape, float32 (DN).
    """
    return bias_subtractor(bias)(data)


def bias_subtractor(bias: np.ndarray):
    """Return ``f(planes) -> planes - bias`` (float32), with NaN bias values taken as 0 once for all calls.

    The detector-1 filters apply it one group plane at a time while writing, so the corrected ramp
    never exists whole; one numpy pass per plane is as fast as a kernel and needs no numba start-up.
    """
    clean = np.nan_to_num(np.asarray(bias, np.float32), nan=0.0)

    def subtract(data: np.ndarray) -> np.ndarray:
        if data.shape[-2:] != clean.shape:
            raise ValueError("data must be (..., ny, nx) with bias (ny, nx)")
        return np.subtract(data, clean, dtype=np.float32)

    return subtract


def subtract_bias_zeroframe(zeroframe: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Return ``zeroframe - bias`` (nints, ny, nx) float32, keeping zeros (unusable values) at 0."""
    zero = np.asarray(zeroframe, np.float32)
    out = zero - np.nan_to_num(np.asarray(bias, np.float32), nan=0.0)
    out[zero == 0.0] = 0.0
    return out
