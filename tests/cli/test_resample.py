"""``jwcal resample``: the _i2d product, inputs (files, association, stream), flux, bad input."""

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from jwcal.cli.main import cli
from jwcal.methods import FLUX_CONSERVING_KERNELS
from tests.factories.resample import make_cal_set, write_set


@pytest.fixture
def cal_paths(tmp_path):
    return write_set(make_cal_set(3, shape=(48, 48), nstars=6, ncr=3, dither=4.0), tmp_path / "in")


def run(runner, *args, **kwargs):
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False, **kwargs)


def test_resample_writes_an_i2d_with_jwst_extensions(runner, cal_paths, tmp_path):
    out = tmp_path / "mosaic_i2d.fits"
    result = run(runner, "resample", *cal_paths, "-o", out)
    assert result.exit_code == 0, result.output
    with fits.open(out) as hdul:
        names = [h.name for h in hdul]
        assert names == ["PRIMARY", "SCI", "ERR", "CON", "WHT", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT",
                         "HDRTAB"]
        assert hdul[0].header["S_RESAMP"] == "COMPLETE"
        assert hdul[0].header["NDRIZ"] == 3
        assert hdul["SCI"].data.dtype.str == ">f4"
        assert hdul["CON"].data.dtype.str == ">i4"
        assert hdul["CON"].data.shape[0] == 1
        con = hdul["CON"].data[0]
        assert set(np.unique(con)) <= set(range(8))
        assert (con == 7).sum() > 0.5 * con.size  # most pixels see all three inputs
        assert hdul["SCI"].header["CTYPE1"] == "RA---TAN"
        assert hdul["SCI"].header["BUNIT"] == "MJy/sr"
        assert len(hdul["HDRTAB"].data) == 3
        wht = hdul["WHT"].data
        sci = hdul["SCI"].data
        assert np.isnan(sci[wht == 0]).all()
        assert np.isfinite(sci[wht > 0]).all()
        assert np.isfinite(hdul["ERR"].data[wht > 0]).all()


@pytest.mark.parametrize("kernel", FLUX_CONSERVING_KERNELS)
@pytest.mark.parametrize("ratio", ["0.5", "1.0", "2.0"])
def test_flux_is_conserved_on_the_sky(runner, tmp_path, kernel, ratio):
    # One noiseless TAN image of stars on zero background: the mosaic's total flux equals the input's.
    calset = make_cal_set(1, shape=(40, 40), nstars=5, ncr=0, noise=0.0, background=0.0, sip=False,
                          dither=0.0, rot_deg=0.0)
    path = write_set(calset, tmp_path / "in", asn=False)[0]
    out = tmp_path / "m_i2d.fits"
    args = ["resample", path, "-o", out, "--kernel", kernel, "--pixel-scale-ratio", ratio, "--fillval", "0",
            "--weight-type", "exptime"]
    if kernel == "point" and float(ratio) < 1:
        pytest.skip("the point kernel leaves holes on a finer output grid")
    result = run(runner, *args)
    assert result.exit_code == 0, result.output
    with fits.open(path) as inp, fits.open(out) as hdul:
        flux_in = inp["SCI"].data.sum(dtype=np.float64)
        flux_out = hdul["SCI"].data.sum(dtype=np.float64) * float(ratio) ** 2
    assert flux_out == pytest.approx(flux_in, rel=2e-3 if kernel == "point" else 1e-4)


def test_association_and_stream_inputs_give_the_same_mosaic(runner, cal_paths, tmp_path):
    a, b = tmp_path / "a_i2d.fits", tmp_path / "b_i2d.fits"
    asn = str(tmp_path / "in" / "asn.json")
    assert run(runner, "resample", asn, "-o", a).exit_code == 0
    stream = b"".join(Path(p).read_bytes() for p in cal_paths)
    result = run(runner, "resample", "-o", b, input=stream)
    assert result.exit_code == 0, result.output
    with fits.open(a) as ha, fits.open(b) as hb:
        np.testing.assert_array_equal(ha["SCI"].data, hb["SCI"].data)
        np.testing.assert_array_equal(ha["WHT"].data, hb["WHT"].data)


def test_output_wcs_file_and_explicit_grid(runner, cal_paths, tmp_path):
    first = tmp_path / "first_i2d.fits"
    assert run(runner, "resample", *cal_paths, "-o", first).exit_code == 0
    again = tmp_path / "again_i2d.fits"
    result = run(runner, "resample", *cal_paths, "-o", again, "--output-wcs", first)
    assert result.exit_code == 0, result.output
    with fits.open(first) as h1, fits.open(again) as h2:
        np.testing.assert_allclose(h1["SCI"].data, h2["SCI"].data, rtol=1e-5, equal_nan=True)
    grid = tmp_path / "grid_i2d.fits"
    result = run(runner, "resample", *cal_paths, "-o", grid, "--output-shape", 30, 20, "--crpix", 14.5, 9.5,
                 "--crval", 150.1, 2.2, "--rotation", 30, "--pixel-scale", 0.05)
    assert result.exit_code == 0, result.output
    with fits.open(grid) as h:
        assert h["SCI"].data.shape == (20, 30)
        assert h["SCI"].header["CRPIX1"] == pytest.approx(15.5)
        assert h["SCI"].header["CRVAL2"] == pytest.approx(2.2)


def test_input_without_celestial_wcs_exits_1_without_output(runner, cal_paths, tmp_path):
    with fits.open(cal_paths[1], mode="update") as hdul:
        hdul["SCI"].header["CTYPE1"] = "PIXEL"
    out = tmp_path / "m_i2d.fits"
    result = runner.invoke(cli, ["resample", *cal_paths, "-o", str(out)])
    assert result.exit_code == 1
    assert "celestial WCS" in result.output
    assert not out.exists()


def test_mixed_units_exit_1(runner, cal_paths, tmp_path):
    with fits.open(cal_paths[0], mode="update") as hdul:
        hdul["SCI"].header["BUNIT"] = "DN/s"
    result = runner.invoke(cli, ["resample", *cal_paths, "-o", str(tmp_path / "m_i2d.fits")])
    assert result.exit_code == 1
    assert "mixed units" in result.output


def test_no_overlap_with_the_output_grid_exits_1(runner, cal_paths, tmp_path):
    out = tmp_path / "m_i2d.fits"
    result = runner.invoke(cli, ["resample", *cal_paths, "-o", str(out), "--crval", "10", "-20",
                                 "--output-shape", "20", "20"])
    assert result.exit_code == 1
    assert "overlap" in result.output
    assert not out.exists()


def test_usage_errors_exit_2(runner, cal_paths, tmp_path):
    out = str(tmp_path / "m_i2d.fits")
    assert runner.invoke(cli, ["resample", *cal_paths, "-o", out, "--kernel", "tophat"]).exit_code == 2
    assert runner.invoke(cli, ["resample", *cal_paths, "-o", out, "--pixfrac", "0"]).exit_code == 2
    assert runner.invoke(cli, ["resample", *cal_paths, "-o", out, "--good-bits", "NOT_A_FLAG"]).exit_code == 2
    assert runner.invoke(cli, ["resample", *cal_paths, "-o", out, "--fillval", "abc"]).exit_code == 2
