import numpy as np
import pytest

from jwcal.algorithms import fix_parallel_wcs as alg
from jwcal.errors import DataError, UnsupportedError, UsageError
from jwcal.exposure import HDU, Exposure
from jwcal.steps import fix_parallel_wcs as step
from tests.factories.header_fixes import TRUE_ATTITUDE, coarse_attitude, pointed_hdulist, pointing_keywords


def _exposure(hdulist):
    return Exposure([HDU(header=h.header.copy(), data=h.data) for h in hdulist])


def _parallel(**kw):
    return _exposure(pointed_hdulist(coarse_attitude(), **kw))


def _prime(start=60300.09, end=60300.12, attitude=TRUE_ATTITUDE):
    return _exposure(pointed_hdulist(attitude, visitype="PRIME_TARGETED_FIXED", start=start, end=end,
                                     filename="jw01234001001_02101_00001_nrcb1_rate.fits"))


def test_known_attitude_gives_known_pointing():
    out = step.run(_parallel(), prime=[_prime(start=60299.0, end=60299.1), _prime()])
    sci = out["SCI"].header
    truth = pointing_keywords(TRUE_ATTITUDE)
    for key in ("RA_REF", "DEC_REF", "ROLL_REF", "PA_APER", "CRVAL1", "CRVAL2", "PC1_1", "PC1_2", "PC2_1",
                "PC2_2", "RA_V1", "DEC_V1", "PA_V3"):
        assert sci[key] == pytest.approx(truth[key], abs=1e-11), key
    assert sci["PUREPWCS"] is True and sci["PUREPEXP"].endswith("nrcb1_rate.fits")
    assert out.primary["S_PARWCS"] == "COMPLETE"
    # the coarse pointing was off by ~0.17": the fix moved RA_REF/DEC_REF by about that much
    coarse = pointing_keywords(coarse_attitude())
    a = alg.unit_vector(sci["RA_REF"], sci["DEC_REF"])
    b = alg.unit_vector(coarse["RA_REF"], coarse["DEC_REF"])
    assert 0.05 < np.degrees(np.linalg.norm(np.cross(a, b))) * 3600 < 0.3


def test_explicit_attitude_and_idempotence():
    out = step.run(_parallel(), ra_v1=TRUE_ATTITUDE[0], dec_v1=TRUE_ATTITUDE[1], pa_v3=TRUE_ATTITUDE[2])
    text = out["SCI"].header.tostring()
    again = step.run(out, ra_v1=TRUE_ATTITUDE[0], dec_v1=TRUE_ATTITUDE[1], pa_v3=TRUE_ATTITUDE[2])
    assert again["SCI"].header.tostring() == text


def test_s_region_follows_the_rotation():
    exposure = _parallel()
    old = exposure["SCI"].header["S_REGION"]
    out = step.run(exposure, prime=[_prime()])
    new = out["SCI"].header["S_REGION"]
    assert new.startswith("POLYGON ICRS") and new != old
    assert len(new.split()) == len(old.split())


def test_cd_sip_header_is_rotated_rigidly():
    hdulist = pointed_hdulist(coarse_attitude())
    sci = hdulist["SCI"].header
    for i in (1, 2):
        for j in (1, 2):
            sci[f"CD{i}_{j}"] = sci[f"CDELT{i}"] * sci.pop(f"PC{i}_{j}")
    del sci["CDELT1"], sci["CDELT2"]
    sci["CTYPE1"], sci["CTYPE2"], sci["A_ORDER"], sci["B_ORDER"], sci["A_2_0"] = \
        "RA---TAN-SIP", "DEC--TAN-SIP", 2, 2, 1e-6
    out = step.run(_exposure(hdulist), prime=[_prime()])
    new = out["SCI"].header
    truth = pointing_keywords(TRUE_ATTITUDE)
    # CRPIX is the reference point, so the rigidly rotated CRVAL is the true RA_REF/DEC_REF
    assert new["CRVAL1"] == pytest.approx(truth["RA_REF"], abs=1e-10)
    assert new["CRVAL2"] == pytest.approx(truth["DEC_REF"], abs=1e-10)
    assert new["A_2_0"] == 1e-6 and "PC1_1" not in new
    cd = np.array([[new["CD1_1"], new["CD1_2"]], [new["CD2_1"], new["CD2_2"]]])
    expected = np.diag([truth["CDELT1"], truth["CDELT2"]]) @ \
        np.array([[truth["PC1_1"], truth["PC1_2"]], [truth["PC2_1"], truth["PC2_2"]]])
    # equal up to the commutator of the 1% CDELT anisotropy with the 3" roll change (~1e-12 deg)
    assert np.allclose(cd, expected, rtol=0, atol=3e-12)


def test_not_a_parallel_and_no_bracketing_prime():
    with pytest.raises(UnsupportedError, match="not a pure parallel"):
        step.run(_parallel(visitype="PRIME_TARGETED_FIXED"), prime=[_prime()])
    with pytest.raises(UnsupportedError, match="no prime exposure brackets"):
        step.run(_parallel(), prime=[_prime(start=60300.105)])
    out = step.run(_parallel(), prime=[_prime(end=60300.105)], skip_unsupported=True)
    assert out.primary["S_PARWCS"] == "SKIPPED"
    assert out["SCI"].header["RA_REF"] == pointing_keywords(coarse_attitude())["RA_REF"]


def test_bad_options_and_values():
    with pytest.raises(UsageError):
        step.run(_parallel())
    with pytest.raises(UsageError):
        step.run(_parallel(), prime=[_prime()], ra_v1=1.0, dec_v1=2.0, pa_v3=3.0)
    with pytest.raises(UsageError):
        step.run(_parallel(), ra_v1=1.0)
    exposure = _parallel()
    exposure["SCI"].header["VPARITY"] = 0
    with pytest.raises(DataError):
        step.run(exposure, prime=[_prime()])
    exposure = _parallel()
    del exposure["SCI"].header["V2_REF"]
    with pytest.raises(DataError, match="V2_REF"):
        step.run(exposure, prime=[_prime()])
