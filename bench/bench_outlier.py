"""``jwcal outlier`` against jwst's imaging outlier detection redone with the drizzle C package.

jwst's OutlierDetectionStep needs gwcs-bearing datamodels, which jwcal's simulated ``_cal`` files
(FITS TAN-SIP WCS, no ASDF) do not carry, so the reference is a script doing what the step does
(jwst 3.0 ``outlier_detection/imaging.py`` + stcal ``outlier_detection/utils.py``, defaults), with
drizzle 3.0 and astropy WCS in place of gwcs:

1. each exposure alone drizzled onto the common output grid (``resample_data=True``, square
   kernel, pixfrac 1, ``ivm`` weights = 1/VAR_RNOISE, good bits ``~DO_NOT_USE``), pixel map from
   ``drizzle.utils.calc_pixmap``;
2. pixels with weight below ``maskpt=0.7`` × the 3-sigma-clipped mean non-zero weight set NaN;
3. the NaN-median of all single-drizzled frames, in memory (jwst's default ``in_memory=True``);
4. the median blotted back to each input (pixel map recomputed, NaN → -1,
   ``drizzle.resample.blot_image(..., interp="linear", fillval=NaN)``);
5. jwst's two-threshold derivative test, snr "5.0 4.0", scale "1.2 0.7", 3×3 dilation of the
   first mask.

The output grid is the one ``jwcal resample`` builds by default (jwst's default grid: same rule),
taken from an untimed ``jwcal resample`` run, so both sides drizzle onto the same pixels.

Inputs come from ``jwcal simulate images`` with an exact header WCS (no pointing error: no
tweakreg needed) and a raised cosmic-ray density; truth is the CRMASK of ``*_truth_wcs.fits``.
Reported per case: wall time and peak RSS of each side (whole commands, FITS I/O included), the
speed ratio, the fraction of pixels whose outlier flag agrees, and each side's recall of injected
cosmic-ray pixels (all, and those at least 10 ERR above the noiseless model).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
JWCAL = str(Path(sys.executable).parent / "jwcal")

REFERENCE_SCRIPT = r'''
import json, sys, time, warnings
import numpy as np
from astropy.io import fits
from astropy.stats import sigma_clip
from astropy.wcs import WCS
from scipy import ndimage
import drizzle
from drizzle.resample import Drizzle, blot_image
from drizzle.utils import calc_pixmap

i2d, out_npz, *inputs = sys.argv[1:]
MASKPT, SNR, SCALE, BACKG = 0.7, (5.0, 4.0), (1.2, 0.7), 0.0
DO_NOT_USE = 1
header = fits.getheader(i2d, "SCI")
ny, nx = header["NAXIS2"], header["NAXIS1"]
out_wcs = WCS(header)
out_wcs.pixel_shape = (nx, ny)
times = dict.fromkeys(("pixmap", "drizzle", "median", "blot", "flag"), 0.0)


def load(path):
    with fits.open(path) as hdul:
        sci = hdul["SCI"].data.astype(np.float32)
        err = hdul["ERR"].data.astype(np.float32)
        dq = hdul["DQ"].data.astype(np.uint32)
        var = hdul["VAR_RNOISE"].data.astype(np.float32)
        wcs = WCS(hdul["SCI"].header)
    return sci, err, dq, var, wcs


def deriv(image):
    # largest |difference| to the 4 edge neighbours inside the array; NaN stays NaN
    out = np.zeros_like(image)
    for axis in (0, 1):
        d = np.abs(np.diff(image, axis=axis))
        d[~np.isfinite(d)] = 0.0
        lo = [slice(None), slice(None)]
        hi = [slice(None), slice(None)]
        lo[axis], hi[axis] = slice(1, None), slice(None, -1)
        np.maximum(out[tuple(lo)], d, out=out[tuple(lo)])
        np.maximum(out[tuple(hi)], d, out=out[tuple(hi)])
    out[np.isnan(image)] = np.nan
    return out


cube = np.empty((len(inputs), ny, nx), np.float32)
for k, path in enumerate(inputs):
    sci, err, dq, var, wcs = load(path)
    t0 = time.perf_counter()
    pixmap = calc_pixmap(wcs, out_wcs, sci.shape)
    times["pixmap"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    with np.errstate(divide="ignore", invalid="ignore"):
        wht = (1.0 / var).astype(np.float32)
    wht[~np.isfinite(wht) | ((dq & DO_NOT_USE) != 0) | ~np.isfinite(sci)] = 0.0
    single = Drizzle(kernel="square", fillval="NaN", out_shape=(ny, nx), disable_ctx=True)
    single.add_image(sci, exptime=1.0, pixmap=pixmap, weight_map=wht, pixfrac=1.0, in_units="cps")
    w = single.out_wht
    good = w[np.isfinite(w) & (w != 0)]
    thr = MASKPT * np.mean(sigma_clip(good, sigma=3, maxiters=5, masked=False, copy=False), dtype="f8")
    img = single.out_img.astype(np.float32)
    img[w < thr] = np.nan
    cube[k] = img
    times["drizzle"] += time.perf_counter() - t0
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", RuntimeWarning)
    median = np.nanmedian(cube, axis=0).astype(np.float32)
del cube
times["median"] = time.perf_counter() - t0
masks = {}
for k, path in enumerate(inputs):
    sci, err, dq, var, wcs = load(path)
    t0 = time.perf_counter()
    pixmap = calc_pixmap(wcs, out_wcs, sci.shape)
    pixmap[np.isnan(pixmap)] = -1
    times["pixmap"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    blot = blot_image(median, pixmap, fillval=np.nan, iscale=1.0, interp="linear")
    times["blot"] += time.perf_counter() - t0
    t0 = time.perf_counter()
    e = np.nan_to_num(err)
    d = deriv(blot)
    diff = np.abs(sci - blot - BACKG)
    with np.errstate(invalid="ignore"):
        m1 = diff > SCALE[0] * d + SNR[0] * e
        m2 = diff > SCALE[1] * d + SNR[1] * e
    m1s = ndimage.convolve(m1.astype(np.int32), np.ones((3, 3), np.int32), mode="nearest") > 0
    masks[f"m{k}"] = m1s & m2
    times["flag"] += time.perf_counter() - t0
np.savez_compressed(out_npz, **masks)
print(json.dumps({"phase_s": {k: round(v, 3) for k, v in times.items()}, "version": drizzle.__version__}))
'''


def _timed(command, **kwargs):
    sys.path.insert(0, str(HERE))
    from refenv import timed

    return timed(command, **kwargs)


def _reference_python(workdir: Path):
    sys.path.insert(0, str(HERE))
    from bench_stage3 import _reference_python as stage3_python

    return stage3_python(workdir)


def simulate(directory: Path, n: int, size: int, *, seed: int = 7, cr_density: float = 2000.0) -> list[str]:
    """Write ``n`` exposures of ``size``² with ``jwcal simulate images`` (exact header WCS); return paths."""
    import subprocess

    cals = sorted(directory.glob("*_cal.fits"))
    if len(cals) != n:
        subprocess.run([JWCAL, "simulate", "images", "-o", str(directory), "--overwrite", "--nexposures",
                        str(n), "--size", str(size), str(size), "--seed", str(seed), "--wcs-error-min", "0",
                        "--wcs-error-max", "0", "--roll-error-max", "0", "--cr-density", str(cr_density)],
                       check=True, stdout=subprocess.DEVNULL)
        cals = sorted(directory.glob("*_cal.fits"))
    return [str(p) for p in cals]


def _truth(path: str):
    """(CR pixel mask, CR pixels ≥ 10 ERR above the noiseless model) of one simulated exposure."""
    from astropy.io import fits

    with fits.open(path.replace("_cal.fits", "_truth_wcs.fits")) as truth, fits.open(path) as cal:
        cr = truth["CRMASK"].data > 0
        excess = cal["SCI"].data.astype(np.float64) - truth["MODEL"].data
        with np.errstate(invalid="ignore"):
            bright = cr & (excess > 10.0 * cal["ERR"].data)
    return cr, bright


def compare(paths: list[str], workdir: Path, python: str, env: dict) -> dict:
    """Time and compare ``jwcal outlier`` and the drizzle-based reference on ``paths``."""
    from astropy.io import fits

    workdir.mkdir(parents=True, exist_ok=True)
    import subprocess

    i2d = workdir / "grid_i2d.fits"
    subprocess.run([JWCAL, "resample", *paths, "-o", str(i2d), "--overwrite"], check=True,
                   stdout=subprocess.DEVNULL)
    crf = workdir / "crf"
    # A fresh directory, as a first run has: replacing the old 100 MB outputs costs the kernel
    # ~0.15 s each in page-cache releases (measured), which the reference, writing nothing, never pays.
    shutil.rmtree(crf, ignore_errors=True)
    jw_wall, jw_rss = _timed([JWCAL, "outlier", *paths, "-o", str(crf)],
                             stdout=subprocess.DEVNULL)  # -o DIR tees to stdout unless it is /dev/null
    script = workdir / "outlier_reference.py"
    script.write_text(REFERENCE_SCRIPT)
    npz = workdir / "reference_masks.npz"
    report = workdir / "reference.json"
    with open(report, "w") as handle:
        ref_wall, ref_rss = _timed([python, str(script), str(i2d), str(npz), *paths], env=env, stdout=handle)
    ref = json.loads(report.read_text())
    agree = total = 0
    counts = {"jwcal": 0, "reference": 0, "both": 0}
    hits = {"jwcal": [0, 0], "reference": [0, 0]}
    false = {"jwcal": 0, "reference": 0}
    ncr = nbright = 0
    with np.load(npz) as masks:
        for k, path in enumerate(paths):
            with fits.open(crf / Path(path).name.replace("_cal.fits", "_crf.fits")) as hdul:
                mine = (hdul["DQ"].data.astype(np.uint32) & 16) != 0
            theirs = masks[f"m{k}"]
            cr, bright = _truth(path)
            agree += int((mine == theirs).sum())
            total += mine.size
            counts["jwcal"] += int(mine.sum())
            counts["reference"] += int(theirs.sum())
            counts["both"] += int((mine & theirs).sum())
            ncr += int(cr.sum())
            nbright += int(bright.sum())
            for name, flags in (("jwcal", mine), ("reference", theirs)):
                hits[name][0] += int((flags & cr).sum())
                hits[name][1] += int((flags & bright).sum())
                false[name] += int((flags & ~cr).sum())
    return {
        "n": len(paths), "shape": list(fits.getdata(paths[0], "SCI").shape),
        "grid_shape": list(fits.getdata(i2d, "SCI").shape), "drizzle_version": ref["version"],
        "wall_s": {"jwcal": jw_wall, "reference": ref_wall},
        "speedup": round(ref_wall / jw_wall, 2),
        "peak_rss_mb": {"jwcal": round(jw_rss, 1), "reference": round(ref_rss, 1)},
        "reference_phase_s": ref["phase_s"],
        "flag_agreement": total and agree / total,
        "flagged_pixels": counts,
        "cr_pixels": ncr, "cr_pixels_bright": nbright,
        "recall": {k: round(v[0] / max(ncr, 1), 4) for k, v in hits.items()},
        "recall_bright": {k: round(v[1] / max(nbright, 1), 4) for k, v in hits.items()},
        "flagged_not_cr": false,
    }


def main(workdir: Path, cases=((4, 256), (16, 256), (4, 512), (16, 512))) -> dict:
    """Run the outlier benchmark in ``workdir``; return the measurements (one entry per N × size)."""
    workdir.mkdir(parents=True, exist_ok=True)
    python, env = _reference_python(workdir)
    result = {}
    for n, size in cases:
        paths = simulate(workdir / f"sim_n{n}_{size}", n, size)
        result[f"n{n}_{size}"] = compare(paths, workdir / f"run_n{n}_{size}", python, env)
    return result


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "work" / "outlier"
    cases = tuple(tuple(int(v) for v in c.split("x")) for c in sys.argv[2:]) or None
    results = main(out, cases) if cases else main(out)
    print(json.dumps(results, indent=2))
