"""Run a parsed pipeline in this process: one thread per stage, exposures passed in memory.

Each stage is the same click command as on the shell, invoked in its own thread with ``-``
bound to in-memory channels (:mod:`jwcal.io.channel`): what the shell pipe would encode to FITS
and decode again is handed over as an :class:`~jwcal.exposure.Exposure`, and numba kernels are
loaded once for the whole pipeline. Channels are rendezvous, so the stages of one exposure run one
after another (never two kernels at once) and memory holds what the shell pipe holds.

Errors are those of the shell pipe, except that one failing stage fails the whole run (as
``set -o pipefail`` would): the first real error, in stage order, is raised again with the stage's
name, and no output file appears.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import click

from jwcal.errors import JwcalError, UsageError
from jwcal.io.channel import Channel, ReaderGoneError, UpstreamFailedError, bind
from jwcal.pipeline.parse import Pipeline, Stage, make_context

log = logging.getLogger("jwcal")

#: Primary-header keyword naming the pipeline that wrote a batch output (its digest).
RECORD_KEYWORD = "JWCALPIP"

# How long an interrupted run waits for its stages to unwind (remove their temp files).
_UNWIND_SECONDS = 30.0


class _Outcome:
    """What one thread ended with: nothing, or the exception that ended it."""

    def __init__(self, label: str):
        self.label = label
        self.error: BaseException | None = None
        self.seconds = 0.0


def _io_parameters(ctx: click.Context) -> tuple[object, object]:
    params = ctx.params
    source = params.get("source", params.get("sources"))
    return source, params.get("output")


def _check_ends(pipeline: Pipeline, contexts: list[click.Context], source: str, output: str) -> None:
    """Refuse an input or output given twice (to jwcal run and to the end stage itself)."""
    first_in, _ = _io_parameters(contexts[0])
    if source != "-" and first_in not in (None, "-", ()):
        raise UsageError(f"pipeline {pipeline.stages[0].label}: has its own input; give IN either to "
                         "jwcal run or to the stage, not both")
    for ctx, stage in zip(contexts[1:], pipeline.stages[1:], strict=True):
        stage_in, _ = _io_parameters(ctx)
        if stage_in not in (None, "-", ()):
            raise UsageError(f"pipeline {stage.label}: reads its own input, so the previous stage's "
                             "output would be lost")
    _, last_out = _io_parameters(contexts[-1])
    if output != "-" and last_out not in (None, "-"):
        raise UsageError(f"pipeline {pipeline.stages[-1].label}: has its own -o; give -o either to "
                         "jwcal run or to the stage, not both")
    for ctx, stage in zip(contexts[:-1], pipeline.stages[:-1], strict=True):
        _, stage_out = _io_parameters(ctx)
        if stage_out not in (None, "-") and stage.name != "outlier":
            raise UsageError(f"pipeline {stage.label}: writes -o {stage_out}, so the next stage would "
                             "get nothing; only the last stage (or outlier, which also passes "
                             "its products on) may have -o")


def _give(ctx: click.Context, what: str, value: str, stage: Stage) -> None:
    """Hand jwcal run's IN (``what='source'``) or -o (``'output'``) to an end stage."""
    if value == "-":
        return
    if what == "source" and "sources" in ctx.params:
        ctx.params["sources"] = (value,)
    elif what in ctx.params:
        ctx.params[what] = value
    else:
        raise UsageError(f"pipeline {stage.label}: takes no {'input' if what == 'source' else '-o'}")


def _stage_thread(stage: Stage, ctx: click.Context, stdin: Channel | None, stdout: Channel | None,
                  outcome: _Outcome) -> None:
    started = time.perf_counter()
    bind(stdin, stdout)
    try:
        with ctx:
            ctx.command.invoke(ctx)
    except BaseException as exc:  # reported by the main thread, in stage order
        outcome.error = exc
    finally:
        outcome.seconds = time.perf_counter() - started
        if stdout is not None:
            stdout.close(failed=outcome.error is not None)
        if stdin is not None:
            stdin.reader_done()


def _collect(channel: Channel, output: str, overwrite: bool, edit: Callable | None) -> int:
    from jwcal.io import open_output

    with open_output(output, overwrite=overwrite) as sink:
        for exposure in channel:
            if edit is not None:
                edit(exposure)
            sink.write(exposure)
            del exposure
        return sink.count


def _first_error(outcomes: list[_Outcome]) -> tuple[_Outcome, BaseException] | None:
    """Return the error to report: the first, in stage order, that is not a consequence of another."""
    for outcome in outcomes:
        error = outcome.error
        if error is None or isinstance(error, UpstreamFailedError | ReaderGoneError):
            continue
        if isinstance(error, click.exceptions.Exit) and error.exit_code == 0:
            continue
        return outcome, error
    return None


def _reraise(outcome: _Outcome, error: BaseException) -> None:
    """Raise ``error`` again as the class the CLI maps to an exit code, naming the stage."""
    if isinstance(error, JwcalError):
        raise type(error)(f"{outcome.label}: {error}") from None
    if isinstance(error, click.ClickException):
        raise UsageError(f"{outcome.label}: {error.format_message()}") from None
    if isinstance(error, BrokenPipeError):  # the real stdout went away: quiet, as in a shell pipe
        raise error
    if isinstance(error, click.exceptions.Exit):
        raise JwcalError(f"{outcome.label}: ended with exit status {error.exit_code}") from None
    raise error


def run_pipeline(pipeline: Pipeline, source: str = "-", output: str = "-", *, overwrite: bool = False,
                 record: bool = False, parent: click.Context | None = None) -> int:
    """Run ``pipeline`` from ``source`` to ``output`` in this process.

    Parameters
    ----------
    pipeline : Pipeline
        Parsed stages.
    source : str
        Input of the first stage: a path, or ``-`` for what the first stage reads by itself (its
        own input arguments, or stdin).
    output : str
        Where the last stage's exposures go: a path (written atomically), or ``-`` for what the
        last stage writes by itself (its own ``-o``, or stdout).
    overwrite : bool
        Whether ``output`` may replace an existing file.
    record : bool
        Write ``JWCALPIP = pipeline.digest`` into each output exposure's primary header (batches
        use it to tell which outputs are up to date); needs an ``output`` path.
    parent : click.Context, optional
        The ``jwcal run`` context, whose settings (verbosity) the stages inherit.

    Returns
    -------
    int
        Exposures written to ``output`` (0 when the last stage writes by itself).

    Raises
    ------
    JwcalError
        The first stage error, in stage order, with the stage in its message.
    """
    from jwcal.io import check_writable

    contexts = [make_context(stage, parent) for stage in pipeline.stages]
    _check_ends(pipeline, contexts, source, output)
    if record:
        if output == "-":
            raise UsageError("record=True needs an output path")
        check_writable(output, overwrite=overwrite)

    stages = pipeline.stages
    _give(contexts[0], "source", source, stages[0])
    if not record:
        _give(contexts[-1], "output", output, stages[-1])
        if output != "-":
            contexts[-1].params["overwrite"] = overwrite or contexts[-1].params.get("overwrite", False)
    links = [Channel(f"<{stage.name} output>") for stage in stages[:-1]]
    tail = Channel(f"<{stages[-1].name} output>") if record else None
    inputs = [None, *links]
    outputs = [*links, tail]

    outcomes, threads = [], []
    for stage, stage_ctx, stdin, stdout in zip(stages, contexts, inputs, outputs, strict=True):
        outcome = _Outcome(stage.name)
        outcomes.append(outcome)
        threads.append(threading.Thread(target=_stage_thread, args=(stage, stage_ctx, stdin, stdout, outcome),
                                        name=f"jwcal-run-{stage.index + 1}-{stage.name}", daemon=True))

    def edit(exposure):
        exposure.primary[RECORD_KEYWORD] = (pipeline.digest, "jwcal run pipeline that wrote this file")

    written = 0
    collector = _Outcome(f"output {output}")
    for thread in threads:
        thread.start()
    try:
        if tail is not None:
            try:
                written = _collect(tail, output, overwrite, edit)
            except BaseException as exc:
                collector.error = exc
                if not isinstance(exc, Exception):
                    raise
        for thread in threads:
            thread.join()
    except BaseException:  # Ctrl-C, SIGTERM: unwind every stage so that temp files are removed
        for channel in links if tail is None else (*links, tail):
            if channel is not None:
                channel.close(failed=True)
                channel.reader_done()
        deadline = time.monotonic() + _UNWIND_SECONDS
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        raise
    for outcome in outcomes:
        log.debug("jwcal run: %s took %.2f s", outcome.label, outcome.seconds)
    found = _first_error([*outcomes, collector])
    if found is not None:
        _reraise(*found)
    return written


def run_file(pipeline: Pipeline, source: str, output: str, *, overwrite: bool, record: bool = False) -> int:
    """Run ``pipeline`` on one input file into one output file (a batch task); see :func:`run_pipeline`."""
    if source == "-" or output == "-":
        raise UsageError("run_file needs an input path and an output path")
    return run_pipeline(pipeline, source, output, overwrite=overwrite, record=record)
