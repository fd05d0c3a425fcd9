import gc
import weakref
from pathlib import Path

from jwcal.cli.filters import run_filter
from jwcal.io import reader


def test_previous_exposure_is_freed_before_the_next_is_read(uncal_file, tmp_path, monkeypatch):
    stream = tmp_path / "stream.fits"
    stream.write_bytes(Path(uncal_file).read_bytes() * 3)
    seen = []
    alive_while_reading = []
    original_data = reader._Walker.data

    def data(self, layout):
        gc.collect()
        alive_while_reading.append(sum(ref() is not None for ref in seen))
        return original_data(self, layout)

    def process(exposure):
        seen.append(weakref.ref(exposure))
        return exposure

    monkeypatch.setattr(reader._Walker, "data", data)
    assert run_filter(str(stream), str(tmp_path / "out.fits"), False, process) == 3
    assert (tmp_path / "out.fits").read_bytes() == stream.read_bytes()
    assert len(alive_while_reading) == 9  # SCI, INT_TIMES, ASDF of three exposures
    assert max(alive_while_reading) == 0, "an earlier exposure was still in memory while reading"


def test_warm_up_finishes_before_processing_and_its_failure_is_harmless(uncal_file, tmp_path, capfd):
    events = []

    def failing_warm_up():
        events.append("warm-up")
        raise RuntimeError("no kernels today")

    def process(exposure):
        events.append("process")
        return exposure

    assert run_filter(uncal_file, str(tmp_path / "out.fits"), False, process, warm_up=failing_warm_up) == 1
    assert events == ["warm-up", "process"]
    assert "Traceback" not in capfd.readouterr().err

