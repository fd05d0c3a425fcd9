"""Real processes and real pipes: the command contract as a shell sees it."""

import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from tests import factories


def _sh(command, **kwargs):
    return subprocess.run(["sh", "-c", command], capture_output=True, **kwargs)


def test_cat_pipe_cat_pipe_split_reproduces_both_files(jwcal_exe, uncal_file, rate_file, tmp_path):
    out = tmp_path / "out"
    result = _sh(f"cat {uncal_file} {rate_file} | {jwcal_exe} cat - | {jwcal_exe} split -o {out}")
    assert result.returncode == 0, result.stderr
    written = sorted(out.iterdir())
    assert [p.read_bytes() for p in written] == [Path(uncal_file).read_bytes(), Path(rate_file).read_bytes()]


def test_closed_pipe_ends_quietly(jwcal_exe, tmp_path):
    big = factories.write(factories.uncal_hdulist(ngroups=20, ny=128, nx=128), tmp_path / "big.fits")
    result = _sh(f"{jwcal_exe} cat {big} {big} {big} | head -c 100 > /dev/null", text=True)
    assert result.stderr == ""
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {jwcal_exe} cat {big} {big} | head -c 10 >/dev/null"],
        capture_output=True,
    )
    assert result.returncode == 0
    assert result.stderr == b""


def test_fits_is_never_written_to_a_terminal(jwcal_exe, uncal_file):
    script = f"import pty, sys; sys.exit(pty.spawn(['{jwcal_exe}', 'cat', '{uncal_file}']) >> 8)"
    result = subprocess.run(["python3", "-c", script], capture_output=True, timeout=30)
    assert b"refusing to write FITS to a terminal" in result.stdout  # the pty carries stderr too
    assert b"SIMPLE" not in result.stdout


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_mid_write_leaves_no_output_file(jwcal_exe, uncal_file, tmp_path, sig):
    data = Path(uncal_file).read_bytes()
    target = tmp_path / "out.fits"
    process = subprocess.Popen([jwcal_exe, "cat", "-", "-o", str(target)], stdin=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdin.write(data[: len(data) // 2])
    process.stdin.flush()
    deadline = time.time() + 20
    while not list(tmp_path.glob(".out.fits.*.part")) and time.time() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.fits.*.part")), "the writer never started"
    process.send_signal(sig)
    process.wait(timeout=20)
    process.stdin.close()
    process.stderr.close()
    assert not target.exists()
    if sig == signal.SIGTERM:
        assert not list(tmp_path.glob(".out.fits.*")), "SIGTERM must clean the temp file up"


def test_empty_stdin_and_usage_errors_through_a_shell(jwcal_exe):
    result = _sh(f"printf '' | {jwcal_exe} info -", text=True)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert _sh(f"{jwcal_exe} no-such-command").returncode == 2
    assert _sh(f"{jwcal_exe} --version", text=True).stdout.startswith("jwcal, version")


def test_stream_through_pipe_keeps_4d_uint16_values(jwcal_exe, uncal_file, tmp_path):
    out = tmp_path / "copy.fits"
    assert _sh(f"cat {uncal_file} | {jwcal_exe} cat > {out}").returncode == 0
    with fits.open(uncal_file) as a, fits.open(out) as b:
        np.testing.assert_array_equal(a["SCI"].data, b["SCI"].data)


# ---- issue 19: a chain with a broken input fails loudly, with and without pipefail


@pytest.mark.parametrize("pipefail", [True, False])
def test_chain_with_a_broken_file_fails_and_writes_nothing(jwcal_exe, tmp_path, pipefail):
    from tests.factories import stage1

    good = stage1.uncal()
    good.writeto(tmp_path / "a_uncal.fits")
    stage1.mask().writeto(tmp_path / "mask.fits")
    other = stage1.uncal()
    other[0].header["FILENAME"] = "jw01234001001_01101_00002_nrcb1_uncal.fits"
    other.writeto(tmp_path / "full.fits")
    (tmp_path / "bad_uncal.fits").write_bytes((tmp_path / "full.fits").read_bytes()[:-3000])
    chain = (f"{jwcal_exe} cat a_uncal.fits bad_uncal.fits | {jwcal_exe} dq-init --mask mask.fits "
             f"| {jwcal_exe} split -o sp/")
    result = subprocess.run(["bash", "-c", ("set -o pipefail; " if pipefail else "") + chain],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert "jwcal cat: error: bad_uncal.fits: truncated" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "sp").exists()  # nothing written, not even the good exposure


def test_chain_from_stdin_needs_pipefail_to_fail(jwcal_exe, tmp_path):
    # bytes cat reads once (stdin) go on one whole exposure at a time: the good one reaches split,
    # which then succeeds; only pipefail makes the chain report cat's failure (as the help says)
    from tests.factories import stage1

    stage1.uncal().writeto(tmp_path / "a_uncal.fits")
    stage1.mask().writeto(tmp_path / "mask.fits")
    other = stage1.uncal()
    other[0].header["FILENAME"] = "jw01234001001_01101_00002_nrcb1_uncal.fits"
    other.writeto(tmp_path / "full.fits")
    (tmp_path / "bad.fits").write_bytes((tmp_path / "full.fits").read_bytes()[:-3000])
    chain = (f"cat a_uncal.fits bad.fits | {jwcal_exe} cat | {jwcal_exe} dq-init --mask mask.fits "
             f"| {jwcal_exe} split -o sp/")
    loose = subprocess.run(["bash", "-c", chain], cwd=tmp_path, capture_output=True, text=True)
    assert loose.returncode == 0 and "truncated" in loose.stderr
    assert [p.name for p in (tmp_path / "sp").iterdir()] == ["jw01234001001_01101_00001_nrcb1_ramp.fits"]
    strict = subprocess.run(["bash", "-c", "set -o pipefail; " + chain.replace("sp/", "sp2/")],
                            cwd=tmp_path, capture_output=True, text=True)
    assert strict.returncode == 1
