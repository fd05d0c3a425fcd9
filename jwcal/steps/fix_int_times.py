"""Make the exposure time keywords agree with the INT_TIMES table (GI-TS01).

For time-series data the primary-header times (BSTRTIME, BENDTIME, BARTDELT, ...) differ from
INT_TIMES, which is built from the group times in the engineering data and is the authoritative
record. This step sets, from the table:

* EXPSTART / EXPEND (MJD UTC): start of integration 1 / end of integration NINTS; EXPMID halfway;
* BSTRTIME / BENDTIME / BMIDTIME (MJD TDB, barycentric): the same from the BJD_TDB columns;
* BARTDELT (s): the barycentric light-time correction at EXPMID, ``BJD_TDB - TDB(MJD_UTC)``
  interpolated in the table (the UTC-to-TDB clock offset is not part of it).

Only keywords whose instants are in the table are set (a segment without integration 1 keeps
EXPSTART). Old values go to HISTORY; nothing else changes, and the table itself is untouched.
"""

from __future__ import annotations

import logging

import numpy as np

from jwcal.algorithms import fix_int_times as alg
from jwcal.errors import DataError, UnsupportedError
from jwcal.exposure import Exposure

log = logging.getLogger("jwcal")

STATUS_KEY = "S_INTTIM"
#: Differences below this many seconds are float noise of the header text (idempotence).
TOLERANCE_S = 1e-4
_TIME_KEYS = {"UTC": ("EXPSTART", "EXPMID", "EXPEND"), "TDB": ("BSTRTIME", "BMIDTIME", "BENDTIME")}


def _column(table, name: str, label: str, *, required: bool = True):
    for candidate in table.dtype.names or ():
        if candidate.lower() == name.lower():
            return np.asarray(table[candidate], dtype=float)
    if required:
        raise DataError(f"{label}: INT_TIMES has no {name} column")
    return None


def _read_table(hdu):
    """Return a copy of a table HDU's rows, leaving the HDU marked as untouched (written byte for byte)."""
    raw = hdu.raw
    rows = np.array(hdu.data, copy=True)
    if raw is not None:
        hdu.raw = raw  # only read: the raw bytes are still the truth
    return rows


def table_times(exposure: Exposure) -> dict[str, float]:
    """Return the keyword values the INT_TIMES table determines.

    Raises
    ------
    UnsupportedError
        No INT_TIMES extension, or it has no rows.
    DataError
        Columns missing or not finite, or NINTS absent.
    """
    label = exposure.label
    hdu = exposure.get("INT_TIMES")
    if hdu is None:
        raise UnsupportedError(f"{label}: no INT_TIMES extension (not time-series data?)")
    table = _read_table(hdu)
    if table is None or len(table) == 0:
        raise UnsupportedError(f"{label}: INT_TIMES is empty")
    primary = exposure.peek_primary()
    if "NINTS" not in primary:
        raise DataError(f"{label}: no NINTS keyword")
    nints = int(primary["NINTS"])
    numbers = _column(table, "integration_number", label)
    values: dict[str, float] = {}
    for scale, suffix in (("UTC", "MJD_UTC"), ("TDB", "BJD_TDB")):
        start = _column(table, f"int_start_{suffix}", label, required=scale == "UTC")
        end = _column(table, f"int_end_{suffix}", label, required=scale == "UTC")
        if start is None or end is None:
            continue
        if not (np.isfinite(start).all() and np.isfinite(end).all()):
            raise DataError(f"{label}: INT_TIMES {suffix} times are not finite")
        found = alg.exposure_times(numbers, start, end, nints)
        for key, which in zip(_TIME_KEYS[scale], ("start", "mid", "end"), strict=True):
            if which in found:
                values[key] = found[which]
    mid_utc = _column(table, "int_mid_MJD_UTC", label, required=False)
    mid_tdb = _column(table, "int_mid_BJD_TDB", label, required=False)
    if mid_utc is not None and mid_tdb is not None and "EXPMID" in values:
        from astropy.time import Time

        for column, name in ((mid_utc, "int_mid_MJD_UTC"), (mid_tdb, "int_mid_BJD_TDB")):
            if not np.isfinite(column).all():
                raise DataError(f"{label}: INT_TIMES {name} has {int((~np.isfinite(column)).sum())} "
                                "value(s) that are not finite")

        clock = Time(mid_utc, format="mjd", scale="utc").tdb.mjd
        light = (mid_tdb - clock) * alg.SECONDS_PER_DAY
        delta = alg.correction_at(values["EXPMID"], mid_utc, light)
        if delta is not None:
            values["BARTDELT"] = delta
    return values


def differences(exposure: Exposure) -> dict[str, float | None]:
    """Return header minus table, in seconds, for every keyword the table determines (None: absent)."""
    header = exposure.peek_primary()
    out: dict[str, float | None] = {}
    for key, value in table_times(exposure).items():
        if key not in header:
            out[key] = None
            continue
        try:
            old = float(header[key])
        except (TypeError, ValueError):
            raise DataError(f"{exposure.label}: {key} = {header[key]!r} is not a number") from None
        scale = 1.0 if key == "BARTDELT" else alg.SECONDS_PER_DAY
        out[key] = (old - value) * scale
    return out


def run(exposure: Exposure, *, check: bool = False, skip_unsupported: bool = False) -> Exposure:
    """Set the exposure time keywords from INT_TIMES.

    Parameters
    ----------
    exposure : Exposure
        Time-series exposure with an INT_TIMES extension (any product level).
    check : bool
        Dry run: return the exposure unchanged (the command prints :func:`differences`).
    skip_unsupported : bool
        Without INT_TIMES, pass the exposure through with S_INTTIM = SKIPPED instead of failing.

    Returns
    -------
    Exposure
        The exposure, primary header updated where it differs by more than ``TOLERANCE_S``.
    """
    if check:
        return exposure
    try:
        values = table_times(exposure)
    except UnsupportedError as exc:
        if not skip_unsupported:
            raise
        log.warning("%s; fix-int-times skipped", exc)
        exposure.primary[STATUS_KEY] = "SKIPPED"
        return exposure
    diffs = differences(exposure)
    changed = {k: v for k, v in values.items() if diffs[k] is None or abs(diffs[k]) > TOLERANCE_S}
    if not changed:
        log.info("%s: time keywords already agree with INT_TIMES", exposure.label)
        return exposure
    header = exposure.primary
    old = " ".join(f"{k}={header.get(k)!r}" for k in changed)
    for key, value in changed.items():
        header[key] = value
    header.add_history("jwcal fix-int-times: time keywords set from the INT_TIMES table")
    header.add_history(f"jwcal fix-int-times: old {old}")
    log.info("%s: %s", exposure.label,
             ", ".join(f"{k} {diffs[k]:+.3f} s" if diffs[k] is not None else f"{k} added" for k in changed))
    return exposure
