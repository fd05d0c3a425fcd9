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

    Each input is checked to be well-formed FITS (complete headers and data sections) while it is
    copied, in bounded chunks, so memory stays small whatever the file size. With no IN, or IN
    '-', the stream is read from stdin.

    \b
    Examples:
      jwcal cat a_uncal.fits b_uncal.fits > ab.fits
      jwcal cat *_cal.fits | jwcal info
    """
    from jwcal.cli.filters import same_file
    from jwcal.errors import UsageError
    from jwcal.io import check_writable, copy_stream, open_output

    sources = sources or ("-",)
    if sources.count("-") > 1:
        raise UsageError("stdin ('-') can be read only once")
    for source in sources:
        if same_file(source, output):
            raise UsageError(f"{output}: is one of the inputs; inputs are never modified")
    check_writable(output, overwrite=overwrite)
    with open_output(output, overwrite=overwrite) as sink:
        for source in sources:
            copy_stream(source, sink.write_bytes)
