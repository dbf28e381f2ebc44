#!/bin/bash
# io_errors.sh -- the CLI facing a failing system: full devices, files over
# the size limit, closed pipes, read errors part-way through a file.
#
#   bash tests/io_errors.sh CLI BUILD_DIR        (run by `make check`)
#
# Every I/O failure must end the run with status 2 and one message naming
# the file and the system's reason, leave no output file or temporary file
# behind, and never change an existing file (--append included: a failed
# append truncates back). A closed pipe ends the run silently by SIGPIPE
# (status 141), as for cat(1). What tests/cli.sh checks already (cat and
# --help > /dev/full, one `cat | head -1`, missing and directory input,
# truncated ndjson/pbd, atomic output after invalid input) is not repeated.
#
# Tools: /dev/full gives ENOSPC on a device (written in place); `ulimit -f`
# with SIGXFSZ ignored gives EFBIG on a regular file, i.e. through the
# temporary-file path; $BUILD/tests/failio.so (tests/util/failio.c, an
# LD_PRELOAD shim) makes read(2)/pread(2) of one file fail with EIO at a
# given offset. The shim is not built for the ASan build, where those
# checks are skipped.
#
# Prints one line per failure and ends with "io_errors: N passed, M failed";
# exits non-zero when anything failed.
set -u

CLI=$(realpath "$1")
BUILD=$(realpath "${2:-build}")
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/evrec-io.XXXXXX)
trap 'chmod -R u+rwx "$T"; rm -rf "$T"' EXIT
cd "$T" || exit 2
cp "$HERE"/data/io/* "$HERE"/../examples/seed.json .

. "$HERE/util/shcheck.sh"

# No temporary files may survive any run.
expect_no_temp() {
  local left
  left=$(ls -a | grep '\.tmp\.' || true)
  if [ -z "$left" ]; then ok; else bad "$1: temporary files left: $left"; fi
}

# limited ARGS... : like run, with files limited to 1 KiB and SIGXFSZ
# ignored, so that writing past 1 KiB fails with EFBIG.
limited() {
  (trap '' XFSZ; ulimit -f 1; "$CLI" "$@" >out 2>err)
  rc=$?
}

# Inputs: 6000 records (1.5 MB of NDJSON) in every format; output bigger
# than a pipe buffer and than the writer's 256 KiB flush size. bigz.evr is
# stored (-z 0) so that it is large too.
for i in $(seq 3000); do cat two.canonical.ndjson; done > big.ndjson
"$CLI" convert big.ndjson --array -o big.json
"$CLI" convert big.ndjson -o big.pbd
"$CLI" convert big.ndjson -o big.evr
"$CLI" convert big.ndjson -z 0 -o bigz.evr
"$CLI" convert seed.json -o seed.pb
for f in big.json big.pbd big.evr bigz.evr seed.pb; do
  [ -s "$f" ] && ok || bad "setup: $f not written"
done
[ "$(wc -c < seed.pb)" -gt 8192 ] && ok || bad "setup: seed.pb is not larger than 8 KiB"

# ------------------------------------------------------------------ /dev/full (ENOSPC, in place)

# Small outputs fail when the writer flushes at close, big ones mid-run.
for to in ndjson json pbd pb evr; do
  in=big.ndjson
  [ "$to" = pb ] && in=seed.json
  for src in one.json "$in"; do
    run convert "$src" -t "$to" -o /dev/full
    expect_rc "convert $src -t $to -o /dev/full" 2
    expect_err "convert $src -t $to -o /dev/full" \
      "evrec: error writing /dev/full: No space left on device"
    "$CLI" convert "$src" -t "$to" -o - > /dev/full 2>err
    rc=$?
    expect_rc "convert $src -t $to > /dev/full" 2
    expect_err "convert $src -t $to > /dev/full" \
      "evrec: error writing <stdout>: No space left on device"
  done
done
for opt in --pretty --array; do
  run convert big.ndjson "$opt" -o /dev/full
  expect_rc "convert $opt -o /dev/full" 2
  expect_err "convert $opt -o /dev/full" "evrec: error writing /dev/full: No space left on device"
done
"$CLI" cat big.ndjson big.pbd > /dev/full 2>err
rc=$?
expect_rc "cat big > /dev/full" 2
expect_err "cat big > /dev/full" "evrec: error writing <stdout>: No space left on device"
expect_no_temp "/dev/full"

# Every other command that writes.
for cmd in "info big.evr" "info --json big.pbd" "get big.evr r2 --ordinal 5" "schema" \
           "schema big.evr" "schema --descriptor-set -o -"; do
  # shellcheck disable=SC2086 # word splitting wanted
  "$CLI" $cmd > /dev/full 2>err
  rc=$?
  expect_rc "$cmd > /dev/full" 2
  expect_err "$cmd > /dev/full" "evrec: error writing <stdout>: No space left on device"
done
for cmd in "recover big.evr" "schema" "schema --descriptor-set" "schema --descriptor-set big.evr"; do
  # shellcheck disable=SC2086
  run $cmd -o /dev/full
  expect_rc "$cmd -o /dev/full" 2
  expect_err "$cmd -o /dev/full" "evrec: error writing /dev/full: No space left on device"
done

# ------------------------------------------------------------------ file size limit (EFBIG, atomic)

for to in ndjson json pbd pb evr; do
  in=big.ndjson
  [ "$to" = pb ] && in=seed.json
  limited convert "$in" -o "new.$to"
  expect_rc "EFBIG: convert -o new.$to" 2
  expect_err "EFBIG: convert -o new.$to" "evrec: error writing new.$to: File too large"
  expect_absent "EFBIG: convert -o new.$to leaves no file" "new.$to"
  echo "precious" > "old.$to"
  limited convert "$in" -o "old.$to"
  expect_rc "EFBIG: convert -o old.$to" 2
  [ "$(cat "old.$to")" = precious ] && ok || bad "EFBIG: existing old.$to was changed"
  limited convert "$in" -t "$to" -o -
  expect_rc "EFBIG: convert -t $to > file" 2
  expect_err "EFBIG: convert -t $to > file" "evrec: error writing <stdout>: File too large"
done
limited convert big.ndjson --array -o new.json
expect_rc "EFBIG: --array" 2
expect_absent "EFBIG: --array leaves no file" new.json
limited recover big.evr -o new.evr
expect_rc "EFBIG: recover" 2
expect_err "EFBIG: recover" "evrec: error writing new.evr: File too large"
expect_absent "EFBIG: recover leaves no file" new.evr
for opt in "" --descriptor-set; do
  # shellcheck disable=SC2086
  limited schema $opt -o new.schema
  expect_rc "EFBIG: schema $opt -o" 2
  expect_err "EFBIG: schema $opt -o" "evrec: error writing new.schema: File too large"
  expect_absent "EFBIG: schema $opt leaves no file" new.schema
done
expect_no_temp "EFBIG"

# --append: a failed append leaves the file exactly as it was, whether the
# disk is full or a record is invalid after 256 KiB were already written.
"$CLI" convert two.ndjson -o log.pbd
"$CLI" convert two.ndjson -o log.evr
cp two.canonical.ndjson log.ndjson
for f in log.ndjson log.pbd log.evr; do
  cp "$f" "keep.$f"
  limited convert big.ndjson --append -o "$f"
  expect_rc "EFBIG: --append $f" 2
  expect_err "EFBIG: --append $f" "evrec: error writing $f: File too large"
  expect_same "EFBIG: --append leaves $f as it was" "$f" "keep.$f"
  run convert big.ndjson bad-field.ndjson --append -o "$f"
  expect_rc "invalid record: --append $f" 1
  expect_same "invalid record: --append leaves $f as it was" "$f" "keep.$f"
  run convert one.json --append -o "$f"
  expect_rc "--append $f after the failures" 0
  run cat "$f"
  cat two.canonical.ndjson > want
  "$CLI" cat one.json >> want
  expect_same "--append $f after the failures: content" out want
done
expect_no_temp "--append"

# ------------------------------------------------------------------ closed pipe (SIGPIPE)

# pipe_status NAME CMD... : runs CMD | head -c 1; evrec must die of SIGPIPE
# without a word on stderr.
pipe_status() {
  local name=$1
  shift
  "$@" 2>err | head -c 1 > first
  local status=${PIPESTATUS[0]}
  [ "$status" -eq 141 ] && ok || bad "$name | head -c 1: status $status, want 141"
  [ ! -s err ] && ok || bad "$name | head -c 1: stderr: $(head -c 300 err)"
  [ -s first ] && ok || bad "$name | head -c 1: no output"
}
pipe_status "cat big.evr" "$CLI" cat big.evr
pipe_status "convert -t json --pretty" "$CLI" convert big.pbd -t json --pretty
pipe_status "convert -t pbd -o -" "$CLI" convert big.ndjson -t pbd -o -
pipe_status "convert -t evr -z 0 -j 2 -o -" "$CLI" convert big.ndjson -t evr -z 0 -j 2 -o -
# a parent that ignores SIGPIPE (as Python's subprocess does) changes nothing
pipe_status "cat, SIGPIPE ignored by the parent" bash -c "trap '' PIPE; exec '$CLI' cat big.pbd"
"$CLI" cat big.ndjson 2>err | head -c 100 > first
status=${PIPESTATUS[0]}
[ "$status" -eq 141 ] && ok || bad "cat | head -c 100: status $status, want 141"
[ ! -s err ] && ok || bad "cat | head -c 100: stderr: $(cat err)"
head -c 100 two.canonical.ndjson | cmp -s - first && ok || bad "cat | head -c 100: output"

# ------------------------------------------------------------------ read errors mid-file (EIO)

SHIM=$BUILD/tests/failio.so
# failing AFTER ARGS... : run, with reads of $FAIL past byte AFTER failing.
failing() {
  local after=$1
  shift
  FAILIO_PATH=$FAIL FAILIO_AFTER=$after LD_PRELOAD=$SHIM "$CLI" "$@" >out 2>err
  rc=$?
}
if [ ! -f "$SHIM" ] && ldd "$CLI" | grep -q libasan; then
  echo "io_errors: read-error checks skipped (ASan build, no $SHIM)"
elif [ ! -f "$SHIM" ]; then
  bad "$SHIM missing (built by make check)"
else
  # Past the first 256 KiB read, so records were already converted.
  for FAIL in big.ndjson big.json big.pbd big.evr bigz.evr seed.pb; do
    after=300000
    [ "$FAIL" = seed.pb ] && after=1000
    [ "$FAIL" = big.evr ] && after=$(($(wc -c < big.evr) / 2))
    failing "$after" convert "$FAIL" -t pbd -o new.pbd
    expect_rc "EIO: convert $FAIL" 2
    expect_err "EIO: convert $FAIL" "evrec: error reading $FAIL: Input/output error"
    expect_absent "EIO: convert $FAIL leaves no file" new.pbd
    echo precious > old.pbd
    failing "$after" convert "$FAIL" -o old.pbd
    expect_rc "EIO: convert $FAIL over a file" 2
    [ "$(cat old.pbd)" = precious ] && ok || bad "EIO: convert $FAIL changed the existing output"
    failing 0 cat "$FAIL"
    expect_rc "EIO at byte 0: cat $FAIL" 2
    expect_err "EIO at byte 0: cat $FAIL" "evrec: error reading $FAIL: Input/output error"
  done
  FAIL=big.pbd
  failing 300000 cat big.pbd
  expect_rc "EIO: cat" 2
  n=$(wc -l < out)
  [ "$n" -gt 1000 ] && [ "$n" -lt 6000 ] && ok || bad "EIO: cat prints the records before ($n)"
  head -n "$n" big.ndjson | cmp -s - out && ok || bad "EIO: cat output before the error"
  FAILIO_PATH=big.pbd FAILIO_AFTER=300000 LD_PRELOAD=$SHIM "$CLI" cat -f pbd < big.pbd >out 2>err
  rc=$?
  expect_rc "EIO: stdin" 2
  expect_err "EIO: stdin" "evrec: error reading <stdin>: Input/output error"
  # the container's random access (pread of the index at the end)
  FAIL=bigz.evr
  for cmd in "info bigz.evr" "info --json bigz.evr" "get bigz.evr r2" \
             "get bigz.evr --ordinal 7" "recover bigz.evr -o new.evr"; do
    # shellcheck disable=SC2086
    failing 300000 $cmd
    expect_rc "EIO: $cmd" 2
    expect_err "EIO: $cmd" "evrec: error reading bigz.evr: Input/output error"
  done
  expect_absent "EIO: recover leaves no file" new.evr
  failing 100 schema bigz.evr
  expect_rc "EIO: schema" 2
  expect_err "EIO: schema" "evrec: error reading bigz.evr: Input/output error"
  # GDELT import: on one thread, and with its threads (the input read ahead
  # on one, records written on another): the same error, no output file
  /usr/bin/python3 -c "
import sys
rows = [l.rstrip('\\n').split('\\t') for l in open(sys.argv[1])]
out = []
for k in range(400):
    for r in rows:
        r = list(r); r[0] = str(int(r[0]) + k * 10000000); out.append('\\t'.join(r))
open('big.tsv', 'w').write('\\n'.join(out) + '\\n')" "$HERE/data/import/gdelt2-export-20250807220000.excerpt.tsv"
  FAIL=big.tsv
  for j in 1 2; do
    failing 300000 import -q --from gdelt big.tsv -j $j -o new.pbd
    expect_rc "EIO: import -j $j" 2
    expect_err "EIO: import -j $j" "evrec: big.tsv: read error: Input/output error"
    expect_absent "EIO: import -j $j leaves no file" new.pbd
  done
  # the shim itself: no effect on other files, none without FAILIO_PATH
  FAIL=seed.pb
  failing 0 cat big.pbd
  expect_rc "shim leaves other files alone" 0
  LD_PRELOAD=$SHIM "$CLI" cat big.pbd > out 2>err
  rc=$?
  expect_rc "shim without FAILIO_PATH" 0
fi
expect_no_temp "EIO"

# ------------------------------------------------------------------ other unreadable inputs

for cmd in "convert . -o new.pbd" "info ." "get . r1" "recover . -o new.evr" "schema ."; do
  # shellcheck disable=SC2086
  run $cmd
  expect_rc "directory: $cmd" 2
  expect_err "directory: $cmd" "evrec: cannot open .: Is a directory"
done
expect_absent "directory input leaves no output" new.pbd
if [ "$(id -u)" -ne 0 ]; then # root reads anything
  cp one.json secret.json
  chmod 000 secret.json
  run cat secret.json
  expect_rc "unreadable input" 2
  expect_err "unreadable input" "evrec: cannot open secret.json: Permission denied"
fi

# Truncated inputs not covered by cli.sh/container.sh: a JSON array, a pb
# message, and a cut container with -o (no output left).
head -c 300 array.json > cut.json
run convert cut.json -o new.pbd
expect_rc "truncated JSON array" 1
expect_err "truncated JSON array" "evrec: cut.json:5:78: record 1: unexpected end of input (at actors[0])"
head -c 5000 seed.pb > cut.pb
run convert cut.pb -o new.pbd
expect_rc "truncated pb" 1
expect_err "truncated pb" \
  "evrec: cut.pb: record 1 at byte 4859: field 6 (actors): length 142 exceeds the 138 bytes left (at actors[9])"
head -c $(($(wc -c < big.evr) / 2)) big.evr > cut.evr
run convert cut.evr -o new.pbd
expect_rc "truncated evr" 1
grep -q '^evrec: cut.evr: record [0-9]* at byte [0-9]*: truncated (no EOF member)$' err && ok \
  || bad "truncated evr: $(cat err)"
expect_absent "truncated inputs leave no output" new.pbd

expect_no_temp "end"
echo "io_errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
