"""``jwcal simulate images``: wall time and peak RSS of the full-frame dithered set (N = 4, 2048x2048).

There is no reference implementation to compare with; the numbers are the generation cost that
the demo, tests and other benchmarks pay, and the size of what is written.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from refenv import timed

JWCAL = str(Path(sys.executable).parent / "jwcal")


def main(workdir: Path) -> dict:
    """Generate N=4 full frames (and N=16 at 512x512) and report time, memory and bytes written."""
    results = {}
    for label, args in (("n4_full_frame", ["--nexposures", "4"]),
                        ("n16_512", ["--nexposures", "16", "--size", "512", "512"])):
        out = workdir / label
        shutil.rmtree(out, ignore_errors=True)
        seconds, rss = timed([JWCAL, "simulate", "images", "-o", str(out), "--seed", "1", *args])
        written = sum(p.stat().st_size for p in out.iterdir())
        results[label] = {"wall_s": seconds, "peak_rss_mb": rss, "written_mb": written / 2**20}
    return results
