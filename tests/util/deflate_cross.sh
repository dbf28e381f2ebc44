#!/bin/bash
# deflate_cross.sh -- files written by the libdeflate build are read by the
# zlib build (`make DEFLATE=zlib`) and the other way round (run by `make
# test-zlib`, part of `make test`).
#
#   bash tests/util/deflate_cross.sh CLI_LIBDEFLATE CLI_ZLIB
#
# For each writer build, on generated records in many blocks, at levels 0,
# 1, 5 (the default) and 9, with -j 1 and -j 2: `gzip -t` passes, `zcat`
# gives exactly the pbd of the records, and both builds read the file back
# to the same records, look records up by id (one block inflated), report
# the same damage for the same flipped byte, and append to it. The two
# builds write the same format, not the same bytes: the files differ at a
# level above 0 (else DEFLATE=zlib would not be testing another deflate).
#
# Ends with "deflate_cross: N passed, M failed"; exits non-zero on failure.
set -u

LD=$(realpath "$1")
ZL=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
T=$(mktemp -d /tmp/evrec-cross.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2
export SOURCE_DATE_EPOCH=1795798800
CLI=$LD
. "$HERE/shcheck.sh"

cat > gen.py <<'EOF'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        r = {"id": f"x:{i:05d}", "revision": i % 3,
             "article": {"headline": f"Event {i} \u2713", "body": "word%d " % (i % 97) * (i % 50)}}
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
EOF
$PY gen.py 2000 in.ndjson
"$LD" cat in.ndjson > in.canon || bad "setup: cat"
"$LD" convert in.ndjson -t pbd -o in.pbd || bad "setup: pbd"

name() { [ "$1" = "$LD" ] && echo libdeflate || echo zlib; }

for W in "$LD" "$ZL"; do
  wn=$(name "$W")
  for z in 0 1 5 9; do
    for j in 1 2; do
      f=$wn-z$z-j$j.evr
      "$W" convert in.ndjson --block-size 16k -z "$z" -j "$j" -o "$f" 2>err ||
        bad "$wn -z $z -j $j: write: $(cat err)"
      gzip -t "$f" 2>err && ok || bad "gzip -t $f: $(cat err)"
      zcat "$f" | cmp -s - in.pbd && ok || bad "zcat $f is not the pbd of the records"
      for R in "$LD" "$ZL"; do
        rn=$(name "$R")
        "$R" cat "$f" > got 2>err && cmp -s got in.canon && ok ||
          bad "$rn reads $f: $(head -c 200 err)"
      done
    done
    # -j 1 and -j 2 give the same bytes within a build
    cmp -s "$wn-z$z-j1.evr" "$wn-z$z-j2.evr" && ok || bad "$wn -z $z: -j 1 and -j 2 differ"
  done
done

# Other deflate, other bytes (stored blocks are the same in both)
for z in 1 5 9; do
  cmp -s "libdeflate-z$z-j1.evr" "zlib-z$z-j1.evr" && bad "-z $z: both builds wrote the same bytes" || ok
done

for W in "$LD" "$ZL"; do
  wn=$(name "$W")
  f=$wn-z5-j1.evr
  for R in "$LD" "$ZL"; do
    rn=$(name "$R")
    # random access by id: the record, one block inflated
    "$R" get "$f" x:01234 --stats > got 2> err
    grep -q '"id":"x:01234"' got && ok || bad "$rn get x:01234 in $f: $(cat err)"
    grep -q "1 data block inflated" err && ok || bad "$rn get in $f: $(cat err)"
    # appending with the other build, then both read all of it
    cp "$f" app.evr
    "$R" convert in.ndjson --block-size 16k --append -o app.evr 2>err || bad "$rn appends to $f: $(cat err)"
    for Q in "$LD" "$ZL"; do
      "$Q" cat app.evr > got 2>err && cat in.canon in.canon | cmp -s - got && ok ||
        bad "$(name "$Q") reads $f appended to by $rn: $(head -c 200 err)"
    done
    gzip -t app.evr && ok || bad "gzip -t after $rn appended to $f"
  done
  # a flipped byte in the middle of a data block: both builds report the
  # same block and offset (the wording of bad deflate data may differ)
  off=$(( $(stat -c %s "$f") / 2 ))
  cp "$f" flip.evr
  printf '\xff' | dd of=flip.evr bs=1 seek=$off conv=notrunc status=none
  "$LD" cat flip.evr > /dev/null 2> err.ld
  "$ZL" cat flip.evr > /dev/null 2> err.zl
  a=$(sed 's/: [^:]*; .*//' err.ld)
  b=$(sed 's/: [^:]*; .*//' err.zl)
  [ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "damage in $f: [$(cat err.ld)] vs [$(cat err.zl)]"
  "$LD" recover flip.evr -o rec.ld.evr 2>/dev/null
  "$ZL" recover flip.evr -o rec.zl.evr 2>/dev/null
  cmp -s <("$LD" cat rec.ld.evr) <("$ZL" cat rec.zl.evr) && ok ||
    bad "recover of damaged $f: the builds salvage other records"
done

echo "deflate_cross: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
