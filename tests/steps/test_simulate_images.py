"""``jwcal.steps.simulate_images.run``: WCS error, star positions, noise and variance, association."""

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.wcs import WCS

from jwcal import dq
from jwcal.errors import UsageError
from jwcal.steps.simulate_images import run

PARAMS = {"nexposures": 3, "size": (128, 160), "seed": 7, "nstars": 60, "ngalaxies": 8, "cr_density": 400.0}


@pytest.fixture(scope="module")
def sim():
    return run(**PARAMS)


def _sep_arcsec(w1, w2, x, y):
    a = w1.all_pix2world(x, y, 0)
    b = w2.all_pix2world(x, y, 0)
    return SkyCoord(*a, unit="deg").separation(SkyCoord(*b, unit="deg")).arcsec


def test_header_wcs_is_off_by_the_injected_amount(sim):
    for k, exposure in enumerate(sim["exposures"]):
        header = WCS(exposure["SCI"].header)
        true = WCS(sim["truth"]["wcs"][k])
        err = sim["truth"]["wcs_error"][k]
        assert 0.1 <= err["offset_arcsec"] <= 1.0
        assert abs(err["droll_deg"]) <= 0.02
        crpix = np.array(exposure["SCI"].header["CRPIX1"]) - 1, exposure["SCI"].header["CRPIX2"] - 1
        sep = _sep_arcsec(header, true, np.array([crpix[0]]), np.array([crpix[1]]))
        assert sep[0] == pytest.approx(err["offset_arcsec"], abs=1e-6)
        # the direction: header minus true in (RA cos Dec, Dec)
        h = header.all_pix2world([[crpix[0], crpix[1]]], 0)[0]
        t = true.all_pix2world([[crpix[0], crpix[1]]], 0)[0]
        dra = (h[0] - t[0]) * np.cos(np.radians(t[1])) * 3600
        assert dra == pytest.approx(err["dra_arcsec"], abs=1e-5)
        assert (h[1] - t[1]) * 3600 == pytest.approx(err["ddec_arcsec"], abs=1e-5)
        # at the corners the roll adds at most |roll| x radius
        x, y = np.array([0.0, 159.0]), np.array([0.0, 127.0])
        corner = _sep_arcsec(header, true, x, y)
        radius = np.hypot(80, 64) * 0.031
        roll = np.radians(abs(err["droll_deg"])) * radius
        assert np.all(np.abs(corner - err["offset_arcsec"]) <= roll + 1e-4)
        assert exposure["SCI"].header["CTYPE1"] == "RA---TAN-SIP"


def test_true_wcs_has_sip_distortion_and_inverse(sim):
    hdr = sim["truth"]["wcs"][0]
    w = WCS(hdr)
    assert w.sip is not None and hdr["A_ORDER"] == 3
    lin = WCS(hdr)
    lin.sip = None
    sep = _sep_arcsec(w, lin, np.array([0.0]), np.array([0.0]))
    assert sep[0] / 0.031 == pytest.approx(2.0, rel=0.5)  # ~2 px at a corner
    # AP/BP invert A/B
    x, y = np.array([3.0, 100.0]), np.array([5.0, 120.0])
    ra, dec = w.all_pix2world(x, y, 0)
    u = w.sip_foc2pix(w.sip_pix2foc(np.stack([x, y], 1), 0), 0)
    assert np.max(np.abs(u - np.stack([x, y], 1))) < 0.01
    np.testing.assert_allclose(w.all_world2pix(ra, dec, 0), [x, y], atol=1e-6)


def _windowed_centroid(img, x, y, sigma=1.5, n=30):
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]]
    for _ in range(n):
        w = np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2)) * ((xx - x) ** 2 + (yy - y) ** 2 < 64)
        x, y = np.sum(w * img * xx) / np.sum(w * img), np.sum(w * img * yy) / np.sum(w * img)
    return x, y


def test_bright_isolated_star_is_where_the_true_wcs_says(sim):
    src = sim["truth"]["sources"]
    checked = 0
    for k, exposure in enumerate(sim["exposures"]):
        sci = exposure["SCI"].data.astype(float)
        x, y = np.asarray(src[f"x_{k + 1}"]), np.asarray(src[f"y_{k + 1}"])
        order = np.argsort(np.asarray(src["mag_ab"]))
        for i in order:
            if src["type"][i] != "star" or src["mag_ab"][i] > 22:
                break
            if not (12 < x[i] < 160 - 12 and 12 < y[i] < 128 - 12):
                continue
            d = np.hypot(x - x[i], y - y[i])
            d[i] = np.inf
            box = (slice(int(y[i]) - 8, int(y[i]) + 9), slice(int(x[i]) - 8, int(x[i]) + 9))
            clean = not np.any(sim["truth"]["cr_labels"][k][box]) and np.all(np.isfinite(sci[box]))
            if np.min(d) < 15 or not clean:
                continue
            cx, cy = _windowed_centroid(np.nan_to_num(sci - 0.2), x[i], y[i])
            assert np.hypot(cx - x[i], cy - y[i]) < 0.05
            checked += 1
            break
        # the header WCS puts the star off by the injected error
        header = WCS(exposure["SCI"].header)
        hx, hy = header.all_world2pix(src["RA"][order[0]], src["DEC"][order[0]], 0)
        shift = np.hypot(hx - x[order[0]], hy - y[order[0]]) * 0.031
        assert shift == pytest.approx(sim["truth"]["wcs_error"][k]["offset_arcsec"], abs=0.05)
    assert checked >= 1


def test_err_is_the_sum_of_the_variances(sim):
    for exposure in sim["exposures"]:
        err = exposure["ERR"].data.astype(float)
        total = sum(exposure[n].data.astype(float) for n in ("VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"))
        good = np.isfinite(err)
        np.testing.assert_allclose(err[good] ** 2, total[good], rtol=1e-5)
        for name in ("SCI", "ERR", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"):
            assert exposure[name].data.dtype == np.float32
        assert exposure["DQ"].data.dtype == np.uint32


def test_noise_matches_err(sim):
    for k, exposure in enumerate(sim["exposures"]):
        sci = exposure["SCI"].data.astype(float)
        model = sim["truth"]["model"][k].astype(float)
        err = exposure["ERR"].data.astype(float)
        good = np.isfinite(sci) & (sim["truth"]["cr_labels"][k] == 0)
        z = (sci - model)[good] / err[good]
        assert np.mean(z) == pytest.approx(0.0, abs=0.03)
        assert np.std(z) == pytest.approx(1.0, abs=0.03)


def test_cosmic_rays_are_left_in_and_bad_pixels_flagged(sim):
    for k, exposure in enumerate(sim["exposures"]):
        labels = sim["truth"]["cr_labels"][k]
        sci = exposure["SCI"].data
        hit = (labels > 0) & np.isfinite(sci)
        assert hit.any()
        z = (sci - sim["truth"]["model"][k]) / exposure["ERR"].data
        assert np.median(z[hit]) > 5  # residual CRs stand out
        assert not np.any(exposure["DQ"].data[hit] & dq.JUMP_DET)
        bad = (exposure["DQ"].data & dq.DO_NOT_USE) != 0
        assert np.all(np.isnan(sci[bad])) and np.all(np.isfinite(sci[~bad]))


def test_layout_keywords_and_units(sim):
    exposure = sim["exposures"][1]
    assert exposure.names() == ["PRIMARY", "SCI", "ERR", "DQ", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"]
    p = exposure.primary
    for key in ("INSTRUME", "DETECTOR", "FILTER", "EXP_TYPE", "PROGRAM", "OBSERVTN", "VISIT", "EXPOSURE",
                "EXPSTART", "EXPEND", "EFFEXPTM", "TARG_RA", "TARG_DEC"):
        assert key in p
    assert p["EXP_TYPE"] == "NRC_IMAGE" and p["S_PHOTOM"] == "COMPLETE" and p["S_FLAT"] == "COMPLETE"
    assert "S_TWKREG" not in p
    assert p["FILENAME"] == "jw01234001001_01101_00002_nrcb1_cal.fits"
    s = exposure["SCI"].header
    assert s["BUNIT"] == "MJy/sr" and s["PIXAR_SR"] == pytest.approx((0.031 / 206264.806) ** 2)
    assert s["RA_REF"] == s["CRVAL1"] and s["S_REGION"].startswith("POLYGON ICRS")
    e0, e1 = sim["exposures"][0].primary, p
    assert e1["EXPSTART"] > e0["EXPEND"]


def test_association_lists_the_exposures(sim):
    asn = sim["association"]
    assert asn["asn_type"] == "image3"
    members = asn["products"][0]["members"]
    assert [m["expname"] for m in members] == [e.primary["FILENAME"] for e in sim["exposures"]]
    assert all(m["exptype"] == "science" for m in members)


def test_refcat_is_a_noisy_subset_of_the_stars(sim):
    cat = sim["refcat"]
    src = sim["truth"]["sources"]
    assert len(cat) >= 5 and set(cat.colnames) >= {"RA", "DEC", "ra_error", "dec_error"}
    truth = src[np.searchsorted(src["id"], cat["objID"])]
    assert np.all(truth["type"] == "star") and np.all(truth["mag_ab"] < 24)
    sky = SkyCoord(truth["RA"], truth["DEC"], unit="deg")
    d = SkyCoord(cat["RA"], cat["DEC"], unit="deg").separation(sky)
    mas = d.to_value("mas")
    assert np.all(mas > 0) and np.all(mas < 6 * np.hypot(cat["ra_error"], cat["dec_error"]))


def test_deterministic_with_seed():
    a = run(nexposures=1, size=(32, 32), seed=3, nstars=10, ngalaxies=2)
    b = run(nexposures=1, size=(32, 32), seed=3, nstars=10, ngalaxies=2)
    c = run(nexposures=1, size=(32, 32), seed=4, nstars=10, ngalaxies=2)
    np.testing.assert_array_equal(a["exposures"][0]["SCI"].data, b["exposures"][0]["SCI"].data)
    assert not np.array_equal(a["exposures"][0]["SCI"].data, c["exposures"][0]["SCI"].data, equal_nan=True)


def test_bad_parameters():
    with pytest.raises(UsageError):
        run(nexposures=0)
    with pytest.raises(UsageError):
        run(size=(8, 8))
    with pytest.raises(UsageError):
        run(size=(32, 32), wcs_error_min=2.0, wcs_error_max=1.0)


def test_pixels_full_within_the_first_group_are_saturated_nan():
    out = run(nexposures=1, size=(48, 48), seed=1, nstars=0, ngalaxies=0, background=200.0,
              bad_pixel_fraction=0.0)
    e = out["exposures"][0]
    assert np.all(e["DQ"].data == dq.SATURATED | dq.DO_NOT_USE) and np.all(np.isnan(e["SCI"].data))
    fine = run(nexposures=1, size=(48, 48), seed=1, nstars=0, ngalaxies=0, background=200.0,
               bad_pixel_fraction=0.0, full_well=0.0)
    assert not fine["exposures"][0]["DQ"].data.any()


@pytest.mark.parametrize("size", [(256, 256), (512, 512), (2048, 2048)])
def test_sources_scale_with_the_footprint_area(size):
    # issue 19: 400 stars and 100 galaxies on any frame made small frames too crowded for tweakreg
    from jwcal.steps import simulate_images as step

    result = step.run(size=size, nexposures=4 if size[0] < 2048 else 1, seed=0)
    sources = result["truth"]["sources"]
    stars = int((sources["type"] == "star").sum())
    x, y = np.asarray(sources["x_1"]), np.asarray(sources["y_1"])
    # the sources spread uniformly over the dithered footprint (a box in the detector frame, about
    # 0.031"/pixel): the extent of their true pixel positions gives its area
    area = np.ptp(x) * np.ptp(y) * (0.031 / 60.0) ** 2
    density = stars / area  # per arcmin² (the extent of a few points underestimates the area)
    assert 0.8 * step.STARS_PER_ARCMIN2 < density < (1.3 if stars > 20 else 2.0) * step.STARS_PER_ARCMIN2
    if size == (2048, 2048):
        assert 350 < stars < 420 and 80 < len(sources) - stars < 110  # the former full-frame counts
    if size == (256, 256):
        assert stars < 15


def test_given_counts_are_kept():
    from jwcal.steps import simulate_images as step

    sources = step.run(size=(128, 128), nexposures=2, seed=0, nstars=30, ngalaxies=4)["truth"]["sources"]
    assert int((sources["type"] == "star").sum()) == 30 and len(sources) == 34
