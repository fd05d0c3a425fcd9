"""``jwcal tweakreg``: align exposures' WCS to each other and to a reference catalog."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.tweakreg import SPEC


@click.command("tweakreg", short_help="Align exposures' WCS to each other and to a catalog.")
@options.sources_arg
@click.option("-o", "--output", default="-", show_default=True, metavar="DIR",
              type=click.Path(allow_dash=True, file_okay=False),
              help="Directory for the <root>_tweakreg.fits files; '-' writes one stream to stdout.")
@options.overwrite_opt
@options.step_options(SPEC)
def command(sources, output, overwrite, **params):
    """Align the WCS of calibrated exposures (_cal) to each other and to a catalog.

    IN are FITS files, jwst image3 association JSON files, or '-' (a stream on stdin, spooled to
    a temporary file because the inputs are read twice). Stars are found in each SCI (DQ-aware,
    background subtracted), exposures sharing a jwst group id are fitted together, each group is
    matched (2-D histogram of offsets, then tolerance matching) and fitted (--fitgeometry with
    sigma clipping) in the tangent plane (arcsec) against the growing reference made of the groups
    already aligned (first: the one with the most sources). With --abs-refcat the merged result is
    then fitted, as one, to the catalog. Parameter names and defaults are jwst's TweakRegStep's.

    The correction is written into the SCI header's TAN/TAN-SIP WCS (CRVAL and CD; SIP unchanged),
    with S_TWKREG, TWK_RMS/TWK_NMAT (and TWKA_RMS/TWKANMAT), S_REGION and HISTORY. The ASDF
    extension is removed, because its gwcs would contradict the corrected header.

    Exit 1 when a fit fails (too few sources or matches), unless --skip-unsupported, which keeps
    the exposure's WCS and records S_TWKREG='SKIPPED'.

    \b
    Examples:
      jwcal tweakreg *_cal.fits --abs-refcat gaia.ecsv -o aligned/
      jwcal tweakreg asn.json --fitgeometry shift -o aligned/
      jwcal cat *_cal.fits | jwcal tweakreg | jwcal resample -o mosaic_i2d.fits
    """
    import os

    from jwcal.cli.filters import same_file
    from jwcal.cli.multi import multi_source
    from jwcal.errors import UsageError
    from jwcal.io import FileBatch, check_writable, open_output, output_directory
    from jwcal.io.naming import product_filename
    from jwcal.steps import tweakreg

    if output == "-":
        check_writable(output, overwrite=overwrite)
    elif os.path.exists(output) and not os.path.isdir(output):
        raise UsageError(f"{output}: not a directory")
    with multi_source(sources) as (source, _product, paths):
        results = tweakreg.run(source, **params)
        if output == "-":
            with open_output(output, overwrite=overwrite) as sink:
                for exposure in results:
                    sink.write(exposure)
            return
        with output_directory(output), FileBatch(overwrite=overwrite) as batch:
            for index, exposure in enumerate(results):
                path = os.path.join(output, product_filename(exposure, index, "tweakreg"))
                if any(same_file(p, path) for p in paths):
                    raise UsageError(f"{path}: is one of the inputs; inputs are never modified")
                sink = batch.open(path)
                try:
                    sink.write(exposure)
                finally:
                    sink.close()
                del exposure
