"""Pure numerics of ``jwcal simulate images``: tangent-plane geometry, SIP polynomials, source rendering.

Angles are in degrees unless a name says otherwise, tangent-plane (standard) coordinates ``xi``
(toward +RA/East) and ``eta`` (toward +Dec/North) in degrees, pixel coordinates 0-based with the
centre of the first pixel at 0.0 (numpy ``[y, x]`` indexing of images).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

# ----------------------------------------------------------------------------------------------
# Gnomonic (TAN) projection about (ra0, dec0)


def tan_project(ra, dec, ra0: float, dec0: float):
    """Return standard coordinates (xi, eta) in degrees of (ra, dec) about the tangent point.

    Parameters
    ----------
    ra, dec : array_like
        Sky positions, degrees (any matching shape).
    ra0, dec0 : float
        Tangent point, degrees.

    Returns
    -------
    xi, eta : numpy.ndarray
        Same shape as the inputs, degrees.
    """
    ra = np.radians(np.asarray(ra, dtype=float))
    dec = np.radians(np.asarray(dec, dtype=float))
    a0, d0 = math.radians(ra0), math.radians(dec0)
    cosc = math.sin(d0) * np.sin(dec) + math.cos(d0) * np.cos(dec) * np.cos(ra - a0)
    xi = np.cos(dec) * np.sin(ra - a0) / cosc
    eta = (math.cos(d0) * np.sin(dec) - math.sin(d0) * np.cos(dec) * np.cos(ra - a0)) / cosc
    return np.degrees(xi), np.degrees(eta)


def tan_deproject(xi, eta, ra0: float, dec0: float):
    """Inverse of :func:`tan_project`: (xi, eta) in degrees about (ra0, dec0) to (ra, dec) in degrees."""
    x = np.radians(np.asarray(xi, dtype=float))
    y = np.radians(np.asarray(eta, dtype=float))
    a0, d0 = math.radians(ra0), math.radians(dec0)
    denom = math.cos(d0) - y * math.sin(d0)
    ra = a0 + np.arctan2(x, denom)
    dec = np.arctan2(math.sin(d0) + y * math.cos(d0), np.hypot(x, denom))
    return np.degrees(ra) % 360.0, np.degrees(dec)


def cd_matrix(scale_arcsec: float, pa_deg: float, parity: int = -1) -> np.ndarray:
    """Return the 2x2 CD matrix (degrees per pixel) of a detector with position angle ``pa_deg``.

    ``pa_deg`` is the angle from North to the detector +y axis, East of North; ``parity=-1`` means
    RA grows toward -x (the sky seen from inside the sphere, as for NIRCam/MIRI imaging).
    """
    c, s = math.cos(math.radians(pa_deg)), math.sin(math.radians(pa_deg))
    scale = scale_arcsec / 3600.0
    return scale * np.array([[parity * c, s], [-parity * s, c]])


def rotation(angle_deg: float) -> np.ndarray:
    """2x2 matrix rotating tangent-plane vectors counter-clockwise (North through East) by ``angle_deg``."""
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    return np.array([[c, s], [-s, c]])


# ----------------------------------------------------------------------------------------------
# SIP polynomials: coefficient arrays ``a[p, q]`` multiply ``u**p * v**q``


def sip_eval(coeffs: np.ndarray, u, v) -> np.ndarray:
    """Evaluate the SIP polynomial sum ``coeffs[p, q] * u**p * v**q``.

    Parameters
    ----------
    coeffs : numpy.ndarray
        (order+1, order+1) coefficients.
    u, v : array_like
        Pixel offsets from CRPIX (any matching shape).
    """
    u = np.asarray(u, dtype=float)
    v = np.asarray(v, dtype=float)
    out = np.zeros(np.broadcast(u, v).shape)
    order = coeffs.shape[0] - 1
    for p in range(order + 1):
        for q in range(order + 1 - p):
            if coeffs[p, q] != 0.0:
                out = out + coeffs[p, q] * u**p * v**q
    return out


def random_distortion(rng: np.random.Generator, shape: tuple[int, int], max_shift: float, order: int = 3):
    """Draw forward SIP coefficients A, B whose largest displacement over the image is ``max_shift`` px.

    Terms have 2 <= p+q <= ``order``; quadratic terms dominate, cubic ones are a third of them,
    as in NIRCam's short-wavelength distortion. The linear part is left to the CD matrix.

    Returns
    -------
    a, b : numpy.ndarray
        (order+1, order+1) coefficient arrays (pixel units).
    """
    ny, nx = shape
    half = 0.5 * max(nx, ny)
    a = np.zeros((order + 1, order + 1))
    b = np.zeros((order + 1, order + 1))
    for p in range(order + 1):
        for q in range(order + 1 - p):
            if p + q >= 2:
                weight = 1.0 if p + q == 2 else 1.0 / 3.0
                a[p, q] = weight * rng.uniform(-1.0, 1.0) / half ** (p + q)
                b[p, q] = weight * rng.uniform(-1.0, 1.0) / half ** (p + q)
    u, v = _grid(shape, 33)
    peak = np.max(np.hypot(sip_eval(a, u, v), sip_eval(b, u, v)))
    if peak > 0 and max_shift > 0:
        a *= max_shift / peak
        b *= max_shift / peak
    else:
        a[:] = 0.0
        b[:] = 0.0
    return a, b


def _grid(shape, n):
    ny, nx = shape
    cy, cx = (ny - 1) / 2.0, (nx - 1) / 2.0
    v, u = np.meshgrid(np.linspace(-cy, ny - 1 - cy, n), np.linspace(-cx, nx - 1 - cx, n), indexing="ij")
    return u.ravel(), v.ravel()


def fit_inverse_sip(a: np.ndarray, b: np.ndarray, shape: tuple[int, int], order: int | None = None):
    """Least-squares inverse SIP coefficients AP, BP (0 <= p+q <= order) for forward A, B.

    The inverse maps distorted offsets ``U = u + A(u, v)`` back to ``u`` on a 41x41 grid over an
    image of ``shape`` with CRPIX at its centre.

    Returns
    -------
    ap, bp : numpy.ndarray
        (order+1, order+1) inverse coefficients.
    max_error : float
        Largest round-trip error on the grid, pixels.
    """
    order = a.shape[0] - 1 if order is None else order
    u, v = _grid(shape, 41)
    big_u = u + sip_eval(a, u, v)
    big_v = v + sip_eval(b, u, v)
    terms = [(p, q) for p in range(order + 1) for q in range(order + 1 - p)]
    scale = max(np.max(np.abs(big_u)), np.max(np.abs(big_v)), 1.0)
    design = np.stack([(big_u / scale) ** p * (big_v / scale) ** q for p, q in terms], axis=1)
    cu, *_ = np.linalg.lstsq(design, u - big_u, rcond=None)
    cv, *_ = np.linalg.lstsq(design, v - big_v, rcond=None)
    ap = np.zeros((order + 1, order + 1))
    bp = np.zeros((order + 1, order + 1))
    for k, (p, q) in enumerate(terms):
        ap[p, q] = cu[k] / scale ** (p + q)
        bp[p, q] = cv[k] / scale ** (p + q)
    error = np.hypot(big_u + sip_eval(ap, big_u, big_v) - u, big_v + sip_eval(bp, big_u, big_v) - v)
    return ap, bp, float(np.max(error))


# ----------------------------------------------------------------------------------------------
# Rendering


def moffat_alpha(fwhm: float, beta: float) -> float:
    """Moffat core width alpha (pixels) for a given FWHM and power ``beta``."""
    return fwhm / (2.0 * math.sqrt(2.0 ** (1.0 / beta) - 1.0))


def render_points(shape: tuple[int, int], x, y, flux, *, fwhm: float, psf: str = "moffat",
                  beta: float = 2.5, radius: int | None = None, oversample: int = 4,
                  edge_level: float | None = None) -> np.ndarray:
    """Render point sources, each integrated over pixels, in small stamps (vectorised over sources).

    Parameters
    ----------
    shape : (ny, nx)
        Image shape.
    x, y : array_like
        (n,) 0-based pixel positions of the source centres; sources whose stamp misses the image
        contribute nothing.
    flux : array_like
        (n,) total flux of each source (any unit; the output is in the same unit per pixel).
    fwhm : float
        PSF full width at half maximum, pixels.
    psf : {"moffat", "gaussian"}
        Profile. The Gaussian is integrated exactly over each pixel (erf); the Moffat is sampled on an
        ``oversample`` x ``oversample`` sub-grid. Each stamp is normalised to the source flux, so the
        image holds exactly ``flux`` per source (minus what falls outside the image).
    beta : float
        Moffat power.
    radius : int, optional
        Stamp half-size, pixels (default 3 FWHM for the Gaussian, 6 FWHM for the Moffat, at least 4).
    edge_level : float, optional
        With the default radius: the largest profile value (flux unit per pixel) a stamp may cut
        off at its edge. Bright sources get stamps of 2, 4, ... times the radius (up to 128 pixels)
        until their profile there is below it, so their wings show no square edge in the noise.

    Returns
    -------
    numpy.ndarray
        (ny, nx) float64 image.
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    flux = np.asarray(flux, dtype=float).ravel()
    if radius is not None or edge_level is None:
        radius = radius or max(4, math.ceil((3.0 if psf == "gaussian" else 6.0) * fwhm))
        return _render_stamps(shape, x, y, flux, fwhm, psf, beta, radius, oversample)
    base = max(4, math.ceil((3.0 if psf == "gaussian" else 6.0) * fwhm))
    tier = np.zeros(flux.size, dtype=np.int64)
    while True:
        edge = flux * _profile_at(base * 2.0 ** tier, fwhm, psf, beta)
        grow = (edge > edge_level) & (base * 2 ** (tier + 1) <= 128)
        if not grow.any():
            break
        tier[grow] += 1
    image = np.zeros(shape)
    for level in np.unique(tier):
        pick = tier == level
        image += _render_stamps(shape, x[pick], y[pick], flux[pick], fwhm, psf, beta,
                                int(base * 2 ** level), oversample)
    return image


def _profile_at(r, fwhm: float, psf: str, beta: float):
    """Per-pixel value of a unit-flux PSF at distance ``r`` pixels from its centre."""
    if psf == "gaussian":
        sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
        return np.exp(-0.5 * (r / sigma) ** 2) / (2.0 * math.pi * sigma**2)
    alpha = moffat_alpha(fwhm, beta)
    return (beta - 1.0) / (math.pi * alpha**2) * (1.0 + (r / alpha) ** 2) ** (-beta)


def _render_stamps(shape, x, y, flux, fwhm, psf, beta, radius, oversample):
    ny, nx = shape
    offs = np.arange(-radius, radius + 1)
    ix = np.rint(x).astype(np.int64)
    iy = np.rint(y).astype(np.int64)
    keep = (ix + radius >= 0) & (ix - radius < nx) & (iy + radius >= 0) & (iy - radius < ny)
    x, y, flux, ix, iy = x[keep], y[keep], flux[keep], ix[keep], iy[keep]
    image = np.zeros(ny * nx)
    if x.size == 0:
        return image.reshape(shape)
    # Pixel-centre offsets of each stamp from the source centre: (n, s)
    dx = (ix[:, None] + offs[None, :]) - x[:, None]
    dy = (iy[:, None] + offs[None, :]) - y[:, None]
    if psf == "gaussian":
        sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
        norm = 1.0 / (math.sqrt(2.0) * sigma)
        px = 0.5 * (erf((dx + 0.5) * norm) - erf((dx - 0.5) * norm))
        py = 0.5 * (erf((dy + 0.5) * norm) - erf((dy - 0.5) * norm))
        stamps = py[:, :, None] * px[:, None, :]
    elif psf == "moffat":
        alpha = moffat_alpha(fwhm, beta)
        sub = (np.arange(oversample) + 0.5) / oversample - 0.5
        sx = (dx[:, :, None] + sub[None, None, :]) / alpha  # (n, s, o)
        sy = (dy[:, :, None] + sub[None, None, :]) / alpha
        r2 = sy[:, :, None, :, None] ** 2 + sx[:, None, :, None, :] ** 2  # (n, s, s, o, o)
        stamps = np.sum((1.0 + r2) ** (-beta), axis=(3, 4))
    else:
        raise ValueError(f"unknown psf {psf!r}")
    stamps *= (flux / np.sum(stamps, axis=(1, 2)))[:, None, None]
    _accumulate(image, shape, ix, iy, offs, stamps)
    return image.reshape(shape)


def render_galaxies(shape: tuple[int, int], x, y, flux, r_eff, axis_ratio, theta, *, fwhm: float,
                    sersic_n: float = 1.0, oversample: int = 2) -> np.ndarray:
    """Render elliptical Sersic galaxies (softened by the PSF width) in stamps.

    Parameters
    ----------
    shape : (ny, nx)
        Image shape.
    x, y, flux : array_like
        (n,) centres (0-based pixels) and total fluxes.
    r_eff : array_like
        (n,) half-light radii along the major axis, pixels.
    axis_ratio : array_like
        (n,) minor/major axis ratio in (0, 1].
    theta : array_like
        (n,) major-axis angle from +x toward +y, radians.
    fwhm : float
        Width (pixels) of the Gaussian core added in quadrature to the radius, standing in for the PSF.
    sersic_n : float
        Sersic index (1 = exponential disk).

    Returns
    -------
    numpy.ndarray
        (ny, nx) float64 image.
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    flux = np.asarray(flux, dtype=float).ravel()
    r_eff = np.asarray(r_eff, dtype=float).ravel()
    q = np.asarray(axis_ratio, dtype=float).ravel()
    theta = np.asarray(theta, dtype=float).ravel()
    ny, nx = shape
    image = np.zeros(ny * nx)
    if x.size == 0:
        return image.reshape(shape)
    radius = int(min(40, max(6, math.ceil(4.0 * float(np.max(r_eff)) + 2 * fwhm))))
    offs = np.arange(-radius, radius + 1)
    ix = np.rint(x).astype(np.int64)
    iy = np.rint(y).astype(np.int64)
    keep = (ix + radius >= 0) & (ix - radius < nx) & (iy + radius >= 0) & (iy - radius < ny)
    if not np.any(keep):
        return image.reshape(shape)
    x, y, flux, r_eff, q, theta, ix, iy = (a[keep] for a in (x, y, flux, r_eff, q, theta, ix, iy))
    bn = 2.0 * sersic_n - 1.0 / 3.0 + 0.009876 / sersic_n
    sub = (np.arange(oversample) + 0.5) / oversample - 0.5
    grid = (offs[:, None] + sub[None, :]).ravel()  # (s*o,)
    dx = ix[:, None] - x[:, None] + grid[None, :]  # (n, S)
    dy = iy[:, None] - y[:, None] + grid[None, :]
    c, s = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    major = dx[:, None, :] * c + dy[:, :, None] * s  # (n, S_y, S_x)
    minor = -dx[:, None, :] * s + dy[:, :, None] * c
    core = (fwhm / 2.3548) ** 2
    r = np.sqrt(major**2 + (minor / q[:, None, None]) ** 2 + core)
    profile = np.exp(-bn * ((r / r_eff[:, None, None]) ** (1.0 / sersic_n)))
    size = offs.size
    stamps = profile.reshape(-1, size, oversample, size, oversample).sum(axis=(2, 4))
    stamps *= (flux / np.sum(stamps, axis=(1, 2)))[:, None, None]
    _accumulate(image, shape, ix, iy, offs, stamps)
    return image.reshape(shape)


def _accumulate(image_flat, shape, ix, iy, offs, stamps):
    """Add (n, s, s) stamps centred on integer pixels (ix, iy) into a flat image, clipping at edges."""
    ny, nx = shape
    px = ix[:, None] + offs[None, :]  # (n, s)
    py = iy[:, None] + offs[None, :]
    inside = (py[:, :, None] >= 0) & (py[:, :, None] < ny) & (px[:, None, :] >= 0) & (px[:, None, :] < nx)
    index = py[:, :, None] * nx + px[:, None, :]
    image_flat += np.bincount(index[inside], weights=stamps[inside], minlength=image_flat.size)


def cosmic_rays(rng: np.random.Generator, shape: tuple[int, int], count: int, *, min_charge: float,
                max_charge: float, max_length: int = 4):
    """Draw residual cosmic-ray hits: short tracks of 1..``max_length`` pixels.

    The charge per event is log-uniform in [min_charge, max_charge] and spread along the track with a
    brightest first pixel.

    Returns
    -------
    charge : numpy.ndarray
        (ny, nx) float64 deposited charge (same unit as the limits), 0 where no hit.
    labels : numpy.ndarray
        (ny, nx) int32, 1-based event number of the last event hitting each pixel, 0 elsewhere.
    """
    ny, nx = shape
    charge = np.zeros(ny * nx)
    labels = np.zeros(ny * nx, dtype=np.int32)
    if count <= 0:
        return charge.reshape(shape), labels.reshape(shape)
    x0 = rng.integers(0, nx, count)
    y0 = rng.integers(0, ny, count)
    length = rng.integers(1, max_length + 1, count)
    angle = rng.uniform(0.0, 2.0 * math.pi, count)
    total = np.exp(rng.uniform(math.log(min_charge), math.log(max_charge), count))
    steps = np.arange(max_length)
    px = np.rint(x0[:, None] + steps[None, :] * np.cos(angle)[:, None]).astype(np.int64)
    py = np.rint(y0[:, None] + steps[None, :] * np.sin(angle)[:, None]).astype(np.int64)
    share = 0.6 ** steps[None, :] * (steps[None, :] < length[:, None])
    share = share / share.sum(axis=1, keepdims=True)
    valid = (share > 0) & (px >= 0) & (px < nx) & (py >= 0) & (py < ny)
    index = py * nx + px
    np.add.at(charge, index[valid], (total[:, None] * share)[valid])
    ids = np.broadcast_to(np.arange(1, count + 1, dtype=np.int32)[:, None], index.shape)
    labels[index[valid]] = ids[valid]
    return charge.reshape(shape), labels.reshape(shape)


def refcat_errors(mag, *, floor_mas: float = 0.2, ref_mag: float = 20.0, at_ref_mas: float = 1.0,
                  ceiling_mas: float = 15.0) -> np.ndarray:
    """Gaia-like 1-sigma position error per coordinate, milliarcseconds, growing 0.2 dex per magnitude."""
    mag = np.asarray(mag, dtype=float)
    return np.clip(at_ref_mas * 10.0 ** (0.2 * (mag - ref_mag)), floor_mas, ceiling_mas)
