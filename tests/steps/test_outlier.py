"""steps.outlier.run on simulated exposures with known cosmic rays, without the CLI; DiskStack."""

import numpy as np
import pytest

from jwcal import dq
from jwcal.errors import UnsupportedError, UsageError
from jwcal.io.reader import read_single
from jwcal.steps import outlier
from jwcal.steps.outlier import DiskStack
from tests.factories.resample import make_cal_set, write_set


@pytest.fixture(scope="module")
def calset():
    return make_cal_set(4, shape=(64, 64), nstars=10, ncr=10, seed=5)


@pytest.fixture
def source(calset, tmp_path):
    paths = write_set(calset, tmp_path, asn=False)

    def exposures(headers_only):
        return (read_single(p) for p in paths)

    return exposures


def _near(crs, shape):
    hit = np.zeros(shape, bool)
    hit[crs[:, 0], crs[:, 1]] = True
    near = hit.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            near |= np.roll(np.roll(hit, dy, 0), dx, 1)
    return hit, near


def test_run_flags_the_injected_cosmic_rays_and_not_the_star_cores(calset, source):
    results = list(outlier.run(source))
    assert len(results) == 4
    found = total = core_flags = cores = 0
    for k, exposure in enumerate(results):
        assert exposure.peek_primary()["S_OUTLIR"] == "COMPLETE"
        assert exposure.peek_primary()["FILENAME"].endswith("_crf.fits")
        flags = exposure["DQ"].data
        flagged = (flags & dq.PIXEL["OUTLIER"]) > 0
        assert ((flags[flagged] & (dq.PIXEL["OUTLIER"] | dq.PIXEL["DO_NOT_USE"])) != 0).all()
        assert np.isnan(exposure["SCI"].data[flagged]).all()
        hit, near = _near(calset.crs[k], flagged.shape)
        found += (flagged & hit).sum()
        total += hit.sum()
        core = calset.star_pixels[k] & ~near
        core_flags += (flagged & core).sum()
        cores += core.sum()
    assert found >= 0.85 * total  # misses: CRs on the edges only one exposure covers
    assert core_flags <= 0.002 * cores


def test_run_without_outliers_flags_almost_nothing(tmp_path):
    clean = make_cal_set(4, shape=(64, 64), nstars=10, ncr=0, seed=5)
    paths = write_set(clean, tmp_path, asn=False)
    results = list(outlier.run(lambda headers_only: (read_single(p) for p in paths)))
    flagged = sum(int(((r["DQ"].data & dq.PIXEL["OUTLIER"]) > 0).sum()) for r in results)
    assert flagged <= 0.001 * 4 * 64 * 64


def test_one_input_is_unsupported_and_bad_parameters_are_usage_errors(source):
    first = next(iter(source(False)))
    with pytest.raises(UnsupportedError):
        list(outlier.run([first]))
    with pytest.raises(UsageError):
        list(outlier.run(source, snr="5.0"))
    with pytest.raises(UsageError):
        list(outlier.run(source, kernel="lanczos3"))


def test_disk_stack_median_by_small_row_blocks_equals_the_in_memory_median():
    rng = np.random.default_rng(4)
    shape = (11, 13)
    boxes = [(0, 11, 0, 13), (2, 9, 3, 13), (5, 11, 0, 6)]
    full = np.full((3, *shape), np.nan, np.float32)
    stack = DiskStack(shape)
    try:
        for k, (y0, y1, x0, x1) in enumerate(boxes):
            image = rng.normal(size=(y1 - y0, x1 - x0)).astype(np.float32)
            full[k, y0:y1, x0:x1] = image
            stack.add((y0, y1, x0, x1), image)
        median = stack.median(block_bytes=3 * 13 * 4 * 2)  # two rows per block
    finally:
        stack.close()
    np.testing.assert_allclose(median, np.nanmedian(full, axis=0), rtol=1e-6)
