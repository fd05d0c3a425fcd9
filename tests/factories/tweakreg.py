"""Dithered ``_cal``-like exposures with TAN-SIP WCS, stars, and known pointing errors (tweakreg tests).

Stars are drawn on the sky, rendered through each exposure's *true* WCS, and the header gets a
perturbed WCS (CRVAL shifted by a known tangent-plane offset, CD turned by a known roll). The truth
(star positions, true headers) is returned so tests can measure the residual after alignment.
Written with astropy (independent of jwcal.io) until ``jwcal simulate images`` is available.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS
from scipy.special import erf

CRVAL = (53.16, -27.78)
SCALE = 0.063  # arcsec / pixel (NIRCam LW-like)


@dataclass
class TweakSet:
    """Files, truth WCS headers, star positions and injected errors."""

    paths: list = field(default_factory=list)
    hdulists: list = field(default_factory=list)
    true_headers: list = field(default_factory=list)
    stars: np.ndarray | None = None        # (n, 2) RA, Dec degrees
    errors: list = field(default_factory=list)  # per exposure (dxi", deta", roll deg)
    refcat: str | None = None
    shape: tuple = (0, 0)


def sip_header(crval, crpix, roll_deg, scale=SCALE, sip=True):
    """A TAN-SIP header (CD form, 1-based CRPIX) with a mild distortion."""
    c, s = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))
    d = scale / 3600.0
    h = fits.Header()
    h["CTYPE1"], h["CTYPE2"] = ("RA---TAN-SIP", "DEC--TAN-SIP") if sip else ("RA---TAN", "DEC--TAN")
    h["CUNIT1"], h["CUNIT2"] = "deg", "deg"
    h["CRPIX1"], h["CRPIX2"] = crpix
    h["CRVAL1"], h["CRVAL2"] = crval
    h["CD1_1"], h["CD1_2"], h["CD2_1"], h["CD2_2"] = -d * c, d * s, d * s, d * c
    h["RADESYS"] = "ICRS"
    if sip:
        h["A_ORDER"], h["B_ORDER"] = 2, 2
        h["A_2_0"], h["A_1_1"], h["A_0_2"] = 3.0e-6, -1.0e-6, 2.0e-6
        h["B_2_0"], h["B_1_1"], h["B_0_2"] = -2.0e-6, 2.5e-6, 1.0e-6
    return h


def _offset_crval(crval, dxi, deta):
    """CRVAL moved by (dxi, deta) arcsec in the tangent plane about itself."""
    ra0, dec0 = crval
    xi, eta = math.radians(dxi / 3600.0), math.radians(deta / 3600.0)
    d0 = math.radians(dec0)
    den = math.cos(d0) - eta * math.sin(d0)
    ra = math.radians(ra0) + math.atan2(xi, den)
    dec = math.atan2(math.sin(d0) + eta * math.cos(d0), math.hypot(xi, den))
    return math.degrees(ra) % 360.0, math.degrees(dec)


def render(shape, xs, ys, fluxes, fwhm):
    """Pixel-integrated circular Gaussians."""
    sigma = fwhm / 2.3548
    s2 = sigma * math.sqrt(2.0)
    img = np.zeros(shape)
    ny, nx = shape
    for x, y, f in zip(xs, ys, fluxes, strict=True):
        x0, x1 = max(int(x) - 8, 0), min(int(x) + 9, nx)
        y0, y1 = max(int(y) - 8, 0), min(int(y) + 9, ny)
        if x0 >= x1 or y0 >= y1:
            continue
        px, py = np.arange(x0, x1), np.arange(y0, y1)
        fx = 0.5 * (erf((px + 0.5 - x) / s2) - erf((px - 0.5 - x) / s2))
        fy = 0.5 * (erf((py + 0.5 - y) / s2) - erf((py - 0.5 - y) / s2))
        img[y0:y1, x0:x1] += f * np.outer(fy, fx)
    return img


def make_tweak_set(directory, n=3, shape=(400, 400), *, seed=0, nstars=120, fwhm=2.2, noise=0.01,
                   dither=3.0, error=0.5, roll_error=0.01, flux=(5.0, 80.0), groups=None, refcat=True,
                   asdf=True, detectors=None, positions=None):
    """Write ``n`` dithered exposures to ``directory`` and return a :class:`TweakSet`.

    ``error``: size (arcsec) of the random header offsets; ``roll_error`` (deg) of the roll errors.
    ``groups``: exposure number of each file (files sharing one are one jwst group); default all
    different; files of one group share one pointing error (one exposure, several detectors).
    ``positions``: tangent-plane offsets (arcsec) of each file's center instead of random dithers.
    The reference catalog (ECSV, RA/DEC) holds the true star positions.
    """
    rng = np.random.default_rng(seed)
    directory = Path(directory)
    ny, nx = shape
    reach = dither if positions is None else max(max(abs(a), abs(b)) for a, b in positions)
    half = max(nx, ny) * SCALE / 2.0 + reach + 2.0
    ra0, dec0 = CRVAL
    dxi = rng.uniform(-half, half, nstars)
    deta = rng.uniform(-half, half, nstars)
    cosd = math.cos(math.radians(dec0))
    stars = np.column_stack([ra0 + dxi / 3600.0 / cosd, dec0 + deta / 3600.0])
    fluxes = rng.uniform(*flux, nstars)
    out = TweakSet(stars=stars, shape=shape)
    groups = list(range(1, n + 1)) if groups is None else list(groups)
    detectors = detectors or ["NRCBLONG"] * n
    group_errors = {}
    for i in range(n):
        offset = rng.uniform(-dither, dither, 2) if positions is None else positions[i]
        true_crval = _offset_crval(CRVAL, *offset)
        roll = 20.0 + (rng.uniform(-0.5, 0.5) if positions is None else 0.0)
        crpix = ((nx + 1) / 2.0, (ny + 1) / 2.0)
        true = sip_header(true_crval, crpix, roll)
        wcs = WCS(true)
        x, y = wcs.all_world2pix(stars[:, 0], stars[:, 1], 0)
        sci = render(shape, x, y, fluxes, fwhm) + 0.2 + rng.normal(0.0, noise, shape)
        err = group_errors.setdefault(groups[i],
                                      (rng.uniform(-1, 1, 2) * error, rng.uniform(-1, 1) * roll_error))
        header = sip_header(_offset_crval(true_crval, *err[0]), crpix, roll + err[1])
        dqarr = np.zeros(shape, dtype=np.uint32)
        dqarr[:, :3] = 1 | 512
        sci[:, :3] = np.nan
        primary = fits.PrimaryHDU()
        p = primary.header
        p["TELESCOP"], p["INSTRUME"], p["DETECTOR"] = "JWST", "NIRCAM", detectors[i]
        for key, value in (("PROGRAM", "01234"), ("OBSERVTN", "001"), ("VISIT", "001"), ("VISITGRP", "01"),
                           ("SEQ_ID", "1"), ("ACT_ID", "01"), ("EXPOSURE", f"{groups[i]:05d}")):
            p[key] = value
        root = f"jw01234001001_01101_{groups[i]:05d}_{detectors[i].lower()}"
        p["FILENAME"] = f"{root}_cal.fits"
        p["S_FLAT"] = "COMPLETE"
        h = header.copy()
        h["BUNIT"] = "MJy/sr"
        h["S_REGION"] = "POLYGON ICRS 0 0 0 0 0 0 0 0"
        hdus = [primary, fits.ImageHDU(sci.astype(np.float32), h, name="SCI"),
                fits.ImageHDU(np.full(shape, noise, np.float32), name="ERR"),
                fits.ImageHDU(dqarr, name="DQ")]
        if asdf:
            blob = np.frombuffer(b"#ASDF 1.0.0\n%YAML 1.1\n--- {}\n...\n", dtype=np.uint8)
            column = fits.Column(name="ASDF_METADATA", format=f"{blob.size}B", array=blob[None, :])
            hdus.append(fits.BinTableHDU.from_columns([column], name="ASDF"))
        hdul = fits.HDUList(hdus)
        path = directory / f"{root}_cal.fits"
        hdul.writeto(path, overwrite=True)
        out.paths.append(str(path))
        out.hdulists.append(hdul)
        out.true_headers.append(true)
        out.errors.append((*err[0], err[1]))
    if refcat:
        out.refcat = str(directory / "refcat.ecsv")
        Table({"RA": stars[:, 0], "DEC": stars[:, 1]}).write(out.refcat, format="ascii.ecsv", overwrite=True)
    return out


def residuals(tset, headers):
    """Absolute (arcsec) and relative-to-first (pixels) errors of corrected ``headers`` at true star pixels.

    Returns
    -------
    absolute : ndarray, shape (n_exposures,)
        RMS over stars in the image of |sky from corrected WCS - true sky| in arcsec.
    relative : ndarray, shape (n_exposures,)
        RMS over stars common with the first exposure of the position difference (pixels) between
        what exposure i and exposure 0 say about the same star.
    """
    absolute, relative, skies = [], [], []
    for true, head in zip(tset.true_headers, headers, strict=True):
        x, y = WCS(true).all_world2pix(tset.stars[:, 0], tset.stars[:, 1], 0)
        inside = (x > 5) & (x < tset.shape[1] - 6) & (y > 5) & (y < tset.shape[0] - 6)
        ra, dec = WCS(head).all_pix2world(x, y, 0)
        dra = (ra - tset.stars[:, 0]) * math.cos(math.radians(CRVAL[1])) * 3600.0
        ddec = (dec - tset.stars[:, 1]) * 3600.0
        vec = np.column_stack([dra, ddec])
        vec[~inside] = np.nan
        skies.append(vec)
        absolute.append(math.sqrt(np.nanmean(np.sum(vec**2, axis=1))))
    for vec in skies:
        d = np.sum((vec - skies[0]) ** 2, axis=1) / SCALE**2
        relative.append(math.sqrt(np.nanmean(d)))
    return np.array(absolute), np.array(relative)
