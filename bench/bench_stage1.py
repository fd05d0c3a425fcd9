"""Stage 1 ramps to rates: ``jwcal dq-init | jwcal jump | jwcal ramp-fit`` against stcal 1.20.

One full-frame NIRCam exposure (2048x2048, 10 groups, 1 integration) is simulated (``jwcal simulate
ramp``'s step when available, else a simple generator here), then:

* jwcal: the whole pipe from the ``_uncal`` file to the ``_rate`` file, FITS I/O included, timed
  with GNU time (wall, peak RSS of the largest process), after one warm-up run on a tiny file so
  numba's compiled kernels are cached;
* stcal: ``detect_jumps_data`` + ``ramp_fit_data`` (OLS_C, optimal, single process: jwst's
  defaults) in the reference environment on jwcal's ``dq-init`` output (the same ramp), timed
  inside the script (compute only, no I/O) and as a whole process;
* agreement: jump flags (per pixel: any JUMP_DET), slopes (relative, on pixels good in both and with
  identical jump flags), VAR_POISSON / VAR_RNOISE (relative), and DQ; plus stcal's ramp fit on
  jwcal's own ``_jump`` file to compare the ramp fitting alone.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from refenv import RAMP_LOADER, pinned_python, timed

STCAL = "stcal==1.20.0"
SHAPE = (1, 10, 2048, 2048)

REFERENCE_SCRIPT = r'''
import json, sys, time
import numpy as np
from astropy.io import fits

ramp_path, jump_path, gain_path, rn_path, out = sys.argv[1:6]
t_start = time.perf_counter()
FLAGS = {"GOOD": 0, "DO_NOT_USE": 1, "SATURATED": 2, "JUMP_DET": 4, "DROPOUT": 8, "PERSISTENCE": 32,
         "AD_FLOOR": 64, "CHARGELOSS": 128, "NO_GAIN_VALUE": 524288, "UNRELIABLE_SLOPE": 16777216,
         "REFERENCE_PIXEL": 2147483648}

''' + RAMP_LOADER + r'''

def ref(path, hdr, shape):
    """The reference array cut to the science subarray (reference: full frame or with SUBSTRT)."""
    with fits.open(path) as h:
        rh = h[0].header
        y0 = int(hdr.get("SUBSTRT2", 1)) - int(rh.get("SUBSTRT2", 1))
        x0 = int(hdr.get("SUBSTRT1", 1)) - int(rh.get("SUBSTRT1", 1))
        return np.ascontiguousarray(h["SCI"].data[y0:y0 + shape[0], x0:x0 + shape[1]], dtype="<f4")

def fit(hdr, data, gdq, pdq, gain, rn):
    from stcal.ramp_fitting.ramp_fit import ramp_fit_data
    from stcal.ramp_fitting.ramp_fit_class import RampData
    rd = RampData()
    rd.set_arrays(data, gdq, pdq, np.zeros(pdq.shape, "<f4"))
    rd.set_meta("NIRCAM", hdr["TFRAME"], hdr["TGROUP"], hdr.get("GROUPGAP", 0), hdr.get("NFRAMES", 1),
                hdr.get("DRPFRMS1", 0))
    rd.algorithm = "OLS_C"
    rd.set_dqflags(FLAGS)
    rd.suppress_one_group_ramps = True
    t0 = time.perf_counter()
    image, _, _ = ramp_fit_data(rd, False, rn.copy(), gain, "OLS_C", "optimal", "none")
    seconds = time.perf_counter() - t0
    if isinstance(image, dict):
        image = (image["slope"], image["dq"], image["var_poisson"], image["var_rnoise"], image["err"])
    return seconds, image

hdr, data, gdq, pdq = load(ramp_path)
gain, rn = ref(gain_path, hdr, pdq.shape), ref(rn_path, hdr, pdq.shape)
ny, nx = pdq.shape
result = {}
if jump_path != "-":
    from stcal.jump.jump import detect_jumps_data
    from stcal.jump.jump_class import JumpData
    jd = JumpData(gain2d=gain, rnoise2d=rn, dqflags=FLAGS)
    jd.nframes = int(hdr.get("NFRAMES", 1))
    jd.dt_group = np.ones(1)
    jd.n_reads_groupdiff = np.ones(1) * 2 * jd.nframes
    jd.max_cores = "none"
    jd.init_arrays_from_arrays(data, gdq.copy(), pdq.copy())
    t0 = time.perf_counter()
    gdq, pdq, ncr, _ = detect_jumps_data(jd)
    result["jump_s"] = time.perf_counter() - t0
    result["primary_crs"] = int(ncr)
    gdq = np.ascontiguousarray(gdq, dtype=np.uint8)
    pdq = np.ascontiguousarray(pdq, dtype="<u4")
jumped = ((gdq & 4) != 0).any(axis=(0, 1))
result["ramp_fit_s"], image = fit(hdr, data, gdq, pdq, gain, rn)
arrays = {"jumped": jumped, "sci": image[0], "dq": image[1], "var_poisson": image[2], "var_rnoise": image[3]}
if jump_path not in ("-", "none"):
    jhdr, jdata, jgdq, jpdq = load(jump_path)
    result["ramp_fit_on_jwcal_jump_s"], image2 = fit(jhdr, jdata, jgdq, jpdq, gain, rn)
    arrays.update({"sci2": image2[0], "dq2": image2[1], "var_poisson2": image2[2], "var_rnoise2": image2[3]})
np.savez(out, **arrays)
result["script_s"] = time.perf_counter() - t_start
print(json.dumps(result))
'''


def _jwcal() -> str:
    exe = Path(sys.executable).parent / "jwcal"
    return str(exe) if exe.exists() else "jwcal"


def _registered(command: str) -> bool:
    return subprocess.run([_jwcal(), command, "--help"], capture_output=True).returncode == 0


def _simulate(workdir: Path, shape=SHAPE, seed=1) -> tuple[dict[str, Path], str]:
    """Write uncal, gain, readnoise and mask files; return their paths and what made them."""
    from jwcal.io import open_output

    nints, ngroups, ny, nx = shape
    try:
        from jwcal.steps import simulate_ramp

        products = simulate_ramp.run(detector="NRCB1", size=None if (ny, nx) == (2048, 2048) else (ny, nx),
                                     ngroups=ngroups, nints=nints, seed=seed)
        source = "jwcal.steps.simulate_ramp"
    except ImportError:
        products = _own_simulation(shape, seed)
        source = "bench_stage1._own_simulation (simulate_ramp not available)"
    paths = {}
    for key in ("uncal", "gain", "readnoise", "mask"):
        paths[key] = workdir / f"{key}.fits"
        with open_output(str(paths[key]), overwrite=True) as sink:
            sink.write(products[key])
    return paths, source


def _own_simulation(shape, seed):
    """A plain ramp generator: sky + a few bright pixels, Poisson + read noise, cosmic rays, saturation."""
    from astropy.io import fits

    from jwcal.exposure import HDU, Exposure

    nints, ngroups, ny, nx = shape
    rng = np.random.default_rng(seed)
    gain, rn_cds, tgroup = 2.05, 6.5, 10.737
    rate = np.full((ny, nx), 0.5) + rng.exponential(2.0, (ny, nx))
    rate[rng.random((ny, nx)) < 1e-3] = 2000.0
    cube = np.empty(shape, np.uint16)
    for i in range(nints):
        acc = np.full((ny, nx), 12000.0)
        for g in range(ngroups):
            acc += rng.poisson(rate * tgroup * gain) / gain
            hits = rng.random((ny, nx)) < 2e-4
            acc[hits] += rng.uniform(50, 2000, hits.sum())
            cube[i, g] = np.clip(acc + rng.normal(0, rn_cds / np.sqrt(2), (ny, nx)), 0, 65535)
    primary = fits.Header()
    for key, value in {"FILENAME": "jw01234001001_01101_00001_nrcb1_uncal.fits", "INSTRUME": "NIRCAM",
                       "DETECTOR": "NRCB1", "EXP_TYPE": "NRC_IMAGE", "NINTS": nints, "NGROUPS": ngroups,
                       "NFRAMES": 1, "GROUPGAP": 0, "TFRAME": tgroup, "TGROUP": tgroup, "READPATT": "RAPID",
                       "SUBSTRT1": 1, "SUBSTRT2": 1, "SUBSIZE1": nx, "SUBSIZE2": ny}.items():
        primary[key] = value

    def ref(name, data):
        header = fits.Header()
        for key in ("INSTRUME", "DETECTOR", "SUBSTRT1", "SUBSTRT2", "SUBSIZE1", "SUBSIZE2"):
            header[key] = primary[key]
        return Exposure([HDU(header=header), HDU.image(name, data)])

    return {"uncal": Exposure([HDU(header=primary), HDU.image("SCI", cube)]),
            "gain": ref("SCI", np.full((ny, nx), gain, np.float32)),
            "readnoise": ref("SCI", np.full((ny, nx), rn_cds, np.float32)),
            "mask": ref("DQ", np.zeros((ny, nx), np.uint32))}


def _pipeline(p: dict[str, Path], out: Path, with_jump: bool) -> str:
    j = _jwcal()
    stages = [f"{j} dq-init --mask {p['mask']} {p['uncal']}"]
    if with_jump:
        stages.append(f"{j} jump --gain {p['gain']} --readnoise {p['readnoise']} --maximum-cores all")
    stages.append(f"{j} ramp-fit --gain {p['gain']} --readnoise {p['readnoise']} -o {out} --overwrite")
    return " | ".join(stages)


def _relative(a, b, mask):
    a, b = a[mask].astype(np.float64), b[mask].astype(np.float64)
    scale = np.maximum(np.abs(b), 1e-30)
    rel = np.abs(a - b) / scale
    return {"median": float(np.median(rel)) if rel.size else None,
            "p99": float(np.percentile(rel, 99)) if rel.size else None,
            "max": float(rel.max()) if rel.size else None,
            "frac_within_1e-4": float(np.mean(rel <= 1e-4)) if rel.size else None,
            "frac_within_1e-3": float(np.mean(rel <= 1e-3)) if rel.size else None}


def _compare(rate_path: Path, ref: dict, suffix: str, jumped_jwcal=None) -> dict:
    from astropy.io import fits

    with fits.open(rate_path) as h:
        sci, dqa = h["SCI"].data.astype(np.float64), h["DQ"].data.astype(np.uint32)
        vp, vr = h["VAR_POISSON"].data.astype(np.float64), h["VAR_RNOISE"].data.astype(np.float64)
    rsci, rdq = ref["sci" + suffix], ref["dq" + suffix]
    good = np.isfinite(sci) & np.isfinite(rsci) & ((dqa & 3) == 0) & ((rdq & 3) == 0)
    if jumped_jwcal is not None:
        good &= jumped_jwcal == ref["jumped"]
    out = {"pixels_compared": int(good.sum()),
           "slope_rel": _relative(sci, rsci, good & (np.abs(rsci) > 1e-3)),
           "slope_abs_max_DN_s": float(np.max(np.abs(sci - rsci)[good])) if good.any() else None,
           "var_poisson_rel": _relative(vp, ref["var_poisson" + suffix],
                                        good & (ref["var_poisson" + suffix] > 0)),
           "var_rnoise_rel": _relative(vr, ref["var_rnoise" + suffix], good),
           "dq_equal_frac": float(np.mean(dqa == rdq)),
           "nan_pattern_equal_frac": float(np.mean(np.isnan(sci) == np.isnan(rsci)))}
    return out


def main(workdir: Path, shape=SHAPE) -> dict:
    """Run the benchmark in ``workdir``; return timings, ratios and agreement figures."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    with_jump = _registered("jump")
    result: dict = {"shape": list(shape), "jump_in_pipe": with_jump}
    if not with_jump:
        result["note"] = ("jwcal jump is not registered yet: the pipe is dq-init | ramp-fit, "
                          "stcal runs ramp_fit only")

    # warm-up on a tiny exposure: numba compiles (and caches) the kernels once
    tinydir = workdir / "tiny"
    tinydir.mkdir(exist_ok=True)
    tiny, _ = _simulate(tinydir, shape=(1, shape[1], 64, 64))
    subprocess.run(["sh", "-c", _pipeline(tiny, tinydir / "rate.fits", with_jump)], check=True)

    paths, result["data_source"] = _simulate(workdir, shape)
    rate = workdir / "rate.fits"
    command = _pipeline(paths, rate, with_jump)
    result["jwcal_command"] = command
    wall, rss = timed(["sh", "-c", command])
    ramp_mb = np.prod(shape) * 5 / 2**20  # float32 SCI + uint8 GROUPDQ
    result.update({"jwcal_wall_s": wall, "jwcal_peak_rss_mb": rss, "ramp_size_mb": float(ramp_mb),
                   "jwcal_peak_rss_over_ramp": rss / ramp_mb})

    # untimed intermediates for the reference: the same dq-init output, and jwcal's own jump output
    j = _jwcal()
    ramp = workdir / "ramp.fits"
    subprocess.run([j, "dq-init", "--mask", str(paths["mask"]), str(paths["uncal"]), "-o", str(ramp),
                    "--overwrite"], check=True)
    jump = workdir / "jump.fits"
    if with_jump:
        subprocess.run([j, "jump", "--gain", str(paths["gain"]), "--readnoise", str(paths["readnoise"]),
                        "--maximum-cores", "all", str(ramp), "-o", str(jump), "--overwrite"], check=True)

    python, result["stcal_version"] = pinned_python(STCAL)
    script = workdir / "reference_stage1.py"
    script.write_text(REFERENCE_SCRIPT)
    npz = workdir / "stcal.npz"
    jump_arg = str(jump) if with_jump else "-"
    report = workdir / "stcal.json"
    with open(report, "w") as handle:
        ref_wall, ref_rss = timed([python, str(script), str(ramp), jump_arg, str(paths["gain"]),
                                   str(paths["readnoise"]), str(npz)], stdout=handle)
    ref_times = json.loads(report.read_text().strip().splitlines()[-1])
    result.update({"stcal_" + k: v for k, v in ref_times.items()})
    result["stcal_process_wall_s"], result["stcal_peak_rss_mb"] = ref_wall, ref_rss
    stcal_compute = ref_times.get("jump_s", 0.0) + ref_times["ramp_fit_s"]
    result["stcal_jump_plus_ramp_fit_s"] = stcal_compute
    result["speedup_vs_stcal_compute"] = stcal_compute / wall
    result["speedup_vs_stcal_process"] = ref_wall / wall

    ref = dict(np.load(npz))
    from astropy.io import fits

    jumped = None
    if with_jump:
        with fits.open(jump) as h:
            jumped = ((h["GROUPDQ"].data & 4) != 0).any(axis=(0, 1))
        agree = jumped == ref["jumped"]
        result["jump_flags"] = {"pixels_agree_frac": float(agree.mean()),
                                "jwcal_pixels_flagged": int(jumped.sum()),
                                "stcal_pixels_flagged": int(ref["jumped"].sum()),
                                "only_jwcal": int((jumped & ~ref["jumped"]).sum()),
                                "only_stcal": int((~jumped & ref["jumped"]).sum())}
    result["pipe_vs_stcal_chain"] = _compare(rate, ref, "", jumped)
    if with_jump:
        rate2 = workdir / "rate_on_jwcal_jump.fits"
        subprocess.run([j, "ramp-fit", "--gain", str(paths["gain"]), "--readnoise", str(paths["readnoise"]),
                        str(jump), "-o", str(rate2), "--overwrite"], check=True)
        result["ramp_fit_only_same_jump_flags"] = _compare(rate2, ref, "2")
    shutil.rmtree(workdir / "tiny", ignore_errors=True)
    return result


if __name__ == "__main__":
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "work" / "stage1"
    print(json.dumps(main(work), indent=2))
