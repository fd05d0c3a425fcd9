import numpy as np
import pytest
from astropy.io import fits

from jwcal import dq
from jwcal.errors import ReferenceFileError
from jwcal.exposure import HDU, Exposure
from jwcal.steps.references import chosen, mask_dq, record_references, recorded_name, reference_array


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


class _Directory:
    """A stand-in for io.refdir.ReferenceDirectory: one file per DETECTOR."""

    path = "refs"

    def __init__(self, files):
        self.files = files
        self.asked = []

    def for_exposure(self, header, label):
        self.asked.append(label)
        return self.files[header["DETECTOR"]]


def _named(exposure, source, **keys):
    exposure.source = source
    exposure.peek_primary().update(keys)
    return exposure


def test_a_directory_is_resolved_per_exposure():
    ones = np.ones((8, 9), np.float32)
    b1 = _named(_exposure((8, 9), (1, 1), data=ones), "/c/jwst_nircam_gain_0001.fits")
    b2 = _named(_exposure((8, 9), (1, 1), detector="NRCB2", data=2 * ones), "/c/b2.fits")
    choice = _Directory({"NRCB1": b1, "NRCB2": b2})
    for detector, value in (("NRCB1", 1), ("NRCB2", 2)):
        science = _exposure((1, 2, 8, 9), (1, 1), detector=detector)
        assert chosen(science, choice, "GAIN") is choice.files[detector]
        assert reference_array(science, choice, "SCI", "GAIN").max() == value
    assert chosen(science, b1, "GAIN") is b1  # a file is itself


def test_record_references_writes_jwst_keywords_and_history():
    import warnings

    mask = _named(_exposure((8, 9), extname="DQ"), "/data/my_mask.fits", PEDIGREE="GROUND",
                  USEAFTER="2022-01-01T00:00:00")
    gain = _named(_exposure((8, 9)), "/cache/references/jwst/nircam/jwst_nircam_readnoise_0123456789.fits")
    science = _exposure((1, 2, 8, 9))
    primary = fits.Header({"CRDS_CTX": "jwst_1200.pmap", "CRDS_VER": "11.0"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a comment too long for its card would warn
        record_references(primary, science, {"MASK": mask, "READNOISE": _Directory({"NRCB1": gain})})
    assert primary["R_MASK"] == "my_mask.fits"  # a file given by path: its name, as jwst's overrides
    assert primary["R_READNO"] == "crds://jwst_nircam_readnoise_0123456789.fits"
    assert "CRDS_CTX" not in primary and "CRDS_VER" not in primary
    cards = [str(v) for v in primary["HISTORY"]]
    assert all(len(card) <= 72 for card in cards)
    text = " ".join(cards)
    assert "jwcal reference MASK: my_mask.fits PEDIGREE=GROUND USEAFTER=2022-01-01T00:00:00" in text
    name = "crds://jwst_nircam_readnoise_0123456789.fits"
    assert f"jwcal reference READNOISE: {name} (chosen from refs)" in text
    assert recorded_name(gain, from_directory=False) == "jwst_nircam_readnoise_0123456789.fits"
