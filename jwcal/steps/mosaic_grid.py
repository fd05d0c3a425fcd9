"""The mosaic's output grid: input footprints, pixel scales, and the TAN grid covering them (jwst rules).

jwst's ``wcs_from_sregions``/``compute_fiducial`` rules: the fiducial is the centre of the min/max
box of the footprints' unit vectors, the scale the first input's times a ratio, the orientation
from the first input's pointing; or an explicit grid from a FITS file (``--output-wcs``). Shared
by resample and outlier (its single mosaics are drawn on resample's default grid).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from jwcal.algorithms import tanwcs
from jwcal.errors import DataError
from jwcal.exposure import Exposure
from jwcal.steps.fits_wcs import OutputTan, wcs_from_header

if TYPE_CHECKING:  # the header-pass record of one input; it needs footprint() from here
    from jwcal.steps.stage3_inputs import InputInfo

#: Largest output grid accepted (pixels per axis); a bad WCS must not allocate terabytes (jwst#5081).
MAX_AXIS = 40000


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


def make_grid(infos, *, pixel_scale_ratio, pixel_scale, rotation, crpix, crval, output_shape, output_wcs):
    """Return the output grid from the parameters (explicit WCS file, or from the footprints)."""
    if output_wcs is not None:
        return grid_from_exposure(output_wcs, infos[0])
    return output_grid(infos, pixel_scale_ratio=pixel_scale_ratio, pixel_scale=pixel_scale, rotation=rotation,
                       crpix=crpix, crval=crval, output_shape=output_shape)
