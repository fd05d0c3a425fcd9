"""Reference directories: the per-exposure choice from headers (io/refdir.py)."""

import numpy as np
import pytest
from astropy.io import fits

from jwcal.errors import ReferenceFileError
from jwcal.io import read_reference, read_single, refdir
from jwcal.io.refdir import ReferenceDirectory, exposure_date, parse_date


def _ref(directory, name, reftype="GAIN", shape=(8, 9), value=1.0, **keys):
    header = fits.Header({"INSTRUME": "NIRCAM", "DETECTOR": "NRCB1", "REFTYPE": reftype,
                          "USEAFTER": "2022-01-01T00:00:00", "PEDIGREE": "INFLIGHT",
                          "SUBARRAY": "GENERIC", "SUBSTRT1": 1, "SUBSTRT2": 1})
    header.update(keys)
    extname = {"MASK": "DQ"}.get(reftype, "SCI")
    dtype = np.uint32 if reftype == "MASK" else np.float32
    hdul = fits.HDUList([fits.PrimaryHDU(header=header),
                         fits.ImageHDU(np.full(shape, value, dtype), name=extname)])
    path = directory / name
    hdul.writeto(path)
    return str(path)


def _science(**keys):
    header = fits.Header({"INSTRUME": "NIRCAM", "DETECTOR": "NRCB1", "SUBARRAY": "SUB", "READPATT": "RAPID",
                          "DATE-OBS": "2024-03-31", "TIME-OBS": "06:00:00.000", "SUBSTRT1": 1,
                          "SUBSTRT2": 1, "SUBSIZE1": 9, "SUBSIZE2": 8, "FILENAME": "x_uncal.fits"})
    for key, value in keys.items():
        if value is None:
            del header[key]
        else:
            header[key] = value
    return header


def _name(directory, reftype="GAIN", **science):
    choice = ReferenceDirectory(str(directory), reftype)
    return choice.choose(_science(**science), "x_uncal.fits").path.rsplit("/", 1)[-1]


def test_newest_useafter_not_after_the_exposure(tmp_path):
    _ref(tmp_path, "old.fits", USEAFTER="2015-01-01T00:00:00")
    _ref(tmp_path, "good.fits", USEAFTER="2024-03-31T05:59:59")
    _ref(tmp_path, "future.fits", USEAFTER="2024-03-31T06:00:01")
    assert _name(tmp_path) == "good.fits"
    assert _name(tmp_path, **{"DATE-OBS": "2023-01-01"}) == "old.fits"
    assert _name(tmp_path, **{"DATE-OBS": None, "EXPSTART": 60400.25 + 2 / 86400}) == "future.fits"
    with pytest.raises(ReferenceFileError, match=r"USEAFTER <= 2014-01-01T06:00:00 \(files for NRCB1: "
                       r"future.fits: USEAFTER later"):
        _name(tmp_path, **{"DATE-OBS": "2014-01-01"})


def test_detector_instrument_and_type_must_match(tmp_path):
    _ref(tmp_path, "b1.fits")
    _ref(tmp_path, "b2.fits", DETECTOR="NRCB2")
    _ref(tmp_path, "miri.fits", INSTRUME="MIRI", DETECTOR="MIRIMAGE")
    _ref(tmp_path, "mask.fits", reftype="MASK")
    assert _name(tmp_path) == "b1.fits"
    assert _name(tmp_path, DETECTOR="NRCB2") == "b2.fits"
    assert _name(tmp_path, "MASK", DETECTOR="NRCB1") == "mask.fits"
    with pytest.raises(ReferenceFileError) as error:
        _name(tmp_path, DETECTOR="NRCA1")
    message = str(error.value)
    assert "x_uncal.fits: no GAIN reference in" in message and "DETECTOR=NRCA1" in message
    assert "NRCB1 GENERIC from 2022-01-01" in message and "\n" not in message


def test_selectors_of_the_type_and_pattern_keywords(tmp_path):
    # READNOISE selects by READPATT (a value or a P_READPA list); GAIN does not
    _ref(tmp_path, "rn_any.fits", reftype="READNOISE", READPATT="ANY", USEAFTER="2023-01-01T00:00:00")
    _ref(tmp_path, "rn_rapid.fits", reftype="READNOISE", READPATT="RAPID", USEAFTER="2022-01-01T00:00:00")
    _ref(tmp_path, "rn_deep.fits", reftype="READNOISE", P_READPA="DEEP2|DEEP8|", READPATT="DEEP8",
         USEAFTER="2024-01-01T00:00:00")
    _ref(tmp_path, "gain_deep.fits", READPATT="DEEP8")
    assert _name(tmp_path, "READNOISE") == "rn_rapid.fits"  # named beats ANY, even if older
    assert _name(tmp_path, "READNOISE", READPATT="DEEP2") == "rn_deep.fits"
    assert _name(tmp_path, "READNOISE", READPATT="BRIGHT1") == "rn_any.fits"
    assert _name(tmp_path, "GAIN", READPATT="RAPID") == "gain_deep.fits"


def test_subarray_by_name_else_a_full_frame_that_covers_it(tmp_path):
    _ref(tmp_path, "full.fits", shape=(2048, 2048), SUBARRAY="FULL", USEAFTER="2023-01-01T00:00:00")
    _ref(tmp_path, "sub.fits", SUBARRAY="SUB160", USEAFTER="2022-01-01T00:00:00")
    _ref(tmp_path, "elsewhere.fits", SUBARRAY="GENERIC", SUBSTRT1=100, USEAFTER="2024-01-01T00:00:00")
    assert _name(tmp_path, SUBARRAY="SUB160") == "sub.fits"
    assert _name(tmp_path, SUBARRAY="SUB64P") == "full.fits"  # elsewhere.fits does not hold the pixels
    assert _name(tmp_path, SUBARRAY="SUB64P", SUBSTRT1=100) == "elsewhere.fits"


def test_dates():
    assert parse_date("2022-01-01T00:00:00") == parse_date("2022-01-01 00:00:00") == parse_date("Jan 01 2022")
    assert parse_date("not a date") is None and parse_date(None) is None
    start = exposure_date(fits.Header({"DATE-OBS": "2024-03-31", "TIME-OBS": "06:00:00.5"}))
    assert start.microsecond == 500000
    assert exposure_date(fits.Header({"EXPSTART": 60400.25})) == parse_date("2024-03-31T06:00:00")
    assert exposure_date(fits.Header()) is None


def test_files_are_scanned_once_and_read_once(tmp_path, monkeypatch):
    path = _ref(tmp_path, "jwst_nircam_gain_0001.fits", value=2.0)
    _ref(tmp_path, "jwst_nircam_mask_0001.fits", reftype="MASK")
    (tmp_path / "notes.txt").write_text("not a reference")
    (tmp_path / "broken.fits").write_bytes(b"SIMPLE? no")
    reads = []
    real = refdir._scan_file
    monkeypatch.setattr(refdir, "_scan_file", lambda p: reads.append(p) or real(p))
    choice = read_reference(str(tmp_path), "GAIN")
    assert isinstance(choice, ReferenceDirectory)
    assert sorted(p.rsplit("/", 1)[-1] for p in reads) == ["broken.fits", "jwst_nircam_gain_0001.fits"]
    first = choice.for_exposure(_science(), "a")
    again = choice.for_exposure(_science(), "b")
    assert first is again and first.source == path
    np.testing.assert_array_equal(first["SCI"].data, 2.0)
    assert read_single(path)["SCI"].shape == (8, 9)


def test_empty_directory_and_bad_useafter(tmp_path):
    with pytest.raises(ReferenceFileError, match="no GAIN file in it"):
        ReferenceDirectory(str(tmp_path), "GAIN")
    _ref(tmp_path, "bad.fits", USEAFTER="someday")
    with pytest.raises(ReferenceFileError, match="no GAIN file in it"):
        ReferenceDirectory(str(tmp_path), "GAIN")


def test_no_date_on_the_exposure_is_an_error(tmp_path):
    _ref(tmp_path, "g.fits")
    with pytest.raises(ReferenceFileError, match="no DATE-OBS or EXPSTART"):
        _name(tmp_path, **{"DATE-OBS": None, "TIME-OBS": None})
