import numpy as np
import pytest
from astropy.io import fits

from jwcal import dq
from jwcal.errors import MissingExtensionError, UsageError
from jwcal.exposure import HDU, Exposure
from jwcal.steps import preview as step


def _exposure(**arrays):
    images = [HDU.image(name, data) for name, data in arrays.items()]
    return Exposure([HDU(header=fits.Header(), data=None), *images])


def test_rate_image_is_flipped_and_scaled():
    image = np.arange(20, dtype=np.float32).reshape(4, 5)
    out = step.run(_exposure(SCI=image), stretch="linear")
    assert out.shape == (4, 5) and out.dtype == np.uint8
    assert out[-1, 0] < out[0, -1]  # FITS row 0 (small values) at the bottom
    assert (np.diff(out[::-1].ravel().astype(int)) >= 0).all()  # monotonic in the input


def test_ramp_group_selection_and_range():
    ramp = np.zeros((2, 3, 4, 4), dtype=np.uint16)
    ramp[1, 2] = np.arange(16).reshape(4, 4)
    exposure = _exposure(SCI=ramp)
    assert step.run(exposure, integration=1, group=2).max() == 255
    assert step.run(exposure, integration=0, group=0).max() == 0
    with pytest.raises(UsageError, match="group"):
        step.run(exposure, group=3)
    with pytest.raises(UsageError, match="integration"):
        step.run(exposure, integration=-3)


def test_dq_overlay_for_rate_and_ramp():
    image = np.ones((3, 3), dtype=np.float32)
    flags = np.zeros((3, 3), dtype=np.uint32)
    flags[0, 0] = dq.SATURATED
    out = step.run(_exposure(SCI=image, DQ=flags), dq=True)
    assert out.shape == (3, 3, 3)
    assert tuple(out[-1, 0]) != tuple(out[0, 0])
    with pytest.raises(MissingExtensionError):
        step.run(_exposure(SCI=image), dq=True)
    ramp = np.zeros((1, 2, 3, 3), dtype=np.uint16)
    groupdq = np.zeros((1, 2, 3, 3), dtype=np.uint8)
    groupdq[0, 1, 1, 1] = dq.JUMP_DET
    out = step.run(_exposure(SCI=ramp, PIXELDQ=np.zeros((3, 3), np.uint32), GROUPDQ=groupdq), dq=True)
    assert tuple(out[1, 1]) != tuple(out[0, 0])
