#!/bin/bash
# validate.sh -- `evrec validate`, `evrec convert --validate` and the rule
# reference (docs/VALIDATION.md), end to end.
#
#   bash tests/validate.sh CLI BUILD_DIR        (run by `make check`)
#
# The rule table (`--list-rules`, one declaration in src/rules.h) drives it:
# every rule must have a test case tests/data/validate/<id>.ndjson (or .evr
# with a .note) and a section in docs/VALIDATION.md, and the doc's generated
# part must be up to date (docs/gen_validation.py --check). Each case holds
# records that violate only its rule, then a valid neighbour: the output must
# equal <id>.expected, name only that rule, never the last record, and exit
# 1 for an error rule, 0 for a warning (1 with --strict). Then: the seed and
# a generated corpus validate clean in every format; records failing several
# rules at once; decode errors in the middle of NDJSON, pbd and .evr with
# validation going on; --format json parsed by /usr/bin/python3; --strict,
# --max-errors, --rule/--skip-rule globs, --quiet, usage errors, unreadable
# inputs (exit 2, the others still validated), stdin; convert --validate
# (exit 1, no output file, an existing one untouched) and --validate=warn;
# the command blocks of docs/VALIDATION.md run as printed.
#
# Ends with "validate: N passed, M failed"; exits non-zero on failure.
set -u

CLI=$(realpath "$1")
BUILD=$(realpath "${2:-build}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
CASES=$HERE/data/validate
PY=/usr/bin/python3
T=$(mktemp -d /tmp/evrec-validate.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$HERE/util/shcheck.sh"

# ------------------------------------------------------------------ the rule table drives the cases

run validate --list-rules --format json
expect_rc "--list-rules" 0
cp out rules.json
rules=$("$PY" -c 'import json,sys; [print(json.loads(l)["rule"], json.loads(l)["severity"]) for l in open(sys.argv[1])]' rules.json)
n=$(echo "$rules" | wc -l)
[ "$n" -ge 40 ] && ok || bad "--list-rules lists $n rules"
"$PY" - rules.json <<'EOF' && ok || bad "rule ids are not unique kebab-case"
import json, re, sys
ids = [json.loads(l)["rule"] for l in open(sys.argv[1])]
assert len(ids) == len(set(ids)), "duplicate ids"
assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", i) for i in ids), ids
EOF
run validate --list-rules
[ "$(wc -l < out)" -eq "$n" ] && ok || bad "text --list-rules has $(wc -l < out) lines, want $n"

# Every case file belongs to a rule.
for f in "$CASES"/*.ndjson "$CASES"/*.evr; do
  id=$(basename "${f%.*}")
  echo "$rules" | grep -q "^$id " && ok || bad "case $f has no rule"
done

while read -r id sev; do
  grep -q "^### \`$id\`\$" "$ROOT/docs/VALIDATION.md" && ok || bad "$id: no section in docs/VALIDATION.md"
  if [ -f "$CASES/$id.ndjson" ]; then case=$id.ndjson
  elif [ -f "$CASES/$id.evr" ] && [ -f "$CASES/$id.note" ]; then case=$id.evr
  else bad "$id: no test case in tests/data/validate"; continue; fi
  args=""
  [ -f "$CASES/$id.args" ] && args=$(cat "$CASES/$id.args")
  # shellcheck disable=SC2086
  (cd "$CASES" && "$CLI" validate $args "$case") > "$id.out" 2> "$id.err"
  rc=$?
  want=1; [ "$sev" = warning ] && want=0
  expect_rc "$id" "$want"
  [ -s "$id.err" ] && bad "$id: stderr: $(head -c 200 "$id.err")" || ok
  expect_same "$id: output" "$id.out" "$CASES/$id.expected"
  # The violation lines: at least one, each of this rule, none about the
  # last record (the valid neighbour).
  total=$(tail -1 "$id.out" | sed -n 's/^\([0-9]*\) record.*/\1/p')
  lines=$(sed '$d' "$id.out")
  [ -n "$lines" ] && ok || bad "$id: no violation reported"
  other=$(echo "$lines" | grep -v "\[$id\]\$" || true)
  [ -z "$other" ] && ok || bad "$id: other rules fire: $other"
  # (In a damaged .evr the lost records are not counted: skip it there.)
  [ "$case" = "$id.evr" ] || { echo "$lines" | grep -q ": record $total[ :]" &&
    bad "$id: the valid last record $total is reported" || ok; }
  if [ "$sev" = warning ]; then
    # shellcheck disable=SC2086
    (cd "$CASES" && "$CLI" validate --strict $args "$case") > /dev/null
    [ $? -eq 1 ] && ok || bad "$id: --strict does not fail on the warning"
  fi
  # The rule alone, and skipped.
  # shellcheck disable=SC2086
  (cd "$CASES" && "$CLI" validate --rule "$id" $args "$case") | grep -q "\[$id\]" && ok ||
    bad "$id: --rule $id does not report it"
  case $id in decode-*) continue ;; esac
  # shellcheck disable=SC2086
  (cd "$CASES" && "$CLI" validate --skip-rule "$id" $args "$case") > skip.out
  [ $? -eq 0 ] && ! grep -q "\[$id\]" skip.out && ok || bad "$id: --skip-rule $id still reports it"
done <<< "$rules"

"$PY" "$ROOT/docs/gen_validation.py" "$CLI" --check && ok || bad "docs/VALIDATION.md is out of date"

# ------------------------------------------------------------------ clean data stays clean

run validate "$ROOT/examples/seed.json"
expect_rc "seed" 0
expect_eq "seed summary" "$(cat out)" "1 record, 0 errors, 0 warnings in 1 file"
# The bench corpus (seed 1; a smaller corpus is a prefix of a larger one)
# and another seed must be valid data.
"$BUILD/bench/gencorpus" -n 4M -s 1 -o bench.ndjson > /dev/null || bad "gencorpus failed"
run validate bench.ndjson
expect_rc "bench corpus" 0
grep -q " 0 errors, 0 warnings in 1 file\$" out && ok || bad "bench corpus: $(tail -3 out)"
"$BUILD/bench/gencorpus" -n 2M -s 7 -o corpus.ndjson || bad "gencorpus failed"
for f in pbd evr json pb; do
  if [ $f = pb ]; then "$CLI" convert "$ROOT/examples/seed.json" -o seed.pb
  else "$CLI" convert corpus.ndjson -t $f -o corpus.$f; fi
done
for f in corpus.ndjson corpus.pbd corpus.evr corpus.json seed.pb; do
  run validate "$f"
  expect_rc "$f" 0
  grep -q " 0 errors, 0 warnings in 1 file\$" out && ok || bad "$f: $(tail -2 out)"
done
recs=$(wc -l < corpus.ndjson)
run validate corpus.evr corpus.pbd
expect_eq "two files" "$(cat out)" "$((2 * recs)) records, 0 errors, 0 warnings in 2 files"

# ------------------------------------------------------------------ several rules, several formats

cat > multi.ndjson <<'EOF'
{"id":"m1","article":{"body":"Héllo wörld","language":"english"},"actors":[{"id":"a1","country":"US","mentions":[{"start":0,"end":99}]},{"id":"a1"}],"events":[{"id":"e1","types":[{"scheme":"EVENT_SCHEME_CAMEO","code":"141"}],"quadClass":"QUAD_CLASS_MATERIAL_CONFLICT","participants":[{"actorId":"zz","role":"PARTICIPANT_ROLE_ACTOR"}],"startDate":"2025-13-01","goldstein":11}]}
{"id":"m2","article":{"body":"Héllo wörld"},"actors":[{"id":"a1","mentions":[{"start":6,"end":11}]}]}
EOF
run validate multi.ndjson
expect_rc "multi" 1
got=$(sed -n 's/.*\[\(.*\)\]$/\1/p' out | tr '\n' ' ')
expect_eq "multi rules, in field order" "$got" "language-unknown country-unknown-code span-out-of-body entity-id-duplicate ref-actor-unresolved date-invalid quad-class-mismatch goldstein-out-of-range "
expect_eq "multi summary" "$(tail -1 out)" "2 records, 7 errors, 1 warning in 1 file"
grep -q 'record 1 (id m1): events\[0\].participants\[0\].actorId: error: no actor with id "zz" in this record \[ref-actor-unresolved\]' out && ok || bad "multi: ref line: $(cat out)"
for f in pbd evr json; do
  "$CLI" convert multi.ndjson -t $f -o multi.$f
  run validate multi.$f
  expect_rc "multi.$f" 1
  grep -v ' in 1 file$' out | sed 's/^multi\.[a-z]*: //' > a
  "$CLI" validate multi.ndjson | grep -v ' in 1 file$' | sed 's/^multi\.[a-z]*: //' > b
  expect_same "multi.$f: same violations as NDJSON" a b
done

# ------------------------------------------------------------------ decode errors, and going on

printf '%s\n' '{"id":"d1"}' '{"id":"d2","revision":"x"}' '{"id":"d3",' '{"id":"d4","actors":[{"id":"a1"}]}' \
  '{"id":"d5","bogus":[1,{"a":[2]}]}' '{"id":"d6"}' > dec.ndjson
run validate dec.ndjson
expect_rc "decode errors" 1
expect_eq "decode errors: lines" "$(cat out)" 'dec.ndjson:2:23: record 2: revision: error: invalid value "x" for uint32 [decode-schema]
dec.ndjson:4:1: record 3: error: expected a string key in object, found character '"'"'{'"'"' [decode-syntax]
dec.ndjson:5:12: record 5: error: unknown field "bogus" in evrec.v1.Record [decode-schema]
6 records, 3 errors, 0 warnings in 1 file'
# pbd: a record whose body is bad wire data between two good ones.
"$CLI" convert "$ROOT/examples/seed.json" -t pbd -o one.pbd
echo '{"id":"other"}' | "$CLI" convert -f ndjson -t pbd -o other.pbd
{ cat one.pbd; printf '\x03\x0a\x05x'; cat other.pbd; } > mid.pbd
run validate mid.pbd
expect_rc "pbd bad record" 1
expect_eq "pbd: goes on" "$(tail -1 out)" "3 records, 1 error, 0 warnings in 1 file"
grep -q '^mid.pbd: record 2 at byte [0-9]*: id: error: field 1 (id): length 5 exceeds the 1 bytes left \[decode-syntax\]$' out && ok || bad "pbd line: $(cat out)"
# evr: the damaged case holds one damaged block and one intact record.
run validate "$CASES/decode-damaged.evr"
expect_eq "evr damaged: goes on" "$(tail -1 out)" "1 record, 1 error, 0 warnings in 1 file"
# A truncated pbd: the length prefix says more than there is (sticky).
{ cat one.pbd; head -c 20 one.pbd; } > cut.pbd
run validate cut.pbd
expect_rc "truncated pbd" 1
grep -q 'record 2 at byte .*truncated.*\[decode-syntax\]$' out && ok || bad "truncated: $(cat out)"

# ------------------------------------------------------------------ --format json

cat "$CASES/span-out-of-body.ndjson" multi.ndjson dec.ndjson > mix.ndjson
run validate --format json mix.ndjson "$CASES/decode-damaged.evr"
expect_rc "json" 1
"$PY" - out <<'EOF' && ok || bad "--format json: $(head -c 400 out)"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
objs = [json.loads(l) for l in lines]
*viol, summary = objs
s = summary["summary"]
assert s["files"] == 2 and s["stopped"] is False, s
assert s["errors"] == sum(v["severity"] == "error" for v in viol), s
assert s["warnings"] == sum(v["severity"] == "warning" for v in viol), s
keys = {"file", "record", "id", "rule", "severity", "path", "message"}
for v in viol:
    assert keys <= set(v), v
    assert v["record"] >= 1
    if v["rule"].startswith("decode-") and v["file"].endswith(".ndjson"):
        assert v["line"] >= 1 and v["column"] >= 1 and v["offset"] >= 0, v
assert any(v["rule"] == "decode-damaged" and "offset" in v for v in viol)
assert [v["rule"] for v in viol if v["file"] == "mix.ndjson"][0] == "span-out-of-body"
EOF

# ------------------------------------------------------------------ options

run validate --max-errors 2 mix.ndjson multi.ndjson
expect_rc "--max-errors" 1
expect_eq "--max-errors: error lines" "$(grep -c ': error: ' out)" "2"
tail -1 out | grep -q "(stopped after 2 errors: --max-errors)\$" && ok || bad "--max-errors summary: $(tail -1 out)"
run validate --rule 'span-*' --rule 'goldstein-*' multi.ndjson
expect_eq "--rule globs" "$(sed -n 's/.*\[\(.*\)\]$/\1/p' out | tr '\n' ' ')" "span-out-of-body goldstein-out-of-range "
run validate --skip-rule 'span-*' --skip-rule '*-unresolved' multi.ndjson
grep -q 'span-\|unresolved' out && bad "--skip-rule globs: $(cat out)" || ok
run validate --quiet multi.ndjson
expect_eq "--quiet" "$(cat out)" "2 records, 7 errors, 1 warning in 1 file"
expect_rc "--quiet" 1
run validate --rule no-such-rule multi.ndjson
expect_rc "unknown rule" 2
grep -q 'no rule matches "no-such-rule"' err && ok || bad "unknown rule: $(cat err)"
run validate --format yaml multi.ndjson
expect_rc "bad --format" 2
run validate --max-errors x multi.ndjson
expect_rc "bad --max-errors" 2
run validate missing.ndjson multi.ndjson
expect_rc "unreadable input" 2
grep -q "cannot open missing.ndjson" err && ok || bad "unreadable: $(cat err)"
expect_eq "unreadable: others validated" "$(tail -1 out)" "2 records, 7 errors, 1 warning in 1 file"
"$CLI" validate - < multi.ndjson > out
grep -q '^<stdin>: record 1 (id m1): ' out && ok || bad "stdin: $(head -2 out)"
printf 'not json at all' > junk.bin
run validate junk.bin
expect_rc "undetectable format" 2

# ------------------------------------------------------------------ convert --validate

echo '{"id":"keep"}' > dest.ndjson
run convert --validate mix.ndjson -o dest.ndjson
expect_rc "convert --validate" 1
expect_eq "convert --validate: destination untouched" "$(cat dest.ndjson)" '{"id":"keep"}'
grep -q '^evrec: mix.ndjson: record 1 (id r1): actors\[0\].mentions\[0\]: error: span \[0, 40) ends past the body (31 code points) \[span-out-of-body\]$' err &&
  ok || bad "convert --validate stderr: $(head -3 err)"
run convert --validate multi.ndjson -o new.evr
expect_rc "convert --validate, new file" 1
expect_absent "convert --validate: no output" new.evr
tail -1 err | grep -q "nothing written" && ok || bad "convert --validate summary: $(tail -1 err)"
ls | grep -q '\.tmp\.' && bad "temporary file left" || ok
run convert --validate=warn multi.ndjson -o warn.ndjson
expect_rc "--validate=warn" 0
expect_eq "--validate=warn writes" "$(wc -l < warn.ndjson)" "2"
grep -q '\[quad-class-mismatch\]$' err && ok || bad "--validate=warn reports: $(cat err)"
run convert --validate corpus.ndjson -o ok.evr
expect_rc "convert --validate clean" 0
expect_eq "convert --validate clean: quiet" "$(cat err)" ""
run convert --validate=bogus multi.ndjson -o x.evr
expect_rc "--validate=bogus" 2

# ------------------------------------------------------------------ the doc's command blocks

cp -r "$ROOT/examples" "$ROOT/tests" .
awk '/^```sh$/ {on = 1; next} /^```$/ {on = 0} on' "$ROOT/docs/VALIDATION.md" > doc.sh
[ "$(grep -c . doc.sh)" -ge 5 ] && ok || bad "VALIDATION.md: too few commands"
while IFS= read -r line; do
  (PATH="$(dirname "$CLI"):$PATH"; eval "$line") > /dev/null 2> doc.err
  r=$?
  [ $r -le 1 ] && ok || bad "VALIDATION.md: '$line' exits $r: $(head -c 200 doc.err)"
done < doc.sh
rm -f /tmp/seed.evr
# And README's validation block (after the README's set-up: `evrec` on the
# PATH, $tour a scratch directory; tests/readme.sh runs the whole README).
awk '/^## Validation$/ {sec = 1} /^## / && !/Validation/ {sec = 0}
     sec && /^```sh$/ {on = 1; next} /^```$/ {on = 0} sec && on' "$ROOT/README.md" > readme.sh
[ "$(grep -c . readme.sh)" -ge 3 ] && ok || bad "README: no validation block"
mkdir -p tour
while IFS= read -r line; do
  (PATH="$(dirname "$CLI"):$PATH"; tour=$PWD/tour; eval "$line") > /dev/null 2> doc.err
  r=$?
  [ $r -le 1 ] && ok || bad "README: '$line' exits $r: $(head -c 200 doc.err)"
done < readme.sh

echo "validate: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
