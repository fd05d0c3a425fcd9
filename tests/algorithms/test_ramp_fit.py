"""The ramp-fitting kernel against a plain-numpy reference, special cases, and truth recovery."""

import math

import numpy as np
import pytest

from jwcal import dq
from jwcal.algorithms.ramp_fit import _POWERS, _snr_index, _weight_table, fit_ramps

DNU, SAT, JUMP, PERS = dq.DO_NOT_USE, dq.SATURATED, dq.JUMP_DET, dq.PERSISTENCE
T = 10.0


def _power(snr):
    edges = [(100, 10.0), (50, 6.0), (20, 3.0), (10, 1.0), (5, 0.4)]
    return next((p for edge, p in edges if snr >= edge), 0.0)


def _reference_pixel(y, gdq, pdq, gain, rn_cds, t=T, nframes=1, suppress=True):
    """Straightforward per-pixel OLS (stcal's rules, written plainly). y, gdq: (nints, ngroups)."""
    nints, ngroups = y.shape
    y = y.astype(float).copy()
    gdq = gdq.astype(int).copy()
    pdq = int(pdq)
    if not gain > 0:
        pdq |= DNU | dq.PIXEL["NO_GAIN_VALUE"]
    rn = rn_cds * gain / math.sqrt(2 * nframes)
    flags = [int(np.bitwise_or.reduce(gdq[i])) for i in range(nints)]
    gdq &= ~PERS
    y[(gdq & SAT) != 0] = np.nan
    for i in range(nints):
        if suppress and np.sum(gdq[i] == 0) == 1:
            gdq[i] |= DNU
    medians = []
    for i in range(nints):
        v = np.where(gdq[i] & DNU, np.nan, y[i] / t)
        d = np.diff(v)
        d[(gdq[i, 1:] & JUMP) != 0] = np.nan
        d = d[~np.isnan(d)]
        m = np.median(d) if d.size else (v[0] if not np.isnan(v[0]) else np.nan)
        medians.append(0.0 if np.isnan(m) else m)
    med = np.mean(medians)
    prate = med if med > 0 else 0.0
    ints = []
    tot_p = tot_r = tot_num = 0.0
    for i in range(nints):
        idq = pdq | (flags[i] & (JUMP | PERS))
        g = gdq[i]
        if g[0] & SAT:
            ints.append((np.nan, idq | DNU | SAT, 0.0, 0.0, 0.0))
            continue
        if np.all(g & (DNU | SAT)):
            idq |= DNU | (SAT if np.all(g & SAT) else 0)
            ints.append((np.nan, idq, 0.0, 0.0, 0.0))
            continue
        segs, k = [], 0
        while k < ngroups:
            if g[k] == 0:
                s = k - 1 if k > 0 and g[k - 1] == JUMP else k
                while k < ngroups and g[k] == 0:
                    k += 1
                segs.append((s, k - s))
            else:
                k += 1
        if len(segs) > 1:
            segs = [sg for sg in segs if sg[1] > 1] or segs[:1]
        inv_r = inv_p = inv_e = num = 0.0
        for s, n in segs:
            seg = y[i, s:s + n]
            if n == 1:
                slope, vp, vr = seg[0] / t, prate / (t * gain), 2 * rn**2 / (t**2 * gain**2)
            elif n == 2:
                slope, vp, vr = (seg[1] - seg[0]) / t, prate / (t * gain), 2 * rn**2 / (t**2 * gain**2)
            else:
                delta = (seg[-1] - seg[0]) * gain
                snr = max(delta / math.sqrt(rn**2 + delta), 0.0) if rn**2 + delta > 0 else 0.0
                c = (n - 1) / 2
                w = np.abs((np.arange(n) - c) / c) ** _power(snr) / rn**2
                x = np.arange(s, s + n, dtype=float)
                slope = np.polyfit(x, seg, 1, w=np.sqrt(w))[0] / t
                vp = prate / (t * gain * (n - 1))
                vr = 12 * rn**2 / (t**2 * (n**3 - n) * gain**2)
            inv_r += 1 / vr
            inv_p += 1 / vp if vp > 0 else 0.0
            inv_e += 1 / (vp + vr)
            num += slope / vr
        tot_p, tot_r, tot_num = tot_p + inv_p, tot_r + inv_r, tot_num + num
        if idq & (DNU | SAT):
            ints.append((np.nan, idq, 0.0, 0.0, 0.0))
        else:
            ints.append((num / inv_r, idq, 1 / inv_p if inv_p else 0.0, 1 / inv_r, math.sqrt(1 / inv_e)))
    rdq = pdq | int(np.bitwise_or.reduce([f & (JUMP | PERS) for f in flags]))
    if all(r[1] & DNU for r in ints):
        rdq |= DNU
    if all(r[1] & SAT for r in ints):
        rdq |= SAT
    if rdq & (DNU | SAT):
        rate = (np.nan, 0.0, 0.0, 0.0)
    else:
        vp = 1 / tot_p if tot_p else 0.0
        rate = (tot_num / tot_r, vp, 1 / tot_r, math.sqrt(vp + 1 / tot_r))
    for i in range(nints):
        if flags[i] & SAT:
            ints[i] = (ints[i][0], ints[i][1] | SAT, *ints[i][2:])
            rdq |= SAT
    return rate, rdq, ints


def _fit(y, gdq, pdq=None, gain=2.0, rn=10.0, **kw):
    ny, nx = y.shape[2:]
    pdq = np.zeros((ny, nx), np.uint32) if pdq is None else pdq
    return fit_ramps(y.astype(np.float32), gdq.astype(np.uint8), pdq, np.full((ny, nx), gain, np.float32),
                     np.full((ny, nx), rn, np.float32), group_time=T, frame_time=T, **kw)


def _random_ramps(seed, nints=2, ngroups=7, ny=6, nx=7):
    rng = np.random.default_rng(seed)
    rate = rng.uniform(-1, 300, size=(ny, nx))
    g = np.arange(ngroups)[None, :, None, None]
    y = 500 + rate * T * (g + 1) + rng.normal(0, 8, size=(nints, ngroups, ny, nx))
    choices = np.array([0] * 30 + [JUMP, SAT, DNU, PERS, JUMP | PERS, dq.DROPOUT], np.uint8)
    gdq = rng.choice(choices, size=y.shape)
    # saturation is sticky: once saturated, every later group is too
    gdq |= (np.cumsum((gdq & SAT) != 0, axis=1) > 0).astype(np.uint8) * SAT
    return y.astype(np.float32), gdq


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("suppress", [True, False])
def test_kernel_matches_plain_reference(seed, suppress):
    y, gdq = _random_ramps(seed)
    pdq = np.zeros(y.shape[2:], np.uint32)
    pdq[0, 0] = DNU
    pdq[1, 1] = dq.PIXEL["HOT"]
    out = _fit(y, gdq, pdq, suppress_one_group=suppress)
    rate, ints = out["rate"], out["rateints"]
    for r in range(y.shape[2]):
        for c in range(y.shape[3]):
            ref, rdq, ref_ints = _reference_pixel(y[:, :, r, c], gdq[:, :, r, c], pdq[r, c], 2.0, 10.0,
                                                  suppress=suppress)
            got = (rate["SCI"][r, c], rate["VAR_POISSON"][r, c], rate["VAR_RNOISE"][r, c], rate["ERR"][r, c])
            np.testing.assert_allclose(got, ref, rtol=2e-5, atol=1e-7, err_msg=f"pixel {r},{c}")
            assert rate["DQ"][r, c] == rdq, (r, c)
            for i, (s, idq, vp, vr, err) in enumerate(ref_ints):
                got = (ints["SCI"][i, r, c], ints["VAR_POISSON"][i, r, c], ints["VAR_RNOISE"][i, r, c],
                       ints["ERR"][i, r, c])
                np.testing.assert_allclose(got, (s, vp, vr, err), rtol=2e-5, atol=1e-7,
                                           err_msg=f"int {i} pixel {r},{c}")
                assert ints["DQ"][i, r, c] == idq, (i, r, c)


def test_snr_power_table_lower_bounds_inclusive():
    for snr in (0, 4.99, 5, 9.99, 10, 19.9, 20, 49, 50, 99, 100, 1e4):
        assert _POWERS[_snr_index(snr)] == _power(snr)


def test_weight_table_holds_the_optimal_weights_of_every_segment_length():
    table = _weight_table(12)
    for p, power in enumerate(_POWERS):
        for n in range(3, 13):
            mid = (n - 1) / 2.0
            expected = np.abs((np.arange(n) - mid) / mid) ** power
            np.testing.assert_allclose(table[p, n, :n], expected, rtol=1e-15, atol=0)


def test_recovers_linear_rate_and_variance_formulas():
    nints, ngroups, ny, nx = 1, 10, 2, 3
    g = np.arange(ngroups)[None, :, None, None]
    y = np.broadcast_to(100 + 7.5 * T * g, (nints, ngroups, ny, nx)).astype(np.float32)
    out = _fit(y, np.zeros(y.shape, np.uint8), gain=2.0, rn=10.0)["rate"]
    np.testing.assert_allclose(out["SCI"], 7.5, rtol=1e-6)
    rn_e2 = (10.0 * 2.0) ** 2 / 2.0
    expected = 12 * rn_e2 / (T**2 * (ngroups**3 - ngroups) * 4.0)
    np.testing.assert_allclose(out["VAR_RNOISE"], expected, rtol=1e-6)
    np.testing.assert_allclose(out["VAR_POISSON"], 7.5 / (T * 2.0 * (ngroups - 1)), rtol=1e-6)
    np.testing.assert_allclose(out["ERR"] ** 2, out["VAR_POISSON"] + out["VAR_RNOISE"], rtol=1e-6)
    assert (out["DQ"] == 0).all()


def test_noisy_truth_rate_within_error():
    rng = np.random.default_rng(5)
    nints, ngroups, ny, nx = 2, 8, 40, 40
    gain, rn_cds, rate = 2.0, 12.0, 20.0
    sigma_read = rn_cds / math.sqrt(2)  # per read, DN
    electrons = rng.poisson(rate * T * gain, size=(nints, ngroups, ny, nx)).cumsum(axis=1) / gain
    y = (300 + electrons + rng.normal(0, sigma_read, electrons.shape)).astype(np.float32)
    out = _fit(y, np.zeros(y.shape, np.uint8), gain=gain, rn=rn_cds)["rate"]
    pull = (out["SCI"] - rate) / out["ERR"]
    assert abs(np.mean(out["SCI"]) - rate) < 3 * np.std(out["SCI"]) / math.sqrt(ny * nx)
    assert 0.7 < np.std(pull) < 1.3


def test_jump_splits_segments_and_keeps_rate():
    ngroups = 8
    g = np.arange(ngroups)[None, :, None, None]
    y = (100 + 5 * T * g + np.zeros((1, ngroups, 1, 2))).astype(np.float32)
    y[0, 4:, 0, 0] += 800
    gdq = np.zeros(y.shape, np.uint8)
    gdq[0, 4, 0, 0] = JUMP
    out = _fit(y, gdq)
    assert out["rate"]["SCI"][0, 0] == pytest.approx(5.0, rel=1e-6)
    assert out["rate"]["DQ"][0, 0] == JUMP and out["rate"]["DQ"][0, 1] == 0
    assert out["rate"]["VAR_RNOISE"][0, 0] > out["rate"]["VAR_RNOISE"][0, 1]


def _one_pixel(flags, ngroups=4, nints=1):
    g = np.arange(ngroups)[None, :, None, None]
    y = (100 + 5 * T * g + np.zeros((nints, ngroups, 1, 1))).astype(np.float32)
    gdq = np.zeros(y.shape, np.uint8)
    gdq[0, :, 0, 0] = flags
    return y, gdq


def test_special_cases():
    # first group saturated: NaN, DNU|SAT
    out = _fit(*_one_pixel([SAT, SAT, SAT, SAT]))["rate"]
    assert np.isnan(out["SCI"][0, 0]) and out["DQ"][0, 0] == DNU | SAT and out["ERR"][0, 0] == 0
    # only group 0 good, suppressed (default): NaN, DNU|SAT
    out = _fit(*_one_pixel([0, SAT, SAT, SAT]))["rate"]
    assert np.isnan(out["SCI"][0, 0]) and out["DQ"][0, 0] == DNU | SAT
    # not suppressed: d0 / ((nframes + 1) * tframe / 2), SATURATED
    out = _fit(*_one_pixel([0, SAT, SAT, SAT]), suppress_one_group=False)["rate"]
    assert out["SCI"][0, 0] == pytest.approx(100 / T) and out["DQ"][0, 0] == SAT
    # partial saturation keeps the slope and flags SATURATED
    out = _fit(*_one_pixel([0, 0, 0, SAT]))["rate"]
    assert out["SCI"][0, 0] == pytest.approx(5.0) and out["DQ"][0, 0] == SAT
    # every group DO_NOT_USE
    out = _fit(*_one_pixel([DNU] * 4))["rate"]
    assert np.isnan(out["SCI"][0, 0]) and out["DQ"][0, 0] == DNU
    # two groups
    out = _fit(*_one_pixel([0, 0], ngroups=2))["rate"]
    assert out["SCI"][0, 0] == pytest.approx(5.0)
    assert out["VAR_RNOISE"][0, 0] == pytest.approx(2 * 200 / (T**2 * 4))
    # bad gain
    y, gdq = _one_pixel([0, 0, 0, 0])
    out = _fit(y, gdq, gain=0.0)["rate"]
    assert np.isnan(out["SCI"][0, 0]) and out["DQ"][0, 0] == DNU | dq.PIXEL["NO_GAIN_VALUE"]


def test_one_bad_integration_of_two():
    y, gdq = _one_pixel([SAT, SAT, SAT, SAT], nints=2)
    out = _fit(y, gdq)
    assert out["rate"]["SCI"][0, 0] == pytest.approx(5.0)
    assert out["rate"]["DQ"][0, 0] == SAT  # partial saturation of the exposure
    assert np.isnan(out["rateints"]["SCI"][0, 0, 0]) and out["rateints"]["DQ"][0, 0, 0] == DNU | SAT
    assert out["rateints"]["SCI"][1, 0, 0] == pytest.approx(5.0)


def test_inputs_not_modified():
    y, gdq = _random_ramps(3)
    y0, g0 = y.copy(), gdq.copy()
    _fit(y, gdq)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(gdq, g0)


@pytest.mark.parametrize("ngroups", [3, 4, 10])
def test_clean_row_path_gives_the_bits_of_the_per_pixel_path(ngroups):
    """One integration without --rateints takes the column-wise path for clean pixels; with
    rateints every pixel takes the per-pixel path. Both must give the same bits everywhere."""
    rng = np.random.default_rng(ngroups)
    ny, nx = 6, 257
    rates = rng.choice([0.0, 0.05, 1.0, 30.0, 800.0], size=(ny, nx)) * rng.uniform(0.5, 1.5, (ny, nx))
    g = np.arange(ngroups)[None, :, None, None]
    data = (1000.0 + rates[None, None] * 10.7 * g + rng.normal(0, 5, (1, ngroups, ny, nx))).astype(np.float32)
    groupdq = np.zeros(data.shape, np.uint8)
    flagged = rng.random((ny, nx)) < 0.2
    groupdq[0, rng.integers(0, ngroups, flagged.sum()), *np.nonzero(flagged)] = dq.JUMP_DET
    pixeldq = np.where(rng.random((ny, nx)) < 0.05, dq.DO_NOT_USE, 0).astype(np.uint32)
    gain = rng.uniform(1.5, 2.5, (ny, nx)).astype(np.float32)
    gain[0, :3] = 0.0
    data[0, 1, 1, 5] = np.nan
    readnoise = rng.uniform(5, 15, (ny, nx)).astype(np.float32)
    args = (data, groupdq, pixeldq, gain, readnoise)
    kw = dict(group_time=10.7, frame_time=10.7, nframes=1)
    fast = fit_ramps(*args, rateints=False, **kw)["rate"]
    slow = fit_ramps(*args, rateints=True, **kw)["rate"]
    for name in ("SCI", "ERR", "VAR_POISSON", "VAR_RNOISE", "DQ"):
        np.testing.assert_array_equal(fast[name], slow[name], err_msg=name)
