#!/bin/bash
# diff_doc.sh -- runs the examples of docs/DIFF.md and the "Diff and patch"
# block of README.md exactly as printed.
#
#   bash tests/diff_doc.sh CLI BUILD_DIR        (run by `make check`)
#
# docs/DIFF.md: every ```console block, in page order, in one bash session in
# an empty directory; a line "$ CMD" is a command, the lines after it (to the
# next "$ " line or the end of the block) its stdout and stderr. Each command
# runs as `{ CMD; } 2>&1` with the status of the one before still in $?.
# README.md: the ```sh block under "## Diff and patch" runs in the
# repository root with the CLI's directory first on PATH, and its output
# must be the ``` block after it.
#
# Ends with "diff_doc: N passed, M failed"; exits non-zero on failure.
set -u

CLI=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
T=$(mktemp -d /tmp/evrec-diffdoc.XXXXXX)
trap 'rm -rf "$T"' EXIT
export PATH="$(dirname "$CLI"):$PATH"

. "$HERE/util/shcheck.sh"

# ------------------------------------------------------------------ docs/DIFF.md

# Splits the console blocks into numbered commands and expected outputs.
mkdir -p "$T/doc" "$T/want" "$T/cmd"
awk -v dir="$T" '
  /^```console$/ { on = 1; next }
  /^```$/ { on = 0; next }
  !on { next }
  /^\$ / { n++; f = sprintf("%s/cmd/%04d", dir, n); print substr($0, 3) > f; close(f)
           w = sprintf("%s/want/%04d", dir, n); printf "" > w; close(w); next }
  { w = sprintf("%s/want/%04d", dir, n); print >> w; close(w) }
' "$ROOT/docs/DIFF.md"
n=$(ls "$T/cmd" | wc -l)
[ "$n" -ge 15 ] && ok || bad "docs/DIFF.md: only $n console commands found"

# One session: after each command, a separator line and its output file.
script=$T/session.sh
: > "$script"
for c in "$T"/cmd/*; do
  k=$(basename "$c")
  { printf '{ '; cat "$c"; printf '} > %s 2>&1\n' "$T/got.$k"; } >> "$script"
done
(cd "$T/doc" && bash "$script")
for c in "$T"/cmd/*; do
  k=$(basename "$c")
  if cmp -s "$T/got.$k" "$T/want/$k"; then ok; else
    bad "docs/DIFF.md: \$ $(cat "$c")
--- printed
$(cat "$T/want/$k")
--- got
$(cat "$T/got.$k")"
  fi
done

# ------------------------------------------------------------------ README.md

# The ```sh block of the section, then the first plain ``` block after it.
awk '/^## / { sec = /^## Diff and patch/ }
     sec && /^```/ { if (on) { on = 0; n++; next } on = 1; kind = $0; next }
     on && n == 0 && kind == "```sh" { print > "/dev/stdout" }
     on && n == 1 && kind == "```" { print > "/dev/stderr" }' "$ROOT/README.md" \
  > "$T/readme.sh" 2> "$T/readme.want"
[ -s "$T/readme.sh" ] && [ -s "$T/readme.want" ] && ok || bad "README.md: Diff and patch blocks not found"
(cd "$ROOT" && bash "$T/readme.sh") > "$T/readme.got" 2>&1
expect_same "README.md Diff and patch block" "$T/readme.got" "$T/readme.want"

echo "diff_doc: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
