"""The declaration of ``tweakreg`` (jwst's TweakRegStep parameters, names and defaults)."""

from jwcal.specs import MULTI, SKIP_UNSUPPORTED, Param, StepSpec

GEOMETRIES = ("shift", "rshift", "rscale", "general")

SPEC = StepSpec(
    name="tweakreg", kind=MULTI, status_keyword="S_TWKREG", suffix="tweakreg",
    params=(
        Param("snr_threshold", 10.0, "Detection threshold, in units of the noise of the smoothed image.",
              min=0.0, min_open=True),
        Param("kernel_fwhm", 2.5, "FWHM (pixels) of the Gaussian detection kernel and centroid window.",
              min=0.5),
        Param("bkg_boxsize", 400, "Background box size in pixels.", kind="int", min=8),
        Param("brightest", 200, "Keep only this many brightest sources per exposure.", kind="int", min=1),
        Param("peakmax", None, "Reject sources whose peak (background subtracted) reaches this value."),
        Param("save_catalogs", None, "Write each exposure's sources to DIR/<root>_cat.ecsv (x, y 0-based).",
              kind="dir", metavar="DIR", record=False),
        Param("use_custom_catalogs", None, "Read sources from DIR/<root>_cat.ecsv instead of detecting them.",
              kind="dir", metavar="DIR"),
        Param("minobj", 15, "Minimum number of matches for a relative fit.", kind="int", min=1),
        Param("fitgeometry", "rshift",
              "Relative fit: shift, rotation+shift, rotation+scale+shift, or full linear.", kind="choice",
              choices=GEOMETRIES),
        Param("nclip", 3, "Sigma-clipping rounds of the relative fit.", kind="int", min=0),
        Param("sigma", 3.0, "Clipping limit in units of the fit RMS.", min=0.0, min_open=True),
        Param("searchrad", 2.0, "Search radius (arcsec) for the initial offset.", min=0.0, min_open=True),
        Param("use2dhist", True, "Find the initial offset from a 2-D histogram of pair offsets.",
              kind="bool"),
        Param("separation", 1.0, "Sources closer than this (arcsec) to another one are not matched.",
              min=0.0),
        Param("tolerance", 0.7, "Matching tolerance (arcsec) after the initial offset.", min=0.0,
              min_open=True),
        Param("xoffset", 0.0, "Initial offset (arcsec) along xi when --no-use2dhist."),
        Param("yoffset", 0.0, "Initial offset (arcsec) along eta when --no-use2dhist."),
        Param("abs_refcat", None,
              "Reference catalog file (ECSV or FITS table with RA/DEC or sky_centroid, degrees).",
              kind="file", metavar="CAT"),
        Param("abs_minobj", 15, "Minimum number of matches for the absolute fit.", kind="int", min=1),
        Param("abs_fitgeometry", "rshift", "Absolute fit geometry.", kind="choice", choices=GEOMETRIES),
        Param("abs_nclip", 3, "Sigma-clipping rounds of the absolute fit.", kind="int", min=0),
        Param("abs_sigma", 3.0, "Absolute clipping limit in units of the fit RMS.", min=0.0, min_open=True),
        Param("abs_searchrad", 6.0, "Absolute search radius (arcsec).", min=0.0, min_open=True),
        Param("abs_use2dhist", True, "Absolute initial offset from a 2-D histogram.", kind="bool"),
        Param("abs_separation", 1.0, "Absolute minimum source separation (arcsec).", min=0.0),
        Param("abs_tolerance", 0.7, "Absolute matching tolerance (arcsec).", min=0.0, min_open=True),
        SKIP_UNSUPPORTED,
    ),
)
