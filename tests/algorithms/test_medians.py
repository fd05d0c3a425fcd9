import numpy as np
import pytest

from jwcal.algorithms.medians import sorted_median


@pytest.mark.parametrize("k", [1, 2, 3, 4, 7, 10])
def test_sorted_median_matches_numpy_on_the_first_k_values(k):
    rng = np.random.default_rng(k)
    values = rng.normal(size=12)
    expected = np.median(values[:k])
    buffer = values.copy()
    assert sorted_median(buffer, k) == pytest.approx(expected, rel=0, abs=0)
    np.testing.assert_array_equal(buffer[:k], np.sort(values[:k]))
    np.testing.assert_array_equal(buffer[k:], values[k:])
