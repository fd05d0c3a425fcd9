"""``jwcal simulate ramp``: wall time and peak RSS of full-frame raw ramps (NIRCam, MIRI).

There is no reference implementation to compare with; the numbers are the generation cost that
the demo, tests and the detector-1 benchmarks pay, and the size of what is written.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from refenv import timed

JWCAL = str(Path(sys.executable).parent / "jwcal")


def main(workdir: Path) -> dict:
    """Generate full-frame 10-group ramps (plain, and with non-linearity + dark) and report cost."""
    results = {}
    for label, args in (("nrcb1_full_10g", []),
                        ("nrcb1_full_10g_nonlinear_dark", ["--nonlinear", "--dark-current", "0.01"]),
                        ("mirimage_full_10g", ["--detector", "MIRIMAGE"])):
        out = workdir / label
        shutil.rmtree(out, ignore_errors=True)
        seconds, rss = timed([JWCAL, "simulate", "ramp", "-o", str(out), "--ngroups", "10", "--seed", "1",
                              *args])
        written = sum(p.stat().st_size for p in out.iterdir())
        shutil.rmtree(out, ignore_errors=True)
        results[label] = {"wall_s": seconds, "peak_rss_mb": rss, "written_mb": written / 2**20}
    return results
