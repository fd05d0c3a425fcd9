"""Import-time shortcuts of the ``jwcal`` command: fixed costs every process would otherwise pay.

astropy 8's ``astropy.utils.data`` (imported by ``astropy.io.fits`` for its file helpers) runs
``from astropy.units import Quantity, UnitBase`` only to annotate two free-space helpers. Importing
``astropy.units`` costs ~0.15 s (units, constants, the astrophysical unit tables), more than all of
astropy.io.fits besides, and a filter that reads and writes FITS never uses a unit. While that one
module is executed, :class:`DeferredUnits` lends it a stand-in ``astropy.units`` whose two classes
forward ``isinstance`` checks and calls to the real ones (importing them then); the stand-in is
removed from ``sys.modules`` as soon as the module is loaded, so every later ``import astropy.units``
gets the real package. If astropy stops importing units there, or units is already imported, the
finder changes nothing. See docs/performance-stage1.md for the start-up breakdown.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types

_TARGET = "astropy.utils.data"
_UNITS = "astropy.units"


class _Forwarding(type):
    """Metaclass of the stand-in classes: behave as the real ``astropy.units`` class of that name."""

    def _real(cls):
        return getattr(importlib.import_module(_UNITS), cls.__name__)

    def __instancecheck__(cls, obj):
        return isinstance(obj, cls._real())

    def __subclasscheck__(cls, sub):
        return issubclass(sub, cls._real())

    def __call__(cls, *args, **kwargs):
        return cls._real()(*args, **kwargs)


class _StandInUnits(types.ModuleType):
    """``astropy.units`` while ``astropy.utils.data`` loads: any other name loads the real package."""

    def __getattr__(self, name):
        if name.startswith("__"):  # the import system probing (__path__, __spec__ ...): not a package
            raise AttributeError(name)
        if sys.modules.get(_UNITS) is self:
            del sys.modules[_UNITS]
        return getattr(importlib.import_module(_UNITS), name)


def _stand_in() -> types.ModuleType:
    module = _StandInUnits(_UNITS, "stand-in for astropy.units while astropy.utils.data loads (jwcal)")
    for name in ("Quantity", "UnitBase"):
        setattr(module, name, _Forwarding(name, (), {"__module__": _UNITS}))
    return module


class _Loader:
    """Runs the real loader of ``astropy.utils.data`` with the stand-in in place, then removes it."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        stand_in = _stand_in()
        sys.modules[_UNITS] = stand_in
        try:
            self._loader.exec_module(module)
        finally:
            if sys.modules.get(_UNITS) is stand_in:
                del sys.modules[_UNITS]
            astropy = sys.modules.get("astropy")
            if astropy is not None and vars(astropy).get("units") is stand_in:  # (astropy's getattr imports)
                delattr(astropy, "units")

    def __getattr__(self, name):  # get_filename, get_source, is_package, ... of the real loader
        return getattr(self._loader, name)


class DeferredUnits:
    """Meta-path finder that loads ``astropy.utils.data`` without importing ``astropy.units``."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        """Return the real spec of ``astropy.utils.data`` with a wrapped loader; None otherwise."""
        if name != _TARGET or _UNITS in sys.modules:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _Loader(spec.loader)
        return spec


def install() -> None:
    """Put the finders first on ``sys.meta_path`` (once per process)."""
    if not any(getattr(finder, "__name__", "") == "DeferredUnits" for finder in sys.meta_path):
        sys.meta_path.insert(0, DeferredUnits)
