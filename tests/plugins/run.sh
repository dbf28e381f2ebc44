#!/bin/bash
# plugins/run.sh -- the schema works with every protoc generator a newsroom
# might use, and their code reads what evrec writes.
#
#   bash tests/plugins/run.sh CLI BUILD_DIR        (`make test-plugins`, part of `make test`)
#
# proto/evrec/v1/evrec.proto goes through protoc with --fatal_warnings and
# the C++, Java, Python, Go (Debian's protoc-gen-go), C#, PHP, Objective-C
# and Ruby generators; no generator may print anything. Then:
#   - the file options land where they should: Go package evrecv1 at the
#     go_package import path, Java classes one per file in
#     io.github.evrec.v1, C# namespace Evrec.V1, PHP Evrec\V1, Objective-C
#     prefix EVR, Ruby Evrec::V1;
#   - the Java code compiles (javac against Debian's protobuf.jar) and the
#     C++ code compiles and links (g++, libprotobuf), and each, like
#     Google's Python code, parses the seed record evrec wrote as pb and
#     prints its id, which must be the seed's.
# Needs golang-goprotobuf-dev, default-jdk-headless, libprotobuf-java and
# g++ (DEB_TEST_PACKAGES: `make test` installs them as root); without them
# the test fails and says what is missing.
#
# Ends with "plugins: N passed, M failed"; exits non-zero on failure.
set -u

CLI=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PROTOC=${PROTOC:-protoc}
WKT_DIR=${WKT_DIR:-/usr/include}
JAR=/usr/share/java/protobuf.jar
T=$(mktemp -d /tmp/evrec-plugins.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

. "$ROOT/tests/util/shcheck.sh"

missing=""
command -v protoc-gen-go > /dev/null || missing="$missing golang-goprotobuf-dev"
command -v javac > /dev/null || missing="$missing default-jdk-headless"
[ -f "$JAR" ] || missing="$missing libprotobuf-java"
command -v g++ > /dev/null || missing="$missing g++"
if [ -n "$missing" ]; then
  echo "FAIL: missing Debian packages:$missing (apt-get install$missing, or make test as root)" >&2
  echo "plugins: 0 passed, 1 failed"
  exit 1
fi

"$CLI" convert "$ROOT/examples/seed.json" -o seed.pb || bad "evrec convert seed.json -o seed.pb"
ID=$("$CLI" cat seed.pb | sed -n 's/^{"id":"\([^"]*\)".*/\1/p')

# ------------------------------------------------------------------ generate

mkdir -p out
"$PROTOC" -I"$ROOT/proto" -I"$WKT_DIR" --fatal_warnings \
  --cpp_out=out --java_out=out --python_out=out --go_out=out --csharp_out=out \
  --php_out=out --objc_out=out --ruby_out=out evrec/v1/evrec.proto > err 2>&1
rc=$?
expect_rc "protoc --fatal_warnings, every generator" 0
[ ! -s err ] && ok || bad "generators printed: $(head -5 err)"

go=out/github.com/evrec/evrec/gen/go/evrec/v1/evrec.pb.go
[ -f "$go" ] && ok || bad "Go: no file at the go_package path: $(find out -name '*.go')"
grep -q '^package evrecv1$' "$go" 2> /dev/null && ok || bad "Go: package is not evrecv1"
[ -f out/io/github/evrec/v1/Record.java ] && ok || bad "Java: no io/github/evrec/v1/Record.java"
[ -f out/io/github/evrec/v1/EvrecProto.java ] && ok || bad "Java: no outer class EvrecProto"
[ ! -e out/evrec/v1/Evrec.java ] && ok || bad "Java: an evrec.v1.Evrec outer class"
grep -q '^namespace Evrec.V1 {$' out/Evrec.cs && ok || bad "C#: namespace"
grep -q '^namespace Evrec\\V1;$' out/Evrec/V1/Record.php && ok || bad "PHP: namespace"
grep -q '@interface EVRRecord ' out/evrec/v1/Evrec.pbobjc.h && ok || bad "Objective-C: prefix EVR"
grep -q 'lookup("evrec.v1.Record").msgclass' out/evrec/v1/evrec_pb.rb &&
  sed -n '/^module Evrec$/,/^end$/p' out/evrec/v1/evrec_pb.rb | grep -q '^  module V1$' && ok ||
  bad "Ruby: module Evrec::V1"

# ------------------------------------------------------------------ compile and read

mkdir -p java/classes
cat > java/ReadSeed.java <<'EOF'
import io.github.evrec.v1.Record;
import java.nio.file.Files;
import java.nio.file.Paths;

public class ReadSeed {
  public static void main(String[] args) throws Exception {
    Record r = Record.parseFrom(Files.readAllBytes(Paths.get(args[0])));
    System.out.println(r.getId() + " " + r.getEventsCount() + " events");
  }
}
EOF
javac -nowarn -d java/classes -cp "$JAR" $(find out -name '*.java') java/ReadSeed.java > err 2>&1
rc=$?
expect_rc "javac (generated Java): javac" 0
got=$(java -cp "java/classes:$JAR" ReadSeed seed.pb 2>&1)
n=$("$CLI" cat seed.pb | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["events"]))')
expect_eq "Java reads evrec's pb" "$got" "$ID $n events"

cat > main.cc <<'EOF'
#include <fstream>
#include <iostream>
#include "evrec/v1/evrec.pb.h"
int main(int argc, char **argv) {
  evrec::v1::Record r;
  std::ifstream in(argv[1], std::ios::binary);
  if (argc < 2 || !r.ParseFromIstream(&in)) return 1;
  std::cout << r.id() << " " << r.events_size() << " events\n";
  return 0;
}
EOF
g++ -std=c++17 -O0 -Wall -Werror -Iout out/evrec/v1/evrec.pb.cc main.cc -o read_seed \
  $(pkg-config --cflags --libs protobuf) > err 2>&1
rc=$?
expect_rc "g++ (generated C++): g++" 0
got=$(./read_seed seed.pb 2>&1)
expect_eq "C++ reads evrec's pb" "$got" "$ID $n events"

got=$(cd out && /usr/bin/python3 -c '
import sys
from evrec.v1 import evrec_pb2
r = evrec_pb2.Record.FromString(open(sys.argv[1], "rb").read())
print(r.id, len(r.events), "events")' "$T/seed.pb" 2>&1)
expect_eq "Python reads evrec's pb" "$got" "$ID $n events"

echo "plugins: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
