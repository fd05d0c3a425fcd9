from pathlib import Path

from astropy.io import fits

from jwcal import dq
from jwcal.cli.main import cli
from tests.factories import detector1, stage1


def test_saturation_cli(runner, tmp_path):
    ramp = detector1.write(detector1.ramp_hdulist(ngroups=4), tmp_path / "x_ramp.fits")
    ref = detector1.write(detector1.saturation_ref(value=1500.0), tmp_path / "sat.fits")
    result = runner.invoke(cli, ["saturation", "--saturation", ref], input=Path(ramp).read_bytes())
    assert result.exit_code == 0, result.output
    out = tmp_path / "o.fits"
    out.write_bytes(result.stdout_bytes)
    with fits.open(out) as hdul:
        assert hdul[0].header["S_SATURA"] == "COMPLETE"
        gdq = hdul["GROUPDQ"].data
        assert (gdq[0, 2:] == dq.SATURATED).all() and (gdq[0, :2] == 0).all()


def test_saturation_bad_inputs(runner, tmp_path):
    uncal = detector1.write(stage1.uncal(), tmp_path / "x_uncal.fits")  # no GROUPDQ
    ref = detector1.write(detector1.saturation_ref(), tmp_path / "sat.fits")
    out = tmp_path / "o.fits"
    result = runner.invoke(cli, ["saturation", "--saturation", ref, uncal, "-o", str(out)])
    assert result.exit_code == 1 and "dq-init" in result.output and not out.exists()
    ramp = detector1.write(detector1.ramp_hdulist(), tmp_path / "x_ramp.fits")
    wrong = detector1.write(detector1.saturation_ref(ny=4, nx=4), tmp_path / "small.fits")
    assert runner.invoke(cli, ["saturation", "--saturation", wrong, ramp, "-o", str(out)]).exit_code == 1
    assert runner.invoke(cli, ["saturation", ramp]).exit_code == 2
    args = ["saturation", "--saturation", ref, "--n-pix-grow-sat", "-1", ramp]
    assert runner.invoke(cli, args).exit_code == 2
