import numpy as np
import pytest

from jwcal.algorithms import fix_int_times as alg


def test_exposure_times_from_first_and_last_rows():
    numbers = np.array([1, 2, 3])
    start, end = np.array([10.0, 11.0, 12.0]), np.array([10.5, 11.5, 12.5])
    assert alg.exposure_times(numbers, start, end, 3) == {"start": 10.0, "end": 12.5, "mid": 11.25}
    # a middle segment determines nothing; a first segment only the start
    assert alg.exposure_times(numbers + 5, start, end, 20) == {}
    assert alg.exposure_times(numbers, start, end, 20) == {"start": 10.0}
    # row order does not matter
    assert alg.exposure_times(numbers[::-1], start[::-1], end[::-1], 3)["end"] == 12.5


def test_correction_interpolates_and_refuses_to_extrapolate():
    t, c = np.array([2.0, 1.0, 3.0]), np.array([20.0, 10.0, 30.0])
    assert alg.correction_at(1.5, t, c) == pytest.approx(15.0)
    assert alg.correction_at(3.0, t, c) == pytest.approx(30.0)
    assert alg.correction_at(3.5, t, c) is None
    assert alg.correction_at(1.0, np.array([]), np.array([])) is None
