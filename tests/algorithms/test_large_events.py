"""Snowballs and showers (``jwcal.algorithms.large_events``) against stcal's rules and numpy oracles."""

import numpy as np
import pytest

from jwcal.algorithms import jump as alg
from jwcal.algorithms import large_events
from tests.factories import jump as fj

# ----------------------------------------------------------------------------------------------
# NIR snowballs


def _snowball_cube():
    data, gdq, gain, rn, _ = fj.ramp_cube(3, nints=2, ngroups=6, ny=70, nx=64, ncr=20)
    yy, xx = np.mgrid[:70, :64]
    for cy, cx, g, i, outer, core in [(30, 30, 3, 0, 7, 3.5), (50, 20, 2, 1, 5, 2.9), (5, 40, 4, 0, 4, 0)]:
        d = np.hypot(yy - cy, xx - cx)
        data[i, g:][:, d < outer] += 8000
        gdq[i, g:][:, d < core] |= fj.SAT
    return data, gdq, gain, rn


def test_snowballs_as_stcal():
    """Counts and flag totals that stcal 1.20's flag_large_events gives on this cube (run once, recorded)."""
    data, gdq, gain, rn = _snowball_cube()
    out, n = alg.two_point_difference(data, gdq, gain, rn)
    grown, events = large_events.flag_snowballs(out, persist_groups=3)
    assert (n, events) == (226, 18)
    assert np.count_nonzero(grown & fj.SAT) == 387
    assert np.count_nonzero(grown & fj.JUMP) == 1159
    # the first integration's core is flagged in groups 1-2 of the second
    assert grown[1, 1, 30, 30] & fj.JUMP and grown[1, 2, 30, 30] & fj.JUMP
    assert not grown[1, 3, 30, 30] & fj.JUMP


def test_blob_ellipses_and_drawing():
    mask = np.zeros((40, 40), bool)
    rows, cols = large_events.ellipse_pixels(20, 20, 8, 3, mask.shape, 30.0)
    mask[rows, cols] = True
    ((x, y), (minor, major), angle), = large_events.blob_ellipses(mask, 5)
    assert (x, y) == pytest.approx((20, 20))
    assert major + 1 == pytest.approx(16, rel=0.1) and minor + 1 == pytest.approx(6, rel=0.15)
    assert angle == pytest.approx(30, abs=3)
    assert large_events.blob_ellipses(mask, mask.sum() + 1) == []


# ----------------------------------------------------------------------------------------------
# MIRI showers


def test_ring_kernel_matches_astropy_ring():
    from astropy.convolution import Ring2DKernel

    ours = large_events.ring_kernel(1.0, 2.6)
    ref = Ring2DKernel(1.0, 2.6).array
    assert ours.shape == ref.shape == (9, 9)
    np.testing.assert_array_equal(ours > 0, ref > 0)


def test_masked_convolve_matches_numpy_loop():
    rng = np.random.default_rng(1)
    image = rng.normal(size=(17, 15))
    image[rng.random(image.shape) < 0.15] = np.nan
    kernel = large_events.ring_kernel(1.0, 2.6)
    np.testing.assert_allclose(large_events.masked_convolve(image, kernel),
                               fj.numpy_masked_convolve(image, kernel),
                               rtol=1e-10, atol=1e-12, equal_nan=True)


def _showers(data, gdq, gain, rn, **kw):
    pixeldq = np.zeros(data.shape[2:], np.uint32)
    return large_events.find_showers(data * gain, data, gdq, pixeldq, rn * gain, extend_min_area=90, **kw)


def test_find_showers_flags_faint_halo_and_not_clean_ramp():
    data, gdq, gain, rn, footprint = fj.shower_cube()
    before = gdq.copy()
    out, n = _showers(data, gdq, gain, rn, groups_masked_after=1)
    np.testing.assert_array_equal(gdq, before)
    assert n >= 1
    flagged = out[0, 4] & fj.JUMP != 0
    assert flagged[footprint].mean() > 0.8
    assert (out[0, 5] & fj.JUMP != 0)[footprint].mean() > 0.8   # group after the shower
    assert not (out[0, 6] & fj.JUMP).any() and not (out[1] & fj.JUMP).any()
    assert flagged[~footprint].mean() < 0.1
    clean, _, _, _, _ = fj.shower_cube(shower=False)
    out, n = _showers(clean, gdq, gain, rn)
    assert n == 0 and not out.any()


def test_find_showers_amplitude_cap_and_too_few_differences():
    data, gdq, gain, rn, _footprint = fj.shower_cube()
    out, n = _showers(data, gdq, gain, rn, max_shower_amplitude_dn=1e-6)
    assert n >= 1 and not (out & fj.JUMP).any()        # every change too large: flags undone
    data1 = data[:1]
    out, n = _showers(data1, gdq[:1], gain, rn)       # 7 differences < 10: nothing done
    assert n == 0 and not out.any()


def test_find_showers_agrees_with_stcal():
    jump_mod = pytest.importorskip("stcal.jump.jump")
    jump_class = pytest.importorskip("stcal.jump.jump_class")
    data, gdq, gain, rn, _ = fj.shower_cube(gain=1.0, seed=4)
    pixeldq = np.zeros(data.shape[2:], np.uint32)
    jd = jump_class.JumpData(gain2d=gain, rnoise2d=rn, dqflags={
        "GOOD": 0, "DO_NOT_USE": 1, "SATURATED": 2, "JUMP_DET": 4, "NO_GAIN_VALUE": 524288,
        "REFERENCE_PIXEL": 2147483648})
    jd.nframes = 1
    jd.minimum_sigclip_groups = 100
    jd.extend_ellipse_expand_ratio = 1.1
    jd.grps_masked_after_shower = 1
    jd.max_shower_amplitude = 6.0
    jd.max_extended_width = 400
    ref, n_ref = jump_mod.find_faint_extended(data, gdq, pixeldq, rn, jd)
    ours, n = large_events.find_showers(data, data, gdq, pixeldq, rn, extend_ellipse_expand_ratio=1.1,
                               groups_masked_after=1, max_shower_amplitude_dn=6.0, max_extended_width=400)
    assert n == n_ref >= 1
    agree = np.mean((ours & fj.JUMP) == (ref & fj.JUMP))
    assert agree > 0.999, agree


def test_find_showers_sigclip_path_agrees_with_stcal():
    jump_mod = pytest.importorskip("stcal.jump.jump")
    jump_class = pytest.importorskip("stcal.jump.jump_class")
    data, gdq, gain, rn, footprint = fj.shower_cube(gain=1.0, seed=5, nints=4, ngroups=5, group=3, peak=60.0)
    pixeldq = np.zeros(data.shape[2:], np.uint32)
    jd = jump_class.JumpData(gain2d=gain, rnoise2d=rn, dqflags={
        "GOOD": 0, "DO_NOT_USE": 1, "SATURATED": 2, "JUMP_DET": 4, "NO_GAIN_VALUE": 524288,
        "REFERENCE_PIXEL": 2147483648})
    jd.nframes, jd.minimum_sigclip_groups, jd.extend_ellipse_expand_ratio = 1, 4, 1.1
    jd.grps_masked_after_shower, jd.max_shower_amplitude, jd.max_extended_width = 0, 1e9, 400
    ref, n_ref = jump_mod.find_faint_extended(data, gdq, pixeldq, rn, jd)
    ours, n = large_events.find_showers(data, data, gdq, pixeldq, rn, minimum_sigclip_groups=4,
                               extend_ellipse_expand_ratio=1.1, max_extended_width=400)
    assert n == n_ref
    assert np.mean((ours & fj.JUMP) == (ref & fj.JUMP)) > 0.999
    assert (ours[0, 3] & fj.JUMP != 0)[footprint].mean() > 0.5
