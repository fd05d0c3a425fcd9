"""A separate virtual environment holding the STScI reference packages for comparisons."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

REFENV = Path(__file__).resolve().parent / "work" / "refenv"

#: Source text the reference scripts share (run in REFENV with numpy and astropy.io.fits imported):
#: ``load(path) -> (primary header, SCI float32, GROUPDQ uint8, PIXELDQ uint32)`` of a ``_ramp`` file.
RAMP_LOADER = """
def load(path):
    with fits.open(path) as h:
        hdr = h[0].header
        data = np.ascontiguousarray(h["SCI"].data, dtype="<f4")
        gdq = np.ascontiguousarray(h["GROUPDQ"].data, dtype=np.uint8)
        pdq = np.ascontiguousarray(h["PIXELDQ"].data, dtype="<u4")
    return hdr, data, gdq, pdq
"""


def reference_python(*packages: str) -> str:
    """Return the python of the reference environment, installing ``packages`` into it if missing."""
    python = REFENV / "bin" / "python"
    if not python.exists():
        venv.create(REFENV, with_pip=True)
    missing = [p for p in packages if subprocess.run(
        [str(python), "-c", f"import {p.split('==')[0].replace('-', '_')}"], capture_output=True
    ).returncode]
    if missing:
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *missing], check=True,
                       stdout=sys.stderr)
    return str(python)


def pinned_python(requirement: str) -> tuple[str, str]:
    """Return ``(python, version)`` of the reference environment with exactly ``name==version`` installed."""
    name, wanted = requirement.split("==")
    python = reference_python(requirement)
    version = subprocess.run([python, "-c", f"import {name}; print({name}.__version__)"], capture_output=True,
                             text=True).stdout.strip()
    if version != wanted:
        subprocess.run([python, "-m", "pip", "install", "--quiet", requirement], check=True,
                       stdout=sys.stderr)
    return python, wanted


def timed(command: list[str], **kwargs) -> tuple[float, float]:
    """Run ``command`` (a list, or ``["sh", "-c", pipeline]``); return (wall s, peak RSS MB).

    Uses GNU time's maximum resident set size, which for ``sh -c`` pipelines is that of the
    largest single process of the pipeline.
    """
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", report.name, *command], check=True, **kwargs)
        seconds, kilobytes = report.read().split()[-2:]
    return float(seconds), float(kilobytes) / 1024.0


def measured(command: list[str], **kwargs) -> dict[str, float]:
    """Run ``command`` like :func:`timed`; return wall s, CPU s (user + sys, all processes), peak RSS MB.

    For ``sh -c`` pipelines the CPU time covers all the pipeline's processes (the shell waits for
    them), the RSS is that of the largest one.
    """
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", report.name, *command], check=True,
                       **kwargs)
        wall, user, system, kilobytes = report.read().split()[-4:]
    return {"wall_s": float(wall), "cpu_s": float(user) + float(system),
            "peak_rss_mb": float(kilobytes) / 1024.0}
