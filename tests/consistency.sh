#!/bin/bash
# consistency.sh -- one behaviour for one situation, whatever the command.
#
#   bash tests/consistency.sh CLI BUILD_DIR        (run by `make check`)
#
#   - A 0-byte file, a text file, a plain gzip file named .evr, and a JSON
#     file given where a container is required: every command (get, schema,
#     info, recover, validate, convert, cat, export) prints the same one line,
#     "evrec: F: not an .evr container (...)", and exits 2.
#   - Records count from 1 everywhere a person reads them: error messages,
#     get --ordinal (1 is the first record, 0 a usage error), the library's
#     "record N does not exist (the file holds M)", validate's records.
#   - A UTF-8 BOM is skipped alike by the CLI (the reader) and by
#     evrec_json_decode() (tests/test_json_decode.c): the same column after
#     it for the same error.
#   - --progress: with files, "X of Y KiB (P%)" where Y is the inputs' sizes
#     summed, percentages that never go down, the time left, binary units;
#     from a pipe, no percentage.
#   - Plurals: one damaged block is "1 block damaged, 1 record lost" in
#     recover's summary, "1 damaged block, 1 record lost" in info.
#   - A write error on stdout is reported: /dev/full, and an earlier error
#     a later flush hides (ferror before fclose; an LD_PRELOAD shim).
#
# Ends with "consistency: N passed, M failed"; exits non-zero on failure.
set -u

CLI=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PY=/usr/bin/python3
T=$(mktemp -d /tmp/evrec-consistency.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$HERE/util/shcheck.sh"

# ------------------------------------------------------------------ not a container

: > empty.evr
echo 'hello, world' > text.evr
printf 'not evrec' | gzip -c > plain.evr
cp "$ROOT/examples/seed.json" seed.json

# same_error FILE "why": every command says exactly this, once, exit 2.
same_error() {
  local f=$1 want="evrec: $1: not an .evr container ($2)" c
  for c in "get $f some-id" "get $f --ordinal 1" "schema $f" "schema $f --descriptor-set -o x.desc" \
           "info $f" "info --json $f" "recover $f -o saved.evr" "validate $f" "convert $f -o x.pbd" \
           "cat $f" "export --to ninjs $f"; do
    # shellcheck disable=SC2086
    run $c
    [ "$rc" -eq 2 ] && [ "$(cat err)" = "$want" ] && ok ||
      bad "$c: exit $rc, stderr [$(cat err)], want 2 and [$want]"
  done
  expect_absent "$f: no output files" saved.evr
  expect_absent "$f: no output files" x.pbd
}
same_error empty.evr "the input is empty"
same_error text.evr "no .evr member at byte 0"
same_error plain.evr "no .evr member at byte 0: a plain gzip file"

# A JSON file is fine where any format is read, not where a container is.
for c in "get seed.json some-id" "schema seed.json" "recover seed.json -o saved.evr" \
         "info -f evr seed.json" "cat -f evr seed.json" "validate -f evr seed.json"; do
  # shellcheck disable=SC2086
  run $c
  expect_rc "$c" 2
  expect_err "$c: message" "evrec: seed.json: not an .evr container (the input is JSON)"
done
run info seed.json
expect_rc "info on JSON" 0

# A damaged container is not "not a container": its first member is bad,
# yet info and recover (which salvage) find the blocks after it.
printf '{"id":"r%d"}\n' 1 2 3 > three.ndjson
"$CLI" convert three.ndjson --block-size 1 -o three.evr
cp three.evr hdr-damaged.evr
printf 'XX' | dd of=hdr-damaged.evr bs=1 seek=0 conv=notrunc status=none
run recover hdr-damaged.evr -o saved.evr
expect_rc "recover, first member damaged" 1
[ "$("$CLI" cat saved.evr | wc -l)" -eq 3 ] && ok || bad "recover, first member damaged: records"
grep -q "not an .evr container" err && bad "recover called a damaged container no container" || ok
run cat hdr-damaged.evr
expect_rc "cat, first member damaged" 2
expect_err "cat, first member damaged: message" \
  "evrec: hdr-damaged.evr: not an .evr container (no .evr member at byte 0)"

# ------------------------------------------------------------------ numbering

run get three.evr --ordinal 1 --ordinal 3
expect_eq "get --ordinal 1 and 3" "$(cat out)" '{"id":"r1"}
{"id":"r3"}'
run get three.evr --ordinal 4
expect_rc "get --ordinal past the end" 1
expect_err "get --ordinal past the end: message" \
  "evrec: three.evr: record 4 does not exist (the file holds 3)"
run get three.evr --ordinal 0
expect_rc "get --ordinal 0" 2
printf '{"id":"a"}\n{"id":"b","revision":"x"}\n' > bad2.ndjson
run cat bad2.ndjson
expect_err "errors count records from 1" \
  'evrec: bad2.ndjson:2:22: record 2: invalid value "x" for uint32 (at revision)'
printf '{"id":"a"}\n{"id":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}\n' > big2.ndjson
run convert big2.ndjson -o /dev/null --max-record-size 20
grep -q '^evrec: big2.ndjson:2:1: record 2: ' err && ok || bad "limit error counts from 1: $(cat err)"
run validate bad2.ndjson
grep -q '^bad2.ndjson:2:22: record 2: ' out && ok || bad "validate counts from 1: $(cat out)"

# ------------------------------------------------------------------ BOM

printf '\xEF\xBB\xBF{"id":1}\n' > bom.json
run cat bom.json
expect_err "BOM: column after it" \
  'evrec: bom.json:1:7: record 1: expected a string for string, got a number (at id)'
printf '\xEF\xBB\xBF{"id":"bom"}\n' > bom-ok.json
run cat bom-ok.json
expect_eq "BOM: skipped" "$(cat out)" '{"id":"bom"}'

# ------------------------------------------------------------------ progress

"$PY" - <<'EOF'
import json
with open("many.ndjson", "w") as f:
    for i in range(3000):
        f.write(json.dumps({"id": f"p{i:05d}", "article": {"body": "x" * (i % 500)}}) + "\n")
EOF
cp many.ndjson many2.ndjson
total=$(( $(stat -c %s many.ndjson) * 2 ))
EVREC_PROGRESS_PERIOD=0 "$CLI" convert many.ndjson many2.ndjson --progress -o many.evr 2> err
rc=$?
expect_rc "--progress over two files" 0
want_total=$(awk -v t="$total" 'BEGIN { u = t >= 1048576 ? "MiB" : "KiB"; d = t >= 1048576 ? 1048576 : 1024; printf "%.1f %s", t / d, u }')
lines=$(grep -c " of $want_total (" err)
[ "$lines" -ge 10 ] && ok || bad "--progress: $lines lines say 'of $want_total': $(head -3 err)"
grep -q ' [0-9]*:[0-9][0-9] left$' err && ok || bad "--progress: no time left: $(head -2 err)"
sed -n 's/.*(\([0-9]*\)%).*/\1/p' err | awk 'p > $1 {bad = 1} {p = $1} END {exit bad || p < 50}' &&
  ok || bad "--progress: percentages go down or stop early: $(sed -n 's/.*(\([0-9]*%\)).*/\1/p' err | tr '\n' ' ')"
grep -q 'MB\|kB' err && bad "--progress: decimal units" || ok
tail -1 err | grep -q '^evrec: 6000 records, [0-9.]* [KMG]iB in [0-9]*:[0-9][0-9], [0-9.]* [KMG]iB/s$' &&
  ok || bad "--progress: final line: $(tail -1 err)"
cat many.ndjson | EVREC_PROGRESS_PERIOD=0 "$CLI" convert --progress -o many2.evr 2> err
grep -q '%\| of \|left' err && bad "--progress from a pipe shows a percentage: $(head -1 err)" || ok
grep -q '^evrec: 2[0-9]*0 records, [0-9.]* [KM]iB, [0-9.]* [KMG]iB/s$' err && ok ||
  bad "--progress from a pipe: $(head -1 err)"

# ------------------------------------------------------------------ plurals

# Damage the CRC of the second data block (one record each).
"$PY" - three.evr one-bad.evr <<'EOF'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
off, blocks = 0, 0
while off < len(data):
    bsize, nrec, kind = struct.unpack_from("<IIB", data, off + 16)
    if kind == 0:
        blocks += 1
        if blocks == 2:
            data[off + bsize - 8] ^= 0xFF
    off += bsize
open(sys.argv[2], "wb").write(data)
EOF
run recover one-bad.evr -o saved.evr
expect_rc "recover one damaged block" 1
tail -1 err | grep -q ': 1 block damaged, 1 record lost, 2 records written to saved.evr$' && ok ||
  bad "recover summary: $(tail -1 err)"
grep -q '; 1 record lost$' err && ok || bad "damage report: $(head -1 err)"
run info one-bad.evr
grep -q '^damage:      1 damaged block, 1 record lost$' out && ok || bad "info damage: $(grep damage out)"
run recover three.evr -o saved.evr
expect_err "recover, intact: plurals" \
  "evrec: recover: three.evr: 0 blocks damaged, 0 records lost, 3 records written to saved.evr"
printf '{"id":"one"}\n' > one.ndjson
"$CLI" convert one.ndjson -o one.evr
run recover one.evr -o saved.evr
expect_err "recover, one record" \
  "evrec: recover: one.evr: 0 blocks damaged, 0 records lost, 1 record written to saved.evr"

# ------------------------------------------------------------------ stdout errors

"$CLI" cat many.ndjson > /dev/full 2> err
rc=$?
expect_rc "cat > /dev/full" 2
grep -q '^evrec: error writing <stdout>' err && ok || bad "cat > /dev/full: $(cat err)"
"$CLI" schema > /dev/full 2> err
rc=$?
expect_rc "schema > /dev/full" 2

# An earlier write error that a later flush hides (glibc's fclose reports
# only its own flush): the CLI asks ferror(stdout) before closing. A shim
# makes ferror(stdout) say so while every write succeeds; the plain build
# only (a sanitizer runtime must come first in the library list).
if ! nm "$CLI" 2> /dev/null | grep -q '__asan_init'; then
  cat > ferr.c <<'CEOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
int ferror(FILE *f) {
  int (*real)(FILE *) = (int (*)(FILE *))dlsym(RTLD_NEXT, "ferror");
  if (f == stdout && getenv("FAKE_STDOUT_ERROR")) return 1;
  return real(f);
}
CEOF
  if ${CC:-cc} -shared -fPIC -o ferr.so ferr.c 2> err; then
    LD_PRELOAD=$PWD/ferr.so FAKE_STDOUT_ERROR=1 "$CLI" schema > out 2> err
    rc=$?
    expect_rc "an earlier error on stdout (ferror)" 2
    expect_err "an earlier error on stdout: message" "evrec: error writing <stdout>"
    LD_PRELOAD=$PWD/ferr.so "$CLI" schema > out 2> err
    rc=$?
    expect_rc "the ferror shim passes through" 0
  else
    bad "cannot build the ferror shim: $(head -2 err)"
  fi
fi

echo "consistency: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
