"""Tweakreg: jwcal's matching + fitting against tweakwcs 0.9.3 on the same catalogs, and scaling in N.

Synthetic mosaics: N exposures on a grid (neighbours overlap by 40 % of a side), each 1000 x 1000 px
at 0.063"/px with a TAN-SIP header WCS that is off by up to 0.5" and 0.02 deg of roll; each catalog holds the
true pixel positions of the stars inside (brightest 200, 0.01 px centroid noise). The same
catalogs and headers go to

* jwcal: the relative-alignment core of ``jwcal.steps.tweakreg`` (growing local reference, 2-D
  histogram + tolerance matching, rshift fit with clipping) plus the header corrections;
* tweakwcs 0.9.3 (bench/work/refenv): ``FITSWCSCorrector`` + ``align_wcs(expand_refcat=True,
  fitgeom='rshift')`` with ``XYXYMatch``. A FITSWCSCorrector's tangent plane is in pixels of the
  reference image (``units = "pixel"``; jwst's JWSTWCSCorrector uses arcsec), so jwst's
  searchrad=2", separation=1", tolerance=0.7" are divided by the pixel scale (the 2-D histogram
  bins are one pixel either way: tweakwcs scales them by ``tp_pscale``). Two orderings:
  ``overlap`` (``enforce_user_order=False``, jwst's default: the next image is the one whose
  spherical polygon overlaps the growing reference most) and ``user`` (input order, row-major, so
  each image overlaps an earlier one: tweakwcs's matching and fitting without the polygon work).

Reported: wall time of each (headers and pixel catalogs in memory to corrected WCS; imports
excluded), the ratios, the relative residual of each (pixels, RMS over stars of what two exposures
say about the same star; same function for both), and jwcal's time per exposure as N grows.

Why the reference "never finished" before: not the matching. tweakwcs's time goes into
spherical_geometry polygon intersections (``overlap_matrix`` over all pairs, then
``_max_overlap_image`` of every remaining image against the ever-growing reference polygon at
each step); with ``overlap`` order that is ~7 s at N=10 and grows faster than N^2. With ``user`` order
tweakwcs is ~15x faster. Run: ``flock /tmp/jwcal-bench.lock .venv/bin/python bench/run.py tweakreg``
(or ``bench/bench_tweakreg.py --sizes 4 10 --overlap 4 --user 4 10`` for a subset).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SCALE = 0.063
SIZE = 1000
CRVAL = (53.16, -27.78)

REFERENCE_SCRIPT = r'''
import json, sys, time
import numpy as np
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS
from tweakwcs import FITSWCSCorrector, align_wcs, XYXYMatch

data = json.load(open(sys.argv[1]))
user_order = sys.argv[3] == "user"
pscale = data["scale"]
t0 = time.perf_counter()
cors = []
for i, (hdr, x, y) in enumerate(zip(data["headers"], data["x"], data["y"])):
    w = WCS(fits.Header(hdr))
    w.pixel_shape = (data["size"], data["size"])
    cors.append(FITSWCSCorrector(w, meta={"catalog": Table({"x": x, "y": y}), "group_id": i, "name": str(i)}))
# FITSWCSCorrector's tangent plane is in (reference-image) pixels: jwst's arcsec values / pixel scale
match = XYXYMatch(searchrad=2.0 / pscale, separation=1.0 / pscale, tolerance=0.7 / pscale, use2dhist=True)
t1 = time.perf_counter()
align_wcs(cors, enforce_user_order=user_order, expand_refcat=True, minobj=15, match=match, fitgeom="rshift",
          nclip=3, sigma=(3.0, "rmse"))
t2 = time.perf_counter()
out = []
for c in cors:
    h = c.wcs.to_header(relax=True)
    out.append({k: float(h[k]) for k in ("CRVAL1", "CRVAL2")} | {
        "PC": np.asarray(c.wcs.wcs.get_pc() * c.wcs.wcs.get_cdelt()[:, None]).tolist(),
        "status": str(c.meta.get("fit_info", {}).get("status"))})
json.dump({"seconds": t2 - t0, "setup_s": t1 - t0, "align_s": t2 - t1, "wcs": out}, open(sys.argv[2], "w"))
'''


def make_mosaic(n, seed=0, density=0.05):
    """Headers (perturbed), true headers, and catalogs of an n-exposure grid mosaic."""
    from tests.factories.tweakreg import _offset_crval, sip_header

    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n))
    fov = SIZE * SCALE
    step = fov * 0.6
    span = step * (side - 1) + fov + 10.0
    nstars = int(density * span * span)
    xi = rng.uniform(-span / 2, span / 2, nstars)
    eta = rng.uniform(-span / 2, span / 2, nstars)
    cosd = math.cos(math.radians(CRVAL[1]))
    ra = CRVAL[0] + xi / 3600.0 / cosd
    dec = CRVAL[1] + eta / 3600.0
    mag = rng.uniform(0, 1, nstars)
    from astropy.wcs import WCS

    headers, true_headers, xs, ys = [], [], [], []
    for k in range(n):
        i, j = divmod(k, side)
        center = ((j - (side - 1) / 2) * step, (i - (side - 1) / 2) * step)
        crval = _offset_crval(CRVAL, *center)
        crpix = ((SIZE + 1) / 2.0, (SIZE + 1) / 2.0)
        roll = 20.0
        true = sip_header(crval, crpix, roll, scale=SCALE)
        x, y = WCS(true).all_world2pix(ra, dec, 0)
        inside = (x > 2) & (x < SIZE - 3) & (y > 2) & (y < SIZE - 3)
        order = np.argsort(mag[inside])[:200]
        x = x[inside][order] + rng.normal(0, 0.01, order.size)
        y = y[inside][order] + rng.normal(0, 0.01, order.size)
        err = rng.uniform(-0.5, 0.5, 2)
        header = sip_header(_offset_crval(crval, *err), crpix, roll + rng.uniform(-0.02, 0.02), scale=SCALE)
        headers.append(header)
        true_headers.append(true)
        xs.append(x)
        ys.append(y)
    return headers, true_headers, xs, ys, np.column_stack([ra, dec])


def jwcal_align(headers, xs, ys):
    """Relative alignment with jwcal's step internals; return (seconds, corrected headers)."""
    from astropy.wcs import WCS

    from jwcal.steps import tweakreg as step

    t0 = time.perf_counter()
    groups = []
    images = []
    for k, (h, x, y) in enumerate(zip(headers, xs, ys, strict=True)):
        w = WCS(h)
        sky = w.all_pix2world(np.column_stack([x, y]), 0)
        center, radius = step._footprint(w, (SIZE, SIZE))
        img = step._Image(str(k), None, str(k), h, sky[:, 0], sky[:, 1], center, radius, SCALE)
        images.append(img)
        groups.append(step._Group(str(k), [img], sky[:, 0], sky[:, 1], center, radius))
    rel = dict(minobj=15, fitgeometry="rshift", nclip=3, sigma=3.0, searchrad=2.0, use2dhist=True,
               separation=1.0, tolerance=0.7, offset=(0.0, 0.0))
    step._relative(groups, rel, skip_unsupported=True)
    out = []
    for img in images:
        new = img.header
        for center, f, s in img.corrections:
            new = step.correct_header(new, center, f, s)
        out.append(new)
    return time.perf_counter() - t0, out, [img.status for img in images]


def relative_error(true_headers, headers, stars):
    """RMS (pixels) over stars and exposure pairs of the disagreement on a star's sky position."""
    from astropy.wcs import WCS

    per_star = {}
    for true, head in zip(true_headers, headers, strict=True):
        x, y = WCS(true).all_world2pix(stars[:, 0], stars[:, 1], 0)
        inside = np.nonzero((x > 2) & (x < SIZE - 3) & (y > 2) & (y < SIZE - 3))[0]
        ra, dec = WCS(head).all_pix2world(x[inside], y[inside], 0)
        for s, r, d in zip(inside, ra, dec, strict=True):
            per_star.setdefault(s, []).append((r, d))
    res = []
    cosd = math.cos(math.radians(CRVAL[1]))
    for values in per_star.values():
        if len(values) > 1:
            v = np.array(values)
            v = (v - v.mean(axis=0)) * [cosd * 3600.0, 3600.0]
            res.append(np.sum(v**2, axis=1))
    return math.sqrt(np.mean(np.concatenate(res))) / SCALE


def _reference(headers, xs, ys, workdir, order, timeout):
    """tweakwcs on the same catalogs in a fresh process; (seconds, corrected headers, statuses, detail)."""
    from bench.refenv import reference_python

    python = reference_python("tweakwcs==0.9.3")
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps({"scale": SCALE, "size": SIZE,
                                   "headers": [dict(h) for h in headers],
                                   "x": [x.tolist() for x in xs], "y": [y.tolist() for y in ys]}))
        script = Path(tmp) / "ref.py"
        script.write_text(REFERENCE_SCRIPT)
        subprocess.run([python, str(script), str(inp), str(out), order], check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result = json.loads(out.read_text())
    corrected = []
    for h, w in zip(headers, result["wcs"], strict=True):
        h = h.copy()
        h["CRVAL1"], h["CRVAL2"] = w["CRVAL1"], w["CRVAL2"]
        for i in range(2):
            for j in range(2):
                h[f"CD{i + 1}_{j + 1}"] = w["PC"][i][j]
        corrected.append(h)
    detail = {"setup_s": result["setup_s"], "align_s": result["align_s"]}
    return result["seconds"], corrected, [w["status"] for w in result["wcs"]], detail


# tweakwcs orderings: "overlap" = enforce_user_order=False (jwst's default; tweakwcs picks the next image
# by spherical-polygon overlap with the growing reference), "user" = enforce_user_order=True (input order,
# row-major on the grid, so every image overlaps an earlier one; no polygon work: tweakwcs's core alone).
REFERENCE_TIMEOUT = {"overlap": 600, "user": 600}
SIZES = (4, 10, 30, 100, 300)
REFERENCE_SIZES = {"overlap": (4, 10, 30), "user": (4, 10, 30, 100, 300)}


def main(workdir: Path, sizes=SIZES, reference_sizes=None) -> dict:
    """Run the comparison and the scaling series; return the numbers."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    reference_sizes = REFERENCE_SIZES if reference_sizes is None else reference_sizes
    results = {"setup": {"pixel_scale_arcsec": SCALE, "size_px": SIZE, "overlap": 0.4,
                         "header_error": "<= 0.5 arcsec shift per axis, <= 0.02 deg roll",
                         "params": "searchrad=2, separation=1, tolerance=0.7 arcsec, use2dhist, rshift, "
                                   "minobj=15, nclip=3, sigma=3 (rmse); expand_refcat on both sides",
                         "timing": "wall time from headers + pixel catalogs in memory to corrected WCS, "
                                   "imports excluded; jwcal in-process after a warm-up, tweakwcs in its "
                                   "own process"}}
    warm = make_mosaic(4, seed=4)
    jwcal_align(warm[0], warm[2], warm[3])
    for n in sizes:
        headers, true_headers, xs, ys, stars = make_mosaic(n, seed=n)
        before = relative_error(true_headers, headers, stars)
        t_jw, h_jw, st_jw = jwcal_align(headers, xs, ys)
        row = {"n": n, "stars_per_exposure": int(np.mean([len(x) for x in xs])),
               "relative_error_before_px": before,
               "jwcal_s": t_jw, "jwcal_relative_px": relative_error(true_headers, h_jw, stars),
               "jwcal_skipped": st_jw.count("SKIPPED")}
        for order, ns in reference_sizes.items():
            if n not in ns:
                continue
            key = f"tweakwcs_{order}"
            try:
                t_ref, h_ref, st_ref, detail = _reference(headers, xs, ys, workdir, order,
                                                          REFERENCE_TIMEOUT[order])
            except subprocess.TimeoutExpired:
                row[f"{key}_s"] = f"> {REFERENCE_TIMEOUT[order]} (killed)"
                continue
            except (subprocess.CalledProcessError, OSError) as exc:
                row[f"{key}_error"] = str(exc)
                continue
            row |= {f"{key}_s": t_ref, f"{key}_setup_s": detail["setup_s"],
                    f"{key}_relative_px": relative_error(true_headers, h_ref, stars),
                    f"{key}_failed": sum("FAIL" in s for s in st_ref),
                    f"speedup_vs_{order}": t_ref / t_jw}
        results[f"n{n}"] = row
    results["jwcal_per_exposure_ms"] = {f"n{n}": 1000 * results[f"n{n}"]["jwcal_s"] / n for n in sizes}
    return results


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--overlap", type=int, nargs="*", default=None, help="N for tweakwcs overlap order")
    parser.add_argument("--user", type=int, nargs="*", default=None, help="N for tweakwcs user order")
    args = parser.parse_args()
    refs = dict(REFERENCE_SIZES)
    if args.overlap is not None:
        refs["overlap"] = tuple(args.overlap)
    if args.user is not None:
        refs["user"] = tuple(args.user)
    print(json.dumps(main(HERE / "work" / "tweakreg", tuple(args.sizes), refs), indent=2))
