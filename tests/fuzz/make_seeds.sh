#!/usr/bin/env bash
# tests/fuzz/make_seeds.sh -- regenerates the committed seed corpora in
# tests/fuzz/corpus/<target>/ from the repository's examples and test data.
#
#   bash tests/fuzz/make_seeds.sh BUILD_DIR     (needs BUILD_DIR/evrec, /usr/bin/python3;
#                                                BUILD_DIR/tests/diffdriver if built)
#
# Seeds of json_alltypes and reader_json begin with the option byte their
# target reads first: ' ' (0x20) = defaults, '!' (0x21) = bit 0 (ignore
# unknown / ndjson), '"' (0x22) = bit 1, '$' (0x24) = bit 2. Containers are
# written with one thread, 512-byte blocks and a fixed creation time, so
# regenerating gives the same bytes.
set -euo pipefail
B=${1:-build}
CLI=$B/evrec
C=tests/fuzz/corpus
rm -rf "$C"
mkdir -p $C/{json_record,json_value,json_alltypes,pb,pbd,container,reader_json,validate,diff,import}
prefix() { { printf '%s' "$1"; cat "$2"; } > "$3"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# json_record: the flagship record, small records, rejected inputs.
cp examples/seed.json $C/json_record/seed.json
cp tests/data/io/one.json $C/json_record/one.json
for f in tests/data/bad/*.json; do cp "$f" "$C/json_record/bad-$(basename "$f")"; done

# json_value: any JSON at all.
printf '%s' '{"a":[1,2.5,-0,1e308,"x\u00e9\ud83d\ude00",true,false,null,{}],"b":{"c":[]}}' > $C/json_value/mixed.json
printf '%s' '"NaN"' > $C/json_value/string.json
printf '%s' '-12345678901234567890.5e-3' > $C/json_value/number.json
printf '%s' '[[[[[[[[[[{"k":[null]}]]]]]]]]]]' > $C/json_value/nested.json
printf '%s' ' null ' > $C/json_value/null.json
cp tests/data/io/one.json $C/json_value/object.json

# json_alltypes: every accepted differential case, a share of the rejected ones.
for f in tests/diff/cases/*.json; do prefix ' ' "$f" "$C/json_alltypes/$(basename "$f")"; done
for f in $(ls tests/diff/reject/*.json | awk 'NR % 4 == 1'); do
  [ "$(wc -c < "$f")" -le 8192 ] && prefix ' ' "$f" "$C/json_alltypes/reject-$(basename "$f")"
done
printf '%s' '!{"unknownField":{"a":[1,{"b":null}]},"optionalInt32":1,"optionalNestedEnum":"NOPE"}' > $C/json_alltypes/ignore-unknown.json
prefix '"' tests/diff/cases/nested.json $C/json_alltypes/depth8-nested.json
# Found by the fuzzer: NullValue 1 prints as null, which reads back as 0.
printf ' {"wNull": 1}\n' > $C/json_alltypes/nullvalue-undeclared-number.json

# pb: binary Records and AllTypes messages.
"$CLI" convert examples/seed.json -t pb -o $C/pb/seed.pb
"$CLI" convert tests/data/io/one.json -t pb -o $C/pb/one.pb
py=$tmp/py; mkdir -p $py
protoc -Itests/proto -I/usr/include --python_out=$py alltypes.proto
PYTHONPATH=$py /usr/bin/python3 - "$C/pb" tests/diff/cases/everything-at-once.json \
  tests/diff/cases/map-string-nested.json tests/diff/cases/struct.json \
  tests/diff/cases/any-message.json tests/diff/cases/wrappers.json <<'PY'
import sys, os
from google.protobuf import json_format
import alltypes_pb2
out = sys.argv[1]
for path in sys.argv[2:]:
    m = json_format.Parse(open(path).read(), alltypes_pb2.AllTypes())
    name = os.path.basename(path).replace('.json', '.pb')
    open(os.path.join(out, 'alltypes-' + name), 'wb').write(m.SerializeToString(deterministic=True))
PY
printf '\x0a\x05hello\x12\x00\xff\xff' > $C/pb/garbage.pb
# Merging: two Records one after the other, and AllTypes encodings that
# repeat, split and interleave fields (tests/util/wiremix.h, by diffdriver).
cat $C/pb/seed.pb $C/pb/one.pb > $C/pb/merge-two-records.pb
if [ -x "$B/tests/diffdriver" ]; then
  "$B/tests/diffdriver" merge alltypes 7 6 "$tmp"
  for f in "$tmp"/*.pb; do cp "$f" "$C/pb/merge-alltypes-$(basename "$f")"; done
fi

# pbd: streams of Records.
"$CLI" convert examples/seed.json -t pbd -o $C/pbd/seed.pbd
"$CLI" convert tests/data/io/two.ndjson -t pbd -o $C/pbd/two.pbd
head -c 100 $C/pbd/two.pbd > $C/pbd/two-truncated.pbd

# container: small blocks so that even small seeds have several members.
export SOURCE_DATE_EPOCH=0
"$CLI" convert tests/data/io/two.ndjson -t evr -j1 --block-size 512 -o $C/container/two.evr
cat examples/seed.json tests/data/io/two.ndjson > $tmp/three.ndjson
"$CLI" convert $tmp/three.ndjson -t evr -j1 --block-size 512 -o $C/container/three.evr
"$CLI" convert tests/data/io/two.ndjson -t evr -j1 --block-size 512 -z 0 -o $C/container/two-stored.evr
n=$(wc -c < $C/container/three.evr)
head -c $((n / 2)) $C/container/three.evr > $C/container/three-truncated.evr
cp $C/container/three.evr $C/container/three-damaged.evr
printf '\x55\xaa\x55\xaa' | dd of=$C/container/three-damaged.evr bs=1 seek=$((n / 3)) conv=notrunc status=none
cat $C/container/two.evr $C/container/two.evr > $C/container/two-concatenated.evr

# reader_json: the stream layouts.
prefix ' ' tests/data/io/array.json $C/reader_json/array.json
prefix ' ' tests/data/io/two.ndjson $C/reader_json/concatenated.json
prefix '!' tests/data/io/two.ndjson $C/reader_json/two.ndjson
prefix '!' tests/data/io/bad-utf8.ndjson $C/reader_json/bad-utf8.ndjson
prefix ' ' tests/data/io/bad-syntax.json $C/reader_json/bad-syntax.json
prefix '"' tests/data/io/bad-field.ndjson $C/reader_json/ignore-unknown.ndjson
{ printf ' \xef\xbb\xbf'; cat tests/data/io/one.json; } > $C/reader_json/bom.json
printf ' [ ]' > $C/reader_json/empty-array.json
prefix '$' examples/seed.json $C/reader_json/depth8-seed.json
# diff: option byte, set A, 0xFF, set B (fuzz_diff.c). Small hand-made sets,
# the seed record against edited copies (tests/diffmut, built by make check).
diffseed() { { printf "$1"; cat "$2"; printf '\xff'; cat "$3"; } > "$C/diff/$4"; }
printf '%s\n' '{"id":"r1","actors":[{"id":"a1","name":"Ann"},{"id":"a2","name":"Bob"}],"events":[{"id":"e1","confidence":0.5,"participants":[{"actorId":"a1","role":"PARTICIPANT_ROLE_ACTOR"}]}]}' \
  '{"id":"r2","revision":1,"article":{"headline":"Two","keywords":["a","b"]},"extensions":{"k":"v"}}' '{"id":"r3"}' > $tmp/a.ndjson
printf '%s\n' '{"id":"r4"}' '{"id":"r2","revision":2,"article":{"headline":"Two","keywords":["a","c","b"]},"extensions":{"k":"w","l":"x"}}' \
  '{"id":"r1","actors":[{"id":"a2","name":"Bob"},{"id":"a1","name":"Ann"}],"events":[{"id":"e1","confidence":0.75,"participants":[{"actorId":"a1","role":"PARTICIPANT_ROLE_RECIPIENT"}]}]}' > $tmp/b.ndjson
printf '%s\n' '{"id":"r1","claims":[{"id":"c","text":"x"},{"id":"c","text":"y"}]}' '{"id":"r1"}' > $tmp/dup.ndjson
diffseed ' ' $tmp/a.ndjson $tmp/b.ndjson small.txt
diffseed '\x01' $tmp/a.ndjson $tmp/b.ndjson small-ignore-order.txt
diffseed '\x02' $tmp/b.ndjson $tmp/a.ndjson small-json-patch.txt
diffseed '\x1c' $tmp/a.ndjson $tmp/b.ndjson small-tolerance-ignore-threads.txt
diffseed ' ' $tmp/a.ndjson $tmp/dup.ndjson duplicates.txt
"$CLI" convert examples/seed.json -o $tmp/seed.ndjson
"$B/tests/diffmut" mutate 3 100 $tmp/seed.ndjson $tmp/seed-b.ndjson
diffseed ' ' $tmp/seed.ndjson $tmp/seed-b.ndjson seed-edited.txt
"$B/tests/diffmut" random 6 11 $tmp/ra.ndjson $tmp/rb.ndjson
diffseed ' ' $tmp/ra.ndjson $tmp/rb.ndjson random.txt
du -sh $C

# validate: every rule's test case (NDJSON; the damaged .evr is container's
# business), the flagship record, and the same as pbd.
for f in tests/data/validate/*.ndjson; do cp "$f" "$C/validate/$(basename "$f")"; done
cp examples/seed.json $C/validate/seed.ndjson
for f in tests/data/validate/*.ndjson; do # those that decode: their violations in binary
  "$CLI" convert "$f" -t pbd -o "$tmp/one.pbd" 2>/dev/null && cat "$tmp/one.pbd"
done > $C/validate/cases.pbd
"$CLI" convert examples/seed.json -t pbd -o $C/validate/seed.pbd
prefix P $C/pb/seed.pb $C/validate/seed.pb

# import: the option byte ('0' gdelt, '1' acled, '2' plover, '3' icews,
# '4' ninjs, '5' claimreview; '8' gdelt --skip-bad, 'P' gdelt --window 3,
# '`' gdelt --two-pass), then the file; GDELT export rows, 0x1E, mentions.
I=tests/data/import
gdelt() { { printf '%s' "$1"; cat "$2"; printf '\036'; cat "$3"; } > "$4"; }
gdelt 0 $I/gdelt2-export-20250807220000.excerpt.tsv $I/gdelt2-mentions-20250807220000.excerpt.tsv $C/import/gdelt.txt
gdelt P $I/synthetic/gdelt-scattered.tsv $I/synthetic/gdelt-scattered-mentions.tsv $C/import/gdelt-window.txt
gdelt '`' $I/synthetic/gdelt-scattered.tsv $I/synthetic/gdelt-scattered-mentions.tsv $C/import/gdelt-two-pass.txt
for f in $I/bad/gdelt-*.tsv; do prefix 8 "$f" "$C/import/bad-$(basename "$f")"; done
prefix 1 $I/acled-2020.excerpt.csv $C/import/acled-2020.csv
prefix 1 $I/synthetic/acled-current.csv $C/import/acled-current.csv
prefix 9 $I/bad/acled-quote.csv $C/import/bad-acled-quote.csv
prefix 2 $I/plover-gsr-0.5b1.excerpt.json $C/import/plover-gsr.json
prefix 2 $I/synthetic/plover-2.0.jsonl $C/import/plover-2.0.jsonl
prefix 3 $I/icews-jsonl.sample.jsonl $C/import/icews.jsonl
prefix 4 $I/ninjs/examples_3.0_dpa_text.json $C/import/ninjs-dpa.json
prefix 4 $I/synthetic/ninjs-superdesk.json $C/import/ninjs-superdesk.json
prefix 4 $I/synthetic/ninjs-ap-envelope.json $C/import/ninjs-ap-envelope.json
prefix 5 $I/claimreview/factcheck-api-claims-search.sample.json $C/import/claimreview-api.json
prefix 5 $I/synthetic/claimreview-graph.json $C/import/claimreview-graph.json
