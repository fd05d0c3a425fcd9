import json
from pathlib import Path

from jwcal.cli.main import cli


def test_info_one_line_per_exposure(runner, uncal_file, rate_file):
    stream = Path(uncal_file).read_bytes() + Path(rate_file).read_bytes()
    result = runner.invoke(cli, ["info"], input=stream)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t") == [
        "jw01234001001_01101_00001_nrcb1_uncal.fits",
        "NIRCAM/NRCB1",
        "SCI(2,4,8,9 u16) INT_TIMES(2) ASDF(1)",
        "-",
    ]
    assert lines[1].endswith("dq_init,ramp_fit")
    assert "VAR_POISSON(8,9 f64)" in lines[1]


def test_info_json_lines(runner, rate_file):
    result = runner.invoke(cli, ["info", "--json", rate_file])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["steps"] == {"dq_init": "COMPLETE", "ramp_fit": "COMPLETE"}
    assert {"name": "DQ", "kind": "image", "shape": [8, 9], "dtype": "u32"} in record["hdus"]


def test_info_on_empty_stdin_is_exit_1_one_line(runner):
    result = runner.invoke(cli, ["info", "-"], input=b"")
    assert result.exit_code == 1
    assert result.stderr == "jwcal info: error: <stdin>: empty input (no FITS data)\n"


def test_info_on_non_fits_and_truncated(runner, uncal_file):
    result = runner.invoke(cli, ["info"], input=b"SIMPLE? no, just text\n")
    assert result.exit_code == 1 and "not a FITS file" in result.stderr
    result = runner.invoke(cli, ["info"], input=Path(uncal_file).read_bytes()[:5000])
    assert result.exit_code == 1 and "truncated" in result.stderr


def test_unknown_option_is_usage_error(runner, rate_file):
    result = runner.invoke(cli, ["info", "--no-such-option", rate_file])
    assert result.exit_code == 2


def test_info_json_provenance_fields(runner, tmp_path):
    from astropy.io import fits

    from tests import factories

    hdul = factories.rate_hdulist()
    hdul[0].header.update(CAL_VER="jwcal-0.1.0", DATE="2026-12-04T21:00:00.000",
                          R_GAIN="crds://jwst_nircam_gain_0097.fits", R_MASK="mask.fits",
                          CRDS_CTX="jwst_1322.pmap")
    path = factories.write(hdul, tmp_path / "x_rate.fits")
    record = json.loads(runner.invoke(cli, ["info", "--json", path]).stdout)
    assert record["references"] == {"R_GAIN": "crds://jwst_nircam_gain_0097.fits", "R_MASK": "mask.fits"}
    assert (record["cal_ver"], record["date"], record["crds_ctx"]) == \
        ("jwcal-0.1.0", "2026-12-04T21:00:00.000", "jwst_1322.pmap")
    plain = json.loads(runner.invoke(cli, ["info", "--json", factories.write(factories.rate_hdulist(),
                                                                             tmp_path / "y.fits")]).stdout)
    assert plain["references"] == {} and "cal_ver" not in plain
    assert fits.getheader(path)["R_MASK"] == "mask.fits"
