"""Simulated raw ramps (``_uncal``) with matching reference files and the truth behind them.

API (for tests and benchmarks)::

    from jwcal.steps import simulate_ramp
    products = simulate_ramp.run(detector="NRCB1", size=(64, 64), ngroups=10, seed=1)
    products["uncal"]      # Exposure: level-1b ramp, SCI uint16 (nints, ngroups, ny, nx), INT_TIMES
    products["gain"]       # GAIN reference (SCI float32, e-/DN), full frame unless ref_subarray
    products["readnoise"]  # READNOISE reference (SCI float32, CDS read noise in DN)
    products["mask"]       # MASK reference (DQ uint32 + DQ_DEF)
    products["superbias"]  # SUPERBIAS reference (SCI = the noise-free bias, DN; ERR, DQ, DQ_DEF)
    products["saturation"] # SATURATION reference (SCI = SAT_LEVEL - SATURATION_MARGIN, raw DN; DQ)
    products["linearity"]  # only with nonlinear=True: LINEARITY COEFFS (4, ny, nx) = 0, 1, c2, c3
    products["dark"]       # only with dark_current=...: DARK SCI (ngroups, ny, nx) DN, AVDRKCUR
    products["truth"]      # TRUE_RATE (DN/s), BIAS, SAT_LEVEL, SATGROUP, CR_GROUP, CR_DN,
                           # BADPIX, DARK_RATE images, CRS and SOURCES tables
    simulate_ramp.filenames(products)  # {key: file name} as ``jwcal simulate ramp`` writes them

Truth conventions: TRUE_RATE is the slope a perfect pipeline should measure from the sky
(sky times response, in DN/s), without dark current (DARK_RATE) or cosmic rays; it is 0 for
reference and dead pixels. SATGROUP (nints, ny, nx) is the first group whose noise-free value
reached the SATURATION reference threshold (-1: never); CR_GROUP the first group holding
cosmic-ray charge of at least 1 DN (-1: none) and CR_DN the total cosmic-ray signal of the
integration. The CRS table has one row per event (cosmic, snowball, shower): integration, group
(first affected), frame, y, x, amplitude (DN) and kind.

Reference files are exact: the gain and read noise used by the simulation, the bad pixels that
were made, the noise-free bias, the exact inverse of the non-linearity (correction polynomial on
bias-subtracted DN) and the noise-free dark ramp (science read pattern, linear DN; MIRI 4-D with
one integration), so superbias -> linearity -> dark -> a slope fit recovers TRUE_RATE. Not
simulated: persistence, IPC, odd/even column offsets, MIRI reset/RSCD effects, ZEROFRAME.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from astropy.io import fits

from jwcal import dq
from jwcal.algorithms import simulate_ramp as alg
from jwcal.errors import UsageError
from jwcal.exposure import HDU, Exposure


@dataclass(frozen=True)
class Detector:
    """Static facts of one detector kind."""

    instrument: str
    exp_type: str
    filter: str
    pupil: str
    full: tuple[int, int]  # (rows, cols) of the full frame
    refpix: int  # reference-pixel border width (NIR: all sides; MIRI: left/right columns only)
    pixel_cm: float  # pixel pitch, cm
    gain: float  # e-/DN
    readnoise: float  # CDS read noise, DN
    bias: float  # DN
    sat_level: float  # raw DN
    background: float  # sky, DN/s
    one_over_f: float  # rms of the 1/f row offsets per frame, DN
    fwhm: float  # stellar FWHM, pixels


_NIRCAM_SW = {"instrument": "NIRCAM", "exp_type": "NRC_IMAGE", "filter": "F200W", "pupil": "CLEAR",
              "full": (2048, 2048), "refpix": 4, "pixel_cm": 18e-4, "gain": 2.05, "readnoise": 6.5,
              "bias": 12000.0, "sat_level": 60000.0, "background": 0.25, "one_over_f": 2.0,
              "fwhm": 2.1}
DETECTORS = {
    **{f"NRC{m}{i}": Detector(**_NIRCAM_SW) for m in "AB" for i in range(1, 5)},
    **{f"NRC{m}LONG": Detector(**{**_NIRCAM_SW, "filter": "F444W", "gain": 1.82, "readnoise": 5.0,
                                  "background": 0.9, "fwhm": 2.3}) for m in "AB"},
    "MIRIMAGE": Detector(instrument="MIRI", exp_type="MIR_IMAGE", filter="F770W", pupil="N/A",
                         full=(1024, 1032), refpix=4, pixel_cm=25e-4, gain=5.5, readnoise=5.0,
                         bias=11000.0, sat_level=62000.0, background=15.0, one_over_f=0.0,
                         fwhm=2.5),
}

#: NIRCam readout patterns: (NFRAMES, GROUPGAP) -> READPATT.
NIRCAM_PATTERNS = {(1, 0): "RAPID", (1, 1): "BRIGHT1", (2, 0): "BRIGHT2", (2, 3): "SHALLOW2",
                   (4, 1): "SHALLOW4", (2, 8): "MEDIUM2", (8, 2): "MEDIUM8", (2, 18): "DEEP2",
                   (8, 12): "DEEP8"}
MIRI_PATTERNS = {(1, 0): "FASTR1"}

PROGRAM, OBSERVATION, VISIT = "01234", "001", "001"
EXPSTART = 60400.25  # MJD (UTC) of the first reset, 2024-03-31 06:00
TARGET = {"PROP_RA": 80.894167, "PROP_DEC": -69.756111, "MU_RA": 0.25, "MU_DEC": -0.12,
          "MU_EPOCH": "2000-01-01T12:00:00"}

_DQ_NAMES = ("DO_NOT_USE", "DEAD", "HOT", "REFERENCE_PIXEL")
#: The SATURATION reference threshold lies this many DN below the physical saturation level.
SATURATION_MARGIN = 200.0
_DQ_DESCRIPTIONS = {"DO_NOT_USE": "Bad pixel. Do not use.", "DEAD": "Dead pixel",
                    "HOT": "Hot pixel", "REFERENCE_PIXEL": "Reference pixel"}


def filenames(products: dict[str, Exposure]) -> dict[str, str]:
    """Return the file name of every product, as ``jwcal simulate ramp`` writes them."""
    return {key: str(exposure.primary["FILENAME"]) for key, exposure in products.items()}


def run(*, detector: str = "NRCB1", size: tuple[int, int] | None = None, ngroups: int = 10,
        nints: int = 1, nframes: int = 1, groupgap: int = 0, seed: int = 0,
        stars: int | None = None, galaxies: int | None = None, background: float | None = None,
        cr_rate: float = 5.0, snowballs: int | None = None, showers: int | None = None,
        one_over_f: float | None = None, hot_fraction: float = 2e-4, dead_fraction: float = 1e-4,
        nonlinear: bool = False, dark_current: float | None = None,
        ref_subarray: bool = False) -> dict[str, Exposure]:
    """Simulate one raw exposure, its reference files and its truth.

    Parameters
    ----------
    detector : str
        NRCA1-4, NRCB1-4, NRCALONG, NRCBLONG or MIRIMAGE.
    size : (ny, nx), optional
        Subarray size placed at the detector corner (SUBSTRT1 = SUBSTRT2 = 1); default full frame
        (2048x2048 NIRCam, 1024 rows x 1032 columns MIRI).
    ngroups, nints, nframes, groupgap : int
        Readout; (NFRAMES, GROUPGAP) must be a real readout pattern of the instrument.
    seed : int
        Everything is determined by the seed.
    stars, galaxies : int, optional
        Source counts; default one star per 10,000 and one galaxy per 20,000 pixels (at least 3
        and 1).
    background : float, optional
        Sky in DN/s/pixel (default: 0.25 NIRCam SW, 0.9 LW, 15 MIRI).
    cr_rate : float
        Cosmic rays per cm^2 per second.
    snowballs, showers : int, optional
        Events per integration (default 1 snowball for NIR, 1 shower for MIRI, when the
        array has at least 256x256 pixels; 0 otherwise).
    one_over_f : float, optional
        rms of the per-row 1/f offsets of one frame in DN (default 2 NIR, 0 MIRI).
    hot_fraction, dead_fraction : float
        Fractions of light-sensitive pixels made hot (dark current 1-30 DN/s) or dead.
    nonlinear : bool
        Make the detector non-linear (classical non-linearity, about 8 % at saturation) and add
        the exact LINEARITY reference (``linearity``).
    dark_current : float, optional
        Mean dark current of the light-sensitive pixels in DN/s (per-pixel scatter 30 %); also
        adds the DARK reference (``dark``), a noise-free ramp of the dark signal including hot
        pixels, with the science NFRAMES/GROUPGAP/NGROUPS. None: no dark current except hot pixels
        and no DARK reference.
    ref_subarray : bool
        Cut the reference files to the science subarray instead of writing them full frame.

    Returns
    -------
    dict of Exposure
        Keys ``uncal``, ``gain``, ``readnoise``, ``mask``, ``superbias``, ``saturation``, ``truth``,
        plus ``linearity`` and ``dark`` when asked for.
    """
    det = DETECTORS.get(detector.upper())
    if det is None:
        raise UsageError(f"unknown detector {detector!r} (choose from {', '.join(DETECTORS)})")
    detector = detector.upper()
    full_ny, full_nx = det.full
    ny, nx = det.full if size is None else (int(size[0]), int(size[1]))
    if not (1 <= ny <= full_ny and 1 <= nx <= full_nx):
        raise UsageError(f"size {ny}x{nx} does not fit the {full_ny}x{full_nx} detector")
    for name, value, low in (("ngroups", ngroups, 1), ("nints", nints, 1), ("nframes", nframes, 1),
                             ("groupgap", groupgap, 0)):
        if value < low:
            raise UsageError(f"{name} must be >= {low}")
    patterns = MIRI_PATTERNS if det.instrument == "MIRI" else NIRCAM_PATTERNS
    readpatt = patterns.get((nframes, groupgap))
    if readpatt is None:
        valid = ", ".join(f"{p} ({f},{g})" for (f, g), p in patterns.items())
        raise UsageError(f"no {det.instrument} readout pattern has NFRAMES={nframes}, "
                         f"GROUPGAP={groupgap} (valid: {valid})")
    if cr_rate < 0 or hot_fraction < 0 or dead_fraction < 0 or (dark_current or 0) < 0:
        raise UsageError("rates and fractions must be >= 0")

    rng = np.random.default_rng(seed)
    map_ny, map_nx = (ny, nx) if ref_subarray else (full_ny, full_nx)
    maps = _detector_maps(seed, det, map_ny, map_nx)
    full_light = _light_sensitive(det, full_ny, full_nx)[:map_ny, :map_nx]
    u = maps.pop("u")
    maps["badpix"][full_light & (u < hot_fraction)] |= dq.PIXEL["HOT"] | dq.DO_NOT_USE
    maps["badpix"][full_light & (u >= 1.0 - dead_fraction)] |= dq.PIXEL["DEAD"] | dq.DO_NOT_USE
    sub = (slice(0, ny), slice(0, nx))
    gain, sigma_frame = maps["gain"][sub], maps["readnoise"][sub] / math.sqrt(2.0)
    bias, sat_level, badpix = maps["bias"][sub], maps["sat_level"][sub], maps["badpix"][sub]
    light = full_light[sub] & (badpix & dq.PIXEL["DEAD"] == 0)

    area = ny * nx
    big = area >= 256 * 256
    nstars = max(3, round(area / 1e4)) if stars is None else stars
    ngal = max(1, round(area / 2e4)) if galaxies is None else galaxies
    sky_dn = det.background if background is None else background
    sky, sources = alg.scene(rng, (ny, nx), stars=nstars, galaxies=ngal, background=sky_dn * det.gain,
                             fwhm=det.fwhm, max_star_rate=3e5)
    sky_rate = np.where(light, sky, 0.0)  # e-/s
    alive = full_light & (maps["badpix"] & dq.PIXEL["DEAD"] == 0)
    dark_full = np.where(alive, (dark_current or 0.0) * maps["dark_scatter"], 0.0)  # DN/s
    dark_full += np.where(alive & (maps["badpix"] & dq.PIXEL["HOT"] != 0), maps["hot_rate"], 0.0)
    dark_rate = dark_full[sub]
    sat_flag = maps["sat_level"] - SATURATION_MARGIN
    nonlin = (maps["c2"][sub], maps["c3"][sub]) if nonlinear else None
    charge_rate = sky_rate + dark_rate * gain

    nir = det.instrument != "MIRI"
    n_snow = (1 if nir and big else 0) if snowballs is None else snowballs
    n_shower = (1 if not nir and big else 0) if showers is None else showers
    sigma_1f = det.one_over_f if one_over_f is None else one_over_f
    namps = 4 if (not nir or nx == full_nx) else 1
    amp_of_column = (np.arange(nx) % 4) if not nir else (np.arange(nx) * namps // nx)
    tframe = _frame_time(det, ny, nx, namps)
    tgroup = (nframes + groupgap) * tframe
    group_of_frame, nframes_total = alg.frame_layout(ngroups, nframes, groupgap)
    tint = nframes_total * tframe

    sci = np.empty((nints, ngroups, ny, nx), np.uint16)
    satgroup = np.empty((nints, ny, nx), np.int16)
    cr_group = np.full((nints, ny, nx), -1, np.int16)
    cr_dn = np.zeros((nints, ny, nx), np.float32)
    rows = []
    for i in range(nints):
        mean_events = cr_rate * area * det.pixel_cm ** 2 * tint
        parts = [
            alg.cosmic_rays(rng, (ny, nx), nframes_total, n_events=int(rng.poisson(mean_events)),
                            median_charge=1500.0 if nir else 3000.0, neighbour_fraction=0.02),
            alg.snowballs(rng, (ny, nx), nframes_total, count=n_snow,
                          full_well=float(np.max(sat_level - bias)) * det.gain),
            alg.showers(rng, (ny, nx), nframes_total, count=n_shower, peak_charge=30.0 * det.gain),
        ]
        deposits = {k: np.concatenate([p[1][k] for p in parts]) for k in parts[0][1]}
        deposits["charge"] = deposits["charge"] * light[deposits["y"], deposits["x"]]
        for kind, (events, _) in enumerate(parts):
            for j in range(events["frame"].size):
                rows.append((i + 1, int(group_of_frame[events["frame"][j]]), int(events["frame"][j]),
                             int(events["y"][j]), int(events["x"][j]),
                             float(events["charge"][j] / gain[events["y"][j], events["x"][j]]),
                             alg.KINDS[kind]))
        row_noise = _row_noise(rng, nframes_total, namps, ny, sigma_1f)
        out = alg.integration(rng, rate=charge_rate, gain=gain, bias=bias, sat_level=sat_level,
                              sigma_frame=sigma_frame, row_noise=row_noise, amp_of_column=amp_of_column,
                              deposits=deposits, ngroups=ngroups, nframes=nframes, groupgap=groupgap,
                              tframe=tframe, nonlinearity=nonlin, flag_level=sat_flag[sub])
        sci[i] = out["sci"]
        satgroup[i] = out["satgroup"]
        dn = deposits["charge"] / gain[deposits["y"], deposits["x"]]
        np.add.at(cr_dn[i], (deposits["y"], deposits["x"]), dn.astype(np.float32))
        groups = group_of_frame[deposits["frame"]]
        strong = dn >= 1.0
        first = np.full((ny, nx), np.iinfo(np.int16).max, np.int16)
        np.minimum.at(first, (deposits["y"][strong], deposits["x"][strong]), groups[strong].astype(np.int16))
        cr_group[i] = np.where(first == np.iinfo(np.int16).max, -1, first)

    keys = _exposure_keywords(det, detector, ny, nx, ngroups, nints, nframes, groupgap, readpatt,
                              tframe, tgroup, tint, namps)
    root = keys["FILENAME"].removesuffix("_uncal.fits")
    uncal = _uncal(keys, sci, nints, tint)
    cut = (slice(None), slice(None))
    ref_keys = _reference_keywords(det, detector, *(full_ny, full_nx) if not ref_subarray else (ny, nx),
                                   readpatt)
    refs = {
        "gain": _reference("GAIN", "gain.fits", ref_keys, "electron/DN",
                           [HDU.image("SCI", maps["gain"][cut].astype(np.float32))]),
        "readnoise": _reference("READNOISE", "readnoise.fits", ref_keys, "DN",
                                [HDU.image("SCI", maps["readnoise"][cut].astype(np.float32))]),
        "mask": _reference("MASK", "mask.fits", ref_keys, None,
                           [HDU.image("DQ", maps["badpix"][cut].astype(np.uint32)), _dq_def()]),
        "superbias": _reference("SUPERBIAS", "superbias.fits", ref_keys, "DN",
                                [HDU.image("SCI", maps["bias"].astype(np.float32)),
                                 HDU.image("ERR", np.full(maps["bias"].shape, 1.0, np.float32)),
                                 HDU.image("DQ", np.zeros(maps["bias"].shape, np.uint32)), _dq_def()]),
        "saturation": _reference("SATURATION", "saturation.fits", ref_keys, "DN",
                                 [HDU.image("SCI", sat_flag.astype(np.float32)),
                                  HDU.image("DQ", np.zeros(sat_flag.shape, np.uint32)), _dq_def()]),
    }
    if nonlinear:
        coeffs = np.stack([np.zeros_like(maps["c2"]), np.ones_like(maps["c2"]), maps["c2"], maps["c3"]])
        refs["linearity"] = _reference("LINEARITY", "linearity.fits", ref_keys, None,
                                       [HDU.image("COEFFS", coeffs.astype(np.float32)),
                                        HDU.image("DQ", np.zeros(maps["c2"].shape, np.uint32)), _dq_def()])
    if dark_current is not None:
        refs["dark"] = _dark_reference(ref_keys, dark_full, maps["gain"], det, ngroups, nframes, groupgap,
                                       tframe)
    truth_primary = fits.Header()
    for k, v in keys.items():
        truth_primary[k] = v
    truth_primary["FILENAME"] = f"{root}_truth.fits"
    truth_primary["DATAMODL"] = "JwcalSimulationTruth"
    truth_primary["SIMSEED"] = (seed, "jwcal simulate ramp seed")
    truth_primary["CR_RATE"] = (cr_rate, "cosmic rays per cm2 per s")
    truth_primary["PIXAREA"] = (det.pixel_cm ** 2, "pixel area, cm2")
    truth_primary["SKY"] = (sky_dn, "sky background, DN/s")
    truth_primary["ONEOVERF"] = (sigma_1f, "1/f row rms per frame, DN")
    truth_primary["SATMARGN"] = (SATURATION_MARGIN, "SATURATION reference = SAT_LEVEL - this, DN")
    truth_primary["NONLIN"] = (nonlinear, "non-linear detector (LINEARITY reference exact)")
    truth_primary["DARKCURR"] = (dark_current if dark_current is not None else 0.0, "mean dark, DN/s")
    truth = Exposure([
        HDU(header=truth_primary, kind="image"),
        HDU.image("TRUE_RATE", (sky_rate / gain).astype(np.float32), _bunit("DN/s")),
        HDU.image("DARK_RATE", dark_rate.astype(np.float32), _bunit("DN/s")),
        HDU.image("BIAS", bias.astype(np.float32), _bunit("DN")),
        HDU.image("SAT_LEVEL", sat_level.astype(np.float32), _bunit("DN")),
        HDU.image("BADPIX", badpix.astype(np.uint32)),
        HDU.image("SATGROUP", satgroup),
        HDU.image("CR_GROUP", cr_group),
        HDU.image("CR_DN", cr_dn, _bunit("DN")),
        _table("CRS", rows, [("integration", "i4"), ("group", "i4"), ("frame", "i4"), ("y", "i4"),
                             ("x", "i4"), ("amplitude", "f4"), ("kind", "S8")]),
        _table("SOURCES", list(zip(sources["y"], sources["x"], sources["flux"] / det.gain,
                                   np.array(["star", "galaxy"])[sources["kind"]], strict=True)),
               [("y", "f8"), ("x", "f8"), ("flux", "f8"), ("kind", "S8")]),
    ], source="<simulate ramp>")
    return {"uncal": uncal, **refs, "truth": truth}


def _dark_reference(keys, dark_rate, gain, det, ngroups, nframes, groupgap, tframe):
    """DARK reference: the noise-free dark signal (DN) of every group, science read pattern."""
    period = nframes + groupgap
    t = (np.arange(ngroups) * period + (nframes + 1) / 2.0) * tframe  # mean frame time of each group
    frames = (t[:, None, None] * dark_rate[None]).astype(np.float32)
    if det.instrument == "MIRI":
        frames = frames[None]
    exposure = _reference("DARK", "dark.fits", keys, "DN",
                          [HDU.image("SCI", frames), HDU.image("DQ", np.zeros(dark_rate.shape, np.uint32)),
                           _dq_def(),
                           HDU.image("AVDRKCUR", (dark_rate * gain).astype(np.float32))])
    header = exposure.primary
    header["NFRAMES"], header["GROUPGAP"], header["NGROUPS"] = nframes, groupgap, ngroups
    header["NINTS"] = 1
    return exposure


def _bunit(unit):
    header = fits.Header()
    header["BUNIT"] = unit
    return header


def _light_sensitive(det: Detector, ny: int, nx: int) -> np.ndarray:
    """Full-frame bool map: False on reference pixels."""
    light = np.ones((ny, nx), bool)
    r = det.refpix
    light[:, :r] = light[:, nx - r:] = False
    if det.instrument != "MIRI":
        light[:r, :] = light[ny - r:, :] = False
    return light


_TILE = 256


def _detector_maps(seed: int, det: Detector, ny: int, nx: int) -> dict[str, np.ndarray]:
    """Gain, read noise, bias, saturation and bad-pixel maps of rows [0, ny) and columns [0, nx).

    Pixel values come from 256x256 tiles with their own random streams, so a subarray sees exactly
    the values of the full frame at the same place, and only the tiles it covers are computed.
    """
    full_ny, full_nx = det.full
    nir = det.instrument != "MIRI"
    glob = np.random.default_rng([seed, 1])
    amp_bias = det.bias + glob.normal(0.0, 300.0, 4)
    column = glob.normal(0.0, 20.0, full_nx)[:nx]
    amp = (np.arange(nx) * 4 // full_nx) if nir else (np.arange(nx) % 4)
    names = ("gain", "readnoise", "bias", "sat_level", "u", "hot_rate", "c2", "c3", "dark_scatter")
    maps = {name: np.empty((ny, nx), np.float32) for name in names}
    for y0 in range(0, ny, _TILE):
        for x0 in range(0, nx, _TILE):
            rng = np.random.default_rng([seed, 2, y0 // _TILE, x0 // _TILE])
            th, tw = min(_TILE, full_ny - y0), min(_TILE, full_nx - x0)
            draws = rng.standard_normal((7, th, tw), np.float32)
            u = rng.random((2, th, tw), np.float32)
            sy, sx = slice(y0, min(y0 + th, ny)), slice(x0, min(x0 + tw, nx))
            cy, cx = slice(0, sy.stop - y0), slice(0, sx.stop - x0)
            maps["gain"][sy, sx] = det.gain * (1.0 + 0.03 * draws[0][cy, cx])
            maps["readnoise"][sy, sx] = det.readnoise * np.exp(0.1 * draws[1][cy, cx])
            maps["bias"][sy, sx] = 40.0 * draws[2][cy, cx]
            maps["sat_level"][sy, sx] = det.sat_level + 800.0 * draws[3][cy, cx]
            maps["u"][sy, sx] = u[0][cy, cx]
            maps["hot_rate"][sy, sx] = 10.0 ** (1.5 * u[1][cy, cx])
            maps["c2"][sy, sx] = 1.5e-6 * (1.0 + 0.1 * draws[4][cy, cx])
            maps["c3"][sy, sx] = 5e-12 * np.exp(0.1 * draws[5][cy, cx])
            maps["dark_scatter"][sy, sx] = np.exp(0.3 * draws[6][cy, cx] - 0.045)
    maps["bias"] += (amp_bias[amp] + column)[None, :]
    light = _light_sensitive(det, full_ny, full_nx)[:ny, :nx]
    maps["badpix"] = np.where(light, 0, dq.PIXEL["REFERENCE_PIXEL"]).astype(np.uint32)
    return maps


def _frame_time(det: Detector, ny: int, nx: int, namps: int) -> float:
    """Frame time in seconds: 10 us per pixel, 12 (NIRCam) or 13 (MIRI) overhead columns per row."""
    if det.instrument == "MIRI":
        return 1e-5 * (nx // 4 + 13) * ny
    return 1e-5 * (nx // namps + 12) * (ny + 1)


def _row_noise(rng, nframes_total, namps, ny, sigma):
    """1/f row offsets per frame: a component common to all amplifiers plus a third as much each."""
    length = nframes_total * ny
    common = alg.pink_rows(rng, 1, length, sigma)
    own = alg.pink_rows(rng, namps, length, sigma / 3.0)
    return (common + own).reshape(namps, nframes_total, ny).transpose(1, 0, 2)


def _exposure_keywords(det, detector, ny, nx, ngroups, nints, nframes, groupgap, readpatt,
                       tframe, tgroup, tint, namps):
    from astropy.time import Time

    full_ny, full_nx = det.full
    effint = tgroup * (ngroups - 1) + nframes * tframe if ngroups > 1 else nframes * tframe
    duration = nints * tint
    start = EXPSTART
    end = start + duration / 86400.0
    mid = 0.5 * (start + end)
    years = (mid - 51544.5) / 365.25
    dec = TARGET["PROP_DEC"] + TARGET["MU_DEC"] * years / 3600.0
    ra = TARGET["PROP_RA"] + TARGET["MU_RA"] * years / 3600.0 / math.cos(math.radians(TARGET["PROP_DEC"]))
    obs = Time(start, format="mjd", scale="utc")
    date_obs, time_obs = obs.isot.split("T")
    filename = f"jw{PROGRAM}{OBSERVATION}{VISIT}_01101_00001_{detector.lower()}_uncal.fits"
    return {
        "TELESCOP": "JWST", "INSTRUME": det.instrument, "DETECTOR": detector,
        "FILTER": det.filter, "PUPIL": det.pupil, "EXP_TYPE": det.exp_type,
        "FILENAME": filename, "DATAMODL": "Level1bModel", "FILETYPE": "uncalibrated",
        "ORIGIN": "jwcal", "SDP_VER": "jwcal-simulate",
        "PROGRAM": PROGRAM, "OBSERVTN": OBSERVATION, "VISIT": VISIT, "VISITGRP": "01",
        "SEQ_ID": "1", "ACT_ID": "01", "EXPOSURE": "00001",
        "OBS_ID": f"V{PROGRAM}{OBSERVATION}{VISIT}P0000000001101",
        "VISIT_ID": f"{PROGRAM}{OBSERVATION}{VISIT}", "TARGPROP": "SIMFIELD", "TARGNAME": "SIMFIELD",
        "TARGTYPE": "FIXED", "TARG_RA": ra, "TARG_DEC": dec, "PROP_RA": TARGET["PROP_RA"],
        "PROP_DEC": TARGET["PROP_DEC"], "MU_RA": TARGET["MU_RA"], "MU_DEC": TARGET["MU_DEC"],
        "MU_EPOCH": TARGET["MU_EPOCH"],
        "DATE-OBS": date_obs, "TIME-OBS": time_obs[:12], "EXPSTART": start, "EXPMID": mid, "EXPEND": end,
        "READPATT": readpatt, "NINTS": nints, "NGROUPS": ngroups, "NFRAMES": nframes,
        "GROUPGAP": groupgap, "NSAMPLES": 1, "TSAMPLE": 10.0, "TFRAME": tframe, "TGROUP": tgroup,
        "EFFINTTM": effint, "EFFEXPTM": effint * nints, "DURATION": duration,
        "DRPFRMS1": 0, "DRPFRMS3": 0, "NRSTSTRT": 1, "NRESETS": 1, "NOUTPUTS": namps,
        "ZEROFRAM": False, "INTSTART": 1, "INTEND": nints, "EXSEGNUM": 1, "EXSEGTOT": 1,
        "SUBARRAY": "FULL" if (ny, nx) == (full_ny, full_nx) else "GENERIC",
        "SUBSTRT1": 1, "SUBSTRT2": 1, "SUBSIZE1": nx, "SUBSIZE2": ny,
        "FASTAXIS": 1 if det.instrument == "MIRI" else -1, "SLOWAXIS": 2,
    }


def _uncal(keys, sci, nints, tint):
    primary = fits.Header()
    for k, v in keys.items():
        primary[k] = v
    start = keys["EXPSTART"]
    t0 = start + np.arange(nints) * tint / 86400.0
    t1 = t0 + tint / 86400.0
    tdb = 69.184 / 86400.0  # TT - UTC; no barycentric light-time term is simulated
    int_times = np.zeros(nints, dtype=[("integration_number", ">i4"), ("int_start_MJD_UTC", ">f8"),
                                        ("int_mid_MJD_UTC", ">f8"), ("int_end_MJD_UTC", ">f8"),
                                        ("int_start_BJD_TDB", ">f8"), ("int_mid_BJD_TDB", ">f8"),
                                        ("int_end_BJD_TDB", ">f8")])
    int_times["integration_number"] = np.arange(1, nints + 1)
    for col, t in (("start", t0), ("mid", 0.5 * (t0 + t1)), ("end", t1)):
        int_times[f"int_{col}_MJD_UTC"] = t
        int_times[f"int_{col}_BJD_TDB"] = t + tdb
    sci_header = fits.Header()
    sci_header["BUNIT"] = "DN"
    return Exposure([HDU(header=primary, kind="image"), HDU.image("SCI", sci, sci_header),
                     _table("INT_TIMES", int_times)], source="<simulate ramp>")


def _reference_keywords(det, detector, ny, nx, readpatt):
    full = (ny, nx) == det.full
    return {"TELESCOP": "JWST", "INSTRUME": det.instrument, "DETECTOR": detector,
            "SUBARRAY": "FULL" if full else "GENERIC", "SUBSTRT1": 1, "SUBSTRT2": 1,
            "SUBSIZE1": nx, "SUBSIZE2": ny, "FASTAXIS": 1 if det.instrument == "MIRI" else -1,
            "SLOWAXIS": 2, "READPATT": "ANY", "EXP_TYPE": det.exp_type,
            "AUTHOR": "jwcal simulate ramp", "PEDIGREE": "DUMMY", "USEAFTER": "2022-01-01T00:00:00",
            "DESCRIP": "Simulated reference file matching a jwcal simulation"}


def _reference(reftype, filename, keys, bunit, hdus):
    primary = fits.Header()
    for k, v in keys.items():
        primary[k] = v
    primary["REFTYPE"] = reftype
    primary["FILENAME"] = filename
    primary["DATAMODL"] = {"GAIN": "GainModel", "READNOISE": "ReadnoiseModel", "MASK": "MaskModel",
                           "SUPERBIAS": "SuperBiasModel", "SATURATION": "SaturationModel",
                           "LINEARITY": "LinearityModel"}.get(reftype, f"{reftype.capitalize()}Model")
    if reftype == "DARK" and keys["INSTRUME"] == "MIRI":
        primary["DATAMODL"] = "DarkMIRIModel"
    if bunit:
        hdus[0].header["BUNIT"] = bunit
    return Exposure([HDU(header=primary, kind="image"), *hdus], source="<simulate ramp>")


def _dq_def():
    rows = [(int(dq.PIXEL[n]).bit_length() - 1, dq.PIXEL[n], n, _DQ_DESCRIPTIONS[n]) for n in _DQ_NAMES]
    return _table("DQ_DEF", rows, [("BIT", ">i4"), ("VALUE", ">u4"), ("NAME", "S40"), ("DESCRIPTION", "S80")])


def _table(name, rows, dtype=None):
    """Return a binary-table HDU from a structured array, or from rows and a dtype."""
    data = rows if dtype is None else np.array([tuple(r) for r in rows], dtype=dtype)
    hdu = fits.BinTableHDU(data=data, name=name)
    return HDU(header=hdu.header, data=hdu.data, kind="table")
