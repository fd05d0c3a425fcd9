"""Tweakreg algorithms: centroids, tangent plane, 2-D histogram shift, matching, linear fits."""

import math

import numpy as np
import pytest

from jwcal.algorithms import tweakreg as alg
from tests.factories.tweakreg import render


def _stars(rng, n, shape, margin=8):
    ny, nx = shape
    return rng.uniform(margin, nx - margin, n), rng.uniform(margin, ny - margin, n)


def test_detect_sources_centroids_are_accurate_whatever_the_subpixel_phase():
    rng = np.random.default_rng(1)
    shape = (96, 96)
    x, y = _stars(rng, 12, shape)
    keep = np.ones(x.size, bool)
    for i in range(x.size):  # keep well separated stars
        keep[i] = np.all(np.hypot(x[:i] - x[i], y[:i] - y[i])[keep[:i]] > 8)
    x, y = x[keep], y[keep]
    img = render(shape, x, y, np.full(x.size, 50.0), 2.3) + 1.0 + rng.normal(0, 0.005, shape)
    mask = np.zeros(shape, bool)
    fx, fy, flux, _ = alg.detect_sources(img, mask, kernel_fwhm=2.3, bkg_boxsize=48)
    assert fx.size == x.size
    d = np.hypot(fx[:, None] - x[None], fy[:, None] - y[None]).min(axis=1)
    assert d.max() < 0.01
    assert np.allclose(flux, 50.0, rtol=0.1)


def test_detect_sources_honours_mask_brightest_and_peakmax():
    rng = np.random.default_rng(2)
    shape = (64, 64)
    xs, ys = np.array([15.3, 45.7, 30.2]), np.array([15.1, 20.4, 48.8])
    img = render(shape, xs, ys, np.array([10.0, 40.0, 80.0]), 2.5) + rng.normal(0, 0.002, shape)
    mask = np.zeros(shape, bool)
    mask[40:58, 20:40] = True  # hides the brightest star
    x, *_ = alg.detect_sources(img, mask, bkg_boxsize=64)
    assert x.size == 2 and abs(x[0] - 45.7) < 0.02  # brightest first
    x, *_ = alg.detect_sources(img, np.zeros(shape, bool), brightest=1, bkg_boxsize=64)
    assert x.size == 1 and abs(x[0] - 30.2) < 0.02
    x, *_ = alg.detect_sources(img, np.zeros(shape, bool), peakmax=8.0, bkg_boxsize=64)
    assert x.size == 2  # the 80-unit star peaks above 8 (the 40-unit one near 5.6)
    x, *_ = alg.detect_sources(np.zeros(shape), np.zeros(shape, bool))
    assert x.size == 0


def test_background_follows_a_gradient_and_ignores_masked_pixels():
    xx = np.mgrid[0:120, 0:120][1]
    data = 1.0 + 0.01 * xx
    mask = np.zeros(data.shape, bool)
    data2 = data.copy()
    data2[:10, :10] = 1e6
    mask[:10, :10] = True
    bkg, rms = alg.background(data2, mask, boxsize=30)
    assert np.abs(bkg - data)[15:-15, 15:-15].max() < 0.02
    assert rms < 0.1


def test_tangent_plane_round_trip_and_direction():
    ra0, dec0 = 53.2, -27.8
    ra = ra0 + np.array([0.0, 0.01, -0.02])
    dec = dec0 + np.array([0.0, 0.005, 0.01])
    xi, eta = alg.sky_to_tp(ra, dec, ra0, dec0)
    assert xi[1] > 0 and eta[1] > 0 and xi[0] == 0
    assert xi[1] == pytest.approx(0.01 * 3600 * math.cos(math.radians(dec0)), rel=1e-3)
    r2, d2 = alg.tp_to_sky(xi, eta, ra0, dec0)
    assert np.allclose(r2, ra, atol=1e-12) and np.allclose(d2, dec, atol=1e-12)


def test_2dhist_finds_the_shift_among_confusion():
    rng = np.random.default_rng(3)
    ref = rng.uniform(0, 60, (150, 2))
    img = ref + np.array([0.83, -1.27]) + rng.normal(0, 0.01, ref.shape)
    img = np.vstack([img[:100], rng.uniform(0, 60, (40, 2))])  # 1/3 unmatched, extra spurious
    offset, npeak = alg.estimate_shift_2dhist(img, ref, 2.0, pscale=0.1)
    assert np.allclose(offset, [0.83, -1.27], atol=0.05)
    assert npeak >= 50
    assert np.array_equal(alg.estimate_shift_2dhist(img[:0], ref, 2.0)[0], [0, 0])


def test_match_tolerance_pairs_and_separation():
    ref = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0], [20.5, 0.0]])
    img = ref[[2, 0, 1]] + [1.0, 1.0]
    ii, jj = alg.match_tolerance(img, ref, (1.0, 1.0), tolerance=0.3, separation=1.0)
    pairs = sorted(zip(ii.tolist(), jj.tolist(), strict=True))
    assert pairs == [(1, 0), (2, 1)]  # (20,0) and (20.5,0) are too close to each other: dropped
    ii, _ = alg.match_tolerance(img, ref, (0.0, 0.0), tolerance=0.3, separation=0.0)
    assert ii.size == 0


@pytest.mark.parametrize("geometry", alg.FIT_GEOMETRIES)
def test_fits_recover_the_transform_of_their_geometry(geometry):
    rng = np.random.default_rng(4)
    img = rng.uniform(-50, 50, (40, 2))
    theta = math.radians(0.05)
    c, s = math.cos(theta), math.sin(theta)
    f = {"shift": np.eye(2), "rshift": np.array([[c, s], [-s, c]]),
         "rscale": 1.0002 * np.array([[c, s], [-s, c]]),
         "general": np.array([[1.0003, 0.0004], [-0.0002, 0.9998]])}[geometry]
    shift = np.array([0.3, -0.7])
    ref = img @ f.T + shift
    ref[:3] += 5.0  # outliers
    fit, sfit, used, rmse = alg.iter_fit(ref, img, geometry, nclip=3, sigma=3.0)
    assert np.allclose(fit, f, atol=1e-9) and np.allclose(sfit, shift, atol=1e-7)
    assert not used[:3].any() and used[3:].all()
    assert rmse < 1e-7


def test_fit_reference_closed_forms_against_least_squares():
    rng = np.random.default_rng(5)
    img = rng.uniform(-50, 50, (30, 2))
    ref = img @ np.array([[0.999, 0.002], [-0.002, 0.999]]).T + [1.0, 2.0] + rng.normal(0, 0.01, img.shape)
    f, s = alg.fit_linear(ref, img, "general")
    a = np.column_stack([img, np.ones(len(img))])
    sol = np.linalg.lstsq(a, ref, rcond=None)[0]
    assert np.allclose(f, sol[:2].T) and np.allclose(s, sol[2])
    rot, scale, skew = alg.decompose(alg.fit_linear(ref, img, "rshift")[0])
    assert rot == pytest.approx(math.degrees(math.atan2(0.002, 0.999)), abs=3e-3)
    assert scale == pytest.approx(1.0) and skew == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        alg.iter_fit(ref[:2], img[:2], "general")
