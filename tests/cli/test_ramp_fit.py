from pathlib import Path

import numpy as np
from astropy.io import fits

from jwcal.cli.main import cli
from tests.factories import stage1


def _files(tmp_path, gain=2.0):
    paths = {}
    for name, hdul in (("uncal", stage1.uncal(rate=12.0)), ("mask", stage1.mask()),
                       ("gain", stage1.gain(value=gain)), ("rn", stage1.readnoise())):
        paths[name] = str(tmp_path / f"{name}.fits")
        hdul.writeto(paths[name])
    return paths


def test_dq_init_then_ramp_fit(runner, tmp_path):
    p = _files(tmp_path)
    ramp = runner.invoke(cli, ["dq-init", "--mask", p["mask"], p["uncal"]])
    assert ramp.exit_code == 0
    out, ints = tmp_path / "x_rate.fits", tmp_path / "x_rateints.fits"
    result = runner.invoke(cli, ["ramp-fit", "--gain", p["gain"], "--readnoise", p["rn"], "-o", str(out),
                                 "--rateints", str(ints)], input=ramp.stdout_bytes)
    assert result.exit_code == 0, result.output
    with fits.open(out) as rate, fits.open(ints) as cube:
        np.testing.assert_allclose(rate["SCI"].data, 12.0, rtol=1e-5)
        assert rate["DQ"].data.dtype == np.uint32
        assert rate[0].header["S_RAMP"] == "COMPLETE"
        assert cube["SCI"].data.shape == (2, 8, 9)


def test_nan_gain_exit_1_no_output(runner, tmp_path):
    p = _files(tmp_path, gain=np.nan)
    ramp = tmp_path / "ramp.fits"
    assert runner.invoke(cli, ["dq-init", "--mask", p["mask"], p["uncal"], "-o", str(ramp)]).exit_code == 0
    out, ints = tmp_path / "o.fits", tmp_path / "i.fits"
    result = runner.invoke(cli, ["ramp-fit", "--gain", p["gain"], "--readnoise", p["rn"], str(ramp),
                                 "-o", str(out), "--rateints", str(ints)])
    assert result.exit_code == 1 and "NaN" in result.output
    assert not out.exists() and not ints.exists()


def test_missing_reference_exit_1_and_usage(runner, tmp_path):
    p = _files(tmp_path)
    result = runner.invoke(cli, ["ramp-fit", "--gain", str(tmp_path / "no.fits"), "--readnoise", p["rn"],
                                 p["uncal"], "-o", str(tmp_path / "o.fits")])
    assert result.exit_code == 1
    assert runner.invoke(cli, ["ramp-fit", p["uncal"]]).exit_code == 2
    assert not Path(tmp_path / "o.fits").exists()
