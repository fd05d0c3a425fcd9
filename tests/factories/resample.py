"""Dithered ``_cal``-like images with TAN or TAN-SIP WCS, Gaussian stars and cosmic rays, with truth.

Used by the resample and outlier tests and benchmarks until ``jwcal simulate`` provides a dithered
set. Everything is written with astropy (independent of jwcal.io).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
from scipy.special import erf

SCALE = 0.031 / 3600.0  # NIRCam SW pixel, degrees
CRVAL = (150.1, 2.2)


@dataclass
class CalSet:
    """The images (HDULists) and their truth."""

    images: list = field(default_factory=list)
    stars: np.ndarray | None = None          # (nstar, 3): RA, Dec (deg), total flux (MJy/sr × pixel)
    crs: list = field(default_factory=list)  # per image: (ncr, 2) int array of (y, x)
    star_pixels: list = field(default_factory=list)  # per image: boolean core masks


def wcs_header(crval, crpix, rot_deg=0.0, scale=SCALE, sip=True):
    """A TAN (or TAN-SIP with a mild NIRCam-like distortion) header, CD form, 1-based CRPIX."""
    c, s = math.cos(math.radians(rot_deg)), math.sin(math.radians(rot_deg))
    h = fits.Header()
    h["CTYPE1"], h["CTYPE2"] = ("RA---TAN-SIP", "DEC--TAN-SIP") if sip else ("RA---TAN", "DEC--TAN")
    h["CUNIT1"], h["CUNIT2"] = "deg", "deg"
    h["CRVAL1"], h["CRVAL2"] = crval
    h["CRPIX1"], h["CRPIX2"] = crpix
    h["CD1_1"], h["CD1_2"] = -scale * c, scale * s
    h["CD2_1"], h["CD2_2"] = scale * s, scale * c
    h["RADESYS"] = "ICRS"
    if sip:
        h["A_ORDER"], h["B_ORDER"] = 2, 2
        h["A_2_0"], h["A_1_1"], h["A_0_2"] = 2.0e-6, -1.0e-6, 1.5e-6
        h["B_2_0"], h["B_1_1"], h["B_0_2"] = -1.2e-6, 2.0e-6, 1.0e-6
    return h


def _render(shape, xs, ys, fluxes, fwhm):
    """Pixel-integrated circular Gaussians (total flux per source)."""
    sigma = fwhm / 2.3548
    ny, nx = shape
    img = np.zeros(shape)
    for x, y, f in zip(xs, ys, fluxes, strict=True):
        x0, x1 = max(int(x) - 8, 0), min(int(x) + 9, nx)
        y0, y1 = max(int(y) - 8, 0), min(int(y) + 9, ny)
        if x0 >= x1 or y0 >= y1:
            continue
        px = np.arange(x0, x1)
        py = np.arange(y0, y1)
        s2 = sigma * math.sqrt(2)
        fx = 0.5 * (erf((px + 0.5 - x) / s2) - erf((px - 0.5 - x) / s2))
        fy = 0.5 * (erf((py + 0.5 - y) / s2) - erf((py - 0.5 - y) / s2))
        img[y0:y1, x0:x1] += f * np.outer(fy, fx)
    return img


def make_cal_set(n=4, shape=(128, 128), *, seed=0, sip=True, fwhm=2.3, nstars=25, ncr=15, dither=6.0,
                 rot_deg=0.5, noise=0.01, background=0.2, cr_snr=(30.0, 1000.0), with_pointing=False,
                 star_flux=(5.0, 60.0)):
    """Return a :class:`CalSet` of ``n`` dithered images.

    Stars are the same on the sky in every image; cosmic rays are single pixels (a third of them
    2-pixel tracks) at known positions, different in each image, with amplitudes ``cr_snr`` × noise.
    """
    rng = np.random.default_rng(seed)
    ny, nx = shape
    out = CalSet()
    ref = WCS(wcs_header(CRVAL, ((nx + 1) / 2, (ny + 1) / 2), sip=False))
    sx = rng.uniform(8, nx - 8, nstars)
    sy = rng.uniform(8, ny - 8, nstars)
    ra, dec = ref.all_pix2world(sx, sy, 0)
    out.stars = np.column_stack([ra, dec, rng.uniform(*star_flux, nstars)])
    for k in range(n):
        ang = 2 * math.pi * k / max(n, 1)
        off = (dither * math.cos(ang) + rng.uniform(-0.5, 0.5),
               dither * math.sin(ang) + rng.uniform(-0.5, 0.5))
        crpix = ((nx + 1) / 2 + off[0], (ny + 1) / 2 + off[1])
        header = wcs_header(CRVAL, crpix, rot_deg=rot_deg * (k % 3 - 1), sip=sip)
        wcs = WCS(header)
        px, py = wcs.all_world2pix(out.stars[:, 0], out.stars[:, 1], 0)
        stars = _render(shape, px, py, out.stars[:, 2], fwhm)
        sci = background + stars + rng.normal(0, noise, shape)
        core = stars > 20 * noise
        ncr_here = ncr
        ys = rng.integers(2, ny - 2, ncr_here)
        xs = rng.integers(2, nx - 2, ncr_here)
        crs = []
        for j, (y, x) in enumerate(zip(ys, xs, strict=True)):
            amp = noise * math.exp(rng.uniform(math.log(cr_snr[0]), math.log(cr_snr[1])))
            sci[y, x] += amp
            crs.append((y, x))
            if j % 3 == 0:
                sci[y, x + 1] += 0.6 * amp
                crs.append((y, x + 1))
        out.crs.append(np.array(crs))
        out.star_pixels.append(core)
        var_rn = np.full(shape, noise**2, np.float32)
        var_p = np.clip(stars, 0, None).astype(np.float32) * 1e-4
        var_f = np.full(shape, 1e-6, np.float32)
        err = np.sqrt(var_rn + var_p + var_f).astype(np.float32)
        dq = np.zeros(shape, np.uint32)
        primary = fits.PrimaryHDU()
        p = primary.header
        p["TELESCOP"], p["INSTRUME"], p["DETECTOR"] = "JWST", "NIRCAM", "NRCB1"
        p["EXP_TYPE"] = "NRC_IMAGE"
        p["FILENAME"] = f"jw01234001001_01101_{k + 1:05d}_nrcb1_cal.fits"
        for key, value in (("PROGRAM", "01234"), ("OBSERVTN", "001"), ("VISIT", "001"), ("VISITGRP", "01"),
                           ("SEQ_ID", "1"), ("ACT_ID", "01"), ("EXPOSURE", f"{k + 1:05d}")):
            p[key] = value
        p["EFFEXPTM"], p["TMEASURE"], p["DURATION"] = 100.0, 90.0, 110.0
        p["EXPSTART"] = 60000.0 + k * 0.01
        p["EXPEND"] = p["EXPSTART"] + 110.0 / 86400.0
        p["S_FLAT"] = "COMPLETE"
        sci_header = header.copy()
        sci_header["BUNIT"] = "MJy/sr"
        sci_header["PIXAR_SR"] = (0.031 / 206264.806) ** 2
        if with_pointing:
            sci_header["ROLL_REF"], sci_header["V3I_YANG"], sci_header["VPARITY"] = 10.0, -0.5, -1
        hdus = [primary, fits.ImageHDU(sci.astype(np.float32), sci_header, name="SCI"),
                fits.ImageHDU(err, name="ERR"), fits.ImageHDU(dq, name="DQ"),
                fits.ImageHDU(var_p, name="VAR_POISSON"), fits.ImageHDU(var_rn, name="VAR_RNOISE"),
                fits.ImageHDU(var_f, name="VAR_FLAT")]
        out.images.append(fits.HDUList(hdus))
    return out


def write_set(calset: CalSet, directory, asn=True) -> list[str]:
    """Write the images (and an image3 association ``asn.json``) to ``directory``; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for hdul in calset.images:
        path = directory / hdul[0].header["FILENAME"]
        hdul.writeto(path, overwrite=True)
        paths.append(str(path))
    if asn:
        members = [{"expname": Path(p).name, "exptype": "science", "exposerr": None} for p in paths]
        doc = {"asn_type": "image3", "asn_id": "o001", "asn_pool": "test_pool",
               "products": [{"name": "jw01234-o001_t001_nircam_clear-f200w", "members": members}]}
        (directory / "asn.json").write_text(json.dumps(doc, indent=1))
    return paths
