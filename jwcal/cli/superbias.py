"""``jwcal superbias``: subtract the SUPERBIAS reference from every group."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.superbias import SPEC


@click.command("superbias", short_help="Subtract the SUPERBIAS reference from every group.")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
    """Subtract the superbias frame from every group of every integration (``_ramp`` layout).

    NaN bias values count as 0; the reference DQ is OR-ed into PIXELDQ; a ZEROFRAME is corrected
    too (its zeros, which mark unusable values, stay 0). S_SUPERB=COMPLETE. A reference for another
    detector, or one not covering the data, is an error (exit 1).

    \b
    Example:
      jwcal saturation --saturation sat.fits x.fits | jwcal superbias --superbias bias.fits > y.fits
    """
    from jwcal.cli.filters import run_filter
    from jwcal.steps import superbias as step

    references = options.read_references(SPEC, params)
    run_filter(source, output, overwrite, lambda exposure: step.run(exposure, **references, **params),
               label="superbias")
