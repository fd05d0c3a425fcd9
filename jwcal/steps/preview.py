"""Render one plane of an exposure (rate, cal, i2d, or one group of a ramp) as an 8-bit image."""

from __future__ import annotations

import numpy as np

from jwcal.algorithms import preview as alg
from jwcal.errors import DataError, MissingExtensionError, UsageError
from jwcal.exposure import Exposure


def _select(array: np.ndarray, integration: int, group: int, what: str) -> np.ndarray:
    def pick(axis_values: np.ndarray, index: int, name: str) -> np.ndarray:
        n = axis_values.shape[0]
        if not -n <= index < n:
            raise UsageError(f"--{name} {index} is out of range: {what} has {n} ({name}s count from 0)")
        return axis_values[index]

    if array.ndim == 2:
        return array
    if array.ndim == 3:
        return pick(array, integration, "integration")
    if array.ndim == 4:
        return pick(pick(array, integration, "integration"), group, "group")
    raise DataError(f"{what}: cannot preview a {array.ndim}-D array")


def run(exposure: Exposure, *, group: int = -1, integration: int = 0, extension: str = "SCI",
        stretch: str = "asinh", dq: bool = False) -> np.ndarray:
    """Return the preview image of one plane of ``exposure``.

    Parameters
    ----------
    exposure : Exposure
        Any imaging product: 2-D (rate, cal, i2d), 3-D (rateints: one integration) or 4-D ramps.
    group, integration : int
        0-based indexes (negative counts from the end) into ramps (nints, ngroups, ny, nx) and
        per-integration cubes; ignored for 2-D data. Default: the last group of the first
        integration.
    extension : str
        EXTNAME of the image to show.
    stretch : {"asinh", "linear", "log"}
        Applied between the zscale limits of the plane.
    dq : bool
        Tint flagged pixels (DQ; for ramps PIXELDQ | GROUPDQ of the plane) by flag.

    Returns
    -------
    ndarray of uint8, shape (ny, nx) or (ny, nx, 3) with ``dq``
        Flipped vertically so that FITS row 1 is at the bottom of the picture.
    """
    if stretch not in alg.STRETCHES:
        raise UsageError(f"unknown stretch {stretch!r} (one of {', '.join(alg.STRETCHES)})")
    hdu = exposure[extension]
    if hdu.kind != "image" or hdu.data is None:
        raise DataError(f"{exposure.label}: {extension.upper()} is not an image")
    what = f"{exposure.label} {extension.upper()}"
    plane = _select(np.asarray(hdu.data), integration, group, what)
    values = plane.astype(np.float64)
    gray = alg.to_uint8(values, alg.zscale(values), stretch)
    if not dq:
        return gray[::-1]
    flags = _flags(exposure, plane.shape, integration, group)
    return alg.overlay_dq(gray, flags)[::-1]


def _flags(exposure: Exposure, shape, integration: int, group: int) -> np.ndarray:
    flags = np.zeros(shape, dtype=np.uint32)
    found = False
    for name in ("DQ", "PIXELDQ", "GROUPDQ"):
        hdu = exposure.get(name)
        if hdu is None or hdu.data is None:
            continue
        found = True
        data = np.asarray(hdu.data)
        if data.ndim > 2:
            data = _select(data, integration, group, f"{exposure.label} {name}")
        if data.shape != tuple(shape):
            raise DataError(f"{exposure.label}: {name} shape {data.shape} differs from the image's {shape}")
        flags |= data.astype(np.uint32)
    if not found:
        raise MissingExtensionError(f"{exposure.label}: --dq needs a DQ (or PIXELDQ/GROUPDQ) extension")
    return flags
