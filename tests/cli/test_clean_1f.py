import numpy as np
from astropy.io import fits

from jwcal.algorithms import clean_1f
from jwcal.cli.main import cli
from tests.algorithms.test_clean_1f import _striped


def _rate(tmp_path, **keys):
    primary = fits.PrimaryHDU()
    primary.header["INSTRUME"], primary.header["DETECTOR"] = "NIRCAM", "NRCB1"
    for k, v in keys.items():
        primary.header[k] = v
    hdul = fits.HDUList([primary, fits.ImageHDU(_striped(), name="SCI"),
                         fits.ImageHDU(np.zeros((128, 128), np.uint32), name="DQ")])
    path = tmp_path / "x_rate.fits"
    hdul.writeto(path)
    return str(path)


def test_clean_1f_cli(runner, tmp_path):
    path, out = _rate(tmp_path), tmp_path / "o.fits"
    result = runner.invoke(cli, ["clean-1f", path, "-o", str(out)])
    assert result.exit_code == 0, result.output
    with fits.open(out) as hdul, fits.open(path) as src:
        assert hdul[0].header["S_CLN1F"] == "COMPLETE"
        usable = clean_1f.source_mask(src["SCI"].data, np.zeros((128, 128), bool))
        before = clean_1f.stripe_power(src["SCI"].data, usable)
        assert clean_1f.stripe_power(hdul["SCI"].data, usable) < 0.05 * before


def test_clean_1f_refuses_miri(runner, tmp_path):
    path, out = _rate(tmp_path, INSTRUME="MIRI"), tmp_path / "o.fits"
    result = runner.invoke(cli, ["clean-1f", path, "-o", str(out)])
    assert result.exit_code == 1 and "MIRI" in result.output and not out.exists()
    assert runner.invoke(cli, ["clean-1f", "--skip-unsupported", path, "-o", str(out)]).exit_code == 0
    assert runner.invoke(cli, ["clean-1f", "--n-sigma", "0", path]).exit_code == 2
