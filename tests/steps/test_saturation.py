import numpy as np
import pytest

from jwcal import dq
from jwcal.errors import MissingExtensionError, ReferenceFileError
from jwcal.steps import saturation
from tests.factories import detector1, stage1


def _ref(**kw):
    return stage1.to_exposure(detector1.saturation_ref(**kw))


def test_flags_keywords_and_input_untouched():
    exp = detector1.ramp(ngroups=6, rate=20.0)  # 1000 + 200 * (g + 1)
    bits = np.zeros((8, 9), np.uint32)
    bits[0, 0] = dq.PIXEL["NO_SAT_CHECK"]
    out = saturation.run(exp, saturation=_ref(value=1700.0, dq_bits=bits), n_pix_grow_sat=0)
    gdq = out["GROUPDQ"].data
    assert (gdq[0, :3, 1:, :] == 0).all() and (gdq[0, 3:, 1:, :] == dq.SATURATED).all()
    assert (gdq[0, :, 0, 0] == 0).all()
    assert out["PIXELDQ"].data[0, 0] == dq.PIXEL["NO_SAT_CHECK"]
    assert out.primary["S_SATURA"] == "COMPLETE"
    assert (exp["GROUPDQ"].data == 0).all() and "S_SATURA" not in exp.peek_primary()
    np.testing.assert_array_equal(out["SCI"].data, exp["SCI"].data)


def test_wrong_detector_and_missing_dq():
    exp = detector1.ramp()
    with pytest.raises(ReferenceFileError):
        saturation.run(exp, saturation=_ref(detector="NRCA1"))
    exp.remove("GROUPDQ")
    with pytest.raises(MissingExtensionError):
        saturation.run(exp, saturation=_ref())
