import numpy as np
import pytest

from jwcal.algorithms import superbias


def test_subtract_matches_numpy():
    rng = np.random.default_rng(1)
    data = rng.normal(12000, 50, (2, 3, 5, 7)).astype(np.float32)
    bias = rng.normal(10000, 30, (5, 7)).astype(np.float32)
    bias[1, 2] = np.nan
    before = data.copy()
    got = superbias.subtract_bias(data, bias)
    want = data - np.where(np.isnan(bias), 0, bias)[None, None]
    np.testing.assert_array_equal(got, want.astype(np.float32))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(data, before)


def test_zeroframe_keeps_zeros():
    zero = np.array([[[0.0, 5000.0]]], np.float32)
    out = superbias.subtract_bias_zeroframe(zero, np.array([[1000.0, 1000.0]], np.float32))
    np.testing.assert_array_equal(out, [[[0.0, 4000.0]]])


def test_subtractor_on_one_group_plane_equals_the_whole_ramp_result():
    rng = np.random.default_rng(2)
    data = rng.normal(12000, 50, (2, 3, 5, 7)).astype(np.float32)
    bias = rng.normal(10000, 30, (5, 7)).astype(np.float32)
    subtract = superbias.bias_subtractor(bias)
    np.testing.assert_array_equal(subtract(data[1, 2]), superbias.subtract_bias(data, bias)[1, 2])
    with pytest.raises(ValueError):
        subtract(data[..., :4])
