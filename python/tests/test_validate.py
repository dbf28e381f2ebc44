"""evrec.validate: the library's validator as an iterator of dicts, equal
to `evrec validate --format json` on every file of tests/data/validate (one
per rule) and on the generated corpus, with the same options."""
import glob
import json
import os

import pytest

import evrec
from conftest import ROOT, SEED, cli

CASES = sorted(f for f in glob.glob(os.path.join(ROOT, "tests", "data", "validate", "*"))
               if not f.endswith((".expected", ".args", ".note")))

LIMITS = {"--max-depth": "max_depth", "--max-record-size": "max_record_size",
          "--max-string-size": "max_string_size", "--max-block-size": "max_block_size",
          "--max-block-records": "max_block_records"}


def cli_json(path, *args):
    p = cli("validate", path, "--format", "json", *args, check=False)
    assert p.returncode in (0, 1), p.stderr
    lines = [json.loads(x) for x in p.stdout.decode().splitlines()]
    for v in lines[:-1]:  # Python names the keyword to raise, the CLI its option
        for opt, kw in LIMITS.items():
            v["message"] = v["message"].replace("(%s)" % opt, "(%s)" % kw)
    return lines[:-1], lines[-1]["summary"]


def options(path):
    args, kw = [], {}
    if os.path.exists(os.path.splitext(path)[0] + ".args"):
        args = open(os.path.splitext(path)[0] + ".args").read().split()
    it = iter(args)
    for a in it:
        if a in LIMITS:
            kw[LIMITS[a]] = int(next(it))
        elif a == "--ignore-unknown":
            kw["ignore_unknown"] = True
        elif a == "--strict":
            kw["strict"] = True
        else:
            raise AssertionError("unknown option %s in %s.args" % (a, path))
    return args, kw


@pytest.mark.parametrize("path", CASES, ids=os.path.basename)
def test_like_the_cli(path):
    args, kw = options(path)
    want, summary = cli_json(path, *args)
    v = evrec.validate(path, **kw)
    assert list(v) == want
    assert v.stats == {k: summary[k] for k in ("records", "invalid", "errors", "warnings")}
    assert want  # every case file breaks its rule


def test_corpus_and_options(corpus):
    for args, kw in (([], {}), (["--strict"], {"strict": True}),
                     (["--rule", "span-*", "--rule", "date-*"], {"rules": ["span-*", "date-*"]}),
                     (["--skip-rule", "event-*"], {"skip_rules": ["event-*"]})):
        want, summary = cli_json(corpus["evr"], *args)
        v = evrec.validate(corpus["evr"], **kw)
        assert list(v) == want
        assert v.stats["records"] == summary["records"]
    assert list(evrec.validate(SEED)) == []


def test_rules_and_single_records(seed_dict):
    rules = evrec.rules()
    assert [r["id"] for r in rules] == [l.split()[0] for l in
                                        cli("validate", "--list-rules").stdout.decode().splitlines()]
    assert evrec.validate_record(seed_dict) == []
    bad = dict(seed_dict, events=[dict(seed_dict["events"][0], placeId="nowhere")])
    got = [(v["rule"], v["path"], v["record"]) for v in evrec.validate_record(bad)]
    assert ("ref-place-unresolved", "events[0].placeId", 1) in got
    with pytest.raises(evrec.SchemaError):
        evrec.validate_record({"id": "x", "nope": 1})
    with pytest.raises(evrec.ArgumentError):
        evrec.validate(SEED, rules=["no-such-rule"])
    with pytest.raises(TypeError):
        evrec.validate(SEED, rules="span-*")
