#!/bin/bash
# format_doc.sh -- runs the Python reader of docs/FORMAT.md ("Reading .evr
# from another language") as the documentation shows it.
#
#   bash tests/format_doc.sh CLI BUILD_DIR        (run by `make check`)
#
# The one ```python block of FORMAT.md is extracted verbatim and run under
# /usr/bin/python3 (Google's protobuf for Python) on containers written by
# the CLI: one record (the seed), many records in many blocks, two
# concatenated files, and a file whose header spans several header members.
# Its output must equal `evrec cat` line for line: the same JSON values
# (Python prints a float 5 as 5.0 where evrec, like Google's C++, prints 5,
# so lines are compared parsed, not as bytes). It must also
# refuse a truncated and a damaged file. Skips (passes nothing, fails
# nothing) when python3-protobuf is missing.
#
# Ends with "format_doc: N passed, M failed"; exits non-zero on failure.
set -u

CLI=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PY=/usr/bin/python3
T=$(mktemp -d /tmp/evrec-fmtdoc.XXXXXX)
trap 'rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=1795798800

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

if ! [ -x "$PY" ] || ! "$PY" -c 'import google.protobuf' 2>/dev/null; then
  echo "format_doc: python3-protobuf missing, skipped"
  echo "format_doc: 0 passed, 0 failed"
  exit 0
fi

# The reader, exactly as documented: the lines between ```python and ```.
awk '/^```python$/ {on = 1; n++; next} /^```$/ {on = 0} on' "$ROOT/docs/FORMAT.md" > "$T/reader.py"
n=$(grep -c '^```python$' "$ROOT/docs/FORMAT.md")
[ "$n" -eq 1 ] && ok || bad "FORMAT.md has $n python blocks, want exactly 1"
lines=$(grep -cv '^\s*$' "$T/reader.py")
[ "$lines" -ge 20 ] && [ "$lines" -le 60 ] && ok || bad "reader has $lines lines, want about 30-50"

# same NAME FILE: the documented reader prints exactly what `evrec cat` prints.
same() {
  if ! "$PY" "$T/reader.py" "$2" > "$T/py.out" 2> "$T/py.err"; then
    bad "$1: reader failed: $(tail -3 "$T/py.err")"
    return
  fi
  "$CLI" cat "$2" > "$T/cat.out" || { bad "$1: evrec cat failed"; return; }
  if "$PY" - "$T/py.out" "$T/cat.out" 2> "$T/cmp.err" <<'PYEOF'; then ok; else
import json, sys
a = open(sys.argv[1], encoding="utf-8").read().splitlines()
b = open(sys.argv[2], encoding="utf-8").read().splitlines()
assert b and len(a) == len(b), f"{len(a)} lines, evrec cat has {len(b)}"
for i, (x, y) in enumerate(zip(a, b)):
    assert json.loads(x) == json.loads(y), f"line {i + 1} differs"
PYEOF
    bad "$1: reader output differs from evrec cat: $(tail -1 "$T/cmp.err")"
  fi
}

# Records: the seed, and generated ones with numbers, enums, maps and unicode.
"$PY" - "$T/gen.ndjson" <<'PYEOF'
import json, sys
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(3000):
        f.write(json.dumps({"id": f"gen:{i:05d}", "revision": i % 7,
                            "status": "RECORD_STATUS_ACTIVE",
                            "article": {"headline": f"Héadline № {i} ✓", "body": "x" * (i % 300)}},
                           ensure_ascii=False) + "\n")
PYEOF

"$CLI" convert "$ROOT/examples/seed.json" -o "$T/seed.evr" || bad "convert seed"
same "seed record" "$T/seed.evr"

"$CLI" convert "$T/gen.ndjson" --block-size 16k -o "$T/gen.evr" || bad "convert generated"
same "3000 records in many blocks" "$T/gen.evr"

cat "$T/seed.evr" "$T/gen.evr" "$T/seed.evr" > "$T/cat.evr"
same "three concatenated sections" "$T/cat.evr"

# Metadata over 60000 bytes: the header blob spans several header members.
big=$(head -c 70000 /dev/zero | tr '\0' 'm')
"$CLI" convert "$ROOT/examples/seed.json" --meta "big=$big" --meta a=1 -o "$T/bighdr.evr" ||
  bad "convert with big metadata"
same "header over several members" "$T/bighdr.evr"

# It refuses what it must refuse.
size=$(stat -c %s "$T/gen.evr")
head -c $((size - 30)) "$T/gen.evr" > "$T/trunc.evr"
"$PY" "$T/reader.py" "$T/trunc.evr" > /dev/null 2> "$T/err" && bad "truncated file accepted" ||
  { grep -q 'truncated\|struct.error\|Error' "$T/err" && ok || bad "truncated: $(tail -1 "$T/err")"; }
cp "$T/gen.evr" "$T/damaged.evr"
printf '\xff\xff\xff\xff' | dd of="$T/damaged.evr" bs=1 seek=$((size / 2)) conv=notrunc status=none
"$PY" "$T/reader.py" "$T/damaged.evr" > /dev/null 2> "$T/err" && bad "damaged file accepted" || ok

echo "format_doc: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
