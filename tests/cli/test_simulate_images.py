"""``jwcal simulate images``: the files it writes and how they open."""

import json

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

from jwcal.cli.main import cli

ARGS = ["simulate", "images", "--size", "64", "80", "--nexposures", "2", "--nstars", "30", "--ngalaxies", "4",
        "--seed", "5"]


@pytest.fixture
def simdir(runner, tmp_path):
    out = tmp_path / "sim"
    result = runner.invoke(cli, [*ARGS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    return out


def test_writes_cal_files_association_catalogs_and_truth(simdir):
    names = sorted(p.name for p in simdir.iterdir())
    roots = ["jw01234001001_01101_00001_nrcb1", "jw01234001001_01101_00002_nrcb1"]
    assert names == sorted([f"{r}_cal.fits" for r in roots] + [f"{r}_truth_wcs.fits" for r in roots]
                           + ["jw01234-o001_image3_00001_asn.json", "refcat.ecsv", "truth.ecsv"])
    asn = json.loads((simdir / "jw01234-o001_image3_00001_asn.json").read_text())
    assert asn["asn_type"] == "image3"
    assert [m["expname"] for m in asn["products"][0]["members"]] == [f"{r}_cal.fits" for r in roots]
    for member in asn["products"][0]["members"]:
        assert (simdir / member["expname"]).exists()
    truth = Table.read(simdir / "truth.ecsv")
    assert {"RA", "DEC", "flux", "mag_ab", "x_1", "y_2"} <= set(truth.colnames) and len(truth) == 34
    refcat = Table.read(simdir / "refcat.ecsv")
    assert {"RA", "DEC", "ra_error", "dec_error"} <= set(refcat.colnames)


def test_files_open_with_astropy(simdir):
    with fits.open(simdir / "jw01234001001_01101_00001_nrcb1_cal.fits") as hdul:
        names = ["PRIMARY", "SCI", "ERR", "DQ", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"]
        assert [h.name for h in hdul] == names
        assert hdul["SCI"].data.shape == (64, 80) and hdul["SCI"].data.dtype.name == "float32"
        assert hdul["DQ"].data.dtype.name == "uint32"
        header_wcs = WCS(hdul["SCI"].header)
    with fits.open(simdir / "jw01234001001_01101_00001_nrcb1_truth_wcs.fits") as hdul:
        true_wcs = WCS(hdul["MODEL"].header)
        off = hdul[0].header["WCSDOFF"]
        assert hdul["CRMASK"].data.shape == (64, 80) and hdul["MODEL"].data.shape == (64, 80)
    a = np.array(header_wcs.all_pix2world([[40.0, 32.0]], 0)[0])
    b = np.array(true_wcs.all_pix2world([[40.0, 32.0]], 0)[0])
    sep = np.hypot((a[0] - b[0]) * np.cos(np.radians(b[1])), a[1] - b[1]) * 3600
    assert sep == pytest.approx(off, abs=0.01)


def test_files_open_with_stdatamodels(simdir):
    datamodels = pytest.importorskip("stdatamodels.jwst.datamodels")
    with datamodels.open(str(simdir / "jw01234001001_01101_00002_nrcb1_cal.fits")) as model:
        assert model.data.shape == (64, 80)
        assert model.meta.instrument.name == "NIRCAM"
        assert model.meta.exposure.type == "NRC_IMAGE"


def test_same_seed_same_bytes(runner, tmp_path, simdir):
    again = tmp_path / "again"
    assert runner.invoke(cli, [*ARGS, "-o", str(again)]).exit_code == 0
    name = "jw01234001001_01101_00002_nrcb1_cal.fits"
    assert (again / name).read_bytes()[2880:] == (simdir / name).read_bytes()[2880:]


def test_existing_files_need_overwrite(runner, simdir):
    result = runner.invoke(cli, [*ARGS, "-o", str(simdir)])
    assert result.exit_code == 1 and "exists" in result.output
    assert runner.invoke(cli, [*ARGS, "-o", str(simdir), "--overwrite"]).exit_code == 0


def test_usage_errors(runner, tmp_path):
    result = runner.invoke(cli, ["simulate", "images", "-o", str(tmp_path / "x"), "--size", "4", "4"])
    assert result.exit_code == 2
    assert not (tmp_path / "x").exists()
    assert runner.invoke(cli, ["simulate", "images"]).exit_code == 2
    assert runner.invoke(cli, ["simulate", "images", "-o", str(tmp_path), "--psf", "box"]).exit_code == 2


def test_factory_for_stage3_tests(tmp_path):
    from tests.factories.simulate_images import dithered_set

    made = dithered_set(tmp_path, nexposures=2, size=(48, 48), seed=2)
    paths = made["cal"] + made["truth_wcs"] + [made["asn"], made["refcat"], made["truth_table"]]
    assert all(p.exists() for p in paths)
    with fits.open(made["cal"][1]) as hdul:
        np.testing.assert_array_equal(hdul["SCI"].data, made["result"]["exposures"][1]["SCI"].data)
