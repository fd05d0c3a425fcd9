import numpy as np
import pytest

from jwcal.algorithms import dark


def test_average_frames_matches_loop():
    rng = np.random.default_rng(4)
    frames = rng.normal(0, 5, (20, 3, 4)).astype(np.float32)
    frames[0, 0, 0] = np.nan
    got = dark.average_frames(frames, ngroups=3, nframes=4, groupgap=2)
    clean = np.nan_to_num(frames)
    want = np.stack([clean[0:4].mean(0), clean[6:10].mean(0), clean[12:16].mean(0)])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(ValueError):
        dark.average_frames(frames, ngroups=4, nframes=4, groupgap=2)


def test_subtract_matches_numpy_and_miri_integrations():
    rng = np.random.default_rng(5)
    data = rng.normal(100, 5, (3, 2, 4, 5)).astype(np.float32)
    d3 = rng.normal(0, 2, (4, 4, 5)).astype(np.float32)
    before = data.copy()
    np.testing.assert_allclose(dark.subtract_dark(data, d3), data - d3[None, :2], rtol=1e-6)
    d4 = rng.normal(0, 2, (2, 2, 4, 5)).astype(np.float32)
    got = dark.subtract_dark(data, d4)
    want = data - d4[[0, 1, 1]]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(dark.subtract_dark(data, d4, first_int_is_one=False), data - d4[[1, 1, 1]])
    np.testing.assert_array_equal(data, before)


def test_subtractor_per_group_plane_equals_the_whole_ramp_result():
    rng = np.random.default_rng(6)
    data = rng.normal(100, 5, (3, 2, 4, 5)).astype(np.float32)
    d4 = rng.normal(0, 2, (2, 3, 4, 5)).astype(np.float32)
    d4[1, 1, 2, 3] = np.nan
    subtract = dark.dark_subtractor(d4, data.shape)
    whole = dark.subtract_dark(data, d4)
    np.testing.assert_array_equal(whole, data - np.nan_to_num(d4)[[0, 1, 1], :2])
    for i in range(3):
        for g in range(2):
            np.testing.assert_array_equal(subtract(data[i, g], i, g), whole[i, g])
    with pytest.raises(ValueError):
        dark.dark_subtractor(d4[:, :1], data.shape)
