"""Resample (drizzle) calibrated exposures onto one mosaic, adding them one at a time.

The FITS (TAN or TAN-SIP) WCS in each SCI header is the geometry; the output is a plain TAN grid
computed from all inputs' footprints (jwst's ``wcs_from_sregions`` rules) or given explicitly.
Memory holds the output arrays plus one input exposure, whatever the number of inputs: a first
pass reads headers only to build the grid, the second adds each exposure and drops it.
"""

from __future__ import annotations

import logging

import numpy as np

from jwcal import units
from jwcal.algorithms import resample as alg
from jwcal.errors import DataError, UsageError
from jwcal.exposure import HDU, Exposure
from jwcal.products import with_suffix
from jwcal.specs.resample import SPEC
from jwcal.steps.fits_wcs import OutputTan, pixmap
from jwcal.steps.mosaic_grid import make_grid
from jwcal.steps.stage3_inputs import (
    HDRTAB_KEYS,
    VARIANCES,
    WEIGHT_TYPES,
    ExposureSource,
    bad_bits_mask,
    input_arrays,
    iterate,
    parse_fillval,
    scan_headers,
)

log = logging.getLogger("jwcal")
#: Keywords of the first input's primary header that do not describe the mosaic.
_INPUT_PROVENANCE = ("DATE", "CAL_VER", "CAL_VCS", "CRDS_CTX", "CRDS_VER")


class Mosaic:
    """Output arrays of a resample, to which exposures are added one at a time.

    Holds float64 Σw·d and Σw, the context planes (int32, one bit per input), and for each
    variance component jwst's Σ W² v and Σ W (float32); nothing per input is kept.
    """

    def __init__(self, wcs, shape, ninputs, *, kernel, pixfrac, pixel_scale_ratio, weight_type, bad_bits,
                 variances=True):
        self.wcs, self.shape = wcs, shape
        self.kernel, self.pixfrac, self.ratio = kernel, pixfrac, pixel_scale_ratio
        self.weight_type, self.bad_bits = weight_type, bad_bits
        self.dsum = np.zeros(shape)
        self.wsum = np.zeros(shape)
        self.con = np.zeros(((max(ninputs, 1) - 1) // 32 + 1, *shape), dtype=np.uint32)
        self.var = variances
        if variances:
            self.vsum = {name: np.zeros(shape, np.float32) for name in VARIANCES}
            self.vwt = {name: np.zeros(shape, np.float32) for name in VARIANCES}

    def add(self, exposure: Exposure, in_wcs, index: int) -> None:
        """Drizzle ``exposure`` (the ``index``-th input, 0-based) into the mosaic.

        Memory: the input's arrays, its pixel map and the drizzled sums over its box; temporaries
        are released as soon as they are used, and the variance channels are combined one at a
        time (each float64 box-sized plane lives only while it is added).
        """
        sci, weights, variances = input_arrays(exposure, bad_bits=self.bad_bits, weight_type=self.weight_type)
        pmap = pixmap(in_wcs, self.wcs, sci.shape)
        names = [n for n in VARIANCES if n in variances] if self.var else []
        chans = np.empty((1 + len(names), *sci.shape), dtype=np.float32)
        chans[0] = sci
        del sci
        usable = weights > 0
        for k, n in enumerate(names):
            np.sqrt(np.where(usable, variances[n], 0.0), out=chans[k + 1])
        del variances, usable
        box, dsum, wsum = alg.drizzle(chans, weights, pmap, self.shape, kernel=self.kernel,
                                      pixfrac=self.pixfrac, pixel_scale_ratio=self.ratio)
        del chans, pmap
        if box is None or not (wsum > 0).any():
            if not (weights > 0).any():
                log.warning("%s: no usable pixel (all flagged or zero weight); nothing added", exposure.label)
                return
            raise DataError(f"{exposure.label}: does not overlap the output grid")
        del weights
        y0, y1, x0, x1 = box
        region = (slice(y0, y1), slice(x0, x1))
        self.dsum[region] += dsum[0]
        self.wsum[region] += wsum
        hit = wsum > 0
        self.con[index // 32][region][hit] |= np.uint32(1 << (index % 32))
        if not names:
            return

        def resampled_variance(name):
            # jwst: the drizzled sqrt(variance) squared.
            with np.errstate(divide="ignore", invalid="ignore"):
                v = dsum[names.index(name) + 1] / wsum
            return np.square(v, out=v)

        with np.errstate(divide="ignore", invalid="ignore"):
            if self.weight_type == "ivm" and "VAR_RNOISE" in names:
                wcomb = resampled_variance("VAR_RNOISE")
                np.divide(1.0, wcomb, out=wcomb)
            elif self.weight_type == "exptime":
                primary = exposure.peek_primary()
                wcomb = np.full(wsum.shape, float(primary.get("TMEASURE", primary.get("EFFEXPTM"))))
            else:
                wcomb = np.ones(wsum.shape)
        wcomb[~np.isfinite(wcomb) | ~hit] = 0.0
        usable = hit & (wcomb > 0)
        wcomb2 = np.square(wcomb)
        for n in names:
            v = resampled_variance(n)
            with np.errstate(invalid="ignore"):
                ok = usable & np.isfinite(v) & (v >= 0)
            np.multiply(wcomb2, v, out=v)
            np.add(self.vsum[n][region], v.astype(np.float32), out=self.vsum[n][region], where=ok)
            np.add(self.vwt[n][region], wcomb.astype(np.float32), out=self.vwt[n][region], where=ok)
            del v, ok

    def arrays(self, fillval: float):
        """Return SCI, ERR, CON, WHT and the variance arrays (dict name → array)."""
        out = {"SCI": alg.weighted_mean(self.dsum, self.wsum, fillval)}
        variances = {}
        if self.var:
            for n in VARIANCES:
                with np.errstate(divide="ignore", invalid="ignore"):
                    v = self.vsum[n] / self.vwt[n] ** 2 / np.float32(self.ratio**2)
                v[self.vwt[n] <= 0] = np.nan
                variances[n] = v.astype(np.float32)
            stack = np.stack([variances[n] for n in ("VAR_RNOISE", "VAR_POISSON", "VAR_FLAT")])
            allnan = np.all(np.isnan(stack), axis=0)
            err = np.sqrt(np.nansum(stack, axis=0)).astype(np.float32)
            err[allnan] = np.nan
            out["ERR"] = err
        out["CON"] = self.con.view(np.int32)
        out["WHT"] = self.wsum.astype(np.float32)
        for n in ("VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"):
            if n in variances:
                out[n] = variances[n]
        return out


def run(
    exposures: ExposureSource,
    *,
    kernel: str = "square",
    pixfrac: float = 1.0,
    fillval: str = "NaN",
    weight_type: str = "ivm",
    good_bits: str = "~DO_NOT_USE+NON_SCIENCE",
    pixel_scale_ratio: float = 1.0,
    pixel_scale: float | None = None,
    rotation: float | None = None,
    crpix: tuple[float, float] | None = None,
    crval: tuple[float, float] | None = None,
    output_shape: tuple[int, int] | None = None,
    output_wcs: Exposure | None = None,
    blendheaders: bool = True,
) -> Exposure:
    """Drizzle all exposures onto one mosaic and return it as an ``_i2d`` exposure.

    Parameters
    ----------
    exposures : callable or sequence of Exposure
        ``exposures(headers_only)`` returns a fresh iterable of the inputs (it is called twice:
        headers only, then with data), or a sequence of exposures.
    kernel : str
        Drizzle kernel, a key of :data:`jwcal.algorithms.resample.KERNELS`.
    pixfrac : float
        Drop size relative to the input pixel.
    fillval : str
        Value of output pixels without data: ``NaN``, ``INDEF`` or a number.
    weight_type : {"ivm", "exptime"}
        Pixel weights: inverse read-noise variance, or exposure time.
    good_bits : str
        DQ flags of usable pixels, jwst notation (default excludes DO_NOT_USE and NON_SCIENCE).
    pixel_scale_ratio : float
        Output pixel scale relative to the first input's.
    pixel_scale : float, optional
        Output pixel scale in arcsec (overrides the ratio).
    rotation : float, optional
        Position angle of the output y axis, degrees East of North; default the first input's.
    crpix : (float, float), optional
        0-based reference pixel (x, y) of the output grid.
    crval : (float, float), optional
        RA, Dec (degrees) of the reference pixel.
    output_shape : (int, int), optional
        Output size (nx, ny).
    output_wcs : Exposure, optional
        A file whose SCI (or primary) header holds the output WCS and size; overrides the above.
    blendheaders : bool
        Add the HDRTAB table of input keywords.

    Returns
    -------
    Exposure
        PRIMARY, SCI, ERR, CON, WHT, VAR_POISSON, VAR_RNOISE, VAR_FLAT (+ HDRTAB).
    """
    values = dict(locals())  # the parameters, for the HISTORY card (jwcal/specs/resample.py)
    if kernel not in alg.KERNELS:
        raise UsageError(f"Kernel {kernel!r} is not supported.")
    if weight_type not in WEIGHT_TYPES:
        raise UsageError(f"weight_type must be one of {', '.join(WEIGHT_TYPES)}")
    if not 0.0 < pixfrac <= 1.0:
        raise UsageError("pixfrac must be in (0, 1]")
    fill = parse_fillval(fillval)
    bad = bad_bits_mask(good_bits)
    infos = scan_headers(exposures)
    wcs, shape, ratio = make_grid(infos, pixel_scale_ratio=pixel_scale_ratio, pixel_scale=pixel_scale,
                                  rotation=rotation, crpix=crpix, crval=crval, output_shape=output_shape,
                                  output_wcs=output_wcs)
    log.info("resample: %d inputs onto %dx%d pixels (ratio %.4g)", len(infos), shape[1], shape[0], ratio)
    mosaic = Mosaic(wcs, shape, len(infos), kernel=kernel, pixfrac=pixfrac, pixel_scale_ratio=ratio,
                    weight_type=weight_type, bad_bits=bad)
    first_primary = None
    for index, exposure in enumerate(iterate(exposures, False)):
        if index >= len(infos):
            raise DataError("the inputs changed between the header pass and the data pass")
        if first_primary is None:
            first_primary = exposure.peek_primary().copy()
        mosaic.add(exposure, infos[index].wcs, index)
        log.info("%s: added (%d/%d)", exposure.label, index + 1, len(infos))
    arrays = mosaic.arrays(fill)
    params = dict(kernel=kernel, pixfrac=pixfrac, fillval=fillval, weight_type=weight_type,
                  good_bits=good_bits, pixel_scale_ratio=ratio)
    return _product(first_primary, infos, wcs, arrays, params, blendheaders, SPEC.history(values))


def _product(primary, infos, wcs, arrays, params, blendheaders, history) -> Exposure:
    # the first input's provenance is not the mosaic's: its references (R_*), when and by what it
    # was written (DATE, CAL_VER: the writer sets the mosaic's own)
    for key in [k for k in primary if k.startswith("R_") or k in _INPUT_PROVENANCE]:
        primary.remove(key, remove_all=True)
    ratio = params["pixel_scale_ratio"]
    groups = {}
    for info in infos:
        groups.setdefault(info.group_id, info.times)
    times = list(groups.values())

    def total(key):
        values = [t.get(key) for t in times]
        return float(sum(values)) if all(v is not None for v in values) else None

    effexp, tmeas, duration = total("EFFEXPTM"), total("TMEASURE"), total("DURATION")
    starts = [t["EXPSTART"] for t in times if t.get("EXPSTART") is not None]
    ends = [t["EXPEND"] for t in times if t.get("EXPEND") is not None]
    span = (("EXPSTART", min(starts) if starts else None), ("EXPEND", max(ends) if ends else None))
    for key, value in (("EFFEXPTM", effexp), ("TMEASURE", tmeas), ("DURATION", duration), *span):
        if value is not None:
            primary[key] = value
    primary["NDRIZ"] = (len(groups), "number of drizzled exposures (group ids)")
    primary["RESWHT"] = (params["weight_type"], "resample weighting")
    primary["PIXFRAC"] = (float(params["pixfrac"]), "drizzle pixfrac")
    primary["PXSCLRT"] = (float(ratio), "output / input pixel scale ratio")
    primary["S_RESAMP"] = "COMPLETE"
    primary["FILENAME"] = with_suffix(str(primary.get("FILENAME", "") or ""), "i2d") or "mosaic_i2d.fits"
    primary["HISTORY"] = history

    header = _sci_header(wcs, infos[0].bunit, effexp, duration)
    bunit = header["BUNIT"]
    array_units = {"SCI": bunit, "ERR": bunit, "WHT": units.weight_unit(bunit, params["weight_type"]),
                   **{name: units.squared(bunit) for name in VARIANCES}}
    hdus = [HDU(header=primary)]
    for name, data in arrays.items():
        array_header = None
        if name in array_units:  # the WCS cards on every image, each with the unit of its own values
            array_header = header.copy()
            array_header["BUNIT"] = array_units[name]
        hdus.append(HDU.image(name, data, array_header))
    if blendheaders:
        hdus.append(hdrtab([info.row for info in infos]))
    return Exposure(hdus, source="resample")


def _sci_header(wcs, bunit, effexp, duration):
    from astropy.io import fits

    if isinstance(wcs, OutputTan):
        cdelt, cards = wcs.cdelt[0], wcs.header_cards()
    else:  # an astropy WCS read from --output-wcs
        cdelt, cards = wcs.wcs.cdelt[0], wcs.to_header(relax=False)
    header = fits.Header()
    header["BUNIT"] = bunit or "MJy/sr"
    if effexp is not None:
        header["XPOSURE"] = effexp
    if duration is not None:
        header["TELAPSE"] = duration
    scale_arcsec = abs(cdelt) * 3600.0
    header["PIXAR_A2"] = (scale_arcsec**2, "nominal pixel area, arcsec^2")
    header["PIXAR_SR"] = (scale_arcsec**2 / 206264.806247**2, "nominal pixel area, sr")
    header.extend(cards, update=True)
    header.remove("MJDREF", ignore_missing=True)
    ny, nx = wcs.pixel_shape[1], wcs.pixel_shape[0]
    corners = wcs.wcs_pix2world([-0.5, nx - 0.5, nx - 0.5, -0.5], [-0.5, -0.5, ny - 0.5, ny - 0.5], 0)
    pairs = zip(*corners, strict=True)
    header["S_REGION"] = "POLYGON ICRS " + " ".join(f"{ra:.9f} {dec:.9f}" for ra, dec in pairs)
    return header


def hdrtab(rows: list[dict]) -> HDU:
    """Return the HDRTAB table: one row of selected keywords per input (text or float columns)."""
    from astropy.io import fits

    columns = []
    for key in HDRTAB_KEYS:
        values = [row.get(key) for row in rows]
        if all(v is None for v in values):
            continue
        if all((isinstance(v, int | float) and not isinstance(v, bool)) or v is None for v in values):
            array = np.array([np.nan if v is None else float(v) for v in values])
            columns.append(fits.Column(name=key, format="D", array=array))
        else:
            text = ["" if v is None else str(v) for v in values]
            width = max(1, max(len(t) for t in text))
            columns.append(fits.Column(name=key, format=f"{width}A", array=np.array(text)))
    table = fits.BinTableHDU.from_columns(columns, name="HDRTAB")
    return HDU(header=table.header, data=table.data, kind="table")
