from pathlib import Path

import pytest
from astropy.io import fits

from jwcal.cli.main import cli
from tests import factories
from tests.factories.header_fixes import TRUE_ATTITUDE, coarse_attitude, pointed_hdulist, pointing_keywords


@pytest.fixture
def files(tmp_path):
    parallel = factories.write(pointed_hdulist(coarse_attitude()), tmp_path / "par_rate.fits")
    prime = factories.write(pointed_hdulist(TRUE_ATTITUDE, visitype="PRIME_TARGETED_FIXED", start=60300.0,
                                            end=60300.2), tmp_path / "prime_rate.fits")
    early = factories.write(pointed_hdulist(TRUE_ATTITUDE, visitype="PRIME_TARGETED_FIXED", start=60299.0,
                                            end=60299.2), tmp_path / "early_rate.fits")
    return parallel, prime, early


def test_fix_from_prime_changes_sci_header_only(runner, tmp_path, files):
    parallel, prime, early = files
    out = tmp_path / "out_rate.fits"
    result = runner.invoke(cli, ["fix-parallel-wcs", parallel, "--prime", early, "--prime", prime,
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    truth = pointing_keywords(TRUE_ATTITUDE)
    with fits.open(out) as new, fits.open(parallel) as old:
        assert abs(new["SCI"].header["RA_REF"] - truth["RA_REF"]) < 1e-11
        assert new[0].header["S_PARWCS"] == "COMPLETE"
        for name in ("ERR", "DQ", "VAR_POISSON"):
            assert new[name].header == old[name].header
            assert (new[name].data == old[name].data).all()
        assert (new["SCI"].data == old["SCI"].data).all()


def test_twice_is_byte_identical(runner, tmp_path, files):
    parallel, prime, _ = files
    once, twice = tmp_path / "once.fits", tmp_path / "twice.fits"
    for source, out in ((parallel, once), (str(once), twice)):
        result = runner.invoke(cli, ["fix-parallel-wcs", source, "--prime", prime, "-o", str(out)])
        assert result.exit_code == 0
    assert once.read_bytes() == twice.read_bytes()


def test_no_bracketing_prime_is_exit_1_or_skipped(runner, tmp_path, files):
    parallel, _, early = files
    out = tmp_path / "out.fits"
    result = runner.invoke(cli, ["fix-parallel-wcs", parallel, "--prime", early, "-o", str(out)])
    assert result.exit_code == 1 and "no prime exposure brackets" in result.stderr
    assert not out.exists()
    result = runner.invoke(cli, ["fix-parallel-wcs", parallel, "--prime", early, "--skip-unsupported",
                                 "-o", str(out)])
    assert result.exit_code == 0
    assert fits.getval(out, "S_PARWCS") == "SKIPPED"


def test_not_a_parallel_is_exit_1(runner, tmp_path, files):
    _, prime, _ = files
    result = runner.invoke(cli, ["fix-parallel-wcs", prime, "--ra-v1", "1", "--dec-v1", "2", "--pa-v3", "3",
                                 "-o", str(tmp_path / "x.fits")])
    assert result.exit_code == 1 and "not a pure parallel" in result.stderr


def test_attitude_options_and_usage_errors(runner, tmp_path, files):
    parallel, prime, _ = files
    out = tmp_path / "out.fits"
    ra, dec, pa = (str(v) for v in TRUE_ATTITUDE)
    args = ["--ra-v1", ra, "--dec-v1", dec, "--pa-v3", pa]
    result = runner.invoke(cli, ["fix-parallel-wcs", parallel, *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert fits.getval(out, "PUREPEXP", extname="SCI") == "attitude given"
    assert runner.invoke(cli, ["fix-parallel-wcs", parallel, "-o", str(tmp_path / "a.fits")]).exit_code == 2
    result = runner.invoke(cli, ["fix-parallel-wcs", parallel, "--prime", prime, *args,
                                 "-o", str(tmp_path / "b.fits")])
    assert result.exit_code == 2
    assert not Path(tmp_path / "b.fits").exists()
