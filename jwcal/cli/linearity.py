"""``jwcal linearity``: correct non-linearity with the LINEARITY reference."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.linearity import SPEC


@click.command("linearity", short_help="Correct non-linearity with the LINEARITY reference (COEFFS).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
    """Replace every group by the pixel's LINEARITY polynomial of its value (``_ramp`` layout).

    SATURATED groups keep their values. Pixels flagged NO_LIN_CORR in the reference, or with NaN
    coefficients or a zero linear term, are left unchanged (and flagged NO_LIN_CORR); the reference
    DQ is OR-ed into PIXELDQ. S_LINEAR=COMPLETE. Run it after saturation, superbias and refpix.
    A reference for another detector, or one not covering the data, is an error (exit 1).

    \b
    Example:
      jwcal refpix x.fits | jwcal linearity --linearity lin.fits > y.fits
    """
    from jwcal.cli.filters import run_filter
    from jwcal.steps import linearity as step

    references = options.read_references(SPEC, params)
    run_filter(source, output, overwrite, lambda exposure: step.run(exposure, **references, **params),
               label="linearity")
