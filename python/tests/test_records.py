"""evrec.open and evrec.Writer: the seed record, every format, dicts equal
to the canonical JSON, round trips, file objects, random access, blocks."""
import base64
import glob
import io
import json
import math
import os

import pytest

import evrec
from conftest import CLI, ROOT, SEED, SHELL_ENV, cli, make_records

FORMATS = ["json", "ndjson", "pbd", "evr"]


def same_value(d, j):
    """A dict value equals json.loads of the canonical JSON, given the two
    documented differences: 64-bit integers are int (JSON: str) and
    floats may be NaN/infinite (JSON: "NaN", "Infinity", "-Infinity")."""
    if isinstance(d, dict):
        return isinstance(j, dict) and d.keys() == j.keys() and all(same_value(d[k], j[k]) for k in d)
    if isinstance(d, list):
        return isinstance(j, list) and len(d) == len(j) and all(map(same_value, d, j))
    if isinstance(d, bool) or d is None:
        return d is j
    if isinstance(d, int):
        return (isinstance(j, int) and not isinstance(j, bool) and d == j) or (isinstance(j, str) and j == str(d))
    if isinstance(d, float):
        if math.isnan(d):
            return j == "NaN"
        if math.isinf(d):
            return j == ("Infinity" if d > 0 else "-Infinity")
        return isinstance(j, (int, float)) and not isinstance(j, bool) and float(j) == d and \
            math.copysign(1, float(j)) == math.copysign(1, d)
    return type(d) is type(j) and d == j


def test_seed_every_mode(seed_dict):
    assert seed_dict["id"] == "cnn.com:2025-06-16:trump-ice-deportations"
    text = next(evrec.open(SEED, as_="json"))
    canonical = cli("convert", SEED, "-t", "ndjson").stdout.decode().rstrip("\n")
    assert text == canonical
    assert same_value(seed_dict, json.loads(text))
    pb = next(evrec.open(SEED, as_="bytes"))
    assert pb == cli("convert", SEED, "-t", "pb").stdout
    assert len(seed_dict["events"]) == 11 and seed_dict["events"][0]["participants"]


def test_readme_command():
    """The README's Python block, as printed, from the top of the tree
    (`make python` has run: this suite runs after it)."""
    import re
    import subprocess
    text = open(os.path.join(ROOT, "README.md")).read()
    block = re.search(r"## Python\n.*?```sh\n(.*?)```", text, re.S).group(1)
    lines = [l for l in block.splitlines() if l.strip()]
    assert lines[0] == "make python"
    env = dict(SHELL_ENV, PYTHONPATH="")  # only what the line itself sets
    p = subprocess.run(["bash", "-c", "\n".join(lines[1:])], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                       check=True)
    assert p.stdout == b"cnn.com:2025-06-16:trump-ice-deportations\n"


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_dicts(tmp_path, seed_dict, fmt):
    recs = make_records(5, seed_dict)
    path = tmp_path / ("out." + fmt)
    with evrec.Writer(path) as w:
        for r in recs:
            w.write(r)
        assert w.count == 5
    with evrec.open(path) as r:
        assert r.format == fmt
        got = list(r)
        assert r.count == 5
    assert got == recs
    # the file is what the CLI makes of the same records
    canon = tmp_path / "canon.ndjson"
    with evrec.Writer(canon) as w:
        for r in recs:
            w.write(r)
    assert cli("convert", path, "-t", "ndjson").stdout == canon.read_bytes()


def test_round_trip_pb(tmp_path, seed_dict):
    path = tmp_path / "one.pb"
    with evrec.Writer(path) as w:
        w.write(seed_dict)
    assert list(evrec.open(path)) == [seed_dict]
    assert path.read_bytes() == next(evrec.open(SEED, as_="bytes"))
    w = evrec.Writer(tmp_path / "two.pb")
    w.write(seed_dict)
    with pytest.raises(evrec.FormatError, match="pb holds exactly one record"):
        w.write(seed_dict)
    with pytest.raises(evrec.FormatError):  # errors are sticky: nothing is written
        w.close()
    assert not os.path.exists(tmp_path / "two.pb")


@pytest.mark.parametrize("fmt", FORMATS)
def test_write_json_and_bytes(tmp_path, seed_dict, fmt):
    text = next(evrec.open(SEED, as_="json"))
    pb = next(evrec.open(SEED, as_="bytes"))
    path = tmp_path / ("x." + fmt)
    with evrec.Writer(path) as w:
        w.write(text)
        w.write(pb)
        w.write(bytearray(pb))
        w.write(memoryview(pb))
    assert list(evrec.open(path)) == [seed_dict] * 4
    assert list(evrec.open(path, as_="bytes")) == [pb] * 4
    assert list(evrec.open(path, as_="json")) == [text] * 4


def test_file_objects(seed_dict):
    recs = make_records(3, seed_dict)
    for fmt in FORMATS:
        buf = io.BytesIO()
        with evrec.Writer(buf, format=fmt) as w:
            for r in recs:
                w.write(r)
        data = buf.getvalue()
        binary = fmt if fmt == "pbd" else None  # a stream has no name to tell pbd by
        assert list(evrec.open(io.BytesIO(data), format=binary)) == recs, fmt
        assert list(evrec.open(io.BufferedReader(io.BytesIO(data)), format=fmt)) == recs
    # an object with read() only
    class OnlyRead:
        def __init__(self, b):
            self.b = io.BytesIO(b)

        def read(self, n):
            return self.b.read(min(n, 7))

    assert list(evrec.open(OnlyRead(open(SEED, "rb").read()))) == [seed_dict]


def test_file_object_errors():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise ZeroDivisionError("from readinto")

    with pytest.raises(ZeroDivisionError, match="from readinto"):
        list(evrec.open(Broken(), format="ndjson"))
    with pytest.raises(TypeError):
        list(evrec.open(io.StringIO('{"id": "a"}')))
    with pytest.raises(TypeError):
        evrec.open(42)

    class BadSink:
        def write(self, b):
            raise KeyError("sink")

    w = evrec.Writer(BadSink(), format="ndjson")
    w.write({"id": "a"})
    with pytest.raises(KeyError):
        w.close()


def test_writer_keywords(tmp_path):
    """Every keyword of evrec.Writer reaches the library (the format string
    of its argument parser once lacked one: ignore_unknown wrote a
    Py_ssize_t into an int and max_record_size was refused)."""
    out = tmp_path / "k.ndjson"
    with evrec.Writer(out, ignore_unknown=True) as w:
        w.write({"id": "a", "noSuchField": 1})
    assert list(evrec.open(out)) == [{"id": "a"}]
    with pytest.raises(evrec.SchemaError, match="noSuchField"):
        with evrec.Writer(out) as w:
            w.write({"id": "a", "noSuchField": 1})
    evr = tmp_path / "k.evr"
    with evrec.Writer(evr, max_record_size=200) as w:  # .evr only
        w.write({"id": "small"})
        with pytest.raises(evrec.LimitError):
            w.write({"id": "big", "extensions": {"x/y": "z" * 500}})
        w.write({"id": "after"})  # a refused record is not sticky
    assert [r["id"] for r in evrec.open(evr)] == ["small", "after"]
    with pytest.raises(TypeError, match="no_such_keyword"):
        evrec.Writer(out, no_such_keyword=1)


@pytest.mark.parametrize("fmt", ["ndjson", "pbd", "evr"])
def test_sink_failing_once(seed_dict, fmt):
    """A file object whose write() fails once (a full disk freed again, a
    transient error) and works after: its exception comes out of write() or
    close(), and what it took is a prefix of the normal output. (The stdio
    write hook returned -1, which glibc's fwrite() takes as unsigned: it
    went on as if one byte more had been written, the next writes
    succeeded, and close() returned on corrupt output.)"""
    recs = [dict(seed_dict, id="r%d" % i, extensions={"test/pad": "x%d" % i * 900}) for i in range(60)]
    full = io.BytesIO()
    opts = {"created_at": "2026-01-01T00:00:00Z"} if fmt == "evr" else {}  # the header, alike
    with evrec.Writer(full, format=fmt, block_size=16384, **opts) as w:
        for r in recs:
            w.write(r)
    want = full.getvalue()
    assert len(want) > 60000

    class Sink:
        def __init__(self, fail_at):
            self.calls, self.fail_at, self.got = 0, fail_at, bytearray()

        def write(self, b):
            self.calls += 1
            if self.calls == self.fail_at:
                raise OSError(28, "No space left on device")
            self.got += b
            return len(b)

    for fail_at in range(1, 5):
        sink = Sink(fail_at)
        with pytest.raises(OSError, match="No space left"):
            w = evrec.Writer(sink, format=fmt, block_size=16384, **opts)
            for r in recs:
                w.write(r)
            w.close()
        assert sink.calls >= fail_at
        assert want.startswith(bytes(sink.got)), (fmt, fail_at)


def test_alltypes_cases(tmp_path):
    """Every hand-written AllTypes case of the differential tests: the dict
    equals json.loads of the canonical JSON (with the documented
    differences), and writing the dict back gives the same canonical JSON:
    all scalar types, 64-bit bounds, maps of every key type, oneofs, every
    well-known type."""
    import _evrec_testtypes as tt
    cases = sorted(glob.glob(os.path.join(ROOT, "tests", "diff", "cases", "*.json")))
    assert len(cases) > 100
    done = 0
    for case in cases:
        try:
            d = list(evrec.open(case, type=tt.ALL_TYPES))
            j = list(evrec.open(case, type=tt.ALL_TYPES, as_="json"))
        except evrec.UnsupportedError as e:
            assert "evrec.test" in str(e), case  # an Any of the test schema: not built in
            continue
        except evrec.RangeError as e:
            # JSON cannot carry the value either (as_="json" fails alike)
            with pytest.raises(evrec.RangeError):
                list(evrec.open(case, type=tt.ALL_TYPES, as_="json"))
            continue
        assert len(d) == len(j)
        for a, b in zip(d, j):
            assert same_value(a, json.loads(b)), case
        out = tmp_path / "x.ndjson"
        with evrec.Writer(out, type=tt.ALL_TYPES) as w:
            for a in d:
                w.write(a)
        assert list(evrec.open(out, type=tt.ALL_TYPES, as_="json")) == j, case
        done += 1
    assert done > 90


def test_int64_exact(tmp_path):
    import _evrec_testtypes as tt
    big = {"fInt64": -2**63, "fUint64": 2**64 - 1, "fSint64": 2**63 - 1, "fFixed64": 2**64 - 1,
           "fSfixed64": -2**63 + 1, "rInt64": [2**53 + 1, -(2**53) - 1], "fInt32": -2**31,
           "fUint32": 2**32 - 1}
    for fmt in FORMATS:
        p = tmp_path / ("i." + fmt)
        with evrec.Writer(p, type=tt.ALL_TYPES) as w:
            w.write(big)
        got = next(evrec.open(p, type=tt.ALL_TYPES))
        assert got == big and all(type(v) is int for k, v in got.items() if k != "rInt64")
    text = next(evrec.open(p, type=tt.ALL_TYPES, as_="json"))
    assert '"fUint64":"18446744073709551615"' in text
    with pytest.raises(evrec.RangeError) as e:
        with evrec.Writer(tmp_path / "o.json", type=tt.ALL_TYPES) as w:
            w.write({"fUint64": 2**64})
    assert e.value.path == "fUint64"
    assert not os.path.exists(tmp_path / "o.json")


def test_floats_and_bytes(tmp_path):
    import _evrec_testtypes as tt
    rec = {"fDouble": float("nan"), "rDouble": [float("inf"), -float("inf"), -0.0, 0.1],
           "fFloat": 0.1, "fBytes": b"\x00\xffab"}
    p = tmp_path / "f.pbd"
    with evrec.Writer(p, type=tt.ALL_TYPES) as w:
        w.write(rec)
    got = next(evrec.open(p, type=tt.ALL_TYPES))
    assert math.isnan(got["fDouble"])
    assert got["rDouble"][:2] == [float("inf"), -float("inf")]
    assert math.copysign(1, got["rDouble"][2]) == -1
    assert got["fFloat"] == 0.1  # shortest float32 text, as JSON and MessageToDict
    assert base64.b64decode(got["fBytes"]) == b"\x00\xffab"


def bad_cases():
    for f in sorted(glob.glob(os.path.join(ROOT, "tests", "data", "bad", "*"))):
        if f.endswith((".expected", ".args", ".cmd")) or not os.path.exists(os.path.splitext(f)[0] + ".expected"):
            continue  # .cmd cases run other commands; some files serve those
        yield f


ARGS = {"--max-string-size": "max_string_size", "--max-record-size": "max_record_size",
        "--max-depth": "max_depth"}


@pytest.mark.parametrize("path", list(bad_cases()), ids=os.path.basename)
def test_errors_read_like_the_cli(path):
    """Every golden error file: the exception's text is the CLI's
    diagnostic (without "evrec: "), and its fields are set."""
    kw = {}
    if os.path.exists(path + ".args"):
        args = open(path + ".args").read().split()
        while args:
            a = args.pop(0)
            if a == "--ignore-unknown":
                kw["ignore_unknown"] = True
            else:
                kw[ARGS[a]] = int(args.pop(0))
    expected = open(os.path.splitext(path)[0] + ".expected").read().splitlines()[0]
    rel = os.path.relpath(path, ROOT)
    with pytest.raises(evrec.Error) as e:
        list(evrec.open(rel if os.getcwd() == ROOT else path, **kw))
    err = e.value
    want = expected[len("evrec: "):]
    for opt, name in ARGS.items():
        want = want.replace("(%s)" % opt, "(%s)" % name)
    want = want.replace(rel, path if os.getcwd() != ROOT else rel)
    assert str(err) == want
    assert err.file == (path if os.getcwd() != ROOT else rel)
    assert err.code < 0 and err.status and err.message in str(err)
    assert err.record is None or err.record >= 1
    if path.endswith((".json", ".ndjson")) and err.record is not None:
        assert err.line >= 1 and err.column >= 1
    if "(at " in want:
        assert err.path and want.endswith("(at %s)" % err.path)


def test_error_classes(tmp_path):
    bad = tmp_path / "b.ndjson"
    bad.write_text('{"id": "a"}\n{"id": "b", "status": "NOPE"}\n')
    with pytest.raises(evrec.SchemaError) as e:
        list(evrec.open(bad))
    assert isinstance(e.value, ValueError)
    assert (e.value.record, e.value.line, e.value.path) == (2, 2, "status")
    with pytest.raises(evrec.FileError) as e:
        evrec.open(tmp_path / "missing.json")
    assert isinstance(e.value, OSError)
    with pytest.raises(evrec.UnsupportedError, match="needs an .evr"):
        evrec.open(SEED).seek(0)
    assert issubclass(evrec.NotFoundError, LookupError)


def test_writer_errors_and_atomicity(tmp_path, seed_dict):
    dest = tmp_path / "d.evr"
    with evrec.Writer(dest) as w:
        w.write(seed_dict)
    before = dest.read_bytes()
    with pytest.raises(evrec.SchemaError) as e:
        with evrec.Writer(dest) as w:
            w.write(seed_dict)
            w.write({"id": "x", "events": [{"id": "e1"}, {"id": "e2", "quadClass": "SOMETIMES"}]})
    assert e.value.path == "events[1].quadClass"
    assert e.value.record == 2 and e.value.line == 0
    assert dest.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["d.evr"]  # no temporary left
    with pytest.raises(TypeError, match=r"events\[0\]\.goldstein"):
        with evrec.Writer(dest) as w:
            w.write({"id": "x", "events": [{"goldstein": object()}]})
    with pytest.raises(TypeError, match="dict, a JSON str or pb bytes"):
        evrec.Writer(tmp_path / "y.json").write(42)
    with pytest.raises(evrec.ParseError) as e:
        evrec.Writer(tmp_path / "y.json").write('{"id": "x",\n "revision": }')
    assert (e.value.line, e.value.column) == (2, 14)
    w = evrec.Writer(tmp_path / "z.json")
    w.abort()
    assert not os.path.exists(tmp_path / "z.json")
    with pytest.raises(ValueError):
        w.write({})


def test_random_access_and_header(tmp_path, seed_dict):
    recs = make_records(300, seed_dict)
    p = tmp_path / "r.evr"
    with evrec.Writer(p, block_size=65536, meta={"source": "test"}, created_at="2026-11-27T17:00:00Z") as w:
        for r in recs:
            w.write(r)
    with evrec.open(p) as r:
        h = r.header
        assert h["record_type"] == "evrec.v1.Record" and h["meta"] == {"source": "test"}
        assert h["created_at"] == "2026-11-27T17:00:00Z" and len(h["schema"]) > 1000
        r.seek(250)
        assert next(r)["id"] == recs[250]["id"] and r.count == 251
        assert r.get(recs[17]["id"]) == recs[17]
        assert next(r) == recs[18]
        with pytest.raises(evrec.NotFoundError):
            r.get("nope")
    assert evrec.open(SEED).header is None


def test_blocks(tmp_path, seed_dict):
    recs = make_records(200, seed_dict)
    p = tmp_path / "b.evr"
    with evrec.Writer(p, block_size=50000) as w:
        for r in recs:
            w.write(r)
    bl = evrec.blocks(p)
    assert len(bl) > 10 and bl[0].first == 0
    assert sum(b.records for b in bl) == 200
    assert all(isinstance(b, evrec.Block) for b in bl)
    for i in range(0, len(bl), 3):
        run = bl[i:i + 3]
        got = list(evrec.open(p, blocks=run))
        assert got == recs[run[0].first:run[-1].first + run[-1].records]
    assert list(evrec.open(p, blocks=[])) == []
    with pytest.raises(ValueError, match="contiguous"):
        evrec.open(p, blocks=[bl[0], bl[2]])
    bad = tuple(bl[1])[:3] + (bl[1].records + 1,)
    with pytest.raises(evrec.CorruptError):
        evrec.open(p, blocks=[bad])
    with pytest.raises(evrec.Error):
        evrec.blocks(SEED)
    import pickle
    assert pickle.loads(pickle.dumps(bl)) == bl


def test_reader_misuse(tmp_path):
    r = evrec.open(SEED)
    r.close()
    r.close()
    with pytest.raises(ValueError, match="closed"):
        next(r)
    with pytest.raises(ValueError):
        evrec.open(SEED, as_="xml")
    with pytest.raises(ValueError):
        evrec.open(SEED, format="csv")
    with pytest.raises(ValueError):
        evrec.open(SEED, type="no.such.Type")
    assert next(evrec.open(SEED, type="evrec.v1.Record"))["id"].startswith("cnn")
    with pytest.raises(ValueError):
        evrec.open(SEED, max_record_size=-1)
