"""The declaration of ``fix-targ-coords`` (a header fix: no status keyword, HISTORY only)."""

from jwcal.specs import FILTER, Param, StepSpec

SPEC = StepSpec(
    name="fix-targ-coords", kind=FILTER, status_keyword=None, suffix=None,
    params=(
        Param("check", False, "Write no FITS; print one line per exposure telling which case it is in.",
              kind="flag", record=False),
    ),
)
