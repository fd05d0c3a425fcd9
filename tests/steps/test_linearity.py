import numpy as np
import pytest

from jwcal import dq
from jwcal.errors import ReferenceFileError
from jwcal.steps import linearity
from tests.factories import detector1, stage1


def _coeffs(ny=8, nx=9):
    c = np.zeros((3, ny, nx), np.float32)
    c[1], c[2] = 1.0, 1e-4
    return c


def test_inverts_a_quadratic_nonlinearity_and_keeps_saturated():
    exp = detector1.ramp(ngroups=4, rate=10.0, bias=0.0)  # 100 * (g + 1)
    exp["GROUPDQ"].data[0, 3, 0, 0] = dq.SATURATED
    out = linearity.run(exp, linearity=stage1.to_exposure(detector1.linearity_ref(_coeffs())))
    v = 100.0 * np.arange(1, 5)
    np.testing.assert_allclose(out["SCI"].data[0, :, 1, 1], v + 1e-4 * v ** 2, rtol=1e-6)
    assert out["SCI"].data[0, 3, 0, 0] == 400.0
    assert out.primary["S_LINEAR"] == "COMPLETE" and exp["SCI"].data[0, 0, 1, 1] == 100.0


def test_bad_reference():
    exp = detector1.ramp()
    with pytest.raises(ReferenceFileError, match="COEFFS"):
        linearity.run(exp, linearity=stage1.to_exposure(detector1.linearity_ref(_coeffs()[:1])))
    with pytest.raises(ReferenceFileError):
        linearity.run(exp, linearity=stage1.to_exposure(detector1.linearity_ref(_coeffs(), detector="NRCA2")))
