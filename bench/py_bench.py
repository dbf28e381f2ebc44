"""py_bench.py -- the Python rows of `make bench` (issue 14, SPEC §9).

    PYTHONPATH=build/python /usr/bin/python3 bench/py_bench.py MODE [args] --runs N

Times one operation inside the interpreter (imports and file setup are not
counted: what a notebook user waits for is the read, not `import pandas`),
best of --runs, and prints one JSON line {"seconds": best, ...}. Modes:

    dicts FILE               list(evrec.open(FILE))                   (.evr or .pbd)
    json-loads FILE.ndjson   [json.loads(l) for l in open(FILE)]
    google GENDIR FILE.pbd   [MessageToDict(Record.FromString(b)) for each record]
                             (python3-protobuf, C++-backed; records split in Python)
    pickle FILE              pickle.loads of the dicts list(evrec.open(FILE)) gives
                             (made and pickled before timing): what building
                             the same Python objects costs at the least
    table FILE TABLE         evrec.read_table(FILE, table=TABLE)
    events FILE              sum(len(r.get("events", ())) for r in evrec.open(FILE))
    dask FILE BPP            the same sum as a Dask bag job on a LocalCluster of 2
                             worker processes, FILE split in partitions of BPP
                             blocks; prints the cluster start-up time too
"""
import argparse
import json
import sys
import time


def best_of(runs, fn):
    best, out = None, None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        t = time.perf_counter() - t0
        best = t if best is None else min(best, t)
        del out  # freeing the result is not part of the read
    return best


def pbd_split(path):
    from google.protobuf.internal.decoder import _DecodeVarint32
    with open(path, "rb") as f:
        data = f.read()
    out, pos = [], 0
    while pos < len(data):
        size, pos = _DecodeVarint32(data, pos)
        out.append(data[pos:pos + size])
        pos += size
    return out


def events_sum(records):
    return sum(len(r.get("events", ())) for r in records)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("args", nargs="*")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    extra = {}
    if a.mode == "dicts":
        import evrec
        t = best_of(a.runs, lambda: list(evrec.open(a.args[0])))
    elif a.mode == "pickle":
        import pickle
        import evrec
        data = pickle.dumps(list(evrec.open(a.args[0])), protocol=pickle.HIGHEST_PROTOCOL)
        t = best_of(a.runs, lambda: pickle.loads(data))
    elif a.mode == "json-loads":
        t = best_of(a.runs, lambda: [json.loads(line) for line in open(a.args[0], encoding="utf-8")])
    elif a.mode == "google":
        # the generated evrec.v1 package, not the binding of the same name
        import os
        sys.path = [a.args[0]] + [d for d in sys.path
                                  if not os.path.exists(os.path.join(d or ".", "evrec", "__init__.py"))]
        from google.protobuf.json_format import MessageToDict
        from evrec.v1 import evrec_pb2
        records = pbd_split(a.args[1])  # the split is not timed: only decoding into dicts
        from_string = evrec_pb2.Record.FromString
        t = best_of(a.runs, lambda: [MessageToDict(from_string(b)) for b in records])
    elif a.mode == "table":
        import evrec
        import pandas  # noqa: F401  (imported before timing)
        t = best_of(a.runs, lambda: evrec.read_table(a.args[0], table=a.args[1]))
        extra["rows"] = len(evrec.read_table(a.args[0], table=a.args[1]))
    elif a.mode == "events":
        import evrec
        t = best_of(a.runs, lambda: events_sum(evrec.open(a.args[0])))
        extra["events"] = events_sum(evrec.open(a.args[0]))
    elif a.mode == "dask":
        import evrec.dask
        from distributed import Client, LocalCluster
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        client = Client(cluster)
        client.run(lambda: __import__("evrec.dask"))  # workers import the package once
        extra["startup"] = time.perf_counter() - t0
        bpp = int(a.args[1])

        def job():
            bag = evrec.dask.read_records(a.args[0], blocks_per_partition=bpp)
            extra["partitions"] = bag.npartitions
            return bag.map(lambda r: len(r.get("events", ()))).sum().compute()

        t = best_of(a.runs, job)
        extra["events"] = job()
        client.close()
        cluster.close()
    else:
        sys.exit("py_bench: unknown mode " + a.mode)
    print(json.dumps(dict(seconds=t, **extra)))


if __name__ == "__main__":
    main()
