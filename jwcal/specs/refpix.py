"""The declaration of ``refpix``."""

from jwcal.specs import FILTER, SKIP_UNSUPPORTED, Param, StepSpec

SPEC = StepSpec(
    name="refpix", kind=FILTER, status_keyword="S_REFPIX", suffix="refpix",
    params=(
        Param("odd_even_columns", True, "Separate top/bottom means for odd and even columns.", kind="bool"),
        Param("use_side_ref_pixels", True,
              "Subtract the side reference pixels' running median row by row (1/f noise).", kind="bool"),
        Param("side_smoothing_length", 11, "Rows in the running median of the side reference pixels.",
              kind="int", min=1),
        Param("side_gain", 1.0, "Fraction of the side reference signal subtracted.", min=0),
        SKIP_UNSUPPORTED,
    ),
)
