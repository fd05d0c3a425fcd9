"""``jwcal resample``: drizzle calibrated exposures onto one mosaic (``_i2d``)."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.resample import SPEC


@click.command("resample", short_help="Drizzle exposures onto one mosaic (_i2d).")
@options.sources_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(sources, output, overwrite, **params):
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
    output_wcs = params.pop("output_wcs")
    wcs_file = read_single(output_wcs, what="output WCS file") if output_wcs else None
    with multi_source(sources) as (source, product, _paths):
        mosaic = resample.run(source, output_wcs=wcs_file, **params)
    if product:  # jwst names the mosaic after the association's product, not its first member
        mosaic.primary["FILENAME"] = f"{product}_i2d.fits"
    with open_output(output, overwrite=overwrite) as sink:
        sink.write(mosaic)
