import numpy as np
import pytest
from astropy.io import fits

from jwcal.errors import UnsupportedError
from jwcal.steps import clean_1f
from tests.algorithms.test_clean_1f import _striped
from tests.factories import stage1


def _exposure(detector="NRCB1", instrument="NIRCAM", data=None):
    primary = fits.PrimaryHDU()
    primary.header["INSTRUME"], primary.header["DETECTOR"] = instrument, detector
    return stage1.to_exposure(fits.HDUList([primary, fits.ImageHDU(data, name="SCI")]))


def test_transposed_detectors_clean_columns():
    img = _striped(seed=3)
    rows = clean_1f.run(_exposure(data=img))["SCI"].data
    cols = clean_1f.run(_exposure("NIS", "NIRISS", img.T.copy()))["SCI"].data
    np.testing.assert_allclose(cols, rows.T, atol=1e-6)
    out = clean_1f.run(_exposure(data=np.stack([img, img])))
    np.testing.assert_allclose(out["SCI"].data[1], rows, atol=1e-6)
    assert out.primary["S_CLN1F"] == "COMPLETE"


def test_miri_refused():
    with pytest.raises(UnsupportedError):
        clean_1f.run(_exposure("MIRIMAGE", "MIRI", _striped()))
