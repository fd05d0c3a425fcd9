"""Inputs of multi-exposure commands (resample, outlier): paths, image3 associations, or a stream.

Those commands read their inputs twice (headers first, to build the output grid, then the data),
so a stream on stdin is first spooled to a temporary file (in ``$TMPDIR``; disk use = the size of
the stream). Files and association members are read in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from jwcal.errors import DataError, UsageError


def association_members(path: str) -> tuple[list[str], str | None]:
    """Return the science members (paths relative to the association) and the product name."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable association JSON ({exc})") from None
    base = Path(path).parent
    members, name = [], None
    for product in doc.get("products", []) if isinstance(doc, dict) else []:
        name = name or product.get("name")
        for member in product.get("members", []):
            if str(member.get("exptype", "science")).lower() == "science":
                members.append(str(base / member["expname"]))
    if not members:
        raise DataError(f"{path}: association has no science members")
    return members, name


@contextlib.contextmanager
def multi_source(sources):
    """Yield ``(source, product_name, paths)`` for the inputs of a multi-exposure command.

    ``sources`` are FITS paths, association JSON files, or ``-`` (stdin, at most once; the default
    when empty). ``source(headers_only)`` returns a fresh iterator over every input exposure (call
    it once per pass); ``product_name`` is the association's product name or None; ``paths`` are
    the FITS files read (a spooled stdin is a temporary file, removed on exit).
    """
    from jwcal.io import read_exposures

    sources = list(sources) or ["-"]
    if sources.count("-") > 1:
        raise UsageError("stdin ('-') can be read only once")
    paths, product, spool = [], None, None
    try:
        for source in sources:
            if source == "-":
                spool = _spool_stdin()
                paths.append(spool)
            elif source.lower().endswith(".json"):
                members, name = association_members(source)
                paths.extend(members)
                product = product or name
            else:
                paths.append(source)

        def source(headers_only: bool):
            for path in paths:
                yield from read_exposures(path, headers_only=headers_only,
                                          name="<stdin>" if path == spool else None)

        yield source, product, paths
    finally:
        if spool:
            with contextlib.suppress(OSError):
                os.unlink(spool)


def _spool_stdin() -> str:
    """Copy the stream on stdin (or the previous stage's exposures, in ``jwcal run``) to a temp file."""
    from jwcal.io import open_output, read_exposures
    from jwcal.io.channel import stage_stdin

    fd, spool = tempfile.mkstemp(prefix="jwcal-stdin-", suffix=".fits")
    try:
        if stage_stdin() is not None:
            os.close(fd)
            with open_output(spool, overwrite=True) as sink:
                for exposure in read_exposures("-"):
                    sink.write(exposure)
            return spool
        with os.fdopen(fd, "wb") as handle:
            if sys.stdin is None or sys.stdin.isatty():
                raise UsageError("no input: give files, an association, or pipe a FITS stream into stdin")
            shutil.copyfileobj(sys.stdin.buffer, handle, 4 << 20)
        return spool
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(spool)
        raise
