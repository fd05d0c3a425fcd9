"""A batch of full-frame exposures through stage 1: ``jwcal run FILE... -o DIR`` on a local Dask
cluster against stcal jump + ramp_fit run one process per exposure, as many at a time as workers.

* jwcal: ``jwcal run 'dq-init | jump | ramp-fit' x1_uncal.fits ... -o out/ --workers 2``, exactly
  as a user runs it (cluster start-up and FITS I/O included), after a warm-up run so that numba's
  kernels are cached; CPU seconds are those of the command and its worker processes (they are
  reaped by it, so they count in our RUSAGE_CHILDREN), peak RSS per worker is each worker
  process's VmHWM, read until it exits; and the same batch with ``--workers 1`` (in one process,
  numba threads on every core), the alternative to a cluster that decides the default;
* stcal: :mod:`bench_stage1`'s reference script (``detect_jumps_data`` + ``ramp_fit_data``, OLS_C,
  jwst defaults) in the reference environment on jwcal's ``dq-init`` output, one process per
  exposure, ``workers`` at a time;
* the scheduling overhead per task: trivial tasks submitted and collected the way a batch does
  (``submit`` + ``as_completed``) on a 2-worker LocalCluster, and that cluster's start-up time.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stage1 import REFERENCE_SCRIPT, SHAPE, STCAL, _jwcal
from refenv import pinned_python, timed

N_EXPOSURES = 8
WORKERS = 2
TRIVIAL_TASKS = 2000


def _simulate(directory: Path, shape) -> dict[str, Path]:
    """``jwcal simulate ramp`` with its defaults (kept between runs); return the file paths."""
    directory.mkdir(parents=True, exist_ok=True)
    if not list(directory.glob("*_uncal.fits")):
        command = [_jwcal(), "simulate", "ramp", "-o", str(directory), "--ngroups", str(shape[1]),
                   "--nints", str(shape[0]), "--seed", "1", "--overwrite"]
        if tuple(shape[2:]) != (2048, 2048):
            command += ["--size", str(shape[2]), str(shape[3])]
        subprocess.run(command, check=True)
    paths = {key: directory / f"{key}.fits" for key in ("gain", "readnoise", "mask")}
    paths["uncal"] = next(directory.glob("*_uncal.fits"))
    return paths


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _stage1_text(p: dict[str, Path]) -> str:
    return (f"dq-init --mask {p['mask']} | jump --gain {p['gain']} --readnoise {p['readnoise']} | "
            f"ramp-fit --gain {p['gain']} --readnoise {p['readnoise']}")


class _PeakRSS(threading.Thread):
    """Follows the worker processes of a command and keeps each one's VmHWM (peak RSS, MB)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peaks, self.stop = pid, {}, threading.Event()

    def run(self):
        import psutil

        root = psutil.Process(self.pid)
        while not self.stop.is_set():
            try:
                children = root.children(recursive=True)
            except psutil.NoSuchProcess:
                return
            for child in [root, *children]:
                try:
                    if child is not root and "spawn_main" not in " ".join(child.cmdline()):
                        continue
                    status = Path(f"/proc/{child.pid}/status").read_text()
                except (OSError, psutil.Error):
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        self.peaks[child.pid] = max(self.peaks.get(child.pid, 0.0),
                                                    int(line.split()[1]) / 1024.0)
            time.sleep(0.2)


def _jwcal_batch(text: str, inputs: list[Path], outdir: Path, workers: int) -> dict:
    shutil.rmtree(outdir, ignore_errors=True)
    command = [_jwcal(), "-v", "run", text, *map(str, inputs), "-o", str(outdir), "--workers", str(workers)]
    cpu0, t0 = _cpu_children(), time.perf_counter()
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    sampler = _PeakRSS(proc.pid)
    sampler.start()
    _, err = proc.communicate()
    wall, cpu = time.perf_counter() - t0, _cpu_children() - cpu0
    sampler.stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"jwcal run failed ({proc.returncode}): {err.strip()}")
    # the command itself is a worker only with --workers 1 (the batch runs in it)
    peaks = sampler.peaks if workers == 1 else {k: v for k, v in sampler.peaks.items() if k != proc.pid}
    peaks = sorted(peaks.values(), reverse=True)[:workers]
    # -v: one line per exposure, "<name>: done in <seconds> s" (the task's own wall time)
    tasks = sorted(float(line.rsplit(" in ", 1)[1].split()[0]) for line in err.splitlines()
                   if ": done in " in line)
    return {"wall_s": wall, "cpu_s": cpu, "exposures_per_min": 60 * len(inputs) / wall,
            "task_s": tasks,
            "cpu_s_per_exposure": cpu / len(inputs), "peak_rss_per_worker_mb": peaks,
            "summary_line": [line for line in err.splitlines() if " done, " in line][-1]}


def _stcal_batch(python: str, script: Path, ramp: Path, p: dict[str, Path], workdir: Path, n: int,
                 workers: int) -> dict:
    def one(i: int) -> tuple[float, float]:
        with open(workdir / f"stcal_{i}.json", "w") as handle:
            return timed([python, str(script), str(ramp), "none", str(p["gain"]), str(p["readnoise"]),
                          str(workdir / f"stcal_{i}.npz")], stdout=handle)

    cpu0, t0 = _cpu_children(), time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        runs = list(pool.map(one, range(n)))
    wall, cpu = time.perf_counter() - t0, _cpu_children() - cpu0
    for i in range(n):
        (workdir / f"stcal_{i}.npz").unlink(missing_ok=True)
    return {"wall_s": wall, "cpu_s": cpu, "exposures_per_min": 60 * n / wall, "cpu_s_per_exposure": cpu / n,
            "peak_rss_per_process_mb": max(rss for _, rss in runs),
            "process_wall_s": sorted(w for w, _ in runs)}


def _scheduling_overhead(tasks: int = TRIVIAL_TASKS, workers: int = WORKERS) -> dict:
    """Per-task cost of a batch's submit/as_completed round trip on a LocalCluster, and its start-up."""
    import logging

    from distributed import Client, LocalCluster, as_completed

    from jwcal.pipeline.batch import Outcome

    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        started = time.perf_counter() - t0
        client.submit(Outcome, "warm-up", 0.0, pure=False).result()
        t1 = time.perf_counter()
        futures = [client.submit(Outcome, f"/data/x{i}_uncal.fits", 0.0, None, pure=False)
                   for i in range(tasks)]
        for future in as_completed(futures):
            future.result()
        elapsed = time.perf_counter() - t1
        t2 = time.perf_counter()
    return {"tasks": tasks, "workers": workers, "per_task_ms": 1000 * elapsed / tasks,
            "cluster_start_s": started, "cluster_close_s": time.perf_counter() - t2}


def main(workdir: Path, n: int = N_EXPOSURES, shape=SHAPE, workers: int = WORKERS) -> dict:
    """Run the benchmark in ``workdir``; return throughput, CPU, memory and overhead figures."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        return {"skipped": "dask.distributed is not installed (pip install 'jwcal[dask]')"}
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    j = _jwcal()

    tiny = _simulate(workdir / "tiny", (1, shape[1], 64, 64))
    subprocess.run([j, "run", _stage1_text(tiny), str(tiny["uncal"]), "-o",
                    str(workdir / "tiny" / "rate.fits"),
                    "--overwrite"], check=True)

    paths = _simulate(workdir / "sim", shape)
    indir = workdir / "in"
    indir.mkdir(exist_ok=True)
    inputs = []
    for i in range(n):
        target = indir / f"jw01234001001_01101_{i + 1:05d}_nrcb1_uncal.fits"
        shutil.copyfile(paths["uncal"], target)
        inputs.append(target)
    text = _stage1_text(paths)
    result: dict = {"exposures": n, "shape": list(shape), "workers": workers,
                    "data_source": "jwcal simulate ramp (defaults), copied to each input",
                    "jwcal_command": f"jwcal run '{text}' <{n} files> -o out/ --workers {workers}"}

    result["jwcal"] = _jwcal_batch(text, inputs, workdir / "out", workers)
    # the alternative to a cluster on one machine: the batch in one process, numba on every core
    result["jwcal_in_process"] = _jwcal_batch(text, inputs, workdir / "out", 1)

    ramp = workdir / "ramp.fits"
    subprocess.run([j, "dq-init", "--mask", str(paths["mask"]), str(paths["uncal"]), "-o", str(ramp),
                    "--overwrite"], check=True)
    python, result["stcal_version"] = pinned_python(STCAL)
    script = workdir / "reference_stage1.py"
    script.write_text(REFERENCE_SCRIPT)
    result["stcal"] = _stcal_batch(python, script, ramp, paths, workdir, n, workers)
    per_exposure = [json.loads((workdir / f"stcal_{i}.json").read_text().strip().splitlines()[-1])
                    for i in range(n)]
    result["stcal"]["jump_plus_ramp_fit_s_median"] = sorted(
        r["jump_s"] + r["ramp_fit_s"] for r in per_exposure)[n // 2]

    result["throughput_ratio"] = result["jwcal"]["exposures_per_min"] / result["stcal"]["exposures_per_min"]
    result["cpu_ratio"] = result["stcal"]["cpu_s_per_exposure"] / result["jwcal"]["cpu_s_per_exposure"]
    result["scheduling_overhead"] = _scheduling_overhead(workers=workers)

    shutil.rmtree(indir, ignore_errors=True)
    shutil.rmtree(workdir / "out", ignore_errors=True)
    shutil.rmtree(workdir / "tiny", ignore_errors=True)
    return result


if __name__ == "__main__":
    work = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "work" / "batch"
    print(json.dumps(main(work), indent=2))
