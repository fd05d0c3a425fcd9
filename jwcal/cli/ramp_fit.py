"""``jwcal ramp-fit``: ramps to count rates."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.ramp_fit import SPEC


@click.command("ramp-fit", short_help="Fit ramps (OLS, optimal weighting): _ramp -> _rate.")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
    """Fit slopes to ramps: ordinary least squares with optimal weighting, as stcal's OLS_C.

    Ramps are split into segments at jumps (JUMP_DET) and flagged groups (SATURATED, DO_NOT_USE,
    ...); each segment is fitted with signal-to-noise dependent weights, segments and integrations
    are combined by inverse read-noise variance. The _rate product (SCI, ERR, DQ, VAR_POISSON,
    VAR_RNOISE; DN/s) goes to stdout or -o; --rateints writes the per-integration product. DQ
    follows jwst: PIXELDQ, plus JUMP_DET and SATURATED from the groups; DO_NOT_USE pixels (in
    PIXELDQ, or with every integration unusable) get NaN. NaN in the gain or read-noise reference is
    an error (exit 1); gain <= 0 flags the pixel DO_NOT_USE|NO_GAIN_VALUE.

    \b
    Example:
      jwcal dq-init --mask m.fits < x_uncal.fits | jwcal jump --gain g.fits --readnoise r.fits \\
        | jwcal ramp-fit --gain g.fits --readnoise r.fits --rateints x_rateints.fits > x_rate.fits
    """
    import contextlib

    from jwcal.cli.filters import run_filter, same_file
    from jwcal.errors import UsageError
    from jwcal.io import check_writable, open_output
    from jwcal.steps import ramp_fit

    references = options.read_references(SPEC, params)
    rateints = params.pop("rateints")
    with contextlib.ExitStack() as stack:
        sink_write = None
        if rateints is not None:
            if rateints == output or same_file(source, rateints):
                raise UsageError(f"--rateints {rateints}: must differ from the input and the output")
            check_writable(rateints, overwrite=overwrite)
            sink_write = stack.enter_context(open_output(rateints, overwrite=overwrite)).write

        def process(exposure):
            return ramp_fit.run(exposure, **references, **params, rateints=sink_write)

        run_filter(source, output, overwrite, process, label="ramp-fit", warm_up=ramp_fit.warm_up)
