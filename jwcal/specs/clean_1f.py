"""The declaration of ``clean-1f``."""

from jwcal.specs import FILTER, SKIP_UNSUPPORTED, Param, StepSpec

SPEC = StepSpec(
    name="clean-1f", kind=FILTER, status_keyword="S_CLN1F", suffix=None,
    params=(
        Param("n_sigma", 2.0, "Source-masking clip level in robust sigmas.", min=0, min_open=True),
        SKIP_UNSUPPORTED,
    ),
)
