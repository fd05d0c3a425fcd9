"""steps.resample.pixmap: the coarse-grid spline against the exact WCS transform, and its fallbacks."""

import math

import numpy as np
import pytest
from astropy.wcs import WCS

from jwcal.errors import DataError
from jwcal.steps import fits_wcs, mosaic_grid
from jwcal.steps import resample as rs
from jwcal.steps import stage3_inputs as stage3
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
    pmap = fits_wcs.pixmap(in_wcs, out_wcs, shape)
    assert pmap.shape == (150, 203, 2) and pmap.dtype == np.float64
    assert np.abs(pmap - exact(in_wcs, out_wcs, shape)).max() < 1e-6


def test_pixmap_of_a_small_image_is_exact():
    shape = (20, 9)  # fewer than 4 grid points along x
    in_wcs, out_wcs = wcs_pair(shape)
    expected = exact(in_wcs, out_wcs, shape)
    np.testing.assert_allclose(fits_wcs.pixmap(in_wcs, out_wcs, shape), expected, rtol=0, atol=1e-9)


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
    pmap = fits_wcs.pixmap(in_wcs, holey, shape)
    assert holey.calls[-1] == shape  # evaluated exactly at every pixel
    assert np.isnan(pmap[..., 0]).any()
    finite = np.isfinite(pmap[..., 0])
    np.testing.assert_allclose(pmap[finite], exact(in_wcs, out_wcs, shape)[finite], rtol=0, atol=1e-9)


def test_plain_tan_sip_headers_take_the_numpy_path_and_match_astropy():
    from jwcal.algorithms.tanwcs import TanSip

    header = wcs_header(CRVAL, (100.5, 80.5), rot_deg=17.0, sip=True)
    fast = fits_wcs.wcs_from_header(header, "x")
    slow = fits_wcs.wcs_from_header(header, "x", fast=False)
    assert isinstance(fast, TanSip) and isinstance(slow, WCS)
    y, x = np.mgrid[0:160:9, 0:200:9].astype(float)
    ra, dec = fast.all_pix2world(x, y, 0)
    ra2, dec2 = slow.all_pix2world(x, y, 0)
    assert np.abs(ra - ra2).max() < 1e-12 and np.abs(dec - dec2).max() < 1e-12
    scale = mosaic_grid.pixel_scale_deg(slow, (160, 200))
    assert mosaic_grid.pixel_scale_deg(fast, (160, 200)) == pytest.approx(scale, rel=1e-8)


def test_pc_cdelt_form_is_read_like_wcslib():
    header = wcs_header(CRVAL, (10.5, 20.5), rot_deg=30.0, sip=False)
    c, s = math.cos(math.radians(30.0)), math.sin(math.radians(30.0))
    for key in ("CD1_1", "CD1_2", "CD2_1", "CD2_2"):
        del header[key]
    header["CDELT1"], header["CDELT2"] = -SCALE, SCALE
    header["PC1_1"], header["PC1_2"], header["PC2_1"] = c, -s, s  # PC2_2 missing: defaults to 1
    fast = fits_wcs.wcs_from_header(header, "x")
    slow = fits_wcs.wcs_from_header(header, "x", fast=False)
    x, y = np.array([0.0, 50.0, -30.0]), np.array([0.0, 70.0, 400.0])
    np.testing.assert_allclose(fast.all_pix2world(x, y, 0), slow.all_pix2world(x, y, 0), rtol=0, atol=1e-12)


@pytest.mark.parametrize("change", [
    {"CTYPE1": "RA---SIN", "CTYPE2": "DEC--SIN"},
    {"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN"},  # SIP keywords without -SIP
    {"LONPOLE": 170.0},
    {"CUNIT1": "arcsec"},
    {"PV2_1": 0.0},
    {"CPDIS1": "LOOKUP"},
    {"PC1_1": 1.0},  # PC and CD together
    {"A_ORDER": 3.5},
    {"CRVAL2": 90.0},
])
def test_anything_but_plain_tan_sip_falls_back_to_astropy(change):
    header = wcs_header(CRVAL, (100.5, 80.5), rot_deg=17.0, sip=True)
    header.update(change)
    assert fits_wcs.tan_from_header(header) is None


def test_a_header_without_celestial_axes_is_a_data_error():
    header = wcs_header(CRVAL, (100.5, 80.5), sip=False)
    header["CTYPE1"], header["CTYPE2"] = "LINEAR", "LINEAR"
    with pytest.raises(DataError, match="no celestial WCS"):
        fits_wcs.wcs_from_header(header, "x")


def test_output_grid_header_matches_its_wcs():
    from astropy.io import fits

    from jwcal.exposure import HDU, Exposure

    exposures = []
    for k in range(2):
        header = wcs_header((CRVAL[0] + k * 1e-5, CRVAL[1]), (40.5, 30.5), rot_deg=5.0, sip=True)
        header["BUNIT"] = "MJy/sr"
        sci = HDU.image("SCI", np.zeros((60, 80), np.float32), header)
        exposures.append(Exposure([HDU(header=fits.Header()), sci], source=f"in{k}"))
    infos = [stage3.InputInfo(e, k) for k, e in enumerate(exposures)]
    wcs, shape, ratio = mosaic_grid.output_grid(infos)
    assert ratio == 1.0 and shape[0] >= 60 and shape[1] >= 80
    header = rs._sci_header(wcs, "MJy/sr", None, None)
    ref = WCS(header)
    x, y = np.array([0.0, shape[1] - 1.0]), np.array([0.0, shape[0] - 1.0])
    np.testing.assert_allclose(ref.wcs_pix2world(x, y, 0), wcs.wcs_pix2world(x, y, 0), rtol=0, atol=1e-10)


def test_output_header_cards_are_byte_identical_to_astropys():
    """The i2d WCS cards are built without astropy.wcs; they must equal WCS.to_header(relax=False)."""
    from astropy.io import fits

    rng = np.random.default_rng(1)
    for k in range(300):
        crval = (rng.uniform(0, 360), rng.uniform(-89, 89)) if k % 13 else (0.0, 0.0)
        scale = 10 ** rng.uniform(-7, -3) if k % 17 else 1e-5
        rot = rng.uniform(-math.pi, math.pi) if k % 5 else (0.0, math.pi / 2, math.pi, math.pi / 6)[k % 4]
        vpar = -1.0 if k % 3 else 1.0
        pc = [[vpar * math.cos(rot), math.sin(rot)], [-vpar * math.sin(rot), math.cos(rot)]]
        crpix = (rng.uniform(-5000, 5000), rng.uniform(-5000, 5000)) if k % 11 else (1.0 + k, 0.5)
        grid = fits_wcs.OutputTan(crpix, crval, scale, pc)
        grid.pixel_shape = (100, 120)
        expected = grid.to_astropy().to_header(relax=False)
        expected.remove("MJDREF", ignore_missing=True)
        assert fits.Header(grid.header_cards()).tostring() == expected.tostring()
