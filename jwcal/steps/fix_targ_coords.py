"""Recompute TARG_RA/TARG_DEC at the exposure's mid time from PROP_RA/PROP_DEC and proper motion (GI01).

jwst#7697: before 2023-05-23 the science data processing did not apply the target's proper motion
to TARG_RA/TARG_DEC; from DMS 9.2.1 until the fix it applied it too small by a factor 0.36533.
This step always recomputes from the proposer's coordinates (so it is idempotent), keeps the
first old values in OTARG_RA/OTARGDEC and adds a HISTORY card. Only the primary header changes;
every other HDU is written back byte for byte.
"""

from __future__ import annotations

import logging
import math

from jwcal.algorithms import fix_targ_coords as alg
from jwcal.errors import DataError
from jwcal.exposure import Exposure

log = logging.getLogger("jwcal")

#: Changes smaller than this (degrees, ~0.004 mas) are float noise of the header's text form.
TOLERANCE_DEG = 1e-9
DAYS_PER_JULIAN_YEAR = 365.25
#: Tolerance on the implied factor when naming the case in ``diagnose``.
FACTOR_TOLERANCE = 0.05


def _number(header, key: str, label: str) -> float | None:
    if key not in header or header[key] is None or str(header[key]).strip() == "":
        return None
    value = header[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(str(value).strip())
        except ValueError:
            raise DataError(f"{label}: {key} = {header[key]!r} is not a number") from None
    value = float(value)
    if not math.isfinite(value):
        raise DataError(f"{label}: {key} = {value!r} is not finite")
    return value


def epoch_mjd(value, label: str = "MU_EPOCH") -> float:
    """Return the MJD (UTC) of a MU_EPOCH value: an ISO date/time string, or a (Julian) year number.

    Examples
    --------
    >>> epoch_mjd("2000-01-01 12:00:00")
    51544.5
    >>> epoch_mjd(2000.0)
    51544.5
    """
    from astropy.time import Time

    if isinstance(value, bool):
        raise DataError(f"{label}: MU_EPOCH = {value!r} is not a date")
    try:
        if isinstance(value, int | float) or _looks_like_year(value):
            year = float(value)
            if not 1800.0 <= year <= 2200.0:
                raise ValueError
            return float(Time(year, format="jyear", scale="utc").mjd)
        return float(Time(str(value).strip().replace("T", " ", 1), format="iso", scale="utc").mjd)
    except ValueError:
        raise DataError(f"{label}: MU_EPOCH = {value!r} is neither an ISO date nor a year") from None


def _looks_like_year(value) -> bool:
    try:
        float(str(value).strip())
    except ValueError:
        return False
    return True


def _mid_mjd(header, label: str) -> float:
    mid = _number(header, "EXPMID", label)
    if mid is None:
        start, end = _number(header, "EXPSTART", label), _number(header, "EXPEND", label)
        if start is None or end is None:
            raise DataError(f"{label}: no EXPMID (nor EXPSTART and EXPEND) to carry the target to")
        mid = 0.5 * (start + end)
    return mid


def target_state(exposure: Exposure) -> dict:
    """Read what the fix needs from the primary header.

    Returns
    -------
    dict
        ``{"skip": reason}`` when there is nothing to fix, else ``prop``, ``targ`` (RA, Dec in
        degrees; ``targ`` may be None), ``mu`` (arcsec/yr, mu_alpha* and mu_delta), ``dt_years``
        and ``correct`` (the rigorous TARG position).

    Raises
    ------
    DataError
        A value is malformed (not a number, Dec outside ±90°, unreadable MU_EPOCH).
    """
    header = exposure.peek_primary()
    label = exposure.label
    if str(header.get("TARGTYPE", "")).strip().upper() == "MOVING":
        return {"skip": "moving target (TARGTYPE = MOVING): its coordinates are MT_RA/MT_DEC"}
    prop_ra, prop_dec = _number(header, "PROP_RA", label), _number(header, "PROP_DEC", label)
    if prop_ra is None or prop_dec is None:
        return {"skip": "no PROP_RA/PROP_DEC (e.g. a pure parallel)"}
    mu_ra, mu_dec = _number(header, "MU_RA", label), _number(header, "MU_DEC", label)
    if not mu_ra and not mu_dec:
        return {"skip": "no proper motion (MU_RA = MU_DEC = 0 or absent)"}
    if not -90.0 <= prop_dec <= 90.0:
        raise DataError(f"{label}: PROP_DEC = {prop_dec} is outside [-90, 90]")
    if "MU_EPOCH" not in header or str(header["MU_EPOCH"]).strip() == "":
        raise DataError(f"{label}: proper motion given but no MU_EPOCH")
    dt = (_mid_mjd(header, label) - epoch_mjd(header["MU_EPOCH"], label)) / DAYS_PER_JULIAN_YEAR
    targ_ra, targ_dec = _number(header, "TARG_RA", label), _number(header, "TARG_DEC", label)
    targ = None if targ_ra is None or targ_dec is None else (targ_ra, targ_dec)
    correct = alg.apply_proper_motion(prop_ra, prop_dec, mu_ra or 0.0, mu_dec or 0.0, dt)
    return {"prop": (prop_ra % 360.0, prop_dec), "targ": targ, "mu": (mu_ra or 0.0, mu_dec or 0.0),
            "dt_years": dt, "correct": correct}


def diagnose(exposure: Exposure) -> dict:
    """Tell which GI01 case an exposure is in, without changing it.

    Returns
    -------
    dict
        ``case``: ``uncorrected`` (k ≈ 0), ``factor-0.36533`` (k ≈ 0.36533), ``correct`` (k ≈ 1 or
        TARG within 1 mas of the rigorous position), ``other``, ``no-targ`` or ``not-applicable``;
        ``factor`` (k, NaN when undefined), ``error_mas`` (TARG − rigorous), ``shift_mas`` (rigorous
        − PROP) and ``reason`` for ``not-applicable``.
    """
    state = target_state(exposure)
    if "skip" in state:
        return {"case": "not-applicable", "factor": math.nan, "error_mas": math.nan,
                "shift_mas": math.nan, "reason": state["skip"]}
    shift = alg.separation_mas(*state["prop"], *state["correct"])
    if state["targ"] is None:
        return {"case": "no-targ", "factor": math.nan, "error_mas": math.nan, "shift_mas": shift,
                "reason": "no TARG_RA/TARG_DEC"}
    error = alg.separation_mas(*state["targ"], *state["correct"])
    factor = alg.implied_factor(state["prop"], state["targ"], state["correct"])
    if error < 1.0 or abs(factor - 1.0) < FACTOR_TOLERANCE:
        case = "correct"
    elif abs(factor) < FACTOR_TOLERANCE:
        case = "uncorrected"
    elif abs(factor - alg.BUG_FACTOR) < FACTOR_TOLERANCE:
        case = "factor-0.36533"
    else:
        case = "other"
    return {"case": case, "factor": factor, "error_mas": error, "shift_mas": shift, "reason": ""}


def run(exposure: Exposure, *, check: bool = False) -> Exposure:
    """Set TARG_RA/TARG_DEC to PROP_RA/PROP_DEC carried by the proper motion to EXPMID.

    Parameters
    ----------
    exposure : Exposure
        Any product level; only the primary header is read and changed.
    check : bool
        Dry run: return the exposure unchanged (the command prints :func:`diagnose` instead).

    Returns
    -------
    Exposure
        The same exposure, its primary header updated when the values change by more than
        ``TOLERANCE_DEG``. Without proper motion, for moving targets or without PROP_* it is
        returned unchanged (a note is logged).
    """
    if check:
        return exposure
    state = target_state(exposure)
    if "skip" in state:
        log.warning("%s: TARG_RA/TARG_DEC left unchanged: %s", exposure.label, state["skip"])
        return exposure
    new_ra, new_dec = state["correct"]
    old = state["targ"]
    if old is not None and abs(old[1] - new_dec) < TOLERANCE_DEG and \
            alg.separation_mas(*old, new_ra, new_dec) < TOLERANCE_DEG * 3600e3:
        log.info("%s: TARG_RA/TARG_DEC already at the exposure epoch", exposure.label)
        return exposure
    header = exposure.primary
    if old is not None and "OTARG_RA" not in header:
        header.set("OTARG_RA", old[0], "[deg] TARG_RA before jwcal fix-targ-coords", after="TARG_DEC")
        header.set("OTARGDEC", old[1], "[deg] TARG_DEC before jwcal fix-targ-coords", after="OTARG_RA")
    header["TARG_RA"] = new_ra
    header["TARG_DEC"] = new_dec
    header.add_history(
        f"jwcal fix-targ-coords: TARG_RA/DEC = PROP_RA/DEC + proper motion over {state['dt_years']:.6f} yr"
    )
    if old is not None:
        header.add_history(f"jwcal fix-targ-coords: old TARG_RA/DEC {old[0]!r} {old[1]!r}")
    log.info("%s: TARG_RA/TARG_DEC moved by %.3f mas", exposure.label,
             alg.separation_mas(*(old or state["prop"]), new_ra, new_dec))
    return exposure
