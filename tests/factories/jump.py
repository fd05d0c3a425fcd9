"""Ramps with injected jumps, matching GAIN/READNOISE files, and a plain-numpy jump detector.

The numpy detector is written independently of the numba kernels (whole-array operations, the
order of operations of stcal's vectorised code) and is the oracle for tests/algorithms/test_jump.py.
"""

from __future__ import annotations

import warnings

import numpy as np
from astropy.io import fits

JUMP, SAT, DNU = 4, 2, 1


def ramp_cube(seed=0, nints=2, ngroups=6, ny=12, nx=13, rate=30.0, gain=2.0, readnoise=6.0, ncr=6,
              cr_amplitude=(200.0, 3000.0), nframes=1):
    """Return (data DN float32, groupdq uint8, gain, readnoise, truth list of (int, group, y, x)).

    Poisson + read noise (CDS read noise ``readnoise`` DN, so per-read noise readnoise/sqrt(2))
    on a ramp of ``rate`` DN/group; ``ncr`` jumps of uniform amplitude in DN added from a random
    group on, at distinct pixels.
    """
    rng = np.random.default_rng(seed)
    electrons = rng.poisson(rate * gain, size=(nints, ngroups, ny, nx)).cumsum(axis=1) / gain
    reads = rng.normal(0.0, readnoise / np.sqrt(2 * nframes), size=electrons.shape)
    data = (1000.0 + electrons + reads).astype(np.float32)
    truth = []
    pixels = rng.choice(ny * nx, size=ncr, replace=False)
    for p in pixels:
        y, x = divmod(int(p), nx)
        i = int(rng.integers(nints))
        g = int(rng.integers(1, ngroups))
        data[i, g:, y, x] += np.float32(rng.uniform(*cr_amplitude))
        truth.append((i, g, y, x))
    gdq = np.zeros(data.shape, np.uint8)
    return (data, gdq, np.full((ny, nx), gain, np.float32), np.full((ny, nx), readnoise, np.float32), truth)


def _header(primary, nints, ngroups, detector="NRCB1", instrument="NIRCAM", tgroup=10.737, nframes=1):
    primary["FILENAME"] = "jw01234001001_01101_00001_nrcb1_ramp.fits"
    primary["INSTRUME"], primary["DETECTOR"], primary["EXP_TYPE"] = instrument, detector, "NRC_IMAGE"
    primary["NINTS"], primary["NGROUPS"], primary["NFRAMES"] = nints, ngroups, nframes
    primary["GROUPGAP"], primary["TFRAME"], primary["TGROUP"] = 0, tgroup / nframes, tgroup
    primary["READPATT"] = "RAPID"
    primary["S_DQINIT"] = "COMPLETE"


def ramp_hdulist(data, gdq, pixeldq=None, **header):
    """A `_ramp`-layout HDUList (SCI float32 4-D, PIXELDQ, GROUPDQ) without SUBSTRT keywords."""
    primary = fits.PrimaryHDU()
    _header(primary.header, data.shape[0], data.shape[1], **header)
    primary.header["SUBARRAY"] = "SUB"
    primary.header["SUBSTRT1"], primary.header["SUBSTRT2"] = 1, 1
    primary.header["SUBSIZE1"], primary.header["SUBSIZE2"] = data.shape[3], data.shape[2]
    if pixeldq is None:
        pixeldq = np.zeros(data.shape[2:], np.uint32)
    return fits.HDUList([
        primary,
        fits.ImageHDU(data.astype(np.float32), name="SCI"),
        fits.ImageHDU(pixeldq.astype(np.uint32), name="PIXELDQ"),
        fits.ImageHDU(gdq.astype(np.uint8), name="GROUPDQ"),
    ])


def reference_hdulist(array, reftype, detector="NRCB1", instrument="NIRCAM"):
    """A GAIN or READNOISE reference file covering the ramp (SUBSTRT 1,1)."""
    primary = fits.PrimaryHDU()
    primary.header["REFTYPE"] = reftype
    primary.header["INSTRUME"], primary.header["DETECTOR"] = instrument, detector
    primary.header["SUBSTRT1"], primary.header["SUBSTRT2"] = 1, 1
    primary.header["SUBSIZE1"], primary.header["SUBSIZE2"] = array.shape[1], array.shape[0]
    return fits.HDUList([primary, fits.ImageHDU(np.asarray(array, np.float32), name="SCI")])


# ----------------------------------------------------------------------------------------------
# Plain-numpy oracle


def _clipped_median(values):
    """values: (n, npix) with NaNs. Max dropped (>=4 usable), min (2 usable), NaN (<2)."""
    values = values.copy()
    usable = np.sum(~np.isnan(values), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        top = np.nanmax(values, axis=0)
        values[(values == top) & (usable >= 4)] = np.nan
        med = np.nanmedian(values, axis=0)
        med = np.where(usable == 2, np.nanmin(values, axis=0), med)
    return np.where(usable < 2, np.nan, med)


def numpy_two_point(data, gdq, gain, readnoise, *, nframes=1, mode="iterative", thr4=4.0, thr3=5.0,
                    thr2=6.0, flag_4_neighbors=True, nbr_min=10.0, nbr_max=1000.0, e1=0.0, n1=0,
                    e2=0.0, n2=0):
    """Return (groupdq, n_primary) by plain numpy; ``mode`` 'iterative', 'single' or 'sigclip'."""
    nints, ngroups, ny, nx = data.shape
    e = data.astype(np.float32) * gain.astype(np.float32)  # float32 like the kernel and stcal
    e[(gdq & (SAT | DNU)) != 0] = np.nan
    diffs = np.diff(e, axis=1).astype(np.float64).reshape(nints * (ngroups - 1), ny * nx)
    rn = (readnoise.astype(np.float32) * gain.astype(np.float32)).astype(np.float64)
    rn2 = rn.reshape(-1) ** 2 / nframes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(diffs, axis=0)
    sigma = np.sqrt(np.abs(med) + rn2)
    sigma[sigma == 0] = np.nan
    flags = np.zeros(diffs.shape, bool)
    if mode == "iterative":
        work = np.abs(diffs)
        for _ in range(diffs.shape[0]):
            usable = np.sum(~np.isnan(work), axis=0)
            m = _clipped_median(work)
            s = np.sqrt(np.abs(m) + rn2)
            s[s == 0] = np.nan
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                ratio = np.abs(work - m) / s
                best = np.nanmax(ratio, axis=0)
            thr = np.select([usable >= 4, usable == 3, usable == 2], [thr4, thr3, thr2], np.inf)
            hit = (best > thr)[None, :] & (ratio == best)
            if not hit.any():
                break
            flags |= hit
            work[hit] = np.nan
    elif mode == "single":
        with np.errstate(invalid="ignore"):
            flags = np.abs(diffs - med) / sigma > thr4
    else:
        from astropy.stats import sigma_clip

        cube = diffs.reshape(nints, ngroups - 1, ny * nx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clipped = sigma_clip(cube, sigma=thr4, axis=0, masked=True)
        flags = (clipped.mask & np.isfinite(cube)).reshape(diffs.shape)
    out = gdq.copy()
    view = out[:, 1:].reshape(nints * (ngroups - 1), ny * nx)
    ok = (view & (SAT | DNU)) == 0
    view |= np.where(flags & ok, JUMP, 0).astype(np.uint8)
    out[:, 1:] = view.reshape(nints, ngroups - 1, ny, nx)
    if mode == "sigclip":
        for i in range(nints):
            for g in range(ngroups):
                if np.all(out[i, g] & (JUMP | DNU) != 0):
                    out[i, g][out[i, g] == JUMP] = 0
    n_primary = int(np.count_nonzero(out & JUMP))
    with np.errstate(invalid="ignore"):
        ratio = (np.abs(diffs - med) / sigma).reshape(nints, ngroups - 1, ny, nx)
        ejump = (diffs - med).reshape(nints, ngroups - 1, ny, nx)
    if flag_4_neighbors:
        for i in range(nints):
            for j in range(ngroups - 1):
                src = (ratio[i, j] > nbr_min) & (ratio[i, j] < nbr_max) & (out[i, j + 1] & JUMP != 0)
                grown = src.copy()
                grown[1:] |= src[:-1]
                grown[:-1] |= src[1:]
                grown[:, 1:] |= src[:, :-1]
                grown[:, :-1] |= src[:, 1:]
                out[i, j + 1][grown & ((out[i, j + 1] & (SAT | DNU)) == 0)] |= JUMP
    if n1 > 0 or n2 > 0:
        for i in range(nints):
            jumped = out[i] & JUMP != 0
            add = np.zeros(jumped.shape, bool)
            for thr, n in ((e1, n1), (e2, n2)):
                with np.errstate(invalid="ignore"):
                    big = np.zeros(jumped.shape, bool)
                    big[1:] = (ejump[i] >= thr) & jumped[1:]
                for g in np.flatnonzero(big.any(axis=(1, 2))):
                    add[g + 1:g + 1 + n] |= big[g]
            out[i][add & ((out[i] & (SAT | DNU)) == 0)] |= JUMP
    out[(out & JUMP != 0) & (out & (SAT | DNU) != 0)] &= np.uint8(~JUMP & 0xFF)
    return out, n_primary


# ----------------------------------------------------------------------------------------------
# MIRI showers


def shower_cube(seed=0, nints=2, ngroups=8, ny=128, nx=128, rate=20.0, gain=4.0, readnoise=8.0, shower=True,
                centre=(64, 60), sigma=12.0, peak=40.0, group=4, integration=0):
    """Return (data DN float32, groupdq, gain, readnoise, footprint bool (ny, nx)).

    A flat ramp of ``rate`` DN/group plus, if ``shower``, a faint Gaussian halo (``peak`` DN,
    ``sigma`` px, truncated at 2 sigma = the footprint) added from ``group`` on in ``integration``.
    """
    data, gdq, gain_2d, rn_2d, _ = ramp_cube(seed, nints=nints, ngroups=ngroups, ny=ny, nx=nx, rate=rate,
                                             gain=gain, readnoise=readnoise, ncr=0)
    yy, xx = np.mgrid[:ny, :nx]
    r = np.hypot(yy - centre[0], xx - centre[1])
    footprint = r < 2 * sigma
    if shower:
        halo = np.where(footprint, peak * np.exp(-0.5 * (r / sigma) ** 2), 0.0)
        data[integration, group:] += halo.astype(np.float32)
    return data, gdq, gain_2d, rn_2d, footprint


def numpy_masked_convolve(image, kernel):
    """Plain-loop reference of the NaN-aware convolution (outside the image: valid zeros)."""
    ny, nx = image.shape
    k = kernel.shape[0] // 2
    out = np.full(image.shape, np.nan)
    for y in range(ny):
        for x in range(nx):
            if not np.isfinite(image[y, x]):
                continue
            total = norm = 0.0
            for dy in range(-k, k + 1):
                for dx in range(-k, k + 1):
                    w = kernel[k + dy, k + dx]
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < ny and 0 <= xx < nx:
                        if np.isfinite(image[yy, xx]):
                            total += w * image[yy, xx]
                            norm += w
                    else:
                        norm += w
            if norm > 1e-3 * kernel.mean():
                out[y, x] = total / norm
    return out
