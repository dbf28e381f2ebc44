#!/usr/bin/env bash
# golden.sh CLI BUILD -- golden error-message tests.
#
# Every tests/data/bad/NAME.{json,ndjson,pb,pbd} is converted with
#   CLI convert FILE -t pbd [args from NAME.args]
# and every tests/data/bad/NAME.cmd holds a whole command line instead
# (`get tests/data/bad/x.evr ID --max-index-size 50`: paths from the top);
# its stderr plus "exit=N" must equal NAME.expected byte for byte: the
# messages users see (file, line:col or byte offset, record, field path) are
# part of the product. After a deliberate change to messages, regenerate with
#   UPDATE=1 bash tests/golden.sh build/evrec build
# and review the diff like code.
set -u
cli=$1
cd "$(dirname "$0")/.." || exit 2
pass=0 fail=0
for f in tests/data/bad/*.json tests/data/bad/*.ndjson tests/data/bad/*.pb tests/data/bad/*.pbd \
         tests/data/bad/*.cmd; do
  [ -e "$f" ] || continue
  exp="${f%.*}.expected"
  args=()
  [ -f "$f.args" ] && read -r -a args < "$f.args"
  cmd=(convert "$f" -t pbd "${args[@]}")
  [ "${f##*.}" = cmd ] && read -r -a cmd < "$f"
  got=$("$cli" "${cmd[@]}" 2>&1 >/dev/null; echo "exit=$?")
  if [ "${UPDATE:-}" = 1 ]; then
    printf '%s\n' "$got" > "$exp"
  fi
  if [ -f "$exp" ] && [ "$got" = "$(cat "$exp")" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $f"
    echo "  expected: $(cat "$exp" 2>/dev/null || echo '(missing)')"
    echo "  got:      $got"
  fi
done
echo "golden: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -ge 30 ]
