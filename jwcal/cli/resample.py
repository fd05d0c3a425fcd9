"""``jwcal resample``: drizzle calibrated exposures onto one mosaic (``_i2d``)."""

from __future__ import annotations

import click

from jwcal.cli import options

KERNEL_NAMES = ("square", "point", "turbo", "gaussian", "lanczos3")


@click.command("resample", short_help="Drizzle exposures onto one mosaic (_i2d).")
@options.sources_arg
@options.output_opt
@options.overwrite_opt
@click.option("--kernel", type=click.Choice(KERNEL_NAMES), default="square", show_default=True,
              help="Drizzle kernel (square, point and turbo conserve flux exactly).")
@click.option("--pixfrac", type=click.FloatRange(0.0, 1.0, min_open=True), default=1.0, show_default=True,
              help="Drop size relative to the input pixel.")
@click.option("--fillval", default="NaN", show_default=True,
              help="Value of output pixels that no input covers: NaN, INDEF (0) or a number.")
@click.option("--weight-type", type=click.Choice(("ivm", "exptime")), default="ivm", show_default=True,
              help="Pixel weights: inverse read-noise variance, or exposure time.")
@click.option("--good-bits", default="~DO_NOT_USE+NON_SCIENCE", show_default=True,
              help="DQ flags of usable pixels, jwst notation "
              "('~A+B': all but A and B; '4+16': only those).")
@click.option("--pixel-scale-ratio", type=click.FloatRange(0.0, min_open=True), default=1.0,
              show_default=True,
              help="Output pixel scale relative to the first input's.")
@click.option("--pixel-scale", type=click.FloatRange(0.0, min_open=True), default=None,
              help="Output pixel scale in arcsec (overrides --pixel-scale-ratio).")
@click.option("--rotation", type=float, default=None,
              help="Position angle of the output y axis, degrees East of North (default: the first input's).")
@click.option("--crpix", type=float, nargs=2, default=None, metavar="X Y",
              help="0-based reference pixel of the output grid.")
@click.option("--crval", type=float, nargs=2, default=None, metavar="RA DEC",
              help="Sky position (degrees) of the reference pixel.")
@click.option("--output-shape", type=int, nargs=2, default=None, metavar="NX NY",
              help="Output size in pixels.")
@click.option("--output-wcs", type=click.Path(dir_okay=False, exists=True), default=None, metavar="PATH",
              help="FITS file whose SCI (or primary) header holds the output WCS and NAXIS1/2; "
              "overrides the grid options.")
@click.option("--blendheaders/--no-blendheaders", default=True, show_default=True,
              help="Add the HDRTAB table of the inputs' keywords.")
def command(sources, output, overwrite, output_wcs, **params):
    """Drizzle aligned calibrated exposures (_cal, _crf) onto one mosaic.

    IN are FITS files, jwst image3 association JSON files, or '-' (a stream on stdin, the
    default when stdin is a pipe; it is spooled to a temporary file because the inputs are read
    twice). A first pass reads only the headers (celestial WCS in SCI, BUNIT) to build the output
    grid from all footprints; the second pass drizzles one exposure at a time, so memory holds the
    mosaic plus one input whatever the number of inputs.

    The output has SCI, ERR, CON (context: one bit per input), WHT, VAR_POISSON, VAR_RNOISE,
    VAR_FLAT and HDRTAB, as jwst's _i2d.

    Exit 1 when an input has no celestial WCS, the inputs have mixed BUNIT, or an input does not
    overlap the output grid.

    \b
    Examples:
      jwcal resample *_cal.fits -o mosaic_i2d.fits
      jwcal resample asn.json --kernel turbo --pixfrac 0.8 --pixel-scale 0.02 -o m_i2d.fits
      jwcal cat *_crf.fits | jwcal resample --weight-type exptime > mosaic_i2d.fits
    """
    from jwcal.cli.filters import same_file
    from jwcal.cli.multi import multi_source
    from jwcal.errors import UsageError
    from jwcal.io import check_writable, open_output, read_single
    from jwcal.steps import resample

    for source in sources:
        if same_file(source, output):
            raise UsageError(f"{output}: is one of the inputs; inputs are never modified")
    check_writable(output, overwrite=overwrite)
    for key in ("crpix", "crval", "output_shape"):
        params[key] = tuple(params[key]) if params[key] else None
    wcs_file = read_single(output_wcs, what="output WCS file") if output_wcs else None
    with multi_source(sources) as (source, _product, _paths):
        mosaic = resample.run(source, output_wcs=wcs_file, **params)
    with open_output(output, overwrite=overwrite) as sink:
        sink.write(mosaic)
