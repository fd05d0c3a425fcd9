from pathlib import Path

import numpy as np
from astropy.io import fits

from jwcal import dq
from jwcal.cli.main import cli
from tests.factories import detector1, stage1


def test_refpix_cli(runner, tmp_path):
    hdul = detector1.ramp_hdulist(ngroups=2, rate=0.0, bias=500.0)
    hdul["PIXELDQ"].data[:4] = dq.REFERENCE_PIXEL
    ramp = detector1.write(hdul, tmp_path / "x_ramp.fits")
    result = runner.invoke(cli, ["refpix"], input=Path(ramp).read_bytes())
    assert result.exit_code == 0, result.output
    out = tmp_path / "o.fits"
    out.write_bytes(result.stdout_bytes)
    with fits.open(out) as hdul:
        assert hdul[0].header["S_REFPIX"] == "COMPLETE"
        np.testing.assert_allclose(hdul["SCI"].data, 0.0, atol=1e-4)


def test_refpix_bad_inputs(runner, tmp_path):
    out = tmp_path / "o.fits"
    uncal = detector1.write(stage1.uncal(), tmp_path / "x_uncal.fits")
    assert runner.invoke(cli, ["refpix", uncal, "-o", str(out)]).exit_code == 1
    ramp = detector1.write(detector1.ramp_hdulist(), tmp_path / "x_ramp.fits")  # no reference pixels
    result = runner.invoke(cli, ["refpix", ramp, "-o", str(out)])
    assert result.exit_code == 1 and "reference pixels" in result.output and not out.exists()
    assert runner.invoke(cli, ["refpix", "--skip-unsupported", ramp, "-o", str(out)]).exit_code == 0
    assert runner.invoke(cli, ["refpix", "--side-smoothing-length", "0", ramp]).exit_code == 2
