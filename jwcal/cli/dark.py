"""``jwcal dark``: subtract the DARK reference ramp."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.dark import SPEC


@click.command("dark", short_help="Subtract the DARK reference ramp (frame-averaged to NFRAMES).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
    """Subtract the dark current ramp from every integration (``_ramp`` layout).

    The DARK frames are averaged to the science NFRAMES/GROUPGAP read pattern when they differ;
    NaN dark values count as 0; the dark DQ is OR-ed into PIXELDQ; AVDRKCUR (e-/s, used by ramp-fit
    for the Poisson variance) is written. A dark too short for the ramp, or with more frames per
    group than the science data, cannot be applied: exit 1, or with --skip-unsupported the input
    passes through with S_DARK=SKIPPED. Otherwise S_DARK=COMPLETE.

    \b
    Example:
      jwcal linearity --linearity lin.fits x.fits | jwcal dark --dark dark.fits > y.fits
    """
    from jwcal.cli.filters import run_filter
    from jwcal.steps import dark as step

    references = options.read_references(SPEC, params)
    run_filter(source, output, overwrite, lambda exposure: step.run(exposure, **references, **params),
               label="dark")
