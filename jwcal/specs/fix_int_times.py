"""The declaration of ``fix-int-times``."""

from jwcal.specs import FILTER, SKIP_UNSUPPORTED, Param, StepSpec

SPEC = StepSpec(
    name="fix-int-times", kind=FILTER, status_keyword="S_INTTIM", suffix=None,
    params=(
        Param("check", False, "Write no FITS; print the header-minus-table differences in seconds.",
              kind="flag", record=False),
        SKIP_UNSUPPORTED,
    ),
)
