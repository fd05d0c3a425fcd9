import pytest
from astropy.io import fits

from jwcal.products import root_from_header, suffix_for, with_suffix


@pytest.mark.parametrize(
    ("keywords", "ndim", "integer", "suffix"),
    [
        ({}, 4, True, "uncal"),
        ({"S_DQINIT": "COMPLETE"}, 4, False, "ramp"),
        ({"S_RAMP": "COMPLETE"}, 2, False, "rate"),
        ({"S_RAMP": "COMPLETE"}, 3, False, "rateints"),
        ({"S_RAMP": "COMPLETE", "S_PHOTOM": "COMPLETE"}, 2, False, "cal"),
        ({"S_PHOTOM": "COMPLETE", "S_TWKREG": "COMPLETE"}, 2, False, "tweakreg"),
        ({"S_TWKREG": "COMPLETE", "S_OUTLIR": "COMPLETE"}, 2, False, "crf"),
        ({"S_OUTLIR": "COMPLETE", "S_RESAMP": "COMPLETE"}, 2, False, "i2d"),
        ({"S_TWKREG": "SKIPPED", "S_PHOTOM": "COMPLETE"}, 2, False, "cal"),
    ],
)
def test_suffix_follows_the_steps_that_ran(keywords, ndim, integer, suffix):
    header = fits.Header(keywords)
    assert suffix_for(header, ndim, integer) == suffix


def test_root_from_filename_strips_known_suffix_only():
    header = fits.Header({"FILENAME": "jw1_01101_00001_nrcb1_rate.fits"})
    assert root_from_header(header) == "jw1_01101_00001_nrcb1"
    assert root_from_header(fits.Header({"FILENAME": "my_mosaic.fits"})) == "my_mosaic"
    assert root_from_header(fits.Header()) is None


def test_with_suffix():
    assert with_suffix("jw1_01101_00001_nrcb1_uncal.fits", "ramp") == "jw1_01101_00001_nrcb1_ramp.fits"
    assert with_suffix(None, "rate") is None
