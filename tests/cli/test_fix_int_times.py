from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from jwcal.cli.main import cli
from jwcal.io import read_single
from tests import factories
from tests.factories.header_fixes import int_times_hdulist


def test_fix_changes_the_primary_header_only(runner, tmp_path):
    source = factories.write(int_times_hdulist(), tmp_path / "a_rateints.fits")
    out = tmp_path / "out.fits"
    result = runner.invoke(cli, ["fix-int-times", source, "-o", str(out)])
    assert result.exit_code == 0, result.output
    old_primary = len(read_single(source).hdus[0].header_bytes)
    new_primary = len(read_single(str(out)).hdus[0].header_bytes)
    assert Path(source).read_bytes()[old_primary:] == out.read_bytes()[new_primary:]
    with fits.open(out) as new, fits.open(source) as old:
        shift = (old[0].header["BSTRTIME"] - new[0].header["BSTRTIME"]) * 86400
        assert abs(shift - 1.7) < 2e-3
    again = tmp_path / "again.fits"
    assert runner.invoke(cli, ["fix-int-times", str(out), "-o", str(again)]).exit_code == 0
    assert again.read_bytes() == out.read_bytes()


def test_check_prints_seconds(runner, tmp_path):
    source = factories.write(int_times_hdulist(header_offset_s=-3.0), tmp_path / "a_rateints.fits")
    result = runner.invoke(cli, ["fix-int-times", "--check", source])
    assert result.exit_code == 0, result.output
    fields = result.stdout.strip().split("\t")
    assert fields[0].endswith("rateints.fits")
    values = dict(field.split("=") for field in fields[1:])
    assert abs(float(values["BENDTIME"]) + 3.0) < 2e-3 and abs(float(values["BARTDELT"]) + 3.0) < 2e-3


def test_no_int_times_is_exit_1_or_skipped(runner, rate_file, tmp_path):
    out = tmp_path / "out.fits"
    result = runner.invoke(cli, ["fix-int-times", rate_file, "-o", str(out)])
    assert result.exit_code == 1 and "INT_TIMES" in result.stderr and not out.exists()
    result = runner.invoke(cli, ["fix-int-times", rate_file, "--skip-unsupported", "-o", str(out)])
    assert result.exit_code == 0 and fits.getval(out, "S_INTTIM") == "SKIPPED"



@pytest.mark.parametrize("column", ["int_start_MJD_UTC", "int_end_MJD_UTC", "int_mid_MJD_UTC",
                                    "int_start_BJD_TDB", "int_end_BJD_TDB", "int_mid_BJD_TDB"])
def test_nan_in_int_times_is_one_line_exit_1(runner, tmp_path, column):
    # issue 19: a NaN mid time gave "internal error: ValueError" on two lines; a NaN BJD mid time
    # went through to BARTDELT
    hdul = int_times_hdulist()
    hdul["INT_TIMES"].data[column][1] = np.nan
    source = factories.write(hdul, tmp_path / "a_rateints.fits")
    out = tmp_path / "out.fits"
    for args in (["-o", str(out)], ["--check"]):
        result = runner.invoke(cli, ["fix-int-times", source, *args])
        assert result.exit_code == 1, result.output
        assert result.stderr.count("\n") == 1 and "not finite" in result.stderr
        assert "internal error" not in result.stderr
    assert not out.exists()
