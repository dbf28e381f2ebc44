#!/bin/bash
# cli.sh -- end-to-end tests of the `evrec` command line tool.
#
#   bash tests/cli.sh CLI BUILD_DIR        (run by `make check`)
#
# Covers: --help/--version, convert between every pair of formats, stdin and
# stdout, -f/-t and detection, layouts (--pretty, --array), exit statuses
# 0/1/2, the exact error formats (FILE:LINE:COL for JSON, "record N at byte
# OFF" for binary, 1-based record numbers, field paths), atomic output (no
# file after a failed convert, an existing file never clobbered), --append,
# write errors (/dev/full), SIGPIPE, and byte-for-byte agreement of pbd with
# Google's protobuf for Python when it is installed.
#
# Prints one line per failure and ends with "cli: N passed, M failed";
# exits non-zero when anything failed.
set -u

CLI=$(realpath "$1")
BUILD=${2:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/data/io
T=$(mktemp -d /tmp/evrec-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2
cp "$DATA"/* .

. "$HERE/util/shcheck.sh"

# No temporary files may survive any run.
expect_no_temp() {
  local left
  left=$(ls -a | grep '\.tmp\.' || true)
  if [ -z "$left" ]; then ok; else bad "$1: temporary files left: $left"; fi
}

# ------------------------------------------------------------------ help, version, usage

run --version
expect_rc "--version" 0
[ "$(cat out)" = "evrec 0.1.0" ] && ok || bad "--version prints [$(cat out)]"

run --help
expect_rc "--help" 0
grep -q '^  convert ' out && grep -q '^  cat ' out && ok || bad "--help lists the commands"

for cmd in convert cat; do
  run "$cmd" --help
  expect_rc "$cmd --help" 0
  head -1 out | grep -q "^Usage: evrec $cmd " && ok || bad "$cmd --help usage line"
  grep -q -- '--help' out && grep -q 'Exit status: 0 success, 1 invalid input, 2 usage or I/O error.' out \
    && ok || bad "$cmd --help options and exit statuses"
  cp out help1
  run help "$cmd"
  expect_same "help $cmd = $cmd --help" out help1
done
"$CLI" convert --help > help1
run convert -h
expect_same "convert -h = convert --help" out help1
grep -q 'counted from 1' <("$CLI" convert --help) && ok || bad "convert --help says records count from 1"

run
expect_rc "no command" 2
head -1 err | grep -q '^Usage: evrec COMMAND' && ok || bad "no command prints usage on stderr"
run frob
expect_rc "unknown command" 2
expect_err "unknown command" "evrec: unknown command 'frob'
Try 'evrec --help'."
run convert --frob
expect_rc "unknown option" 2
expect_err "unknown option" "evrec convert: unknown option '--frob'
Try 'evrec convert --help'."
run convert -t xml two.ndjson
expect_rc "bad -t" 2
expect_err "bad -t" "evrec convert: -t: unknown format 'xml' (json, ndjson, jsonl, pb, pbd, evr)
Try 'evrec convert --help'."
run convert two.ndjson -o
expect_rc "-o without argument" 2
run convert --pretty -t pbd two.ndjson
expect_rc "--pretty with pbd" 2
expect_err "--pretty with pbd" "evrec convert: --pretty and --array need JSON output (-t json), not pbd
Try 'evrec convert --help'."
run convert --pretty=yes two.ndjson
expect_rc "flag with a value" 2
run convert --append two.ndjson
expect_rc "--append to stdout" 2
run convert -t evr -o x.evr two.ndjson
expect_rc "-t evr" 0
run cat x.evr
expect_same "-t evr reads back (more in container.sh)" out two.canonical.ndjson

# ------------------------------------------------------------------ cat and layouts

run cat two.ndjson
expect_rc "cat ndjson" 0
expect_same "cat ndjson is canonical" out two.canonical.ndjson
run cat array.json
expect_same "cat array.json" out two.canonical.ndjson
run cat two.ndjson array.json
cat two.canonical.ndjson two.canonical.ndjson > twice
expect_same "cat two inputs" out twice
"$CLI" cat - < two.ndjson > out 2>err
expect_same "cat stdin" out two.canonical.ndjson
"$CLI" cat < array.json > out 2>err
expect_same "cat stdin by default" out two.canonical.ndjson
printf '' | "$CLI" cat > out 2>err
rc=$?
expect_rc "cat empty stdin" 0
[ ! -s out ] && ok || bad "cat empty stdin prints nothing"

run convert two.ndjson --pretty
expect_rc "--pretty" 0
mv out pretty.json
grep -q '^  "id": "r2",$' pretty.json && ok || bad "--pretty indents members"
run cat pretty.json
expect_same "--pretty output reads back" out two.canonical.ndjson
run convert two.ndjson --array
head -c 2 out | grep -q '^\[{' && tail -c 3 out | od -c | grep -q '}   ]  \\n' && ok || bad "--array layout"
run convert --array empty.ndjson 2>/dev/null
printf '' > empty.ndjson
run convert --array empty.ndjson
[ "$(cat out)" = "[]" ] && ok || bad "--array of nothing is [] (got [$(cat out)])"
run convert -t json two.ndjson
expect_same "-t json to stdout is NDJSON" out two.canonical.ndjson
run convert one.json --emit-defaults
grep -q '"revision":3' out && grep -q '"status":"RECORD_STATUS_UNSPECIFIED"' out && ok \
  || bad "--emit-defaults"
run convert one.json --proto-names
grep -q '"published_at":' out && ok || bad "--proto-names"

# ------------------------------------------------------------------ every pair of formats

"$CLI" cat one.json > one.canonical.ndjson
for from in json ndjson pb pbd; do
  "$CLI" convert one.json -t "$from" -o "one.$from" 2>err || bad "make one.$from: $(cat err)"
  for to in json ndjson pb pbd; do
    run convert "one.$from" -t "$to" -o "pair.$to"
    expect_rc "one.$from -> $to" 0
    "$CLI" cat "pair.$to" > back 2>&1
    expect_same "one.$from -> $to round trip" back one.canonical.ndjson
  done
done
for from in json ndjson pbd; do
  "$CLI" convert two.ndjson -t "$from" -o "two.$from" 2>err || bad "make two.$from: $(cat err)"
  for to in json ndjson pbd; do
    run convert "two.$from" -o "pair2.$to"   # -t from the extension
    expect_rc "two.$from -> $to" 0
    "$CLI" cat "pair2.$to" > back 2>&1
    expect_same "two.$from -> $to round trip" back two.canonical.ndjson
  done
done
# the extension decides the output format: pbd starts with a length (136 = 0x88 0x01)
[ "$(head -c 2 pair2.pbd | od -An -tx1 | tr -d ' ')" = "8801" ] && ok || bad "-o x.pbd writes pbd"
expect_no_temp "pairs"

# stdin/stdout and explicit formats
"$CLI" convert -t pbd -o - < two.ndjson > s.bin 2>err
rc=$?
expect_rc "pbd to stdout with -o -" 0
expect_same "pbd on stdout = pbd file" s.bin two.pbd
"$CLI" cat -f pbd - < s.bin > out 2>err
expect_same "cat -f pbd from stdin" out two.canonical.ndjson
"$CLI" cat < s.bin > out 2>err
rc=$?
expect_rc "binary stdin without -f" 2
expect_err "binary stdin without -f" "evrec: <stdin>: cannot detect the input format (not JSON; binary input needs a .pb or .pbd name or an explicit format)"
cp two.pbd two.bin
run cat two.bin
expect_rc "pbd named .bin" 2
run cat -f pbd two.bin
expect_same "-f pbd on a .bin file" out two.canonical.ndjson
run convert -f json two.pbd
expect_rc "-f json on binary" 1
run convert one.pb -t pbd -o - 
expect_rc "pb to pbd on stdout" 0
"$CLI" convert two.ndjson one.json -o all.pbd 2>err
run cat all.pbd
cat two.canonical.ndjson one.canonical.ndjson > want
expect_same "several inputs into one output" out want

# binary output to a terminal is refused unless -o - asks for it
if script -qc true /dev/null >/dev/null 2>&1; then
  script -qc "'$CLI' convert two.ndjson -t pbd; echo status=\$?" /dev/null > tty.out 2>&1
  grep -q 'refusing to write binary pbd to a terminal' tty.out && grep -q 'status=2' tty.out \
    && ok || bad "binary to a terminal is refused: $(cat tty.out)"
  script -qc "'$CLI' convert two.ndjson -t pbd -o - >/dev/null; echo status=\$?" /dev/null > tty.out 2>&1
  grep -q 'status=0' tty.out && ok || bad "-o - forces binary output"
fi

# ------------------------------------------------------------------ error formats and statuses

run cat bad-field.ndjson
expect_rc "unknown field" 1
expect_err "unknown field" "evrec: bad-field.ndjson:3:47: record 3: unknown field \"nmae\" in evrec.v1.Actor (at actors[1])"
[ "$(wc -l < out)" -eq 2 ] && ok || bad "records before the error reach stdout"
run cat --ignore-unknown bad-field.ndjson
expect_rc "--ignore-unknown" 0
[ "$(wc -l < out)" -eq 3 ] && ok || bad "--ignore-unknown reads all 3 records"
run cat bad-syntax.json
expect_rc "syntax error" 1
expect_err "syntax error" "evrec: bad-syntax.json:4:2: record 2: expected ',' or '}' after object member"
run cat bad-utf8.ndjson
expect_rc "invalid UTF-8" 1
expect_err "invalid UTF-8" "evrec: bad-utf8.ndjson:2:39: record 2: invalid UTF-8 (byte 0xFF) in string (at article.headline)"
printf '[{"id":"a"},]' > comma.json
run cat comma.json
expect_rc "trailing comma" 1
expect_err "trailing comma" "evrec: comma.json:1:13: record 2: expected a record after ',' (trailing comma)"
printf '{"id":"a"}\n{"id":"b"' > cut.ndjson
run cat cut.ndjson
expect_rc "truncated JSON" 1
expect_err "truncated JSON" "evrec: cut.ndjson:2:10: record 2: unexpected end of input"

head -c 150 two.pbd > cut.pbd
run cat cut.pbd
expect_rc "truncated pbd" 1
expect_err "truncated pbd" "evrec: cut.pbd: record 2 at byte 138: truncated: need 54 bytes, have 11"
printf '\x05\x0a\x03ab\xff' > wire.pbd
run cat wire.pbd
expect_rc "bad UTF-8 in pbd" 1
expect_err "bad UTF-8 in pbd" "evrec: wire.pbd: record 1 at byte 5: field 1 (id): invalid UTF-8 in a string (at id)"
printf '\x03\x0a\x01x\x04\x42\x05ab' > wire2.pbd
run cat wire2.pbd
expect_rc "bad wire data" 1
expect_err "bad wire data" "evrec: wire2.pbd: record 2 at byte 5: field 8 (events): length 5 exceeds the 2 bytes left (at events[0])"
# a record the output cannot represent: blamed on the input record (exit 1)
printf '\x09\x22\x07\x08\x80\x80\x80\x80\x80\x08' > ts.pbd
run convert ts.pbd -o ts.json
expect_rc "unrepresentable record" 1
expect_err "unrepresentable record" "evrec: ts.pbd: record 1: Timestamp seconds 274877906944 outside 0001-01-01..9999-12-31 (at updatedAt)"
expect_absent "unrepresentable record leaves no output" ts.json
run cat nosuch.json
expect_rc "missing input" 2
expect_err "missing input" "evrec: cannot open nosuch.json: No such file or directory"
run cat .
expect_rc "directory input" 2
expect_err "directory input" "evrec: cannot open .: Is a directory"

# ------------------------------------------------------------------ atomic output

run convert two.ndjson bad-field.ndjson -o fail.pbd
expect_rc "failed convert" 1
expect_absent "failed convert leaves no file" fail.pbd
expect_no_temp "failed convert"
cp two.pbd keep.pbd
run convert one.json bad-syntax.json -o keep.pbd
expect_rc "failed convert over a file" 1
expect_same "existing output not clobbered" keep.pbd two.pbd
run convert two.ndjson -o many.pb
expect_rc "two records into pb" 2
expect_err "two records into pb" "evrec: many.pb: pb holds exactly one record; use pbd for more"
expect_absent "no pb left" many.pb
run convert two.ndjson -o nodir/x.pbd
expect_rc "output in a missing directory" 2
expect_err "output in a missing directory" "evrec: cannot create a temporary file next to nodir/x.pbd: No such file or directory"
expect_no_temp "atomic"

# --append (pbd and ndjson only)
cp two.pbd log.pbd
run convert one.json --append -o log.pbd
expect_rc "--append pbd" 0
run cat log.pbd
cat two.canonical.ndjson one.canonical.ndjson > want
expect_same "--append pbd content" out want
cp two.canonical.ndjson log.ndjson
run convert one.json --append -o log.ndjson
expect_same "--append ndjson content" log.ndjson want
run convert log.ndjson --append -o log.ndjson
expect_rc "--append to its own input" 2
expect_err "--append to its own input" "evrec convert: --append: input 'log.ndjson' is the output file
Try 'evrec convert --help'."
expect_same "--append to its own input leaves it" log.ndjson want
run convert one.json --append -o log.pb
expect_rc "--append pb" 2
expect_err "--append pb" "evrec convert: --append works only for evr, pbd and ndjson output, not pb
Try 'evrec convert --help'."

# ------------------------------------------------------------------ write errors, SIGPIPE

"$CLI" cat two.ndjson > /dev/full 2>err
rc=$?
expect_rc "cat > /dev/full" 2
expect_err "cat > /dev/full" "evrec: error writing <stdout>: No space left on device"
"$CLI" --help > /dev/full 2>err
rc=$?
expect_rc "--help > /dev/full" 2
expect_err "--help > /dev/full" "evrec: error writing <stdout>: No space left on device"
run convert two.ndjson -t pbd -o /dev/full
expect_rc "convert -o /dev/full" 2
expect_err "convert -o /dev/full" "evrec: error writing /dev/full: No space left on device"

# a closed pipe ends the run quietly, killed by SIGPIPE like cat(1)
for i in $(seq 3000); do cat two.canonical.ndjson; done > big.ndjson
"$CLI" cat big.ndjson 2>err | head -1 > first
status=${PIPESTATUS[0]}
[ "$status" -eq 141 ] && ok || bad "SIGPIPE: status $status, want 141"
[ ! -s err ] && ok || bad "SIGPIPE: stderr not empty: $(cat err)"
head -1 two.canonical.ndjson | cmp -s - first && ok || bad "SIGPIPE: first line"

# ------------------------------------------------------------------ agreement with Google's protobuf

PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import google.protobuf' 2>/dev/null && command -v protoc >/dev/null; then
  mkdir -p py
  protoc -I"$HERE/../proto" -I/usr/include --python_out=py evrec/v1/evrec.proto
  PYTHONPATH=py "$PY" - two.ndjson google.pbd <<'EOF'
import sys
from google.protobuf import json_format
from google.protobuf.internal.encoder import _VarintBytes
from evrec.v1 import evrec_pb2
with open(sys.argv[2], "wb") as out:
    for line in open(sys.argv[1], encoding="utf-8"):
        data = json_format.Parse(line, evrec_pb2.Record()).SerializeToString()
        out.write(_VarintBytes(len(data)) + data)
EOF
  expect_same "pbd is byte-identical to Python's _VarintBytes + SerializeToString" two.pbd google.pbd
  run cat google.pbd
  expect_same "Python's pbd reads back" out two.canonical.ndjson
fi

expect_no_temp "end"
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
