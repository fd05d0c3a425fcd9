"""steps.resample.pixmap: the coarse-grid spline against the exact WCS transform, and its fallbacks."""

import numpy as np
from astropy.wcs import WCS

from jwcal.steps import resample as rs
from tests.factories.resample import CRVAL, SCALE, wcs_header


def wcs_pair(shape=(150, 203)):
    ny, nx = shape
    in_wcs = WCS(wcs_header(CRVAL, ((nx + 1) / 2, (ny + 1) / 2), rot_deg=17.0, sip=True))
    out_wcs = WCS(wcs_header(CRVAL, (nx * 0.8, ny * 0.6), rot_deg=0.0, scale=SCALE * 0.9, sip=False))
    return in_wcs, out_wcs


def exact(in_wcs, out_wcs, shape):
    y, x = np.mgrid[0:shape[0], 0:shape[1]].astype(float)
    ra, dec = in_wcs.all_pix2world(x, y, 0)
    ox, oy = out_wcs.all_world2pix(ra, dec, 0)
    return np.dstack([ox, oy])


def test_pixmap_is_within_float_noise_of_the_exact_sip_transform():
    shape = (150, 203)
    in_wcs, out_wcs = wcs_pair(shape)
    pmap = rs.pixmap(in_wcs, out_wcs, shape)
    assert pmap.shape == (150, 203, 2) and pmap.dtype == np.float64
    assert np.abs(pmap - exact(in_wcs, out_wcs, shape)).max() < 1e-6


def test_pixmap_of_a_small_image_is_exact():
    shape = (20, 9)  # fewer than 4 grid points along x
    in_wcs, out_wcs = wcs_pair(shape)
    expected = exact(in_wcs, out_wcs, shape)
    np.testing.assert_allclose(rs.pixmap(in_wcs, out_wcs, shape), expected, rtol=0, atol=1e-9)


def test_pixmap_falls_back_to_exact_when_the_grid_has_non_finite_values():
    shape = (40, 50)
    in_wcs, out_wcs = wcs_pair(shape)

    class HoleyWCS:
        def __init__(self, wcs):
            self.wcs, self.sip, self.has_distortion = wcs, None, False
            self.calls = []

        def wcs_world2pix(self, ra, dec, origin):
            self.calls.append(np.shape(ra))
            ox, oy = self.wcs.wcs_world2pix(ra, dec, origin)
            ox = np.where(ox > ox.max() - 2.0, np.nan, ox)  # the far column is unreachable
            return ox, oy

    holey = HoleyWCS(out_wcs)
    pmap = rs.pixmap(in_wcs, holey, shape)
    assert holey.calls[-1] == shape  # evaluated exactly at every pixel
    assert np.isnan(pmap[..., 0]).any()
    finite = np.isfinite(pmap[..., 0])
    np.testing.assert_allclose(pmap[finite], exact(in_wcs, out_wcs, shape)[finite], rtol=0, atol=1e-9)
