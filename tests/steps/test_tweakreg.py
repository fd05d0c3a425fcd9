"""Tweakreg step: accuracy on synthetic dithers with injected pointing errors, failures, provenance."""

import numpy as np
import pytest
from astropy.io import fits

from jwcal.errors import DataError
from jwcal.io import read_exposures
from jwcal.steps import tweakreg
from tests.factories.tweakreg import make_tweak_set, residuals


def _source(paths):
    def source(headers_only):
        for path in paths:
            yield from read_exposures(path, headers_only=headers_only)
    return source


@pytest.fixture(scope="module")
def tset(tmp_path_factory):
    return make_tweak_set(tmp_path_factory.mktemp("tw"), n=4, seed=7, error=1.0, roll_error=0.02)


def _headers(outs):
    return [o["SCI"].header for o in outs]


def test_relative_then_absolute_alignment_meets_the_accuracy_targets(tset):
    before_abs, before_rel = residuals(tset, [h["SCI"].header for h in tset.hdulists])
    assert before_abs.max() > 0.3 and before_rel.max() > 2.0  # errors were injected
    outs = list(tweakreg.run(_source(tset.paths), kernel_fwhm=2.2, abs_refcat=tset.refcat))
    absolute, relative = residuals(tset, _headers(outs))
    assert absolute.max() < 0.005  # arcsec: <= 5 mas
    assert relative.max() < 0.02   # pixels
    for out in outs:
        sci = out["SCI"].header
        assert out.primary["S_TWKREG"] == "COMPLETE"
        assert sci["TWKANMAT"] >= 15 and sci["TWKA_RMS"] < 0.005
        assert sci["CTYPE1"] == "RA---TAN-SIP" and sci["A_2_0"] == 3.0e-6  # SIP kept
        assert sci["S_REGION"].startswith("POLYGON ICRS") and "0 0 0 0" not in sci["S_REGION"]
        assert "ASDF" not in out
        history = " ".join(out.primary["HISTORY"])
        assert "ASDF extension removed" in history and "absolute fit: shift" in history


def test_relative_only_keeps_the_reference_and_aligns_the_others(tset):
    outs = list(tweakreg.run(_source(tset.paths), kernel_fwhm=2.2, fitgeometry="general"))
    assert [o.primary["S_TWKREG"] for o in outs] == ["COMPLETE"] * 4
    references = [o for o in outs if "TWK_NMAT" not in o["SCI"].header]
    assert len(references) == 1 and "ASDF" in references[0]  # untouched WCS: gwcs still agrees
    _, relative = residuals(tset, _headers(outs))
    assert relative.max() < 0.02


def test_exposures_of_one_group_get_one_fit(tmp_path):
    t = make_tweak_set(tmp_path, n=3, seed=3, groups=[1, 2, 2],
                       detectors=["NRCBLONG", "NRCALONG", "NRCBLONG"],
                       positions=[(0.0, 0.0), (-12.0, 0.0), (12.0, 0.0)], nstars=200)
    outs = list(tweakreg.run(_source(t.paths), kernel_fwhm=2.2, abs_refcat=t.refcat, fitgeometry="shift"))
    notes = [[h for h in o.primary["HISTORY"] if "relative fit" in h] for o in outs]
    assert notes[1] == notes[2]
    absolute, _ = residuals(t, _headers(outs))
    assert absolute.max() < 0.005


def test_failed_fit_is_an_error_or_skipped(tset):
    with pytest.raises(DataError, match="not enough matches"):
        list(tweakreg.run(_source(tset.paths), kernel_fwhm=2.2, minobj=500))
    outs = list(tweakreg.run(_source(tset.paths), kernel_fwhm=2.2, minobj=500, skip_unsupported=True))
    status = [o.primary["S_TWKREG"] for o in outs]
    assert status.count("SKIPPED") == 3 and status.count("COMPLETE") == 1
    with pytest.raises(DataError, match="absolute alignment"):
        list(tweakreg.run(_source(tset.paths), kernel_fwhm=2.2, abs_refcat=tset.refcat, abs_minobj=90))


def test_single_exposure_without_catalog_is_skipped_and_catalogs_round_trip(tset, tmp_path):
    outs = list(tweakreg.run(_source(tset.paths[:1]), kernel_fwhm=2.2, save_catalogs=str(tmp_path)))
    assert outs[0].primary["S_TWKREG"] == "SKIPPED"
    catalogs = sorted(p.name for p in tmp_path.glob("*_cat.ecsv"))
    assert catalogs == ["jw01234001001_01101_00001_nrcblong_cat.ecsv"]
    list(tweakreg.run(_source(tset.paths), kernel_fwhm=2.2, save_catalogs=str(tmp_path)))
    outs = list(tweakreg.run(_source(tset.paths), use_custom_catalogs=str(tmp_path), abs_refcat=tset.refcat))
    absolute, _ = residuals(tset, _headers(outs))
    assert absolute.max() < 0.005


def test_correct_header_moves_crval_and_turns_cd():
    from tests.factories.tweakreg import sip_header

    head = sip_header((10.0, 20.0), (50.5, 50.5), 0.0)
    c, s = np.cos(np.radians(0.01)), np.sin(np.radians(0.01))
    new = tweakreg.correct_header(head, (10.0, 20.0), np.array([[c, s], [-s, c]]), np.array([0.36, 0.0]))
    assert new["CRVAL1"] == pytest.approx(10.0 + 0.36 / 3600 / np.cos(np.radians(20.0)), abs=1e-10)
    assert new["CRVAL2"] == pytest.approx(20.0, abs=1e-10)
    angle = np.degrees(np.arctan2(new["CD1_2"], -new["CD1_1"]))
    assert abs(angle) == pytest.approx(0.01, abs=1e-4)  # + meridian convergence 0.36" tan(dec)
    assert isinstance(new, fits.Header) and head["CRVAL1"] == 10.0
