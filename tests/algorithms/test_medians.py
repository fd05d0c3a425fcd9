import numpy as np
import pytest

from jwcal.algorithms.medians import rank_median, sorted_median


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7, 10])
def test_sorted_median_matches_numpy_on_the_first_k_values(k):
    rng = np.random.default_rng(k)
    values = rng.normal(size=12)
    expected = np.median(values[:k])
    buffer = values.copy()
    assert sorted_median(buffer, k) == pytest.approx(expected, rel=0, abs=0)
    np.testing.assert_array_equal(buffer[:k], np.sort(values[:k]))
    np.testing.assert_array_equal(buffer[k:], values[k:])


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7, 9, 10, 16])
def test_rank_median_is_the_sorted_median_with_ties_and_signed_zeros(k):
    rng = np.random.default_rng(k)
    for values in (rng.normal(size=20), rng.integers(-2, 3, size=20).astype(float),
                   np.array([0.0, -0.0] * 10)):
        buffer = values.copy()
        got = rank_median(buffer, k)
        np.testing.assert_array_equal(buffer, values)  # left in place
        want = sorted_median(values.copy(), k)
        assert np.array_equal(np.float64(got), np.float64(want)) and np.signbit(got) == np.signbit(want)
        assert got == np.median(values[:k])
