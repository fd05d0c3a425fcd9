"""Outputs: atomic files (temp + rename), stdout that refuses terminals, quiet closed pipes."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile

from jwcal.errors import JwcalError, UsageError
from jwcal.exposure import Exposure
from jwcal.io.channel import channel_sink, stage_stdout
from jwcal.io.provenance import stamped
from jwcal.io.writer import exposure_chunks


class OutputExistsError(JwcalError):
    """The output file exists and ``--overwrite`` was not given (exit 1)."""


def stdout_is_terminal() -> bool:
    """Tell whether stdout is a terminal (where FITS bytes must never go)."""
    if stage_stdout() is not None:
        return False
    return sys.stdout is None or sys.stdout.isatty()


def stdout_is_pipe() -> bool:
    """Tell whether stdout is a pipe (or the next stage of ``jwcal run``): where a tee belongs.

    A command that writes files and can also stream them (``outlier -o DIR``) streams only into a
    pipe, never into a regular file (``> log 2>&1`` would get the whole stream), /dev/null, a
    terminal or a socket (a service manager's log).
    """
    if stage_stdout() is not None:
        return True
    try:
        return stat.S_ISFIFO(os.fstat(sys.stdout.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):  # no stdout, or one without a file descriptor
        return False


def check_writable(path: str, *, overwrite: bool) -> None:
    """Fail early, before any work, if ``path`` cannot be the output."""
    if path == "-":
        if stdout_is_terminal():
            raise UsageError("refusing to write FITS to a terminal: use -o PATH or a pipe")
        return
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory (give a file name)")
    if os.path.exists(path) and not overwrite:
        raise OutputExistsError(f"{path}: exists (use --overwrite to replace it)")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"{path}: directory {parent} does not exist")


class _Sink:
    def __init__(self, stream):
        self.stream = stream
        self.count = 0

    def write(self, exposure: Exposure) -> None:
        """Write one exposure."""
        for chunk in exposure_chunks(stamped(exposure)):  # DATE and CAL_VER, as jwst saves products
            self.stream.write(chunk)
        self.count += 1

    def write_bytes(self, data) -> None:
        """Write raw bytes (for commands that copy streams unchanged)."""
        self.stream.write(data)

    def close(self) -> None:
        """Close the underlying file."""
        self.stream.close()


def _temp_beside(directory: str, name: str) -> tuple[int, str]:
    """Open a hidden temporary file next to the final one, with the permissions of a new file.

    ``mkstemp`` creates files readable by their owner only; a product must get what
    ``open()`` would give it (0666 minus the umask), as the files of other tools do.
    """
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    return fd, temp


@contextlib.contextmanager
def atomic_file(path: str, *, overwrite: bool):
    """Yield a binary file that becomes ``path`` only if the block ends without an exception."""
    check_writable(path, overwrite=overwrite)
    directory, name = os.path.split(os.path.abspath(path))
    fd, temp = _temp_beside(directory, name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        if os.path.exists(path) and not overwrite:
            raise OutputExistsError(f"{path}: appeared while writing (use --overwrite to replace it)")
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def open_output(path: str = "-", *, overwrite: bool = False):
    """Open an output for exposures: ``-`` for stdout, else an atomically written file.

    Yields
    ------
    object
        With ``write(exposure)`` and ``write_bytes(data)``; for a file, nothing appears at ``path``
        unless the block ends normally.
    """
    if path == "-" and stage_stdout() is not None:  # a stage of `jwcal run`: to the next stage
        yield channel_sink(stage_stdout())
        return
    if path == "-":
        check_writable(path, overwrite=overwrite)
        sink = _Sink(sys.stdout.buffer)
        yield sink
        sys.stdout.buffer.flush()
        return
    with atomic_file(path, overwrite=overwrite) as handle:
        yield _Sink(handle)


class FileBatch:
    """Several output files that all appear together, or none of them (``jwcal split``).

    Use as a context manager; :meth:`open` returns a sink for one file. On a normal exit every temp
    file is renamed to its target; on an exception they are all removed.
    """

    def __init__(self, *, overwrite: bool):
        self.overwrite = overwrite
        self._pending: list[tuple[str, str]] = []

    def __enter__(self):
        return self

    def open(self, path: str) -> _Sink:
        """Start the file ``path``; refuse a name already used in this batch."""
        if any(target == path for _, target in self._pending):
            raise JwcalError(f"{path}: two exposures of the stream have this name")
        check_writable(path, overwrite=self.overwrite)
        directory, name = os.path.split(os.path.abspath(path))
        fd, temp = _temp_beside(directory, name)
        self._pending.append((temp, path))
        return _Sink(os.fdopen(fd, "wb"))

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            for temp, path in self._pending:
                os.replace(temp, path)
        else:
            for temp, _ in self._pending:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
        return False


@contextlib.contextmanager
def output_directory(path: str):
    """Yield ``path`` as a directory for output files, made (with its parents) if missing.

    If the block fails, the directories this call made are removed again (when still empty), so a
    failed command leaves no empty ``-o`` directory behind.

    Raises
    ------
    UsageError
        ``path`` exists and is not a directory.
    """
    made = []
    current = os.path.abspath(path)
    while not os.path.isdir(current):
        if os.path.exists(current):
            raise UsageError(f"{path}: not a directory")
        made.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    os.makedirs(path, exist_ok=True)
    try:
        yield path
    except BaseException:
        for directory in made:  # deepest first
            with contextlib.suppress(OSError):
                os.rmdir(directory)
        raise
