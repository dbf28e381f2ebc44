#!/bin/bash
# nomem.sh -- the CLI when memory runs out: every command, every allocation.
#
#   bash tests/nomem.sh CLI BUILD_DIR        (run by `make check`)
#
# $BUILD/tests/failalloc.so (tests/util/failalloc.c, an LD_PRELOAD shim)
# refuses allocations by number. For each command below, a normal run counts
# its allocations (N), then the command is run again with allocation n
# refused, for n = 0 .. N (a sample of 120 when N is larger), two ways:
#   - from n on (memory gone for good), and
#   - n alone (one refusal, then memory again).
# Each run must end either as the normal run did -- same status, same
# standard output, same output file -- or with status 2, "out of memory"
# (or the system's "Cannot allocate memory") on stderr and no output file.
# Never a crash, a hang, another status, or a shorter output with status 0:
# the bugs this found were a pending GDELT record freed twice, and a
# ClaimReview or PLOVER value dropped from the record without a word.
#
# Skipped under ASan, whose allocator must be the one in use (the shim is
# not built there). Prints one line per failure and ends with
# "nomem: N passed, M failed"; exits non-zero when anything failed.
set -u

CLI=$(realpath "$1")
BUILD=$(realpath "${2:-build}")
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/data/import
SHIM=$BUILD/tests/failalloc.so
T=$(mktemp -d /tmp/evrec-nomem.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$HERE/util/shcheck.sh"

if [ ! -f "$SHIM" ] && ldd "$CLI" | grep -q libasan; then
  echo "nomem: skipped (ASan build, no $SHIM)"
  echo "nomem: 0 passed, 0 failed"
  exit 0
fi
[ -f "$SHIM" ] || { echo "FAIL: $SHIM missing (built by make check)" >&2; exit 1; }

export SOURCE_DATE_EPOCH=1700000000 # .evr headers alike from run to run
SAMPLES=120

# Inputs: records from the repo's examples, many enough that buffers grow.
cp "$HERE/../examples/seed.json" "$HERE/data/io/two.canonical.ndjson" .
"$CLI" convert seed.json -t ndjson -o seed.ndjson
for i in $(seq 40); do
  sed "s/\"id\":\"\\([^\"]*\\)\"/\"id\":\"\\1-$i\"/" two.canonical.ndjson
done > many.ndjson
sed 's/"revision":1,/"revision":2,/' many.ndjson > many2.ndjson
"$CLI" convert many.ndjson -o many.pbd
"$CLI" convert many.ndjson -o many.evr
"$CLI" diff --format json many.ndjson many2.ndjson > delta.json
ID=$("$CLI" cat many.evr | head -1 | sed 's/^{"id":"\([^"]*\)".*/\1/')
for f in seed.ndjson many.ndjson many.pbd many.evr delta.json; do
  [ -s "$f" ] && ok || bad "setup: $f not written"
done

# allocations ARGS... : the number of allocation calls of a normal run.
allocations() {
  FAILALLOC_REPORT=1 LD_PRELOAD=$SHIM "$CLI" "$@" 2>&1 >/dev/null |
    sed -n 's/^failalloc: \([0-9]*\) calls$/\1/p' | tail -1
}

# sweep OUTFILE ARGS... : the runs described above; OUTFILE is the file the
# command writes ("" for standard output only). One failure line per mode
# at most (the first refusal that went wrong), one pass per mode otherwise.
sweep() {
  local of=$1
  shift
  rm -f "$of" want.out want.file
  "$CLI" "$@" > want.out 2> want.err
  local want_rc=$? n total step mode var got
  [ -n "$of" ] && cp "$of" want.file
  total=$(allocations "$@")
  if [ -z "$total" ]; then
    bad "$*: no allocation count"
    return
  fi
  step=$(( total > SAMPLES ? total / SAMPLES : 1 ))
  for mode in after only; do
    var=FAILALLOC_AFTER
    [ $mode = only ] && var=FAILALLOC_ONLY
    got=""
    for ((n = 0; n <= total; n += step)); do
      rm -f "$of"
      timeout 60 env "$var=$n" LD_PRELOAD="$SHIM" "$CLI" "$@" > out 2> err
      rc=$?
      if [ $rc -eq 2 ] && grep -q 'out of memory\|Cannot allocate memory' err; then
        [ -n "$of" ] && [ -e "$of" ] && got="status 2 but $of was left"
      elif [ $rc -ne $want_rc ]; then
        got="status $rc, want $want_rc or 2 (stderr: $(head -c 200 err))"
      elif ! cmp -s out want.out; then
        got="status $rc with other output"
      elif [ -n "$of" ] && ! cmp -s "$of" want.file; then
        got="status $rc with another $of"
      fi
      [ -n "$got" ] && break
    done
    if [ -z "$got" ]; then ok; else bad "$* ($var=$n of $total): $got"; fi
  done
}

# ------------------------------------------------------------------ the library through the CLI

sweep "" convert many.ndjson -t pbd -o -
sweep "" convert many.pbd -t ndjson -o -
sweep new.evr convert many.ndjson -o new.evr
sweep new.evr convert many.ndjson -j 2 -o new.evr
sweep "" convert many.evr -t ndjson -o -
sweep "" cat many.evr
sweep "" info many.evr
sweep "" get many.evr "$ID"
sweep "" validate many.ndjson
sweep "" validate many.evr
sweep "" diff many.ndjson many2.ndjson
sweep "" diff --format json many.evr many2.ndjson
sweep "" patch many.ndjson delta.json -o -
sweep new.evr recover many.evr -o new.evr
sweep "" schema

# ------------------------------------------------------------------ importers and exporters

G=$DATA/gdelt2-export-20250807220000.excerpt.tsv
GM=$DATA/gdelt2-mentions-20250807220000.excerpt.tsv
S=$DATA/synthetic
sweep "" import -q --from gdelt "$G" --mentions "$GM" -j 1 -o -
sweep "" import -q --from gdelt "$G" --mentions "$GM" -j 2 -t pbd -o -
sweep "" import -q --from gdelt "$S/gdelt-scattered.tsv" --mentions "$S/gdelt-scattered-mentions.tsv" --window 2 -o -
sweep "" import -q --from gdelt "$G" --two-pass -o -
sweep "" import -q --from acled "$DATA/acled-2020.excerpt.csv" -o -
sweep "" import -q --from acled "$S/acled-current.csv" -o -
sweep "" import -q --from plover "$DATA/plover-gsr-0.5b1.excerpt.json" -o -
sweep "" import -q --from plover "$S/plover-2.0.jsonl" -o -
sweep "" import -q --from icews "$DATA/icews-jsonl.sample.jsonl" -o -
sweep "" import -q --from ninjs "$S/ninjs-superdesk.json" -o -
sweep "" import -q --from ninjs "$S/ninjs-ap-envelope.json" -o -
sweep "" import -q --from claimreview "$S/claimreview-graph.json" -o -
sweep "" import -q --from claimreview "$DATA/claimreview/factcheck-api-claims-search.sample.json" -o -
sweep new.evr import -q --from ninjs "$DATA/ninjs/examples_3.0_dpa_text.json" -o new.evr
sweep "" export --to ninjs seed.ndjson -o -
sweep "" export --to claimreview seed.ndjson -o -

echo "nomem: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
