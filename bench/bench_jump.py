"""Cosmic-ray recall and false-flag rate of ``jwcal jump`` on ``jwcal simulate ramp`` data.

``main(workdir)`` simulates NIRCam ramps (10 groups x 2 integrations, and 2-group ramps with
1, 2 and 4 integrations), runs dq-init (+ saturation when available) and jump, and compares the
JUMP_DET flags with the truth: a cosmic ray of an integration is *found* when its first affected
group (CR_GROUP) is flagged in that pixel; a *false flag* is a flagged group of a pixel and
integration without cosmic-ray charge (CR_GROUP = -1), excluding the neighbours that
``flag_4_neighbors`` adds by design (reported separately). Recall is given for all injected rays
and for those above 10 sigma of the difference noise.

Run: ``.venv/bin/python bench/bench_jump.py [SIZE]``.
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np


def _pipeline(products, **jump_params):
    from jwcal.steps import dq_init, jump

    ramp = dq_init.run(products["uncal"], mask=products["mask"])
    try:
        from jwcal.steps import saturation
        if "saturation" in products:
            ramp = saturation.run(ramp, saturation=products["saturation"])
    except ImportError:
        pass
    return ramp, jump.run(ramp, gain=products["gain"], readnoise=products["readnoise"], **jump_params)


def score(ramp, result, truth, gain, readnoise) -> dict:
    """Recall and false-flag numbers of one exposure against the simulation truth."""
    groupdq = np.asarray(result["GROUPDQ"].data)
    before = np.asarray(ramp["GROUPDQ"].data)
    jump = (groupdq & 4) != 0
    nints, ngroups, ny, nx = jump.shape
    cr_group = np.asarray(truth["CR_GROUP"].data).reshape(nints, ny, nx)
    cr_dn = np.asarray(truth["CR_DN"].data).reshape(nints, ny, nx)
    usable = (before & 3) == 0  # group neither DNU nor SATURATED
    sci = np.asarray(ramp["SCI"].data, dtype=np.float64)
    rate_dn = np.nanmedian(np.diff(sci, axis=1), axis=(0, 1))
    g = np.asarray(gain, np.float64)
    sigma_dn = np.sqrt(np.abs(rate_dn) * g + (np.asarray(readnoise) * g) ** 2) / g
    ii, yy, xx = np.nonzero(cr_group > 0)
    gg = cr_group[ii, yy, xx]
    ok = (gg < ngroups) & usable[ii, np.minimum(gg, ngroups - 1), yy, xx]
    ok &= usable[ii, np.maximum(gg - 1, 0), yy, xx]
    ii, yy, xx, gg = ii[ok], yy[ok], xx[ok], gg[ok]
    found = jump[ii, gg, yy, xx]
    strong = cr_dn[ii, yy, xx] > 10 * sigma_dn[yy, xx]
    clean = cr_group < 0
    near = np.zeros_like(clean)
    hit = cr_group >= 0
    near[:, 1:] |= hit[:, :-1]
    near[:, :-1] |= hit[:, 1:]
    near[:, :, 1:] |= hit[:, :, :-1]
    near[:, :, :-1] |= hit[:, :, 1:]
    clean_groups = clean[:, None] & usable & (np.arange(ngroups)[None, :, None, None] > 0)
    false_all = jump & clean_groups
    false_far = false_all & ~near[:, None]
    return {
        "crs": int(found.size), "found": int(found.sum()),
        "recall": float(found.mean()) if found.size else None,
        "crs_above_10sigma": int(strong.sum()),
        "recall_above_10sigma": float(found[strong].mean()) if strong.any() else None,
        "clean_groups": int(clean_groups.sum()),
        "false_flags_not_neighbours": int(false_far.sum()),
        "false_flag_rate": float(false_far.sum() / max(clean_groups.sum(), 1)),
        "neighbour_flags": int((false_all & near[:, None]).sum()),
    }


def main(workdir: pathlib.Path, size: int = 256) -> dict:
    """Simulate, run jump, score; return the numbers (also written to workdir/jump_truth.json)."""
    from jwcal.steps import simulate_ramp

    results = {}
    cases = {"10 groups x 2 ints": dict(ngroups=10, nints=2),
             "2 groups x 1 int": dict(ngroups=2, nints=1),
             "2 groups x 2 ints": dict(ngroups=2, nints=2),
             "2 groups x 4 ints": dict(ngroups=2, nints=4)}
    for name, shape in cases.items():
        products = simulate_ramp.run(detector="NRCB1", size=(size, size), seed=7, cr_rate=50.0, **shape)
        params = {"two_group": True} if shape["ngroups"] == 2 else {}
        ramp, result = _pipeline(products, **params)
        from jwcal.steps.references import reference_array

        gain = reference_array(ramp, products["gain"], "SCI", "GAIN")
        rn = reference_array(ramp, products["readnoise"], "SCI", "READNOISE")
        results[name] = score(ramp, result, products["truth"], gain, rn)
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "jump_truth.json").write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    side = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    print(json.dumps(main(pathlib.Path("bench/work"), side), indent=1))
