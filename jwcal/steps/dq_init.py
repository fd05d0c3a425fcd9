"""``dq_init``: OR the MASK reference into PIXELDQ, create GROUPDQ, turn an uncal ramp into ``_ramp`` layout.

jwst's ``dq_init`` step (``jwst/dq_init/dq_initialization.py``): PIXELDQ |= MASK (remapped through
DQ_DEF, cut to the subarray); the mask's DO_NOT_USE is copied into every group of GROUPDQ so that
masked pixels get NaN rates; data values never change (SCI is only converted to float32).
"""

from __future__ import annotations

import numpy as np

from jwcal import dq
from jwcal.errors import UnsupportedError
from jwcal.exposure import HDU, Exposure, Planes
from jwcal.products import with_suffix
from jwcal.steps.product_level import RAMP, RAW, require
from jwcal.steps.references import mask_dq, record_references

#: FGS guide modes keep a DQ array instead of PIXELDQ/GROUPDQ (GuiderRawModel): not implemented.
GUIDER_MODES = ("FGS_ID-IMAGE", "FGS_ID-STACK", "FGS_ACQ1", "FGS_ACQ2", "FGS_TRACK", "FGS_FINEGUIDE")


def run(exposure: Exposure, *, mask: Exposure) -> Exposure:
    """Apply the MASK reference to a raw or partly processed ramp.

    Parameters
    ----------
    exposure : Exposure
        ``_uncal`` (uint16 SCI) or ``_ramp`` exposure, SCI shape (nints, ngroups, ny, nx).
    mask : Exposure
        MASK reference (DQ image + optional DQ_DEF table), full frame or covering the subarray.

    Returns
    -------
    Exposure
        ``_ramp`` layout: SCI float32, PIXELDQ uint32 (ny, nx), GROUPDQ uint8 (nints, ngroups, ny, nx),
        other HDUs (INT_TIMES, ASDF, ...) passed through; S_DQINIT='COMPLETE', DATAMODL='RampModel'.
        The input's arrays are not modified.

    Raises
    ------
    DataError
        Not a ramp (a rate/cal image), or NGROUPS/NINTS disagreeing with the data.
    ReferenceFileError
        The mask is for another detector, lacks DQ, or does not cover the data.
    UnsupportedError
        FGS guide-mode data (not implemented).
    """
    nints, ngroups, ny, nx = require(exposure, "dq-init", RAW, RAMP)
    exp_type = str(exposure.peek_primary().get("EXP_TYPE", "")).strip().upper()
    if exp_type in GUIDER_MODES:
        raise UnsupportedError(f"{exposure.label}: dq-init for FGS guide mode {exp_type} is not implemented")
    mask_bits = mask_dq(exposure, mask)

    pixeldq_old = exposure.get("PIXELDQ")
    pixeldq = mask_bits.astype(np.uint32, copy=True)
    if pixeldq_old is not None and pixeldq_old.shape == (ny, nx):
        pixeldq |= np.asarray(pixeldq_old.data, dtype=np.uint32)

    dnu = (mask_bits & dq.DO_NOT_USE).astype(np.uint8)
    groupdq_old = exposure.get("GROUPDQ")
    if groupdq_old is not None and groupdq_old.shape == (nints, ngroups, ny, nx):
        old_planes = np.asarray(groupdq_old.data, dtype=np.uint8).reshape(-1, ny, nx)
        groupdq_plane = lambda k: old_planes[k] | dnu  # noqa: E731
    else:
        groupdq_plane = lambda k: dnu  # noqa: E731

    hdus = []
    for hdu in exposure:
        name = hdu.name
        if name == "PRIMARY":
            primary = hdu.peek_header().copy()
            primary["S_DQINIT"] = "COMPLETE"
            primary["DATAMODL"] = "RampModel"
            filename = with_suffix(str(primary.get("FILENAME", "") or ""), "ramp")
            if filename:
                primary["FILENAME"] = filename
            primary["HISTORY"] = "jwcal dq-init: MASK DQ OR-ed into PIXELDQ, DO_NOT_USE into GROUPDQ"
            record_references(primary, exposure, {"MASK": mask})
            hdus.append(HDU(header=primary))
        elif name == "SCI":
            hdus.append(_float32_sci(hdu))
            hdus.append(HDU.image("PIXELDQ", pixeldq))
            hdus.append(HDU.image("GROUPDQ", Planes((nints, ngroups, ny, nx), np.uint8, groupdq_plane)))
        elif name in ("PIXELDQ", "GROUPDQ"):
            continue
        else:
            hdus.append(hdu)
    return Exposure(hdus, source=exposure.source)


def _float32_sci(hdu: HDU) -> HDU:
    """Return SCI as float32: the same HDU if it already is, else converted a group plane at a time."""
    header = hdu.peek_header()
    if hdu.data_untouched:
        scaled = header.get("BSCALE", 1) != 1 or header.get("BZERO", 0) != 0
        if int(header.get("BITPIX", 0)) == -32 and not scaled:
            return hdu
    elif hdu.data is not None and hdu.data.dtype == np.float32:
        return hdu
    data = np.asarray(hdu.data)
    planes = data.reshape(-1, *data.shape[-2:])
    new = header.copy()
    for key in ("BZERO", "BSCALE", "BLANK"):
        new.remove(key, ignore_missing=True)
    return HDU.image("SCI", Planes(data.shape, np.float32, planes.__getitem__), new)
