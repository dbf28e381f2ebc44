#!/bin/bash
# man.sh -- the man pages (man/*.1) against the command line tool.
#
#   bash tests/man.sh CLI BUILD_DIR        (run by `make check`)
#
# The subcommands are read from `evrec --help`, so a subcommand added later
# without its page fails here. For each: man/evrec-CMD.1 exists, lists
# exactly the options of `evrec CMD --help` (long and short names), and
# evrec.1 names it; no page is left for a command that is gone; every page
# renders without a single groff warning (`groff -man -Tutf8 -ww`) and
# through man(1) (`man -l`).
#
# Prints one line per failure and ends with "man: N passed, M failed".
set -u

CLI=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
MAN=$HERE/../man
T=$(mktemp -d /tmp/evrec-man.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$HERE/util/shcheck.sh"

# The options a page lists: the tags of the .TP items of its OPTIONS section.
page_options() {
  awk '/^\.SH /{in_opts = ($2 == "OPTIONS")} in_opts && tp {print; tp = 0} /^\.TP/{tp = 1}' "$1" |
    sed 's/\\-/-/g' | grep -oE '(^|[ "])--?[a-zA-Z0-9][a-zA-Z0-9-]*' | tr -d ' "' | sort -u
}

# The options `evrec CMD --help` lists.
help_options() {
  "$CLI" "$@" --help | sed -n '/^Options:/,/^$/p' |
    grep -oE '^ +(-[a-zA-Z0-9], )?--[a-z0-9-]+' | tr ',' '\n' | tr -d ' ' | grep . | sort -u
}

commands=$("$CLI" --help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$commands" ] && ok || bad "no commands in evrec --help"

for cmd in $commands; do
  page=$MAN/evrec-$cmd.1
  if [ ! -f "$page" ]; then
    bad "evrec $cmd has no man page (man/evrec-$cmd.1)"
    continue
  fi
  page_options "$page" > page.opts
  help_options "$cmd" > help.opts
  if cmp -s page.opts help.opts; then ok
  else bad "man/evrec-$cmd.1 and 'evrec $cmd --help' list other options: $(diff page.opts help.opts | grep '^[<>]' | tr '\n' ' ')"; fi
  grep -q "^\.B $cmd\$" "$MAN/evrec.1" && grep -q "^\.BR evrec\\\\-$cmd (1)" "$MAN/evrec.1" \
    && ok || bad "evrec.1 does not name $cmd in COMMANDS and SEE ALSO"
done

for page in "$MAN"/evrec-*.1; do
  cmd=$(basename "$page" .1)
  cmd=${cmd#evrec-}
  echo "$commands" | grep -qx "$cmd" && ok || bad "man/evrec-$cmd.1 documents a command evrec does not have"
done

# evrec.1: the global options
page_options "$MAN/evrec.1" > page.opts
printf -- '--help\n--version\n-V\n-h\n' | sort -u > want.opts
expect_same "evrec.1 options" page.opts want.opts
"$CLI" --version > /dev/null && "$CLI" -V > /dev/null && "$CLI" -h > /dev/null && ok || bad "-V / -h"

for page in "$MAN"/*.1; do
  name=$(basename "$page")
  groff -man -Tutf8 -ww -z "$page" > warn 2>&1
  if [ -s warn ]; then bad "groff warns about $name: $(head -3 warn)"; else ok; fi
  MANWIDTH=80 MAN_KEEP_FORMATTING= man -l "$page" > rendered 2> warn
  grep -q '^NAME' rendered && [ ! -s warn ] && ok || bad "man -l $name: $(head -3 warn)"
done

echo "man: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
