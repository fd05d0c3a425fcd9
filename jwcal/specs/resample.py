"""The declaration of ``resample`` (jwst's ResampleStep parameters, names and defaults)."""

from jwcal.methods import DRIZZLE_KERNELS, WEIGHT_TYPES
from jwcal.specs import MULTI, Param, StepSpec

SPEC = StepSpec(
    name="resample", kind=MULTI, status_keyword="S_RESAMP", suffix="i2d",
    params=(
        Param("kernel", "square", "Drizzle kernel (square, point and turbo conserve flux exactly).",
              kind="choice", choices=DRIZZLE_KERNELS),
        Param("pixfrac", 1.0, "Drop size relative to the input pixel.", min=0.0, max=1.0, min_open=True),
        Param("fillval", "NaN", "Value of output pixels that no input covers: NaN, INDEF (0) or a number.",
              kind="fill"),
        Param("weight_type", "ivm", "Pixel weights: inverse read-noise variance, or exposure time.",
              kind="choice", choices=WEIGHT_TYPES),
        Param("good_bits", "~DO_NOT_USE+NON_SCIENCE", "DQ flags of usable pixels, jwst notation "
              "('~A+B': all but A and B; '4+16': only those).", kind="bits"),
        Param("pixel_scale_ratio", 1.0, "Output pixel scale relative to the first input's.", min=0.0,
              min_open=True),
        Param("pixel_scale", None, "Output pixel scale in arcsec (overrides --pixel-scale-ratio).", min=0.0,
              min_open=True),
        Param("rotation", None,
              "Position angle of the output y axis, degrees East of North (default: the first input's)."),
        Param("crpix", None, "0-based reference pixel of the output grid.", nargs=2, metavar="X Y"),
        Param("crval", None, "Sky position (degrees) of the reference pixel.", nargs=2, metavar="RA DEC"),
        Param("output_shape", None, "Output size in pixels.", kind="int", min=1, nargs=2, metavar="NX NY"),
        # A path on the command line, a header in the step; the grid it gives is in the output WCS.
        Param("output_wcs", None,
              "FITS file whose SCI (or primary) header holds the output WCS and NAXIS1/2; "
              "overrides the grid options.", kind="file", metavar="PATH", record=False),
        Param("blendheaders", True, "Add the HDRTAB table of the inputs' keywords.", kind="bool"),
    ),
)
