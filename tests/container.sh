#!/bin/bash
# container.sh -- property tests of the .evr container through the CLI.
#
#   bash tests/container.sh CLI BUILD_DIR        (run by `make check`)
#
# Proves, on the seed record and on a few thousand generated records (made
# at test time in a temporary directory):
#   - the acceptance check of issue 3 (zcat | convert -f pbd reproduces the
#     seed); `gzip -t` passes; `zcat f.evr` is byte-identical to
#     `evrec convert f.evr -t pbd`;
#   - the header (version, record type, creator, SOURCE_DATE_EPOCH time,
#     --meta) in `evrec schema` and `info --json`; the embedded descriptor set
#     equals the built-in one and works with `protoc --descriptor_set_in`;
#   - truncation at many offsets (every offset inside the EOF member too):
#     reported as truncated with the byte offset, and exactly the records of
#     the complete blocks before the cut are output;
#   - damage: a byte changed at 100 random offsets (seeded), one copy each:
#     `evrec recover` writes every record of every intact block, nothing
#     twice, nothing altered, and names the damaged block and its offset;
#   - `cat a.evr b.evr` reads as a then b; `--append` keeps the old bytes;
#   - -j 1, -j 2, -j 4 byte-identical; levels 0-9; --block-size;
#   - `evrec get` by id and --ordinal, one block inflated per lookup;
#   - an oversized record gets its own block; --max-record-size;
#   - usage errors and exit statuses of the new commands.
#
# Prints one line per failure and ends with "container: N passed, M failed";
# exits non-zero when anything failed.
set -u

CLI=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PY=/usr/bin/python3
T=$(mktemp -d /tmp/evrec-container.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2
export SOURCE_DATE_EPOCH=1795798800 # 2026-11-27T17:00:00Z: reproducible files
unset EVREC_DEBUG

. "$HERE/util/shcheck.sh"

# ------------------------------------------------------------------ helpers

# members.py FILE: one line per gzip member, "offset bsize nrec kind", read
# from the 'E','V' subfields without inflating (docs/FORMAT.md section 3.1).
cat > members.py <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off = 0
while off + 28 <= len(data):
    bsize, nrec, kind = struct.unpack_from("<IIB", data, off + 16)
    print(off, bsize, nrec, kind)
    off += bsize
EOF

# gen.py N FILE [BODY]: N records with unique ids "gen:00000"...; sizes vary.
cat > gen.py <<'EOF'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
body = int(sys.argv[3]) if len(sys.argv) > 3 else 0
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        r = {"id": f"gen:{i:05d}", "revision": i % 5,
             "status": "RECORD_STATUS_ACTIVE",
             "article": {"headline": f"Event {i} ✓", "body": "w%d " % i * (i % 40) + "x" * body}}
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
EOF

$PY gen.py 3000 gen.ndjson
"$CLI" cat gen.ndjson > gen.canon || bad "setup: cat gen.ndjson"
"$CLI" convert gen.ndjson -t pbd -o gen.pbd || bad "setup: gen.pbd"
run convert gen.ndjson --block-size 16k --meta source=test --meta batch=7 -o gen.evr
expect_rc "convert generated to evr" 0
$PY members.py gen.evr > gen.members
nblocks=$(awk '$4 == 0' gen.members | wc -l)
[ "$nblocks" -ge 20 ] && ok || bad "gen.evr has $nblocks blocks, want >= 20 (16k blocks)"

# ------------------------------------------------------------------ acceptance, gzip compatibility

"$CLI" convert "$ROOT/examples/seed.json" -o s.evr
zcat s.evr | "$CLI" convert -f pbd -t json > seed.from-zcat
"$CLI" convert "$ROOT/examples/seed.json" -t json > seed.canon
expect_same "acceptance: zcat s.evr | convert -f pbd -t json reproduces the seed" seed.from-zcat seed.canon
[ -s seed.canon ] && ok || bad "acceptance: empty canonical seed"

for f in s.evr gen.evr; do
  gzip -t "$f" 2>err && ok || bad "gzip -t $f: $(cat err)"
  zcat "$f" > zcat.out
  "$CLI" convert "$f" -t pbd -o conv.pbd
  expect_same "zcat $f == convert -t pbd" zcat.out conv.pbd
done
zcat gen.evr | cmp -s - gen.pbd && ok || bad "zcat gen.evr is not the pbd of the input records"
run cat gen.evr
expect_same "cat gen.evr == the input records" out gen.canon

# Member facts: a header first, then data, then index, an EOF member of 66
# bytes last; nrec sums to the record count; sizes chain to the file size.
read -r first_kind < <(awk 'NR == 1 {print $4}' gen.members)
expect_eq "first member is a header" "$first_kind" 1
expect_eq "last member is a 66-byte EOF member" "$(tail -1 gen.members | awk '{print $2, $4}')" "66 3"
expect_eq "nrec sums to 3000" "$(awk '{s += $3} END {print s}' gen.members)" 3000
expect_eq "bsize chain ends at the file size" "$(awk '{s += $2} END {print s}' gen.members)" \
  "$(stat -c %s gen.evr)"
expect_eq "index members before the EOF" "$(awk '{print $4}' gen.members | uniq | tr -d '\n')" 1023

# An empty input gives a valid container with no records.
: > empty.ndjson
run convert empty.ndjson -o empty.evr
expect_rc "convert empty input" 0
gzip -t empty.evr && ok || bad "gzip -t empty.evr"
run cat empty.evr
expect_rc "cat empty.evr" 0
[ ! -s out ] && ok || bad "empty.evr has records"

# ------------------------------------------------------------------ header, schema, info

run schema gen.evr
expect_rc "schema gen.evr" 0
head -7 out > schema.head
cat > schema.want <<'EOF'
file:        gen.evr
version:     1
record type: evrec.v1.Record
creator:     evrec 0.1.0
created:     2026-11-27T17:00:00Z
metadata:    batch=7
             source=test
EOF
expect_same "schema gen.evr: header fields and sorted metadata" schema.head schema.want
grep -q '^schema:      [0-9]* bytes, FileDescriptorSet of [0-9]* files$' out && ok ||
  bad "schema gen.evr: no schema line: $(cat out)"
grep -q '^             evrec/v1/evrec.proto (package evrec.v1): [1-9][0-9]* messages, [1-9][0-9]* enums$' out &&
  ok || bad "schema gen.evr: evrec.proto not listed: $(cat out)"

run schema
expect_rc "schema (built-in)" 0
expect_same "schema prints proto/evrec/v1/evrec.proto" out "$ROOT/proto/evrec/v1/evrec.proto"

run schema gen.evr --descriptor-set -o embedded.desc
expect_rc "schema --descriptor-set FILE" 0
run schema --descriptor-set -o builtin.desc
expect_rc "schema --descriptor-set" 0
expect_same "embedded descriptor set == built-in" embedded.desc builtin.desc
head -1 gen.ndjson | "$CLI" convert -f ndjson -t pb -o one.pb
if command -v protoc >/dev/null; then
  protoc --descriptor_set_in=embedded.desc --decode=evrec.v1.Record evrec/v1/evrec.proto \
    < one.pb > decoded.txt 2>err && grep -q '^id: "gen:00000"$' decoded.txt && ok ||
    bad "protoc --descriptor_set_in with the embedded set: $(cat err decoded.txt | head -5)"
fi

run info --json gen.evr
expect_rc "info --json gen.evr" 0
$PY - out gen.evr "$nblocks" <<'EOF' 2>err && ok || bad "info --json: $(cat err)"
import json, os, sys
j = json.loads(open(sys.argv[1]).read())
want = {"file": "gen.evr", "format": "evr", "records": 3000, "blocks": int(sys.argv[3]),
        "index": "ok",
        "size": os.path.getsize(sys.argv[2]), "uncompressedSize": os.path.getsize("gen.pbd"),
        "eofMember": True, "damagedBlocks": 0, "recordsLost": 0,
        "truncated": False, "damaged": False}
for k, v in want.items():
    assert j[k] == v, f"{k}: {j[k]!r}, want {v!r}"
h = j["header"]
assert h == {"formatVersion": 1, "recordType": "evrec.v1.Record", "creator": "evrec 0.1.0",
             "createdAt": "2026-11-27T17:00:00Z",
             "metadata": {"batch": "7", "source": "test"}}, h
assert j["schemaBytes"] == os.path.getsize("builtin.desc"), j["schemaBytes"]
assert abs(j["ratio"] - j["uncompressedSize"] / j["size"]) < 0.01, j["ratio"]
assert "bytesIn" not in j and "bytesOut" not in j, j
EOF

run info gen.evr s.evr gen.ndjson
expect_rc "info text, three inputs" 0
grep -q "^blocks:      $nblocks\$" out && ok || bad "info: blocks line: $(cat out)"
grep -q '^eof member:  yes$' out && ok || bad "info: eof line"
expect_eq "info: index ok x2" "$(grep -c '^index:       ok$' out)" 2
expect_eq "info: damage none x3" "$(grep -c '^damage:      none$' out)" 3
expect_eq "info: record counts" "$(grep '^records:' out | tr -s ' ' | cut -d' ' -f2 | tr '\n' ' ')" \
  "3000 1 3000 "
grep -q '^format:      ndjson$' out && ok || bad "info: ndjson format line"
# Sizes: the file's, and for .evr the records' uncompressed (as pbd).
grep -q "^size:        $(wc -c < gen.evr | tr -d ' ') bytes\$" out && ok || bad "info: evr size line: $(cat out)"
grep -q "^data:        $(wc -c < gen.pbd | tr -d ' ') bytes uncompressed\$" out && ok ||
  bad "info: evr data line: $(cat out)"
grep -q "^size:        $(wc -c < gen.ndjson | tr -d ' ') bytes\$" out && ok || bad "info: ndjson size line"
expect_eq "info: data lines for the two .evr inputs only" "$(grep -c '^data:' out)" 2
expect_eq "info: no 'bytes in/out' labels" "$(grep -c '^bytes ' out)" 0

# ------------------------------------------------------------------ truncation

# Cut gen.evr at 40 spread offsets, at member boundaries, and at every
# offset inside the EOF member; each time exactly the records of the data
# blocks that end at or before the cut must come out, then "truncated".
size=$(stat -c %s gen.evr)
cuts=$( (
  for i in $(seq 1 40); do echo $((size * i / 41)); done
  awk '{print $1; print $1 + 1; print $1 + 12}' gen.members
  for i in $(seq 1 66); do echo $((size - i)); done
) | sort -nu | awk -v s="$size" '$1 > 0 && $1 < s')
tbad=0
tn=0
for cut in $cuts; do
  tn=$((tn + 1))
  head -c "$cut" gen.evr > cut.evr
  "$CLI" cat cut.evr > cut.out 2> cut.err
  crc=$?
  want=$(awk -v c="$cut" '$4 == 0 && $1 + $2 <= c {n += $3} END {print n + 0}' gen.members)
  got=$(wc -l < cut.out)
  if [ "$crc" -ne 1 ] || [ "$got" -ne "$want" ] ||
    ! head -n "$got" gen.canon | cmp -s - cut.out ||
    ! grep -q "^evrec: cut.evr: record [0-9]* at byte [0-9]*: truncated (no EOF member)$" cut.err; then
    tbad=$((tbad + 1))
    [ "$tbad" -le 5 ] && bad "truncated at $cut: status $crc, $got records (want $want): $(cat cut.err)"
  fi
done
[ "$tbad" -eq 0 ] && ok || bad "truncation: $tbad of $tn cuts wrong"
[ "$tn" -ge 150 ] && ok || bad "truncation: only $tn cuts"

# The offset reported: a cut inside a data block names that block's offset.
mid=$(awk '$4 == 0 {n++} $4 == 0 && n == 5 {print $1, $2}' gen.members)
set -- $mid
head -c $(($1 + $2 / 2)) gen.evr > cut.evr
run cat cut.evr
expect_rc "cut inside block 4" 1
want_rec=$(awk '$4 == 0 {n++; r += $3} n == 4 {print r + 1; exit}' gen.members)
expect_err "cut inside block 4: message (next record, end of input)" \
  "evrec: cut.evr: record $want_rec at byte $(($1 + $2 / 2)): truncated (no EOF member)"
head -c $((size - 66)) gen.evr > cut.evr
run info cut.evr
expect_rc "info on a file without EOF member" 1
grep -q '^eof member:  no$' out && grep -q '^index:       unchecked$' out &&
  grep -q '^damage:      truncated$' out && ok ||
  bad "info on a truncated file: $(cat out)"

# ------------------------------------------------------------------ damage and recover

run recover gen.evr -o clean.evr
expect_rc "recover an intact file" 0
expect_err "recover an intact file: summary" \
  "evrec: recover: gen.evr: 0 blocks damaged, 0 records lost, 3000 records written to clean.evr"
run cat clean.evr
expect_same "recover an intact file: same records" out gen.canon
run schema clean.evr
grep -q '^metadata:    batch=7$' out && ok || bad "recover keeps the metadata: $(cat out)"

# A truncated input: the complete blocks are saved, exit 1.
set -- $(awk '$4 == 0 {n++} $4 == 0 && n == 10 {print $1, $2}' gen.members)
head -c $(($1 + 100)) gen.evr > cut.evr
want=$(awk -v c="$1" '$4 == 0 && $1 < c {n += $3} END {print n}' gen.members)
run recover cut.evr -o cut.out.evr
expect_rc "recover a truncated file" 1
expect_err "recover a truncated file: report and summary" \
  "evrec: cut.evr: record $((want + 1)) at byte $(($1 + 100)): truncated (no EOF member)
evrec: recover: cut.evr: 0 blocks damaged, 0 records lost, truncated, $want records written to cut.out.evr"
gzip -t cut.out.evr && ok || bad "recover a truncated file: output not a valid gzip file"
"$CLI" cat cut.out.evr | cmp -s - <(head -n "$want" gen.canon) && ok ||
  bad "recover a truncated file: records"

# 100 copies, each with one byte changed at a seeded random offset.
$PY - "$CLI" <<'EOF' 2>damage.err && ok || bad "damage: $(tail -20 damage.err)"
import random, subprocess, sys
cli = sys.argv[1]
data = open("gen.evr", "rb").read()
canon = open("gen.canon", encoding="utf-8").read().splitlines()
members = [tuple(map(int, l.split())) for l in open("gen.members")]
blocks, first = [], 0      # (offset, bsize, first ordinal, nrec) per data block
for off, bsize, nrec, kind in members:
    if kind == 0:
        blocks.append((off, bsize, first, nrec))
        first += nrec
rng = random.Random(20261127)
problems, detected, in_blocks, others = [], 0, 0, 0
# Bytes no reader checks: MTIME, XFL, OS of the gzip header, EV flags.
unchecked = {m[0] + i for m in members for i in (4, 5, 6, 7, 8, 9, 26, 27)}
for trial in range(100):
    pos = rng.randrange(len(data))
    bad = bytearray(data)
    bad[pos] ^= rng.randrange(1, 256)
    open("flip.evr", "wb").write(bad)
    rc = subprocess.run([cli, "recover", "flip.evr", "-o", "flip.out.evr"],
                        capture_output=True, text=True)
    out = subprocess.run([cli, "cat", "flip.out.evr"], capture_output=True, text=True).stdout
    got = out.splitlines()
    hit = [b for b in blocks if b[0] <= pos < b[0] + b[1]]
    lost = set(range(hit[0][2], hit[0][2] + hit[0][3])) if hit else set()
    in_blocks += bool(hit)
    want = [canon[i] for i in range(len(canon)) if i not in lost]
    where = f"trial {trial}: byte {pos}"
    if rc.returncode not in (0, 1):
        problems.append(f"{where}: exit {rc.returncode}: {rc.stderr}")
    if len(got) != len(set(got)):
        problems.append(f"{where}: a record written twice")
    if not set(got) <= set(canon):
        problems.append(f"{where}: an altered record was written")
    missing = [r for r in want if r not in set(got)]
    if missing:
        problems.append(f"{where}: {len(missing)} intact records lost: {rc.stderr}")
    if got != [r for r in canon if r in set(got)]:
        problems.append(f"{where}: records out of order")
    if rc.returncode == 0 and len(got) != len(canon):
        problems.append(f"{where}: exit 0 but {len(canon) - len(got)} records missing")
    if not hit and pos not in unchecked:  # header, index or EOF member
        others += 1
        info = subprocess.run([cli, "info", "flip.evr"], capture_output=True, text=True)
        if info.returncode != 1:
            problems.append(f"{where}: info does not see the damage: {info.stdout[-200:]}")
    if rc.returncode == 1 and hit:
        detected += 1
        if hit and len(got) < len(canon):
            k = blocks.index(hit[0])
            msg = f" at byte {hit[0][0]}: block {k}: "
            if msg not in rc.stderr:
                problems.append(f"{where}: report does not name '{msg}': {rc.stderr}")
# Changes in data blocks must be caught by recover (a few may hit unused
# padding bits of the last deflate byte); changes anywhere else except the
# unchecked gzip fields by `evrec info` (header and index carry a CRC).
if in_blocks < 30 or others < 30 or detected < in_blocks * 0.9:
    problems.append(f"only {detected} of the {in_blocks} changes in data blocks detected "
                    f"({others} elsewhere)")
print("\n".join(problems[:10]), file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

# The report of one damaged block, exactly.
set -- $(awk '$4 == 0 {n++} $4 == 0 && n == 3 {print $1, $2, $3}' gen.members)
cp gen.evr flip.evr
printf '\x00\x00\x00\x00' | dd of=flip.evr bs=1 seek=$(($1 + $2 - 8)) conv=notrunc status=none
run recover flip.evr -o flip.out.evr
expect_rc "recover a bad CRC" 1
first3=$(awk '$4 == 0 {n++; r += $3} n == 2 {print r + 1; exit}' gen.members)
expect_err "recover a bad CRC: report and summary" \
  "evrec: flip.evr: record $first3 at byte $1: block 2: CRC mismatch; $3 records lost
evrec: recover: flip.evr: 1 block damaged, $3 records lost, $((3000 - $3)) records written to flip.out.evr"
run info flip.evr
expect_rc "info on a damaged file" 1
grep -q "^damage:      1 damaged block, $3 records lost\$" out && ok || bad "info damage line: $(cat out)"
run cat flip.evr
expect_rc "cat stops at damage" 1

# A damaged index: sequential reading does not need it, random access does,
# info reports it, and recover writes a fresh one.
set -- $(awk '$4 == 2 {print $1; exit}' gen.members)
cp gen.evr flip.evr
printf '\x55' | dd of=flip.evr bs=1 seek=$(($1 + 1000)) conv=notrunc status=none
run cat flip.evr
expect_same "damaged index: sequential reading unaffected" out gen.canon
run info flip.evr
expect_rc "info on a damaged index" 1
grep -q '^index:       damaged$' out && grep -q '^damage:      damaged index$' out && ok ||
  bad "info on a damaged index: $(cat out)"
expect_err "info on a damaged index: report" \
  "evrec: flip.evr: at byte $1: random access: index: index checksum mismatch"
run get flip.evr gen:00001
expect_rc "get with a damaged index" 1
run recover flip.evr -o flip.out.evr
expect_rc "recover with a damaged index (no record lost)" 0
run get flip.out.evr gen:00001
sed -n 2p gen.canon | cmp -s - out && ok || bad "recover rebuilt the index"

# ------------------------------------------------------------------ concatenation and append

head -1200 gen.ndjson > a.ndjson
tail -n +1201 gen.ndjson > b.ndjson
"$CLI" convert a.ndjson --block-size 16k -o a.evr
"$CLI" convert b.ndjson --block-size 16k --meta part=b -o b.evr
cat a.evr b.evr > c.evr
gzip -t c.evr && ok || bad "gzip -t on concatenated files"
run cat c.evr
expect_same "cat a.evr b.evr reads as a then b" out gen.canon
run info --json c.evr
$PY -c 'import json,sys; j=json.load(open("out")); assert j["records"]==3000 and not j["damaged"] and j["header"]["metadata"]=={}, j' &&
  ok || bad "info on concatenated files: $(cat out)"
run get c.evr gen:00005 gen:02999 --ordinal 1200 --ordinal 1201 --stats
expect_rc "get across sections" 0
{ sed -n 6p gen.canon; sed -n 3000p gen.canon; sed -n 1200,1201p gen.canon; } > want
expect_same "get across sections: records" out want

cp a.evr appended.evr
run convert b.ndjson --block-size 16k --append -o appended.evr
expect_rc "convert --append to evr" 0
cmp -n "$(stat -c %s a.evr)" a.evr appended.evr && ok || bad "--append changed the old bytes"
gzip -t appended.evr && ok || bad "gzip -t after --append"
run cat appended.evr
expect_same "--append: old records then new" out gen.canon
run get appended.evr gen:00000 gen:01199 gen:01200 gen:02999 --stats
expect_rc "get after --append" 0
expect_eq "get after --append: 4 records" "$(wc -l < out)" 4
grep -q ': 4 lookups, [1-4] data blocks\? inflated, ' err && ok || bad "get after --append: stats $(cat err)"
expect_eq "--append: one section (one header)" "$($PY members.py appended.evr | awk '$4 == 1' | wc -l)" \
  "$($PY members.py a.evr | awk '$4 == 1' | wc -l)"

cp a.evr meta.evr
run convert b.ndjson --append --meta k=v -o meta.evr
expect_rc "--append with --meta to an existing file" 2
expect_same "--append with --meta: file unchanged" meta.evr a.evr

head -c $(($(stat -c %s a.evr) - 10)) a.evr > broken.evr
cp broken.evr broken.orig
run convert b.ndjson --append -o broken.evr
expect_rc "--append to a truncated file is refused" 2
expect_same "--append refused: file unchanged" broken.evr broken.orig
[ -s err ] && ok || bad "--append refused without a message"

# ------------------------------------------------------------------ threads, levels, block sizes

"$CLI" convert gen.ndjson --block-size 8k -j 1 -o j1.evr
for j in 2 4 0; do
  "$CLI" convert gen.ndjson --block-size 8k -j $j -o j$j.evr
  expect_same "-j 1 and -j $j byte-identical" j1.evr j$j.evr
done
"$CLI" convert gen.ndjson --block-size 8k -j 3 -o j3.evr
sleep 1 # another second: SOURCE_DATE_EPOCH, not the clock, must decide
"$CLI" convert gen.ndjson --block-size 8k -j 3 -o j3b.evr
expect_same "same input, SOURCE_DATE_EPOCH: same bytes" j3.evr j3b.evr

prev=0
for z in 0 1 2 3 4 5 6 7 8 9; do
  run convert gen.ndjson -z $z -o z$z.evr
  expect_rc "-z $z" 0
  gzip -t z$z.evr 2>/dev/null && zcat z$z.evr | cmp -s - gen.pbd && ok || bad "-z $z: gzip data"
  "$CLI" cat z$z.evr | cmp -s - gen.canon && ok || bad "-z $z: records"
done
[ "$(stat -c %s z0.evr)" -gt "$(stat -c %s gen.pbd)" ] && ok || bad "-z 0 should store (larger than pbd)"
[ "$(stat -c %s z9.evr)" -lt "$(stat -c %s z1.evr)" ] && ok || bad "-z 9 not smaller than -z 1"
[ "$(stat -c %s z6.evr)" -lt "$(stat -c %s z0.evr)" ] && ok || bad "-z 6 not smaller than -z 0"
"$CLI" convert gen.ndjson -o z.default.evr
expect_same "default level is 5" z.default.evr z5.evr

for bs in 4k 64k 1M; do
  "$CLI" convert gen.ndjson --block-size $bs -o bs$bs.evr
  $PY members.py bs$bs.evr > bs.members
  n=$(awk '$4 == 0' bs.members | wc -l)
  "$CLI" cat bs$bs.evr | cmp -s - gen.canon && ok || bad "--block-size $bs: records"
  eval "blocks_$bs=\$n"
done
[ "$blocks_4k" -gt "$blocks_64k" ] && [ "$blocks_64k" -gt "$blocks_1M" ] && ok ||
  bad "block counts not decreasing with size: $blocks_4k $blocks_64k $blocks_1M"
expect_eq "--block-size 1M: one block" "$blocks_1M" 1
# A block stays within the target (ISIZE <= 4096) unless it holds one record,
# and is filled: with the next block's first record it would not fit.
$PY - <<'EOF2' 2>err && ok || bad "4k blocks: $(cat err)"
import struct
data = open("bs4k.evr", "rb").read()
blocks = []
off = 0
while off < len(data):
    bsize, nrec, kind = struct.unpack_from("<IIB", data, off + 16)
    if kind == 0:
        blocks.append((nrec, struct.unpack_from("<I", data, off + bsize - 4)[0]))
    off += bsize
assert len(blocks) > 10, blocks
for nrec, isize in blocks:
    assert isize <= 4096 or nrec == 1, (nrec, isize)
assert sum(n for n, _ in blocks) == 3000
EOF2

# ------------------------------------------------------------------ oversized records, max record size

$PY gen.py 1 small.ndjson
$PY gen.py 1 big.ndjson 100000
cat small.ndjson big.ndjson small.ndjson > mixed.ndjson
run convert mixed.ndjson --block-size 16k -o mixed.evr
expect_rc "convert with an oversized record" 0
$PY members.py mixed.evr | awk '$4 == 0 {print $3}' | tr '\n' ' ' > got
expect_eq "oversized record: its own block" "$(cat got)" "1 1 1 "
run info mixed.evr
grep -q '^blocks:      3$' out && ok || bad "info: 3 blocks for small, big, small: $(cat out)"
run cat mixed.evr
"$CLI" cat mixed.ndjson | cmp -s - out && ok || bad "oversized record: records"

# --max-record-size bounds reading and writing alike: the reader stops first
run convert mixed.ndjson --max-record-size 64k -o max.evr
expect_rc "--max-record-size exceeded" 1
expect_eq "--max-record-size: message" "$(cat err)" \
  "evrec: mixed.ndjson:2:1: record 2: record larger than the limit of 65536 bytes (--max-record-size)"
[ ! -e max.evr ] && ok || bad "--max-record-size: a partial file was left"

# ------------------------------------------------------------------ get

run get gen.evr gen:01234 --ordinal 1 gen:00007 --ordinal 3000 --stats
expect_rc "get ids and ordinals" 0
{ sed -n 1235p gen.canon; sed -n 1p gen.canon; sed -n 8p gen.canon; sed -n 3000p gen.canon; } > want
expect_same "get: records in command line order" out want
grep -q '^evrec: get: gen.evr: 4 lookups, [1-4] data blocks\? inflated, [1-9][0-9]* index members\? read$' err &&
  ok || bad "get --stats: $(cat err)"
for k in 0 97 1500 2999; do
  id=$(printf 'gen:%05d' $k)
  run get gen.evr "$id" --stats
  sed -n "$((k + 1))p" gen.canon | cmp -s - out && ok || bad "get $id"
  grep -q ': 1 lookup, 1 data block inflated, ' err && ok || bad "get $id inflates one block: $(cat err)"
done
# Many lookups in one call: each block inflated once, output in command
# line order (records found before their turn are held).
blk_of() { awk -v k="$1" '$4 == 0 {if (k < n + $3) {print b; exit}; n += $3; b++}' gen.members; }
run get gen.evr gen:02999 gen:01500 gen:00001 gen:01500 --ordinal 3000 gen:00002 gen:01501 --stats
expect_rc "get: many ids" 0
for k in 2999 1500 1 1500 2999 2 1501; do sed -n "$((k + 1))p" gen.canon; done > want
expect_same "get: many ids: command line order" out want
nb=$(for k in 2999 1500 1 2 1501; do blk_of $k; done | sort -u | wc -l)
[ "$nb" -lt 7 ] && ok || bad "get: many ids: the test wants lookups that share blocks"
grep -q ": 7 lookups, $nb data blocks\? inflated, " err && ok ||
  bad "get: many ids: each block once ($nb): $(cat err)"
run get gen.evr gen:00003 nope gen:00001 --ordinal 3001 gen:00002
expect_rc "get: many ids, some missing" 1
for k in 3 1 2; do sed -n "$((k + 1))p" gen.canon; done > want
expect_same "get: many ids, some missing: the others in order" out want
expect_err "get: many ids, some missing: reported in order" 'evrec: gen.evr: no record with id "nope"
evrec: gen.evr: record 3001 does not exist (the file holds 3000)'

run get gen.evr nope --ordinal 3001 gen:00001
expect_rc "get: missing id" 1
expect_err "get: missing id and ordinal" 'evrec: gen.evr: no record with id "nope"
evrec: gen.evr: record 3001 does not exist (the file holds 3000)'
sed -n 2p gen.canon | cmp -s - out && ok || bad "get: found records still printed"

printf '%s\n' '{"id":"dup","revision":1}' '{"id":"x"}' '{"id":"dup","revision":2}' > dup.ndjson
"$CLI" convert dup.ndjson -o dup.evr
run get dup.evr dup
expect_eq "get: duplicate ids give the last" "$(cat out)" '{"id":"dup","revision":2}'
cat dup.evr dup.evr > dup2.evr
run get dup2.evr dup --ordinal 5
expect_eq "get: last across sections" "$(cat out)" '{"id":"dup","revision":2}
{"id":"x"}'

run get gen.ndjson gen:00001
expect_rc "get on ndjson" 2
expect_err "get on ndjson: message" "evrec: gen.ndjson: not an .evr container (the input is JSON)"
run get gen.evr --ordinal 0
expect_rc "get --ordinal 0" 2
expect_err "get --ordinal 0: records count from 1" "evrec get: --ordinal: record numbers count from 1 (the first is 1)
Try 'evrec get --help'."
cat gen.evr | "$CLI" get - gen:00001 > out 2> err
rc=$?
expect_rc "get on a pipe (not seekable)" 2

# ------------------------------------------------------------------ progress, usage errors

run convert gen.ndjson --progress -o p.evr
expect_rc "--progress" 0
grep -q '^evrec: 3000 records, [0-9.]* KiB in [0-9]*:[0-9][0-9], [0-9.]* [KMG]iB/s$' err && ok || bad "--progress: $(cat err)"
"$CLI" convert gen.ndjson -o np.evr 2>err
[ ! -s err ] && ok || bad "no progress without --progress off a terminal: $(cat err)"
expect_same "--progress: same file as without" p.evr np.evr

run convert gen.ndjson -z 10 -o x.evr
expect_rc "-z 10" 2
expect_err "-z 10: message" "evrec convert: -z: '10' is not a number from 0 to 9
Try 'evrec convert --help'."
run convert gen.ndjson --meta novalue -o x.evr
expect_rc "--meta without =" 2
run convert gen.ndjson --meta =v -o x.evr
expect_rc "--meta with an empty key" 2
run convert gen.ndjson --meta a=1 --meta a=2 -o x.evr
expect_rc "--meta with a key twice" 2
expect_err "--meta with a key twice: message" 'evrec: x.evr: metadata key "a" given twice'
run convert gen.ndjson -z 1 -t pbd -o x.pbd
expect_rc "-z with pbd output" 2
run convert gen.ndjson --block-size 0 -o x.evr
expect_rc "--block-size 0" 2
run convert gen.ndjson --block-size 12q -o x.evr
expect_rc "--block-size 12q" 2
SOURCE_DATE_EPOCH=soon "$CLI" convert gen.ndjson -o x.evr 2>err
rc=$?
expect_rc "SOURCE_DATE_EPOCH=soon" 2
expect_err "SOURCE_DATE_EPOCH=soon: message" "evrec: SOURCE_DATE_EPOCH='soon' is not a number of seconds since 1970"
[ ! -e x.evr ] && ok || bad "usage errors left x.evr"
run recover gen.evr
expect_rc "recover without -o" 2
run recover gen.evr -o gen.evr
expect_rc "recover onto its input" 2
run get gen.evr
expect_rc "get without ids" 2
run schema a.evr b.evr
expect_rc "schema with two files" 2
run schema gen.ndjson
expect_rc "schema of a non-container" 2
expect_err "schema of a non-container: message" "evrec: gen.ndjson: not an .evr container (the input is JSON)"
for c in info schema recover get; do
  run $c --help
  expect_rc "$c --help" 0
  grep -q "^Usage: evrec $c " out && ok || bad "$c --help: usage line"
done
run info missing.evr
expect_rc "info on a missing file" 2

ls ./*.tmp.* >/dev/null 2>&1 && bad "temporary files left: $(ls ./*.tmp.*)" || ok

echo "container: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
