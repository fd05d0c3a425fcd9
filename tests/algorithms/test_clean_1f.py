import numpy as np

from jwcal.algorithms import clean_1f


def _striped(seed=1, n=128):
    rng = np.random.default_rng(seed)
    img = rng.normal(1.0, 0.05, (n, n))
    img += np.repeat(rng.normal(0, 0.05, (n, 4)), n // 4, axis=1)
    yy, xx = np.mgrid[:n, :n]
    for _ in range(15):
        y0, x0 = rng.uniform(0, n, 2)
        img += 20 * np.exp(-((yy - y0) ** 2 + (xx - x0) ** 2) / 4)
    return img.astype(np.float32)


def test_kernel_matches_numpy_row_medians():
    img = _striped()
    usable = clean_1f.source_mask(img, np.zeros(img.shape, bool))
    before = img.copy()
    got = clean_1f.remove_1f(img, usable)
    want = img.astype(np.float64).copy()
    w = img.shape[1] // 4
    for amp in range(4):
        s = slice(amp * w, (amp + 1) * w)
        level = np.median(img[:, s][usable[:, s]])
        for r in range(img.shape[0]):
            want[r, s] -= np.median(img[r, s][usable[r, s]]) - level
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_array_equal(img, before)


def test_striping_power_drops_sky_kept():
    img = _striped(seed=2)
    usable = clean_1f.source_mask(img, np.zeros(img.shape, bool))
    out = clean_1f.remove_1f(img, usable)
    assert clean_1f.stripe_power(out, usable) < 0.05 * clean_1f.stripe_power(img, usable)
    assert abs(np.median(out[usable]) - np.median(img[usable])) < 0.01
    assert not usable[np.unravel_index(np.argmax(img), img.shape)]  # brightest source masked
