"""Serializing exposures: untouched HDUs go out byte for byte, changed ones are re-encoded."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from jwcal.exposure import HDU, Exposure
from jwcal.io.blocks import padded
from jwcal.io.codec import image_chunks, image_format, planes_chunks, table_bytes

_STRUCTURAL = {"SIMPLE", "XTENSION", "BITPIX", "NAXIS", "EXTEND", "PCOUNT", "GCOUNT", "BZERO", "BSCALE"}


_COMMENTS = {
    "SIMPLE": "conforms to FITS standard",
    "XTENSION": "Image extension",
    "BITPIX": "array data type",
    "NAXIS": "number of array dimensions",
    "PCOUNT": "number of parameters",
    "GCOUNT": "number of groups",
}


def _is_structural(key: str) -> bool:
    return key in _STRUCTURAL or (key.startswith("NAXIS") and key[5:].isdigit())


def image_header(header, data: np.ndarray | None, *, primary: bool):
    """Return ``header`` with structural cards that describe ``data`` (other cards kept in order).

    ``data`` only needs ``shape`` and ``dtype`` (an array or :class:`jwcal.exposure.Planes`).
    """
    from astropy.io import fits

    shape = () if data is None else data.shape
    bitpix, bzero = (8, 0.0) if data is None else image_format(data.dtype)
    values = [("SIMPLE", True) if primary else ("XTENSION", "IMAGE")]
    values += [("BITPIX", bitpix), ("NAXIS", len(shape))]
    values += [(f"NAXIS{axis}", size) for axis, size in enumerate(reversed(shape), start=1)]
    values += [("EXTEND", True)] if primary else [("PCOUNT", 0), ("GCOUNT", 1)]
    if bzero:
        values += [("BSCALE", 1), ("BZERO", int(bzero))]
    out = fits.Header()
    for key, value in values:
        comment = header.comments[key] if key in header else _COMMENTS.get(key, "")
        out.append((key, value, comment), end=True)
    for card in header.cards:
        if not _is_structural(card.keyword):
            out.append(card, end=True)
    return out


def _header_text(header) -> bytes:
    return header.tostring(padding=True).encode("ascii")


def hdu_chunks(hdu: HDU, *, primary: bool) -> Iterator[bytes | memoryview]:
    """Yield the bytes of one HDU as it goes into a file."""
    if hdu.data_untouched:
        yield hdu.header_bytes if hdu.header_bytes is not None else _header_text(hdu.header)
        yield hdu.raw
        yield bytes(padded(len(hdu.raw)) - len(hdu.raw))
        return
    if hdu.kind == "table":
        if hdu.data is None:
            yield hdu.header_bytes if hdu.header_bytes is not None else _header_text(hdu.header)
            return
        header, data = table_bytes(hdu.header, hdu.data)
        yield header
        yield data
        return
    if hdu.deferred is not None:
        yield _header_text(image_header(hdu.header, hdu.deferred, primary=primary))
        yield from planes_chunks(hdu.deferred, hdu.deferred.dtype)
        return
    data = hdu.data
    yield _header_text(image_header(hdu.header, data, primary=primary))
    if data is not None and data.size:
        yield from image_chunks(data)


def exposure_chunks(exposure: Exposure) -> Iterator[bytes | memoryview]:
    """Yield the bytes of a whole exposure as one FITS file."""
    for index, hdu in enumerate(exposure.hdus):
        yield from hdu_chunks(hdu, primary=index == 0)
