"""Hostile input through the binding: corrupted bytes in every format end in
an evrec.Error (never a crash; under `make test-python-asan` never a memory
error either), hostile values given to the Writer are refused with a clear
exception, and repeating every path, error paths included, leaks no Python
objects."""
import gc
import io
import random
import tracemalloc

import pytest

import evrec
from conftest import ASAN, SEED


def mutations(data, n, seed):
    rnd = random.Random(seed)
    for _ in range(n):
        b = bytearray(data)
        for _ in range(rnd.randint(1, 8)):
            op = rnd.random()
            i = rnd.randrange(len(b))
            if op < 0.5:
                b[i] = rnd.randrange(256)
            elif op < 0.75:
                del b[i:i + rnd.randint(1, 64)]
            else:
                b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
        yield bytes(b)


@pytest.mark.parametrize("fmt", ["json", "pbd", "evr"])
def test_corrupted_inputs(tmp_path, seed_dict, fmt):
    buf = io.BytesIO()
    with evrec.Writer(buf, format=fmt, block_size=4096) as w:
        for i in range(3):
            w.write(dict(seed_dict, id="r%d" % i))
    data = buf.getvalue()
    outcomes = {"ok": 0, "error": 0}
    path = tmp_path / ("m." + fmt)
    for k, bad in enumerate(mutations(data, 40 if ASAN else 150, fmt)):
        path.write_bytes(bad)
        for as_ in ("dict", "json"):
            try:
                for _ in evrec.open(path, format=fmt, as_=as_):
                    pass
                outcomes["ok"] += 1
            except evrec.Error as e:
                assert e.code < 0 and str(e)
                outcomes["error"] += 1
        try:
            list(evrec.validate(path, format=fmt))
        except evrec.Error:
            pass
    assert outcomes["error"] > 0


def test_hostile_values(tmp_path):
    w = evrec.Writer(tmp_path / "h.ndjson")
    loop = {"id": "x"}
    loop["article"] = loop
    with pytest.raises(evrec.LimitError):
        w.write(loop)
    deep = cur = {}
    for _ in range(2000):
        cur["a"] = {}
        cur = cur["a"]
    with pytest.raises(evrec.LimitError):
        w.write(deep)
    with pytest.raises(TypeError):
        w.write({1: "x"})
    with pytest.raises(UnicodeEncodeError):
        w.write({"id": "\ud800"})
    with pytest.raises(evrec.UTF8Error):
        w.write('{"id": "\\ud800"}')
    with pytest.raises(evrec.ParseError):
        w.write(b"\xff\xff\xff")
    with pytest.raises(evrec.SchemaError):
        w.write({"id": "x", "revision": [1]})
    with pytest.raises(evrec.RangeError):
        w.write({"id": "x", "revision": 2**40})
    with pytest.raises(evrec.UnsupportedError):  # protobuf-c strings cannot hold NUL
        w.write({"id": "a\x00b"})
    w.write({"id": "fine"})  # errors in decoding are not sticky; the record is refused, not written
    w.close()
    assert [r["id"] for r in evrec.open(tmp_path / "h.ndjson")] == ["fine"]


def test_no_leaks(tmp_path, seed_dict):
    """Every path, errors included, repeated: the Python heap does not grow."""
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"id": "a"}\n{"id": "b", "status": "NOPE"}\n')
    evr = tmp_path / "x.evr"
    with evrec.Writer(evr, block_size=8192) as w:
        for i in range(20):
            w.write(dict(seed_dict, id="r%d" % i))
    blocks = evrec.blocks(evr)

    def once():
        for as_ in ("dict", "json", "bytes"):
            with evrec.open(evr, as_=as_) as r:
                for _ in r:
                    pass
                r.get("r3")
        list(evrec.open(evr, blocks=blocks[1:3]))
        try:
            list(evrec.open(bad))
        except evrec.SchemaError:
            pass
        try:
            evrec.open(tmp_path / "missing")
        except evrec.FileError:
            pass
        with evrec.Writer(io.BytesIO(), format="evr") as w:
            w.write(seed_dict)
            try:
                w.write({"id": "x", "nope": 1})
            except evrec.SchemaError:
                pass
        for t in evrec.TABLES:
            evrec.read_table(evr, table=t)
        list(evrec.validate(bad))
        list(evrec.open(io.BytesIO(open(SEED, "rb").read())))

    once()
    gc.collect()
    tracemalloc.start()
    once()
    gc.collect()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(3 if ASAN else 10):
        once()
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert grown < 64 * 1024, grown
