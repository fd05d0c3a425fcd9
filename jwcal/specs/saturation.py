"""The declaration of ``saturation``."""

from jwcal.specs import FILTER, Param, Reference, StepSpec

SPEC = StepSpec(
    name="saturation", kind=FILTER, status_keyword="S_SATURA", suffix="saturation",
    references=(Reference("saturation", "SATURATION"),),
    params=(
        Param("n_pix_grow_sat", 1,
              "Layers of neighbours of a saturated pixel also flagged SATURATED (charge spilling).",
              kind="int", min=0),
        Param("use_readpatt", True,
              "Use the NFRAMES/GROUPGAP read pattern to flag groups whose average hides a saturated frame.",
              kind="bool"),
    ),
)
