"""``jwcal jump``: flag cosmic-ray jumps in ramps (two-point difference)."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.jump import SPEC


@click.command("jump", short_help="Flag cosmic-ray jumps in ramps (GAIN, READNOISE references).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
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
    from jwcal.steps import jump as step

    references = options.read_references(SPEC, params)
    run_filter(source, output, overwrite, lambda exposure: step.run(exposure, **references, **params),
               label="jump", warm_up=step.warm_up)
