"""Tiny detector-1 inputs: ``_ramp`` layout exposures and SATURATION/SUPERBIAS/LINEARITY/DARK references."""

from __future__ import annotations

import numpy as np
from astropy.io import fits

from tests.factories import stage1


def ramp_hdulist(nints=1, ngroups=5, ny=8, nx=9, rate=20.0, bias=1000.0, seed=0, noise=0.0, data=None,
                 **extra):
    """A ``_ramp`` HDUList: float32 SCI, zero PIXELDQ (uint32) and GROUPDQ (uint8)."""
    hdul = stage1.uncal(nints=nints, ngroups=ngroups, ny=ny, nx=nx, rate=rate, bias=bias, seed=seed,
                        noise=noise, **extra)
    sci = hdul["SCI"].data.astype(np.float32) if data is None else np.asarray(data, np.float32)
    hdul[0].header["NGROUPS"], hdul[0].header["NINTS"] = sci.shape[1], sci.shape[0]
    hdul["SCI"] = fits.ImageHDU(sci, name="SCI")
    hdul.insert(2, fits.ImageHDU(np.zeros(sci.shape[2:], np.uint32), name="PIXELDQ"))
    hdul.insert(3, fits.ImageHDU(np.zeros(sci.shape, np.uint8), name="GROUPDQ"))
    hdul[0].header["S_DQINIT"] = "COMPLETE"
    return hdul


def ramp(**kw):
    """A ``_ramp`` Exposure (see :func:`ramp_hdulist`)."""
    return stage1.to_exposure(ramp_hdulist(**kw))


def reference(reftype, arrays, ny=8, nx=9, detector="NRCB1", **keys):
    """A reference HDUList: ``arrays`` maps EXTNAME -> array; SUBSTRT/SUBSIZE of the tiny subarray."""
    primary = fits.PrimaryHDU()
    h = primary.header
    h["INSTRUME"], h["DETECTOR"], h["REFTYPE"] = "NIRCAM", detector, reftype
    for key, value in {**stage1.subarray_keys(nx=nx, ny=ny), **keys}.items():
        h[key] = value
    hdul = fits.HDUList([primary])
    for name, data in arrays.items():
        hdul.append(fits.ImageHDU(data, name=name))
    return hdul


def saturation_ref(ny=8, nx=9, value=5000.0, dq_bits=None, **kw):
    """A SATURATION reference: SCI thresholds (DN) and DQ."""
    thresh = np.full((ny, nx), value, np.float32) if np.isscalar(value) else np.asarray(value, np.float32)
    bits = np.zeros((ny, nx), np.uint32) if dq_bits is None else np.asarray(dq_bits, np.uint32)
    return reference("SATURATION", {"SCI": thresh, "DQ": bits}, ny, nx, **kw)


def write(hdul, path):
    """Write an HDUList and return the path as a string."""
    hdul.writeto(path)
    return str(path)


def superbias_ref(ny=8, nx=9, value=1000.0, dq_bits=None, **kw):
    """A SUPERBIAS reference: SCI (DN) and DQ."""
    bias = np.full((ny, nx), value, np.float32) if np.isscalar(value) else np.asarray(value, np.float32)
    bits = np.zeros((ny, nx), np.uint32) if dq_bits is None else np.asarray(dq_bits, np.uint32)
    return reference("SUPERBIAS", {"SCI": bias, "DQ": bits}, ny, nx, **kw)


def linearity_ref(coeffs, dq_bits=None, **kw):
    """A LINEARITY reference: COEFFS (ncoeffs, ny, nx) and DQ."""
    coeffs = np.asarray(coeffs, np.float32)
    ny, nx = coeffs.shape[1:]
    bits = np.zeros((ny, nx), np.uint32) if dq_bits is None else np.asarray(dq_bits, np.uint32)
    return reference("LINEARITY", {"COEFFS": coeffs, "DQ": bits}, ny, nx, **kw)


def dark_ref(frames, dq_bits=None, nframes=1, groupgap=0, avdrkcur=None, **kw):
    """A DARK reference: SCI (nframes, ny, nx) dark frames (DN), DQ, NFRAMES/GROUPGAP keywords."""
    frames = np.asarray(frames, np.float32)
    ny, nx = frames.shape[-2:]
    bits = np.zeros((ny, nx), np.uint32) if dq_bits is None else np.asarray(dq_bits, np.uint32)
    arrays = {"SCI": frames, "DQ": bits}
    if avdrkcur is not None:
        arrays["AVDRKCUR"] = np.full((ny, nx), avdrkcur, np.float32)
    return reference("DARK", arrays, ny, nx, NFRAMES=nframes, GROUPGAP=groupgap, **kw)
