"""File names for exposures written out of a stream (``jwcal split``)."""

from __future__ import annotations

from jwcal.errors import DataError
from jwcal.exposure import Exposure
from jwcal.products import root_from_header, suffix_for


def sci_layout(exposure: Exposure) -> tuple[int | None, bool]:
    """Return SCI's dimensionality and whether it holds integers, from the header alone."""
    sci = exposure.get("SCI")
    if sci is None:
        return None, False
    header = sci.peek_header()
    return int(header.get("NAXIS", 0)), int(header.get("BITPIX", -32)) > 0


def product_filename(exposure: Exposure, index: int, suffix: str | None = None) -> str:
    """Return the jwst-style file name for ``exposure`` (``<root>_<suffix>.fits``)."""
    header = exposure.peek_primary()
    root = root_from_header(header)
    if root is None:
        raise DataError(
            f"exposure {index + 1} of {exposure.source}: cannot name it (no FILENAME and no "
            "PROGRAM/OBSERVTN/VISIT/.../DETECTOR keywords)"
        )
    if suffix is None:
        suffix = suffix_for(header, *sci_layout(exposure))
    return f"{root}_{suffix}.fits"
