import numpy as np
import pytest
from scipy import ndimage

from jwcal import dq
from jwcal.algorithms import saturation

SAT, DNU, FLOOR = dq.SATURATED, dq.DO_NOT_USE, dq.AD_FLOOR


def _reference(data, gdq, thresh, ref_dq, n, frames):
    """Plain-numpy version of jwst/stcal's flag_saturated_pixels."""
    thresh, no_check, bits = saturation.thresholds(thresh, ref_dq)
    gdq = gdq.copy()
    nints, ngroups = data.shape[:2]
    box = np.ones((2 * n + 1, 2 * n + 1), bool)
    for i in range(nints):
        for g in range(ngroups):
            gdq[i, g:] |= np.where(data[i, g] >= thresh, SAT, 0).astype(np.uint8)
            gdq[i, g] |= np.where(data[i, g] <= 0, FLOOR | DNU, 0).astype(np.uint8)
            if n > 0:
                grown = ndimage.binary_dilation((gdq[i, g] & SAT) != 0, structure=box)
                gdq[i, g] |= (grown * SAT).astype(np.uint8)
        for g in range(ngroups - 2, -1, -1):
            factor = 1.0 if frames is None else np.mean(frames[g]) / frames[g][-1]
            factor = np.where(no_check, 1.0, factor)
            this, nxt = gdq[i, g], gdq[i, g + 1]
            hit = (data[i, g] >= thresh * factor) & (this & SAT == 0) & (this & DNU == 0) & (nxt & SAT != 0)
            if n > 0:
                hit = ndimage.binary_dilation(hit, structure=box)
            gdq[i, g] |= (hit * DNU).astype(np.uint8)
        if frames is not None and ngroups > 2:
            m = data[i, 0] / np.mean(frames[0]) * frames[2][-1] < thresh
            m &= data[i, 1] > thresh / len(frames[1])
            m &= (gdq[i, 2] & SAT != 0) & (gdq[i, 1] & SAT == 0)
            gdq[i, 1] |= (m * DNU).astype(np.uint8)
    return gdq, bits


@pytest.mark.parametrize("n", [0, 1, 2])
@pytest.mark.parametrize("nframes", [1, 4])
def test_kernel_matches_numpy_reference(n, nframes):
    rng = np.random.default_rng(3)
    data = rng.uniform(-50, 3000, (2, 6, 11, 13)).astype(np.float32)
    data = np.cumsum(data, axis=1).astype(np.float32) - 100
    gdq = (rng.random(data.shape) < 0.05).astype(np.uint8) * np.uint8(DNU)
    thresh = rng.uniform(4000, 12000, (11, 13)).astype(np.float32)
    thresh[0, 0] = np.nan
    ref_dq = np.zeros((11, 13), np.uint32)
    ref_dq[5, 5] = dq.PIXEL["NO_SAT_CHECK"]
    frames = saturation.read_pattern(6, nframes, 1) if nframes > 1 else None
    before = gdq.copy()
    got, bits = saturation.flag_saturation(data, gdq, thresh, ref_dq, n_pix_grow_sat=n, frames=frames)
    want, want_bits = _reference(data, gdq, thresh, ref_dq, n, frames)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(bits, want_bits)
    np.testing.assert_array_equal(gdq, before)
    assert np.isnan(thresh[0, 0]) and ref_dq[0, 0] == 0  # inputs not mutated


def test_saturation_propagates_and_grows():
    data = np.full((1, 4, 7, 7), 100.0, np.float32)
    data[0, 2:, 3, 3] = 6000.0
    gdq, bits = saturation.flag_saturation(data, np.zeros(data.shape, np.uint8), np.full((7, 7), 5000.0),
                                           np.zeros((7, 7), np.uint32), n_pix_grow_sat=1)
    assert (gdq[0, :2] == 0).all()
    for g in (2, 3):
        assert (gdq[0, g, 2:5, 2:5] == SAT).all() and gdq[0, g].astype(bool).sum() == 9
    assert (bits == 0).all()


def test_no_sat_check_and_floor():
    data = np.full((1, 3, 4, 4), 9000.0, np.float32)
    data[0, 0, 1, 1] = 0.0
    ref_dq = np.full((4, 4), dq.PIXEL["NO_SAT_CHECK"], np.uint32)
    gdq, bits = saturation.flag_saturation(data, np.zeros(data.shape, np.uint8), np.full((4, 4), 5000.0),
                                           ref_dq)
    assert gdq[0, 0, 1, 1] == FLOOR | DNU and gdq.sum() == FLOOR | DNU
    assert (bits == dq.PIXEL["NO_SAT_CHECK"]).all()


def test_zeroframe_zeroed_where_saturated():
    zero = np.full((1, 5, 5), 100.0, np.float32)
    zero[0, 2, 2] = 9000.0
    out = saturation.zeroframe_flags(zero, np.full((5, 5), 5000.0), np.zeros((5, 5), np.uint32))
    assert (out[0, 1:4, 1:4] == 0).all() and out.sum() == 100.0 * 16
