/*
 * fuzz_reader_json.c -- a reader over memory in format json (one object, an
 * array of objects, NDJSON, concatenated objects, BOM), evrec.v1.Record. The
 * first byte picks the options (bit 0: format ndjson instead of json, bit 1:
 * EVREC_JSON_IGNORE_UNKNOWN, bit 2: max_depth 8); the rest is the stream.
 */
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.format = (data[0] & 1u) ? EVREC_FORMAT_NDJSON : EVREC_FORMAT_JSON;
  if (data[0] & 2u) o.json_flags |= EVREC_JSON_IGNORE_UNKNOWN;
  if (data[0] & 4u) o.max_depth = 8;
  o.max_record_size = FUZZ_MAX_RECORD_SIZE;
  fuzz_read_all(data + 1, size - 1, &o);
  return 0;
}
