"""The product-level check every step makes (issue 19, items 2 and 3), for the whole class of steps."""

import numpy as np
import pytest
from astropy.io import fits

from jwcal.errors import DataError, MissingExtensionError
from jwcal.steps import product_level as pl
from tests.factories import detector1, stage1


def _rate():
    hdul = stage1.uncal()
    hdul["SCI"] = fits.ImageHDU(np.ones((8, 9), np.float32), name="SCI")
    hdul[0].header["S_RAMP"] = "COMPLETE"
    return stage1.to_exposure(hdul)


def test_levels():
    assert pl.level(stage1.to_exposure(stage1.uncal())) == pl.RAW
    assert pl.level(detector1.ramp()) == pl.RAMP
    assert pl.level(_rate()) == pl.IMAGE
    with pytest.raises(MissingExtensionError):
        pl.level(stage1.to_exposure(fits.HDUList([fits.PrimaryHDU()])))


@pytest.mark.parametrize("step", ["saturation", "superbias", "refpix", "linearity", "dark", "jump",
                                  "ramp-fit"])
def test_ramp_steps_refuse_raw_and_images(step):
    with pytest.raises(MissingExtensionError, match=f"{step} works on ramps.*run jwcal dq-init first"):
        pl.require(stage1.to_exposure(stage1.uncal()), step, pl.RAMP)
    with pytest.raises(DataError, match="already ramp-fitted"):
        pl.require(_rate(), step, pl.RAMP)
    assert pl.require(detector1.ramp(nints=2, ngroups=4), step, pl.RAMP) == (2, 4, 8, 9)


@pytest.mark.parametrize("step", ["tweakreg", "resample and outlier", "clean-1f"])
@pytest.mark.parametrize("make", [lambda: stage1.to_exposure(stage1.uncal()), detector1.ramp])
def test_image_steps_refuse_ramps(step, make):
    with pytest.raises(DataError, match=f"{step} works on rate/cal images.*ramp-fit"):
        pl.require(make(), step, pl.IMAGE)
    assert pl.require(_rate(), step, pl.IMAGE) == (8, 9)


@pytest.mark.parametrize(("keywords", "match"), [
    ({"NGROUPS": 7}, "NGROUPS=7 but SCI holds 5 groups"),
    ({"NINTS": 3}, "NINTS=3 but SCI holds 2"),
    ({"NINTS": 3, "INTSTART": 1, "INTEND": 2, "EXSEGTOT": 1}, "NINTS=3 but SCI holds 2"),
    ({"NINTS": 5, "INTSTART": 2, "INTEND": 4, "EXSEGTOT": 2}, "INTSTART=2, INTEND=4 is 3"),
    ({"NINTS": 3, "INTSTART": 3, "INTEND": 4, "EXSEGTOT": 2}, "outside NINTS=3"),
    ({"NGROUPS": 5.5}, "not an integer"),
    ({"NINTS": "two"}, "not an integer"),
])
@pytest.mark.parametrize("level", [pl.RAW, pl.RAMP])
def test_header_and_data_must_agree(keywords, match, level):
    hdul = stage1.uncal(nints=2) if level == pl.RAW else detector1.ramp_hdulist(nints=2)
    for key, value in keywords.items():
        hdul[0].header[key] = value
    with pytest.raises(DataError, match=match):
        pl.require(stage1.to_exposure(hdul), "step", pl.RAW, pl.RAMP)


@pytest.mark.parametrize("keywords", [
    {},
    {"NINTS": 2, "INTSTART": 1, "INTEND": 2},
    {"NINTS": 6, "INTSTART": 3, "INTEND": 4, "EXSEGNUM": 2, "EXSEGTOT": 3},  # a segment of a long exposure
])
def test_consistent_headers_pass(keywords):
    hdul = detector1.ramp_hdulist(nints=2)
    for key, value in keywords.items():
        hdul[0].header[key] = value
    assert pl.require(stage1.to_exposure(hdul), "jump", pl.RAMP) == (2, 5, 8, 9)
