import numpy as np
import pytest

from jwcal import dq
from jwcal.errors import UnsupportedError
from jwcal.steps import refpix
from tests.factories import detector1


def _subarray_ramp(**extra):
    exp = detector1.ramp(ngroups=2, rate=0.0, bias=0.0, **extra)
    sci = exp["SCI"].data
    sci[..., 0::2] += 100.0
    sci[..., 1::2] += 300.0
    exp["PIXELDQ"].data[:4] = dq.REFERENCE_PIXEL
    return exp


def test_subarray_offsets_removed():
    exp = _subarray_ramp()
    out = refpix.run(exp)
    np.testing.assert_allclose(out["SCI"].data, 0.0, atol=1e-4)
    assert out.primary["S_REFPIX"] == "COMPLETE"
    assert exp["SCI"].data[0, 0, 0, 0] == 100.0


def test_transposed_detector_uses_rows_as_columns():
    exp = detector1.ramp(ngroups=1, rate=0.0, bias=0.0, DETECTOR="NRS1")
    exp["SCI"].data[..., 0::2, :] += 100.0
    exp["PIXELDQ"].data[:, :4] = dq.REFERENCE_PIXEL
    out = refpix.run(exp)
    np.testing.assert_allclose(out["SCI"].data, 0.0, atol=1e-4)


def test_miri_and_missing_reference_pixels_refused_or_skipped():
    exp = detector1.ramp(INSTRUME="MIRI")
    exp.primary["DETECTOR"] = "MIRIMAGE"
    with pytest.raises(UnsupportedError, match="MIRI"):
        refpix.run(exp)
    assert refpix.run(exp, skip_unsupported=True).primary["S_REFPIX"] == "SKIPPED"
    with pytest.raises(UnsupportedError, match="reference pixels"):
        refpix.run(detector1.ramp())
