from pathlib import Path

from astropy.io import fits

from jwcal.cli.main import cli


def test_cat_concatenates_files_byte_for_byte(runner, uncal_file, rate_file, tmp_path):
    out = tmp_path / "stream.fits"
    result = runner.invoke(cli, ["cat", uncal_file, rate_file, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == Path(uncal_file).read_bytes() + Path(rate_file).read_bytes()


def test_cat_reads_stdin_by_default(runner, uncal_file):
    data = Path(uncal_file).read_bytes()
    result = runner.invoke(cli, ["cat"], input=data)
    assert result.exit_code == 0
    assert result.stdout_bytes == data


def test_cat_of_a_truncated_file_fails_and_leaves_no_output(runner, uncal_file, tmp_path):
    cut = tmp_path / "cut.fits"
    cut.write_bytes(Path(uncal_file).read_bytes()[:-100])
    out = tmp_path / "out.fits"
    result = runner.invoke(cli, ["cat", uncal_file, str(cut), "-o", str(out)])
    assert result.exit_code == 1
    assert "truncated" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_uncal.fits", "cut.fits"]


def test_cat_refuses_to_overwrite_without_flag_and_never_overwrites_an_input(runner, uncal_file, tmp_path):
    out = tmp_path / "exists.fits"
    out.write_bytes(b"keep")
    result = runner.invoke(cli, ["cat", uncal_file, "-o", str(out)])
    assert result.exit_code == 1 and "--overwrite" in result.stderr
    assert out.read_bytes() == b"keep"
    before = Path(uncal_file).read_bytes()
    result = runner.invoke(cli, ["cat", uncal_file, "-o", uncal_file, "--overwrite"])
    assert result.exit_code == 2
    assert Path(uncal_file).read_bytes() == before


def test_cat_missing_file_is_exit_1_with_one_line(runner, tmp_path):
    result = runner.invoke(cli, ["cat", str(tmp_path / "nope.fits")])
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("No such file or directory")
    assert "Traceback" not in result.output


def test_cat_output_is_readable_by_astropy_per_file(runner, uncal_file, tmp_path):
    out = tmp_path / "one.fits"
    assert runner.invoke(cli, ["cat", uncal_file, "-o", str(out)]).exit_code == 0
    with fits.open(out) as hdul:
        assert [h.name for h in hdul] == ["PRIMARY", "SCI", "INT_TIMES", "ASDF"]
