"""A minimal PNG writer (zlib from the standard library): 8-bit grey or RGB, written atomically."""

from __future__ import annotations

import struct
import zlib

import numpy as np

from jwcal.io.output import open_output

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def png_bytes(image: np.ndarray, *, level: int = 6) -> bytes:
    """Encode a uint8 image of shape (ny, nx) (grey) or (ny, nx, 3) (RGB) as PNG bytes.

    Row 0 of the array becomes the top row of the picture.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"PNG needs uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        colour_type, channels = 0, 1
    elif image.ndim == 3 and image.shape[2] == 3:
        colour_type, channels = 2, 3
    else:
        raise ValueError(f"PNG needs (ny, nx) or (ny, nx, 3), got {image.shape}")
    ny, nx = image.shape[:2]
    if ny == 0 or nx == 0:
        raise ValueError("PNG needs at least one pixel")
    rows = np.ascontiguousarray(image).reshape(ny, nx * channels)
    filtered = np.zeros((ny, nx * channels + 1), dtype=np.uint8)  # filter type 0 on every row
    filtered[:, 1:] = rows
    header = struct.pack(">IIBBBBB", nx, ny, 8, colour_type, 0, 0, 0)
    return (SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(filtered.tobytes(), level))
            + _chunk(b"IEND", b""))


def write_png(path: str, image: np.ndarray, *, overwrite: bool = False) -> None:
    """Write ``image`` as a PNG file atomically (``-``: stdout, which must not be a terminal)."""
    with open_output(path, overwrite=overwrite) as sink:
        sink.write_bytes(png_bytes(image))  # a failure here leaves no file behind
