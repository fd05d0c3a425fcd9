"""``jwcal refpix``: correct NIR ramps with their reference pixels."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.refpix import SPEC


@click.command("refpix", short_help="Reference-pixel correction of NIR ramps (amplifier offsets, row 1/f).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
    """Correct ramps of NIR detectors with their reference pixels (``_ramp`` layout).

    Full frame, for every group, in detector orientation: each amplifier (4 stripes of 512 columns)
    gets the 3-sigma-clipped mean of its top and bottom reference rows removed, separately for odd
    and even columns; then each row gets --side-gain times the running median (over
    --side-smoothing-length rows) of the 4 left and 4 right reference columns removed. Subarrays
    use the pixels flagged REFERENCE_PIXEL (one mean per column parity). DO_NOT_USE reference
    pixels are ignored. MIRI, NIRSpec IRS2 and data without usable reference pixels exit 1, or
    pass through with S_REFPIX=SKIPPED under --skip-unsupported. Otherwise S_REFPIX=COMPLETE.

    \b
    Example:
      jwcal superbias --superbias bias.fits x.fits | jwcal refpix > y.fits
    """
    from jwcal.cli.filters import run_filter
    from jwcal.steps import refpix as step

    run_filter(source, output, overwrite, lambda exposure: step.run(exposure, **params), label="refpix")
