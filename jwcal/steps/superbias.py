"""``superbias``: subtract the SUPERBIAS reference from every group (jwst ``superbias``).

PIXELDQ gets the reference DQ; ZEROFRAME (when present) is bias-subtracted too, zeros kept.
"""

from __future__ import annotations

import numpy as np

from jwcal.algorithms import superbias as algo
from jwcal.exposure import Exposure
from jwcal.steps.ramp_layout import by_group, ramp_arrays, replace
from jwcal.steps.references import reference_array, reference_dq


def run(exposure: Exposure, *, superbias: Exposure) -> Exposure:
    """Subtract the superbias from a ``_ramp`` exposure.

    Parameters
    ----------
    exposure : Exposure
        ``_ramp`` layout: SCI (nints, ngroups, ny, nx) float32 DN, PIXELDQ, GROUPDQ.
    superbias : Exposure
        SUPERBIAS reference: SCI (DN) and DQ (+ DQ_DEF), full frame or covering the data.

    Returns
    -------
    Exposure
        New SCI (DN, bias removed), PIXELDQ |= reference DQ, ZEROFRAME bias-subtracted; S_SUPERB='COMPLETE'.

    Raises
    ------
    MissingExtensionError
        No PIXELDQ/GROUPDQ.
    ReferenceFileError
        Reference for another detector, without SCI, or not covering the data.
    """
    sci, pixeldq, _ = ramp_arrays(exposure, "superbias")
    bias = np.asarray(reference_array(exposure, superbias, "SCI", "SUPERBIAS"), np.float32)
    bits = reference_dq(exposure, superbias, "SUPERBIAS")
    subtract = algo.bias_subtractor(bias)
    arrays = {"SCI": by_group(sci, lambda plane, i, g: subtract(plane)), "PIXELDQ": pixeldq | bits}
    zero = exposure.get("ZEROFRAME")
    if zero is not None and bool(exposure.peek_primary().get("ZEROFRAM", False)):
        arrays["ZEROFRAME"] = algo.subtract_bias_zeroframe(zero.data, bias)
    return replace(exposure, arrays, "S_SUPERB", "jwcal superbias: SUPERBIAS subtracted from every group",
                   references={"SUPERBIAS": superbias})
