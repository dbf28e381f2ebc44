#!/usr/bin/env bash
# tests/diff/run.sh -- differential test of evrec's JSON codec against Google's
# reference implementation (python3-protobuf's json_format).
#
#   bash tests/diff/run.sh BUILD_DIR        (what `make test-diff` runs)
#
# Needs BUILD_DIR/tests/diffdriver (tests/diffdriver.c), protoc and Debian's
# python3-protobuf under /usr/bin/python3. Input sets:
#
#   cases   tests/diff/cases/*.json   hand-written AllTypes inputs covering the
#                                     JSON mapping; both sides must accept them
#                                     and agree on the message
#   reject  tests/diff/reject/*.json  inputs both sides must reject; evrec with
#                                     the status their name starts with
#   seed    examples/seed.json        the flagship evrec.v1.Record
#   rand-alltypes, rand-record        random binaries from tests/util/randmsg
#   doubles                           2,000,000 doubles printed by evrec
#                                     against Python's repr() (doubles.py)
#   merge-alltypes, merge-record      the same re-encoded to work protobuf's
#                                     merge rules (tests/util/wiremix.h), two
#                                     thirds of them concatenated with one or
#                                     two more: decoders must merge as Google's
#
# Every input goes through evrec (diffdriver, in batches: a handful of
# processes in all) and through Google (oracle.py, one process per phase):
#
#   1. evrec:  inputs -> binary -> JSON; random binaries -> JSON
#   2. Google: inputs -> deterministic binary + MessageToJson   (oracle prepare)
#   3. evrec:  Google's JSON -> binary; Google's binary -> JSON
#   4. Google: compare everything, print `diff: N passed, M failed` (verify)
#
# oracle.py's file-top comment lists the checks and the layout of
# BUILD_DIR/diff, which is rebuilt on every run and kept for inspection.
# Environment: PYTHON (/usr/bin/python3), PROTOC (protoc), WKT_DIR
# (/usr/include), DIFF_SEED, DIFF_N_ALLTYPES (600), DIFF_N_RECORDS (250),
# DIFF_N_MERGE_ALLTYPES (2000), DIFF_N_MERGE_RECORDS (1000), DIFF_N_DOUBLES
# (2000000).
set -u  # not -e: a failing step is counted as a failure and the rest still runs

if [ $# -ne 1 ]; then
  echo "usage: bash tests/diff/run.sh BUILD_DIR" >&2
  exit 2
fi
mkdir -p "$1" || exit 2
B=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
PROTOC=${PROTOC:-protoc}
WKT=${WKT_DIR:-/usr/include}
SEED=${DIFF_SEED:-20251127}
N_ALLTYPES=${DIFF_N_ALLTYPES:-600}
N_RECORDS=${DIFF_N_RECORDS:-250}
N_MERGE_ALLTYPES=${DIFF_N_MERGE_ALLTYPES:-2000}
N_MERGE_RECORDS=${DIFF_N_MERGE_RECORDS:-1000}
DRIVER=$B/tests/diffdriver
W=$B/diff
SETS=()          # "NAME TYPE KIND" of every set created
driver_failures=0

die() { echo "diff: $*" >&2; exit 2; }

[ -x "$DRIVER" ] || die "$DRIVER not built (make $B/tests/diffdriver)"
"$PY" -c 'import google.protobuf.json_format' 2>/dev/null ||
  die "$PY has no google.protobuf (apt-get install python3-protobuf)"

# ------------------------------------------------------------ Python classes

rm -rf "$B/py" "$W"
mkdir -p "$B/py" "$W" || exit 2
"$PROTOC" -I"$ROOT/tests/proto" -I"$WKT" --python_out="$B/py" alltypes.proto ||
  die "protoc failed on tests/proto/alltypes.proto"
have_record=0
if [ -f "$ROOT/proto/evrec/v1/evrec.proto" ]; then
  "$PROTOC" -I"$ROOT/proto" -I"$WKT" --python_out="$B/py" evrec/v1/evrec.proto ||
    die "protoc failed on proto/evrec/v1/evrec.proto"
  have_record=1
else
  echo "SKIP record sets: proto/evrec/v1/evrec.proto missing"
fi

# ------------------------------------------------------------ input sets

# new_set NAME TYPE KIND EXPECT: the directory skeleton oracle.py expects.
new_set() {
  local d=$W/$1 sub
  for sub in in e_pb e_json g_pb g_json e_pb2 e_json2; do
    mkdir -p "$d/$sub" || exit 2
  done
  echo "$2 $3 $4" > "$d/meta"
  SETS+=("$1 $2 $3")
}

# json_set NAME TYPE EXPECT FILE...: a set of JSON files copied verbatim.
json_set() {
  local name=$1 type=$2 expect=$3
  shift 3
  new_set "$name" "$type" json "$expect"
  cp "$@" "$W/$name/in/" || exit 2
}

# drive ARGS...: runs diffdriver; a crash or I/O error counts as a failure.
drive() {
  "$DRIVER" "$@"
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL diffdriver $* (exit $rc)"
    driver_failures=$((driver_failures + 1))
  fi
}

json_set cases alltypes accept "$HERE"/cases/*.json
json_set reject alltypes reject "$HERE"/reject/*.json
if [ $have_record = 1 ] && [ -f "$ROOT/examples/seed.json" ]; then
  json_set seed record accept "$ROOT/examples/seed.json"
else
  echo "SKIP seed: examples/seed.json (or the schema) missing"
fi
new_set rand-alltypes alltypes pb -
drive random alltypes "$SEED" "$N_ALLTYPES" "$W/rand-alltypes/in"
if [ $have_record = 1 ]; then
  new_set rand-record record pb -
  drive random record "$((SEED + 1000000))" "$N_RECORDS" "$W/rand-record/in"
fi
new_set merge-alltypes alltypes pb -
drive merge alltypes "$((SEED + 2000000))" "$N_MERGE_ALLTYPES" "$W/merge-alltypes/in"
if [ $have_record = 1 ]; then
  new_set merge-record record pb -
  drive merge record "$((SEED + 3000000))" "$N_MERGE_RECORDS" "$W/merge-record/in"
fi

# ------------------------------------------------------------ doubles

# The encoder's shortest doubles against Python's repr() (doubles.py).
N_DOUBLES=${DIFF_N_DOUBLES:-2000000}
if "$DRIVER" doubles "$SEED" "$N_DOUBLES" > "$W/doubles.txt"; then
  "$PY" "$HERE/doubles.py" "$W/doubles.txt" || driver_failures=$((driver_failures + 1))
else
  echo "FAIL diffdriver doubles"
  driver_failures=$((driver_failures + 1))
fi

# ------------------------------------------------------------ the pipeline

for s in "${SETS[@]}"; do
  set -- $s
  if [ "$3" = json ]; then
    drive json2pb-batch "$2" "$W/$1/in" "$W/$1/e_pb"
    drive pb2json-batch "$2" "$W/$1/e_pb" "$W/$1/e_json"
  else
    drive pb2json-batch "$2" "$W/$1/in" "$W/$1/e_json"
  fi
done

"$PY" "$HERE/oracle.py" prepare "$B" || die "oracle.py prepare failed"

for s in "${SETS[@]}"; do
  set -- $s
  drive json2pb-batch "$2" "$W/$1/g_json" "$W/$1/e_pb2"
  drive pb2json-batch "$2" "$W/$1/g_pb" "$W/$1/e_json2"
done

"$PY" "$HERE/oracle.py" verify "$B" "$driver_failures"
