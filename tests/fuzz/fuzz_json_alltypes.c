/*
 * fuzz_json_alltypes.c -- evrec_json_decode of evrec.test.AllTypes (every
 * field type, map, oneof and well-known type). The first byte picks the
 * options (bit 0: EVREC_JSON_IGNORE_UNKNOWN; bit 1: max_depth 8 instead of
 * the default, to reach the depth limit cheaply); the rest is the JSON.
 */
#include "fuzz/fuzz_util.h"

#include "alltypes.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  evrec_json_decode_options opts = EVREC_JSON_DECODE_OPTIONS_INIT;
  if (data[0] & 1u) opts.flags |= EVREC_JSON_IGNORE_UNKNOWN;
  if (data[0] & 2u) opts.max_depth = 8;
  evrec_arena *a = evrec_arena_new(0);
  if (!a) return 0;
  ProtobufCMessage *m = NULL;
  evrec_error err;
  const ProtobufCMessageDescriptor *desc = &evrec__test__all_types__descriptor;
  int rc = evrec_json_decode(&m, desc, (const char *)data + 1, size - 1, a, &opts, &err);
  fuzz_check_status(rc, &err, "json_decode(AllTypes)");
  if (rc == EVREC_OK) fuzz_check_roundtrip(desc, m, 1, &opts);
  evrec_arena_free(a);
  return 0;
}
