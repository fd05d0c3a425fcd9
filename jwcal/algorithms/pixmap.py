"""Dense pixel maps from a coarse grid: tensor-product cubic spline interpolation.

A pixmap (output x, y of every input pixel centre) is smooth, so the exact WCS transform is
evaluated on a coarse grid and interpolated. The interpolant is the tensor product of 1-D
*not-a-knot* cubic splines, the same function as ``scipy.interpolate.RectBivariateSpline(kx=3,
ky=3, s=0)`` (FITPACK's interpolating spline drops the second and second-to-last knots, which is
the not-a-knot condition), without importing scipy. On every grid cell it is a bicubic Hermite
patch whose corner slopes come from small dense solves on the coarse grid (numpy); the dense
evaluation is one parallel numba pass writing the ``(ny, nx, 2)`` result directly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


def spline_slopes(knots, values):
    """First derivatives at the knots of the not-a-knot cubic spline through ``values``.

    Parameters
    ----------
    knots : numpy.ndarray, shape (n,)
        Strictly increasing abscissae, n >= 4.
    values : numpy.ndarray, shape (n, m)
        ``m`` independent series sampled at ``knots`` (axis 0).

    Returns
    -------
    numpy.ndarray, shape (n, m), float64
        d(value)/d(knot) of each series' spline at each knot.
    """
    x = np.ascontiguousarray(knots, dtype=np.float64)
    y = np.ascontiguousarray(values, dtype=np.float64)
    if x.size < 4:
        raise ValueError("a not-a-knot cubic spline needs at least 4 knots")
    m = np.empty(y.shape)
    _slopes(x, y, m)
    return m


@njit(cache=True)
def _slopes(x, y, m):
    # Not-a-knot slopes m (n, k) of the k series y (n, k) at knots x (n,). The tridiagonal system: row
    # i in 1..n-2 is h[i] m[i-1] + 2 (h[i-1] + h[i]) m[i] + h[i-1] m[i+1] = 3 (h[i] s[i-1] + h[i-1] s[i])
    # (s: chord slopes); rows 0 and n-1 are the not-a-knot conditions (third derivative continuous
    # across knots 1 and n-2). Subtracting row 0 from row 1 removes m[0] and leaves a system in m[1:]
    # that Gaussian elimination solves without pivoting (rows 1..n-2 are diagonally dominant); m[0]
    # follows from row 0. No LAPACK: BLAS threads would fight numba's.
    n, k = y.shape
    h = x[1:] - x[:-1]
    s = np.empty((n - 1, k))
    for i in range(n - 1):
        for c in range(k):
            s[i, c] = (y[i + 1, c] - y[i, c]) / h[i]
    d0, d1 = x[2] - x[0], x[n - 1] - x[n - 3]
    rhs = np.empty((n - 1, k))  # rows 1..n-1 of the system
    for i in range(1, n - 1):
        for c in range(k):
            rhs[i - 1, c] = 3.0 * (h[i] * s[i - 1, c] + h[i - 1] * s[i, c])
    b0 = np.empty(k)
    for c in range(k):
        b0[c] = ((h[0] + 2.0 * d0) * h[1] * s[0, c] + h[0] ** 2 * s[1, c]) / d0
        rhs[n - 2, c] = (h[n - 2] ** 2 * s[n - 3, c] + (2.0 * d1 + h[n - 2]) * h[n - 3] * s[n - 2, c]) / d1
        rhs[0, c] -= b0[c]
    lower = np.empty(n - 1)  # coefficient of m[i-1] in row i (i >= 2), at i - 1
    diag = np.empty(n - 1)
    upper = np.empty(n - 1)  # coefficient of m[i+1] in row i (i <= n-2), at i - 1
    for i in range(2, n - 1):
        lower[i - 1], diag[i - 1], upper[i - 1] = h[i], 2.0 * (h[i - 1] + h[i]), h[i - 1]
    diag[0], upper[0] = d0, h[0]
    lower[n - 2], diag[n - 2] = d1, h[n - 3]
    _tridiagonal(lower, diag, upper, rhs, m[1:])
    for c in range(k):
        m[0, c] = (b0[c] - d0 * m[1, c]) / h[1]


@njit(cache=True)
def _tridiagonal(lower, diag, upper, rhs, out):
    # Solve the tridiagonal system lower[i] x[i-1] + diag[i] x[i] + upper[i] x[i+1] = rhs[i] (rows
    # i = 0..n-1, lower[0] and upper[n-1] unused) for every column of rhs (n, m) into out (n, m), by
    # Gaussian elimination without pivoting (the system must not need it); diag and rhs are
    # overwritten.
    n, ncol = rhs.shape
    for i in range(1, n):
        f = lower[i] / diag[i - 1]
        diag[i] -= f * upper[i - 1]
        for c in range(ncol):
            rhs[i, c] -= f * rhs[i - 1, c]
    for c in range(ncol):
        out[n - 1, c] = rhs[n - 1, c] / diag[n - 1]
    for i in range(n - 2, -1, -1):
        for c in range(ncol):
            out[i, c] = (rhs[i, c] - upper[i] * out[i + 1, c]) / diag[i]


def hermite_weights(knots, positions):
    """Cell index and cubic Hermite weights of each position along one axis.

    Parameters
    ----------
    knots : numpy.ndarray, shape (n,)
        Strictly increasing knots, n >= 2.
    positions : numpy.ndarray, shape (p,)
        Where to evaluate; outside ``[knots[0], knots[-1]]`` the end cells extrapolate.

    Returns
    -------
    cell : numpy.ndarray, shape (p,), int64
        Left knot index ``k`` of each position's cell ``[knots[k], knots[k+1]]``.
    weights : numpy.ndarray, shape (p, 4), float64
        Weights of (value_k, slope_k, value_k+1, slope_k+1): a spline with knot values ``f``
        and slopes ``m`` is ``w0 f[k] + w1 m[k] + w2 f[k+1] + w3 m[k+1]``.
    """
    x = np.asarray(knots, dtype=np.float64)
    p = np.asarray(positions, dtype=np.float64)
    cell = np.clip(np.searchsorted(x, p, side="right") - 1, 0, x.size - 2).astype(np.int64)
    h = x[cell + 1] - x[cell]
    t = (p - x[cell]) / h
    t2, t3 = t * t, t * t * t
    weights = np.empty((p.size, 4))
    weights[:, 0] = 2.0 * t3 - 3.0 * t2 + 1.0
    weights[:, 1] = (t3 - 2.0 * t2 + t) * h
    weights[:, 2] = -2.0 * t3 + 3.0 * t2
    weights[:, 3] = (t3 - t2) * h
    return cell, weights


@njit(cache=True, parallel=True)
def _fill(grid, dx, dy, dxy, xcell, xw, ycell, yw, out):
    """Evaluate bicubic Hermite patches at every output pixel.

    ``grid``, ``dx`` (d/dx), ``dy`` (d/dy), ``dxy`` have shape (c, ky, kx); ``xcell``/``xw`` and
    ``ycell``/``yw`` are :func:`hermite_weights` of the nx columns and ny rows; ``out`` has shape
    (ny, nx, c) and is overwritten. First each knot row is interpolated along x (values and
    y-slopes), stored like an output row (pixel-major, channel-minor), then every output row is
    one contiguous combination of two such rows: a loop the compiler vectorizes.
    """
    nc, ky, _kx = grid.shape
    nx = xcell.size
    ny = ycell.size
    along = np.empty((ky, nx * nc))   # spline along x of the knot rows
    slope = np.empty((ky, nx * nc))   # its d/dy
    for r in prange(ky):
        for i in range(nx):
            k = xcell[i]
            w0, w1, w2, w3 = xw[i, 0], xw[i, 1], xw[i, 2], xw[i, 3]
            for c in range(nc):
                along[r, i * nc + c] = (w0 * grid[c, r, k] + w1 * dx[c, r, k]
                                        + w2 * grid[c, r, k + 1] + w3 * dx[c, r, k + 1])
                slope[r, i * nc + c] = (w0 * dy[c, r, k] + w1 * dxy[c, r, k]
                                        + w2 * dy[c, r, k + 1] + w3 * dxy[c, r, k + 1])
    flat = out.reshape(ny, nx * nc)
    for j in prange(ny):
        r = ycell[j]
        w0, w1, w2, w3 = yw[j, 0], yw[j, 1], yw[j, 2], yw[j, 3]
        a0, s0, a1, s1, row = along[r], slope[r], along[r + 1], slope[r + 1], flat[j]
        for q in range(nx * nc):
            row[q] = w0 * a0[q] + w1 * s0[q] + w2 * a1[q] + w3 * s1[q]


def interpolate_grid(xs, ys, values, shape):
    """Interpolate channels sampled on a coarse grid to every pixel of an image.

    Parameters
    ----------
    xs : numpy.ndarray, shape (kx,)
        Strictly increasing column positions of the grid (pixels), kx >= 4.
    ys : numpy.ndarray, shape (ky,)
        Strictly increasing row positions of the grid (pixels), ky >= 4.
    values : numpy.ndarray, shape (c, ky, kx)
        ``c`` channels sampled at (ys[r], xs[k]).
    shape : tuple of int
        (ny, nx) of the image; pixel (j, i) is at (y=j, x=i).

    Returns
    -------
    numpy.ndarray, shape (ny, nx, c), float64
        The tensor-product not-a-knot cubic spline of each channel at every pixel (values beyond
        the grid extrapolate the end cells).
    """
    g = np.ascontiguousarray(values, dtype=np.float64)
    nc, ky, kx = g.shape
    # slopes along x per knot row, along y per knot column, and the cross derivative
    dx = spline_slopes(xs, g.transpose(2, 0, 1).reshape(kx, nc * ky)).reshape(kx, nc, ky).transpose(1, 2, 0)
    dy = spline_slopes(ys, g.transpose(1, 0, 2).reshape(ky, nc * kx)).reshape(ky, nc, kx).transpose(1, 0, 2)
    dxy = spline_slopes(ys, dx.transpose(1, 0, 2).reshape(ky, nc * kx)).reshape(ky, nc, kx).transpose(1, 0, 2)
    ny, nx = shape
    xcell, xw = hermite_weights(xs, np.arange(nx, dtype=np.float64))
    ycell, yw = hermite_weights(ys, np.arange(ny, dtype=np.float64))
    out = np.empty((ny, nx, nc))
    _fill(g, np.ascontiguousarray(dx), np.ascontiguousarray(dy), np.ascontiguousarray(dxy),
          xcell, xw, ycell, yw, out)
    return out
