/*
 * fuzz_util.c -- the checks shared by the fuzz targets (see fuzz_util.h).
 *
 * Printing and abort() are fine here: this is test code, and an abort is how
 * a fuzz target reports a broken property. Everything a check allocates is
 * freed before it returns, so that LeakSanitizer blames only the library.
 */
#include "fuzz/fuzz_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- failing */

void fuzz_fail(const evrec_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("fuzz: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (err)
    fprintf(stderr, " [%d %s: %s; path \"%s\", line %u col %u]", err->code,
            evrec_status_str(err->code), err->message, err->path,
            (unsigned)err->line, (unsigned)err->column);
  fputc('\n', stderr);
  abort();
}

/* Statuses a decoder or reader may return for hostile input. */
static int is_input_error(int rc) {
  switch (rc) {
  case EVREC_E_SYNTAX: case EVREC_E_SCHEMA: case EVREC_E_RANGE:
  case EVREC_E_UTF8: case EVREC_E_LIMIT: case EVREC_E_TRUNCATED:
  case EVREC_E_UNSUPPORTED: case EVREC_E_FORMAT: case EVREC_E_CORRUPT:
  case EVREC_E_NOT_FOUND:
    return 1;
  default:
    return 0;
  }
}

void fuzz_check_status(int rc, const evrec_error *err, const char *what) {
  if (rc == EVREC_OK) return;
  if (!is_input_error(rc)) fuzz_fail(err, "%s: unexpected status %d", what, rc);
  if (err && err->code != rc)
    fuzz_fail(err, "%s: returned %d but err->code is %d", what, rc, err->code);
  if (err && err->message[0] == '\0') fuzz_fail(err, "%s: error without a message", what);
  if (err) fuzz_check_error_text(err, what);
}

/* ---------------------------------------------------------------- error text */

/* Length of the valid UTF-8 sequence at p (a lead byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *p) {
  unsigned c = p[0];
  size_t n = c >= 0xC2 && c <= 0xDF   ? 2
             : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4
                                      : 0;
  if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) || /* overlong, surrogate */
      (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))   /* overlong, > U+10FFFF */
    return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xC0) != 0x80) return 0; /* a NUL stops here too */
  return n;
}

void fuzz_check_text(const char *s, size_t cap, int one_line, const char *what) {
  const unsigned char *p = (const unsigned char *)s, *end = p + cap;
  if (!memchr(s, '\0', cap)) fuzz_fail(NULL, "%s: no NUL within its %zu bytes", what, cap);
  while (p < end && *p) {
    if (*p < 0x80) {
      if (one_line && (*p < 0x20 || *p == 0x7f))
        fuzz_fail(NULL, "%s: control character 0x%02x in \"%s\"", what, *p, s);
      p++;
      continue;
    }
    size_t n = utf8_seq(p);
    if (n == 0) fuzz_fail(NULL, "%s: invalid UTF-8 at byte %zu of \"%s\"", what,
                          (size_t)(p - (const unsigned char *)s), s);
    p += n;
  }
}

void fuzz_check_error_text(const evrec_error *err, const char *what) {
  char w[160];
  snprintf(w, sizeof w, "%s: error message", what);
  fuzz_check_text(err->message, sizeof err->message, 1, w);
  snprintf(w, sizeof w, "%s: error path", what);
  fuzz_check_text(err->path, sizeof err->path, 1, w);
}

/* ---------------------------------------------------------------- helpers */

/* pack() into a fresh buffer; the caller frees it. */
static uint8_t *pack_alloc(const ProtobufCMessage *m, size_t *len) {
  *len = protobuf_c_message_get_packed_size(m);
  uint8_t *p = malloc(*len ? *len : 1);
  if (!p) fuzz_fail(NULL, "malloc of %zu bytes failed", *len);
  if (protobuf_c_message_pack(m, p) != *len) fuzz_fail(NULL, "pack() size mismatch");
  return p;
}

/* Binary bytes -> pb_decode -> canonical JSON must give `want`. */
static void check_binary_gives(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
                               size_t len, const char *want, const char *what) {
  evrec_arena *a = evrec_arena_new(0);
  if (!a) fuzz_fail(NULL, "arena_new failed");
  ProtobufCMessage *m = NULL;
  evrec_error err;
  int rc = evrec_pb_decode(&m, desc, p, len, a, &err);
  if (rc != EVREC_OK) fuzz_fail(&err, "%s: pb_decode of pack() failed", what);
  char *j = NULL;
  rc = evrec_json_encode_alloc(&j, NULL, m, NULL, &err);
  if (rc != EVREC_OK) fuzz_fail(&err, "%s: encode after pb_decode failed", what);
  if (strcmp(j, want) != 0)
    fuzz_fail(NULL, "%s: JSON differs\n  want %s\n  got  %s", what, want, j);
  free(j);
  evrec_arena_free(a);
}

/* ---------------------------------------------------------------- round trip */

/* Encode errors a binary-decoded message may legitimately cause. */
static int is_encode_refusal(int rc) {
  /* UTF8: strings inside an Any payload, which binary readers see as bytes */
  return rc == EVREC_E_RANGE || rc == EVREC_E_SCHEMA || rc == EVREC_E_UNSUPPORTED ||
         rc == EVREC_E_SYNTAX || rc == EVREC_E_LIMIT || rc == EVREC_E_UTF8;
}

/* The one known way canonical JSON is not a fixed point, in Google's
 * json_format as in evrec: a google.protobuf.NullValue field holding an
 * undeclared number (1 from JSON `1`, or from binary) prints as `null`,
 * which reads back as NULL_VALUE (0): for a singular field the default,
 * which is not printed; for a oneof member still printed (the case stays
 * set), so the JSON agrees and only the binary shrinks. Then the message
 * after one round trip must be a fixed point. */
static int null_value_quirk(const char *j1, const char *j2, size_t n1, size_t n2) {
  return (strcmp(j1, j2) != 0 || n1 != n2) && strstr(j1, "null") != NULL;
}

static void roundtrip(const ProtobufCMessageDescriptor *desc, const ProtobufCMessage *m1,
                      int from_json, const evrec_json_decode_options *dopts, int again);

void fuzz_check_roundtrip(const ProtobufCMessageDescriptor *desc,
                          const ProtobufCMessage *m1, int from_json,
                          const evrec_json_decode_options *dopts) {
  roundtrip(desc, m1, from_json, dopts, 1);
}

static void roundtrip(const ProtobufCMessageDescriptor *desc, const ProtobufCMessage *m1,
                      int from_json, const evrec_json_decode_options *dopts, int again) {
  evrec_error err;
  char *j1 = NULL, *j2 = NULL;
  int rc = evrec_json_encode_alloc(&j1, NULL, m1, NULL, &err);
  if (rc != EVREC_OK) {
    fuzz_check_error_text(&err, "encode");
    if (!from_json && is_encode_refusal(rc) && err.code == rc) return;
    fuzz_fail(&err, "encode of a decoded message failed");
  }
  evrec_arena *a = evrec_arena_new(0);
  if (!a) fuzz_fail(NULL, "arena_new failed");
  ProtobufCMessage *m2 = NULL;
  rc = evrec_json_decode(&m2, desc, j1, strlen(j1), a, dopts, &err);
  if (rc != EVREC_OK) fuzz_fail(&err, "decode of our own JSON failed: %s", j1);
  rc = evrec_json_encode_alloc(&j2, NULL, m2, NULL, &err);
  if (rc != EVREC_OK) fuzz_fail(&err, "second encode failed");
  size_t n1, n2;
  uint8_t *p1 = pack_alloc(m1, &n1), *p2 = pack_alloc(m2, &n2);
  check_binary_gives(desc, p1, n1, j1, "pack(m1)");
  if (again && null_value_quirk(j1, j2, n1, n2)) {
    roundtrip(desc, m2, from_json, dopts, 0);
  } else {
    if (strcmp(j1, j2) != 0) fuzz_fail(NULL, "JSON not a fixed point\n  j1 %s\n  j2 %s", j1, j2);
    if (from_json && n1 != n2) fuzz_fail(NULL, "packed sizes differ: %zu vs %zu", n1, n2);
    check_binary_gives(desc, p2, n2, j1, "pack(m2)");
  }
  free(p1);
  free(p2);
  free(j1);
  free(j2);
  evrec_arena_free(a);
}

/* ---------------------------------------------------------------- readers */

uint64_t fuzz_read_all(const void *data, size_t size, const evrec_reader_options *opts) {
  evrec_reader *r = NULL;
  evrec_error err;
  int rc = evrec_reader_open_memory(&r, data, size, opts, &err);
  fuzz_check_status(rc, &err, "reader_open_memory");
  if (rc != EVREC_OK) return 0;
  uint64_t n = 0;
  int skip = (opts->flags & EVREC_READ_SKIP_DAMAGE) != 0;
  for (unsigned i = 0; i < FUZZ_MAX_RECORDS; i++) {
    const ProtobufCMessage *m = NULL;
    rc = evrec_reader_next(r, &m, &err);
    if (rc == EVREC_DONE) break;
    fuzz_check_status(rc, &err, "reader_next");
    if (rc == EVREC_OK) {
      if (!m) fuzz_fail(NULL, "reader_next: OK without a record");
      n++;
      continue;
    }
    if (!(skip && rc == EVREC_E_CORRUPT)) break;  /* errors are sticky */
  }
  if (n != evrec_reader_count(r)) fuzz_fail(NULL, "reader_count %llu, records read %llu",
                                          (unsigned long long)evrec_reader_count(r), (unsigned long long)n);
  evrec_reader_close(r);
  return n;
}
