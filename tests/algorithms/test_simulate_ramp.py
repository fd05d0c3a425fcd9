import math

import numpy as np

from jwcal.algorithms import simulate_ramp as alg


def test_frame_layout_maps_frames_to_first_affected_group():
    group, total = alg.frame_layout(ngroups=3, nframes=2, groupgap=1)
    # frames: 1 2 | 3 gap | 4 5 | 6 gap | 7 8
    assert total == 8
    assert list(group[1:]) == [0, 0, 1, 1, 1, 2, 2, 2]


def test_moffat_integrates_to_one():
    y, x = np.mgrid[-200:201, -200:201]
    assert abs(alg.moffat(y, x, 2.0).sum() - 1.0) < 2e-3


def test_pink_rows_rms_and_spectrum():
    series = alg.pink_rows(np.random.default_rng(1), 4, 4096, 2.0)
    assert series.shape == (4, 4096)
    assert np.allclose(series.std(axis=1), 2.0, rtol=1e-4)
    power = np.abs(np.fft.rfft(series, axis=1)) ** 2
    low, high = power[:, 1:20].mean(), power[:, 1000:2000].mean()
    assert low > 30 * high


def test_cosmic_ray_deposits_conserve_charge_inside_the_array():
    rng = np.random.default_rng(2)
    events, dep = alg.cosmic_rays(rng, (200, 200), 10, n_events=300, median_charge=1000.0,
                                  neighbour_fraction=0.02)
    assert events["frame"].min() >= 1 and events["frame"].max() <= 10
    inside = [(e, q) for e, q in enumerate(events["charge"])
              if 6 <= events["y"][e] < 194 and 6 <= events["x"][e] < 194]
    for e, q in inside:
        assert math.isclose(dep["charge"][dep["event"] == e].sum(), q, rel_tol=1e-9)
    assert (dep["y"] >= 0).all() and (dep["y"] < 200).all()


def test_integration_without_noise_is_bias_plus_linear_charge():
    shape = (8, 8)
    rate = np.full(shape, 0.0)
    rate[2, 3] = 1e6  # saturates
    bias = np.full(shape, 1000.0)
    out = alg.integration(np.random.default_rng(0), rate=rate, gain=np.full(shape, 2.0), bias=bias,
                          sat_level=np.full(shape, 5000.0), sigma_frame=np.zeros(shape),
                          row_noise=np.zeros((5, 1, 8), np.float32), amp_of_column=np.zeros(8, int),
                          deposits={k: np.zeros(0, int) for k in ("frame", "y", "x", "charge")},
                          ngroups=3, nframes=1, groupgap=1, tframe=1.0)
    assert out["sci"].dtype == np.uint16 and out["sci"].shape == (3, 8, 8)
    assert (out["sci"][:, 0, 0] == 1000).all()
    assert (out["sci"][:, 2, 3] == 5000).all()
    assert out["satgroup"][2, 3] == 0 and out["satgroup"][0, 0] == -1


def test_integration_cosmic_ray_lands_in_its_frame():
    shape = (4, 4)
    deposits = {"frame": np.array([3]), "y": np.array([1]), "x": np.array([2]), "charge": np.array([400.0])}
    out = alg.integration(np.random.default_rng(0), rate=np.zeros(shape), gain=np.full(shape, 2.0),
                          bias=np.zeros(shape), sat_level=np.full(shape, 6e4), sigma_frame=np.zeros(shape),
                          row_noise=np.zeros((6, 1, 4), np.float32), amp_of_column=np.zeros(4, int),
                          deposits=deposits, ngroups=3, nframes=2, groupgap=0, tframe=1.0)
    # frames 1,2 -> group 0; 3,4 -> group 1 (hit in frame 3: both frames) ; 5,6 -> group 2
    assert list(out["sci"][:, 1, 2]) == [0, 200, 200]


def test_nonlinear_signal_inverts_the_correction_polynomial():
    linear = np.linspace(0.0, 60000.0, 61, dtype=np.float32)
    c2, c3 = np.float32(1.6e-6), np.float32(5.5e-12)
    m = alg.nonlinear_signal(linear, c2, c3).astype(float)
    back = m + float(c2) * m ** 2 + float(c3) * m ** 3
    np.testing.assert_allclose(back, linear, atol=0.05)
    assert 0.90 < m[-1] / linear[-1] < 0.95  # several per cent non-linear near saturation
