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


# ---- issue 19: a broken input is never half-written into a stream


def _broken(path, tmp_path, name="bad_uncal.fits", keep=20000):
    bad = tmp_path / name
    bad.write_bytes(Path(path).read_bytes()[:keep])  # complete headers, data cut short
    return str(bad)


def test_cat_writes_no_byte_when_a_later_file_is_broken(runner, uncal_file, tmp_path):
    bad = _broken(uncal_file, tmp_path)
    result = runner.invoke(cli, ["cat", uncal_file, bad])
    assert result.exit_code == 1 and "truncated" in result.stderr
    assert result.stdout_bytes == b""  # the good first file is not streamed either: the chain fails whole


def test_cat_of_stdin_passes_whole_exposures_only(runner, uncal_file, rate_file, tmp_path):
    good = Path(uncal_file).read_bytes() + Path(rate_file).read_bytes()
    stream = good + Path(_broken(uncal_file, tmp_path)).read_bytes()
    result = runner.invoke(cli, ["cat", "-"], input=stream)
    assert result.exit_code == 1 and "truncated" in result.stderr
    assert result.stdout_bytes == good  # the two complete exposures, none of the broken one's bytes
    result = runner.invoke(cli, ["cat", "-"], input=good)
    assert result.exit_code == 0 and result.stdout_bytes == good


def test_cat_refuses_trailing_garbage_before_writing(runner, uncal_file, tmp_path):
    junk = tmp_path / "junk.fits"
    junk.write_bytes(Path(uncal_file).read_bytes() + b"x" * 2880)
    result = runner.invoke(cli, ["cat", uncal_file, str(junk)])
    assert result.exit_code == 1 and "no SIMPLE or XTENSION" in result.stderr
    assert result.stdout_bytes == b""


def test_cat_help_does_not_call_a_stream_a_fits_file(runner):
    text = runner.invoke(cli, ["cat", "--help"]).output
    assert "> ab.stream" in text and "not one FITS file" in text and "pipefail" in text
    assert "> ab.fits" not in text
