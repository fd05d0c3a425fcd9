"""``jwcal tweakreg``: align exposures' WCS to each other and to a reference catalog."""

from __future__ import annotations

import click

from jwcal.cli import options

GEOMETRIES = ("shift", "rshift", "rscale", "general")


@click.command("tweakreg", short_help="Align exposures' WCS to each other and to a catalog.")
@options.sources_arg
@click.option("-o", "--output", default="-", show_default=True, metavar="DIR",
              type=click.Path(allow_dash=True, file_okay=False),
              help="Directory for the <root>_tweakreg.fits files; '-' writes one stream to stdout.")
@options.overwrite_opt
@click.option("--snr-threshold", type=click.FloatRange(0.0, min_open=True), default=10.0, show_default=True,
              help="Detection threshold, in units of the noise of the smoothed image.")
@click.option("--kernel-fwhm", type=click.FloatRange(0.5), default=2.5, show_default=True,
              help="FWHM (pixels) of the Gaussian detection kernel and centroid window.")
@click.option("--bkg-boxsize", type=click.IntRange(8), default=400, show_default=True,
              help="Background box size in pixels.")
@click.option("--brightest", type=click.IntRange(1), default=200, show_default=True,
              help="Keep only this many brightest sources per exposure.")
@click.option("--peakmax", type=float, default=None,
              help="Reject sources whose peak (background subtracted) reaches this value.")
@click.option("--save-catalogs", metavar="DIR", type=click.Path(file_okay=False), default=None,
              help="Write each exposure's sources to DIR/<root>_cat.ecsv (x, y 0-based).")
@click.option("--use-custom-catalogs", metavar="DIR", type=click.Path(file_okay=False, exists=True),
              default=None, help="Read sources from DIR/<root>_cat.ecsv instead of detecting them.")
@click.option("--minobj", type=click.IntRange(1), default=15, show_default=True,
              help="Minimum number of matches for a relative fit.")
@click.option("--fitgeometry", type=click.Choice(GEOMETRIES), default="rshift", show_default=True,
              help="Relative fit: shift, rotation+shift, rotation+scale+shift, or full linear.")
@click.option("--nclip", type=click.IntRange(0), default=3, show_default=True,
              help="Sigma-clipping rounds of the relative fit.")
@click.option("--sigma", type=click.FloatRange(0.0, min_open=True), default=3.0, show_default=True,
              help="Clipping limit in units of the fit RMS.")
@click.option("--searchrad", type=click.FloatRange(0.0, min_open=True), default=2.0, show_default=True,
              help="Search radius (arcsec) for the initial offset.")
@click.option("--use2dhist/--no-use2dhist", default=True, show_default=True,
              help="Find the initial offset from a 2-D histogram of pair offsets.")
@click.option("--separation", type=click.FloatRange(0.0), default=1.0, show_default=True,
              help="Sources closer than this (arcsec) to another one are not matched.")
@click.option("--tolerance", type=click.FloatRange(0.0, min_open=True), default=0.7, show_default=True,
              help="Matching tolerance (arcsec) after the initial offset.")
@click.option("--xoffset", type=float, default=0.0, show_default=True,
              help="Initial offset (arcsec) along xi when --no-use2dhist.")
@click.option("--yoffset", type=float, default=0.0, show_default=True,
              help="Initial offset (arcsec) along eta when --no-use2dhist.")
@click.option("--abs-refcat", metavar="CAT", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Reference catalog file (ECSV or FITS table with RA/DEC or sky_centroid, degrees).")
@click.option("--abs-minobj", type=click.IntRange(1), default=15, show_default=True,
              help="Minimum number of matches for the absolute fit.")
@click.option("--abs-fitgeometry", type=click.Choice(GEOMETRIES), default="rshift", show_default=True,
              help="Absolute fit geometry.")
@click.option("--abs-nclip", type=click.IntRange(0), default=3, show_default=True,
              help="Sigma-clipping rounds of the absolute fit.")
@click.option("--abs-sigma", type=click.FloatRange(0.0, min_open=True), default=3.0, show_default=True,
              help="Absolute clipping limit in units of the fit RMS.")
@click.option("--abs-searchrad", type=click.FloatRange(0.0, min_open=True), default=6.0, show_default=True,
              help="Absolute search radius (arcsec).")
@click.option("--abs-use2dhist/--no-abs-use2dhist", default=True, show_default=True,
              help="Absolute initial offset from a 2-D histogram.")
@click.option("--abs-separation", type=click.FloatRange(0.0), default=1.0, show_default=True,
              help="Absolute minimum source separation (arcsec).")
@click.option("--abs-tolerance", type=click.FloatRange(0.0, min_open=True), default=0.7, show_default=True,
              help="Absolute matching tolerance (arcsec).")
@options.skip_unsupported_opt
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
