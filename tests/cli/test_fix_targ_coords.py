from pathlib import Path

from astropy.io import fits

from jwcal.cli.main import cli
from jwcal.io import read_single
from tests.factories.header_fixes import BARNARD, write_targ


def _blocks(data: bytes) -> list[bytes]:
    return [data[i:i + 2880] for i in range(0, len(data), 2880)]


def test_fix_writes_only_the_primary_header(runner, tmp_path):
    source = write_targ(tmp_path / "a_rate.fits")
    out = tmp_path / "out_rate.fits"
    result = runner.invoke(cli, ["fix-targ-coords", source, "-o", str(out)])
    assert result.exit_code == 0, result.output
    with fits.open(out) as new, fits.open(source) as old:
        assert new[0].header["TARG_DEC"] > old[0].header["TARG_DEC"] + 0.06  # ~240" north over 23 yr
        assert new[0].header["OTARG_RA"] == BARNARD["PROP_RA"]
        for key in old[0].header:
            if key not in ("TARG_RA", "TARG_DEC", "HISTORY", ""):
                assert new[0].header[key] == old[0].header[key]
    # Every HDU after the primary is byte-identical.
    primary_size = len(read_single(source).hdus[0].header_bytes)
    src, dst = Path(source).read_bytes(), out.read_bytes()
    new_primary = len(read_single(str(out)).hdus[0].header_bytes)
    assert src[primary_size:] == dst[new_primary:]


def test_running_twice_changes_nothing(runner, tmp_path):
    source = write_targ(tmp_path / "a_rate.fits")
    once, twice = tmp_path / "once.fits", tmp_path / "twice.fits"
    assert runner.invoke(cli, ["fix-targ-coords", source, "-o", str(once)]).exit_code == 0
    assert runner.invoke(cli, ["fix-targ-coords", str(once), "-o", str(twice)]).exit_code == 0
    assert once.read_bytes() == twice.read_bytes()


def test_check_reports_cases_on_stdout(runner, tmp_path):
    a = Path(write_targ(tmp_path / "a_rate.fits")).read_bytes()
    b = Path(write_targ(tmp_path / "b_rate.fits", MU_RA=0.0, MU_DEC=0.0)).read_bytes()
    result = runner.invoke(cli, ["fix-targ-coords", "--check"], input=a + b)
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [fields[1] for fields in lines] == ["uncorrected", "not-applicable"]
    assert float(lines[0][2]) == 0.0


def test_pass_through_without_proper_motion_notes_on_stderr(runner, tmp_path):
    source = write_targ(tmp_path / "a_rate.fits", MU_RA=0.0, MU_DEC=0.0)
    out = tmp_path / "out.fits"
    result = runner.invoke(cli, ["fix-targ-coords", source, "-o", str(out)])
    assert result.exit_code == 0
    assert "left unchanged" in result.stderr
    assert out.read_bytes() == Path(source).read_bytes()


def test_malformed_value_is_exit_1_and_no_output(runner, tmp_path):
    source = write_targ(tmp_path / "a_rate.fits", MU_EPOCH="not a date")
    out = tmp_path / "out.fits"
    result = runner.invoke(cli, ["fix-targ-coords", source, "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith("jwcal fix-targ-coords: error:") and "MU_EPOCH" in result.stderr
    assert not out.exists()


def test_written_targ_agrees_with_astropy_apply_space_motion(runner, tmp_path):
    import warnings

    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.time import Time

    from jwcal.algorithms.fix_targ_coords import separation_mas

    source = write_targ(tmp_path / "a_rate.fits")
    out = tmp_path / "out.fits"
    assert runner.invoke(cli, ["fix-targ-coords", source, "-o", str(out)]).exit_code == 0
    header = fits.getheader(out)
    star = SkyCoord(BARNARD["PROP_RA"] * u.deg, BARNARD["PROP_DEC"] * u.deg, distance=10 * u.pc,
                    pm_ra_cosdec=BARNARD["MU_RA"] * u.arcsec / u.yr,
                    pm_dec=BARNARD["MU_DEC"] * u.arcsec / u.yr,
                    radial_velocity=0 * u.km / u.s, obstime=Time(BARNARD["MU_EPOCH"], scale="utc"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        moved = star.apply_space_motion(new_obstime=Time(BARNARD["EXPMID"], format="mjd", scale="utc"))
    assert separation_mas(header["TARG_RA"], header["TARG_DEC"], moved.ra.deg, moved.dec.deg) < 0.1
