"""Physics of simulated raw ramps: scene, detector maps, cosmic rays, 1/f noise and the readout.

Everything here is plain vectorised numpy driven by a ``numpy.random.Generator``, so a seed
fixes the result. Units: charge in electrons (e-), signal and noise in DN, rates per second,
arrays in numpy order (rows ``y``, columns ``x``).

The readout model (:func:`integration`): after a reset, frame ``k`` (1-based) is read at
``k * tframe``; group ``g`` (0-based) averages frames ``g*(nframes+groupgap) + 1 ...
+ nframes``, the ``groupgap`` frames after it are dropped. Charge accumulates with Poisson
increments per frame (cumulative sums), cosmic-ray charge is added in the frame it arrives,
the frame value in DN is ``min(bias + charge/gain, sat_level)`` and the group value is the
mean of its frames plus white read noise (``sigma_frame / sqrt(nframes)``) plus the 1/f row
terms of those frames, rounded (half up) and clipped to uint16.
"""

from __future__ import annotations

import math

import numpy as np

#: Event kinds in the truth table (index = code).
KINDS = ("cosmic", "snowball", "shower")


def frame_layout(ngroups: int, nframes: int, groupgap: int) -> tuple[np.ndarray, int]:
    """Return the group of every frame and the number of frames of one integration.

    Returns
    -------
    group_of_frame : numpy.ndarray of int, shape (nframes_total + 1,)
        ``group_of_frame[k]`` is the first group that contains charge arriving just before the
        read of frame ``k`` (1-based; index 0 unused): the group itself if frame ``k`` belongs
        to it, else the next group.
    nframes_total : int
        Frames read or dropped between reset and the last read.
    """
    period = nframes + groupgap
    total = ngroups * period - groupgap
    k = np.arange(total + 1)
    # group g ends with frame g*period + nframes; first g with that >= k
    group = np.ceil((k - nframes) / period).astype(int)
    return np.clip(group, 0, ngroups - 1), total


def moffat(dy: np.ndarray, dx: np.ndarray, fwhm: float, beta: float = 2.5) -> np.ndarray:
    """Return a Moffat profile normalised to unit integral over the infinite plane.

    Parameters
    ----------
    dy, dx : numpy.ndarray
        Offsets from the centre in pixels (broadcastable).
    fwhm : float
        Full width at half maximum in pixels.
    beta : float
        Moffat index (wings fall as r**(-2 beta)).
    """
    alpha = fwhm / (2.0 * math.sqrt(2.0 ** (1.0 / beta) - 1.0))
    r2 = (dy * dy + dx * dx) / (alpha * alpha)
    return (beta - 1.0) / (math.pi * alpha * alpha) * (1.0 + r2) ** (-beta)


def _add_stamp(image, profile_fn, yc, xc, half):
    """Add ``profile_fn(dy, dx)`` on a (2 half + 1)^2 stamp centred near (yc, xc), clipped to the image."""
    ny, nx = image.shape
    iy, ix = round(yc), round(xc)
    y0, y1 = max(iy - half, 0), min(iy + half + 1, ny)
    x0, x1 = max(ix - half, 0), min(ix + half + 1, nx)
    if y0 >= y1 or x0 >= x1:
        return
    yy = np.arange(y0, y1)[:, None] - yc
    xx = np.arange(x0, x1)[None, :] - xc
    image[y0:y1, x0:x1] += profile_fn(yy, xx)


def scene(rng: np.random.Generator, shape: tuple[int, int], *, stars: int, galaxies: int,
          background: float, fwhm: float, max_star_rate: float) -> tuple[np.ndarray, dict]:
    """Return a sky rate image and the list of its sources.

    Stars are Moffat profiles (sub-pixel centres, integrated by point sampling) with fluxes
    drawn log-uniformly over five decades below ``max_star_rate`` weighted towards faint ones;
    galaxies are elliptical exponential discs with half-light radii of 1-8 pixels.

    Parameters
    ----------
    rng : numpy.random.Generator
    shape : (ny, nx)
    stars, galaxies : int
        Number of each kind of source.
    background : float
        Uniform sky rate, e-/s/pixel.
    fwhm : float
        Stellar FWHM in pixels.
    max_star_rate : float
        Total rate of the brightest possible star, e-/s.

    Returns
    -------
    rate : numpy.ndarray, float64, shape (ny, nx)
        e-/s per pixel.
    sources : dict of numpy.ndarray
        ``y``, ``x`` (pixel centres), ``flux`` (e-/s) and ``kind`` (0 star, 1 galaxy).
    """
    ny, nx = shape
    rate = np.full(shape, float(background))
    ys = rng.uniform(-0.5, ny - 0.5, stars + galaxies)
    xs = rng.uniform(-0.5, nx - 0.5, stars + galaxies)
    # more faint than bright sources: log10 flux = top - exponential(0.9), floored five decades below
    top = math.log10(max_star_rate)
    logf = np.maximum(top - rng.exponential(0.9, stars + galaxies), top - 5.0)
    flux = 10.0 ** logf
    flux[stars:] *= 0.1  # galaxies are fainter on the whole
    for i in range(stars):
        half = int(min(6 * fwhm + 2 * max(logf[i] - 2.0, 0.0) * fwhm, 60))
        _add_stamp(rate, lambda dy, dx, f=flux[i]: f * moffat(dy, dx, fwhm), ys[i], xs[i], half)
    for i in range(stars, stars + galaxies):
        r_e = rng.uniform(1.0, 8.0)
        q = rng.uniform(0.3, 1.0)
        theta = rng.uniform(0.0, math.pi)
        h = r_e / 1.678  # exponential scale length from the half-light radius
        c, s = math.cos(theta), math.sin(theta)
        norm = flux[i] / (2.0 * math.pi * h * h * q)

        def disc(dy, dx, c=c, s=s, q=q, h=h, norm=norm):
            u = dx * c + dy * s
            v = (-dx * s + dy * c) / q
            return norm * np.exp(-np.sqrt(u * u + v * v) / h)

        _add_stamp(rate, disc, ys[i], xs[i], int(min(8 * h + 3, 80)))
    kind = np.r_[np.zeros(stars, int), np.ones(galaxies, int)]
    return rate, {"y": ys, "x": xs, "flux": flux, "kind": kind}


def pink_rows(rng: np.random.Generator, nseries: int, length: int, sigma: float) -> np.ndarray:
    """Return ``nseries`` independent 1/f (pink) noise series of rms ``sigma``.

    Returns
    -------
    numpy.ndarray, float32, shape (nseries, length)
        Power spectrum proportional to 1/f (the zero frequency removed), scaled to rms ``sigma``.
    """
    if sigma <= 0 or length < 2:
        return np.zeros((nseries, length), np.float32)
    nfreq = length // 2 + 1
    f = np.arange(nfreq, dtype=float)
    f[0] = 1.0
    amp = 1.0 / np.sqrt(f)
    amp[0] = 0.0
    spec = (rng.standard_normal((nseries, nfreq)) + 1j * rng.standard_normal((nseries, nfreq))) * amp
    series = np.fft.irfft(spec, n=length, axis=1)
    series /= series.std(axis=1, keepdims=True)
    return (sigma * series).astype(np.float32)


def cosmic_rays(rng: np.random.Generator, shape: tuple[int, int], nframes_total: int, *,
                n_events: int, median_charge: float, neighbour_fraction: float) -> tuple[dict, dict]:
    """Draw cosmic-ray hits: arrival frames, tracks of 1-5 pixels and their charge footprints.

    The deposited charge per event follows a log-normal energy spectrum (median
    ``median_charge`` e-, sigma 0.8 in ln, capped at 200 times the median). Oblique tracks
    (20 % of hits) spread the charge along 2-5 pixels; each track pixel then shares
    ``neighbour_fraction`` of its charge with each of its 8 neighbours (diffusion and IPC).

    Returns
    -------
    events : dict of numpy.ndarray, one entry per event
        ``frame`` (1-based arrival frame), ``y``, ``x`` (first track pixel), ``charge`` (e-).
    deposits : dict of numpy.ndarray, one entry per affected pixel
        ``frame``, ``y``, ``x``, ``charge`` (e-), ``event`` (index into events); pixels
        outside the array are dropped.
    """
    ny, nx = shape
    frame = rng.integers(1, nframes_total + 1, n_events)
    y0 = rng.integers(0, ny, n_events)
    x0 = rng.integers(0, nx, n_events)
    charge = np.minimum(median_charge * np.exp(0.8 * rng.standard_normal(n_events)), 200 * median_charge)
    length = np.where(rng.random(n_events) < 0.2, rng.integers(2, 6, n_events), 1)
    angle = rng.uniform(0, 2 * math.pi, n_events)
    steps = np.arange(5)
    ty = np.rint(y0[:, None] + steps * np.sin(angle)[:, None]).astype(int)
    tx = np.rint(x0[:, None] + steps * np.cos(angle)[:, None]).astype(int)
    on_track = steps[None, :] < length[:, None]
    per_pixel = charge[:, None] / length[:, None] * on_track
    oy, ox = np.divmod(np.arange(9), 3)
    oy, ox = oy - 1, ox - 1
    weight = np.where((oy == 0) & (ox == 0), 1.0 - 8 * neighbour_fraction, neighbour_fraction)
    fy = (ty[:, :, None] + oy).reshape(n_events, 45)
    fx = (tx[:, :, None] + ox).reshape(n_events, 45)
    fq = (per_pixel[:, :, None] * weight).reshape(n_events, 45)
    event = np.broadcast_to(np.arange(n_events)[:, None], fy.shape)
    keep = (fq > 0) & (fy >= 0) & (fy < ny) & (fx >= 0) & (fx < nx)
    deposits = {"frame": frame[event[keep]], "y": fy[keep], "x": fx[keep], "charge": fq[keep],
                "event": event[keep]}
    return {"frame": frame, "y": y0, "x": x0, "charge": charge}, deposits


def _disc_deposits(yc, xc, radius, shape, profile):
    """Pixels within ``radius`` of (yc, xc) and ``profile(r)`` at each."""
    ny, nx = shape
    r = math.ceil(radius)
    yy, xx = np.mgrid[max(yc - r, 0):min(yc + r + 1, ny), max(xc - r, 0):min(xc + r + 1, nx)]
    rr = np.hypot(yy - yc, xx - xc)
    inside = rr <= radius
    return yy[inside], xx[inside], profile(rr[inside])


def snowballs(rng: np.random.Generator, shape: tuple[int, int], nframes_total: int, *,
              count: int, full_well: float) -> tuple[dict, dict]:
    """Draw NIR snowballs: a round core that saturates (charge ``3 full_well``) and a halo.

    Core radius 1.5-5 pixels; the halo extends to 2.5 core radii with a charge falling from
    2000 e- to a few hundred e- at its edge.

    Returns
    -------
    events, deposits : dict
        As :func:`cosmic_rays`; an event's ``charge`` is its total charge (e-).
    """
    return _extended(rng, shape, nframes_total, count, lambda: rng.uniform(1.5, 5.0),
                     lambda rc: (lambda r: np.where(r <= rc, 3.0 * full_well,
                                                    2000.0 * np.exp(-(r - rc) / rc))),
                     2.5)


def showers(rng: np.random.Generator, shape: tuple[int, int], nframes_total: int, *,
            count: int, peak_charge: float) -> tuple[dict, dict]:
    """Draw MIRI showers: a bright primary hit and a large faint halo (radius 20-80 pixels).

    The halo is Gaussian with a peak of ``peak_charge`` e- (times 0.5-2), truncated at 2.5 sigma.

    Returns
    -------
    events, deposits : dict
        As :func:`cosmic_rays`.
    """
    def profile(sigma):
        peak = peak_charge * rng.uniform(0.5, 2.0)
        return lambda r: np.where(r < 1.0, 30.0 * peak + 20000.0, peak * np.exp(-0.5 * (r / sigma) ** 2))

    return _extended(rng, shape, nframes_total, count, lambda: rng.uniform(8.0, 32.0), profile, 2.5)


def _extended(rng, shape, nframes_total, count, scale_fn, profile_fn, extent):
    ny, nx = shape
    frames, ys, xs, charges = [], [], [], []
    dep = {"frame": [], "y": [], "x": [], "charge": [], "event": []}
    for i in range(count):
        frame = int(rng.integers(1, nframes_total + 1))
        yc, xc = int(rng.integers(0, ny)), int(rng.integers(0, nx))
        scale = scale_fn()
        dy, dx, q = _disc_deposits(yc, xc, extent * scale, shape, profile_fn(scale))
        frames.append(frame)
        ys.append(yc)
        xs.append(xc)
        charges.append(float(q.sum()))
        dep["frame"].append(np.full(dy.size, frame))
        dep["y"].append(dy)
        dep["x"].append(dx)
        dep["charge"].append(q)
        dep["event"].append(np.full(dy.size, i))
    events = {"frame": np.array(frames, int), "y": np.array(ys, int), "x": np.array(xs, int),
              "charge": np.array(charges, float)}
    deposits = {k: (np.concatenate(v) if v else np.zeros(0, float if k == "charge" else int))
                for k, v in dep.items()}
    return events, deposits


def nonlinear_signal(linear: np.ndarray, c2: np.ndarray, c3: np.ndarray) -> np.ndarray:
    """Return the measured (non-linear) signal whose linearity correction gives ``linear``.

    The correction is the LINEARITY-reference polynomial ``s + c2 s**2 + c3 s**3`` (COEFFS
    0, 1, c2, c3); it is inverted per pixel with two float32 Newton steps (c2, c3 >= 0, so the
    polynomial is increasing and convex for s >= 0 and Newton from ``linear`` converges).

    Parameters
    ----------
    linear : numpy.ndarray, float32
        Linear signal in DN above bias (>= 0).
    c2, c3 : numpy.ndarray or float, broadcastable to ``linear``
        Correction coefficients (1/DN, 1/DN**2), float32 arrays for speed.

    Returns
    -------
    numpy.ndarray, float32, same shape
        Measured signal in DN above bias.
    """
    s = np.asarray(linear, np.float32)
    m = s / (1.0 + c2 * s)  # close first guess
    for _ in range(2):  # float32 converges to < 0.01 DN at 60000 DN in two steps
        m2 = m * m
        f = m + c2 * m2 + c3 * m2 * m - s
        m = m - f / (1.0 + 2.0 * c2 * m + 3.0 * c3 * m2)
    return m.astype(np.float32, copy=False)


def integration(rng: np.random.Generator, *, rate: np.ndarray, gain: np.ndarray, bias: np.ndarray,
                sat_level: np.ndarray, sigma_frame: np.ndarray, row_noise: np.ndarray,
                amp_of_column: np.ndarray, deposits: dict, ngroups: int, nframes: int,
                groupgap: int, tframe: float, nonlinearity: tuple | None = None,
                flag_level: np.ndarray | None = None) -> dict:
    """Read out one integration.

    Parameters
    ----------
    rng : numpy.random.Generator
    rate : numpy.ndarray, shape (ny, nx)
        Charge rate in e-/s (sky times response plus dark current); 0 for reference pixels.
    gain : numpy.ndarray, shape (ny, nx)
        e-/DN.
    bias : numpy.ndarray, shape (ny, nx)
        Bias level in DN.
    sat_level : numpy.ndarray, shape (ny, nx)
        Raw level (DN, bias included) at which the pixel saturates.
    sigma_frame : numpy.ndarray, shape (ny, nx)
        White read noise of one frame in DN (CDS read noise / sqrt 2).
    row_noise : numpy.ndarray, shape (nframes_total, namps, ny)
        Row offsets (1/f noise) in DN of every frame, amplifier and row.
    amp_of_column : numpy.ndarray of int, shape (nx,)
        Amplifier that reads each column.
    deposits : dict
        Cosmic-ray charge, as returned by :func:`cosmic_rays` (``frame``, ``y``, ``x``,
        ``charge``), already multiplied by the pixel response.
    ngroups, nframes, groupgap : int
    tframe : float
        Frame time in seconds.
    nonlinearity : (c2, c3), optional
        Correction coefficients (see :func:`nonlinear_signal`); the frame signal above bias is
        made non-linear before saturation. None: linear detector.
    flag_level : numpy.ndarray, shape (ny, nx), optional
        Level (DN) defining ``satgroup``; default ``sat_level``.

    Returns
    -------
    dict
        ``sci`` uint16 (ngroups, ny, nx) raw DN; ``satgroup`` int16 (ny, nx): the first group
        whose value without read noise and 1/f (bias, Poisson charge, cosmic rays and
        saturation included) reached ``flag_level``, -1 if none.
    """
    ny, nx = rate.shape
    period = nframes + groupgap
    lam = np.asarray(rate, np.float64) * tframe
    charge = np.zeros((ny, nx), np.float32)
    sci = np.empty((ngroups, ny, nx), np.uint16)
    satgroup = np.full((ny, nx), -1, np.int16)
    order = np.argsort(deposits["frame"], kind="stable")
    dframe = deposits["frame"][order]
    dy, dx, dq = deposits["y"][order], deposits["x"][order], deposits["charge"][order].astype(np.float32)
    bounds = np.searchsorted(dframe, np.arange(ngroups * period + 2))

    def add_frames(first, last):
        """Accumulate Poisson charge and cosmic rays of frames first..last (1-based, inclusive)."""
        n = last - first + 1
        if n <= 0:
            return
        charge[...] += rng.poisson(lam if n == 1 else lam * n)
        lo, hi = bounds[first], bounds[last + 1]
        if hi > lo:
            np.add.at(charge, (dy[lo:hi], dx[lo:hi]), dq[lo:hi])

    inv_gain = (1.0 / gain).astype(np.float32)
    bias32 = bias.astype(np.float32)
    sat32 = sat_level.astype(np.float32)
    flag32 = sat32 if flag_level is None else flag_level.astype(np.float32)
    sigma_group = (sigma_frame / math.sqrt(nframes)).astype(np.float32)
    total = np.empty((ny, nx), np.float32)
    frame = np.empty((ny, nx), np.float32)
    for g in range(ngroups):
        start = g * period + 1
        if g > 0 and groupgap > 0:
            add_frames(start - groupgap, start - 1)
        total[...] = 0.0
        rows = np.zeros(row_noise.shape[1:], np.float32)
        for k in range(start, start + nframes):
            add_frames(k, k)
            np.multiply(charge, inv_gain, out=frame)
            if nonlinearity is not None:
                frame[...] = nonlinear_signal(frame, *nonlinearity)
            frame += bias32
            np.minimum(frame, sat32, out=frame)
            total += frame
            rows += row_noise[k - 1]
        if nframes > 1:
            total /= nframes
        satgroup[(satgroup < 0) & (total >= flag32)] = g
        noise = rng.standard_normal((ny, nx), np.float32)
        noise *= sigma_group
        noise += total
        noise += (rows / nframes).T[:, amp_of_column]
        noise += 0.5  # round half up by truncation of the clipped, non-negative value
        np.clip(noise, 0.0, 65535.0, out=noise)
        sci[g] = noise
    return {"sci": sci, "satgroup": satgroup}
