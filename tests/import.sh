#!/bin/bash
# import.sh -- tests of `evrec import` and `evrec export` (issue 13).
#
#   bash tests/import.sh CLI BUILD_DIR        (run by `make check`)
#   UPDATE_GOLDEN=1 bash tests/import.sh ...  rewrites tests/data/import/golden/
#
# Covers: every sample of tests/data/import (real: GDELT export + mentions,
# ACLED, PLOVER 0.5b1, ICEWS, ninjs 2.1/3.0, ClaimReview, Fact Check API;
# synthetic: scattered GDELT rows with http/https and foreign mentions,
# current ACLED layout with BOM + CRLF, deletions, PLOVER 2.0, ninjs agency
# dialects and envelopes, a JSON-LD @graph) against golden records, which
# pin every field mapping; `evrec validate` on every imported record (no
# error, no warning: the SPEC §6 rules);
# round trips ninjs -> evrec -> ninjs and ClaimReview -> evrec ->
# ClaimReview; exported ninjs against the ninjs 3.1 JSON Schema
# (python3-jsonschema); bad rows and items with their exact messages and
# exit status 1; --skip-bad; grouping by article (window, --two-pass);
# every output format, '-o -', atomic output; hostile input; usage errors.
#
# Prints one line per failure and ends with "import: N passed, M failed".
set -u

CLI=$(realpath "$1")
BUILD=${2:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
DATA=$HERE/data/import
GOLDEN=$DATA/golden
PY=/usr/bin/python3
T=$(mktemp -d /tmp/evrec-import.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$HERE/util/shcheck.sh"

# Inputs are named relative to tests/data/import, so that messages (which
# name the file) read the same in every checkout: see run_data.
EXPORT=gdelt2-export-20250807220000.excerpt.tsv
MENTIONS=gdelt2-mentions-20250807220000.excerpt.tsv

# run_data ARGS... : evrec in tests/data/import; status in $rc, output in
# $T/out and $T/err.
run_data() {
  (cd "$DATA" && "$CLI" "$@") > "$T/out" 2> "$T/err"
  rc=$?
}

# The source format of a sample or bad file, from its name.
from_of() {
  case $(basename "$1") in
    gdelt*) echo gdelt ;; acled*) echo acled ;; plover*) echo plover ;;
    icews*) echo icews ;; ninjs*|examples_*) echo ninjs ;;
    claimreview*|schemaorg*|factcheck*) echo claimreview ;;
  esac
}

# golden NAME FILE : compares FILE with golden/NAME (or rewrites it).
golden() {
  if [ -n "${UPDATE_GOLDEN:-}" ]; then
    mkdir -p "$GOLDEN" && cp "$2" "$GOLDEN/$1" && ok
  else
    expect_same "golden $1" "$2" "$GOLDEN/$1"
  fi
}

# ------------------------------------------------------------------ samples -> golden records

SAMPLES=(
  "gdelt:$EXPORT --mentions $MENTIONS"
  "gdelt-nomentions:$EXPORT"
  "gdelt-scattered:synthetic/gdelt-scattered.tsv --mentions synthetic/gdelt-scattered-mentions.tsv"
  "acled:acled-2020.excerpt.csv"
  "acled-current:synthetic/acled-current.csv"
  "acled-deletions:synthetic/acled-deletions.csv"
  "plover:plover-gsr-0.5b1.excerpt.json"
  "plover-2.0:synthetic/plover-2.0.jsonl"
  "icews:icews-jsonl.sample.jsonl"
  "ninjs-2.1-ntb:ninjs/examples_2.1_ntb_text.json"
  "ninjs-3.0-dpa:ninjs/examples_3.0_dpa_text.json"
  "ninjs-3.0-simple:ninjs/examples_3.0_ninjsExSimpleText_3.json"
  "ninjs-3.0-ntb:ninjs/examples_3.0_ntb_text.json"
  "ninjs-3.0-event:ninjs/examples_3.0_simpleEvent.json"
  "ninjs-superdesk:synthetic/ninjs-superdesk.json"
  "ninjs-ap:synthetic/ninjs-ap-envelope.json"
  "claimreview-0324:claimreview/schemaorg-eg-0324-ClaimReview-0.json"
  "claimreview-0325:claimreview/schemaorg-eg-0325-ClaimReview-0.json"
  "claimreview-graph:synthetic/claimreview-graph.json"
  "newsarticle-0245:claimreview/schemaorg-eg-0245-NewsArticle-0.json"
  "factcheck:claimreview/factcheck-api-claims-search.sample.json"
)

for s in "${SAMPLES[@]}"; do
  name=${s%%:*}
  args=${s#*:}
  first=${args%% *}
  # shellcheck disable=SC2086
  run_data import --from "$(from_of "$first")" $args -o "$T/$name.ndjson"
  expect_rc "import $name" 0
  golden "$name.ndjson" "$name.ndjson"
  golden "$name.stderr" err
done

# GDELT records are encoded to wire format by hand (import_gdelt.c), which
# pbd output copies as it is and .evr output decodes: both must hold the
# golden records.
for s in "${SAMPLES[@]:0:3}"; do
  name=${s%%:*}
  args=${s#*:}
  for fmt in pbd evr; do
    # shellcheck disable=SC2086
    run_data import -q --from gdelt $args -t $fmt -o "$T/$name.$fmt"
    expect_rc "import $name -t $fmt" 0
    run convert "$name.$fmt" -t ndjson -o "$name.$fmt.ndjson"
    expect_same "import $name -t $fmt" "$name.$fmt.ndjson" "$GOLDEN/$name.ndjson"
  done
done

# ------------------------------------------------------------------ SPEC §6 on every imported record

for s in "${SAMPLES[@]}"; do
  name=${s%%:*}
  run validate "$name.ndjson"
  expect_rc "validate $name" 0
  grep -q ', 0 errors, 0 warnings in 1 file' out && ok || bad "validate $name: $(tail -3 out)"
done
# ... and the check can fail: an imported record with a dangling reference
sed '1s/"actorId":"a1"/"actorId":"a9"/' gdelt.ndjson > broken.ndjson
run validate broken.ndjson
expect_rc "validate a broken record" 1
grep -q 'participants\[0\].actorId: error: .*\[ref-actor-unresolved\]' out && ok || bad "validate broken: $(head -3 out)"

# ------------------------------------------------------------------ round trips

# same_json WANT GOT : equal JSON documents (objects, or NDJSON lines), with
# date-times compared as instants (export writes UTC "Z").
same_json() {
  $PY - "$1" "$2" <<'EOF'
import datetime, json, re, sys
def load(p):
    with open(p, encoding="utf-8") as f:
        text = f.read()
    try:
        return [json.loads(text)]
    except ValueError:
        return [json.loads(l) for l in text.splitlines() if l.strip()]
DT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$")
def norm(v):
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, str) and DT.match(v):
        s = v.replace("Z", "+00:00")
        if re.search(r"[+-]\d{4}$", s):
            s = s[:-2] + ":" + s[-2:]
        return datetime.datetime.fromisoformat(s).timestamp()
    return v
a, b = load(sys.argv[1]), load(sys.argv[2])
if norm(a) != norm(b):
    print("want:", json.dumps(a, sort_keys=True)[:600])
    print("got: ", json.dumps(b, sort_keys=True)[:600])
    sys.exit(1)
EOF
}

round_trip() { # NAME FROM TO FILE [WANT]
  local name=$1 from=$2 to=$3 file=$DATA/$4 want=${5:-$DATA/$4}
  "$CLI" import -q --from "$from" "$file" -o "rt-$name.pbd" &&
    "$CLI" export --to "$to" "rt-$name.pbd" -o "rt-$name.json" 2> rt.err
  if [ $? -ne 0 ]; then bad "round trip $name failed: $(cat rt.err)"; return; fi
  if same_json "$want" "rt-$name.json" > rt.diff; then ok; else bad "round trip $name: $(cat rt.diff)"; fi
}

for f in "$DATA"/ninjs/examples_3.0_*.json; do
  round_trip "$(basename "$f" .json)" ninjs ninjs "ninjs/$(basename "$f")"
done
# ninjs 2.1 comes back as the same item in ninjs 3.0 (iptc's 3.0 copy of it)
round_trip ntb-2.1 ninjs ninjs ninjs/examples_2.1_ntb_text.json "$DATA/ninjs/examples_3.0_ntb_text.json"
for f in "$DATA"/claimreview/schemaorg-eg-032*.json; do
  round_trip "$(basename "$f" .json)" claimreview claimreview "claimreview/$(basename "$f")"
done
# a JSON-LD @graph comes back as one ClaimReview per line (golden below,
# checked by hand: the graph's objects, each with its own "@context")
run export --to claimreview claimreview-graph.ndjson -o graph.claimreview.ndjson
expect_rc "export the @graph" 0
golden claimreview-graph.export.ndjson graph.claimreview.ndjson

# ------------------------------------------------------------------ ninjs export against the ninjs 3.1 JSON Schema

for s in "${SAMPLES[@]}"; do
  name=${s%%:*}
  "$CLI" export -q --to ninjs "$name.ndjson" -o "$name.ninjs.ndjson" 2> err || bad "export ninjs $name: $(cat err)"
done
cat ./*.ninjs.ndjson > all.ninjs.ndjson
if $PY - "$DATA/ninjs/ninjs-schema_3.1.json" all.ninjs.ndjson > schema.out 2>&1 <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
# The schema refers to GeoJSON's for places' geoJSON; with no network, a
# local stand-in checks the one shape export writes (a Point).
geojson = {"type": "object", "required": ["type", "coordinates"],
           "properties": {"type": {"const": "Point"},
                          "coordinates": {"type": "array", "items": {"type": "number"},
                                          "minItems": 2, "maxItems": 3}}}
resolver = jsonschema.RefResolver.from_schema(
    schema, store={"https://geojson.org/schema/GeoJSON.json": geojson})
v = jsonschema.Draft202012Validator(schema, resolver=resolver)
n = bad = 0
for line in open(sys.argv[2], encoding="utf-8"):
    n += 1
    for e in v.iter_errors(json.loads(line)):
        bad += 1
        print("object %d: %s at %s" % (n, e.message, list(e.absolute_path)))
if v.is_valid({"uri": "x", "not-ninjs": 1}) or v.is_valid({"uri": "x", "urgency": 12}):
    print("the schema check cannot fail")
    bad += 1
print("%d objects" % n)
sys.exit(1 if bad or n < 20 else 0)
EOF
then ok; else bad "exported ninjs does not validate: $(head -5 schema.out)"; fi
"$CLI" export --to claimreview factcheck.ndjson -o factcheck.claimreview.ndjson 2> err
expect_eq "export claimreview of the Fact Check API" "$?:$(wc -l < factcheck.claimreview.ndjson)" "0:6"
golden factcheck.claimreview.ndjson factcheck.claimreview.ndjson
run export --to claimreview acled.ndjson
expect_rc "export claimreview without claims" 0
expect_err "nothing to export" "evrec: 4 records had nothing to export as ClaimReview"

# ------------------------------------------------------------------ bad rows and items

for f in "$DATA"/bad/*.tsv "$DATA"/bad/*.csv "$DATA"/bad/*.json "$DATA"/bad/*.jsonl; do
  name=$(basename "$f")
  case $name in
    gdelt-mentions-*) args=(--from gdelt "$EXPORT" --mentions "bad/$name") ;;
    *) args=(--from "$(from_of "$f")" "bad/$name") ;;
  esac
  rm -f bad.out
  run_data import "${args[@]}" -o "$T/bad.out"
  expect_rc "bad $name" 1
  expect_absent "bad $name: no output file" bad.out
  if [ -n "${UPDATE_GOLDEN:-}" ]; then cp err "$DATA/bad/${name%.*}.expected"; ok
  else expect_same "bad $name: message" err "$DATA/bad/${name%.*}.expected"; fi
done

# --two-pass reads the rows twice but reports and counts a bad one once
for name in gdelt-utf8.tsv gdelt-eventcode.tsv gdelt-columns.tsv; do
  run_data import --from gdelt "bad/$name" --skip-bad -o "$T/bad.out"
  cp err one-pass.err
  run_data import --from gdelt "bad/$name" --skip-bad --two-pass -o "$T/bad.out"
  expect_rc "bad $name --two-pass --skip-bad" 0
  expect_same "bad $name --two-pass --skip-bad: as one pass" err one-pass.err
done

# --skip-bad goes on, counts and reports
run_data import --from gdelt bad/gdelt-eventcode.tsv --skip-bad -o "$T/skip.ndjson"
expect_rc "--skip-bad" 0
expect_err "--skip-bad report" 'evrec: bad/gdelt-eventcode.tsv:2: column 27 (EventCode): "0x1" is not a CAMEO code
evrec: 1 bad row or item was skipped; 1 record written'
expect_eq "--skip-bad records" "$(wc -l < skip.ndjson)" 1
run_data import -q --from plover plover-gsr-0.5b1.excerpt.json bad/plover-category.json --skip-bad
expect_rc "--skip-bad over files" 0
expect_eq "--skip-bad over files: records" "$(wc -l < out)" 18

# ------------------------------------------------------------------ grouping by article

S=$DATA/synthetic/gdelt-scattered.tsv
SM=$DATA/synthetic/gdelt-scattered-mentions.tsv
run import -q --from gdelt "$S" --mentions "$SM" --window 2
expect_rc "late row beyond the window" 1
grep -q 'gdelt-scattered.tsv:5: article news.example.com/a/one was already written (it began on line 1, more than 2 rows before); use a larger --window or --two-pass' err \
  && ok || bad "late row message: $(cat err)"
run import -q --from gdelt "$S" --mentions "$SM" --two-pass -o two.ndjson
expect_rc "--two-pass" 0
$PY -c "
import json, sys
a = sorted(json.dumps(json.loads(l), sort_keys=True) for l in open('two.ndjson'))
b = sorted(json.dumps(json.loads(l), sort_keys=True) for l in open('gdelt-scattered.ndjson'))
sys.exit(a != b)" && ok || bad "--two-pass gives other records than the window"
cat "$S" | "$CLI" import -q --from gdelt - --mentions "$SM" > stdin.ndjson 2> err
expect_same "gdelt from stdin" stdin.ndjson gdelt-scattered.ndjson
run import --from gdelt - --two-pass
expect_rc "--two-pass on stdin" 2
run import --from acled "$DATA/acled-2020.excerpt.csv" --mentions "$DATA/$MENTIONS"
expect_rc "--mentions without gdelt" 2
(cat "$DATA/$EXPORT"; head -2 "$DATA/$EXPORT") > dup.tsv
run import --from gdelt dup.tsv
expect_rc "a row twice" 0
expect_eq "a row twice: events" "$($PY -c "
import json
for l in open('out'):
    r = json.loads(l)
    if r['id'].startswith('https://theweek.com/'): print(len(r['events']))")" 2
grep -q 'warning: https://theweek.com/edition/theweekus-evening-review-2025-08-07-203055: event 1256322770 appears twice; the later row is left out' err \
  && ok || bad "a row twice: warning: $(cat err)"

# ------------------------------------------------------------------ GDELT on two threads

# Without --mentions, a GDELT import encodes and writes records on a second
# thread (import_gdelt.c, "The writing thread") unless -j 1: the output,
# the messages and the exit status must be those of the one-thread run.
# many.tsv: 2,400 rows of 600 articles (far more records than the queue
# holds), rows of an article up to 40 rows apart, events repeated in their
# article, an article too big for --max-record-size 64k, and bad rows.
$PY - "$DATA/$EXPORT" > many.tsv <<'PY'
import random, sys
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1])]
rnd = random.Random(7)
out = []
for i in range(2400):
    r = list(rnd.choice(rows))
    art = i // 4 if i % 9 else rnd.randrange(max(0, i // 4 - 10), i // 4 + 1)
    r[0] = str(1300000000 + (i if i % 50 else i - 1))   # every 50th repeats an event
    r[60] = 'https://news%d.example.org/story/%d' % (art % 17, art)
    if i % 97 == 5: r[26] = '0x1'                       # a bad row
    out.append(r)
big = list(rows[0]); big[60] = 'https://big.example.org/story'
for k in range(260):
    b = list(big); b[0] = str(1400000000 + k); b[6] = 'N' * 200; out.insert(1200 + k, b)
sys.stdout.write(''.join('\t'.join(r) + '\n' for r in out))
PY
export SOURCE_DATE_EPOCH=1754604000 # the same .evr header time in both runs
for fmt in pbd ndjson evr; do
  for args in "--skip-bad" "--skip-bad --window 30" "--skip-bad --two-pass" "--skip-bad --max-record-size 64k" \
              "" "--max-record-size 64k"; do
    "$CLI" import --from gdelt many.tsv $args -j 1 -t $fmt -o o.$fmt > out1 2> err1
    rc1=$?
    [ -e o.$fmt ] && mv o.$fmt one.$fmt
    "$CLI" import --from gdelt many.tsv $args -j 2 -t $fmt -o o.$fmt > out2 2> err2
    rc2=$?
    [ -e o.$fmt ] && mv o.$fmt two.$fmt
    expect_eq "-j 2 $args -t $fmt: status" "$rc2" "$rc1"
    case $args in
      *max-record-size*) # the writing thread says a record is too big: the
        # same messages, but not in the same place among the reading side's
        sort err1 > err1.sorted && sort err2 > err2.sorted
        expect_same "-j 2 $args -t $fmt: messages" err2.sorted err1.sorted
        case $fmt$args in evr*skip-bad*) # only the .evr writer checks the size; it
          # refuses that record and takes the next ones
          expect_eq "many.tsv $args -t evr: records refused" "$(grep -c 'cannot write the record' err1)" 1
          expect_eq "many.tsv $args -t evr: status" "$rc1" 0 ;;
        esac ;;
      *) expect_same "-j 2 $args -t $fmt: messages" err2 err1 ;;
    esac
    if [ "$rc1" -eq 0 ]; then
      expect_same "-j 2 $args -t $fmt: output" two.$fmt one.$fmt
    else
      [ ! -e two.$fmt ] && ok || bad "-j 2 $args: output left after a failed run"
    fi
    rm -f one.$fmt two.$fmt
  done
done
# Articles written long before (import_gdelt.c, written_set: a filter in
# front of a map filled in batches, rebuilt as both grow): 5,000 one-row
# articles, then rows of articles 4,996 (written on the row before: still
# queued, not in the map yet), 1, 100 and 2,000 again, and one new article.
# Each late row is named with the line its article began on; the new
# article is taken.
$PY - "$DATA/$EXPORT" > late.tsv <<'PY'
import sys
row = open(sys.argv[1]).readline().rstrip('\n').split('\t')
def line(i, art):
    r = list(row); r[0] = str(1400000000 + i); r[60] = 'https://late%d.example.org/s/%d' % (art % 13, art)
    return '\t'.join(r)
out = [line(i, i) for i in range(5000)]
out += [line(5000, 4996), line(5001, 1), line(5002, 100), line(5003, 2000), line(5004, 5001)]
sys.stdout.write('\n'.join(out) + '\n')
PY
"$CLI" import --from gdelt late.tsv --window 3 --skip-bad -j 1 -t pbd -o late.pbd 2> err
expect_eq "late rows: status" "$?" 0
expect_eq "late rows: messages" "$(grep -o 'example.org/s/[0-9]* was already written (it began on line [0-9]*' err | tr '\n' ' ')" \
  "example.org/s/4996 was already written (it began on line 4997 example.org/s/1 was already written (it began on line 2 example.org/s/100 was already written (it began on line 101 example.org/s/2000 was already written (it began on line 2001 "
expect_eq "late rows: records" "$("$CLI" info late.pbd | sed -n 's/^records: *//p')" 5001
"$CLI" import --from gdelt many.tsv --skip-bad -q -j 2 -t pbd -o one.pbd 2> err
grep -q '^evrec: [0-9]* bad rows or items were skipped; [0-9]* records written$' err \
  && ok || bad "-j 2 summary: $(cat err)"
"$CLI" import --from gdelt many.tsv --skip-bad -q -j 2 -o - -t pbd 2> /dev/null | cmp -s - one.pbd \
  && ok || bad "-j 2 to stdout differs"
"$CLI" import --from gdelt many.tsv --skip-bad -q -j 2 -t pbd -o /dev/full 2> err
expect_rc_was=$?
expect_eq "-j 2 to a full disk: status" "$expect_rc_was" 2
run import --from acled "$DATA/acled-2020.excerpt.csv" -j 2
expect_rc "-j without .evr output, not gdelt" 2
unset SOURCE_DATE_EPOCH

# ------------------------------------------------------------------ output formats, streaming, atomic output

for fmt in json ndjson pb pbd evr; do
  args=(-t "$fmt")
  [ "$fmt" = pb ] && src=$DATA/ninjs/examples_3.0_dpa_text.json || src=$DATA/plover-gsr-0.5b1.excerpt.json
  "$CLI" import -q --from "$(from_of "$src")" "$src" "${args[@]}" -o "out.$fmt" 2> err
  rc=$?
  expect_rc "import -t $fmt" 0
  "$CLI" cat "out.$fmt" > back.ndjson 2> err || bad "cat out.$fmt: $(cat err)"
  if [ "$fmt" = pb ]; then expect_same "-t pb" back.ndjson ninjs-3.0-dpa.ndjson
  else expect_same "-t $fmt" back.ndjson plover.ndjson; fi
done
"$CLI" import -q --from icews "$DATA/icews-jsonl.sample.jsonl" -o - -t pbd | "$CLI" cat -f pbd - > back.ndjson
expect_same "-o - streams pbd" back.ndjson icews.ndjson
echo keep > existing.ndjson
run import --from gdelt "$DATA/bad/gdelt-eventcode.tsv" -o existing.ndjson
expect_rc "failed import" 1
expect_eq "existing output untouched" "$(cat existing.ndjson)" keep
[ -z "$(ls -a | grep '\.tmp\.')" ] && ok || bad "temporary files left: $(ls -a | grep '\.tmp\.')"
run import --from icews "$DATA/icews-jsonl.sample.jsonl" --pretty -t pbd
expect_rc "--pretty with pbd" 2

# ------------------------------------------------------------------ hostile input

printf '' > empty.tsv
run import --from gdelt empty.tsv
expect_rc "empty GDELT file" 0
expect_eq "empty GDELT file: no records" "$(wc -c < out)" 0
head -c 100000 /dev/urandom > junk.bin
for from in gdelt acled plover icews ninjs claimreview; do
  run import --from "$from" junk.bin
  [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] && ok || bad "junk as $from: status $rc"
  grep -q 'Sanitizer\|Segmentation' err && bad "junk as $from crashed: $(head -3 err)" || ok
done
# A translated article whose source language is a three-letter code with no
# two-letter one ("fue"): kept as the code itself, which was left pointing
# into a buffer of the parser's stack (ASan, under make test-asan; found by
# tests/fuzz/fuzz_import.c).
awk -F'\t' 'BEGIN { OFS = "\t" } NR == 1 { $15 = "srclc:fue;eng:GT-FUE 1.0" } { print }' \
  "$DATA/$MENTIONS" > fue.tsv
run import -q --from gdelt "$DATA/$EXPORT" --mentions fue.tsv
expect_rc "translated from fue" 0
grep -q '"translation":{"sourceLanguage":"fue","engine":"GT-FUE 1.0"}' out && ok ||
  bad "translated from fue: $(grep -o '"translation":{[^}]*}' out | head -1)"
# A ClaimReview @graph whose element after two written records is bad: the
# message names the item, not the last record's id, whose memory was freed
# with the record (found by tests/fuzz/fuzz_import.c; ASan under test-asan).
$PY -c "
import json
d = json.load(open('$DATA/synthetic/claimreview-graph.json'))
d['@graph'].append(42)
print(json.dumps(d))" > graph42.json
run import --from claimreview graph42.json -o /dev/null
expect_rc "@graph with a bad element after records" 1
expect_err "@graph with a bad element after records" \
  "evrec: graph42.json: record 1: @graph[2] is not an object"
# Numbers too large for int64_t where an integer is looked for: a ninjs
# "version" of 1e300 and a PLOVER coordinate of 1.9e19 kept as text (each
# was converted to int64_t before its range was checked: undefined
# behaviour, caught by UBSan's float-cast-overflow under make test-asan;
# the PLOVER one found by tests/fuzz/fuzz_import.c).
printf '{"uri":"http://example.com/1","version":1e300,"headline":"h","type":"text"}\n' > v1e300.json
run import -q --from ninjs v1e300.json
expect_rc "ninjs version 1e300" 0
grep -q '"evrec/ninjs.rest":"{\\"version\\":1e+300}"' out && ok || bad "ninjs version 1e300: $(cat out)"
printf '[{"id":"P1","date":"2000-01-01","event":"AGREE","source":"HUN","target":"ROU","lat":18888888888888888888}]\n' > lat.json
run import -q --from plover lat.json
expect_rc "PLOVER lat 1.9e19" 0
grep -q '"evrec/plover.lat":"1.888888888888889e+19"' out && ok || bad "PLOVER lat 1.9e19: $(cat out)"
$PY -c "print('[' * 3000 + ']' * 3000)" > deep.json
run import --from plover deep.json
expect_rc "deep JSON" 1
$PY -c "
import sys
row = open('$DATA/$EXPORT').readline().rstrip('\n').split('\t')
row[6] = 'A' * 300000
sys.stdout.write('\t'.join(row) + '\n')" > long.tsv
run import --from gdelt long.tsv --max-record-size 100k
expect_rc "row over --max-record-size" 2
grep -q 'row longer than 102400 bytes (--max-record-size)' err && ok || bad "long row: $(cat err)"
run import --from gdelt long.tsv -o long.ndjson
expect_rc "long row within the limit" 0
expect_eq "long row: the name kept" "$($PY -c "import json; print(len(json.load(open('long.ndjson'))['actors'][0]['name']))")" 300000
# Coordinates: the usual ones are only looked at when rows are read and
# parsed when their place is encoded (import_gdelt.c, take_coord); the
# other forms are parsed when read, the careful way. Either way a record
# gets the value Python's float() gives, and a bad one is refused.
$PY - "$DATA/$EXPORT" > coords.tsv <<'PY'
import sys
row = open(sys.argv[1]).readline().rstrip('\n').split('\t')
forms = [("90", "180"), ("-90", "-180"), ("90.000", "-180.0"), ("0.5", ".5"), ("5.", "-5."),
         ("89.99999999999999999999", "179.9999999999999999"), ("-0", "0"), ("007.25", "-0099.5"),
         ("1e1", "-1E1"), ("45", "100"), ("-33.8678", "151.207"), ("12.3456789012345678", "-7")]
for i, (lat, lon) in enumerate(forms):
    r = list(row)
    r[0] = str(1500000000 + i); r[60] = 'https://coords.example.org/%d' % i
    r[51:59] = ['4', 'Somewhere', 'AS', 'AS02', '', lat, lon, '-1']
    print('\t'.join(r))
PY
"$CLI" import -q --from gdelt coords.tsv -j 1 -o coords.ndjson 2> err
expect_eq "coordinates: status" "$?" 0
expect_eq "coordinates: values" "$($PY -c "
import json
rows = [l.rstrip('\n').split('\t') for l in open('coords.tsv')]
recs = [json.loads(l) for l in open('coords.ndjson')]
for row, rec in zip(rows, recs):
    place = [p for p in rec['places'] if p['name'] == 'Somewhere'][0]
    pt = place['point']
    print(pt.get('latitude', 0) == float(row[56]) and pt.get('longitude', 0) == float(row[57]), end=' ')
print(len(recs))")" "True True True True True True True True True True True True 12"
for lat in 90.0001 -90.5 - 1.2.3 + --1 . 1- 0x1 ' 1' 100; do
  $PY - "$DATA/$EXPORT" "$lat" > coord.tsv <<'PY'
import sys
row = open(sys.argv[1]).readline().rstrip('\n').split('\t')
row[51:59] = ['4', 'Somewhere', 'AS', 'AS02', '', sys.argv[2], '151', '-1']
print('\t'.join(row))
PY
  "$CLI" import -q --from gdelt coord.tsv -j 1 -o coord.ndjson 2> err
  expect_eq "coordinate \"$lat\": status" "$?" 1
  grep -q '^evrec: coord.tsv:1: column 57 (ActionGeo_Lat): ' err && ok || bad "coordinate \"$lat\": $(cat err)"
done
# Rows around 64 KB, where a pending record stops storing rows compacted,
# with 16-bit offsets, and stores them whole (import_gdelt.c, store_row),
# each with a second row of its article stored the other way.
for n in 65534 65535 65536 70000; do
  $PY -c "
import sys
row = open('$DATA/$EXPORT').readline().rstrip('\n').split('\t')
short = list(row)
row[6] = ''
row[6] = 'N' * ($n - len('\t'.join(row)))
short[0] = str(int(short[0]) + 1)
sys.stdout.write('\t'.join(row) + '\n' + '\t'.join(short) + '\n')" > edge.tsv
  "$CLI" import -q --from gdelt edge.tsv -j 1 -o edge.ndjson 2> err
  expect_eq "$n-byte row: status" "$?" 0
  expect_eq "$n-byte row: the record" "$($PY -c "
import json
r = json.load(open('edge.ndjson'))
name = r['actors'][0]['name']
line = open('edge.tsv').readline()
print(len(line) - 1, len(r['events']), name == line.split('\t')[6],
      r['actors'][1]['name'], r['events'][1]['sourceIds'][0]['value'])")" \
    "$n 2 True $(sed -n '1p' "$DATA/$EXPORT" | cut -f7) $(($(sed -n '1p' "$DATA/$EXPORT" | cut -f1) + 1))"
done
printf '{"claims": [{"text": 5, "claimReview": "x"}, "no", {"text": "ok", "claimReview": [{"url": "ftp://x", "reviewDate": "yesterday", "languageCode": "english", "textualRating": "<b>"}]}]}\n' > junk-api.json
run import --from claimreview junk-api.json --skip-bad
expect_rc "junk Fact Check values" 0
expect_eq "junk Fact Check values: warnings" "$(grep -c warning err)" 5

# ------------------------------------------------------------------ usage

run import "$DATA/$EXPORT"
expect_rc "no --from" 2
expect_err "no --from" "evrec import: --from is required (gdelt, acled, plover, icews, ninjs, claimreview)
Try 'evrec import --help'."
run import --from xml "$DATA/$EXPORT"
expect_rc "bad --from" 2
run import --from gdelt
expect_rc "no input" 2
run export "$GOLDEN/plover.ndjson"
expect_rc "export without --to" 2
run export --to rss "$GOLDEN/plover.ndjson"
expect_rc "export --to rss" 2
"$CLI" import --help > out && grep -q -- '--mentions=FILE' out && ok || bad "import --help"

echo "import: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
