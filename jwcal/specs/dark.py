"""The declaration of ``dark``."""

from jwcal.specs import FILTER, SKIP_UNSUPPORTED, Param, Reference, StepSpec

SPEC = StepSpec(
    name="dark", kind=FILTER, status_keyword="S_DARK", suffix="dark",
    references=(Reference("dark", "DARK"),),
    params=(
        Param("average_dark_current", None, "Average dark current (e-/s) for AVDRKCUR instead of the "
              "reference's.", metavar="E/S"),
        SKIP_UNSUPPORTED,
    ),
)
