/*
 * fuzz_container.c -- the .evr container read from memory: straight through
 * (sticky errors), with EVREC_READ_SKIP_DAMAGE (recovery: resumes after each
 * damaged member), then random access through the index (seek_ordinal to
 * the first, middle and past-the-end record; get_id). Random access on
 * damaged input may fail with any documented status; on input that read
 * cleanly, seek_ordinal(k) + next must give the k-th record of the straight
 * read, byte for byte.
 */
#include "fuzz/fuzz_util.h"

#include <stdlib.h>
#include <string.h>

static evrec_reader_options evr_options(unsigned flags) {
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.format = EVREC_FORMAT_EVR;
  o.max_record_size = FUZZ_MAX_RECORD_SIZE;
  o.flags = flags;
  return o;
}

/* Packs record number k of a straight read (NULL if it is not there). */
static uint8_t *nth_packed(const uint8_t *data, size_t size, uint64_t k, size_t *len) {
  evrec_reader_options o = evr_options(0);
  evrec_reader *r = NULL;
  uint8_t *p = NULL;
  if (evrec_reader_open_memory(&r, data, size, &o, NULL) != EVREC_OK) return NULL;
  const ProtobufCMessage *m = NULL;
  for (uint64_t i = 0; i <= k; i++)
    if (evrec_reader_next(r, &m, NULL) != EVREC_OK) m = NULL, i = k;
  if (m) {
    *len = protobuf_c_message_get_packed_size(m);
    p = malloc(*len ? *len : 1);
    if (!p) fuzz_fail(NULL, "malloc failed");
    protobuf_c_message_pack(m, p);
  }
  evrec_reader_close(r);
  return p;
}

/* seek_ordinal(k) then next; compares with the straight read when clean. */
static void seek_and_read(evrec_reader *r, const uint8_t *data, size_t size, uint64_t k,
                          int clean) {
  evrec_error err;
  int rc = evrec_reader_seek_ordinal(r, k, &err);
  fuzz_check_status(rc, &err, "seek_ordinal");
  if (rc != EVREC_OK) return;
  const ProtobufCMessage *m = NULL;
  rc = evrec_reader_next(r, &m, &err);
  if (rc == EVREC_DONE) fuzz_fail(NULL, "seek_ordinal(%llu) OK but no record", (unsigned long long)k);
  fuzz_check_status(rc, &err, "next after seek");
  if (rc != EVREC_OK || !clean) return;
  size_t want_len = 0, got_len = protobuf_c_message_get_packed_size(m);
  uint8_t *want = nth_packed(data, size, k, &want_len);
  uint8_t *got = malloc(got_len ? got_len : 1);
  if (!want || !got) fuzz_fail(NULL, "record %llu missing from the straight read", (unsigned long long)k);
  protobuf_c_message_pack(m, got);
  if (got_len != want_len || memcmp(got, want, got_len) != 0)
    fuzz_fail(NULL, "seek_ordinal(%llu) gave another record", (unsigned long long)k);
  free(want);
  free(got);
}

/* Did a straight read end cleanly (EVREC_DONE), and after how many records? */
static int read_clean(const uint8_t *data, size_t size, uint64_t *n) {
  evrec_reader_options o = evr_options(0);
  evrec_reader *r = NULL;
  int rc = evrec_reader_open_memory(&r, data, size, &o, NULL);
  *n = 0;
  const ProtobufCMessage *m = NULL;
  while (rc == EVREC_OK && *n < FUZZ_MAX_RECORDS && (rc = evrec_reader_next(r, &m, NULL)) == EVREC_OK)
    ++*n;
  evrec_reader_close(r);
  return rc == EVREC_DONE;
}

static void random_access(const uint8_t *data, size_t size) {
  uint64_t n = 0;
  int clean = read_clean(data, size, &n);
  evrec_reader_options o = evr_options(0);
  evrec_reader *r = NULL;
  evrec_error err;
  if (evrec_reader_open_memory(&r, data, size, &o, &err) != EVREC_OK) {
    fuzz_check_error_text(&err, "reader_open_memory");
    return;
  }
  seek_and_read(r, data, size, 0, clean && n > 0);
  seek_and_read(r, data, size, n / 2, clean && n > 0);
  int rc = evrec_reader_seek_ordinal(r, n, &err);
  fuzz_check_status(rc, &err, "seek_ordinal(count)");
  if (clean && rc == EVREC_OK) fuzz_fail(NULL, "seek_ordinal past the end succeeded");
  const ProtobufCMessage *m = NULL;
  rc = evrec_reader_get_id(r, "e1", &m, &err);
  fuzz_check_status(rc, &err, "get_id");
  evrec_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  evrec_reader_options o = evr_options(0);
  fuzz_read_all(data, size, &o);
  o.flags = EVREC_READ_SKIP_DAMAGE;
  fuzz_read_all(data, size, &o);
  random_access(data, size);
  return 0;
}
