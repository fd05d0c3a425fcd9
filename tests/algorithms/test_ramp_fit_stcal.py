"""Optional: slopes and variances against stcal's OLS_C on tiny random ramps (skipped without stcal)."""

import numpy as np
import pytest

from jwcal import dq
from jwcal.algorithms.ramp_fit import fit_ramps

stcal_ramp_fit = pytest.importorskip("stcal.ramp_fitting.ramp_fit")
ramp_fit_class = pytest.importorskip("stcal.ramp_fitting.ramp_fit_class")

FLAGS = {"GOOD": 0, "DO_NOT_USE": 1, "SATURATED": 2, "JUMP_DET": 4, "DROPOUT": 8, "PERSISTENCE": 32,
         "AD_FLOOR": 64, "CHARGELOSS": 128, "NO_GAIN_VALUE": 524288, "UNRELIABLE_SLOPE": 16777216,
         "REFERENCE_PIXEL": 2147483648}


def _stcal(data, gdq, pdq, gain, rn, tgroup):
    rd = ramp_fit_class.RampData()
    rd.set_arrays(data.copy(), gdq.copy(), pdq.copy(), np.zeros(pdq.shape, np.float32))
    rd.set_meta("NIRCAM", tgroup, tgroup, 0, 1, 0)
    rd.algorithm = "OLS_C"
    rd.set_dqflags(FLAGS)
    rd.suppress_one_group_ramps = True
    image, cube, _ = stcal_ramp_fit.ramp_fit_data(rd, False, rn.copy(), gain.copy(), "OLS_C", "optimal",
                                                  "none")
    return image, cube


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_stcal(seed):
    rng = np.random.default_rng(seed)
    nints, ngroups, ny, nx, tgroup = 2, 6, 10, 12, 10.7
    rate = rng.uniform(0, 200, (ny, nx))
    g = np.arange(ngroups)[None, :, None, None]
    data = (1000 + rate * tgroup * (g + 1) + rng.normal(0, 5, (nints, ngroups, ny, nx))).astype(np.float32)
    flags = np.array([0] * 20 + [dq.JUMP_DET, dq.SATURATED, dq.DO_NOT_USE], np.uint8)
    gdq = rng.choice(flags, size=data.shape)
    gdq |= (np.cumsum((gdq & dq.SATURATED) != 0, axis=1) > 0).astype(np.uint8) * dq.SATURATED
    pdq = np.zeros((ny, nx), np.uint32)
    gain = np.full((ny, nx), 2.0, np.float32)
    rn = np.full((ny, nx), 7.0, np.float32)
    ours = fit_ramps(data, gdq, pdq, gain, rn, group_time=tgroup, frame_time=tgroup)
    image, _ = _stcal(data, gdq, pdq, gain, rn, tgroup)
    if isinstance(image, dict):
        image = (image["slope"], image["dq"], image["var_poisson"], image["var_rnoise"], image["err"])
    np.testing.assert_allclose(ours["rate"]["SCI"], image[0], rtol=1e-5, equal_nan=True)
    np.testing.assert_array_equal(ours["rate"]["DQ"], image[1])
    np.testing.assert_allclose(ours["rate"]["VAR_RNOISE"], image[3], rtol=1e-5)
