import pytest

from jwcal.errors import UnsupportedError
from jwcal.exposure import HDU, Exposure
from jwcal.steps import fix_int_times as step
from tests.factories import rate_hdulist
from tests.factories.header_fixes import int_times_hdulist


def _exposure(hdulist):
    hdus = []
    for h in hdulist:
        kind = "table" if h.name == "INT_TIMES" else "image"
        hdus.append(HDU(header=h.header.copy(), data=None if h.data is None else h.data.copy(), kind=kind))
    return Exposure(hdus)


def test_differences_are_the_header_offsets_in_seconds():
    diffs = step.differences(_exposure(int_times_hdulist(header_offset_s=1.7)))
    assert set(diffs) == {"EXPSTART", "EXPMID", "EXPEND", "BSTRTIME", "BMIDTIME", "BENDTIME", "BARTDELT"}
    for key, value in diffs.items():
        assert value == pytest.approx(1.7, abs=2e-3), key


def test_run_fixes_and_is_idempotent():
    exposure = step.run(_exposure(int_times_hdulist()))
    assert all(abs(v) < 1e-4 for v in step.differences(exposure).values())
    assert "old EXPSTART" in str(exposure.primary["HISTORY"])
    text = exposure.primary.tostring()
    assert step.run(exposure).primary.tostring() == text


def test_segment_sets_only_what_its_rows_determine():
    exposure = _exposure(int_times_hdulist(nints=3, first=4, total=10))
    assert set(step.differences(exposure)) == set()
    exposure = _exposure(int_times_hdulist(nints=3, first=1, total=10))
    assert set(step.differences(exposure)) == {"EXPSTART", "BSTRTIME"}


def test_without_int_times_is_unsupported_or_skipped():
    with pytest.raises(UnsupportedError):
        step.run(_exposure(rate_hdulist()))
    out = step.run(_exposure(rate_hdulist()), skip_unsupported=True)
    assert out.primary["S_INTTIM"] == "SKIPPED"
