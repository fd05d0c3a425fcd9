from pathlib import Path

import numpy as np
from astropy.io import fits

from jwcal.cli.main import cli
from tests.factories import detector1, stage1


def test_dark_cli(runner, tmp_path):
    ramp = detector1.write(detector1.ramp_hdulist(bias=0.0, rate=10.0), tmp_path / "x_ramp.fits")
    ref = detector1.write(detector1.dark_ref(np.full((6, 8, 9), 5.0)), tmp_path / "dark.fits")
    result = runner.invoke(cli, ["dark", "--dark", ref], input=Path(ramp).read_bytes())
    assert result.exit_code == 0, result.output
    out = tmp_path / "o.fits"
    out.write_bytes(result.stdout_bytes)
    with fits.open(out) as hdul:
        assert hdul[0].header["S_DARK"] == "COMPLETE"
        np.testing.assert_allclose(hdul["SCI"].data[0, 0], 95.0)
        assert hdul["AVDRKCUR"].data.shape == (8, 9)


def test_dark_bad_inputs(runner, tmp_path):
    uncal = detector1.write(stage1.uncal(), tmp_path / "x_uncal.fits")
    ref = detector1.write(detector1.dark_ref(np.zeros((6, 8, 9))), tmp_path / "dark.fits")
    out = tmp_path / "o.fits"
    assert runner.invoke(cli, ["dark", "--dark", ref, uncal, "-o", str(out)]).exit_code == 1
    ramp = detector1.write(detector1.ramp_hdulist(ngroups=5), tmp_path / "x_ramp.fits")
    short = detector1.write(detector1.dark_ref(np.zeros((2, 8, 9))), tmp_path / "short.fits")
    result = runner.invoke(cli, ["dark", "--dark", short, ramp, "-o", str(out)])
    assert result.exit_code == 1 and "too few" in result.output and not out.exists()
    result = runner.invoke(cli, ["dark", "--dark", short, "--skip-unsupported", ramp, "-o", str(out)])
    assert result.exit_code == 0
    with fits.open(out) as hdul:
        assert hdul[0].header["S_DARK"] == "SKIPPED"
    assert runner.invoke(cli, ["dark", ramp]).exit_code == 2
