"""Iterating a large file keeps memory bounded by the largest record or
block, not by the file: measured here on a file of some 50 MB of records
(12 MB under ASan), with tracemalloc (Python objects: no record is kept or
leaked) and getrusage (peak RSS of the process, C allocations included).
The bounds are far below the file's size, so a reader that kept records,
blocks or buffers would fail them; a 1 GiB corpus behaves alike (the
library's own peak-RSS check on 1 GB is in bench/)."""
import json
import subprocess
import sys
import textwrap

import pytest

import evrec
from conftest import ASAN, cli

MIB = 1 << 20


def test_iteration_memory_is_bounded(tmp_path, seed_dict):
    n = 800 if ASAN else 3500  # seed is ~15 KB of pb: 12 / 52 MB
    path = tmp_path / "big.pbd"
    rec = dict(seed_dict)
    with evrec.Writer(path) as w:
        for i in range(n):
            rec["id"] = "r%d" % i
            w.write(rec)
    evr = tmp_path / "big.evr"
    cli("convert", path, "-o", evr)
    size = path.stat().st_size
    assert size > (10 if ASAN else 50) * MIB
    # a fresh process, so that peak RSS measures this iteration alone
    script = textwrap.dedent("""
        import resource, sys, tracemalloc, evrec
        path, mode = sys.argv[1], sys.argv[2]
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        n = 0
        for rec in evrec.open(path, as_=mode):
            n += 1
        cur, peak = tracemalloc.get_traced_memory()
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(n, cur, peak, (rss1 - rss0) * 1024)
    """)
    for p, mode in ((path, "dict"), (evr, "dict"), (evr, "json")):
        if True:
            out = subprocess.run([sys.executable, "-c", script, str(p), mode], check=True,
                                 stdout=subprocess.PIPE).stdout.split()
            count, cur, peak, rss = map(int, out)
            assert count == n
            assert cur < 1 * MIB, (p, mode, cur)          # nothing kept
            assert peak < 4 * MIB, (p, mode, peak)        # one record's objects at a time
            bound = (48 if ASAN else 24) * MIB            # read-ahead blocks, arenas, the interpreter
            assert rss < bound and rss < size / 2, (p, mode, rss)


def test_gc_paused_per_record_only(seed_dict, tmp_path):
    """Building a record's dicts pauses the cyclic collector (no cycles can
    form, and collections there cost more than the decoding); the pause
    must end with the record, errors included, and a caller's own
    gc.disable() must stay."""
    import gc
    path = tmp_path / "two.ndjson"
    path.write_text(json.dumps(seed_dict) + "\n" + json.dumps(seed_dict) + "\n")
    assert gc.isenabled()
    seen = [gc.isenabled() for _ in evrec.open(str(path))]
    assert seen == [True, True] and gc.isenabled()
    # cycles made by the caller between records are still collected
    collected = []
    class Cycle:
        def __del__(self):
            collected.append(1)
    for rec in evrec.open(str(path)):
        c = Cycle()
        c.me = c
        rec["cycle"] = c
        del c, rec
        gc.collect()
    assert len(collected) == 2
    gc.disable()
    try:
        list(evrec.open(str(path)))
        assert not gc.isenabled()
    finally:
        gc.enable()
    bad = tmp_path / "bad.ndjson"
    bad.write_text(json.dumps(seed_dict) + "\n" + '{"id": 5}\n')
    with pytest.raises(evrec.Error):
        list(evrec.open(str(bad)))
    assert gc.isenabled()
