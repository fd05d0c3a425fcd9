"""``jwcal.io.output``: where a tee'd stream may go, and -o directories that vanish on failure."""

import os
import sys

import pytest

from jwcal.errors import UsageError
from jwcal.io.output import output_directory, stdout_is_pipe


def test_stdout_is_pipe_only_for_fifos(monkeypatch, tmp_path):
    read, write = os.pipe()
    try:
        with os.fdopen(write, "w") as pipe:
            monkeypatch.setattr(sys, "stdout", pipe)
            assert stdout_is_pipe()
    finally:
        os.close(read)
    for path in (os.devnull, tmp_path / "plain"):
        with open(path, "w") as handle:
            monkeypatch.setattr(sys, "stdout", handle)
            assert not stdout_is_pipe()
    monkeypatch.setattr(sys, "stdout", None)
    assert not stdout_is_pipe()


def test_output_directory_removes_what_it_made_on_failure(tmp_path):
    with pytest.raises(RuntimeError), output_directory(str(tmp_path / "a" / "b")):
        assert (tmp_path / "a" / "b").is_dir()
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "old").mkdir()
    with pytest.raises(RuntimeError), output_directory(str(tmp_path / "old")):
        raise RuntimeError
    assert (tmp_path / "old").is_dir()  # it was there before: kept
    with output_directory(str(tmp_path / "c")):
        (tmp_path / "c" / "f").write_text("x")
    assert (tmp_path / "c" / "f").exists()
    with pytest.raises(UsageError, match="not a directory"), output_directory(str(tmp_path / "c" / "f")):
        pass


def test_output_directory_keeps_a_directory_that_is_not_empty(tmp_path):
    with pytest.raises(RuntimeError), output_directory(str(tmp_path / "d")):
        (tmp_path / "d" / "other").write_text("someone else's file")
        raise RuntimeError
    assert (tmp_path / "d" / "other").exists()
