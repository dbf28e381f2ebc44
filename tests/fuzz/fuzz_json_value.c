/*
 * fuzz_json_value.c -- evrec_json_decode of google.protobuf.Value, which takes
 * any JSON value: the JSON syntax layer with no schema in the way. Accepted
 * values must round-trip (fuzz_check_roundtrip).
 */
#include "fuzz/fuzz_util.h"

#include "google/protobuf/struct.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  evrec_arena *a = evrec_arena_new(0);
  if (!a) return 0;
  ProtobufCMessage *m = NULL;
  evrec_error err;
  const ProtobufCMessageDescriptor *desc = &google__protobuf__value__descriptor;
  int rc = evrec_json_decode(&m, desc, (const char *)data, size, a, NULL, &err);
  fuzz_check_status(rc, &err, "json_decode(Value)");
  if (rc == EVREC_OK) fuzz_check_roundtrip(desc, m, 1, NULL);
  evrec_arena_free(a);
  return 0;
}
