"""Telescope attitude → aperture pointing, and rigid sky rotations of FITS WCSs (GI06).

Conventions follow the JWST SIAF (pysiaf ``rotations``): ``R_k(t)`` is the right-handed rotation by
``t`` about axis ``k``; the attitude matrix ``M = R3(RA_V1) R2(-DEC_V1) R1(-PA_V3)`` takes unit
vectors in the telescope (V1, V2, V3) frame to ICRS unit vectors. V2/V3 are in arcsec, angles in
degrees everywhere in the public functions.
"""

from __future__ import annotations

import math

import numpy as np


def _rotation(axis: int, degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    if axis == 1:
        return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    if axis == 2:
        return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def attitude_matrix(ra_v1: float, dec_v1: float, pa_v3: float) -> np.ndarray:
    """Return the (3, 3) attitude matrix of the V1 boresight at (RA_V1, DEC_V1) with V3 at PA_V3 (deg)."""
    return _rotation(3, ra_v1) @ _rotation(2, -dec_v1) @ _rotation(1, -pa_v3)


def attitude_at(v2: float, v3: float, ra: float, dec: float, roll: float) -> np.ndarray:
    """Return the attitude putting telescope point (V2, V3) (arcsec) at (RA, Dec), V3 at PA ``roll``."""
    return (_rotation(3, ra) @ _rotation(2, -dec) @ _rotation(1, -roll)
            @ _rotation(2, v3 / 3600.0) @ _rotation(3, -v2 / 3600.0))


def unit_vector(ra, dec) -> np.ndarray:
    """Return unit vectors (..., 3) of positions in degrees."""
    ra, dec = np.radians(ra), np.radians(dec)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def angles(vectors) -> tuple[np.ndarray, np.ndarray]:
    """Return (RA in [0, 360), Dec) in degrees of vectors (..., 3) (need not be unit length)."""
    v = np.asarray(vectors, dtype=float)
    norm = np.linalg.norm(v, axis=-1)
    ra = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    dec = np.degrees(np.arcsin(np.clip(v[..., 2] / norm, -1.0, 1.0)))
    return ra, dec


def telescope_to_sky(attitude: np.ndarray, v2: float, v3: float) -> tuple[float, float]:
    """Return (RA, Dec) in degrees of telescope point (V2, V3) (arcsec) under ``attitude``."""
    v2r, v3r = math.radians(v2 / 3600.0), math.radians(v3 / 3600.0)
    u = np.array([math.cos(v2r) * math.cos(v3r), math.sin(v2r) * math.cos(v3r), math.sin(v3r)])
    ra, dec = angles(attitude @ u)
    return float(ra), float(dec)


def position_angle(attitude: np.ndarray, v2: float, v3: float) -> float:
    """Return the position angle (deg, [0, 360)) of the local +V3 direction at (V2, V3) (arcsec).

    This is ROLL_REF when (V2, V3) is the aperture's reference point.
    """
    a = attitude
    v2r, v3r = math.radians(v2 / 3600.0), math.radians(v3 / 3600.0)
    x = -(a[2, 0] * math.cos(v2r) + a[2, 1] * math.sin(v2r)) * math.sin(v3r) + a[2, 2] * math.cos(v3r)
    y = ((a[0, 0] * a[1, 2] - a[1, 0] * a[0, 2]) * math.cos(v2r)
         + (a[0, 1] * a[1, 2] - a[1, 1] * a[0, 2]) * math.sin(v2r))
    return math.degrees(math.atan2(y, x)) % 360.0


def pc_matrix(roll_ref: float, v3i_yang: float, vparity: int) -> np.ndarray:
    """Return the (2, 2) FITS PC matrix ``[[PC1_1, PC1_2], [PC2_1, PC2_2]]`` of a JWST imaging aperture.

    Parameters
    ----------
    roll_ref : float
        Position angle of V3 at the reference point, degrees.
    v3i_yang : float
        Angle from V3 to the ideal Y axis, degrees.
    vparity : {1, -1}
        Parity of the ideal X axis relative to V2.
    """
    rel = math.radians(roll_ref - vparity * v3i_yang)
    c, s = math.cos(rel), math.sin(rel)
    return np.array([[vparity * c, -vparity * s], [s, c]])


def rotate_sky(rotation: np.ndarray, ra, dec) -> tuple[np.ndarray, np.ndarray]:
    """Apply a (3, 3) rotation to positions (degrees); returns (RA, Dec) arrays."""
    return angles(unit_vector(ra, dec) @ np.asarray(rotation).T)


def _east_north(ra: float, dec: float) -> tuple[np.ndarray, np.ndarray]:
    a, d = math.radians(ra), math.radians(dec)
    east = np.array([-math.sin(a), math.cos(a), 0.0])
    north = np.array([-math.sin(d) * math.cos(a), -math.sin(d) * math.sin(a), math.cos(d)])
    return east, north


def rotate_linear_wcs(rotation: np.ndarray, crval: tuple[float, float],
                      cd: np.ndarray) -> tuple[tuple[float, float], np.ndarray]:
    """Rotate a TAN (or TAN-SIP) WCS rigidly on the sky.

    The tangent plane at CRVAL maps onto the tangent plane at the rotated CRVAL with its
    (East, North) basis turned by an angle; the new CD is that 2-D rotation times the old CD.
    Pixel-space terms (CRPIX, SIP polynomials) are unchanged, so the new WCS maps every pixel to
    exactly the rotated position of where the old WCS mapped it.

    Parameters
    ----------
    rotation : ndarray, shape (3, 3)
        Proper rotation of ICRS unit vectors.
    crval : (float, float)
        Reference point, degrees.
    cd : ndarray, shape (2, 2)
        Linear matrix (CD, or CDELT-scaled PC), degrees/pixel; rows are the (East, North) axes.

    Returns
    -------
    ((float, float), ndarray (2, 2))
        The new CRVAL and CD; the input ``cd`` is not modified.
    """
    rotation = np.asarray(rotation, dtype=float)
    east, north = _east_north(*crval)
    ra, dec = angles(rotation @ unit_vector(*crval))
    new_east, new_north = _east_north(float(ra), float(dec))
    turned = rotation @ east
    c, s = float(turned @ new_east), float(turned @ new_north)
    # FITS intermediate x grows toward East for RA (CD1_* is d(RA cos dec)); TAN with LONPOLE 180.
    turn = np.array([[c, -s], [s, c]])
    del north
    return (float(ra), float(dec)), turn @ np.asarray(cd, dtype=float)
