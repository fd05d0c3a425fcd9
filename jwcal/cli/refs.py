"""``jwcal refs``: find and fetch an exposure's CRDS reference files into a local cache."""

from __future__ import annotations

import os

import click

from jwcal.cli import options

_CACHE_DEFAULT = os.path.join("~", "crds_cache")


@click.command("refs", short_help="Fetch the matching CRDS reference files; print their paths.")
@options.source_arg
@click.option("--cache", default=lambda: os.environ.get("CRDS_PATH", _CACHE_DEFAULT),
              show_default="$CRDS_PATH or ~/crds_cache", metavar="DIR",
              type=click.Path(file_okay=False), help="Local CRDS cache directory.")
@click.option("--server-url", default=lambda: os.environ.get("CRDS_SERVER_URL", "https://jwst-crds.stsci.edu"),
              show_default="$CRDS_SERVER_URL or https://jwst-crds.stsci.edu", metavar="URL",
              help="CRDS server, asked only for what the cache lacks.")
@click.option("--context", metavar="PMAP", default=None,
              help="CRDS context, e.g. jwst_1322.pmap (default: the server's operational one).")
@click.option("--reftype", "reftypes", multiple=True, metavar="TYPE",
              help="Reference type to fetch (repeatable; default: those the jwcal steps use: "
              "mask saturation superbias linearity dark gain readnoise).")
@click.option("--makefile", is_flag=True,
              help="Print Makefile assignments (GAIN := path ...) instead of lines of text.")
def command(source, cache, server_url, context, reftypes, makefile):
    """Find the best reference files for each exposure and print where they are.

    The only jwcal command that uses the network: the crds client (pip install
    'jwcal[crds]') matches the header against the CRDS rules and downloads into --cache what
    is not there yet. Every other command takes reference files as explicit paths, so
    the output is made to feed them.

    Output, one line per reference: file, type and path, separated by tabs; N/A where
    CRDS says the type does not apply. With --makefile: 'GAIN := path' lines, for one
    exposure.

    \b
    Examples:
      jwcal refs jw01234001001_01101_00001_nrcb1_uncal.fits --cache ~/crds_cache
      jwcal refs x_uncal.fits --makefile > refs.mk     # then: include refs.mk
    """
    from jwcal.errors import UsageError
    from jwcal.io import read_exposures
    from jwcal.io.crds import DEFAULT_REFTYPES, NOT_APPLICABLE, best_references

    wanted = tuple(t.lower() for t in reftypes) or DEFAULT_REFTYPES
    cache = os.path.expanduser(cache)
    lines = []
    for count, exposure in enumerate(read_exposures(source, headers_only=True), start=1):
        if makefile and count > 1:
            raise UsageError("--makefile describes one exposure; the stream has more")
        found = best_references(exposure.peek_primary(), cache=cache, server_url=server_url,
                                context=context, reftypes=wanted)
        for reftype, path in found.items():
            if makefile:
                lines.append(f"{reftype.upper()} := {path}" if path != NOT_APPLICABLE
                             else f"# {reftype.upper()}: not applicable")
            else:
                lines.append(f"{exposure.label}\t{reftype}\t{path}")
    click.echo("\n".join(lines))
