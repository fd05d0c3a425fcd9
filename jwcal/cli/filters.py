"""The loop every single-exposure filter shares: read a stream, process each exposure, write."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from jwcal.errors import UsageError

log = logging.getLogger("jwcal")


def same_file(source: str, output: str) -> bool:
    """Tell whether ``output`` names the file ``source`` (so writing would modify an input)."""
    if "-" in (source, output) or not (os.path.exists(source) and os.path.exists(output)):
        return False
    return os.path.samefile(source, output)


def run_filter(source: str, output: str, overwrite: bool, process: Callable, *, label: str = "") -> int:
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

    Returns
    -------
    int
        The number of exposures written.
    """
    from jwcal.cli.progress import track
    from jwcal.io import check_writable, open_output, read_exposures

    if same_file(source, output):
        raise UsageError(f"{output}: is the input file; inputs are never modified")
    check_writable(output, overwrite=overwrite)
    with open_output(output, overwrite=overwrite) as sink:
        for exposure in track(read_exposures(source), label or "processing"):
            name = exposure.label
            sink.write(process(exposure))
            del exposure  # free it before the next one is read: memory of one exposure
            log.info("%s: done", name)
        return sink.count
