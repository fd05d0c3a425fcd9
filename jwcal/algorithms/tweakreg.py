"""Source detection, centroiding, catalog matching and linear fits for astrometric alignment.

Pure numpy/scipy. Pixel coordinates are 0-based (x = column, y = row). Tangent-plane coordinates
are gnomonic standard coordinates (xi toward +RA/East, eta toward +Dec/North) in arcsec about a
tangent point, as jwst's tweakreg uses for JWST imaging.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from jwcal import methods

ARCSEC_PER_RAD = 180.0 / math.pi * 3600.0
FIT_GEOMETRIES = methods.FIT_GEOMETRIES
MIN_POINTS = {"shift": 1, "rshift": 2, "rscale": 2, "general": 3}

# ----------------------------------------------------------------------------------------------
# Background and detection


def background(data, mask, boxsize=400, nsigma=3.0, iterations=5):
    """Estimate a smooth background and a scalar noise from unmasked pixels.

    Sigma-clipped medians in boxes of ``boxsize`` pixels (one box when the image is smaller),
    3x3-median filtered and bilinearly interpolated onto the image.

    Parameters
    ----------
    data : ndarray, shape (ny, nx)
        Image; NaN pixels are ignored.
    mask : ndarray of bool, shape (ny, nx)
        True where pixels must be ignored.
    boxsize : int
        Box size in pixels.
    nsigma : float
        Clipping threshold.
    iterations : int
        Clipping iterations.

    Returns
    -------
    bkg : ndarray, shape (ny, nx), float64
        Background.
    rms : float
        Median of the clipped standard deviations of the boxes (same units as ``data``).
    """
    data = np.asarray(data, dtype=np.float64)
    ny, nx = data.shape
    good = ~np.asarray(mask, dtype=bool) & np.isfinite(data)
    nby = max(1, round(ny / boxsize))
    nbx = max(1, round(nx / boxsize))
    ey = np.linspace(0, ny, nby + 1).astype(int)
    ex = np.linspace(0, nx, nbx + 1).astype(int)
    med = np.full((nby, nbx), np.nan)
    std = np.full((nby, nbx), np.nan)
    for j in range(nby):
        for i in range(nbx):
            vals = data[ey[j]:ey[j + 1], ex[i]:ex[i + 1]][good[ey[j]:ey[j + 1], ex[i]:ex[i + 1]]]
            m, s = _clipped_stats(vals, nsigma, iterations)
            med[j, i], std[j, i] = m, s
    if np.all(np.isnan(med)):
        return np.zeros_like(data), float("nan")
    fill = np.nanmedian(med)
    med = np.where(np.isnan(med), fill, med)
    if med.size > 1:
        med = ndimage.median_filter(med, size=3, mode="nearest")
    rms = float(np.nanmedian(std))
    if med.size == 1:
        return np.full_like(data, med[0, 0]), rms
    cy = (ey[:-1] + ey[1:]) / 2.0 - 0.5
    cx = (ex[:-1] + ex[1:]) / 2.0 - 0.5
    iy = np.interp(np.arange(ny), cy, np.arange(nby))
    ix = np.interp(np.arange(nx), cx, np.arange(nbx))
    yy, xx = np.meshgrid(iy, ix, indexing="ij")
    bkg = ndimage.map_coordinates(med, [yy, xx], order=1, mode="nearest")
    return bkg, rms


def _clipped_stats(values, nsigma, iterations):
    """Return the sigma-clipped median and standard deviation (NaN for no values)."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    for _ in range(iterations):
        m = np.median(values)
        s = np.std(values)
        keep = np.abs(values - m) <= nsigma * s
        if keep.all() or keep.sum() < 3:
            break
        values = values[keep]
    return float(np.median(values)), float(np.std(values))


def detect_sources(data, mask, *, snr_threshold=10.0, kernel_fwhm=2.5, brightest=200, peakmax=None,
                   bkg_boxsize=400, min_separation=2):
    """Find point sources and measure their centroids.

    The background-subtracted image (masked pixels set to 0) is smoothed with a Gaussian of FWHM
    ``kernel_fwhm``; local maxima of the smoothed image above ``snr_threshold`` times the noise
    of the smoothed image are candidates (at least ``min_separation`` px apart). Each is then
    centroided by an iterated Gaussian-windowed first moment (:func:`centroid`), which is unbiased
    for symmetric profiles whatever the sub-pixel phase.

    Parameters
    ----------
    data : ndarray, shape (ny, nx)
        Image (any unit; NaN allowed).
    mask : ndarray of bool, shape (ny, nx)
        True for pixels to ignore (DO_NOT_USE, NON_SCIENCE).
    snr_threshold : float
        Detection threshold in units of the smoothed-image noise.
    kernel_fwhm : float
        Gaussian FWHM in pixels.
    brightest : int or None
        Keep only this many sources, brightest (by flux) first.
    peakmax : float or None
        Reject sources whose peak pixel (background subtracted) is at or above this.
    bkg_boxsize : int
        Background box size in pixels.
    min_separation : int
        Minimum distance between peaks in pixels.

    Returns
    -------
    x, y : ndarray, shape (n,), float64
        0-based centroids.
    flux : ndarray, shape (n,), float64
        Sum of background-subtracted pixels within 2 FWHM (data units x pixels).
    peak : ndarray, shape (n,), float64
        Background-subtracted peak pixel value.
    """
    mask = np.asarray(mask, dtype=bool) | ~np.isfinite(data)
    bkg, rms = background(data, mask, boxsize=bkg_boxsize)
    sub = np.where(mask, 0.0, np.asarray(data, dtype=np.float64) - bkg)
    empty = np.zeros(0)
    if not np.isfinite(rms) or rms <= 0:
        return empty, empty, empty, empty
    sigma = kernel_fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    smooth = ndimage.gaussian_filter(sub, sigma, mode="constant", truncate=3.0)
    # noise of the smoothed image for white noise of rms `rms`: rms * sqrt(sum(k^2)), k normalised
    noise = rms / (2.0 * math.sqrt(math.pi) * sigma)
    size = 2 * max(int(min_separation), 1) + 1
    peaks = (smooth == ndimage.maximum_filter(smooth, size=size, mode="constant", cval=-np.inf))
    peaks &= smooth > snr_threshold * noise
    peaks &= ~mask
    yy, xx = np.nonzero(peaks)
    if yy.size == 0:
        return empty, empty, empty, empty
    peak = sub[yy, xx]
    if peakmax is not None:
        near = ndimage.maximum_filter(sub, size=3)[yy, xx]
        keep = near < peakmax
        yy, xx, peak = yy[keep], xx[keep], peak[keep]
    x, y, flux, ok = centroid(sub, mask, xx, yy, fwhm=kernel_fwhm)
    x, y, flux, peak = x[ok], y[ok], flux[ok], peak[ok]
    order = np.argsort(-flux, kind="stable")
    if brightest is not None:
        order = order[: int(brightest)]
    return x[order], y[order], flux[order], peak[order]


def centroid(image, mask, x0, y0, *, fwhm=2.5, iterations=20, tol=1e-5):
    """Gaussian-windowed iterated centroids (SExtractor XWIN-like) around integer guesses.

    Parameters
    ----------
    image : ndarray, shape (ny, nx)
        Background-subtracted image.
    mask : ndarray of bool, shape (ny, nx)
        True for pixels to ignore.
    x0, y0 : ndarray of int, shape (n,)
        Starting pixels.
    fwhm : float
        FWHM of the window in pixels (window sigma = fwhm / 2.3548).
    iterations : int
        Maximum iterations.
    tol : float
        Convergence in pixels.

    Returns
    -------
    x, y : ndarray, shape (n,)
        Centroids (0-based pixels).
    flux : ndarray, shape (n,)
        Sum of unmasked pixels within the stamp.
    ok : ndarray of bool, shape (n,)
        False when the centroid moved out of its stamp, the stamp touches masked pixels at its
        core, or the weights were not positive.
    """
    ny, nx = image.shape
    half = max(2, math.ceil(2.0 * fwhm))
    offs = np.arange(-half, half + 1)
    x0 = np.asarray(x0, dtype=np.int64)
    y0 = np.asarray(y0, dtype=np.int64)
    n = x0.size
    px = x0[:, None] + offs[None, :]
    py = y0[:, None] + offs[None, :]
    inside = ((px[:, None, :] >= 0) & (px[:, None, :] < nx) & (py[:, :, None] >= 0) & (py[:, :, None] < ny))
    cpx = np.clip(px, 0, nx - 1)
    cpy = np.clip(py, 0, ny - 1)
    stamp = image[cpy[:, :, None], cpx[:, None, :]]
    smask = mask[cpy[:, :, None], cpx[:, None, :]] | ~inside
    stamp = np.where(smask, 0.0, stamp)
    gx = np.broadcast_to(px[:, None, :], stamp.shape).astype(np.float64)
    gy = np.broadcast_to(py[:, :, None], stamp.shape).astype(np.float64)
    s2 = (fwhm / 2.3548) ** 2
    x = x0.astype(np.float64)
    y = y0.astype(np.float64)
    ok = np.ones(n, dtype=bool)
    for _ in range(iterations):
        dx = gx - x[:, None, None]
        dy = gy - y[:, None, None]
        w = np.exp(-(dx * dx + dy * dy) / (2.0 * s2)) * stamp
        sw = w.sum(axis=(1, 2))
        good = sw > 0
        sw = np.where(good, sw, 1.0)
        stepx = 2.0 * (w * dx).sum(axis=(1, 2)) / sw
        stepy = 2.0 * (w * dy).sum(axis=(1, 2)) / sw
        stepx = np.clip(np.where(good, stepx, 0.0), -1.0, 1.0)
        stepy = np.clip(np.where(good, stepy, 0.0), -1.0, 1.0)
        ok &= good
        x = x + stepx
        y = y + stepy
        if np.all(np.hypot(stepx, stepy) < tol):
            break
    ok &= (np.abs(x - x0) < half - 1) & (np.abs(y - y0) < half - 1)
    core = smask[:, half - 1:half + 2, half - 1:half + 2].any(axis=(1, 2))
    ok &= ~core
    flux = stamp.sum(axis=(1, 2))
    ok &= flux > 0
    return x, y, flux, ok


# ----------------------------------------------------------------------------------------------
# Tangent plane


def sky_to_tp(ra, dec, ra0, dec0):
    """Gnomonic projection of (ra, dec) about (ra0, dec0), all degrees, to arcsec (xi, eta).

    Returns
    -------
    xi, eta : ndarray
        Standard coordinates in arcsec (xi toward East, eta toward North).
    """
    ra = np.radians(np.asarray(ra, dtype=np.float64))
    dec = np.radians(np.asarray(dec, dtype=np.float64))
    a0, d0 = math.radians(ra0), math.radians(dec0)
    cosd = np.cos(dec)
    da = ra - a0
    den = math.sin(d0) * np.sin(dec) + math.cos(d0) * cosd * np.cos(da)
    xi = cosd * np.sin(da) / den
    eta = (math.cos(d0) * np.sin(dec) - math.sin(d0) * cosd * np.cos(da)) / den
    return xi * ARCSEC_PER_RAD, eta * ARCSEC_PER_RAD


def tp_to_sky(xi, eta, ra0, dec0):
    """Inverse of :func:`sky_to_tp`; returns (ra, dec) in degrees (ra in [0, 360))."""
    xi = np.asarray(xi, dtype=np.float64) / ARCSEC_PER_RAD
    eta = np.asarray(eta, dtype=np.float64) / ARCSEC_PER_RAD
    a0, d0 = math.radians(ra0), math.radians(dec0)
    den = math.cos(d0) - eta * math.sin(d0)
    ra = a0 + np.arctan2(xi, den)
    dec = np.arctan2(math.sin(d0) + eta * math.cos(d0), np.hypot(xi, den))
    return np.degrees(ra) % 360.0, np.degrees(dec)


# ----------------------------------------------------------------------------------------------
# Matching


def estimate_shift_2dhist(img, ref, searchrad, pscale=1.0):
    """Most common offset ``img - ref`` among all pairs closer than ``searchrad`` (tweakwcs-like).

    Offsets of all pairs within ``(r + 0.5) * sqrt(2)`` (``r = searchrad / pscale`` bins) are
    histogrammed in 1-``pscale`` bins over ``[-ceil(r) - 0.5, ceil(r) + 0.5]``; the peak is refined by a
    quadratic surface fitted to the 5x5 bins around it (center of mass as fallback).

    Parameters
    ----------
    img, ref : ndarray, shape (n, 2), (m, 2)
        Positions (same units as ``searchrad``).
    searchrad : float
        Search radius.
    pscale : float
        Histogram bin size.

    Returns
    -------
    offset : ndarray, shape (2,)
        Estimated ``img - ref`` offset (0, 0 when no pair is found).
    npeak : int
        Number of pairs in the peak bin.
    """
    img = np.asarray(img, dtype=np.float64) / pscale
    ref = np.asarray(ref, dtype=np.float64) / pscale
    r = searchrad / pscale
    nr = math.ceil(r)
    if len(img) == 0 or len(ref) == 0:
        return np.zeros(2), 0
    tree = cKDTree(ref)
    pairs = tree.query_ball_point(img, (r + 0.5) * math.sqrt(2.0))
    counts = np.fromiter((len(p) for p in pairs), dtype=np.int64, count=len(pairs))
    if counts.sum() == 0:
        return np.zeros(2), 0
    ii = np.repeat(np.arange(len(img)), counts)
    jj = np.fromiter((j for p in pairs for j in p), dtype=np.int64, count=int(counts.sum()))
    d = img[ii] - ref[jj]
    edges = np.arange(-nr - 0.5, nr + 1.5, 1.0)
    hist, _, _ = np.histogram2d(d[:, 0], d[:, 1], bins=[edges, edges])
    if hist.max() <= 0:
        return np.zeros(2), 0
    ix, iy = np.unravel_index(np.argmax(hist), hist.shape)
    npeak = int(hist[ix, iy])
    nb = hist.shape[0]
    if ix < 2 or iy < 2 or ix > nb - 3 or iy > nb - 3:
        return np.array([ix - nr, iy - nr], dtype=np.float64) * pscale, npeak
    box = hist[ix - 2:ix + 3, iy - 2:iy + 3]
    gx, gy = np.meshgrid(np.arange(-2, 3), np.arange(-2, 3), indexing="ij")
    gx, gy, z = gx.ravel().astype(float), gy.ravel().astype(float), box.ravel()
    a = np.column_stack([np.ones_like(gx), gx, gy, gx * gy, gx * gx, gy * gy])
    c = np.linalg.lstsq(a, z, rcond=None)[0]
    det = 4.0 * c[4] * c[5] - c[3] * c[3]
    if det > 0 and c[4] < 0:
        xm = (c[2] * c[3] - 2.0 * c[5] * c[1]) / det
        ym = (c[1] * c[3] - 2.0 * c[4] * c[2]) / det
    else:
        xm = ym = 2.0
    if not (abs(xm) <= 1.0 and abs(ym) <= 1.0):
        s = z.sum()
        xm, ym = (gx * z).sum() / s, (gy * z).sum() / s
    return np.array([ix - nr + xm, iy - nr + ym]) * pscale, npeak


def isolated(xy, separation):
    """Boolean mask of points with no other point closer than ``separation``."""
    if len(xy) < 2 or separation <= 0:
        return np.ones(len(xy), dtype=bool)
    d, _ = cKDTree(xy).query(xy, k=2)
    return d[:, 1] >= separation


def match_tolerance(img, ref, offset, tolerance, separation):
    """Pair each reference source with the nearest shifted input source within ``tolerance``.

    Sources closer than ``separation`` to another source of their own list are dropped first;
    each input source is used at most once (the closest reference wins).

    Parameters
    ----------
    img, ref : ndarray, shape (n, 2), (m, 2)
        Positions.
    offset : array_like, shape (2,)
        Expected ``img - ref`` offset.
    tolerance, separation : float
        Same units as the positions.

    Returns
    -------
    img_idx, ref_idx : ndarray of int, shape (k,)
        Indices of matched pairs.
    """
    img = np.asarray(img, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    none = np.zeros(0, dtype=np.int64)
    if len(img) == 0 or len(ref) == 0:
        return none, none
    ki = np.nonzero(isolated(img, separation))[0]
    kr = np.nonzero(isolated(ref, separation))[0]
    if ki.size == 0 or kr.size == 0:
        return none, none
    tree = cKDTree(img[ki] - np.asarray(offset, dtype=np.float64))
    dist, j = tree.query(ref[kr], k=1, distance_upper_bound=tolerance)
    found = np.isfinite(dist)
    ref_idx, img_idx, dist = kr[found], ki[j[found]], dist[found]
    order = np.argsort(dist, kind="stable")
    _, first = np.unique(img_idx[order], return_index=True)
    keep = np.sort(order[first])
    return img_idx[keep], ref_idx[keep]


# ----------------------------------------------------------------------------------------------
# Fit


def fit_linear(ref, img, fitgeometry="rshift", weights=None):
    """Least-squares ``ref ~ F @ img + s`` for one geometry (no clipping).

    Parameters
    ----------
    ref, img : ndarray, shape (n, 2)
        Matched positions.
    fitgeometry : {"shift", "rshift", "rscale", "general"}
        ``shift``: F = I; ``rshift``: F a rotation; ``rscale``: rotation times a scale;
        ``general``: any 2x2 matrix.
    weights : ndarray, shape (n,), optional
        Point weights.

    Returns
    -------
    matrix : ndarray, shape (2, 2)
    shift : ndarray, shape (2,)
    """
    ref = np.asarray(ref, dtype=np.float64)
    img = np.asarray(img, dtype=np.float64)
    w = np.ones(len(ref)) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    cr = w @ ref
    ci = w @ img
    x, y = (ref - cr).T
    u, v = (img - ci).T
    if fitgeometry == "shift":
        f = np.eye(2)
    elif fitgeometry in ("rshift", "rscale"):
        sxu, syv, sxv, syu = w @ (x * u), w @ (y * v), w @ (x * v), w @ (y * u)
        theta = math.atan2(sxv - syu, sxu + syv)
        c, s = math.cos(theta), math.sin(theta)
        f = np.array([[c, s], [-s, c]])
        if fitgeometry == "rscale":
            f *= ((sxu + syv) * c + (sxv - syu) * s) / (w @ (u * u + v * v))
    elif fitgeometry == "general":
        a = np.column_stack([u, v]) * np.sqrt(w)[:, None]
        b = np.column_stack([x, y]) * np.sqrt(w)[:, None]
        f = np.linalg.lstsq(a, b, rcond=None)[0].T
    else:
        raise ValueError(f"unknown fit geometry {fitgeometry!r}")
    return f, cr - f @ ci


def iter_fit(ref, img, fitgeometry="rshift", nclip=3, sigma=3.0, weights=None):
    """Fit with ``nclip`` rounds of sigma clipping on the vector residual ``|r| < sigma * rmse``.

    The clip mask is rebuilt from all points each round; clipping stops early when nothing is
    clipped or fewer than the geometry's minimum number of points would remain.

    Returns
    -------
    matrix : ndarray, shape (2, 2)
    shift : ndarray, shape (2,)
    used : ndarray of bool, shape (n,)
        Points kept by the last round.
    rmse : float
        Root mean square of ``|r|`` over the kept points.
    """
    ref = np.asarray(ref, dtype=np.float64)
    img = np.asarray(img, dtype=np.float64)
    n = len(ref)
    if n < MIN_POINTS[fitgeometry]:
        raise ValueError(f"{n} points are too few for a {fitgeometry!r} fit")
    used = np.ones(n, dtype=bool)
    wt = None if weights is None else np.asarray(weights, dtype=np.float64)
    f, s = fit_linear(ref, img, fitgeometry, wt)
    for _ in range(int(nclip or 0)):
        r = np.hypot(*(ref - (img @ f.T + s)).T)
        rmse = math.sqrt(np.mean(r[used] ** 2))
        new = r < sigma * rmse if rmse > 0 else np.ones(n, dtype=bool)
        if new.sum() < MIN_POINTS[fitgeometry] or np.array_equal(new, used):
            break
        used = new
        f, s = fit_linear(ref[used], img[used], fitgeometry, None if wt is None else wt[used])
    r = np.hypot(*(ref[used] - (img[used] @ f.T + s)).T)
    return f, s, used, float(math.sqrt(np.mean(r**2)))


def decompose(matrix):
    """Return (rotation in degrees, mean scale, skew in degrees) of a 2x2 tangent-plane matrix.

    The rotation is the angle by which ``matrix`` turns positions counter-clockwise in (xi, eta).
    """
    f = np.asarray(matrix, dtype=np.float64)
    rx = math.degrees(math.atan2(-f[0, 1], f[0, 0]))
    ry = math.degrees(math.atan2(f[1, 0], f[1, 1]))
    sx = math.hypot(f[0, 0], f[0, 1])
    sy = math.hypot(f[1, 0], f[1, 1])
    return -(rx + ry) / 2.0, math.sqrt(abs(sx * sy)), ry - rx
