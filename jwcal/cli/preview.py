"""``jwcal preview``: an exposure as a PNG picture."""

from __future__ import annotations

import click

from jwcal.cli import options


@click.command("preview", short_help="Render an exposure as a PNG (zscale, asinh).")
@options.source_arg
@click.option("-o", "--output", required=True, metavar="PATH",
              type=click.Path(allow_dash=True, dir_okay=False),
              help="PNG file to write; '-' writes to stdout, which must not be a terminal.")
@options.overwrite_opt
@click.option("--group", type=options.IntRange(), default=-1, show_default=True,
              help="Group of a ramp to show (0-based; negative counts from the end).")
@click.option("--integration", type=options.IntRange(0), default=0, show_default=True,
              help="Integration of a ramp or per-integration cube (0-based).")
@click.option("--extension", default="SCI", show_default=True, metavar="EXTNAME", help="Image to show.")
@click.option("--stretch", type=click.Choice(["asinh", "linear", "log"]), default="asinh", show_default=True,
              help="Stretch between the zscale limits.")
@click.option("--dq", is_flag=True, help="Tint flagged pixels: saturated orange, jump cyan, outlier "
              "magenta, hot/dead yellow, reference/non-science blue, other DO_NOT_USE red.")
def command(source, output, overwrite, group, integration, extension, stretch, dq):
    """Render one image of an exposure as an 8-bit PNG.

    Works on rate, cal and i2d products (2-D), per-integration cubes (one integration) and raw or
    processed ramps (one group of one integration; default the last group of the first). The
    display limits are IRAF's zscale of the shown plane and the stretch is asinh by default. FITS
    row 1 is at the bottom of the picture. Only the first exposure of a stream is shown. The PNG
    is written atomically.

    \b
    Examples:
      jwcal preview a_rate.fits -o a.png
      jwcal preview a_uncal.fits --group 0 --stretch linear -o first_group.png
      jwcal preview a_cal.fits --dq -o a_dq.png
    """
    from jwcal.errors import DataError
    from jwcal.io import check_writable, read_exposures
    from jwcal.io.png import write_png
    from jwcal.steps import preview as step

    check_writable(output, overwrite=overwrite)
    exposure = next(read_exposures(source), None)
    if exposure is None:
        raise DataError(f"{source}: no exposure")
    image = step.run(exposure, group=group, integration=integration, extension=extension,
                     stretch=stretch, dq=dq)
    write_png(output, image, overwrite=overwrite)
