"""Per-pixel drizzle weights of one exposure in one pass (jwst ``build_driz_weight``).

A pixel is usable when SCI, ERR and every variance are finite and its DQ has no bad bit; its
weight is then ``1 / VAR_RNOISE`` (``ivm``; 0 where that is not finite or negative), a constant
(``exptime``) or 1, and 0 elsewhere. The numpy formulation takes one full-array pass per check
plus temporaries; the kernel reads each array once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Weight modes of :func:`drizzle_weights`.
IVM, CONSTANT = 0, 1


def drizzle_weights(sci, checks, dq, bad_bits: int, mode: int, value: float = 1.0, rnoise=None) -> np.ndarray:
    """Return the float32 drizzle weights of one exposure.

    Parameters
    ----------
    sci : ndarray of float32, shape (ny, nx)
        Science array.
    checks : sequence of ndarray, shape (ny, nx)
        ERR and variance arrays: a non-finite value makes the pixel unusable (at most 4). Any
        dtype: what counts is finiteness in the array's own type (a float64 ERR that is finite
        but would overflow float32 keeps its pixel).
    dq : ndarray of uint32, shape (ny, nx), or None
        Data quality; pixels with any of ``bad_bits`` set are unusable.
    bad_bits : int
        DQ bits that make a pixel unusable (0: DQ ignored).
    mode : {IVM, CONSTANT}
        ``IVM``: weight ``float32(1) / rnoise`` (0 where not finite or negative); ``CONSTANT``:
        ``float32(value)``.
    value : float
        The constant weight.
    rnoise : ndarray of float32, shape (ny, nx), optional
        VAR_RNOISE, required for ``IVM``.

    Returns
    -------
    ndarray of float32, shape (ny, nx)
        The weights; 0 at unusable pixels (tests/algorithms/test_weights.py holds the numpy
        formulation this equals bit for bit).
    """
    sci = np.ascontiguousarray(sci, dtype=np.float32)
    arrays = [_finiteness_as_float32(a) for a in checks]
    if len(arrays) > 4:
        raise ValueError("at most 4 arrays to check")
    dummy = np.zeros((1, 1), np.float32)
    padded = arrays + [dummy] * (4 - len(arrays))
    use_dq = dq is not None and bad_bits != 0
    dq_arr = np.ascontiguousarray(dq, dtype=np.uint32) if use_dq else np.zeros((1, 1), np.uint32)
    if mode == IVM:
        if rnoise is None:
            raise ValueError("IVM weights need VAR_RNOISE")
        rn = np.ascontiguousarray(rnoise, dtype=np.float32)
    else:
        rn = dummy
    out = np.empty(sci.shape, np.float32)
    _weights(sci, padded[0], padded[1], padded[2], padded[3], len(arrays), dq_arr, use_dq,
             np.uint32(bad_bits & 0xFFFFFFFF), mode == IVM, np.float32(value), rn, out)
    return out


def _finiteness_as_float32(a) -> np.ndarray:
    """Return ``a`` as float32 for the kernel's finiteness check, finite exactly where ``a`` is.

    A float32 array passes as is. Any other dtype is checked in its own type: casting a float64
    to float32 would turn finite values beyond 3.4e38 into inf.
    """
    a = np.asarray(a)
    if a.dtype == np.float32:
        return np.ascontiguousarray(a)
    return np.where(np.isfinite(a), np.float32(0.0), np.float32(np.nan))


@njit(cache=True, error_model="numpy")
def _weights(sci, c0, c1, c2, c3, nchecks, dq, use_dq, bad, ivm, value, rnoise, out):
    ny, nx = sci.shape
    one = np.float32(1.0)
    zero = np.float32(0.0)
    for y in range(ny):
        for x in range(nx):
            ok = np.isfinite(sci[y, x])
            if ok and nchecks > 0:
                ok = np.isfinite(c0[y, x])
            if ok and nchecks > 1:
                ok = np.isfinite(c1[y, x])
            if ok and nchecks > 2:
                ok = np.isfinite(c2[y, x])
            if ok and nchecks > 3:
                ok = np.isfinite(c3[y, x])
            if ok and use_dq:
                ok = (dq[y, x] & bad) == 0
            w = zero
            if ok:
                if ivm:
                    w = one / rnoise[y, x]
                    if not np.isfinite(w) or w < zero:
                        w = zero
                else:
                    w = value
            out[y, x] = w
