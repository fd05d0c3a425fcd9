"""Outlier-detection arrays: median, derivative, thresholds and flags against plain numpy/astropy."""

import math
import warnings

import numpy as np
import pytest

from jwcal import dq as dqflags
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


def abs_deriv_reference(image):
    """Largest |difference| of each pixel to its four edge neighbours; NaN differences ignored."""
    image = np.asarray(image, dtype=np.float32)
    out = np.zeros(image.shape, dtype=np.float32)
    nan = np.isnan(image)
    for diff, a, b in (
        (np.abs(image[1:, :] - image[:-1, :]), (slice(1, None), slice(None)), (slice(None, -1), slice(None))),
        (np.abs(image[:, 1:] - image[:, :-1]), (slice(None), slice(1, None)), (slice(None), slice(None, -1))),
    ):
        d = np.where(np.isnan(diff), 0.0, diff)
        np.maximum(out[a], d, out=out[a])
        np.maximum(out[b], d, out=out[b])
    out[nan] = np.nan
    return out


def flag_resampled_reference(sci, blot, err, *, backg=0.0, snr=(5.0, 4.0), scale=(1.2, 0.7)):
    """The whole-array numpy version of the two-threshold test with a 3x3 dilation (edges replicated)."""
    sci = np.asarray(sci, dtype=np.float32)
    blot = np.asarray(blot, dtype=np.float32)
    err = np.nan_to_num(np.asarray(err, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    deriv = abs_deriv_reference(blot)
    diff = np.abs(sci - blot - np.float32(backg))
    with np.errstate(invalid="ignore"):
        mask1 = diff > scale[0] * deriv + snr[0] * err
        mask2 = diff > scale[1] * deriv + snr[1] * err
    padded = np.pad(mask1, 1, mode="edge")
    ny, nx = mask1.shape
    dilated = np.zeros_like(mask1)
    for dy in range(3):
        for dx in range(3):
            dilated |= padded[dy:dy + ny, dx:dx + nx]
    return dilated & mask2


def test_abs_deriv_reference_matches_a_neighbour_loop():
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
    np.testing.assert_allclose(abs_deriv_reference(image), ref, rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("shape", [(1, 1), (2, 9), (37, 41)])
def test_flag_resampled_is_the_numpy_version(shape):
    rng = np.random.default_rng(shape[0])
    blot = rng.normal(10, 2, shape).astype(np.float32)
    sci = blot + rng.normal(0, 1, shape).astype(np.float32)
    spikes = rng.random(shape) < 0.08
    sci[spikes] += rng.uniform(3, 30, spikes.sum()).astype(np.float32)
    err = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    for array, fraction, value in ((blot, 0.03, np.nan), (sci, 0.03, np.nan), (err, 0.03, np.nan),
                                   (err, 0.01, np.inf), (err, 0.01, -np.inf), (blot, 0.01, np.inf)):
        array[rng.random(shape) < fraction] = value
    for backg, snr, scale in ((0.0, (5.0, 4.0), (1.2, 0.7)), (0.3, (3.0, 2.5), (0.5, 0.2))):
        ref = flag_resampled_reference(sci, blot, err, backg=backg, snr=snr, scale=scale)
        got = alg.flag_resampled(sci, blot, err, backg=backg, snr=snr, scale=scale)
        np.testing.assert_array_equal(got, ref)
    assert shape == (1, 1) or ref.any()


def mark_outliers_reference(outliers, dq, sci, others):
    sci = np.array(sci, dtype=np.float32)
    dq = np.array(dq, dtype=np.uint32)
    dq[outliers] |= np.uint32(dqflags.OUTLIER | dqflags.DO_NOT_USE)
    others = [np.array(a, dtype=np.float32) for a in others]
    nan = ~np.isfinite(sci)
    for a in others:
        nan |= ~np.isfinite(a)
    dq[nan] |= np.uint32(dqflags.DO_NOT_USE)
    bad = (dq & np.uint32(dqflags.DO_NOT_USE)) != 0
    for a in (sci, *others):
        a[bad] = np.nan
    return dq, sci, others


@pytest.mark.parametrize("nothers", [0, 1, 4])
def test_mark_outliers_is_the_numpy_version(nothers):
    rng = np.random.default_rng(nothers)
    shape = (13, 17)
    outliers = rng.random(shape) < 0.1
    dq = rng.choice(np.array([0, 1, 4, 2**30], np.uint32), shape, p=[0.85, 0.05, 0.05, 0.05])
    sci = rng.normal(size=shape).astype(np.float32)
    sci[rng.random(shape) < 0.05] = np.nan
    others = [rng.normal(size=shape).astype(np.float32) for _ in range(nothers)]
    for a in others:
        a[rng.random(shape) < 0.05] = np.inf
    before = [a.copy() for a in (dq, sci, *others)]
    got = alg.mark_outliers(outliers, dq, sci, others)
    ref = mark_outliers_reference(outliers, dq, sci, others)
    np.testing.assert_array_equal(got[0], ref[0])
    for a, b in zip((got[1], *got[2]), (ref[1], *ref[2]), strict=True):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    for a, b in zip(before, (dq, sci, *others), strict=True):  # inputs untouched
        np.testing.assert_array_equal(a, b)
    no_dq = alg.mark_outliers(outliers, None, sci, others)[0]
    np.testing.assert_array_equal(no_dq, mark_outliers_reference(outliers, np.zeros(shape), sci, others)[0])


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


def same(got, ref):
    """The clipped mean agrees with the numpy loop to 1e-12 (its sums are not numpy's pairwise ones)."""
    return got == pytest.approx(ref, rel=1e-12, abs=1e-300) or (math.isnan(got) and math.isnan(ref))


@pytest.mark.parametrize("kind", ["normal", "tails", "ties", "sorted", "constant", "tiny"])
def test_clipped_mean_is_the_numpy_loop(kind):
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
    for maxiters in (0, 1, 5, 20):
        ref = clipped_mean_reference(values, maxiters=maxiters)
        assert same(alg.clipped_mean(values, maxiters=maxiters), ref)
    assert math.isnan(alg.clipped_mean(np.array([np.nan, np.inf])))


@pytest.mark.parametrize("kind", ["normal", "misleading sample", "ties", "sorted", "float32"])
def test_clipped_mean_of_many_values_is_the_numpy_loop(kind):
    # Past _SMALL values the medians come from a bracket gathered once around the sample median (with
    # a fallback when the regular sample misleads it or a chunk overflows); the result must not change.
    rng = np.random.default_rng(9)
    n = alg._SMALL + 3 * alg._CHUNK + 11
    values = rng.normal(1000, 5, n)
    values[rng.random(n) < 0.002] = 1e5
    values[rng.random(n) < 0.001] = -3e4
    if kind == "misleading sample":
        values[:: n // alg._SAMPLE] = 1e9  # every sampled value is an extreme one
    if kind == "ties":
        values = np.round(values / 4)
    if kind == "sorted":
        values = np.sort(values)  # the bracket is in a few chunks: they overflow
    if kind == "float32":
        values = values.astype(np.float32)
    assert same(alg.clipped_mean(values), clipped_mean_reference(values))


def test_stats_pass_is_the_numpy_masked_sums():
    rng = np.random.default_rng(11)
    flat = rng.normal(5, 2, 3 * alg._CHUNK + 17)
    flat[rng.random(flat.size) < 0.05] = 0.0
    flat[rng.random(flat.size) < 0.01] = np.nan
    flat[:3] = [np.inf, -np.inf, 1e30]
    for skip_zero, vlo, vhi, low in ((True, -alg._BIG, alg._BIG, 4.0), (False, 1.5, 8.25, 5.0)):
        stats = np.zeros((4, 4))
        alg._stats_pass(flat, skip_zero, vlo, vhi, 5.5, low, stats)
        with np.errstate(invalid="ignore"):
            keep = (flat >= vlo) & (flat <= vhi) & ((flat != 0) | (not skip_zero))
        d = flat[keep] - 5.5
        np.testing.assert_array_equal(stats[:, 0], [keep[c * alg._CHUNK:(c + 1) * alg._CHUNK].sum()
                                                    for c in range(4)])
        assert stats[:, 1].sum() == pytest.approx(d.sum(), rel=1e-12)
        assert stats[:, 2].sum() == pytest.approx((d * d).sum(), rel=1e-12)
        assert stats[:, 3].sum() == (flat[keep] < low).sum()


def test_gather_pass_collects_the_bracket_per_chunk_and_reports_overflow():
    rng = np.random.default_rng(12)
    flat = rng.normal(0, 1, 2 * alg._CHUNK + 5)
    flat[::7] = np.nan
    counts = np.zeros(3, np.int64)
    inside = np.full(3 * 4000, np.nan)
    alg._gather_pass(flat, 0.05, 0.1, inside, 4000, counts)
    with np.errstate(invalid="ignore"):
        keep = np.abs(flat - 0.05) <= 0.1
    for c in range(3):
        expected = flat[c * alg._CHUNK:(c + 1) * alg._CHUNK][keep[c * alg._CHUNK:(c + 1) * alg._CHUNK]]
        assert counts[c] == expected.size
        np.testing.assert_array_equal(inside[c * 4000:c * 4000 + counts[c]], expected)
    np.testing.assert_array_equal(alg._gather(inside, counts, 4000), flat[keep])
    alg._gather_pass(flat, 0.0, 1.0, inside, 4000, counts)
    assert (counts[:2] > 4000).all()  # more than fit: counted anyway


def test_kept_interval_decides_like_the_clips_one_after_the_other():
    rng = np.random.default_rng(13)
    for _ in range(200):
        n = int(rng.integers(1, 4))
        centres = list(rng.normal(1e5, 1, n) * 10.0 ** rng.integers(-3, 4))
        limits = [float(abs(c)) * float(rng.uniform(1e-4, 1e-2)) for c in centres]
        inner = float(centres[-1])
        if not all(abs(inner - c) <= lim for c, lim in zip(centres, limits, strict=True)):
            continue
        lo, hi = alg._kept_interval(centres, limits, inner)
        for end, outward in ((lo, -np.inf), (hi, np.inf)):
            beyond = float(np.nextafter(end, outward))
            assert all(abs(end - c) <= lim for c, lim in zip(centres, limits, strict=True))
            assert not all(abs(beyond - c) <= lim for c, lim in zip(centres, limits, strict=True))
    assert alg._kept_interval([0.0], [np.inf], 0.0) == (-alg._BIG, alg._BIG)
    assert alg._kept_interval([0.0], [1.0], 5.0) == (np.inf, -np.inf)
    for v in (-2.5, -0.0, 0.0, 1e-300, 3.0, alg._BIG, -alg._BIG):
        assert alg._unorder(alg._order(v)) == v


def test_count_range_counts_below_and_up_to():
    values = np.array([3.0, 1.0, 2.0, 2.0, 5.0])
    assert alg._count_range(values, 2.0, 3.0) == (1, 4)


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


def test_weight_threshold_ignores_zero_and_non_finite_weights():
    rng = np.random.default_rng(6)
    for dtype in (np.float32, np.float64):
        wht = rng.normal(50, 2, (40, 30)).astype(dtype)
        wht[:3] = 0
        wht[5, 5] = np.nan
        good = wht[np.isfinite(wht) & (wht != 0)]
        assert same(alg.weight_threshold(wht, 0.7), 0.7 * clipped_mean_reference(good))
    assert alg.weight_threshold(np.zeros((3, 3)), 0.7) == 0.0


def test_masked_mean_is_the_numpy_division_with_masks():
    rng = np.random.default_rng(8)
    wsum = rng.uniform(-0.5, 3, (23, 19))
    wsum[0, :4] = [0, np.nan, 0.7, 0.69]
    dsum = rng.normal(size=wsum.shape) * wsum
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = (dsum / wsum).astype(np.float32)
    ref[(wsum <= 0) | (wsum < 0.7)] = np.nan
    np.testing.assert_array_equal(alg.masked_mean(dsum, wsum, 0.7), ref)


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


def test_mark_outliers_needs_one_shape():
    with pytest.raises(ValueError, match="one shape"):
        alg.mark_outliers(np.zeros((2, 3), bool), None, np.zeros((2, 3)), [np.zeros((3, 2))])


def test_small_median_network_is_the_sorted_median_for_every_order():
    import itertools

    cases = ([3.0], [2.0, -1.0], [5.0, 1.0, 3.0], [4.0, 1.0, 4.0], [7.0, -2.0, 3.0, 1.0], [2.0, 2, 1, 9])
    for values in cases:
        for order in itertools.permutations(values):
            stack = np.array(order, np.float32).reshape(-1, 1, 1)
            assert alg.nanmedian_stack(stack)[0, 0] == np.float32(np.median(values))
