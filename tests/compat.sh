#!/bin/bash
# compat.sh -- files written by earlier versions of evrec still read.
#
#   bash tests/compat.sh CLI BUILD_DIR        (run by `make check`)
#
# tests/data/compat/ holds containers written before a change to the
# embedded schema (README there). Their records, header and index must read
# as before; a current file concatenated after one (a second header whose
# schema differs: only the record type is compared, docs/FORMAT.md section
# 8) and records appended to one (the old header stays) read too.
#
# Ends with "compat: N passed, M failed"; exits non-zero on failure.
set -u

CLI=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OLD=$HERE/data/compat/seed-0.1.0.evr
T=$(mktemp -d /tmp/evrec-compat.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$HERE/util/shcheck.sh"

"$CLI" cat "$ROOT/examples/seed.json" > seed.canon
ID=$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' seed.canon)

run cat "$OLD"
expect_rc "cat old file" 0
expect_same "old file: the seed record" out seed.canon
run info "$OLD"
expect_rc "info old file" 0
grep -q '^schema:      12356 bytes$' out && ok || bad "old header: $(grep schema out)"
grep -q '^index:       ok$' out && ok || bad "old index: $(grep index out)"
run schema "$OLD"
grep -q '^created:     2026-11-27T17:00:00Z$' out && ok || bad "old header: $(cat out)"
run get "$OLD" "$ID" --ordinal 1
expect_rc "get from old file" 0
{ cat seed.canon; cat seed.canon; } > two.canon
expect_same "get from old file: records" out two.canon
run validate "$OLD"
expect_rc "validate old file" 0

# The schema built in now is not the old one (file options were added).
"$CLI" schema --descriptor-set -o new.desc
"$CLI" schema "$OLD" --descriptor-set -o old.desc
[ "$(stat -c %s old.desc)" -eq 12356 ] && ok || bad "old descriptor set size"
cmp -s old.desc new.desc && bad "the built-in schema did not change?" || ok

# Old, then new: two sections, two different schemas.
"$CLI" convert "$ROOT/examples/seed.json" -o new.evr
cat "$OLD" new.evr > mixed.evr
run cat mixed.evr
expect_same "old + new concatenated" out two.canon
run info mixed.evr
expect_rc "info old + new" 0
run get mixed.evr --ordinal 2 --ordinal 1
expect_same "get across old and new sections" out two.canon

# Appending to an old file keeps its header (and schema) and its bytes.
cp "$OLD" app.evr
run convert "$ROOT/examples/seed.json" --append -o app.evr
expect_rc "append to old file" 0
cmp -n "$(stat -c %s "$OLD")" "$OLD" app.evr && ok || bad "append changed the old bytes"
run cat app.evr
expect_same "old + appended" out two.canon
"$CLI" schema app.evr --descriptor-set -o app.desc
expect_same "append kept the old schema" app.desc old.desc
run recover app.evr -o saved.evr
expect_rc "recover old + appended" 0

echo "compat: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
