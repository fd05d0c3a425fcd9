"""The declaration of ``linearity``."""

from jwcal.specs import FILTER, Reference, StepSpec

SPEC = StepSpec(name="linearity", kind=FILTER, status_keyword="S_LINEAR", suffix="linearity",
                references=(Reference("linearity", "LINEARITY"),))
