import math

import pytest

from jwcal.algorithms import fix_targ_coords as alg
from jwcal.errors import DataError
from jwcal.exposure import HDU, Exposure
from jwcal.steps import fix_targ_coords as step
from tests.factories.header_fixes import BARNARD, targ_hdulist


def _exposure(targ=None, **keywords):
    hdulist = targ_hdulist(targ, **keywords)
    return Exposure([HDU(header=h.header.copy(), data=h.data) for h in hdulist])


def _correct(**keywords):
    v = dict(BARNARD, **keywords)
    dt = (v["EXPMID"] - 51544.5) / 365.25
    return alg.apply_proper_motion(v["PROP_RA"], v["PROP_DEC"], v["MU_RA"], v["MU_DEC"], dt)


def test_run_sets_targ_keeps_old_and_is_idempotent():
    exposure = step.run(_exposure())
    header = exposure.primary
    assert alg.separation_mas(header["TARG_RA"], header["TARG_DEC"], *_correct()) < 1e-3
    assert (header["OTARG_RA"], header["OTARGDEC"]) == (BARNARD["PROP_RA"], BARNARD["PROP_DEC"])
    history = str(header["HISTORY"])
    again = step.run(exposure)
    assert str(again.primary["HISTORY"]) == history
    assert again.primary["OTARG_RA"] == BARNARD["PROP_RA"]


def test_epoch_as_year_number_and_iso_t():
    assert step.epoch_mjd(2000.0) == pytest.approx(51544.5)
    assert step.epoch_mjd("2000.0") == pytest.approx(51544.5)
    assert step.epoch_mjd("2000-01-01T12:00:00") == pytest.approx(51544.5)
    a = step.run(_exposure(MU_EPOCH=2000.0)).primary
    assert alg.separation_mas(a["TARG_RA"], a["TARG_DEC"], *_correct()) < 1e-3


def test_expmid_fallback_to_start_end():
    exposure = _exposure()
    del exposure.primary["EXPMID"]
    state = step.target_state(exposure)
    mid = 0.5 * (exposure.primary["EXPSTART"] + exposure.primary["EXPEND"])
    assert state["dt_years"] == pytest.approx((mid - 51544.5) / 365.25)


@pytest.mark.parametrize("keywords", [{"MU_RA": 0.0, "MU_DEC": 0.0}, {"MU_RA": None, "MU_DEC": None},
                                      {"PROP_RA": None}, {"TARGTYPE": "MOVING"}])
def test_nothing_to_fix_passes_through_untouched(keywords, caplog):
    exposure = _exposure(**keywords)
    before = exposure.primary.tostring()
    out = step.run(exposure)
    assert out.primary.tostring() == before
    assert "left unchanged" in caplog.text
    assert step.diagnose(out)["case"] == "not-applicable"


@pytest.mark.parametrize("keywords", [{"MU_RA": "fast"}, {"MU_EPOCH": "yesterday"}, {"PROP_DEC": 95.0},
                                      {"MU_EPOCH": None}, {"EXPMID": None}])
def test_malformed_values_raise(keywords):
    exposure = _exposure(**keywords)
    if keywords.get("EXPMID", 0) is None:
        del exposure.primary["EXPSTART"]
    with pytest.raises(DataError):
        step.run(exposure)


def test_diagnose_names_the_three_cases():
    prop = (BARNARD["PROP_RA"], BARNARD["PROP_DEC"])
    dt = (BARNARD["EXPMID"] - 51544.5) / 365.25
    bug = alg.apply_proper_motion(*prop, BARNARD["MU_RA"] * alg.BUG_FACTOR,
                                  BARNARD["MU_DEC"] * alg.BUG_FACTOR, dt)
    assert step.diagnose(_exposure(targ=prop))["case"] == "uncorrected"
    d = step.diagnose(_exposure(targ=bug))
    assert d["case"] == "factor-0.36533" and d["factor"] == pytest.approx(alg.BUG_FACTOR, abs=1e-6)
    d = step.diagnose(_exposure(targ=_correct()))
    assert d["case"] == "correct" and d["error_mas"] < 1e-3
    assert d["shift_mas"] == pytest.approx(math.hypot(-0.80148, 10.36235) * dt * 1e3, rel=1e-4)


def test_check_is_a_dry_run():
    exposure = _exposure()
    before = exposure.primary.tostring()
    assert step.run(exposure, check=True).primary.tostring() == before
