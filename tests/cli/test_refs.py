"""``jwcal refs`` against a local CRDS cache fixture (no network: the server URL cannot resolve)."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from tests import factories

pytest.importorskip("crds")
pytest.importorskip("stdatamodels")

FIXTURE = Path(__file__).parent.parent / "data" / "crds_cache"
OFFLINE = ["--server-url", "https://crds.invalid", "--context", "jwst_0001.pmap"]


@pytest.fixture
def cache(tmp_path):
    """A CRDS cache with the fixture's rules and the gain and dark files they select."""
    root = tmp_path / "cache"
    shutil.copytree(FIXTURE, root)
    refs = root / "references" / "jwst" / "nircam"
    refs.mkdir(parents=True)
    for kind in ("gain", "dark"):
        fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones((4, 4), np.float32), name="SCI")]).writeto(
            refs / f"jwst_nircam_{kind}_0042.fits")
    return root


def _uncal(tmp_path, subarray="FULL"):
    hdulist = factories.uncal_hdulist()
    hdulist[0].header["SUBARRAY"] = subarray
    hdulist[0].header["DATE-OBS"] = "2024-01-01"
    hdulist[0].header["TIME-OBS"] = "00:00:00"
    return factories.write(hdulist, tmp_path / f"{subarray}_uncal.fits")


def _run(jwcal_exe, *args):
    return subprocess.run([jwcal_exe, "refs", *args], capture_output=True, text=True, timeout=120)


def test_prints_the_cached_best_references(jwcal_exe, cache, tmp_path):
    result = _run(jwcal_exe, _uncal(tmp_path), "--cache", str(cache), "--reftype", "gain",
                  "--reftype", "dark", *OFFLINE)
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [row[1] for row in rows] == ["gain", "dark"]
    for row, kind in zip(rows, ("gain", "dark"), strict=True):
        assert Path(row[2]) == cache / "references" / "jwst" / "nircam" / f"jwst_nircam_{kind}_0042.fits"


def test_makefile_fragment_marks_types_that_do_not_apply(jwcal_exe, cache, tmp_path):
    result = _run(jwcal_exe, _uncal(tmp_path, "SUB160"), "--cache", str(cache), "--reftype", "gain",
                  "--makefile", *OFFLINE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "# GAIN: not applicable"


def test_reference_missing_from_cache_and_server_unreachable_is_one_line_exit_1(jwcal_exe, cache, tmp_path):
    (cache / "references" / "jwst" / "nircam" / "jwst_nircam_gain_0042.fits").unlink()
    result = _run(jwcal_exe, _uncal(tmp_path), "--cache", str(cache), "--reftype", "gain", *OFFLINE)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("jwcal refs: error: CRDS:")


def test_offline_with_an_empty_cache_is_one_line_exit_1(jwcal_exe, tmp_path):
    # issue 19: crds printed its "(FATAL) CRDS server connection and cache load FAILED" and exited 255
    result = _run(jwcal_exe, _uncal(tmp_path), "--cache", str(tmp_path / "empty"),
                  "--server-url", "https://crds.invalid")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("jwcal refs: error: CRDS: cannot reach https://crds.invalid")
    assert "CRDS_PATH" in lines[0] and "pre-filled cache" in lines[0] and "FATAL" not in result.stderr
