"""Batches of exposures (``jwcal run PIPELINE FILE... -o DIR``): in process, on a LocalCluster, on a
real ``dask scheduler`` + ``dask worker`` cluster, with corrupt inputs, killed workers and reruns."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from click.testing import CliRunner

from jwcal.cli.main import cli
from jwcal.errors import UsageError
from jwcal.pipeline import batch
from jwcal.pipeline.inprocess import run_file
from jwcal.pipeline.parse import parse_pipeline

DASK_BIN = Path(sys.executable).parent / "dask"
needs_dask = pytest.mark.skipif(shutil.which("dask", path=str(DASK_BIN.parent)) is None
                                or __import__("importlib").util.find_spec("distributed") is None,
                                reason="dask.distributed not installed (pip install 'jwcal[dask]')")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """A small simulated ramp with its references, and the stage-1 pipeline over them."""
    directory = tmp_path_factory.mktemp("sim")
    result = CliRunner().invoke(cli, ["simulate", "ramp", "-o", str(directory), "--size", "64", "64",
                                      "--ngroups", "5", "--ref-subarray", "--seed", "3"])
    assert result.exit_code == 0, result.output
    g, r, m = (directory / f"{name}.fits" for name in ("gain", "readnoise", "mask"))
    text = (f"dq-init --mask {m} | jump --gain {g} --readnoise {r} | "
            f"ramp-fit --gain {g} --readnoise {r}")
    uncal = directory / "jw01234001001_01101_00001_nrcb1_uncal.fits"
    expected = directory / "expected_rate.fits"
    pipeline = parse_pipeline(text)
    run_file(pipeline, str(uncal), str(expected), overwrite=False)
    return {"uncal": uncal, "text": text, "pipeline": pipeline, "expected": expected, "dir": directory}


def _inputs(sim, directory, names, corrupt=()):
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        path = directory / f"{name}_uncal.fits"
        if name in corrupt:
            path.write_bytes(sim["uncal"].read_bytes()[:20000])  # truncated inside SCI
        else:
            shutil.copyfile(sim["uncal"], path)
        paths.append(str(path))
    return paths


def _assert_rate(sim, path):
    """The batch product equals the single-file ``jwcal run`` product, and names its pipeline."""
    with fits.open(path) as got, fits.open(sim["expected"]) as want:
        assert got[0].header["JWCALPIP"] == sim["pipeline"].digest
        for name in ("SCI", "DQ", "ERR", "VAR_POISSON", "VAR_RNOISE"):
            np.testing.assert_array_equal(got[name].data, want[name].data)


def _no_leftovers(outdir):
    assert [name for name in os.listdir(outdir) if name.endswith(".part")] == []


# --- planning and resuming (no Dask) -------------------------------------------------------------

def test_output_names_strip_the_jwst_suffix_and_collisions_are_usage_errors(tmp_path):
    jobs = batch.plan(["raw/a_uncal.fits", "b_ramp.fits", "c.fits"], str(tmp_path), "rate")
    assert [os.path.basename(job.output) for job in jobs] == ["a_rate.fits", "b_rate.fits", "c_rate.fits"]
    assert all(os.path.isabs(job.source) for job in jobs)
    with pytest.raises(UsageError, match="would both be written"):
        batch.plan(["x/a_uncal.fits", "y/a_uncal.fits"], str(tmp_path), "rate")
    with pytest.raises(UsageError, match="replace the input"):
        batch.plan([str(tmp_path / "a_rate.fits")], str(tmp_path), "rate")


def test_in_process_batch_then_rerun_skips_what_is_up_to_date(sim, tmp_path, capsys):
    inputs = _inputs(sim, tmp_path / "in", ["a", "b", "c"])
    out = tmp_path / "out"
    summary = batch.run_batch(sim["pipeline"], inputs, str(out), workers=1, verbose=1)
    assert (summary.done, summary.failed, summary.skipped) == (3, 0, 0)
    for name in "abc":
        _assert_rate(sim, out / f"{name}_rate.fits")
    assert "3 done, 0 failed, 0 skipped" in capsys.readouterr().err

    stamps = {p: p.stat().st_mtime_ns for p in out.iterdir()}
    summary = batch.run_batch(sim["pipeline"], inputs, str(out), workers=1)
    assert (summary.done, summary.failed, summary.skipped) == (0, 0, 3)
    assert {p: p.stat().st_mtime_ns for p in out.iterdir()} == stamps
    # a task retried after its worker died once the output was written: success, nothing rewritten
    outcome = batch.run_exposure(sim["pipeline"].text, inputs[0], str(out / "a_rate.fits"), False)
    assert outcome.error is None
    assert {p: p.stat().st_mtime_ns for p in out.iterdir()} == stamps

    # an input newer than its output, and an output of another pipeline: out of date, not replaced
    later = time.time() + 5
    os.utime(inputs[0], (later, later))
    with fits.open(out / "b_rate.fits", mode="update") as hdul:
        hdul[0].header["JWCALPIP"] = "0123456789abcdef"
    summary = batch.run_batch(sim["pipeline"], inputs, str(out), workers=1)
    assert (summary.done, summary.failed, summary.skipped) == (0, 2, 1)
    reasons = dict(summary.failures)
    assert "older than its input" in reasons[inputs[0]] and "another pipeline" in reasons[inputs[1]]

    summary = batch.run_batch(sim["pipeline"], inputs, str(out), workers=1, overwrite=True)
    assert (summary.done, summary.failed, summary.skipped) == (3, 0, 0)
    _assert_rate(sim, out / "b_rate.fits")


def test_without_dask_one_file_and_workers_1_run_and_a_cluster_is_a_one_line_error(sim, tmp_path):
    inputs = _inputs(sim, tmp_path / "in", ["a", "b"])
    env = dict(os.environ)
    # hide dask from a real jwcal process: a meta-path entry that refuses it, then the real CLI
    launcher = ("import importlib.abc, importlib.machinery, sys\n"
                "class Absent(importlib.abc.Loader):\n"
                "    def create_module(self, spec):\n"
                "        raise ModuleNotFoundError(f'No module named {spec.name!r}', name=spec.name)\n"
                "    def exec_module(self, module):\n"
                "        pass\n"
                "class Block:\n"
                "    def find_spec(self, name, path=None, target=None):\n"
                "        if name.split('.')[0] in ('dask', 'distributed'):\n"
                "            return importlib.machinery.ModuleSpec(name, Absent())\n"
                "sys.meta_path.insert(0, Block())\n"
                "from jwcal.cli.main import main\n"
                "sys.argv = ['jwcal', *sys.argv[1:]]\n"
                "main()\n")
    base = [sys.executable, "-c", launcher, "run", sim["text"]]
    one = subprocess.run([*base, inputs[0], "-o", str(tmp_path / "one_rate.fits")], capture_output=True,
                         text=True, env=env)
    assert one.returncode == 0, one.stderr
    seq = subprocess.run([*base, *inputs, "-o", str(tmp_path / "seq"), "--workers", "1"],
                         capture_output=True, text=True, env=env)
    assert seq.returncode == 0, seq.stderr
    assert "2 done, 0 failed, 0 skipped" in seq.stderr
    _assert_rate(sim, tmp_path / "seq" / "a_rate.fits")
    cluster = subprocess.run([*base, *inputs, "-o", str(tmp_path / "par"), "--workers", "2"],
                             capture_output=True, text=True, env=env)
    assert cluster.returncode == 1
    lines = cluster.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'jwcal[dask]'" in lines[0], cluster.stderr
    assert not (tmp_path / "par").exists()


def test_numba_threads_are_the_cores_the_worker_owns():
    code = ("from jwcal.pipeline.batch import pin_numba_threads as pin; pin({}); "
            "import numba; print(numba.config.NUMBA_NUM_THREADS)")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
    for args, extra, want in (("1", {}, "1"), ("2", {}, "2"), ("1", {"NUMBA_NUM_THREADS": "3"}, "3"),
                              ("1, 2", {}, "2")):
        got = subprocess.run([sys.executable, "-c", code.format(args)], capture_output=True, text=True,
                             env={**env, **extra}, check=True).stdout.strip()
        assert got == want, (args, extra)


# --- Dask ----------------------------------------------------------------------------------------

@needs_dask
def test_local_cluster_of_two_workers_with_one_corrupt_file(sim, tmp_path, capsys):
    inputs = _inputs(sim, tmp_path / "in", ["a", "b", "bad", "c"], corrupt={"bad"})
    out = tmp_path / "out"
    summary = batch.run_batch(sim["pipeline"], inputs, str(out), workers=2, threads_per_worker=1)
    assert (summary.done, summary.failed, summary.skipped) == (3, 1, 0)
    [(path, reason)] = summary.failures
    assert path == inputs[2] and "truncated" in reason
    err = capsys.readouterr().err
    assert "3 done, 1 failed, 0 skipped" in err and inputs[2] in err
    assert sorted(os.listdir(out)) == ["a_rate.fits", "b_rate.fits", "c_rate.fits"]
    for name in "abc":
        _assert_rate(sim, out / f"{name}_rate.fits")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1 (killed at the end)."""
    from distributed import Client

    if not DASK_BIN.exists():
        pytest.skip("the dask command is not installed")
    work = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
    commands = [[str(DASK_BIN), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]]
    # the second worker runs two exposures at once in one process
    commands += [[str(DASK_BIN), "worker", address, "--nthreads", str(i + 1), "--no-dashboard", "--host",
                  "127.0.0.1", "--local-directory", str(work / f"w{i}"), "--death-timeout", "60"]
                 for i in range(2)]
    procs = []
    try:
        for command in commands:
            log = open(work / f"{len(procs)}.log", "w")  # noqa: SIM115 - closed with the process
            procs.append((subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=log,
                                           start_new_session=True), log))
            if len(procs) == 1:
                time.sleep(0.5)
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            yield address, client
    finally:
        for proc, log in reversed(procs):
            with __import__("contextlib").suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            log.close()


@needs_dask
def test_batch_through_a_running_scheduler(sim, tmp_path, dask_cluster):
    address, client = dask_cluster
    names = ["a", "b", "c", "d", "e", "f"]
    inputs = _inputs(sim, tmp_path / "in", names)
    out = tmp_path / "out"
    summary = batch.run_batch(sim["pipeline"], inputs, str(out), scheduler=address)
    assert (summary.done, summary.failed, summary.skipped) == (6, 0, 0)
    for name in names:
        _assert_rate(sim, out / f"{name}_rate.fits")
    # no NUMBA_NUM_THREADS in the workers' environment: numba gets each worker's --nthreads
    threads = client.run(lambda: __import__("numba").config.NUMBA_NUM_THREADS)
    assert sorted(threads.values()) == [1, 2]
    summary = batch.run_batch(sim["pipeline"], inputs, str(out), scheduler=address)
    assert (summary.done, summary.failed, summary.skipped) == (0, 0, 6)


@needs_dask
def test_a_worker_killed_in_the_middle_is_retried(sim, tmp_path, dask_cluster):
    """One input is a FIFO: its task blocks reading it, its worker is SIGKILLed, the task moves to
    the other worker, and only then are the bytes written; the whole batch completes."""
    address, client = dask_cluster
    inputs = _inputs(sim, tmp_path / "in", ["a", "b"])
    fifo = tmp_path / "in" / "slow_uncal.fits"
    os.mkfifo(fifo)
    inputs.append(str(fifo))
    out = tmp_path / "out"
    result = {}
    runner = threading.Thread(target=lambda: result.setdefault(
        "summary", batch.run_batch(sim["pipeline"], inputs, str(out), scheduler=address, retries=3)))
    runner.start()

    def worker_of_slow_task(exclude=None):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for worker, keys in client.processing().items():
                if worker != exclude and any("slow_uncal" in str(key) for key in keys):
                    return worker
            time.sleep(0.05)
        raise AssertionError("the slow task never started")

    victim = worker_of_slow_task()
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    worker_of_slow_task(exclude=victim)  # rescheduled elsewhere, blocked in open() again
    assert not (out / "slow_rate.fits").exists()
    with open(fifo, "wb") as handle:
        handle.write(sim["uncal"].read_bytes())
    runner.join(120)
    summary = result["summary"]
    assert (summary.done, summary.failed, summary.skipped) == (3, 0, 0), summary.failures
    for name in ("a", "b", "slow"):
        _assert_rate(sim, out / f"{name}_rate.fits")
    _no_leftovers(out)


@needs_dask
def test_cli_batch_end_to_end(sim, tmp_path, jwcal_exe):
    inputs = _inputs(sim, tmp_path, ["a", "b", "bad"], corrupt={"bad"})
    command = [jwcal_exe, "run", sim["text"], *inputs, "-o", "out/"]
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert first.returncode == 1, first.stderr
    assert "2 done, 1 failed, 0 skipped" in first.stderr and "bad_uncal.fits" in first.stderr
    _assert_rate(sim, tmp_path / "out" / "a_rate.fits")
    again = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 1 and "0 done, 1 failed, 2 skipped" in again.stderr
    good = subprocess.run([*command[:3], *inputs[:2], "-o", "out/", "--workers", "1"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert good.returncode == 0 and "0 done, 0 failed, 2 skipped" in good.stderr


@needs_dask
def test_sigterm_leaves_complete_outputs_only_and_stops_the_cluster(sim, tmp_path, jwcal_exe):
    import psutil

    inputs = _inputs(sim, tmp_path, ["a", "b"])
    fifo = tmp_path / "slow_uncal.fits"
    os.mkfifo(fifo)  # its task blocks reading it until the batch is interrupted
    out = tmp_path / "out"
    proc = subprocess.Popen([jwcal_exe, "run", sim["text"], *inputs, str(fifo), "-o", str(out),
                             "--workers", "2"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not ((out / "a_rate.fits").exists() and (out / "b_rate.fits").exists()
                   and any(name.startswith(".slow_rate.fits.") for name in os.listdir(out))):
            assert proc.poll() is None and time.monotonic() < deadline, "the batch did not get going"
            time.sleep(0.1)
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert workers
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM
    assert "2 done, 0 failed, 0 skipped (interrupted)" in err
    assert sorted(os.listdir(out)) == ["a_rate.fits", "b_rate.fits"]
    _assert_rate(sim, out / "a_rate.fits")
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []


@needs_dask
def test_an_unusable_scheduler_address_is_one_line_and_leaves_no_directory(sim, tmp_path, jwcal_exe):
    inputs = _inputs(sim, tmp_path, ["a", "b"])
    run = subprocess.run([jwcal_exe, "run", sim["text"], *inputs, "-o", str(tmp_path / "out"),
                          "--scheduler", "bogus://127.0.0.1:1"], capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and "cannot connect" in run.stderr
    assert not (tmp_path / "out").exists()
