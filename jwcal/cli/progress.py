"""Progress on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys


def track(iterable, description: str, total: int | None = None):
    """Iterate over ``iterable`` with a rich progress display on a terminal, silently otherwise."""
    if sys.stderr is None or not sys.stderr.isatty():
        yield from iterable
        return
    from rich.console import Console
    from rich.progress import track as rich_track

    yield from rich_track(iterable, description=description, total=total,
                          console=Console(stderr=True), transient=True)
