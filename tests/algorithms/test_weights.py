"""algorithms.weights: the one-pass weight kernel against the numpy formulation, bit for bit."""

import numpy as np
import pytest

from jwcal.algorithms import weights as wa


def numpy_weights(sci, checks, dq, bad_bits, mode, value=1.0, rnoise=None):
    """The plain-numpy formulation of jwst's build_driz_weight that the kernel must equal."""
    good = np.isfinite(np.asarray(sci, dtype=np.float32))
    for a in checks:
        good &= np.isfinite(a)
    if dq is not None and bad_bits:
        good &= (np.asarray(dq).astype(np.uint32) & np.uint32(bad_bits)) == 0
    if mode == wa.IVM:
        with np.errstate(divide="ignore", invalid="ignore"):
            weights = 1.0 / np.asarray(rnoise, dtype=np.float32)
        weights[~np.isfinite(weights) | (weights < 0)] = 0.0
    else:
        weights = np.full(good.shape, value, dtype=np.float32)
    return np.where(good, weights, 0.0).astype(np.float32)


def noisy(rng, shape, special=0.05):
    a = rng.normal(1.0, 1.0, shape).astype(np.float32)
    pick = rng.random(shape)
    a[pick < special] = np.nan
    a[(pick >= special) & (pick < 2 * special)] = np.inf
    a[(pick >= 2 * special) & (pick < 3 * special)] = -np.inf
    a[(pick >= 3 * special) & (pick < 4 * special)] = 0.0
    a[(pick >= 4 * special) & (pick < 5 * special)] = -0.0
    return a


@pytest.mark.parametrize("nchecks", [0, 1, 2, 4])
@pytest.mark.parametrize("mode", [wa.IVM, wa.CONSTANT])
@pytest.mark.parametrize("bad_bits", [0, 1 | 512, 0xFFFFFFFF])
def test_kernel_equals_numpy_bit_for_bit(nchecks, mode, bad_bits):
    rng = np.random.default_rng(nchecks * 10 + mode + bad_bits % 7)
    shape = (37, 53)
    sci = noisy(rng, shape)
    checks = [noisy(rng, shape) for _ in range(nchecks)]
    dq = rng.integers(0, 1 << 12, shape).astype(np.uint32) * (rng.random(shape) < 0.3)
    rnoise = noisy(rng, shape)
    got = wa.drizzle_weights(sci, checks, dq, bad_bits, mode, 123.5, rnoise)
    expected = numpy_weights(sci, checks, dq, bad_bits, mode, 123.5, rnoise)
    assert got.dtype == np.float32 and got.shape == shape
    assert got.tobytes() == expected.tobytes()  # also the sign of zeros
    assert (got > 0).any() and (got == 0).any()


def test_without_dq_and_with_read_only_inputs():
    rng = np.random.default_rng(5)
    sci, err = noisy(rng, (8, 9)), noisy(rng, (8, 9))
    for a in (sci, err):
        a.flags.writeable = False
    got = wa.drizzle_weights(sci, [err], None, 513, wa.CONSTANT, 2.0)
    expected = numpy_weights(sci, [err], None, 513, wa.CONSTANT, 2.0)
    np.testing.assert_array_equal(got, expected)
    assert set(np.unique(got)) <= {0.0, 2.0}


def test_ivm_weight_is_the_inverse_read_noise_and_zero_where_unusable():
    sci = np.ones((1, 5), np.float32)
    rnoise = np.array([[4.0, -1.0, 0.0, np.inf, 0.5]], np.float32)
    dq = np.array([[0, 0, 0, 0, 1]], np.uint32)
    got = wa.drizzle_weights(sci, [rnoise], dq, 1, wa.IVM, rnoise=rnoise)
    np.testing.assert_array_equal(got, [[0.25, 0.0, 0.0, 0.0, 0.0]])


def test_bad_calls_are_refused():
    a = np.ones((2, 2), np.float32)
    with pytest.raises(ValueError, match="VAR_RNOISE"):
        wa.drizzle_weights(a, [], None, 0, wa.IVM)
    with pytest.raises(ValueError, match="at most 4"):
        wa.drizzle_weights(a, [a] * 5, None, 0, wa.CONSTANT)


@pytest.mark.parametrize("dtype", [np.float64, np.int16, np.float16])
def test_checks_of_other_dtypes_are_judged_in_their_own_type(dtype):
    rng = np.random.default_rng(7)
    sci = noisy(rng, (9, 11))
    err = rng.normal(0.0, 1.0, (9, 11)).astype(dtype)
    if np.issubdtype(dtype, np.floating):
        err[0, :3] = [np.nan, np.inf, -np.inf]
        if dtype == np.float64:
            err[1, :2] = [1e300, -1e39]  # finite in float64, inf in float32: the pixel stays usable
    got = wa.drizzle_weights(sci, [err], None, 0, wa.CONSTANT, 3.0)
    assert got.tobytes() == numpy_weights(sci, [err], None, 0, wa.CONSTANT, 3.0).tobytes()
    if dtype == np.float64:
        assert (got[1, :2] == np.where(np.isfinite(sci[1, :2]), 3.0, 0.0)).all()
