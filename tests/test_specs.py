"""The step registry (jwcal/specs): what it declares, and the HISTORY card derived from it."""

import importlib
import inspect

import pytest
from astropy.io import fits

from jwcal.cli.main import cli
from jwcal.products import SUFFIXES
from jwcal.specs import FILTER, MULTI, STEMS, Param, StepSpec, all_specs, spec_for
from tests.factories import jump as fj


def test_every_step_command_has_a_spec():
    with_run = {stem for stem in (name.replace("-", "_") for name in cli.commands)
                if hasattr(_module("jwcal.steps", stem), "run")}
    # preview renders a picture and the simulators generate data: neither is a calibration step.
    assert with_run - set(STEMS) == {"preview"}
    assert set(STEMS) <= with_run


def _module(package, stem):
    try:
        return importlib.import_module(f"{package}.{stem}")
    except ModuleNotFoundError:
        return None


def test_kinds_suffixes_and_lookup():
    kinds = {spec.name: spec.kind for spec in all_specs()}
    assert {name for name, kind in kinds.items() if kind == MULTI} == {"tweakreg", "outlier", "resample"}
    assert set(kinds.values()) == {FILTER, MULTI}
    for spec in all_specs():
        assert spec.suffix is None or spec.suffix in SUFFIXES, spec.name
        assert spec_for(spec.name) is spec_for(spec.stem) is spec
    assert spec_for("ramp-fit").suffix == "rate" and spec_for("resample").suffix == "i2d"
    assert spec_for("jump").reference_types == ("GAIN", "READNOISE")
    assert spec_for("outlier").multi_exposure and not spec_for("dq-init").multi_exposure
    with pytest.raises(KeyError):
        spec_for("preview")


@pytest.mark.parametrize("stem", STEMS)
def test_the_step_writes_its_status_keyword(stem):
    spec = spec_for(stem)
    source = inspect.getsource(importlib.import_module(f"jwcal.steps.{stem}"))
    if spec.status_keyword is None:
        assert '"S_' not in source
    else:
        assert f'"{spec.status_keyword}"' in source


def test_history_card_format():
    spec = StepSpec("demo", FILTER, "S_DEMO", None, params=(
        Param("threshold", 4.0, "t"), Param("text", "5.0 4.0", "x", kind="floats"),
        Param("cores", "all", "c", kind="threads", record=False),
        Param("grow", False, "g", kind="bool"), Param("size", 3, "s", kind="int", when=("grow",))))
    values = {"threshold": 4.5, "text": "5.0 4.0", "cores": "all", "grow": False, "size": 3}
    assert spec.history(values) == "jwcal demo: threshold=4.5 text='5.0 4.0' grow=False"
    assert spec.history({**values, "grow": True}).endswith("grow=True size=3")
    assert StepSpec("none", FILTER, None, None).history({}) is None


def _jump_files(tmp_path):
    data, gdq, gain, rn, _ = fj.ramp_cube(1, ngroups=6, ncr=5)
    paths = {}
    for name, hdul in (("ramp", fj.ramp_hdulist(data, gdq)), ("gain", fj.reference_hdulist(gain, "GAIN")),
                       ("rn", fj.reference_hdulist(rn, "READNOISE"))):
        paths[name] = str(tmp_path / f"{name}.fits")
        hdul.writeto(paths[name])
    return paths


def _history(path) -> list[str]:
    with fits.open(path) as hdul:
        return [str(card) for card in hdul[0].header.get("HISTORY", [])]


def test_jump_writes_one_card_with_the_parameters_it_ran_with(runner, tmp_path):
    paths = _jump_files(tmp_path)
    args = ["jump", "--gain", paths["gain"], "--readnoise", paths["rn"], paths["ramp"]]
    out = tmp_path / "a_jump.fits"
    result = runner.invoke(cli, [*args, "-o", str(out), "--rejection-threshold", "4.5",
                                 "--no-flag-4-neighbors"])
    assert result.exit_code == 0, result.output
    card = "".join(_history(out))  # astropy splits a long card over 72-character HISTORY cards
    assert "jwcal jump: rejection_threshold=4.5 three_group_rejection_threshold=6.0" in card
    assert "flag_4_neighbors=False" in card and "min_diffs_single_pass=10" in card
    # no snowball, shower or two-group parameters when those searches are off; no thread count
    for absent in ("min_sat_area", "extend_snr_threshold", "maximum_cores", "two_group_rejection_threshold",
                   "skip_unsupported"):
        assert absent not in card

    out = tmp_path / "b_jump.fits"
    result = runner.invoke(cli, [*args, "-o", str(out), "--expand-large-events", "--force-large-events",
                                 "--sat-expand", "3"])
    assert result.exit_code == 0, result.output
    card = "".join(_history(out))
    assert "expand_large_events=True min_sat_area=1.0" in card and "sat_expand=3" in card
    assert "force_large_events=True" in card and "extend_snr_threshold" not in card
