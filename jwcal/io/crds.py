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
    # the client's own INFO/WARNING chatter ("Syncing 1 files") shows only with -v
    quiet = not logging.getLogger("jwcal").isEnabledFor(logging.INFO)
    logging.getLogger("CRDS").setLevel(logging.ERROR if quiet else logging.INFO)
    parameters = fits_to_parkeys({k: v for k, v in header.items() if k not in _SKIPPED_KEYWORDS})
    try:
        found = crds.getreferences(parameters, reftypes=list(reftypes), context=context,
                                   observatory="jwst", fast=True)
    except Exception as exc:  # crds raises many unrelated types; all mean "no reference"
        reason = " ".join(str(exc).split())
        raise ReferenceFileError(f"CRDS: {reason[:300]}") from None
    return {reftype: _local_path(found.get(reftype, NOT_APPLICABLE)) for reftype in reftypes}


def _local_path(value: str) -> str:
    text = str(value)
    return NOT_APPLICABLE if text.upper().startswith(("NOT FOUND", "N/A")) else text
