"""``jwcal fix-targ-coords``: TARG_RA/TARG_DEC at the epoch of the exposure (GI01)."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.fix_targ_coords import SPEC


@click.command("fix-targ-coords", short_help="Put TARG_RA/TARG_DEC at the exposure epoch (GI01).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
    """Recompute TARG_RA/TARG_DEC from PROP_RA/PROP_DEC and the proper motion.

    TARG_RA/TARG_DEC of JWST products made before 2023-05-23 lack the target's proper motion, and
    those of DMS 9.2.1 until the fix have it too small by a factor 0.36533 (jwst#7697). This
    filter carries PROP_RA/PROP_DEC with MU_RA (mu_alpha cos delta, arcsec/yr) and MU_DEC from
    MU_EPOCH (ISO date, or a year number) to EXPMID (else the middle of EXPSTART..EXPEND),
    rigorously on the sphere (straight-line space motion, no parallax or radial velocity). The
    first old values are kept in OTARG_RA/OTARGDEC, a HISTORY card records the change, and only
    the primary header changes: all other headers and data are written back byte for byte.
    Running it twice changes nothing the second time. Any product level works; the STScI
    workaround fixes the uncal file and re-runs the pipeline.

    Exposures without proper motion, moving targets (TARGTYPE MOVING) and files without
    PROP_RA/PROP_DEC pass through unchanged with a note on stderr. Malformed values exit 1.

    With --check nothing is written; stdout gets one tab-separated line per exposure: file, case
    (uncorrected, factor-0.36533, correct, other, no-targ, not-applicable), the implied factor k
    (TARG = PROP + k (rigorous - PROP)), the TARG error and the proper-motion shift in mas.

    \b
    Examples:
      jwcal fix-targ-coords a_uncal.fits -o a_fixed_uncal.fits
      cat *_cal.fits | jwcal fix-targ-coords --check
    """
    from jwcal.steps import fix_targ_coords as step

    if params["check"]:
        from jwcal.io import read_exposures

        for exposure in read_exposures(source, headers_only=True):
            d = step.diagnose(exposure)
            fields = [exposure.label, d["case"], f"{d['factor']:.5f}", f"{d['error_mas']:.3f}",
                      f"{d['shift_mas']:.3f}"]
            if d["reason"]:
                fields.append(d["reason"])
            click.echo("\t".join(fields))
        return

    from jwcal.cli.filters import run_filter

    run_filter(source, output, overwrite, lambda exposure: step.run(exposure, **params),
               label="fix-targ-coords")
