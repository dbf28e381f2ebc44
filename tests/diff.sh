#!/bin/bash
# diff.sh -- `evrec diff` and `evrec patch` end to end.
#
#   bash tests/diff.sh CLI BUILD_DIR        (run by `make check`)
#
# Covers: usage and exit statuses (0 same, 1 different, 2 error); identical
# sets in different orders; added, removed and changed records; entity
# reorders (no difference) and entity changes; --ignore, --float-tolerance,
# --ignore-order, --quiet; the same answer for every pair of formats (NDJSON,
# JSON array, pbd, .evr) and with one side on a pipe (spilled to a temporary
# file); duplicate ids (exit 2, both records named); invalid input; the
# patch round trip patch(A, diff(A, B)) == B on thousands of random record
# pairs (tests/diffmut.c: every field of the schema, entity insertions,
# deletions, reorders, value changes, records added and removed) and on an
# edited bench corpus (bench/gencorpus.c), compared after normalising entity
# order (diffmut normalize) and sorting; the --format json-patch output
# applied by an independent RFC 6902 client (Debian's python3-jsonpatch) to
# the canonical JSON of A; patch errors (nothing written, old output
# untouched); and peak memory of a 200,000-record pair (getrusage, skipped
# under sanitizers whose shadow memory would dominate).
#
# Prints one line per failure and ends with "diff: N passed, M failed".
set -u

CLI=$(realpath "$1")
BUILD=$(realpath "${2:-build}")
HERE=$(cd "$(dirname "$0")" && pwd)
MUT=$BUILD/tests/diffmut
GEN=$BUILD/bench/gencorpus
PY=/usr/bin/python3
T=$(mktemp -d /tmp/evrec-diff.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$HERE/util/shcheck.sh"

expect_no_temp() {
  local left
  left=$(ls -a | grep '\.tmp\.' || true)
  if [ -z "$left" ]; then ok; else bad "$1: temporary files left: $left"; fi
}

# ------------------------------------------------------------------ inputs

printf '%s\n' \
  '{"id":"r1","actors":[{"id":"a1","name":"Ann"},{"id":"a2","name":"Bob"}],"events":[{"id":"e1","confidence":0.5,"participants":[{"actorId":"a1","role":"PARTICIPANT_ROLE_ACTOR"}]}]}' \
  '{"id":"r2","revision":1,"article":{"headline":"Two","keywords":["a","b"]}}' \
  '{"id":"r3"}' > a.ndjson
printf '%s\n' \
  '{"id":"r4"}' \
  '{"id":"r2","revision":2,"article":{"headline":"Two","keywords":["a","c","b"]}}' \
  '{"id":"r1","actors":[{"id":"a2","name":"Bob"},{"id":"a1","name":"Ann"}],"events":[{"id":"e1","confidence":0.75,"participants":[{"actorId":"a1","role":"PARTICIPANT_ROLE_RECIPIENT"}]}]}' > b.ndjson
cat > want.txt <<'EOF'
~ r1
  events[id=e1].participants[0].role: "PARTICIPANT_ROLE_ACTOR" -> "PARTICIPANT_ROLE_RECIPIENT"
  events[id=e1].confidence: 0.5 -> 0.75
~ r2
  revision: 1 -> 2
  article.keywords[1]: (none) -> "c"
- r3
+ r4
EOF

# ------------------------------------------------------------------ usage

run diff --help
expect_rc "diff --help" 0
grep -q 'Exit status: 0 when A and B hold the same records, 1 when they differ' out && ok \
  || bad "diff --help states the exit statuses"
run patch --help
expect_rc "patch --help" 0
run diff a.ndjson
expect_rc "diff with one input" 2
run diff - -
expect_rc "diff - -" 2
expect_err "diff - -" "evrec diff: only one of A and B can be stdin ('-')
Try 'evrec diff --help'."
run diff a.ndjson b.ndjson --format yaml
expect_rc "--format yaml" 2
run diff a.ndjson b.ndjson --float-tolerance -1
expect_rc "--float-tolerance -1" 2
run diff a.ndjson b.ndjson --summary --format json
expect_rc "--summary --format json" 2
run diff a.ndjson missing.ndjson
expect_rc "missing input" 2
expect_err "missing input" "evrec: cannot open missing.ndjson: No such file or directory"
run patch a.ndjson
expect_rc "patch without DELTA" 2

# ------------------------------------------------------------------ same, different

run diff a.ndjson b.ndjson
expect_rc "a b" 1
expect_same "a b text" out want.txt
run diff a.ndjson a.ndjson
expect_rc "a a" 0
expect_eq "a a prints nothing" "$(cat out)" ""
tac b.ndjson > b-rev.ndjson
run diff b.ndjson b-rev.ndjson
expect_rc "the same records in another order" 0
run diff a.ndjson b.ndjson --quiet
expect_rc "--quiet, different" 1
expect_eq "--quiet prints nothing" "$(cat out)" ""
run diff a.ndjson a.ndjson -q
expect_rc "--quiet, same" 0
run diff a.ndjson b.ndjson --ignore revision --ignore 'article.keywords' --ignore events \
  --ignore-order
expect_rc "ignored" 1
expect_eq "only added and removed records left" "$(cat out)" "- r3
+ r4"
grep -v r3 a.ndjson > a2.ndjson; grep -v r4 b.ndjson > b2.ndjson
run diff a2.ndjson b2.ndjson --ignore revision --ignore 'article.*' --ignore 'events[id=e1]'
expect_rc "everything different ignored" 0
run diff a2.ndjson b2.ndjson --ignore revision --ignore 'article.*' --ignore 'events.participants' \
  --float-tolerance 0.25
expect_rc "--float-tolerance 0.25" 0
run diff a2.ndjson b2.ndjson --ignore revision --ignore 'article.*' --ignore 'events.participants' \
  --float-tolerance 0.2
expect_rc "--float-tolerance 0.2" 1

# ------------------------------------------------------------------ formats, pipes

"$CLI" diff a.ndjson b.ndjson --format json > want.json
"$CLI" convert a.ndjson -t json --array -o a.json
for f in pbd evr; do
  "$CLI" convert a.ndjson -o "a.$f"
  "$CLI" convert b.ndjson -o "b.$f"
done
for pair in "a.json b.evr" "a.evr b.pbd" "a.pbd b.ndjson" "a.evr b.evr" "a.ndjson b.evr"; do
  set -- $pair
  run diff "$1" "$2"
  expect_rc "diff $pair" 1
  expect_same "diff $pair: text" out want.txt
  run diff "$1" "$2" --format json
  expect_same "diff $pair: json" out want.json
done
"$CLI" diff - b.evr < a.ndjson > out 2>err
expect_same "A on stdin (a regular file: seeks)" out want.txt
cat a.evr | "$CLI" diff - b.ndjson > out 2>err
expect_same "A .evr on a pipe (spilled)" out want.txt
cat b.pbd | "$CLI" diff a.json - -f pbd > out 2>err
rc=$?
expect_rc "B pbd on a pipe" 2 # -f applies to both sides: a.json is not pbd
cat b.pbd | "$CLI" diff a.pbd - -f pbd > out 2>err
expect_same "B pbd on a pipe, -f pbd" out want.txt
cat b.ndjson | TMPDIR=/nonexistent "$CLI" diff a.ndjson - > out 2>err
rc=$?
expect_rc "spill directory missing" 2
grep -q 'cannot create a temporary file in /nonexistent' err && ok || bad "spill error: $(cat err)"

# ------------------------------------------------------------------ errors in the input

printf '%s\n' '{"id":"r1"}' '{"id":"r2"}' '{"id":"r1","revision":3}' > dup.ndjson
run diff a.ndjson dup.ndjson
expect_rc "duplicate in B" 2
expect_err "duplicate in B" 'evrec: dup.ndjson: record 3 at byte 24: duplicate record id "r1" (first as record 1 at byte 0)'
"$CLI" convert dup.ndjson -o dup.evr
run diff dup.evr a.ndjson
expect_rc "duplicate in A (.evr)" 2
expect_err "duplicate in A (.evr)" 'evrec: dup.evr: record 3: duplicate record id "r1" (first as record 1)'
cat dup.ndjson dup.ndjson > dup2.ndjson
run diff dup2.ndjson dup2.ndjson
expect_rc "many duplicates" 2
expect_err "many duplicates: the first in file order" 'evrec: dup2.ndjson: record 3 at byte 24: duplicate record id "r1" (first as record 1 at byte 0)'
printf '%s\n' '{"id":"r1"}' '{"id":"r2","revision":"x"}' > bad.ndjson
run diff a.ndjson bad.ndjson
expect_rc "invalid record" 2
expect_err "invalid record" 'evrec: bad.ndjson:2:23: record 2: invalid value "x" for uint32 (at revision)'

# ------------------------------------------------------------------ patch

run diff a.ndjson b.ndjson --format json
cp out delta.json
run patch a.ndjson delta.json -o p.evr
expect_rc "patch" 0
run diff p.evr b.ndjson
expect_rc "patch(A, diff(A, B)) = B" 0
"$CLI" patch a.evr delta.json > p.ndjson
run diff p.ndjson b.ndjson
expect_rc "patch .evr A to stdout" 0
cat delta.json | "$CLI" patch a.ndjson - -o p2.ndjson
run diff p2.ndjson b.ndjson
expect_rc "DELTA on stdin" 0

echo keep > out.ndjson
sed 's/"old":0.5/"old":0.25/' delta.json > bad-old.json
run patch a.ndjson bad-old.json -o out.ndjson
expect_rc "old value differs" 1
expect_err "old value differs" 'evrec: bad-old.json:2: record "r1": replace at events[id=e1].confidence: the record has 0.5, not 0.25'
expect_eq "output untouched" "$(cat out.ndjson)" "keep"
expect_no_temp "failed patch"
sed 's/"id":"r2"/"id":"r9"/' delta.json > bad-id.json
run patch a.ndjson bad-id.json -o out.ndjson
expect_rc "record missing" 1
expect_err "record missing" 'evrec: bad-id.json:3: record "r9": replace at revision: the record is not in A'
sed 's/"id":"r4"/"id":"r1"/' delta.json > bad-add.json
run patch a.ndjson bad-add.json -o out.ndjson
expect_rc "record added that A has" 1
expect_err "record added that A has" 'evrec: bad-add.json:1: record "r1": the record is added at line 6 and changed here'
sed 's/article.keywords\[1\]/article.keywords[7]/' delta.json > bad-path.json
run patch a.ndjson bad-path.json -o out.ndjson
expect_rc "index past the end" 1
expect_err "index past the end" 'evrec: bad-path.json:4: record "r2": add at article.keywords[7]: index 7 is past the end of the list (2 elements)'
printf '%s\n' '{"op":"replace","id":"r1","path":"revision","old":1' > bad-syntax.json
run patch a.ndjson bad-syntax.json -o out.ndjson
expect_rc "delta syntax error" 1
expect_err "delta syntax error" 'evrec: bad-syntax.json:1:52: expected '"','"' or '"'}'"''
sed 's/"old":{"id":"r3"}/"old":{"id":"r3","revision":7}/' delta.json > bad-rm.json
run patch a.ndjson bad-rm.json -o out.ndjson
expect_rc "removed record differs" 1
expect_err "removed record differs" 'evrec: bad-rm.json:5: record "r3": remove: the record in A is not the delta'"'"'s old record'
expect_eq "output still untouched" "$(cat out.ndjson)" "keep"
expect_no_temp "failed patches"

# ------------------------------------------------------------------ the round trip property

# patch(A, diff(A, B)) must equal B as evrec diff sees it, and -- checked
# without diff -- as lines after entity lists are sorted by id.
same_sets() { # NAME P B
  "$MUT" normalize "$2" n1.ndjson && "$MUT" normalize "$3" n2.ndjson && sort n1.ndjson > s1 &&
    sort n2.ndjson > s2
  expect_same "$1: normalised lines" s1 s2
  run diff "$2" "$3"
  expect_rc "$1: diff(P, B)" 0
}

round_trip() { # NAME A B
  run diff "$2" "$3" --format json
  expect_rc "$1: diff" 1
  cp out rt-delta.json
  run patch "$2" rt-delta.json -o rt-p.ndjson
  expect_rc "$1: patch" 0
  same_sets "$1" rt-p.ndjson "$3"
}

# The RFC 6902 form, applied by python3-jsonpatch to A's canonical JSON.
jsonpatch_check() { # NAME A B
  if ! "$PY" -c 'import jsonpatch' 2>/dev/null; then
    echo "diff: python3-jsonpatch missing, $1 RFC 6902 check skipped"
    return
  fi
  "$CLI" cat "$2" > jp-a.ndjson && "$CLI" cat "$3" > jp-b.ndjson
  "$CLI" diff "$2" "$3" --format json-patch > jp.json
  if "$PY" - jp-a.ndjson jp.json jp-b.ndjson > jp.out 2>&1 <<'PY'
import json, sys, jsonpatch
a = {}
for line in open(sys.argv[1]):
    r = json.loads(line); a[r["id"]] = r
for line in open(sys.argv[2]):
    op = json.loads(line)
    if op.get("removed"):
        del a[op["id"]]
    else:
        a[op["id"]] = jsonpatch.apply_patch(a.get(op["id"], {}), op["patch"])
def norm(r):  # entity order is not a difference
    for k in ("actors", "places", "events", "claims"):
        ids = [e.get("id", "") for e in r.get(k, [])]
        if k in r and all(ids) and len(set(ids)) == len(ids):
            r[k] = sorted(r[k], key=lambda e: e["id"])
    return r
b = [json.loads(l) for l in open(sys.argv[3])]
bad = [r["id"] for r in b if norm(a.pop(r["id"], {})) != norm(r)]
if bad or a:
    sys.exit("differ: %s; only in patched A: %s" % (bad[:5], list(a)[:5]))
print(len(b))
PY
  then ok; else bad "$1: RFC 6902 patches applied by jsonpatch: $(tail -c 500 jp.out)"; fi
}

for seed in 1 2 3; do
  "$MUT" random 1500 "$seed" ra.ndjson rb.ndjson
  round_trip "random set $seed" ra.ndjson rb.ndjson
  [ "$seed" = 1 ] && jsonpatch_check "random set $seed" ra.ndjson rb.ndjson
done
"$CLI" convert rb.ndjson -o rb.evr
"$CLI" convert ra.ndjson -o ra.pbd
round_trip "random set, pbd vs .evr" ra.pbd rb.evr

"$GEN" -n 3M -s 5 -o corpus.ndjson 2> gen.err || bad "gencorpus: $(cat gen.err)"
"$MUT" mutate 9 20 corpus.ndjson corpus-b.ndjson
round_trip "bench corpus, 20% edited" corpus.ndjson corpus-b.ndjson
jsonpatch_check "bench corpus" corpus.ndjson corpus-b.ndjson
run diff corpus.ndjson corpus-b.ndjson --summary
grep -q '^records: [1-9][0-9]* added, [1-9][0-9]* removed, [1-9][0-9]* changed' out && ok \
  || bad "corpus summary: $(cat out)"

# ------------------------------------------------------------------ memory

# 200,000 small records a side; SPEC: 1 M records in 256 MiB -> 51 MiB here.
if ldd "$CLI" 2>/dev/null | grep -q 'libasan\|libubsan' || ! [ -x "$PY" ]; then
  echo "diff: sanitizer build, peak-memory test skipped"
else
  awk 'BEGIN { for (i = 0; i < 200000; i++)
    printf "{\"id\":\"rec-%d\",\"revision\":1,\"article\":{\"headline\":\"Headline %d\"},\"events\":[{\"id\":\"e1\",\"confidence\":0.5}]}\n", i, i }' > big-a.ndjson
  awk 'BEGIN { for (i = 0; i < 200000; i++) if (i % 100 == 5)
    printf "{\"id\":\"rec-%d\",\"revision\":2,\"article\":{\"headline\":\"Headline %d\"},\"events\":[{\"id\":\"e1\",\"confidence\":0.75}]}\n", i, i
    else if (i % 100 != 9)
    printf "{\"id\":\"rec-%d\",\"revision\":1,\"article\":{\"headline\":\"Headline %d\"},\"events\":[{\"id\":\"e1\",\"confidence\":0.5}]}\n", i, i
    for (i = 0; i < 2000; i++) printf "{\"id\":\"new-%d\"}\n", i }' > big-b.ndjson
  kib=$("$PY" -c 'import resource, subprocess, sys
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if p.returncode == 1 else -1)' \
    "$CLI" diff big-a.ndjson big-b.ndjson)
  if [ "$kib" -gt 0 ] && [ "$kib" -le $((51 * 1024)) ]; then ok
  else bad "200,000-record pair: peak RSS $kib KiB, limit 52224 KiB"; fi
  run diff big-a.ndjson big-b.ndjson --summary
  expect_eq "200,000-record pair summary" "$(head -1 out)" \
    "records: 2000 added, 2000 removed, 2000 changed, 196000 same (A 200000, B 200000)"
fi

echo "diff: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
