"""``saturation``: flag saturated and A/D-floor groups from a SATURATION reference (jwst ``saturation``).

GROUPDQ gets SATURATED in the group that reaches the threshold and every later group (grown by
``n_pix_grow_sat`` pixels), AD_FLOOR|DO_NOT_USE on groups at or below 0 DN; PIXELDQ gets the
reference DQ (NO_SAT_CHECK added where the threshold is NaN). With ``use_readpatt`` the NFRAMES /
GROUPGAP read pattern is used to catch groups whose frame average hides a saturated frame. Data
values do not change, except ZEROFRAME values that are saturated (set to 0, as jwst does).
"""

from __future__ import annotations

import numpy as np

from jwcal.algorithms import saturation as algo
from jwcal.exposure import Exposure
from jwcal.specs.saturation import SPEC
from jwcal.steps.ramp_layout import ramp_arrays, replace
from jwcal.steps.references import reference_array, reference_dq


def run(exposure: Exposure, *, saturation: Exposure, n_pix_grow_sat: int = 1,
        use_readpatt: bool = True) -> Exposure:
    """Flag saturation in a ``_ramp`` exposure.

    Parameters
    ----------
    exposure : Exposure
        ``_ramp`` layout: SCI (nints, ngroups, ny, nx) float32 DN, PIXELDQ, GROUPDQ.
    saturation : Exposure
        SATURATION reference: SCI thresholds (DN) and DQ (+ DQ_DEF), full frame or covering the data.
    n_pix_grow_sat : int
        Layers of neighbours of a saturated pixel also flagged (charge spilling); 0 disables.
    use_readpatt : bool
        Use the frame-averaging read pattern (NFRAMES, GROUPGAP) to flag groups holding saturated frames.

    Returns
    -------
    Exposure
        New GROUPDQ and PIXELDQ (and ZEROFRAME when present); S_SATURA='COMPLETE'.

    Raises
    ------
    MissingExtensionError
        No PIXELDQ/GROUPDQ.
    ReferenceFileError
        Reference for another detector, without SCI, or not covering the data.
    """
    values = dict(locals())  # the parameters, for the HISTORY card (jwcal/specs/saturation.py)
    if n_pix_grow_sat < 0:
        raise ValueError("n_pix_grow_sat must be >= 0")
    sci, pixeldq, groupdq = ramp_arrays(exposure, "saturation")
    thresh = np.asarray(reference_array(exposure, saturation, "SCI", "SATURATION"), dtype=np.float32)
    ref_bits = reference_dq(exposure, saturation, "SATURATION")
    header = exposure.peek_primary()
    frames = None
    if use_readpatt:
        nframes, groupgap = int(header.get("NFRAMES", 1) or 1), int(header.get("GROUPGAP", 0) or 0)
        frames = algo.read_pattern(sci.shape[1], nframes, groupgap)
    new_gdq, bits = algo.flag_saturation(sci, groupdq, thresh, ref_bits, n_pix_grow_sat=n_pix_grow_sat,
                                         frames=frames)
    arrays = {"GROUPDQ": new_gdq, "PIXELDQ": pixeldq | bits}
    zero = exposure.get("ZEROFRAME")
    zshape = sci.shape[:1] + sci.shape[2:]
    if zero is not None and bool(header.get("ZEROFRAM", False)) and zero.shape == zshape:
        arrays["ZEROFRAME"] = algo.zeroframe_flags(zero.data, thresh, ref_bits, n_pix_grow_sat=n_pix_grow_sat)
    return replace(exposure, arrays, "S_SATURA",
                   SPEC.history(values),
                   references={"SATURATION": saturation})
