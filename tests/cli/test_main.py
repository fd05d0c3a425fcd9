"""The ``jwcal`` group's error handling, for every command (issue 19 items 4 and 5)."""

import errno
import subprocess
import warnings

import click
import numpy as np
import pytest

from jwcal.cli.main import cli
from tests.cli.test_product_level import RAMP_COMMANDS, files  # noqa: F401 - the fixture

FILTERS = {**RAMP_COMMANDS, "dq-init": ["--mask", "mask"], "fix-targ-coords": [], "fix-int-times": [],
           "clean-1f": []}


@pytest.mark.parametrize("command", sorted(FILTERS))
def test_usage_error_in_a_command_shows_that_commands_usage(runner, files, command):  # noqa: F811
    # writing onto the input is refused inside the command's body (a jwcal UsageError, exit 2)
    source = files["ramp"]
    args = [files.get(a, a) for a in FILTERS[command]]
    result = runner.invoke(cli, [command, *args, source, "-o", source, "--overwrite"], prog_name="jwcal")
    assert result.exit_code == 2, result.output
    assert f"Usage: jwcal {command} [OPTIONS]" in result.stderr
    assert "COMMAND [ARGS]" not in result.stderr
    assert "is the input file" in result.stderr


def test_usage_error_of_cat_shows_cats_usage(runner):
    result = runner.invoke(cli, ["cat", "-", "-"], input=b"", prog_name="jwcal")
    assert result.exit_code == 2 and "Usage: jwcal cat [OPTIONS] [IN]..." in result.stderr


# ---- errors of the system: one line that says what happened, exit 1


@pytest.mark.parametrize(("code", "says"), [
    (errno.ENOSPC, "no space left on the device (disk full)"),
    (errno.EDQUOT, "disk quota exceeded"),
    (errno.EROFS, "read-only file system"),
    (errno.EACCES, "permission denied"),
    (errno.EIO, "input/output error of the device"),
    (errno.EMFILE, "too many open files"),
])
@pytest.mark.parametrize("command", ["cat", "dq-init", "split"])
def test_system_errors_are_one_line_not_internal(runner, files, tmp_path, monkeypatch, code, says,  # noqa: F811
                                                 command):
    import jwcal.io.output as output

    def fail(*args, **kwargs):
        raise OSError(code, "strerror", str(tmp_path / "out" / ".x_ramp.fits.ab12cd.part"))

    monkeypatch.setattr(output, "_temp_beside", fail)
    args = {"cat": ["cat", files["uncal"], "-o", str(tmp_path / "x.fits")],
            "dq-init": ["dq-init", "--mask", files["mask"], files["uncal"], "-o", str(tmp_path / "x.fits")],
            "split": ["split", files["uncal"], "-o", str(tmp_path / "out")]}[command]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"jwcal {command}: error: {tmp_path / 'out' / 'x_ramp.fits'}: {says}\n"


def test_memory_error_is_one_line(runner, files, monkeypatch, tmp_path):  # noqa: F811
    import jwcal.steps.dq_init as step

    def fail(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(step, "mask_dq", fail)
    out = str(tmp_path / "x.fits")
    result = runner.invoke(cli, ["dq-init", "--mask", files["mask"], files["uncal"], "-o", out])
    assert result.exit_code == 1 and result.stderr.startswith("jwcal dq-init: error: out of memory")


@pytest.mark.parametrize("command", ["cat", "dq-init", "fix-targ-coords"])
def test_disk_full_for_real(jwcal_exe, files, tmp_path, command):  # noqa: F811
    from tests.factories.header_fixes import write_targ

    args = {"cat": [files["uncal"]], "dq-init": ["--mask", files["mask"], files["uncal"]],
            "fix-targ-coords": [write_targ(tmp_path / "t_rate.fits")]}[command]
    with open("/dev/full", "wb") as full:
        result = subprocess.run([jwcal_exe, command, *args], stdout=full, stderr=subprocess.PIPE, text=True)
    assert result.returncode == 1
    assert result.stderr == f"jwcal {command}: error: no space left on the device (disk full)\n"


# ---- warnings of numpy and astropy never reach stderr at default verbosity


def _numpy_overflow():
    np.float32(3e38) * np.float32(10)


def _numpy_invalid():
    np.sqrt(np.array([-1.0]))


def _astropy_fits_header():
    from astropy.io import fits

    card = fits.Card.fromstring("BADVALUE= 1.0.0 / not a number")
    card.verify("fix")  # VerifyWarning
    fits.Header([card]).tostring()


def _astropy_wcs():
    from astropy.io import fits
    from astropy.wcs import WCS

    header = fits.Header({"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CUNIT1": "deg", "CUNIT2": "deg",
                          "MJD-OBS": 60000.0, "DATE-OBS": "2000-01-01T00:00:00"})
    WCS(header)  # FITSFixedWarning: DATE-OBS/MJD-OBS disagree


def _astropy_user():
    from astropy.utils.exceptions import AstropyUserWarning

    warnings.warn("something astropy says", AstropyUserWarning, stacklevel=1)


def _deprecation():
    warnings.warn("old API", DeprecationWarning, stacklevel=1)


@pytest.mark.parametrize("emit", [_numpy_overflow, _numpy_invalid, _astropy_fits_header, _astropy_wcs,
                                  _astropy_user, _deprecation])
def test_library_warnings_become_debug_logs(runner, emit):
    @click.command("warn-test")
    def command():
        with warnings.catch_warnings():
            warnings.simplefilter("always")  # as if first seen: pytest's filters must not hide them
            emit()

    cli.add_command(command)
    try:
        quiet = runner.invoke(cli, ["warn-test"])
        assert quiet.exit_code == 0, quiet.output
        assert quiet.stderr == ""
        loud = runner.invoke(cli, ["-vv", "warn-test"])
        assert loud.exit_code == 0 and "jwcal: DEBUG: " in loud.stderr and "Warning" in loud.stderr
    finally:
        cli.commands.pop("warn-test")


# ---- one rule for a file that does not exist: exit 1 (docs/decisions/0020), whatever names it

MISSING = [
    ("dq-init", ["--mask", "@"], "ramp"), ("saturation", ["--saturation", "@"], "ramp"),
    ("superbias", ["--superbias", "@"], "ramp"), ("linearity", ["--linearity", "@"], "ramp"),
    ("dark", ["--dark", "@"], "ramp"), ("jump", ["--gain", "@", "--readnoise", "readnoise"], "ramp"),
    ("jump", ["--gain", "gain", "--readnoise", "@"], "ramp"),
    ("ramp-fit", ["--gain", "@", "--readnoise", "readnoise"], "ramp"),
    ("fix-parallel-wcs", ["--prime", "@"], "rate"), ("resample", ["--output-wcs", "@"], "rate"),
    ("tweakreg", ["--abs-refcat", "@"], "rate"), ("tweakreg", ["--use-custom-catalogs", "@"], "rate"),
    ("refpix", [], "@"), ("info", [], "@"), ("cat", [], "@"), ("split", [], "@"), ("outlier", [], "@"),
]


@pytest.mark.parametrize(("command", "options", "source"), MISSING,
                         ids=[f"{c}{''.join(o[:1])}" for c, o, _ in MISSING])
def test_a_missing_file_is_exit_1_naming_it(runner, files, tmp_path, command, options, source):  # noqa: F811
    missing = str(tmp_path / "missing_file.fits")
    args = [missing if a == "@" else files.get(a, a) for a in options]
    source = missing if source == "@" else files[source]
    out = ["-o", str(tmp_path / "out")] if command in ("split", "outlier", "tweakreg") else []
    if command in ("dq-init", "saturation", "superbias", "linearity", "dark", "jump", "ramp-fit", "refpix",
                   "fix-parallel-wcs", "resample", "cat"):
        out = ["-o", str(tmp_path / "out.fits")]
    result = runner.invoke(cli, [command, *args, source, *out])
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1 and "missing_file" in result.stderr
    assert "internal error" not in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.fits").exists()


def test_usage_error_inside_a_subcommand_of_a_group_shows_its_usage(runner, tmp_path):
    result = runner.invoke(cli, ["simulate", "images", "-o", str(tmp_path / "x"), "--size", "8", "8"],
                           prog_name="jwcal")
    assert result.exit_code == 2
    assert "Usage: jwcal simulate images [OPTIONS]" in result.stderr and "too small" in result.stderr


@pytest.mark.filterwarnings("default")  # as a user runs it: the suite turns warnings into errors
def test_resample_huge_pixel_scale_ratio_is_one_line_without_numpy_warning(runner, tmp_path):
    # issue 19: a numpy RuntimeWarning (three lines) leaked before the error
    from tests.factories.resample import make_cal_set, write_set

    paths = write_set(make_cal_set(2, shape=(32, 32), nstars=3, ncr=0, seed=1), tmp_path / "in")
    result = runner.invoke(cli, ["resample", *paths, "--pixel-scale-ratio", "1e308",
                                 "-o", str(tmp_path / "m_i2d.fits")])
    assert result.exit_code in (1, 2)
    assert "Warning" not in result.stderr and "overflow" not in result.stderr
    assert result.stderr.count("\n") == 1 or result.stderr.startswith("Usage:")
    assert not (tmp_path / "m_i2d.fits").exists()
