"""The GIL is released while the library works, and threads stay correct.

Release is proved without timing: a reader blocks inside the library on a
FIFO that only the main thread can fill, and a writer blocks on a FIFO only
the main thread drains. Were the GIL held across the library call, the
main thread could never run and the test would hang; a faulthandler
watchdog (a C thread, needs no GIL) turns that hang into a failure.
"""
import faulthandler
import io
import os
import threading

import pytest

import evrec
from conftest import SEED, make_records

WATCHDOG = 120  # seconds; only a deadlock comes near it


@pytest.fixture(autouse=True)
def watchdog():
    faulthandler.dump_traceback_later(WATCHDOG, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.mark.parametrize("fmt", ["json", "evr"])
def test_reader_releases_gil(tmp_path, fmt):
    """Opening, reading, inflating (evr) and decoding block on a FIFO that
    only the main thread fills, half a record at a time."""
    fifo = tmp_path / ("in." + fmt)
    os.mkfifo(fifo)
    data = open(SEED, "rb").read()
    if fmt == "evr":
        buf = io.BytesIO()
        with evrec.Writer(buf, format="evr") as w:
            w.write(data.decode())
            w.write(data.decode())
        data = buf.getvalue()
    got = []

    def consume():
        # open(2) of a FIFO blocks until a writer comes; read(2) blocks
        # until data arrives: both inside the library
        got.extend(evrec.open(fifo, format=fmt))

    t = threading.Thread(target=consume)
    t.start()
    with open(fifo, "wb") as f:  # runs only if the thread let go of the GIL
        f.write(data[:len(data) // 2])
        f.flush()
        f.write(data[len(data) // 2:])
    t.join()
    assert [r["id"] for r in got] == ["cnn.com:2025-06-16:trump-ice-deportations"] * (2 if fmt == "evr" else 1)


def test_writer_releases_gil(tmp_path, seed_dict):
    fifo = tmp_path / "out.ndjson"
    os.mkfifo(fifo)
    recs = make_records(200, seed_dict)  # ~3 MB: far more than a pipe holds
    err = []

    def produce():
        try:
            with evrec.Writer(fifo) as w:
                for r in recs:
                    w.write(r)
        except BaseException as e:  # pragma: no cover - reported below
            err.append(e)

    t = threading.Thread(target=produce)
    t.start()
    got = list(evrec.open(fifo, format="ndjson"))  # drains while the writer blocks
    t.join()
    assert not err
    assert got == recs


def test_two_threads_decode_correctly(corpus):
    expect = {}
    for mode in ("dict", "json", "bytes"):
        expect[mode] = list(evrec.open(corpus["evr"], as_=mode))
    results = {}

    def work(name, path, mode):
        for _ in range(2):
            results[name] = list(evrec.open(path, as_=mode))

    threads = [threading.Thread(target=work, args=("a", corpus["evr"], "dict")),
               threading.Thread(target=work, args=("b", corpus["pbd"], "dict")),
               threading.Thread(target=work, args=("c", corpus["evr"], "json")),
               threading.Thread(target=work, args=("d", corpus["ndjson"], "bytes"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["a"] == expect["dict"]
    assert results["b"] == expect["dict"]
    assert results["c"] == expect["json"]
    assert results["d"] == expect["bytes"]


def test_one_handle_two_threads(seed_dict):
    """A handle is for one thread at a time: a second thread gets
    RuntimeError, not a crash. The first is held inside the library (in
    close(), flushing into a file object whose write() waits for an event)
    while the second tries."""
    import io
    inside, go = threading.Event(), threading.Event()

    class Gate(io.RawIOBase):
        def __init__(self):
            self.out = io.BytesIO()

        def writable(self):
            return True

        def write(self, b):
            inside.set()
            go.wait()
            return self.out.write(b)

    sink = Gate()
    w = evrec.Writer(sink, format="ndjson")
    w.write(seed_dict)
    t = threading.Thread(target=w.close, daemon=True)
    t.start()
    try:
        assert inside.wait(WATCHDOG)
        with pytest.raises(RuntimeError, match="another thread"):
            w.write(seed_dict)
        with pytest.raises(RuntimeError, match="another thread"):
            w.abort()
        with pytest.raises(RuntimeError, match="another thread"):
            w.close()
    finally:
        go.set()
        t.join()
    assert w.closed
    sink.out.seek(0)
    assert list(evrec.open(sink.out, format="ndjson")) == [seed_dict]
