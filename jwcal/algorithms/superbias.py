"""Superbias subtraction (jwst ``superbias``, ``bias_sub.py``): one bias frame off every group.

NaN bias values count as 0 (jwst replaces them); ZEROFRAME values of 0 mean "unusable" and stay 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


def subtract_bias(data: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Return ``data - bias`` for every integration and group.

    Parameters
    ----------
    data : numpy.ndarray
        (nints, ngroups, ny, nx) ramp (DN); not modified.
    bias : numpy.ndarray
        (ny, nx) superbias (DN); NaN counts as 0.

    Returns
    -------
    numpy.ndarray
        (nints, ngroups, ny, nx) float32 (DN).
    """
    if data.ndim != 4 or bias.shape != data.shape[2:]:
        raise ValueError("data must be (nints, ngroups, ny, nx) and bias (ny, nx)")
    clean = np.nan_to_num(np.asarray(bias, np.float32), nan=0.0)
    out = np.empty(data.shape, np.float32)
    _subtract(np.ascontiguousarray(data, np.float32), clean, out)
    return out


def subtract_bias_zeroframe(zeroframe: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Return ``zeroframe - bias`` (nints, ny, nx) float32, keeping zeros (unusable values) at 0."""
    zero = np.asarray(zeroframe, np.float32)
    out = zero - np.nan_to_num(np.asarray(bias, np.float32), nan=0.0)
    out[zero == 0.0] = 0.0
    return out


@njit(cache=True, parallel=True)
def _subtract(data, bias, out):  # pragma: no cover - numba
    nints, ngroups, ny, nx = data.shape
    for k in prange(nints * ngroups * ny):
        y = k % ny
        g = (k // ny) % ngroups
        i = k // (ny * ngroups)
        for x in range(nx):
            out[i, g, y, x] = data[i, g, y, x] - bias[y, x]
