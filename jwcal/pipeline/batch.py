"""Batches: one pipeline over many exposure files, one task per file, in this process or on Dask.

:func:`run_batch` plans the batch on the client (output names, which outputs are up to date),
then runs one task per remaining file: sequentially in this process with ``workers=1``, else on a
Dask cluster (:mod:`jwcal.pipeline._cluster`: a ``LocalCluster`` by default, or a running
scheduler). A task carries the pipeline text and two paths, never arrays, and returns an
:class:`Outcome` instead of raising for a failed exposure, so that Dask only ever sees worker
deaths, which it retries; see docs/decisions/0010-batch-engine.md.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field

from jwcal.errors import JwcalError, UsageError
from jwcal.products import with_suffix

log = logging.getLogger("jwcal")

#: Primary-header keyword that names the pipeline (its digest) that wrote a batch output.
RECORD_KEYWORD = "JWCALPIP"


@dataclass
class BatchSummary:
    """What a batch did: counts, and ``(input path, reason)`` for each failed exposure."""

    done: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        """Return the one-line summary, ``N done, M failed, K skipped``."""
        return f"{self.done} done, {self.failed} failed, {self.skipped} skipped"

    def table(self) -> str:
        """Return the failures as a two-column text table (empty when nothing failed)."""
        if not self.failures:
            return ""
        width = max(len("input"), *(len(path) for path, _ in self.failures))
        rows = [f"{'input':<{width}}  reason", *(f"{p:<{width}}  {why}" for p, why in self.failures)]
        return "\n".join(rows)


@dataclass(frozen=True)
class Job:
    """One exposure of the batch: absolute input and output paths."""

    source: str
    output: str


@dataclass(frozen=True)
class Outcome:
    """What a task returns: ``error`` is None on success, else a one-line reason."""

    source: str
    seconds: float
    error: str | None = None


def output_path(source: str, outdir: str, suffix: str | None) -> str:
    """Return ``outdir/<root>_<suffix>.fits`` for ``source`` (its own name when ``suffix`` is None)."""
    name = os.path.basename(source)
    return os.path.join(outdir, with_suffix(name, suffix) if suffix else name)


def plan(inputs: list[str], outdir: str, suffix: str | None) -> list[Job]:
    """Return one :class:`Job` per input; refuse two inputs with one output, or an input as output."""
    jobs, seen = [], {}
    for source in inputs:
        source = os.path.abspath(source)
        output = output_path(source, os.path.abspath(outdir), suffix)
        if output in seen:
            raise UsageError(f"{seen[output]} and {source} would both be written to {output}")
        if output == source:
            raise UsageError(f"{source}: the output would replace the input (choose another -o DIR)")
        seen[output] = source
        jobs.append(Job(source, output))
    return jobs


def stale_reason(job: Job, digest: str) -> str | None:
    """Return None if ``job.output`` is up to date, else why not (``missing`` when it does not exist).

    Up to date: the output exists, is newer than the input and carries ``JWCALPIP = digest``.
    """
    from jwcal.io import read_exposures

    try:
        out_time = os.stat(job.output).st_mtime_ns
    except FileNotFoundError:
        return "missing"
    try:
        if out_time <= os.stat(job.source).st_mtime_ns:
            return "older than its input"
    except OSError:
        return "its input cannot be read"
    try:
        with contextlib.closing(read_exposures(job.output, headers_only=True)) as exposures:
            recorded = next(exposures).peek_primary().get(RECORD_KEYWORD)
    except JwcalError:
        return "not a readable FITS file"
    if recorded is None:
        return "not written by jwcal run"
    if str(recorded).strip() != digest:
        return "written by another pipeline"
    return None


# Numba's thread count can only be chosen before numba is imported, once per process.
_numba_lock = threading.Lock()
_numba_pinned = [False]


def pin_numba_threads(nthreads: int, owned: int | None = None) -> None:
    """Size this process's numba thread pool to the cores it owns, before numba is imported.

    The process owns ``owned`` cores, else ``NUMBA_NUM_THREADS`` if its environment sets it, else
    ``nthreads`` (a Dask worker with ``--nthreads T`` is taken to own T cores); that becomes
    ``NUMBA_NUM_THREADS``, which also caps jump's ``--maximum-cores all``. The ``nthreads``
    exposures a worker may run at once never compute together: ``jwcal run`` stages hold one
    per-process lock while they compute (:data:`jwcal.io.channel.KERNELS`), so one kernel at a
    time runs at the worker's full width while the others read or write. Without effect (logged)
    once numba is imported.
    """
    with _numba_lock:
        if _numba_pinned[0]:
            return
        _numba_pinned[0] = True
        if owned is None:
            try:
                owned = int(os.environ.get("NUMBA_NUM_THREADS") or nthreads)
            except ValueError:
                owned = nthreads
        if "numba" in sys.modules:
            log.debug("numba was imported before the batch: its thread count stays as it is")
            return
        os.environ["NUMBA_NUM_THREADS"] = str(max(1, owned))


_parsed: dict[str, object] = {}


def run_exposure(text: str, source: str, output: str, overwrite: bool) -> Outcome:
    """Run the pipeline ``text`` on one file (the batch task); never raise for a failed exposure.

    A :class:`~jwcal.errors.JwcalError` (bad data, unsupported input, even a usage error of a
    stage) and any other exception become an :class:`Outcome` with the reason, so that Dask does
    not retry them; only the death of the worker process escapes. An up-to-date output is success:
    a task retried after its worker died may find what its first attempt wrote.
    """
    from jwcal.pipeline.inprocess import run_file
    from jwcal.pipeline.parse import parse_pipeline

    started = time.perf_counter()
    try:
        if text not in _parsed:
            _parsed[text] = parse_pipeline(text)
        pipeline = _parsed[text]
        if not overwrite and stale_reason(Job(source, output), pipeline.digest) is None:
            # written by an earlier attempt whose worker died before it could report
            return Outcome(source, time.perf_counter() - started)
        run_file(pipeline, source, output, overwrite=overwrite, record=True)
    except JwcalError as exc:
        return Outcome(source, time.perf_counter() - started, str(exc))
    except Exception as exc:  # a bug: report it with the file, do not retry it
        return Outcome(source, time.perf_counter() - started,
                       f"internal error: {type(exc).__name__}: {exc}")
    return Outcome(source, time.perf_counter() - started)


def remove_leftovers(jobs: list[Job]) -> None:
    """Remove temp files of this batch's outputs left by killed processes (``.<name>.*.part``)."""
    for job in jobs:
        directory, name = os.path.split(job.output)
        for temp in glob.glob(os.path.join(glob.escape(directory), f".{glob.escape(name)}.*.part")):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)


class _Tally:
    """Counts outcomes into a summary, logs one line per exposure (-v) and drives the progress bar."""

    def __init__(self, summary: BatchSummary, total: int, verbose: int):
        self.summary, self.total, self.verbose = summary, total, verbose
        self._progress = self._task = None
        self._stack = contextlib.ExitStack()

    def __enter__(self):
        if self.total and sys.stderr is not None and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = self._stack.enter_context(Progress(
                TextColumn("jwcal run"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True))
            self._task = self._progress.add_task("batch", total=self.total, failed=0)
        return self

    def __exit__(self, *exc):
        return self._stack.__exit__(*exc)

    def add(self, outcome: Outcome) -> None:
        name = os.path.basename(outcome.source)
        if outcome.error is None:
            self.summary.done += 1
        else:
            self.summary.failed += 1
            self.summary.failures.append((outcome.source, outcome.error))
        if self.verbose >= 1:
            log.info("%s: %s in %.1f s", name, "done" if outcome.error is None else "failed", outcome.seconds)
        if self._progress is not None:
            self._progress.update(self._task, advance=1, failed=self.summary.failed)


def _in_input_order(summary: BatchSummary, inputs: list[str]) -> BatchSummary:
    """Sort the failures as the inputs were given, with the paths spelled as given."""
    given = {os.path.abspath(path): path for path in inputs}
    order = {path: index for index, path in enumerate(given)}
    summary.failures = sorted(((given.get(path, path), why) for path, why in summary.failures),
                              key=lambda failure: order.get(os.path.abspath(failure[0]), len(order)))
    return summary


def _report(summary: BatchSummary, interrupted: bool = False) -> None:
    text = summary.line() + (" (interrupted)" if interrupted else "")
    if summary.failures:
        text += "\n" + summary.table()
    print(text, file=sys.stderr, flush=True)


def run_batch(pipeline, inputs: list[str], outdir: str, *, workers: int | None = None,
              threads_per_worker: int | None = None, scheduler: str | None = None, retries: int = 3,
              overwrite: bool = False, verbose: int = 0) -> BatchSummary:
    """Run ``pipeline`` on each of ``inputs`` into ``outdir/<root>_<suffix>.fits``; report on stderr.

    Parameters
    ----------
    pipeline : jwcal.pipeline.parse.Pipeline
        Single-exposure stages only.
    inputs : list of str
        Exposure files. Paths are made absolute; with ``scheduler`` they (and the reference files
        named in the pipeline) must be visible at the same paths on the workers.
    outdir : str
        Output directory, created if missing.
    workers, threads_per_worker : int, optional
        Local cluster size: worker processes (default: cores / threads_per_worker; 1 runs in this
        process without Dask) and numba threads of each (default: cores / workers). Each worker
        runs one exposure at a time.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``) instead of a local cluster.
    retries : int
        Times an exposure is run again after the worker running it died (killed, out of memory).
        Failed exposures (data errors) are never retried.
    overwrite : bool
        Run every exposure, replacing outputs; else up-to-date outputs are skipped and out-of-date
        ones fail (an existing file is replaced only with ``overwrite``).
    verbose : int
        At 1 or more, one log line per exposure.

    Returns
    -------
    BatchSummary
        Also written to stderr: ``N done, M failed, K skipped`` and a table of the failures.

    Raises
    ------
    UsageError
        A multi-exposure stage, two inputs with one output, an output directory that is a file.
    JwcalError
        A cluster was asked for but dask.distributed is not installed, or it cannot be reached.
    """
    if pipeline.multi_exposure:
        raise UsageError("a batch runs each exposure on its own: tweakreg, outlier and resample "
                         "cannot be part of it")
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise UsageError(f"-o {outdir}: exists and is not a directory")
    summary = BatchSummary()
    todo = []
    for job in plan(inputs, outdir, pipeline.suffix):
        reason = None if overwrite else stale_reason(job, pipeline.digest)
        if reason is None and not overwrite:
            summary.skipped += 1
            log.debug("%s: up to date", job.output)
        elif reason in (None, "missing"):
            todo.append(job)
        else:
            summary.failed += 1
            summary.failures.append((job.source, f"{job.output} exists and is out of date ({reason}); "
                                     "--overwrite replaces it"))
    local = workers == 1 and scheduler is None
    if todo and not local:
        from jwcal.pipeline._cluster import require_distributed

        require_distributed()
    created = not os.path.isdir(outdir)
    os.makedirs(outdir, exist_ok=True)
    try:
        with _Tally(summary, len(todo), verbose) as tally:
            if todo and local:
                if threads_per_worker is not None:
                    pin_numba_threads(1, threads_per_worker)
                for job in todo:
                    tally.add(run_exposure(pipeline.text, job.source, job.output, overwrite))
            elif todo:
                from jwcal.pipeline._cluster import run_on_dask

                run_on_dask(pipeline.text, todo, tally.add, workers=workers,
                            threads_per_worker=threads_per_worker, scheduler=scheduler, retries=retries,
                            overwrite=overwrite, verbose=verbose)
    except JwcalError:  # no cluster to run on (e.g. nothing at --scheduler): nothing ran, no summary
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(outdir)
        raise
    except BaseException:  # Ctrl-C, SIGTERM: say what was done before stopping
        _report(_in_input_order(summary, inputs), interrupted=True)
        raise
    _report(_in_input_order(summary, inputs))
    return summary
