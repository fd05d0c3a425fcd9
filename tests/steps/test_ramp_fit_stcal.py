"""``ramp_fit`` against stcal's own OLS_C test cases, and against stcal itself where installed.

The single-pixel cases and their truth values are those of stcal 1.x's
``tests/test_ramp_fitting_cases.py`` (``test_pix_0`` ... ``test_pix_11``, ``test_miri_0`` ...
``test_miri_3``) and ``tests/test_ramp_fitting.py`` (``test_miri_ramp_dnu_at_ramp_beginning``,
``..._and_jump_at_ramp_beginning``, ``test_dq_multi_int_dnu``): they run without stcal. The MIRI
cases carry JUMP_DET in the DO_NOT_USE first and last groups, which must not reach the rate DQ
(issue 19 item 7). The comparisons at the end need stcal and skip without it.
"""

import numpy as np
import pytest

from jwcal import dq
from jwcal.errors import UnsupportedError
from jwcal.steps import ramp_fit
from tests.factories import detector1, stage1

GOOD, DNU, SAT, JUMP = 0, dq.DO_NOT_USE, dq.SATURATED, dq.JUMP_DET
BASE = [15.0, 25.0, 35.0, 54.0, 55.0, 65.0, 75.0, 94.0, 95.0, 105.0]


def _exposure(data, gdq, instrument, tgroup, pdq=None):
    data = np.asarray(data, np.float32)
    nints, ngroups, ny, nx = data.shape
    detector = "MIRIMAGE" if instrument == "MIRI" else "NRS1" if instrument == "NIRSPEC" else "NRCB1"
    hdul = detector1.ramp_hdulist(nints=nints, ngroups=ngroups, ny=ny, nx=nx, data=data)
    hdul["GROUPDQ"].data = np.asarray(gdq, np.uint8)
    if pdq is not None:
        hdul["PIXELDQ"].data = np.asarray(pdq, np.uint32)
    h = hdul[0].header
    h["INSTRUME"], h["DETECTOR"], h["TGROUP"], h["TFRAME"] = instrument, detector, tgroup, tgroup
    return stage1.to_exposure(hdul), detector


def _refs(ny, nx, detector, gain, rn, instrument):
    refs = {}
    for name, value in (("gain", gain), ("readnoise", rn)):
        array = np.broadcast_to(np.asarray(value, np.float32), (ny, nx)).copy()
        refs[name] = stage1.to_exposure(detector1.reference(name.upper(), {"SCI": array}, ny, nx,
                                                            detector=detector, INSTRUME=instrument))
    return refs


def _fit(data, gdq, instrument="NIRSPEC", tgroup=10.0, gain=5.5, rn=10.34, pdq=None, suppress=True):
    exposure, detector = _exposure(data, gdq, instrument, tgroup, pdq)
    got = []
    refs = _refs(*np.shape(data)[2:], detector, gain, rn, instrument)
    rate = ramp_fit.run(exposure, **refs, rateints=got.append, suppress_one_group=suppress)
    names = ("SCI", "DQ", "ERR", "VAR_POISSON", "VAR_RNOISE")
    return {n: rate[n].data for n in names}, {n: got[0][n].data for n in names}


def _ramp(values, flags):
    column = (None, slice(None), None, None)
    return np.asarray(values, np.float32)[column], np.asarray(flags, np.uint8)[column]


# stcal's test_ramp_fitting_cases.py: (data, groupdq, instrument, [slope, dq, err, var_poisson, var_rnoise])
CASES = {
    "pix_0": (BASE, [GOOD] * 10, "NIRSPEC", [1.0117551, GOOD, 0.0921951, 0.0020202, 0.00647973]),
    "pix_1": (BASE, [GOOD, JUMP, JUMP, GOOD] + [SAT] * 6, "NIRSPEC",
              [1.8999999, JUMP | SAT, 1.05057204, 0.03454545, 1.0691562]),
    "pix_2": (BASE, [GOOD, GOOD, GOOD, JUMP, GOOD, JUMP, GOOD, JUMP, SAT, SAT], "NIRSPEC",
              [0.850000023, JUMP | SAT, 0.42747884, 0.00454545, 0.1781927]),
    "pix_3": (BASE, [GOOD] * 8 + [JUMP, GOOD], "NIRSPEC",
              [1.07484829, JUMP, 0.12186482, 0.00227273, 0.01257831]),
    "pix_4": ([15.0, 25.0, 35.0, 54.0, 1055.0, 1065.0, 1075.0, 2594.0, 2595.0, 2605.0], [GOOD] + [SAT] * 9,
              "NIRSPEC", [1.5, SAT, 1.047105, 0.02727273, 1.0691562]),
    "pix_5": ([15.0, 25.0, 35.0, 54.0, 2055.0, 2065.0, 2075.0, 2094.0, 2095.0, 2105.0],
              [GOOD] * 4 + [JUMP] + [GOOD] * 5, "NIRSPEC",
              [1.073401, JUMP, 0.16134359, 0.00227273, 0.02375903]),
    "pix_6": ([15.0, 25.0, 35.0, 54.0, 55.0, 65.0, 375.0, 394.0, 395.0, 405.0],
              [GOOD] * 2 + [JUMP] * 2 + [GOOD] * 6, "NIRSPEC",
              [6.104500, JUMP, 0.14613187, 0.0025974, 0.01875712]),
    "pix_7": ([15.0, 25.0, 35.0, 54.0, 55.0, 65.0, 75.0, 94.0, 195.0, 205.0], [GOOD] * 8 + [JUMP, JUMP],
              "NIRSPEC", [1.0757396, JUMP, 0.12379601, 0.0025974, 0.01272805]),
    "pix_8": (BASE, [GOOD, JUMP, GOOD, GOOD, GOOD, GOOD, GOOD, SAT, SAT, SAT], "NIRSPEC",
              [0.98561335, JUMP | SAT, 0.1848883, 0.00363636, 0.03054732]),
    "pix_9": (BASE, [GOOD, GOOD, JUMP, JUMP, GOOD, GOOD, GOOD, GOOD, JUMP, GOOD], "NIRSPEC",
              [0.9999994, JUMP, 0.22721863, 0.0030303, 0.048598]),
    "pix_10": (BASE, [GOOD, GOOD, JUMP, GOOD, GOOD, JUMP, GOOD, GOOD, GOOD, GOOD], "NIRSPEC",
               [1.0, JUMP, 0.21298744, 0.0025974, 0.04276625]),
    "pix_11": (BASE, [GOOD, GOOD] + [SAT] * 8, "NIRSPEC", [1.0, SAT, 1.042755, 0.01818182, 1.0691562]),
    "miri_0": ([8888.0, 25.0, 35.0, 54.0, 55.0, 65.0, 75.0, 94.0, 95.0, 888.0], [DNU] + [GOOD] * 8 + [DNU],
               "MIRI", [1.025854, GOOD, 0.12379601, 0.0025974, 0.01272805]),
    "miri_1": ([7777.0, 125.0, 135.0, 154.0, 165.0, 175.0, 185.0, 204.0, 205.0, 777.0],
               [DNU | JUMP] + [GOOD] * 8 + [DNU], "MIRI",
               [1.1996487, GOOD, 0.12379601, 0.0025974, 0.01272805]),
    "miri_2": ([4444.0, 25.0, 35.0, 54.0, 55.0, 65.0, 75.0, 94.0, 95.0, 444.0],
               [DNU | JUMP] + [GOOD] * 8 + [DNU | JUMP], "MIRI",
               [1.025854, GOOD, 0.12379601, 0.0025974, 0.01272805]),
    "miri_3": ([6666.0, 25.0, 35.0, 54.0, 55.0, 65.0, 75.0, 94.0, 95.0, 666.0],
               [DNU] + [GOOD] * 8 + [DNU | JUMP], "MIRI",
               [1.025854, GOOD, 0.12379601, 0.0025974, 0.01272805]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_stcal_single_pixel_cases(name):
    values, flags, instrument, (slope, quality, err, var_p, var_r) = CASES[name]
    rate, _ = _fit(*_ramp(values, flags), instrument=instrument, suppress=False)  # stcal's RampData default
    assert int(rate["DQ"][0, 0]) == quality
    np.testing.assert_allclose([rate["SCI"][0, 0], rate["ERR"][0, 0], rate["VAR_POISSON"][0, 0],
                                rate["VAR_RNOISE"][0, 0]], [slope, err, var_p, var_r], rtol=2e-5, atol=2e-5)


JP_2326 = [120.133545, 117.85222, 87.38832, 66.90588, 51.392555, 41.65941, 32.15081, 24.25277, 15.955284,
           9.500946]


@pytest.mark.parametrize(("second", "answer"), [(DNU, -4.1035075), (JUMP, -4.9032097)])
def test_stcal_miri_dnu_at_ramp_beginning(second, answer):
    # stcal's test_miri_ramp_dnu_at_ramp_beginning / _and_jump_at_ramp_beginning (JP-2326)
    flags = [DNU, second] + [GOOD] * 7 + [DNU]
    rate, _ = _fit(*_ramp(JP_2326, flags), instrument="MIRI", tgroup=2.77504, gain=5.5, rn=1000.0,
                   suppress=False)
    assert abs(rate["SCI"][0, 0] - answer) < 1e-5


def test_stcal_dq_multi_int_dnu():
    # stcal's test_dq_multi_int_dnu: the integration whose groups are all DO_NOT_USE is NaN/DNU only
    data = np.tile(np.array([100.0, 200, 300, 400, 500], np.float32)[None, :, None, None], (2, 1, 1, 1))
    gdq = np.zeros(data.shape, np.uint8)
    gdq[0] = DNU
    tframe, nframes, groupgap = 10.736, 4, 1
    tgroup = tframe * (nframes + groupgap)
    exposure, detector = _exposure(data, gdq, "NIRSPEC", tgroup)
    primary = exposure.primary
    primary["TFRAME"], primary["NFRAMES"], primary["GROUPGAP"] = tframe, nframes, groupgap
    got = []
    rate = ramp_fit.run(exposure, **_refs(1, 1, detector, 5.0, 10.0, "NIRSPEC"), rateints=got.append,
                        suppress_one_group=False)
    np.testing.assert_allclose([rate["SCI"].data[0, 0], rate["VAR_POISSON"].data[0, 0],
                                rate["VAR_RNOISE"].data[0, 0], rate["ERR"].data[0, 0]],
                               [1.8628913, 0.00086759, 0.0004338, 0.03607474], rtol=1e-5, atol=1e-5)
    assert rate["DQ"].data[0, 0] == 0
    assert np.isnan(got[0]["SCI"].data[0, 0, 0]) and list(got[0]["DQ"].data[:, 0, 0]) == [DNU, 0]


def test_miri_with_too_few_groups_left_is_refused():
    data, flags = _ramp([10.0, 20.0, 30.0], [DNU, GOOD, DNU])
    with pytest.raises(UnsupportedError, match="1 group"):
        _fit(data, flags, instrument="MIRI")


def test_nircam_keeps_jump_of_a_do_not_use_group():
    # only MIRI's all-DO_NOT_USE first/last planes are dropped; elsewhere stcal keeps the flag
    rate, _ = _fit(*_ramp(BASE, [GOOD] * 5 + [DNU | JUMP] + [GOOD] * 4), instrument="NIRCAM")
    assert rate["DQ"][0, 0] & JUMP


# ---- against stcal itself (optional)


def _stcal_fit(data, gdq, instrument, tgroup, gain, rn):
    stcal_ramp_fit = pytest.importorskip("stcal.ramp_fitting.ramp_fit")
    ramp_fit_class = pytest.importorskip("stcal.ramp_fitting.ramp_fit_class")
    rd = ramp_fit_class.RampData()
    ny, nx = data.shape[2:]
    rd.set_arrays(data.copy(), gdq.copy(), np.zeros((ny, nx), np.uint32), np.zeros((ny, nx), np.float32))
    rd.set_meta(instrument, tgroup, tgroup, 0, 1, 0)
    rd.set_dqflags({"GOOD": 0, "DO_NOT_USE": 1, "SATURATED": 2, "JUMP_DET": 4, "DROPOUT": 8,
                    "PERSISTENCE": 32, "AD_FLOOR": 64, "CHARGELOSS": 128, "NO_GAIN_VALUE": 524288,
                    "UNRELIABLE_SLOPE": 16777216})
    rd.suppress_one_group_ramps = True
    image, cube, _ = stcal_ramp_fit.ramp_fit_data(rd, False, np.full((ny, nx), rn, np.float32),
                                                  np.full((ny, nx), gain, np.float32), "OLS_C", "optimal",
                                                  "none")
    return image, cube


def _random_ramps(seed, instrument):
    rng = np.random.default_rng(seed)
    nints, ngroups, ny, nx = 2, 8, 9, 11
    g = np.arange(ngroups)[None, :, None, None]
    rate = rng.uniform(1, 300, (ny, nx))
    data = (500 + rate * 2.775 * (g + 1) + rng.normal(0, 4, (nints, ngroups, ny, nx))).astype(np.float32)
    flags = np.array([0] * 12 + [JUMP, JUMP, DNU, DNU | JUMP, SAT], np.uint8)
    gdq = rng.choice(flags, size=data.shape)
    gdq |= (np.cumsum((gdq & SAT) != 0, axis=1) > 0).astype(np.uint8) * np.uint8(SAT)
    if instrument == "MIRI":  # MIRI's first and last frames: DO_NOT_USE everywhere, some with jumps
        gdq[:, 0] |= DNU
        gdq[:, -1] |= DNU
        gdq[:, 0] |= rng.choice([0, JUMP], size=gdq[:, 0].shape).astype(np.uint8)
        gdq[:, -1] |= rng.choice([0, JUMP], size=gdq[:, -1].shape).astype(np.uint8)
        gdq[:, 1] |= rng.choice([0, 0, JUMP], size=gdq[:, 1].shape).astype(np.uint8)
    return data, gdq


@pytest.mark.parametrize("instrument", ["MIRI", "NIRCAM"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dq_rules_match_stcal(instrument, seed):
    data, gdq = _random_ramps(seed, instrument)
    image, cube = _stcal_fit(data, gdq, instrument, 2.775, 3.1, 8.0)
    rate, ints = _fit(data, gdq, instrument=instrument, tgroup=2.775, gain=3.1, rn=8.0)
    np.testing.assert_array_equal(rate["DQ"], image["dq"])
    np.testing.assert_array_equal(ints["DQ"], cube["dq"])
    np.testing.assert_allclose(rate["SCI"], image["slope"], rtol=1e-5, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(rate["VAR_RNOISE"], image["var_rnoise"], rtol=1e-5)
    np.testing.assert_allclose(rate["VAR_POISSON"], image["var_poisson"], rtol=1e-4)
    np.testing.assert_allclose(ints["SCI"], cube["slope"], rtol=1e-5, atol=1e-6, equal_nan=True)
