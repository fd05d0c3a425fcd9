"""Stage 3: ``jwcal resample`` against the drizzle C package, memory against N, outlier timing.

On the same inputs in one run:

* speed: the whole ``jwcal resample`` command (FITS I/O, WCS, pixel maps, drizzle of SCI and the
  three variance arrays) against a script doing the same work with ``drizzle.resample.Drizzle``
  (``calc_pixmap`` + 4 ``add_image`` per input, as jwst's ResampleStep), and the drizzle kernels
  alone (same inputs, each side's own pixel map);
* agreement: drizzle's SCI and WHT on jwcal's output grid against jwcal's mosaic;
* memory: peak RSS of ``jwcal resample`` for N = 4, 16, 64 small exposures on (nearly) the same
  mosaic grid: flat in N means streaming works;
* outlier: wall time and peak RSS of ``jwcal outlier`` for the same N.

The reference runs in bench/work/refenv (``refenv.reference_python``), with drizzle 3.0.0 installed
into its own directory so the environment's drizzle (used by stcal/jwst) is left alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DRIZZLE = "drizzle==3.0.0"
JWCAL = str(Path(sys.executable).parent / "jwcal")

REFERENCE_SCRIPT = r'''
import json, sys, time
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
import drizzle
from drizzle.resample import Drizzle
from drizzle.utils import calc_pixmap

kernel, pixfrac, i2d, out_npz, *inputs = sys.argv[1:]
pixfrac = float(pixfrac)
header = fits.getheader(i2d, "SCI")
ny, nx = header["NAXIS2"], header["NAXIS1"]
out_wcs = WCS(header)
out_wcs.pixel_shape = (nx, ny)
names = ("VAR_RNOISE", "VAR_POISSON", "VAR_FLAT")
sci_d = Drizzle(kernel=kernel, fillval="NaN", out_shape=(ny, nx), max_ctx_id=len(inputs))
var_d = [Drizzle(kernel=kernel, fillval="NaN", out_shape=(ny, nx), disable_ctx=True) for _ in names]
t_pixmap = t_drizzle = 0.0
for path in inputs:
    with fits.open(path) as hdul:
        sci = hdul["SCI"].data.astype(np.float32)
        dq = hdul["DQ"].data
        var = [hdul[n].data.astype(np.float32) for n in names]
        wcs = WCS(hdul["SCI"].header)
    t0 = time.perf_counter()
    pixmap = calc_pixmap(wcs, out_wcs, sci.shape)
    t_pixmap += time.perf_counter() - t0
    with np.errstate(divide="ignore"):
        wht = (1.0 / var[0]).astype(np.float32)
    wht[~np.isfinite(wht) | ((dq & 513) != 0) | ~np.isfinite(sci)] = 0.0
    t0 = time.perf_counter()
    sci_d.add_image(sci, exptime=1.0, pixmap=pixmap, weight_map=wht, pixfrac=pixfrac, in_units="cps")
    for d, v in zip(var_d, var):
        d.add_image(np.sqrt(v), exptime=1.0, pixmap=pixmap, weight_map=wht, pixfrac=pixfrac, in_units="cps")
    t_drizzle += time.perf_counter() - t0
np.savez(out_npz, sci=sci_d.out_img, wht=sci_d.out_wht)
print(json.dumps({"pixmap_s": t_pixmap, "drizzle_s": t_drizzle, "version": drizzle.__version__}))
'''


def _reference_python(workdir: Path) -> tuple[str, dict]:
    sys.path.insert(0, str(HERE))
    from refenv import reference_python

    python = reference_python("astropy")
    target = workdir.parent / "drizzle3"
    if not (target / "drizzle").exists():
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                        DRIZZLE], check=True, stdout=sys.stderr)
    env = {**os.environ, "PYTHONPATH": str(target)}
    return python, env


def _make_inputs(directory: Path, n: int, shape, *, nstars: int, seed: int = 0) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from tests.factories.resample import make_cal_set, write_set

    if directory.exists() and len(list(directory.glob("*_cal.fits"))) == n:
        return sorted(str(p) for p in directory.glob("*_cal.fits"))
    calset = make_cal_set(n, shape, nstars=nstars, ncr=max(10, shape[0] // 10), seed=seed, dither=8.0)
    return write_set(calset, directory, asn=False)


def _timed(command, **kwargs):
    sys.path.insert(0, str(HERE))
    from refenv import timed

    return timed(command, **kwargs)


def _kernel_time(paths, i2d, kernel, pixfrac):
    """Seconds of jwcal's drizzle of SCI + 3 sqrt(variance) channels alone, summed over inputs."""
    from astropy.io import fits
    from astropy.wcs import WCS

    from jwcal.algorithms import resample as alg
    from jwcal.steps import fits_wcs

    header = fits.getheader(i2d, "SCI")
    out_wcs = WCS(header)
    shape = (header["NAXIS2"], header["NAXIS1"])
    t_pixmap = t_drizzle = 0.0
    for path in paths:
        with fits.open(path) as hdul:
            sci = hdul["SCI"].data.astype(np.float32)
            var = [hdul[n].data.astype(np.float32) for n in ("VAR_RNOISE", "VAR_POISSON", "VAR_FLAT")]
            wcs = WCS(hdul["SCI"].header)
        t0 = time.perf_counter()
        pmap = fits_wcs.pixmap(wcs, out_wcs, sci.shape)
        t_pixmap += time.perf_counter() - t0
        wht = (1.0 / var[0]).astype(np.float32)
        chans = np.stack([sci, *[np.sqrt(v) for v in var]])
        t0 = time.perf_counter()
        alg.drizzle(chans, wht, pmap, shape, kernel=kernel, pixfrac=pixfrac)
        t_drizzle += time.perf_counter() - t0
    return t_pixmap, t_drizzle


def _compare(paths, workdir, python, env, kernel, pixfrac):
    from astropy.io import fits

    i2d = workdir / f"jwcal_{kernel}_i2d.fits"
    jw_wall, jw_rss = _timed([JWCAL, "resample", *paths, "-o", str(i2d), "--overwrite", "--kernel", kernel,
                              "--pixfrac", str(pixfrac)])
    script = workdir / "drizzle_reference.py"
    script.write_text(REFERENCE_SCRIPT)
    npz = workdir / f"drizzle_{kernel}.npz"
    report = workdir / f"drizzle_{kernel}.json"
    with open(report, "w") as handle:
        ref_wall, ref_rss = _timed([python, str(script), kernel, str(pixfrac), str(i2d), str(npz), *paths],
                                   env=env, stdout=handle)
    ref = json.loads(report.read_text())
    _kernel_time(paths[:1], i2d, kernel, pixfrac)  # warm the numba cache
    jw_pixmap, jw_drizzle = _kernel_time(paths, i2d, kernel, pixfrac)
    with fits.open(i2d) as hdul, np.load(npz) as dz:
        sci, wht = hdul["SCI"].data.astype(np.float64), hdul["WHT"].data.astype(np.float64)
        rsci, rwht = dz["sci"].astype(np.float64), dz["wht"].astype(np.float64)
    both = np.isfinite(sci) & np.isfinite(rsci) & (wht > 0) & (rwht > 0)
    interior = both & (rwht > 0.5 * np.nanmax(rwht))
    flux, rflux = sci[both].sum(), rsci[both].sum()
    wht_rel = np.abs(wht[interior] - rwht[interior]) / rwht[interior]
    sci_rel = np.abs(sci[interior] - rsci[interior]) / np.maximum(np.abs(rsci[interior]), 1e-12)
    return {
        "kernel": kernel, "pixfrac": pixfrac, "drizzle_version": ref["version"],
        "command_wall_s": {"jwcal": jw_wall, "drizzle_script": ref_wall},
        "command_speedup": round(ref_wall / jw_wall, 2),
        "command_peak_rss_mb": {"jwcal": round(jw_rss, 1), "drizzle_script": round(ref_rss, 1)},
        "pixmap_s": {"jwcal": round(jw_pixmap, 3), "drizzle_calc_pixmap": round(ref["pixmap_s"], 3)},
        "drizzle_4_channels_s": {"jwcal": round(jw_drizzle, 3), "drizzle": round(ref["drizzle_s"], 3)},
        "kernel_speedup": round(ref["drizzle_s"] / jw_drizzle, 2),
        "flux_rel_diff": float(abs(flux - rflux) / abs(rflux)),
        "wht_rel_diff_median": float(np.median(wht_rel)),
        "wht_rel_diff_p99": float(np.percentile(wht_rel, 99)),
        "sci_rel_diff_median": float(np.median(sci_rel)),
        "pixels_compared": int(both.sum()),
        "wht_zero_mismatch": int(((wht > 0) != (rwht > 0)).sum()),
    }


def main(workdir: Path) -> dict:
    """Run the stage-3 benchmark in ``workdir``; return the measurements."""
    workdir.mkdir(parents=True, exist_ok=True)
    python, env = _reference_python(workdir)
    result: dict = {}
    big = _make_inputs(workdir / "big", 4, (1024, 1024), nstars=300)
    result["resample_vs_drizzle_4x1024"] = [_compare(big, workdir, python, env, k, 1.0)
                                            for k in ("square", "turbo", "point")]
    result["resample_vs_drizzle_4x1024"].append(_compare(big, workdir, python, env, "square", 0.7))
    memory = {}
    outlier = {}
    for n in (4, 16, 64):
        paths = _make_inputs(workdir / f"n{n}", n, (256, 256), nstars=40, seed=n)
        wall, rss = _timed([JWCAL, "resample", *paths, "-o", str(workdir / f"n{n}_i2d.fits"), "--overwrite"])
        memory[n] = {"wall_s": wall, "peak_rss_mb": round(rss, 1)}
        crf = workdir / f"crf{n}"
        wall, rss = _timed([JWCAL, "outlier", *paths, "-o", str(crf), "--overwrite"])
        outlier[n] = {"wall_s": wall, "peak_rss_mb": round(rss, 1)}
    result["resample_memory_vs_n_256x256"] = memory
    result["outlier_vs_n_256x256"] = outlier
    return result


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "work" / "stage3"
    print(json.dumps(main(out), indent=2))
