"""Classical non-linearity correction (jwst ``linearity`` / stcal ``linearity_correction``).

Every group not flagged SATURATED is replaced by the polynomial ``sum_k c_k(y, x) * DN**k`` of the
pixel's COEFFS (Horner's scheme; WFC3 Data Handbook ch. 6.5 / JWST linearity reference). Pixels
whose coefficients cannot be used (reference NO_LIN_CORR flag, any NaN coefficient, or a linear
term of 0) get the identity polynomial, i.e. stay unchanged; NaN / zero cases are flagged
NO_LIN_CORR in PIXELDQ (reference-flagged ones already are, via the reference DQ).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from jwcal import dq

NO_LIN_CORR = dq.PIXEL["NO_LIN_CORR"]


def prepare_coefficients(coeffs: np.ndarray, lin_dq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return usable coefficients and the PIXELDQ bits to add.

    Parameters
    ----------
    coeffs : numpy.ndarray
        (ncoeffs, ny, nx) polynomial coefficients, constant term first; ncoeffs >= 2.
    lin_dq : numpy.ndarray
        (ny, nx) uint32 reference DQ (standard bits).

    Returns
    -------
    coeffs : numpy.ndarray
        (ncoeffs, ny, nx) float64 copy, identity (0, 1, 0, ...) where the pixel is not corrected.
    bits : numpy.ndarray
        (ny, nx) uint32: ``lin_dq`` | NO_LIN_CORR on NaN or zero-linear-term pixels.
    """
    if coeffs.ndim != 3 or coeffs.shape[0] < 2:
        raise ValueError("coeffs must be (ncoeffs >= 2, ny, nx)")
    out = np.array(coeffs, dtype=np.float64)
    bits = np.array(lin_dq, dtype=np.uint32)
    bad_coeffs = np.isnan(out).any(axis=0) | (out[1] == 0)
    flagged = (bits & np.uint32(NO_LIN_CORR)) != 0
    bits[bad_coeffs] |= np.uint32(NO_LIN_CORR)
    skip = bad_coeffs | flagged
    out[:, skip] = 0.0
    out[1, skip] = 1.0
    return out, bits


def correct(data: np.ndarray, groupdq: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Apply the polynomial to every group that is not SATURATED.

    Parameters
    ----------
    data : numpy.ndarray
        (..., ny, nx) ramp or group planes (DN), e.g. (nints, ngroups, ny, nx); not modified.
    groupdq : numpy.ndarray
        uint8 group DQ of ``data``'s shape.
    coeffs : numpy.ndarray
        (ncoeffs, ny, nx) prepared coefficients (see :func:`prepare_coefficients`).

    Returns
    -------
    numpy.ndarray
        ``data``'s shape, float32 corrected values (DN).
    """
    if data.ndim < 2 or groupdq.shape != data.shape or coeffs.shape[1:] != data.shape[-2:]:
        raise ValueError("data/groupdq must be (..., ny, nx) of one shape and coeffs (ncoeffs, ny, nx)")
    cube = (1, -1, *data.shape[-2:])  # the kernel's (nints, ngroups, ny, nx) view of any leading axes
    out = np.empty(data.shape, np.float32)
    _correct(np.ascontiguousarray(data, np.float32).reshape(cube),
             np.ascontiguousarray(groupdq, np.uint8).reshape(cube),
             np.ascontiguousarray(coeffs, np.float64), out.reshape(cube))
    return out


def correct_zeroframe(zeroframe: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Correct a (nints, ny, nx) ZEROFRAME; zero values (unusable) stay 0. Returns float32."""
    zero = np.asarray(zeroframe, np.float32)[:, None]
    flags = np.where(zero == 0.0, np.uint8(dq.SATURATED), np.uint8(0)).astype(np.uint8)
    return correct(zero, flags, coeffs)[:, 0]


@njit(cache=True, parallel=True)
def _correct(data, gdq, coeffs, out):  # pragma: no cover - numba
    nints, ngroups, ny, nx = data.shape
    ncoeffs = coeffs.shape[0]
    for y in prange(ny):
        for i in range(nints):
            for g in range(ngroups):
                for x in range(nx):
                    v = data[i, g, y, x]
                    if gdq[i, g, y, x] & 2:
                        out[i, g, y, x] = v
                        continue
                    acc = coeffs[ncoeffs - 1, y, x]
                    for k in range(ncoeffs - 2, -1, -1):
                        acc = acc * v + coeffs[k, y, x]
                    out[i, g, y, x] = acc
