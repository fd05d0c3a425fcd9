"""``jwcal cat``: concatenate FITS files into a stream."""

from __future__ import annotations

import click

from jwcal.cli import options


@click.command("cat", short_help="Concatenate FITS files into a stream.")
@options.sources_arg
@options.output_opt
@options.overwrite_opt
def command(sources, output, overwrite):
    """Concatenate FITS files (or streams) into one stream, byte for byte.

    Every input file is checked to be well-formed FITS (complete headers and data sections) before
    any byte is written, so a broken input makes cat fail (exit 1) with nothing written and the
    next command of the chain fails on its empty input. Exposures read from stdin are checked and
    passed on one at a time, each only once it was read whole. With no IN, or IN '-', the stream
    is read from stdin. Memory stays small whatever the file size.

    A stream of several exposures is not one FITS file: FITS readers (astropy, fitsverify, DS9)
    see the first exposure only, or call the rest garbage. Give it a name that does not claim FITS
    (e.g. .stream), or let jwcal split write it back to files. In a chain, set -o pipefail so that
    the chain fails when any of its commands fails.

    \b
    Examples:
      jwcal cat a_uncal.fits b_uncal.fits > ab.stream
      jwcal cat *_cal.fits | jwcal info
      set -o pipefail; jwcal cat *_uncal.fits | jwcal dq-init --mask m.fits | jwcal split -o ramps/
    """
    from jwcal.cli.filters import same_file
    from jwcal.errors import UsageError
    from jwcal.io import check_writable, open_output
    from jwcal.io.catenate import catenate

    sources = sources or ("-",)
    if sources.count("-") > 1:
        raise UsageError("stdin ('-') can be read only once")
    for source in sources:
        if same_file(source, output):
            raise UsageError(f"{output}: is one of the inputs; inputs are never modified")
    check_writable(output, overwrite=overwrite)
    with open_output(output, overwrite=overwrite) as sink:
        catenate(sources, sink.write_bytes)
