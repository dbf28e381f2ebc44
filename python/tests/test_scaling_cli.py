"""The command-line building blocks docs/SCALING.md gives Spark (RDD.pipe)
and Hadoop Streaming users, run as those frameworks run them: lines on
stdin, lines on stdout, a non-zero exit and a message on a bad record.
Spark and Hadoop themselves are not packaged in Debian 12: not tested."""
import json
import subprocess

import evrec
from conftest import CLI, SHELL_ENV


def test_pipe_ndjson_lines(corpus):
    lines = open(corpus["ndjson"], "rb").read().splitlines(keepends=True)[:200]
    # a partition as a framework feeds it: the lines, as they come
    p = subprocess.run([CLI, "convert", "-", "-f", "ndjson", "-t", "ndjson"], input=b"".join(lines),
                       stdout=subprocess.PIPE, check=True)
    out = p.stdout.splitlines(keepends=True)
    assert out == lines  # the corpus is canonical already
    assert [json.loads(x)["id"] for x in out] == [r["id"] for r in evrec.open(corpus["ndjson"])][:200]


def test_pipe_bad_record_fails_the_task():
    p = subprocess.run([CLI, "convert", "-", "-f", "ndjson", "-t", "ndjson"],
                       input=b'{"id": "a"}\n{"id": "b", "revision": -1}\n',
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.returncode == 1
    assert b"<stdin>:2:" in p.stderr and b"record 2" in p.stderr


def test_pipe_evr_paths(corpus, tmp_path):
    a, b = tmp_path / "a.evr", tmp_path / "b.evr"
    with evrec.Writer(a) as w:
        for r in list(evrec.open(corpus["evr"]))[:50]:
            w.write(r)
    with evrec.Writer(b) as w:
        for r in list(evrec.open(corpus["evr"]))[50:80]:
            w.write(r)
    p = subprocess.run("xargs -r -n 1 %s convert -t ndjson" % CLI, shell=True, env=SHELL_ENV,
                       input=("%s\n%s\n" % (a, b)).encode(), stdout=subprocess.PIPE, check=True)
    want = list(evrec.open(corpus["evr"], as_="json"))[:80]
    assert p.stdout.decode().splitlines() == want
