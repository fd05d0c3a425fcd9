"""Re-point pure-parallel exposures from the prime's attitude (GI06).

Pure-parallel exposures (VISITYPE PARALLEL_PURE) got a "coarse" pointing in the science data
processing: errors of ~0.1" that differ for every dither. The prime exposure taken at the same time
carries the guide-star attitude (RA_V1, DEC_V1, PA_V3), which is the attitude of the whole
observatory. From it this step recomputes the parallel aperture's RA_REF, DEC_REF, ROLL_REF and
PA_APER (SIAF rotation math with the header's V2_REF, V3_REF, V3I_YANG, VPARITY) and the FITS WCS:

* linear WCS (uncal/rate, PC + CDELT): CRVAL = (RA_REF, DEC_REF), PC from ROLL_REF (jwst's
  ``calc_rotation_matrix``) — jwst assign_wcs then rebuilds the same pointing from RA_REF/...;
* CD or TAN-SIP WCS (cal): the correction is the rigid rotation ``D = M_new M_old^T`` (old attitude
  from the file's own RA_V1/DEC_V1/PA_V3) applied to CRVAL and CD; SIP stays (pixel space).

S_REGION is rotated with ``D`` when the old attitude is known. The ASDF gwcs of a cal file is not
rewritten (re-run assign_wcs from the fixed rate file for that). Provenance: PUREPWCS = T and
PUREPEXP (the prime's file name, or ``attitude given``) in the SCI header; old values in HISTORY.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence

import numpy as np

from jwcal.algorithms import fix_parallel_wcs as alg
from jwcal.errors import DataError, UnsupportedError, UsageError
from jwcal.exposure import Exposure
from jwcal.specs.fix_parallel_wcs import SPEC

log = logging.getLogger("jwcal")

STATUS_KEY = "S_PARWCS"
#: Changes below this (degrees, ~0.4 micro-arcsec) are treated as no change (idempotence).
TOLERANCE_DEG = 1e-10
#: Same for PC/CD elements, relative to the matrix size (~2e-7 arcsec of rotation).
RELATIVE_TOLERANCE = 1e-12


def _value(header, key: str, label: str, *, required: bool = True) -> float | None:
    if key not in header:
        if required:
            raise DataError(f"{label}: no {key} keyword")
        return None
    try:
        value = float(header[key])
    except (TypeError, ValueError):
        raise DataError(f"{label}: {key} = {header[key]!r} is not a number") from None
    if not math.isfinite(value):
        raise DataError(f"{label}: {key} = {value!r} is not finite")
    return value


def _sci_header(exposure: Exposure, *, peek: bool):
    hdu = exposure.get("SCI") or exposure.hdus[0]
    return hdu.peek_header() if peek else hdu.header


def _lookup(exposure: Exposure, key: str, *, required: bool = True) -> float | None:
    """Return a keyword from the SCI header, else from the primary header."""
    sci = _sci_header(exposure, peek=True)
    header = sci if key in sci else exposure.peek_primary()
    return _value(header, key, exposure.label, required=required)


def prime_attitude(exposure: Exposure, primes: Sequence[Exposure]) -> tuple[tuple[float, float, float], str]:
    """Return the (RA_V1, DEC_V1, PA_V3) of the prime whose EXPSTART..EXPEND brackets ``exposure``.

    Raises
    ------
    UnsupportedError
        No prime brackets the parallel's exposure interval.
    """
    start, end = _lookup(exposure, "EXPSTART"), _lookup(exposure, "EXPEND")
    for prime in primes:
        p_start, p_end = _lookup(prime, "EXPSTART"), _lookup(prime, "EXPEND")
        if p_start <= start and p_end >= end:
            attitude = tuple(_lookup(prime, key) for key in ("RA_V1", "DEC_V1", "PA_V3"))
            return attitude, prime.label
    raise UnsupportedError(f"{exposure.label}: no prime exposure brackets EXPSTART..EXPEND "
                           f"{start:.6f}..{end:.6f}")


def _skip(exposure: Exposure, reason: str, skip_unsupported: bool) -> Exposure:
    if not skip_unsupported:
        raise UnsupportedError(f"{exposure.label}: {reason}")
    log.warning("%s: fix-parallel-wcs skipped: %s", exposure.label, reason)
    exposure.primary[STATUS_KEY] = "SKIPPED"
    return exposure


def _linear_matrix(header, label: str) -> tuple[np.ndarray, str]:
    if "CD1_1" in header:
        return np.array([[_value(header, f"CD{i}_{j}", label) for j in (1, 2)] for i in (1, 2)]), "CD"
    cdelt = np.array([_value(header, "CDELT1", label), _value(header, "CDELT2", label)])
    pc = np.array([[float(header.get(f"PC{i}_{j}", 1.0 if i == j else 0.0)) for j in (1, 2)] for i in (1, 2)])
    return cdelt[:, None] * pc, "PC"


_POLYGON = re.compile(r"^\s*POLYGON\s+(?:(ICRS|FK5|J2000)\s+)?(.*)$", re.IGNORECASE)


def _rotate_s_region(text: str, rotation: np.ndarray) -> str | None:
    match = _POLYGON.match(text)
    if not match:
        return None
    try:
        values = [float(v) for v in match.group(2).split()]
    except ValueError:
        return None
    if len(values) < 6 or len(values) % 2:
        return None
    ra, dec = alg.rotate_sky(rotation, values[0::2], values[1::2])
    pairs = " ".join(f"{r:.9f} {d:.9f}" for r, d in zip(ra, dec, strict=True))
    return f"POLYGON ICRS  {pairs}"


def run(exposure: Exposure, *, prime: Sequence[Exposure] = (), ra_v1: float | None = None,
        dec_v1: float | None = None, pa_v3: float | None = None,
        skip_unsupported: bool = False) -> Exposure:
    """Re-point a pure-parallel exposure from the prime's (or a given) V1 attitude.

    Parameters
    ----------
    exposure : Exposure
        A VISITYPE PARALLEL_PURE imaging exposure (uncal, rate or cal).
    prime : sequence of Exposure
        Prime exposures; the first whose EXPSTART..EXPEND contains the parallel's is used.
    ra_v1, dec_v1, pa_v3 : float, optional
        The attitude (degrees), instead of ``prime``; all three or none.
    skip_unsupported : bool
        Pass non-parallels and unbracketed exposures through with S_PARWCS = SKIPPED.

    Returns
    -------
    Exposure
        The exposure with the SCI header's pointing and WCS keywords recomputed.
    """
    values = dict(locals())  # the parameters, for the HISTORY card (jwcal/specs/fix_parallel_wcs.py)
    given = [v is not None for v in (ra_v1, dec_v1, pa_v3)]
    if any(given) and not all(given):
        raise UsageError("--ra-v1, --dec-v1 and --pa-v3 go together")
    if all(given) == bool(prime):
        raise UsageError("give either --prime FILE... or --ra-v1/--dec-v1/--pa-v3")
    primary = exposure.peek_primary()
    visit = str(primary.get("VISITYPE", "")).strip().upper()
    if visit != "PARALLEL_PURE":
        return _skip(exposure, f"not a pure parallel (VISITYPE = {visit or 'absent'})", skip_unsupported)
    if all(given):
        attitude, source = (float(ra_v1), float(dec_v1), float(pa_v3)), "attitude given"
    else:
        try:
            attitude, source = prime_attitude(exposure, prime)
        except UnsupportedError as exc:
            return _skip(exposure, str(exc).split(": ", 1)[-1], skip_unsupported)
    label = exposure.label
    if not -90.0 <= attitude[1] <= 90.0:
        raise DataError(f"{label}: DEC_V1 = {attitude[1]} is outside [-90, 90]")

    sci = _sci_header(exposure, peek=True)
    v2, v3 = _value(sci, "V2_REF", label), _value(sci, "V3_REF", label)
    yang, parity = _value(sci, "V3I_YANG", label), int(_value(sci, "VPARITY", label))
    if parity not in (1, -1):
        raise DataError(f"{label}: VPARITY = {parity} is not 1 or -1")
    m_new = alg.attitude_matrix(*attitude)
    ra_ref, dec_ref = alg.telescope_to_sky(m_new, v2, v3)
    roll_ref = alg.position_angle(m_new, v2, v3)
    pa_aper = (roll_ref + yang) % 360.0
    old_attitude = [_value(sci, k, label, required=False) for k in ("RA_V1", "DEC_V1", "PA_V3")]
    rotation = None
    if None not in old_attitude:
        rotation = m_new @ alg.attitude_matrix(*old_attitude).T
    linear, form = _linear_matrix(sci, label)
    if form == "PC":
        cdelt = np.array([_value(sci, "CDELT1", label), _value(sci, "CDELT2", label)])
    sip = "A_ORDER" in sci or "-SIP" in str(sci.get("CTYPE1", ""))
    if sip or form == "CD":
        if rotation is None:
            raise DataError(f"{label}: a CD/SIP WCS needs the file's own RA_V1/DEC_V1/PA_V3 to rotate it")
        crval, new_linear = alg.rotate_linear_wcs(
            rotation, (_value(sci, "CRVAL1", label), _value(sci, "CRVAL2", label)), linear)
    else:
        crval = (ra_ref, dec_ref)
        new_linear = cdelt[:, None] * alg.pc_matrix(roll_ref, yang, parity)

    updates: dict[str, float] = {"RA_V1": attitude[0], "DEC_V1": attitude[1], "PA_V3": attitude[2] % 360.0,
                                 "RA_REF": ra_ref, "DEC_REF": dec_ref, "ROLL_REF": roll_ref,
                                 "PA_APER": pa_aper, "CRVAL1": crval[0], "CRVAL2": crval[1]}
    if form == "CD":
        updates.update({f"CD{i}_{j}": new_linear[i - 1, j - 1] for i in (1, 2) for j in (1, 2)})
    else:
        pc = new_linear / cdelt[:, None]
        updates.update({f"PC{i}_{j}": pc[i - 1, j - 1] for i in (1, 2) for j in (1, 2)})

    scale = float(np.abs(new_linear).max())

    def differs(key: str, new: float) -> bool:
        old = sci.get(key)
        if old is None:
            return True
        delta = abs(float(old) - new)
        if key.startswith(("CD", "PC")):  # matrices: relative to their size
            return delta > RELATIVE_TOLERANCE * (scale if key.startswith("CD") else 1.0)
        if key in ("RA_V1", "PA_V3", "RA_REF", "ROLL_REF", "PA_APER", "CRVAL1"):
            delta = min(delta, 360.0 - delta)
        return delta > TOLERANCE_DEG

    changed = {k: v for k, v in updates.items() if differs(k, v)}
    if not changed:
        log.info("%s: pointing already from %s", label, source)
        return exposure
    old_ref = (float(sci.get("RA_REF", ra_ref)), float(sci.get("DEC_REF", dec_ref)))
    a, b = alg.unit_vector(ra_ref, dec_ref), alg.unit_vector(*old_ref)
    shift = float(np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b)), a @ b)))
    header = _sci_header(exposure, peek=False)
    old_text = " ".join(f"{k}={sci.get(k)!r}" for k in changed)
    for key, value in changed.items():
        header[key] = value
    if rotation is not None and "S_REGION" in header:
        region = _rotate_s_region(str(header["S_REGION"]), rotation)
        if region is None:
            log.warning("%s: S_REGION not understood, left unchanged", label)
        else:
            header["S_REGION"] = region
    header["PUREPWCS"] = (True, "WCS updated from the prime's attitude (jwcal)")
    header["PUREPEXP"] = (str(source)[:68], "source of the attitude")
    header.add_history(f"jwcal fix-parallel-wcs: attitude from {source}")
    header.add_history(SPEC.history(values))
    header.add_history(f"jwcal fix-parallel-wcs: old {old_text}")
    exposure.primary[STATUS_KEY] = "COMPLETE"
    log.info("%s: RA_REF/DEC_REF moved by %.3f arcsec", label, shift * 3600.0)
    return exposure
