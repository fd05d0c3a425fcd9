"""Reading FITS streams: one exposure at a time from a path or stdin, without seeking.

A new exposure starts at every primary header (``SIMPLE =``); extensions belong to the exposure
before them. Nothing but the structural keywords is parsed while walking, and data are read into
one buffer per HDU and decoded only when a step asks for them. Large image sections of regular files
are mapped read-only instead of read (no copy until decoding, which then converts straight from the
page cache into the array); like astropy's memmap, a file truncated while it is being used can
then stop the process with SIGBUS.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from typing import BinaryIO

import numpy as np

from jwcal.errors import DataError, ReferenceFileError, UsageError
from jwcal.exposure import HDU, Exposure
from jwcal.io.blocks import BLOCK, CARD, Layout, parse_layout, starts_hdu
from jwcal.io.channel import stage_stdin
from jwcal.io.codec import decode_image, decode_table

_COPY_CHUNK = 4 << 20

# Image data sections of regular files of at least this size are mapped instead of read; each live
# mapping holds a duplicated file descriptor, so no more than _MAX_MAPPED are kept at once.
_MAP_BYTES = 1 << 20
_MAX_MAPPED = 64
_live_maps = [0]


def _unmapped() -> None:
    _live_maps[0] -= 1


@contextlib.contextmanager
def open_source(source: str):
    """Open ``source`` (a path or ``-`` for stdin) for binary reading; yield ``(file, label)``."""
    if source == "-":
        if stage_stdin() is not None:
            raise UsageError("this command reads bytes and cannot read the previous stage of jwcal run")
        if sys.stdin is None or sys.stdin.isatty():
            raise UsageError("no input: give a file or pipe a FITS stream into stdin")
        yield sys.stdin.buffer, "<stdin>"
        return
    try:
        handle = open(source, "rb")  # noqa: SIM115 - closed below, must stay open while yielding
    except IsADirectoryError:
        raise DataError(f"{source}: is a directory, not a FITS file") from None
    except OSError as exc:
        raise DataError(f"{source}: {exc.strerror}") from None
    with handle:
        yield handle, source


def _read_exact(stream: BinaryIO, view: memoryview) -> int:
    """Fill ``view`` from ``stream``; return the number of bytes read (short only at EOF)."""
    total = 0
    while total < len(view):
        got = stream.readinto(view[total:])
        if not got:
            break
        total += got
    return total


class _Walker:
    """Walks the HDUs of a stream, tracking the byte offset for messages."""

    def __init__(self, stream: BinaryIO, label: str):
        self.stream = stream
        self.label = label
        self.offset = 0
        self.pending: bytes | None = None  # a header block read ahead
        try:
            self.seekable = stream.seekable() and os.path.isfile(label)
        except (OSError, ValueError):
            self.seekable = False

    def _block(self) -> bytes:
        if self.pending is not None:
            block, self.pending = self.pending, None
            return block
        buffer = bytearray(BLOCK)
        got = _read_exact(self.stream, memoryview(buffer))
        self.offset += got
        if got == 0:
            return b""
        if got < BLOCK and self.offset == got and starts_hdu(bytes(buffer)) is None:
            raise DataError(f"{self.label}: not a FITS file (no SIMPLE card)")
        if got < BLOCK:
            raise DataError(
                f"{self.label}: truncated FITS stream (ends inside the block at byte {self.offset - got})"
            )
        return bytes(buffer)

    def peek_kind(self) -> str | None:
        """Return the kind of the next HDU ("primary"/"extension"), or None at end of stream."""
        if self.pending is None:
            self.pending = self._block()
        if not self.pending:
            return None
        kind = starts_hdu(self.pending)
        if kind is None:
            first = self.offset <= BLOCK
            where = "not a FITS file" if first else f"unexpected bytes at {self.offset - BLOCK}"
            raise DataError(f"{self.label}: {where} (no SIMPLE or XTENSION card)")
        return kind

    def header(self) -> tuple[bytes, Layout]:
        """Read the next header (all its blocks) and its layout."""
        blocks = []
        start = self.offset - (BLOCK if self.pending else 0)
        while True:
            block = self._block()
            if not block:
                raise DataError(f"{self.label}: truncated FITS stream (header at byte {start} has no END)")
            blocks.append(block)
            if any(block[i : i + 3] == b"END" and block[i + 3 : i + CARD].strip() == b""
                   for i in range(0, BLOCK, CARD)):
                break
        raw = b"".join(blocks)
        return raw, parse_layout(raw, f"{self.label} (byte {start})")

    def data(self, layout: Layout) -> memoryview:
        """Read a data section (with padding); return it unpadded, in a writable buffer."""
        # np.empty, not bytearray: a bytearray is zero-filled first, which for a 200 MB ramp costs
        # as much as reading it (every page touched twice).
        buffer = memoryview(np.empty(layout.padded_size, np.uint8))
        got = _read_exact(self.stream, buffer)
        self.offset += got
        if got < len(buffer):
            self._truncated(layout)
        return buffer[: layout.data_size]

    def mapped(self, layout: Layout) -> memoryview | None:
        """Map a data section read-only (unpadded) and move past it; None where reading is better.

        Only sections of regular files larger than ``_MAP_BYTES`` are mapped, while fewer than
        ``_MAX_MAPPED`` mappings are alive.
        """
        if not self.seekable or layout.data_size < _MAP_BYTES or _live_maps[0] >= _MAX_MAPPED:
            return None
        start = self.stream.tell()
        if start + layout.padded_size > os.fstat(self.stream.fileno()).st_size:
            self._truncated(layout)
        base = start - start % mmap.ALLOCATIONGRANULARITY
        try:
            region = mmap.mmap(self.stream.fileno(), start - base + layout.data_size, offset=base,
                               access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return None
        _live_maps[0] += 1
        weakref.finalize(region, _unmapped)
        self.stream.seek(layout.padded_size, os.SEEK_CUR)
        self.offset += layout.padded_size
        return memoryview(region)[start - base :]

    def skip(self, layout: Layout) -> None:
        """Move past a data section without keeping it."""
        size = layout.padded_size
        if self.seekable:
            end = self.stream.seek(size, os.SEEK_CUR)
            if end > os.fstat(self.stream.fileno()).st_size:
                self._truncated(layout)
            self.offset += size
            return
        self.copy(layout, None)

    def copy(self, layout: Layout, write: Callable[[memoryview], object] | None) -> None:
        """Pass a data section (with padding) to ``write`` in bounded chunks."""
        remaining = layout.padded_size
        chunk = memoryview(bytearray(min(_COPY_CHUNK, max(remaining, 1))))
        while remaining:
            want = chunk[: min(len(chunk), remaining)]
            got = _read_exact(self.stream, want)
            self.offset += got
            if got < len(want):
                self._truncated(layout)
            if write is not None:
                write(want)
            remaining -= got

    def _truncated(self, layout: Layout) -> None:
        raise DataError(
            f"{self.label}: truncated FITS stream (data section of {layout.padded_size} bytes ends early)"
        )


def _not_read(label: str):
    def fail():
        raise DataError(f"{label}: data were not read (headers only)")

    return fail


def _make_hdu(walker: _Walker, header: bytes, layout: Layout, headers_only: bool) -> HDU:
    if layout.data_size == 0:
        walker.skip(layout)
        return HDU(header_bytes=header, kind=layout.kind, raw=bytearray())
    if headers_only:
        walker.skip(layout)
        return HDU(header_bytes=header, kind=layout.kind, loader=_not_read(walker.label))
    buffer = walker.mapped(layout) if layout.kind == "image" else None
    if buffer is None:
        buffer = walker.data(layout)
    if layout.kind == "table":
        return HDU(header_bytes=header, kind="table", raw=buffer,
                   loader=lambda: decode_table(header, buffer))
    return HDU(header_bytes=header, kind="image", raw=buffer, loader=lambda: decode_image(buffer, layout))


def read_exposures(source: str, *, headers_only: bool = False, name: str | None = None) -> Iterator[Exposure]:
    """Yield the exposures of a FITS stream one at a time.

    Parameters
    ----------
    source : str
        A path, or ``-`` for stdin.
    headers_only : bool
        Skip the data sections (seeking on regular files): for commands that read headers only.
    name : str, optional
        What messages call the input (default: the path, or ``<stdin>``), e.g. for a spool file.

    Yields
    ------
    Exposure
        Each holds only its own HDUs; the previous one can be freed before the next is read.

    Raises
    ------
    DataError
        Empty, non-FITS or truncated input.
    """
    channel = stage_stdin() if source == "-" else None
    if channel is not None:  # a stage of `jwcal run`: the previous stage's exposures, not bytes
        yield from channel
        return
    with open_source(source) as (stream, label):
        if name is not None:
            label = name
        walker = _Walker(stream, label)
        kind = _first_kind(walker, label)
        while kind is not None:
            hdus = []
            while kind is not None and (kind == "extension" or not hdus):
                header, layout = walker.header()
                hdus.append(_make_hdu(walker, header, layout, headers_only))
                kind = walker.peek_kind()
            yield Exposure(_drain(hdus), source=label)


def _drain(items: list) -> list:
    """Return the items in a new list and empty ``items``, so a suspended generator keeps none."""
    out = items[:]
    items.clear()
    return out


def _first_kind(walker: _Walker, label: str) -> str:
    """Return the kind of the stream's first HDU, which must be a primary header."""
    kind = walker.peek_kind()
    if kind is None:
        raise DataError(f"{label}: empty input (no FITS data)")
    if kind != "primary":
        raise DataError(f"{label}: stream starts with an extension, not a primary header")
    return kind


def read_single(path: str, *, what: str = "file") -> Exposure:
    """Read the first exposure of a FITS file, e.g. a reference file given as an option."""
    with contextlib.closing(read_exposures(path)) as exposures:
        for exposure in exposures:
            return exposure
    raise DataError(f"{path}: empty {what}")


def read_reference(path: str, reftype: str):
    """Read a reference file given as an option; any problem is a :class:`ReferenceFileError`.

    A directory gives a :class:`~jwcal.io.refdir.ReferenceDirectory` instead: its headers are
    scanned now, and the steps choose the file of each exposure from it.
    """
    if os.path.isdir(path):
        from jwcal.io.refdir import ReferenceDirectory

        return ReferenceDirectory(path, reftype)
    try:
        return read_single(path, what=f"{reftype} reference")
    except DataError as exc:
        raise ReferenceFileError(f"{reftype} reference: {exc}") from None


def copy_stream(source: str, write: Callable[[bytes | memoryview], object]) -> int:
    """Check a stream's structure while passing its bytes to ``write`` unchanged.

    Returns
    -------
    int
        The number of exposures copied.
    """
    count = 0
    with open_source(source) as (stream, label):
        walker = _Walker(stream, label)
        kind = _first_kind(walker, label)
        while kind is not None:
            header, layout = walker.header()
            write(header)
            walker.copy(layout, write)
            count += kind == "primary"
            kind = walker.peek_kind()
    return count
