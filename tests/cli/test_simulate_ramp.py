import numpy as np
from astropy.io import fits

from jwcal.cli.main import cli

ARGS = ["simulate", "ramp", "--size", "32", "48", "--ngroups", "3", "--ref-subarray", "--seed", "4"]
ROOT = "jw01234001001_01101_00001_nrcb1"


def test_writes_uncal_references_and_truth(runner, tmp_path):
    out = tmp_path / "sim"
    result = runner.invoke(cli, [*ARGS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"{ROOT}_uncal.fits", f"{ROOT}_truth.fits", "gain.fits", "readnoise.fits",
                            "mask.fits", "superbias.fits", "saturation.fits"])
    with fits.open(out / f"{ROOT}_uncal.fits") as hdul:
        assert hdul["SCI"].data.dtype == np.uint16
        assert hdul["SCI"].data.shape == (1, 3, 32, 48)
        assert hdul[0].header["NGROUPS"] == 3
        assert "INT_TIMES" in hdul
    with fits.open(out / "mask.fits") as hdul:
        assert hdul["DQ"].data.dtype == np.uint32 and "DQ_DEF" in hdul
    with fits.open(out / f"{ROOT}_truth.fits") as hdul:
        assert hdul["TRUE_RATE"].data.shape == (32, 48)


def test_existing_files_need_overwrite(runner, tmp_path):
    out = tmp_path / "sim"
    assert runner.invoke(cli, [*ARGS, "-o", str(out)]).exit_code == 0
    result = runner.invoke(cli, [*ARGS, "-o", str(out)])
    assert result.exit_code == 1 and "exists" in result.output
    assert runner.invoke(cli, [*ARGS, "-o", str(out), "--overwrite"]).exit_code == 0


def test_bad_readout_pattern_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(cli, [*ARGS, "--nframes", "3", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "readout pattern" in result.output
    assert not (tmp_path / "x").exists()


def test_files_open_with_stdatamodels(runner, tmp_path):
    datamodels = __import__("pytest").importorskip("stdatamodels.jwst.datamodels")
    out = tmp_path / "sim"
    assert runner.invoke(cli, [*ARGS, "-o", str(out)]).exit_code == 0
    with datamodels.Level1bModel(str(out / f"{ROOT}_uncal.fits")) as model:
        assert model.data.shape == (1, 3, 32, 48)
        assert model.meta.exposure.ngroups == 3


def test_nonlinear_and_dark_write_their_references(runner, tmp_path):
    out = tmp_path / "sim"
    result = runner.invoke(cli, [*ARGS, "--nonlinear", "--dark-current", "0.5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with fits.open(out / "linearity.fits") as hdul:
        assert hdul["COEFFS"].data.shape == (4, 32, 48)
        assert hdul[0].header["REFTYPE"] == "LINEARITY"
    with fits.open(out / "dark.fits") as hdul:
        assert hdul["SCI"].data.shape == (3, 32, 48)
        assert hdul[0].header["NFRAMES"] == 1
