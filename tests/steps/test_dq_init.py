import numpy as np
import pytest

from jwcal import dq
from jwcal.errors import DataError, ReferenceFileError, UnsupportedError
from jwcal.steps import dq_init
from tests.factories import stage1


def _run(uncal=None, mask=None):
    uncal = stage1.to_exposure(uncal or stage1.uncal())
    mask = stage1.to_exposure(mask or stage1.mask())
    return uncal, dq_init.run(uncal, mask=mask)


def test_layout_dtypes_and_keywords():
    bits = np.zeros((8, 9), np.uint32)
    bits[2, 3] = dq.DO_NOT_USE | dq.PIXEL["DEAD"]
    bits[4, 5] = dq.PIXEL["HOT"]
    src, out = _run(mask=stage1.mask(bits=bits))
    raw = src["SCI"].data.copy()
    assert out.names() == ["PRIMARY", "SCI", "PIXELDQ", "GROUPDQ", "INT_TIMES"]
    sci, pdq, gdq = out["SCI"].data, out["PIXELDQ"].data, out["GROUPDQ"].data
    assert sci.dtype == np.float32 and sci.shape == (2, 5, 8, 9)
    np.testing.assert_array_equal(sci, raw.astype(np.float32))
    assert pdq.dtype == np.uint32 and gdq.dtype == np.uint8 and gdq.shape == sci.shape
    np.testing.assert_array_equal(pdq, bits)
    assert (gdq[:, :, 2, 3] == dq.DO_NOT_USE).all()
    assert gdq.sum() == 2 * 5 * dq.DO_NOT_USE  # HOT does not reach GROUPDQ
    primary = out.primary
    assert primary["S_DQINIT"] == "COMPLETE" and primary["DATAMODL"] == "RampModel"
    assert primary["FILENAME"].endswith("_ramp.fits")
    assert out["INT_TIMES"] is src["INT_TIMES"]
    np.testing.assert_array_equal(src["SCI"].data, raw)  # input untouched
    assert "S_DQINIT" not in src.peek_primary()


def test_dq_def_remaps_private_bits():
    bits = np.zeros((8, 9), np.uint32)
    bits[1, 1] = 1 << 5  # private bit meaning DO_NOT_USE
    bits[1, 2] = 1 << 6  # private bit meaning HOT
    _, out = _run(mask=stage1.mask(bits=bits, dq_def=[(1 << 5, "DO_NOT_USE"), (1 << 6, "HOT")]))
    assert out["PIXELDQ"].data[1, 1] == dq.DO_NOT_USE
    assert out["PIXELDQ"].data[1, 2] == dq.PIXEL["HOT"]
    assert (out["GROUPDQ"].data[:, :, 1, 1] == dq.DO_NOT_USE).all()


def test_existing_dq_is_kept_and_second_run_is_stable():
    bits = np.zeros((8, 9), np.uint32)
    bits[0, 0] = dq.DO_NOT_USE
    _, once = _run(mask=stage1.mask(bits=bits))
    once["GROUPDQ"].data[0, 3, 5, 5] = dq.SATURATED  # our own output, not the input
    twice = dq_init.run(once, mask=stage1.to_exposure(stage1.mask(bits=bits)))
    assert twice["SCI"] is once["SCI"]  # float32 already: passed through
    assert twice["GROUPDQ"].data[0, 3, 5, 5] == dq.SATURATED
    np.testing.assert_array_equal(twice["PIXELDQ"].data, once["PIXELDQ"].data)


def test_subarray_mask_cut():
    full = np.arange(20 * 30, dtype=np.uint32).reshape(20, 30) % 3
    mask = stage1.mask(ny=20, nx=30, bits=full)
    uncal = stage1.uncal(ny=8, nx=9, SUBSTRT1=5, SUBSTRT2=3)
    _, out = _run(uncal=uncal, mask=mask)
    np.testing.assert_array_equal(out["PIXELDQ"].data, full[2:10, 4:13])


@pytest.mark.parametrize("kind", ["detector", "shape"])
def test_incompatible_mask(kind):
    mask = stage1.mask(detector="NRCA1") if kind == "detector" else stage1.mask(ny=4, nx=4)
    with pytest.raises(ReferenceFileError):
        _run(mask=mask)


def test_bad_ramps():
    hdul = stage1.uncal()
    hdul[0].header["NGROUPS"] = 7
    with pytest.raises(DataError, match="NGROUPS"):
        _run(uncal=hdul)
    hdul = stage1.uncal()
    hdul[1].data = hdul[1].data[0]
    with pytest.raises(DataError, match="4-D"):
        _run(uncal=hdul)
    hdul = stage1.uncal(EXP_TYPE="FGS_TRACK")
    with pytest.raises(UnsupportedError):
        _run(uncal=hdul)
