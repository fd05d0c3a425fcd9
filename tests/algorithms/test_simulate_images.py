"""Numerics of ``jwcal simulate images``: projections, SIP, source rendering, cosmic rays."""

import math

import numpy as np
import pytest
from astropy.wcs import WCS

from jwcal.algorithms import simulate_images as alg


def test_tan_projection_round_trip_and_agrees_with_astropy():
    ra0, dec0 = 53.16, -27.78
    xi = np.array([0.0, 0.01, -0.02, 0.005])
    eta = np.array([0.0, -0.01, 0.015, 0.02])
    ra, dec = alg.tan_deproject(xi, eta, ra0, dec0)
    back = alg.tan_project(ra, dec, ra0, dec0)
    np.testing.assert_allclose(back, (xi, eta), atol=1e-12)
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [ra0, dec0]
    w.wcs.crpix = [1.0, 1.0]
    w.wcs.cd = np.eye(2)
    sky = w.wcs_pix2world(np.stack([xi, eta], axis=1), 0)
    np.testing.assert_allclose(ra, sky[:, 0], atol=1e-10)
    np.testing.assert_allclose(dec, sky[:, 1], atol=1e-10)


def test_cd_matrix_parity_and_angle():
    cd = alg.cd_matrix(0.031, 0.0)
    # +y is North, +x is West (RA decreasing) for parity -1
    assert cd[1, 1] > 0 and cd[0, 0] < 0
    cd90 = alg.cd_matrix(0.031, 90.0)
    np.testing.assert_allclose(cd90 @ [0, 1], [0.031 / 3600, 0], atol=1e-15)  # +y points East
    assert abs(np.linalg.det(cd)) == pytest.approx((0.031 / 3600) ** 2)


def test_random_distortion_peak_and_inverse():
    rng = np.random.default_rng(0)
    a, b = alg.random_distortion(rng, (200, 300), 2.0)
    u, v = alg._grid((200, 300), 33)
    assert np.max(np.hypot(alg.sip_eval(a, u, v), alg.sip_eval(b, u, v))) == pytest.approx(2.0)
    assert a[0, 0] == a[1, 0] == a[0, 1] == 0.0
    _, _, err = alg.fit_inverse_sip(a, b, (200, 300))
    assert err < 0.01


def test_zero_distortion_is_zero():
    a, b = alg.random_distortion(np.random.default_rng(0), (64, 64), 0.0)
    assert not a.any() and not b.any()


@pytest.mark.parametrize("psf", ["gaussian", "moffat"])
def test_render_points_conserves_flux_and_centres(psf):
    x = np.array([20.3, 40.75])
    y = np.array([25.6, 30.1])
    flux = np.array([100.0, 50.0])
    img = alg.render_points((64, 64), x, y, flux, fwhm=2.0, psf=psf)
    assert img.sum() == pytest.approx(150.0)
    yy, xx = np.mgrid[:64, :64]
    for xc, yc, f in zip(x, y, flux, strict=True):
        win = (np.hypot(xx - xc, yy - yc) < 12) & (img > 0)
        part = np.where(win, img, 0)
        # windowed first moments about the true centre vanish for a symmetric profile
        assert np.sum(part * (xx - xc)) / f == pytest.approx(0, abs=0.02)
        assert np.sum(part * (yy - yc)) / f == pytest.approx(0, abs=0.02)


def test_render_points_gaussian_width():
    img = alg.render_points((41, 41), [20.0], [20.0], [1.0], fwhm=3.0, psf="gaussian")
    sigma = 3.0 / 2.3548
    _, xx = np.mgrid[:41, :41]
    var = np.sum(img * (xx - 20) ** 2)
    assert var == pytest.approx(sigma**2 + 1 / 12, rel=0.01)  # pixel integration adds 1/12


def test_render_points_plain_numpy_reference():
    # one Gaussian source: compare with a brute-force loop
    img = alg.render_points((20, 20), [9.3], [10.8], [7.0], fwhm=2.5, psf="gaussian")
    from scipy.special import erf

    s = 2.5 / (2 * np.sqrt(2 * np.log(2)))
    ref = np.zeros((20, 20))
    for j in range(20):
        for i in range(20):
            if abs(i - 9) <= 8 and abs(j - 11) <= 8:
                r = np.sqrt(2) * s
                fx = 0.5 * (erf((i + 0.5 - 9.3) / r) - erf((i - 0.5 - 9.3) / r))
                fy = 0.5 * (erf((j + 0.5 - 10.8) / r) - erf((j - 0.5 - 10.8) / r))
                ref[j, i] = fx * fy
    ref *= 7.0 / ref.sum()
    np.testing.assert_allclose(img, ref, atol=1e-9)


def test_render_points_off_image_and_edges():
    img = alg.render_points((16, 16), [-100.0, 0.0], [5.0, 8.0], [1.0, 1.0], fwhm=2.0)
    assert 0.3 < img.sum() < 0.7  # the edge star keeps about half its flux, the far one nothing


def test_render_galaxies_flux_and_shape():
    img = alg.render_galaxies((80, 80), [40.0], [40.0], [10.0], [4.0], [0.5], [0.0], fwhm=2.0)
    assert img.sum() == pytest.approx(10.0)
    yy, xx = np.mgrid[:80, :80]
    assert np.sum(img * (xx - 40) ** 2) > 2 * np.sum(img * (yy - 40) ** 2)  # major axis along x


def test_cosmic_rays_charge_and_labels():
    rng = np.random.default_rng(1)
    charge, labels = alg.cosmic_rays(rng, (100, 100), 30, min_charge=100.0, max_charge=1000.0)
    assert labels.max() <= 30 and labels.max() > 20
    assert np.all((charge > 0) == (labels > 0))
    assert charge.sum() <= 30 * 1000.0
    empty, none = alg.cosmic_rays(rng, (10, 10), 0, min_charge=1.0, max_charge=2.0)
    assert not empty.any() and not none.any()


def test_refcat_errors_grow_with_magnitude():
    err = alg.refcat_errors([15.0, 20.0, 25.0, 40.0])
    assert err[0] == 0.2 and err[1] == pytest.approx(1.0) and err[3] == 15.0
    assert np.all(np.diff(err) >= 0)


def test_bright_sources_get_stamps_wide_enough_to_hide_their_edges():
    shape, fwhm = (301, 301), 2.1
    base = math.ceil(6.0 * fwhm)
    plain = alg.render_points(shape, [150.0], [150.0], [1e7], fwhm=fwhm)
    wide = alg.render_points(shape, [150.0], [150.0], [1e7], fwhm=fwhm, edge_level=0.01)
    assert plain[150, 150 + base + 1] == 0.0  # a square cut just outside the default stamp
    assert wide[150, 150 + base + 1] > 0.01
    assert wide.sum() == pytest.approx(1e7, rel=1e-9)
    faint = alg.render_points(shape, [150.0], [150.0], [1.0], fwhm=fwhm, edge_level=0.01)
    np.testing.assert_array_equal(faint, alg.render_points(shape, [150.0], [150.0], [1.0], fwhm=fwhm))
