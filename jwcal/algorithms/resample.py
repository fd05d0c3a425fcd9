"""Drizzle (variable-pixel linear reconstruction) and blot, on arrays.

Fruchter, A. S. & Hook, R. N. 2002, PASP 114, 144, "Drizzle: A Method for the Linear Reconstruction
of Undersampled Images". Geometry crosses this boundary as a *pixmap*: for every input pixel centre
the 0-based (x, y) position on the output grid, shape ``(ny, nx, 2)``, NaN where undefined.

:func:`drizzle` drops one input image onto the part of the output grid it touches and returns
*sums* (``Σ w·a·d`` and ``Σ w·a`` for every channel), so a caller can add exposures one at a time
to a mosaic and divide at the end; this is the same weighted mean drizzle's running update
computes, but exact in float64 and independent of the order of the inputs.

Kernels (registry :data:`KERNELS`) follow drizzle's definitions: ``square`` (exact polygon overlap
of the shrunken input pixel, corners from bilinear interpolation of the pixmap), ``turbo`` (axis
aligned box), ``point`` (nearest output pixel), ``gaussian`` and ``lanczos3`` (not flux
conserving).

Parallelism: input rows are cut into bands of at least :data:`BAND_ROWS` rows (taller where a
drop reaches further, :func:`band_rows`); even bands are
drizzled in parallel, then odd bands. Two bands that are not neighbours are separated by a whole
band, so for any smooth input→output mapping their drops cannot touch the same output pixel and
the accumulation needs neither locks nor per-thread copies of the output.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from jwcal import methods

#: Kernel name → kernel code used by the compiled loop (the names: jwcal.methods).
KERNELS = {name: code for code, name in enumerate(methods.DRIZZLE_KERNELS)}

#: Kernels whose total weight per input pixel is exactly the input weight (flux conserving).
FLUX_CONSERVING = methods.FLUX_CONSERVING_KERNELS

#: Minimum height of the row bands drizzled in parallel (input pixels).
BAND_ROWS = 16


def kernel_code(name: str) -> int:
    """Return the compiled-loop code of kernel ``name``.

    Raises
    ------
    ValueError
        For a name not in :data:`KERNELS`.
    """
    try:
        return KERNELS[name]
    except KeyError:
        raise ValueError(f"Kernel {name!r} is not supported.") from None


@njit(cache=True, inline="always")
def _nint(x):
    # Fortran NINT: half away from zero, as drizzle rounds output pixel indices.
    if x >= 0.0:
        return math.floor(x + 0.5)
    return -math.floor(0.5 - x)


@njit(cache=True)
def _interp_pixmap(pixmap, x, y):
    """Bilinear interpolation of the pixmap at input position (x, y); extrapolates at the edges."""
    ny, nx = pixmap.shape[0], pixmap.shape[1]
    i0 = int(x)
    j0 = int(y)
    i0 = min(max(i0, 0), nx - 2)
    j0 = min(max(j0, 0), ny - 2)
    fx = x - i0
    fy = y - j0
    gx = 1.0 - fx
    gy = 1.0 - fy
    ox = (pixmap[j0, i0, 0] * gx * gy + pixmap[j0, i0 + 1, 0] * fx * gy
          + pixmap[j0 + 1, i0, 0] * gx * fy + pixmap[j0 + 1, i0 + 1, 0] * fx * fy)
    oy = (pixmap[j0, i0, 1] * gx * gy + pixmap[j0, i0 + 1, 1] * fx * gy
          + pixmap[j0 + 1, i0, 1] * gx * fy + pixmap[j0 + 1, i0 + 1, 1] * fx * fy)
    return ox, oy


@njit(cache=True, inline="always")
def _clamped_integral(xa, xb, ua, ub):
    """∫ clamp(u, 0, 1) dx over [xa, xb] (xa < xb), u linear from ua at xa to ub at xb."""
    width = xb - xa
    if ua <= 0.0 and ub <= 0.0:
        return 0.0
    if ua >= 1.0 and ub >= 1.0:
        return width
    if 0.0 <= ua <= 1.0 and 0.0 <= ub <= 1.0:
        return 0.5 * width * (ua + ub)
    # u crosses 0 and/or 1 inside the interval (so ua != ub): three pieces, each linear or constant.
    slope = (ub - ua) / width
    t0 = min(max(xa - ua / slope, xa), xb)
    t1 = min(max(xa + (1.0 - ua) / slope, xa), xb)
    lo, hi = min(t0, t1), max(t0, t1)
    total = 0.0
    if lo > xa:
        total += (lo - xa) * min(max(ua + slope * (0.5 * (lo - xa)), 0.0), 1.0)
    if hi > lo:
        total += (hi - lo) * min(max(ua + slope * (0.5 * (lo + hi) - xa), 0.0), 1.0)
    if xb > hi:
        total += (xb - hi) * min(max(ua + slope * (0.5 * (hi + xb) - xa), 0.0), 1.0)
    return total


@njit(cache=True, inline="always")
def _strip_integral(x1, y1, x2, y2):
    """Signed ∫ clamp(y, 0, 1) dx along the segment (x1, y1)→(x2, y2), over 0 ≤ x ≤ 1.

    Summed over the edges of a convex polygon (shifted so an output pixel is the unit square),
    its absolute value is the overlap area of the polygon and the pixel.
    """
    if x1 == x2:
        return 0.0
    sign = 1.0
    if x1 > x2:
        x1, y1, x2, y2 = x2, y2, x1, y1
        sign = -1.0
    if x1 >= 1.0 or x2 <= 0.0:
        return 0.0
    m = (y2 - y1) / (x2 - x1)
    xa = max(x1, 0.0)
    xb = min(x2, 1.0)
    return sign * _clamped_integral(xa, xb, y1 + m * (xa - x1), y1 + m * (xb - x1))


@njit(cache=True, inline="always")
def _overlap(xo, yo, xlo, ylo):
    """Area of the convex quadrilateral (xo, yo) inside the unit square at (xlo, ylo)."""
    total = 0.0
    for k in range(4):
        n = (k + 1) % 4
        total += _strip_integral(xo[k] - xlo, yo[k] - ylo, xo[n] - xlo, yo[n] - ylo)
    return abs(total)


@njit(cache=True)
def _lanczos(x, a):
    if x == 0.0:
        return 1.0
    if abs(x) >= a:
        return 0.0
    px = math.pi * x
    return a * math.sin(px) * math.sin(px / a) / (px * px)


@njit(cache=True, inline="always")
def _add(dsum, wsum, chans, j, i, jj, ii, dow, iscale):
    wsum[jj, ii] += dow
    for c in range(chans.shape[0]):
        dsum[c, jj, ii] += dow * chans[c, j, i] * iscale


#: Largest drop bounding box (output pixels per side) handled by the column sweep of
#: :func:`_square_drop`; larger drops (a much finer output grid) go cell by cell.
_SWEEP_CELLS = 6


@njit(cache=True, inline="always")
def _sweep_areas(xo, yo, ii0, jj0, area, nrows, ncols):
    """Overlap of the convex quadrilateral (xo, yo) with the cells (jj0 + r, ii0 + c) into area[r, c].

    The same edge integrals as :func:`_overlap`, but each edge visits only the columns it spans and,
    in a column, stops at the first row above it: a few evaluations per drop instead of four per cell.
    """
    for r in range(nrows):
        for c in range(ncols):
            area[r, c] = 0.0
    for k in range(4):
        n = k + 1 if k < 3 else 0
        x1, y1, x2, y2 = xo[k], yo[k], xo[n], yo[n]
        if x1 == x2:
            continue
        sign = 1.0
        if x1 > x2:
            x1, y1, x2, y2 = x2, y2, x1, y1
            sign = -1.0
        m = (y2 - y1) / (x2 - x1)
        for c in range(max(_nint(x1) - ii0, 0), min(_nint(x2) - ii0, ncols - 1) + 1):
            left = ii0 + c - 0.5
            xa = max(x1, left)
            xb = min(x2, left + 1.0)
            if xb <= xa:
                continue
            ya = y1 + m * (xa - x1)
            yb = y1 + m * (xb - x1)
            ylo, yhi = min(ya, yb), max(ya, yb)
            for r in range(nrows):
                bottom = jj0 + r - 0.5
                if yhi <= bottom:
                    break
                if ylo >= bottom + 1.0:
                    area[r, c] += sign * (xb - xa)
                else:
                    area[r, c] += sign * _clamped_integral(xa, xb, ya - bottom, yb - bottom)


@njit(cache=True, inline="always")
def _mean_relu(a, b):
    """Mean of max(u, 0) over u linear from a to b."""
    if a >= 0.0 and b >= 0.0:
        return 0.5 * (a + b)
    if a <= 0.0 and b <= 0.0:
        return 0.0
    # One sign change: only the positive part counts; its length is p / (p - n) of the whole.
    p = max(a, b)
    return p * p / (2.0 * (p - min(a, b)))


@njit(cache=True, inline="always")
def _edge_below_left(x1, y1, x2, y2):
    """Share of edge (x1, y1)→(x2, y2) in the signed area of a polygon inside x < 0, y < 0.

    The quadrant area is ∮ min(x, 0) d min(y, 0) over the boundary (the clamp is a retraction onto
    the quadrant, which keeps winding numbers inside it).
    """
    if y1 >= 0.0 and y2 >= 0.0:
        return 0.0
    if y1 > 0.0:
        x1 -= y1 / (y2 - y1) * (x2 - x1)
        y1 = 0.0
    elif y2 > 0.0:
        x2 = x1 - y1 / (y2 - y1) * (x2 - x1)
        y2 = 0.0
    return -(y2 - y1) * _mean_relu(-x1, -x2)


@njit(cache=True, inline="always")
def _areas_2x2(xo, yo, xc, yc):
    """Areas of a convex quadrilateral in the four cells around the grid node (xc, yc).

    The quadrilateral must lie inside the 2x2 cells. Returns the areas (lower left, lower right,
    upper left, upper right), from the signed areas left of xc, below yc and both (Green's theorem
    with clamped coordinates), so each needs a few flops per edge.
    """
    # Exact (Sterbenz): corners lie within two pixels of the node, so all that follows is O(1).
    x0, x1, x2, x3 = xo[0] - xc, xo[1] - xc, xo[2] - xc, xo[3] - xc
    y0, y1, y2, y3 = yo[0] - yc, yo[1] - yc, yo[2] - yc, yo[3] - yc
    signed = 0.5 * ((x2 - x0) * (y3 - y1) - (x3 - x1) * (y2 - y0))
    left = -((y1 - y0) * _mean_relu(-x0, -x1) + (y2 - y1) * _mean_relu(-x1, -x2)
             + (y3 - y2) * _mean_relu(-x2, -x3) + (y0 - y3) * _mean_relu(-x3, -x0))
    below = ((x1 - x0) * _mean_relu(-y0, -y1) + (x2 - x1) * _mean_relu(-y1, -y2)
             + (x3 - x2) * _mean_relu(-y2, -y3) + (x0 - x3) * _mean_relu(-y3, -y0))
    both = (_edge_below_left(x0, y0, x1, y1) + _edge_below_left(x1, y1, x2, y2)
            + _edge_below_left(x2, y2, x3, y3) + _edge_below_left(x3, y3, x0, y0))
    sign = 1.0 if signed >= 0.0 else -1.0
    return (sign * both, sign * (below - both), sign * (left - both),
            sign * (signed - left - below + both))


@njit(cache=True, inline="always")
def _square_drop(xo, yo, wt, dsum, wsum, chans, j, i, iscale, area):
    """Spread input pixel (j, i) over the output pixels its quadrilateral (xo, yo) overlaps.

    ``area`` is scratch of shape (_SWEEP_CELLS, _SWEEP_CELLS).
    """
    h, w = wsum.shape
    jaco = 0.5 * ((xo[1] - xo[3]) * (yo[0] - yo[2]) - (xo[0] - xo[2]) * (yo[1] - yo[3]))
    jaco = abs(jaco)
    if jaco == 0.0:
        return
    # Scalar min/max: ndarray.min() on four values costs more than the whole overlap in numba.
    ii0 = _nint(min(min(xo[0], xo[1]), min(xo[2], xo[3])))
    ii1 = _nint(max(max(xo[0], xo[1]), max(xo[2], xo[3])))
    jj0 = _nint(min(min(yo[0], yo[1]), min(yo[2], yo[3])))
    jj1 = _nint(max(max(yo[0], yo[1]), max(yo[2], yo[3])))
    if ii1 == ii0 + 1 and jj1 == jj0 + 1 and ii0 >= 0 and jj0 >= 0 and ii1 < w and jj1 < h:
        # Most drops of a grid about as fine as the input's: 2x2 cells, well inside the output.
        lower_left, lower_right, upper_left, upper_right = _areas_2x2(xo, yo, ii0 + 0.5, jj0 + 0.5)
        scale = wt / jaco
        if lower_left > 0.0:
            _add(dsum, wsum, chans, j, i, jj0, ii0, lower_left * scale, iscale)
        if lower_right > 0.0:
            _add(dsum, wsum, chans, j, i, jj0, ii1, lower_right * scale, iscale)
        if upper_left > 0.0:
            _add(dsum, wsum, chans, j, i, jj1, ii0, upper_left * scale, iscale)
        if upper_right > 0.0:
            _add(dsum, wsum, chans, j, i, jj1, ii1, upper_right * scale, iscale)
        return
    ii0, ii1, jj0, jj1 = max(ii0, 0), min(ii1, w - 1), max(jj0, 0), min(jj1, h - 1)
    nrows, ncols = jj1 - jj0 + 1, ii1 - ii0 + 1
    if nrows <= 0 or ncols <= 0:
        return
    if nrows <= _SWEEP_CELLS and ncols <= _SWEEP_CELLS:
        _sweep_areas(xo, yo, ii0, jj0, area, nrows, ncols)
        for r in range(nrows):
            for c in range(ncols):
                dover = abs(area[r, c])
                if dover > 0.0:
                    _add(dsum, wsum, chans, j, i, jj0 + r, ii0 + c, wt * dover / jaco, iscale)
        return
    for jj in range(jj0, jj1 + 1):
        for ii in range(ii0, ii1 + 1):
            dover = _overlap(xo, yo, ii - 0.5, jj - 0.5)
            if dover > 0.0:
                _add(dsum, wsum, chans, j, i, jj, ii, wt * dover / jaco, iscale)


@njit(cache=True)
def _corner_row(pixmap, yc, out):
    """Pixmap at the pixel corners (i - 0.5, yc), i = 0..nx, into out of shape (nx + 1, 2)."""
    for i in range(out.shape[0]):
        ox, oy = _interp_pixmap(pixmap, i - 0.5, yc)
        out[i, 0] = ox
        out[i, 1] = oy


@njit(cache=True)
def _square_row_shared(j, chans, weights, clo, chi, dsum, wsum, x0, y0, iscale):
    """Square kernel with pixfrac 1 for row j; clo/chi are :func:`_corner_row` at j -/+ 0.5.

    Neighbouring pixels share corners, so each corner is interpolated once; the values are the
    same bits as :func:`_drizzle_row` interpolating them per pixel (i + 0.5 == (i + 1) - 0.5 exactly).
    """
    nx = weights.shape[1]
    xo = np.empty(4)
    yo = np.empty(4)
    area = np.empty((_SWEEP_CELLS, _SWEEP_CELLS))
    for i in range(nx):
        wt = np.float64(weights[j, i])
        if not wt > 0.0:
            continue
        # Corners in clockwise order: (i-dh, j+dh), (i+dh, j+dh), (i+dh, j-dh), (i-dh, j-dh).
        xo[0] = chi[i, 0]
        yo[0] = chi[i, 1]
        xo[1] = chi[i + 1, 0]
        yo[1] = chi[i + 1, 1]
        xo[2] = clo[i + 1, 0]
        yo[2] = clo[i + 1, 1]
        xo[3] = clo[i, 0]
        yo[3] = clo[i, 1]
        bad = False
        for k in range(4):
            if not (math.isfinite(xo[k]) and math.isfinite(yo[k])):
                bad = True
            xo[k] -= x0
            yo[k] -= y0
        if bad:
            continue
        _square_drop(xo, yo, wt, dsum, wsum, chans, j, i, iscale, area)


@njit(cache=True)
def _drizzle_row(j, chans, weights, pixmap, dsum, wsum, x0, y0, kernel, pixfrac, psr, iscale):
    nx = weights.shape[1]
    h, w = wsum.shape
    dh = 0.5 * pixfrac
    xo = np.empty(4)
    yo = np.empty(4)
    area = np.empty((_SWEEP_CELLS, _SWEEP_CELLS))
    for i in range(nx):
        wt = np.float64(weights[j, i])
        if not wt > 0.0:
            continue
        cx = pixmap[j, i, 0]
        cy = pixmap[j, i, 1]
        if kernel == 0:
            # Corners in clockwise order: (i-dh, j+dh), (i+dh, j+dh), (i+dh, j-dh), (i-dh, j-dh).
            bad = False
            for k in range(4):
                xi = i - dh if (k == 0 or k == 3) else i + dh
                yi = j + dh if k < 2 else j - dh
                ox, oy = _interp_pixmap(pixmap, xi, yi)
                if not (math.isfinite(ox) and math.isfinite(oy)):
                    bad = True
                xo[k] = ox - x0
                yo[k] = oy - y0
            if bad:
                continue
            _square_drop(xo, yo, wt, dsum, wsum, chans, j, i, iscale, area)
            continue
        if not (math.isfinite(cx) and math.isfinite(cy)):
            continue
        cx -= x0
        cy -= y0
        if kernel == 1:
            ii = _nint(cx)
            jj = _nint(cy)
            if 0 <= ii < w and 0 <= jj < h:
                _add(dsum, wsum, chans, j, i, jj, ii, wt, iscale)
        elif kernel == 2:
            pfo = pixfrac / psr / 2.0
            ac = psr * psr / (pixfrac * pixfrac)
            xxi, xxa, yyi, yya = cx - pfo, cx + pfo, cy - pfo, cy + pfo
            for jj in range(max(_nint(yyi), 0), min(_nint(yya), h - 1) + 1):
                dy = min(yya, jj + 0.5) - max(yyi, jj - 0.5)
                if dy <= 0.0:
                    continue
                for ii in range(max(_nint(xxi), 0), min(_nint(xxa), w - 1) + 1):
                    dx = min(xxa, ii + 0.5) - max(xxi, ii - 0.5)
                    if dx > 0.0:
                        _add(dsum, wsum, chans, j, i, jj, ii, wt * dx * dy * ac, iscale)
        elif kernel == 3:
            pfo = max(2.5 * pixfrac / 2.3548 / psr, 1.2 / psr)
            efac = 2.3548 * 2.3548 * psr * psr / (pixfrac * pixfrac) / 2.0
            es = efac / math.pi
            for jj in range(max(_nint(cy - pfo), 0), min(_nint(cy + pfo), h - 1) + 1):
                ddy = cy - jj
                for ii in range(max(_nint(cx - pfo), 0), min(_nint(cx + pfo), w - 1) + 1):
                    ddx = cx - ii
                    dow = wt * es * math.exp(-(ddx * ddx + ddy * ddy) * efac)
                    if dow > 0.0:
                        _add(dsum, wsum, chans, j, i, jj, ii, dow, iscale)
        else:
            # drizzle tabulates L at steps of 0.003 (nearest entry); pixfrac is not used.
            pfo = 3.0 / psr
            for jj in range(max(_nint(cy - pfo), 0), min(_nint(cy + pfo), h - 1) + 1):
                ly = _lanczos(_nint(abs(cy - jj) * psr / 0.003) * 0.003, 3.0)
                for ii in range(max(_nint(cx - pfo), 0), min(_nint(cx + pfo), w - 1) + 1):
                    dow = wt * ly * _lanczos(_nint(abs(cx - ii) * psr / 0.003) * 0.003, 3.0)
                    if dow != 0.0:
                        _add(dsum, wsum, chans, j, i, jj, ii, dow, iscale)


@njit(cache=True, parallel=True)
def _drizzle(chans, weights, pixmap, dsum, wsum, x0, y0, kernel, pixfrac, psr, iscale, band, shared):
    ny, nx = weights.shape
    nbands = (ny + band - 1) // band
    for phase in range(2):
        nphase = (nbands - phase + 1) // 2
        for k in prange(nphase):
            b = 2 * k + phase
            jlo = b * band
            jhi = min((b + 1) * band, ny)
            if shared:
                # Two rows of corners, the upper one of row j becoming the lower one of row j + 1.
                rows = np.empty((2, nx + 1, 2))
                _corner_row(pixmap, jlo - 0.5, rows[0])
                for j in range(jlo, jhi):
                    lo = (j - jlo) % 2
                    _corner_row(pixmap, j + 0.5, rows[1 - lo])
                    _square_row_shared(j, chans, weights, rows[lo], rows[1 - lo], dsum, wsum, x0, y0, iscale)
            else:
                for j in range(jlo, jhi):
                    _drizzle_row(j, chans, weights, pixmap, dsum, wsum, x0, y0, kernel, pixfrac, psr,
                                 iscale)


def footprint_box(pixmap, out_shape, margin):
    """Return the output box ``(y0, y1, x0, x1)`` the mapped pixels can touch, or None.

    Parameters
    ----------
    pixmap : ndarray, shape (ny, nx, 2)
        Output (x, y) of every input pixel centre, NaN where undefined.
    out_shape : tuple of int
        ``(ny_out, nx_out)``.
    margin : float
        Extra output pixels around the mapped centres (kernel half-size).
    """
    x = pixmap[..., 0]
    y = pixmap[..., 1]
    good = np.isfinite(x) & np.isfinite(y)
    if not good.any():
        return None
    xs, ys = x[good], y[good]
    x0 = max(math.floor(xs.min() - margin), 0)
    x1 = min(math.ceil(xs.max() + margin) + 1, out_shape[1])
    y0 = max(math.floor(ys.min() - margin), 0)
    y1 = min(math.ceil(ys.max() + margin) + 1, out_shape[0])
    if x0 >= x1 or y0 >= y1:
        return None
    return y0, y1, x0, x1


def kernel_margin(kernel: str, pixfrac: float, pixel_scale_ratio: float, pixmap_scale: float) -> float:
    """Half-size, in output pixels, of the area one input pixel can reach (for :func:`footprint_box`)."""
    psr = pixel_scale_ratio
    if kernel == "gaussian":
        return max(2.5 * pixfrac / 2.3548 / psr, 1.2 / psr) + 1.0
    if kernel == "lanczos3":
        return 3.0 / psr + 1.0
    if kernel == "turbo":
        return pixfrac / psr / 2.0 + 1.0
    return 0.5 * max(pixfrac, 1.0) * pixmap_scale * 1.5 + 1.0


def drizzle(channels, weights, pixmap, out_shape, *, kernel="square", pixfrac=1.0, pixel_scale_ratio=1.0,
            iscale=1.0, box=None, out=None):
    """Drizzle one input image (and extra channels with the same weights) onto an output grid.

    Parameters
    ----------
    channels : ndarray, shape (nchan, ny, nx)
        Values to drizzle (e.g. SCI and the square roots of the variances), any units; only pixels
        with weight > 0 are read, so NaN elsewhere is harmless.
    weights : ndarray, shape (ny, nx)
        Input pixel weights; 0 (or NaN) excludes a pixel.
    pixmap : ndarray, shape (ny, nx, 2)
        Output (x, y), 0-based, of every input pixel centre; NaN where undefined.
    out_shape : tuple of int
        ``(ny_out, nx_out)`` of the full output grid.
    kernel : str
        A key of :data:`KERNELS`.
    pixfrac : float
        Linear size of the drop relative to the input pixel.
    pixel_scale_ratio : float
        Output pixel scale / input pixel scale; sizes the turbo, gaussian and lanczos3 kernels.
    iscale : float
        Factor applied to the channel values.
    box : tuple of int, optional
        ``(y0, y1, x0, x1)`` part of the output to accumulate; default from :func:`footprint_box`.
    out : tuple of ndarray, optional
        ``(dsum, wsum)`` float64 arrays of the box's shape to add to (with ``box``), so a caller
        summing several inputs over one box needs no per-input sums; they are returned.

    Returns
    -------
    box : tuple of int or None
        The output box of the sums, None if nothing can land on the output grid.
    dsum : ndarray, shape (nchan, y1-y0, x1-x0), float64
        ``Σ dow·value`` per channel.
    wsum : ndarray, shape (y1-y0, x1-x0), float64
        ``Σ dow`` (drizzle's WHT contribution).
    """
    code = kernel_code(kernel)
    channels = np.ascontiguousarray(channels, dtype=np.float32)
    if channels.ndim == 2:
        channels = channels[None]
    weights = np.ascontiguousarray(weights, dtype=np.float32)
    pixmap = np.ascontiguousarray(pixmap, dtype=np.float64)
    if pixmap.shape != (*weights.shape, 2) or channels.shape[1:] != weights.shape:
        raise ValueError("pixmap, weights and channels must describe the same input shape")
    if min(weights.shape) < 2:
        raise ValueError("input images must be at least 2x2 pixels")
    steps = _pixmap_steps(pixmap)
    margin = kernel_margin(kernel, pixfrac, pixel_scale_ratio, float(steps.max()) if steps.size else 1.0)
    if box is None:
        box = footprint_box(pixmap, out_shape, margin)
    if box is None:
        return None, None, None
    y0, y1, x0, x1 = box
    if out is None:
        dsum = np.zeros((channels.shape[0], y1 - y0, x1 - x0))
        wsum = np.zeros((y1 - y0, x1 - x0))
    else:
        dsum, wsum = out
        if (dsum.shape != (channels.shape[0], y1 - y0, x1 - x0) or wsum.shape != dsum.shape[1:]
                or dsum.dtype != np.float64 or wsum.dtype != np.float64):
            raise ValueError("out must be float64 (dsum, wsum) arrays of the box's shape")
    band = band_rows(margin, float(steps.min()) if steps.size else 1.0)
    _drizzle(channels, weights, pixmap, dsum, wsum, float(x0), float(y0), code, float(pixfrac),
             float(pixel_scale_ratio), float(iscale), band, code == 0 and pixfrac == 1.0)
    return box, dsum, wsum


def band_rows(margin: float, min_step: float) -> int:
    """Height of the input row bands drizzled in parallel, so that bands two apart never share output pixels.

    Parameters
    ----------
    margin : float
        Reach of one input pixel's drop, output pixels (:func:`kernel_margin`).
    min_step : float
        Smallest output length of one input pixel step (a coarse output grid or a wide kernel needs
        taller bands: drops from rows one band apart must stay more than two reaches apart).
    """
    if not min_step > 0:
        return BAND_ROWS
    return max(BAND_ROWS, math.ceil((2.0 * margin + 2.0) / min_step))


def _pixmap_steps(pixmap):
    """Output-pixel lengths of input pixel steps along x and y, sampled at a few places (finite only)."""
    ny, nx = pixmap.shape[:2]
    js = np.linspace(0, ny - 2, 5).astype(int)
    is_ = np.linspace(0, nx - 2, 5).astype(int)
    j, i = np.meshgrid(js, is_, indexing="ij")
    dx = np.hypot(*(pixmap[j, i + 1] - pixmap[j, i]).T)
    dy = np.hypot(*(pixmap[j + 1, i] - pixmap[j, i]).T)
    values = np.concatenate([dx.ravel(), dy.ravel()])
    return values[np.isfinite(values)]


@njit(cache=True, parallel=True)
def _blot(source, pixmap, out, fillval):
    ny, nx = pixmap.shape[0], pixmap.shape[1]
    sy, sx = source.shape
    for j in prange(ny):
        for i in range(nx):
            x = pixmap[j, i, 0]
            y = pixmap[j, i, 1]
            if not (0.0 <= x <= sx - 1 and 0.0 <= y <= sy - 1):
                out[j, i] = fillval
                continue
            i0 = min(int(x), sx - 2)
            j0 = min(int(y), sy - 2)
            fx = x - i0
            fy = y - j0
            out[j, i] = ((source[j0, i0] * (1.0 - fx) + source[j0, i0 + 1] * fx) * (1.0 - fy)
                         + (source[j0 + 1, i0] * (1.0 - fx) + source[j0 + 1, i0 + 1] * fx) * fy)


def blot(source, pixmap, *, fillval=np.nan):
    """Sample a resampled image back onto an input grid by bilinear interpolation.

    Parameters
    ----------
    source : ndarray, shape (sy, sx)
        The resampled image (e.g. the median mosaic), any units.
    pixmap : ndarray, shape (ny, nx, 2)
        Position (x, y), 0-based, in ``source`` of every pixel of the grid to fill.
    fillval : float
        Value where the position is undefined or outside ``source``.

    Returns
    -------
    ndarray, shape (ny, nx), float32
        NaN in ``source`` propagates to the pixels that interpolate from it.
    """
    source = np.ascontiguousarray(source, dtype=np.float32)
    if min(source.shape) < 2:
        raise ValueError("the source image must be at least 2x2 pixels")
    out = np.empty(pixmap.shape[:2], dtype=np.float32)
    _blot(source, np.ascontiguousarray(pixmap, dtype=np.float64), out, np.float32(fillval))
    return out


def weighted_mean(dsum, wsum, fillval=np.nan):
    """Return ``dsum / wsum`` as float32, ``fillval`` where the weight is 0.

    Parameters
    ----------
    dsum : ndarray, shape (..., ny, nx)
        Weighted sums from :func:`drizzle`.
    wsum : ndarray, shape (ny, nx)
        Weight sums.
    fillval : float
        Value for pixels without weight.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (dsum / wsum).astype(np.float32)
    out[..., wsum <= 0] = fillval
    return out
