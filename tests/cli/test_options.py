"""Option types of every command: NaN, infinities, out-of-range and malformed values are usage errors.

The whole class is tested: every float and integer option of every command of the click group is
found by walking the group, so an option added later with ``type=float`` fails here.
"""

import subprocess

import click
import pytest
from click.types import FloatParamType, IntParamType

from jwcal.cli import options
from jwcal.cli.main import cli
from tests.factories import jump as fj


def _commands(group=cli, path=()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def _options(kind):
    return [(path, param) for path, command in _commands() for param in command.params
            if isinstance(param, click.Option) and isinstance(param.type, kind) and not param.is_flag]


FLOAT_OPTIONS = _options(FloatParamType)
INT_OPTIONS = _options(IntParamType)
#: Commands whose number options do not use jwcal's types yet (strict: passes once they do).
NOT_YET: dict = {}  # commands whose options do not use the safe types yet (strict xfails)


def _marked(cases):
    """``cases`` as pytest params, the NOT_YET commands' as strict xfails."""
    return [pytest.param(path, param, marks=pytest.mark.xfail(reason=NOT_YET[path], strict=True))
            if path in NOT_YET else (path, param) for path, param in cases]


def _ids(cases):
    return [f"{' '.join(path)} {param.opts[-1]}" for path, param in cases]


def _invoke(runner, path, param, value):
    """Give ``value`` to ``param`` (to every one of its values when it takes several)."""
    args = [*path, param.opts[-1], *[value] * param.nargs]
    return runner.invoke(cli, args, input=b"")


def _assert_usage_error(result, option):
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert option in lines[0] and "Traceback" not in result.stderr


def test_the_walk_finds_the_options_of_every_kind_of_command():
    floats = set(_ids(FLOAT_OPTIONS))
    assert {"jump --rejection-threshold", "outlier --maskpt", "resample --pixel-scale-ratio",
            "resample --crpix", "simulate images --ra", "simulate ramp --cr-rate",
            "fix-parallel-wcs --ra-v1", "tweakreg --xoffset"} <= floats
    assert len(floats) >= 70
    assert {"preview --group", "jump --minimum-groups", "resample --output-shape"} <= set(_ids(INT_OPTIONS))


@pytest.mark.parametrize(("path", "param"), _marked(FLOAT_OPTIONS + INT_OPTIONS),
                         ids=_ids(FLOAT_OPTIONS + INT_OPTIONS))
def test_every_number_option_uses_jwcal_types(path, param):
    assert isinstance(param.type, options.FloatRange | options.IntRange), type(param.type)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "NaN", "1e999"])
@pytest.mark.parametrize(("path", "param"), _marked(FLOAT_OPTIONS), ids=_ids(FLOAT_OPTIONS))
def test_every_float_option_refuses_non_finite_values(runner, path, param, value):
    _assert_usage_error(_invoke(runner, path, param, value), param.opts[-1])


@pytest.mark.parametrize("value", ["abc", "1.5"])
@pytest.mark.parametrize(("path", "param"), _marked(INT_OPTIONS), ids=_ids(INT_OPTIONS))
def test_every_integer_option_refuses_non_integers(runner, path, param, value):
    _assert_usage_error(_invoke(runner, path, param, value), param.opts[-1])


def _bounded(cases):
    for path, param in cases:
        low, high = param.type.min, param.type.max
        if low is not None:
            yield path, param, str(low - 1 if param.type.min_open is False else low)
        if high is not None:
            yield path, param, str(high + 1 if param.type.max_open is False else high)


BOUNDED = list(_bounded(FLOAT_OPTIONS + INT_OPTIONS))
BOUNDED_CASES = [pytest.param(p, o, v, marks=pytest.mark.xfail(reason=NOT_YET[p], strict=True))
                 if p in NOT_YET else (p, o, v) for p, o, v in BOUNDED]


@pytest.mark.parametrize(("path", "param", "value"), BOUNDED_CASES,
                         ids=[f"{' '.join(p)} {o.opts[-1]} {v}" for p, o, v in BOUNDED])
def test_every_bounded_option_refuses_values_out_of_its_range(runner, path, param, value):
    _assert_usage_error(_invoke(runner, path, param, value), param.opts[-1])


@pytest.mark.parametrize(("args", "option"), [
    (["outlier", "--snr", "5.0 nan"], "--snr"),
    (["outlier", "--snr", "5.0"], "--snr"),
    (["outlier", "--scale", "1.2 x"], "--scale"),
    (["outlier", "--scale", "1.2 -0.7"], "--scale"),
    (["outlier", "--good-bits", "~DO_NOT_USE+NO_SUCH_FLAG"], "--good-bits"),
    (["resample", "--good-bits", "4+x"], "--good-bits"),
    (["resample", "--fillval", "inf"], "--fillval"),
    (["outlier", "--fillval", "one"], "--fillval"),
    (["jump", "--maximum-cores", "0"], "--maximum-cores"),
    (["jump", "--maximum-cores", "most"], "--maximum-cores"),
])
def test_text_options_parsed_later_are_checked_at_parse_time(runner, args, option):
    _assert_usage_error(runner.invoke(cli, args, input=b""), option)


@pytest.mark.parametrize("args", [
    ["outlier", "--snr", "5,4", "--scale", "1.2 0.7", "--good-bits", "~DO_NOT_USE+NON_SCIENCE",
     "--fillval", "INDEF"],
    ["resample", "--good-bits", "4+16", "--fillval", "-1.5", "--crpix", "10", "20.5"],
    ["resample", "--good-bits", "None", "--fillval", "nan"],
    ["jump", "--gain", "g.fits", "--readnoise", "r.fits", "--maximum-cores", "half"],
    ["jump", "--gain", "g.fits", "--readnoise", "r.fits", "--maximum-cores", "3"],
])
def test_valid_text_values_pass_unchanged(args):
    command = cli.commands[args[0]]
    with command.make_context(args[0], args[1:]) as ctx:
        for flag, value in zip(args[1::2], args[2::2], strict=False):
            name = flag[2:].replace("-", "_")
            if name in ctx.params and isinstance(ctx.params[name], str):
                assert ctx.params[name] == value


@pytest.fixture
def ramp_files(tmp_path):
    data, gdq, gain, rn, _ = fj.ramp_cube(3, ngroups=5, ncr=5)
    paths = {}
    for name, hdul in (("ramp", fj.ramp_hdulist(data, gdq)), ("gain", fj.reference_hdulist(gain, "GAIN")),
                       ("rn", fj.reference_hdulist(rn, "READNOISE"))):
        paths[name] = str(tmp_path / f"{name}.fits")
        hdul.writeto(paths[name])
    return paths


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_jump_rejection_threshold_nan_is_refused_in_a_real_process(jwcal_exe, ramp_files, tmp_path, value):
    """Issue 19: ``--rejection-threshold nan`` exited 0 and flagged no jumps at all."""
    out = tmp_path / "x_jump.fits"
    proc = subprocess.run([jwcal_exe, "jump", "--gain", ramp_files["gain"], "--readnoise", ramp_files["rn"],
                           ramp_files["ramp"], "-o", str(out), "--rejection-threshold", value],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"jwcal jump: error: Invalid value for '--rejection-threshold': {value} is not a finite number."]
    assert not out.exists() and proc.stdout == ""


def test_jump_default_threshold_still_flags_the_same_ramp(jwcal_exe, ramp_files, tmp_path):
    """The refused value would have switched detection off: the default finds the jumps."""
    from astropy.io import fits

    from jwcal import dq

    out = tmp_path / "x_jump.fits"
    proc = subprocess.run([jwcal_exe, "jump", "--gain", ramp_files["gain"], "--readnoise", ramp_files["rn"],
                           ramp_files["ramp"], "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with fits.open(out) as hdul:
        assert (hdul["GROUPDQ"].data & dq.JUMP_DET).any()


def test_outlier_maskpt_nan_is_refused_in_a_real_process(jwcal_exe, rate_file, tmp_path):
    """Issue 19: ``outlier --maskpt nan`` exited 0 with the weight mask off."""
    out = tmp_path / "crf"
    proc = subprocess.run([jwcal_exe, "outlier", rate_file, rate_file, "-o", str(out), "--maskpt", "nan"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "jwcal outlier: error: Invalid value for '--maskpt': nan is not a finite number."]
    assert not out.exists()


def test_outlier_maskpt_nan_through_the_runner(runner):
    _assert_usage_error(runner.invoke(cli, ["outlier", "--maskpt", "nan"], input=b""), "--maskpt")
