"""A separate virtual environment holding the STScI reference packages for comparisons."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

REFENV = Path(__file__).resolve().parent / "work" / "refenv"


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


def peak_rss_mb(command: list[str], **kwargs) -> tuple[float, float]:
    """Run ``command``; return (wall seconds, peak RSS in MB of the process tree's largest child)."""
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, check=True, **kwargs)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(after, before) / 1024.0
