from pathlib import Path

from jwcal.cli.main import cli
from tests import factories


def test_split_writes_one_file_per_exposure_named_from_headers(runner, uncal_file, rate_file, tmp_path):
    stream = Path(uncal_file).read_bytes() + Path(rate_file).read_bytes()
    out = tmp_path / "out"
    result = runner.invoke(cli, ["split", "-o", str(out)], input=stream)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "jw01234001001_01101_00001_nrcb1_uncal.fits",
        "jw01234001001_01101_00002_nrcb1_rate.fits",
    ]
    assert (out / "jw01234001001_01101_00001_nrcb1_uncal.fits").read_bytes() == Path(uncal_file).read_bytes()
    assert (out / "jw01234001001_01101_00002_nrcb1_rate.fits").read_bytes() == Path(rate_file).read_bytes()


def test_split_suffix_option_and_name_from_id_keywords(runner, tmp_path):
    hdul = factories.rate_hdulist(filename="")
    del hdul[0].header["FILENAME"]
    for key, value in dict(PROGRAM="01234", OBSERVTN="001", VISIT="001", VISITGRP="01", SEQ_ID="1",
                           ACT_ID="01", EXPOSURE="00003", DETECTOR="NRCA1").items():
        hdul[0].header[key] = value
    path = factories.write(hdul, tmp_path / "x.fits")
    result = runner.invoke(cli, ["split", path, "-o", str(tmp_path / "o"), "--suffix", "cal"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["jw01234001001_01101_00003_nrca1_cal.fits"]


def test_split_of_two_exposures_with_one_name_writes_nothing(runner, rate_file, tmp_path):
    stream = Path(rate_file).read_bytes() * 2
    out = tmp_path / "out"
    result = runner.invoke(cli, ["split", "-o", str(out)], input=stream)
    assert result.exit_code == 1
    assert "two exposures" in result.stderr
    assert not out.exists()  # issue 19: no empty -o directory left behind


def test_split_without_a_name_source_fails(runner, tmp_path):
    hdul = factories.rate_hdulist()
    del hdul[0].header["FILENAME"]
    path = factories.write(hdul, tmp_path / "anon.fits")
    result = runner.invoke(cli, ["split", path, "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "cannot name" in result.stderr


def test_split_requires_output_directory(runner, rate_file):
    assert runner.invoke(cli, ["split", rate_file]).exit_code == 2
