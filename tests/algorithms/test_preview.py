import numpy as np
import pytest

from jwcal import dq
from jwcal.algorithms import preview as alg


def test_zscale_brackets_the_bulk_and_ignores_outliers():
    rng = np.random.default_rng(0)
    image = rng.normal(100.0, 5.0, size=(60, 60))
    image[10, 10] = 1e6
    image[20, 20] = np.nan
    low, high = alg.zscale(image)
    assert 70 < low < 100 < high < 130
    assert alg.zscale(np.full((4, 4), np.nan)) == (0.0, 1.0)
    flat_low, flat_high = alg.zscale(np.full((5, 5), 3.0))
    assert flat_low == flat_high == 3.0


def test_zscale_agrees_with_astropy():
    from astropy.visualization import ZScaleInterval

    rng = np.random.default_rng(1)
    image = rng.normal(10.0, 2.0, size=(80, 80)) + np.linspace(0, 3, 80)[None, :]
    ours = np.array(alg.zscale(image))
    theirs = np.array(ZScaleInterval().get_limits(image))
    assert np.allclose(ours, theirs, atol=0.05 * (theirs[1] - theirs[0]))


@pytest.mark.parametrize("kind", alg.STRETCHES)
def test_stretch_is_monotonic_and_maps_ends(kind):
    x = np.linspace(-0.5, 1.5, 501)
    y = alg.stretch(x, kind)
    assert (np.diff(y) >= 0).all()
    assert y[0] == 0.0 and y[-1] == pytest.approx(1.0)
    assert (np.diff(alg.stretch(np.linspace(0, 1, 101), kind)) > 0).all()


def test_to_uint8_and_overlay():
    gray = alg.to_uint8(np.array([[0.0, 5.0], [10.0, np.nan]]), (0.0, 10.0), "linear")
    assert gray.tolist() == [[0, 128], [255, 0]]
    flags = np.array([[dq.SATURATED | dq.DO_NOT_USE, 0], [dq.DO_NOT_USE, dq.JUMP_DET]], dtype=np.uint32)
    rgb = alg.overlay_dq(gray, flags)
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[0, 1]) == (128, 128, 128)
    assert rgb[1, 0, 0] > rgb[1, 0, 1]          # DO_NOT_USE is red
    assert tuple(rgb[0, 0]) != tuple(rgb[1, 0])  # saturation wins over DO_NOT_USE
