"""algorithms.tanwcs: the numpy TAN / TAN-SIP evaluator against astropy.wcs (wcslib) and exact math."""

import math

import numpy as np
import pytest
from astropy.wcs import WCS

from jwcal.algorithms import tanwcs
from tests.factories.resample import CRVAL, SCALE, wcs_header

# Largest disagreement with wcslib we accept, in pixels: wcslib itself works in degrees, where one
# unit in the last place of RA (~7e-15 deg at RA 53) is ~1e-9 pixel of 0.031", and it is ~7e-9 px
# off the exact transform on full frames (see tests below for the exact comparison).
PIX_TOL = 2e-8


def cubic_sip_header(crval=(53.16, -27.78), crpix=(1024.5, 1024.5), rot_deg=60.0):
    """A NIRCam-like TAN-SIP header with a third-order distortion (the simulator's kind)."""
    h = wcs_header(crval, crpix, rot_deg=rot_deg, scale=SCALE)
    h["A_ORDER"], h["B_ORDER"] = 3, 3
    h["A_0_3"], h["A_1_2"], h["A_2_1"], h["A_3_0"] = 2.5e-9, -1.1e-8, 1.1e-9, -9.0e-10
    h["B_0_3"], h["B_1_2"], h["B_2_1"], h["B_3_0"] = 1.0e-8, 6.4e-9, 9.8e-9, 1.1e-8
    return h


def tan_of(header):
    order = header.get("A_ORDER")
    a = b = None
    if order is not None:
        a, b = np.zeros((order + 1, order + 1)), np.zeros((order + 1, order + 1))
        for p in range(order + 1):
            for q in range(order + 1 - p):
                a[p, q] = header.get(f"A_{p}_{q}", 0.0)
                b[p, q] = header.get(f"B_{p}_{q}", 0.0)
    cd = [[header["CD1_1"], header["CD1_2"]], [header["CD2_1"], header["CD2_2"]]]
    return tanwcs.TanSip((header["CRPIX1"], header["CRPIX2"]), (header["CRVAL1"], header["CRVAL2"]), cd, a, b)


def grid(n=2048, step=37):
    y, x = np.mgrid[-3:n + 3:step, -3:n + 3:step].astype(float)
    return x, y


def sky_offset_pixels(ra1, dec1, ra2, dec2):
    """Separation of two sky positions in 0.031" pixels."""
    dra = (np.asarray(ra1) - ra2) * np.cos(np.radians(dec1))
    return np.hypot(dra, np.asarray(dec1) - dec2) / SCALE


@pytest.mark.parametrize("header", [cubic_sip_header(), cubic_sip_header((359.9999, 0.5), rot_deg=-17.0),
                                    cubic_sip_header((120.0, 80.0), rot_deg=181.0),
                                    wcs_header(CRVAL, (100.5, 80.5), rot_deg=17.0, sip=True),
                                    wcs_header(CRVAL, (10.0, -20.0), rot_deg=3.0, sip=False)])
def test_pix2world_matches_wcslib(header):
    x, y = grid()
    ra, dec = WCS(header).all_pix2world(x, y, 0)
    ra2, dec2 = tan_of(header).all_pix2world(x, y, 0)
    assert np.all((ra2 >= 0) & (ra2 < 360))
    assert sky_offset_pixels(ra, dec, ra2, dec2).max() < PIX_TOL


def test_world2pix_of_a_plain_tan_matches_wcslib_and_inverts_pix2world():
    header = wcs_header((53.2, -27.8), (700.25, -33.5), rot_deg=123.0, sip=False)
    tan, ref = tan_of(header), WCS(header)
    x, y = grid()
    ra, dec = ref.wcs_pix2world(x, y, 0)
    px, py = tan.wcs_world2pix(ra, dec, 0)
    qx, qy = ref.wcs_world2pix(ra, dec, 0)
    assert max(np.abs(px - qx).max(), np.abs(py - qy).max()) < PIX_TOL
    rx, ry = tan.wcs_world2pix(*tan.wcs_pix2world(x, y, 0), 0)
    assert max(np.abs(rx - x).max(), np.abs(ry - y).max()) < 1e-8


def test_points_behind_the_tangent_plane_are_nan():
    tan = tan_of(wcs_header((10.0, 0.0), (1.0, 1.0), sip=False))
    px, py = tan.wcs_world2pix(np.array([10.0, 100.0, 190.0]), np.array([0.0, 0.0, 0.0]), 0)
    assert np.isfinite(px[0]) and np.isnan(px[1:]).all() and np.isnan(py[1:]).all()


def test_pixel_to_pixel_agrees_with_the_path_through_degrees():
    src = tan_of(cubic_sip_header())
    out_header = wcs_header((53.1601, -27.7801), (1100.3, 1050.7), rot_deg=57.3, scale=SCALE * 1.01,
                            sip=False)
    dst = tan_of(out_header)
    x, y = grid()
    ox, oy = tanwcs.pixel_to_pixel(src, dst, x, y)
    ref = WCS(out_header)
    qx, qy = ref.wcs_world2pix(*WCS(cubic_sip_header()).all_pix2world(x, y, 0), 0)
    assert max(np.abs(ox - qx).max(), np.abs(oy - qy).max()) < PIX_TOL
    with pytest.raises(ValueError, match="SIP"):
        tanwcs.pixel_to_pixel(dst, src, x, y)


def test_pixel_to_pixel_is_exact_to_a_few_1e_10_px_in_extended_precision():
    """Against the same math in 80-bit long double: the double-precision path loses < 3e-9 px."""
    header = cubic_sip_header()
    src = tan_of(header)
    dst = tanwcs.TanSip((1100.3, 1050.7), (53.1601, -27.7801), np.diag([-SCALE, SCALE]))
    x, y = grid(step=97)
    ox, oy = tanwcs.pixel_to_pixel(src, dst, x, y)
    lx, ly = _long_double_pixel_to_pixel(src, dst, x, y)
    assert max(float(np.abs(ox - lx).max()), float(np.abs(oy - ly).max())) < 3e-9


def _long_double_pixel_to_pixel(src, dst, x, y):
    ld = np.longdouble
    pi = np.arccos(ld(-1))

    def frame(ra0, dec0):
        r, d = ld(ra0) * pi / 180, ld(dec0) * pi / 180
        return [np.array([np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)]),
                np.array([-np.sin(r), np.cos(r), ld(0)]),
                np.array([-np.sin(d) * np.cos(r), -np.sin(d) * np.sin(r), np.cos(d)])]

    u = x.astype(ld) - (ld(src.crpix[0]) - 1)
    v = y.astype(ld) - (ld(src.crpix[1]) - 1)
    order = src.a.shape[0] - 1
    f = sum(ld(src.a[p, q]) * u**p * v**q for p in range(order + 1) for q in range(order + 1 - p))
    g = sum(ld(src.b[p, q]) * u**p * v**q for p in range(order + 1) for q in range(order + 1 - p))
    u, v = u + f, v + g
    cd = src.cd.astype(ld)
    xi, eta = (cd[0, 0] * u + cd[0, 1] * v) * pi / 180, (cd[1, 0] * u + cd[1, 1] * v) * pi / 180
    er, ee, en = frame(*src.crval)
    vec = [er[k] + xi * ee[k] + eta * en[k] for k in range(3)]
    dr, de, dn = frame(*dst.crval)
    d = sum(dr[k] * vec[k] for k in range(3))
    e = sum(de[k] * vec[k] for k in range(3)) / d * 180 / pi
    n = sum(dn[k] * vec[k] for k in range(3)) / d * 180 / pi
    m = dst.cd.astype(ld)
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    return ((m[1, 1] * e - m[0, 1] * n) / det + ld(dst.crpix[0]) - 1,
            (-m[1, 0] * e + m[0, 0] * n) / det + ld(dst.crpix[1]) - 1)


def test_separation_of_neighbouring_pixels_is_exact():
    """The tangent-plane formula keeps full precision where differencing sky positions loses ~1e-9."""
    tan = tan_of(wcs_header((53.16, -27.78), (1.0, 1.0), rot_deg=0.0, sip=False))
    # Pixels on the reference row of a TAN grid with CD diagonal: exact angle = atan(k * scale).
    for k in (1, 10, 1000):
        expected = math.degrees(math.atan(math.radians(k * SCALE)))
        assert tan.separation_deg(0.0, 0.0, float(k), 0.0) == pytest.approx(expected, rel=1e-14)


def test_sip_polynomial_matches_direct_evaluation():
    rng = np.random.default_rng(3)
    coeffs = rng.normal(size=(4, 4))
    coeffs[np.add.outer(np.arange(4), np.arange(4)) > 3] = 0.0
    u, v = rng.normal(size=50), rng.normal(size=50)
    direct = sum(coeffs[p, q] * u**p * v**q for p in range(4) for q in range(4 - p))
    np.testing.assert_allclose(tanwcs._poly(coeffs, u, v), direct, rtol=1e-12, atol=1e-12)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="pole"):
        tanwcs.TanSip((1, 1), (0.0, 90.0), np.eye(2))
    with pytest.raises(ValueError, match="singular"):
        tanwcs.TanSip((1, 1), (0.0, 10.0), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="0-based"):
        tanwcs.TanSip((1, 1), (0.0, 10.0), np.eye(2)).all_pix2world([0.0], [0.0], 1)
