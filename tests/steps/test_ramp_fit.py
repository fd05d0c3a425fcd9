import numpy as np
import pytest

from jwcal import dq
from jwcal.errors import DataError, MissingExtensionError, ReferenceFileError
from jwcal.steps import dq_init, ramp_fit
from tests.factories import stage1


def _ramp(**kw):
    uncal = stage1.to_exposure(stage1.uncal(**kw))
    return dq_init.run(uncal, mask=stage1.to_exposure(stage1.mask()))


def _refs(gain=2.0, rn=10.0, ny=8, nx=9):
    return dict(gain=stage1.to_exposure(stage1.gain(ny, nx, gain)),
                readnoise=stage1.to_exposure(stage1.readnoise(ny, nx, rn)))


def test_rate_and_rateints_products():
    ramp = _ramp(nints=2, ngroups=5, rate=20.0)
    got = []
    rate = ramp_fit.run(ramp, **_refs(), rateints=got.append)
    assert rate.names() == ["PRIMARY", "SCI", "ERR", "DQ", "VAR_POISSON", "VAR_RNOISE"]
    np.testing.assert_allclose(rate["SCI"].data, 20.0, rtol=1e-5)
    assert rate["SCI"].data.dtype == np.float32 and rate["DQ"].data.dtype == np.uint32
    assert rate["SCI"].header["BUNIT"] == "DN/s"
    assert rate.primary["S_RAMP"] == "COMPLETE" and rate.primary["S_DQINIT"] == "COMPLETE"
    assert rate.primary["FILENAME"].endswith("_rate.fits") and rate.primary["DATAMODL"] == "ImageModel"
    (ints,) = got
    assert ints["SCI"].data.shape == (2, 8, 9) and "INT_TIMES" in ints
    assert ints.primary["FILENAME"].endswith("_rateints.fits") and ints.primary["DATAMODL"] == "CubeModel"


def test_masked_pixel_is_nan():
    bits = np.zeros((8, 9), np.uint32)
    bits[2, 2] = dq.DO_NOT_USE
    uncal = stage1.to_exposure(stage1.uncal())
    ramp = dq_init.run(uncal, mask=stage1.to_exposure(stage1.mask(bits=bits)))
    rate = ramp_fit.run(ramp, **_refs())
    assert np.isnan(rate["SCI"].data[2, 2]) and rate["DQ"].data[2, 2] & dq.DO_NOT_USE
    assert np.isfinite(rate["SCI"].data).sum() == 8 * 9 - 1


def test_nan_gain_is_an_error():
    refs = _refs()
    refs["gain"]["SCI"].data[3, 3] = np.nan
    with pytest.raises(DataError, match="NaN"):
        ramp_fit.run(_ramp(), **refs)


def test_wrong_reference_shape_or_bad_ramp():
    with pytest.raises(ReferenceFileError):
        ramp_fit.run(_ramp(), **_refs(ny=4, nx=4))
    ramp = _ramp()
    ramp.primary["NGROUPS"] = 3
    with pytest.raises(DataError, match="NGROUPS"):
        ramp_fit.run(ramp, **_refs())
    ramp = _ramp()
    ramp.primary.remove("TGROUP")
    with pytest.raises(DataError, match="TGROUP"):
        ramp_fit.run(ramp, **_refs())


def test_uncal_without_dq_init_is_refused_and_input_untouched():
    # issue 19: a raw _uncal has no DQ; fitting it would treat the reference pixels as science
    uncal = stage1.to_exposure(stage1.uncal(rate=3.0))
    raw = uncal["SCI"].data.copy()
    with pytest.raises(MissingExtensionError, match="run jwcal dq-init first"):
        ramp_fit.run(uncal, **_refs())
    np.testing.assert_array_equal(uncal["SCI"].data, raw)


def test_truth_from_simulated_ramp():
    simulate_ramp = pytest.importorskip("jwcal.steps.simulate_ramp")
    p = simulate_ramp.run(detector="NRCB1", size=(64, 64), ngroups=8, seed=3, cr_rate=0.0, one_over_f=0.0)
    rate = ramp_fit.run(dq_init.run(p["uncal"], mask=p["mask"]), gain=p["gain"], readnoise=p["readnoise"])
    truth = p["truth"]["TRUE_RATE"].data + p["truth"]["DARK_RATE"].data
    sci, err = rate["SCI"].data, rate["ERR"].data
    good = np.isfinite(sci) & (rate["DQ"].data == 0) & (truth < 50)  # faint: non-linearity negligible
    assert good.sum() > 2000
    pull = (sci - truth)[good] / err[good]
    assert abs(np.median(pull)) < 0.1
    assert 0.85 < np.std(pull) < 1.15
