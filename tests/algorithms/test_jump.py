"""The numba jump kernels against the plain-numpy oracle, and truth recovery on synthetic ramps."""

import numpy as np
import pytest

from jwcal.algorithms import jump as alg
from tests.factories import jump as fj

MODES = {"iterative": alg.MODE_ITERATIVE, "single": alg.MODE_SINGLE_PASS, "sigclip": alg.MODE_SIGCLIP_INTS}


def _both(data, gdq, gain, rn, mode="iterative", **kw):
    names = {"thr4": "rejection_threshold", "thr3": "four_group_rejection_threshold",
             "thr2": "three_group_rejection_threshold", "nbr_min": "min_jump_to_flag_neighbors",
             "nbr_max": "max_jump_to_flag_neighbors", "e1": "after_jump_flag_e1", "n1": "after_jump_flag_n1",
             "e2": "after_jump_flag_e2", "n2": "after_jump_flag_n2"}
    ours = alg.two_point_difference(data, gdq, gain, rn, mode=MODES[mode],
                                    **{names.get(k, k): v for k, v in kw.items()})
    ref = fj.numpy_two_point(data, gdq, gain, rn, mode=mode, **kw)
    return ours, ref


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("nints", "ngroups"), [(1, 3), (1, 4), (1, 5), (2, 3), (3, 6)])
def test_iterative_matches_numpy(seed, nints, ngroups):
    data, gdq, gain, rn, _ = fj.ramp_cube(seed, nints=nints, ngroups=ngroups, ncr=10)
    (out, n), (ref, nref) = _both(data, gdq, gain, rn)
    np.testing.assert_array_equal(out, ref)
    assert n == nref


@pytest.mark.parametrize(("nints", "ngroups"), [(1, 3), (1, 4), (1, 5), (1, 10), (2, 6)])
def test_row_kernel_matches_numpy_on_hard_pixels(nints, ngroups):
    # several pixel blocks and row bands; every path of the row kernel: clean pixels, cosmic-ray
    # candidates, non-finite differences, saturated and DO_NOT_USE groups, ties, bad gain
    data, gdq, gain, rn, _ = fj.ramp_cube(11, nints=nints, ngroups=ngroups, ny=70, nx=600, rate=5.0, ncr=3000)
    rng = np.random.default_rng(3)
    ny, nx = data.shape[2:]
    for _ in range(300):
        i, g, y, x = rng.integers(nints), rng.integers(ngroups), rng.integers(ny), rng.integers(nx)
        gdq[i, g:, y, x] |= fj.SAT
        gdq[rng.integers(nints), rng.integers(ngroups), rng.integers(ny), rng.integers(nx)] |= fj.DNU
        data[rng.integers(nints), rng.integers(ngroups), rng.integers(ny), rng.integers(nx)] = np.nan
    data[:, :, 5, :40] = np.arange(ngroups, dtype=np.float32)[None, :, None] * 7  # every difference equal
    data[:, :, 6, :40] = 3.0  # every difference 0
    data[:, :, 7, :40] = np.arange(ngroups, dtype=np.float32)[None, :, None] * np.float32(-50)
    data[:, ngroups // 2:, 8, :40] -= 4000.0  # negative jumps
    gain[9, :30] = 0.0
    gain[9, 30:60] = np.nan
    ref, nref = fj.numpy_two_point(data, gdq, gain, rn, e1=0.0, n1=1)
    for threads in (1, 2):
        out, n = alg.two_point_difference(data, gdq, gain, rn, after_jump_flag_e1=0.0, after_jump_flag_n1=1,
                                          threads=threads)
        np.testing.assert_array_equal(out, ref)
        assert n == nref
    assert nref > 1000


def test_single_pass_and_flags_match_numpy():
    data, gdq, gain, rn, _ = fj.ramp_cube(3, nints=1, ngroups=14, ncr=10)
    gdq[0, 5:, 2, 3] = fj.SAT
    gdq[0, :, 4, 4] = fj.DNU
    gdq[0, 7, 6, 6] = fj.JUMP  # pre-existing flag is counted and kept
    (out, n), (ref, nref) = _both(data, gdq, gain, rn, mode="single", e1=100.0, n1=2, e2=5000.0, n2=5)
    np.testing.assert_array_equal(out, ref)
    assert n == nref
    assert out[0, 7, 6, 6] & fj.JUMP


def test_sigma_clipping_matches_numpy():
    data, gdq, gain, rn, _ = fj.ramp_cube(4, nints=12, ngroups=3, ny=6, nx=7, ncr=8)
    (out, n), (ref, nref) = _both(data, gdq, gain, rn, mode="sigclip", flag_4_neighbors=False)
    np.testing.assert_array_equal(out, ref)
    assert n == nref


def test_after_jump_and_neighbours_match_numpy():
    data, gdq, gain, rn, _ = fj.ramp_cube(5, nints=2, ngroups=8, ncr=12)
    (out, _), (ref, _) = _both(data, gdq, gain, rn, e1=300.0, n1=1, e2=2000.0, n2=3, nbr_min=5.0,
                               nbr_max=200.0)
    np.testing.assert_array_equal(out, ref)


def test_recovers_injected_jumps_and_does_not_touch_inputs():
    data, gdq, gain, rn, truth = fj.ramp_cube(7, nints=2, ngroups=8, ny=30, nx=30, ncr=40)
    before = data.copy(), gdq.copy()
    out, _ = alg.two_point_difference(data, gdq, gain, rn, flag_4_neighbors=False)
    np.testing.assert_array_equal(data, before[0])
    np.testing.assert_array_equal(gdq, before[1])
    found = sum(bool(out[t] & fj.JUMP) for t in truth)
    assert found == len(truth)
    flagged = np.count_nonzero(out & fj.JUMP)
    assert flagged - found <= 0.002 * out.size


def test_negative_jump_and_saturated_group_never_flagged():
    data, gdq, gain, rn, _ = fj.ramp_cube(8, nints=1, ngroups=6, ncr=0)
    data[0, 3:, 1, 1] -= 2000
    data[0, 4:, 2, 2] += 5000
    gdq[0, 4:, 2, 2] = fj.SAT
    out, _ = alg.two_point_difference(data, gdq, gain, rn, flag_4_neighbors=False)
    assert out[0, 3, 1, 1] & fj.JUMP
    assert not np.any(out[0, :, 2, 2] & fj.JUMP)


def test_bad_gain_gives_no_jumps():
    data, gdq, gain, rn, _ = fj.ramp_cube(9, nints=1, ngroups=5, ncr=0)
    data[0, 2:, 0, 0] += 4000
    data[0, 2:, 0, 1] += 4000
    gain[0, 0], gain[0, 1] = np.nan, 0.0
    out, _ = alg.two_point_difference(data, gdq, gain, rn, flag_4_neighbors=False)
    assert not np.any(out[:, :, 0, :2] & fj.JUMP)


def test_choose_mode_follows_stcal_rules():
    none = np.zeros((2, 5), bool)
    assert alg.choose_mode(2, 5, none) == alg.MODE_ITERATIVE
    assert alg.choose_mode(1, 11, np.zeros((1, 11), bool)) == alg.MODE_SINGLE_PASS
    assert alg.choose_mode(100, 3, np.zeros((100, 3), bool)) == alg.MODE_SIGCLIP_INTS
    assert alg.choose_mode(40, 3, np.zeros((40, 3), bool), only_use_ints=False) == alg.MODE_SIGCLIP_ALL
    one_dnu = none.copy()
    one_dnu[1, 0] = True
    assert alg.choose_mode(2, 3, one_dnu[:, :3]) is None


def test_all_dnu_groups_and_threads():
    gdq = np.zeros((2, 3, 4, 4), np.uint8)
    gdq[1, 2] = fj.DNU
    np.testing.assert_array_equal(alg.all_dnu_groups(gdq), [[0, 0, 0], [0, 0, 1]])
    assert alg.resolve_threads("none") == 1
    assert alg.resolve_threads("all") >= 1
    with pytest.raises(ValueError):
        alg.resolve_threads("lots")


@pytest.mark.parametrize(("nints", "ngroups"), [(1, 5), (2, 8), (1, 14)])
def test_agrees_with_stcal(nints, ngroups):
    """Optional: stcal's detect_jumps_data on the same tiny cube (flags agree on >= 99.5 % of pixels)."""
    pytest.importorskip("stcal")
    from stcal.jump.jump import detect_jumps_data
    from stcal.jump.jump_class import JumpData

    data, gdq, gain, rn, _ = fj.ramp_cube(11, nints=nints, ngroups=ngroups, ny=40, nx=30, ncr=40)
    gdq[0, ngroups - 2:, 3:6, 3:6] = fj.SAT
    flags = {"GOOD": 0, "DO_NOT_USE": 1, "SATURATED": 2, "JUMP_DET": 4, "NO_GAIN_VALUE": 524288,
             "REFERENCE_PIXEL": 2147483648}
    jump_data = JumpData(gain2d=gain.copy(), rnoise2d=rn.copy(), dqflags=flags)
    jump_data.init_arrays_from_arrays(data.copy(), gdq.copy(), np.zeros(gain.shape, np.uint32))
    jump_data.nframes, jump_data.max_cores = 1, "1"
    jump_data.dt_group, jump_data.n_reads_groupdiff = np.ones(1), np.full(1, 2.0)
    theirs, _, n_theirs, _ = detect_jumps_data(jump_data)
    mode = alg.choose_mode(nints, ngroups, alg.all_dnu_groups(gdq))
    ours, n_ours = alg.two_point_difference(data, gdq, gain, rn, mode=mode)
    same = np.all((ours & fj.JUMP) == (theirs & fj.JUMP), axis=(0, 1))
    assert same.mean() >= 0.995
    assert n_ours == n_theirs


def _two_group_numpy(data, gdq, gain, rn, threshold=5.0):
    """Oracle for the multi-integration 2-group rule."""
    d = (data[:, 1].astype(np.float32) - data[:, 0]) * gain
    d = np.where(((gdq[:, 0] | gdq[:, 1]) & (fj.SAT | fj.DNU)) != 0, np.nan, d).astype(np.float64)
    rn2 = (rn.astype(np.float32) * gain).astype(np.float64) ** 2
    out = gdq.copy()
    if d.shape[0] >= 3:
        ref = np.nanmedian(d, axis=0)
        hit = d - ref > threshold * np.sqrt(np.abs(ref) + rn2)
    else:
        low = np.minimum(d[0], d[1])
        big = np.abs(d[0] - d[1]) > threshold * np.sqrt(2 * (np.abs(low) + rn2))
        hit = np.stack([big & (d[0] > d[1]), big & (d[1] >= d[0])])
    out[:, 1][hit] |= fj.JUMP
    return out


@pytest.mark.parametrize("nints", [2, 3, 5])
def test_two_group_matches_numpy_and_finds_truth(nints):
    data, gdq, gain, rn, truth = fj.ramp_cube(12, nints=nints, ngroups=2, ny=20, nx=20, ncr=6,
                                              cr_amplitude=(300.0, 3000.0))
    truth = [t for t in truth if t[1] == 1]
    out, n = alg.two_group_jumps(data, gdq, gain, rn)
    np.testing.assert_array_equal(out, _two_group_numpy(data, gdq, gain, rn))
    assert n == np.count_nonzero(out & fj.JUMP)
    assert all(out[t] & fj.JUMP for t in truth)


def test_two_group_single_integration_flags_sharp_hits_not_smooth_sources():
    data, gdq, gain, rn, _ = fj.ramp_cube(13, nints=1, ngroups=2, ny=30, nx=30, ncr=0)
    data[0, 1, 10, 10] += 2000  # cosmic ray: one pixel
    yy, xx = np.mgrid[:30, :30]
    star = 3000 * np.exp(-((yy - 20) ** 2 + (xx - 20) ** 2) / (2 * 0.9 ** 2))
    data[0, 1] += star.astype(np.float32)
    out, _ = alg.two_group_jumps(data, gdq, gain, rn)
    assert out[0, 1, 10, 10] & fj.JUMP
    assert not np.any(out[0, 1, 17:24, 17:24] & fj.JUMP)


def test_jump_warm_up_loads_its_kernels():
    from jwcal.algorithms import jump

    jump.warm_up()
    assert jump._iterative_rows.signatures and jump._secondary_rows.signatures
