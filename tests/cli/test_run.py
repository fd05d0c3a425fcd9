"""``jwcal run``: the same products as the shell pipe, one process, errors that name the stage."""

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from jwcal.cli.main import cli
from tests.factories.tweakreg import make_tweak_set

#: Keywords that record when a file was written: the only values allowed to differ from the shell pipe.
TIME_KEYWORDS = {"DATE", "DATE-BEG"}


def _same_apart_from_times(a, b) -> None:
    """Assert two FITS files hold the same bytes except the values of keywords that record a time.

    Sizes must be equal; headers are compared card by card without the time keywords, image data
    byte for byte, and tables (HDRTAB copies the inputs' keywords) column by column without them.
    """
    assert Path(a).stat().st_size == Path(b).stat().st_size
    with fits.open(a) as ha, fits.open(b) as hb:
        assert [h.name for h in ha] == [h.name for h in hb]
        for x, y in zip(ha, hb, strict=True):
            cards = [[c.image for c in h.header.cards if c.keyword not in TIME_KEYWORDS] for h in (x, y)]
            assert cards[0] == cards[1], x.name
            if isinstance(x, fits.BinTableHDU):
                for name in x.columns.names:
                    if name.upper() not in TIME_KEYWORDS:
                        assert np.array_equal(x.data[name], y.data[name]), (x.name, name)
            elif x.data is not None:
                assert x.data.tobytes() == y.data.tobytes(), x.name


def _sh(command, **kwargs):
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def ramp_set(tmp_path_factory):
    """A small simulated NIRCam ramp with exact references (non-linear, with dark current)."""
    from click.testing import CliRunner

    directory = tmp_path_factory.mktemp("sim")
    args = ["-o", str(directory), "--size", "64", "64", "--ngroups", "6",
            "--nonlinear", "--dark-current", "0.5"]
    result = CliRunner().invoke(cli, ["simulate", "ramp", *args, "--seed", "4"])
    assert result.exit_code == 0, result.output
    (uncal,) = directory.glob("*_uncal.fits")
    return directory, uncal


def _refs(d):
    return {name: d / f"{name}.fits" for name in
            ("mask", "saturation", "superbias", "linearity", "dark", "gain", "readnoise")}


def stage1_text(d):
    r = _refs(d)
    return (f"dq-init --mask {r['mask']} | jump --gain {r['gain']} --readnoise {r['readnoise']} "
            f"| ramp-fit --gain {r['gain']} --readnoise {r['readnoise']}")


def detector1_text(d):
    r = _refs(d)
    return (f"dq-init --mask {r['mask']} | saturation --saturation {r['saturation']} "
            f"| superbias --superbias {r['superbias']} | refpix | linearity --linearity {r['linearity']} "
            f"| dark --dark {r['dark']} | jump --gain {r['gain']} --readnoise {r['readnoise']} "
            f"| ramp-fit --gain {r['gain']} --readnoise {r['readnoise']}")


def _as_shell(jwcal_exe, text):
    return " | ".join(f"{jwcal_exe} {stage.strip()}" for stage in text.split("|"))


@pytest.mark.parametrize("chain", [stage1_text, detector1_text], ids=["stage1", "detector1"])
def test_run_writes_what_the_shell_pipe_writes(jwcal_exe, ramp_set, tmp_path, chain):
    directory, uncal = ramp_set
    text = chain(directory)
    shell = _sh(f"set -o pipefail; cat {uncal} | {_as_shell(jwcal_exe, text)} > {tmp_path / 'shell.fits'}")
    assert shell.returncode == 0, shell.stderr
    run = _sh(f"{jwcal_exe} run '{text}' {uncal} -o {tmp_path / 'run_rate.fits'}")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    _same_apart_from_times(tmp_path / "run_rate.fits", tmp_path / "shell.fits")
    with fits.open(tmp_path / "run_rate.fits") as hdul:  # a real rate, not an empty match
        assert hdul["SCI"].data.shape == (64, 64)
        assert np.isfinite(hdul["SCI"].data).mean() > 0.9


def test_run_reads_stdin_and_writes_stdout_in_a_real_pipe(jwcal_exe, ramp_set, tmp_path):
    directory, uncal = ramp_set
    text = stage1_text(directory)
    result = _sh(f"set -o pipefail; cat {uncal} | jwcal run 'jwcal {text}' | {jwcal_exe} info",
                 env={**os.environ, "PATH": f"{Path(jwcal_exe).parent}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert "rate" in result.stdout.lower() or "S_RAMP" in result.stdout or "ramp" in result.stdout


def test_pipeline_file_with_comments_and_continuations(jwcal_exe, ramp_set, tmp_path):
    directory, uncal = ramp_set
    r = _refs(directory)
    path = tmp_path / "stage1.jwcal"
    path.write_text(f"# stage 1 with tuned jump threshold\n"
                    f"jwcal dq-init --mask {r['mask']} \\\n"
                    f"  | jump --gain {r['gain']} --readnoise {r['readnoise']} "
                    f"--rejection-threshold 5  # tuned\n"
                    f"  | ramp-fit --gain {r['gain']} --readnoise {r['readnoise']}\n")
    result = _sh(f"{jwcal_exe} run -f {path} {uncal} -o {tmp_path / 'x_rate.fits'}")
    assert result.returncode == 0, result.stderr
    with fits.open(tmp_path / "x_rate.fits") as hdul:
        history = "\n".join(str(h) for h in hdul[0].header.get("HISTORY", []))
        assert hdul[0].header["S_JUMP"] == "COMPLETE"
    assert "5.0" in history or "5" in history


def test_stage3_chain_equals_the_shell_pipe_crf_included(jwcal_exe, tmp_path):
    tset = make_tweak_set(tmp_path, n=3, seed=11)
    inputs = " ".join(map(str, tset.paths))
    shell = _sh(f"set -o pipefail; {jwcal_exe} tweakreg {inputs} --abs-refcat {tset.refcat} "
                f"| {jwcal_exe} outlier -o {tmp_path / 'crf_shell'} "
                f"| {jwcal_exe} resample -o {tmp_path / 'shell_i2d.fits'}")
    assert shell.returncode == 0, shell.stderr
    text = f"tweakreg {inputs} --abs-refcat {tset.refcat} | outlier -o {tmp_path / 'crf_run'} | resample"
    run = _sh(f"{jwcal_exe} run '{text}' -o {tmp_path / 'run_i2d.fits'}")
    assert run.returncode == 0, run.stderr
    _same_apart_from_times(tmp_path / "run_i2d.fits", tmp_path / "shell_i2d.fits")
    shell_crf = sorted((tmp_path / "crf_shell").iterdir())
    assert len(shell_crf) == 3
    for path in shell_crf:
        _same_apart_from_times(tmp_path / "crf_run" / path.name, path)


@pytest.mark.parametrize(("text", "message"), [
    ("dq-init --mask M | jump --no-such-option", "stage 2 (jump)"),
    ("dq-init --mask M | jupm", "did you mean jump"),
    ("cat a.fits | dq-init --mask M", "stage 1 (cat)"),
    ("dq-init --mask M || jump", "not a pipe"),
    ("dq-init --mask M | | jump", "empty stage"),
    ("dq-init --mask 'M", "closing quotation"),
    ("jwcal -v dq-init --mask M", "options of jwcal itself"),
    ("", "empty"),
])
def test_bad_pipelines_are_usage_errors_naming_the_stage(runner, ramp_set, text, message):
    directory, uncal = ramp_set
    text = text.replace("M", str(directory / "mask.fits"))
    result = runner.invoke(cli, ["run", text, str(uncal), "-o", "/nonexistent/x.fits"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_input_or_output_given_twice_is_a_usage_error(runner, ramp_set, tmp_path):
    directory, uncal = ramp_set
    mask = directory / "mask.fits"
    twice_in = runner.invoke(cli, ["run", f"dq-init --mask {mask} {uncal}", str(uncal)])
    assert twice_in.exit_code == 2
    assert "give IN either" in twice_in.output
    middle_o = runner.invoke(cli, ["run", f"dq-init --mask {mask} -o {tmp_path / 'a.fits'} | refpix",
                                   str(uncal), "-o", str(tmp_path / "b.fits")])
    assert middle_o.exit_code == 2
    assert "stage 1 (dq-init)" in middle_o.output
    assert not (tmp_path / "a.fits").exists()
    assert not (tmp_path / "b.fits").exists()


def test_a_failing_stage_fails_the_run_and_leaves_no_output(jwcal_exe, ramp_set, tmp_path):
    directory, uncal = ramp_set
    r = _refs(directory)
    # ramp-fit on a reference file for another kind of data: a data error in the last stage
    other = tmp_path / "other_gain.fits"
    with fits.open(r["gain"]) as hdul:
        hdul[0].header["DETECTOR"] = "NRCA1"
        hdul.writeto(other)
    text = f"dq-init --mask {r['mask']} | ramp-fit --gain {other} --readnoise {r['readnoise']}"
    out = tmp_path / "x_rate.fits"
    result = _sh(f"{jwcal_exe} run '{text}' {uncal} -o {out}")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("jwcal run: error: ramp-fit:")
    assert "NRCA1" in lines[0]
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_failing_first_stage_stops_the_later_stages(jwcal_exe, ramp_set, tmp_path):
    directory, _ = ramp_set
    bad = tmp_path / "bad_uncal.fits"
    bad.write_bytes(b"SIMPLE  =                    T" + b" " * 50 + b"END" + b" " * 77)
    result = _sh(f"{jwcal_exe} run '{stage1_text(directory)}' {bad} -o {tmp_path / 'x.fits'}", timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("jwcal run: error: dq-init:")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.fits").exists()


def test_run_refuses_to_replace_an_output_without_overwrite(runner, ramp_set, tmp_path):
    directory, uncal = ramp_set
    out = tmp_path / "x_ramp.fits"
    out.write_bytes(b"keep")
    text = f"dq-init --mask {directory / 'mask.fits'}"
    result = runner.invoke(cli, ["run", text, str(uncal), "-o", str(out)])
    assert result.exit_code == 1
    assert out.read_bytes() == b"keep"
    assert runner.invoke(cli, ["run", text, str(uncal), "-o", str(out), "--overwrite"]).exit_code == 0
    assert out.read_bytes()[:6] == b"SIMPLE"


def test_sigterm_mid_run_leaves_no_partial_output(jwcal_exe, tmp_path):
    from click.testing import CliRunner

    sim = tmp_path / "sim"
    assert CliRunner().invoke(cli, ["simulate", "ramp", "-o", str(sim), "--size", "512", "512",
                                    "--ngroups", "10"]).exit_code == 0
    (uncal,) = sim.glob("*_uncal.fits")
    out = tmp_path / "out" / "x_rate.fits"
    out.parent.mkdir()
    process = subprocess.Popen([jwcal_exe, "run", stage1_text(sim), str(uncal), "-o", str(out)],
                               stderr=subprocess.PIPE)
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert b"Traceback" not in stderr
    assert list(out.parent.iterdir()) in ([], [out])  # either finished before the signal, or nothing
    if process.returncode != 0:
        assert list(out.parent.iterdir()) == []


def test_a_stream_of_two_exposures_gives_what_the_shell_pipe_gives(jwcal_exe, ramp_set, tmp_path):
    directory, uncal = ramp_set
    second = tmp_path / "jw01234001001_01101_00002_nrcb1_uncal.fits"
    with fits.open(uncal) as hdul:
        hdul[0].header["FILENAME"] = second.name
        hdul[0].header["EXPOSURE"] = "00002"
        hdul["SCI"].data = hdul["SCI"].data[:, :, ::-1, :].copy()  # other pixels, same references
        hdul.writeto(second)
    text = stage1_text(directory)
    path = f"{Path(jwcal_exe).parent}:{os.environ['PATH']}"
    shell = _sh(f"set -o pipefail; jwcal cat {uncal} {second} | {_as_shell('jwcal', text)} "
                f"| jwcal split -o {tmp_path / 'shell'}", env={**os.environ, "PATH": path})
    assert shell.returncode == 0, shell.stderr
    run = _sh(f"set -o pipefail; jwcal cat {uncal} {second} | jwcal run '{text}' "
              f"| jwcal split -o {tmp_path / 'run'}", env={**os.environ, "PATH": path})
    assert run.returncode == 0, run.stderr
    names = sorted(p.name for p in (tmp_path / "shell").iterdir())
    assert len(names) == 2
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == names
    for name in names:
        _same_apart_from_times(tmp_path / "run" / name, tmp_path / "shell" / name)


def test_refs_directory_gives_each_detector_its_own_files(runner, tmp_path):
    import shutil

    refs, raw = tmp_path / "refs", tmp_path / "raw"
    refs.mkdir()
    raw.mkdir()
    for detector in ("nrcb1", "nrcb2"):
        sim = tmp_path / detector
        args = ["simulate", "ramp", "-o", str(sim), "--detector", detector, "--size", "32", "32",
                "--ngroups", "5"]
        assert runner.invoke(cli, args).exit_code == 0
        for reftype in ("mask", "gain", "readnoise"):
            shutil.copy(sim / f"{reftype}.fits", refs / f"{detector}_{reftype}.fits")
        for uncal in sim.glob("*_uncal.fits"):
            shutil.copy(uncal, raw / uncal.name)
    uncals = sorted(map(str, raw.iterdir()))
    result = runner.invoke(cli, ["run", "dq-init | jump | ramp-fit", "--refs", str(refs), *uncals,
                                 "-o", str(tmp_path / "rate"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    for detector in ("nrcb1", "nrcb2"):
        (rate,) = (tmp_path / "rate").glob(f"*_{detector}_rate.fits")
        header = fits.getheader(rate)
        assert header["DETECTOR"] == detector.upper()
        assert header["R_MASK"].endswith(f"{detector}_mask.fits")
        assert header["R_GAIN"].endswith(f"{detector}_gain.fits")
        assert header["R_READNO"].endswith(f"{detector}_readnoise.fits")
    # a reference option given in the stage wins over --refs
    single = runner.invoke(cli, ["run", f"dq-init --mask {refs / 'nrcb2_mask.fits'} | jump | ramp-fit",
                                 "--refs", str(refs), uncals[0], "-o", str(tmp_path / "x_rate.fits")])
    assert single.exit_code == 1  # nrcb2's mask on nrcb1 data
    assert "MASK" in single.output
