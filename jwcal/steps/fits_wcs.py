"""FITS celestial WCS in the steps layer: read a header's TAN/TAN-SIP (or any) WCS, write the mosaic's TAN.

Plain TAN / TAN-SIP headers are evaluated by :mod:`jwcal.algorithms.tanwcs`, anything else by
astropy.wcs (imported only then: it costs ~0.16 s per process). :class:`OutputTan` writes its
own header cards as astropy 8.0's ``WCS.to_header(relax=False)`` does, for the same reason.
:func:`pixmap` maps input pixels to output pixels through two such WCSs (drizzle's pixmap).
Shared by resample, outlier and tweakreg.
"""

from __future__ import annotations

import math

import numpy as np

from jwcal.algorithms import pixmap as pixmap_alg
from jwcal.algorithms import tanwcs
from jwcal.errors import DataError
from jwcal.exposure import Exposure

PIXMAP_STEP = 8
_TAN_CTYPES = {("RA---TAN", "DEC--TAN"): False, ("RA---TAN-SIP", "DEC--TAN-SIP"): True}
#: Keywords that take a header off the fast path (distortion tables, projection parameters, ...).
_EXOTIC_PREFIXES = ("PV1_", "PV2_", "PS1_", "PS2_", "CROTA", "CPDIS", "CPERR", "D2IM", "DP1", "DP2", "DQ1",
                    "DQ2", "PC1_3", "PC3_", "CD1_3", "CD3_")


def celestial_wcs(exposure: Exposure):
    """Return the celestial WCS of the SCI header; DataError if it has no celestial WCS."""
    return wcs_from_header(exposure["SCI"].peek_header(), exposure.label)


def wcs_from_header(header, label: str, *, fast: bool = True):
    """Return the celestial WCS (with SIP) of ``header``; DataError if there is none.

    A plain TAN or TAN-SIP header (degrees, CD or PC/CDELT, LONPOLE 180, no other distortion)
    gives a :class:`jwcal.algorithms.tanwcs.TanSip`, anything else (or ``fast=False``) an
    astropy ``WCS``; both offer ``all_pix2world``, ``wcs_pix2world`` and ``wcs_world2pix``.
    """
    exposure_label = label
    ctypes = [str(header.get("CTYPE1", "")), str(header.get("CTYPE2", ""))]
    if not (ctypes[0].startswith("RA--") and ctypes[1].startswith("DEC-")):
        raise DataError(f"{exposure_label}: SCI has no celestial WCS (CTYPE1/2 = {ctypes})")
    if fast:
        tan = tan_from_header(header)
        if tan is not None:
            return tan
    import warnings

    from astropy.wcs import WCS, FITSFixedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        try:
            wcs = WCS(header, naxis=2, relax=True)
        except Exception as exc:  # astropy raises many types for malformed WCS
            raise DataError(f"{exposure_label}: bad WCS in SCI ({exc})") from None
    if not wcs.has_celestial:
        raise DataError(f"{exposure_label}: SCI has no celestial WCS")
    return wcs


def tan_from_header(header) -> tanwcs.TanSip | None:
    """Return the :class:`TanSip` of a plain TAN / TAN-SIP header, or None when it is anything else."""
    ctypes = (str(header.get("CTYPE1", "")).strip(), str(header.get("CTYPE2", "")).strip())
    sip = _TAN_CTYPES.get(ctypes)
    if sip is None or int(header.get("WCSAXES", 2)) != 2:
        return None
    if any(str(header.get(f"CUNIT{i}", "deg")).strip().lower() != "deg" for i in (1, 2)):
        return None
    if any(key.startswith(_EXOTIC_PREFIXES) for key in header):
        return None
    try:
        lonpole = float(header.get("LONPOLE", 180.0))
        crpix = (float(header.get("CRPIX1", 0.0)), float(header.get("CRPIX2", 0.0)))
        crval = (float(header.get("CRVAL1", 0.0)), float(header.get("CRVAL2", 0.0)))
        pc_keys = [f"PC{i}_{j}" for i in (1, 2) for j in (1, 2)]
        cd_keys = [f"CD{i}_{j}" for i in (1, 2) for j in (1, 2)]
        has_pc = any(k in header for k in pc_keys)
        has_cd = any(k in header for k in cd_keys)
        if has_pc and has_cd:
            return None  # wcslib's precedence rules: leave it to astropy
        if has_cd:
            cd = np.array([float(header.get(k, 0.0)) for k in cd_keys]).reshape(2, 2)
        else:
            pc = np.array([float(header.get(k, 1.0 if k[2] == k[4] else 0.0)) for k in pc_keys]).reshape(2, 2)
            cdelt = np.array([float(header.get("CDELT1", 1.0)), float(header.get("CDELT2", 1.0))])
            cd = cdelt[:, None] * pc
        a = b = None
        if sip:
            a, b = _sip_matrix(header, "A"), _sip_matrix(header, "B")
            if a is None or b is None:
                return None
        elif any(k in header for k in ("A_ORDER", "B_ORDER")):
            return None  # SIP coefficients without -SIP in CTYPE: astropy decides
        values = [lonpole, *crpix, *crval, *cd.ravel()]
        if not all(math.isfinite(v) for v in values) or lonpole != 180.0:
            return None
        return tanwcs.TanSip(crpix, crval, cd, a, b)
    except (TypeError, ValueError):
        return None


def _sip_matrix(header, name: str) -> np.ndarray | None:
    order = header.get(f"{name}_ORDER")
    if not isinstance(order, int) or isinstance(order, bool) or not 0 <= order <= 9:
        return None
    coeffs = np.zeros((order + 1, order + 1))
    for p in range(order + 1):
        for q in range(order + 1 - p):
            coeffs[p, q] = float(header.get(f"{name}_{p}_{q}", 0.0))
    return coeffs


def pixmap(in_wcs, out_wcs, shape, stepsize: int = PIXMAP_STEP) -> np.ndarray:
    """Output (x, y), 0-based, of every input pixel centre; shape (ny, nx, 2), float64.

    The exact transform (``all_pix2world`` then the output's ``all_world2pix``) is evaluated on a
    grid every ``stepsize`` pixels (plus the last row/column) and interpolated with the
    tensor-product not-a-knot cubic spline of :mod:`jwcal.algorithms.pixmap` (the function scipy's
    ``RectBivariateSpline`` computes); WCS distortions are smooth, so the error is far below 1e-3
    pixel (tested). Small images (fewer than 4 grid points per axis) and grids with non-finite
    values are evaluated exactly at every pixel.
    """
    ny, nx = shape
    xs = np.unique(np.concatenate([np.arange(0, nx, stepsize), [nx - 1]])).astype(float)
    ys = np.unique(np.concatenate([np.arange(0, ny, stepsize), [ny - 1]])).astype(float)
    exact = stepsize <= 1 or len(xs) < 4 or len(ys) < 4
    if exact:
        xs, ys = np.arange(nx, dtype=float), np.arange(ny, dtype=float)
    gx, gy = np.meshgrid(xs, ys)
    if isinstance(in_wcs, tanwcs.TanSip) and isinstance(out_wcs, tanwcs.TanSip) and not out_wcs.has_sip:
        ox, oy = tanwcs.pixel_to_pixel(in_wcs, out_wcs, gx, gy)  # through unit vectors, not degrees
    else:
        ra, dec = in_wcs.all_pix2world(gx, gy, 0)
        ox, oy = _world2pix(out_wcs, ra, dec)
    if exact or not (np.all(np.isfinite(ox)) and np.all(np.isfinite(oy))):
        if not exact:
            return pixmap(in_wcs, out_wcs, shape, stepsize=1)
        return np.dstack([ox, oy])
    return pixmap_alg.interpolate_grid(xs, ys, np.stack([ox, oy]), (ny, nx))


def _world2pix(wcs, ra, dec):
    if isinstance(wcs, tanwcs.TanSip):
        # wcs_world2pix leaves SIP out; output grids read from files are astropy WCSs (fast=False).
        if wcs.has_sip:
            raise ValueError("an output grid with SIP needs astropy's inverse (wcs_from_header(fast=False))")
        return wcs.wcs_world2pix(ra, dec, 0)
    if wcs.sip is None and not wcs.has_distortion:
        return wcs.wcs_world2pix(ra, dec, 0)
    return wcs.all_world2pix(ra, dec, 0, quiet=True)


class OutputTan(tanwcs.TanSip):
    """The mosaic's TAN grid: a :class:`TanSip` that remembers CDELT and PC for its header."""

    def __init__(self, crpix, crval, scale: float, pc):
        self.cdelt = (float(scale), float(scale))
        self.pc = np.array(pc, dtype=np.float64)
        super().__init__(crpix, crval, self.cdelt[0] * self.pc)

    def header_cards(self) -> list:
        """Return the FITS cards of this grid exactly as astropy's ``WCS.to_header(relax=False)``.

        astropy writes wcslib's keyrecords with 14 significant digits (``%.14G``) and re-reads
        them, so each value is that rounding of the float; PC elements equal to the unit matrix
        are omitted and LATPOLE equals CRVAL2 (TAN, LONPOLE 180). MJDREF is not written.
        Building the cards here keeps ``astropy.wcs`` (~0.16 s to import) out of resample.
        """
        from astropy.io import fits

        def number(key, value, comment):
            return fits.Card(key, float(f"{float(value):.14G}"), comment)

        def text(key, value, comment):
            return fits.Card.fromstring(f"{key:<8}= {value:<20} / {comment}".ljust(80)[:80])

        cards = [fits.Card("WCSAXES", 2, "Number of coordinate axes")]
        cards += [number(f"CRPIX{i + 1}", self.crpix[i], "Pixel coordinate of reference point")
                  for i in (0, 1)]
        for i in (0, 1):
            for j in (0, 1):
                if self.pc[i, j] != (1.0 if i == j else 0.0):
                    cards.append(number(f"PC{i + 1}_{j + 1}", self.pc[i, j],
                                        "Coordinate transformation matrix element"))
        cards += [number(f"CDELT{i + 1}", self.cdelt[i], "[deg] Coordinate increment at reference point")
                  for i in (0, 1)]
        cards += [text(f"CUNIT{i}", "'deg'", "Units of coordinate increment and value") for i in (1, 2)]
        cards.append(text("CTYPE1", "'RA---TAN'", "Right ascension, gnomonic projection"))
        cards.append(text("CTYPE2", "'DEC--TAN'", "Declination, gnomonic projection"))
        cards += [number(f"CRVAL{i + 1}", self.crval[i], "[deg] Coordinate value at reference point")
                  for i in (0, 1)]
        cards.append(number("LONPOLE", 180.0, "[deg] Native longitude of celestial pole"))
        cards.append(number("LATPOLE", self.crval[1], "[deg] Native latitude of celestial pole"))
        cards.append(text("RADESYS", "'ICRS'", "Equatorial coordinate system"))
        return cards

    def to_astropy(self):
        """Return the same grid as an astropy WCS (for its FITS header)."""
        from astropy.wcs import WCS

        wcs = WCS(naxis=2)
        wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
        wcs.wcs.cunit = ["deg", "deg"]
        wcs.wcs.crval = list(self.crval)
        wcs.wcs.cdelt = list(self.cdelt)
        wcs.wcs.pc = self.pc
        wcs.wcs.crpix = list(self.crpix)
        wcs.wcs.radesys = "ICRS"
        wcs.pixel_shape = self.pixel_shape
        return wcs
