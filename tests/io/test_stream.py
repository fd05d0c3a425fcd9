"""Round trips of FITS streams through jwcal.io, checked with astropy as the independent reader."""

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from jwcal.errors import DataError, MissingExtensionError, UsageError
from jwcal.exposure import HDU, Planes
from jwcal.io import open_output, read_exposures, read_single
from jwcal.io.writer import exposure_chunks


def _bytes_of(exposure):
    return b"".join(bytes(chunk) for chunk in exposure_chunks(exposure))


def _assert_same_file(path_a, path_b):
    with fits.open(path_a) as a, fits.open(path_b) as b:
        assert [h.name for h in a] == [h.name for h in b]
        for ha, hb in zip(a, b, strict=True):
            assert ha.header == hb.header
            if ha.data is None:
                assert hb.data is None
            elif isinstance(ha, fits.BinTableHDU):
                assert ha.data.tobytes() == hb.data.tobytes()
            else:
                assert ha.data.dtype == hb.data.dtype
                np.testing.assert_array_equal(ha.data, hb.data)


def test_untouched_file_round_trips_byte_for_byte(uncal_file):
    (exposure,) = read_exposures(uncal_file)
    with open(uncal_file, "rb") as handle:
        assert _bytes_of(exposure) == handle.read()


def test_stream_of_several_files_yields_each_exposure(uncal_file, rate_file, tmp_path):
    stream = tmp_path / "stream.fits"
    stream.write_bytes(Path(uncal_file).read_bytes() + Path(rate_file).read_bytes() * 2)
    exposures = list(read_exposures(str(stream)))
    assert [e.names() for e in exposures] == [
        ["PRIMARY", "SCI", "INT_TIMES", "ASDF"],
        ["PRIMARY", "SCI", "ERR", "DQ", "VAR_POISSON"],
        ["PRIMARY", "SCI", "ERR", "DQ", "VAR_POISSON"],
    ]


def test_decoded_uint16_ramp_matches_astropy_and_reencodes(uncal_file, tmp_path):
    (exposure,) = read_exposures(uncal_file)
    sci = exposure["SCI"].data
    with fits.open(uncal_file) as reference:
        expected = reference["SCI"].data
        assert sci.dtype == np.uint16 and sci.dtype.isnative
        np.testing.assert_array_equal(sci, expected)
    exposure["SCI"].data = sci  # marks it changed: forces the encoder
    out = tmp_path / "out.fits"
    with open_output(str(out)) as sink:
        sink.write(exposure)
    _assert_same_file(uncal_file, out)


def test_big_endian_floats_float64_and_uint32_reencode_exactly(rate_file, tmp_path):
    (exposure,) = read_exposures(rate_file)
    for name in ("SCI", "ERR", "DQ", "VAR_POISSON"):
        exposure[name].data = exposure[name].data.copy()
    assert exposure["DQ"].data.dtype == np.uint32
    assert exposure["VAR_POISSON"].data.dtype == np.float64
    out = tmp_path / "out.fits"
    with open_output(str(out)) as sink:
        sink.write(exposure)
    _assert_same_file(rate_file, out)


def test_continue_and_hierarch_cards_survive_a_header_edit(uncal_file, tmp_path):
    (exposure,) = read_exposures(uncal_file)
    exposure.primary["S_DQINIT"] = "COMPLETE"
    out = tmp_path / "out.fits"
    with open_output(str(out)) as sink:
        sink.write(exposure)
    with fits.open(out) as result, fits.open(uncal_file) as original:
        assert result[0].header["OBSTITLE"] == original[0].header["OBSTITLE"]
        assert "CONTINUE" in result[0].header.tostring()
        assert result[0].header["JWCAL TEST KEYWORD"] == 1.5
        assert result[0].header["S_DQINIT"] == "COMPLETE"
        # the tables were not touched, so their bytes are identical
        for name in ("INT_TIMES", "ASDF"):
            assert result[name].data.tobytes() == original[name].data.tobytes()
            assert result[name].header == original[name].header


def test_new_image_hdus_of_every_supported_dtype(tmp_path):
    arrays = {
        "U8": np.arange(6, dtype=np.uint8).reshape(2, 3),
        "I8": np.array([-128, -1, 0, 127], dtype=np.int8),
        "I16": np.array([-5, 7], dtype=np.int16),
        "U16": np.array([0, 1, 65535], dtype=np.uint16),
        "I32": np.array([-(2**31), 2**31 - 1], dtype=np.int32),
        "U32": np.array([0, 2**32 - 1, 2**31], dtype=np.uint32),
        "I64": np.array([-(2**63), 2**63 - 1], dtype=np.int64),
        "F32": np.array([np.nan, -np.inf, 1.5], dtype=np.float32),
        "F64": np.array([1e300, -0.0], dtype=np.float64),
    }
    hdus = [HDU.image("PRIMARY", None)] + [HDU.image(name, value) for name, value in arrays.items()]
    del hdus[0].header["EXTNAME"]
    from jwcal.exposure import Exposure

    out = tmp_path / "types.fits"
    with open_output(str(out)) as sink:
        sink.write(Exposure(hdus))
    (back,) = read_exposures(str(out))
    with fits.open(out) as check:
        for name, value in arrays.items():
            np.testing.assert_array_equal(back[name].data, value)
            assert back[name].data.dtype == value.dtype
            np.testing.assert_array_equal(check[name].data, value)


@pytest.mark.parametrize("dtype", [np.float32, np.uint16, np.uint32, np.int8, np.uint8])
def test_hdu_made_plane_by_plane_writes_the_same_bytes_as_the_whole_array(dtype):
    from jwcal.exposure import Exposure

    rng = np.random.default_rng(3)
    source = rng.integers(0, 120, (2, 3, 4, 5), dtype=np.uint16)
    planes = source.reshape(-1, 4, 5)
    whole = source.astype(dtype)
    primary = HDU.image("PRIMARY", None)
    del primary.header["EXTNAME"]
    made = HDU.image("SCI", Planes(source.shape, dtype, planes.__getitem__))
    assert made.shape == source.shape
    lazy = _bytes_of(Exposure([primary, made]))
    eager = _bytes_of(Exposure([primary, HDU.image("SCI", whole)]))
    assert lazy == eager
    assert made.deferred is not None  # writing did not build the whole array
    np.testing.assert_array_equal(made.data, whole)
    assert made.data.dtype == np.dtype(dtype) and made.deferred is None
    wrong = HDU.image("SCI", Planes((2, 4, 5), dtype, lambda k: source[0, 0, :3]))
    with pytest.raises(ValueError, match="plane 0 has shape"):
        _bytes_of(Exposure([primary, wrong]))


def test_table_hdu_written_from_structured_array(tmp_path):
    from jwcal.exposure import Exposure
    from jwcal.io import table_hdu

    table = np.zeros(3, dtype=[("integration_number", ">i4"), ("int_mid_MJD_UTC", ">f8")])
    table["integration_number"] = [1, 2, 3]
    table["int_mid_MJD_UTC"] = [60000.5, 60000.6, 60000.7]
    primary = HDU.image("PRIMARY", None)
    del primary.header["EXTNAME"]
    exposure = Exposure([primary, table_hdu("INT_TIMES", table)])
    out = tmp_path / "t.fits"
    with open_output(str(out)) as sink:
        sink.write(exposure)
    with fits.open(out) as check:
        np.testing.assert_array_equal(check["INT_TIMES"].data["int_mid_MJD_UTC"], table["int_mid_MJD_UTC"])
    (back,) = read_exposures(str(out))
    np.testing.assert_array_equal(back["INT_TIMES"].data["integration_number"], [1, 2, 3])


def test_headers_only_reads_no_data_and_refuses_to_write_it(uncal_file):
    (exposure,) = read_exposures(uncal_file, headers_only=True)
    assert exposure["SCI"].shape == (2, 4, 8, 9)
    with pytest.raises(DataError, match="not read"):
        _bytes_of(exposure)


def test_missing_extension_is_a_data_error(uncal_file):
    exposure = read_single(uncal_file)
    with pytest.raises(MissingExtensionError, match="no PIXELDQ extension"):
        exposure["PIXELDQ"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty input"),
        (b"hello world\n", "not a FITS file"),
        (b"x" * 2880 * 2, "not a FITS file"),
    ],
)
def test_bad_input_is_a_one_line_data_error(tmp_path, content, message):
    path = tmp_path / "bad.fits"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as info:
        list(read_exposures(str(path)))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("cut", [100, 2880 + 100, 2880 * 3 + 10, -2880, -1])
def test_truncated_files_are_data_errors(uncal_file, tmp_path, cut):
    data = Path(uncal_file).read_bytes()
    path = tmp_path / "cut.fits"
    path.write_bytes(data[:cut])
    with pytest.raises(DataError, match="truncated"):
        list(read_exposures(str(path)))
    with pytest.raises(DataError, match="truncated"):
        list(read_exposures(str(path), headers_only=True))


def test_garbage_after_a_valid_file_is_reported_with_its_offset(uncal_file, tmp_path):
    data = Path(uncal_file).read_bytes()
    path = tmp_path / "tail.fits"
    path.write_bytes(data + b"garbage!" * 360)
    with pytest.raises(DataError, match=f"unexpected bytes at {len(data)}"):
        list(read_exposures(str(path)))


def test_output_refuses_existing_file_without_overwrite(tmp_path, uncal_file):
    from jwcal.io.output import OutputExistsError

    exposure = read_single(uncal_file)
    target = tmp_path / "exists.fits"
    target.write_bytes(b"old")
    with pytest.raises(OutputExistsError), open_output(str(target)) as sink:
        sink.write(exposure)
    assert target.read_bytes() == b"old"
    with open_output(str(target), overwrite=True) as sink:
        sink.write(exposure)
    assert target.read_bytes() == Path(uncal_file).read_bytes()


def test_failure_while_writing_leaves_no_file_and_no_temp(tmp_path, uncal_file):
    exposure = read_single(uncal_file)
    target = tmp_path / "never.fits"
    with pytest.raises(RuntimeError), open_output(str(target)) as sink:
        sink.write(exposure)
        raise RuntimeError("step failed half way")
    assert list(tmp_path.iterdir()) == [tmp_path / "a_uncal.fits"]


def test_stdout_to_terminal_is_refused(monkeypatch):
    class Terminal(io.BytesIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdout", Terminal())
    with pytest.raises(UsageError, match="terminal"), open_output("-"):
        pass


def test_reading_from_a_real_pipe(uncal_file, rate_file):
    code = (
        "import sys; from jwcal.io import read_exposures;"
        "print([len(e.hdus) for e in read_exposures('-')])"
    )
    data = Path(uncal_file).read_bytes() + Path(rate_file).read_bytes()
    result = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, check=True)
    assert result.stdout.strip() == b"[4, 5]"


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_written_files_get_the_permissions_of_a_new_file(tmp_path, uncal_file, umask):
    previous = os.umask(umask)
    try:
        with open_output(str(tmp_path / "out.fits")) as sink:
            sink.write(read_single(uncal_file))
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "out.fits").stat().st_mode) == 0o666 & ~umask
