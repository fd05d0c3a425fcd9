"""JWST product names: the file root of an exposure and the suffix of each product kind.

jwst names files ``<root>_<suffix>.fits`` with roots like ``jw01234001001_01101_00001_nrcb1``.
"""

from __future__ import annotations

SUFFIXES = (
    "uncal", "dqinit", "saturation", "superbias", "refpix", "linearity", "dark", "jump", "ramp",
    "rate", "rateints", "cal", "calints", "tweakreg", "crf", "i2d", "cat", "segm",
)


#: The exposure-id keywords of jwst's group id, in order.
GROUP_KEYS = ("PROGRAM", "OBSERVTN", "VISIT", "VISITGRP", "SEQ_ID", "ACT_ID", "EXPOSURE")


def group_id(header) -> str | None:
    """Return jwst's group id of an exposure (one per exposure, shared by its detectors), or None.

    ``jw{PROGRAM}{OBSERVTN}{VISIT}_{VISITGRP}{SEQ_ID}{ACT_ID}_{EXPOSURE}`` from the primary header
    (jwst's ``_resample_utils``/``ModelLibrary`` rule); None when a keyword is missing.

    Examples
    --------
    >>> group_id({"PROGRAM": "01234", "OBSERVTN": "001", "VISIT": "001", "VISITGRP": "01",
    ...           "SEQ_ID": "1", "ACT_ID": "01", "EXPOSURE": "00002"})
    'jw01234001001_01101_00002'
    """
    if not all(key in header for key in GROUP_KEYS):
        return None
    v = {key: str(header[key]).strip() for key in GROUP_KEYS}
    return (f"jw{v['PROGRAM']}{v['OBSERVTN']}{v['VISIT']}_{v['VISITGRP']}{v['SEQ_ID']}{v['ACT_ID']}"
            f"_{v['EXPOSURE']}")


def root_from_header(header) -> str | None:
    """Return the product root from FILENAME, else from the exposure-id keywords, else None."""
    filename = str(header.get("FILENAME", "") or "").strip()
    if filename:
        stem = filename.rsplit("/", 1)[-1]
        stem = stem[:-5] if stem.lower().endswith(".fits") else stem
        head, _, tail = stem.rpartition("_")
        return head if head and tail in SUFFIXES else stem
    group = group_id(header)
    if group is not None and "DETECTOR" in header:
        return f"{group}_{str(header['DETECTOR']).strip().lower()}"
    return None


def suffix_for(header, sci_ndim: int | None, sci_is_integer: bool) -> str:
    """Return the product suffix that fits an exposure's state (S_* keywords and SCI layout).

    Parameters
    ----------
    header : astropy.io.fits.Header
        The primary header.
    sci_ndim : int or None
        Dimensionality of SCI, None if there is no SCI.
    sci_is_integer : bool
        True for raw (integer) ramps.
    """

    def done(key: str) -> bool:
        return str(header.get(key, "")).upper() == "COMPLETE"

    if done("S_RESAMP"):
        return "i2d"
    if done("S_OUTLIR"):
        return "crf"
    if done("S_TWKREG"):
        return "tweakreg"
    if done("S_FLAT") or done("S_PHOTOM"):
        return "calints" if sci_ndim == 3 else "cal"
    if done("S_RAMP"):
        return "rateints" if sci_ndim == 3 else "rate"
    if sci_ndim == 4:
        return "uncal" if sci_is_integer else "ramp"
    if sci_ndim == 3 and header.get("DATAMODL") == "CubeModel":
        return "rateints"
    return "rate" if sci_ndim == 2 else "uncal"


def with_suffix(filename: str | None, suffix: str) -> str | None:
    """Return ``filename`` with its product suffix replaced by ``suffix`` (None stays None)."""
    if not filename:
        return None
    stem = filename[:-5] if filename.lower().endswith(".fits") else filename
    head, _, tail = stem.rpartition("_")
    root = head if head and tail in SUFFIXES else stem
    return f"{root}_{suffix}.fits"


def software_version() -> str:
    """Return what the CAL_VER keyword of jwcal's products holds: ``jwcal-<version>``."""
    from jwcal import __version__

    return f"jwcal-{__version__}"
