"""The binding when Python's memory runs out: every operation, every
allocation (nomem_child.py, one child process per operation, since a
failure may be a crash). Each run must raise MemoryError or give the normal
result, and a failed Writer leaves no file behind. This found keyword
arguments that reached evrec.open() when popping them failed ("'strict' is
an invalid keyword argument for open()"), a TypeError about the argument
instead of MemoryError where an attribute lookup failed, and a Writer on a
file object that closed without an error on corrupt output after a failed
write() (see test_records.py, test_sink_failing_once)."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT, cli

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from nomem_child import OPS  # noqa: E402


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The children's inputs: 24 records (the repo's two-record sample with
    numbered ids), the same with revision 2, as pbd and as .evr in 4 KB
    blocks, and records that break a validation rule."""
    d = tmp_path_factory.mktemp("nomem")
    two = open(os.path.join(ROOT, "tests", "data", "io", "two.canonical.ndjson")).read().splitlines()
    many = []
    for i in range(1, 13):
        for line in two:
            many.append(line.replace('",', '-%d",' % i, 1))  # the id: "r2" -> "r2-7"
    (d / "many.ndjson").write_text("\n".join(many) + "\n")
    (d / "many2.ndjson").write_text("\n".join(m.replace('"revision":1,', '"revision":2,') for m in many) + "\n")
    (d / "bad.ndjson").write_text("\n".join(m.replace('"actorId":"a1"', '"actorId":"nope"') for m in many[:3]) + "\n")
    cli("convert", d / "many.ndjson", "-o", d / "many.pbd")
    cli("convert", d / "many.ndjson", "--block-size", "4096", "-o", d / "many.evr")
    assert cli("validate", d / "bad.ndjson", check=False).returncode == 1
    return d


@pytest.mark.parametrize("op", sorted(OPS))
def test_nomem(inputs, op):
    p = subprocess.run([sys.executable, os.path.join(HERE, "nomem_child.py"), op, str(inputs)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")[-2000:]
    assert p.returncode == 0, out
    assert "nomem %s: " % op in out and " allocations, " in out, out
