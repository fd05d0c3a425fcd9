"""``jwcal simulate images``: dithered stage-2 ``_cal`` images of one sky field, with truth.

One sky field (stars with AB magnitudes and exponential-disk galaxies around RA/Dec) is observed
``nexposures`` times on a dither pattern by one NIRCam-like detector. Each exposure has a TRUE
TAN-SIP WCS (one detector distortion, quadratic+cubic SIP, shared by all exposures) through which
the sources are rendered, and a HEADER WCS written in the SCI header that is off by a random
``wcs_error_min``..``wcs_error_max`` arcsec shift and up to ``roll_error_max`` degrees of roll
(the JWST "WCS offset" caveat GI02). Noise: Poisson (sources + background) and read noise; a fixed
residual flat-field error; residual cosmic rays left in (not flagged); a few hot/dead pixels flagged
DO_NOT_USE with NaN. SCI/ERR/VAR_* are in MJy/sr and consistent: ERR**2 = VAR_POISSON + VAR_RNOISE +
VAR_FLAT, computed from the noiseless model, equals the variance of the noise that was added.

Truth: the source table (positions, magnitudes, fluxes, true pixel positions per exposure), the
true WCS header, the injected WCS error, the cosmic-ray labels and the noiseless model per exposure,
and a Gaia-like absolute reference catalog (a subset of the stars with catalog noise).
"""

from __future__ import annotations

import math

import numpy as np
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

from jwcal import dq, units
from jwcal.algorithms import simulate_images as alg
from jwcal.errors import UsageError
from jwcal.exposure import HDU, Exposure

PROGRAM = "01234"
OBSERVTN = "001"
VISIT = "001"
VISITGRP = "01"
SEQ_ID = "1"
ACT_ID = "01"
MJD0 = 60400.0  # 2024-04-08
GAIN = 2.05  # e-/DN
SIM_MAG_RANGE = (18.0, 26.5)
#: Sources per arcmin² of the dithered footprint when not given: 400 stars and 100 galaxies on a
#: full-frame (2048², 0.031"/pixel) set, scaled with the area. The galaxy density is that of deep
#: NIRCam counts to AB 26 (~80 per arcmin²); the star density that of a low-latitude field (high
#: galactic latitudes have ~1 %), so that a full frame has enough point sources for tweakreg.
STARS_PER_ARCMIN2 = 325.0
GALAXIES_PER_ARCMIN2 = 81.0
GAL_MAG_RANGE = (20.0, 26.0)
IMAGE2_STEPS = ("S_GRPSCL", "S_DQINIT", "S_SATURA", "S_IPC", "S_SUPERB", "S_REFPIX", "S_LINEAR",
                "S_PERSIS", "S_DARK", "S_JUMP", "S_RAMP", "S_GANSCL", "S_WCS", "S_FLAT", "S_PHOTOM")
IMAGE2_SKIPPED = ("S_GRPSCL", "S_IPC", "S_PERSIS")
ARCSEC = 1.0 / 3600.0
TGROUP = 107.368  # s, NIRCam full-frame MEDIUM8 group time


def run(
    *,
    nexposures: int = 4,
    size: tuple[int, int] | None = None,
    seed: int = 0,
    ra: float = 53.16,
    dec: float = -27.78,
    pa_aper: float = 60.0,
    pixel_scale: float = 0.031,
    nstars: int | None = None,
    ngalaxies: int | None = None,
    psf: str = "moffat",
    fwhm: float = 2.1,
    exptime: float = 1000.0,
    background: float = 0.2,
    read_noise: float = 15.0,
    photmjsr: float = 0.22,
    flat_error: float = 0.002,
    cr_density: float = 100.0,
    bad_pixel_fraction: float = 1e-4,
    full_well: float = 80000.0,
    distortion: float = 2.0,
    dither_size: float | None = None,
    wcs_error_min: float = 0.1,
    wcs_error_max: float = 1.0,
    roll_error_max: float = 0.02,
    refcat_maglim: float = 24.0,
    filter: str = "F200W",
    detector: str = "NRCB1",
) -> dict:
    """Simulate a dithered set of calibrated NIRCam-like images with known truth.

    Parameters
    ----------
    nexposures : int
        Number of dithered exposures.
    size : (int, int), optional
        Image shape (NY, NX); default full frame (2048, 2048).
    seed : int
        Seed of every random draw; equal seeds give identical data.
    ra, dec : float
        Field centre, degrees.
    pa_aper : float
        Position angle of the detector +y axis, degrees East of North.
    pixel_scale : float
        Arcsec per pixel at the reference pixel.
    nstars, ngalaxies : int or None
        Number of stars and of galaxies spread over the dithered footprint; None scales them with
        its area (:data:`STARS_PER_ARCMIN2`, :data:`GALAXIES_PER_ARCMIN2`: 400 and 100 on a full frame).
    psf : {"moffat", "gaussian"}
        Point-spread function of stars (Moffat beta=2.5).
    fwhm : float
        PSF FWHM, pixels.
    exptime : float
        Effective exposure time EFFEXPTM, seconds.
    background : float
        Sky background, MJy/sr.
    read_noise : float
        Effective read noise of the whole ramp fit, electrons.
    photmjsr : float
        MJy/sr per DN/s (PHOTMJSR).
    flat_error : float
        Relative 1-sigma residual flat-field error per pixel (fixed pattern; VAR_FLAT).
    cr_density : float
        Residual (undetected) cosmic-ray events per million pixels per exposure.
    bad_pixel_fraction : float
        Fraction of hot/dead pixels (DO_NOT_USE, NaN).
    full_well : float
        Electrons at saturation; pixels that saturate within the first group (TGROUP = 107.4 s,
        MEDIUM8) have no slope: SATURATED|DO_NOT_USE and NaN, as in jwst cal files. 0 disables.
    distortion : float
        Largest SIP displacement over the image, pixels.
    dither_size : float, optional
        Size of the dither pattern, pixels (default 4 % of the image side).
    wcs_error_min, wcs_error_max : float
        Range of the header-WCS pointing error, arcsec.
    roll_error_max : float
        Largest header-WCS roll error, degrees.
    refcat_maglim : float
        Stars brighter than this AB magnitude go into the reference catalog.
    filter : str
        FILTER keyword.
    detector : str
        DETECTOR keyword (a NIRCam short-wavelength detector name).

    Returns
    -------
    dict
        ``exposures`` (list of Exposure, ``_cal`` layout), ``association`` (image3 association dict),
        ``association_name`` (file name for it), ``refcat`` (astropy Table), ``truth`` (dict with
        ``sources`` Table, ``wcs`` true WCS headers, ``header_wcs`` headers as written, ``wcs_error``
        list of dicts, ``cr_labels`` and ``model`` arrays per exposure), ``truth_exposures`` (one
        Exposure per exposure for ``<root>_truth_wcs.fits``: PRIMARY with the injected WCS error
        WCSDRA/WCSDDEC/WCSDOFF (arcsec), WCSDROLL (deg) and NCR; CRMASK (int32 cosmic-ray ids) and MODEL
        (float32 noiseless SCI), both with the true TAN-SIP WCS in their headers).
    """
    ny, nx = (2048, 2048) if size is None else (int(size[0]), int(size[1]))
    _check(nexposures=nexposures, ny=ny, nx=nx, psf=psf, fwhm=fwhm, exptime=exptime, pixel_scale=pixel_scale,
           wcs_error_min=wcs_error_min, wcs_error_max=wcs_error_max, nstars=nstars, ngalaxies=ngalaxies,
           background=background, read_noise=read_noise, photmjsr=photmjsr)
    shape = (ny, nx)
    streams = np.random.SeedSequence(seed).spawn(3 + nexposures)
    rng_detector = np.random.default_rng(streams[0])
    rng_scene = np.random.default_rng(streams[1])
    rng_catalog = np.random.default_rng(streams[2])

    # --- detector: distortion, residual flat error, bad pixels (same for every exposure)
    sip_a, sip_b = alg.random_distortion(rng_detector, shape, distortion)
    sip_ap, sip_bp, _ = alg.fit_inverse_sip(sip_a, sip_b, shape)
    flat_pattern = 1.0 + flat_error * rng_detector.standard_normal(shape)
    bad = np.zeros(shape, dtype=np.uint32)
    nbad = round(bad_pixel_fraction * ny * nx)
    if nbad:
        where = rng_detector.choice(ny * nx, size=nbad, replace=False)
        kinds = rng_detector.random(nbad) < 0.5
        bad.ravel()[where] = np.where(kinds, dq.DO_NOT_USE | dq.HOT, dq.DO_NOT_USE | dq.DEAD)
    if (ny, nx) == (2048, 2048):
        border = np.ones(shape, dtype=bool)
        border[4:-4, 4:-4] = False
        bad[border] = dq.DO_NOT_USE | dq.REFERENCE_PIXEL
    crpix = ((nx + 1) / 2.0, (ny + 1) / 2.0)  # FITS 1-based
    cd = alg.cd_matrix(pixel_scale, pa_aper)

    # --- dither pattern (pixels, detector frame) and pointings
    dither_size = 0.04 * min(ny, nx) if dither_size is None else float(dither_size)
    offsets = _dither_offsets(nexposures, dither_size, rng_detector)

    # --- scene over the union footprint, in the base tangent plane about (ra, dec)
    margin = 10.0
    lo = offsets.min(axis=0) - (np.array([nx, ny]) - 1) / 2.0 - margin
    hi = offsets.max(axis=0) + (np.array([nx, ny]) - 1) / 2.0 + margin
    area = float(np.prod(hi - lo)) * (pixel_scale / 60.0) ** 2  # arcmin²
    nstars = round(STARS_PER_ARCMIN2 * area) if nstars is None else nstars
    ngalaxies = round(GALAXIES_PER_ARCMIN2 * area) if ngalaxies is None else ngalaxies
    pix_star = rng_scene.uniform(lo, hi, size=(nstars, 2))
    pix_gal = rng_scene.uniform(lo, hi, size=(ngalaxies, 2))
    star_mag = _power_law_mags(rng_scene, nstars, *SIM_MAG_RANGE, slope=0.15)
    gal_mag = _power_law_mags(rng_scene, ngalaxies, *GAL_MAG_RANGE, slope=0.3)
    gal_reff = rng_scene.uniform(1.5, 6.0, ngalaxies)
    gal_q = rng_scene.uniform(0.3, 1.0, ngalaxies)
    gal_theta = rng_scene.uniform(0.0, math.pi, ngalaxies)
    src_pix = np.vstack([pix_star, pix_gal])
    xi, eta = cd @ src_pix.T
    src_ra, src_dec = alg.tan_deproject(xi, eta, ra, dec)
    mags = np.concatenate([star_mag, gal_mag])
    pixar_sr = (pixel_scale * math.pi / 180.0 / 3600.0) ** 2
    flux_jy = 3631.0 * 10.0 ** (-0.4 * mags)
    flux_sum = flux_jy * 1e-6 / pixar_sr  # summed MJy/sr over pixels
    is_star = np.arange(nstars + ngalaxies) < nstars

    sources = Table()
    sources["id"] = np.arange(1, nstars + ngalaxies + 1, dtype=np.int32)
    sources["type"] = np.where(is_star, "star", "galaxy")
    sources["RA"] = src_ra
    sources["DEC"] = src_dec
    sources["mag_ab"] = mags
    sources["flux_jy"] = flux_jy
    sources["flux"] = flux_sum
    sources["r_eff"] = np.concatenate([np.zeros(nstars), gal_reff])
    sources["axis_ratio"] = np.concatenate([np.ones(nstars), gal_q])
    sources["theta"] = np.concatenate([np.zeros(nstars), gal_theta])
    for name, unit in (("RA", "deg"), ("DEC", "deg"), ("mag_ab", "mag"), ("flux_jy", "Jy"),
                       ("flux", "MJy/sr"), ("r_eff", "pix"), ("theta", "rad")):
        sources[name].unit = unit
    sources.meta["comments"] = [
        "jwcal simulate images truth: every injected source.",
        "flux = sum of the noiseless SCI (MJy/sr) over pixels;",
        "x_k/y_k: 0-based true pixel position in exposure k.",
    ]

    exposures, truth_exposures, true_headers, header_wcs, errors = [], [], [], [], []
    labels_all, models, members = [], [], []
    gal = ~is_star
    for k in range(nexposures):
        rng = np.random.default_rng(streams[3 + k])
        # true pointing: the sky moves by -offset on the detector
        pxi, peta = cd @ offsets[k]
        crval = alg.tan_deproject(pxi, peta, ra, dec)
        crval = (float(crval[0]), float(crval[1]))
        true_hdr = _wcs_header(crval, crpix, cd, sip_a, sip_b, sip_ap, sip_bp)
        true_wcs = WCS(true_hdr)
        x, y = true_wcs.all_world2pix(src_ra, src_dec, 0)
        sources[f"x_{k + 1}"] = x
        sources[f"y_{k + 1}"] = y

        # header WCS: shifted and rolled about the reference pixel
        amount = rng.uniform(wcs_error_min, wcs_error_max)
        direction = rng.uniform(0.0, 2.0 * math.pi)
        d_xi, d_eta = amount * math.sin(direction), amount * math.cos(direction)
        d_roll = rng.uniform(-roll_error_max, roll_error_max)
        txi, teta = alg.tan_project(crval[0], crval[1], ra, dec)
        hcrval = alg.tan_deproject(txi + d_xi * ARCSEC, teta + d_eta * ARCSEC, ra, dec)
        hcrval = (float(hcrval[0]), float(hcrval[1]))
        hcd = alg.rotation(d_roll) @ cd
        head_hdr = _wcs_header(hcrval, crpix, hcd, sip_a, sip_b, sip_ap, sip_bp)
        error = {"dra_arcsec": d_xi, "ddec_arcsec": d_eta, "offset_arcsec": amount, "droll_deg": d_roll}

        # noiseless model, MJy/sr
        model = np.full(shape, float(background))
        to_sb = photmjsr / (GAIN * exptime)  # electrons -> MJy/sr
        sky_noise = math.sqrt(background / to_sb + read_noise**2) * to_sb  # one sky pixel, MJy/sr
        model += alg.render_points(shape, x[is_star], y[is_star], flux_sum[is_star], fwhm=fwhm, psf=psf,
                                   edge_level=0.1 * sky_noise)
        model += alg.render_galaxies(shape, x[gal], y[gal], flux_sum[gal], gal_reff, gal_q, gal_theta,
                                     fwhm=fwhm)
        rate_e = model / photmjsr * GAIN  # e-/s
        electrons = rng.poisson(rate_e * exptime).astype(np.float64)
        electrons += read_noise * rng.standard_normal(shape)
        model32 = model.astype(np.float32)
        del model
        ncr = rng.poisson(cr_density * ny * nx / 1e6)
        charge, labels = alg.cosmic_rays(rng, shape, int(ncr), min_charge=1000.0, max_charge=50000.0)
        sci = (electrons + charge) * to_sb * flat_pattern
        var_poisson = rate_e * exptime * to_sb**2
        var_rnoise = np.full(shape, (read_noise * to_sb) ** 2, dtype=np.float32)
        var_flat = (model32 * np.float32(flat_error)) ** 2
        err = np.sqrt(var_poisson + var_rnoise + var_flat)
        del electrons, charge
        dqarr = bad.copy()
        if full_well > 0:
            dqarr[rate_e * TGROUP > full_well] |= dq.SATURATED | dq.DO_NOT_USE
        unusable = (dqarr & dq.DO_NOT_USE) != 0
        arrays = {"SCI": sci, "ERR": err, "VAR_POISSON": var_poisson, "VAR_RNOISE": var_rnoise,
                  "VAR_FLAT": var_flat}
        for name in arrays:
            arrays[name] = arrays[name].astype(np.float32, copy=False)
            arrays[name][unusable] = np.nan

        root = f"jw{PROGRAM}{OBSERVTN}{VISIT}_{VISITGRP}{SEQ_ID}{ACT_ID}_{k + 1:05d}_{detector.lower()}"
        start = MJD0 + k * (exptime + 240.0) / 86400.0
        primary = _primary(root, k, nexposures, start, exptime, ra, dec, filter, detector, seed, ny, nx,
                           dither_size)
        sci_header = _sci_header(head_hdr, pa_aper + d_roll, photmjsr, pixar_sr, pixel_scale, start, exptime,
                                 shape)
        exposure = Exposure([HDU(header=primary, kind="image"),
                             HDU.image("SCI", arrays["SCI"], sci_header),
                             HDU.image("ERR", arrays["ERR"], _unit_header()),
                             HDU.image("DQ", dqarr),
                             HDU.image("VAR_POISSON", arrays["VAR_POISSON"], _unit_header(squared=True)),
                             HDU.image("VAR_RNOISE", arrays["VAR_RNOISE"], _unit_header(squared=True)),
                             HDU.image("VAR_FLAT", arrays["VAR_FLAT"], _unit_header(squared=True))],
                            source=f"{root}_cal.fits")
        exposures.append(exposure)

        truth_primary = fits.Header()
        truth_primary["FILENAME"] = f"{root}_truth_wcs.fits"
        truth_primary["CALFILE"] = f"{root}_cal.fits"
        truth_primary["WCSDRA"] = (d_xi, "[arcsec] header - true, RA*cos(Dec) at CRPIX")
        truth_primary["WCSDDEC"] = (d_eta, "[arcsec] header - true, Dec at CRPIX")
        truth_primary["WCSDOFF"] = (amount, "[arcsec] header - true, total offset")
        truth_primary["WCSDROLL"] = (d_roll, "[deg] header - true roll")
        truth_primary["NCR"] = (int(ncr), "number of injected residual cosmic rays")
        truth_primary["SEED"] = (seed, "jwcal simulate images --seed")
        truth_primary["COMMENT"] = "The true WCS is in the headers of MODEL and CRMASK."
        crmask_header = true_hdr.copy()
        crmask_header["COMMENT"] = "1-based id of the cosmic-ray event hitting each pixel, 0 = none"
        model_header = true_hdr.copy()
        model_header["BUNIT"] = "MJy/sr"
        model_header["COMMENT"] = "Noiseless SCI: sources + background, before noise, flat error and CRs"
        truth_exposures.append(Exposure([HDU(header=truth_primary, kind="image"),
                                         HDU.image("CRMASK", labels, crmask_header),
                                         HDU.image("MODEL", model32, model_header)],
                                        source=f"{root}_truth_wcs.fits"))
        true_headers.append(true_hdr)
        header_wcs.append(head_hdr)
        errors.append(error)
        labels_all.append(labels)
        models.append(model32)
        members.append({"expname": f"{root}_cal.fits", "exptype": "science", "exposerr": None})

    refcat = _refcat(rng_catalog, sources[is_star], refcat_maglim)
    product = f"jw{PROGRAM}-o{OBSERVTN}_t001_nircam_clear-{filter.lower()}"
    association = {
        "asn_type": "image3",
        "asn_rule": "candidate_Asn_Lv3Image",
        "version_id": None,
        "code_version": "jwcal-simulate",
        "degraded_status": "No known degraded exposures in association.",
        "program": PROGRAM,
        "constraints": "No constraints",
        "asn_id": f"o{OBSERVTN}",
        "target": "t001",
        "asn_pool": f"jw{PROGRAM}_00000000t000000_pool",
        "products": [{"name": product, "members": members}],
    }
    truth = {"sources": sources, "wcs": true_headers, "header_wcs": header_wcs, "wcs_error": errors,
             "cr_labels": labels_all, "model": models}
    return {"exposures": exposures, "association": association,
            "association_name": f"jw{PROGRAM}-o{OBSERVTN}_image3_00001_asn.json",
            "refcat": refcat, "truth": truth, "truth_exposures": truth_exposures}


def _check(*, nexposures, ny, nx, psf, fwhm, exptime, pixel_scale, wcs_error_min, wcs_error_max, nstars,
           ngalaxies, background, read_noise, photmjsr):
    if nexposures < 1:
        raise UsageError("nexposures must be at least 1")
    if ny < 16 or nx < 16:
        raise UsageError(f"size {ny}x{nx} is too small (at least 16x16)")
    if psf not in ("moffat", "gaussian"):
        raise UsageError(f"psf must be 'moffat' or 'gaussian', not {psf!r}")
    if fwhm <= 0 or exptime <= 0 or pixel_scale <= 0 or photmjsr <= 0:
        raise UsageError("fwhm, exptime, pixel_scale and photmjsr must be positive")
    if not 0 <= wcs_error_min <= wcs_error_max:
        raise UsageError("need 0 <= wcs_error_min <= wcs_error_max")
    if (nstars or 0) < 0 or (ngalaxies or 0) < 0 or background < 0 or read_noise < 0:
        raise UsageError("nstars, ngalaxies, background and read_noise must not be negative")


def _dither_offsets(n: int, size: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) detector (x, y) pixel offsets: a 4-point box with sub-pixel steps, then jittered repeats."""
    box = np.array([[0.0, 0.0], [0.55, 0.35], [0.15, 0.8], [0.7, -0.25]])
    subpix = np.array([[0.0, 0.0], [0.5, 0.5], [0.25, 0.75], [0.75, 0.25]])
    out = np.empty((n, 2))
    for k in range(n):
        out[k] = box[k % 4] * size + subpix[k % 4]
        if k >= 4:
            out[k] += rng.uniform(-0.25, 0.25, 2) * size
    return out - out.mean(axis=0)


def _power_law_mags(rng, n, lo, hi, slope):
    """Magnitudes with dN/dm proportional to 10**(slope*m) in [lo, hi]."""
    a, b = 10.0 ** (slope * lo), 10.0 ** (slope * hi)
    return np.log10(a + (b - a) * rng.random(n)) / slope


def _wcs_header(crval, crpix, cd, a, b, ap, bp) -> fits.Header:
    h = fits.Header()
    h["WCSAXES"] = 2
    h["CRPIX1"], h["CRPIX2"] = crpix
    h["CRVAL1"], h["CRVAL2"] = crval
    h["CTYPE1"], h["CTYPE2"] = "RA---TAN-SIP", "DEC--TAN-SIP"
    h["CUNIT1"], h["CUNIT2"] = "deg", "deg"
    h["CD1_1"], h["CD1_2"] = float(cd[0, 0]), float(cd[0, 1])
    h["CD2_1"], h["CD2_2"] = float(cd[1, 0]), float(cd[1, 1])
    h["RADESYS"] = "ICRS"
    order = a.shape[0] - 1
    h["A_ORDER"], h["B_ORDER"] = order, order
    for name, coeffs, low in (("A", a, 2), ("B", b, 2), ("AP", ap, 0), ("BP", bp, 0)):
        if name == "AP":
            h["AP_ORDER"], h["BP_ORDER"] = ap.shape[0] - 1, bp.shape[0] - 1
        size = coeffs.shape[0] - 1
        for p in range(size + 1):
            for q in range(size + 1 - p):
                if p + q >= low:
                    h[f"{name}_{p}_{q}"] = float(coeffs[p, q])
    return h


def _primary(root, k, n, start, exptime, ra, dec, filt, detector, seed, ny, nx, dither_size) -> fits.Header:
    from astropy.time import Time

    end = start + exptime / 86400.0
    t0 = Time(start, format="mjd", scale="utc")
    h = fits.Header()
    h["DATE"] = (t0.isot, "UTC date file created")
    h["ORIGIN"] = "jwcal"
    h["TIMESYS"] = "UTC"
    h["FILENAME"] = f"{root}_cal.fits"
    h["FILETYPE"] = "calibrated"
    h["DATAMODL"] = "ImageModel"
    h["TELESCOP"] = "JWST"
    h["CAL_VER"] = "jwcal-sim"
    h["SIMULATE"] = (True, "jwcal simulate images")
    h["SIMSEED"] = (seed, "jwcal simulate images --seed")
    h["PROGRAM"] = PROGRAM
    h["OBSERVTN"] = OBSERVTN
    h["VISIT"] = VISIT
    h["VISITGRP"] = VISITGRP
    h["SEQ_ID"] = SEQ_ID
    h["ACT_ID"] = ACT_ID
    h["EXPOSURE"] = f"{k + 1:05d}"
    h["TEMPLATE"] = "NIRCam Imaging"
    h["OBSLABEL"] = "jwcal simulated dithers"
    h["VISITYPE"] = "PRIME_TARGETED_FIXED"
    h["TARGPROP"] = "SIMFIELD"
    h["TARGNAME"] = "SIMFIELD"
    h["TARG_RA"] = (ra, "[deg] Target RA at mid time of exposure")
    h["TARG_DEC"] = (dec, "[deg] Target Dec at mid time of exposure")
    h["PROP_RA"] = ra
    h["PROP_DEC"] = dec
    h["MU_RA"] = 0.0
    h["MU_DEC"] = 0.0
    h["MU_EPOCH"] = "2000-01-01 00:00:00"
    h["INSTRUME"] = "NIRCAM"
    h["DETECTOR"] = detector.upper()
    h["MODULE"] = detector.upper()[3] if len(detector) > 3 else "B"
    h["CHANNEL"] = "SHORT"
    h["FILTER"] = filt.upper()
    h["PUPIL"] = "CLEAR"
    h["EXP_TYPE"] = "NRC_IMAGE"
    h["READPATT"] = "MEDIUM8"
    h["NINTS"] = 1
    h["NGROUPS"] = 10
    h["NFRAMES"] = 8
    h["GROUPGAP"] = 2
    h["SUBARRAY"] = "FULL" if (ny, nx) == (2048, 2048) else "GENERIC"
    h["SUBSTRT1"], h["SUBSTRT2"] = 1, 1
    h["SUBSIZE1"], h["SUBSIZE2"] = nx, ny
    h["FASTAXIS"], h["SLOWAXIS"] = -1, 2
    h["EXPSTART"] = (start, "[d] exposure start time in MJD")
    h["EXPMID"] = ((start + end) / 2.0, "[d] exposure mid time in MJD")
    h["EXPEND"] = (end, "[d] exposure end time in MJD")
    h["EFFEXPTM"] = (exptime, "[s] effective exposure time")
    h["DURATION"] = (exptime * 1.03, "[s] total duration of exposure")
    h["TMEASURE"] = (exptime, "[s] measurement time")
    h["EFFINTTM"] = exptime
    h["DATE-OBS"] = t0.isot[:10]
    h["TIME-OBS"] = t0.isot[11:]
    h["PATTTYPE"] = "INTRAMODULEBOX"
    h["PATT_NUM"] = k % 4 + 1
    h["NUMDTHPT"] = n
    h["PATTSIZE"] = "SIM"
    h["DITHSIZE"] = (float(dither_size), "[pix] jwcal simulated dither pattern size")
    for key in IMAGE2_STEPS:
        h[key] = "SKIPPED" if key in IMAGE2_SKIPPED else "COMPLETE"
    h["HISTORY"] = f"jwcal simulate images seed={seed} exposure {k + 1}/{n}"
    return h


def _sci_header(wcs_header, pa_aper, photmjsr, pixar_sr, pixel_scale, start, exptime, shape) -> fits.Header:
    h = fits.Header()
    h["BUNIT"] = "MJy/sr"
    h["PHOTMJSR"] = (photmjsr, "MJy/sr producing 1 DN/s")
    h["PHOTUJA2"] = (photmjsr * 1e12 / (180.0 / math.pi * 3600.0) ** 2,
                     "uJy/arcsec2 producing 1 DN/s")
    h["PIXAR_SR"] = (pixar_sr, "Nominal pixel area in steradians")
    h["PIXAR_A2"] = (pixel_scale**2, "Nominal pixel area in arcsec^2")
    from astropy.time import Time

    for key, mjd in (("BEG", start), ("AVG", start + exptime / 172800.0), ("END", start + exptime / 86400.0)):
        h[f"MJD-{key}"] = mjd
        h[f"DATE-{key}"] = Time(mjd, format="mjd", scale="utc").isot
    h["XPOSURE"] = exptime
    h["TELAPSE"] = exptime * 1.03
    h.extend(wcs_header, end=True)
    h["V2_REF"] = (-0.317, "[arcsec] V2 of the reference point")
    h["V3_REF"] = (-556.7, "[arcsec] V3 of the reference point")
    h["VPARITY"] = (-1, "Sense of rotation, Ideal xy vs V2V3")
    h["V3I_YANG"] = (0.0, "[deg] Direction angle in V3 (Y)")
    h["RA_REF"] = (wcs_header["CRVAL1"], "[deg] RA of the reference point")
    h["DEC_REF"] = (wcs_header["CRVAL2"], "[deg] Dec of the reference point")
    h["ROLL_REF"] = (pa_aper % 360.0, "[deg] V3 roll at the ref point (N over E)")
    h["PA_APER"] = (pa_aper % 360.0, "[deg] Position angle of aperture used")
    h["S_REGION"] = _s_region(wcs_header, shape)
    return h


def _s_region(header, shape) -> str:
    ny, nx = shape
    wcs = WCS(header)
    corners = np.array([[-0.5, -0.5], [nx - 0.5, -0.5], [nx - 0.5, ny - 0.5], [-0.5, ny - 0.5]])
    sky = wcs.all_pix2world(corners, 0)
    return "POLYGON ICRS " + " ".join(f"{a:.9f} {d:.9f}" for a, d in sky)


def _unit_header(squared: bool = False) -> fits.Header:
    h = fits.Header()
    h["BUNIT"] = units.squared("MJy/sr") if squared else "MJy/sr"
    return h


def _refcat(rng, stars: Table, maglim: float) -> Table:
    """Gaia-like absolute catalog: stars brighter than ``maglim`` with per-star catalog noise."""
    bright = stars[stars["mag_ab"] < maglim]
    err = alg.refcat_errors(np.asarray(bright["mag_ab"]))  # mas per coordinate
    dra = rng.standard_normal(len(bright)) * err
    ddec = rng.standard_normal(len(bright)) * err
    dec = np.asarray(bright["DEC"]) + ddec / 3.6e6
    ra = np.asarray(bright["RA"]) + dra / 3.6e6 / np.cos(np.radians(np.asarray(bright["DEC"])))
    cat = Table()
    cat["RA"] = ra
    cat["DEC"] = dec
    cat["ra_error"] = err
    cat["dec_error"] = err
    cat["mag"] = np.asarray(bright["mag_ab"])
    cat["objID"] = np.asarray(bright["id"])
    cat["epoch"] = np.full(len(bright), 2024.27)
    cat["RA"].unit = "deg"
    cat["DEC"].unit = "deg"
    cat["ra_error"].unit = "mas"
    cat["dec_error"].unit = "mas"
    cat["mag"].unit = "mag"
    cat.meta["comments"] = [
        "jwcal simulate images: Gaia-like absolute reference catalog",
        "(subset of the truth stars, with catalog noise).",
        "ra_error is the error of RA*cos(Dec); objID is the id in truth.ecsv.",
    ]
    return cat
