"""Image sections mapped from regular files (instead of read) decode and write back like read ones."""

import gc
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from jwcal.errors import DataError
from jwcal.io import read_exposures, reader
from jwcal.io.writer import exposure_chunks


@pytest.fixture
def map_everything(monkeypatch):
    """Map every image section, however small (the real threshold is 1 MB)."""
    monkeypatch.setattr(reader, "_MAP_BYTES", 1)


def _bytes_of(exposure):
    return b"".join(bytes(chunk) for chunk in exposure_chunks(exposure))


def _mapped(hdu):
    return hdu.raw is not None and isinstance(hdu.raw, memoryview) and hdu.raw.readonly


@pytest.mark.usefixtures("map_everything")
@pytest.mark.parametrize("name", ["uncal_file", "rate_file"])
def test_mapped_file_round_trips_and_decodes_like_astropy(name, request):
    path = request.getfixturevalue(name)
    (exposure,) = read_exposures(path)
    images = [hdu for hdu in exposure if hdu.kind == "image" and hdu.raw is not None and len(hdu.raw)]
    assert images and all(_mapped(hdu) for hdu in images)
    assert _bytes_of(exposure) == Path(path).read_bytes()
    with fits.open(path) as reference:
        for hdu in images:
            data = hdu.data
            expected = reference[hdu.name].data
            assert data.dtype == expected.dtype.newbyteorder("=") and data.dtype.isnative
            assert data.flags.writeable
            np.testing.assert_array_equal(data, expected)


@pytest.mark.usefixtures("map_everything")
def test_every_stored_type_decodes_from_a_mapping(tmp_path):
    rng = np.random.default_rng(3)
    arrays = {
        "F4": rng.normal(size=(5, 7)).astype(">f4"),
        "F8": rng.normal(size=(3, 4)).astype(">f8"),
        "I2": rng.integers(-3000, 3000, (4, 6)).astype(np.int16),
        "I4": rng.integers(-(2**30), 2**30, (4, 6)).astype(np.int32),
        "U2": rng.integers(0, 65535, (4, 6)).astype(np.uint16),
        "U4": rng.integers(0, 2**32 - 1, (4, 6)).astype(np.uint32),
        "U1": rng.integers(0, 255, (4, 6)).astype(np.uint8),
    }
    hdus = [fits.PrimaryHDU()] + [fits.ImageHDU(a, name=k) for k, a in arrays.items()]
    scaled = fits.ImageHDU(rng.integers(-100, 100, (3, 3)).astype(np.int16), name="SCALED")
    scaled.header["BSCALE"], scaled.header["BZERO"] = 0.5, 10.0
    hdus.append(scaled)
    path = tmp_path / "types.fits"
    fits.HDUList(hdus).writeto(path)
    (exposure,) = read_exposures(str(path))
    with fits.open(path) as reference:
        for name in [*arrays, "SCALED"]:
            assert _mapped(exposure[name])
            np.testing.assert_array_equal(exposure[name].data, reference[name].data)
            assert exposure[name].data.dtype == reference[name].data.dtype.newbyteorder("=")


@pytest.mark.usefixtures("map_everything")
def test_decoding_leaves_the_mapping_and_the_file_unchanged(rate_file):
    before = Path(rate_file).read_bytes()
    (exposure,) = read_exposures(rate_file)
    raw = exposure["SCI"].raw
    copy = bytes(raw)
    data = exposure["SCI"].data
    data += 1  # the decoded array is the caller's own
    assert bytes(raw) == copy and Path(rate_file).read_bytes() == before


@pytest.mark.usefixtures("map_everything")
def test_truncated_mapped_file_is_a_data_error(rate_file, tmp_path):
    cut = tmp_path / "cut.fits"
    cut.write_bytes(Path(rate_file).read_bytes()[:-2880])
    with pytest.raises(DataError, match="truncated"):
        list(read_exposures(str(cut)))


@pytest.mark.usefixtures("map_everything")
def test_mappings_are_capped_and_released(rate_file, monkeypatch):
    gc.collect()
    live = reader._live_maps[0]
    monkeypatch.setattr(reader, "_MAX_MAPPED", live + 2)
    (exposure,) = read_exposures(rate_file)
    hdus = [hdu for hdu in exposure if hdu.raw is not None and len(hdu.raw)]
    assert [_mapped(hdu) for hdu in hdus] == [True, True] + [False] * (len(hdus) - 2)
    assert reader._live_maps[0] == live + 2
    assert _bytes_of(exposure) == Path(rate_file).read_bytes()
    del exposure, hdus
    gc.collect()
    assert reader._live_maps[0] == live


def test_small_sections_and_pipes_are_read_not_mapped(rate_file):
    (exposure,) = read_exposures(rate_file)  # 8x9 images: below the threshold
    assert not any(_mapped(hdu) for hdu in exposure)
