"""What resample, outlier and tweakreg share about their inputs: a re-iterable source, headers, bad bits.

A stage-3 step is given an :data:`ExposureSource` that it can iterate more than once (headers only
first, then with data), so memory holds one exposure at a time whatever the number of inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from jwcal import dq, methods, products
from jwcal.algorithms import weights as weights_alg
from jwcal.errors import DataError, UsageError
from jwcal.exposure import Exposure
from jwcal.steps.fits_wcs import celestial_wcs
from jwcal.steps.mosaic_grid import footprint
from jwcal.steps.product_level import IMAGE, require

WEIGHT_TYPES = methods.WEIGHT_TYPES
VARIANCES = ("VAR_RNOISE", "VAR_POISSON", "VAR_FLAT")
HDRTAB_KEYS = ("FILENAME", "DATAMODL", "TELESCOP", "DATE-OBS", "TIME-OBS", "INSTRUME", "DETECTOR",
               "EXP_TYPE", "EXPSTART", "EXPEND", "EFFEXPTM", "TMEASURE", "DURATION", "BUNIT", "PIXAR_SR",
               "PIXAR_A2", "S_REGION", "V2_REF", "V3_REF", "VPARITY", "V3I_YANG", "RA_REF", "DEC_REF",
               "ROLL_REF")
ExposureSource = Callable[[bool], Iterable[Exposure]] | Sequence[Exposure]


def bad_bits_mask(good_bits: str | int | None) -> int:
    """Return the DQ bits that make a pixel unusable, from jwst's ``good_bits`` notation.

    ``"~DO_NOT_USE+NON_SCIENCE"`` means those flags are bad and all others are fine; ``"4+16"`` or
    ``20`` means only those flags are fine (any other set bit is bad); ``None``/``"None"`` means
    every pixel is usable.

    Examples
    --------
    >>> bad_bits_mask("~DO_NOT_USE+NON_SCIENCE")
    513
    >>> bad_bits_mask("0") == 0xFFFFFFFF
    True
    """
    if good_bits is None or str(good_bits).strip().upper() in ("", "NONE"):
        return 0
    text = str(good_bits).strip().replace(",", "+").replace("|", "+")
    flip = text.startswith("~")
    value = 0
    for name in text.lstrip("~").split("+"):
        name = name.strip()
        if not name:
            continue
        if name.lstrip("-").isdigit():
            value |= int(name)
        elif name.upper() in dq.PIXEL:
            value |= dq.PIXEL[name.upper()]
        else:
            raise UsageError(f"good_bits: unknown DQ flag {name!r}")
    value &= 0xFFFFFFFF
    return value if flip else (~value) & 0xFFFFFFFF


def parse_fillval(fillval: str | float) -> float:
    """Return the numeric fill value: ``NaN``, ``INDEF`` (= 0, drizzle's untouched value) or a number."""
    text = str(fillval).strip().upper()
    if text in ("NAN", "NONE"):
        return float("nan")
    if text == "INDEF":
        return 0.0
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"fillval: {fillval!r} is not a number, NaN or INDEF") from None


def image_shape(exposure: Exposure) -> tuple[int, int]:
    """(ny, nx) of SCI from its header."""
    shape = require(exposure, "resample and outlier", IMAGE)
    if len(shape) != 2:
        raise DataError(f"{exposure.label}: SCI is {len(shape)}-D; resample needs 2-D images (_cal)")
    return shape


class InputInfo:
    """What the header pass keeps of one input: geometry, units, times, a HDRTAB row."""

    def __init__(self, exposure: Exposure, index: int):
        self.label = exposure.label
        self.index = index
        self.shape = image_shape(exposure)  # first: a ramp is refused as one, not for its WCS
        self.wcs = celestial_wcs(exposure)
        try:
            self.footprint = footprint(self.wcs, self.shape)
        except DataError as exc:
            raise DataError(f"{self.label}: {exc}") from None
        sci = exposure["SCI"].peek_header()
        primary = exposure.peek_primary()
        self.bunit = str(sci.get("BUNIT", "")).strip()
        self.pointing = {k: sci.get(k) for k in ("ROLL_REF", "V3I_YANG", "VPARITY")}
        self.pixar_sr = sci.get("PIXAR_SR", primary.get("PIXAR_SR"))
        self.group_id = products.group_id(primary) or self.label
        self.times = {k: primary.get(k, sci.get(k)) for k in ("EFFEXPTM", "TMEASURE", "DURATION",
                                                             "EXPSTART", "EXPEND")}
        merged = {**{k: primary.get(k) for k in HDRTAB_KEYS}, **{k: sci[k] for k in HDRTAB_KEYS if k in sci}}
        self.row = merged


def iterate(source: ExposureSource, headers_only: bool) -> Iterator[Exposure]:
    """Iterate a source of exposures: a callable ``(headers_only) -> iterable`` or a sequence."""
    if callable(source):
        yield from source(headers_only)
    else:
        yield from source


def scan_headers(source: ExposureSource) -> list[InputInfo]:
    """First pass: read every input's headers; check WCS and units."""
    infos = [InputInfo(exposure, index) for index, exposure in enumerate(iterate(source, True))]
    if not infos:
        raise DataError("no input exposures")
    units = {info.bunit for info in infos}
    if len(units) > 1:
        raise DataError(f"inputs have mixed units (BUNIT: {', '.join(sorted(repr(u) for u in units))})")
    return infos


def input_arrays(exposure: Exposure, *, bad_bits: int, weight_type: str | None):
    """Return ``(sci, weights, variances)`` of one exposure, ready to drizzle.

    Pixels that are NaN in SCI, ERR or any variance, or whose DQ has a bad bit, get weight 0
    (jwst's ``match_nans_and_flags`` + ``build_driz_weight``). ``variances`` maps each present
    VAR_* name to its array. A background level (BKGLEVEL with BKGSUB false) is subtracted.
    """
    sci = np.asarray(exposure["SCI"].data, dtype=np.float32)
    checks = [exposure["ERR"].data] if "ERR" in exposure else []
    variances = {}
    for name in VARIANCES:
        if name in exposure:
            variances[name] = np.asarray(exposure[name].data, dtype=np.float32)
    checks += list(variances.values())
    dq = exposure["DQ"].data if "DQ" in exposure and bad_bits else None
    primary = exposure.peek_primary()
    if weight_type == "ivm" and "VAR_RNOISE" in variances:
        mode, value = weights_alg.IVM, 1.0
    elif weight_type == "exptime":
        texp = primary.get("TMEASURE", primary.get("EFFEXPTM"))
        if texp is None:
            raise DataError(f"{exposure.label}: weight_type exptime needs TMEASURE or EFFEXPTM")
        mode, value = weights_alg.CONSTANT, float(texp)
    else:
        mode, value = weights_alg.CONSTANT, 1.0
    weights = weights_alg.drizzle_weights(sci, checks, dq, bad_bits, mode, value, variances.get("VAR_RNOISE"))
    level = primary.get("BKGLEVEL")
    if level is not None and primary.get("BKGSUB") is False:
        sci = sci - np.float32(level)
    return sci, weights, variances
