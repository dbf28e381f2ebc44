#!/bin/bash
# demo.sh -- `make demo`: a tour of evrec in a few steps, one line each
# saying what it shows, with the commands' own output indented below.
#
#   bash examples/demo.sh EVREC GENCORPUS OUTDIR
#
# EVREC is the evrec command, GENCORPUS the corpus generator
# (bench/gencorpus.c, as `make corpus` builds it), OUTDIR where the files go
# (build/demo). At most ~40 lines of output; exit status 0 when every step
# showed what it should (tests/demo.sh checks it). The steps:
#   1. the seed record: JSON -> pb -> JSON, identical bytes
#   2. 10,000 generated records -> .evr, its size beside gzip -6's
#   3. evrec info on that file
#   4. evrec get: one record by id, one block inflated
#   5. evrec validate on the seed: clean
#   6. evrec validate on a copy with a planted fault (exit status 1 shown)
#   7. evrec diff of the seed and that copy (exit status 1 shown)
set -u

EVREC=$(realpath "$1")
GENCORPUS=$(realpath "$2")
OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
SEED=$HERE/seed.json
mkdir -p "$OUT" || exit 2
export SOURCE_DATE_EPOCH=1795798800 # the same file on every run

step=0
say() { step=$((step + 1)); echo "$step. $*"; }
indent() { sed 's/^/     /'; }
fail() { echo "demo: $*" >&2; exit 1; }
# Sizes in binary units, as evrec's options take them.
size() { awk -v b="$(stat -c %s "$1")" 'BEGIN { if (b >= 1048576) printf "%.1f MiB", b / 1048576; else printf "%.1f KiB", b / 1024 }'; }
bytes() { awk -v b="$1" 'BEGIN { if (b >= 1048576) printf "%.1f MiB", b / 1048576; else printf "%.1f KiB", b / 1024 }'; }

echo "evrec $("$EVREC" --version | cut -d' ' -f2), a tour (its files are in $OUT/)"

# ---- 1. JSON -> pb -> JSON
"$EVREC" convert "$SEED" -o "$OUT/seed.pb" || fail "convert to pb"
"$EVREC" convert "$SEED" -t json -o "$OUT/seed.canonical.json" || fail "convert to JSON"
"$EVREC" convert "$OUT/seed.pb" -t json -o "$OUT/seed.roundtrip.json" || fail "convert back"
cmp -s "$OUT/seed.canonical.json" "$OUT/seed.roundtrip.json" || fail "the round trip differs"
say "the seed record, JSON -> pb -> JSON: examples/seed.json ($(size "$SEED")) -> seed.pb" \
  "($(size "$OUT/seed.pb")) -> the same canonical JSON, byte for byte"

# ---- 2. 10,000 records -> .evr, beside gzip -6
"$GENCORPUS" -c 10000 -o "$OUT/corpus.ndjson" 2> /dev/null || fail "gencorpus"
gzip -6 -c "$OUT/corpus.ndjson" | wc -c > "$OUT/gzip-6.size" &
"$EVREC" convert "$OUT/corpus.ndjson" -o "$OUT/corpus.evr" || fail "convert the corpus"
wait $! || fail "gzip"
say "10,000 generated news records (bench/gencorpus.c): $(size "$OUT/corpus.ndjson") of NDJSON ->" \
  "corpus.evr $(size "$OUT/corpus.evr"); gzip -6 of the NDJSON: $(bytes "$(cat "$OUT/gzip-6.size")")"

# ---- 3. what a container says about itself
say "what the container says about itself: evrec info corpus.evr"
"$EVREC" info "$OUT/corpus.evr" | grep -v '^file:' | indent
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "info"

# ---- 4. random access
id=$(sed -n '7000{s/^{"id":"\([^"]*\)".*/\1/p;q}' "$OUT/corpus.ndjson")
say "random access by id, through the index: evrec get corpus.evr $id --stats"
"$EVREC" get "$OUT/corpus.evr" "$id" --stats 2> "$OUT/get.stats" | cut -c1-100 | sed 's/$/ .../' | indent
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "get"
sed "s|$OUT/||" "$OUT/get.stats" | indent

# ---- 5. validation, clean and with a planted fault
say "validation of the seed: evrec validate examples/seed.json"
"$EVREC" validate "$SEED" | indent
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "the seed does not validate"
sed '0,/"actorId": "a1",/s//"actorId": "a99",/' "$SEED" > "$OUT/fault.json"
say "a planted fault (a participant's actorId \"a99\", which no actor has): evrec validate fault.json"
(cd "$OUT" && "$EVREC" validate fault.json) | indent
rc=${PIPESTATUS[0]}
echo "     (exit status $rc: an error found)"
[ "$rc" -eq 1 ] || fail "the planted fault was not found"

# ---- 7. what changed between the seed and the faulty copy
say "what changed, record by record, entity by entity: evrec diff examples/seed.json fault.json"
(cd "$OUT" && "$EVREC" diff "$SEED" fault.json) | sed "s|$SEED|examples/seed.json|" | indent
rc=${PIPESTATUS[0]}
echo "     (exit status $rc: they differ)"
[ "$rc" -eq 1 ] || fail "diff did not find the planted fault"

exit 0
