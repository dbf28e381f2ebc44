#!/bin/bash
# completion.sh -- bash completion (share/bash-completion/completions/evrec)
# against the command line tool.
#
#   bash tests/completion.sh CLI BUILD_DIR        (run by `make check`)
#
# The completion reads commands, options and format names from evrec's
# --help at completion time; this checks that it reads them right: the
# commands of `evrec --help`, every long option of each `evrec CMD --help`,
# and for every option that takes a format, values that the command accepts
# (and that the check itself rejects a bad one).
#
# Prints one line per failure and ends with "completion: N passed, M failed".
set -u

CLI=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/evrec-completion.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$HERE/util/shcheck.sh"
# the completion calls the program by the name typed: put the one under test first
mkdir bin && ln -s "$CLI" bin/evrec
PATH=$T/bin:$PATH
. "$HERE/../share/bash-completion/completions/evrec"

# comp WORD... : the completions of the last word.
comp() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  _evrec
  printf '%s\n' "${COMPREPLY[@]}" | sort
}

commands=$("$CLI" --help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
expect_eq "commands" "$(comp evrec '')" "$(printf '%s\nhelp\n' "$commands" | sort)"
expect_eq "global options" "$(comp evrec --)" "$(printf -- '--help\n--version\n')"
expect_eq "help COMMAND" "$(comp evrec help '')" "$(echo "$commands" | sort)"

for cmd in $commands; do
  want=$("$CLI" "$cmd" --help | sed -n '/^Options:/,/^$/p' | grep -oE -- '--[a-z0-9-]+' | sort -u)
  expect_eq "$cmd options" "$(comp evrec "$cmd" --)" "$want"
  for opt in $("$CLI" "$cmd" --help | grep -oE -- '--[a-z0-9-]+=FMT' | cut -d= -f1); do
    values=$(comp evrec "$cmd" "$opt" '')
    [ -n "$values" ] && ok || bad "$cmd $opt: no values"
    for v in $values; do
      "$CLI" "$cmd" "$opt" "$v" --help > /dev/null 2> err && ok || bad "$cmd $opt $v is refused: $(cat err)"
    done
    "$CLI" "$cmd" "$opt" no-such-format --help > /dev/null 2>&1 && bad "$cmd $opt accepts anything" || ok
  done
done
expect_eq "a short option's values" "$(comp evrec import -f '')" "$(comp evrec import --from '')"
touch mentions.tsv
expect_eq "file argument" "$(comp evrec import --mentions menti)" mentions.tsv

echo "completion: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
