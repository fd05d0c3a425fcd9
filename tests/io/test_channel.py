"""In-process pipes of ``jwcal run``: rendezvous, end of stream, failures on either side."""

import threading
import time

import pytest

from jwcal.io.channel import Channel, ReaderGoneError, UpstreamFailedError, bind, release_input


def _writer(channel, items, log, fail=False):
    try:
        for item in items:
            channel.put(item)
            log.append(("returned", item))
    except ReaderGoneError:
        log.append(("reader gone", None))
        return
    channel.close(failed=fail)


def test_put_returns_only_when_the_reader_is_done_with_the_item():
    channel, log = Channel(), []
    writer = threading.Thread(target=_writer, args=(channel, ["a", "b"], log))
    writer.start()
    seen = []
    for item in channel:
        time.sleep(0.05)  # the reader works on the item: the writer must still be waiting
        seen.append((item, list(log)))
    writer.join(5)
    assert seen == [("a", []), ("b", [("returned", "a")])]
    assert log == [("returned", "a"), ("returned", "b")]


def test_release_lets_the_writer_go_on_before_the_next_read():
    channel, log = Channel(), []
    writer = threading.Thread(target=_writer, args=(channel, ["a", "b"], log))
    writer.start()
    iterator = iter(channel)
    assert next(iterator) == "a"
    bind(channel, None)
    try:
        release_input()
    finally:
        bind(None, None)
    deadline = time.monotonic() + 5
    while not log and time.monotonic() < deadline:
        time.sleep(0.01)
    assert log[0] == ("returned", "a")
    assert list(iterator) == ["b"]
    writer.join(5)


def test_a_failed_writer_makes_the_reader_raise_after_the_items_it_sent():
    channel, log = Channel(), []
    writer = threading.Thread(target=_writer, args=(channel, ["a"], log, True))
    writer.start()
    got = []
    with pytest.raises(UpstreamFailedError):
        for item in channel:
            got.append(item)
    writer.join(5)
    assert got == ["a"]


def test_a_reader_that_stops_makes_the_writer_see_a_closed_pipe():
    channel, log = Channel(), []
    writer = threading.Thread(target=_writer, args=(channel, ["a", "b", "c"], log))
    writer.start()
    for item in channel:
        assert item == "a"
        break
    writer.join(5)
    assert not writer.is_alive()
    assert log[-1] == ("reader gone", None)


def test_the_channel_keeps_no_reference_to_an_item_the_reader_took():
    import gc
    import weakref

    class Thing:
        pass

    channel = Channel()
    box = [Thing()]
    ref = weakref.ref(box[0])

    def write():
        channel.put(box.pop())
        channel.close()

    writer = threading.Thread(target=write)
    iterator = iter(channel)
    writer.start()
    taken = next(iterator)
    writer.join(0.2)  # still waiting in put, whose frame holds the item: release it first
    assert writer.is_alive()
    channel.release()
    writer.join(5)
    del taken
    gc.collect()
    assert ref() is None
    assert list(iterator) == []
