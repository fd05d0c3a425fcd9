"""The only owner of bytes: FITS streams in and out, atomic outputs, stdin and stdout.

A stream is one or more FITS files concatenated byte for byte. :func:`read_exposures` yields one
:class:`~jwcal.exposure.Exposure` at a time; :func:`open_output` writes them atomically to a path or
to stdout.
"""

from jwcal.io.output import (
    FileBatch,
    check_writable,
    open_output,
    output_directory,
    stdout_is_pipe,
    stdout_is_terminal,
)
from jwcal.io.reader import copy_stream, read_exposures, read_reference, read_single
from jwcal.io.tables import table_hdu

__all__ = [
    "FileBatch",
    "check_writable",
    "copy_stream",
    "open_output",
    "output_directory",
    "read_exposures",
    "read_reference",
    "read_single",
    "stdout_is_pipe",
    "stdout_is_terminal",
    "table_hdu",
]
