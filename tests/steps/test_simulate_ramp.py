import math

import numpy as np
import pytest

from jwcal import dq
from jwcal.errors import UsageError
from jwcal.steps import simulate_ramp as step


@pytest.fixture(scope="module")
def clean_sim():
    """A 64x64 NIRCam ramp without 1/f noise, with bright sources."""
    return step.run(size=(64, 64), ngroups=10, seed=11, one_over_f=0.0, stars=30, galaxies=3,
                    background=5.0, ref_subarray=True)


def _fit_slopes(sci, tgroup):
    """Unweighted least-squares slope (DN/s) of every pixel of one integration."""
    n = sci.shape[0]
    t = np.arange(n) * tgroup
    tc = t - t.mean()
    return np.tensordot(tc, sci.astype(float), axes=(0, 0)) / (tc ** 2).sum()


def test_slope_fit_recovers_the_true_rate_within_noise(clean_sim):
    uncal, truth, rn = clean_sim["uncal"], clean_sim["truth"], clean_sim["readnoise"]
    h = uncal.primary
    n, tg = h["NGROUPS"], h["TGROUP"]
    slope = _fit_slopes(uncal["SCI"].data[0], tg)
    true = truth["TRUE_RATE"].data
    gain = clean_sim["gain"]["SCI"].data
    sigma_g = rn["SCI"].data / math.sqrt(2.0)
    var_read = 12 * sigma_g ** 2 / (n * (n * n - 1) * tg * tg)
    var_poisson = true / gain * 6 * (n * n + 1) / (5 * n * (n * n - 1) * tg)
    good = ((truth["BADPIX"].data == 0) & (truth["SATGROUP"].data[0] < 0)
            & (truth["CR_GROUP"].data[0] < 0))
    z = ((slope - true) / np.sqrt(var_read + var_poisson))[good]
    assert good.sum() > 2500
    assert abs(np.mean(z)) < 0.1
    assert 0.9 < np.std(z) < 1.1
    assert true.max() > 1e4  # some bright pixels are in the test


def test_group_differences_match_readnoise_reference():
    p = step.run(size=(128, 128), ngroups=6, seed=3, stars=0, galaxies=0, background=0.0, cr_rate=0.0,
                 hot_fraction=0.0, one_over_f=0.0, ref_subarray=True)
    sci = p["uncal"]["SCI"].data[0].astype(float)
    diffs = np.diff(sci, axis=0)
    rn = p["readnoise"]["SCI"].data
    # std over groups per pixel, pooled over pixels of similar read noise
    ratio = np.sqrt((diffs ** 2).mean(axis=0).mean() / (rn ** 2).mean())
    assert abs(ratio - 1.0) < 0.03


def test_cosmic_ray_count_matches_rate_area_and_time():
    p = step.run(size=(256, 256), ngroups=20, nints=2, seed=5, cr_rate=5.0, ref_subarray=True,
                 snowballs=0)
    h, truth = p["uncal"].primary, p["truth"]
    crs = truth["CRS"].data
    cosmic = crs[crs["kind"] == "cosmic"]
    tint = h["TFRAME"] * (h["NGROUPS"] * (h["NFRAMES"] + h["GROUPGAP"]) - h["GROUPGAP"])
    expected = 5.0 * 256 * 256 * truth.primary["PIXAREA"] * tint * 2
    assert abs(len(cosmic) - expected) < 4 * math.sqrt(expected)
    assert set(cosmic["integration"]) <= {1, 2}
    assert (cosmic["group"] >= 0).all() and (cosmic["group"] < 20).all()
    # every event is visible in the truth maps at its first affected group
    light = truth["BADPIX"].data == 0
    for row in cosmic:
        if light[row["y"], row["x"]] and row["amplitude"] > 50:
            assert truth["CR_GROUP"].data[row["integration"] - 1, row["y"], row["x"]] <= row["group"]


def test_snowball_cores_saturate():
    p = step.run(size=(128, 128), ngroups=8, seed=7, snowballs=3, cr_rate=0.0, ref_subarray=True)
    truth, sci = p["truth"], p["uncal"]["SCI"].data[0]
    snow = truth["CRS"].data
    assert (snow["kind"] == "snowball").sum() == 3
    for row in snow:
        y, x, g = row["y"], row["x"], row["group"]
        if truth["BADPIX"].data[y, x]:
            continue
        assert sci[-1, y, x] >= truth["SAT_LEVEL"].data[y, x] - 30
        assert 0 <= truth["SATGROUP"].data[0, y, x] <= g


def test_one_over_f_is_carried_by_reference_pixels():
    p = step.run(size=(64, 256), ngroups=4, seed=2, stars=0, galaxies=0, one_over_f=3.0, ref_subarray=True)
    sci = p["uncal"]["SCI"].data[0].astype(float)
    bias = p["truth"]["BIAS"].data
    ref = (sci - bias)[:, 4:, 0:4].mean(axis=2)  # left reference columns, per group and row
    sky = np.median((sci - bias)[:, 4:, 4:], axis=2)  # the same rows in the light-sensitive pixels
    corr = np.corrcoef(ref.ravel(), sky.ravel())[0, 1]
    assert corr > 0.8
    assert p["mask"]["DQ"].data[10, 2] & dq.PIXEL["REFERENCE_PIXEL"]


def test_headers_and_layouts(clean_sim):
    uncal = clean_sim["uncal"]
    h = uncal.primary
    assert h["DATAMODL"] == "Level1bModel" and h["READPATT"] == "RAPID"
    assert h["TGROUP"] == pytest.approx(h["TFRAME"])
    assert h["SUBSIZE1"] == 64 and h["SUBARRAY"] == "GENERIC"
    assert uncal["SCI"].data.dtype == np.uint16
    assert list(uncal["INT_TIMES"].data.dtype.names)[:2] == ["integration_number", "int_start_MJD_UTC"]
    names = clean_sim["mask"]["DQ_DEF"].data["NAME"].tolist()
    assert names == ["DO_NOT_USE", "DEAD", "HOT", "REFERENCE_PIXEL"]
    assert clean_sim["gain"].primary["REFTYPE"] == "GAIN"
    assert step.filenames(clean_sim)["uncal"] == "jw01234001001_01101_00001_nrcb1_uncal.fits"


def test_same_seed_same_data_and_subarray_matches_full_frame_maps():
    a = step.run(size=(40, 50), ngroups=3, seed=9, ref_subarray=True)
    b = step.run(size=(40, 50), ngroups=3, seed=9, ref_subarray=True)
    assert np.array_equal(a["uncal"]["SCI"].data, b["uncal"]["SCI"].data)
    c = step.run(size=(40, 50), ngroups=3, seed=10, ref_subarray=True)
    assert not np.array_equal(a["uncal"]["SCI"].data, c["uncal"]["SCI"].data)


def test_miri_layout():
    p = step.run(detector="MIRIMAGE", size=(64, 64), ngroups=3, seed=1, showers=1, ref_subarray=True)
    h = p["uncal"].primary
    assert h["INSTRUME"] == "MIRI" and h["READPATT"] == "FASTR1"
    assert (p["truth"]["CRS"].data["kind"] == "shower").sum() == 1
    mask = p["mask"]["DQ"].data
    assert mask[0, 10] & dq.PIXEL["REFERENCE_PIXEL"] == 0 and mask[10, 3] & dq.PIXEL["REFERENCE_PIXEL"]


@pytest.mark.parametrize("kwargs", [{"detector": "NRS1"}, {"nframes": 3}, {"size": (3000, 10)},
                                    {"ngroups": 0}])
def test_bad_parameters_are_usage_errors(kwargs):
    with pytest.raises(UsageError):
        step.run(**{"size": (16, 16), **kwargs})


def test_superbias_linearity_dark_chain_recovers_the_true_rate():
    p = step.run(size=(64, 64), ngroups=8, nframes=8, groupgap=2, seed=21, one_over_f=0.0, stars=20,
                 galaxies=2, background=3.0, nonlinear=True, dark_current=2.0, ref_subarray=True)
    truth, h = p["truth"], p["uncal"].primary
    assert set(p) >= {"superbias", "saturation", "linearity", "dark"}
    sci = p["uncal"]["SCI"].data[0].astype(float)
    s = sci - p["superbias"]["SCI"].data
    c = p["linearity"]["COEFFS"].data.astype(float)
    lin = c[0] + s * (c[1] + s * (c[2] + s * c[3]))
    lin -= p["dark"]["SCI"].data
    slope = _fit_slopes(lin, h["TGROUP"])
    raw_slope = _fit_slopes(sci, h["TGROUP"])
    true = truth["TRUE_RATE"].data
    good = ((truth["BADPIX"].data == 0) & (truth["SATGROUP"].data[0] < 0) & (truth["CR_GROUP"].data[0] < 0))
    bright = good & (true * h["TGROUP"] * 8 > 15000)  # where the non-linearity is > 2 %
    assert bright.sum() > 10
    rel = (slope - true)[bright] / true[bright]
    assert abs(np.median(rel)) < 0.005
    assert np.median((raw_slope - true)[bright] / true[bright]) < -0.02  # uncorrected data are non-linear
    faint = good & (true < 4.0)
    assert abs(np.median(slope[faint] - true[faint])) < 0.3  # dark removed (2 DN/s injected)
    assert np.median(raw_slope[faint] - true[faint]) > 1.5
    dark = truth["DARK_RATE"].data[good]
    assert 1.5 < np.mean(dark) < 2.5


def test_saturation_reference_matches_the_truth_saturation_groups():
    p = step.run(size=(64, 64), ngroups=10, nframes=8, groupgap=2, seed=8, stars=30, nonlinear=True,
                 ref_subarray=True)
    sci = p["uncal"]["SCI"].data[0].astype(float)
    thresh = p["saturation"]["SCI"].data
    flagged = sci >= thresh
    first = np.where(flagged.any(axis=0), flagged.argmax(axis=0), -1)
    satgroup = p["truth"]["SATGROUP"].data[0]
    assert (satgroup >= 0).sum() > 5
    agree = (first == satgroup).mean()
    assert agree > 0.995
    np.testing.assert_allclose(thresh, p["truth"]["SAT_LEVEL"].data - step.SATURATION_MARGIN, rtol=1e-6)


def test_detector1_steps_recover_the_true_rate_and_saturation():
    """The whole detector-1 chain of jwcal on a simulated non-linear, dark ramp."""
    from jwcal.steps import dark, dq_init, jump, linearity, ramp_fit, refpix, saturation, superbias

    p = step.run(size=(128, 128), ngroups=10, nframes=8, groupgap=2, seed=31, stars=20, galaxies=3,
                 background=2.0, nonlinear=True, dark_current=1.0, ref_subarray=True)
    e = dq_init.run(p["uncal"], mask=p["mask"])
    flagged = saturation.run(e, saturation=p["saturation"], use_readpatt=False, n_pix_grow_sat=0)
    e = saturation.run(e, saturation=p["saturation"])
    e = superbias.run(e, superbias=p["superbias"])
    e = refpix.run(e)
    e = linearity.run(e, linearity=p["linearity"])
    e = dark.run(e, dark=p["dark"])
    e = jump.run(e, gain=p["gain"], readnoise=p["readnoise"])
    rate = ramp_fit.run(e, gain=p["gain"], readnoise=p["readnoise"])
    truth = p["truth"]
    true, sat = truth["TRUE_RATE"].data, truth["SATGROUP"].data[0]
    good = (truth["BADPIX"].data == 0) & np.isfinite(rate["SCI"].data) & (sat < 0)
    z = (rate["SCI"].data - true)[good] / rate["ERR"].data[good]
    assert good.sum() > 14000
    assert abs(np.median(z)) < 0.2
    assert 0.8 < np.std(z) < 1.2
    # plain threshold flagging finds exactly the truth saturation groups
    gdq = (flagged["GROUPDQ"].data[0] & dq.SATURATED) != 0
    first = np.where(gdq.any(axis=0), gdq.argmax(axis=0), -1)
    assert (sat >= 0).sum() > 20
    assert np.array_equal(first, sat)
    # most pixels hit by cosmic rays get a jump flag
    hit = truth["CR_DN"].data[0] > 200
    jumps = (e["GROUPDQ"].data & dq.JUMP_DET).any(axis=(0, 1))
    assert jumps[hit].mean() > 0.7
