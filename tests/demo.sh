#!/bin/bash
# demo.sh -- `make demo` (examples/demo.sh) tours the product as promised.
#
#   bash tests/demo.sh CLI BUILD_DIR        (run by `make check`)
#
# Runs the tour as `make demo` does (the Makefile's demo recipe must call
# examples/demo.sh) into a scratch directory and checks: exit status 0, at
# most 40 lines, one numbered line per step saying what it shows, and what
# each step must show -- the seed's JSON -> pb -> JSON round trip
# identical, 10,000 records in .evr beside gzip -6's size, `evrec info`'s
# facts, a record got by id with one block inflated, the seed valid, the
# planted fault found with exit status 1, and shown by evrec diff. It writes nowhere but its output
# directory.
#
# Ends with "demo: N passed, M failed"; exits non-zero on failure.
set -u

CLI=$(realpath "$1")
BUILD=$(realpath "${2:-build}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
T=$(mktemp -d /tmp/evrec-demo.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$HERE/util/shcheck.sh"

grep -q '^	@bash examples/demo.sh $(CLI) $(GENCORPUS) $(B)/demo$' "$ROOT/Makefile" && ok ||
  bad "the Makefile's demo target does not run examples/demo.sh"

before=$(cd "$ROOT" && find . -path ./build -prune -o -newer "$T" -print | head -5)
bash "$ROOT/examples/demo.sh" "$CLI" "$BUILD/bench/gencorpus" "$T/out" > tour 2> err
rc=$?
expect_rc "demo" 0
[ ! -s err ] && ok || bad "demo wrote on stderr: $(head -3 err)"
lines=$(wc -l < tour)
[ "$lines" -le 40 ] && ok || bad "demo prints $lines lines, want at most 40"
after=$(cd "$ROOT" && find . -path ./build -prune -o -newer "$T" -print | head -5)
expect_eq "demo writes nothing into the repository" "$after" "$before"
[ "$(ls "$T")" = "$(printf 'err\nout\ntour')" ] && ok || bad "demo wrote outside its directory: $(ls "$T")"

# step N PATTERN: step N's line matches (grep -E).
step() { grep -Eq "^$1\. $2" tour && ok || bad "step $1 should match [$2]: $(grep "^$1\. " tour)"; }
step 1 'the seed record, JSON -> pb -> JSON: .*seed\.pb \([0-9.]+ KiB\) -> the same canonical JSON, byte for byte$'
step 2 '10,000 generated .*-> corpus\.evr [0-9.]+ MiB; gzip -6 of the NDJSON: [0-9.]+ MiB$'
step 3 'what the container says about itself: evrec info corpus\.evr$'
step 4 'random access by id, through the index: evrec get corpus\.evr [^ ]+ --stats$'
step 5 'validation of the seed: evrec validate examples/seed\.json$'
step 6 'a planted fault .*: evrec validate fault\.json$'
step 7 'what changed, .*: evrec diff examples/seed\.json fault\.json$'
[ "$(grep -c '^[0-9]*\. ' tour)" -eq 7 ] && ok || bad "want 7 steps: $(grep -c '^[0-9]*\. ' tour)"
grep -q '^     records:     10000$' tour && ok || bad "info: records"
grep -q '^     damage:      none$' tour && ok || bad "info: damage"
grep -q '^     index:       ok$' tour && ok || bad "info: index"
grep -q '^     evrec: get: corpus.evr: 1 lookup, 1 data block inflated, ' tour && ok || bad "get: one block"
id=$(sed -n 's/^4\. .* get corpus\.evr \([^ ]*\) --stats$/\1/p' tour)
grep -q "^     {\"id\":\"$id\"" tour && ok || bad "get: the record with id $id"
grep -Fq '     1 record, 0 errors, 0 warnings in 1 file' tour && ok || bad "the seed is valid"
grep -q '^     fault.json: record 1 (id [^)]*): events\[0\]\.participants\[0\]\.actorId: error: no actor with id "a99" in this record \[ref-actor-unresolved\]$' tour &&
  ok || bad "the planted fault"
grep -Fq '     1 record, 1 error, 0 warnings in 1 file' tour && ok || bad "fault: summary"
grep -Fq '     (exit status 1: an error found)' tour && ok || bad "fault: exit status shown"
grep -Fq '       events[id=e1].participants[0].actorId: "a1" -> "a99"' tour && ok || bad "diff: the change"
grep -Fq '     (exit status 1: they differ)' tour && ok || bad "diff: exit status shown"

# The sizes are the files' own.
evr=$(stat -c %s out/corpus.evr)
want=$(awk -v e="$evr" 'BEGIN { printf "corpus.evr %.1f MiB; gzip -6", e / 1048576 }')
grep -Fq "$want" tour && ok || bad "step 2's sizes: want [$want]: $(grep '^2\. ' tour)"
"$CLI" cat out/seed.pb | cmp -s - "$T/out/seed.canonical.json" && ok || bad "seed.pb"

echo "demo: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
