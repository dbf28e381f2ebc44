/*
 * test_binary.c -- evrec_pb_decode() (checks, errors, merge semantics),
 * evrec__check_utf8() and the varint helpers.
 *
 * Wire bytes are written out by hand so that offsets and messages can be
 * asserted exactly. Field tags of the all-types schema used below:
 *   08 fInt32(1)  3d fFixed32(7)  72 fString(14)  8a01 fNested(17)
 *   [Nested: 08 a(1), 12 b(2), 1a child(3)]
 *   a801/aa01 rInt32(21) unpacked/packed  da01 rFixed32(27) packed
 *   8a02 rBool(33) packed  9202 rString(34)  aa02 rNested(37)
 *   ca02 mStringString(41)  d202 mInt32Int32(42)  aa03 mStringNested(53)
 *   f203 oString(62)  a206 recursive(100)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alltypes.pb-c.h"
#include "internal.h"
#include "proto2.pb-c.h"
#include "util/randmsg.h"
#include "util/wiremix.h"

#define AT (&evrec__test__all_types__descriptor)
#define CS (&evrec__test__conformance_subset__descriptor)

typedef struct fixture {
  evrec_arena *arena;
  evrec_error err;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->arena = evrec_arena_new(0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  evrec_arena_free(f->arena);
  free(f);
  return 0;
}

static Evrec__Test__AllTypes *decode_ok(fixture *f, const void *data, size_t len) {
  ProtobufCMessage *m = NULL;
  int rc = evrec_pb_decode(&m, AT, data, len, f->arena, &f->err);
  if (rc) fail_msg("decode failed: %d %s (at %s)", rc, f->err.message, f->err.path);
  assert_non_null(m);
  return (Evrec__Test__AllTypes *)m;
}

/* Decodes and checks the exact status, message, offset and path. */
static void expect_error(fixture *f, const void *data, size_t len, int code, const char *message,
                         uint64_t offset, const char *path) {
  ProtobufCMessage *m = (ProtobufCMessage *)1;
  int rc = evrec_pb_decode(&m, AT, data, len, f->arena, &f->err);
  assert_int_equal(rc, code);
  assert_null(m);
  assert_int_equal(f->err.code, code);
  assert_string_equal(f->err.message, message);
  assert_int_equal(f->err.offset, offset);
  assert_string_equal(f->err.path, path);
  assert_int_equal(f->err.line, 0);
}

/* ---------------------------------------------------------------- varints */

static void test_varint_round_trip(void **state) {
  (void)state;
  static const struct {
    uint64_t v;
    size_t len;
  } cases[] = {{0, 1},          {1, 1},          {127, 1},         {128, 2},
               {16383, 2},      {16384, 3},      {UINT32_MAX, 5},  {1ull << 63, 10},
               {UINT64_MAX, 10}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t buf[EVREC__VARINT_MAX];
    uint64_t back = 12345;
    size_t n = evrec__varint_put(cases[i].v, buf);
    assert_int_equal(n, cases[i].len);
    assert_int_equal(evrec__varint_get(buf, n, &back), (int)n);
    assert_true(back == cases[i].v);
    /* every proper prefix is "truncated" */
    for (size_t k = 0; k < n; k++) assert_int_equal(evrec__varint_get(buf, k, &back), 0);
  }
}

static void test_varint_edges(void **state) {
  (void)state;
  uint64_t v = 99;
  static const uint8_t eleven[11] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  static const uint8_t overflow[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  static const uint8_t max[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  static const uint8_t nonminimal[2] = {0x80, 0x00};
  assert_int_equal(evrec__varint_get(eleven, sizeof eleven, &v), -1);
  assert_int_equal(evrec__varint_get(eleven, 10, &v), -1); /* 10 bytes, still continuing */
  assert_int_equal(evrec__varint_get(eleven, 9, &v), 0);   /* could still end */
  assert_int_equal(evrec__varint_get(overflow, 10, &v), -1);
  assert_int_equal(evrec__varint_get(max, 10, &v), 10);
  assert_true(v == UINT64_MAX);
  assert_int_equal(evrec__varint_get(nonminimal, 2, &v), 2); /* accepted, as Google's parsers do */
  assert_true(v == 0);
  assert_int_equal(evrec__varint_get("", 0, &v), 0);
}

/* ---------------------------------------------------------------- good input */

static void test_decode_fields(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {
      0x08, 0x96, 0x01,                   /* fInt32 = 150 */
      0x72, 0x03, 'a', 0xc3, 0xa9,        /* fString = "aé" */
      0x8a, 0x01, 0x04, 0x12, 0x02, 'h', 'i', /* fNested { b: "hi" } */
      0xaa, 0x01, 0x02, 0x01, 0x02,       /* rInt32 packed [1, 2] */
      0xa8, 0x01, 0x03,                   /* rInt32 unpacked 3 */
      0xca, 0x02, 0x06, 0x0a, 0x01, 'k', 0x12, 0x01, 'v', /* mStringString {"k": "v"} */
      0xb8, 0x3e, 0x07,                   /* unknown field 999 = 7 */
  };
  Evrec__Test__AllTypes *m = decode_ok(f, data, sizeof data);
  assert_int_equal(m->f_int32, 150);
  assert_string_equal(m->f_string, "a\xc3\xa9");
  assert_non_null(m->f_nested);
  assert_string_equal(m->f_nested->b, "hi");
  assert_int_equal(m->n_r_int32, 3);
  assert_int_equal(m->r_int32[0], 1);
  assert_int_equal(m->r_int32[2], 3);
  assert_int_equal(m->n_m_string_string, 1);
  assert_string_equal(m->m_string_string[0]->key, "k");
  assert_string_equal(m->m_string_string[0]->value, "v");
  assert_int_equal(m->base.n_unknown_fields, 1); /* kept for binary round trips */
  assert_int_equal(m->base.unknown_fields[0].tag, 999);
  /* packing merges rInt32 into one packed run (2 bytes less) and keeps the unknown field */
  assert_int_equal(protobuf_c_message_get_packed_size(&m->base), sizeof data - 2);
}

static void test_decode_empty(void **state) {
  fixture *f = *state;
  Evrec__Test__AllTypes *m = decode_ok(f, NULL, 0);
  assert_int_equal(m->f_int32, 0);
  assert_null(m->f_nested);
  assert_string_equal(m->f_string, "");
}

static void test_decode_bad_args(void **state) {
  fixture *f = *state;
  ProtobufCMessage *m;
  assert_int_equal(evrec_pb_decode(NULL, AT, "", 0, f->arena, &f->err), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_pb_decode(&m, NULL, "", 0, f->arena, &f->err), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_pb_decode(&m, AT, NULL, 3, f->arena, &f->err), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_pb_decode(&m, AT, "", 0, NULL, NULL), EVREC_E_INVALID_ARG);
}

/* ---------------------------------------------------------------- framing errors */

static void test_error_length_exceeds(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {0x08, 0x01, 0x72, 0x0a, 'a', 'b'};
  expect_error(f, data, sizeof data, EVREC_E_SYNTAX,
               "field 14 (fString): length 10 exceeds the 2 bytes left", 2, "fString");
}

static void test_error_length_wraps_32_bits(void **state) {
  fixture *f = *state;
  /* 2^32-1: protobuf-c would add the 5-byte prefix in 32 bits and wrap */
  static const uint8_t data[] = {0x72, 0xff, 0xff, 0xff, 0xff, 0x0f, 'a', 'b', 'c'};
  expect_error(f, data, sizeof data, EVREC_E_SYNTAX,
               "field 14 (fString): length 4294967295 exceeds the 3 bytes left", 0, "fString");
  static const uint8_t big[] = {0x72, 0xff, 0xff, 0xff, 0xff, 0x1f, 'a'};
  expect_error(f, big, sizeof big, EVREC_E_SYNTAX, "field 14 (fString): invalid length", 0,
               "fString");
}

static void test_error_truncated_values(void **state) {
  fixture *f = *state;
  static const uint8_t varint[] = {0x08, 0x96};
  expect_error(f, varint, sizeof varint, EVREC_E_SYNTAX, "field 1 (fInt32): truncated varint",
               0, "fInt32");
  static const uint8_t fixed[] = {0x08, 0x00, 0x3d, 0x01, 0x02};
  expect_error(f, fixed, sizeof fixed, EVREC_E_SYNTAX,
               "field 7 (fFixed32): truncated 32-bit value (need 4 bytes, have 2)", 2, "fFixed32");
  static const uint8_t tag[] = {0x08, 0x00, 0x8a};
  expect_error(f, tag, sizeof tag, EVREC_E_SYNTAX, "truncated tag", 2, "");
  static const uint8_t len[] = {0x72};
  expect_error(f, len, sizeof len, EVREC_E_SYNTAX, "field 14 (fString): truncated length", 0,
               "fString");
}

static void test_error_tags(void **state) {
  fixture *f = *state;
  static const uint8_t zero[] = {0x08, 0x01, 0x00, 0x01};
  expect_error(f, zero, sizeof zero, EVREC_E_SYNTAX, "invalid field number 0", 2, "");
  static const uint8_t group[] = {0x0b, 0x0c};
  expect_error(f, group, sizeof group, EVREC_E_SYNTAX,
               "field 1: groups (wire type 3) are not supported", 0, "");
  static const uint8_t wt7[] = {0x08, 0x01, 0x0f};
  expect_error(f, wt7, sizeof wt7, EVREC_E_SYNTAX, "field 1: invalid wire type 7", 2, "");
  static const uint8_t huge[] = {0xf8, 0xff, 0xff, 0xff, 0x1f, 0x00};
  expect_error(f, huge, sizeof huge, EVREC_E_SYNTAX, "invalid tag (field number too large)", 0,
               "");
  static const uint8_t unknown[] = {0xba, 0x3e, 0x05, 'a'}; /* field 999, length 5 */
  expect_error(f, unknown, sizeof unknown, EVREC_E_SYNTAX,
               "field 999: length 5 exceeds the 1 bytes left", 0, "");
}

static void test_error_wire_type_mismatch(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {0x0a, 0x01, 'x'}; /* fInt32 as length-delimited */
  expect_error(f, data, sizeof data, EVREC_E_SYNTAX,
               "field 1 (fInt32): wire type 2 (length-delimited) does not fit the field's "
               "type (wire type 0, varint)",
               0, "fInt32");
  static const uint8_t msg[] = {0x88, 0x01, 0x01}; /* fNested as varint */
  expect_error(f, msg, sizeof msg, EVREC_E_SYNTAX,
               "field 17 (fNested): wire type 0 (varint) does not fit the field's type "
               "(wire type 2, length-delimited)",
               0, "fNested");
}

static void test_error_packed(void **state) {
  fixture *f = *state;
  static const uint8_t fixed[] = {0xda, 0x01, 0x06, 1, 2, 3, 4, 5, 6};
  expect_error(f, fixed, sizeof fixed, EVREC_E_SYNTAX,
               "field 27 (rFixed32): packed length 6 is not a multiple of 4", 3, "rFixed32");
  /* Packed bools are varints like any other (Google reads 2 and a 2-byte 1
   * as true); protobuf-c's unpack read one byte each and refused them. */
  static const uint8_t bools[] = {0x8a, 0x02, 0x05, 0x01, 0x00, 0x02, 0x81, 0x00};
  Evrec__Test__AllTypes *m = decode_ok(f, bools, sizeof bools);
  assert_int_equal(m->n_r_bool, 4);
  assert_true(m->r_bool[0] == 1 && m->r_bool[1] == 0 && m->r_bool[2] == 1 && m->r_bool[3] == 1);
  static const uint8_t varints[] = {0xaa, 0x01, 0x02, 0x01, 0x80};
  expect_error(f, varints, sizeof varints, EVREC_E_SYNTAX,
               "field 21 (rInt32): invalid varint in packed data", 4, "rInt32");
}

/* ---------------------------------------------------------------- paths */

static void test_path_nested(void **state) {
  fixture *f = *state;
  /* fNested { a: 1, child { b: <length 9 of 1> } } */
  static const uint8_t data[] = {0x8a, 0x01, 0x07, 0x08, 0x01, 0x1a, 0x03, 0x12, 0x09, 'x'};
  expect_error(f, data, sizeof data, EVREC_E_SYNTAX, "field 2 (b): length 9 exceeds the 1 bytes left",
               7, "fNested.child.b");
}

static void test_path_repeated_index(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {
      0xaa, 0x02, 0x00,                   /* rNested[0] {} */
      0x08, 0x05,                         /* fInt32 between the elements */
      0xaa, 0x02, 0x03, 0x12, 0x01, 0xff, /* rNested[1] { b: "\xff" } */
  };
  expect_error(f, data, sizeof data, EVREC_E_UTF8, "field 2 (b): invalid UTF-8 in a string", 10,
               "rNested[1].b");
  static const uint8_t strs[] = {0x92, 0x02, 0x01, 'a', 0x92, 0x02, 0x02, 0xc3, 0x28};
  expect_error(f, strs, sizeof strs, EVREC_E_UTF8, "field 34 (rString): invalid UTF-8 in a string",
               7, "rString[1]");
}

static void test_path_map_keys(void **state) {
  fixture *f = *state;
  static const uint8_t str[] = {0xca, 0x02, 0x06, 0x0a, 0x01, 'k', 0x12, 0x01, 0xfe};
  expect_error(f, str, sizeof str, EVREC_E_UTF8, "field 2 (value): invalid UTF-8 in a string", 8,
               "mStringString[\"k\"]");
  /* int32 key -5 (10-byte varint), value with a wrong wire type */
  static const uint8_t num[] = {0xd2, 0x02, 0x0d, 0x08, 0xfb, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0x01, 0x12, 0x00};
  expect_error(f, num, sizeof num, EVREC_E_SYNTAX,
               "field 2 (value): wire type 2 (length-delimited) does not fit the field's type "
               "(wire type 0, varint)",
               14, "mInt32Int32[\"-5\"]");
  /* a key with a quote, a message value with a bad string inside */
  static const uint8_t msg[] = {0xaa, 0x03, 0x09, 0x0a, 0x02, 'a', '"', 0x12, 0x03,
                                0x12, 0x01, 0x80};
  expect_error(f, msg, sizeof msg, EVREC_E_UTF8, "field 2 (b): invalid UTF-8 in a string", 11,
               "mStringNested[\"a\\\"\"].b");
}

static void test_oneof_and_nul(void **state) {
  fixture *f = *state;
  static const uint8_t oneof[] = {0xf2, 0x03, 0x02, 0xed, 0xa0}; /* a surrogate */
  expect_error(f, oneof, sizeof oneof, EVREC_E_UTF8, "field 62 (oString): invalid UTF-8 in a string",
               3, "oString");
  static const uint8_t nul[] = {0x72, 0x03, 'a', 0x00, 'b'};
  expect_error(f, nul, sizeof nul, EVREC_E_UNSUPPORTED,
               "field 14 (fString): a string with a NUL byte (U+0000) cannot be represented", 3,
               "fString");
  static const uint8_t bytes_nul[] = {0x7a, 0x02, 0x00, 0xff}; /* fBytes: anything goes */
  Evrec__Test__AllTypes *m = decode_ok(f, bytes_nul, sizeof bytes_nul);
  assert_int_equal(m->f_bytes.len, 2);
}

/* ---------------------------------------------------------------- depth */

/* `levels` nested `recursive` fields around an empty message. */
static size_t nest(uint8_t *out, int levels) {
  uint8_t inner[1024], tmp[1024];
  size_t n = 0;
  for (int i = 0; i < levels; i++) {
    size_t k = 0;
    tmp[k++] = 0xa2;
    tmp[k++] = 0x06;
    k += evrec__varint_put(n, tmp + k);
    memcpy(tmp + k, inner, n);
    n += k;
    memcpy(inner, tmp, n);
  }
  memcpy(out, inner, n);
  return n;
}

static void test_depth_limit(void **state) {
  fixture *f = *state;
  uint8_t data[1024];
  size_t n = nest(data, 100);
  Evrec__Test__AllTypes *m = decode_ok(f, data, n);
  assert_non_null(m->recursive);
  n = nest(data, 101);
  ProtobufCMessage *out;
  assert_int_equal(evrec_pb_decode(&out, AT, data, n, f->arena, &f->err), EVREC_E_LIMIT);
  assert_string_equal(f->err.message, "messages nested deeper than 100 levels");
  assert_int_equal(strncmp(f->err.path, "....recursive.recursive.", 24), 0); /* the innermost */
}

/* Decodes with a string limit; checks the exact status, message, offset, path. */
static void expect_limited(fixture *f, const void *data, size_t len, size_t limit, int code,
                           const char *message, uint64_t offset, const char *path) {
  ProtobufCMessage *m = NULL;
  evrec_arena_reset(f->arena);
  int rc = evrec__pb_decode_ex(&m, AT, data, len, f->arena, limit, &f->err);
  assert_int_equal(rc, code);
  if (code == EVREC_OK) return;
  assert_null(m);
  assert_string_equal(f->err.message, message);
  assert_int_equal(f->err.offset, offset);
  assert_string_equal(f->err.path, path);
}

/* max_string_size for binary input (the reader's): string and bytes fields
 * at any depth, map keys and values; the limit passes, one more byte fails. */
static void test_string_limit(void **state) {
  fixture *f = *state;
  static const uint8_t s4[] = {0x72, 0x04, 'a', 'b', 'c', 'd'};
  static const uint8_t s5[] = {0x08, 0x01, 0x72, 0x05, 'a', 'b', 'c', 'd', 'e'};
  static const uint8_t b3[] = {0x7a, 0x03, 0, 1, 2};
  static const uint8_t nested[] = {0x8a, 0x01, 0x05, 0x12, 0x03, 'x', 'y', 'z'};
  static const uint8_t map[] = {0xca, 0x02, 0x08, 0x0a, 0x01, 'k', 0x12, 0x03, 'v', 'v', 'v'};
  static const uint8_t unknown[] = {0xfa, 0x3f, 0x05, 'a', 'b', 'c', 'd', 'e'}; /* field 1023 */
  expect_limited(f, s4, sizeof s4, 4, EVREC_OK, NULL, 0, NULL);
  expect_limited(f, s5, sizeof s5, 4, EVREC_E_LIMIT,
                 "field 14 (fString): string of 5 bytes exceeds the limit of 4 bytes "
                 "(max_string_size)", 2, "fString");
  expect_limited(f, b3, sizeof b3, 3, EVREC_OK, NULL, 0, NULL);
  expect_limited(f, b3, sizeof b3, 2, EVREC_E_LIMIT,
                 "field 15 (fBytes): bytes value of 3 bytes exceeds the limit of 2 bytes "
                 "(max_string_size)", 0, "fBytes");
  expect_limited(f, nested, sizeof nested, 2, EVREC_E_LIMIT,
                 "field 2 (b): string of 3 bytes exceeds the limit of 2 bytes (max_string_size)",
                 3, "fNested.b");
  expect_limited(f, map, sizeof map, 2, EVREC_E_LIMIT,
                 "field 2 (value): string of 3 bytes exceeds the limit of 2 bytes "
                 "(max_string_size)", 6, "mStringString[\"k\"]");
  /* unknown fields are kept raw, bounded only by the record size */
  expect_limited(f, unknown, sizeof unknown, 2, EVREC_OK, NULL, 0, NULL);
  /* the public decoder has no string limit: the caller chose the length */
  ProtobufCMessage *m;
  assert_int_equal(evrec_pb_decode(&m, AT, s5, sizeof s5, f->arena, &f->err), EVREC_OK);
}

/* ---------------------------------------------------------------- robustness */

/* Every prefix and every single-byte corruption of a valid message decodes
 * or fails cleanly (run under ASan by `make test`). */
static void test_truncations_and_flips(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {
      0x08, 0x96, 0x01, 0x72, 0x03, 'a', 0xc3, 0xa9, 0x8a, 0x01, 0x04, 0x12, 0x02, 'h', 'i',
      0xaa, 0x01, 0x02, 0x01, 0x02, 0xca, 0x02, 0x06, 0x0a, 0x01, 'k', 0x12, 0x01, 'v',
      0xd2, 0x02, 0x04, 0x08, 0x01, 0x10, 0x02, 0x61, 1, 2, 3, 4, 5, 6, 7, 8};
  ProtobufCMessage *m;
  int ok = 0;
  for (size_t n = 0; n <= sizeof data; n++) {
    evrec_arena_reset(f->arena);
    int rc = evrec_pb_decode(&m, AT, data, n, f->arena, &f->err);
    assert_true(rc == EVREC_OK || rc == EVREC_E_SYNTAX || rc == EVREC_E_UTF8);
    if (rc == EVREC_OK) ok++;
    else assert_true(f->err.offset <= n);
  }
  assert_true(ok >= 8); /* the prefixes that end between fields */
  uint8_t copy[sizeof data];
  for (size_t i = 0; i < sizeof data; i++) {
    for (int bit = 0; bit < 8; bit++) {
      memcpy(copy, data, sizeof data);
      copy[i] ^= (uint8_t)(1u << bit);
      evrec_arena_reset(f->arena);
      int rc = evrec_pb_decode(&m, AT, copy, sizeof copy, f->arena, &f->err);
      assert_true(rc == EVREC_OK || rc == EVREC_E_SYNTAX || rc == EVREC_E_UTF8 ||
                  rc == EVREC_E_UNSUPPORTED);
    }
  }
}


/* ---------------------------------------------------------------- merging */

/* Decodes `data` as type d and checks its canonical JSON. */
static void expect_json(fixture *f, const ProtobufCMessageDescriptor *d, const void *data,
                        size_t len, const char *want) {
  ProtobufCMessage *m = NULL;
  char *json = NULL;
  evrec_arena_reset(f->arena);
  int rc = evrec_pb_decode(&m, d, data, len, f->arena, &f->err);
  if (rc) fail_msg("decode failed: %d %s (at %s)", rc, f->err.message, f->err.path);
  assert_true(protobuf_c_message_check(m));
  assert_int_equal(evrec_json_encode_alloc(&json, NULL, m, NULL, &f->err), EVREC_OK);
  assert_string_equal(json, want);
  free(json);
}

/* Google's conformance test Required.Proto3.ProtobufInput.
 * RepeatedScalarMessageMerge.JsonOutput: optional_nested_message twice,
 * each with a corecursive message; they merge field by field. protobuf-c's
 * unpack refused this valid input. */
static void test_conformance_repeated_scalar_message_merge(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {
      0x92, 0x01, 0x0c, 0x12, 0x0a, 0x08, 0xd2, 0x09, 0x10, 0xd2, 0x09, 0xf8, 0x01, 0xd2, 0x09,
      0x92, 0x01, 0x0c, 0x12, 0x0a, 0x08, 0xe1, 0x21, 0x18, 0xe1, 0x21, 0xf8, 0x01, 0xe1, 0x21};
  expect_json(f, CS, data, sizeof data,
              "{\"optionalNestedMessage\":{\"corecursive\":{\"optionalInt32\":4321,"
              "\"optionalInt64\":\"1234\",\"optionalUint32\":4321,"
              "\"repeatedInt32\":[1234,4321]}}}");
}

/* Google's Required.Proto3.ProtobufInput.ValidDataOneof.MESSAGE.Merge.
 * JsonOutput: oneof_nested_message twice merges (unpack replaced it). */
static void test_conformance_oneof_message_merge(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {0x82, 0x07, 0x09, 0x12, 0x07, 0x08, 0x01, 0x10, 0x01,
                                 0xc8, 0x05, 0x01, 0x82, 0x07, 0x07, 0x12, 0x05, 0x10,
                                 0x01, 0xc8, 0x05, 0x01};
  expect_json(f, CS, data, sizeof data,
              "{\"oneofNestedMessage\":{\"corecursive\":{\"optionalInt32\":1,"
              "\"optionalInt64\":\"1\",\"unpackedInt32\":[1,1]}}}");
  /* and its ProtobufOutput form: the merged message packs to Google's bytes */
  static const uint8_t merged[] = {0x82, 0x07, 0x0c, 0x12, 0x0a, 0x08, 0x01, 0x10, 0x01,
                                   0xc8, 0x05, 0x01, 0xc8, 0x05, 0x01};
  ProtobufCMessage *m = NULL;
  assert_int_equal(evrec_pb_decode(&m, CS, data, sizeof data, f->arena, &f->err), EVREC_OK);
  uint8_t out[sizeof merged];
  assert_int_equal(protobuf_c_message_get_packed_size(m), sizeof merged);
  protobuf_c_message_pack(m, out);
  assert_memory_equal(out, merged, sizeof merged);
}

/* Google's ValidDataMap.STRING.MESSAGE.MergeValue: a repeated map key
 * replaces the entry, its value is not merged. */
static void test_conformance_map_value_replaced(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {0xba, 0x04, 0x0b, 0x0a, 0x00, 0x12, 0x07, 0x12, 0x05, 0x08,
                                 0x01, 0xf8, 0x01, 0x01, 0xba, 0x04, 0x0b, 0x0a, 0x00, 0x12,
                                 0x07, 0x12, 0x05, 0x10, 0x01, 0xf8, 0x01, 0x01};
  expect_json(f, CS, data, sizeof data,
              "{\"mapStringNestedMessage\":{\"\":{\"corecursive\":{\"optionalInt64\":\"1\","
              "\"repeatedInt32\":[1]}}}}");
  Evrec__Test__ConformanceSubset *m = NULL;
  assert_int_equal(evrec_pb_decode((ProtobufCMessage **)&m, CS, data, sizeof data, f->arena,
                                   &f->err),
                   EVREC_OK);
  assert_int_equal(m->n_map_string_nested_message, 1); /* one entry per key in the struct too */
}

/* The last value of a singular scalar, string, bytes or enum field wins. */
static void test_merge_last_value_wins(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {
      0x08, 0x01, 0x72, 0x01, 'a', 0x7a, 0x01, 0x01, 0x80, 0x01, 0x01, 0x5d, 0, 0, 0x80, 0x3f,
      0x08, 0x02, 0x72, 0x01, 'b', 0x7a, 0x00, 0x80, 0x01, 0x02, 0x5d, 0, 0, 0, 0x40,
      0x72, 0x00}; /* fString "" at last: the default again */
  expect_json(f, AT, data, sizeof data, "{\"fInt32\":2,\"fFloat\":2,\"fEnum\":\"COLOR_GREEN\"}");
}

/* Repeated fields append, packed and unpacked occurrences in any mix, also
 * with other fields in between. */
static void test_merge_repeated_append(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {
      0xaa, 0x01, 0x02, 0x01, 0x02,       /* rInt32 packed [1, 2] */
      0x92, 0x02, 0x01, 'x',              /* rString "x" */
      0xa8, 0x01, 0x03,                   /* rInt32 3 */
      0x08, 0x07,                         /* fInt32 */
      0xaa, 0x01, 0x01, 0x04,             /* rInt32 packed [4] */
      0xa8, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* rInt32 -1 */
      0x92, 0x02, 0x00,                   /* rString "" */
      0xdd, 0x01, 0x05, 0, 0, 0,          /* rFixed32 5 unpacked */
      0xda, 0x01, 0x04, 0x06, 0, 0, 0,    /* rFixed32 [6] packed */
      0x92, 0x02, 0x01, 'y'};             /* rString "y" */
  expect_json(f, AT, data, sizeof data,
              "{\"fInt32\":7,\"rInt32\":[1,2,3,4,-1],\"rFixed32\":[5,6],"
              "\"rString\":[\"x\",\"\",\"y\"]}");
}

/* A singular message field given again merges recursively; so do
 * concatenated encodings of whole messages. */
static void test_merge_messages(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {
      0x8a, 0x01, 0x08, 0x08, 0x01, 0x1a, 0x04, 0x12, 0x02, 'c', '1', /* fNested {a:1 child{b:c1}} */
      0xaa, 0x02, 0x02, 0x08, 0x05,                                   /* rNested [{a:5}] */
      0x8a, 0x01, 0x07, 0x12, 0x01, 'b', 0x1a, 0x02, 0x08, 0x02,     /* fNested {b:b child{a:2}} */
      0xaa, 0x02, 0x02, 0x08, 0x06};                                  /* rNested [{a:6}]: appended */
  expect_json(f, AT, data, sizeof data,
              "{\"fNested\":{\"a\":1,\"b\":\"b\",\"child\":{\"a\":2,\"b\":\"c1\"}},"
              "\"rNested\":[{\"a\":5},{\"a\":6}]}");
  /* (data is two encodings concatenated; the first alone:) */
  expect_json(f, AT, data, 16, "{\"fNested\":{\"a\":1,\"child\":{\"b\":\"c1\"}},\"rNested\":[{\"a\":5}]}");
}

/* Oneofs: a member given again merges (messages) or wins (scalars); a
 * member of another field clears the one before. An empty string member
 * is set (and printed), unlike a plain proto3 string. */
static void test_merge_oneof(void **state) {
  fixture *f = *state;
  static const uint8_t merge[] = {0xfa, 0x03, 0x02, 0x08, 0x01, 0xfa, 0x03, 0x03, 0x12, 0x01, 'x'};
  expect_json(f, AT, merge, sizeof merge, "{\"oNested\":{\"a\":1,\"b\":\"x\"}}");
  static const uint8_t sw[] = {0xfa, 0x03, 0x02, 0x08, 0x01, 0xf2, 0x03, 0x01, 's',
                               0xfa, 0x03, 0x02, 0x08, 0x02};
  expect_json(f, AT, sw, sizeof sw, "{\"oNested\":{\"a\":2}}"); /* not merged with a:1 */
  static const uint8_t empty[] = {0xe8, 0x03, 0x05, 0xf2, 0x03, 0x00};
  expect_json(f, AT, empty, sizeof empty, "{\"oString\":\"\"}");
  static const uint8_t bytes[] = {0xf2, 0x03, 0x01, 's', 0x8a, 0x04, 0x00};
  expect_json(f, AT, bytes, sizeof bytes, "{\"oBytes\":\"\"}");
}

/* A repeated map key keeps the first position and the last value, inline
 * for small maps and at the end for larger ones. */
static void test_merge_map_keys(void **state) {
  fixture *f = *state;
  uint8_t data[512];
  size_t n = 0;
  /* mInt32Int32: keys 0..11, then 3 and 0 again, then 12 */
  static const int keys[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 3, 0, 12};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    data[n++] = 0xd2;
    data[n++] = 0x02;
    data[n++] = 0x04;
    data[n++] = 0x08;
    data[n++] = (uint8_t)keys[i];
    data[n++] = 0x10;
    data[n++] = (uint8_t)(100 + i);
  }
  ProtobufCMessage *out = NULL;
  assert_int_equal(evrec_pb_decode(&out, AT, data, n, f->arena, &f->err), EVREC_OK);
  Evrec__Test__AllTypes *m = (Evrec__Test__AllTypes *)out;
  assert_int_equal(m->n_m_int32_int32, 13);
  for (int k = 0; k <= 12; k++) assert_int_equal(m->m_int32_int32[k]->key, k);
  assert_int_equal(m->m_int32_int32[0]->value, 113);
  assert_int_equal(m->m_int32_int32[3]->value, 112);
  assert_int_equal(m->m_int32_int32[4]->value, 104);
  assert_int_equal(m->m_int32_int32[12]->value, 114);
  /* string keys, a small map */
  static const uint8_t strs[] = {0xca, 0x02, 0x06, 0x0a, 0x01, 'k', 0x12, 0x01, '1',
                                 0xca, 0x02, 0x06, 0x0a, 0x01, 'a', 0x12, 0x01, '2',
                                 0xca, 0x02, 0x06, 0x0a, 0x01, 'k', 0x12, 0x01, '3',
                                 0xca, 0x02, 0x03, 0x12, 0x01, '4',  /* no key: "" */
                                 0xca, 0x02, 0x02, 0x0a, 0x00};      /* key "", no value */
  expect_json(f, AT, strs, sizeof strs, "{\"mStringString\":{\"\":\"\",\"a\":\"2\",\"k\":\"3\"}}");
  m = NULL;
  assert_int_equal(evrec_pb_decode(&out, AT, strs, sizeof strs, f->arena, &f->err), EVREC_OK);
  m = (Evrec__Test__AllTypes *)out;
  assert_int_equal(m->n_m_string_string, 3);
  assert_string_equal(m->m_string_string[0]->key, "k");
  assert_string_equal(m->m_string_string[0]->value, "3");
}

/* Unknown fields of every wire type are kept in order and packed back, so
 * pb -> pb loses nothing; merged occurrences keep theirs too. */
static void test_unknown_fields_kept(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {
      0x08, 0x01,                                     /* fInt32 */
      0xc0, 0x3e, 0x96, 0x01,                         /* 1000: varint 150 */
      0xc1, 0x3e, 1, 2, 3, 4, 5, 6, 7, 8,             /* 1000: 64-bit */
      0x8a, 0x01, 0x03, 0xd0, 0x0f, 0x07,             /* fNested { 250: 7 } */
      0xc2, 0x3e, 0x02, 'h', 'i',                     /* 1000: length-delimited */
      0xc5, 0x3e, 9, 9, 9, 9,                         /* 1000: 32-bit */
      0x8a, 0x01, 0x02, 0x08, 0x03};                  /* fNested { a: 3 } */
  ProtobufCMessage *m = NULL;
  assert_int_equal(evrec_pb_decode(&m, AT, data, sizeof data, f->arena, &f->err), EVREC_OK);
  assert_int_equal(m->n_unknown_fields, 4);
  assert_int_equal(m->unknown_fields[2].wire_type, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
  assert_int_equal(m->unknown_fields[2].len, 3); /* the length prefix is kept, as unpack does */
  Evrec__Test__AllTypes *at = (Evrec__Test__AllTypes *)m;
  assert_int_equal(at->f_nested->a, 3);
  assert_int_equal(at->f_nested->base.n_unknown_fields, 1);
  static const uint8_t want[] = {
      0x08, 0x01, 0x8a, 0x01, 0x05, 0x08, 0x03, 0xd0, 0x0f, 0x07, /* fields, then unknowns */
      0xc0, 0x3e, 0x96, 0x01, 0xc1, 0x3e, 1, 2, 3, 4, 5, 6, 7, 8,
      0xc2, 0x3e, 0x02, 'h', 'i', 0xc5, 0x3e, 9, 9, 9, 9};
  uint8_t out[sizeof want];
  assert_int_equal(protobuf_c_message_get_packed_size(m), sizeof want);
  protobuf_c_message_pack(m, out);
  assert_memory_equal(out, want, sizeof want);
  /* and reading the packed bytes back gives them again */
  ProtobufCMessage *back = NULL;
  assert_int_equal(evrec_pb_decode(&back, AT, out, sizeof out, f->arena, &f->err), EVREC_OK);
  assert_int_equal(back->n_unknown_fields, 4);
  protobuf_c_message_free_unpacked(back, evrec_arena_allocator(f->arena)); /* a no-op, but must walk */
}

/* Each level of a path names its own element, also when a repeated field
 * inside an element fails: rwValue[1].listValue.values[2].stringValue. */
static void test_path_nested_repeated(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {
      0xe2, 0x05, 0x02, 0x08, 0x00,             /* rwValue[0] { null_value } */
      0xe2, 0x05, 0x0d, 0x32, 0x0b,             /* rwValue[1] { list_value { */
      0x0a, 0x02, 0x08, 0x00,                   /*   values[0] { null_value } */
      0x0a, 0x00,                               /*   values[1] {} */
      0x0a, 0x03, 0x1a, 0x01, 0xff};            /*   values[2] { string_value: bad } } } */
  expect_error(f, data, sizeof data, EVREC_E_UTF8, "field 3 (stringValue): invalid UTF-8 in a string",
               20, "rwValue[1].listValue.values[2].stringValue");
}

/* A path names the element of the decoded array, counting elements that an
 * earlier occurrence of the field added. */
static void test_path_index_across_merges(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {
      0x8a, 0x01, 0x04, 0x1a, 0x02, 0x08, 0x01,                  /* fNested { child {a:1} } */
      0x8a, 0x01, 0x08, 0x1a, 0x06, 0x1a, 0x04, 0x12, 0x02, 0xc3, 0x28}; /* ...child{child{b:bad}} */
  expect_error(f, data, sizeof data, EVREC_E_UTF8, "field 2 (b): invalid UTF-8 in a string", 16,
               "fNested.child.child.b");
  static const uint8_t arr[] = {0x92, 0x02, 0x01, 'a', 0x08, 0x01, 0x92, 0x02, 0x01, 'b',
                                0x92, 0x02, 0x01, 0xff};
  expect_error(f, arr, sizeof arr, EVREC_E_UTF8, "field 34 (rString): invalid UTF-8 in a string",
               13, "rString[2]");
}


/* Random messages, packed, then re-encoded with every merge rule at work
 * (tests/util/wiremix.h: split messages, decoys before singular fields,
 * oneof members and map entries, unpacked and cut packed runs, fields
 * interleaved): decoding gives the very message again, which packs to the
 * same bytes. (Against Google's parser, with concatenated records too:
 * tests/diff, set merge-*.) */
static void test_merge_random_encodings(void **state) {
  fixture *f = *state;
  static const ProtobufCMessageDescriptor *const any[] = {AT, &evrec__test__nested__descriptor};
  const ProtobufCMessageDescriptor *types[] = {AT, evrec_record_descriptor(), CS};
  evrec_arena *gen = evrec_arena_new(0);
  randmsg_options o = RANDMSG_OPTIONS_INIT;
  o.any_types = any;
  o.n_any_types = 2;
  size_t changed = 0;
  for (unsigned i = 0; i < 1500; i++) {
    const ProtobufCMessageDescriptor *d = types[i % 3];
    evrec_arena_reset(gen);
    evrec_arena_reset(f->arena);
    o.fill_percent = i % 2 ? 90 : 0;
    ProtobufCMessage *m = randmsg_new(d, 7000 + i, gen, &o);
    assert_non_null(m);
    size_t n = protobuf_c_message_get_packed_size(m), mixed_len = 0;
    uint8_t *packed = malloc(n + 1);
    protobuf_c_message_pack(m, packed);
    uint8_t *mixed = wiremix(d, packed, n, 99 + i, 40, &mixed_len);
    assert_non_null(mixed);
    changed += mixed_len != n || memcmp(mixed, packed, n) != 0;
    ProtobufCMessage *back = NULL;
    int rc = evrec_pb_decode(&back, d, mixed, mixed_len, f->arena, &f->err);
    if (rc) fail_msg("message %u: %s (at %s)", i, f->err.message, f->err.path);
    assert_true(protobuf_c_message_check(back));
    uint8_t *again = malloc(n + 1);
    assert_int_equal(protobuf_c_message_get_packed_size(back), n);
    protobuf_c_message_pack(back, again);
    if (memcmp(again, packed, n) != 0) fail_msg("message %u of %s packs differently", i, d->name);
    free(again);
    free(mixed);
    free(packed);
  }
  assert_true(changed > 1000); /* the mixer did rewrite most of them */
  evrec_arena_free(gen);
}


/* proto2 (a schema protoc-c users may pass): has_ flags set also for a
 * zero, defaults kept for fields not on the wire, an optional "" that is a
 * value (not the default), merges, and a map entry without its key (a
 * NULL key in proto2) deduplicated like "". */
static void test_proto2(void **state) {
  fixture *f = *state;
  static const uint8_t data[] = {
      0x08, 0x00,                         /* o_int32 = 0 */
      0x12, 0x00,                         /* o_string = "" */
      0x20, 0x05,                         /* r_int32 = 5 */
      0x2a, 0x01, 0x03, 0x30, 0x04,       /* p_int32 packed [3], u_int32 4 */
      0x42, 0x02, 0x10, 0x01,             /* m { value: 1 } (no key) */
      0x3a, 0x02, 0x20, 0x09,             /* child { r_int32: 9 } */
      0x42, 0x04, 0x0a, 0x00, 0x10, 0x02, /* m { key: "", value: 2 } */
      0x4a, 0x00,                         /* c_string = "" */
      0x3a, 0x02, 0x08, 0x03,             /* child { o_int32: 3 }: merged */
      0x28, 0x06};                        /* p_int32 6 unpacked */
  ProtobufCMessage *out = NULL;
  int rc = evrec_pb_decode(&out, &evrec__test2__p2__descriptor, data, sizeof data, f->arena,
                           &f->err);
  if (rc) fail_msg("decode failed: %s (at %s)", f->err.message, f->err.path);
  Evrec__Test2__P2 *m = (Evrec__Test2__P2 *)out;
  assert_true(m->has_o_int32);
  assert_int_equal(m->o_int32, 0);
  assert_non_null(m->o_string);
  assert_string_equal(m->o_string, "");
  assert_false(m->has_o_bytes);
  assert_int_equal(m->r_int32, 5);
  assert_int_equal(m->n_p_int32, 2);
  assert_int_equal(m->p_int32[1], 6);
  assert_int_equal(m->n_u_int32, 1);
  assert_int_equal(m->child->r_int32, 9);
  assert_true(m->child->has_o_int32);
  assert_int_equal(m->child->o_int32, 3);
  assert_string_equal(m->child->o_string, "dflt"); /* the default, from message_init */
  assert_int_equal(m->n_m, 1);
  assert_int_equal(m->m[0]->value, 2);
  assert_int_equal(m->choice_case, EVREC__TEST2__P2__CHOICE_C_STRING);
  assert_string_equal(m->c_string, "");
  assert_true(protobuf_c_message_check(out));
  /* packs as protobuf-c packs what it unpacks */
  size_t n = protobuf_c_message_get_packed_size(out);
  uint8_t *packed = malloc(n), *again;
  protobuf_c_message_pack(out, packed);
  Evrec__Test2__P2 *ref = evrec__test2__p2__unpack(NULL, n, packed);
  assert_non_null(ref);
  assert_int_equal(protobuf_c_message_get_packed_size(&ref->base), n);
  again = malloc(n);
  protobuf_c_message_pack(&ref->base, again);
  assert_memory_equal(again, packed, n);
  evrec__test2__p2__free_unpacked(ref, NULL);
  free(packed);
  free(again);
}

/* ---------------------------------------------------------------- tree walk */

static void test_check_utf8_tree(void **state) {
  fixture *f = *state;
  Evrec__Test__AllTypes m = EVREC__TEST__ALL_TYPES__INIT;
  Evrec__Test__Nested n0 = EVREC__TEST__NESTED__INIT, n1 = EVREC__TEST__NESTED__INIT;
  Evrec__Test__Nested n2 = EVREC__TEST__NESTED__INIT;
  Evrec__Test__Nested *rn[] = {&n0, &n1};
  n0.b = "fine";
  n1.b = "bad \xc0\xaf"; /* overlong '/' */
  m.n_r_nested = 2;
  m.r_nested = rn;
  assert_int_equal(evrec__check_utf8(&m.base, &f->err), EVREC_E_UTF8);
  assert_string_equal(f->err.message, "invalid UTF-8 in a string");
  assert_string_equal(f->err.path, "rNested[1].b");
  n1.b = "ok";
  assert_int_equal(evrec__check_utf8(&m.base, &f->err), EVREC_OK);

  Evrec__Test__AllTypes__MSfixed64NestedEntry e = EVREC__TEST__ALL_TYPES__MSFIXED64_NESTED_ENTRY__INIT;
  Evrec__Test__AllTypes__MSfixed64NestedEntry *ents[] = {&e};
  e.key = -42;
  e.value = &n1;
  m.n_m_sfixed64_nested = 1;
  m.m_sfixed64_nested = ents;
  n1.child = &n2;
  n2.b = "\xff";
  assert_int_equal(evrec__check_utf8(&m.base, &f->err), EVREC_E_UTF8);
  assert_string_equal(f->err.path, "rNested[1].child.b"); /* field order: rNested first */
  m.n_r_nested = 0;
  assert_int_equal(evrec__check_utf8(&m.base, &f->err), EVREC_E_UTF8);
  assert_string_equal(f->err.path, "mSfixed64Nested[\"-42\"].child.b");
  n2.b = "";
  m.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_STRING;
  m.o_string = "\xe2\x82";
  assert_int_equal(evrec__check_utf8(&m.base, &f->err), EVREC_E_UTF8);
  assert_string_equal(f->err.path, "oString");
  m.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_UINT32; /* o_string is not the member now */
  m.o_uint32 = 7;
  assert_int_equal(evrec__check_utf8(&m.base, &f->err), EVREC_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_varint_round_trip),
      cmocka_unit_test(test_varint_edges),
      cmocka_unit_test_setup_teardown(test_decode_fields, setup, teardown),
      cmocka_unit_test_setup_teardown(test_decode_empty, setup, teardown),
      cmocka_unit_test_setup_teardown(test_decode_bad_args, setup, teardown),
      cmocka_unit_test_setup_teardown(test_error_length_exceeds, setup, teardown),
      cmocka_unit_test_setup_teardown(test_error_length_wraps_32_bits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_error_truncated_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_error_tags, setup, teardown),
      cmocka_unit_test_setup_teardown(test_error_wire_type_mismatch, setup, teardown),
      cmocka_unit_test_setup_teardown(test_error_packed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_path_nested, setup, teardown),
      cmocka_unit_test_setup_teardown(test_path_repeated_index, setup, teardown),
      cmocka_unit_test_setup_teardown(test_path_map_keys, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oneof_and_nul, setup, teardown),
      cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_string_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_truncations_and_flips, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conformance_repeated_scalar_message_merge, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conformance_oneof_message_merge, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conformance_map_value_replaced, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_last_value_wins, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_repeated_append, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_messages, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_oneof, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_map_keys, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_fields_kept, setup, teardown),
      cmocka_unit_test_setup_teardown(test_path_index_across_merges, setup, teardown),
      cmocka_unit_test_setup_teardown(test_path_nested_repeated, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_random_encodings, setup, teardown),
      cmocka_unit_test_setup_teardown(test_proto2, setup, teardown),
      cmocka_unit_test_setup_teardown(test_check_utf8_tree, setup, teardown),
  };
  return cmocka_run_group_tests_name("binary", tests, NULL, NULL);
}
