#!/bin/bash
# help.sh -- every subcommand's --help lists only options that apply to it.
#
#   bash tests/help.sh CLI BUILD_DIR        (run by `make check`)
#
# The commands come from `evrec --help`, the options of each from its own
# `evrec CMD --help`, so a new command or option is covered without an edit
# here. For every option listed:
#   - it is accepted: `evrec CMD OPTION [VALUE]` is not refused as unknown;
#   - for the commands this test knows how to run (a base command line that
#     succeeds), the option works there: adding it gives exit status 0 or 1
#     (never 2, a usage error such as "needs .evr output"), with the context
#     its help names ("(-t json)" for a JSON output option, .evr output for
#     the "evr:" container settings);
#   - options labelled "JSON input:" are not offered by a command that reads
#     only .evr (found out by giving it a JSON file: "not an .evr
#     container"), and "evr:" writer settings only by commands that write
#     .evr files;
#   - every input limit (--max-*) a known command offers bites there: set
#     tight, on an input beyond it, the command fails (exit 1) with a message
#     that names the option -- so --max-index-size is offered only where an
#     index is loaded, --max-depth only where JSON is read.
# Then the help itself: a usage line, the exit statuses, one option per line.
#
# Ends with "help: N passed, M failed"; exits non-zero on failure.
set -u

CLI=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
T=$(mktemp -d /tmp/evrec-help.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$HERE/util/shcheck.sh"

cp "$ROOT/examples/seed.json" seed.json
"$CLI" convert seed.json -o seed.evr || { echo "help: cannot make seed.evr"; exit 1; }
"$CLI" convert seed.json seed.json -o two.evr || { echo "help: cannot make two.evr"; exit 1; }
ID=$("$CLI" cat seed.evr | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')
[ -n "$ID" ] && ok || bad "no id in the seed"

# A command line of CMD that succeeds, for the commands this test knows.
base() {
  case $1 in
  convert) echo "seed.json -o out.ndjson" ;;
  cat) echo "seed.json" ;;
  info) echo "seed.evr" ;;
  schema) echo "seed.evr" ;;
  recover) echo "seed.evr -o saved.evr" ;;
  get) echo "seed.evr $ID" ;;
  validate) echo "seed.json" ;;
  *) return 1 ;;
  esac
}

# A value for an option, from its long name or its argument's name.
value() { # LONG ARG CMD
  case $1 in
  from) case $3 in info | get | recover | schema) echo evr ;; *) echo json ;; esac ;;
  to | format) echo json ;;
  output) echo "out.$2" | tr 'A-Z' 'a-z' ;;
  rule | skip-rule) echo 'ref-*' ;;
  meta) echo k=v ;;
  level) echo 4 ;;
  ordinal | threads | max-errors) echo 1 ;;
  *) case $2 in SIZE) echo 1M ;; N) echo 1 ;; *) echo x ;; esac ;;
  esac
}

commands=$("$CLI" --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
n=$(echo "$commands" | wc -w)
[ "$n" -ge 7 ] && ok || bad "evrec --help lists $n commands"

for cmd in $commands; do
  run "$cmd" --help
  expect_rc "$cmd --help" 0
  head -1 out | grep -q "^Usage: evrec $cmd " && ok || bad "$cmd --help: no usage line"
  grep -q '^Exit status: ' out && ok || bad "$cmd --help: no exit status line"
  cp out "$cmd.help"
  # "  -o, --output=FILE   text" / "      --pretty   text" / "--validate[=warn]"
  sed -n 's/^  \(-., \|    \)--\([a-z0-9-]*\)\([=[][^ ]*\)\?  *\(.*\)$/\2|\3|\4/p' "$cmd.help" > "$cmd.opts"
  nopts=$(wc -l < "$cmd.opts")
  [ "$nopts" -eq "$(grep -c '^  \(-\|    --\)' "$cmd.help")" ] && ok || bad "$cmd --help: unparsed option lines"

  # Does it read JSON at all? (Commands that read only .evr refuse it.)
  reads_json=yes
  if b=$(base "$cmd"); then
    # shellcheck disable=SC2086
    "$CLI" $cmd $(echo "$b" | sed 's/seed\.evr/seed.json/') > /dev/null 2> probe.err
    grep -q 'not an .evr container' probe.err && reads_json=no
  fi
  writes_evr=no
  grep -q -- '-o, --output=FILE.*\(salvaged\|FILE\)' "$cmd.help" && [ "$cmd" != schema ] && writes_evr=yes

  while IFS='|' read -r long arg text; do
    arg=${arg#=}
    opt=(--"$long")
    if [ "$long" = help ]; then continue; fi
    case $arg in
    "") ;;
    \[*) ;; # optional argument: given bare
    *) opt+=("$(value "$long" "$arg" "$cmd")") ;;
    esac
    # accepted at all
    "$CLI" "$cmd" "${opt[@]}" < /dev/null > /dev/null 2> err
    grep -q "unknown option '--$long'" err && bad "$cmd: --$long listed but refused as unknown" || ok
    case $text in
    "JSON input"*) [ $reads_json = yes ] && ok ||
      bad "$cmd reads only .evr but offers a JSON input option: --$long" ;;
    "evr:"*) [ $writes_evr = yes ] && ok || bad "$cmd writes no .evr but offers --$long" ;;
    esac
    # and works in a command line that otherwise succeeds
    b=$(base "$cmd") || continue
    extra=()
    case $text in *"(-t json)"*) b="seed.json -t json -o out.json" ;; esac
    case $text in "evr:"*) [ "$cmd" = convert ] && b="seed.json -o out.evr" ;; esac
    [ "$cmd" = schema ] && [ "$long" = output ] && extra=(--descriptor-set)
    rm -f out.* saved.evr
    # shellcheck disable=SC2086
    "$CLI" $cmd $b "${opt[@]}" "${extra[@]}" < /dev/null > out 2> err
    rc=$?
    [ $rc -le 1 ] && ok || bad "$cmd $b ${opt[*]}: exit status $rc: $(head -2 err)"
    # a limit, set tight, bites: JSON input for the JSON one, else .evr
    # input with two records in a block (seed.json twice)
    case $long in max-errors) continue ;; max-*) ;; *) continue ;; esac  # input limits
    case $long in
    max-depth) tight=1; b=$(echo "$b" | sed 's/seed\.evr/seed.json/') ;;
    max-block-records | max-index-size) tight=1; b=$(echo "$b" | sed 's/seed\.\(json\|evr\)/two.evr/') ;;
    *) tight=1k; b=$(echo "$b" | sed 's/seed\.\(json\|evr\)/two.evr/') ;;
    esac
    rm -f out.* saved.evr
    # shellcheck disable=SC2086
    "$CLI" $cmd $b "--$long=$tight" < /dev/null > out 2> err
    rc=$?
    [ $rc -eq 1 ] && grep -q -- "(--$long)" out err && ok ||
      bad "$cmd $b --$long=$tight: does not bite (exit $rc): $(head -c 300 err)"
  done < "$cmd.opts"
done

echo "help: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
