"""``jwcal dq-init``: apply the MASK reference to raw ramps."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.dq_init import SPEC


@click.command("dq-init", short_help="Apply the bad-pixel MASK; uncal -> _ramp layout.")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
    """Initialise the data quality of raw ramps from a MASK reference file.

    The MASK's DQ (remapped through its DQ_DEF table, cut to the science subarray) is OR-ed into
    PIXELDQ; GROUPDQ is created and gets the mask's DO_NOT_USE in every group, so masked pixels
    give NaN rates later. SCI becomes float32 (values unchanged); other extensions pass through.
    S_DQINIT=COMPLETE. A mask for another detector, or one that does not cover the data, is an
    error (exit 1).

    \b
    Example:
      jwcal dq-init --mask nrcb1_mask.fits < x_uncal.fits > x_ramp.fits
    """
    from jwcal.cli.filters import run_filter
    from jwcal.steps import dq_init

    references = options.read_references(SPEC, params)
    run_filter(source, output, overwrite, lambda exposure: dq_init.run(exposure, **references, **params),
               label="dq-init")
