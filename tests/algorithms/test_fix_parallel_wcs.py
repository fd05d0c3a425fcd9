import numpy as np
import pytest

from jwcal.algorithms import fix_parallel_wcs as alg


def test_boresight_and_known_offsets():
    m = alg.attitude_matrix(0.0, 0.0, 0.0)
    assert np.allclose(m, np.eye(3))
    assert alg.telescope_to_sky(m, 3600.0, 0.0) == pytest.approx((1.0, 0.0))
    assert alg.telescope_to_sky(m, 0.0, 3600.0) == pytest.approx((0.0, 1.0))
    assert alg.position_angle(m, 3600.0, 0.0) == pytest.approx(0.0)
    # With V3 pointing East (PA_V3 = 90) a V3 offset goes East.
    m = alg.attitude_matrix(0.0, 0.0, 90.0)
    assert alg.telescope_to_sky(m, 0.0, 3600.0) == pytest.approx((1.0, 0.0), abs=1e-12)
    m = alg.attitude_matrix(150.0, 2.0, 290.0)
    assert alg.telescope_to_sky(m, 0.0, 0.0) == pytest.approx((150.0, 2.0))
    assert alg.position_angle(m, 0.0, 0.0) == pytest.approx(290.0)
    assert np.allclose(m @ m.T, np.eye(3))


@pytest.mark.parametrize("attitude", [(150.1, 2.2, 290.3), (10.0, -70.0, 45.0), (359.9, 85.0, 170.0)])
def test_reference_point_pointing_rebuilds_the_attitude(attitude):
    v2, v3 = 120.67, -527.39
    m = alg.attitude_matrix(*attitude)
    ra, dec = alg.telescope_to_sky(m, v2, v3)
    roll = alg.position_angle(m, v2, v3)
    assert np.allclose(alg.attitude_at(v2, v3, ra, dec, roll), m, atol=1e-13)


def test_pc_matrix_is_a_rotation_with_parity():
    pc = alg.pc_matrix(30.0, -0.5, -1)
    assert np.linalg.det(pc) == pytest.approx(-1.0)
    assert np.allclose(pc @ pc.T, np.eye(2))
    assert np.allclose(alg.pc_matrix(0.0, 0.0, 1), np.eye(2))


def test_rotated_sip_wcs_maps_every_pixel_to_the_rotated_position():
    from astropy.wcs import WCS

    header = {"CTYPE1": "RA---TAN-SIP", "CTYPE2": "DEC--TAN-SIP", "CRPIX1": 50.0, "CRPIX2": 40.0,
              "CRVAL1": 53.1, "CRVAL2": -27.8, "CD1_1": -8.6e-6, "CD1_2": 1.2e-6, "CD2_1": 1.1e-6,
              "CD2_2": 8.7e-6, "A_ORDER": 2, "B_ORDER": 2, "A_2_0": 2e-6, "A_1_1": -1e-6, "B_0_2": 3e-6,
              "NAXIS": 2, "NAXIS1": 100, "NAXIS2": 80}
    old = WCS(header)
    rotation = alg.attitude_matrix(53.1001, -27.8002, 10.01) @ alg.attitude_matrix(53.1, -27.8, 10.0).T
    cd = np.array([[header["CD1_1"], header["CD1_2"]], [header["CD2_1"], header["CD2_2"]]])
    crval, new_cd = alg.rotate_linear_wcs(rotation, (header["CRVAL1"], header["CRVAL2"]), cd)
    new_header = dict(header, CRVAL1=crval[0], CRVAL2=crval[1], CD1_1=new_cd[0, 0], CD1_2=new_cd[0, 1],
                      CD2_1=new_cd[1, 0], CD2_2=new_cd[1, 1])
    new = WCS(new_header)
    x, y = np.meshgrid(np.linspace(0, 99, 7), np.linspace(0, 79, 5))
    expected = alg.rotate_sky(rotation, *old.all_pix2world(x, y, 0))
    got = new.all_pix2world(x, y, 0)
    a, b = alg.unit_vector(*expected), alg.unit_vector(*got)
    sep = np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, -1))) * 3600e3
    assert sep.max() < 0.01  # mas
    assert np.array_equal(cd, np.array([[-8.6e-6, 1.2e-6], [1.1e-6, 8.7e-6]]))  # input untouched
