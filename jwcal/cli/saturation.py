"""``jwcal saturation``: flag saturated groups from a SATURATION reference."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.saturation import SPEC


@click.command("saturation", short_help="Flag saturated and A/D-floor groups (SATURATION reference).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
    """Flag saturation in ramps (``_ramp`` layout, after dq-init).

    A group reaching the pixel's SATURATION threshold is flagged SATURATED in GROUPDQ, with every
    later group of the integration and (per group) its neighbours within --n-pix-grow-sat pixels.
    Groups at or below 0 DN get AD_FLOOR|DO_NOT_USE. The reference DQ is OR-ed into PIXELDQ;
    NO_SAT_CHECK pixels and NaN thresholds are never flagged. S_SATURA=COMPLETE. A reference for
    another detector, or one not covering the data, is an error (exit 1).

    \b
    Example:
      jwcal dq-init --mask m.fits x_uncal.fits | jwcal saturation --saturation sat.fits > x_ramp.fits
    """
    from jwcal.cli.filters import run_filter
    from jwcal.steps import saturation as step

    references = options.read_references(SPEC, params)
    run_filter(source, output, overwrite, lambda exposure: step.run(exposure, **references, **params),
               label="saturation")
