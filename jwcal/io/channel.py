"""In-process pipes: what ``-`` means for a stage of ``jwcal run``.

In a shell pipe each command reads FITS bytes from stdin and writes FITS bytes to stdout. When
``jwcal run`` executes the same commands as threads of one process, a stage's stdin and stdout are
:class:`Channel` objects that pass :class:`~jwcal.exposure.Exposure` values instead, so nothing is
encoded or decoded between stages. The commands do not know: :func:`jwcal.io.read_exposures`,
:func:`jwcal.io.open_output` and the stdout checks consult :func:`stage_stdin`/:func:`stage_stdout`
of the calling thread, which are ``None`` outside ``jwcal run``.

A channel is a rendezvous: :meth:`Channel.put` returns only when the reader is done with the
exposure (:func:`release_input`, or its next read). An exposure read lazily from a file (data
loaded on first use) therefore stays valid while the next stage uses it, and at most one exposure
is in flight between two stages (the memory of a shell pipe). Filters of one process take turns
for their kernels (:data:`KERNELS`), as numba's default thread pool needs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from jwcal.exposure import Exposure

_local = threading.local()

#: Held by a filter stage while it computes: kernels of two stages never run at the same time.
KERNELS = threading.Lock()


class UpstreamFailedError(Exception):
    """Raised in a stage whose input stage failed; the pipeline reports the first stage's error."""


class ReaderGoneError(BrokenPipeError):
    """Raised in a stage whose reader stopped reading (as a closed pipe does)."""


class Channel:
    """One pipe between two stages, carrying exposures (see the module docstring)."""

    _END = object()

    def __init__(self, label: str = "<stdin>"):
        self.label = label
        self._cond = threading.Condition()
        self._item: object = None
        self._full = False  # an item was put and not yet released by the reader
        self._failed = False
        self._reader_gone = False

    def put(self, exposure: Exposure) -> None:
        """Hand ``exposure`` to the reader; return when it asks for the next one."""
        self._offer(exposure, wait=True)

    def close(self, *, failed: bool = False) -> None:
        """End the stream; ``failed`` makes the reader raise :class:`UpstreamFailedError`."""
        with self._cond:
            self._failed = self._failed or failed
        self._offer(self._END, wait=False)

    def reader_done(self) -> None:
        """Stop reading: a writer still putting gets :class:`ReaderGoneError`."""
        with self._cond:
            self._reader_gone = True
            self._full = False
            self._cond.notify_all()

    def _offer(self, item: object, *, wait: bool) -> None:
        with self._cond:
            while self._full and not self._reader_gone:
                self._cond.wait()
            if self._reader_gone:
                if item is self._END:
                    return
                raise ReaderGoneError("the next stage stopped reading")
            self._item, self._full = item, True
            self._cond.notify_all()
            while wait and self._full and not self._reader_gone:
                self._cond.wait()

    def release(self) -> None:
        """Let the writer go on: the reader is done with the exposure it took (:func:`release_input`)."""
        with self._cond:
            if self._full and self._item is None:
                self._full = False
                self._cond.notify_all()

    def _take(self) -> object:
        with self._cond:
            while not self._full:
                self._cond.wait()
            item = self._item
            if item is not self._END:
                self._item = None  # the reader owns it now: nothing here keeps it alive
            return item

    def __iter__(self) -> Iterator[Exposure]:
        try:
            while True:
                if self._peek_end():
                    if self._failed:
                        raise UpstreamFailedError(self.label)
                    return
                # Yielded straight from _take, so this frame holds no reference while the reader works.
                yield self._take()  # type: ignore[misc]
                self.release()
        finally:
            self.reader_done()

    def _peek_end(self) -> bool:
        with self._cond:
            while not self._full:
                self._cond.wait()
            return self._item is self._END


class _ChannelSink:
    """What :func:`jwcal.io.open_output` yields for ``-`` inside a stage."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.count = 0

    def write(self, exposure: Exposure) -> None:
        """Pass one exposure to the next stage."""
        self.channel.put(exposure)
        self.count += 1

    def write_bytes(self, data) -> None:
        """Refuse raw bytes: a stage passes exposures."""
        from jwcal.errors import UsageError

        raise UsageError("this command copies bytes and cannot be a stage of jwcal run; give its files "
                         "as the pipeline's inputs instead")

    def close(self) -> None:
        """Nothing to close: the stage's end closes the channel."""


def release_input() -> None:
    """Tell the previous stage that the calling stage is done with its input exposure.

    A filter calls it once its result is computed: the previous stage may then read on while this
    one writes, and drops its references so that the input's memory is freed before the result
    is passed on. No-op outside ``jwcal run``.
    """
    channel = stage_stdin()
    if channel is not None:
        channel.release()


def stage_stdin() -> Channel | None:
    """Return the channel the calling stage reads as ``-``, or None outside ``jwcal run``."""
    return getattr(_local, "stdin", None)


def stage_stdout() -> Channel | None:
    """Return the channel the calling stage writes as ``-``, or None outside ``jwcal run``."""
    return getattr(_local, "stdout", None)


def in_stage() -> bool:
    """Tell whether the calling thread runs a stage of ``jwcal run``."""
    return getattr(_local, "active", False)


def bind(stdin: Channel | None, stdout: Channel | None) -> None:
    """Make ``-`` mean these channels for the calling thread (None: the real stdin/stdout)."""
    _local.stdin, _local.stdout, _local.active = stdin, stdout, True


def channel_sink(channel: Channel) -> _ChannelSink:
    """Return a sink writing to ``channel``."""
    return _ChannelSink(channel)
