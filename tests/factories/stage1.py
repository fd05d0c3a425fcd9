"""Tiny stage-1 inputs (uncal ramps, MASK/GAIN/READNOISE references) as astropy HDULists."""

from __future__ import annotations

import numpy as np
from astropy.io import fits

from jwcal.exposure import HDU, Exposure


def _primary(nints, ngroups, **extra):
    primary = fits.PrimaryHDU()
    h = primary.header
    h["FILENAME"] = "jw01234001001_01101_00001_nrcb1_uncal.fits"
    h["INSTRUME"], h["DETECTOR"], h["EXP_TYPE"] = "NIRCAM", "NRCB1", "NRC_IMAGE"
    h["NINTS"], h["NGROUPS"], h["NFRAMES"], h["GROUPGAP"] = nints, ngroups, 1, 0
    h["TFRAME"], h["TGROUP"] = 10.0, 10.0
    h["DRPFRMS1"] = 0
    h["READPATT"] = "RAPID"
    for key, value in extra.items():
        h[key] = value
    return primary


def subarray_keys(x0=1, y0=1, nx=9, ny=8):
    """SUBSTRT/SUBSIZE keywords of a subarray with 1-based corner (x0, y0)."""
    return {"SUBARRAY": "SUB", "SUBSTRT1": x0, "SUBSTRT2": y0, "SUBSIZE1": nx, "SUBSIZE2": ny}


def uncal(nints=2, ngroups=5, ny=8, nx=9, rate=20.0, bias=1000.0, seed=0, noise=0.0, **extra):
    """A linear uint16 ramp (DN): bias + rate * TGROUP * (g + 1), optional Gaussian noise."""
    rng = np.random.default_rng(seed)
    primary = _primary(nints, ngroups, **{**subarray_keys(nx=nx, ny=ny), **extra})
    tgroup = primary.header["TGROUP"]
    g = np.arange(ngroups, dtype=np.float64)[None, :, None, None]
    data = bias + rate * tgroup * (g + 1) + noise * rng.standard_normal((nints, ngroups, ny, nx))
    sci = fits.ImageHDU(np.clip(np.rint(data), 0, 65535).astype(np.uint16), name="SCI")
    int_times = fits.BinTableHDU.from_columns(
        [fits.Column(name="integration_number", format="J", array=np.arange(1, nints + 1))], name="INT_TIMES")
    return fits.HDUList([primary, sci, int_times])


def _reference(name, data, ny, nx, reftype, **keys):
    primary = fits.PrimaryHDU()
    h = primary.header
    h["INSTRUME"], h["DETECTOR"], h["REFTYPE"] = "NIRCAM", "NRCB1", reftype
    for key, value in subarray_keys(nx=nx, ny=ny).items():
        h[key] = value
    for key, value in keys.items():
        h[key] = value
    return fits.HDUList([primary, fits.ImageHDU(data, name=name)])


def mask(ny=8, nx=9, bits=None, dq_def=None, detector="NRCB1"):
    """A MASK reference: DQ uint32 ``bits`` (default zeros) and an optional DQ_DEF [(value, name), ...]."""
    bits = np.zeros((ny, nx), np.uint32) if bits is None else np.asarray(bits, np.uint32)
    hdul = _reference("DQ", bits, ny, nx, "MASK", DETECTOR=detector)
    if dq_def is not None:
        hdul.append(fits.BinTableHDU.from_columns([
            fits.Column(name="BIT", format="J", array=[int(v).bit_length() - 1 for v, _ in dq_def]),
            fits.Column(name="VALUE", format="J", array=[v for v, _ in dq_def]),
            fits.Column(name="NAME", format="40A", array=[n for _, n in dq_def]),
            fits.Column(name="DESCRIPTION", format="80A", array=["" for _ in dq_def]),
        ], name="DQ_DEF"))
    return hdul


def gain(ny=8, nx=9, value=2.0):
    """A GAIN reference (e-/DN)."""
    return _reference("SCI", np.full((ny, nx), value, np.float32), ny, nx, "GAIN")


def readnoise(ny=8, nx=9, value=10.0):
    """A READNOISE reference (CDS read noise, DN)."""
    return _reference("SCI", np.full((ny, nx), value, np.float32), ny, nx, "READNOISE")


def to_exposure(hdulist) -> Exposure:
    """Turn an astropy HDUList into an in-memory Exposure (native-endian arrays)."""
    hdus = [HDU(header=hdulist[0].header.copy())]
    for h in hdulist[1:]:
        if isinstance(h, fits.BinTableHDU):
            hdus.append(HDU(header=h.header.copy(), data=h.data, kind="table"))
        else:
            data = h.data
            data = None if data is None else data.astype(data.dtype.newbyteorder("="))
            hdus.append(HDU(header=h.header.copy(), data=data, kind="image"))
    return Exposure(hdus)
