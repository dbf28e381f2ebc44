/*
 * test_json_decode.c -- unit tests of the proto3 JSON decoder
 * (src/json_decode.c) on the all-types schema (tests/proto/alltypes.proto).
 *
 * Every success test checks the decoded struct field by field, runs
 * protobuf_c_message_check(), and (where the message is built) compares the
 * packed bytes with those of an independently constructed message. Every
 * failure test checks the exact status, message, line:column and field path.
 * The encoder is not used: these tests stand alone.
 *
 * One arena per test program (reset before every decode) holds all decoded
 * messages; independently built messages live on the stack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alltypes.pb-c.h"
#include "evrec.h"
#include "internal.h"
#include "util/randmsg.h"

typedef Evrec__Test__AllTypes AllTypes;
#define ALLTYPES_INIT EVREC__TEST__ALL_TYPES__INIT
#define ALLTYPES_DESC (&evrec__test__all_types__descriptor)

static evrec_arena *g_arena;

/* ======================================================================
 * Helpers
 * ====================================================================== */

/* Decodes `json` as AllTypes with the given flags; NULL on error (in *err). */
static AllTypes *decode_flags(const char *json, unsigned flags, evrec_error *err) {
  static const ProtobufCMessageDescriptor *const extra[] = {&evrec__test__all_types__descriptor,
                                                            &evrec__test__nested__descriptor};
  evrec_json_decode_options o = EVREC_JSON_DECODE_OPTIONS_INIT;
  ProtobufCMessage *m = (ProtobufCMessage *)&o; /* must be overwritten */
  o.flags = flags;
  o.any_types = extra;
  o.n_any_types = 2;
  evrec_arena_reset(g_arena);
  int rc = evrec_json_decode(&m, ALLTYPES_DESC, json, strlen(json), g_arena, &o, err);
  if (rc != EVREC_OK) {
    assert_null(m);
    assert_int_equal(err->code, rc);
    return NULL;
  }
  assert_non_null(m);
  assert_true(protobuf_c_message_check(m));
  return (AllTypes *)m;
}

/* Decodes and requires success, printing the error otherwise. */
static AllTypes *ok_flags(const char *json, unsigned flags) {
  evrec_error err;
  AllTypes *m = decode_flags(json, flags, &err);
  if (!m)
    fail_msg("decode of %s failed: %d %u:%u [%s] %s", json, err.code, err.line, err.column,
             err.path, err.message);
  return m;
}

static AllTypes *ok(const char *json) { return ok_flags(json, 0); }

/* Packs a message into a malloc'd buffer. */
static uint8_t *pack(const ProtobufCMessage *m, size_t *len) {
  *len = protobuf_c_message_get_packed_size(m);
  uint8_t *b = malloc(*len ? *len : 1);
  assert_non_null(b);
  assert_int_equal(protobuf_c_message_pack(m, b), *len);
  return b;
}

/* The decoded message packs to the same bytes as `want`, and survives a
 * binary round trip through protobuf_c_message_unpack unchanged. */
static void assert_same_pack(const AllTypes *got, const AllTypes *want) {
  size_t n1, n2, n3;
  uint8_t *b1 = pack(&got->base, &n1), *b2 = pack(&want->base, &n2);
  assert_int_equal(n1, n2);
  assert_memory_equal(b1, b2, n1);
  ProtobufCMessage *u = protobuf_c_message_unpack(ALLTYPES_DESC, NULL, n1, b1);
  assert_non_null(u);
  uint8_t *b3 = pack(u, &n3);
  assert_int_equal(n3, n1);
  assert_memory_equal(b3, b1, n1);
  protobuf_c_message_free_unpacked(u, NULL);
  free(b1);
  free(b2);
  free(b3);
}

/* @return true when decoding fails with exactly this code, message,
 * position and path; prints the difference otherwise. */
static bool check_fails(const char *json, unsigned flags, int code, const char *msg, unsigned line,
                        unsigned col, const char *path) {
  evrec_error err;
  if (decode_flags(json, flags, &err)) {
    print_error("decode of %.200s succeeded\n", json);
    return false;
  }
  if (err.code != code || strcmp(err.message, msg) != 0 || err.line != line || err.column != col ||
      strcmp(err.path, path) != 0 || err.record != EVREC_UNKNOWN) {
    print_error("input %.200s\n  want %d %u:%u [%s] %s\n  got  %d %u:%u [%s] %s\n", json, code,
                line, col, path, msg, err.code, err.line, err.column, err.path, err.message);
    return false;
  }
  return true;
}

/* Requires a failure with exactly this code, message, position and path. */
static void fails_flags(const char *json, unsigned flags, int code, const char *msg, unsigned line,
                        unsigned col, const char *path) {
  assert_true(check_fails(json, flags, code, msg, line, col, path));
}

static void fails(const char *json, int code, const char *msg, unsigned line, unsigned col,
                  const char *path) {
  fails_flags(json, 0, code, msg, line, col, path);
}

static int setup(void **state) {
  (void)state;
  g_arena = evrec_arena_new(0);
  return g_arena ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  evrec_arena_free(g_arena);
  return 0;
}

/* The field `first`, then `n` repetitions of `seg`, as an error path
 * (fieldpath.h): whole when it fits, else "..." and the innermost
 * repetitions that fit in EVREC_ERROR_PATH_MAX - 4 bytes. */
static const char *long_path(const char *first, const char *seg, size_t n) {
  static char path[EVREC_ERROR_PATH_MAX];
  size_t ls = strlen(seg), room = EVREC_ERROR_PATH_MAX - 4;
  if (1 + strlen(first) + n * ls <= room) { /* '.' + first: as the formatter counts */
    strcpy(path, first);
  } else {
    strcpy(path, "...");
    if (n > room / ls) n = room / ls;
  }
  for (size_t i = 0; i < n; i++) strcat(path, seg);
  return path;
}

/* A JSON text of `n` repetitions of `open`, then `mid`, then of `close`. */
static char *nested(const char *prefix, const char *open, size_t n, const char *mid,
                    const char *close, const char *suffix) {
  size_t lo = strlen(open), lc = strlen(close);
  size_t len = strlen(prefix) + n * (lo + lc) + strlen(mid) + strlen(suffix);
  char *s = malloc(len + 1), *p = s;
  assert_non_null(s);
  p += sprintf(p, "%s", prefix);
  for (size_t i = 0; i < n; i++) p += sprintf(p, "%s", open);
  p += sprintf(p, "%s", mid);
  for (size_t i = 0; i < n; i++) p += sprintf(p, "%s", close);
  sprintf(p, "%s", suffix);
  return s;
}

/* ======================================================================
 * Objects, scalars, names
 * ====================================================================== */

static void test_empty_object(void **state) {
  (void)state;
  AllTypes want = ALLTYPES_INIT;
  AllTypes *m = ok(" \t\r\n{ \n } \n");
  assert_int_equal(protobuf_c_message_get_packed_size(&m->base), 0);
  assert_string_equal(m->f_string, "");
  assert_null(m->f_nested);
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE__NOT_SET);
  assert_same_pack(m, &want);
}

static void test_singular_scalars(void **state) {
  (void)state;
  AllTypes *m = ok("{\"fInt32\":-42,\"fInt64\":\"-5000000000\",\"fUint32\":4294967295,"
                   "\"fUint64\":\"18446744073709551615\",\"fSint32\":-7,\"fSint64\":\"-8\","
                   "\"fFixed32\":9,\"fFixed64\":\"10\",\"fSfixed32\":-11,\"fSfixed64\":-12,"
                   "\"fFloat\":1.5,\"fDouble\":-2.25,\"fBool\":true,\"fString\":\"hi\","
                   "\"fBytes\":\"AAEC\",\"fEnum\":\"COLOR_GREEN\",\"fNested\":{\"a\":1,"
                   "\"b\":\"x\",\"child\":{}}}");
  assert_int_equal(m->f_int32, -42);
  assert_true(m->f_int64 == -5000000000LL);
  assert_true(m->f_uint32 == UINT32_MAX);
  assert_true(m->f_uint64 == UINT64_MAX);
  assert_int_equal(m->f_sint32, -7);
  assert_true(m->f_sint64 == -8);
  assert_int_equal(m->f_fixed32, 9);
  assert_true(m->f_fixed64 == 10);
  assert_int_equal(m->f_sfixed32, -11);
  assert_true(m->f_sfixed64 == -12);
  assert_true(m->f_float == 1.5f);
  assert_true(m->f_double == -2.25);
  assert_true(m->f_bool);
  assert_string_equal(m->f_string, "hi");
  assert_int_equal(m->f_bytes.len, 3);
  assert_memory_equal(m->f_bytes.data, "\0\1\2", 3);
  assert_int_equal(m->f_enum, EVREC__TEST__COLOR__COLOR_GREEN);
  assert_int_equal(m->f_nested->a, 1);
  assert_string_equal(m->f_nested->b, "x");
  assert_non_null(m->f_nested->child);
  assert_null(m->f_nested->child->child);

  AllTypes w = ALLTYPES_INIT;
  Evrec__Test__Nested n = EVREC__TEST__NESTED__INIT, c = EVREC__TEST__NESTED__INIT;
  uint8_t bytes[] = {0, 1, 2};
  w.f_int32 = -42, w.f_int64 = -5000000000LL, w.f_uint32 = UINT32_MAX;
  w.f_uint64 = UINT64_MAX, w.f_sint32 = -7, w.f_sint64 = -8, w.f_fixed32 = 9;
  w.f_fixed64 = 10, w.f_sfixed32 = -11, w.f_sfixed64 = -12, w.f_float = 1.5f;
  w.f_double = -2.25, w.f_bool = 1, w.f_string = "hi";
  w.f_bytes.len = 3, w.f_bytes.data = bytes, w.f_enum = EVREC__TEST__COLOR__COLOR_GREEN;
  n.a = 1, n.b = "x", n.child = &c, w.f_nested = &n;
  assert_same_pack(m, &w);
}

static void test_field_names(void **state) {
  (void)state;
  AllTypes *m = ok("{\"f_int32\":1,\"fieldName1X\":2,\"_leading_underscore\":3,"
                   "\"r_string\":[\"a\"],\"mStringString\":{}}");
  assert_int_equal(m->f_int32, 1);
  assert_int_equal(m->field_name_1_x, 2);
  assert_int_equal(m->_leading_underscore, 3);
  assert_int_equal(m->n_r_string, 1);
  m = ok("{\"field_name_1_x\":4,\"LeadingUnderscore\":5}");
  assert_int_equal(m->field_name_1_x, 4);
  assert_int_equal(m->_leading_underscore, 5);
}

/* ======================================================================
 * Integers: exact, ranges, forms
 * ====================================================================== */

static void test_int64_exact(void **state) {
  (void)state;
  AllTypes *m = ok("{\"fInt64\":-9223372036854775808,\"fUint64\":18446744073709551615,"
                   "\"fSint64\":9223372036854775807,\"fSfixed64\":\"-9223372036854775808\","
                   "\"fFixed64\":\"18446744073709551615\"}");
  assert_true(m->f_int64 == INT64_MIN);
  assert_true(m->f_uint64 == UINT64_MAX);
  assert_true(m->f_sint64 == INT64_MAX);
  assert_true(m->f_sfixed64 == INT64_MIN);
  assert_true(m->f_fixed64 == UINT64_MAX);
  /* 2^53 + 1 is not a double: integer literals never pass through one */
  m = ok("{\"fInt64\":9007199254740993,\"fUint64\":\"9007199254740993\","
         "\"rInt64\":[9007199254740993,\"-9007199254740993\"]}");
  assert_true(m->f_int64 == 9007199254740993LL);
  assert_true(m->f_uint64 == 9007199254740993ULL);
  assert_int_equal(m->n_r_int64, 2);
  assert_true(m->r_int64[0] == 9007199254740993LL);
  assert_true(m->r_int64[1] == -9007199254740993LL);
}

static void test_int_exponent_forms(void **state) {
  (void)state;
  AllTypes *m = ok("{\"fInt32\":\"1e2\",\"fUint32\":1.0,\"fSint32\":100.000,"
                   "\"fFixed32\":\"1E+2\",\"fSfixed32\":-0.5e1,\"fInt64\":1e18,"
                   "\"fUint64\":1.8446744073709551615e19,\"fSint64\":\"-0\","
                   "\"fSfixed64\":\"-9223372036854775808.000\",\"fFixed64\":0e999999999999}");
  assert_int_equal(m->f_int32, 100);
  assert_int_equal(m->f_uint32, 1);
  assert_int_equal(m->f_sint32, 100);
  assert_int_equal(m->f_fixed32, 100);
  assert_int_equal(m->f_sfixed32, -5);
  assert_true(m->f_int64 == 1000000000000000000LL);
  assert_true(m->f_uint64 == UINT64_MAX);
  assert_true(m->f_sint64 == 0);
  assert_true(m->f_sfixed64 == INT64_MIN);
  assert_true(m->f_fixed64 == 0);
  /* quoted integers tolerate '+' and leading zeros, like json_format */
  m = ok("{\"fInt32\":\"+7\",\"fUint32\":\"007\",\"fUint64\":\"-0\"}");
  assert_int_equal(m->f_int32, 7);
  assert_int_equal(m->f_uint32, 7);
  assert_true(m->f_uint64 == 0);
}

static void test_int_ranges(void **state) {
  (void)state;
  AllTypes *m = ok("{\"fInt32\":-2147483648,\"fSint32\":2147483647,\"fUint32\":0,"
                   "\"fFixed32\":\"4294967295\",\"fSfixed32\":-2147483648}");
  assert_int_equal(m->f_int32, INT32_MIN);
  assert_int_equal(m->f_sint32, INT32_MAX);
  assert_int_equal(m->f_fixed32, UINT32_MAX);
  assert_int_equal(m->f_sfixed32, INT32_MIN);
  fails("{\"fInt32\":2147483648}", EVREC_E_RANGE, "value 2147483648 out of range for int32", 1, 11,
        "fInt32");
  fails("{\"fSint32\":-2147483649}", EVREC_E_RANGE, "value -2147483649 out of range for sint32", 1,
        12, "fSint32");
  fails("{\"fUint32\":4294967296}", EVREC_E_RANGE, "value 4294967296 out of range for uint32", 1,
        12, "fUint32");
  fails("{\"fFixed32\":-1}", EVREC_E_RANGE, "value -1 out of range for fixed32", 1, 13, "fFixed32");
  fails("{\"fInt64\":\"9223372036854775808\"}", EVREC_E_RANGE,
        "value 9223372036854775808 out of range for int64", 1, 11, "fInt64");
  fails("{\"fUint64\":18446744073709551616}", EVREC_E_RANGE,
        "value 18446744073709551616 out of range for uint64", 1, 12, "fUint64");
  fails("{\"fFixed64\":1e20}", EVREC_E_RANGE, "value 1e20 out of range for fixed64", 1, 13,
        "fFixed64");
  fails("{\"fInt32\":1.5}", EVREC_E_SCHEMA, "value 1.5 for int32 is not an integer", 1, 11,
        "fInt32");
  fails("{\"fInt64\":\"1e-1\"}", EVREC_E_SCHEMA, "value 1e-1 for int64 is not an integer", 1, 11,
        "fInt64");
  fails("{\"fInt32\":\" 1\"}", EVREC_E_SCHEMA, "invalid value \" 1\" for int32", 1, 11, "fInt32");
  fails("{\"fInt32\":\"1 \"}", EVREC_E_SCHEMA, "invalid value \"1 \" for int32", 1, 11, "fInt32");
  fails("{\"fInt32\":true}", EVREC_E_SCHEMA,
        "expected a number or numeric string for int32, got true", 1, 11, "fInt32");
}

/* ======================================================================
 * Floats
 * ====================================================================== */

static void test_floats(void **state) {
  (void)state;
  AllTypes *m = ok("{\"fDouble\":-0.0,\"fFloat\":-0}");
  assert_true(m->f_double == 0 && signbit(m->f_double));
  assert_true(m->f_float == 0 && signbit(m->f_float));
  m = ok("{\"fDouble\":4.9406564584124654e-324,\"fFloat\":1e-45}");
  assert_true(m->f_double == 4.9406564584124654e-324);
  assert_true(fpclassify(m->f_double) == FP_SUBNORMAL);
  assert_true(m->f_float == 1e-45f && fpclassify(m->f_float) == FP_SUBNORMAL);
  m = ok("{\"fDouble\":\"NaN\",\"fFloat\":\"-Infinity\",\"rDouble\":[\"Infinity\",\"1.5\","
         "1e-400,\"-2e+3\"]}");
  assert_true(isnan(m->f_double));
  assert_true(isinf(m->f_float) && m->f_float < 0);
  assert_int_equal(m->n_r_double, 4);
  assert_true(isinf(m->r_double[0]) && m->r_double[0] > 0);
  assert_true(m->r_double[1] == 1.5);
  assert_true(m->r_double[2] == 0);
  assert_true(m->r_double[3] == -2000);
  m = ok("{\"fFloat\":3.4028234e38,\"fDouble\":1.7976931348623157e308}");
  assert_true(m->f_float == FLT_MAX);
  assert_true(m->f_double == DBL_MAX);
  /* above FLT_MAX but rounding to it: Google prints FLT_MAX as 3.4028235e+38 */
  m = ok("{\"fFloat\":3.4028235e+38,\"rFloat\":[\"-3.4028235e38\","
         "3.40282356e38]}");
  assert_true(m->f_float == FLT_MAX);
  assert_true(m->r_float[0] == -FLT_MAX);
  assert_true(m->r_float[1] == FLT_MAX); /* just below FLT_MAX + 2^103 */
  fails("{\"fFloat\":3.4028236e38}", EVREC_E_RANGE, "value 3.4028236e38 out of range for float", 1,
        11, "fFloat"); /* from FLT_MAX + 2^103 on, a float is infinite */
  fails("{\"fDouble\":1e400}", EVREC_E_RANGE, "value 1e400 out of range for double", 1, 12,
        "fDouble");
  fails("{\"fFloat\":3.5e38}", EVREC_E_RANGE, "value 3.5e38 out of range for float", 1, 11,
        "fFloat");
  fails("{\"fFloat\":\"-1e39\"}", EVREC_E_RANGE, "value -1e39 out of range for float", 1, 11,
        "fFloat");
  fails("{\"fDouble\":\"nan\"}", EVREC_E_SCHEMA, "invalid value \"nan\" for double", 1, 12,
        "fDouble");
}

/* Lexemes longer than the decoder's stack buffer still convert exactly. */
static void test_long_number_lexemes(void **state) {
  (void)state;
  char json[1200];
  int n = sprintf(json, "{\"fDouble\":0.");
  for (int i = 0; i < 300; i++) json[n++] = '0';
  n += sprintf(json + n, "1,\"rDouble\":[1");
  for (int i = 0; i < 300; i++) json[n++] = '0';
  n += sprintf(json + n, ".5,\"12345678901234567890123456789012345678901234567890e-49\"]}");
  AllTypes *m = ok(json);
  assert_true(m->f_double == 1e-301);
  assert_true(m->r_double[0] == 1e300);
  assert_true(m->r_double[1] == 1.2345678901234567890);
  /* and integers spelled with many zeros stay exact */
  n = sprintf(json, "{\"fUint64\":\"18446744073709551615");
  n += sprintf(json + n, ".");
  for (int i = 0; i < 500; i++) json[n++] = '0';
  n += sprintf(json + n, "\",\"fInt64\":0.");
  for (int i = 0; i < 500; i++) json[n++] = '0';
  sprintf(json + n, "5e501}");
  m = ok(json);
  assert_true(m->f_uint64 == UINT64_MAX);
  assert_true(m->f_int64 == 5);
}

/* A host program may set a locale whose decimal point is ','; strtod must
 * still read '.'. Runs when such a locale is installed (or LOCPATH finds one). */
static void test_locale_decimal_comma(void **state) {
  (void)state;
  const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE"};
  const char *set = NULL;
  for (size_t i = 0; i < sizeof names / sizeof names[0] && !set; i++)
    set = setlocale(LC_NUMERIC, names[i]);
  if (!set || strcmp(localeconv()->decimal_point, ",") != 0) {
    setlocale(LC_NUMERIC, "C");
    skip();
  }
  assert_true(strtod("1.25", NULL) == 1.0); /* the locale really bites */
  AllTypes *m = ok("{\"fDouble\":1.25,\"fFloat\":\"-0.5\",\"rDouble\":[2.5e1]}");
  setlocale(LC_NUMERIC, "C");
  assert_true(m->f_double == 1.25);
  assert_true(m->f_float == -0.5f);
  assert_true(m->r_double[0] == 25);
}

/* ======================================================================
 * Strings, bytes, UTF-8
 * ====================================================================== */

static void test_string_escapes(void **state) {
  (void)state;
  AllTypes *m = ok("{\"fString\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20AC\","
                   "\"rString\":[\"\\ud83d\\ude00\",\"\",\"plain text, longer than 8 bytes\","
                   "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 and more ascii after\"]}");
  assert_string_equal(m->f_string, "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xe2\x82\xac");
  assert_int_equal(m->n_r_string, 4);
  assert_string_equal(m->r_string[0], "\xf0\x9f\x98\x80"); /* U+1F600 */
  assert_string_equal(m->r_string[1], "");
  assert_string_equal(m->r_string[2], "plain text, longer than 8 bytes");
  assert_string_equal(m->r_string[3],
                      "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 and more ascii after");
  /* escapes in keys and in enum names resolve like plain text */
  m = ok("{\"f\\u0049nt32\":3,\"fEnum\":\"COLOR_\\u0052ED\"}");
  assert_int_equal(m->f_int32, 3);
  assert_int_equal(m->f_enum, EVREC__TEST__COLOR__COLOR_RED);
}

static void test_bytes_base64(void **state) {
  (void)state;
  AllTypes *m = ok("{\"rBytes\":[\"YWJj\",\"YWI=\",\"YWI\",\"YQ==\",\"YQ\",\"\","
                   "\"-_-_\",\"+/+/\",\"AA==\"],\"fBytes\":\"SGVsbG8sIFdvcmxkIQ\"}");
  static const struct {
    const char *data;
    size_t len;
  } want[] = {{"abc", 3}, {"ab", 2},           {"ab", 2},           {"a", 1}, {"a", 1},
              {"", 0},    {"\xfb\xff\xbf", 3}, {"\xfb\xff\xbf", 3}, {"\0", 1}};
  assert_int_equal(m->n_r_bytes, 9);
  for (size_t i = 0; i < 9; i++) {
    assert_int_equal(m->r_bytes[i].len, want[i].len);
    if (want[i].len) assert_memory_equal(m->r_bytes[i].data, want[i].data, want[i].len);
  }
  assert_int_equal(m->f_bytes.len, 13);
  assert_memory_equal(m->f_bytes.data, "Hello, World!", 13);
  fails("{\"fBytes\":\"Y\"}", EVREC_E_SCHEMA, "invalid base64 in bytes value", 1, 11, "fBytes");
  fails("{\"fBytes\":\"YQ==YQ==\"}", EVREC_E_SCHEMA, "invalid base64 in bytes value", 1, 11,
        "fBytes");
  fails("{\"fBytes\":\"Y Q\"}", EVREC_E_SCHEMA, "invalid base64 in bytes value", 1, 11, "fBytes");
}

static void test_invalid_utf8(void **state) {
  (void)state;
  fails("{\"fString\":\"ab\xff\"}", EVREC_E_UTF8, "invalid UTF-8 (byte 0xFF) in string", 1, 15,
        "fString");
  fails("{\"fString\":\"\xc3\xa9\xc3(\"}", EVREC_E_UTF8, "invalid UTF-8 (byte 0xC3) in string", 1,
        15, "fString");
  fails("{\"fString\":\"\xed\xa0\x80\"}", EVREC_E_UTF8, /* CESU surrogate */
        "invalid UTF-8 (byte 0xED) in string", 1, 13, "fString");
  fails("{\"fString\":\"\xc0\xaf\"}", EVREC_E_UTF8, /* overlong '/' */
        "invalid UTF-8 (byte 0xC0) in string", 1, 13, "fString");
  fails("{\n\"rString\":[\"ok\",\n  \"0123456789abc\xf4\x90\x80\x80\"]}", EVREC_E_UTF8,
        "invalid UTF-8 (byte 0xF4) in string", 3, 17, "rString[1]");
  fails("{\"f\xe9\":1}", EVREC_E_UTF8, "invalid UTF-8 (byte 0xE9) in string", 1, 4, "");
  fails("{\"fString\":\"\\ud800\"}", EVREC_E_UTF8, "unpaired UTF-16 surrogate \\uD800 in string", 1,
        13, "fString");
  fails("{\"fString\":\"\\ude00\\ud83d\"}", EVREC_E_UTF8,
        "unpaired UTF-16 surrogate \\uDE00 in string", 1, 13, "fString");
  fails("{\"fString\":\"\\ud83d\\u0041\"}", EVREC_E_UTF8,
        "unpaired UTF-16 surrogate \\uD83D in string", 1, 13, "fString");
}

/* ======================================================================
 * Enums
 * ====================================================================== */

static void test_enums(void **state) {
  (void)state;
  AllTypes *m = ok("{\"fEnum\":\"COLOR_BLUE\",\"rEnum\":[\"COLOR_RED\",2,-3,99,\"7\","
                   "\"COLOR_UNSPECIFIED\",-2147483648],\"oEnum\":0}");
  assert_int_equal(m->f_enum, EVREC__TEST__COLOR__COLOR_BLUE);
  assert_int_equal(m->n_r_enum, 7);
  int want[] = {1, 2, -3, 99, 7, 0, INT32_MIN};
  for (int i = 0; i < 7; i++) assert_int_equal(m->r_enum[i], want[i]);
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE_O_ENUM);
  assert_int_equal(m->o_enum, 0);
  fails("{\"fEnum\":\"COLOR_PURPLE\"}", EVREC_E_SCHEMA,
        "invalid value \"COLOR_PURPLE\" for enum evrec.test.Color", 1, 10, "fEnum");
  fails("{\"fEnum\":\"color_red\"}", EVREC_E_SCHEMA,
        "invalid value \"color_red\" for enum evrec.test.Color", 1, 10, "fEnum");
  fails("{\"fEnum\":2147483648}", EVREC_E_RANGE,
        "value 2147483648 out of range for evrec.test.Color", 1, 10, "fEnum");
  fails("{\"fEnum\":true}", EVREC_E_SCHEMA,
        "expected a name or number for evrec.test.Color, got true", 1, 10, "fEnum");
}

/* ======================================================================
 * Repeated, maps, oneof, null
 * ====================================================================== */

static void test_repeated(void **state) {
  (void)state;
  AllTypes *m = ok("{\"rInt32\":[1,-2,3,4,5,6,7,8,9,10],\"rUint32\":[],\"rSint32\":[-1],"
                   "\"rFixed32\":[1,2],\"rSfixed32\":[-3],\"rUint64\":[\"1\"],"
                   "\"rSint64\":[-1],\"rFixed64\":[2],\"rSfixed64\":[\"-3\"],"
                   "\"rFloat\":[0.5],\"rBool\":[true,false,true],"
                   "\"rNested\":[{\"a\":1},{},{\"b\":\"z\"}]}");
  assert_int_equal(m->n_r_int32, 10);
  for (int i = 0; i < 10; i++) assert_int_equal(m->r_int32[i], i == 1 ? -2 : i + 1);
  assert_int_equal(m->n_r_uint32, 0);
  assert_int_equal(m->n_r_bool, 3);
  assert_true(m->r_bool[0] && !m->r_bool[1] && m->r_bool[2]);
  assert_int_equal(m->n_r_nested, 3);
  assert_int_equal(m->r_nested[0]->a, 1);
  assert_string_equal(m->r_nested[2]->b, "z");

  AllTypes w = ALLTYPES_INIT;
  int32_t ri[] = {1, -2, 3, 4, 5, 6, 7, 8, 9, 10}, rs[] = {-1}, rsf[] = {-3};
  uint32_t rf[] = {1, 2};
  uint64_t ru64[] = {1}, rf64[] = {2};
  int64_t rs64[] = {-1}, rsf64[] = {-3};
  float rfl[] = {0.5f};
  protobuf_c_boolean rb[] = {1, 0, 1};
  Evrec__Test__Nested n0 = EVREC__TEST__NESTED__INIT, n1 = EVREC__TEST__NESTED__INIT,
                      n2 = EVREC__TEST__NESTED__INIT, *rn[] = {&n0, &n1, &n2};
  n0.a = 1, n2.b = "z";
  w.n_r_int32 = 10, w.r_int32 = ri, w.n_r_sint32 = 1, w.r_sint32 = rs;
  w.n_r_fixed32 = 2, w.r_fixed32 = rf, w.n_r_sfixed32 = 1, w.r_sfixed32 = rsf;
  w.n_r_uint64 = 1, w.r_uint64 = ru64, w.n_r_sint64 = 1, w.r_sint64 = rs64;
  w.n_r_fixed64 = 1, w.r_fixed64 = rf64, w.n_r_sfixed64 = 1, w.r_sfixed64 = rsf64;
  w.n_r_float = 1, w.r_float = rfl, w.n_r_bool = 3, w.r_bool = rb;
  w.n_r_nested = 3, w.r_nested = rn;
  assert_same_pack(m, &w);
  /* large arrays grow in the arena */
  char json[20000];
  int p = sprintf(json, "{\"rInt64\":[");
  for (int i = 0; i < 2000; i++) p += sprintf(json + p, "%s%d", i ? "," : "", i * 3);
  sprintf(json + p, "]}");
  m = ok(json);
  assert_int_equal(m->n_r_int64, 2000);
  for (int i = 0; i < 2000; i++) assert_true(m->r_int64[i] == i * 3);
}

static void test_maps(void **state) {
  (void)state;
  AllTypes *m = ok("{\"mStringString\":{\"k\":\"v\",\"\":\"empty\",\"\\u00e9\":\"\"},"
                   "\"mInt32Int32\":{\"-5\":1,\"2147483647\":-2},"
                   "\"mInt64Int64\":{\"-9223372036854775808\":\"9223372036854775807\"},"
                   "\"mUint32Uint32\":{\"4294967295\":1},"
                   "\"mUint64Uint64\":{\"18446744073709551615\":\"18446744073709551615\"},"
                   "\"mSint32Double\":{\"-1\":\"NaN\"},\"mSint64Float\":{\"3\":1.5},"
                   "\"mFixed32Bool\":{\"7\":true},\"mFixed64Bytes\":{\"8\":\"YWJj\"},"
                   "\"mSfixed32Enum\":{\"9\":\"COLOR_BLUE\",\"10\":5},"
                   "\"mSfixed64Nested\":{\"-11\":{\"a\":1}},"
                   "\"mBoolString\":{\"true\":\"t\",\"false\":\"f\"},"
                   "\"mStringNested\":{\"n\":{}},\"mStringValue\":{\"v\":null,\"w\":[1]}}");
  assert_int_equal(m->n_m_string_string, 3);
  assert_string_equal(m->m_string_string[0]->key, "k");
  assert_string_equal(m->m_string_string[0]->value, "v");
  assert_string_equal(m->m_string_string[1]->key, "");
  assert_string_equal(m->m_string_string[2]->key, "\xc3\xa9");
  assert_int_equal(m->m_int32_int32[0]->key, -5);
  assert_int_equal(m->m_int32_int32[1]->key, INT32_MAX);
  assert_int_equal(m->m_int32_int32[1]->value, -2);
  assert_true(m->m_int64_int64[0]->key == INT64_MIN);
  assert_true(m->m_int64_int64[0]->value == INT64_MAX);
  assert_true(m->m_uint32_uint32[0]->key == UINT32_MAX);
  assert_true(m->m_uint64_uint64[0]->key == UINT64_MAX);
  assert_true(isnan(m->m_sint32_double[0]->value));
  assert_true(m->m_sint64_float[0]->value == 1.5f);
  assert_true(m->m_fixed32_bool[0]->value);
  assert_memory_equal(m->m_fixed64_bytes[0]->value.data, "abc", 3);
  assert_int_equal(m->m_sfixed32_enum[0]->value, -3);
  assert_int_equal(m->m_sfixed32_enum[1]->value, 5);
  assert_true(m->m_sfixed64_nested[0]->key == -11);
  assert_int_equal(m->m_sfixed64_nested[0]->value->a, 1);
  assert_true(m->m_bool_string[0]->key && !m->m_bool_string[1]->key);
  assert_non_null(m->m_string_nested[0]->value);
  assert_int_equal(m->m_string_value[0]->value->kind_case,
                   GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
  assert_int_equal(m->m_string_value[1]->value->kind_case,
                   GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE);

  AllTypes w = ALLTYPES_INIT;
  Evrec__Test__AllTypes__MInt32Int32Entry e1 = EVREC__TEST__ALL_TYPES__MINT32_INT32_ENTRY__INIT,
                                          e2 = EVREC__TEST__ALL_TYPES__MINT32_INT32_ENTRY__INIT,
                                          *es[] = {&e1, &e2};
  AllTypes *m2 = ok("{\"mInt32Int32\":{\"-5\":1,\"2147483647\":-2}}");
  e1.key = -5, e1.value = 1, e2.key = INT32_MAX, e2.value = -2;
  w.n_m_int32_int32 = 2, w.m_int32_int32 = es;
  assert_same_pack(m2, &w);
}

static void test_oneof(void **state) {
  (void)state;
  AllTypes *m = ok("{\"oString\":\"x\"}");
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE_O_STRING);
  assert_string_equal(m->o_string, "x");
  m = ok("{\"oUint32\":0}"); /* a default value still selects the member */
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE_O_UINT32);
  AllTypes w = ALLTYPES_INIT;
  w.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_UINT32;
  assert_same_pack(m, &w);
  /* an empty string member is still set, and packed (protobuf-c skips it
   * when it points at protobuf_c_empty_string) */
  m = ok("{\"oString\":\"\"}");
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE_O_STRING);
  assert_string_equal(m->o_string, "");
  assert_int_equal(protobuf_c_message_get_packed_size(&m->base), 3);
  w.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_STRING;
  w.o_string = (char *)"";
  assert_same_pack(m, &w);
  m = ok("{\"wValue\":\"\"}");
  assert_int_equal(m->w_value->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE);
  assert_int_equal(protobuf_c_message_get_packed_size(&m->base), 5);
  m = ok("{\"oNested\":{\"a\":2}}");
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE_O_NESTED);
  assert_int_equal(m->o_nested->a, 2);
  m = ok("{\"oBytes\":\"YQ\"}");
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE_O_BYTES);
  assert_int_equal(m->o_bytes.len, 1);
  /* null members do not count as set (json_format) */
  m = ok("{\"oUint32\":null,\"oString\":\"y\",\"oNested\":null}");
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE_O_STRING);
  assert_string_equal(m->o_string, "y");
  /* ... but a NullValue member given null is NULL_VALUE and selects itself */
  m = ok("{\"oNull\":null}");
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE_O_NULL);
  w.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_NULL;
  w.o_string = NULL; /* clears the union */
  w.o_null = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
  assert_same_pack(m, &w);
  m = ok("{\"oNull\":null,\"oEnum\":\"COLOR_RED\"}");
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE_O_ENUM);
  m = ok("{\"oEnum\":\"COLOR_RED\",\"oNull\":null}");
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE_O_NULL);
  fails("{\"oUint32\":1,\n \"oString\":\"x\"}", EVREC_E_SCHEMA,
        "fields \"oUint32\" and \"oString\" belong to the same oneof", 2, 2, "");
}

static void test_null(void **state) {
  (void)state;
  AllTypes *m = ok("{\"fInt32\":null,\"fString\":null,\"fNested\":null,\"rInt32\":null,"
                   "\"mStringString\":null,\"wAny\":null,\"wInt32\":null,\"wTimestamp\":null,"
                   "\"wStruct\":null,\"wListValue\":null,\"fEnum\":null,\"wNull\":null}");
  assert_int_equal(protobuf_c_message_get_packed_size(&m->base), 0);
  assert_null(m->f_nested);
  assert_null(m->w_struct);
  /* a Value field holds JSON null as a Value */
  m = ok("{\"wValue\":null}");
  assert_non_null(m->w_value);
  assert_int_equal(m->w_value->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
  AllTypes w = ALLTYPES_INIT;
  Google__Protobuf__Value v = GOOGLE__PROTOBUF__VALUE__INIT;
  v.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
  w.w_value = &v;
  assert_same_pack(m, &w);
  m = ok("{\"rwValue\":[null,1]}");
  assert_int_equal(m->n_rw_value, 2);
  assert_int_equal(m->rw_value[0]->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
  m = ok("{\"wNull\":\"NULL_VALUE\"}");
  assert_int_equal(m->w_null, 0);
  fails("{\"rInt32\":[1,null]}", EVREC_E_SCHEMA, "null is not allowed in a repeated field", 1, 14,
        "rInt32[1]");
  fails("{\"rwInt32\":[null]}", EVREC_E_SCHEMA, "null is not allowed in a repeated field", 1, 13,
        "rwInt32[0]");
  fails("{\"mInt32Int32\":{\"1\":null}}", EVREC_E_SCHEMA, "null is not allowed as a map value", 1,
        21, "mInt32Int32[\"1\"]");
}

/* ======================================================================
 * Well-known types
 * ====================================================================== */

static void test_wkt_timestamp(void **state) {
  (void)state;
  static const struct {
    const char *json;
    int64_t secs;
    int32_t nanos;
  } cases[] = {
      {"\"1972-01-01T10:00:20.021Z\"", 63108020, 21000000},
      {"\"1970-01-01T00:00:00Z\"", 0, 0},
      {"\"1969-12-31T23:59:59.5Z\"", -1, 500000000},
      {"\"1970-01-01T05:30:00+05:30\"", 0, 0},
      {"\"1969-12-31T16:00:00.000000001-08:00\"", 0, 1},
      {"\"0001-01-01T00:00:00Z\"", -62135596800LL, 0},
      {"\"9999-12-31T23:59:59.999999999Z\"", 253402300799LL, 999999999},
      {"\"2000-02-29T12:00:00.1Z\"", 951825600, 100000000},
      {"\"2024-02-29T00:00:00.123456Z\"", 1709164800, 123456000},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char json[128];
    snprintf(json, sizeof json, "{\"wTimestamp\":%s,\"rwTimestamp\":[%s]}", cases[i].json,
             cases[i].json);
    AllTypes *m = ok(json);
    assert_true(m->w_timestamp->seconds == cases[i].secs);
    assert_int_equal(m->w_timestamp->nanos, cases[i].nanos);
    assert_true(m->rw_timestamp[0]->seconds == cases[i].secs);
  }
  const char *bad[] = {"1972-01-01t10:00:20Z",
                       "1972-01-01T10:00:20z",
                       "1972-1-01T10:00:20Z",
                       "1972-01-01T10:00:20.Z",
                       "1972-01-01T10:00:20.1234567891Z",
                       "1972-01-01T10:00:20",
                       "1972-01-01T24:00:00Z",
                       "1972-01-01T23:59:60Z",
                       "1900-02-29T00:00:00Z",
                       "2001-04-31T00:00:00Z",
                       "0000-01-01T00:00:00Z",
                       "1972-01-01T10:00:20+0530",
                       "1972-01-01T10:00:20+24:00",
                       "1972-01-01 10:00:20Z",
                       ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char json[128], msg[256];
    snprintf(json, sizeof json, "{\"wTimestamp\":\"%s\"}", bad[i]);
    snprintf(msg, sizeof msg,
             "invalid Timestamp \"%s\" (expected RFC 3339 like \"1972-01-01T10:00:20.021Z\")",
             bad[i]);
    fails(json, EVREC_E_SCHEMA, msg, 1, 15, "wTimestamp");
  }
  fails("{\"wTimestamp\":\"0001-01-01T00:00:00+00:01\"}", EVREC_E_RANGE,
        "Timestamp \"0001-01-01T00:00:00+00:01\" out of range (years 0001 to 9999 in UTC)", 1, 15,
        "wTimestamp");
  fails("{\"wTimestamp\":\"9999-12-31T23:59:59-00:01\"}", EVREC_E_RANGE,
        "Timestamp \"9999-12-31T23:59:59-00:01\" out of range (years 0001 to 9999 in UTC)", 1, 15,
        "wTimestamp");
  fails("{\"wTimestamp\":1}", EVREC_E_SCHEMA,
        "expected a string for google.protobuf.Timestamp, got a number", 1, 15, "wTimestamp");
}

static void test_wkt_duration(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t secs;
    int32_t nanos;
  } cases[] = {{"1.5s", 1, 500000000},
               {"-0.000000001s", 0, -1},
               {"-1s", -1, 0},
               {"0s", 0, 0},
               {"01s", 1, 0},
               {"315576000000s", 315576000000LL, 0},
               {"-315576000000.999999999s", -315576000000LL, -999999999},
               {"3.000001s", 3, 1000}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char json[128];
    snprintf(json, sizeof json, "{\"wDuration\":\"%s\"}", cases[i].s);
    AllTypes *m = ok(json);
    assert_true(m->w_duration->seconds == cases[i].secs);
    assert_int_equal(m->w_duration->nanos, cases[i].nanos);
  }
  const char *bad[] = {"1",  "s",    "-s",   "1.s",   ".5s", "+1s", " 1s", "1.1234567891s",
                       "1S", "1e3s", "--1s", "1.5.5s"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char json[128], msg[256];
    snprintf(json, sizeof json, "{\"wDuration\":\"%s\"}", bad[i]);
    snprintf(msg, sizeof msg,
             "invalid Duration \"%s\" (expected seconds like \"1.5s\" or \"-0.000000001s\")",
             bad[i]);
    fails(json, EVREC_E_SCHEMA, msg, 1, 14, "wDuration");
  }
  fails("{\"wDuration\":\"315576000001s\"}", EVREC_E_RANGE,
        "Duration \"315576000001s\" out of range (at most 315576000000 seconds)", 1, 14,
        "wDuration");
  fails("{\"wDuration\":\"-99999999999999999999999s\"}", EVREC_E_RANGE,
        "Duration \"-99999999999999999999999s\" out of range (at most 315576000000 seconds)", 1, 14,
        "wDuration");
}

static void test_wkt_wrappers(void **state) {
  (void)state;
  AllTypes *m = ok("{\"wDouble\":1.5,\"wFloat\":\"-Infinity\",\"wInt64\":\"-9223372036854775808\","
                   "\"wUint64\":18446744073709551615,\"wInt32\":\"1e1\",\"wUint32\":0,"
                   "\"wBool\":false,\"wString\":\"\",\"wBytes\":\"YWJj\","
                   "\"rwInt32\":[1,\"2\"]}");
  assert_true(m->w_double->value == 1.5);
  assert_true(isinf(m->w_float->value));
  assert_true(m->w_int64->value == INT64_MIN);
  assert_true(m->w_uint64->value == UINT64_MAX);
  assert_int_equal(m->w_int32->value, 10);
  assert_int_equal(m->w_uint32->value, 0);
  assert_false(m->w_bool->value);
  assert_string_equal(m->w_string->value, "");
  assert_memory_equal(m->w_bytes->value.data, "abc", 3);
  assert_int_equal(m->n_rw_int32, 2);
  assert_int_equal(m->rw_int32[1]->value, 2);
  /* a present wrapper holding its default packs as an empty message */
  m = ok("{\"wUint32\":0,\"wBool\":false}");
  AllTypes w = ALLTYPES_INIT;
  Google__Protobuf__UInt32Value u = GOOGLE__PROTOBUF__UINT32_VALUE__INIT;
  Google__Protobuf__BoolValue b = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
  w.w_uint32 = &u, w.w_bool = &b;
  assert_same_pack(m, &w);
  fails("{\"wInt64\":{\"value\":1}}", EVREC_E_SCHEMA,
        "expected a number or numeric string for int64, got an object", 1, 11, "wInt64");
  fails("{\"wBool\":\"true\"}", EVREC_E_SCHEMA, "expected true or false for bool, got a string", 1,
        10, "wBool");
}

static void test_wkt_struct_value_list(void **state) {
  (void)state;
  AllTypes *m = ok("{\"wStruct\":{\"a\":1,\"b\":[true,null,\"s\",{\"c\":{}}],\"d\":null},"
                   "\"wValue\":-2.5,\"wListValue\":[[],{},\"x\"]}");
  Google__Protobuf__Struct *s = m->w_struct;
  assert_int_equal(s->n_fields, 3);
  assert_string_equal(s->fields[0]->key, "a");
  assert_int_equal(s->fields[0]->value->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE);
  assert_true(s->fields[0]->value->number_value == 1);
  Google__Protobuf__ListValue *l = s->fields[1]->value->list_value;
  assert_int_equal(l->n_values, 4);
  assert_int_equal(l->values[0]->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE);
  assert_true(l->values[0]->bool_value);
  assert_int_equal(l->values[1]->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
  assert_string_equal(l->values[2]->string_value, "s");
  assert_int_equal(l->values[3]->struct_value->n_fields, 1);
  assert_int_equal(l->values[3]->struct_value->fields[0]->value->struct_value->n_fields, 0);
  assert_int_equal(s->fields[2]->value->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
  assert_true(m->w_value->number_value == -2.5);
  assert_int_equal(m->w_list_value->n_values, 3);
  assert_int_equal(m->w_list_value->values[0]->list_value->n_values, 0);
  assert_int_equal(m->w_list_value->values[1]->kind_case,
                   GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE);

  /* independent construction of {"wStruct":{"k":"v"},"wValue":true} */
  m = ok("{\"wStruct\":{\"k\":\"v\"},\"wValue\":true}");
  AllTypes w = ALLTYPES_INIT;
  Google__Protobuf__Struct st = GOOGLE__PROTOBUF__STRUCT__INIT;
  Google__Protobuf__Struct__FieldsEntry fe = GOOGLE__PROTOBUF__STRUCT__FIELDS_ENTRY__INIT,
                                        *fes[] = {&fe};
  Google__Protobuf__Value v1 = GOOGLE__PROTOBUF__VALUE__INIT, v2 = GOOGLE__PROTOBUF__VALUE__INIT;
  v1.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE, v1.string_value = "v";
  v2.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE, v2.bool_value = 1;
  fe.key = "k", fe.value = &v1, st.n_fields = 1, st.fields = fes;
  w.w_struct = &st, w.w_value = &v2;
  assert_same_pack(m, &w);

  fails("{\"wStruct\":{\"a\":1,\"a\":2}}", EVREC_E_SCHEMA, "duplicate key \"a\"", 1, 19, "wStruct");
  fails("{\"wStruct\":[]}", EVREC_E_SCHEMA,
        "expected an object for google.protobuf.Struct, got an array", 1, 12, "wStruct");
  fails("{\"wListValue\":{}}", EVREC_E_SCHEMA,
        "expected an array for google.protobuf.ListValue, got an object", 1, 15, "wListValue");
  fails("{\"wValue\":{\"a\":[1,1e999]}}", EVREC_E_RANGE,
        "value 1e999 out of range for google.protobuf.Value", 1, 19, "wValue[\"a\"][1]");
}

static void test_wkt_fieldmask_empty(void **state) {
  (void)state;
  AllTypes *m = ok("{\"wFieldMask\":\"fooBar,baz.quxQuux,a\"}");
  assert_int_equal(m->w_field_mask->n_paths, 3);
  assert_string_equal(m->w_field_mask->paths[0], "foo_bar");
  assert_string_equal(m->w_field_mask->paths[1], "baz.qux_quux");
  assert_string_equal(m->w_field_mask->paths[2], "a");
  m = ok("{\"wFieldMask\":\"\",\"wEmpty\":{}}");
  assert_int_equal(m->w_field_mask->n_paths, 0);
  assert_non_null(m->w_empty);
  AllTypes w = ALLTYPES_INIT;
  Google__Protobuf__FieldMask fm = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
  Google__Protobuf__Empty em = GOOGLE__PROTOBUF__EMPTY__INIT;
  w.w_field_mask = &fm, w.w_empty = &em;
  assert_same_pack(m, &w);
  fails("{\"wFieldMask\":\"foo_bar\"}", EVREC_E_SCHEMA,
        "invalid FieldMask path \"foo_bar\" ('_' is not allowed in JSON paths)", 1, 15,
        "wFieldMask");
  fails("{\"wFieldMask\":\"a,,b\"}", EVREC_E_SCHEMA, "invalid FieldMask: empty path", 1, 15,
        "wFieldMask");
  fails("{\"wFieldMask\":\"a,\"}", EVREC_E_SCHEMA, "invalid FieldMask: empty path", 1, 15,
        "wFieldMask");
  fails("{\"wEmpty\":{\"x\":1}}", EVREC_E_SCHEMA, "unknown field \"x\" in google.protobuf.Empty", 1,
        12, "wEmpty");
  fails("{\"wEmpty\":[]}", EVREC_E_SCHEMA,
        "expected an object for google.protobuf.Empty, got an array", 1, 11, "wEmpty");
}

/* Unpacks an Any's value as `desc`. */
static ProtobufCMessage *any_payload(const Google__Protobuf__Any *a,
                                     const ProtobufCMessageDescriptor *desc) {
  ProtobufCMessage *p =
      protobuf_c_message_unpack(desc, evrec_arena_allocator(g_arena), a->value.len, a->value.data);
  assert_non_null(p);
  return p;
}

static void test_wkt_any(void **state) {
  (void)state;
  /* "@type" first, last, and in the middle give the same message */
  const char *forms[] = {
      "{\"wAny\":{\"@type\":\"type.googleapis.com/evrec.test.Nested\",\"a\":5,\"b\":\"x\"}}",
      "{\"wAny\":{\"a\":5,\"b\":\"x\",\"@type\":\"type.googleapis.com/evrec.test.Nested\"}}",
      "{\"wAny\":{\"a\":5,\"@type\":\"type.googleapis.com/evrec.test.Nested\",\"b\":\"x\"}}"};
  for (size_t i = 0; i < 3; i++) {
    AllTypes *m = ok(forms[i]);
    assert_string_equal(m->w_any->type_url, "type.googleapis.com/evrec.test.Nested");
    Evrec__Test__Nested *n =
        (Evrec__Test__Nested *)any_payload(m->w_any, &evrec__test__nested__descriptor);
    assert_int_equal(n->a, 5);
    assert_string_equal(n->b, "x");
    AllTypes w = ALLTYPES_INIT;
    Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
    Evrec__Test__Nested nn = EVREC__TEST__NESTED__INIT;
    nn.a = 5, nn.b = "x";
    size_t len;
    uint8_t *bytes = pack(&nn.base, &len);
    any.type_url = "type.googleapis.com/evrec.test.Nested";
    any.value.len = len, any.value.data = bytes;
    w.w_any = &any;
    assert_same_pack(m, &w);
    free(bytes);
  }
  /* well-known payloads use "value"; Any nests; {} is an empty Any */
  AllTypes *m = ok("{\"rwAny\":[{\"@type\":\"type.googleapis.com/google.protobuf.Duration\","
                   "\"value\":\"1.5s\"},{\"value\":{\"k\":[1]},\"@type\":"
                   "\"x/google.protobuf.Struct\"},{\"@type\":\"t/google.protobuf.Any\","
                   "\"value\":{\"@type\":\"t/google.protobuf.Int32Value\",\"value\":\"7\"}},"
                   "{},{\"@type\":\"t/google.protobuf.Empty\"}]}");
  assert_int_equal(m->n_rw_any, 5);
  Google__Protobuf__Duration *du = (Google__Protobuf__Duration *)any_payload(
      m->rw_any[0], &google__protobuf__duration__descriptor);
  assert_true(du->seconds == 1 && du->nanos == 500000000);
  Google__Protobuf__Struct *st =
      (Google__Protobuf__Struct *)any_payload(m->rw_any[1], &google__protobuf__struct__descriptor);
  assert_string_equal(st->fields[0]->key, "k");
  Google__Protobuf__Any *inner =
      (Google__Protobuf__Any *)any_payload(m->rw_any[2], &google__protobuf__any__descriptor);
  assert_string_equal(inner->type_url, "t/google.protobuf.Int32Value");
  Google__Protobuf__Int32Value *i32 = (Google__Protobuf__Int32Value *)any_payload(
      inner, &google__protobuf__int32_value__descriptor);
  assert_int_equal(i32->value, 7);
  assert_string_equal(m->rw_any[3]->type_url, "");
  assert_int_equal(m->rw_any[3]->value.len, 0);
  assert_string_equal(m->rw_any[4]->type_url, "t/google.protobuf.Empty");
  assert_int_equal(m->rw_any[4]->value.len, 0);
  /* an AllTypes payload with its own nested Any */
  m = ok("{\"wAny\":{\"fInt32\":3,\"@type\":\"type.googleapis.com/evrec.test.AllTypes\","
         "\"wAny\":{\"@type\":\"type.googleapis.com/evrec.test.Nested\",\"a\":9}}}");
  AllTypes *p = (AllTypes *)any_payload(m->w_any, ALLTYPES_DESC);
  assert_int_equal(p->f_int32, 3);
  assert_int_equal(
      ((Evrec__Test__Nested *)any_payload(p->w_any, &evrec__test__nested__descriptor))->a, 9);

  fails("{\"wAny\":{\"a\":1}}", EVREC_E_SCHEMA, "missing \"@type\" in google.protobuf.Any", 1, 9,
        "wAny");
  fails("{\"wAny\":{\"@type\":\"t/evrec.test.Nope\"}}", EVREC_E_UNSUPPORTED,
        "unknown Any type \"t/evrec.test.Nope\"", 1, 18, "wAny");
  /* a NUL after a whole type name: no read past the name's end */
  fails("{\"wAny\":{\"@type\":\"t/google.protobuf.Empty\\u0000xyzxyzxyzxyzxyzxyzxyzxyzxyz\"}}",
        EVREC_E_UNSUPPORTED,
        "unknown Any type \"t/google.protobuf.Empty\\u0000xyzxyzxyzxyzxyzxyzx...\"", 1, 18,
        "wAny");
  fails("{\"wAny\":{\"@type\":\"t/google.protobuf.Duration\"}}", EVREC_E_SCHEMA,
        "missing \"value\" in google.protobuf.Any of type google.protobuf.Duration", 1, 9, "wAny");
  fails("{\"wAny\":{\"@type\":\"t/evrec.test.Nested\",\"@type\":\"t/evrec.test.Nested\"}}",
        EVREC_E_SCHEMA, "duplicate key \"@type\"", 1, 40, "wAny");
  fails("{\"wAny\":{\"a\":1,\"@type\":\"t/evrec.test.Nested\",\"@type\":\"t/x\"}}", EVREC_E_SCHEMA,
        "duplicate key \"@type\"", 1, 46, "wAny");
  fails("{\"wAny\":{\"@type\":5}}", EVREC_E_SCHEMA, "expected a string for \"@type\", got a number",
        1, 18, "wAny");
  fails("{\"wAny\":{\"@type\":\"t/evrec.test.Nested\",\"a\":\"x\"}}", EVREC_E_SCHEMA,
        "invalid value \"x\" for int32", 1, 44, "wAny.a");
  fails("{\"wAny\":{\"@type\":\"t/google.protobuf.Timestamp\",\"value\":\"x\"}}", EVREC_E_SCHEMA,
        "invalid Timestamp \"x\" (expected RFC 3339 like \"1972-01-01T10:00:20.021Z\")", 1, 56,
        "wAny.value");
}

/* ======================================================================
 * Limits, options, streaming
 * ====================================================================== */

static void test_depth_limit(void **state) {
  (void)state;
  evrec_error err;
  /* json_format counts the root as 1: 99 nested messages pass, 100 fail */
  char *s = nested("", "{\"recursive\":", 99, "{}", "}", "");
  assert_non_null(decode_flags(s, 0, &err));
  free(s);
  s = nested("", "{\"recursive\":", 100, "{}", "}", "");
  fails(s, EVREC_E_LIMIT, "message nesting exceeds the limit of 100 (max_depth)", 1, 1301,
        long_path("recursive", ".recursive", 99));
  free(s);
  /* wrappers count too */
  s = nested("", "{\"recursive\":", 99, "{\"wInt32\":1}", "}", "");
  assert_null(decode_flags(s, 0, &err));
  assert_int_equal(err.code, EVREC_E_LIMIT);
  free(s);
  /* a custom limit */
  evrec_json_decode_options o = EVREC_JSON_DECODE_OPTIONS_INIT;
  ProtobufCMessage *m;
  o.max_depth = 3;
  const char *j3 = "{\"recursive\":{\"fNested\":{}}}";
  const char *j4 = "{\"recursive\":{\"fNested\":{\"child\":{}}}}";
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, j3, strlen(j3), g_arena, &o, &err), 0);
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, j4, strlen(j4), g_arena, &o, &err),
                   EVREC_E_LIMIT);
  assert_string_equal(err.path, "recursive.fNested.child");
  assert_int_equal(err.column, 34);
}

/* 10,000 levels of anything fail cleanly (no stack overflow). */
#define WIRE_MSG \
  "messages nest deeper than 100 levels in binary form, which binary readers refuse " \
  "(Struct, ListValue and map entries count)"

static void test_deep_nesting(void **state) {
  (void)state;
  /* Value and Struct nesting stops at the binary form's limit (below) long
   * before the JSON nesting limit */
  char *s = nested("{\"wValue\":", "[", 10000, "", "]", "}");
  fails(s, EVREC_E_LIMIT, WIRE_MSG, 1, 61, long_path("wValue", "[0]", 50));
  free(s);
  s = nested("{\"wStruct\":", "{\"a\":", 10000, "1", "}", "}");
  evrec_error err;
  assert_null(decode_flags(s, 0, &err));
  assert_int_equal(err.code, EVREC_E_LIMIT);
  assert_string_equal(err.message, WIRE_MSG);
  free(s);
  /* skipped values have no binary form: the JSON nesting limit stops them */
  s = nested("{\"unknown\":", "{\"a\":", 10000, "1", "}", "}");
  fails_flags(s, EVREC_JSON_IGNORE_UNKNOWN, EVREC_E_LIMIT,
              "JSON nesting exceeds the limit of 500 (max_depth)",
              1, 12 + 499 * 5, "");
  free(s);
  s = nested("{\"unknown\":", "[", 10000, "", "]", "}");
  fails_flags(s, EVREC_JSON_IGNORE_UNKNOWN, EVREC_E_LIMIT,
              "JSON nesting exceeds the limit of 500 (max_depth)",
              1, 511, "");
  free(s);
  s = nested("", "{\"recursive\":", 10000, "{}", "}", "");
  assert_null(decode_flags(s, 0, &err));
  assert_int_equal(err.code, EVREC_E_LIMIT);
  free(s);
  s = nested("", "{\"a\":", 10000, "1", "}", "");
  fails(s, EVREC_E_SCHEMA, "unknown field \"a\" in evrec.test.AllTypes", 1, 2, "");
  fails_flags(s, EVREC_JSON_IGNORE_UNKNOWN, EVREC_E_LIMIT,
              "JSON nesting exceeds the limit of 500 (max_depth)",
              1, 1 + 500 * 5, "");
  free(s);
  s = nested("", "[", 10000, "", "]", "");
  fails(s, EVREC_E_SCHEMA, "expected an object for evrec.test.AllTypes, got an array", 1, 1, "");
  free(s);
}

/* Decodes s; @return whether it decoded, and then that it packs into binary
 * that evrec_pb_decode() reads back. */
static bool decodes_and_reads_back(const char *s, const char *limit_msg) {
  evrec_error err;
  AllTypes *m = decode_flags(s, 0, &err);
  if (!m) {
    assert_int_equal(err.code, EVREC_E_LIMIT);
    assert_string_equal(err.message, limit_msg);
    return false;
  }
  size_t n = protobuf_c_message_get_packed_size(&m->base);
  uint8_t *p = malloc(n + 1);
  assert_non_null(p);
  protobuf_c_message_pack(&m->base, p);
  ProtobufCMessage *back;
  assert_int_equal(evrec_pb_decode(&back, ALLTYPES_DESC, p, n, g_arena, &err), EVREC_OK);
  free(p);
  return true;
}

/* Whatever JSON is accepted reads back once packed (found by fuzzing: a
 * Value nested 120 lists deep decoded, and its binary form did not). The
 * binary form nests 2 levels per list (ListValue, Value), 3 per Struct
 * object (Struct, entry, Value), 2 per map of messages (entry, message);
 * the boundaries are exact, and the deepest accepted map of messages is
 * exactly at the binary limit too. */
static void test_binary_depth(void **state) {
  (void)state;
  static const char depth_msg[] = "message nesting exceeds the limit of 100 (max_depth)";
  static const struct {
    const char *prefix, *open, *mid, *close, *suffix;
    size_t last_ok; /* deepest n that decodes */
    const char *msg; /* the limit that stops n + 1 */
  } cases[] = {
      {"{\"wValue\":", "[", "", "]", "}", 50, WIRE_MSG},         /* binary: 2n */
      {"{\"wValue\":", "[", "1", "]", "}", 49, WIRE_MSG},        /* 2n + 1 */
      {"{\"wStruct\":", "{\"a\":", "{}", "}", "}", 33, WIRE_MSG}, /* 1 + 3n */
      /* an Any payload is packed on its own: its nesting starts afresh */
      {"{\"wAny\":{\"@type\":\"t/google.protobuf.Value\",\"value\":", "[", "", "]", "}}", 50,
       WIRE_MSG},                                               /* 2n - 1 */
      /* json_format's count (root = 1) stops these first: n + 1, n + 2
       * (binary: n + 1, n + 3 with the map entry) */
      {"", "{\"recursive\":", "{}", "}", "", 99, depth_msg},
      {"{\"mStringNested\":{\"k\":", "{\"child\":", "{}", "}", "}}", 98, depth_msg},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    size_t k = cases[c].last_ok;
    for (size_t n = k - 2; n <= k + 2; n++) {
      char *s = nested(cases[c].prefix, cases[c].open, n, cases[c].mid, cases[c].close,
                       cases[c].suffix);
      bool ok = decodes_and_reads_back(s, cases[c].msg);
      if (ok != (n <= k)) fail_msg("case %zu, n %zu: %s", c, n, ok ? "accepted" : "refused");
      free(s);
    }
  }
}

/* Decodes with max_string_size = limit; @return the status. */
static int decode_limited(const char *json, size_t limit, evrec_error *err) {
  evrec_json_decode_options o = EVREC_JSON_DECODE_OPTIONS_INIT;
  ProtobufCMessage *m;
  o.max_string_size = limit;
  evrec_arena_reset(g_arena);
  return evrec_json_decode(&m, ALLTYPES_DESC, json, strlen(json), g_arena, &o, err);
}

/* Requires decode_limited() to fail with this message at 1:col, path. */
static void limited_fails(const char *json, size_t limit, const char *msg, unsigned col,
                          const char *path) {
  evrec_error err;
  assert_int_equal(decode_limited(json, limit, &err), EVREC_E_LIMIT);
  assert_string_equal(err.message, msg);
  assert_int_equal(err.line, 1);
  assert_int_equal(err.column, col);
  assert_string_equal(err.path, path);
}

/* max_string_size: the decoded length of every stored string or bytes
 * value; the limit itself passes, one byte more fails. */
static void test_string_limit(void **state) {
  (void)state;
  evrec_error err;
  assert_int_equal(decode_limited("{\"fString\":\"abcd\"}", 4, &err), EVREC_OK);
  limited_fails("{\"fString\":\"abcde\"}", 4,
                "string of 5 bytes exceeds the limit of 4 bytes (max_string_size)", 12, "fString");
  /* unescaped length: \u00e9 is 2 bytes, \n one */
  assert_int_equal(decode_limited("{\"fString\":\"\\u00e9\\n\"}", 3, &err), EVREC_OK);
  limited_fails("{\"fString\":\"\\u00e9\\n\"}", 2,
                "string of 3 bytes exceeds the limit of 2 bytes (max_string_size)", 12, "fString");
  /* bytes: base64-decoded length */
  assert_int_equal(decode_limited("{\"fBytes\":\"AAAA\"}", 3, &err), EVREC_OK);
  limited_fails("{\"fBytes\":\"AAAAAA==\"}", 3,
                "bytes value of 4 bytes exceeds the limit of 3 bytes (max_string_size)",
                11, "fBytes");
  limited_fails("{\"fBytes\":\"AAAAAAA\"}", 4,
                "bytes value of 5 bytes exceeds the limit of 4 bytes (max_string_size)",
                11, "fBytes");
  /* repeated elements, map keys and values, Struct keys, wrappers */
  limited_fails("{\"rString\":[\"ab\",\"abc\"]}", 2,
                "string of 3 bytes exceeds the limit of 2 bytes (max_string_size)",
                18, "rString[1]");
  assert_int_equal(decode_limited("{\"mStringString\":{\"ab\":\"cd\"}}", 2, &err), EVREC_OK);
  limited_fails("{\"mStringString\":{\"abc\":\"d\"}}", 2,
                "string of 3 bytes exceeds the limit of 2 bytes (max_string_size)",
                19, "mStringString");
  limited_fails("{\"mStringString\":{\"a\":\"bcd\"}}", 2,
                "string of 3 bytes exceeds the limit of 2 bytes (max_string_size)", 23,
                "mStringString[\"a\"]");
  limited_fails("{\"wStruct\":{\"abc\":1}}", 2,
                "string of 3 bytes exceeds the limit of 2 bytes (max_string_size)", 13, "wStruct");
  limited_fails("{\"wString\":\"abc\"}", 2,
                "string of 3 bytes exceeds the limit of 2 bytes (max_string_size)", 12, "wString");
  limited_fails("{\"wFieldMask\":\"aB,c\"}", 2,
                "string of 3 bytes exceeds the limit of 2 bytes (max_string_size)",
                15, "wFieldMask");
  /* unknown (skipped) values are not stored, so not limited */
  evrec_json_decode_options o = EVREC_JSON_DECODE_OPTIONS_INIT;
  ProtobufCMessage *m;
  o.flags = EVREC_JSON_IGNORE_UNKNOWN;
  o.max_string_size = 1;
  const char *skip = "{\"nope\":\"long string\"}";
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, skip, strlen(skip), g_arena, &o, &err), 0);
}

/* The default limit, EVREC_DEFAULT_MAX_STRING_SIZE, exactly. */
static void test_string_limit_default(void **state) {
  (void)state;
  size_t n = EVREC_DEFAULT_MAX_STRING_SIZE;
  char *json = malloc(n + 32);
  assert_non_null(json);
  memcpy(json, "{\"fString\":\"", 12);
  memset(json + 12, 'x', n + 1);
  strcpy(json + 12 + n, "\"}");
  evrec_error err;
  assert_int_equal(decode_limited(json, 0, &err), EVREC_OK);
  json[12 + n] = 'x';
  strcpy(json + 13 + n, "\"}");
  assert_int_equal(decode_limited(json, 0, &err), EVREC_E_LIMIT);
  assert_string_equal(err.message, "string of 16777217 bytes exceeds the limit of 16777216 "
                                   "bytes (max_string_size)");
  free(json);
}

/* A UTF-8 byte order mark at the start is skipped as the reader skips it
 * (RFC 8259 §8.1): the value decodes, columns count from after it, byte
 * offsets from the start of the input. */
static void test_bom(void **state) {
  (void)state;
  ProtobufCMessage *m;
  evrec_error err;
  const char *j = "\xEF\xBB\xBF{\"fInt32\":7}";
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, j, strlen(j), g_arena, NULL, &err),
                   EVREC_OK);
  assert_int_equal(((const AllTypes *)m)->f_int32, 7);
  j = "\xEF\xBB\xBF\n  {\"fInt32\":\"x\"}";
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, j, strlen(j), g_arena, NULL, &err),
                   EVREC_E_SCHEMA);
  assert_int_equal(err.line, 2);
  assert_int_equal(err.column, 13);
  assert_int_equal(err.offset, 3 + 1 + 12);
  j = "\xEF\xBB\xBF{\"fInt32\":\"x\"}";
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, j, strlen(j), g_arena, NULL, &err),
                   EVREC_E_SCHEMA);
  assert_int_equal(err.line, 1);
  assert_int_equal(err.column, 11); /* after the BOM */
  assert_int_equal(err.offset, 3 + 10);
  /* a BOM alone is empty input */
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, "\xEF\xBB\xBF", 3, g_arena, NULL, &err),
                   EVREC_E_TRUNCATED);
}

/* Options structs of version 1 (before max_string_size) still work, with
 * the default string limit; unknown versions are refused. */
static void test_options_version(void **state) {
  (void)state;
  struct v1 { /* evrec_json_decode_options as version 1 declared it */
    unsigned int version, flags, max_depth;
    const ProtobufCMessageDescriptor *const *any_types;
    size_t n_any_types;
  } old = {1, EVREC_JSON_IGNORE_UNKNOWN, 2, NULL, 0};
  ProtobufCMessage *m;
  evrec_error err;
  const char *j = "{\"nope\":1,\"fNested\":{}}";
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, j, strlen(j), g_arena,
                                     (const evrec_json_decode_options *)&old, &err), EVREC_OK);
  j = "{\"recursive\":{\"fNested\":{}}}"; /* depth 3 > 2: max_depth was read */
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, j, strlen(j), g_arena,
                                     (const evrec_json_decode_options *)&old, &err), EVREC_E_LIMIT);
  evrec_json_decode_options o = EVREC_JSON_DECODE_OPTIONS_INIT;
  assert_int_equal(o.version, 3);
  o.version = 4;
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, "{}", 2, g_arena, &o, &err),
                   EVREC_E_INVALID_ARG);
  assert_string_equal(err.message, "unsupported JSON decode options version 4");
}

static void test_ignore_unknown(void **state) {
  (void)state;
  AllTypes *m = ok_flags("{\"nope\":{\"x\":[1,2.5e3,{\"y\":null}],\"z\":\"\\u00e9\"},"
                         "\"fInt32\":7,\"alsoNope\":[],\"fEnum\":\"COLOR_PURPLE\","
                         "\"rEnum\":[\"COLOR_RED\",\"NOPE\",\"COLOR_GREEN\"],"
                         "\"mSfixed32Enum\":{\"1\":\"NOPE\",\"2\":\"COLOR_RED\"},"
                         "\"oEnum\":\"NOPE\",\"fNested\":{\"q\":1,\"a\":2},"
                         "\"wAny\":{\"@type\":\"t/evrec.test.Nested\",\"zz\":1,\"a\":3}}",
                         EVREC_JSON_IGNORE_UNKNOWN);
  assert_int_equal(m->f_int32, 7);
  assert_int_equal(m->f_enum, 0);
  assert_int_equal(m->n_r_enum, 2);
  assert_int_equal(m->r_enum[0], 1);
  assert_int_equal(m->r_enum[1], 2);
  assert_int_equal(m->n_m_sfixed32_enum, 1);
  assert_int_equal(m->m_sfixed32_enum[0]->key, 2);
  assert_int_equal(m->choice_case, EVREC__TEST__ALL_TYPES__CHOICE__NOT_SET);
  assert_int_equal(m->f_nested->a, 2);
  assert_int_equal(
      ((Evrec__Test__Nested *)any_payload(m->w_any, &evrec__test__nested__descriptor))->a, 3);
  /* skipped values must still be valid JSON without duplicate keys */
  fails_flags("{\"nope\":[1,]}", EVREC_JSON_IGNORE_UNKNOWN, EVREC_E_SYNTAX,
              "trailing comma before ']'", 1, 12, "");
  fails_flags("{\"nope\":{\"a\":1,\"a\":2}}", EVREC_JSON_IGNORE_UNKNOWN, EVREC_E_SCHEMA,
              "duplicate key \"a\"", 1, 16, "");
  fails_flags("{\"nope\":1,\"nope\":2}", EVREC_JSON_IGNORE_UNKNOWN, EVREC_E_SCHEMA,
              "duplicate key \"nope\"", 1, 11, "");
  fails_flags("{\"nope\":NaN}", EVREC_JSON_IGNORE_UNKNOWN, EVREC_E_SYNTAX,
              "expected a JSON value, found character 'N'", 1, 9, "");
  fails_flags("{\"nope\":\"\\ud800\"}", EVREC_JSON_IGNORE_UNKNOWN, EVREC_E_UTF8,
              "unpaired UTF-16 surrogate \\uD800 in string", 1, 10, "");
}

/* evrec__json_decode_ex: base position, consumed, truncation. */
static void test_streaming(void **state) {
  (void)state;
  const char *two = "  {\"fInt32\":1}\n{\"fInt32\":2}  ";
  evrec_error err;
  ProtobufCMessage *m;
  size_t used;
  assert_int_equal(
      evrec__json_decode_ex(&m, ALLTYPES_DESC, two, strlen(two), g_arena, NULL, NULL, &used,
                            NULL, &err),
      0);
  assert_int_equal(used, 14);
  assert_int_equal(((AllTypes *)m)->f_int32, 1);
  assert_int_equal(evrec__json_decode_ex(&m, ALLTYPES_DESC, two + used, strlen(two) - used, g_arena,
                                         NULL, NULL, &used, NULL, &err),
                   0);
  assert_int_equal(used, 13);
  assert_int_equal(((AllTypes *)m)->f_int32, 2);
  /* without consumed, trailing data is an error */
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, two, strlen(two), g_arena, NULL, &err),
                   EVREC_E_SYNTAX);
  assert_string_equal(err.message, "unexpected data after the JSON value");
  assert_int_equal(err.line, 2);
  assert_int_equal(err.column, 1);
  assert_true(err.offset == 15);
  /* base makes positions file-relative, on the first line and after */
  evrec__json_pos base = {1000, 7, 5};
  const char *bad = "{\"fInt32\":x}", *bad2 = "{\n  \"fInt32\":x}";
  assert_int_equal(
      evrec__json_decode_ex(&m, ALLTYPES_DESC, bad, strlen(bad), g_arena, NULL, &base, &used,
                            NULL, &err),
      EVREC_E_SYNTAX);
  assert_null(m);
  assert_true(err.offset == 1010);
  assert_int_equal(err.line, 7);
  assert_int_equal(err.column, 15);
  assert_int_equal(evrec__json_decode_ex(&m, ALLTYPES_DESC, bad2, strlen(bad2), g_arena, NULL,
                                         &base, NULL, NULL, &err),
                   EVREC_E_SYNTAX);
  assert_true(err.offset == 1013);
  assert_int_equal(err.line, 8);
  assert_int_equal(err.column, 12);
}

/* The key memory a reader keeps across records: proto and JSON names of
 * the same field, the same key in two message types, and an unknown key
 * after known ones must all decode exactly as without it. */
static void test_key_memory(void **state) {
  (void)state;
  static evrec__json_keys keys; /* zero = empty; 12 KiB, so not on the stack */
  const char *docs[] = {
      "{\"fInt32\":1,\"fNested\":{\"a\":2,\"b\":\"x\"},\"rNested\":[{\"a\":3}]}",
      "{\"f_int32\":4,\"f_nested\":{\"b\":\"y\",\"a\":5},\"r_nested\":[{\"a\":6},{\"a\":7}]}",
      "{\"fInt32\":8,\"fNested\":{\"a\":9}}",
  };
  const int want[][4] = {{1, 2, 3, 1}, {4, 5, 6, 2}, {8, 9, -1, 0}};
  evrec_error err;
  ProtobufCMessage *m;
  for (int round = 0; round < 2; round++) {
    for (size_t i = 0; i < 3; i++) {
      assert_int_equal(evrec__json_decode_ex(&m, ALLTYPES_DESC, docs[i], strlen(docs[i]), g_arena,
                                             NULL, NULL, NULL, &keys, &err),
                       0);
      const AllTypes *t = (const AllTypes *)m;
      assert_int_equal(t->f_int32, want[i][0]);
      assert_int_equal(t->f_nested->a, want[i][1]);
      assert_int_equal(t->n_r_nested, want[i][3]);
      if (want[i][3]) assert_int_equal(t->r_nested[0]->a, want[i][2]);
    }
  }
  /* "a" is remembered for Nested; AllTypes has no field "a" */
  const char *bad = "{\"fInt32\":1,\"a\":2}";
  assert_int_equal(evrec__json_decode_ex(&m, ALLTYPES_DESC, bad, strlen(bad), g_arena, NULL, NULL,
                                         NULL, &keys, &err),
                   EVREC_E_SCHEMA);
  assert_string_equal(err.message, "unknown field \"a\" in evrec.test.AllTypes");
  assert_int_equal(err.column, 13);
}

/* Random messages printed with JSON or proto names, decoded with one key
 * memory shared by all of them and without: the packed results must be
 * byte-identical (whatever collisions the 256 slots see). */
static void test_key_memory_random(void **state) {
  (void)state;
  static evrec__json_keys keys;
  const ProtobufCMessageDescriptor *const extra[] = {&evrec__test__nested__descriptor,
                                                     ALLTYPES_DESC};
  randmsg_options ro = RANDMSG_OPTIONS_INIT;
  ro.any_types = extra;
  ro.n_any_types = 2;
  evrec_json_encode_options eo = EVREC_JSON_ENCODE_OPTIONS_INIT;
  eo.any_types = extra;
  eo.n_any_types = 2;
  evrec_json_decode_options dopt = EVREC_JSON_DECODE_OPTIONS_INIT;
  dopt.any_types = extra;
  dopt.n_any_types = 2;
  evrec_error err;
  for (uint64_t seed = 0; seed < 200; seed++) {
    ProtobufCMessage *x = randmsg_new(ALLTYPES_DESC, seed, g_arena, &ro), *a, *b;
    assert_non_null(x);
    eo.flags = seed % 2 ? EVREC_JSON_PROTO_NAMES : 0;
    char *json;
    size_t len;
    assert_int_equal(evrec_json_encode_alloc(&json, &len, x, &eo, &err), 0);
    assert_int_equal(evrec__json_decode_ex(&a, ALLTYPES_DESC, json, len, g_arena, &dopt, NULL,
                                           NULL, &keys, &err),
                     0);
    assert_int_equal(evrec_json_decode(&b, ALLTYPES_DESC, json, len, g_arena, &dopt, &err), 0);
    size_t na = protobuf_c_message_get_packed_size(a), nb = protobuf_c_message_get_packed_size(b);
    assert_int_equal(na, nb);
    uint8_t *pa = malloc(na + 1), *pb = malloc(nb + 1);
    assert_non_null(pa);
    assert_non_null(pb);
    protobuf_c_message_pack(a, pa);
    protobuf_c_message_pack(b, pb);
    assert_memory_equal(pa, pb, na);
    free(pa);
    free(pb);
    free(json);
    evrec_arena_reset(g_arena);
  }
}

/* Every strict prefix of a valid document is EVREC_E_TRUNCATED, positioned at
 * the end; the whole document decodes and reports its length as consumed. */
static void test_truncation(void **state) {
  (void)state;
  const char *doc =
      "{\"fInt32\":-12,\"fString\":\"h\xc3\xa9\\u00e9\\ud83d\\ude00\",\"fBytes\":\"YWJj\","
      "\"fDouble\":1.5e-3,\"fBool\":true,\"fNested\":null,\"rInt64\":[1,\"2\"],"
      "\"mStringString\":{\"k\":\"v\"},\"wAny\":{\"a\":1,\"@type\":\"t/evrec.test.Nested\"},"
      "\"wValue\":{\"x\":[false,null]},\"wTimestamp\":\"1970-01-01T00:00:00Z\"}";
  size_t len = strlen(doc), used;
  const ProtobufCMessageDescriptor *const extra[] = {&evrec__test__nested__descriptor};
  evrec_json_decode_options o = EVREC_JSON_DECODE_OPTIONS_INIT;
  o.any_types = extra;
  o.n_any_types = 1;
  evrec_error err;
  ProtobufCMessage *m;
  for (size_t n = 0; n < len; n++) {
    int rc = evrec__json_decode_ex(&m, ALLTYPES_DESC, doc, n, g_arena, &o, NULL, &used, NULL,
                                   &err);
    if (rc != EVREC_E_TRUNCATED)
      fail_msg("prefix %zu: rc %d (%s) at %u:%u", n, rc, err.message, err.line, err.column);
    assert_string_equal(err.message, "unexpected end of input");
    assert_true(err.offset == n);
    rc = evrec_json_decode(&m, ALLTYPES_DESC, doc, n, g_arena, &o, &err);
    assert_int_equal(rc, EVREC_E_TRUNCATED);
  }
  assert_int_equal(
      evrec__json_decode_ex(&m, ALLTYPES_DESC, doc, len, g_arena, &o, NULL, &used, NULL, &err),
      0);
  assert_int_equal(used, len);
}

static void test_invalid_args(void **state) {
  (void)state;
  ProtobufCMessage *m = (ProtobufCMessage *)1;
  evrec_error err;
  assert_int_equal(evrec_json_decode(NULL, ALLTYPES_DESC, "{}", 2, g_arena, NULL, &err),
                   EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_json_decode(&m, NULL, "{}", 2, g_arena, NULL, &err), EVREC_E_INVALID_ARG);
  assert_null(m);
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, NULL, 2, g_arena, NULL, &err),
                   EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, "{}", 2, NULL, NULL, &err),
                   EVREC_E_INVALID_ARG);
  evrec_json_decode_options o = EVREC_JSON_DECODE_OPTIONS_INIT;
  o.version = 99;
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, "{}", 2, g_arena, &o, &err),
                   EVREC_E_INVALID_ARG);
  assert_string_equal(err.message, "unsupported JSON decode options version 99");
  /* NULL err is allowed; NULL input of length 0 is empty input */
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, "{", 1, g_arena, NULL, NULL),
                   EVREC_E_TRUNCATED);
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, NULL, 0, g_arena, NULL, &err),
                   EVREC_E_TRUNCATED);
  /* a well-known type as the root message */
  const char *ts = " \"1970-01-01T00:00:01Z\" ";
  assert_int_equal(evrec_json_decode(&m, &google__protobuf__timestamp__descriptor, ts, strlen(ts),
                                     g_arena, NULL, &err),
                   0);
  assert_true(((Google__Protobuf__Timestamp *)m)->seconds == 1);
}

/* ======================================================================
 * The error table: one row per kind of error
 * ====================================================================== */

static const struct {
  const char *json;
  int code;
  const char *msg;
  unsigned line, col;
  const char *path;
} error_table[] = {
    /* syntax */
    {"", EVREC_E_TRUNCATED, "unexpected end of input", 1, 1, ""},
    {"{\"fInt32\":1", EVREC_E_TRUNCATED, "unexpected end of input", 1, 12, ""},
    {"{\"fString\":\"ab", EVREC_E_TRUNCATED, "unexpected end of input", 1, 15, "fString"},
    {"{\"fInt32\":1,}", EVREC_E_SYNTAX, "trailing comma before '}'", 1, 13, ""},
    {"{\"rInt32\":[1,]}", EVREC_E_SYNTAX, "trailing comma before ']'", 1, 14, "rInt32[0]"},
    {"{\"fInt32\":1 \"fUint32\":2}", EVREC_E_SYNTAX, "expected ',' or '}' after object member", 1,
     13, ""},
    {"{\"rInt32\":[1 2]}", EVREC_E_SYNTAX, "expected ',' or ']' after array element", 1, 14,
     "rInt32[0]"},
    {"{\"fInt32\" 1}", EVREC_E_SYNTAX, "expected ':' after object key", 1, 11, ""},
    {"{'fInt32':1}", EVREC_E_SYNTAX, "expected a string key in object, found character '''", 1, 2,
     ""},
    {"{\n  fInt32:1}", EVREC_E_SYNTAX, "expected a string key in object, found character 'f'", 2, 3,
     ""},
    {"{\"fInt32\":1} x", EVREC_E_SYNTAX, "unexpected data after the JSON value", 1, 14, ""},
    {"{\"fInt32\":+1}", EVREC_E_SYNTAX, "expected a JSON value, found character '+'", 1, 11,
     "fInt32"},
    {"{\"fInt32\":.5}", EVREC_E_SYNTAX, "expected a JSON value, found character '.'", 1, 11,
     "fInt32"},
    {"{\"fInt32\":01}", EVREC_E_SYNTAX, "invalid number: leading zeros are not allowed", 1, 12,
     "fInt32"},
    {"{\"fInt32\":-x}", EVREC_E_SYNTAX, "invalid number: expected a digit", 1, 12, "fInt32"},
    {"{\"fDouble\":1.e5}", EVREC_E_SYNTAX, "invalid number: expected a digit after '.'", 1, 14,
     "fDouble"},
    {"{\"fDouble\":1e+}", EVREC_E_SYNTAX, "invalid number: expected a digit in the exponent", 1, 15,
     "fDouble"},
    {"{\"fBool\":tru}", EVREC_E_SYNTAX, "invalid literal (expected 'true')", 1, 10, "fBool"},
    {"{\"fInt32\":nul}", EVREC_E_SYNTAX, "invalid literal (expected 'null')", 1, 11, "fInt32"},
    {"{\"fString\":\"a\tb\"}", EVREC_E_SYNTAX, "control character U+0009 in string must be escaped",
     1, 14, "fString"},
    {"{\"fString\":\"\\x\"}", EVREC_E_SYNTAX,
     "invalid escape in string: backslash before character 'x'", 1, 13, "fString"},
    {"{\"fString\":\"\\u12G4\"}", EVREC_E_SYNTAX, "invalid \\u escape (expected 4 hex digits)", 1,
     13, "fString"},
    {"/* c */{}", EVREC_E_SYNTAX, "expected a JSON value, found character '/'", 1, 1, ""},
    /* a byte order mark is skipped once (columns count after it), not twice */
    {"\xef\xbb\xbf{\"fInt32\":x}", EVREC_E_SYNTAX, "expected a JSON value, found character 'x'", 1,
     11, "fInt32"},
    {"\xef\xbb\xbf\xef\xbb\xbf{}", EVREC_E_SYNTAX, "expected a JSON value, found byte 0xEF", 1, 1, ""},
    {" \xef\xbb\xbf{}", EVREC_E_SYNTAX, "expected a JSON value, found byte 0xEF", 1, 2, ""},
    {"{\"fInt32\":\f1}", EVREC_E_SYNTAX, "expected a JSON value, found byte 0x0C", 1, 11, "fInt32"},
    /* UTF-8 */
    {"{\"fString\":\"\xff\"}", EVREC_E_UTF8, "invalid UTF-8 (byte 0xFF) in string", 1, 13,
     "fString"},
    {"{\"fString\":\"\\udc00\"}", EVREC_E_UTF8, "unpaired UTF-16 surrogate \\uDC00 in string", 1,
     13, "fString"},
    /* schema */
    {"{\"fooBar\":1}", EVREC_E_SCHEMA, "unknown field \"fooBar\" in evrec.test.AllTypes", 1, 2, ""},
    /* a NUL from \u0000 after a whole name (once read past the name's end) */
    {"{\"f_int32\\u0000\":1}", EVREC_E_SCHEMA,
     "unknown field \"f_int32\\u0000\" in evrec.test.AllTypes", 1, 2, ""},
    {"{\"fInt32\\u0000\":1}", EVREC_E_SCHEMA,
     "unknown field \"fInt32\\u0000\" in evrec.test.AllTypes", 1, 2, ""},
    {"{\"rNested\":[{},{\"zz\":1}]}", EVREC_E_SCHEMA, "unknown field \"zz\" in evrec.test.Nested",
     1, 17, "rNested[1]"},
    {"{\"fInt32\":1,\"f_int32\":2}", EVREC_E_SCHEMA, "duplicate field \"fInt32\"", 1, 13, ""},
    {"{\"oString\":\"a\",\"oBytes\":\"\"}", EVREC_E_SCHEMA,
     "fields \"oString\" and \"oBytes\" belong to the same oneof", 1, 16, ""},
    {"{\"fNested\":[]}", EVREC_E_SCHEMA, "expected an object for evrec.test.Nested, got an array",
     1, 12, "fNested"},
    {"{\"rInt32\":{}}", EVREC_E_SCHEMA, "expected an array for repeated field, got an object", 1,
     11, "rInt32"},
    {"{\"mInt32Int32\":[]}", EVREC_E_SCHEMA, "expected an object for map field, got an array", 1,
     16, "mInt32Int32"},
    {"{\"fString\":1}", EVREC_E_SCHEMA, "expected a string for string, got a number", 1, 12,
     "fString"},
    {"{\"fBytes\":true}", EVREC_E_SCHEMA, "expected a base64 string for bytes, got true", 1, 11,
     "fBytes"},
    {"{\"fBool\":\"true\"}", EVREC_E_SCHEMA, "expected true or false for bool, got a string", 1, 10,
     "fBool"},
    {"{\"fDouble\":[]}", EVREC_E_SCHEMA,
     "expected a number or numeric string for double, got an array", 1, 12, "fDouble"},
    {"{\"fEnum\":\"X\"}", EVREC_E_SCHEMA, "invalid value \"X\" for enum evrec.test.Color", 1, 10,
     "fEnum"},
    {"{\"fInt32\":\"0x10\"}", EVREC_E_SCHEMA, "invalid value \"0x10\" for int32", 1, 11, "fInt32"},
    {"{\"fInt32\":1.5}", EVREC_E_SCHEMA, "value 1.5 for int32 is not an integer", 1, 11, "fInt32"},
    {"{\"mInt32Int32\":{\"x\":1}}", EVREC_E_SCHEMA, "invalid map key \"x\" for int32", 1, 17,
     "mInt32Int32"},
    {"{\"mBoolString\":{\"True\":\"\"}}", EVREC_E_SCHEMA,
     "invalid map key \"True\" for bool (expected \"true\" or \"false\")", 1, 17, "mBoolString"},
    {"{\"mInt64Int64\":{\"1\":1,\"1\":2}}", EVREC_E_SCHEMA, "duplicate map key \"1\"", 1, 23,
     "mInt64Int64"},
    {"{\"mStringNested\":{\"k\":{\"a\":\"b\"}}}", EVREC_E_SCHEMA, "invalid value \"b\" for int32",
     1, 28, "mStringNested[\"k\"].a"},
    {"{\"mStringString\":{\"a\\\"b\":1}}", EVREC_E_SCHEMA,
     "expected a string for string, got a number", 1, 26, "mStringString[\"a\\\"b\"]"},
    {"{\"rNested\":[{},{\"child\":{\"child\":{\"b\":true}}}]}", EVREC_E_SCHEMA,
     "expected a string for string, got true", 1, 39, "rNested[1].child.child.b"},
    {"{\"mInt32Int32\":{\"1\":null}}", EVREC_E_SCHEMA, "null is not allowed as a map value", 1, 21,
     "mInt32Int32[\"1\"]"},
    {"{\"wAny\":{\"x\":1}}", EVREC_E_SCHEMA, "missing \"@type\" in google.protobuf.Any", 1, 9,
     "wAny"},
    {"{\"wFieldMask\":\"a_b\"}", EVREC_E_SCHEMA,
     "invalid FieldMask path \"a_b\" ('_' is not allowed in JSON paths)", 1, 15, "wFieldMask"},
    {"{\"wDuration\":\"1\"}", EVREC_E_SCHEMA,
     "invalid Duration \"1\" (expected seconds like \"1.5s\" or \"-0.000000001s\")", 1, 14,
     "wDuration"},
    /* range */
    {"{\"fUint32\":4294967296}", EVREC_E_RANGE, "value 4294967296 out of range for uint32", 1, 12,
     "fUint32"},
    {"{\"mUint32Uint32\":{\"-1\":1}}", EVREC_E_RANGE, "value -1 out of range for uint32", 1, 19,
     "mUint32Uint32"},
    {"{\"fFloat\":1e39}", EVREC_E_RANGE, "value 1e39 out of range for float", 1, 11, "fFloat"},
    {"{\"wTimestamp\":\"10000-01-01T00:00:00Z\"}", EVREC_E_SCHEMA,
     "invalid Timestamp \"10000-01-01T00:00:00Z\" (expected RFC 3339 like "
     "\"1972-01-01T10:00:20.021Z\")",
     1, 15, "wTimestamp"},
    {"{\"wDuration\":\"-315576000001s\"}", EVREC_E_RANGE,
     "Duration \"-315576000001s\" out of range (at most 315576000000 seconds)", 1, 14, "wDuration"},
    /* unsupported */
    {"{\"fString\":\"a\\u0000b\"}", EVREC_E_UNSUPPORTED,
     "string contains U+0000, which protobuf-c strings cannot hold", 1, 12, "fString"},
    {"{\"wAny\":{\"@type\":\"type.googleapis.com/x.Y\"}}", EVREC_E_UNSUPPORTED,
     "unknown Any type \"type.googleapis.com/x.Y\"", 1, 18, "wAny"},
    /* multi-line positions */
    {"{\n  \"fInt32\": 1,\n  \"rUint64\": [\n    1,\n    -2\n  ]\n}", EVREC_E_RANGE,
     "value -2 out of range for uint64", 5, 5, "rUint64[1]"},
    {"{\r\n\t\"fNested\": {\r\n\t\t\"a\": \"one\"\r\n\t}\r\n}", EVREC_E_SCHEMA,
     "invalid value \"one\" for int32", 3, 8, "fNested.a"},
};

static void test_error_table(void **state) {
  (void)state;
  size_t n = sizeof error_table / sizeof error_table[0];
  assert_true(n >= 30);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++)
    bad += !check_fails(error_table[i].json, 0, error_table[i].code, error_table[i].msg,
                        error_table[i].line, error_table[i].col, error_table[i].path);
  assert_int_equal(bad, 0);
}

/* A message that uses every construct packs, unpacks and packs again to the
 * same bytes: the decoder builds what protobuf_c_message_unpack builds. */
static void test_binary_round_trip(void **state) {
  (void)state;
  AllTypes *m = ok("{\"fInt32\":1,\"fString\":\"s\",\"fBytes\":\"AA\",\"fNested\":{\"a\":1},"
                   "\"rInt32\":[1,2],\"rString\":[\"a\",\"b\"],\"rBytes\":[\"AA\"],"
                   "\"rNested\":[{}],\"mStringString\":{\"a\":\"b\"},"
                   "\"mSfixed64Nested\":{\"1\":{\"b\":\"c\"}},\"oNested\":{\"a\":3},"
                   "\"wAny\":{\"@type\":\"t/evrec.test.Nested\",\"a\":1},"
                   "\"wTimestamp\":\"2020-01-01T00:00:00Z\",\"wDuration\":\"1s\","
                   "\"wFieldMask\":\"a.b\",\"wStruct\":{\"a\":{\"b\":[1,\"x\",null,true]}},"
                   "\"wValue\":[],\"wListValue\":[{}],\"wEmpty\":{},\"wDouble\":1,"
                   "\"wString\":\"s\",\"wBytes\":\"AA\",\"rwTimestamp\":[\"1970-01-01T00:00:00Z\"],"
                   "\"rwValue\":[1],\"rwInt32\":[2],\"rwAny\":[{}],\"recursive\":{\"fInt32\":2}}");
  size_t n1, n2;
  uint8_t *b1 = pack(&m->base, &n1);
  ProtobufCMessage *u = protobuf_c_message_unpack(ALLTYPES_DESC, NULL, n1, b1);
  assert_non_null(u);
  uint8_t *b2 = pack(u, &n2);
  assert_int_equal(n1, n2);
  assert_memory_equal(b1, b2, n1);
  protobuf_c_message_free_unpacked(u, NULL);
  free(b1);
  free(b2);
}

/* Keys and values quoted into messages and paths are cut on whole UTF-8
 * characters (the issue 11 report: 63 x 'a' + 'e-acute' as a map key put
 * half a character into the path), whatever their length. */
static void test_error_text_utf8(void **state) {
  (void)state;
  static const char *const tails[] = {"\xc3\xa9", "\xe2\x80\x9d", "\xf0\x9f\x98\x80", "\\\""};
  char json[512], key[300];
  evrec_arena *a = evrec_arena_new(0);
  for (size_t t = 0; t < 4; t++)
    for (size_t n = 30; n < 90; n++) {
      memset(key, 'a', n);
      strcpy(key + n, tails[t]);
      for (int where = 0; where < 2; where++) {
        if (where == 0) /* a map key in the path */
          snprintf(json, sizeof json, "{\"extensions\":{\"%s\":1}}", key);
        else /* an unknown field in the message */
          snprintf(json, sizeof json, "{\"%s\":1}", key);
        ProtobufCMessage *m;
        evrec_error err;
        int rc = evrec_json_decode(&m, evrec_record_descriptor(), json, strlen(json), a,
                                   NULL, &err);
        assert_int_equal(rc, EVREC_E_SCHEMA);
        size_t ml = strlen(err.message), pl = strlen(err.path);
        if (evrec__utf8_valid_prefix(err.message, ml) != ml ||
            evrec__utf8_valid_prefix(err.path, pl) != pl)
          fail_msg("invalid UTF-8 in error text for a key of %zu + %zu bytes: %s (at %s)", n,
                   strlen(tails[t]), err.message, err.path);
        evrec_arena_reset(a);
      }
    }
  evrec_arena_free(a);
}

/* ======================================================================
 * Fast paths (issue 11): the same results as the general ones
 * ====================================================================== */

static uint64_t rnd(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* A random JSON number: any sign, integer part, fraction and exponent
 * lengths, leading zeros after the point, and the integer types' limits. */
static void random_number(uint64_t *seed, char *out, size_t cap) {
  static const char *const edges[] = {
      "2147483647",           "2147483648",           "-2147483648",         "-2147483649",
      "4294967295",           "4294967296",           "9223372036854775807", "9223372036854775808",
      "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
      "18446744073709551616", "9007199254740992",     "9007199254740993",    "-0",
      "0",                    "1e22",                 "1e23",                "123456789012345678e-22",
      "3.4028235e38",         "3.4028236e38",         "1.7976931348623157e308", "0.1e-999"};
  size_t n = 0;
  uint64_t r = rnd(seed);
  if (r % 8 == 0) {
    snprintf(out, cap, "%s", edges[(r >> 8) % (sizeof edges / sizeof edges[0])]);
    return;
  }
  if (r % 4 == 1) out[n++] = '-';
  size_t ni = (r >> 4) % 3 == 0 ? 1 : 1 + (rnd(seed) % 22);
  for (size_t i = 0; i < ni; i++)
    out[n++] = (char)('0' + (i == 0 && ni > 1 ? 1 + rnd(seed) % 9 : rnd(seed) % 10));
  if ((r >> 8) % 2) {
    size_t zeros = (r >> 12) % 4 == 0 ? rnd(seed) % 24 : 0, nf = 1 + rnd(seed) % 22;
    out[n++] = '.';
    for (size_t i = 0; i < zeros; i++) out[n++] = '0';
    for (size_t i = 0; i < nf; i++) out[n++] = (char)('0' + rnd(seed) % 10);
  }
  if ((r >> 16) % 4 == 0) {
    uint64_t e = rnd(seed);
    out[n++] = e % 2 ? 'e' : 'E';
    if (e % 3) out[n++] = e % 3 == 1 ? '-' : '+';
    size_t ne = 1 + (e >> 8) % ((e >> 16) % 8 ? 2 : 5);
    for (size_t i = 0; i < ne; i++) out[n++] = (char)('0' + rnd(seed) % 10);
  }
  out[n] = '\0';
}

typedef struct decoded {
  int rc;
  evrec_error err;
  uint8_t packed[64];
  size_t len;
} decoded;

static void decode_packed(const char *json, decoded *out) {
  out->len = 0;
  AllTypes *m = decode_flags(json, 0, &out->err);
  out->rc = m ? EVREC_OK : out->err.code;
  if (m) {
    out->len = protobuf_c_message_get_packed_size(&m->base);
    assert_true(out->len <= sizeof out->packed);
    protobuf_c_message_pack(&m->base, out->packed);
  }
}

/* A plain number and the same number quoted decode alike, errors included
 * (message and column): a quoted number always goes the exact way
 * (num_lex, num_to_u64, strtod), a plain one the fast paths when they
 * apply. Doubles are also compared with strtod. */
static void test_number_fast_paths(void **state) {
  (void)state;
  static const char *const fields[] = {"fInt32",  "fInt64",    "fUint32", "fUint64",
                                       "fSint32", "fSfixed64", "fFloat",  "fDouble"};
  uint64_t seed = 11;
  char num[128], plain[192], quoted[192];
  decoded a, b;
  for (int i = 0; i < 40000; i++) {
    random_number(&seed, num, sizeof num);
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
      snprintf(plain, sizeof plain, "{\"%s\":%s}", fields[f], num);
      snprintf(quoted, sizeof quoted, "{\"%s\":\"%s\"}", fields[f], num);
      decode_packed(plain, &a);
      decode_packed(quoted, &b);
      if (a.rc != b.rc || a.len != b.len || memcmp(a.packed, b.packed, a.len) != 0 ||
          (a.rc && (strcmp(a.err.message, b.err.message) != 0 || a.err.column != b.err.column)))
        fail_msg("%s: plain %d (%s) and quoted %d (%s) differ", plain, a.rc,
                 a.rc ? a.err.message : "ok", b.rc, b.rc ? b.err.message : "ok");
    }
    double want = strtod(num, NULL);
    snprintf(plain, sizeof plain, "{\"fDouble\":%s}", num);
    evrec_error err;
    AllTypes *m = decode_flags(plain, 0, &err);
    if (m && memcmp(&m->f_double, &want, sizeof want) != 0 && !(want == 0 && m->f_double == 0))
      fail_msg("%s: %.17g, strtod %.17g", num, m->f_double, want);
  }
}

/* A random string and its JSON form in a random escaping style: ASCII,
 * quotes, backslashes, controls and 2- to 4-byte characters, escaped as
 * \" \\ \/ \n ..., \u00XX, \uXXXX and surrogate pairs, or raw. */
static size_t random_string(uint64_t *seed, size_t max, char *raw, char *json) {
  static const char *const chars[] = {"a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f",
                                      "\xc3\xa9", "\xe2\x82\xac", "\xe4\xb8\xad",
                                      "\xf0\x9f\x98\x80"};
  static const unsigned cps[] = {'a', 'Z', ' ', '"', '\\', '/', '\n', '\t', 1, 0x1f,
                                 0xe9, 0x20ac, 0x4e2d, 0x1f600};
  size_t n = (size_t)(rnd(seed) % (rnd(seed) % 8 ? 40 : max + 1)), r = 0, j = 0;
  bool plain = rnd(seed) % 3 == 0; /* long ASCII runs, few escapes */
  for (size_t i = 0; i < n; i++) {
    uint64_t x = rnd(seed);
    size_t c = plain && x % 16 ? x % 3 : x % 14, style = (x >> 8) % 4;
    size_t len = strlen(chars[c]);
    memcpy(raw + r, chars[c], len);
    r += len;
    unsigned cp = cps[c];
    if (cp == '"' || cp == '\\' || (cp == '/' && style == 0))
      json[j++] = '\\', json[j++] = (char)cp;
    else if (cp == '\n' && style < 2)
      json[j++] = '\\', json[j++] = 'n';
    else if (cp == '\t' && style < 2)
      json[j++] = '\\', json[j++] = 't';
    else if (cp < 0x20 || (style == 3 && cp < 0x10000))
      j += (size_t)sprintf(json + j, "\\u%04X", cp);
    else if (style == 3)
      j += (size_t)sprintf(json + j, "\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10),
                           0xDC00 + ((cp - 0x10000) & 0x3FF));
    else
      memcpy(json + j, chars[c], len), j += len;
  }
  raw[r] = json[j] = '\0';
  return r;
}

/* Strings decode to the same bytes whatever their length, escapes and the
 * arena's free space: as field values (decoded straight into the arena),
 * map keys (slices of the input until an escape), repeated values and
 * skipped unknown fields, into an arena of tiny blocks that keeps running
 * out in the middle of strings. */
static void test_string_paths(void **state) {
  (void)state;
  enum { MAX = 3000 };
  static char raw[4 * MAX + 1], raw2[4 * MAX + 1], json[12 * MAX + 1], json2[12 * MAX + 1],
      doc[5 * 12 * MAX + 200];
  evrec_arena *a = evrec_arena_new(64);
  assert_non_null(a);
  evrec_json_decode_options o = EVREC_JSON_DECODE_OPTIONS_INIT;
  o.flags = EVREC_JSON_IGNORE_UNKNOWN;
  uint64_t seed = 5;
  for (int i = 0; i < 3000; i++) {
    size_t n = random_string(&seed, MAX, raw, json), n2 = random_string(&seed, MAX, raw2, json2);
    snprintf(doc, sizeof doc,
             "{\"fString\":\"%s\",\"rString\":[\"%s\",\"%s\"],\"mStringString\":{\"%s\":\"\"},"
             "\"unknown\":\"%s\",\"fInt32\":7}",
             json, json2, json, json2, json);
    ProtobufCMessage *pm;
    evrec_error err;
    evrec_arena_reset(a);
    if (evrec_json_decode(&pm, ALLTYPES_DESC, doc, strlen(doc), a, &o, &err) != EVREC_OK)
      fail_msg("string %d: %s at %u", i, err.message, err.column);
    AllTypes *m = (AllTypes *)pm;
    assert_int_equal(strlen(m->f_string), n);
    assert_memory_equal(m->f_string, raw, n + 1);
    assert_int_equal(m->n_r_string, 2);
    assert_int_equal(strlen(m->r_string[0]), n2);
    assert_memory_equal(m->r_string[0], raw2, n2 + 1);
    assert_string_equal(m->r_string[1], raw);
    assert_int_equal(m->n_m_string_string, 1);
    assert_string_equal(m->m_string_string[0]->key, raw2);
    assert_string_equal(m->m_string_string[0]->value, "");
    assert_int_equal(m->f_int32, 7);
  }
  evrec_arena_free(a);
}

/* Inside a string, errors come in the order of the bytes: invalid UTF-8 is
 * reported before a later bad escape, control character or end of input
 * (which a streaming reader would answer by reading more), and the other
 * way round. */
static void test_string_error_order(void **state) {
  (void)state;
  static const struct {
    const char *json;
    int code;
    const char *msg;
    unsigned col;
  } cases[] = {
      {"{\"fString\":\"\xff\\q\"}", EVREC_E_UTF8, "invalid UTF-8 (byte 0xFF) in string", 13},
      {"{\"fString\":\"\\q\xff\"}", EVREC_E_SYNTAX,
       "invalid escape in string: backslash before character 'q'", 13},
      {"{\"fString\":\"ab\xff\\n\t\"}", EVREC_E_UTF8, "invalid UTF-8 (byte 0xFF) in string", 15},
      {"{\"fString\":\"ab\\n\xff\t\"}", EVREC_E_UTF8, "invalid UTF-8 (byte 0xFF) in string", 17},
      {"{\"fString\":\"a\t\xff\"}", EVREC_E_SYNTAX,
       "control character U+0009 in string must be escaped", 14},
      {"{\"fString\":\"\xff\\n", EVREC_E_UTF8, "invalid UTF-8 (byte 0xFF) in string", 13},
      {"{\"fString\":\"ab\\n\xff", EVREC_E_TRUNCATED, "unexpected end of input", 18},
      {"{\"fString\":\"\xff\\u12", EVREC_E_UTF8, "invalid UTF-8 (byte 0xFF) in string", 13},
      {"{\"fString\":\"x\xc3\\n\"}", EVREC_E_UTF8, "invalid UTF-8 (byte 0xC3) in string", 14},
      {"{\"fString\":\"\xff\\ud800\\u0041\"}", EVREC_E_UTF8,
       "invalid UTF-8 (byte 0xFF) in string", 13},
      {"{\"fString\":\"\\ud800\xff\"}", EVREC_E_UTF8, "unpaired UTF-16 surrogate \\uD800 in string",
       13},
      {"{\"fString\":\"0123456789abcdef\\n0123456789abcdef\xe9\\x\"}", EVREC_E_UTF8,
       "invalid UTF-8 (byte 0xE9) in string", 47},
      {"{\"fString\":[\"\\n\xe9\\n\"]}", EVREC_E_SCHEMA,
       "expected a string for string, got an array", 12},
      {"{\"rString\":[\"\\n\xe9\\n\"]}", EVREC_E_UTF8, "invalid UTF-8 (byte 0xE9) in string", 16},
      {"{\"mStringString\":{\"k\\n\xe9\":\"\"}}", EVREC_E_UTF8,
       "invalid UTF-8 (byte 0xE9) in string", 23},
  };
  size_t bad = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *path = strncmp(cases[i].json, "{\"fString\"", 10) == 0 ? "fString"
                       : cases[i].json[2] == 'r'                     ? "rString[0]"
                                                                     : "mStringString";
    if (cases[i].code == EVREC_E_SCHEMA) path = "fString";
    bad += !check_fails(cases[i].json, 0, cases[i].code, cases[i].msg, 1, cases[i].col, path);
  }
  assert_int_equal(bad, 0);
  /* skipped values keep the same order */
  fails_flags("{\"nope\":\"\xff\\q\"}", EVREC_JSON_IGNORE_UNKNOWN, EVREC_E_UTF8,
              "invalid UTF-8 (byte 0xFF) in string", 1, 10, "");
  fails_flags("{\"nope\":\"\\q\xff\"}", EVREC_JSON_IGNORE_UNKNOWN, EVREC_E_SYNTAX,
              "invalid escape in string: backslash before character 'q'", 1, 10, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_object),
      cmocka_unit_test(test_singular_scalars),
      cmocka_unit_test(test_field_names),
      cmocka_unit_test(test_int64_exact),
      cmocka_unit_test(test_int_exponent_forms),
      cmocka_unit_test(test_int_ranges),
      cmocka_unit_test(test_floats),
      cmocka_unit_test(test_long_number_lexemes),
      cmocka_unit_test(test_locale_decimal_comma),
      cmocka_unit_test(test_string_escapes),
      cmocka_unit_test(test_bytes_base64),
      cmocka_unit_test(test_invalid_utf8),
      cmocka_unit_test(test_enums),
      cmocka_unit_test(test_repeated),
      cmocka_unit_test(test_maps),
      cmocka_unit_test(test_oneof),
      cmocka_unit_test(test_null),
      cmocka_unit_test(test_wkt_timestamp),
      cmocka_unit_test(test_wkt_duration),
      cmocka_unit_test(test_wkt_wrappers),
      cmocka_unit_test(test_wkt_struct_value_list),
      cmocka_unit_test(test_wkt_fieldmask_empty),
      cmocka_unit_test(test_wkt_any),
      cmocka_unit_test(test_depth_limit),
      cmocka_unit_test(test_deep_nesting),
      cmocka_unit_test(test_binary_depth),
      cmocka_unit_test(test_string_limit),
      cmocka_unit_test(test_string_limit_default),
      cmocka_unit_test(test_options_version),
      cmocka_unit_test(test_bom),
      cmocka_unit_test(test_ignore_unknown),
      cmocka_unit_test(test_streaming),
      cmocka_unit_test(test_key_memory),
      cmocka_unit_test(test_key_memory_random),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_invalid_args),
      cmocka_unit_test(test_error_table),
      cmocka_unit_test(test_binary_round_trip),
      cmocka_unit_test(test_error_text_utf8),
      cmocka_unit_test(test_number_fast_paths),
      cmocka_unit_test(test_string_paths),
      cmocka_unit_test(test_string_error_order),
  };
  return cmocka_run_group_tests_name("json_decode", tests, setup, teardown);
}
