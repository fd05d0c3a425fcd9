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
