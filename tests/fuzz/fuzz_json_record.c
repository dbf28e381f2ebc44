/*
 * fuzz_json_record.c -- evrec_json_decode of evrec.v1.Record; every record it
 * accepts must survive encode -> decode -> encode unchanged, and agree with
 * its binary form (fuzz_check_roundtrip).
 */
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  evrec_arena *a = evrec_arena_new(0);
  if (!a) return 0;
  ProtobufCMessage *m = NULL;
  evrec_error err;
  const ProtobufCMessageDescriptor *desc = evrec_record_descriptor();
  int rc = evrec_json_decode(&m, desc, (const char *)data, size, a, NULL, &err);
  fuzz_check_status(rc, &err, "json_decode(Record)");
  if (rc == EVREC_OK) fuzz_check_roundtrip(desc, m, 1, NULL);
  evrec_arena_free(a);
  return 0;
}
