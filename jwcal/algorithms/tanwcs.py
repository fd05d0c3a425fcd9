"""The celestial gnomonic (TAN) projection with optional SIP distortion, in plain numpy.

The FITS WCS of JWST imaging products (``RA---TAN-SIP``) and of drizzled mosaics (``RA---TAN``)
needs only this: pixel -> SIP polynomial -> CD matrix -> gnomonic de-projection -> rotation to the
sky, with the native longitude of the celestial pole at 180 degrees (the zenithal default).
Evaluating it here avoids importing ``astropy.wcs`` (which pulls ``astropy.coordinates`` and
``astropy.table``: ~0.16 s per process) on the resample/outlier hot path.

Sky positions are handled as unit vectors where possible: a TAN point ``(x, y)`` (intermediate
world coordinates, radians) is the direction ``e_r + x e_east + y e_north`` of the tangent point's
local frame, so a pixel map input -> sky -> output never has to go through degrees.

Conventions: pixel coordinates are 0-based (``origin=0`` in astropy terms); ``crpix`` is the FITS
(1-based) CRPIX; angles in degrees unless stated otherwise.
"""

from __future__ import annotations

import math

import numpy as np

_D2R = math.pi / 180.0
_R2D = 180.0 / math.pi


class TanSip:
    """A TAN (optionally TAN-SIP) celestial WCS.

    Parameters
    ----------
    crpix : (float, float)
        FITS CRPIX1/2 (1-based pixel of the tangent point).
    crval : (float, float)
        RA, Dec of the tangent point, degrees; Dec strictly between -90 and 90.
    cd : array_like, shape (2, 2)
        Linear transform, degrees per pixel (CD, or CDELT_i * PC_ij).
    a, b : array_like, shape (order + 1, order + 1), optional
        SIP forward coefficients: ``a[p, q]`` multiplies ``u**p * v**q`` (``A_p_q``); entries with
        ``p + q > order`` must be zero.
    """

    def __init__(self, crpix, crval, cd, a=None, b=None):
        self.crpix = (float(crpix[0]), float(crpix[1]))
        self.crval = (float(crval[0]), float(crval[1]))
        if not -90.0 < self.crval[1] < 90.0:
            raise ValueError("TAN reference point at a pole is not supported")
        self.cd = np.array(cd, dtype=np.float64).reshape(2, 2)
        det = self.cd[0, 0] * self.cd[1, 1] - self.cd[0, 1] * self.cd[1, 0]
        if not math.isfinite(det) or det == 0.0:
            raise ValueError("singular CD matrix")
        self.cdinv = np.array([[self.cd[1, 1], -self.cd[0, 1]], [-self.cd[1, 0], self.cd[0, 0]]]) / det
        if (a is None) != (b is None):
            raise ValueError("SIP needs both A and B")
        self.a = None if a is None else np.array(a, dtype=np.float64)
        self.b = None if b is None else np.array(b, dtype=np.float64)
        self.pixel_shape = None  # (nx, ny), as astropy's WCS.pixel_shape
        ra0, dec0 = self.crval[0] * _D2R, self.crval[1] * _D2R
        cr, sr, cdc, sd = math.cos(ra0), math.sin(ra0), math.cos(dec0), math.sin(dec0)
        # Local frame at the tangent point: radial, east, north (rows).
        self.frame = np.array([[cdc * cr, cdc * sr, sd], [-sr, cr, 0.0], [-sd * cr, -sd * sr, cdc]])

    @property
    def has_sip(self) -> bool:
        """True when a SIP polynomial is applied before the linear transform."""
        return self.a is not None

    # -- pixel <-> intermediate world coordinates (degrees) -------------------------------------

    def pix2intermediate(self, x, y):
        """Return intermediate world coordinates (degrees) of 0-based pixels ``x, y`` (SIP applied)."""
        u = np.asarray(x, dtype=np.float64) - (self.crpix[0] - 1.0)
        v = np.asarray(y, dtype=np.float64) - (self.crpix[1] - 1.0)
        if self.a is not None:
            u, v = u + _poly(self.a, u, v), v + _poly(self.b, u, v)
        cd = self.cd
        return cd[0, 0] * u + cd[0, 1] * v, cd[1, 0] * u + cd[1, 1] * v

    def intermediate2pix(self, xi, eta):
        """Inverse of the linear part only (no SIP): 0-based pixels of intermediate coordinates."""
        m = self.cdinv
        return (m[0, 0] * xi + m[0, 1] * eta + (self.crpix[0] - 1.0),
                m[1, 0] * xi + m[1, 1] * eta + (self.crpix[1] - 1.0))

    # -- intermediate coordinates <-> unit vectors <-> sky --------------------------------------

    def intermediate2vec(self, xi, eta) -> np.ndarray:
        """Unnormalised sky direction of intermediate coordinates (degrees); shape (3, ...)."""
        xr = np.asarray(xi) * _D2R
        yr = np.asarray(eta) * _D2R
        f = self.frame
        return np.stack([f[0, k] + xr * f[1, k] + yr * f[2, k] for k in range(3)])

    def vec2intermediate(self, vec):
        """Intermediate coordinates (degrees) of directions ``vec`` (shape (3, ...), any length).

        Directions 90 degrees or more from the tangent point have no TAN image: NaN.
        """
        f = self.frame
        d = f[0, 0] * vec[0] + f[0, 1] * vec[1] + f[0, 2] * vec[2]
        e = f[1, 0] * vec[0] + f[1, 1] * vec[1]
        n = f[2, 0] * vec[0] + f[2, 1] * vec[1] + f[2, 2] * vec[2]
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(d > 0, _R2D / d, np.nan)
        return e * scale, n * scale

    def separation_deg(self, x1, y1, x2, y2) -> float:
        """Angle (degrees) on the sky between 0-based pixels ``(x1, y1)`` and ``(x2, y2)``.

        Computed in the tangent plane, where the directions are ``(xi, eta, 1)`` in an orthonormal
        frame, so nearby pixels lose no precision to the subtraction of two sky positions.
        """
        xi, eta = self.pix2intermediate(np.array([x1, x2], dtype=float), np.array([y1, y2], dtype=float))
        (a1, a2), (b1, b2) = xi * _D2R, eta * _D2R
        cross = math.sqrt((b1 - b2) ** 2 + (a2 - a1) ** 2 + (a1 * b2 - a2 * b1) ** 2)
        return math.atan2(cross, 1.0 + a1 * a2 + b1 * b2) * _R2D

    # -- astropy-compatible subset (origin must be 0) -------------------------------------------

    def all_pix2world(self, x, y, origin):
        """RA, Dec (degrees, RA in [0, 360)) of pixels ``x, y`` (0-based), SIP included."""
        _check_origin(origin)
        return vec2world(self.intermediate2vec(*self.pix2intermediate(x, y)))

    def wcs_pix2world(self, x, y, origin):
        """RA, Dec without SIP (astropy's ``wcs_pix2world``)."""
        _check_origin(origin)
        u = np.asarray(x, dtype=np.float64) - (self.crpix[0] - 1.0)
        v = np.asarray(y, dtype=np.float64) - (self.crpix[1] - 1.0)
        cd = self.cd
        return vec2world(self.intermediate2vec(cd[0, 0] * u + cd[0, 1] * v, cd[1, 0] * u + cd[1, 1] * v))

    def wcs_world2pix(self, ra, dec, origin):
        """0-based pixels of RA, Dec (degrees) without SIP (astropy's ``wcs_world2pix``)."""
        _check_origin(origin)
        return self.intermediate2pix(*self.vec2intermediate(world2vec(ra, dec)))


def _check_origin(origin) -> None:
    if origin != 0:
        raise ValueError("only 0-based pixel coordinates are supported")


def _poly(coeffs: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Sum of ``coeffs[p, q] * u**p * v**q`` by Horner's rule in v, then in u."""
    order = coeffs.shape[0] - 1
    total = np.zeros(np.broadcast(u, v).shape)
    for p in range(order, -1, -1):
        row = np.zeros_like(total)
        for q in range(order - p, -1, -1):
            row = row * v + coeffs[p, q]
        total = total * u + row
    return total


def world2vec(ra, dec) -> np.ndarray:
    """Return the unit vectors of RA, Dec (degrees); shape (3, ...)."""
    ra = np.asarray(ra, dtype=np.float64) * _D2R
    dec = np.asarray(dec, dtype=np.float64) * _D2R
    cd = np.cos(dec)
    return np.stack([cd * np.cos(ra), cd * np.sin(ra), np.sin(dec)])


def vec2world(vec):
    """RA in [0, 360) and Dec (degrees) of directions ``vec`` (shape (3, ...), any length)."""
    ra = np.arctan2(vec[1], vec[0]) * _R2D
    ra = np.where(ra < 0.0, ra + 360.0, ra)
    dec = np.arctan2(vec[2], np.hypot(vec[0], vec[1])) * _R2D
    return ra, dec


def pixel_to_pixel(src: TanSip, dst: TanSip, x, y):
    """0-based pixels of ``dst`` (no SIP on ``dst``) seen at pixels ``x, y`` of ``src``.

    Goes through unit vectors, not degrees; NaN where the point is 90 degrees or more from
    ``dst``'s tangent point.
    """
    if dst.has_sip:
        raise ValueError("the destination WCS must not have SIP (no exact inverse)")
    vec = src.intermediate2vec(*src.pix2intermediate(x, y))
    return dst.intermediate2pix(*dst.vec2intermediate(vec))
