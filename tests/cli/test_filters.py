import gc
import weakref
from pathlib import Path

from jwcal.cli.filters import run_filter


def test_previous_exposure_is_freed_before_the_next_is_processed(uncal_file, tmp_path):
    stream = tmp_path / "stream.fits"
    stream.write_bytes(Path(uncal_file).read_bytes() * 3)
    seen = []

    def process(exposure):
        gc.collect()
        alive = [ref() is not None for ref in seen]
        seen.append(weakref.ref(exposure))
        assert not any(alive), "an earlier exposure is still in memory"
        return exposure

    assert run_filter(str(stream), str(tmp_path / "out.fits"), False, process) == 3
    assert (tmp_path / "out.fits").read_bytes() == stream.read_bytes()
