import numpy as np
import pytest
from astropy.io import fits

from jwcal import dq
from jwcal.errors import ReferenceFileError
from jwcal.exposure import HDU, Exposure
from jwcal.steps.references import mask_dq, reference_array


def _exposure(shape, start=None, detector="NRCB1", extname="SCI", data=None, table=None):
    primary = fits.Header({"INSTRUME": "NIRCAM", "DETECTOR": detector})
    if start is not None:
        primary["SUBSTRT1"], primary["SUBSTRT2"] = start
        primary["SUBSIZE1"], primary["SUBSIZE2"] = shape[-1], shape[-2]
    data = np.zeros(shape, np.float32) if data is None else data
    hdus = [HDU(primary), HDU.image(extname, data)]
    if table is not None:
        hdus.append(HDU(fits.BinTableHDU(table, name="DQ_DEF").header, table, kind="table"))
    return Exposure(hdus)


def test_subarray_is_cut_from_a_full_frame_reference():
    full = np.arange(2048 * 2048, dtype=np.float32).reshape(2048, 2048)
    science = _exposure((2, 3, 64, 32), start=(101, 201))
    cut = reference_array(science, _exposure(full.shape, data=full), "SCI", "GAIN")
    np.testing.assert_array_equal(cut, full[200:264, 100:132])


def test_subarray_reference_inside_a_larger_subarray_reference():
    ref = np.arange(100 * 100, dtype=np.float32).reshape(100, 100)
    science = _exposure((10, 20), start=(31, 11))
    cut = reference_array(science, _exposure(ref.shape, start=(21, 1), data=ref), "SCI", "GAIN")
    np.testing.assert_array_equal(cut, ref[10:20, 10:30])


@pytest.mark.parametrize(
    ("science", "reference", "message"),
    [
        (_exposure((10, 20), start=(1, 1)), _exposure((2048, 2048), detector="NRCA1"), "DETECTOR NRCA1"),
        (_exposure((10, 20), start=(2040, 1)), _exposure((2048, 2048)), "does not cover"),
        (_exposure((10, 20), start=(1, 1)), _exposure((100, 100)), "no SUBSTRT1"),
    ],
)
def test_mismatched_reference_is_refused(science, reference, message):
    with pytest.raises(ReferenceFileError, match=message):
        reference_array(science, reference, "SCI", "GAIN")


def test_mask_bits_are_remapped_by_name():
    raw = np.array([[1, 2], [3, 0]], np.uint32)
    table = np.array([(0, 1, "HOT", ""), (1, 2, "DO_NOT_USE", ""), (2, 4, "NOT_A_FLAG", "")],
                     dtype=[("BIT", "i4"), ("VALUE", "u4"), ("NAME", "S40"), ("DESCRIPTION", "S80")])
    mask = _exposure(raw.shape, start=(1, 1), extname="DQ", data=raw, table=table)
    science = _exposure((2, 2), start=(1, 1))
    got = mask_dq(science, mask)
    expected = np.array([[dq.PIXEL["HOT"], dq.DO_NOT_USE], [dq.PIXEL["HOT"] | dq.DO_NOT_USE, 0]], np.uint32)
    np.testing.assert_array_equal(got, expected)
