"""The declaration of ``fix-parallel-wcs``."""

from jwcal.specs import FILTER, SKIP_UNSUPPORTED, Param, StepSpec

SPEC = StepSpec(
    name="fix-parallel-wcs", kind=FILTER, status_keyword="S_PARWCS", suffix=None,
    params=(
        # Paths on the command line, headers in the step, which records the one it used in HISTORY.
        Param("prime", (), "A prime exposure taken at the same time (repeat for several); the one whose "
              "EXPSTART..EXPEND contains the parallel's gives RA_V1/DEC_V1/PA_V3.", kind="file",
              multiple=True, metavar="FILE", record=False),
        Param("ra_v1", None, "V1 right ascension (deg).", min=0, max=360, metavar="DEG"),
        Param("dec_v1", None, "V1 declination (deg).", min=-90, max=90, metavar="DEG"),
        Param("pa_v3", None, "V3 position angle at V1 (deg).", metavar="DEG"),
        SKIP_UNSUPPORTED,
    ),
)
