"""``ramp_fit``: ramps (``_ramp``/``_jump``) to count rates (``_rate`` and ``_rateints``).

jwst's RampFitStep with the OLS_C algorithm and optimal weighting; see
:mod:`jwcal.algorithms.ramp_fit` for the method and the data-quality rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from jwcal import dq
from jwcal.algorithms import ramp_fit as _algorithm
from jwcal.algorithms.ramp_fit import fit_ramps
from jwcal.errors import DataError, MissingExtensionError, UnsupportedError
from jwcal.exposure import HDU, Exposure
from jwcal.products import with_suffix
from jwcal.specs.ramp_fit import SPEC
from jwcal.steps.product_level import RAMP, require
from jwcal.steps.references import record_references, reference_array
from jwcal.units import squared

#: Extensions of the input that describe the ramp and are not copied to the rate products.
_RAMP_ONLY = {"SCI", "PIXELDQ", "GROUPDQ", "ERR", "ZEROFRAME", "REFOUT", "AVDRKCUR", "GROUP", "ASDF"}


def _timing(header, label: str) -> tuple[float, float, int]:
    missing = [key for key in ("TGROUP", "TFRAME") if key not in header]
    if missing:
        raise DataError(f"{label}: no {'/'.join(missing)} keyword: the group and frame times are needed")
    tgroup, tframe = float(header["TGROUP"]), float(header["TFRAME"])
    if not (tgroup > 0 and tframe > 0):
        raise DataError(f"{label}: TGROUP={tgroup}, TFRAME={tframe}: times must be positive")
    return tgroup, tframe, int(header.get("NFRAMES", 1) or 1)


def _reference(exposure: Exposure, reference: Exposure, reftype: str) -> np.ndarray:
    array = np.asarray(reference_array(exposure, reference, "SCI", reftype), dtype=np.float32)
    if array.ndim != 2:
        raise DataError(f"{reftype} reference SCI is {array.ndim}-D, expected 2-D")
    if np.isnan(array).any():
        count = int(np.isnan(array).sum())
        raise DataError(f"{exposure.label}: {reftype} reference has {count} NaN value(s) on the data pixels")
    return array


def warm_up() -> None:
    """Load the fitting kernel from numba's cache (the command runs this while its input arrives)."""
    _algorithm.warm_up()


def run(exposure: Exposure, *, gain: Exposure, readnoise: Exposure, suppress_one_group: bool = True,
        rateints: Callable[[Exposure], object] | None = None) -> Exposure:
    """Fit the ramps of an exposure.

    Parameters
    ----------
    exposure : Exposure
        ``_ramp`` layout (after dq-init): SCI float32 (nints, ngroups, ny, nx) in DN, GROUPDQ uint8,
        PIXELDQ uint32, optional AVDRKCUR (DN/s). A raw ``_uncal`` is refused.
    gain : Exposure
        GAIN reference (SCI, e-/DN). NaN on the data's pixels is an error; values <= 0 flag the
        pixel DO_NOT_USE | NO_GAIN_VALUE.
    readnoise : Exposure
        READNOISE reference (SCI, CDS read noise in DN); NaN is an error.
    suppress_one_group : bool
        Integrations with only one good group give no slope (jwst's default True).
    rateints : callable, optional
        Receives the per-integration ``_rateints`` product (CubeModel layout).

    Returns
    -------
    Exposure
        The ``_rate`` product: SCI, ERR, VAR_POISSON, VAR_RNOISE float32 (ny, nx) in DN/s and (DN/s)^2,
        DQ uint32; every input keyword, S_RAMP='COMPLETE', BUNIT='DN/s'.

    Raises
    ------
    MissingExtensionError
        A raw ramp without PIXELDQ/GROUPDQ (run jwcal dq-init first).
    DataError
        Not a ramp, NGROUPS/NINTS mismatch, missing timing keywords, NaN in the references.
    ReferenceFileError
        References of another detector or not covering the data.
    UnsupportedError
        ZEROFRAME use requested (suppress_one_group False with a ZEROFRAME extension): not implemented.
    """
    values = dict(locals())  # the parameters, for the HISTORY card (jwcal/specs/ramp_fit.py)
    nints, ngroups, ny, nx = require(exposure, "ramp-fit", RAMP)
    header = exposure.peek_primary()
    if str(header.get("S_RAMP", "")).upper() == "COMPLETE":
        raise DataError(f"{exposure.label}: already ramp-fitted (S_RAMP=COMPLETE)")
    tgroup, tframe, nframes = _timing(header, exposure.label)
    if not suppress_one_group and "ZEROFRAME" in exposure and ngroups > 1:
        raise UnsupportedError(f"{exposure.label}: using ZEROFRAME for saturated ramps is not implemented; "
                               "keep --suppress-one-group")
    gain_array = _reference(exposure, gain, "GAIN")
    rn_array = _reference(exposure, readnoise, "READNOISE")

    sci = exposure["SCI"].data
    if sci.dtype != np.float32:
        sci = sci.astype(np.float32)
    groupdq = _optional(exposure, "GROUPDQ", (nints, ngroups, ny, nx), np.uint8)
    pixeldq = _optional(exposure, "PIXELDQ", (ny, nx), np.uint32)
    suppress = suppress_one_group
    if str(header.get("INSTRUME", "")).strip().upper() == "MIRI" and ngroups > 1:
        sci, groupdq, suppress = discard_miri_groups(exposure.label, sci, groupdq, suppress_one_group,
                                                     one_group_time=(nframes + 1) * tframe / 2, tgroup=tgroup)
    dark = exposure.get("AVDRKCUR")
    dark_array = None if dark is None or dark.shape != (ny, nx) else np.asarray(dark.data, np.float32)
    result = fit_ramps(sci, groupdq, pixeldq, gain_array, rn_array, group_time=tgroup, frame_time=tframe,
                       nframes=nframes, suppress_one_group=suppress, dark_current=dark_array,
                       rateints=rateints is not None)
    del sci, groupdq
    params = SPEC.history(values)
    references = {"GAIN": gain, "READNOISE": readnoise}
    if rateints is not None:
        rateints(_product(exposure, result["rateints"], "rateints", "CubeModel", params, references))
    return _product(exposure, result["rate"], "rate", "ImageModel", params, references)


def discard_miri_groups(label: str, sci: np.ndarray, groupdq: np.ndarray, suppress_one_group: bool, *,
                        one_group_time: float, tgroup: float) -> tuple[np.ndarray, np.ndarray, bool]:
    """Drop the MIRI group planes that are DO_NOT_USE everywhere, as stcal's OLS_C does.

    stcal (``ols_fit.discard_miri_groups``) removes the leading group planes flagged DO_NOT_USE in
    every pixel of every integration (MIRI's first frames), and one such trailing plane (the last
    frame), before fitting: their flags, JUMP_DET included, never reach the rate DQ. The new first
    group's JUMP_DET is cleared (a jump into the first group used is no jump). stcal suppresses
    one-good-group ramps before that clearing, so they are suppressed here first, and the fit must
    not suppress again the ramps the clearing left with one good group (stcal fits them): the
    returned flag says whether the fit still suppresses. (Without suppression the fit times a lone
    first group by the one-group time, stcal by TGROUP; they are equal for MIRI's NFRAMES=1. Where
    they are not, the fit keeps suppressing, and only such ramps differ from stcal.)

    Returns
    -------
    (ndarray, ndarray, bool)
        SCI and GROUPDQ of the kept groups (the inputs themselves when nothing is dropped), and
        the ``suppress_one_group`` to fit them with.

    Raises
    ------
    UnsupportedError
        Fewer than 2 groups left (stcal refuses those MIRI ramps too).
    """
    ngroups = sci.shape[1]
    unused = np.bitwise_and(groupdq, dq.DO_NOT_USE).astype(bool).all(axis=(0, 2, 3))
    first = int(np.argmin(unused)) if not unused.all() else ngroups
    last = ngroups - 1 if unused[-1] else ngroups
    if last - first < 2:
        raise UnsupportedError(f"{label}: {max(last - first, 0)} group(s) left after the MIRI groups "
                               "flagged DO_NOT_USE in every pixel; ramp fitting needs 2")
    if first == 0 and last == ngroups:
        return sci, groupdq, suppress_one_group
    kept = groupdq[:, first:last].copy()
    suppress = suppress_one_group
    if first > 0:
        if suppress_one_group:
            good = (np.bitwise_and(groupdq, np.uint8(~dq.PERSISTENCE & 0xFF)) == 0).sum(axis=1)
            kept |= (good == 1)[:, None].astype(np.uint8) * np.uint8(dq.DO_NOT_USE)
            suppress = not math.isclose(one_group_time, tgroup, rel_tol=1e-12)
        kept[:, 0] &= np.uint8(~dq.JUMP_DET & 0xFF)
    return sci[:, first:last], kept, suppress


def _optional(exposure: Exposure, name: str, shape, dtype) -> np.ndarray:
    hdu = exposure.get(name)
    if hdu is None:
        return np.zeros(shape, dtype)
    if hdu.shape != shape:
        raise MissingExtensionError(f"{exposure.label}: {name} has shape {hdu.shape}, expected {shape}")
    return np.asarray(hdu.data, dtype=dtype)


def _product(exposure: Exposure, arrays: dict, suffix: str, model: str, params: str,
             references: dict) -> Exposure:
    primary = exposure.peek_primary().copy()
    primary["S_RAMP"] = "COMPLETE"
    exp_type = str(primary.get("EXP_TYPE", "")).upper()
    ifu = model == "ImageModel" and exp_type in ("NRS_IFU", "MIR_MRS")
    primary["DATAMODL"] = "IFUImageModel" if ifu else model
    filename = with_suffix(str(primary.get("FILENAME", "") or ""), suffix)
    if filename:
        primary["FILENAME"] = filename
    primary["HISTORY"] = "jwcal ramp-fit: OLS, optimal weighting"
    primary["HISTORY"] = params
    record_references(primary, exposure, references)
    sci_header = exposure["SCI"].peek_header().copy()
    for key in ("BZERO", "BSCALE", "BLANK", "BUNIT"):
        sci_header.remove(key, ignore_missing=True)
    hdus = [HDU(header=primary)]
    for name in ("SCI", "ERR", "DQ", "VAR_POISSON", "VAR_RNOISE"):
        header = sci_header if name == "SCI" else None
        hdu = HDU.image(name, arrays[name], header)
        if name in ("SCI", "ERR"):
            hdu.header["BUNIT"] = "DN/s"
        elif name.startswith("VAR"):
            hdu.header["BUNIT"] = squared("DN/s")
        hdus.append(hdu)
    if suffix == "rateints":
        hdus.extend(h for h in exposure.hdus[1:] if h.name == "INT_TIMES")
    hdus.extend(h for h in exposure.hdus[1:] if h.name not in _RAMP_ONLY and h.name != "INT_TIMES")
    return Exposure(hdus, source=exposure.source)
