"""evrec.diff, evrec.record_diff, evrec.record_patch.

evrec.diff's dicts must equal the lines of `evrec diff --format json`
(json.loads of each) -- and of `--format json-patch` with json_patch=True
-- on pairs of every kind: the docs' example in several formats, random
record sets covering every field of the schema (tests/diffmut random), and
the bench corpus with 20% of its records edited (tests/diffmut mutate),
with each option. The deltas are then applied three ways, each checked
against B: `evrec patch` reading json.dumps of the dicts, record_patch in
Python, and the RFC 6902 form through Debian's python3-jsonpatch. Errors
carry positions as the CLI prints them; the GIL is released while the
inputs are read (proved without timing, as in test_threads.py); memory
stays bounded on a pair of ~50 MB files.
"""
import faulthandler
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import threading

import jsonpatch
import pytest

import evrec
from conftest import ASAN, CLI, DIFFMUT, cli

WATCHDOG = 300  # seconds; only a deadlock comes near it
MIB = 1 << 20

A_DOC = [
    '{"id":"r1","actors":[{"id":"a1","name":"Ann"},{"id":"a2","name":"Bob"}],"events":[{"id":"e1",'
    '"confidence":0.5,"participants":[{"actorId":"a1","role":"PARTICIPANT_ROLE_ACTOR"}]}]}',
    '{"id":"r2","revision":1,"article":{"headline":"Two","keywords":["a","b"]}}',
    '{"id":"r3"}',
]
B_DOC = [
    '{"id":"r4"}',
    '{"id":"r2","revision":2,"article":{"headline":"Two","keywords":["a","c","b"]}}',
    '{"id":"r1","actors":[{"id":"a2","name":"Bob"},{"id":"a1","name":"Ann"}],"events":[{"id":"e1",'
    '"confidence":0.75,"participants":[{"actorId":"a1","role":"PARTICIPANT_ROLE_RECIPIENT"}]}]}',
]
ENTITIES = ("actors", "places", "events", "claims")


@pytest.fixture(scope="module")
def pairs(tmp_path_factory, corpus):
    d = tmp_path_factory.mktemp("diff")
    (d / "a.ndjson").write_text("\n".join(A_DOC) + "\n")
    (d / "b.ndjson").write_text("\n".join(B_DOC) + "\n")
    cli("convert", d / "a.ndjson", "-t", "json", "--array", "-o", d / "a.json")
    for side in "ab":
        for fmt in ("pbd", "evr"):
            cli("convert", d / ("%s.ndjson" % side), "-o", d / ("%s.%s" % (side, fmt)))
    n = "120" if ASAN else "400"
    subprocess.run([DIFFMUT, "random", n, "7", d / "ra.ndjson", d / "rb.ndjson"], check=True)
    cli("convert", d / "ra.ndjson", "-o", d / "ra.pbd")
    cli("convert", d / "rb.ndjson", "-o", d / "rb.evr", "--block-size", "16384")
    subprocess.run([DIFFMUT, "mutate", "9", "20", corpus["ndjson"], d / "cb.ndjson"], check=True)
    cli("convert", d / "cb.ndjson", "-o", d / "cb.evr", "--block-size", "32768")
    names = {"c.ndjson": corpus["ndjson"], "c.evr": corpus["evr"], "c.pbd": corpus["pbd"]}
    return lambda name: names.get(name) or str(d / name)


def cli_diff(a, b, *args):
    p = cli("diff", a, b, *args, check=False)
    assert p.returncode in (0, 1), p.stderr.decode()
    return p


def cli_lines(a, b, *args):
    out = cli_diff(a, b, *args).stdout.decode()  # str.splitlines() would split at U+2028
    return [json.loads(line) for line in out.split("\n") if line]


def cli_summary(a, b):
    line = cli_diff(a, b, "--summary").stdout.decode().splitlines()[0]
    m = re.match(r"records: (\d+) added, (\d+) removed, (\d+) changed, (\d+) same \(A (\d+), B (\d+)\)", line)
    keys = ("added", "removed", "changed", "same", "a_records", "b_records")
    return dict(zip(keys, map(int, m.groups())))


PAIRS = [("a.ndjson", "b.ndjson"), ("a.json", "b.evr"), ("a.evr", "b.pbd"),
         ("ra.ndjson", "rb.ndjson"), ("ra.pbd", "rb.evr"), ("c.ndjson", "cb.ndjson"),
         ("c.evr", "cb.evr")]
OPTIONS = [
    ([], {}),
    (["--ignore", "revision", "--ignore", "events.*", "--ignore", "actors[id=a1]*"],
     {"ignore": ["revision", "events.*", "actors[id=a1]*"]}),
    (["--float-tolerance", "0.1"], {"float_tolerance": 0.1}),
    (["--ignore-order"], {"ignore_order": True}),
]


@pytest.mark.parametrize("opts", OPTIONS, ids=["plain", "ignore", "tolerance", "ignore-order"])
@pytest.mark.parametrize("pair", PAIRS, ids="-".join)
def test_like_the_cli(pairs, pair, opts):
    a, b = pairs(pair[0]), pairs(pair[1])
    args, kw = opts
    want = cli_lines(a, b, "--format", "json", *args)
    d = evrec.diff(a, b, **kw)
    got = list(d)
    assert got == want
    assert want  # every pair differs, with every option
    if not args:
        stats = d.stats
        assert {k: stats[k] for k in cli_summary(a, b)} == cli_summary(a, b)
        assert stats["differences"] == len(got)
        # records whose hashes differ, read again: both sides of a changed one
        assert stats["decoded_again"] >= 2 * stats["changed"] + stats["removed"] + stats["added"]


@pytest.mark.parametrize("pair", PAIRS, ids="-".join)
def test_json_patch_like_the_cli(pairs, pair):
    a, b = pairs(pair[0]), pairs(pair[1])
    want = cli_lines(a, b, "--format", "json-patch")
    assert list(evrec.diff(a, b, json_patch=True)) == want
    assert list(evrec.diff(a, b, json_patch=True, ignore_order=True)) == \
        cli_lines(a, b, "--format", "json-patch", "--ignore-order")


def test_identical_inputs(pairs):
    for a, b in (("a.ndjson", "a.evr"), ("a.json", "a.pbd"), ("ra.ndjson", "ra.pbd"),
                 ("c.ndjson", "c.evr"), ("c.pbd", "c.pbd")):
        d = evrec.diff(pairs(a), pairs(b))
        assert list(d) == [], (a, b)
        assert d.stats["same"] == d.stats["a_records"] == d.stats["b_records"] > 0
    # the same records in another order, entities reordered: no difference
    shuffled = io.BytesIO(("\n".join(reversed(A_DOC)) + "\n").encode())
    assert list(evrec.diff(pairs("a.ndjson"), shuffled)) == []
    # everything that differs ignored
    assert list(evrec.diff(pairs("a.ndjson"), pairs("b.ndjson"), ignore=["*"])) == [
        {"op": "remove", "id": "r3", "path": "", "old": {"id": "r3"}},
        {"op": "add", "id": "r4", "path": "", "new": {"id": "r4"}}]


def test_sources_readers_and_file_objects(pairs):
    want = cli_lines(pairs("a.ndjson"), pairs("b.ndjson"), "--format", "json")
    with open(pairs("a.evr"), "rb") as fa:  # a file object: read once, spilled
        reader = evrec.open(pairs("b.ndjson"))
        d = evrec.diff(fa, reader, threads=1)
        first = next(d)
        with pytest.raises(RuntimeError, match="evrec.diff"):
            next(reader)  # held by the diff
        with pytest.raises(RuntimeError, match="evrec.diff"):
            reader.close()
        assert [first] + list(d) == want
        reader.close()  # free again once the diff is over
    # a Reader opened with its own options; open options for the other side
    b = evrec.open(pairs("b.pbd"), format="pbd", max_record_size=1 << 20)
    assert list(evrec.diff(io.BytesIO(open(pairs("a.ndjson"), "rb").read()), b,
                           format="ndjson", temp_dir=os.path.dirname(pairs("a.ndjson")))) == want
    # ended early: close(), or dropped, lets go of the Reader
    r = evrec.open(pairs("b.evr"))
    d = evrec.diff(pairs("a.evr"), r)
    next(d)
    d.close()
    assert list(d) == []
    d = evrec.diff(pairs("a.evr"), r)
    next(d)
    del d
    r.seek(0)
    assert next(r)["id"] == "r4"
    # a Reader is read from where it stands: r4 read already is not in B
    d = evrec.diff(pairs("a.evr"), r)
    assert [x for x in d if x["path"] == ""] == [
        {"op": "remove", "id": "r3", "path": "", "old": {"id": "r3"}}]
    assert d.stats["b_records"] == 2
    r.close()


def test_inputs_closed_at_the_end(pairs):
    """The inputs a diff opens itself are closed when it ends (exhausted,
    failed or closed), not when the iterator object goes away."""
    def fds():
        return len(os.listdir("/proc/self/fd"))

    before = fds()
    d = evrec.diff(pairs("a.evr"), pairs("b.ndjson"))
    assert fds() >= before + 2
    list(d)
    assert fds() == before
    d = evrec.diff(pairs("a.evr"), pairs("b.ndjson"))
    next(d)
    d.close()
    assert fds() == before
    d.close()  # idempotent
    assert d.stats["differences"] == 2 and d.stats["a_records"] == 3  # r1's two, one step
    d = evrec.diff(pairs("a.ndjson"), io.BytesIO(b'{"id":"x"}\n{"id":"x"}\n'), format="ndjson")
    with pytest.raises(evrec.ConflictError):
        next(d)
    assert fds() == before


def test_errors(pairs, tmp_path):
    a = pairs("a.ndjson")
    dup = tmp_path / "dup.ndjson"
    dup.write_text('{"id":"r1"}\n{"id":"r2"}\n{"id":"r1","revision":3}\n')
    for side in (0, 1):
        args = (a, str(dup)) if side else (str(dup), a)
        p = cli("diff", *args, check=False)
        assert p.returncode == 2
        with pytest.raises(evrec.ConflictError) as e:
            list(evrec.diff(*args))
        assert "evrec: %s\n" % e.value == p.stderr.decode()
        assert (e.value.file, e.value.record, e.value.offset) == (str(dup), 3, 24)
        assert e.value.status == "conflict" and isinstance(e.value, ValueError)
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"id":"r1"}\n{"id":"r2","revision":"x"}\n')
    with pytest.raises(evrec.SchemaError) as e:
        list(evrec.diff(a, str(bad)))
    assert "evrec: %s\n" % e.value == cli("diff", a, bad, check=False).stderr.decode()
    assert (e.value.line, e.value.column, e.value.record, e.value.path) == (2, 23, 2, "revision")
    # an error leaves the iterator finished
    d = evrec.diff(str(bad), a)
    with pytest.raises(evrec.SchemaError):
        next(d)
    assert list(d) == []
    # at the call: files, options, arguments
    with pytest.raises(evrec.FileError):
        evrec.diff(a, tmp_path / "missing.ndjson")
    with pytest.raises(evrec.ArgumentError):
        evrec.diff(a, a, float_tolerance=-1)
    with pytest.raises(evrec.ArgumentError):
        evrec.diff(a, a, float_tolerance=float("nan"))
    with pytest.raises(TypeError):
        evrec.diff(a, a, ignore="revision")
    with pytest.raises(TypeError):
        evrec.diff(a, a, ignore=[1])
    f = io.BytesIO(b"{}")
    with pytest.raises(ValueError, match="same object"):
        evrec.diff(f, f)
    blocks = evrec.blocks(pairs("b.evr"))
    with pytest.raises(ValueError, match="block range"):
        evrec.diff(a, evrec.open(pairs("b.evr"), blocks=blocks))
    with pytest.raises(TypeError, match="Readers"):
        evrec.diff(evrec.open(a), evrec.open(a), format="ndjson")
    with pytest.raises(TypeError):
        evrec.diff(a, a, no_such_option=1)
    import _evrec_testtypes as tt  # a type without an "id" to match records by
    with pytest.raises(evrec.UnsupportedError, match='no string field "id"'):
        list(evrec.diff(io.BytesIO(b"{}"), io.BytesIO(b"{}"), type=tt.ALL_TYPES))

    class Broken(io.RawIOBase):  # a file object's own exception comes through
        def readable(self):
            return True

        def readinto(self, b):
            raise OSError("the disk caught fire")

    with pytest.raises(OSError, match="caught fire"):
        list(evrec.diff(a, Broken(), format="ndjson"))
    with pytest.raises(OSError, match="caught fire"):  # A: read on the library's thread
        list(evrec.diff(Broken(), a, format="ndjson"))


def canonical(path):
    """The records of a file as their canonical JSON parsed, by id."""
    return {r["id"]: r for r in map(json.loads, evrec.open(path, as_="json"))}


def norm(r):
    """Entity order is not a difference."""
    r = dict(r)
    for k in ENTITIES:
        ids = [e.get("id", "") for e in r.get(k, [])]
        if k in r and all(ids) and len(set(ids)) == len(ids):
            r[k] = sorted(r[k], key=lambda e: e["id"])
    return r


@pytest.mark.parametrize("pair", [("a.ndjson", "b.evr"), ("ra.ndjson", "rb.ndjson"), ("c.evr", "cb.ndjson")],
                         ids="-".join)
def test_deltas_apply(pairs, pair, tmp_path):
    a, b = pairs(pair[0]), pairs(pair[1])
    want = {k: norm(v) for k, v in canonical(b).items()}
    # 1. RFC 6902, by python3-jsonpatch, against A's canonical JSON
    canonical_a = canonical(a)
    recs = dict(canonical_a)
    for line in evrec.diff(a, b, json_patch=True):
        if line.get("removed"):
            del recs[line["id"]]
        else:
            recs[line["id"]] = jsonpatch.apply_patch(recs.get(line["id"], {}), line["patch"])
    assert {k: norm(v) for k, v in recs.items()} == want
    # 2. json.dumps of the dicts is a delta `evrec patch` applies
    delta = tmp_path / "delta.json"
    ops = list(evrec.diff(a, b))
    delta.write_text("".join(json.dumps(d) + "\n" for d in ops))
    cli("patch", a, delta, "-o", tmp_path / "p.evr")
    assert cli("diff", tmp_path / "p.evr", b, check=False).returncode == 0
    # 3. record_patch, record by record
    by_id = {}
    for d in ops:
        by_id.setdefault(d["id"], []).append(d)
    out = []
    for rec in evrec.open(a):
        mine = by_id.pop(rec.get("id", ""), [])
        if mine and mine[0]["path"] == "":
            assert mine[0]["op"] == "remove" and mine[0]["old"] == canonical_a[rec["id"]]
            continue
        out.append(evrec.record_patch(rec, mine) if mine else rec)
    out += [d[0]["new"] for d in by_id.values()]  # records added: canonical JSON, a dict
    assert all(d[0]["op"] == "add" and d[0]["path"] == "" for d in by_id.values())
    bp = tmp_path / "p.ndjson"
    with evrec.Writer(bp) as w:
        for r in out:
            w.write(r)
    assert list(evrec.diff(bp, b)) == []


def test_record_diff(pairs):
    a = {r["id"]: r for r in evrec.open(pairs("ra.ndjson"))}
    a_json = {r["id"]: text for r, text in zip(evrec.open(pairs("ra.ndjson")),
                                               evrec.open(pairs("ra.ndjson"), as_="json"))}
    b_bytes = {r["id"]: raw for r, raw in zip(evrec.open(pairs("rb.evr")),
                                              evrec.open(pairs("rb.evr"), as_="bytes"))}
    by_id = {}
    for d in evrec.diff(pairs("ra.ndjson"), pairs("rb.evr")):
        by_id.setdefault(d["id"], []).append(d)
    changed = [k for k, v in by_id.items() if v[0]["path"]]
    assert len(changed) > 20
    for rid in changed:  # a dict against pb bytes, then JSON text
        assert evrec.record_diff(a[rid], b_bytes[rid]) == by_id[rid]
        b = next(evrec.open(io.BytesIO(b_bytes[rid]), format="pb", as_="json"))
        assert evrec.record_diff(a_json[rid], b) == by_id[rid]
        # RFC 6902 against A's canonical JSON
        ca = json.loads(a_json[rid])
        patched = jsonpatch.apply_patch(ca, evrec.record_diff(a[rid], b, json_patch=True))
        assert norm(patched) == norm(json.loads(b))
    r1a, r1b = json.loads(A_DOC[0]), json.loads(B_DOC[2])
    assert evrec.record_diff(r1a, r1a) == []
    assert evrec.record_diff(r1a, r1b, ignore=["events[id=e1].participants"], float_tolerance=0.25) == []
    assert evrec.record_diff(r1a, r1b, float_tolerance=0.2, ignore=["events.participants"]) == [
        {"op": "replace", "id": "r1", "path": "events[id=e1].confidence", "old": 0.5, "new": 0.75}]
    # values are the canonical JSON parsed: a 64-bit integer is a str there
    import _evrec_testtypes as tt
    assert evrec.record_diff({"fInt64": 5}, {"fInt64": "9007199254740993", "fBytes": b"\x00\xff"},
                             type=tt.ALL_TYPES) == [
        {"op": "replace", "id": "", "path": "fInt64", "old": "5", "new": "9007199254740993"},
        {"op": "add", "id": "", "path": "fBytes", "new": "AP8="}]
    # errors name the record at fault
    with pytest.raises(evrec.SchemaError) as e:
        evrec.record_diff({"id": "x", "nope": 1}, {})
    assert e.value.file == "a" and str(e.value).startswith("a: ")
    with pytest.raises(evrec.ParseError) as e:
        evrec.record_diff({}, '{"id": "x",\n "revision": }')
    assert (e.value.file, e.value.line, e.value.column) == ("b", 2, 14)
    with pytest.raises(TypeError):
        evrec.record_diff({}, 7)
    with pytest.raises(evrec.ArgumentError):
        evrec.record_diff({}, {}, float_tolerance=-0.5)


def test_record_patch_errors():
    a = json.loads(A_DOC[0])
    ops = evrec.record_diff(a, json.loads(B_DOC[2]))
    assert evrec.record_diff(evrec.record_patch(a, ops), B_DOC[2]) == []
    assert evrec.record_patch(json.dumps(a), [json.dumps(o) for o in ops]) == evrec.record_patch(a, ops)
    assert evrec.record_patch(a, []) == a
    bad = [ops[0], dict(ops[1], old=0.25)]
    with pytest.raises(evrec.ConflictError) as e:
        evrec.record_patch(a, bad)
    assert e.value.path == "events[id=e1].confidence"
    assert str(e.value).startswith("ops[1]: replace at events[id=e1].confidence: the record has 0.5, not 0.25")
    with pytest.raises(evrec.ConflictError, match='ops\\[0\\]: the op is for record "r9", not "r1"'):
        evrec.record_patch(a, [dict(ops[0], id="r9")])
    with pytest.raises(evrec.NotFoundError):
        evrec.record_patch(a, [dict(ops[1], path="events[id=e7].confidence")])
    with pytest.raises(evrec.SchemaError, match="ops\\[0\\]"):
        evrec.record_patch(a, [{"op": "replace", "id": "r1", "path": "revision"}])
    with pytest.raises(evrec.ParseError, match="ops\\[1\\]"):
        evrec.record_patch(a, [ops[0], '{"op": "add",'])
    with pytest.raises(evrec.ArgumentError, match="ops\\[0\\]: .*whole record"):
        evrec.record_patch(a, [{"op": "remove", "id": "r1", "path": "", "old": a}])
    with pytest.raises(evrec.SchemaError, match="^record: unknown field"):
        evrec.record_patch(dict(a, nope=1), ops)
    with pytest.raises(TypeError):
        evrec.record_patch(a, [7])


# ---------------------------------------------------------------- threads and memory


@pytest.fixture
def watchdog():
    faulthandler.dump_traceback_later(WATCHDOG, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def test_diff_releases_gil(pairs, tmp_path, watchdog):
    """B comes through a FIFO that the main thread fills 4 KiB per Python
    statement: the pipe holds 64 KiB of the ~4 MB (1 MB under ASan), so the
    rest goes in only while the other thread's evrec.diff() reads it --
    inside the library, at open (one buffer) and in the first step (the
    scan, the rest). Were the GIL held there, the main thread could not run
    its next write and the test would hang (the watchdog turns that into a
    failure)."""
    a, b = pairs("c.ndjson"), pairs("cb.ndjson")
    data = open(b, "rb").read()
    assert len(data) > 12 * 65536
    want = list(evrec.diff(a, b))
    fifo = tmp_path / "b.ndjson"
    os.mkfifo(fifo)
    got, err = [], []

    def consume():
        try:
            got.extend(evrec.diff(a, fifo, format="ndjson"))
        except BaseException as e:  # pragma: no cover - reported below
            err.append(e)

    t = threading.Thread(target=consume)
    t.start()
    with open(fifo, "wb", buffering=0) as f:
        for i in range(0, len(data), 4096):
            f.write(data[i:i + 4096])
    t.join()
    assert not err
    assert got == want


def test_one_diff_two_threads(pairs, watchdog):
    """A Diff is for one thread at a time: while a step is inside the
    library (reading B from a file object whose read waits for an event),
    another thread's next() or close() gets RuntimeError."""
    inside, go = threading.Event(), threading.Event()
    armed = [False]

    class Gate(io.RawIOBase):
        def __init__(self, data):
            self.src = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            if armed[0]:
                inside.set()
                go.wait()
            return self.src.readinto(b)

    # B larger than what opening it reads, so that the scan reads on
    a, b = pairs("c.ndjson"), pairs("cb.ndjson")
    d = evrec.diff(a, Gate(open(b, "rb").read()), format="ndjson")
    armed[0] = True
    got = []
    t = threading.Thread(target=lambda: got.extend(d), daemon=True)
    t.start()
    try:
        assert inside.wait(60)
        with pytest.raises(RuntimeError, match="another thread"):
            next(d)
        with pytest.raises(RuntimeError, match="another thread"):
            d.close()
        d.stats  # readable meanwhile (the counts of the last step)
    finally:
        armed[0] = False
        go.set()
        t.join()
    assert got == cli_lines(a, b, "--format", "json")


def test_threads_agree(pairs):
    """The library reads A and B on two threads by default; one thread, and
    two diffs running on two Python threads at once, give the same."""
    a, b = pairs("c.evr"), pairs("cb.ndjson")
    want = list(evrec.diff(a, b, threads=1))
    results = [None, None]

    def work(i):
        results[i] = list(evrec.diff(a, b))

    ts = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == [want, want]


def test_memory_is_bounded(tmp_path, seed_dict):
    """A pair of ~50 MB files (12 MB under ASan) with 10% of the records
    changed, 1% removed and some added: iterating the differences keeps
    Python memory at one record's differences and the process's peak RSS
    far below the files' size (the library keeps ~45 bytes per record)."""
    n = 800 if ASAN else 3500
    a, b = tmp_path / "a.pbd", tmp_path / "b.evr"
    rec = dict(seed_dict)
    with evrec.Writer(a) as wa, evrec.Writer(b) as wb:
        for i in range(n):
            rec["id"] = "r%d" % i
            wa.write(rec)
            if i % 100 == 1:
                continue  # removed
            if i % 10 == 3:
                changed = dict(rec, revision=7, events=rec["events"][1:] + [dict(rec["events"][0], summary="x")])
                wb.write(changed)
            else:
                wb.write(rec)
        for i in range(n // 50):
            rec["id"] = "new%d" % i
            wb.write(rec)
    size = a.stat().st_size
    assert size > (10 if ASAN else 50) * MIB
    script = textwrap.dedent("""
        import resource, sys, tracemalloc, evrec
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        count = 0
        d = evrec.diff(sys.argv[1], sys.argv[2])
        for x in d:
            count += 1
        cur, peak = tracemalloc.get_traced_memory()
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        s = d.stats
        print(count, s["changed"], s["removed"], s["added"], cur, peak, (rss1 - rss0) * 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script, str(a), str(b)], check=True,
                         stdout=subprocess.PIPE).stdout.split()
    count, changed, removed, added, cur, peak, rss = map(int, out)
    assert (changed, removed, added) == (n // 10, n // 100, n // 50)
    assert count > changed + removed + added
    assert cur < 1 * MIB, cur                       # nothing kept
    assert peak < 4 * MIB, peak                     # one record's differences at a time
    bound = (64 if ASAN else 32) * MIB              # read-ahead blocks, arenas, the interpreter
    assert rss < bound and rss < size / 2, rss


@pytest.mark.skipif(ASAN, reason="the sanitizers' allocators keep no mallinfo (the ASan run has its own checks)")
def test_no_leaks(pairs):
    """Every way through diff, record_diff and record_patch -- to the end,
    closed early, dropped, failing in the library, at the call or in an op --
    run 1,000 times more after a warm-up leaves glibc's malloc (the C side:
    the library's state, the buffers of differences) and Python's allocated
    blocks (references) where they were, give or take what caches settle:
    a leak of 16 bytes or one object per round would show."""
    import ctypes
    import gc

    class Mallinfo2(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                   "fsmblks", "uordblks", "fordblks", "keepcost")]

    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = Mallinfo2

    def used():
        gc.collect()
        m = libc.mallinfo2()
        return m.uordblks + m.hblkhd, sys.getallocatedblocks()

    def fails(exc, f, *args, **kw):
        try:
            f(*args, **kw)
        except exc:
            return
        raise AssertionError("%r did not raise" % f)

    a, b = pairs("a.ndjson"), pairs("b.ndjson")
    b_bytes = open(b, "rb").read()
    r1a, r1b = json.loads(A_DOC[0]), B_DOC[2]
    ops = evrec.record_diff(r1a, r1b)
    bad_ops = ([dict(ops[0], old=7)], [dict(ops[0], id="zz")], ['{"op":'],
               [{"op": "replace", "id": "r1", "path": "nope", "old": 1, "new": 2}])
    dup = b'{"id":"x"}\n{"id":"x"}\n'

    def rounds(n):
        for _ in range(n):
            list(evrec.diff(a, b))
            list(evrec.diff(a, io.BytesIO(b_bytes), format="ndjson", json_patch=True, ignore=["revision"]))
            d = evrec.diff(a, b)
            next(d)
            d.close()
            d = evrec.diff(a, evrec.open(b))
            next(d)
            del d
            fails(evrec.ConflictError, lambda: list(evrec.diff(a, io.BytesIO(dup), format="ndjson")))
            fails(evrec.ArgumentError, evrec.diff, a, b, float_tolerance=-1, ignore=["x"])
            evrec.record_diff(r1a, r1b, ignore=["actors"], float_tolerance=0.1)
            evrec.record_diff(r1a, r1b, json_patch=True)
            evrec.record_patch(A_DOC[0], ops)
            for bad in bad_ops:
                fails(evrec.Error, evrec.record_patch, A_DOC[0], bad)
            fails(evrec.SchemaError, evrec.record_diff, {"id": 3}, {})

    rounds(200)
    m0, p0 = used()
    rounds(1000)
    m1, p1 = used()
    assert m1 - m0 < 16 * 1024, m1 - m0
    assert p1 - p0 < 500, p1 - p0


def test_readme_example(tmp_path):
    """python/README.md's example of evrec.diff prints what it says."""
    from conftest import ROOT
    text = open(os.path.join(ROOT, "python", "README.md")).read()
    section = text[text.index("## Differences: `evrec.diff`"):]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[1]
    want = re.findall(r"```text\n(.*?)```", section, re.S)[0]
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE, check=True)
    assert p.stdout.decode() == want
    example = re.findall(r"```python\n(.*?)```", section, re.S)[2]  # record_diff, record_patch
    lines = example.splitlines()
    ops = eval(lines[0].split(" = ", 1)[1])
    assert ops == eval(" ".join(l.lstrip("# ") for l in lines[1:3]))
    assert eval(lines[3]) == eval(lines[4].lstrip("# "))
