"""``jwcal linearity``: correct non-linearity with the LINEARITY reference."""

from __future__ import annotations

import click

from jwcal.cli import options


@click.command("linearity", short_help="Correct non-linearity with the LINEARITY reference (COEFFS).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.reference_opt("linearity", "LINEARITY")
def command(source, output, overwrite, linearity):
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
    from jwcal.io import read_reference
    from jwcal.steps import linearity as step

    reference = read_reference(linearity, "LINEARITY")
    run_filter(source, output, overwrite, lambda exposure: step.run(exposure, linearity=reference),
               label="linearity")
