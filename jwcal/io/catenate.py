"""``jwcal cat``'s copy: FITS inputs into one stream, no byte of a broken input written.

A stream consumer cannot take back bytes it was given: a broken exposure half-written into a pipe
becomes a truncated exposure downstream, after a good one the next command has already processed.
So every input that is a regular file is checked whole (headers read, data sections seeked over:
no data are read) before the first byte goes out, and an input that can be read only once (stdin,
a named pipe) is passed on one complete, checked exposure at a time. Memory stays that of one
exposure for such inputs and of a 4 MiB chunk for files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from jwcal.io.reader import _first_kind, _Walker, copy_stream, open_source


def check_file(path: str) -> int:
    """Check the FITS structure of a whole file without reading its data; return its exposures.

    Raises
    ------
    DataError
        Empty, not FITS, a header without END, a data section shorter than its header says, or
        bytes after the last HDU that are not FITS.
    """
    count = 0
    with open_source(path) as (stream, label):
        walker = _Walker(stream, label)
        kind = _first_kind(walker, label)
        while kind is not None:
            _, layout = walker.header()
            walker.skip(layout)
            count += kind == "primary"
            kind = walker.peek_kind()
    return count


def _copy_exposures(source: str, write: Callable[[bytes | memoryview], object]) -> int:
    """Copy a read-once stream exposure by exposure, each only once it was read whole and checked."""
    count = 0
    with open_source(source) as (stream, label):
        walker = _Walker(stream, label)
        kind = _first_kind(walker, label)
        while kind is not None:
            pieces: list[bytes] = []
            while kind is not None and (kind == "extension" or not pieces):
                header, layout = walker.header()
                pieces.append(header)
                walker.copy(layout, lambda chunk, keep=pieces.append: keep(bytes(chunk)))  # chunks are reused
                kind = walker.peek_kind()
            for piece in pieces:
                write(piece)
            count += 1
    return count


def catenate(sources: Sequence[str], write: Callable[[bytes | memoryview], object]) -> int:
    """Pass the bytes of every input to ``write`` unchanged, checking each before any of its bytes.

    Parameters
    ----------
    sources : sequence of str
        Paths, or ``-`` for stdin (at most once).
    write : callable
        Receives the bytes, in order.

    Returns
    -------
    int
        The number of exposures written.

    Raises
    ------
    DataError
        An input is not well-formed FITS. If it is a regular file, nothing at all was written
        (every regular file is checked first); for stdin or a pipe, the exposures before the
        broken one were written, the broken one not at all.
    """
    files = list(dict.fromkeys(s for s in sources if s != "-" and os.path.isfile(s)))
    for path in files:
        check_file(path)
    count = 0
    for source in sources:
        # a file is checked again while copied: it may have changed since (then that is the error)
        count += copy_stream(source, write) if source in files else _copy_exposures(source, write)
    return count
