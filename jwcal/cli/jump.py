"""``jwcal jump``: flag cosmic-ray jumps in ramps (two-point difference)."""

from __future__ import annotations

import click

from jwcal.cli import options


@click.command("jump", short_help="Flag cosmic-ray jumps in ramps (GAIN, READNOISE references).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.reference_opt("gain", "GAIN")
@options.reference_opt("readnoise", "READNOISE")
@click.option("--rejection-threshold", default=4.0, show_default=True, type=click.FloatRange(min=0),
              help="Sigma threshold with 4 or more usable differences.")
@click.option("--three-group-rejection-threshold", default=6.0, show_default=True,
              type=click.FloatRange(min=0), help="Sigma threshold with 2 usable differences (3 groups).")
@click.option("--four-group-rejection-threshold", default=5.0, show_default=True,
              type=click.FloatRange(min=0), help="Sigma threshold with 3 usable differences (4 groups).")
@click.option("--maximum-cores", default="all", show_default=True, metavar="N|none|quarter|half|all",
              help="Threads for the detection kernels (default: every core numba may use; NUMBA_NUM_THREADS caps it; jwst's default is 1).")
@click.option("--flag-4-neighbors/--no-flag-4-neighbors", default=True, show_default=True,
              help="Also flag the 4 edge neighbours of jumps within the min/max significance.")
@click.option("--max-jump-to-flag-neighbors", default=1000.0, show_default=True, type=float,
              help="Jumps above this many sigma do not get their neighbours flagged.")
@click.option("--min-jump-to-flag-neighbors", default=10.0, show_default=True, type=float,
              help="Jumps below this many sigma do not get their neighbours flagged.")
@click.option("--after-jump-flag-dn1", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Jumps of at least this many DN get the groups within --after-jump-flag-time1 flagged.")
@click.option("--after-jump-flag-time1", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds after a jump >= --after-jump-flag-dn1 whose groups are flagged (0: off).")
@click.option("--after-jump-flag-dn2", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Second (larger) DN threshold for after-jump flagging.")
@click.option("--after-jump-flag-time2", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds flagged after a jump >= --after-jump-flag-dn2 (0: off).")
@click.option("--minimum-groups", default=3, show_default=True, type=click.IntRange(min=2),
              help="Fewest usable groups per integration for the difference detectors.")
@click.option("--minimum-sigclip-groups", default=100, show_default=True, type=click.IntRange(min=1),
              help="Integrations (or groups, with --no-only-use-ints) from which sigma clipping is used.")
@click.option("--only-use-ints/--no-only-use-ints", default=True, show_default=True,
              help="Sigma-clip each difference across integrations only (jwst's default), "
              "not across groups too.")
@click.option("--min-diffs-single-pass", default=10, show_default=True, type=click.IntRange(min=1),
              help="Usable differences from which all outliers are flagged in one pass, "
              "not iteratively.")
@click.option("--expand-large-events/--no-expand-large-events", default=False, show_default=True,
              help="Flag NIR snowballs: grow jump blobs around new saturated cores.")
@click.option("--min-sat-area", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="Smallest new-saturation blob (pixels) for a snowball core.")
@click.option("--min-jump-area", default=5.0, show_default=True, type=click.FloatRange(min=0),
              help="Smallest jump blob (pixels) for a snowball.")
@click.option("--expand-factor", default=2.0, show_default=True, type=click.FloatRange(min=0),
              help="Snowball ellipse growth factor.")
@click.option("--sat-required-snowball/--no-sat-required-snowball", default=True, show_default=True,
              help="A snowball needs a new saturated core inside it (else every jump blob is one).")
@click.option("--min-sat-radius-extend", default=2.5, show_default=True, type=float,
              help="Cores with a larger minor axis (pixels) are grown and flagged SATURATED.")
@click.option("--sat-expand", default=2, show_default=True, type=click.IntRange(min=0),
              help="Core growth: 2x this many pixels are added to each axis.")
@click.option("--edge-size", default=25, show_default=True, type=click.IntRange(min=0),
              help="Jump blobs centred this close to an edge are snowballs without a core.")
@click.option("--mask-snowball-core-next-int/--no-mask-snowball-core-next-int", default=True,
              show_default=True, help="Flag snowball cores as jumps early in the next integration.")
@click.option("--snowball-time-masked-next-int", default=4000.0, show_default=True,
              type=click.FloatRange(min=0), help="Seconds of the next integration flagged on snowball cores.")
@click.option("--max-extended-radius", default=200, show_default=True, type=click.IntRange(min=1),
              help="Largest radius (pixels) of a grown snowball or core.")
@click.option("--find-showers/--no-find-showers", default=False, show_default=True,
              help="Flag MIRI showers (faint extended halos of large cosmic-ray events).")
@click.option("--max-shower-amplitude", default=4.0, show_default=True, type=click.FloatRange(min=0),
              help="Shower flags are undone where they change the pixel's rate by more than this (DN/s).")
@click.option("--extend-snr-threshold", default=1.2, show_default=True, type=click.FloatRange(min=0),
              help="Shower threshold on the ring-smoothed difference significance (sigma).")
@click.option("--extend-min-area", default=90, show_default=True, type=click.IntRange(min=1),
              help="Smallest shower region (pixels).")
@click.option("--extend-inner-radius", default=1.0, show_default=True, type=click.FloatRange(min=0),
              help="Inner radius of the ring kernel (pixels).")
@click.option("--extend-outer-radius", default=2.6, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Width of the ring kernel (pixels; outer radius = inner + this, as jwst).")
@click.option("--extend-ellipse-expand-ratio", default=1.1, show_default=True, type=click.FloatRange(min=0),
              help="Shower ellipse growth factor.")
@click.option("--time-masked-after-shower", default=15.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds after a shower whose groups are flagged too.")
@click.option("--force-large-events", is_flag=True,
              help="Allow large-event flagging where JWST advises against it (NIRISS SOSS/AMI, MIRI "
              "coronagraphy, 1-4 groups, snowballs on MIRI, showers on NIR).")
@click.option("--two-group", is_flag=True,
              help="Beyond jwst: flag cosmic rays in 2-group integrations (against the other integrations, "
              "or the neighbouring pixels with one integration) instead of refusing them.")
@click.option("--two-group-rejection-threshold", default=5.0, show_default=True, type=click.FloatRange(min=0),
              help="Sigma threshold of --two-group.")
@options.skip_unsupported_opt
def command(source, output, overwrite, gain, readnoise, rejection_threshold, three_group_rejection_threshold,
            four_group_rejection_threshold, maximum_cores, flag_4_neighbors, max_jump_to_flag_neighbors,
            min_jump_to_flag_neighbors, after_jump_flag_dn1, after_jump_flag_time1, after_jump_flag_dn2,
            after_jump_flag_time2, minimum_groups, minimum_sigclip_groups, only_use_ints,
            min_diffs_single_pass, expand_large_events, min_sat_area, min_jump_area, expand_factor,
            sat_required_snowball, min_sat_radius_extend, sat_expand, edge_size, mask_snowball_core_next_int,
            snowball_time_masked_next_int, max_extended_radius, find_showers, max_shower_amplitude,
            extend_snr_threshold, extend_min_area, extend_inner_radius, extend_outer_radius,
            extend_ellipse_expand_ratio, time_masked_after_shower, force_large_events,
            two_group, two_group_rejection_threshold, skip_unsupported):
    """Flag cosmic-ray jumps in ramps (``_ramp`` layout, after dq-init) with JUMP_DET in GROUPDQ.

    jwst's two-point difference method, in electrons: the first differences of each pixel (all
    integrations pooled) are compared with their median, sigma = sqrt(|median| + (readnoise *
    gain)^2 / NFRAMES). With 3-10 groups the largest outlier is flagged and removed until none
    exceeds the threshold (4, 5 or 6 sigma for >= 4, 3 or 2 usable differences); with more
    groups every outlier is flagged in one pass; with >= 100 integrations each difference is
    sigma-clipped across integrations. Saturated and DO_NOT_USE groups are ignored and never get
    JUMP_DET. Neighbour and after-jump flagging as jwst. Pixels whose gain is NaN or <= 0 get
    NO_GAIN_VALUE|DO_NOT_USE in PIXELDQ if they are already DO_NOT_USE, reference or non-science
    pixels; elsewhere such a gain is an error (exit 1). S_JUMP=COMPLETE, PRIMECRS and EXTNCRS set.

    --expand-large-events (off by default, as in jwst) grows the jump flags around NIR snowballs
    (jump blobs holding a newly saturated core) as jwst does. It is refused (exit 1) where JWST
    advises against it -- NIRISS SOSS and AMI, MIRI coronagraphy, 1-4 groups, MIRI data --
    unless --force-large-events is given.

    --find-showers (off, as in jwst) flags MIRI showers as stcal's find_faint_extended: per group,
    the first-difference significance (jumps, saturation masked) is smoothed with a ring kernel,
    thresholded at --extend-snr-threshold, and regions of >= --extend-min-area pixels get grown
    ellipses flagged JUMP_DET in that group and --time-masked-after-shower seconds after. It needs
    >= 10 usable differences (else nothing is flagged) and is refused for MIRI coronagraphy, 1-4
    groups and NIR detectors unless --force-large-events. Unlike jwst, --max-shower-amplitude is used.

    --two-group (not in jwst) flags cosmic rays in 2-group integrations: each pixel's single
    difference against the median over integrations (3 or more), the smaller one (2), or the
    median of its 8 neighbours when a sharp single-pixel excess (1 integration).

    Fewer than 3 groups (without --two-group): exit 1, or with --skip-unsupported the data pass through with
    S_JUMP=SKIPPED. A reference for another detector or not covering the data: exit 1.

    \b
    Example:
      jwcal dq-init --mask m.fits < x_uncal.fits | jwcal jump --gain g.fits --readnoise r.fits > x_jump.fits
    """
    from jwcal.cli.filters import run_filter
    from jwcal.io import read_reference
    from jwcal.steps import jump as step

    references = {"GAIN": read_reference(gain, "GAIN"), "READNOISE": read_reference(readnoise, "READNOISE")}
    parameters = dict(
        rejection_threshold=rejection_threshold,
        three_group_rejection_threshold=three_group_rejection_threshold,
        four_group_rejection_threshold=four_group_rejection_threshold, maximum_cores=maximum_cores,
        flag_4_neighbors=flag_4_neighbors, max_jump_to_flag_neighbors=max_jump_to_flag_neighbors,
        min_jump_to_flag_neighbors=min_jump_to_flag_neighbors, after_jump_flag_dn1=after_jump_flag_dn1,
        after_jump_flag_time1=after_jump_flag_time1, after_jump_flag_dn2=after_jump_flag_dn2,
        after_jump_flag_time2=after_jump_flag_time2, minimum_groups=minimum_groups,
        minimum_sigclip_groups=minimum_sigclip_groups, only_use_ints=only_use_ints,
        min_diffs_single_pass=min_diffs_single_pass, expand_large_events=expand_large_events,
        min_sat_area=min_sat_area, min_jump_area=min_jump_area, expand_factor=expand_factor,
        sat_required_snowball=sat_required_snowball, min_sat_radius_extend=min_sat_radius_extend,
        sat_expand=sat_expand, edge_size=edge_size, mask_snowball_core_next_int=mask_snowball_core_next_int,
        snowball_time_masked_next_int=snowball_time_masked_next_int, max_extended_radius=max_extended_radius,
        find_showers=find_showers, max_shower_amplitude=max_shower_amplitude,
        extend_snr_threshold=extend_snr_threshold, extend_min_area=extend_min_area,
        extend_inner_radius=extend_inner_radius, extend_outer_radius=extend_outer_radius,
        extend_ellipse_expand_ratio=extend_ellipse_expand_ratio,
        time_masked_after_shower=time_masked_after_shower, force_large_events=force_large_events,
        two_group=two_group,
        two_group_rejection_threshold=two_group_rejection_threshold, skip_unsupported=skip_unsupported)
    run_filter(source, output, overwrite,
               lambda exposure: step.run(exposure, gain=references["GAIN"], readnoise=references["READNOISE"],
                                         **parameters),
               label="jump", warm_up=step.warm_up)
