"""Running a ``nogil`` numba kernel over bands of image rows on a few Python threads.

A kernel compiled with ``@njit(nogil=True, cache=True)`` and taking ``(..., y0, y1)`` as its last two
arguments releases the GIL while it works, so plain threads run bands of rows in parallel. Against a
``parallel=True`` kernel this loads faster from numba's cache (no parfor gufunc, no threading layer
to start) and runs safely from several threads of one process at once (``jwcal run``'s stages),
which numba's workqueue layer refuses. See docs/decisions/0030-nogil-row-bands.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

#: Rows per band: enough work per call (~1 ms) that dispatch costs nothing, few enough that the
#: threads end together when one core is busier than the other.
ROWS_PER_BAND = 32


def in_row_bands(kernel: Callable, ny: int, threads: int, *args, rows: int = ROWS_PER_BAND) -> None:
    """Call ``kernel(*args, y0, y1)`` over consecutive bands of ``rows`` rows covering ``0:ny``.

    Parameters
    ----------
    kernel : callable
        A nogil numba kernel; bands must be independent (each writes only its own rows).
    ny : int
        Number of rows.
    threads : int
        Threads to use, the calling one included (1: one call over all rows, no thread).
    *args
        The kernel's other arguments.
    rows : int
        Rows per band.

    Raises
    ------
    BaseException
        The first exception a band raised, after every thread has stopped.
    """
    bands = [(y, min(y + rows, ny)) for y in range(0, ny, rows)]
    if threads <= 1 or len(bands) <= 1:
        kernel(*args, 0, ny)
        return
    lock = threading.Lock()
    pending = iter(bands)
    errors: list[BaseException] = []

    def work() -> None:
        while not errors:
            with lock:
                band = next(pending, None)
            if band is None:
                return
            try:
                kernel(*args, *band)
            except BaseException as exc:  # re-raised in the calling thread
                errors.append(exc)

    helpers = [threading.Thread(target=work, daemon=True) for _ in range(min(threads, len(bands)) - 1)]
    for helper in helpers:
        helper.start()
    work()
    for helper in helpers:
        helper.join()
    if errors:
        raise errors[0]
