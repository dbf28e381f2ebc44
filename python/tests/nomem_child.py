"""Child process of test_nomem.py: runs one operation of the binding again
and again with Python's allocators failing from allocation n on, n = 0, 1,
2 ... until the operation gets through (CPython's _testcapi.set_nomemory,
the hook CPython's own tests use). Each run must either raise MemoryError
(evrec.NoMemoryError is one) or give the result of a normal run; a crash,
a SystemError (a NULL returned without an exception, or a result with
one set) or a different result fails the test. Run in a child because a
failure may be a crash.

    python3 nomem_child.py OP DIR   (DIR holds the inputs made by the test)

Prints "nomem OP: N allocations, M runs" and exits 0, or prints what went
wrong and exits 1.

The operations use no `with` and no `finally`: CPython 3.11's bytecode
loop cannot unwind through their handlers when it cannot allocate the int
it pushes there (it tries again, for ever), which is not the binding's to
test.
"""
import gc
import io
import json
import os
import sys

import _testcapi

import evrec

DIR = sys.argv[2] if len(sys.argv) > 2 else "."


def p(name):
    return os.path.join(DIR, name)


def read_dicts():
    return list(evrec.open(p("many.ndjson")))


def read_json_evr():
    return list(evrec.open(p("many.evr"), as_="json"))


def read_bytes_pbd():
    return list(evrec.open(p("many.pbd"), as_="bytes"))


def get_evr():
    r = evrec.open(p("many.evr"))
    got = [r.get(i)["id"] for i in ("cnn.com:2025-06-16:ice-7", "r2-1")]
    blocks = [(b.first, b.records) for b in r.blocks()]
    r.seek(5)
    got.append(next(r)["id"])
    r.close()
    return got, blocks


def write(fmt):
    out = p("w." + fmt)

    def run():
        recs = evrec.open(p("many.ndjson"))
        recs = [next(recs) for _ in range(4)]
        w = evrec.Writer(out, format=fmt, block_size=4096)
        for r in recs:
            w.write(r)
        w.close()

    def check(failed):
        """What the run left: nothing when it failed (the Writer renames its
        file into place only on success), else the file's records. Removes
        it for the next run."""
        if failed:
            got = "left %s behind" % out if os.path.exists(out) else None
        else:
            got = list(evrec.open(out, as_="json"))
        if os.path.exists(out):
            os.unlink(out)
        return got
    return run, check


PBD = []  # many.pbd's bytes, read by main(): the io module's own open() is not tested


def read_fileobj():
    return list(evrec.open(io.BytesIO(PBD[0]), format="pbd"))


def write_fileobj():
    recs = evrec.open(p("many.ndjson"), as_="json")
    recs = [next(recs) for _ in range(3)]
    pb = next(evrec.open(io.BytesIO(recs[2].encode()), as_="bytes", format="ndjson"))
    buf = io.BytesIO()
    w = evrec.Writer(buf, format="evr", block_size=4096)
    w.write(recs[0])  # JSON text
    w.write(json.loads(recs[1]))  # a dict
    w.write(pb)  # protobuf bytes
    w.close()
    return list(evrec.open(io.BytesIO(buf.getvalue()), as_="json"))


def validate():
    return [sorted(v.items()) for v in evrec.validate(p("bad.ndjson"))]


def validate_options():
    return [sorted(v.items()) for v in evrec.validate(p("bad.ndjson"), strict=True, rules=["ref-*"])]


def validate_record():
    recs = list(evrec.open(p("bad.ndjson")))
    return [sorted(v.items()) for v in evrec.validate_record(recs[1])]


def diff():
    return [sorted(d.items()) for d in evrec.diff(p("many.ndjson"), p("many2.ndjson"))]


def diff_json_patch():
    return [sorted(d.items()) for d in evrec.diff(p("many.ndjson"), p("many2.ndjson"), json_patch=True,
                                                   ignore=["events.*"], threads=1)]


def record_diff_patch():
    a, b = evrec.open(p("many.ndjson")), evrec.open(p("many2.ndjson"))
    ra, rb = next(a), next(b)
    delta = evrec.record_diff(ra, rb)
    return delta, evrec.record_patch(ra, delta)


def table():
    r = evrec.open(p("many.evr"))
    cols = r._table("events")
    r.close()
    return sorted((k, list(v) if not isinstance(v, (bytes, str)) else v) for k, v in cols.items())


def rules():
    return evrec.rules()


def plain(op):
    return op, lambda failed: None


OPS = {
    "read_dicts": plain(read_dicts),
    "read_json_evr": plain(read_json_evr),
    "read_bytes_pbd": plain(read_bytes_pbd),
    "get_evr": plain(get_evr),
    "write_ndjson": write("ndjson"),
    "write_pbd": write("pbd"),
    "write_evr": write("evr"),
    "read_fileobj": plain(read_fileobj),
    "write_fileobj": plain(write_fileobj),
    "validate": plain(validate),
    "validate_options": plain(validate_options),
    "validate_record": plain(validate_record),
    "diff": plain(diff),
    "diff_json_patch": plain(diff_json_patch),
    "record_diff_patch": plain(record_diff_patch),
    "table": plain(table),
    "rules": plain(rules),
}


def attempt(op, check, start, stop):
    """op() with Python's allocations start .. stop - 1 refused (stop 0: all
    from start on), then check() with memory again: (result, None) or
    (None, the exception), and what check() says."""
    _testcapi.set_nomemory(start, stop)
    try:
        got, err = op(), None
    except BaseException as e:  # noqa: B902 -- every kind is checked by the caller
        got, err = None, e
    finally:
        _testcapi.remove_mem_hooks()
    return (got, check(err is not None)), err


def main():
    name = sys.argv[1]
    with open(p("many.pbd"), "rb") as f:
        PBD.append(f.read())
    op, check = OPS[name]
    want = (op(), check(False))  # a normal run (also warms caches of imports and types)
    gc.collect()

    def wrong(what, n, got, err):
        if err is not None and not isinstance(err, MemoryError):
            return "nomem %s: %s %d: %s: %s (want MemoryError)" % (name, what, n, type(err).__name__, err)
        if err is not None and got[1] is not None:
            return "nomem %s: %s %d: MemoryError, but %s" % (name, what, n, got[1])
        if err is None and got != want:
            return "nomem %s: %s %d: a different result, no error" % (name, what, n)
        return None

    # Memory gone for good from allocation n on; the first n that gets
    # through is one past the operation's last allocation.
    runs, total = 0, None
    for n in range(200000):
        got, err = attempt(op, check, n, 0)
        runs += 1
        msg = wrong("allocations refused from", n, got, err)
        if msg:
            print(msg)
            return 1
        if err is None:
            total = n
            break
    if total is None:
        print("nomem %s: no end after %d runs" % (name, runs))
        return 1
    # One refusal, then memory again: MemoryError, or the normal result (a
    # refusal the code recovers from), never another result.
    for n in range(total + 1):
        got, err = attempt(op, check, n, n + 1)
        runs += 1
        msg = wrong("allocation refused alone:", n, got, err)
        if msg:
            print(msg)
            return 1
    print("nomem %s: %d allocations, %d runs" % (name, total, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
