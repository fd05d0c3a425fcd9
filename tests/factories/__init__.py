"""Small synthetic FITS files and exposures for tests, written with astropy (independent of jwcal.io)."""

from __future__ import annotations

import numpy as np
from astropy.io import fits


def uncal_hdulist(seed=0, nints=2, ngroups=4, ny=8, nx=9,
                  filename="jw01234001001_01101_00001_nrcb1_uncal.fits"):
    """A tiny level-1b-like file: uint16 4-D SCI, an INT_TIMES table and an ASDF-like byte table."""
    rng = np.random.default_rng(seed)
    primary = fits.PrimaryHDU()
    header = primary.header
    header["FILENAME"] = filename
    header["INSTRUME"] = "NIRCAM"
    header["DETECTOR"] = "NRCB1"
    header["EXP_TYPE"] = "NRC_IMAGE"
    header["NINTS"], header["NGROUPS"], header["NFRAMES"] = nints, ngroups, 1
    header["TGROUP"] = 10.737
    header["LONGSTRN"] = "OGIP 1.0"
    header["HISTORY"] = "a history card"
    header.set("HIERARCH JWCAL TEST KEYWORD", 1.5)
    header["OBSTITLE"] = "a long title " * 10  # becomes CONTINUE cards
    sci = fits.ImageHDU(rng.integers(0, 65535, size=(nints, ngroups, ny, nx), dtype=np.uint16), name="SCI")
    int_times = fits.BinTableHDU.from_columns(
        [
            fits.Column(name="integration_number", format="J", array=np.arange(1, nints + 1)),
            fits.Column(name="int_start_MJD_UTC", format="D", array=60000.0 + np.arange(nints) / 1e3),
        ],
        name="INT_TIMES",
    )
    asdf_bytes = np.frombuffer(b"#ASDF 1.0.0\n%YAML 1.1\n--- {}\n...\n" * 3, dtype=np.uint8)
    asdf = fits.BinTableHDU.from_columns(
        [fits.Column(name="ASDF_METADATA", format=f"{asdf_bytes.size}B", array=asdf_bytes[None, :])],
        name="ASDF",
    )
    return fits.HDUList([primary, sci, int_times, asdf])


def rate_hdulist(seed=1, ny=8, nx=9, filename="jw01234001001_01101_00002_nrcb1_rate.fits"):
    """A tiny rate-like file with big-endian float32 SCI/ERR, uint32 DQ and S_RAMP."""
    rng = np.random.default_rng(seed)
    primary = fits.PrimaryHDU()
    primary.header["FILENAME"] = filename
    primary.header["INSTRUME"] = "NIRCAM"
    primary.header["DETECTOR"] = "NRCB1"
    primary.header["S_DQINIT"] = "COMPLETE"
    primary.header["S_RAMP"] = "COMPLETE"
    sci = fits.ImageHDU(rng.normal(size=(ny, nx)).astype(">f4"), name="SCI")
    sci.header["BUNIT"] = "DN/s"
    err = fits.ImageHDU(np.abs(rng.normal(size=(ny, nx))).astype(">f4"), name="ERR")
    dq = fits.ImageHDU(rng.integers(0, 2**32 - 1, size=(ny, nx), dtype=np.uint32), name="DQ")
    var = fits.ImageHDU(rng.normal(size=(ny, nx)), name="VAR_POISSON")  # float64 on purpose
    return fits.HDUList([primary, sci, err, dq, var])


def write(hdulist, path):
    """Write ``hdulist`` to ``path`` and return the path as a string."""
    hdulist.writeto(path)
    return str(path)
