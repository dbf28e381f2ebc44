#!/bin/bash
# readme_import.sh -- the command blocks of README.md's "Import and export"
# section run as printed, from the top of the repository.
#
#   bash tests/readme_import.sh CLI BUILD_DIR        (run by `make check`)
#
# Each ```sh block of the section runs in a fresh bash with -e and
# pipefail; it must exit 0 and write to standard output (the blocks print
# an `evrec info`, a ninjs document, a man page). The blocks write only
# into mktemp directories.
set -u

CLI=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
T=$(mktemp -d /tmp/evrec-readme.XXXXXX)
trap 'rm -rf "$T"' EXIT

. "$HERE/util/shcheck.sh"

awk '/^## /{in_sec = ($0 == "## Import and export")} in_sec' "$REPO/README.md" > "$T/section.md"
awk -v dir="$T" '/^```sh$/{n++; f = dir "/block" n ".sh"; on = 1; next} /^```$/{on = 0} on {print > f}' \
  "$T/section.md"
blocks=$(ls "$T"/block*.sh 2>/dev/null | wc -l)
[ "$blocks" -ge 2 ] && ok || bad "README: expected 2 sh blocks in 'Import and export', found $blocks"

for b in "$T"/block*.sh; do
  (cd "$REPO" && MAKEFLAGS= MAKELEVEL= bash -e -o pipefail "$b") > "$T/out" 2> "$T/err"
  rc=$?
  if [ "$rc" -eq 0 ] && [ -s "$T/out" ]; then ok
  else bad "README block $(basename "$b"): status $rc: $(tail -3 "$T/err")"; fi
done

echo "readme_import: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
