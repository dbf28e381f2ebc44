/*
 * fuzz_pbd.c -- a reader over memory in format pbd (varint length + message,
 * repeated), evrec.v1.Record, read to the end or the first error.
 */
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.format = EVREC_FORMAT_PBD;
  o.max_record_size = FUZZ_MAX_RECORD_SIZE;
  fuzz_read_all(data, size, &o);
  return 0;
}
