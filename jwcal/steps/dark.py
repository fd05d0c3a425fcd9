"""``dark``: subtract the DARK reference ramp (jwst ``dark_current``).

The dark is averaged to the science NFRAMES/GROUPGAP pattern when the two differ, its DQ is
OR-ed into PIXELDQ (MIRI: the union of the per-integration planes), and AVDRKCUR (the average dark
current used by ramp fitting for the Poisson variance, e-/s) is written: the
``average_dark_current`` value if given, else the reference's AVDRKCUR image, else zeros.
A dark shorter than the science ramp, or with more frames per group, cannot be applied
(UnsupportedError; jwst logs a warning and marks the step SKIPPED).
"""

from __future__ import annotations

import numpy as np

from jwcal.algorithms import dark as algo
from jwcal.errors import ReferenceFileError, UnsupportedError
from jwcal.exposure import Exposure
from jwcal.specs.dark import SPEC
from jwcal.steps.ramp_layout import by_group, ramp_arrays, replace, skipped
from jwcal.steps.references import chosen, reference_array, reference_dq


def _int(header, key, default):
    value = header.get(key, default)
    return default if value in (None, "") else int(value)


def run(exposure: Exposure, *, dark: Exposure, average_dark_current: float | None = None,
        skip_unsupported: bool = False) -> Exposure:
    """Subtract the dark ramp from a ``_ramp`` exposure.

    Parameters
    ----------
    exposure : Exposure
        ``_ramp`` layout: SCI (nints, ngroups, ny, nx) float32 DN, PIXELDQ, GROUPDQ.
    dark : Exposure
        DARK reference: SCI (nframes, ny, nx) or MIRI (nints, ngroups, ny, nx) in DN, DQ, primary
        NFRAMES/GROUPGAP (default 1/0), optional AVDRKCUR image (e-/s).
    average_dark_current : float, optional
        Average dark current (e-/s) written to every pixel of AVDRKCUR instead of the reference's.
    skip_unsupported : bool
        Pass a ramp the dark cannot cover through with S_DARK='SKIPPED' instead of failing.

    Returns
    -------
    Exposure
        New SCI (DN), PIXELDQ, AVDRKCUR (ny, nx) float32; S_DARK='COMPLETE'.

    Raises
    ------
    UnsupportedError
        The dark has too few frames, or more frames per group / a larger gap than the science data.
    ReferenceFileError
        Reference for another detector, of the wrong dimensions, or not covering the data.
    """
    values = dict(locals())  # the parameters, for the HISTORY card (jwcal/specs/dark.py)
    sci, pixeldq, _ = ramp_arrays(exposure, "dark")
    _, ngroups, ny, nx = sci.shape
    dark = chosen(exposure, dark, "DARK")
    header, ref_header = exposure.peek_primary(), dark.peek_primary()
    nframes, groupgap = _int(header, "NFRAMES", 1), _int(header, "GROUPGAP", 0)
    dark_nframes, dark_groupgap = _int(ref_header, "NFRAMES", 1), _int(ref_header, "GROUPGAP", 0)
    frames = np.asarray(reference_array(exposure, dark, "SCI", "DARK"))
    if frames.ndim not in (3, 4):
        raise ReferenceFileError(f"DARK reference SCI is {frames.ndim}-D, needs 3-D or 4-D (MIRI)")
    dark_groups = frames.shape[-3]
    why = None
    if total_frames_needed(ngroups, nframes, groupgap) > algo.total_frames(dark_groups, dark_nframes,
                                                                          dark_groupgap):
        why = f"the DARK has {dark_groups} groups, too few for {ngroups} science groups"
    elif dark_nframes > nframes or dark_groupgap > groupgap:
        why = f"DARK NFRAMES/GROUPGAP {dark_nframes}/{dark_groupgap} exceed the science {nframes}/{groupgap}"
    if why:
        if skip_unsupported:
            return skipped(exposure, "S_DARK", why)
        raise UnsupportedError(f"{exposure.label}: {why}")
    if (nframes, groupgap) != (dark_nframes, dark_groupgap):
        frames = algo.average_frames(frames, ngroups, nframes, groupgap)
    first = _int(header, "INTSTART", 1) == 1
    bits = reference_dq(exposure, dark, "DARK")
    if bits.ndim > 2:
        bits = np.bitwise_or.reduce(bits.reshape(-1, ny, nx), axis=0)
    if average_dark_current is not None:
        avg = np.full((ny, nx), average_dark_current, np.float32)
    elif "AVDRKCUR" in dark:
        avg = np.asarray(reference_array(exposure, dark, "AVDRKCUR", "DARK"), np.float32).copy()
    else:
        avg = np.zeros((ny, nx), np.float32)
    subtract = algo.dark_subtractor(frames, sci.shape, first_int_is_one=first)
    arrays = {"SCI": by_group(sci, subtract), "PIXELDQ": pixeldq | bits, "AVDRKCUR": avg}
    return replace(exposure, arrays, "S_DARK",
                   [f"jwcal dark: NFRAMES={nframes} GROUPGAP={groupgap} "
                    f"from dark {dark_nframes}/{dark_groupgap}", SPEC.history(values)],
                   references={"DARK": dark})


def total_frames_needed(ngroups: int, nframes: int, groupgap: int) -> int:
    """Frames of single-frame dark the science read pattern spans."""
    return algo.total_frames(ngroups, nframes, groupgap)
