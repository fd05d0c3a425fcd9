"""The names of the methods a step can be asked for: drizzle kernels, weight types, fit geometries.

Plain tuples and no imports, so the step declarations (``jwcal/specs``, read at CLI start-up, where
they become ``click.Choice`` lists) and the algorithms that implement the methods share one list:
a new kernel added here and to the kernel loop gets its option value and its parametrized tests.
"""

#: Drizzle kernels, in the order of their codes in the compiled loop (jwcal.algorithms.resample).
DRIZZLE_KERNELS = ("square", "point", "turbo", "gaussian", "lanczos3")

#: The kernels whose total weight per input pixel is exactly the input weight (flux conserving);
#: jwst's outlier detection accepts only these for its single mosaics.
FLUX_CONSERVING_KERNELS = ("square", "point", "turbo")

#: Drizzle pixel weights: inverse read-noise variance, or exposure time (jwst's ``weight_type``).
WEIGHT_TYPES = ("ivm", "exptime")

#: Linear fits of tweakreg: shift, rotation+shift, rotation+scale+shift, full 2x2 matrix + shift.
FIT_GEOMETRIES = ("shift", "rshift", "rscale", "general")
