"""The Dask side of a batch: the cluster (local or remote), task submission, retries after deaths.

dask.distributed is imported only here and only inside functions, so jwcal works without it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import uuid
from collections.abc import Callable

from jwcal.errors import JwcalError
from jwcal.pipeline.batch import Job, Outcome, pin_numba_threads, remove_leftovers, run_exposure

log = logging.getLogger("jwcal")

MISSING = ("a batch on a cluster needs dask.distributed: pip install 'jwcal[dask]' (or "
           "'dask[distributed]'), or run it in this process with --workers 1")


def require_distributed() -> None:
    """Raise a one-line JwcalError (exit 1) naming the package to install if dask is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise JwcalError(MISSING) from None


def local_size(workers: int | None, threads: int | None, cores: int) -> tuple[int, int]:
    """Return (worker processes, numba threads of each) for a local cluster on ``cores`` cores."""
    if workers is None:
        threads = threads or 1
        return max(1, cores // threads), threads
    return workers, threads or max(1, cores // workers)


def _task(text: str, source: str, output: str, overwrite: bool) -> Outcome:
    """Run one exposure as a Dask task, numba pinned first to this worker's share of cores."""
    from distributed import get_worker

    pin_numba_threads(get_worker().state.nthreads)
    return run_exposure(text, source, output, overwrite)


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int | None, threads: int | None, retries: int):
    from dask.system import CPU_COUNT
    from distributed import Client, LocalCluster

    if scheduler is not None:
        if workers is not None or threads is not None:
            log.warning("--workers and --threads-per-worker size a local cluster; the workers of %s "
                        "are used as they were started", scheduler)
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise JwcalError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        with client:
            if not client.scheduler_info().get("workers"):
                log.warning("scheduler %s has no workers yet: the batch waits for some to join", scheduler)
            yield client
        return
    n, t = local_size(workers, threads, CPU_COUNT)
    dashboard = ":0" if importlib.util.find_spec("bokeh") is not None else None
    # One Dask thread per worker: a worker runs one exposure at a time, with t numba threads
    # (NUMBA_NUM_THREADS is read when numba is imported, which happens in the first task). A
    # worker death is retried `retries` times by the scheduler itself (allowed_failures).
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=dashboard,
                      scheduler_kwargs={"allowed_failures": retries}, env={"NUMBA_NUM_THREADS": str(t)},
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        log.info("local Dask cluster: %d workers x %d numba threads%s", n, t,
                 f", dashboard {client.dashboard_link}" if dashboard else "")
        yield client


def _deaths(exc: BaseException) -> int | None:
    """Workers that died running a task, if ``exc`` says the task was lost that way."""
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        return int(getattr(exc, "allowed_failures", 0)) + 1
    return None


def _settle(future, job: Job, deaths: dict[str, int], retries: int) -> Outcome | None:
    """Return the final outcome of a completed future, or None if its job is to be submitted again."""
    if future.status == "finished":
        return future.result()
    exc = future.exception() if future.status == "error" else None
    lost = _deaths(exc) if exc is not None else None
    if lost is not None:
        deaths[job.source] = deaths.get(job.source, 0) + lost
        if deaths[job.source] <= retries:
            log.warning("%s: its worker died; retrying", job.source)
            return None
        reason = (f"the worker running it died {deaths[job.source]} times (killed, or out of memory: see "
                  "the workers' --memory-limit)")
    elif exc is not None:
        reason = f"lost by the cluster: {type(exc).__name__}: {exc}"
    else:
        reason = f"lost by the cluster ({future.status})"
    return Outcome(job.source, 0.0, reason)


def run_on_dask(text: str, jobs: list[Job], record: Callable[[Outcome], None], *, workers: int | None,
                threads_per_worker: int | None, scheduler: str | None, retries: int, overwrite: bool,
                verbose: int) -> None:
    """Run one task per job on a Dask cluster; hand each final :class:`Outcome` to ``record``.

    A task lost with its workers (``KilledWorker``) after the scheduler's own retries is submitted
    again while the deaths it caused stay within ``retries``; on a local cluster the scheduler's
    ``allowed_failures`` is ``retries``, so this never happens there. Interrupting cancels what is
    left and closes a local cluster; temp files of killed writers are removed once no task of the
    batch can still be running (always on a local cluster, after a complete run on a remote one).
    """
    from distributed import as_completed

    interrupted = True
    try:
        with _client(scheduler, workers, threads_per_worker, retries) as client:
            pending: dict[str, Job] = {}
            deaths: dict[str, int] = {}

            def submit(job: Job):
                key = f"jwcal-run-{job.source.rsplit('/', 1)[-1]}-{uuid.uuid4().hex[:8]}"
                pending[key] = job
                return client.submit(_task, text, job.source, job.output, overwrite, key=key, pure=False,
                                     retries=0)

            futures = as_completed([submit(job) for job in jobs])
            try:
                for future in futures:
                    job = pending.pop(future.key)
                    outcome = _settle(future, job, deaths, retries)
                    if outcome is None:
                        futures.add(submit(job))
                    else:
                        record(outcome)
                interrupted = False
            finally:
                if interrupted:
                    client.cancel(list(futures.futures))
    finally:
        if scheduler is None or not interrupted:
            remove_leftovers(jobs)
