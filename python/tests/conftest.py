"""Shared fixtures of the evrec Python tests (run by `make test-python`).

The environment comes from python/python.mk: PYTHONPATH points at the
package just built (build/python) and the test-only module of the all-types
schema (build/python-test), EVREC_CLI at the CLI of the same build,
EVREC_ROOT at the source tree, EVREC_GENCORPUS and EVREC_DIFFMUT at the
generators of test data (bench/gencorpus, tests/diffmut); EVREC_ASAN=1
under the sanitizers, ASan or TSan (the suite then uses smaller inputs:
everything runs several times slower). Under a sanitizer the runtime is
LD_PRELOADed (python.mk); children that run no instrumented code and
may not tolerate it (bash crashes under libtsan) get SHELL_ENV.
"""
import os
import subprocess

import pytest

ROOT = os.environ.get("EVREC_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
CLI = os.environ.get("EVREC_CLI", os.path.join(ROOT, "build", "evrec"))
SEED = os.path.join(ROOT, "examples", "seed.json")
DIFFMUT = os.environ.get("EVREC_DIFFMUT") or os.path.join(os.path.dirname(CLI), "tests", "diffmut")
ASAN = os.environ.get("EVREC_ASAN") == "1"
# The environment for shell commands: no sanitizer runtime preloaded.
SHELL_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


def cli(*args, check=True):
    p = subprocess.run([CLI] + [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise AssertionError("evrec %s failed: %s" % (" ".join(map(str, args)), p.stderr.decode()))
    return p


def make_records(n, seed_dict):
    """n variants of the seed record with distinct ids and revisions."""
    out = []
    for i in range(n):
        r = dict(seed_dict)
        r["id"] = "%s#%d" % (seed_dict["id"], i)
        r["revision"] = i + 1
        out.append(r)
    return out


@pytest.fixture(scope="session")
def seed_dict():
    import evrec
    return next(evrec.open(SEED))


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """A realistic corpus from bench/gencorpus (varied records: every
    entity kind, references, wrappers, timestamps), as NDJSON, pbd and
    .evr with small blocks (many blocks, so many partitions)."""
    d = tmp_path_factory.mktemp("corpus")
    gen = os.environ.get("EVREC_GENCORPUS") or os.path.join(os.path.dirname(CLI), "bench", "gencorpus")
    ndjson = d / "c.ndjson"
    size = "1M" if ASAN else "4M"
    subprocess.run([gen, "-n", size, "-s", "3", "-o", str(ndjson)], check=True, stdout=subprocess.DEVNULL)
    cli("convert", ndjson, "-o", d / "c.pbd")
    cli("convert", ndjson, "-o", d / "c.evr", "--block-size", "32768")
    return {"ndjson": str(ndjson), "pbd": str(d / "c.pbd"), "evr": str(d / "c.evr"), "dir": d}
