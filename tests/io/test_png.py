import struct
import zlib

import numpy as np
import pytest

from jwcal.io.png import png_bytes, write_png


def _decode(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, payload = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + payload) & 0xFFFFFFFF
        chunks[kind] = chunks.get(kind, b"") + payload
        pos += 12 + length
    nx, ny, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3}[colour]
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(ny, nx * channels + 1)
    assert (raw[:, 0] == 0).all() and depth == 8
    return raw[:, 1:].reshape(ny, nx, channels).squeeze()


@pytest.mark.parametrize("shape", [(7, 5), (3, 4, 3)])
def test_png_round_trip(shape):
    image = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    assert np.array_equal(_decode(png_bytes(image)), image)


def test_png_rejects_bad_input():
    with pytest.raises(ValueError):
        png_bytes(np.zeros((3, 3), dtype=np.float32))
    with pytest.raises(ValueError):
        png_bytes(np.zeros((3, 3, 2), dtype=np.uint8))


def test_write_png_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "a.png"
    write_png(str(path), np.zeros((2, 2), dtype=np.uint8))
    assert _decode(path.read_bytes()).shape == (2, 2)
    before = path.read_bytes()
    import jwcal.io.png as png

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(png, "png_bytes", boom)
    with pytest.raises(RuntimeError):
        write_png(str(path), np.ones((2, 2), dtype=np.uint8), overwrite=True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]
