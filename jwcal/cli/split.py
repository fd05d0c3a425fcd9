"""``jwcal split``: write each exposure of a stream to its own file."""

from __future__ import annotations

import logging
import os

import click

from jwcal.cli import options

log = logging.getLogger("jwcal")


@click.command("split", short_help="Write each exposure of a stream to its own file.")
@options.source_arg
@click.option("-o", "--output", "output", required=True, metavar="DIR",
              type=click.Path(file_okay=False), help="Directory for the files (created if missing).")
@click.option("--suffix", default=None, metavar="NAME",
              help="Product suffix for every file (default: from each exposure's state, e.g. rate).")
@options.overwrite_opt
def command(source, output, suffix, overwrite):
    """Write each exposure of a stream to DIR, named as jwst names products.

    A file is named <root>_<suffix>.fits: the root comes from the FILENAME keyword (or from
    PROGRAM, OBSERVTN, VISIT, ... DETECTOR), the suffix from what has been done to the exposure
    (uncal, ramp, rate, rateints, cal, tweakreg, crf, i2d) unless --suffix is given. All files
    appear together at the end, or none if anything fails (and a directory split made is removed
    again). In a chain, set -o pipefail so that a failure upstream fails the chain:

    \b
      set -o pipefail; jwcal cat a.fits b.fits | jwcal dq-init --mask m.fits | jwcal split -o out/

    \b
    Example:
      cat a.fits b.fits | jwcal cat - | jwcal split -o out/
    """
    from jwcal.cli.progress import track
    from jwcal.io import FileBatch, output_directory, read_exposures
    from jwcal.io.naming import product_filename

    index = 0
    with output_directory(output), FileBatch(overwrite=overwrite) as batch:
        # no enumerate(): its reused result tuple would keep the previous exposure alive while the
        # next one is read, doubling the peak memory
        for exposure in track(read_exposures(source), "splitting"):
            path = os.path.join(output, product_filename(exposure, index, suffix))
            sink = batch.open(path)
            try:
                sink.write(exposure)
            finally:
                sink.close()
            del exposure  # free this exposure before the next one is read
            index += 1
            log.info("%s", path)
