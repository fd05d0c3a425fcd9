from pathlib import Path

import numpy as np
from astropy.io import fits

from jwcal.cli.main import cli
from tests.factories import detector1, stage1


def test_superbias_cli(runner, tmp_path):
    ramp = detector1.write(detector1.ramp_hdulist(bias=1000.0), tmp_path / "x_ramp.fits")
    ref = detector1.write(detector1.superbias_ref(value=1000.0), tmp_path / "bias.fits")
    result = runner.invoke(cli, ["superbias", "--superbias", ref], input=Path(ramp).read_bytes())
    assert result.exit_code == 0, result.output
    out = tmp_path / "o.fits"
    out.write_bytes(result.stdout_bytes)
    with fits.open(out) as hdul:
        assert hdul[0].header["S_SUPERB"] == "COMPLETE"
        np.testing.assert_allclose(hdul["SCI"].data[0, 0], 200.0)


def test_superbias_bad_inputs(runner, tmp_path):
    uncal = detector1.write(stage1.uncal(), tmp_path / "x_uncal.fits")
    ref = detector1.write(detector1.superbias_ref(), tmp_path / "bias.fits")
    out = tmp_path / "o.fits"
    assert runner.invoke(cli, ["superbias", "--superbias", ref, uncal, "-o", str(out)]).exit_code == 1
    assert not out.exists()
    ramp = detector1.write(detector1.ramp_hdulist(), tmp_path / "x_ramp.fits")
    noext = detector1.write(detector1.reference("SUPERBIAS", {"DQ": np.zeros((8, 9), np.uint32)}),
                            tmp_path / "noext.fits")
    result = runner.invoke(cli, ["superbias", "--superbias", noext, ramp, "-o", str(out)])
    assert result.exit_code == 1 and "SCI" in result.output
    assert runner.invoke(cli, ["superbias", ramp]).exit_code == 2
