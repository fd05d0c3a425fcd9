"""``refpix``: reference-pixel correction of NIR ramps (jwst ``refpix``, default ``median`` algorithm).

Full frame: per-amplifier top/bottom offsets (odd/even columns) and the row-by-row side
correction of 1/f noise; subarrays: one mean per column parity of the REFERENCE_PIXEL pixels.
NIRSpec and NIRISS/FGS detectors are transposed to detector orientation first. MIRI (its own
reference-output scheme), NIRSpec IRS2 and data without usable reference pixels are refused
(UnsupportedError) unless ``skip_unsupported``, which records S_REFPIX='SKIPPED'.
"""

from __future__ import annotations

import numpy as np

from jwcal.algorithms import refpix as algo
from jwcal.errors import UnsupportedError
from jwcal.exposure import Exposure
from jwcal.specs.refpix import SPEC
from jwcal.steps.ramp_layout import ramp_arrays, replace, skipped

#: Detectors whose DMS orientation is the detector's transposed (1/f striping along DMS columns).
TRANSPOSED = ("NRS1", "NRS2", "NIS", "GUIDER1", "GUIDER2")


def run(exposure: Exposure, *, odd_even_columns: bool = True, use_side_ref_pixels: bool = True,
        side_smoothing_length: int = 11, side_gain: float = 1.0, skip_unsupported: bool = False) -> Exposure:
    """Correct a ``_ramp`` exposure with its reference pixels.

    Parameters
    ----------
    exposure : Exposure
        ``_ramp`` layout: SCI (nints, ngroups, ny, nx) float32 DN, PIXELDQ, GROUPDQ.
    odd_even_columns : bool
        Separate top/bottom (or subarray) means for odd and even columns.
    use_side_ref_pixels : bool
        Apply the side reference pixels' row-by-row (1/f) correction (full frame).
    side_smoothing_length : int
        Rows of the running median of the side reference pixels.
    side_gain : float
        Fraction of the side signal subtracted.
    skip_unsupported : bool
        Pass MIRI, IRS2 or reference-pixel-less data through with S_REFPIX='SKIPPED' instead of failing.

    Returns
    -------
    Exposure
        New SCI (DN); S_REFPIX='COMPLETE'.

    Raises
    ------
    UnsupportedError
        MIRI or NIRSpec IRS2 data, or no usable reference pixels (without ``skip_unsupported``).
    """
    values = dict(locals())  # the parameters, for the HISTORY card (jwcal/specs/refpix.py)
    if side_smoothing_length < 1:
        raise ValueError("side_smoothing_length must be >= 1")
    sci, pixeldq, _ = ramp_arrays(exposure, "refpix")
    header = exposure.peek_primary()
    instrument = str(header.get("INSTRUME", "")).strip().upper()
    detector = str(header.get("DETECTOR", "")).strip().upper()
    readpatt = str(header.get("READPATT", "")).strip().upper()
    why = None
    if instrument == "MIRI" or detector.startswith("MIR"):
        why = "refpix for MIRI (reference output / odd-even rows) is not implemented"
    elif readpatt.startswith("NRSIRS2"):
        why = "refpix for NIRSpec IRS2 readout is not implemented"
    if why is None:
        transposed = detector in TRANSPOSED
        data = np.swapaxes(sci, 2, 3) if transposed else sci
        pdq = pixeldq.T if transposed else pixeldq
        if data.shape[2:] == (algo.NIR_SIZE, algo.NIR_SIZE):
            out, ok = algo.correct_full_frame(data, pdq, odd_even_columns=odd_even_columns,
                                              use_side_ref_pixels=use_side_ref_pixels,
                                              side_smoothing_length=side_smoothing_length,
                                              side_gain=side_gain)
            mode = "full frame"
        else:
            start = int(header.get("SUBSTRT2" if transposed else "SUBSTRT1", 1) or 1)
            out, ok = algo.correct_subarray(data, pdq, start - 1, odd_even_columns=odd_even_columns)
            mode = "subarray"
        if not ok:
            why = f"no usable reference pixels ({mode})"
    if why:
        if skip_unsupported:
            return skipped(exposure, "S_REFPIX", why)
        raise UnsupportedError(f"{exposure.label}: {why}")
    if transposed:
        out = np.ascontiguousarray(np.swapaxes(out, 2, 3))
    return replace(exposure, {"SCI": out}, "S_REFPIX",
                   [f"jwcal refpix: {mode}", SPEC.history(values)])
