"""Shared click options and arguments.

=====================  ==============================================  ==========================
name                   meaning                                         used by
=====================  ==============================================  ==========================
``source_arg``         input path, ``-`` (default) for stdin           every single-input filter
``sources_arg``        input paths (``-`` for stdin)                   cat
``output_opt``         ``-o PATH``; ``-`` (default) for stdout         every filter
``overwrite_opt``      replace an existing output file                 every command that writes
``skip_unsupported``   pass unsupported input through, S_x=SKIPPED     steps that can refuse input
=====================  ==============================================  ==========================

The parameters these carry (``source``, ``sources``, ``output``, ``overwrite``) belong to the
command, not to the step; every other option of a step command maps 1:1 onto a keyword parameter
of ``jwcal.steps.<step>.run`` (tested in ``tests/test_architecture.py``).
"""

from __future__ import annotations

import click

IO_PARAMETERS = frozenset({"source", "sources", "output", "overwrite"})

source_arg = click.argument("source", metavar="[IN]", default="-", required=False,
                            type=click.Path(allow_dash=True, dir_okay=False))
sources_arg = click.argument("sources", metavar="[IN]...", nargs=-1,
                             type=click.Path(allow_dash=True, dir_okay=False))
output_opt = click.option("-o", "--output", default="-", show_default=True, metavar="PATH",
                          type=click.Path(allow_dash=True, dir_okay=False),
                          help="Output file; '-' writes to stdout, which must not be a terminal.")
overwrite_opt = click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
skip_unsupported_opt = click.option(
    "--skip-unsupported", is_flag=True,
    help="Pass input the step cannot process through unchanged, recording the step as SKIPPED, "
    "instead of failing with exit 1.",
)


def reference_opt(name: str, reftype: str, required: bool = True):
    """Return a ``--<name> PATH`` option for a CRDS-format reference file of type ``reftype``."""
    return click.option(f"--{name}", required=required, metavar="PATH",
                        type=click.Path(dir_okay=False),
                        help=f"{reftype} reference file (CRDS format).")
