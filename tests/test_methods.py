"""One list per method family (jwcal.methods): the commands offer it, the algorithms implement it."""

import pytest

from jwcal import methods
from jwcal.algorithms import resample as drizzle
from jwcal.algorithms import tweakreg
from jwcal.specs import spec_for


def _choices(stem, name):
    return next(p.choices for p in spec_for(stem).params if p.name == name)


def test_every_kernel_has_a_code_and_the_commands_offer_the_lists():
    assert tuple(drizzle.KERNELS) == methods.DRIZZLE_KERNELS
    assert sorted(drizzle.KERNELS.values()) == list(range(len(methods.DRIZZLE_KERNELS)))
    assert set(methods.FLUX_CONSERVING_KERNELS) <= set(methods.DRIZZLE_KERNELS)
    assert _choices("resample", "kernel") == methods.DRIZZLE_KERNELS
    assert _choices("outlier", "kernel") == methods.FLUX_CONSERVING_KERNELS
    assert _choices("resample", "weight_type") == _choices("outlier", "weight_type") == methods.WEIGHT_TYPES
    assert _choices("tweakreg", "fitgeometry") == _choices("tweakreg", "abs_fitgeometry")
    assert _choices("tweakreg", "fitgeometry") == tweakreg.FIT_GEOMETRIES == methods.FIT_GEOMETRIES
    assert set(tweakreg.MIN_POINTS) == set(methods.FIT_GEOMETRIES)


@pytest.mark.parametrize("kernel", methods.DRIZZLE_KERNELS)
def test_kernel_codes_round_trip(kernel):
    assert methods.DRIZZLE_KERNELS[drizzle.kernel_code(kernel)] == kernel


def test_an_unknown_kernel_is_refused_with_drizzles_message():
    with pytest.raises(ValueError, match=r"^Kernel 'tophat' is not supported\.$"):
        drizzle.kernel_code("tophat")
