/*
 * fuzz_pb.c -- evrec_pb_decode of the same bytes as evrec.v1.Record and as
 * evrec.test.AllTypes. Every accepted message that JSON can carry must come
 * back unchanged through canonical JSON (fuzz_check_roundtrip, binary mode:
 * unknown fields and repeated map keys make the packed bytes differ, so only
 * the canonical JSON is compared).
 */
#include "fuzz/fuzz_util.h"

#include "alltypes.pb-c.h"

/* Binary allows 100 levels below the root, JSON's default counts the root:
 * re-decoding our own JSON needs a little more room. */
static void one(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size) {
  evrec_json_decode_options opts = EVREC_JSON_DECODE_OPTIONS_INIT;
  opts.max_depth = 2 * EVREC_JSON_DEFAULT_MAX_DEPTH;
  evrec_arena *a = evrec_arena_new(0);
  if (!a) return;
  ProtobufCMessage *m = NULL;
  evrec_error err;
  int rc = evrec_pb_decode(&m, desc, data, size, a, &err);
  fuzz_check_status(rc, &err, "pb_decode");
  if (rc == EVREC_OK) fuzz_check_roundtrip(desc, m, 0, &opts);
  evrec_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_RECORD_SIZE) return 0;
  one(evrec_record_descriptor(), data, size);
  one(&evrec__test__all_types__descriptor, data, size);
  return 0;
}
