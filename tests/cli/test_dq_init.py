from pathlib import Path

import numpy as np
from astropy.io import fits

from jwcal import dq
from jwcal.cli.main import cli
from tests.factories import stage1


def _files(tmp_path, mask=None):
    uncal = tmp_path / "x_uncal.fits"
    stage1.uncal().writeto(uncal)
    path = tmp_path / "mask.fits"
    (mask or stage1.mask()).writeto(path)
    return str(uncal), str(path)


def test_dq_init_writes_ramp(runner, tmp_path):
    bits = np.zeros((8, 9), np.uint32)
    bits[3, 4] = dq.DO_NOT_USE
    uncal, mask = _files(tmp_path, stage1.mask(bits=bits))
    out = tmp_path / "x_ramp.fits"
    result = runner.invoke(cli, ["dq-init", "--mask", mask, uncal, "-o", str(out)])
    assert result.exit_code == 0, result.output
    with fits.open(out) as hdul:
        assert [h.name for h in hdul] == ["PRIMARY", "SCI", "PIXELDQ", "GROUPDQ", "INT_TIMES"]
        assert hdul["SCI"].data.dtype.kind == "f" and hdul["SCI"].data.dtype.itemsize == 4
        assert hdul["PIXELDQ"].data.dtype == np.uint32
        assert hdul["GROUPDQ"].data.dtype == np.uint8
        assert (hdul["GROUPDQ"].data[:, :, 3, 4] == 1).all()
        assert hdul[0].header["S_DQINIT"] == "COMPLETE"


def test_dq_init_stdout(runner, tmp_path):
    uncal, mask = _files(tmp_path)
    result = runner.invoke(cli, ["dq-init", "--mask", mask], input=Path(uncal).read_bytes())
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"SIMPLE  =")


def test_missing_or_wrong_mask_exit_1(runner, tmp_path):
    uncal, mask = _files(tmp_path, stage1.mask(detector="NRCA3"))
    out = tmp_path / "o.fits"
    result = runner.invoke(cli, ["dq-init", "--mask", mask, uncal, "-o", str(out)])
    assert result.exit_code == 1 and "MASK" in result.output and not out.exists()
    result = runner.invoke(cli, ["dq-init", "--mask", str(tmp_path / "none.fits"), uncal, "-o", str(out)])
    assert result.exit_code == 1 and not out.exists()


def test_mask_option_required(runner, tmp_path):
    uncal, _ = _files(tmp_path)
    assert runner.invoke(cli, ["dq-init", uncal]).exit_code == 2
