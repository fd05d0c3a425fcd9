"""The declaration of ``ramp-fit``."""

from jwcal.specs import FILTER, Param, Reference, StepSpec

SPEC = StepSpec(
    name="ramp-fit", kind=FILTER, status_keyword="S_RAMP", suffix="rate",
    references=(Reference("gain", "GAIN"), Reference("readnoise", "READNOISE")),
    params=(
        Param("suppress_one_group", True,
              "Give no slope for integrations with a single good group (jwst's default).", kind="bool"),
        # A path on the command line, a writer in the step: a side output, not a parameter of the result.
        Param("rateints", None, "Also write the per-integration products (_rateints) to this file.",
              kind="file", metavar="PATH", record=False),
    ),
)
