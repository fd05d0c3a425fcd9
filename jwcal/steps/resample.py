"""Resample (drizzle) calibrated exposures onto one mosaic, adding them one at a time.

The FITS (TAN or TAN-SIP) WCS in each SCI header is the geometry; the output is a plain TAN grid
computed from all inputs' footprints (jwst's ``wcs_from_sregions`` rules) or given explicitly.
Memory holds the output arrays plus one input exposure, whatever the number of inputs: a first
pass reads headers only to build the grid, the second adds each exposure and drops it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from jwcal import dq, methods, products, units
from jwcal.algorithms import pixmap as pixmap_alg
from jwcal.algorithms import resample as alg
from jwcal.algorithms import tanwcs
from jwcal.algorithms import weights as weights_alg
from jwcal.errors import DataError, UsageError
from jwcal.exposure import HDU, Exposure
from jwcal.products import with_suffix
from jwcal.specs.resample import SPEC
from jwcal.steps.product_level import IMAGE, require

log = logging.getLogger("jwcal")
#: Keywords of the first input's primary header that do not describe the mosaic.
_INPUT_PROVENANCE = ("DATE", "CAL_VER", "CAL_VCS", "CRDS_CTX", "CRDS_VER")

WEIGHT_TYPES = methods.WEIGHT_TYPES
VARIANCES = ("VAR_RNOISE", "VAR_POISSON", "VAR_FLAT")
#: Largest output grid accepted (pixels per axis); a bad WCS must not allocate terabytes (jwst#5081).
MAX_AXIS = 40000
PIXMAP_STEP = 8
HDRTAB_KEYS = ("FILENAME", "DATAMODL", "TELESCOP", "DATE-OBS", "TIME-OBS", "INSTRUME", "DETECTOR",
               "EXP_TYPE", "EXPSTART", "EXPEND", "EFFEXPTM", "TMEASURE", "DURATION", "BUNIT", "PIXAR_SR",
               "PIXAR_A2", "S_REGION", "V2_REF", "V3_REF", "VPARITY", "V3I_YANG", "RA_REF", "DEC_REF",
               "ROLL_REF")


# ----------------------------------------------------------------------------------------------
# Parameters


def bad_bits_mask(good_bits: str | int | None) -> int:
    """Return the DQ bits that make a pixel unusable, from jwst's ``good_bits`` notation.

    ``"~DO_NOT_USE+NON_SCIENCE"`` means those flags are bad and all others are fine; ``"4+16"`` or
    ``20`` means only those flags are fine (any other set bit is bad); ``None``/``"None"`` means
    every pixel is usable.

    Examples
    --------
    >>> bad_bits_mask("~DO_NOT_USE+NON_SCIENCE")
    513
    >>> bad_bits_mask("0") == 0xFFFFFFFF
    True
    """
    if good_bits is None or str(good_bits).strip().upper() in ("", "NONE"):
        return 0
    text = str(good_bits).strip().replace(",", "+").replace("|", "+")
    flip = text.startswith("~")
    value = 0
    for name in text.lstrip("~").split("+"):
        name = name.strip()
        if not name:
            continue
        if name.lstrip("-").isdigit():
            value |= int(name)
        elif name.upper() in dq.PIXEL:
            value |= dq.PIXEL[name.upper()]
        else:
            raise UsageError(f"good_bits: unknown DQ flag {name!r}")
    value &= 0xFFFFFFFF
    return value if flip else (~value) & 0xFFFFFFFF


def parse_fillval(fillval: str | float) -> float:
    """Return the numeric fill value: ``NaN``, ``INDEF`` (= 0, drizzle's untouched value) or a number."""
    text = str(fillval).strip().upper()
    if text in ("NAN", "NONE"):
        return float("nan")
    if text == "INDEF":
        return 0.0
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"fillval: {fillval!r} is not a number, NaN or INDEF") from None


# ----------------------------------------------------------------------------------------------
# WCS helpers: plain TAN / TAN-SIP headers are evaluated by jwcal.algorithms.tanwcs, anything else
# by astropy.wcs (imported only then: it costs ~0.16 s per process).

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


def image_shape(exposure: Exposure) -> tuple[int, int]:
    """(ny, nx) of SCI from its header."""
    shape = require(exposure, "resample and outlier", IMAGE)
    if len(shape) != 2:
        raise DataError(f"{exposure.label}: SCI is {len(shape)}-D; resample needs 2-D images (_cal)")
    return shape


def footprint(wcs, shape, samples: int = 9) -> np.ndarray:
    """(RA, Dec) in degrees of points along the outer pixel edges, shape (npoints, 2)."""
    ny, nx = shape
    t = np.linspace(0.0, 1.0, samples)
    lo = np.full(samples, -0.5)
    xs = np.concatenate([-0.5 + t * nx, lo + nx, nx - 0.5 - t * nx, lo])
    ys = np.concatenate([lo, -0.5 + t * ny, lo + ny, ny - 0.5 - t * ny])
    world = np.column_stack(wcs.all_pix2world(xs, ys, 0))
    if not np.all(np.isfinite(world)):
        raise DataError("the WCS does not map the image corners to the sky")
    return world


def pixel_scale_deg(wcs, shape) -> float:
    """Geometric-mean pixel scale (degrees) at the image centre, including distortion."""
    ny, nx = shape
    x0, y0 = (nx - 1) / 2.0, (ny - 1) / 2.0
    if isinstance(wcs, tanwcs.TanSip):  # in the tangent plane: no cancellation of nearby sky positions
        return math.sqrt(wcs.separation_deg(x0, y0, x0 + 1, y0) * wcs.separation_deg(x0, y0, x0, y0 + 1))
    ra, dec = wcs.all_pix2world([x0, x0 + 1, x0], [y0, y0, y0 + 1], 0)
    vec = _unit(ra, dec)
    sx = _angle_deg(vec[0], vec[1])
    sy = _angle_deg(vec[0], vec[2])
    return math.sqrt(sx * sy)


def _angle_deg(a, b) -> float:
    """Angle between unit vectors, accurate for tiny angles (acos of the dot product is not)."""
    return math.degrees(math.atan2(float(np.linalg.norm(np.cross(a, b))), float(a @ b)))


def _unit(ra, dec) -> np.ndarray:
    """Return the unit vectors of RA, Dec (degrees), one per row: shape (n, 3)."""
    return tanwcs.world2vec(ra, dec).T


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


# ----------------------------------------------------------------------------------------------
# The output grid


class InputInfo:
    """What the header pass keeps of one input: geometry, units, times, a HDRTAB row."""

    def __init__(self, exposure: Exposure, index: int):
        self.label = exposure.label
        self.index = index
        self.shape = image_shape(exposure)  # first: a ramp is refused as one, not for its WCS
        self.wcs = celestial_wcs(exposure)
        try:
            self.footprint = footprint(self.wcs, self.shape)
        except DataError as exc:
            raise DataError(f"{self.label}: {exc}") from None
        sci = exposure["SCI"].peek_header()
        primary = exposure.peek_primary()
        self.bunit = str(sci.get("BUNIT", "")).strip()
        self.pointing = {k: sci.get(k) for k in ("ROLL_REF", "V3I_YANG", "VPARITY")}
        self.pixar_sr = sci.get("PIXAR_SR", primary.get("PIXAR_SR"))
        self.group_id = products.group_id(primary) or self.label
        self.times = {k: primary.get(k, sci.get(k)) for k in ("EFFEXPTM", "TMEASURE", "DURATION",
                                                             "EXPSTART", "EXPEND")}
        merged = {**{k: primary.get(k) for k in HDRTAB_KEYS}, **{k: sci[k] for k in HDRTAB_KEYS if k in sci}}
        self.row = merged


def _orientation(first: InputInfo, rotation: float | None) -> np.ndarray:
    """Return the PC matrix: jwst's ``calc_rotation_matrix`` from pointing, else the first input's axes."""
    roll, v3y, vpar = (first.pointing.get(k) for k in ("ROLL_REF", "V3I_YANG", "VPARITY"))
    have = v3y is not None and vpar is not None
    if rotation is not None or (have and roll is not None):
        vpar = float(vpar) if have else -1.0
        v3y = float(v3y) if have else 0.0
        rel = math.radians(float(rotation) if rotation is not None else float(roll) - vpar * v3y)
        return np.array([[vpar * math.cos(rel), math.sin(rel)], [-vpar * math.sin(rel), math.cos(rel)]])
    # Nearest orthonormal matrix to the first input's local linear transform (keeps its parity).
    ny, nx = first.shape
    x0, y0 = (nx - 1) / 2.0, (ny - 1) / 2.0
    ra, dec = first.wcs.all_pix2world([x0, x0 + 1, x0], [y0, y0, y0 + 1], 0)
    cosd = math.cos(math.radians(dec[0]))
    dra = (np.array([ra[1] - ra[0], ra[2] - ra[0]]) + 180.0) % 360.0 - 180.0
    jac = np.array([[dra[0] * cosd, dra[1] * cosd], [dec[1] - dec[0], dec[2] - dec[0]]])
    u, _, vt = np.linalg.svd(jac)
    return u @ vt


def output_grid(infos: Sequence[InputInfo], *, pixel_scale_ratio: float = 1.0,
                pixel_scale: float | None = None, rotation: float | None = None, crpix=None, crval=None,
                output_shape=None):
    """Return ``(wcs, (ny, nx), pixel_scale_ratio)`` of the mosaic grid covering all inputs.

    Follows jwst: fiducial at the centre of the min/max box of the footprints' unit vectors,
    scale = first input's scale × ratio (or ``pixel_scale`` arcsec), orientation from the first
    input's pointing (or ``rotation`` degrees, 0 = North up, East left), ``crpix`` 0-based.
    """
    first = infos[0]
    in_scale = pixel_scale_deg(first.wcs, first.shape)
    if pixel_scale is not None:
        scale = float(pixel_scale) / 3600.0
        pixel_scale_ratio = scale / in_scale
    else:
        scale = in_scale * float(pixel_scale_ratio)
    points = np.concatenate([info.footprint for info in infos])
    if crval is None:
        vec = _unit(points[:, 0], points[:, 1])
        mid = (vec.min(axis=0) + vec.max(axis=0)) / 2.0
        crval = (math.degrees(math.atan2(mid[1], mid[0])) % 360.0,
                 math.degrees(math.atan2(mid[2], math.hypot(mid[0], mid[1]))))
    crval = (float(crval[0]), float(crval[1]))
    pc = _orientation(first, rotation)
    try:
        wcs = OutputTan((1.0, 1.0), crval, scale, pc)
    except ValueError as exc:
        raise DataError(f"cannot build the output grid: {exc}") from None
    u, v = wcs.wcs_world2pix(points[:, 0], points[:, 1], 0)
    finite = bool(np.all(np.isfinite(u)) and np.all(np.isfinite(v)))
    if output_shape is not None:
        nx, ny = int(output_shape[0]), int(output_shape[1])
        # jwst: without crpix the reference pixel is the centre of the given shape.
        cx, cy = (float(crpix[0]), float(crpix[1])) if crpix is not None else ((nx - 1) / 2, (ny - 1) / 2)
    elif not finite:
        raise DataError("the inputs lie more than 90 degrees from the output reference point (crval)")
    elif crpix is None:
        cx, cy = -u.min() - 0.5, -v.min() - 0.5
        nx, ny = math.ceil(u.max() - u.min() - 1e-6), math.ceil(v.max() - v.min() - 1e-6)
    else:
        cx, cy = float(crpix[0]), float(crpix[1])
        nx, ny = math.ceil(u.max() + cx + 0.5 - 1e-6), math.ceil(v.max() + cy + 0.5 - 1e-6)
    if nx < 2 or ny < 2:
        raise DataError(f"output grid of {nx}x{ny} pixels is too small (inputs outside the grid?)")
    if nx > MAX_AXIS or ny > MAX_AXIS:
        raise DataError(f"output grid of {nx}x{ny} pixels is implausibly large: check the input WCSs "
                        f"(limit {MAX_AXIS} per axis)")
    wcs = OutputTan((cx + 1.0, cy + 1.0), crval, scale, pc)
    wcs.pixel_shape = (nx, ny)
    return wcs, (ny, nx), float(pixel_scale_ratio)


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


def grid_from_exposure(exposure: Exposure, first: InputInfo):
    """Return ``(wcs, shape, ratio)`` from a FITS file holding the output WCS (SCI or primary header)."""
    hdu = exposure.get("SCI") or exposure.hdus[0]
    header = hdu.peek_header()
    wcs = wcs_from_header(header, exposure.label, fast=False)
    nx = int(header.get("NAXIS1", 0) or header.get("IMAGEW", 0))
    ny = int(header.get("NAXIS2", 0) or header.get("IMAGEH", 0))
    if nx < 2 or ny < 2:
        raise DataError(f"{exposure.label}: output WCS file has no image size (NAXIS1/NAXIS2)")
    wcs.pixel_shape = (nx, ny)
    ratio = pixel_scale_deg(wcs, (ny, nx)) / pixel_scale_deg(first.wcs, first.shape)
    return wcs, (ny, nx), ratio


# ----------------------------------------------------------------------------------------------
# Per-exposure preparation shared with outlier detection


def input_arrays(exposure: Exposure, *, bad_bits: int, weight_type: str | None):
    """Return ``(sci, weights, variances)`` of one exposure, ready to drizzle.

    Pixels that are NaN in SCI, ERR or any variance, or whose DQ has a bad bit, get weight 0
    (jwst's ``match_nans_and_flags`` + ``build_driz_weight``). ``variances`` maps each present
    VAR_* name to its array. A background level (BKGLEVEL with BKGSUB false) is subtracted.
    """
    sci = np.asarray(exposure["SCI"].data, dtype=np.float32)
    checks = [exposure["ERR"].data] if "ERR" in exposure else []
    variances = {}
    for name in VARIANCES:
        if name in exposure:
            variances[name] = np.asarray(exposure[name].data, dtype=np.float32)
    checks += list(variances.values())
    dq = exposure["DQ"].data if "DQ" in exposure and bad_bits else None
    primary = exposure.peek_primary()
    if weight_type == "ivm" and "VAR_RNOISE" in variances:
        mode, value = weights_alg.IVM, 1.0
    elif weight_type == "exptime":
        texp = primary.get("TMEASURE", primary.get("EFFEXPTM"))
        if texp is None:
            raise DataError(f"{exposure.label}: weight_type exptime needs TMEASURE or EFFEXPTM")
        mode, value = weights_alg.CONSTANT, float(texp)
    else:
        mode, value = weights_alg.CONSTANT, 1.0
    weights = weights_alg.drizzle_weights(sci, checks, dq, bad_bits, mode, value, variances.get("VAR_RNOISE"))
    level = primary.get("BKGLEVEL")
    if level is not None and primary.get("BKGSUB") is False:
        sci = sci - np.float32(level)
    return sci, weights, variances


# ----------------------------------------------------------------------------------------------
# The mosaic


class Mosaic:
    """Output arrays of a resample, to which exposures are added one at a time.

    Holds float64 Σw·d and Σw, the context planes (int32, one bit per input), and for each
    variance component jwst's Σ W² v and Σ W (float32); nothing per input is kept.
    """

    def __init__(self, wcs, shape, ninputs, *, kernel, pixfrac, pixel_scale_ratio, weight_type, bad_bits,
                 variances=True):
        self.wcs, self.shape = wcs, shape
        self.kernel, self.pixfrac, self.ratio = kernel, pixfrac, pixel_scale_ratio
        self.weight_type, self.bad_bits = weight_type, bad_bits
        self.dsum = np.zeros(shape)
        self.wsum = np.zeros(shape)
        self.con = np.zeros(((max(ninputs, 1) - 1) // 32 + 1, *shape), dtype=np.uint32)
        self.var = variances
        if variances:
            self.vsum = {name: np.zeros(shape, np.float32) for name in VARIANCES}
            self.vwt = {name: np.zeros(shape, np.float32) for name in VARIANCES}

    def add(self, exposure: Exposure, in_wcs, index: int) -> None:
        """Drizzle ``exposure`` (the ``index``-th input, 0-based) into the mosaic.

        Memory: the input's arrays, its pixel map and the drizzled sums over its box; temporaries
        are released as soon as they are used, and the variance channels are combined one at a
        time (each float64 box-sized plane lives only while it is added).
        """
        sci, weights, variances = input_arrays(exposure, bad_bits=self.bad_bits, weight_type=self.weight_type)
        pmap = pixmap(in_wcs, self.wcs, sci.shape)
        names = [n for n in VARIANCES if n in variances] if self.var else []
        chans = np.empty((1 + len(names), *sci.shape), dtype=np.float32)
        chans[0] = sci
        del sci
        usable = weights > 0
        for k, n in enumerate(names):
            np.sqrt(np.where(usable, variances[n], 0.0), out=chans[k + 1])
        del variances, usable
        box, dsum, wsum = alg.drizzle(chans, weights, pmap, self.shape, kernel=self.kernel,
                                      pixfrac=self.pixfrac, pixel_scale_ratio=self.ratio)
        del chans, pmap
        if box is None or not (wsum > 0).any():
            if not (weights > 0).any():
                log.warning("%s: no usable pixel (all flagged or zero weight); nothing added", exposure.label)
                return
            raise DataError(f"{exposure.label}: does not overlap the output grid")
        del weights
        y0, y1, x0, x1 = box
        region = (slice(y0, y1), slice(x0, x1))
        self.dsum[region] += dsum[0]
        self.wsum[region] += wsum
        hit = wsum > 0
        self.con[index // 32][region][hit] |= np.uint32(1 << (index % 32))
        if not names:
            return

        def resampled_variance(name):
            # jwst: the drizzled sqrt(variance) squared.
            with np.errstate(divide="ignore", invalid="ignore"):
                v = dsum[names.index(name) + 1] / wsum
            return np.square(v, out=v)

        with np.errstate(divide="ignore", invalid="ignore"):
            if self.weight_type == "ivm" and "VAR_RNOISE" in names:
                wcomb = resampled_variance("VAR_RNOISE")
                np.divide(1.0, wcomb, out=wcomb)
            elif self.weight_type == "exptime":
                primary = exposure.peek_primary()
                wcomb = np.full(wsum.shape, float(primary.get("TMEASURE", primary.get("EFFEXPTM"))))
            else:
                wcomb = np.ones(wsum.shape)
        wcomb[~np.isfinite(wcomb) | ~hit] = 0.0
        usable = hit & (wcomb > 0)
        wcomb2 = np.square(wcomb)
        for n in names:
            v = resampled_variance(n)
            with np.errstate(invalid="ignore"):
                ok = usable & np.isfinite(v) & (v >= 0)
            np.multiply(wcomb2, v, out=v)
            np.add(self.vsum[n][region], v.astype(np.float32), out=self.vsum[n][region], where=ok)
            np.add(self.vwt[n][region], wcomb.astype(np.float32), out=self.vwt[n][region], where=ok)
            del v, ok

    def arrays(self, fillval: float):
        """Return SCI, ERR, CON, WHT and the variance arrays (dict name → array)."""
        out = {"SCI": alg.weighted_mean(self.dsum, self.wsum, fillval)}
        variances = {}
        if self.var:
            for n in VARIANCES:
                with np.errstate(divide="ignore", invalid="ignore"):
                    v = self.vsum[n] / self.vwt[n] ** 2 / np.float32(self.ratio**2)
                v[self.vwt[n] <= 0] = np.nan
                variances[n] = v.astype(np.float32)
            stack = np.stack([variances[n] for n in ("VAR_RNOISE", "VAR_POISSON", "VAR_FLAT")])
            allnan = np.all(np.isnan(stack), axis=0)
            err = np.sqrt(np.nansum(stack, axis=0)).astype(np.float32)
            err[allnan] = np.nan
            out["ERR"] = err
        out["CON"] = self.con.view(np.int32)
        out["WHT"] = self.wsum.astype(np.float32)
        for n in ("VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"):
            if n in variances:
                out[n] = variances[n]
        return out


# ----------------------------------------------------------------------------------------------
# Step


ExposureSource = Callable[[bool], Iterable[Exposure]] | Sequence[Exposure]


def iterate(source: ExposureSource, headers_only: bool) -> Iterator[Exposure]:
    """Iterate a source of exposures: a callable ``(headers_only) -> iterable`` or a sequence."""
    if callable(source):
        yield from source(headers_only)
    else:
        yield from source


def scan_headers(source: ExposureSource) -> list[InputInfo]:
    """First pass: read every input's headers; check WCS and units."""
    infos = [InputInfo(exposure, index) for index, exposure in enumerate(iterate(source, True))]
    if not infos:
        raise DataError("no input exposures")
    units = {info.bunit for info in infos}
    if len(units) > 1:
        raise DataError(f"inputs have mixed units (BUNIT: {', '.join(sorted(repr(u) for u in units))})")
    return infos


def make_grid(infos, *, pixel_scale_ratio, pixel_scale, rotation, crpix, crval, output_shape, output_wcs):
    """Return the output grid from the parameters (explicit WCS file, or from the footprints)."""
    if output_wcs is not None:
        return grid_from_exposure(output_wcs, infos[0])
    return output_grid(infos, pixel_scale_ratio=pixel_scale_ratio, pixel_scale=pixel_scale, rotation=rotation,
                       crpix=crpix, crval=crval, output_shape=output_shape)


def run(
    exposures: ExposureSource,
    *,
    kernel: str = "square",
    pixfrac: float = 1.0,
    fillval: str = "NaN",
    weight_type: str = "ivm",
    good_bits: str = "~DO_NOT_USE+NON_SCIENCE",
    pixel_scale_ratio: float = 1.0,
    pixel_scale: float | None = None,
    rotation: float | None = None,
    crpix: tuple[float, float] | None = None,
    crval: tuple[float, float] | None = None,
    output_shape: tuple[int, int] | None = None,
    output_wcs: Exposure | None = None,
    blendheaders: bool = True,
) -> Exposure:
    """Drizzle all exposures onto one mosaic and return it as an ``_i2d`` exposure.

    Parameters
    ----------
    exposures : callable or sequence of Exposure
        ``exposures(headers_only)`` returns a fresh iterable of the inputs (it is called twice:
        headers only, then with data), or a sequence of exposures.
    kernel : str
        Drizzle kernel, a key of :data:`jwcal.algorithms.resample.KERNELS`.
    pixfrac : float
        Drop size relative to the input pixel.
    fillval : str
        Value of output pixels without data: ``NaN``, ``INDEF`` or a number.
    weight_type : {"ivm", "exptime"}
        Pixel weights: inverse read-noise variance, or exposure time.
    good_bits : str
        DQ flags of usable pixels, jwst notation (default excludes DO_NOT_USE and NON_SCIENCE).
    pixel_scale_ratio : float
        Output pixel scale relative to the first input's.
    pixel_scale : float, optional
        Output pixel scale in arcsec (overrides the ratio).
    rotation : float, optional
        Position angle of the output y axis, degrees East of North; default the first input's.
    crpix : (float, float), optional
        0-based reference pixel (x, y) of the output grid.
    crval : (float, float), optional
        RA, Dec (degrees) of the reference pixel.
    output_shape : (int, int), optional
        Output size (nx, ny).
    output_wcs : Exposure, optional
        A file whose SCI (or primary) header holds the output WCS and size; overrides the above.
    blendheaders : bool
        Add the HDRTAB table of input keywords.

    Returns
    -------
    Exposure
        PRIMARY, SCI, ERR, CON, WHT, VAR_POISSON, VAR_RNOISE, VAR_FLAT (+ HDRTAB).
    """
    values = dict(locals())  # the parameters, for the HISTORY card (jwcal/specs/resample.py)
    if kernel not in alg.KERNELS:
        raise UsageError(f"Kernel {kernel!r} is not supported.")
    if weight_type not in WEIGHT_TYPES:
        raise UsageError(f"weight_type must be one of {', '.join(WEIGHT_TYPES)}")
    if not 0.0 < pixfrac <= 1.0:
        raise UsageError("pixfrac must be in (0, 1]")
    fill = parse_fillval(fillval)
    bad = bad_bits_mask(good_bits)
    infos = scan_headers(exposures)
    wcs, shape, ratio = make_grid(infos, pixel_scale_ratio=pixel_scale_ratio, pixel_scale=pixel_scale,
                                  rotation=rotation, crpix=crpix, crval=crval, output_shape=output_shape,
                                  output_wcs=output_wcs)
    log.info("resample: %d inputs onto %dx%d pixels (ratio %.4g)", len(infos), shape[1], shape[0], ratio)
    mosaic = Mosaic(wcs, shape, len(infos), kernel=kernel, pixfrac=pixfrac, pixel_scale_ratio=ratio,
                    weight_type=weight_type, bad_bits=bad)
    first_primary = None
    for index, exposure in enumerate(iterate(exposures, False)):
        if index >= len(infos):
            raise DataError("the inputs changed between the header pass and the data pass")
        if first_primary is None:
            first_primary = exposure.peek_primary().copy()
        mosaic.add(exposure, infos[index].wcs, index)
        log.info("%s: added (%d/%d)", exposure.label, index + 1, len(infos))
    arrays = mosaic.arrays(fill)
    params = dict(kernel=kernel, pixfrac=pixfrac, fillval=fillval, weight_type=weight_type,
                  good_bits=good_bits, pixel_scale_ratio=ratio)
    return _product(first_primary, infos, wcs, arrays, params, blendheaders, SPEC.history(values))


def _product(primary, infos, wcs, arrays, params, blendheaders, history) -> Exposure:
    # the first input's provenance is not the mosaic's: its references (R_*), when and by what it
    # was written (DATE, CAL_VER: the writer sets the mosaic's own)
    for key in [k for k in primary if k.startswith("R_") or k in _INPUT_PROVENANCE]:
        primary.remove(key, remove_all=True)
    ratio = params["pixel_scale_ratio"]
    groups = {}
    for info in infos:
        groups.setdefault(info.group_id, info.times)
    times = list(groups.values())

    def total(key):
        values = [t.get(key) for t in times]
        return float(sum(values)) if all(v is not None for v in values) else None

    effexp, tmeas, duration = total("EFFEXPTM"), total("TMEASURE"), total("DURATION")
    starts = [t["EXPSTART"] for t in times if t.get("EXPSTART") is not None]
    ends = [t["EXPEND"] for t in times if t.get("EXPEND") is not None]
    span = (("EXPSTART", min(starts) if starts else None), ("EXPEND", max(ends) if ends else None))
    for key, value in (("EFFEXPTM", effexp), ("TMEASURE", tmeas), ("DURATION", duration), *span):
        if value is not None:
            primary[key] = value
    primary["NDRIZ"] = (len(groups), "number of drizzled exposures (group ids)")
    primary["RESWHT"] = (params["weight_type"], "resample weighting")
    primary["PIXFRAC"] = (float(params["pixfrac"]), "drizzle pixfrac")
    primary["PXSCLRT"] = (float(ratio), "output / input pixel scale ratio")
    primary["S_RESAMP"] = "COMPLETE"
    primary["FILENAME"] = with_suffix(str(primary.get("FILENAME", "") or ""), "i2d") or "mosaic_i2d.fits"
    primary["HISTORY"] = history

    header = _sci_header(wcs, infos[0].bunit, effexp, duration)
    bunit = header["BUNIT"]
    array_units = {"SCI": bunit, "ERR": bunit, "WHT": units.weight_unit(bunit, params["weight_type"]),
                   **{name: units.squared(bunit) for name in VARIANCES}}
    hdus = [HDU(header=primary)]
    for name, data in arrays.items():
        array_header = None
        if name in array_units:  # the WCS cards on every image, each with the unit of its own values
            array_header = header.copy()
            array_header["BUNIT"] = array_units[name]
        hdus.append(HDU.image(name, data, array_header))
    if blendheaders:
        hdus.append(hdrtab([info.row for info in infos]))
    return Exposure(hdus, source="resample")


def _sci_header(wcs, bunit, effexp, duration):
    from astropy.io import fits

    if isinstance(wcs, OutputTan):
        cdelt, cards = wcs.cdelt[0], wcs.header_cards()
    else:  # an astropy WCS read from --output-wcs
        cdelt, cards = wcs.wcs.cdelt[0], wcs.to_header(relax=False)
    header = fits.Header()
    header["BUNIT"] = bunit or "MJy/sr"
    if effexp is not None:
        header["XPOSURE"] = effexp
    if duration is not None:
        header["TELAPSE"] = duration
    scale_arcsec = abs(cdelt) * 3600.0
    header["PIXAR_A2"] = (scale_arcsec**2, "nominal pixel area, arcsec^2")
    header["PIXAR_SR"] = (scale_arcsec**2 / 206264.806247**2, "nominal pixel area, sr")
    header.extend(cards, update=True)
    header.remove("MJDREF", ignore_missing=True)
    ny, nx = wcs.pixel_shape[1], wcs.pixel_shape[0]
    corners = wcs.wcs_pix2world([-0.5, nx - 0.5, nx - 0.5, -0.5], [-0.5, -0.5, ny - 0.5, ny - 0.5], 0)
    pairs = zip(*corners, strict=True)
    header["S_REGION"] = "POLYGON ICRS " + " ".join(f"{ra:.9f} {dec:.9f}" for ra, dec in pairs)
    return header


def hdrtab(rows: list[dict]) -> HDU:
    """Return the HDRTAB table: one row of selected keywords per input (text or float columns)."""
    from astropy.io import fits

    columns = []
    for key in HDRTAB_KEYS:
        values = [row.get(key) for row in rows]
        if all(v is None for v in values):
            continue
        if all((isinstance(v, int | float) and not isinstance(v, bool)) or v is None for v in values):
            array = np.array([np.nan if v is None else float(v) for v in values])
            columns.append(fits.Column(name=key, format="D", array=array))
        else:
            text = ["" if v is None else str(v) for v in values]
            width = max(1, max(len(t) for t in text))
            columns.append(fits.Column(name=key, format=f"{width}A", array=np.array(text)))
    table = fits.BinTableHDU.from_columns(columns, name="HDRTAB")
    return HDU(header=table.header, data=table.data, kind="table")
