"""``jwcal outlier``: flag outliers against the median of all exposures (``_crf`` products)."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.outlier import SPEC


@click.command("outlier", short_help="Flag outliers against the median of all exposures (_crf).")
@options.sources_arg
@click.option("-o", "--output", default="-", show_default=True, metavar="DIR",
              type=click.Path(allow_dash=True, file_okay=False),
              help="Directory for the _crf files (created if missing); '-' writes a stream to stdout.")
@options.overwrite_opt
@options.step_options(SPEC)
def command(sources, output, overwrite, **params):
    """Flag cosmic rays and other outliers in aligned exposures, as jwst's imaging outlier detection.

    Each exposure group (one jwst group id, e.g. the detectors of one exposure; adjacent in the
    input order) is drizzled onto the common mosaic grid; pixels with a low weight (--maskpt) are
    dropped; the median of the groups is computed by row blocks from temporary files (in $TMPDIR,
    about one mosaic per group), so memory does not grow with the number of inputs. The median is
    blotted back to every input, and a pixel is an outlier when |SCI - BLOT - BACKG| exceeds
    SCALE2*DERIV + SNR2*ERR and, somewhere in its 3x3 neighbourhood, SCALE1*DERIV + SNR1*ERR.
    Outliers get OUTLIER|DO_NOT_USE in DQ and NaN in SCI, ERR and VAR_*.

    IN are FITS files, image3 association JSON files or '-' (a stream, spooled to a temporary
    file: the inputs are read three times). Needs at least two exposures (--skip-unsupported
    passes a single one through).

    With -o DIR the _crf files are written there and, when stdout is a pipe, also streamed to
    stdout (as tee does), so the step can sit in the middle of a pipeline; never into a regular
    file, a terminal or /dev/null (`> log 2>&1` keeps the log only). -o - writes the stream only.
    A failed run leaves no files and no new directory behind.

    \b
    Examples:
      jwcal outlier *_cal.fits -o crf/
      jwcal outlier asn.json | jwcal resample -o mosaic_i2d.fits
      jwcal tweakreg asn.json --abs-refcat gaia.ecsv | jwcal outlier -o crf/ | jwcal resample -o m_i2d.fits
    """
    import contextlib
    import os

    from jwcal.cli.multi import multi_source
    from jwcal.errors import UsageError
    from jwcal.io import FileBatch, open_output, output_directory, stdout_is_pipe
    from jwcal.steps import outlier

    if output != "-" and os.path.exists(output) and not os.path.isdir(output):
        raise UsageError(f"{output}: not a directory")
    with multi_source(sources) as (source, _product, paths):
        results = outlier.run(source, **params)
        if output == "-":
            with open_output("-", overwrite=overwrite) as sink:
                for exposure in results:
                    sink.write(exposure)
            return
        inputs = {os.path.realpath(p) for p in paths}
        tee = open_output("-", overwrite=False) if stdout_is_pipe() else contextlib.nullcontext()
        with output_directory(output), FileBatch(overwrite=overwrite) as batch, tee as stream:
            for index, exposure in enumerate(results):
                name = os.path.basename(str(exposure.peek_primary().get("FILENAME") or "")) or \
                    f"exposure{index + 1:04d}_crf.fits"
                path = os.path.join(output, name)
                if os.path.realpath(path) in inputs:
                    raise UsageError(f"{path}: is one of the inputs; inputs are never modified")
                sink = batch.open(path)
                try:
                    sink.write(exposure)
                finally:
                    sink.close()
                if stream is not None:
                    stream.write(exposure)

