"""The declaration of ``superbias``."""

from jwcal.specs import FILTER, Reference, StepSpec

SPEC = StepSpec(name="superbias", kind=FILTER, status_keyword="S_SUPERB", suffix="superbias",
                references=(Reference("superbias", "SUPERBIAS"),))
