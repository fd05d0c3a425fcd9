"""``jwcal fix-parallel-wcs``: re-point pure-parallel exposures from the prime's attitude (GI06)."""

from __future__ import annotations

import click

from jwcal.cli import options
from jwcal.specs.fix_parallel_wcs import SPEC


@click.command("fix-parallel-wcs", short_help="Re-point pure parallels from the prime's attitude (GI06).")
@options.source_arg
@options.output_opt
@options.overwrite_opt
@options.step_options(SPEC)
def command(source, output, overwrite, **params):
    """Recompute the pointing and WCS of pure-parallel exposures from the observatory attitude.

    Pure-parallel exposures (VISITYPE PARALLEL_PURE) carry a coarse pointing, off by ~0.1" per
    dither. The prime exposure taken at the same time has the guide-star attitude (RA_V1, DEC_V1,
    PA_V3 in its SCI header). From it, and the parallel aperture's V2_REF, V3_REF, V3I_YANG and
    VPARITY, this filter recomputes RA_REF, DEC_REF, ROLL_REF, PA_APER and RA_V1/DEC_V1/PA_V3 of
    the parallel, and its FITS WCS: for PC/CDELT headers (uncal, rate) CRVAL = RA_REF/DEC_REF and
    PC from the roll; for CD or TAN-SIP headers (cal) the rigid sky rotation from the old to the
    new attitude is applied to CRVAL and CD (SIP is in pixel space and is kept). S_REGION is
    rotated too. The ASDF gwcs of a cal file is not rewritten: fix the rate file and re-run
    stage 2 for jwst. PUREPWCS/PUREPEXP in the SCI header and HISTORY record what changed;
    S_PARWCS in the primary header is COMPLETE (or SKIPPED). Running it twice changes nothing.

    A file that is not a pure parallel, or that no prime brackets in time, exits 1 (or passes
    through with S_PARWCS = SKIPPED under --skip-unsupported).

    \b
    Examples:
      jwcal fix-parallel-wcs par_rate.fits --prime prime_rate.fits -o fixed_rate.fits
      cat par_*_rate.fits | jwcal fix-parallel-wcs --prime p1.fits --prime p2.fits > fixed.fits
      jwcal fix-parallel-wcs par_rate.fits --ra-v1 150.1 --dec-v1 2.2 --pa-v3 290.5 -o out.fits
    """
    import contextlib

    from jwcal.cli.filters import run_filter
    from jwcal.errors import DataError
    from jwcal.io import read_exposures
    from jwcal.steps import fix_parallel_wcs as step

    def headers_of(path):
        # Only the headers of a prime are needed: do not hold its data in memory.
        with contextlib.closing(read_exposures(path, headers_only=True)) as exposures:
            for exposure in exposures:
                return exposure
        raise DataError(f"{path}: empty prime exposure")

    primes = [headers_of(path) for path in params.pop("prime")]
    ra_v1, dec_v1, pa_v3 = params["ra_v1"], params["dec_v1"], params["pa_v3"]
    # Validate the option combination once, before any output is opened.
    given = [v is not None for v in (ra_v1, dec_v1, pa_v3)]
    if (any(given) and not all(given)) or all(given) == bool(primes):
        from jwcal.errors import UsageError

        raise UsageError("give either --prime FILE... or all of --ra-v1/--dec-v1/--pa-v3")

    def process(exposure):
        return step.run(exposure, prime=primes, **params)

    run_filter(source, output, overwrite, process, label="fix-parallel-wcs")
