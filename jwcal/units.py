"""BUNIT values: one spelling for the unit of every array jwcal writes.

Every BUNIT parses with ``astropy.units.Unit`` (generic format, strict). Data and errors keep
jwst's spelling (``DN/s``, ``MJy/sr``); a variance is the square of its data unit and a weight map
of ``ivm`` weights the inverse square, both written as astropy writes them (``DN2 / s2``,
``MJy2 / sr2``, ``sr2 / MJy2``): one rule, so "squared" is never spelled two ways.
"""

from __future__ import annotations


def _unit(bunit: str):
    import astropy.units as u

    return u.Unit(bunit, parse_strict="raise")


def squared(bunit: str) -> str:
    """Return the unit of the variance of data in ``bunit`` (``DN/s`` -> ``DN2 / s2``)."""
    return (_unit(bunit) ** 2).to_string()


def weight_unit(bunit: str, weight_type: str) -> str:
    """Return the unit of a drizzle weight map: inverse variance (``ivm``) or seconds (``exptime``)."""
    if weight_type == "exptime":
        return "s"
    return (_unit(bunit) ** -2).to_string()
