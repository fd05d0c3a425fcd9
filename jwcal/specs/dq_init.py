"""The declaration of ``dq-init``."""

from jwcal.specs import FILTER, Reference, StepSpec

SPEC = StepSpec(name="dq-init", kind=FILTER, status_keyword="S_DQINIT", suffix="dqinit",
                references=(Reference("mask", "MASK"),))
