"""Stage 1 ramps to rates as a user runs them, against stcal 1.20, at three cosmic-ray densities.

For each density (0.5 %, 2.5 % and 10 % of the pixels hit per integration; ``--cr-rate`` of
``jwcal simulate ramp``, the density measured on the truth's CR_GROUP) one full-frame NIRCam
exposure (NRCB1, 2048x2048, 10 groups, 1 integration, with its snowball) is simulated, then:

* jwcal, **default options** (no ``--maximum-cores``), from the ``_uncal`` file to the ``_rate`` file,
  FITS I/O included, each timed with GNU time (wall, CPU = user + sys of all processes, peak RSS of
  the largest process), ``repeats`` times (medians; after one warm-up on a tiny file so numba's
  kernels are cached):

  - the shell pipe ``jwcal dq-init | jwcal jump | jwcal ramp-fit``;
  - ``jwcal run`` with the same pipeline text, when ``jwcal run`` exists;

* stcal in the reference environment: ``detect_jumps_data`` + ``ramp_fit_data`` with jwst's
  defaults (OLS_C, optimal weighting, one process, no snowball flagging) on jwcal's ``dq-init``
  output (the same ramp), timed inside the script (compute only: wall and CPU) and as a process;
* ratios: stcal compute wall / jwcal wall (the issue's figure; the process ratio is larger), and
  stcal compute CPU / jwcal CPU;
* agreement: jump flags (per pixel, any JUMP_DET), slopes, VAR_POISSON, VAR_RNOISE and DQ, as before.

Run: ``flock /tmp/jwcal-bench.lock .venv/bin/python bench/bench_stage1.py [WORKDIR] [REPEATS]``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from refenv import RAMP_LOADER, measured, pinned_python

STCAL = "stcal==1.20.0"
SHAPE = (1, 10, 2048, 2048)
#: target density (fraction of pixels with cosmic-ray charge per integration) -> --cr-rate (cm^-2 s^-1)
#: for a full-frame 10-group RAPID integration (107 s); calibrated once, the measured value is reported.
CR_RATES = {0.005: 1.35, 0.025: 6.85, 0.10: 28.6}

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
    t0, c0 = time.perf_counter(), time.process_time()
    image, _, _ = ramp_fit_data(rd, False, rn.copy(), gain, "OLS_C", "optimal", "none")
    seconds = time.perf_counter() - t0
    result.setdefault("ramp_fit_cpu_s", time.process_time() - c0)
    if isinstance(image, dict):
        image = (image["slope"], image["dq"], image["var_poisson"], image["var_rnoise"], image["err"])
    return seconds, image

result = {}
hdr, data, gdq, pdq = load(ramp_path)
gain, rn = ref(gain_path, hdr, pdq.shape), ref(rn_path, hdr, pdq.shape)
ny, nx = pdq.shape
if jump_path != "-":
    from stcal.jump.jump import detect_jumps_data
    from stcal.jump.jump_class import JumpData
    jd = JumpData(gain2d=gain, rnoise2d=rn, dqflags=FLAGS)
    jd.nframes = int(hdr.get("NFRAMES", 1))
    jd.dt_group = np.ones(1)
    jd.n_reads_groupdiff = np.ones(1) * 2 * jd.nframes
    jd.max_cores = "none"
    jd.init_arrays_from_arrays(data, gdq.copy(), pdq.copy())
    t0, c0 = time.perf_counter(), time.process_time()
    gdq, pdq, ncr, _ = detect_jumps_data(jd)
    result["jump_s"] = time.perf_counter() - t0
    result["jump_cpu_s"] = time.process_time() - c0
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


def _simulate(directory: Path, cr_rate: float, size: tuple[int, int] | None = None, seed: int = 1) -> dict:
    """Run ``jwcal simulate ramp`` into ``directory`` (kept between runs); return the file paths."""
    directory.mkdir(parents=True, exist_ok=True)
    uncal = sorted(directory.glob("*_uncal.fits"))
    if not uncal:
        command = [_jwcal(), "simulate", "ramp", "-o", str(directory), "--ngroups", str(SHAPE[1]),
                   "--seed", str(seed), "--cr-rate", str(cr_rate), "--overwrite"]
        if size is not None:
            command += ["--size", str(size[0]), str(size[1])]
        subprocess.run(command, check=True)
        uncal = sorted(directory.glob("*_uncal.fits"))
    paths = {key: directory / f"{key}.fits" for key in ("gain", "readnoise", "mask")}
    paths["uncal"] = uncal[0]
    paths["truth"] = next(directory.glob("*_truth.fits"))
    return paths


def _density(truth: Path) -> float:
    from astropy.io import fits

    with fits.open(truth) as h:
        return float(np.mean(h["CR_GROUP"].data >= 0))


def _stages(p: dict, prefix: str) -> list[str]:
    return [f"{prefix}dq-init --mask {p['mask']}",
            f"{prefix}jump --gain {p['gain']} --readnoise {p['readnoise']}",
            f"{prefix}ramp-fit --gain {p['gain']} --readnoise {p['readnoise']}"]


def _pipe(p: dict, out: Path) -> str:
    first, *rest = _stages(p, _jwcal() + " ")
    return " | ".join([f"{first} {p['uncal']}", *rest]) + f" -o {out} --overwrite"


def _run(p: dict, out: Path) -> list[str]:
    return [_jwcal(), "run", " | ".join(_stages(p, "")), str(p["uncal"]), "-o", str(out), "--overwrite"]


def _repeat(command: list[str], repeats: int) -> dict:
    runs = [measured(command) for _ in range(repeats)]
    out = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    out["wall_all_s"] = [r["wall_s"] for r in runs]
    out["cpu_all_s"] = [r["cpu_s"] for r in runs]
    return out


def _relative(a, b, mask):
    a, b = a[mask].astype(np.float64), b[mask].astype(np.float64)
    scale = np.maximum(np.abs(b), 1e-30)
    rel = np.abs(a - b) / scale
    return {"median": float(np.median(rel)) if rel.size else None,
            "p99": float(np.percentile(rel, 99)) if rel.size else None,
            "max": float(rel.max()) if rel.size else None,
            "frac_within_1e-4": float(np.mean(rel <= 1e-4)) if rel.size else None}


def _compare(rate_path: Path, ref: dict, suffix: str, jumped_jwcal=None) -> dict:
    from astropy.io import fits

    with fits.open(rate_path) as h:
        sci, dqa = h["SCI"].data.astype(np.float64), h["DQ"].data.astype(np.uint32)
        vp, vr = h["VAR_POISSON"].data.astype(np.float64), h["VAR_RNOISE"].data.astype(np.float64)
    rsci, rdq = ref["sci" + suffix], ref["dq" + suffix]
    good = np.isfinite(sci) & np.isfinite(rsci) & ((dqa & 3) == 0) & ((rdq & 3) == 0)
    if jumped_jwcal is not None:
        good &= jumped_jwcal == ref["jumped"]
    return {"pixels_compared": int(good.sum()),
            "slope_rel": _relative(sci, rsci, good & (np.abs(rsci) > 1e-3)),
            "var_poisson_rel": _relative(vp, ref["var_poisson" + suffix],
                                         good & (ref["var_poisson" + suffix] > 0)),
            "var_rnoise_rel": _relative(vr, ref["var_rnoise" + suffix], good),
            "dq_equal_frac": float(np.mean(dqa == rdq)),
            "nan_pattern_equal_frac": float(np.mean(np.isnan(sci) == np.isnan(rsci)))}


def _stcal(python: str, script: Path, work: Path, ramp: Path, jump: Path, p: dict) -> dict:
    npz, report = work / "stcal.npz", work / "stcal.json"
    with open(report, "w") as handle:
        process = measured([python, str(script), str(ramp), str(jump), str(p["gain"]), str(p["readnoise"]),
                            str(npz)], stdout=handle)
    inner = json.loads(report.read_text().strip().splitlines()[-1])
    inner["compute_wall_s"] = inner["jump_s"] + inner["ramp_fit_s"]
    inner["compute_cpu_s"] = inner["jump_cpu_s"] + inner["ramp_fit_cpu_s"]
    inner["process"] = process
    return inner


def one_density(work: Path, target: float, python: str, script: Path, repeats: int, with_run: bool) -> dict:
    """Simulate (once), time both sides and compare them at one cosmic-ray density."""
    from astropy.io import fits

    p = _simulate(work, CR_RATES[target])
    out: dict = {"target_density": target, "cr_rate": CR_RATES[target], "density": _density(p["truth"])}
    rate = work / "rate.fits"
    out["pipe_command"] = _pipe(p, rate)
    out["pipe"] = _repeat(["sh", "-c", out["pipe_command"]], repeats)
    if with_run:
        rate_run = work / "rate_run.fits"
        out["run_command"] = " ".join(f"'{c}'" if "|" in c else c for c in _run(p, rate_run))
        out["run"] = _repeat(_run(p, rate_run), repeats)
        same = subprocess.run(["cmp", "-s", str(rate), str(rate_run)]).returncode == 0
        out["run_output_equals_pipe"] = same

    # untimed intermediates: the same dq-init output for stcal, and jwcal's jump output (default options)
    j = _jwcal()
    ramp, jump = work / "ramp.fits", work / "jump.fits"
    subprocess.run([j, "dq-init", "--mask", str(p["mask"]), str(p["uncal"]), "-o", str(ramp), "--overwrite"],
                   check=True)
    subprocess.run([j, "jump", "--gain", str(p["gain"]), "--readnoise", str(p["readnoise"]), str(ramp), "-o",
                    str(jump), "--overwrite"], check=True)
    ref_side = _stcal(python, script, work, ramp, jump, p)
    out["stcal"] = ref_side
    for side in ("pipe", "run"):
        if side in out:
            out[f"{side}_speedup_wall"] = ref_side["compute_wall_s"] / out[side]["wall_s"]
            out[f"{side}_speedup_wall_vs_stcal_process"] = ref_side["process"]["wall_s"] / out[side]["wall_s"]
            out[f"{side}_cpu_ratio"] = ref_side["compute_cpu_s"] / out[side]["cpu_s"]
    ramp_mb = float(np.prod(SHAPE) * 4 / 2**20)
    out["float32_ramp_mb"] = ramp_mb
    if "run" in out:
        out["run_rss_budget_mb"] = 1.5 * ramp_mb + 200
    ref = dict(np.load(work / "stcal.npz"))
    with fits.open(jump) as h:
        jumped = ((h["GROUPDQ"].data & 4) != 0).any(axis=(0, 1))
    out["jump_flags"] = {"pixels_agree_frac": float((jumped == ref["jumped"]).mean()),
                         "jwcal_pixels_flagged": int(jumped.sum()),
                         "stcal_pixels_flagged": int(ref["jumped"].sum()),
                         "only_jwcal": int((jumped & ~ref["jumped"]).sum()),
                         "only_stcal": int((~jumped & ref["jumped"]).sum())}
    out["rate_vs_stcal"] = _compare(rate, ref, "", jumped)
    rate2 = work / "rate_on_jwcal_jump.fits"
    subprocess.run([j, "ramp-fit", "--gain", str(p["gain"]), "--readnoise", str(p["readnoise"]), str(jump),
                    "-o", str(rate2), "--overwrite"], check=True)
    out["ramp_fit_same_flags_vs_stcal"] = _compare(rate2, ref, "2")
    for name in ("ramp.fits", "jump.fits", "stcal.npz", "rate_on_jwcal_jump.fits"):
        (work / name).unlink(missing_ok=True)  # 200+ MB each; the simulation is kept for the next run
    return out


def main(workdir: Path, repeats: int = 3, densities=tuple(CR_RATES)) -> dict:
    """Run the benchmark in ``workdir``; return timings, ratios and agreement figures per density."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    with_run = _registered("run")
    python, version = pinned_python(STCAL)
    script = workdir / "reference_stage1.py"
    script.write_text(REFERENCE_SCRIPT)
    # warm-up: numba compiles and caches the kernels once (same default options as the timed runs)
    tiny = _simulate(workdir / "tiny", 5.0, size=(64, 64))
    subprocess.run(["sh", "-c", _pipe(tiny, workdir / "tiny" / "rate.fits")], check=True)
    if with_run:
        subprocess.run(_run(tiny, workdir / "tiny" / "rate_run.fits"), check=True)
    result: dict = {"shape": list(SHAPE), "stcal_version": version, "repeats": repeats,
                    "jwcal_run": with_run, "densities": {}}
    for target in densities:
        key = f"{100 * target:g}%"
        result["densities"][key] = one_density(workdir / f"cr{100 * target:g}", target, python, script,
                                               repeats, with_run)
        print(json.dumps({key: _summary(result["densities"][key])}), file=sys.stderr, flush=True)
    result["summary"] = {k: _summary(v) for k, v in result["densities"].items()}
    shutil.rmtree(workdir / "tiny", ignore_errors=True)
    return result


def _summary(d: dict) -> dict:
    s = {"density": round(d["density"], 4), "stcal_compute_wall_s": round(d["stcal"]["compute_wall_s"], 2),
         "stcal_compute_cpu_s": round(d["stcal"]["compute_cpu_s"], 2)}
    for side in ("pipe", "run"):
        if side in d:
            s.update({f"{side}_wall_s": d[side]["wall_s"], f"{side}_cpu_s": round(d[side]["cpu_s"], 2),
                      f"{side}_rss_mb": round(d[side]["peak_rss_mb"]),
                      f"{side}_speedup_wall": round(d[f"{side}_speedup_wall"], 2),
                      f"{side}_cpu_ratio": round(d[f"{side}_cpu_ratio"], 2)})
    s["jump_flags_identical"] = d["jump_flags"]["only_jwcal"] == 0 and d["jump_flags"]["only_stcal"] == 0
    s["slope_rel_p99"] = d["rate_vs_stcal"]["slope_rel"]["p99"]
    return s


if __name__ == "__main__":
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "work" / "stage1"
    print(json.dumps(main(work, repeats=int(sys.argv[2]) if len(sys.argv) > 2 else 3), indent=2))
