"""Every step command refuses input of the wrong product level, and ramps whose header disagrees
with their data: exit 1, one line naming what to run, no output file, input unchanged (issue 19)."""

import hashlib

import numpy as np
import pytest
from astropy.io import fits

from jwcal.cli.main import cli
from tests.factories import detector1, stage1

RAMP_COMMANDS = {
    "saturation": ["--saturation", "saturation"],
    "superbias": ["--superbias", "superbias"],
    "refpix": [],
    "linearity": ["--linearity", "linearity"],
    "dark": ["--dark", "dark"],
    "jump": ["--gain", "gain", "--readnoise", "readnoise"],
    "ramp-fit": ["--gain", "gain", "--readnoise", "readnoise"],
}
IMAGE_COMMANDS = {"tweakreg": [], "outlier": [], "resample": [], "clean-1f": []}


@pytest.fixture
def files(tmp_path):
    hduls = {
        "uncal": stage1.uncal(nints=2), "mask": stage1.mask(), "gain": stage1.gain(),
        "readnoise": stage1.readnoise(), "saturation": detector1.saturation_ref(),
        "superbias": detector1.superbias_ref(),
        "linearity": detector1.linearity_ref(np.stack([np.zeros((8, 9)), np.ones((8, 9))])),
        "dark": detector1.dark_ref(np.zeros((10, 8, 9))), "ramp": detector1.ramp_hdulist(nints=2),
    }
    rate = detector1.ramp_hdulist(nints=2)
    rate["SCI"] = fits.ImageHDU(np.ones((8, 9), np.float32), name="SCI")
    rate[0].header["S_RAMP"] = "COMPLETE"
    rate[0].header["FILENAME"] = "jw01234001001_01101_00001_nrcb1_rate.fits"
    hduls["rate"] = rate
    return {name: detector1.write(hdul, tmp_path / f"{name}.fits") for name, hdul in hduls.items()}


def _args(command, table, files, source, out):
    args = [files.get(a, a) for a in table[command]]
    many = [source, source] if command in ("outlier", "resample", "tweakreg") else [source]
    return [command, *args, *many, "-o", str(out)]


def _digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _check_refused(runner, args, source, out, match):
    before = _digest(source)
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert match in result.stderr, result.stderr
    assert not out.exists()
    assert _digest(source) == before


@pytest.mark.parametrize("command", sorted(RAMP_COMMANDS))
def test_ramp_commands_refuse_a_raw_uncal(runner, files, tmp_path, command):
    out = tmp_path / "out.fits"
    _check_refused(runner, _args(command, RAMP_COMMANDS, files, files["uncal"], out), files["uncal"], out,
                   "run jwcal dq-init first")


@pytest.mark.parametrize("command", sorted([*RAMP_COMMANDS, "dq-init"]))
def test_ramp_commands_refuse_rate_images(runner, files, tmp_path, command):
    out = tmp_path / "out.fits"
    table = {**RAMP_COMMANDS, "dq-init": ["--mask", "mask"]}
    _check_refused(runner, _args(command, table, files, files["rate"], out), files["rate"], out,
                   "already ramp-fitted")


@pytest.mark.parametrize("command", sorted(IMAGE_COMMANDS))
@pytest.mark.parametrize("level", ["uncal", "ramp"])
def test_image_commands_refuse_ramps(runner, files, tmp_path, command, level):
    out = tmp_path / ("out" if command in ("outlier", "tweakreg") else "out.fits")
    _check_refused(runner, _args(command, IMAGE_COMMANDS, files, files[level], out), files[level], out,
                   "works on rate/cal images (run stage 1 first")


@pytest.mark.parametrize("command", sorted([*RAMP_COMMANDS, "dq-init"]))
@pytest.mark.parametrize(("keyword", "value", "match"), [
    ("NGROUPS", 7, "NGROUPS=7 but SCI holds 5 groups"),
    ("NINTS", 3, "NINTS=3 but SCI holds 2 integration(s)"),
])
def test_header_and_data_disagree(runner, files, tmp_path, command, keyword, value, match):
    source = files["uncal" if command == "dq-init" else "ramp"]
    with fits.open(source, mode="update") as hdul:
        hdul[0].header[keyword] = value
    out = tmp_path / "out.fits"
    table = {**RAMP_COMMANDS, "dq-init": ["--mask", "mask"]}
    _check_refused(runner, _args(command, table, files, source, out), source, out, match)
