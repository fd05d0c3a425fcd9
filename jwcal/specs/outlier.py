"""The declaration of ``outlier`` (jwst's imaging OutlierDetectionStep parameters)."""

from jwcal.methods import FLUX_CONSERVING_KERNELS, WEIGHT_TYPES
from jwcal.specs import MULTI, SKIP_UNSUPPORTED, Param, StepSpec

SPEC = StepSpec(
    name="outlier", kind=MULTI, status_keyword="S_OUTLIR", suffix="crf",
    params=(
        Param("weight_type", "ivm", "Drizzle weights of the single mosaics.", kind="choice",
              choices=WEIGHT_TYPES),
        Param("pixfrac", 1.0, "Drop size of the single drizzle.", min=0.0, max=1.0, min_open=True),
        Param("kernel", "square", "Single-drizzle kernel.", kind="choice",
              choices=FLUX_CONSERVING_KERNELS),
        Param("fillval", "NaN", "Accepted for jwst compatibility (pixels without weight never enter the "
              "median).", kind="fill"),
        Param("maskpt", 0.7,
              "Ignore single-mosaic pixels whose weight is below this fraction of the typical weight.",
              min=0.0),
        Param("snr", "5.0 4.0", "Thresholds in units of ERR: neighbourhood test, pixel test.", kind="floats",
              min=0.0),
        Param("scale", "1.2 0.7", "Factors of the median's local derivative: neighbourhood test, pixel test.",
              kind="floats", min=0.0),
        Param("backg", 0.0, "Background level subtracted in the comparison (BKGLEVEL overrides it)."),
        Param("resample_data", True,
              "Drizzle to a common grid; --no-resample-data takes aligned inputs of one shape.", kind="bool"),
        Param("good_bits", "~DO_NOT_USE", "DQ flags of usable pixels, jwst notation.", kind="bits"),
        SKIP_UNSUPPORTED,
    ),
)
