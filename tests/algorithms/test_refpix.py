import numpy as np
import pytest
from scipy import stats

from jwcal import dq
from jwcal.algorithms import refpix


def _clipped(values):
    if values.size == 0:
        return np.nan
    if np.std(values) == 0:
        return values.mean()
    return stats.sigmaclip(values, 3.0, 3.0)[0].mean()


def _reference_full(data, pdq, odd_even, use_side, length, gain):
    """Plain-numpy version of jwst's NIRDataset.do_fullframe_corrections (detector orientation)."""
    out = data.astype(np.float64).copy()
    good = (pdq & dq.DO_NOT_USE) == 0
    ny, nx = pdq.shape
    width = nx // 4
    length += 1 - length % 2
    half = length // 2
    for i in range(data.shape[0]):
        for g in range(data.shape[1]):
            plane = out[i, g]
            for amp in range(4):
                for p in (range(2) if odd_even else [None]):
                    cols = slice(amp * width + (p or 0), (amp + 1) * width, 2 if odd_even else 1)
                    means = []
                    for rows in (slice(0, 4), slice(ny - 4, ny)):
                        v, m = plane[rows, cols], good[rows, cols]
                        means.append(_clipped(v[m]))
                    plane[:, cols] -= 0.5 * (means[0] + means[1])
            if use_side:
                padded = np.pad(plane, ((half, half), (0, 0)), mode="reflect")
                gpad = np.pad(good, ((half, half), (0, 0)), mode="reflect")
                side = np.zeros(ny)
                for r in range(ny):
                    for cols in (slice(0, 4), slice(nx - 4, nx)):
                        w, m = padded[r:r + length, cols], gpad[r:r + length, cols]
                        side[r] += 0.5 * np.median(w[m])
                plane -= gain * side[:, None]
    return out.astype(np.float32)


@pytest.mark.parametrize(("odd_even", "use_side", "length"),
                         [(True, True, 11), (False, True, 4), (True, False, 11)])
def test_full_frame_matches_numpy_reference(odd_even, use_side, length):
    rng = np.random.default_rng(7)
    data = rng.normal(1000, 10, (2, 2, 40, 48)).astype(np.float32)
    data[0, 1, 1, 5] = 5000  # an outlier in the bottom reference rows, clipped
    pdq = np.zeros((40, 48), np.uint32)
    pdq[2, 7] = pdq[20, 1] = dq.DO_NOT_USE
    before = data.copy()
    got, ok = refpix.correct_full_frame(data, pdq, odd_even_columns=odd_even, use_side_ref_pixels=use_side,
                                        side_smoothing_length=length, side_gain=0.8)
    want = _reference_full(data, pdq, odd_even, use_side, length, 0.8)
    assert ok
    np.testing.assert_allclose(got, want, atol=2e-3)
    np.testing.assert_array_equal(data, before)


def test_removes_amplifier_offsets_and_row_noise():
    rng = np.random.default_rng(8)
    ny, nx = 64, 64
    offsets = np.repeat(rng.normal(0, 50, 8), 8)  # 4 amps x 2 parities
    columns = np.empty(nx)
    for amp in range(4):
        columns[amp * 16:(amp + 1) * 16:2] = offsets[2 * amp]
        columns[amp * 16 + 1:(amp + 1) * 16:2] = offsets[2 * amp + 1]
    rows = np.cumsum(rng.normal(0, 3, ny))  # slow 1/f-like drift per row
    data = (columns[None, :] + rows[:, None] + rng.normal(0, 0.5, (ny, nx)))[None, None].astype(np.float32)
    got, ok = refpix.correct_full_frame(data, np.zeros((ny, nx), np.uint32), side_smoothing_length=1)
    assert ok and np.abs(got[0, 0, 4:-4, 4:-4]).std() < 1.0 < data[0, 0].std()


def test_all_reference_pixels_bad_is_reported():
    data = np.ones((1, 1, 32, 32), np.float32)
    pdq = np.zeros((32, 32), np.uint32)
    pdq[:4, :8] = dq.DO_NOT_USE
    pdq[-4:, :8] = dq.DO_NOT_USE
    got, ok = refpix.correct_full_frame(data, pdq)
    assert not ok and (got == 1).all()


def test_subarray_parity_means():
    rng = np.random.default_rng(9)
    data = rng.normal(0, 1, (1, 2, 10, 12)).astype(np.float32)
    data[..., 0::2] += 100
    data[..., 1::2] += 200
    pdq = np.zeros((10, 12), np.uint32)
    pdq[:4] = dq.REFERENCE_PIXEL
    got, ok = refpix.correct_subarray(data, pdq, column0=0)
    assert ok
    for p in (0, 1):
        means = np.array([_clipped(data[0, g, :4, p::2].ravel()) for g in range(2)])
        want = data[..., p::2] - means[None, :, None, None]
        np.testing.assert_allclose(got[..., p::2], want, atol=1e-4)
    got2, _ = refpix.correct_subarray(data, pdq, column0=1)  # parities swap with the full-frame column
    np.testing.assert_allclose(got2, got, atol=1e-4)
    _, ok = refpix.correct_subarray(data, np.zeros((10, 12), np.uint32), column0=0)
    assert not ok
