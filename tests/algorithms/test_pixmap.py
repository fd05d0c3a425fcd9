"""Coarse-grid pixmap interpolation: not-a-knot slopes, the Hermite fill kernel, the 2-D spline."""

import numpy as np
import pytest

from jwcal.algorithms import pixmap as alg


def knots(last):
    """Every 8 pixels up to ``last`` (the pixmap grid: the last interval may be shorter)."""
    return np.unique(np.concatenate([np.arange(0, last + 1, 8), [last]])).astype(float)


@pytest.mark.parametrize("last", [24, 25, 30, 31, 63, 100])
def test_slopes_match_scipy_not_a_knot_cubic_spline(last):
    interpolate = pytest.importorskip("scipy.interpolate")
    x = knots(last)
    y = np.random.default_rng(last).normal(size=(x.size, 3)) * 50.0
    expected = interpolate.CubicSpline(x, y, bc_type="not-a-knot")(x, 1)
    np.testing.assert_allclose(alg.spline_slopes(x, y), expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def test_tridiagonal_kernel_matches_a_dense_solve():
    rng = np.random.default_rng(7)
    n = 9
    lower, upper = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, n)
    diag = rng.uniform(4.0, 5.0, n)  # diagonally dominant: no pivoting needed
    rhs = rng.normal(size=(n, 3))
    dense = np.diag(diag) + np.diag(lower[1:], -1) + np.diag(upper[:-1], 1)
    out = np.full((n, 3), np.nan)
    alg._tridiagonal(lower, diag.copy(), upper, rhs.copy(), out)
    np.testing.assert_allclose(out, np.linalg.solve(dense, rhs), rtol=1e-13, atol=1e-14)


def test_slopes_need_four_knots():
    with pytest.raises(ValueError, match="4 knots"):
        alg.spline_slopes(np.arange(3.0), np.zeros((3, 1)))


def test_hermite_weights_interpolate_at_knots_and_extrapolate_end_cells():
    x = np.array([0.0, 8.0, 16.0, 21.0])
    cell, w = alg.hermite_weights(x, np.array([0.0, 8.0, 21.0, 4.0, 25.0, -2.0]))
    np.testing.assert_array_equal(cell, [0, 1, 2, 0, 2, 0])
    np.testing.assert_allclose(w[:3], [[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]], atol=1e-15)
    np.testing.assert_allclose(w[3], [0.5, 1.0, 0.5, -1.0])  # midpoint of an 8-px cell


def reference_fill(grid, dx, dy, dxy, xcell, xw, ycell, yw):
    """Plain numpy bicubic Hermite evaluation, one pixel at a time (16 corner terms)."""
    nc = grid.shape[0]
    out = np.empty((ycell.size, xcell.size, nc))
    for j in range(ycell.size):
        r = ycell[j]
        for i in range(xcell.size):
            k = xcell[i]
            for c in range(nc):
                # rows: f and d/dx at x-knots k, k+1; columns: f and d/dy at y-knots r, r+1
                corner = np.array([[plane[c, r + dr, k + dk] for dr in (0, 1) for plane in (value, yslope)]
                                   for dk in (0, 1) for value, yslope in ((grid, dy), (dx, dxy))])
                out[j, i, c] = xw[i] @ corner @ yw[j]
    return out


def test_fill_kernel_matches_plain_numpy_reference():
    rng = np.random.default_rng(3)
    xs, ys = knots(29), knots(19)
    grid, dx, dy, dxy = (rng.normal(size=(2, ys.size, xs.size)) for _ in range(4))
    xcell, xw = alg.hermite_weights(xs, np.arange(30.0))
    ycell, yw = alg.hermite_weights(ys, np.arange(20.0))
    out = np.full((20, 30, 2), np.nan)
    alg._fill(grid, dx, dy, dxy, xcell, xw, ycell, yw, out)
    expected = reference_fill(grid, dx, dy, dxy, xcell, xw, ycell, yw)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def test_bicubic_polynomials_are_reproduced_exactly():
    """Not-a-knot splines reproduce cubics: the 2-D interpolant of a bicubic is that bicubic."""
    xs, ys = knots(45), knots(33)

    def f(x, y):
        return 3.0 + 0.9 * x - 0.2 * y + 1e-3 * x * x * y - 2e-4 * y ** 3 + 5e-6 * x ** 3 * y ** 3

    gx, gy = np.meshgrid(xs, ys)
    values = np.stack([f(gx, gy), -f(gy, gx)])
    original = values.copy()
    out = alg.interpolate_grid(xs, ys, values, (34, 46))
    y, x = np.mgrid[0:34, 0:46].astype(float)
    assert out.shape == (34, 46, 2) and out.dtype == np.float64
    np.testing.assert_allclose(out[..., 0], f(x, y), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(out[..., 1], -f(y, x), rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(values, original)  # input not mutated


def test_matches_scipy_rect_bivariate_spline():
    interpolate = pytest.importorskip("scipy.interpolate")
    xs, ys = knots(52), knots(38)
    values = np.random.default_rng(5).normal(size=(2, ys.size, xs.size)) * 100.0
    out = alg.interpolate_grid(xs, ys, values, (39, 53))
    for c in range(2):
        spline = interpolate.RectBivariateSpline(ys, xs, values[c], kx=3, ky=3)
        expected = spline(np.arange(39.0), np.arange(53.0))
        np.testing.assert_allclose(out[..., c], expected, rtol=0, atol=1e-10)
