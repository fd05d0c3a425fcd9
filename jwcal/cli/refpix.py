"""``jwcal refpix``: correct NIR ramps with their reference pixels."""

from __future__ import annotations

import click

from jwcal.cli import options


@click.command("refpix", short_help="Reference-pixel correction of NIR ramps (amplifier offsets, row 1/f).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@click.option("--odd-even-columns/--no-odd-even-columns", default=True, show_default=True,
              help="Separate top/bottom means for odd and even columns.")
@click.option("--use-side-ref-pixels/--no-use-side-ref-pixels", default=True, show_default=True,
              help="Subtract the side reference pixels' running median row by row (1/f noise).")
@click.option("--side-smoothing-length", default=11, show_default=True, type=click.IntRange(min=1),
              help="Rows in the running median of the side reference pixels.")
@click.option("--side-gain", default=1.0, show_default=True, type=float,
              help="Fraction of the side reference signal subtracted.")
@options.skip_unsupported_opt
def command(source, output, overwrite, odd_even_columns, use_side_ref_pixels, side_smoothing_length,
            side_gain, skip_unsupported):
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

    run_filter(source, output, overwrite,
               lambda exposure: step.run(exposure, odd_even_columns=odd_even_columns,
                                         use_side_ref_pixels=use_side_ref_pixels,
                                         side_smoothing_length=side_smoothing_length, side_gain=side_gain,
                                         skip_unsupported=skip_unsupported),
               label="refpix")
