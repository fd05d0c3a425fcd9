from pathlib import Path

import numpy as np
from astropy.io import fits

from jwcal.cli.main import cli
from tests.factories import detector1, stage1


def _coeffs():
    c = np.zeros((2, 8, 9), np.float32)
    c[1] = 2.0
    return c


def test_linearity_cli(runner, tmp_path):
    ramp = detector1.write(detector1.ramp_hdulist(bias=0.0, rate=10.0), tmp_path / "x_ramp.fits")
    ref = detector1.write(detector1.linearity_ref(_coeffs()), tmp_path / "lin.fits")
    result = runner.invoke(cli, ["linearity", "--linearity", ref], input=Path(ramp).read_bytes())
    assert result.exit_code == 0, result.output
    out = tmp_path / "o.fits"
    out.write_bytes(result.stdout_bytes)
    with fits.open(out) as hdul:
        assert hdul[0].header["S_LINEAR"] == "COMPLETE"
        np.testing.assert_allclose(hdul["SCI"].data[0, 0], 200.0)


def test_linearity_bad_inputs(runner, tmp_path):
    uncal = detector1.write(stage1.uncal(), tmp_path / "x_uncal.fits")
    ref = detector1.write(detector1.linearity_ref(_coeffs()), tmp_path / "lin.fits")
    out = tmp_path / "o.fits"
    assert runner.invoke(cli, ["linearity", "--linearity", ref, uncal, "-o", str(out)]).exit_code == 1
    ramp = detector1.write(detector1.ramp_hdulist(), tmp_path / "x_ramp.fits")
    noext = detector1.write(detector1.superbias_ref(), tmp_path / "bias.fits")
    result = runner.invoke(cli, ["linearity", "--linearity", noext, ramp, "-o", str(out)])
    assert result.exit_code == 1 and "COEFFS" in result.output and not out.exists()
    assert runner.invoke(cli, ["linearity", ramp]).exit_code == 2
