import numpy as np
import pytest

from jwcal import dq
from jwcal.errors import UnsupportedError
from jwcal.steps import dark
from tests.factories import detector1, stage1


def test_frame_averaged_dark_subtracted():
    exp = detector1.ramp(ngroups=3, rate=10.0, bias=0.0, NFRAMES=2, GROUPGAP=1)
    frames = np.arange(1, 9, dtype=np.float32)[:, None, None] * np.ones((8, 8, 9), np.float32)
    bits = np.zeros((8, 9), np.uint32)
    bits[1, 1] = dq.PIXEL["HOT"]
    ref = stage1.to_exposure(detector1.dark_ref(frames, dq_bits=bits, avdrkcur=0.5))
    out = dark.run(exp, dark=ref)
    # groups average frames (1,2), (4,5), (7,8)
    want = exp["SCI"].data[0, :, 0, 0] - np.array([1.5, 4.5, 7.5])
    np.testing.assert_allclose(out["SCI"].data[0, :, 0, 0], want)
    assert out["PIXELDQ"].data[1, 1] == dq.PIXEL["HOT"]
    assert (out["AVDRKCUR"].data == 0.5).all()
    assert out.primary["S_DARK"] == "COMPLETE"
    out2 = dark.run(exp, dark=ref, average_dark_current=0.01)
    np.testing.assert_allclose(out2["AVDRKCUR"].data, 0.01)


def test_short_dark_refused_or_skipped():
    exp = detector1.ramp(ngroups=5)
    ref = stage1.to_exposure(detector1.dark_ref(np.zeros((3, 8, 9))))
    with pytest.raises(UnsupportedError, match="too few"):
        dark.run(exp, dark=ref)
    out = dark.run(exp, dark=ref, skip_unsupported=True)
    assert out.primary["S_DARK"] == "SKIPPED"
    np.testing.assert_array_equal(out["SCI"].data, exp["SCI"].data)
    ref2 = stage1.to_exposure(detector1.dark_ref(np.zeros((10, 8, 9)), nframes=2))
    with pytest.raises(UnsupportedError, match="NFRAMES"):
        dark.run(exp, dark=ref2)
