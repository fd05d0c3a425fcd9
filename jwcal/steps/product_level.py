"""The product level an exposure is at, and the one check every step makes of its input.

JWST products come in three levels that the steps of jwcal take:

============  ====================================================  =============================
level         what it is                                            taken by
============  ====================================================  =============================
``raw``       4-D SCI ramp without PIXELDQ/GROUPDQ (``_uncal``)     dq-init
``ramp``      4-D SCI with PIXELDQ and GROUPDQ (after dq-init)      dq-init and the ramp steps
``image``     2-D/3-D SCI, or S_RAMP=COMPLETE (rate, cal, crf...)   the image steps (stage 2/3)
============  ====================================================  =============================

:func:`require` refuses input of another level with one line that says which command makes the
right one, and checks, for ramps, that the header's NGROUPS and NINTS describe the data.
"""

from __future__ import annotations

from jwcal.errors import DataError, MissingExtensionError
from jwcal.exposure import Exposure
from jwcal.products import suffix_for

RAW, RAMP, IMAGE = "raw", "ramp", "image"

_TAKES = {RAW: "raw ramps (_uncal)", RAMP: "ramps after dq-init (_ramp)", IMAGE: "rate/cal images"}


def level(exposure: Exposure) -> str:
    """Return the level of ``exposure``: ``raw``, ``ramp`` or ``image`` (from headers only).

    Raises
    ------
    MissingExtensionError
        No SCI extension.
    DataError
        SCI of a dimensionality no JWST product has.
    """
    ndim = len(exposure["SCI"].shape)
    if _fitted(exposure) or ndim in (2, 3):
        return IMAGE
    if ndim == 4:
        return RAMP if "PIXELDQ" in exposure and "GROUPDQ" in exposure else RAW
    raise DataError(f"{exposure.label}: SCI is {ndim}-D; JWST ramps are 4-D and images 2-D or 3-D")


def _fitted(exposure: Exposure) -> bool:
    return str(exposure.peek_primary().get("S_RAMP", "")).strip().upper() == "COMPLETE"


def _describe(exposure: Exposure, found: str) -> str:
    ndim = len(exposure["SCI"].shape)
    if found == RAW:
        return "a raw ramp (_uncal: no PIXELDQ/GROUPDQ)"
    if found == RAMP:
        return f"a ramp (SCI {ndim}-D)"
    if _fitted(exposure):
        return f"a _{suffix_for(exposure.peek_primary(), ndim, sci_is_integer=False)} image (SCI {ndim}-D)"
    return f"an image (SCI {ndim}-D, S_RAMP not COMPLETE)"


def _hint(exposure: Exposure, found: str, levels: tuple[str, ...]) -> str:
    """Say what to run to get from ``found`` to one of ``levels``."""
    if IMAGE in levels:
        return "run stage 1 first: jwcal dq-init ... | jwcal ramp-fit"
    if found == RAW:
        return "run jwcal dq-init first"
    if _fitted(exposure):
        return "it is already ramp-fitted"
    return "a ramp is 4-D: nints, ngroups, ny, nx"


def require(exposure: Exposure, step: str, *levels: str) -> tuple[int, ...]:
    """Check that ``exposure`` is at one of ``levels`` for ``step``; return the SCI shape.

    Ramps are also checked against their header (:func:`check_counts`).

    Parameters
    ----------
    exposure : Exposure
        The input (headers are enough: no data are decoded).
    step : str
        The command's name, for messages (``ramp-fit``).
    levels : str
        The levels the step takes (:data:`RAW`, :data:`RAMP`, :data:`IMAGE`).

    Raises
    ------
    MissingExtensionError
        A raw ramp given to a ramp step ("run jwcal dq-init first"), or no SCI.
    DataError
        Input of another level, or a ramp whose NGROUPS/NINTS disagree with its data.
    """
    found = level(exposure)
    if found not in levels:
        wanted = " or ".join(_TAKES[name] for name in levels)
        error = MissingExtensionError if found == RAW and RAMP in levels else DataError
        raise error(f"{exposure.label}: is {_describe(exposure, found)}; {step} works on {wanted} "
                    f"({_hint(exposure, found, levels)})")
    shape = tuple(exposure["SCI"].shape)
    if found in (RAW, RAMP):
        check_counts(exposure, shape)
    return shape


def check_counts(exposure: Exposure, shape: tuple[int, ...]) -> None:
    """Check NGROUPS and NINTS (INTSTART/INTEND for segments) against a ramp's SCI shape.

    A segment of a long exposure (``_segNNN``, EXSEGTOT > 1) holds integrations INTSTART..INTEND
    of NINTS; an exposure in one piece holds all NINTS.

    Raises
    ------
    DataError
        A keyword that disagrees with the data, or is not an integer.
    """
    header = exposure.peek_primary()

    def integer(key: str) -> int | None:
        if key not in header or header[key] in (None, ""):
            return None
        value = header[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise DataError(f"{exposure.label}: {key}={value!r} is not an integer")
        return int(value)

    nints, ngroups = shape[0], shape[1]
    declared = integer("NGROUPS")
    if declared is not None and declared != ngroups:
        raise DataError(f"{exposure.label}: NGROUPS={declared} but SCI holds {ngroups} groups")
    total, start, end = integer("NINTS"), integer("INTSTART"), integer("INTEND")
    segments = max(integer("EXSEGTOT") or 1, integer("EXSEGNUM") or 1)
    if start is not None or end is not None:
        start = 1 if start is None else start
        end = start + nints - 1 if end is None else end
        if end - start + 1 != nints:
            raise DataError(f"{exposure.label}: INTSTART={start}, INTEND={end} is {end - start + 1} "
                            f"integration(s) but SCI holds {nints}")
        if start < 1 or (total is not None and end > total):
            raise DataError(f"{exposure.label}: integrations {start}..{end} are outside NINTS={total}")
    if total is not None and segments == 1 and total != nints:
        raise DataError(f"{exposure.label}: NINTS={total} but SCI holds {nints} integration(s) "
                        "(and EXSEGTOT says the exposure is not segmented)")
