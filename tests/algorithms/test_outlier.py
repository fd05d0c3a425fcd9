"""Outlier-detection arrays: median, derivative, thresholds and flags against plain numpy/astropy."""

import math
import warnings

import numpy as np
import pytest

from jwcal.algorithms import outlier as alg


def test_nanmedian_stack_matches_numpy():
    rng = np.random.default_rng(0)
    stack = rng.normal(size=(5, 7, 9)).astype(np.float32)
    stack[rng.random(stack.shape) < 0.3] = np.nan
    stack[:, 0, 0] = np.nan
    stack[:4, 1, 1] = np.nan  # a single value
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        ref = np.nanmedian(stack, axis=0)
    np.testing.assert_allclose(alg.nanmedian_stack(stack), ref, rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("n", [2, 3, 4, 16, 40])  # 40: past the in-place insertion sort
def test_nanmedian_stack_is_numpy_nanmedian_bit_for_bit(n):
    rng = np.random.default_rng(n)
    stack = rng.normal(size=(n, 6, 7)).astype(np.float32)
    stack[rng.random(stack.shape) < 0.25] = np.nan
    stack[:, 0, 0] = np.nan
    stack[:, 0, 1] = 1.5  # ties
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = np.nanmedian(stack.astype(np.float64), axis=0).astype(np.float32)
    np.testing.assert_array_equal(alg.nanmedian_stack(stack), ref)


def test_nanmedian_of_an_even_count_is_the_mean_of_the_middle_two():
    stack = np.array([1, 2, 10, 20], np.float32).reshape(4, 1, 1)
    assert alg.nanmedian_stack(stack)[0, 0] == 6.0


def test_abs_deriv_matches_a_neighbour_loop():
    rng = np.random.default_rng(1)
    image = rng.normal(size=(6, 8)).astype(np.float32)
    image[2, 3] = np.nan
    ref = np.zeros_like(image)
    ny, nx = image.shape
    for j in range(ny):
        for i in range(nx):
            best = 0.0
            for dj, di in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                jj, ii = j + dj, i + di
                if 0 <= jj < ny and 0 <= ii < nx:
                    d = abs(image[j, i] - image[jj, ii])
                    if np.isfinite(d):
                        best = max(best, d)
            ref[j, i] = best
    ref[2, 3] = np.nan
    np.testing.assert_allclose(alg.abs_deriv(image), ref, rtol=1e-6, equal_nan=True)


def clipped_mean_reference(values, sigma=3.0, maxiters=5):
    """The plain-numpy clipping loop (median, std, boolean compaction) the kernel must reproduce."""
    data = np.asarray(values, dtype=np.float64).ravel()
    data = data[np.isfinite(data)]
    for _ in range(maxiters):
        if data.size == 0:
            break
        centre, std = np.median(data), data.std()
        keep = np.abs(data - centre) <= sigma * std
        if keep.all():
            break
        data = data[keep]
    return float(data.mean()) if data.size else math.nan


@pytest.mark.parametrize("kind", ["normal", "tails", "ties", "sorted", "constant", "tiny"])
def test_clipped_mean_is_the_numpy_loop_bit_for_bit(kind):
    rng = np.random.default_rng(len(kind))
    n = 5003
    values = {
        "normal": rng.normal(100, 3, n),
        "tails": np.concatenate([rng.normal(100, 3, n), rng.normal(100, 80, 300), [1e6, -1e6]]),
        "ties": np.round(rng.normal(10, 4, n)),
        "sorted": np.sort(rng.standard_cauchy(n)),
        "constant": np.full(n, 2.5),
        "tiny": np.array([1.0, 2.0, 40.0]),
    }[kind]
    values = values.copy()
    values[rng.random(values.size) < 0.01] = np.nan
    for maxiters in (1, 5, 20):
        ref = clipped_mean_reference(values, maxiters=maxiters)
        assert alg.clipped_mean(values, maxiters=maxiters) == ref
    assert math.isnan(alg.clipped_mean(np.array([np.nan, np.inf])))


def test_select_leaves_the_rank_in_place_for_any_order():
    rng = np.random.default_rng(3)
    for trial in range(300):
        n = int(rng.integers(1, 200))
        values = rng.normal(size=n) if trial % 3 else np.round(rng.normal(size=n))  # ties every third
        work = values.copy()
        edge = np.zeros(n + 1, dtype=bool)
        edge[[0, n]] = True
        ordered = np.sort(values)
        for rank in rng.integers(0, n, 4):
            assert alg._select(work, edge, int(rank)) == ordered[rank]
        assert np.array_equal(np.sort(work), ordered)


def test_pairwise_sum_is_numpy_sum_bit_for_bit():
    rng = np.random.default_rng(4)
    for n in (1, 7, 8, 9, 127, 128, 129, 1000, 8193, 100003):
        values = rng.normal(1e4, 50, n)
        assert alg._pairwise_sum(values, n, 0.0, False) == values.sum()
        centre = values.mean()
        assert alg._pairwise_sum(values, n, centre, True) == ((values - centre) ** 2).sum()


def test_weight_threshold_ignores_zero_and_non_finite_weights():
    rng = np.random.default_rng(6)
    for dtype in (np.float32, np.float64):
        wht = rng.normal(50, 2, (40, 30)).astype(dtype)
        wht[:3] = 0
        wht[5, 5] = np.nan
        good = wht[np.isfinite(wht) & (wht != 0)]
        assert alg.weight_threshold(wht, 0.7) == 0.7 * clipped_mean_reference(good)
    assert alg.weight_threshold(np.zeros((3, 3)), 0.7) == 0.0


def test_clipped_mean_matches_astropy_sigma_clip():
    astropy_stats = pytest.importorskip("astropy.stats")
    rng = np.random.default_rng(2)
    values = np.concatenate([rng.normal(10, 1, 500), [100, 200, -50]])
    ref = astropy_stats.sigma_clip(values, sigma=3, maxiters=5).mean()
    assert alg.clipped_mean(values) == pytest.approx(float(ref), rel=1e-9)
    assert alg.weight_threshold(np.array([[0, 2, 2], [2, 2, np.nan]]), 0.7) == pytest.approx(1.4)


def test_flag_resampled_finds_a_spike_and_not_a_smooth_gradient():
    y, x = np.mgrid[0:20, 0:20]
    blot = (0.5 * x + 0.2 * y).astype(np.float32)  # steep but smooth: the derivative term protects it
    sci = blot + np.float32(0.3)                    # a 0.3 offset, well inside scale1*deriv
    err = np.full(blot.shape, 0.01, np.float32)
    sci[10, 10] += 5.0
    flags = alg.flag_resampled(sci, blot, err, backg=0.3)
    assert flags[10, 10]
    assert flags.sum() == 1
    blot[5, 5] = np.nan
    assert not alg.flag_resampled(sci, blot, err, backg=0.3)[5, 5]


def test_flag_resampled_second_test_needs_a_neighbourhood_detection():
    blot = np.zeros((9, 9), np.float32)
    err = np.ones_like(blot)
    sci = np.zeros_like(blot)
    sci[4, 4] = 4.5  # above snr2=4 but below snr1=5, and no neighbour above snr1
    assert not alg.flag_resampled(sci, blot, err).any()
    sci[4, 5] = 6.0  # a neighbour passes the first test: both pixels are flagged
    flags = alg.flag_resampled(sci, blot, err)
    assert flags[4, 4] and flags[4, 5] and flags.sum() == 2


def test_flag_median_uses_snr1_times_err():
    median = np.zeros((3, 3), np.float32)
    sci = np.array([[0, 4.9, 5.1], [0, 0, 0], [0, 0, np.nan]], np.float32)
    err = np.ones_like(sci)
    assert alg.flag_median(sci, median, err).sum() == 1
