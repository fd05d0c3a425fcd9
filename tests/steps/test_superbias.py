import numpy as np
import pytest

from jwcal import dq
from jwcal.errors import MissingExtensionError, ReferenceFileError
from jwcal.steps import superbias
from tests.factories import detector1, stage1


def test_bias_removed_dq_merged():
    exp = detector1.ramp(rate=20.0, bias=1000.0)
    bits = np.zeros((8, 9), np.uint32)
    bits[2, 2] = dq.PIXEL["UNRELIABLE_BIAS"]
    ref = stage1.to_exposure(detector1.superbias_ref(value=1000.0, dq_bits=bits))
    out = superbias.run(exp, superbias=ref)
    g = np.arange(5)[:, None, None]
    np.testing.assert_allclose(out["SCI"].data[0], np.broadcast_to(200.0 * (g + 1), (5, 8, 9)))
    pdq = out["PIXELDQ"].data
    assert pdq[2, 2] == dq.PIXEL["UNRELIABLE_BIAS"] and pdq.sum() == bits.sum()
    assert out.primary["S_SUPERB"] == "COMPLETE"
    assert exp["SCI"].data[0, 0, 0, 0] == 1200.0  # input untouched


def test_errors():
    exp = detector1.ramp()
    with pytest.raises(ReferenceFileError):
        superbias.run(exp, superbias=stage1.to_exposure(detector1.superbias_ref(detector="NRCA1")))
    exp.remove("PIXELDQ")
    with pytest.raises(MissingExtensionError):
        superbias.run(exp, superbias=stage1.to_exposure(detector1.superbias_ref()))
