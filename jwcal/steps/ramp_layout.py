"""Shared pieces of the detector-1 filters on the ``_ramp`` layout (SCI 4-D, PIXELDQ, GROUPDQ).

Used by saturation, superbias, linearity, dark and refpix: reading the ramp's arrays with shape
checks and building the output exposure with new arrays and the step's status keyword.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from jwcal.errors import DataError
from jwcal.exposure import HDU, Exposure, Planes
from jwcal.steps.product_level import RAMP, require
from jwcal.steps.references import record_references


def ramp_arrays(exposure: Exposure, step: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (SCI float32 4-D, PIXELDQ uint32 2-D, GROUPDQ uint8 4-D) of a ``_ramp`` exposure.

    Raises
    ------
    MissingExtensionError
        PIXELDQ or GROUPDQ absent (run ``jwcal dq-init`` first).
    DataError
        Not a ramp (see :func:`jwcal.steps.product_level.require`), NGROUPS/NINTS disagreeing with
        the data, or DQ arrays of the wrong shape.
    """
    require(exposure, step, RAMP)
    sci = np.asarray(exposure["SCI"].data)
    pixeldq = np.asarray(exposure["PIXELDQ"].data)
    groupdq = np.asarray(exposure["GROUPDQ"].data)
    if pixeldq.shape != sci.shape[2:] or groupdq.shape != sci.shape:
        raise DataError(f"{exposure.label}: PIXELDQ {pixeldq.shape} / GROUPDQ {groupdq.shape} do not match "
                        f"SCI {sci.shape}")
    return sci.astype(np.float32, copy=False), pixeldq.astype(np.uint32, copy=False), \
        groupdq.astype(np.uint8, copy=False)


def by_group(sci: np.ndarray, per_group: Callable[[np.ndarray, int, int], np.ndarray]) -> Planes:
    """Return the float32 ramp whose group (i, g) is ``per_group(sci[i, g], i, g)``, made when needed.

    Given to :func:`replace`, the new SCI is computed one group plane at a time as it is written, so
    a filter holds its input ramp and one output plane, not two ramps.
    """
    ngroups = sci.shape[1]
    return Planes(sci.shape, np.float32,
                  lambda k: per_group(sci[k // ngroups, k % ngroups], k // ngroups, k % ngroups))


def replace(exposure: Exposure, arrays: dict[str, np.ndarray | Planes], keyword: str,
            history: str | list[str], status: str = "COMPLETE", keywords: dict | None = None,
            references: dict | None = None) -> Exposure:
    """Return a new exposure with some image HDUs replaced (or added) and ``keyword = status``.

    HDUs not named in ``arrays`` are shared with the input (never modified); replaced ones keep
    their header. Values are arrays or :class:`Planes` (e.g. from :func:`by_group`). ``history``
    (one line or several) and ``keywords`` go to the primary header; ``references``
    (``{reftype: reference}``) are recorded there by :func:`~jwcal.steps.references.record_references`.
    """
    hdus = []
    done = set()
    for hdu in exposure:
        name = hdu.name
        if name == "PRIMARY":
            primary = hdu.peek_header().copy()
            primary[keyword] = status
            for key, value in (keywords or {}).items():
                primary[key] = value
            for line in [history] if isinstance(history, str) else history:
                primary["HISTORY"] = line
            record_references(primary, exposure, references or {})
            hdus.append(HDU(header=primary))
        elif name in arrays:
            header = hdu.peek_header().copy()
            for key in ("BZERO", "BSCALE", "BLANK"):
                header.remove(key, ignore_missing=True)
            hdus.append(HDU.image(name, arrays[name], header))
            done.add(name)
        else:
            hdus.append(hdu)
    new = Exposure(hdus, source=exposure.source)
    for name, data in arrays.items():
        if name not in done:
            new.set(name, HDU.image(name, data), after="GROUPDQ")
    return new


def skipped(exposure: Exposure, keyword: str, why: str) -> Exposure:
    """Return the exposure unchanged but for ``keyword = 'SKIPPED'`` and a HISTORY card."""
    return replace(exposure, {}, keyword, f"skipped: {why}", status="SKIPPED")
