#!/bin/bash
# install/run.sh -- `make install` gives a library that programs find and
# run with, as the README says.
#
#   bash tests/install/run.sh CLI BUILD_DIR        (`make test-install`, part of `make test`)
#
#   - `make install PREFIX=P` (no DESTDIR) into a scratch prefix: the README's
#     reader program (its first ```c block, extracted) and
#     examples/read_records.c are built with `pkg-config --cflags --libs
#     evrec` plus the rpath the README gives, and RUN without
#     LD_LIBRARY_PATH; read_records is built statically too.
#   - The JSON codec example: examples/note.proto through protoc-c, whose
#     output includes "google/protobuf/any.pb-c.h" from the installed
#     headers; examples/any_message.c (which holds the README's second ```c
#     block verbatim) built and run on a Note whose Any carries a Link.
#   - ldconfig: run by the install as root without DESTDIR (a fake LDCONFIG
#     records it), never with DESTDIR (a staged package) or as another user.
#   - A staged install (DESTDIR, PREFIX=/usr) builds through
#     PKG_CONFIG_SYSROOT_DIR; the installed evrec runs; the man pages and
#     bash completion are there, and man finds them.
#
# Ends with "install: N passed, M failed"; exits non-zero on failure.
set -u

CLI=$(realpath "$1")
BUILD=$(realpath "${2:-build}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CC=${CC:-cc}
T=$(mktemp -d /tmp/evrec-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$ROOT/tests/util/shcheck.sh"
unset LD_LIBRARY_PATH PKG_CONFIG_SYSROOT_DIR MAKEFLAGS MAKELEVEL MFLAGS

# The fake ldconfig notes each call.
printf '#!/bin/sh\necho "ldconfig $*" >> %s/ldconfig.log\n' "$T" > fake-ldconfig
chmod +x fake-ldconfig
minstall() { make -C "$ROOT" --no-print-directory B="$BUILD" LDCONFIG="$T/fake-ldconfig" install "$@" > install.log 2>&1; }

# ------------------------------------------------------------------ a prefix of one's own

P=$T/prefix
minstall PREFIX="$P"
rc=$?
expect_rc "make install PREFIX=$P: $(tail -2 install.log)" 0
if [ "$(id -u)" = 0 ]; then
  expect_eq "ldconfig run by root without DESTDIR" "$(cat ldconfig.log 2> /dev/null)" "ldconfig "
else
  expect_absent "no ldconfig for a user" ldconfig.log
fi
rm -f ldconfig.log
"$P/bin/evrec" --version > /dev/null && ok || bad "installed evrec does not run"
[ -f "$P/include/evrec/google/protobuf/any.pb-c.h" ] && ok || bad "well-known types' headers not installed"

export PKG_CONFIG_PATH=$P/lib/pkgconfig
LIBDIR=$(pkg-config --variable=libdir evrec)
expect_eq "pkg-config libdir" "$LIBDIR" "$P/lib"
RPATH="-Wl,-rpath,$LIBDIR"

# The README's reader program: its first ```c block.
awk '/^```c$/ {n++; on = n == 1; next} /^```$/ {on = 0} on' "$ROOT/README.md" > readme_prog.c
[ -s readme_prog.c ] && ok || bad "README has no \`\`\`c block"
$CC -std=c11 -Wall -Wextra -Werror readme_prog.c $(pkg-config --cflags --libs evrec) $RPATH \
  -o readme_prog 2> err
rc=$?
expect_rc "README program builds against the installed library" 0
run_prog() { env -u LD_LIBRARY_PATH "$@"; }
got=$(run_prog ./readme_prog "$ROOT/examples/seed.json" 2> err)
rc=$?
expect_rc "README program runs (no LD_LIBRARY_PATH)" 0
expect_eq "README program output" "$got" "cnn.com:2025-06-16:trump-ice-deportations: 11 events"
ldd ./readme_prog | grep -q "libevrec.so.0 => $P/lib/libevrec.so.0" && ok ||
  bad "README program does not load the installed libevrec: $(ldd ./readme_prog | grep evrec)"

$CC -std=c11 -Wall -Wextra -Werror "$ROOT/examples/read_records.c" \
  $(pkg-config --cflags --libs evrec) $RPATH -o read_records 2> err
rc=$?
expect_rc "examples/read_records.c builds" 0
run_prog ./read_records "$ROOT/examples/seed.json" > out.ndjson 2> err
rc=$?
expect_rc "read_records runs" 0
"$CLI" cat "$ROOT/examples/seed.json" | cmp -s - out.ndjson && ok || bad "read_records output"
$CC -std=c11 -Wall -Wextra -Werror "$ROOT/examples/read_records.c" $(pkg-config --cflags evrec) \
  "$P/lib/libevrec.a" $(pkg-config --libs --static evrec | sed 's/-levrec//') -o read_records_static 2> err
rc=$?
expect_rc "read_records builds statically" 0
./read_records_static out.ndjson 2> /dev/null | cmp -s - out.ndjson && ok || bad "static read_records output"

# The JSON codec on one's own messages, an Any carrying one of them.
awk '/^```c$/ {n++; on = n == 2; next} /^```$/ {on = 0} on' "$ROOT/README.md" > readme_any.c
[ -s readme_any.c ] && ok || bad "README has no second \`\`\`c block"
"${PYTHON:-/usr/bin/python3}" -c 'import sys; a = open(sys.argv[1]).read(); b = open(sys.argv[2]).read(); sys.exit(a not in b)' \
  readme_any.c "$ROOT/examples/any_message.c" && ok ||
  bad "README's second \`\`\`c block is not verbatim in examples/any_message.c"
protoc-c -I"$ROOT/examples" --c_out=. "$ROOT/examples/note.proto" 2> err
rc=$?
expect_rc "protoc-c examples/note.proto" 0
$CC -std=c11 -Wall -Wextra -Werror "$ROOT/examples/any_message.c" note.pb-c.c -I. \
  $(pkg-config --cflags --libs evrec) $RPATH -o any_message 2> err
rc=$?
expect_rc "examples/any_message.c builds with the installed well-known types' headers" 0
note='{"text":"see","attachment":{"@type":"type.googleapis.com/example.v1.Link","url":"https://example.org/","title":"Example"}}'
got=$(run_prog ./any_message "$note" 2> err)
expect_eq "any_message: the Any round trip" "$got" "$note"
got=$(run_prog ./any_message '{"attachment":{"@type":"type.googleapis.com/example.v1.Nope"}}' 2>&1)
expect_eq "any_message: an unregistered type" "$got" \
  'any_message: unknown Any type "type.googleapis.com/example.v1.Nope"'

# ------------------------------------------------------------------ staged (DESTDIR)

D=$T/stage
minstall DESTDIR="$D" PREFIX=/usr
rc=$?
expect_rc "make install DESTDIR=... PREFIX=/usr" 0
expect_absent "no ldconfig with DESTDIR" ldconfig.log
PKG_CONFIG_PATH=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D \
  sh -c '$0 -std=c11 -Wall -Wextra -Werror "$1" $(pkg-config --cflags --libs evrec) -o "$2"' \
  "$CC" "$ROOT/examples/read_records.c" staged_read 2> err
rc=$?
expect_rc "build against the staged install" 0
LD_LIBRARY_PATH=$D/usr/lib ./staged_read out.ndjson 2> /dev/null | cmp -s - out.ndjson && ok ||
  bad "staged read_records output"
"$D/usr/bin/evrec" --version > /dev/null && ok || bad "staged evrec does not run"
grep -q "^prefix=/usr$" "$D/usr/lib/pkgconfig/evrec.pc" && ok || bad "staged evrec.pc prefix"
# man pages (one per command) and bash completion
for p in "$ROOT"/man/*.1; do
  [ -f "$D/usr/share/man/man1/${p##*/}" ] && ok || bad "man page ${p##*/} not installed"
done
[ -f "$D/usr/share/bash-completion/completions/evrec" ] && ok || bad "bash completion not installed"
MANPATH="$D/usr/share/man" man -w evrec-import 2> /dev/null | grep -q "$D/usr/share/man/man1/evrec-import.1" &&
  ok || bad "man -w evrec-import does not find the installed page"

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
