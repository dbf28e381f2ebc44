"""evrec.dask on a real distributed.LocalCluster: two worker *processes*
talking to the scheduler over TCP on loopback, as workers on other
machines would (docs/SCALING.md). Results must equal a single-process
read of the same files, including after cat-concatenating the partition
files to_evr writes."""
import os
import subprocess

import pytest

import evrec
import evrec.dask
from conftest import cli


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, worker_dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def files(corpus, tmp_path_factory):
    """The corpus .evr (many blocks), a second .evr made of two
    concatenated sections, and an NDJSON file (one partition)."""
    d = tmp_path_factory.mktemp("dask")
    a = corpus["evr"]
    half = d / "half.ndjson"
    lines = open(corpus["ndjson"], "rb").read().splitlines(keepends=True)
    half.write_bytes(b"".join(lines[: len(lines) // 2]))
    cli("convert", half, "-o", d / "h1.evr", "--block-size", "16384")
    cli("convert", corpus["ndjson"], "-o", d / "h2.evr", "--block-size", "65536")
    cat = d / "two-sections.evr"
    cat.write_bytes((d / "h1.evr").read_bytes() + (d / "h2.evr").read_bytes())
    return [a, str(cat), str(half)]


def single(paths, as_="dict"):
    return [r for p in paths for r in evrec.open(p, as_=as_)]


def test_partitions_split_files(files):
    parts = evrec.dask.partitions(files, blocks_per_partition=2)
    per_file = {p: sum(1 for q, _ in parts if q == p) for p in files}
    assert per_file[files[0]] >= 8 and per_file[files[1]] >= 8
    assert per_file[files[2]] == 1 and [b for q, b in parts if q == files[2]] == [None]


def test_read_records_on_cluster(client, files):
    bag = evrec.dask.read_records(files, blocks_per_partition=4)
    assert bag.npartitions >= 16
    assert bag.compute() == single(files)  # same records, same order
    assert bag.count().compute() == len(single(files))
    ids = bag.pluck("id").distinct().count().compute()
    assert ids == len({r["id"] for r in single(files)})
    assert evrec.dask.read_records(files[:1], as_="bytes").compute() == single(files[:1], "bytes")


def test_read_table_on_cluster(client, files):
    import pandas as pd
    for table in ("events", "claims"):
        ddf = evrec.dask.read_table(files, table=table, blocks_per_partition=4)
        assert ddf.npartitions >= 16
        got = ddf.compute().reset_index(drop=True)
        want = pd.concat([evrec.read_table(p, table=table) for p in files], ignore_index=True)
        pd.testing.assert_frame_equal(got, want)
    ev = evrec.dask.read_table(files, table="events")
    counts = ev.groupby("quad_class").event_id.count().compute().sort_index()
    want = pd.concat([evrec.read_table(p) for p in files]).groupby("quad_class").event_id.count().sort_index()
    pd.testing.assert_series_equal(counts, want)


def test_to_evr_on_cluster(client, files, tmp_path):
    bag = evrec.dask.read_records(files, blocks_per_partition=4)
    out = tmp_path / "out"
    paths = evrec.dask.to_evr(bag.filter(lambda r: len(r.get("events", [])) > 0), out,
                              created_at="2026-11-27T17:00:00Z")
    assert len(paths) == bag.npartitions and all(p.startswith(str(out)) for p in paths)
    want = [r for r in single(files) if r.get("events")]
    assert [r for p in paths for r in evrec.open(p)] == want
    # the byte concatenation of the parts, in order, is one valid .evr
    cat = tmp_path / "all.evr"
    with open(cat, "wb") as f:
        subprocess.run(["cat"] + paths, stdout=f, check=True)
    assert list(evrec.open(cat)) == want
    assert cli("info", cat).returncode == 0
    assert sum(b.records for b in evrec.blocks(cat)) == len(want)
    assert evrec.dask.read_records([str(cat)], blocks_per_partition=2).compute() == want
    # json text and pb bytes partitions write too
    j = evrec.dask.to_evr(evrec.dask.read_records(files[2:], as_="json"), tmp_path / "j")
    assert [r for p in j for r in evrec.open(p)] == single(files[2:])


def test_errors_reach_the_client(client, tmp_path):
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"id": "a"}\n{"id": 5}\n')
    with pytest.raises(evrec.SchemaError) as e:
        evrec.dask.read_records([str(bad)]).compute()
    assert e.value.record == 2 and e.value.path == "id"
    with pytest.raises(FileNotFoundError):
        evrec.dask.read_records(str(tmp_path / "none-*.evr"))


def test_cli_started_cluster(files, tmp_path):
    """The commands of docs/SCALING.md, on loopback: a dask-scheduler and a
    dask-worker started as separate programs (as on separate machines),
    found through a scheduler file, read a file split by block."""
    import shutil
    import sys
    import time
    from distributed import Client
    sched_file = tmp_path / "scheduler.json"
    bindir = os.path.dirname(shutil.which("dask-scheduler") or "/usr/bin/dask-scheduler")
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, os.path.join(bindir, "dask-scheduler"), "--host", "127.0.0.1",
                               "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 120
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        procs.append(subprocess.Popen([sys.executable, os.path.join(bindir, "dask-worker"), "--scheduler-file",
                                       str(sched_file), "--host", "127.0.0.1", "--nworkers", "2", "--nthreads", "1",
                                       "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        with Client(scheduler_file=str(sched_file), timeout=120) as c:
            c.wait_for_workers(2, timeout=120)
            bag = evrec.dask.read_records(files[:2], blocks_per_partition=4)
            assert bag.map(lambda r: len(r.get("events", ()))).sum().compute() == \
                sum(len(r.get("events", ())) for r in single(files[:2]))
            assert bag.pluck("id").compute() == [r["id"] for r in single(files[:2])]
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
