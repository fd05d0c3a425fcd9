"""Best reference files from CRDS, through STScI's ``crds`` client: the one network user in jwcal.

The client (``pip install 'jwcal[crds]'``) matches an exposure's header keywords against the CRDS
rules (a ``.pmap`` context), downloads what the local cache lacks, and returns cached paths. The
cache is an explicit directory; nothing else in jwcal reads CRDS or the network.
"""

from __future__ import annotations

import logging
import os

from jwcal.errors import ReferenceFileError, UnsupportedError

#: Reference types the jwcal detector-1 steps take as options, in pipeline order.
DEFAULT_REFTYPES = ("mask", "saturation", "superbias", "linearity", "dark", "gain", "readnoise")
DEFAULT_SERVER = "https://jwst-crds.stsci.edu"
NOT_APPLICABLE = "N/A"
_SKIPPED_KEYWORDS = {"", "COMMENT", "HISTORY"}


def best_references(header, *, cache: str, server_url: str, context: str | None,
                    reftypes: tuple[str, ...]) -> dict[str, str]:
    """Return ``{reftype: local path or 'N/A'}`` for the exposure described by ``header``.

    Parameters
    ----------
    header : astropy.io.fits.Header
        The exposure's primary header (the CRDS matching keywords: INSTRUME, DETECTOR, SUBARRAY,
        READPATT, EXP_TYPE, DATE-OBS, ...).
    cache : str
        The CRDS cache directory (``CRDS_PATH``); created if missing.
    server_url : str
        The CRDS server, used only for what the cache lacks.
    context : str or None
        A ``.pmap`` name; None means the server's operational context (or the cache's last one).
    reftypes : tuple of str
        Lower-case CRDS reference types.

    Raises
    ------
    UnsupportedError
        The ``crds`` client is not installed.
    ReferenceFileError
        CRDS could not match or fetch a reference (the reason on one line).
    """
    os.makedirs(cache, exist_ok=True)
    # crds reads its configuration from the environment when called, not from arguments
    os.environ["CRDS_PATH"] = os.path.abspath(cache)
    os.environ["CRDS_SERVER_URL"] = server_url
    try:
        import crds
        from crds.jwst.locate import fits_to_parkeys
    except ImportError as exc:
        raise UnsupportedError(f"jwcal refs needs the crds client ({exc.name} is missing): "
                               "pip install 'jwcal[crds]'") from None
    except SystemExit:  # crds ends the process itself on a "FATAL" configuration error
        raise ReferenceFileError(_offline(cache, server_url)) from None
    _hold_crds_log()
    parameters = fits_to_parkeys({k: v for k, v in header.items() if k not in _SKIPPED_KEYWORDS})
    try:
        found = crds.getreferences(parameters, reftypes=list(reftypes), context=context,
                                   observatory="jwst", fast=True)
    except SystemExit:
        raise ReferenceFileError(_offline(cache, server_url)) from None
    except Exception as exc:  # crds raises many unrelated types; all mean "no reference"
        reason = " ".join(str(exc).split())
        raise ReferenceFileError(f"CRDS: {reason[:300]}") from None
    return {reftype: _local_path(found.get(reftype, NOT_APPLICABLE)) for reftype in reftypes}


def _offline(cache: str, server_url: str) -> str:
    """Return the one line that replaces crds' "server connection and cache load FAILED"."""
    return (f"CRDS: cannot reach {server_url} and the cache {cache} holds no CRDS configuration: "
            "run jwcal refs once online, or give --cache (or CRDS_PATH) a pre-filled cache "
            "(crds sync --contexts jwst-operational --fetch-references) and a --context it holds")


def _hold_crds_log() -> None:
    """Show the crds client's own log lines only as jwcal's verbosity allows.

    Its INFO/WARNING chatter ("Syncing 1 files") appears with -v; its ERROR lines, which jwcal
    reports as one line of its own, with -vv. The client logs through its own stderr handler and
    sets its logger's level when imported, hence after the import.
    """
    jwcal_log = logging.getLogger("jwcal")
    level = logging.DEBUG if jwcal_log.isEnabledFor(logging.DEBUG) else \
        logging.INFO if jwcal_log.isEnabledFor(logging.INFO) else logging.CRITICAL
    crds_logger = logging.getLogger("CRDS")
    crds_logger.setLevel(level)
    for handler in crds_logger.handlers:
        handler.setLevel(level)


def _local_path(value: str) -> str:
    text = str(value)
    return NOT_APPLICABLE if text.upper().startswith(("NOT FOUND", "N/A")) else text
