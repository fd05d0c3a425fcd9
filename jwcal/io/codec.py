"""Decoding FITS data sections to native numpy arrays and encoding them back.

Decoding works in place on the buffer that was read (one byte swap, no copy); encoding works in
bounded chunks so writing an array needs only a few MB beyond the array itself.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np

from jwcal.io.blocks import BLOCK, Layout, padded

_BITPIX_DTYPE = {8: "u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}

# (bitpix, bzero) pairs that store unsigned (or, for 8 bits, signed) integers: the FITS convention.
_OFFSET_INTEGERS = {
    (16, 32768.0): np.uint16,
    (32, 2147483648.0): np.uint32,
    (64, 9223372036854775808.0): np.uint64,
    (8, -128.0): np.int8,
}

_CHUNK_BYTES = 1 << 20  # see docs/decisions.md, "I/O for outlier, round 3"


def decode_image(buffer, layout: Layout) -> np.ndarray:
    """Turn a data section into a native-endian array, in place on ``buffer``.

    Parameters
    ----------
    buffer : bytearray or memoryview
        The data section as read; a writable one is byte-swapped in place and owned by the result, a
        read-only one (a mapped file) is converted into a new array.
    layout : Layout
        The HDU's structure.

    Returns
    -------
    numpy.ndarray
        Shape ``layout.shape``; unsigned integers for the BZERO convention, scaled floats for
        any other BZERO/BSCALE.
    """
    dtype = np.dtype(_BITPIX_DTYPE[layout.bitpix])
    count = layout.data_size // dtype.itemsize
    array = np.frombuffer(buffer, dtype=dtype, count=count)
    if not array.flags.writeable:  # a read-only mapping: convert into a new array in one pass
        array = array.astype(dtype.newbyteorder("="))
    elif dtype.byteorder == ">" and np.little_endian:
        array = array.byteswap(inplace=True).view(dtype.newbyteorder("="))
    array = array.reshape(layout.shape)
    offset_type = _OFFSET_INTEGERS.get((layout.bitpix, layout.bzero))
    if offset_type is not None and layout.bscale == 1:
        unsigned = array.view(offset_type if layout.bitpix != 8 else np.uint8)
        unsigned ^= unsigned.dtype.type(1 << (abs(layout.bitpix) - 1))
        return array.view(offset_type)
    if layout.bzero != 0 or layout.bscale != 1:
        scaled_type = np.float32 if layout.bitpix in (8, 16, -32) else np.float64
        return array.astype(scaled_type) * scaled_type(layout.bscale) + scaled_type(layout.bzero)
    return array


def decode_table(header_bytes: bytes, buffer) -> np.ndarray:
    """Decode a binary-table data section (with its heap) into an astropy ``FITS_rec``."""
    from astropy.io import fits

    return fits.BinTableHDU.fromstring(bytes(header_bytes) + bytes(buffer)).data


def image_format(dtype: np.dtype) -> tuple[int, float]:
    """Return ``(BITPIX, BZERO)`` that store ``dtype`` exactly."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return 8, 0.0
    for (bitpix, bzero), kind in _OFFSET_INTEGERS.items():
        if dtype == kind:
            return bitpix, bzero
    for bitpix, code in _BITPIX_DTYPE.items():
        if dtype.kind == np.dtype(code).kind and dtype.itemsize == np.dtype(code).itemsize:
            return bitpix, 0.0
    raise TypeError(f"cannot store dtype {dtype} in a FITS image")


def image_chunks(array: np.ndarray):
    """Yield the big-endian bytes of ``array`` (FITS layout), chunk by chunk, then the padding.

    Byte-swapped chunks are converted into one reused buffer, so a chunk is valid only until the
    next one is requested (write or copy it before that).

    Parameters
    ----------
    array : numpy.ndarray
        Any shape; unsigned integers are written with the BZERO convention.
    """
    return planes_chunks((array,), array.dtype)


def planes_chunks(planes, dtype) -> Iterator[memoryview | bytes]:
    """Yield the big-endian bytes of consecutive arrays stored as ``dtype``: one FITS data section.

    Parameters
    ----------
    planes : iterable of numpy.ndarray
        The data in storage order (e.g. the 2-D planes of a cube); each is cast to ``dtype`` while it
        is encoded, so a plane of another type costs no converted copy of the whole array.
    dtype : numpy.dtype
        The array type the section stores (unsigned integers with the BZERO convention).
    """
    dtype = np.dtype(np.uint8 if np.dtype(dtype) == np.bool_ else dtype)
    bitpix, bzero = image_format(dtype)
    stored = np.dtype(_BITPIX_DTYPE[bitpix])
    sign_bit = dtype.type(1 << (abs(bitpix) - 1)) if bzero and dtype.kind == "u" else None
    step = max(1, _CHUNK_BYTES // dtype.itemsize)
    swapped = np.empty(step, stored) if dtype != stored else None  # reused: no page faults per chunk
    size = 0
    for plane in planes:
        flat = np.ascontiguousarray(plane).reshape(-1)
        if flat.dtype == np.bool_:
            flat = flat.view(np.uint8)
        for begin in range(0, flat.size, step):
            chunk = flat[begin : begin + step]
            if sign_bit is not None or dtype == np.int8:
                chunk = chunk.astype(dtype, copy=False)
                flip = sign_bit if sign_bit is not None else np.int8(-128)
                chunk = np.bitwise_xor(chunk, flip).view(stored.newbyteorder("="))
            if swapped is None or chunk.dtype == stored:
                yield chunk.astype(stored, copy=False).data
            else:
                out = swapped[: chunk.size]
                np.copyto(out, chunk, casting="unsafe")
                yield out.data
        size += flat.size * stored.itemsize
    yield bytes(padded(size) - size)


def table_bytes(header, data) -> tuple[bytes, bytes]:
    """Serialize a binary table through astropy; return ``(header_bytes, padded_data_bytes)``."""
    from astropy.io import fits

    hdu = fits.BinTableHDU(data=data, header=header)
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(buffer)
    raw = buffer.getvalue()[BLOCK:]
    header_size = len(hdu.header.tostring(padding=True))
    return raw[:header_size], raw[header_size:]
