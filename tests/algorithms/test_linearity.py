import numpy as np

from jwcal import dq
from jwcal.algorithms import linearity


def test_kernel_matches_numpy_polyval():
    rng = np.random.default_rng(2)
    data = rng.uniform(0, 30000, (2, 4, 5, 6)).astype(np.float32)
    gdq = np.zeros(data.shape, np.uint8)
    gdq[0, 3, 1, 1] = dq.SATURATED
    gdq[1, 2, 2, 2] = dq.DO_NOT_USE
    coeffs = np.stack([rng.normal(0, 5, (5, 6)), 1 + rng.normal(0, 0.01, (5, 6)),
                       rng.normal(1e-6, 1e-7, (5, 6)), rng.normal(0, 1e-12, (5, 6))])
    prepared, bits = linearity.prepare_coefficients(coeffs, np.zeros((5, 6), np.uint32))
    before = data.copy()
    got = linearity.correct(data, gdq, prepared)
    d = data.astype(np.float64)
    want = sum(coeffs[k][None, None] * d ** k for k in range(4))
    want = np.where(gdq & dq.SATURATED, d, want)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert got[0, 3, 1, 1] == data[0, 3, 1, 1] and got[1, 2, 2, 2] != data[1, 2, 2, 2]
    np.testing.assert_array_equal(data, before)
    assert (bits == 0).all()
    np.testing.assert_array_equal(linearity.correct(data[1, 2], gdq[1, 2], prepared), got[1, 2])


def test_bad_coefficients_leave_pixel_unchanged():
    coeffs = np.zeros((3, 2, 2))
    coeffs[1] = 1.1
    coeffs[0, 0, 0] = np.nan
    coeffs[1, 0, 1] = 0.0
    ref_dq = np.zeros((2, 2), np.uint32)
    ref_dq[1, 0] = linearity.NO_LIN_CORR
    prepared, bits = linearity.prepare_coefficients(coeffs, ref_dq)
    data = np.full((1, 1, 2, 2), 100.0, np.float32)
    out = linearity.correct(data, np.zeros(data.shape, np.uint8), prepared)
    np.testing.assert_allclose(out[0, 0], [[100.0, 100.0], [100.0, 110.0]], rtol=1e-6)
    assert (bits == [[linearity.NO_LIN_CORR] * 2, [linearity.NO_LIN_CORR, 0]]).all()
    assert np.isnan(coeffs[0, 0, 0])  # input not mutated


def test_zeroframe_zero_kept():
    coeffs = np.stack([np.zeros((1, 2)), np.full((1, 2), 2.0)])
    out = linearity.correct_zeroframe(np.array([[[0.0, 10.0]]]), coeffs)
    np.testing.assert_array_equal(out, [[[0.0, 20.0]]])
