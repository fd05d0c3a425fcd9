"""jwcal/_startup.py, installed by jwcal.cli.main: numba's BLAS probe is skipped, nothing else is touched."""

import pytest

from jwcal import _startup
from jwcal.cli import main  # noqa: F401 - importing the CLI installs the finder


def _call_in(module_name: str, function_name: str, name: str):
    """Call the finder from a function with the given name in a module with the given name."""
    namespace = {"__name__": module_name, "finder": _startup.NoBlasProbe}
    exec(f"def {function_name}(n):\n    return finder.find_spec(n)\n", namespace)
    return namespace[function_name](name)


def test_the_finder_is_installed_once():
    assert sum(finder is _startup.NoBlasProbe for finder in __import__("sys").meta_path) == 1


@pytest.mark.parametrize("name", ["scipy.linalg", "scipy.linalg.cython_blas"])
def test_scipy_linalg_is_refused_to_numbas_blas_probe_only(name):
    with pytest.raises(ImportError, match="BLAS probe"):
        _call_in("numba.np.arraymath", "_check_blas", name)
    assert _call_in("numba.np.linalg", "ensure_blas", name) is None
    assert _call_in("somewhere", "_check_blas", name) is None


def test_other_imports_are_left_to_the_other_finders():
    assert _call_in("numba.np.arraymath", "_check_blas", "scipy.special") is None


def test_scipy_linalg_still_imports_normally():
    from scipy.linalg import cython_blas

    assert cython_blas.__name__ == "scipy.linalg.cython_blas"
