"""``linearity``: correct the classical non-linearity with the LINEARITY reference (jwst ``linearity``).

Groups flagged SATURATED keep their values; pixels with NO_LIN_CORR in the reference DQ, NaN
coefficients or a zero linear term are left unchanged (the latter two flagged NO_LIN_CORR);
the reference DQ is OR-ed into PIXELDQ; ZEROFRAME is corrected too (zeros kept).
"""

from __future__ import annotations

import numpy as np

from jwcal.algorithms import linearity as algo
from jwcal.errors import ReferenceFileError
from jwcal.exposure import Exposure
from jwcal.steps.ramp_layout import by_group, ramp_arrays, replace
from jwcal.steps.references import reference_array, reference_dq


def run(exposure: Exposure, *, linearity: Exposure) -> Exposure:
    """Linearise a ``_ramp`` exposure.

    Parameters
    ----------
    exposure : Exposure
        ``_ramp`` layout: SCI (nints, ngroups, ny, nx) float32 DN, PIXELDQ, GROUPDQ.
    linearity : Exposure
        LINEARITY reference: COEFFS (ncoeffs, ny, nx), constant term first, and DQ (+ DQ_DEF).

    Returns
    -------
    Exposure
        New SCI (DN, linearised) and PIXELDQ; S_LINEAR='COMPLETE'.

    Raises
    ------
    MissingExtensionError
        No PIXELDQ/GROUPDQ.
    ReferenceFileError
        Reference for another detector, without a 3-D COEFFS, or not covering the data.
    """
    sci, pixeldq, groupdq = ramp_arrays(exposure, "linearity")
    coeffs = np.asarray(reference_array(exposure, linearity, "COEFFS", "LINEARITY"))
    if coeffs.ndim != 3 or coeffs.shape[0] < 2:
        raise ReferenceFileError(f"LINEARITY reference COEFFS has shape {coeffs.shape}, "
                                 "needs (ncoeffs>=2, ny, nx)")
    coeffs, bits = algo.prepare_coefficients(coeffs, reference_dq(exposure, linearity, "LINEARITY"))
    planes = by_group(sci, lambda plane, i, g: algo.correct(plane, groupdq[i, g], coeffs))
    arrays = {"SCI": planes, "PIXELDQ": pixeldq | bits}
    zero = exposure.get("ZEROFRAME")
    if zero is not None and bool(exposure.peek_primary().get("ZEROFRAM", False)):
        arrays["ZEROFRAME"] = algo.correct_zeroframe(zero.data, coeffs)
    return replace(exposure, arrays, "S_LINEAR",
                   f"jwcal linearity: {coeffs.shape[0]}-coefficient polynomial, saturated groups kept",
                   references={"LINEARITY": linearity})
