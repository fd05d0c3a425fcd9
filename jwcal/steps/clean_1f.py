"""``clean_1f``: remove 1/f striping from NIR rate/cal images (caveat GI04, beyond jwst's default chain).

NIRCam stripes run along rows; NIRISS, NIRSpec and FGS images are transposed to detector
orientation first (stripes along DMS columns). MIRI has no 1/f striping of this kind: refused
(UnsupportedError) unless ``skip_unsupported``. Works on 2-D SCI (rate, cal) and 3-D (rateints).
"""

from __future__ import annotations

import numpy as np

from jwcal import dq
from jwcal.algorithms import clean_1f as algo
from jwcal.errors import DataError, UnsupportedError
from jwcal.exposure import Exposure
from jwcal.specs.clean_1f import SPEC
from jwcal.steps.product_level import IMAGE, require
from jwcal.steps.ramp_layout import replace, skipped

TRANSPOSED = ("NRS1", "NRS2", "NIS", "GUIDER1", "GUIDER2")


def run(exposure: Exposure, *, n_sigma: float = 2.0, skip_unsupported: bool = False) -> Exposure:
    """Clean 1/f striping from a rate/cal image.

    Parameters
    ----------
    exposure : Exposure
        SCI (ny, nx) or (nints, ny, nx) with nx a multiple of 4 in detector orientation; optional DQ
        (DO_NOT_USE pixels are not used for the background).
    n_sigma : float
        Source-masking clip level (robust sigmas).
    skip_unsupported : bool
        Pass MIRI data through with S_CLN1F='SKIPPED' instead of failing.

    Returns
    -------
    Exposure
        New SCI (same unit); S_CLN1F='COMPLETE'.

    Raises
    ------
    UnsupportedError
        MIRI data (without ``skip_unsupported``).
    DataError
        SCI not 2-D/3-D or of an unusable width.
    """
    values = dict(locals())  # the parameters, for the HISTORY card (jwcal/specs/clean_1f.py)
    header = exposure.peek_primary()
    detector = str(header.get("DETECTOR", "")).strip().upper()
    if str(header.get("INSTRUME", "")).strip().upper() == "MIRI" or detector.startswith("MIR"):
        why = "1/f cleaning applies to NIR detectors, not MIRI"
        if skip_unsupported:
            return skipped(exposure, "S_CLN1F", why)
        raise UnsupportedError(f"{exposure.label}: {why}")
    require(exposure, "clean-1f", IMAGE)
    sci = np.asarray(exposure["SCI"].data, np.float32)
    if sci.ndim not in (2, 3):
        raise DataError(f"{exposure.label}: SCI is {sci.ndim}-D, clean-1f needs a rate/cal image "
                        "(2-D or 3-D)")
    quality = exposure.get("DQ")
    bad = np.zeros(sci.shape, bool) if quality is None else (np.asarray(quality.data) & dq.DO_NOT_USE) != 0
    bad = np.broadcast_to(bad, sci.shape)
    transposed = detector in TRANSPOSED
    planes = sci.reshape(-1, *sci.shape[-2:])
    bads = bad.reshape(-1, *sci.shape[-2:])
    out = np.empty_like(planes)
    for k in range(planes.shape[0]):
        image, mask = (planes[k].T, bads[k].T) if transposed else (planes[k], bads[k])
        if image.shape[1] % 4:
            raise DataError(f"{exposure.label}: {image.shape[1]} columns along the amplifiers, "
                            "not a multiple of 4")
        cleaned = algo.remove_1f(image, algo.source_mask(image, mask, n_sigma))
        out[k] = cleaned.T if transposed else cleaned
    return replace(exposure, {"SCI": out.reshape(sci.shape)}, "S_CLN1F",
                   [f"jwcal clean-1f: {'columns' if transposed else 'rows'}", SPEC.history(values)])
