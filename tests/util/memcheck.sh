#!/bin/bash
# memcheck.sh -- valgrind's memcheck over the CLI, the unit tests and the fuzz
# replay driver; run by `make memcheck` (tests/tests.mk) on a plain -O1
# build without sanitizers.
#
#   bash tests/util/memcheck.sh BUILD_DIR TEST_BIN... -- REPLAY_ARGS...
#
# The CLI runs every command and conversion on examples/seed.json, a few
# error paths (invalid input, a missing id, a damaged container, a full
# device) and every bad JSON file of tests/data/bad; the unit tests, and the
# replay driver over tests/fuzz/corpus and regressions, run whole (the
# driver's children are followed across exec). Any memcheck error, and any
# definitely or indirectly lost block, fails the run. valgrind exits with 99
# on such errors, not 1, which the CLI itself returns for invalid input, so
# each run's own status is checked too.
#
# Two lanes run side by side (the unit tests; the CLI and the replay), about
# equally long, since valgrind runs a program on one core. Each run's
# command, valgrind log, stdout and stderr are kept in BUILD_DIR/memcheck-logs
# and printed when the run fails.
#
# Prints "memcheck: N passed, M failed"; exits non-zero when anything failed.
set -u

B=$(realpath "$1")
shift
TESTS=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do TESTS+=("$1"); shift; done
[ $# -gt 0 ] && shift
REPLAY=("$@")
HERE=$(cd "$(dirname "$0")/.." && pwd)
SEED=$HERE/../examples/seed.json
CLI=$B/evrec
D=$B/memcheck-logs
O=$D/out
rm -rf "$D"
mkdir -p "$O"
VG=(valgrind --tool=memcheck -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --trace-children=yes)

pass=0
fail=0
n=0
lane=

# mc WANT_STATUS PROGRAM ARGS... : one program under memcheck; counts into
# $pass/$fail, files $D/<lane>-<n>.*.
mc() {
  local want=$1 got start=$SECONDS
  shift
  n=$((n + 1))
  local f=$D/$lane-$n
  printf '%s\n' "$*" > "$f.log"
  "${VG[@]}" --log-file="$f.vg.%p" "$@" > "$f.out" 2> "$f.err"
  got=$?
  cat "$f".vg.* >> "$f.log" 2>/dev/null
  rm -f "$f".vg.*
  if [ "$got" -eq "$want" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: status $got, want $want: $*" >&2
    tail -n 60 "$f.log" "$f.err" >&2
  fi
  [ $((SECONDS - start)) -lt 10 ] || echo "  $(basename "$1"): $((SECONDS - start)) s"
}

cli_runs() {
  mc 0 "$CLI" --help
  mc 0 "$CLI" convert "$SEED" -t ndjson -o "$O/seed.ndjson"
  mc 0 "$CLI" convert "$SEED" -t json --pretty --emit-defaults -o "$O/seed.json"
  mc 0 "$CLI" convert "$SEED" --array --proto-names -o "$O/seed.array.json"
  mc 0 "$CLI" convert "$SEED" -t pb -o "$O/seed.pb"
  mc 0 "$CLI" convert "$SEED" "$SEED" -t pbd -o "$O/seed.pbd"
  mc 0 "$CLI" convert "$SEED" "$O/seed.pb" "$O/seed.pbd" -j 2 --block-size 16k \
    --meta source=memcheck -o "$O/seed.evr"
  mc 0 "$CLI" convert "$O/seed.pbd" --append -o "$O/seed.evr"
  mc 0 "$CLI" convert "$O/seed.pb" --append -o "$O/seed.pbd"
  mc 0 "$CLI" convert "$O/seed.evr" -t json -o "$O/back.json"
  mc 0 "$CLI" convert "$O/seed.pbd" -t ndjson -o "$O/back.ndjson"
  mc 0 "$CLI" convert -f pbd -t evr -z 1 -j 1 -o "$O/stdin.evr" - < "$O/seed.pbd"
  mc 0 "$CLI" cat "$O/seed.evr" "$O/seed.pb" "$O/seed.json" "$O/seed.array.json"
  mc 0 "$CLI" info "$O/seed.evr" "$O/seed.pbd" "$SEED"
  mc 0 "$CLI" info --json "$O/seed.evr" "$O/seed.pb"
  local id
  id=$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' "$O/seed.ndjson" | head -n 1)
  mc 0 "$CLI" get "$O/seed.evr" "$id" --ordinal 0 --ordinal 5 --stats
  mc 0 "$CLI" recover "$O/seed.evr" -o "$O/rec.evr"
  mc 0 "$CLI" schema
  mc 0 "$CLI" schema "$O/seed.evr"
  mc 0 "$CLI" schema --descriptor-set -o "$O/schema.desc"
  mc 0 "$CLI" schema --descriptor-set "$O/seed.evr" -o "$O/seed.desc"
  # error paths
  mc 1 "$CLI" cat "$HERE/data/io/bad-field.ndjson"
  mc 1 "$CLI" convert "$SEED" "$HERE/data/io/bad-utf8.ndjson" -o "$O/never.pbd"
  mc 1 "$CLI" get "$O/seed.evr" no-such-id
  mc 2 "$CLI" cat "$O/no-such-file"
  mc 2 "$CLI" convert "$SEED" -t pbd -o /dev/full
  # a damaged data block (past the 12 KiB header, before the index)
  cp "$O/seed.evr" "$O/damaged.evr"
  local size
  size=$(wc -c < "$O/damaged.evr")
  printf 'XXXX' | dd of="$O/damaged.evr" bs=1 seek=$((size * 3 / 4)) conv=notrunc status=none
  mc 1 "$CLI" info "$O/damaged.evr"
  mc 1 "$CLI" cat "$O/damaged.evr"
  mc 1 "$CLI" recover "$O/damaged.evr" -o "$O/rec2.evr"
  local args
  for f in "$HERE"/data/bad/*.json; do
    args=() # the options golden.sh passes (limits lowered to be hit)
    [ -f "$f.args" ] && read -r -a args < "$f.args"
    mc 1 "$CLI" cat "$f" "${args[@]}"
  done
}

# lane NAME FUNCTION : runs FUNCTION, then leaves "pass fail" in $D/NAME.count.
run_lane() {
  lane=$1
  "$2"
  echo "memcheck: $1: $pass passed, $fail failed ($SECONDS s)"
  echo "$pass $fail" > "$D/$1.count"
}

units() {
  for t in "${TESTS[@]}"; do mc 0 "$t"; done
}

cli_and_replay() {
  cli_runs
  [ ${#REPLAY[@]} -eq 0 ] || mc 0 "${REPLAY[@]}"
}

echo "== memcheck: unit tests | CLI on examples/seed.json, ${REPLAY[*]:-no replay}"
run_lane units units &
run_lane cli cli_and_replay
wait
total_pass=0
total_fail=0
for l in units cli; do
  read -r p f < "$D/$l.count" || { p=0; f=1; echo "FAIL: lane $l did not finish" >&2; }
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
done
echo "memcheck: $total_pass passed, $total_fail failed ($SECONDS s)"
[ "$total_fail" -eq 0 ]
