"""jwcal: JWST imaging calibration steps as composable Unix filters."""

__version__ = "0.1.0"
