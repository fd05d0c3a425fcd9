"""The loop every single-exposure filter shares: read a stream, process each exposure, write."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from jwcal.errors import UsageError

log = logging.getLogger("jwcal")


def same_file(source: str, output: str) -> bool:
    """Tell whether ``output`` names the file ``source`` (so writing would modify an input)."""
    if "-" in (source, output) or not (os.path.exists(source) and os.path.exists(output)):
        return False
    return os.path.samefile(source, output)


def run_filter(source: str, output: str, overwrite: bool, process: Callable, *, label: str = "",
               warm_up: Callable[[], object] | None = None) -> int:
    """Apply ``process`` to every exposure of ``source`` and write the results to ``output``.

    Parameters
    ----------
    source, output : str
        Paths, or ``-`` for stdin/stdout.
    overwrite : bool
        Whether an existing output file may be replaced.
    process : callable
        ``Exposure -> Exposure``.
    label : str
        Shown with the progress display.
    warm_up : callable, optional
        Run in a background thread while the first input arrives (e.g. loading numba kernels from
        the cache), so that a pipe does not wait for it after its last byte.

    Returns
    -------
    int
        The number of exposures written.
    """
    from jwcal.cli.progress import track
    from jwcal.io import check_writable, open_output, read_exposures
    from jwcal.io.channel import KERNELS, in_stage, release_input

    if same_file(source, output):
        raise UsageError(f"{output}: is the input file; inputs are never modified")
    check_writable(output, overwrite=overwrite)
    warm = None
    # In `jwcal run` the stages share one process: a warm-up thread would run kernels while another
    # stage runs its own, and the first call loads the cached kernels anyway.
    if warm_up is not None and not in_stage():
        warm = threading.Thread(target=_quietly, args=(warm_up,), daemon=True)
        warm.start()
    try:
        with open_output(output, overwrite=overwrite) as sink:
            exposures = read_exposures(source)
            staged = in_stage()
            for exposure in exposures if staged else track(exposures, label or "processing"):
                if warm is not None:  # never two parallel kernels at once (numba's workqueue forbids it)
                    warm.join()
                    warm = None
                name = exposure.label
                if staged:
                    with KERNELS:
                        result = process(exposure)
                    release_input()
                else:
                    result = process(exposure)
                del exposure  # free the input before the result is written: memory of one exposure
                sink.write(result)
                del result
                log.info("%s: done", name)
            return sink.count
    finally:
        if warm is not None:
            warm.join()


def _quietly(warm_up: Callable[[], object]) -> None:
    """Run a warm-up; a failure only loses the head start (the real call reports real errors)."""
    try:
        warm_up()
    except Exception as exc:  # nothing here may reach the user as a traceback
        log.debug("warm-up failed: %s", exc)
