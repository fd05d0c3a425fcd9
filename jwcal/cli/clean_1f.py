"""``jwcal clean-1f``: remove 1/f striping from NIR rate/cal images (GI04)."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.clean_1f import SPEC


@click.command("clean-1f", short_help="Remove 1/f striping from NIR rate/cal images (GI04).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
    """Remove 1/f striping from rate, rateints or cal images of NIR detectors.

    Sources are masked (iterative --n-sigma clip, grown by a pixel) with DO_NOT_USE pixels; per
    amplifier (4 stripes of 512 columns) and row, the median of the background minus the
    amplifier's background median is subtracted, so the sky level stays. Rows for NIRCam, columns
    for NIRISS/NIRSpec/FGS (detector orientation). MIRI exits 1 unless --skip-unsupported
    (S_CLN1F=SKIPPED). Otherwise S_CLN1F=COMPLETE.

    \b
    Example:
      jwcal clean-1f x_rate.fits -o x_rate_clean.fits
    """
    from jwcal.cli.filters import run_filter
    from jwcal.steps import clean_1f as step

    run_filter(source, output, overwrite, lambda exposure: step.run(exposure, **params), label="clean-1f")
