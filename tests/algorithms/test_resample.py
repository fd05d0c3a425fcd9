"""Drizzle kernels: flux conservation, agreement with plain-numpy references, blot."""

import math

import numpy as np
import pytest

from jwcal.algorithms import resample as alg


def affine_pixmap(shape, scale, shift=(3.3, 2.7), angle_deg=0.0):
    """Output (x, y) of input pixel centres: rotate, scale, then shift so the minimum is ``shift``."""
    ny, nx = shape
    y, x = np.mgrid[0:ny, 0:nx].astype(float)
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    ox = scale * (c * x - s * y)
    oy = scale * (s * x + c * y)
    ox += shift[0] - ox.min()
    oy += shift[1] - oy.min()
    return np.dstack([ox, oy])


def out_shape_for(pixmap, margin=4):
    return (math.ceil(np.nanmax(pixmap[..., 1])) + margin, math.ceil(np.nanmax(pixmap[..., 0])) + margin)


def reference_axis_aligned(data, weights, pixmap, out_shape, half_x, half_y):
    """Plain numpy drizzle of axis-aligned boxes centred on the pixmap, half sizes in output pixels.

    Each input pixel spreads weight ``w`` over the box in proportion to the overlap area.
    """
    ny, nx = out_shape
    dsum = np.zeros(out_shape)
    wsum = np.zeros(out_shape)
    oy, ox = np.mgrid[0:ny, 0:nx].astype(float)
    area = 4.0 * half_x * half_y
    for (j, i), w in np.ndenumerate(weights):
        if w <= 0:
            continue
        cx, cy = pixmap[j, i]
        dx = np.clip(np.minimum(ox + 0.5, cx + half_x) - np.maximum(ox - 0.5, cx - half_x), 0, None)
        dy = np.clip(np.minimum(oy + 0.5, cy + half_y) - np.maximum(oy - 0.5, cy - half_y), 0, None)
        dow = w * dx * dy / area
        wsum += dow
        dsum += dow * data[j, i]
    return dsum, wsum


def reference_point(data, weights, pixmap, out_shape):
    dsum = np.zeros(out_shape)
    wsum = np.zeros(out_shape)
    for (j, i), w in np.ndenumerate(weights):
        ii = int(np.floor(pixmap[j, i, 0] + 0.5))
        jj = int(np.floor(pixmap[j, i, 1] + 0.5))
        if w > 0 and 0 <= jj < out_shape[0] and 0 <= ii < out_shape[1]:
            wsum[jj, ii] += w
            dsum[jj, ii] += w * data[j, i]
    return dsum, wsum


def full(box, dsum, wsum, out_shape):
    y0, y1, x0, x1 = box
    d = np.zeros(out_shape)
    w = np.zeros(out_shape)
    d[y0:y1, x0:x1] = dsum[0]
    w[y0:y1, x0:x1] = wsum
    return d, w


@pytest.fixture
def image():
    rng = np.random.default_rng(1)
    data = rng.uniform(0.5, 2.0, (12, 14)).astype(np.float32)
    weights = rng.uniform(0.5, 1.5, (12, 14)).astype(np.float32)
    weights[3, 4] = 0.0
    data[3, 4] = np.nan  # excluded by its zero weight
    return data, weights


@pytest.mark.parametrize("kernel", alg.FLUX_CONSERVING)
@pytest.mark.parametrize("ratio", [0.5, 1.0, 1.7, 3.0])
@pytest.mark.parametrize("angle", [0.0, 23.0])
def test_flux_conserving_kernels_spread_exactly_the_input_weight(image, kernel, ratio, angle):
    data, weights = image
    pixmap = affine_pixmap(data.shape, 1.0 / ratio, shift=(5.2, 9.6), angle_deg=angle)
    shape = out_shape_for(pixmap, margin=6)
    _box, dsum, wsum = alg.drizzle(data[None], weights, pixmap, shape, kernel=kernel, pixfrac=0.8,
                                  pixel_scale_ratio=ratio)
    good = weights > 0
    assert wsum.sum() == pytest.approx(weights[good].sum(dtype=np.float64), rel=1e-9)
    assert dsum[0].sum() == pytest.approx(np.sum(weights[good] * data[good].astype(float)), rel=1e-9)
    assert np.isfinite(dsum).all()


@pytest.mark.parametrize("kernel", ["square", "turbo"])
@pytest.mark.parametrize("ratio", [0.5, 1.0, 1.25, 2.0])
def test_surface_brightness_times_pixel_area_conserves_flux(kernel, ratio):
    # A compact source well inside the image; pixfrac 1 tiles the output, so WHT is uniform inside.
    ny, nx = 24, 24
    y, x = np.mgrid[0:ny, 0:nx]
    data = np.exp(-((x - 11.3) ** 2 + (y - 12.1) ** 2) / 4.0).astype(np.float32)
    weights = np.ones_like(data)
    pixmap = affine_pixmap(data.shape, 1.0 / ratio, shift=(4.4, 3.1))
    shape = out_shape_for(pixmap, margin=6)
    _box, dsum, wsum = alg.drizzle(data[None], weights, pixmap, shape, kernel=kernel, pixel_scale_ratio=ratio)
    sci = alg.weighted_mean(dsum, wsum, fillval=0.0)[0]
    assert (sci.sum(dtype=np.float64) * ratio**2) == pytest.approx(data.sum(dtype=np.float64), rel=1e-5)


@pytest.mark.parametrize("ratio", [0.6, 1.0, 2.2])
def test_square_kernel_matches_numpy_reference_for_axis_aligned_mapping(image, ratio):
    data, weights = image
    pixmap = affine_pixmap(data.shape, 1.0 / ratio)
    shape = out_shape_for(pixmap)
    pixfrac = 0.7
    half = 0.5 * pixfrac / ratio
    box, dsum, wsum = alg.drizzle(data[None], weights, pixmap, shape, pixfrac=pixfrac,
                                  pixel_scale_ratio=ratio)
    d, w = full(box, dsum, wsum, shape)
    rd, rw = reference_axis_aligned(data, weights, pixmap, shape, half, half)
    np.testing.assert_allclose(w, rw, atol=1e-9)
    np.testing.assert_allclose(d, rd, atol=1e-8)


@pytest.mark.parametrize("ratio", [0.6, 1.0, 2.2])
def test_turbo_kernel_matches_numpy_reference(image, ratio):
    data, weights = image
    pixmap = affine_pixmap(data.shape, 1.0 / ratio, angle_deg=10.0)  # turbo ignores the rotation
    shape = out_shape_for(pixmap, margin=8)
    box, dsum, wsum = alg.drizzle(data[None], weights, pixmap, shape, kernel="turbo", pixfrac=0.9,
                                  pixel_scale_ratio=ratio)
    d, w = full(box, dsum, wsum, shape)
    half = 0.5 * 0.9 / ratio
    rd, rw = reference_axis_aligned(data, weights, pixmap, shape, half, half)
    np.testing.assert_allclose(w, rw, atol=1e-9)
    np.testing.assert_allclose(d, rd, atol=1e-8)


def test_point_kernel_matches_numpy_reference(image):
    data, weights = image
    pixmap = affine_pixmap(data.shape, 0.77, angle_deg=31.0)
    shape = out_shape_for(pixmap, margin=8)
    box, dsum, wsum = alg.drizzle(data[None], weights, pixmap, shape, kernel="point")
    d, w = full(box, dsum, wsum, shape)
    rd, rw = reference_point(data, weights, pixmap, shape)
    np.testing.assert_allclose(w, rw, atol=1e-9)
    np.testing.assert_allclose(d, rd, atol=1e-8)


def test_square_kernel_with_rotation_matches_exact_polygon_overlap():
    # One input pixel rotated by 45 degrees at pixfrac 1 on an identity scale: a diamond of area 1.
    data = np.ones((2, 2), np.float32)
    weights = np.array([[1, 0], [0, 0]], np.float32)
    pixmap = affine_pixmap((2, 2), 1.0, angle_deg=45.0)
    pixmap += 5.0 - pixmap[0, 0]
    box, dsum, wsum = alg.drizzle(data[None], weights, pixmap, (11, 11))
    _d, w = full(box, dsum, wsum, (11, 11))
    # The diamond centred on (5, 5) with half-diagonal sqrt(2)/2 covers the centre pixel by
    # 1 - 4 corner triangles outside it.
    corner = ((math.sqrt(2) / 2 - 0.5) ** 2)
    assert w[5, 5] == pytest.approx(1 - 4 * corner, abs=1e-12)
    assert w[5, 6] == pytest.approx(corner, abs=1e-12)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)


def test_drizzle_channels_share_weights_and_inputs_are_not_modified(image):
    data, weights = image
    chans = np.stack([data, 2 * data])
    before = chans.copy(), weights.copy()
    pixmap = affine_pixmap(data.shape, 1.0)
    _box, dsum, _wsum = alg.drizzle(chans, weights, pixmap, out_shape_for(pixmap))
    np.testing.assert_allclose(dsum[1], 2 * dsum[0], rtol=1e-6)
    np.testing.assert_array_equal(chans, before[0])
    np.testing.assert_array_equal(weights, before[1])


def test_no_overlap_returns_none(image):
    data, weights = image
    pixmap = affine_pixmap(data.shape, 1.0, shift=(500.0, 500.0))
    box, _dsum, _wsum = alg.drizzle(data[None], weights, pixmap, (20, 20))
    assert box is None


def test_unknown_kernel_is_refused(image):
    data, weights = image
    with pytest.raises(ValueError, match="not supported"):
        alg.drizzle(data[None], weights, affine_pixmap(data.shape, 1.0), (20, 20), kernel="tophat")


def test_blot_matches_numpy_bilinear_reference():
    rng = np.random.default_rng(3)
    source = rng.normal(size=(15, 17)).astype(np.float32)
    pixmap = affine_pixmap((6, 7), 1.3, shift=(1.2, 0.4), angle_deg=12.0)
    pixmap[0, 0] = (-3.0, 2.0)  # outside: fill value
    out = alg.blot(source, pixmap, fillval=-99.0)
    x, y = pixmap[..., 0], pixmap[..., 1]
    i0 = np.clip(np.floor(x).astype(int), 0, source.shape[1] - 2)
    j0 = np.clip(np.floor(y).astype(int), 0, source.shape[0] - 2)
    fx, fy = x - i0, y - j0
    ref = ((source[j0, i0] * (1 - fx) + source[j0, i0 + 1] * fx) * (1 - fy)
           + (source[j0 + 1, i0] * (1 - fx) + source[j0 + 1, i0 + 1] * fx) * fy)
    ref[0, 0] = -99.0
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_blot_of_a_linear_ramp_is_exact():
    y, x = np.mgrid[0:20, 0:20]
    source = (2.0 * x + 3.0 * y).astype(np.float32)
    pixmap = affine_pixmap((5, 5), 1.7, shift=(2.3, 1.9), angle_deg=20.0)
    out = alg.blot(source, pixmap)
    np.testing.assert_allclose(out, 2.0 * pixmap[..., 0] + 3.0 * pixmap[..., 1], rtol=1e-5)


def _clipped_area_reference(px, py, xlo, ylo):
    """Plain-python Sutherland-Hodgman clip of a polygon by the unit square at (xlo, ylo); area."""
    poly = list(zip(px, py, strict=True))
    for inside, cut in (
        (lambda p: p[0] >= xlo, lambda a, b: xlo),
        (lambda p: p[0] <= xlo + 1, lambda a, b: xlo + 1),
        (lambda p: p[1] >= ylo, lambda a, b: ylo),
        (lambda p: p[1] <= ylo + 1, lambda a, b: ylo + 1),
    ):
        vertical = inside((xlo - 1, ylo + 0.5)) != inside((xlo + 2, ylo + 0.5))
        out = []
        for k, cur in enumerate(poly):
            prev = poly[k - 1]
            if inside(cur) != inside(prev):
                edge = cut(prev, cur)
                if vertical:
                    t = (edge - prev[0]) / (cur[0] - prev[0])
                else:
                    t = (edge - prev[1]) / (cur[1] - prev[1])
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            if inside(cur):
                out.append(cur)
        poly = out
        if not poly:
            return 0.0
    x = np.array([p[0] for p in poly])
    y = np.array([p[1] for p in poly])
    return abs(0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def test_quadrilateral_overlap_matches_a_polygon_clipping_reference():
    rng = np.random.default_rng(7)
    for _ in range(300):
        # a random convex quad: a rotated, sheared, scaled square around a random centre
        centre = rng.uniform(-0.5, 1.5, 2)
        m = rng.uniform(-1.2, 1.2, (2, 2)) + np.eye(2)
        if abs(np.linalg.det(m)) < 0.05:
            continue
        corners = np.array([[-0.5, 0.5], [0.5, 0.5], [0.5, -0.5], [-0.5, -0.5]]) @ m.T + centre
        xo, yo = corners[:, 0].copy(), corners[:, 1].copy()
        expected = _clipped_area_reference(xo, yo, 0.0, 0.0)
        assert alg._overlap(xo, yo, 0.0, 0.0) == pytest.approx(expected, abs=1e-12)


def test_corner_row_matches_numpy_bilinear_extrapolation_of_the_pixmap():
    pixmap = affine_pixmap((5, 6), 1.3, angle_deg=17.0)
    pixmap[..., 0] += 0.01 * np.arange(6) ** 2  # not affine: interpolation is not exact
    out = np.empty((7, 2))
    for yc in (-0.5, 2.5, 4.5):
        alg._corner_row(pixmap, yc, out)
        x = np.arange(7) - 0.5
        i0 = np.clip(np.trunc(x).astype(int), 0, 4)
        j0 = min(max(int(yc), 0), 3)
        fx, fy = x - i0, yc - j0
        gx, gy = 1 - fx, 1 - fy
        ref = (pixmap[j0, i0] * (gx * gy)[:, None] + pixmap[j0, i0 + 1] * (fx * gy)[:, None]
               + pixmap[j0 + 1, i0] * (gx * fy)[:, None] + pixmap[j0 + 1, i0 + 1] * (fx * fy)[:, None])
        np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("band", [2, 3, 16])  # bands of 1 row may race on shared output pixels
def test_square_pixfrac_1_shared_corners_give_the_same_bits_as_per_pixel_corners(image, band):
    data, weights = image
    weights = weights.copy()
    weights[2, 3] = 0.0
    pixmap = affine_pixmap(data.shape, 0.9, angle_deg=23.0)
    pixmap[..., 1] += 0.02 * np.arange(data.shape[1]) ** 1.5
    pixmap[4, 5] = np.nan  # the four drops sharing its corners are skipped on both paths
    chans = np.ascontiguousarray(np.stack([data, data * data]), dtype=np.float32)
    h, w = out_shape_for(np.nan_to_num(pixmap))
    sums = []
    for shared in (False, True):
        dsum, wsum = np.zeros((2, h, w)), np.zeros((h, w))
        alg._drizzle(chans, weights.astype(np.float32), pixmap, dsum, wsum, 0.0, 0.0, 0, 1.0, 1.0, 1.0, band,
                     shared)
        sums.append((dsum, wsum))
    assert sums[0][1].sum() > 0
    np.testing.assert_array_equal(sums[0][0], sums[1][0])
    np.testing.assert_array_equal(sums[0][1], sums[1][1])


def test_bands_grow_where_drops_reach_further_than_a_band():
    from jwcal.algorithms import resample

    assert resample.band_rows(1.75, 1.0) == resample.BAND_ROWS
    # output pixels 10x coarser than the input: a drop reaching 4 output pixels spans 40 input rows
    assert resample.band_rows(4.0, 0.1) == 100
    assert resample.band_rows(4.0, 0.0) == resample.BAND_ROWS


def test_column_sweep_areas_match_a_polygon_clipping_reference_cell_by_cell():
    rng = np.random.default_rng(11)
    area = np.empty((alg._SWEEP_CELLS, alg._SWEEP_CELLS))
    for _ in range(200):
        centre = rng.uniform(1.0, 3.0, 2)
        m = rng.uniform(-0.6, 0.6, (2, 2)) + np.eye(2) * rng.uniform(0.5, 2.0)
        if abs(np.linalg.det(m)) < 0.05:
            continue
        corners = np.array([[-0.5, 0.5], [0.5, 0.5], [0.5, -0.5], [-0.5, -0.5]]) @ m.T + centre
        xo, yo = corners[:, 0].copy(), corners[:, 1].copy()
        ii0, jj0 = int(np.floor(xo.min() + 0.5)), int(np.floor(yo.min() + 0.5))
        ncols, nrows = int(np.floor(xo.max() + 0.5)) - ii0 + 1, int(np.floor(yo.max() + 0.5)) - jj0 + 1
        alg._sweep_areas(xo, yo, ii0, jj0, area, nrows, ncols)
        for r in range(nrows):
            for c in range(ncols):
                expected = _clipped_area_reference(xo, yo, ii0 + c - 0.5, jj0 + r - 0.5)
                assert abs(area[r, c]) == pytest.approx(expected, abs=1e-12)
        assert abs(area[:nrows, :ncols].sum()) == pytest.approx(abs(np.linalg.det(m)), rel=1e-12)


def test_drizzle_adds_into_given_sums(image):
    data, weights = image
    pixmap = affine_pixmap(data.shape, 1.1, angle_deg=12.0)
    shape = out_shape_for(pixmap)
    box, d1, w1 = alg.drizzle(data[None], weights, pixmap, shape)
    _, d2, w2 = alg.drizzle(2.0 * data[None], weights, pixmap + 0.3, shape, box=box)
    sums = (d1.copy(), w1.copy())
    returned = alg.drizzle(2.0 * data[None], weights, pixmap + 0.3, shape, box=box, out=sums)
    assert returned[1] is sums[0] and returned[2] is sums[1]
    np.testing.assert_allclose(sums[0], d1 + d2, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(sums[1], w1 + w2, rtol=1e-14, atol=1e-14)
    with pytest.raises(ValueError, match="box's shape"):
        alg.drizzle(data[None], weights, pixmap, shape, box=box, out=(d1[:, 1:], w1[1:]))


def test_two_by_two_areas_match_a_polygon_clipping_reference_cell_by_cell():
    rng = np.random.default_rng(5)
    checked = 0
    for _ in range(400):
        m = rng.uniform(-0.3, 0.3, (2, 2)) + np.eye(2) * rng.uniform(0.7, 1.0)
        if abs(np.linalg.det(m)) < 0.05:
            continue
        corners = np.array([[-0.5, 0.5], [0.5, 0.5], [0.5, -0.5], [-0.5, -0.5]]) @ m.T
        if rng.uniform() < 0.5:
            corners = corners[::-1]  # either orientation
        node = rng.uniform(-0.4, 0.4, 2) + np.array([1000.5, 2000.5])
        xo, yo = corners[:, 0] + node[0], corners[:, 1] + node[1]
        if not (node[0] - 1 < xo.min() and xo.max() < node[0] + 1 and node[1] - 1 < yo.min()
                and yo.max() < node[1] + 1):
            continue  # the 2x2 path is only taken for drops inside the four cells
        checked += 1
        areas = alg._areas_2x2(xo, yo, node[0], node[1])
        for value, (dx, dy) in zip(areas, ((-1, -1), (0, -1), (-1, 0), (0, 0)), strict=True):
            # the reference in coordinates relative to the node: its shoelace loses digits at x ~ 1000
            expected = _clipped_area_reference(xo - node[0], yo - node[1], dx, dy)
            assert value == pytest.approx(expected, abs=1e-13)
    assert checked > 200
