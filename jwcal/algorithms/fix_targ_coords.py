"""Proper motion on the sphere: a position at one epoch carried to another (GI01).

The star moves along a straight line in space at constant velocity with no radial velocity and no
parallax; on the unit sphere this is ``r = r0 + dt (mu_a* p + mu_d q)`` renormalised, with ``p`` and
``q`` the unit vectors toward East and North at the starting position. This is what astropy's
``SkyCoord.apply_space_motion`` computes for a distant star with zero radial velocity.
"""

from __future__ import annotations

import math

#: Factor by which DMS 9.2.1 (2023-05-23 until the fix) under-applied proper motion (jwst#7697).
BUG_FACTOR = 0.36533
MAS_PER_RAD = 180.0 / math.pi * 3600e3
_ARCSEC = math.pi / 180.0 / 3600.0


def _unit(ra_deg: float, dec_deg: float) -> tuple[float, float, float]:
    ra, dec = math.radians(ra_deg), math.radians(dec_deg)
    return (math.cos(dec) * math.cos(ra), math.cos(dec) * math.sin(ra), math.sin(dec))


def _angles(x: float, y: float, z: float) -> tuple[float, float]:
    norm = math.sqrt(x * x + y * y + z * z)
    ra = math.degrees(math.atan2(y, x)) % 360.0
    dec = math.degrees(math.asin(max(-1.0, min(1.0, z / norm))))
    return ra, dec


def apply_proper_motion(ra: float, dec: float, mu_ra: float, mu_dec: float,
                        dt_years: float) -> tuple[float, float]:
    """Return the position of a star ``dt_years`` after it was at ``(ra, dec)``.

    Parameters
    ----------
    ra, dec : float
        Position at the starting epoch, degrees (ICRS).
    mu_ra : float
        Proper motion in right ascension *including* cos(dec) (mu_alpha*), arcsec/yr.
    mu_dec : float
        Proper motion in declination, arcsec/yr.
    dt_years : float
        Elapsed time in Julian years (365.25 d); negative goes backwards.

    Returns
    -------
    (float, float)
        RA in [0, 360) and Dec, degrees.
    """
    a, d = math.radians(ra), math.radians(dec)
    sa, ca, sd, cd = math.sin(a), math.cos(a), math.sin(d), math.cos(d)
    east = mu_ra * _ARCSEC * dt_years
    north = mu_dec * _ARCSEC * dt_years
    x = cd * ca - east * sa - north * sd * ca
    y = cd * sa + east * ca - north * sd * sa
    z = sd + north * cd
    return _angles(x, y, z)


def separation_mas(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    """Angular distance between two positions (degrees), in milliarcseconds (Vincenty-stable)."""
    u, v = _unit(ra1, dec1), _unit(ra2, dec2)
    cross = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
    sin = math.sqrt(sum(c * c for c in cross))
    cos = sum(p * q for p, q in zip(u, v, strict=True))
    return math.atan2(sin, cos) * MAS_PER_RAD


def tangent_offset_mas(ra0: float, dec0: float, ra: float, dec: float) -> tuple[float, float]:
    """Gnomonic (East, North) offset of ``(ra, dec)`` from ``(ra0, dec0)``, milliarcseconds."""
    a, d = math.radians(ra0), math.radians(dec0)
    r = _unit(ra, dec)
    east = (-math.sin(a), math.cos(a), 0.0)
    north = (-math.sin(d) * math.cos(a), -math.sin(d) * math.sin(a), math.cos(d))
    centre = _unit(ra0, dec0)
    w = sum(p * q for p, q in zip(r, centre, strict=True))
    x = sum(p * q for p, q in zip(r, east, strict=True)) / w
    y = sum(p * q for p, q in zip(r, north, strict=True)) / w
    return x * MAS_PER_RAD, y * MAS_PER_RAD


def implied_factor(prop: tuple[float, float], targ: tuple[float, float],
                   correct: tuple[float, float]) -> float:
    """Return ``k`` such that TARG ≈ PROP + k (CORRECT − PROP), least squares in the tangent plane.

    ``k`` ≈ 0 means no proper motion was applied, ≈ 0.36533 the DMS 9.2.1 bug, ≈ 1 correct.
    NaN when the proper-motion displacement is below 1 micro-arcsecond.

    Parameters
    ----------
    prop, targ, correct : (float, float)
        (RA, Dec) in degrees of the proposer's position, the header's TARG_*, and the rigorous one.
    """
    tx, ty = tangent_offset_mas(*prop, *targ)
    cx, cy = tangent_offset_mas(*prop, *correct)
    norm = cx * cx + cy * cy
    if norm < 1e-6:
        return math.nan
    return (tx * cx + ty * cy) / norm
