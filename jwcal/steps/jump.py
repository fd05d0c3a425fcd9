"""``jump``: flag cosmic-ray jumps in GROUPDQ by the two-point difference method (jwst's JumpStep).

Input is a ``_ramp``-layout exposure (SCI float32 4-D, PIXELDQ, GROUPDQ); output is the same with
JUMP_DET added to GROUPDQ, PIXELDQ |= NO_GAIN_VALUE|DO_NOT_USE where the gain is unusable,
S_JUMP='COMPLETE', PRIMECRS/EXTNCRS and a HISTORY card with the parameters. SCI is passed through.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from jwcal import dq
from jwcal.algorithms import jump as alg
from jwcal.algorithms import large_events
from jwcal.errors import DataError, MissingExtensionError, UnsupportedError, UsageError
from jwcal.exposure import Exposure
from jwcal.specs.jump import SPEC
from jwcal.steps.product_level import RAMP, require
from jwcal.steps.ramp_layout import replace, skipped
from jwcal.steps.references import reference_array

log = logging.getLogger("jwcal")

#: PIXELDQ bits on which an unusable gain value is tolerated (the pixel is not science anyway).
TOLERATED_BAD_GAIN = dq.DO_NOT_USE | dq.REFERENCE_PIXEL | dq.NON_SCIENCE


def warm_up() -> None:
    """Load the jump kernels (see :func:`jwcal.algorithms.jump.warm_up`)."""
    alg.warm_up()


def run(exposure: Exposure, *, gain: Exposure, readnoise: Exposure, rejection_threshold: float = 4.0,
        three_group_rejection_threshold: float = 6.0, four_group_rejection_threshold: float = 5.0,
        maximum_cores: str = "all", flag_4_neighbors: bool = True, max_jump_to_flag_neighbors: float = 1000.0,
        min_jump_to_flag_neighbors: float = 10.0, after_jump_flag_dn1: float = 0.0,
        after_jump_flag_time1: float = 0.0, after_jump_flag_dn2: float = 0.0,
        after_jump_flag_time2: float = 0.0,
        minimum_groups: int = 3, minimum_sigclip_groups: int = 100, only_use_ints: bool = True,
        min_diffs_single_pass: int = 10, expand_large_events: bool = False, min_sat_area: float = 1.0,
        min_jump_area: float = 5.0, expand_factor: float = 2.0, sat_required_snowball: bool = True,
        min_sat_radius_extend: float = 2.5, sat_expand: int = 2, edge_size: int = 25,
        mask_snowball_core_next_int: bool = True, snowball_time_masked_next_int: float = 4000.0,
        max_extended_radius: int = 200, find_showers: bool = False, max_shower_amplitude: float = 4.0,
        extend_snr_threshold: float = 1.2, extend_min_area: int = 90, extend_inner_radius: float = 1.0,
        extend_outer_radius: float = 2.6, extend_ellipse_expand_ratio: float = 1.1,
        time_masked_after_shower: float = 15.0, force_large_events: bool = False,
        two_group: bool = False, two_group_rejection_threshold: float = 5.0,
        skip_unsupported: bool = False) -> Exposure:
    """Detect jumps in a ramp.

    Parameters
    ----------
    exposure : Exposure
        ``_ramp`` layout: SCI float32 (nints, ngroups, ny, nx) in DN, PIXELDQ uint32 (ny, nx),
        GROUPDQ uint8 (nints, ngroups, ny, nx).
    gain, readnoise : Exposure
        GAIN (e-/DN) and READNOISE (CDS, DN) reference files covering the data.
    rejection_threshold, three_group_rejection_threshold, four_group_rejection_threshold : float
        Sigma thresholds (jwst's names; the three/four-group ones apply to 2/3 usable differences).
    maximum_cores : str
        Threads: a number, 'none', 'quarter', 'half' or 'all'.
    flag_4_neighbors, max_jump_to_flag_neighbors, min_jump_to_flag_neighbors
        Neighbour flagging of jumps between the two significances (sigma).
    after_jump_flag_dn1, after_jump_flag_time1, after_jump_flag_dn2, after_jump_flag_time2 : float
        Jumps of at least dn (DN) get the groups within time (s) after them flagged.
    minimum_groups, minimum_sigclip_groups, only_use_ints, min_diffs_single_pass
        Which detector runs (stcal's rules; see :func:`jwcal.algorithms.jump.choose_mode`).
    expand_large_events : bool
        NIR snowballs: jump blobs around new saturated cores grown by ``expand_factor``; cores
        (minor axis > ``min_sat_radius_extend``) grown by 2 x ``sat_expand`` pixels and flagged
        SATURATED in later groups; with ``mask_snowball_core_next_int`` the cores get JUMP in the
        first ``snowball_time_masked_next_int`` seconds of the next integration. Blobs need
        ``min_sat_area``/``min_jump_area`` pixels; jump blobs centred within ``edge_size`` of an edge
        count without a core; axes are capped at 2 x ``max_extended_radius``.
    find_showers : bool
        MIRI showers (stcal's ``find_faint_extended``, see
        :func:`jwcal.algorithms.large_events.find_showers`):
        each group's first-difference significance is convolved with a ring of inner radius
        ``extend_inner_radius`` and width ``extend_outer_radius`` (pixels), thresholded at
        ``extend_snr_threshold``; regions of >= ``extend_min_area`` pixels get ellipses grown by
        ``extend_ellipse_expand_ratio`` (axes capped at 2 x ``max_extended_radius``) flagged JUMP_DET in
        that group and the groups within ``time_masked_after_shower`` seconds after it. Pixels whose
        mean rate changes by more than ``max_shower_amplitude`` DN/s (x TGROUP per group) keep their
        previous flags (jwst ignores this option and uses 6 e-/group x TGROUP; jwcal honours it).
    force_large_events : bool
        Run large-event flagging where JWST advises against it (NIRISS SOSS/AMI, MIRI coronagraphy,
        <= 4 groups, snowballs on MIRI, showers on NIR detectors).
    two_group : bool
        Beyond jwst: flag cosmic rays in 2-group integrations against the other integrations (or
        the neighbouring pixels with one integration), at ``two_group_rejection_threshold`` sigma,
        instead of refusing them (see :func:`jwcal.algorithms.jump.two_group_jumps`).
    skip_unsupported : bool
        With fewer than 3 (usable) groups, pass the data through with S_JUMP='SKIPPED' instead of failing.

    Returns
    -------
    Exposure
        A new exposure; the input's arrays are not modified.

    Raises
    ------
    DataError, MissingExtensionError
        Not a consistent 4-D ramp with PIXELDQ/GROUPDQ; gain unusable on science pixels.
    ReferenceFileError
        A reference for another detector or not covering the data.
    UnsupportedError
        Fewer than 3 usable groups (unless ``skip_unsupported``).
    UsageError
        A bad ``maximum_cores``.
    """
    values = dict(locals())  # the parameters, for the HISTORY card (names in jwcal/specs/jump.py)
    try:
        threads = alg.resolve_threads(maximum_cores)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    nints, ngroups, ny, nx = require(exposure, "jump", RAMP)
    _check_large_events(exposure, ngroups, expand_large_events, find_showers, force_large_events)
    for name in ("PIXELDQ", "GROUPDQ"):
        if name not in exposure:
            raise MissingExtensionError(
                f"{exposure.label}: jump needs a {name} extension (run jwcal dq-init first)")
    if ngroups < 3 and not (two_group and ngroups == 2):
        return _unsupported(exposure, f"cannot apply jump detection with NGROUPS={ngroups} < 3",
                            skip_unsupported)
    sci = np.asarray(exposure["SCI"].data)
    pixeldq_in = np.asarray(exposure["PIXELDQ"].data)
    groupdq = np.asarray(exposure["GROUPDQ"].data)
    if pixeldq_in.shape != (ny, nx) or groupdq.shape != sci.shape:
        raise DataError(f"{exposure.label}: PIXELDQ {pixeldq_in.shape} / GROUPDQ {groupdq.shape} "
                        f"do not match SCI {sci.shape}")
    gain_2d = np.asarray(reference_array(exposure, gain, "SCI", "GAIN"), dtype=np.float32)
    rn_2d = np.asarray(reference_array(exposure, readnoise, "SCI", "READNOISE"), dtype=np.float32)
    for array, reftype in ((gain_2d, "GAIN"), (rn_2d, "READNOISE")):
        if array.shape != (ny, nx):
            raise DataError(f"{reftype} reference SCI is {array.ndim}-D {array.shape}, need (ny, nx)")

    pixeldq = pixeldq_in.astype(np.uint32, copy=True)
    bad_gain = ~(gain_2d > 0)
    if bad_gain.any():
        hurt = bad_gain & ((pixeldq & TOLERATED_BAD_GAIN) == 0)
        if hurt.any():
            y, x = np.argwhere(hurt)[0]
            raise DataError(f"GAIN reference is NaN or <= 0 on {int(hurt.sum())} usable pixel(s), first at "
                            f"(y={y}, x={x}); mark them DO_NOT_USE in the MASK or fix the reference")
        pixeldq[bad_gain] |= np.uint32(dq.NO_GAIN_VALUE | dq.DO_NOT_USE)

    header = exposure.peek_primary()
    nframes = int(header.get("NFRAMES", 1) or 1)
    tgroup = float(header.get("TGROUP", 0.0) or 0.0)
    all_dnu = alg.all_dnu_groups(groupdq)
    if ngroups == 2:
        new_groupdq, n_primary = alg.two_group_jumps(sci, groupdq, gain_2d, rn_2d, nframes=nframes,
                                                     threshold=two_group_rejection_threshold, threads=threads)
        history = [f"jwcal jump: 2-group cosmic rays ({'integrations' if nints > 1 else 'neighbours'}), "
                   f"{n_primary} flags", SPEC.history(values)]
        log.info("%s: 2-group detection, %d jump flags", exposure.label, n_primary)
        keywords = _rate_keywords(n_primary, 0, tgroup, nints * ngroups - int(all_dnu.sum()) - nints, ny * nx)
        return replace(exposure, {"PIXELDQ": pixeldq, "GROUPDQ": new_groupdq}, "S_JUMP", history,
                       keywords=keywords, references={"GAIN": gain, "READNOISE": readnoise})
    mode = alg.choose_mode(nints, ngroups, all_dnu, minimum_groups=minimum_groups,
                           minimum_sigclip_groups=minimum_sigclip_groups, only_use_ints=only_use_ints,
                           min_diffs_single_pass=min_diffs_single_pass)
    if mode is None:
        return _unsupported(exposure, f"fewer than minimum_groups={minimum_groups} usable groups "
                                      "(group planes all DO_NOT_USE)", skip_unsupported)
    median_gain = float(np.nanmedian(gain_2d)) if np.isfinite(gain_2d).any() else 0.0
    n1 = _groups_in(after_jump_flag_time1, tgroup)
    n2 = _groups_in(after_jump_flag_time2, tgroup)
    log.info("%s: jump detection (%s), %d thread(s)", exposure.label, alg.MODE_NAMES[mode], threads)
    new_groupdq, n_primary = alg.two_point_difference(
        sci, groupdq, gain_2d, rn_2d, nframes=nframes, mode=mode, rejection_threshold=rejection_threshold,
        three_group_rejection_threshold=three_group_rejection_threshold,
        four_group_rejection_threshold=four_group_rejection_threshold, flag_4_neighbors=flag_4_neighbors,
        min_jump_to_flag_neighbors=min_jump_to_flag_neighbors,
        max_jump_to_flag_neighbors=max_jump_to_flag_neighbors,
        after_jump_flag_e1=after_jump_flag_dn1 * median_gain, after_jump_flag_n1=n1,
        after_jump_flag_e2=after_jump_flag_dn2 * median_gain, after_jump_flag_n2=n2, threads=threads)
    n_events = 0
    if expand_large_events:
        persist = _groups_in(snowball_time_masked_next_int, tgroup) if mask_snowball_core_next_int else 0
        new_groupdq, n_events = large_events.flag_snowballs(
            new_groupdq, min_sat_area=min_sat_area, min_jump_area=min_jump_area, expand_factor=expand_factor,
            sat_required_snowball=sat_required_snowball, min_sat_radius_extend=min_sat_radius_extend,
            sat_expand=2 * sat_expand, edge_size=edge_size, max_extended_width=2 * max_extended_radius,
            persist_groups=persist)
        log.info("%s: %d snowballs", exposure.label, n_events)
    if find_showers and nints * (ngroups - 1) - int(all_dnu.sum()) < 10:
        log.warning("%s: fewer than 10 usable differences (NINTS x (NGROUPS - 1)): no shower search, as jwst",
                    exposure.label)
    if find_showers:
        new_groupdq, n_showers = large_events.find_showers(
            sci * gain_2d, sci, new_groupdq, pixeldq_in, rn_2d * gain_2d, nframes=nframes,
            minimum_sigclip_groups=minimum_sigclip_groups, extend_snr_threshold=extend_snr_threshold,
            extend_min_area=extend_min_area, extend_inner_radius=extend_inner_radius,
            extend_outer_radius=extend_outer_radius, extend_ellipse_expand_ratio=extend_ellipse_expand_ratio,
            max_extended_width=2 * max_extended_radius,
            groups_masked_after=_groups_in(time_masked_after_shower, tgroup),
            max_shower_amplitude_dn=max_shower_amplitude * tgroup if tgroup > 0 else math.inf)
        log.info("%s: %d showers", exposure.label, n_showers)
        n_events += n_showers

    used_groups = nints * ngroups - int(all_dnu.sum()) - nints
    keywords = _rate_keywords(n_primary, n_events, tgroup, used_groups, ny * nx)
    history = [f"jwcal jump: two-point difference ({alg.MODE_NAMES[mode]}), {n_primary} primary jump flags",
               SPEC.history(values)]
    log.info("%s: %d primary jump flags, %d flagged groups in total", exposure.label, n_primary,
             int(np.count_nonzero(new_groupdq & dq.JUMP_DET)))
    return replace(exposure, {"PIXELDQ": pixeldq, "GROUPDQ": new_groupdq}, "S_JUMP", history,
                   keywords=keywords, references={"GAIN": gain, "READNOISE": readnoise})


#: Exposure types for which JWST advises against snowball/shower flagging (known issue GI03).
LARGE_EVENTS_NOT_RECOMMENDED = {"NIS_SOSS": "NIRISS SOSS", "NIS_AMI": "NIRISS AMI",
                                "MIR_4QPM": "MIRI coronagraphy", "MIR_LYOT": "MIRI coronagraphy",
                                "MIR_CORONCAL": "MIRI coronagraphy"}


def _check_large_events(exposure: Exposure, ngroups: int, snowballs: bool, showers: bool,
                        force: bool) -> None:
    """Refuse large-event flagging where JWST's known issue GI03 advises against it, unless forced."""
    if not (snowballs or showers):
        return
    header = exposure.peek_primary()
    instrument = str(header.get("INSTRUME", "")).strip().upper()
    exp_type = str(header.get("EXP_TYPE", "")).strip().upper()
    reasons = []
    if exp_type in LARGE_EVENTS_NOT_RECOMMENDED:
        reasons.append(f"{LARGE_EVENTS_NOT_RECOMMENDED[exp_type]} ({exp_type})")
    if ngroups <= 4:
        reasons.append(f"{ngroups} groups (1-4)")
    if snowballs and instrument == "MIRI":
        reasons.append("MIRI (snowballs are a NIR detector effect; use --find-showers)")
    if showers and instrument and instrument != "MIRI":
        reasons.append(f"{instrument} (showers are a MIRI effect; use --expand-large-events)")
    if reasons and not force:
        option = "--expand-large-events" if snowballs else "--find-showers"
        raise UnsupportedError(f"{exposure.label}: {option} is not recommended for {'; '.join(reasons)} "
                               "(JWST known issue GI03); add --force-large-events to run it anyway")


def _rate_keywords(n_primary: int, n_events: int, tgroup: float, used_groups: int, npix: int) -> dict:
    """PRIMECRS (per ks per pixel) and EXTNCRS (per Ms per pixel) as jwst's JumpStep computes them."""
    if used_groups < 1 or tgroup <= 0:
        return {}
    seconds = tgroup * used_groups
    return {"PRIMECRS": (1000.0 * n_primary / (seconds * npix), "primary CRs per ks per pixel"),
            "EXTNCRS": (1e6 * n_events / (seconds * npix), "extended events per Ms per pixel")}


def _groups_in(seconds: float, tgroup: float) -> int:
    """Whole groups in ``seconds`` (jwst: ``int(seconds // TGROUP)``), 0 without a group time."""
    if seconds <= 0 or tgroup <= 0:
        return 0
    return int(seconds // tgroup)


def _unsupported(exposure: Exposure, why: str, skip: bool) -> Exposure:
    if not skip:
        raise UnsupportedError(f"{exposure.label}: {why} (use --skip-unsupported to pass it through)")
    log.warning("%s: jump skipped: %s", exposure.label, why)
    return skipped(exposure, "S_JUMP", f"jwcal jump: {why}")
