"""Algorithms: pure functions on numpy arrays (numba kernels private); no FITS, no headers."""
