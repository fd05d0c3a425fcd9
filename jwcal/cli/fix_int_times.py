"""``jwcal fix-int-times``: exposure time keywords from the INT_TIMES table (GI-TS01)."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.fix_int_times import SPEC


@click.command("fix-int-times", short_help="Set time keywords from INT_TIMES (GI-TS01).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
    """Make the primary-header times agree with the INT_TIMES extension.

    For time-series data the header keywords (notably BSTRTIME, BENDTIME and BARTDELT) differ from
    INT_TIMES, which is built from the group times in the engineering data and is authoritative.
    This filter sets EXPSTART/EXPEND (MJD UTC; start of integration 1, end of integration NINTS)
    and EXPMID halfway, BSTRTIME/BENDTIME/BMIDTIME the same from the BJD_TDB columns, and
    BARTDELT (s) to the barycentric light-time correction at EXPMID (BJD_TDB minus the TDB clock
    of MJD_UTC, interpolated in the table). Keywords whose instants the table does not hold (a
    segment without the first or last integration) are kept. Old values go to HISTORY; all other
    keywords, the table and the data are written back byte for byte; running twice changes
    nothing. Files without INT_TIMES exit 1 (or pass with S_INTTIM = SKIPPED under
    --skip-unsupported).

    With --check nothing is written; stdout gets one tab-separated line per exposure: the file,
    then KEY=<header - table in seconds> for each keyword (KEY=absent when missing).

    \b
    Examples:
      jwcal fix-int-times jw01366_nis_uncal.fits -o fixed_uncal.fits
      cat *_rateints.fits | jwcal fix-int-times --check
    """
    from jwcal.steps import fix_int_times as step

    if params["check"]:
        from jwcal.errors import UnsupportedError
        from jwcal.io import read_exposures

        for exposure in read_exposures(source):
            try:
                diffs = step.differences(exposure)
            except UnsupportedError:
                if not params["skip_unsupported"]:
                    raise
                click.echo(f"{exposure.label}\tno INT_TIMES")
                continue
            fields = [f"{k}=absent" if v is None else f"{k}={v:+.6f}" for k, v in diffs.items()]
            click.echo("\t".join([exposure.label, *fields]))
        return

    from jwcal.cli.filters import run_filter

    run_filter(source, output, overwrite, lambda exposure: step.run(exposure, **params),
               label="fix-int-times")
