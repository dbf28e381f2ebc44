#!/bin/sh
# build.sh -- build upb_peer from protobuf's upb amalgamation (ruby-upb.c).
# Usage: bench/upb/build.sh PROTOBUF_GIT_DIR
#   PROTOBUF_GIT_DIR: a git directory of github.com/protocolbuffers/protobuf
#   (a clone's .git or a bare mirror); nothing is downloaded here, and
#   nothing of it is committed to evrec. Builds into build/upb-peer/.
# Env: OPT (default -O3: protobuf's release flags for upb, and evrec's Makefile default), CC (default cc).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 PROTOBUF_GIT_DIR" >&2; exit 2; }
G=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
EVREC=$(cd "$HERE/../.." && pwd)
mkdir -p "$EVREC/build/upb-peer" && cd "$EVREC/build/upb-peer"
CC=${CC:-cc}
OPT=${OPT:--O3}
NAME=${NAME:-upb_peer}   # output binary (e.g. NAME=upb_peer_O2 OPT=-O2 ./build.sh)

# 1. sources: the single-file upb used by protobuf's Ruby extension + utf8_range
rm -rf src && mkdir -p src
git --git-dir="$G" archive HEAD \
  ruby/ext/google/protobuf_c/ruby-upb.c ruby/ext/google/protobuf_c/ruby-upb.h \
  third_party/utf8_range/utf8_range.c third_party/utf8_range/utf8_range.h \
  third_party/utf8_range/utf8_range_sse.inc third_party/utf8_range/utf8_range_neon.inc \
  third_party/utf8_range/LICENSE | tar -x -C src
git --git-dir="$G" log -1 --format='%H %cI' HEAD > src/COMMIT
U=src/ruby/ext/google/protobuf_c
R=src/third_party/utf8_range

# 2. schema: evrec.v1 with the well-known types it imports
protoc --include_imports --descriptor_set_out=evrec.fds \
  -I "$EVREC/proto" -I /usr/include evrec/v1/evrec.proto

# 3. compile: -DNDEBUG as protobuf's release builds (Ruby's extconf: -O3 -DNDEBUG)
FLAGS="-std=gnu11 $OPT -g -DNDEBUG"
O=obj/$NAME
mkdir -p $O
$CC $FLAGS -I$U -I$R -c $U/ruby-upb.c -o $O/ruby-upb.o
$CC $FLAGS -I$R -c $R/utf8_range.c -o $O/utf8_range.o
$CC $FLAGS -Wall -I$U -I$R -c "$HERE/upb_peer.c" -o $O/upb_peer.o
$CC $OPT -o $NAME $O/upb_peer.o $O/ruby-upb.o $O/utf8_range.o -lm
echo "built $NAME ($CC $FLAGS) from protobuf $(cat src/COMMIT)"
