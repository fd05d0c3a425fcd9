"""Process start-up workarounds for third-party import costs, in one place, each with its reason.

``NoBlasProbe``: numba (0.68.1 here) imports ``scipy.linalg.cython_blas`` when
``numba.np.arraymath`` is imported (its ``_check_blas()`` probe), ~0.1 s per process spent on
scipy.linalg, its array-API layer and numpy.f2py, only to decide whether ``np.correlate`` /
``np.convolve`` compiled by numba may call BLAS. jwcal's kernels use neither. No numba issue asks
for a lazy probe (searched: numba's tracker has none for ``_check_blas``); the concern was raised in
review when numba's BLAS bindings were first built at import time,
https://github.com/numba/numba/pull/2008 ("People may want to run Numba without e.g. Scipy").
Remove this finder once ``numba.np.arraymath`` no longer probes at import, or if the private
name ``_check_blas`` changes (the finder then does nothing: the probe just costs its 0.1 s again).
"""

from __future__ import annotations

import sys


class NoBlasProbe:
    """Meta-path finder that refuses ``scipy.linalg`` to numba's import-time BLAS probe only.

    ``np.dot``/``np.linalg`` in a kernel still work (numba imports BLAS again when it types them,
    from another frame, which this finder lets through). Anything else importing scipy.linalg is
    untouched.
    """

    _NAMES = frozenset(("scipy.linalg", "scipy.linalg.cython_blas"))

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        """Raise ImportError inside numba's ``_check_blas``; defer to the other finders otherwise."""
        if name in cls._NAMES:
            frame = sys._getframe(1)
            while frame is not None:
                code, module = frame.f_code.co_name, frame.f_globals.get("__name__")
                if code == "_check_blas" and module == "numba.np.arraymath":
                    raise ImportError("jwcal: numba's BLAS probe skipped")
                frame = frame.f_back
        return None


def install() -> None:
    """Put the finders first on ``sys.meta_path`` (once per process)."""
    if not any(isinstance(finder, type) and finder.__name__ == "NoBlasProbe" for finder in sys.meta_path):
        sys.meta_path.insert(0, NoBlasProbe)
