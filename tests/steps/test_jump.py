"""jwcal.steps.jump: keywords, flags, references, unsupported and bad input."""

import numpy as np
import pytest
from astropy.io import fits

from jwcal import dq
from jwcal.errors import DataError, ReferenceFileError, UnsupportedError, UsageError
from jwcal.exposure import HDU, Exposure
from jwcal.steps import jump as step
from tests.factories import jump as fj


def _exposure(hdulist):
    hdus = [HDU(header=h.header.copy(), data=None if h.data is None else np.array(h.data)) for h in hdulist]
    return Exposure(hdus)


def _inputs(seed=0, nints=2, ngroups=6, gain_value=2.0, **kw):
    data, gdq, gain, rn, truth = fj.ramp_cube(seed, nints=nints, ngroups=ngroups, gain=gain_value, **kw)
    return (_exposure(fj.ramp_hdulist(data, gdq)), _exposure(fj.reference_hdulist(gain, "GAIN")),
            _exposure(fj.reference_hdulist(rn, "READNOISE")), truth)


def test_flags_truth_sets_keywords_and_keeps_input():
    exposure, gain, rn, truth = _inputs(ncr=8)
    groupdq_before = exposure["GROUPDQ"].data.copy()
    result = step.run(exposure, gain=gain, readnoise=rn, flag_4_neighbors=False)
    out = result["GROUPDQ"].data
    assert all(out[t] & dq.JUMP_DET for t in truth)
    np.testing.assert_array_equal(exposure["GROUPDQ"].data, groupdq_before)
    header = result.primary
    assert header["S_JUMP"] == "COMPLETE"
    assert header["PRIMECRS"] > 0 and header["EXTNCRS"] == 0
    assert any("rejection_threshold=4.0" in str(card) for card in header["HISTORY"])
    assert result["SCI"] is exposure["SCI"]


def test_primecrs_formula():
    exposure, gain, rn, _ = _inputs(ncr=3, nints=1, ngroups=5, ny=10, nx=10)
    result = step.run(exposure, gain=gain, readnoise=rn, flag_4_neighbors=False)
    n = np.count_nonzero(result["GROUPDQ"].data & dq.JUMP_DET)
    tgroup = exposure.primary["TGROUP"]
    assert result.primary["PRIMECRS"] == pytest.approx(1000.0 * n / (tgroup * (5 - 1) * 100))


def test_two_groups_unsupported_unless_skipped():
    exposure, gain, rn, _ = _inputs(ngroups=2, ncr=0)
    with pytest.raises(UnsupportedError, match="NGROUPS=2"):
        step.run(exposure, gain=gain, readnoise=rn)
    result = step.run(exposure, gain=gain, readnoise=rn, skip_unsupported=True)
    assert result.primary["S_JUMP"] == "SKIPPED"
    assert result["GROUPDQ"] is exposure["GROUPDQ"]


def test_bad_gain_on_dnu_pixel_flagged_elsewhere_error():
    data, gdq, gain, rn, _ = fj.ramp_cube(1, ncr=0)
    pixeldq = np.zeros(data.shape[2:], np.uint32)
    pixeldq[0, 0] = dq.DO_NOT_USE
    gain[0, 0] = np.nan
    exposure = _exposure(fj.ramp_hdulist(data, gdq, pixeldq))
    rn_ref = _exposure(fj.reference_hdulist(rn, "READNOISE"))
    result = step.run(exposure, gain=_exposure(fj.reference_hdulist(gain, "GAIN")), readnoise=rn_ref)
    assert result["PIXELDQ"].data[0, 0] == dq.DO_NOT_USE | dq.NO_GAIN_VALUE
    gain[1, 1] = 0.0
    with pytest.raises(DataError, match="GAIN"):
        step.run(exposure, gain=_exposure(fj.reference_hdulist(gain, "GAIN")), readnoise=rn_ref)


def test_wrong_detector_and_wrong_shape_references():
    exposure, _, rn, _ = _inputs(ncr=0)
    other = _exposure(fj.reference_hdulist(np.ones((12, 13)), "GAIN", detector="NRCA1"))
    with pytest.raises(ReferenceFileError, match="DETECTOR"):
        step.run(exposure, gain=other, readnoise=rn)
    small = _exposure(fj.reference_hdulist(np.ones((5, 5)), "GAIN"))
    with pytest.raises(ReferenceFileError):
        step.run(exposure, gain=small, readnoise=rn)


def test_bad_ramps():
    data, gdq, gain, rn, _ = fj.ramp_cube(2, ncr=0)
    hdul = fj.ramp_hdulist(data, gdq)
    hdul[0].header["NGROUPS"] = 7
    refs = dict(gain=_exposure(fj.reference_hdulist(gain, "GAIN")),
                readnoise=_exposure(fj.reference_hdulist(rn, "READNOISE")))
    with pytest.raises(DataError, match="NGROUPS"):
        step.run(_exposure(hdul), **refs)
    flat = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data[0], name="SCI")])
    with pytest.raises(DataError, match="4-D"):
        step.run(_exposure(flat), **refs)
    with pytest.raises(UsageError):
        step.run(_exposure(fj.ramp_hdulist(data, gdq)), maximum_cores="many", **refs)


def test_threads_do_not_change_the_result():
    exposure, gain, rn, _ = _inputs(ncr=10, ny=20, nx=20)
    one = step.run(exposure, gain=gain, readnoise=rn)["GROUPDQ"].data
    two = step.run(exposure, gain=gain, readnoise=rn, maximum_cores="all")["GROUPDQ"].data
    np.testing.assert_array_equal(one, two)


def test_large_events_refused_where_not_recommended_unless_forced():
    exposure, gain, rn, _ = _inputs(ncr=5, ngroups=4)
    with pytest.raises(UnsupportedError, match="force-large-events"):
        step.run(exposure, gain=gain, readnoise=rn, expand_large_events=True)
    result = step.run(exposure, gain=gain, readnoise=rn, expand_large_events=True, force_large_events=True)
    assert result.primary["S_JUMP"] == "COMPLETE"
    exposure, gain, rn, _ = _inputs(ncr=5, ngroups=6)
    exposure.primary["EXP_TYPE"] = "NIS_SOSS"
    with pytest.raises(UnsupportedError, match="NIRISS SOSS"):
        step.run(exposure, gain=gain, readnoise=rn, expand_large_events=True)
    with pytest.raises(UnsupportedError, match="showers are a MIRI effect"):
        step.run(exposure, gain=gain, readnoise=rn, find_showers=True)


def _miri(shower=True, exp_type="MIR_IMAGE", ngroups=8):
    data, gdq, gain, rn, footprint = fj.shower_cube(shower=shower, ngroups=ngroups, group=min(4, ngroups - 1))
    hdul = fj.ramp_hdulist(data, gdq, detector="MIRIMAGE", instrument="MIRI", tgroup=2.775)
    hdul[0].header["EXP_TYPE"] = exp_type
    return (_exposure(hdul), _exposure(fj.reference_hdulist(gain, "GAIN", "MIRIMAGE", "MIRI")),
            _exposure(fj.reference_hdulist(rn, "READNOISE", "MIRIMAGE", "MIRI")), footprint)


def test_find_showers_flags_miri_shower_and_sets_extncrs():
    exposure, gain, rn, footprint = _miri()
    result = step.run(exposure, gain=gain, readnoise=rn, find_showers=True)
    groupdq = result["GROUPDQ"].data
    assert (groupdq[0, 4] & dq.JUMP_DET != 0)[footprint].mean() > 0.8
    assert result.primary["EXTNCRS"] > 0
    assert any("extend_snr_threshold=1.2" in str(card) for card in result.primary["HISTORY"])
    clean, gain, rn, _ = _miri(shower=False)
    result = step.run(clean, gain=gain, readnoise=rn, find_showers=True)
    assert result.primary["EXTNCRS"] == 0
    plain = step.run(clean, gain=gain, readnoise=rn)
    np.testing.assert_array_equal(result["GROUPDQ"].data, plain["GROUPDQ"].data)


def test_find_showers_refused_for_coronagraphy_and_few_groups_unless_forced():
    for kwargs, reason in (({"exp_type": "MIR_4QPM"}, "MIRI coronagraphy"), ({"ngroups": 4}, "1-4")):
        exposure, gain, rn, _ = _miri(**kwargs)
        with pytest.raises(UnsupportedError, match=reason):
            step.run(exposure, gain=gain, readnoise=rn, find_showers=True)
        result = step.run(exposure, gain=gain, readnoise=rn, find_showers=True, force_large_events=True)
        assert result.primary["S_JUMP"] == "COMPLETE"


def test_snowballs_grow_flags_and_set_extncrs():
    data, gdq, gain, rn, _ = fj.ramp_cube(3, nints=1, ngroups=6, ny=64, nx=64, ncr=0)
    yy, xx = np.mgrid[:64, :64]
    d = np.hypot(yy - 32, xx - 32)
    data[0, 3:][:, d < 7] += 8000
    gdq[0, 3:][:, d < 3.5] |= dq.SATURATED
    exposure = _exposure(fj.ramp_hdulist(data, gdq))
    refs = dict(gain=_exposure(fj.reference_hdulist(gain, "GAIN")),
                readnoise=_exposure(fj.reference_hdulist(rn, "READNOISE")))
    plain = step.run(exposure, **refs)["GROUPDQ"].data
    result = step.run(exposure, expand_large_events=True, **refs)
    grown = result["GROUPDQ"].data
    assert np.count_nonzero(grown & dq.JUMP_DET) > np.count_nonzero(plain & dq.JUMP_DET)
    assert grown[0, 3, 32, 42] & dq.JUMP_DET and not plain[0, 3, 32, 42] & dq.JUMP_DET
    assert result.primary["EXTNCRS"] > 0


def test_two_group_option_flags_instead_of_refusing():
    exposure, gain, rn, truth = _inputs(ngroups=2, nints=3, ncr=5, cr_amplitude=(500.0, 3000.0))
    result = step.run(exposure, gain=gain, readnoise=rn, two_group=True)
    assert result.primary["S_JUMP"] == "COMPLETE"
    assert all(result["GROUPDQ"].data[t] & dq.JUMP_DET for t in truth if t[1] == 1)
    assert "PRIMECRS" in result.primary


def test_truth_recovery_on_simulated_ramp():
    """helper-1's simulation: strong injected cosmic rays are found, few clean groups are flagged."""
    from jwcal.steps import dq_init, simulate_ramp

    products = simulate_ramp.run(detector="NRCB1", size=(96, 96), ngroups=8, nints=2, seed=3, cr_rate=200.0)
    ramp = dq_init.run(products["uncal"], mask=products["mask"])
    result = step.run(ramp, gain=products["gain"], readnoise=products["readnoise"])
    jump = (result["GROUPDQ"].data & dq.JUMP_DET) != 0
    usable = (ramp["GROUPDQ"].data & (dq.SATURATED | dq.DO_NOT_USE)) == 0
    cr_group = np.asarray(products["truth"]["CR_GROUP"].data).reshape(2, 96, 96)
    cr_dn = np.asarray(products["truth"]["CR_DN"].data).reshape(2, 96, 96)
    ii, yy, xx = np.nonzero((cr_group > 0) & (cr_dn > 60))
    gg = cr_group[ii, yy, xx]
    keep = usable[ii, gg, yy, xx] & usable[ii, gg - 1, yy, xx]
    assert keep.sum() >= 5
    assert jump[ii[keep], gg[keep], yy[keep], xx[keep]].mean() >= 0.9
    clean = (cr_group < 0)[:, None] & usable
    clean[:, 0] = False
    assert (jump & clean).sum() <= 0.002 * clean.sum()
