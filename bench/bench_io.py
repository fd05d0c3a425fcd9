"""Stream I/O: `jwcal cat` through a pipe against plain `cat` on a 300 MB file; start-up cost."""

from __future__ import annotations

import shutil
import statistics
import sys
from pathlib import Path

import numpy as np
from astropy.io import fits
from refenv import timed

SIZE_MB = 300


def _make_file(path: Path) -> Path:
    if path.exists():
        return path
    ngroups = 9
    sci = np.random.default_rng(0).integers(0, 60000, size=(1, ngroups, 2048, 2048 * 4), dtype=np.uint16)
    primary = fits.PrimaryHDU()
    primary.header["FILENAME"] = "jw00000001001_01101_00001_nrcb1_uncal.fits"
    fits.HDUList([primary, fits.ImageHDU(sci, name="SCI")]).writeto(path)
    return path


def _best_of(command: str, repeat: int = 3) -> tuple[float, float]:
    runs = [timed(["sh", "-c", command]) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main(workdir: Path) -> dict:
    big = _make_file(workdir / "big.fits")
    size_mb = big.stat().st_size / 1e6
    jwcal = shutil.which("jwcal") or str(Path(sys.executable).parent / "jwcal")
    # warm the page cache so both commands read from memory
    _best_of(f"cat {big} > /dev/null", repeat=1)
    plain, plain_rss = _best_of(f"cat {big} | cat > /dev/null")
    ours, ours_rss = _best_of(f"{jwcal} cat {big} | cat > /dev/null")
    ours_stdin, _ = _best_of(f"cat {big} | {jwcal} cat - | cat > /dev/null")
    # memory of one exposure, not of the stream: split a stream of three copies of the file
    split_dir = workdir / "split"
    shutil.rmtree(split_dir, ignore_errors=True)
    stream_cmd = (f"{jwcal} cat {big} {big} {big} | {jwcal} split -o {split_dir} --suffix ramp "
                  f"2>/dev/null || true")
    # three identical names are refused at the end, after all three were read: the peak is what counts
    split_seconds, split_rss = timed(["sh", "-c", stream_cmd])
    help_times = [timed([jwcal, "--help"], capture_output=True)[0] for _ in range(5)]
    return {
        "file_mb": round(size_mb, 1),
        "plain_cat_seconds": plain,
        "jwcal_cat_seconds": ours,
        "jwcal_cat_from_stdin_seconds": ours_stdin,
        "ratio_jwcal_over_cat": round(ours / max(plain, 1e-3), 2),
        "ratio_stdin_over_cat": round(ours_stdin / max(plain, 1e-3), 2),
        "jwcal_cat_peak_rss_mb": round(ours_rss, 1),
        "plain_cat_peak_rss_mb": round(plain_rss, 1),
        "split_3_exposure_stream_seconds": split_seconds,
        "split_3_exposure_stream_peak_rss_mb": round(split_rss, 1),
        "jwcal_help_seconds_median": statistics.median(help_times),
        "target": "jwcal cat within 2x of cat; --help <= 0.3 s",
    }
