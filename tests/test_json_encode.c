/*
 * test_json_encode.c -- the canonical proto3 JSON encoder, construct by
 * construct: exact expected text (compact and pretty), exact error codes and
 * field paths, snprintf semantics. Expected strings were checked against
 * Google's Python json_format (same parse result; our float text is the
 * shortest round-trip form, which Python sometimes prints longer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alltypes.pb-c.h"
#include "evrec.h"
#include "evrec/v1/evrec.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/empty.pb-c.h"
#include "google/protobuf/field_mask.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "internal.h"
#include "util/randmsg.h"

typedef Evrec__Test__AllTypes AllTypes;
typedef Evrec__Test__Nested Nested;
#define ALL_INIT EVREC__TEST__ALL_TYPES__INIT
#define NESTED_INIT EVREC__TEST__NESTED__INIT

#define PRETTY EVREC_JSON_PRETTY
#define DEFAULTS EVREC_JSON_EMIT_DEFAULTS
#define PROTO_NAMES EVREC_JSON_PROTO_NAMES
#define ENUM_INTS EVREC_JSON_ENUMS_AS_INTS

/* ====================================================================== */
/* Helpers                                                                 */
/* ====================================================================== */

static const ProtobufCMessageDescriptor *const any_types[] = {
    &evrec__test__nested__descriptor, &evrec__test__all_types__descriptor};

static evrec_json_encode_options opts_for(unsigned flags) {
  evrec_json_encode_options o = EVREC_JSON_ENCODE_OPTIONS_INIT;
  o.flags = flags;
  o.any_types = any_types;
  o.n_any_types = 2;
  return o;
}

/* Encodes successfully or fails the test; the caller frees. */
static char *encode(const void *msg, unsigned flags) {
  evrec_json_encode_options o = opts_for(flags);
  char *out = NULL;
  size_t len = 0;
  evrec_error err;
  int rc = evrec_json_encode_alloc(&out, &len, msg, &o, &err);
  if (rc != EVREC_OK) fail_msg("encode: %d %s (path '%s')", rc, err.message, err.path);
  assert_int_equal(len, strlen(out));
  return out;
}

#define assert_json(msg, flags, want)                                                  \
  do {                                                                                 \
    char *got_ = encode((msg), (flags));                                               \
    assert_string_equal(got_, (want));                                                 \
    free(got_);                                                                        \
  } while (0)

/* Encoding fails with exactly this code and path, and a message. */
static void assert_fails(const void *msg, unsigned flags, int code, const char *path) {
  evrec_json_encode_options o = opts_for(flags);
  char *out = (char *)"sentinel";
  evrec_error err;
  int rc = evrec_json_encode_alloc(&out, NULL, msg, &o, &err);
  if (rc != code) fail_msg("want %d, got %d (%s at '%s')", code, rc, err.message, err.path);
  assert_int_equal(err.code, code);
  assert_string_equal(err.path, path);
  assert_true(err.message[0] != '\0');
  assert_null(out);
}

static ProtobufCBinaryData bin(const char *s, size_t n) {
  ProtobufCBinaryData b = {n, (uint8_t *)s};
  return b;
}

/* Packs msg into a fresh static-lifetime-free buffer (caller frees). */
static ProtobufCBinaryData packed(const void *msg) {
  size_t n = protobuf_c_message_get_packed_size(msg);
  uint8_t *p = malloc(n ? n : 1);
  assert_non_null(p);
  protobuf_c_message_pack(msg, p);
  ProtobufCBinaryData b = {n, p};
  return b;
}

/* ====================================================================== */
/* Messages, names, scalars                                                */
/* ====================================================================== */

static void test_empty_message(void **state) {
  (void)state;
  AllTypes m = ALL_INIT;
  assert_json(&m, 0, "{}");
  assert_json(&m, PRETTY, "{}");
}

static void test_scalars(void **state) {
  (void)state;
  AllTypes m = ALL_INIT;
  Nested n = NESTED_INIT;
  n.a = 1;
  m.f_int32 = -42;
  m.f_int64 = INT64_MIN;
  m.f_uint32 = UINT32_MAX;
  m.f_uint64 = UINT64_MAX;
  m.f_sint32 = INT32_MIN;
  m.f_sint64 = INT64_MAX;
  m.f_fixed32 = 7;
  m.f_fixed64 = 8;
  m.f_sfixed32 = -9;
  m.f_sfixed64 = -10;
  m.f_float = 1.5f;
  m.f_double = -2.25;
  m.f_bool = 1;
  m.f_string = (char *)"s";
  m.f_bytes = bin("abc", 3);
  m.f_enum = EVREC__TEST__COLOR__COLOR_GREEN;
  m.f_nested = &n;
  assert_json(&m, 0,
              "{\"fInt32\":-42,\"fInt64\":\"-9223372036854775808\",\"fUint32\":4294967295,"
              "\"fUint64\":\"18446744073709551615\",\"fSint32\":-2147483648,"
              "\"fSint64\":\"9223372036854775807\",\"fFixed32\":7,\"fFixed64\":\"8\","
              "\"fSfixed32\":-9,\"fSfixed64\":\"-10\",\"fFloat\":1.5,\"fDouble\":-2.25,"
              "\"fBool\":true,\"fString\":\"s\",\"fBytes\":\"YWJj\","
              "\"fEnum\":\"COLOR_GREEN\",\"fNested\":{\"a\":1}}");
}

static void test_names(void **state) {
  (void)state;
  AllTypes m = ALL_INIT;
  m.f_int32 = 3;
  m.field_name_1_x = 1;
  m._leading_underscore = 2;
  assert_json(&m, 0, "{\"fInt32\":3,\"fieldName1X\":1,\"LeadingUnderscore\":2}");
  assert_json(&m, PROTO_NAMES, "{\"f_int32\":3,\"field_name_1_x\":1,\"_leading_underscore\":2}");
}

static void test_defaults_omitted(void **state) {
  (void)state;
  AllTypes m = ALL_INIT;
  Nested empty = NESTED_INIT;
  m.f_string = (char *)"";     /* "" that is not protobuf_c_empty_string */
  m.f_bytes = bin("x", 0);     /* empty but non-NULL data */
  m.f_double = -0.0;           /* pack() drops a singular -0.0 too */
  m.f_float = -0.0f;
  m.w_null = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
  m.f_nested = &empty;         /* a set message prints even when empty */
  assert_json(&m, 0, "{\"fNested\":{}}");
}

static void test_emit_defaults_nested(void **state) {
  (void)state;
  Nested n = NESTED_INIT;
  assert_json(&n, DEFAULTS, "{\"a\":0,\"b\":\"\"}");
  assert_json(&n, DEFAULTS | PRETTY, "{\n  \"a\": 0,\n  \"b\": \"\"\n}");
}

/* Like Python's including_default_value_fields: scalars, [] and {}, null for
 * NullValue; never unset messages (wrappers included) or oneof members. */
static void test_emit_defaults_alltypes(void **state) {
  (void)state;
  AllTypes m = ALL_INIT;
  m.f_double = -0.0; /* what the binary form holds: 0 */
  assert_json(&m, DEFAULTS,
              "{\"fInt32\":0,\"fInt64\":\"0\",\"fUint32\":0,\"fUint64\":\"0\",\"fSint32\":0,"
              "\"fSint64\":\"0\",\"fFixed32\":0,\"fFixed64\":\"0\",\"fSfixed32\":0,"
              "\"fSfixed64\":\"0\",\"fFloat\":0,\"fDouble\":0,\"fBool\":false,\"fString\":\"\","
              "\"fBytes\":\"\",\"fEnum\":\"COLOR_UNSPECIFIED\",\"rInt32\":[],\"rInt64\":[],"
              "\"rUint32\":[],\"rUint64\":[],\"rSint32\":[],\"rSint64\":[],\"rFixed32\":[],"
              "\"rFixed64\":[],\"rSfixed32\":[],\"rSfixed64\":[],\"rFloat\":[],\"rDouble\":[],"
              "\"rBool\":[],\"rString\":[],\"rBytes\":[],\"rEnum\":[],\"rNested\":[],"
              "\"mStringString\":{},\"mInt32Int32\":{},\"mInt64Int64\":{},\"mUint32Uint32\":{},"
              "\"mUint64Uint64\":{},\"mSint32Double\":{},\"mSint64Float\":{},"
              "\"mFixed32Bool\":{},\"mFixed64Bytes\":{},\"mSfixed32Enum\":{},"
              "\"mSfixed64Nested\":{},\"mBoolString\":{},\"mStringNested\":{},"
              "\"mStringValue\":{},\"wNull\":null,\"rwTimestamp\":[],\"rwValue\":[],"
              "\"rwInt32\":[],\"rwAny\":[],\"fieldName1X\":0,\"LeadingUnderscore\":0}");
  char *pretty = encode(&m, DEFAULTS | PRETTY);
  assert_non_null(strstr(pretty, "\n  \"rInt32\": [],\n  \"rInt64\": [],\n"));
  assert_non_null(strstr(pretty, "\n  \"mStringString\": {},\n"));
  assert_non_null(strstr(pretty, "\n  \"LeadingUnderscore\": 0\n}"));
  free(pretty);
  assert_json(&m, DEFAULTS | ENUM_INTS | PROTO_NAMES,
              "{\"f_int32\":0,\"f_int64\":\"0\",\"f_uint32\":0,\"f_uint64\":\"0\","
              "\"f_sint32\":0,\"f_sint64\":\"0\",\"f_fixed32\":0,\"f_fixed64\":\"0\","
              "\"f_sfixed32\":0,\"f_sfixed64\":\"0\",\"f_float\":0,\"f_double\":0,"
              "\"f_bool\":false,\"f_string\":\"\",\"f_bytes\":\"\",\"f_enum\":0,"
              "\"r_int32\":[],\"r_int64\":[],\"r_uint32\":[],\"r_uint64\":[],\"r_sint32\":[],"
              "\"r_sint64\":[],\"r_fixed32\":[],\"r_fixed64\":[],\"r_sfixed32\":[],"
              "\"r_sfixed64\":[],\"r_float\":[],\"r_double\":[],\"r_bool\":[],"
              "\"r_string\":[],\"r_bytes\":[],\"r_enum\":[],\"r_nested\":[],"
              "\"m_string_string\":{},\"m_int32_int32\":{},\"m_int64_int64\":{},"
              "\"m_uint32_uint32\":{},\"m_uint64_uint64\":{},\"m_sint32_double\":{},"
              "\"m_sint64_float\":{},\"m_fixed32_bool\":{},\"m_fixed64_bytes\":{},"
              "\"m_sfixed32_enum\":{},\"m_sfixed64_nested\":{},\"m_bool_string\":{},"
              "\"m_string_nested\":{},\"m_string_value\":{},\"w_null\":0,"
              "\"rw_timestamp\":[],\"rw_value\":[],\"rw_int32\":[],\"rw_any\":[],"
              "\"field_name_1_x\":0,\"_leading_underscore\":0}");
}

/* ====================================================================== */
/* Oneofs                                                                  */
/* ====================================================================== */

static void test_oneof(void **state) {
  (void)state;
  AllTypes m = ALL_INIT;
  Nested n = NESTED_INIT;
  char empty[1] = "";
  m.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_UINT32; /* set at its default */
  assert_json(&m, 0, "{\"oUint32\":0}");
  m.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_STRING;
  m.o_string = empty;
  assert_json(&m, 0, "{\"oString\":\"\"}");
  m.o_string = (char *)protobuf_c_empty_string; /* pack() drops this: so do we */
  assert_json(&m, 0, "{}");
  m.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_NESTED;
  m.o_nested = NULL;
  assert_json(&m, 0, "{}");
  m.o_nested = &n;
  assert_json(&m, 0, "{\"oNested\":{}}");
  m.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_ENUM;
  m.o_enum = EVREC__TEST__COLOR__COLOR_UNSPECIFIED;
  assert_json(&m, 0, "{\"oEnum\":\"COLOR_UNSPECIFIED\"}");
  m.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_BYTES;
  m.o_bytes = bin(NULL, 0);
  assert_json(&m, 0, "{\"oBytes\":\"\"}");
  m.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_NULL;
  m.o_null = GOOGLE__PROTOBUF__NULL_VALUE__NULL_VALUE;
  assert_json(&m, 0, "{\"oNull\":null}");
  assert_json(&m, ENUM_INTS, "{\"oNull\":0}"); /* as Python's json_format */
}

/* ====================================================================== */
/* Numbers                                                                 */
/* ====================================================================== */

static void test_doubles_shortest(void **state) {
  (void)state;
  double v[] = {0.1,     1e20,        5e-324,    -0.0,      0.0,      DBL_MAX,  DBL_MIN,
                1e15,    123456789012345.0, 1e21, 1.0 / 3, -1.5e-7, 2.5e-310, 0.1 + 0.2,
                100,     -4,          NAN,       INFINITY,  -INFINITY};
  AllTypes m = ALL_INIT;
  m.n_r_double = sizeof v / sizeof v[0];
  m.r_double = v;
  assert_json(&m, 0,
              "{\"rDouble\":[0.1,1e+20,5e-324,-0.0,0,1.7976931348623157e+308,"
              "2.2250738585072014e-308,1e+15,123456789012345,1e+21,0.3333333333333333,"
              "-1.5e-07,2.5e-310,0.30000000000000004,100,-4,\"NaN\",\"Infinity\","
              "\"-Infinity\"]}");
}

/* The reference for doubles: the slow path alone, no shortcuts but the
 * integral one. The encoder's fast paths must agree with it exactly. */
static void ref_double(double v, char *out, size_t cap) {
  if (v == 0 || (fabs(v) < 1e15 && v == trunc(v))) {
    snprintf(out, cap, "%.0f", v);
    return;
  }
  int prec = fabs(v) < DBL_MIN ? 1 : 15;
  for (; prec < 17; prec++) {
    snprintf(out, cap, "%.*g", prec, v);
    if (strtod(out, NULL) == v) return;
  }
  snprintf(out, cap, "%.17g", v);
}

static void test_doubles_fast_paths_agree(void **state) {
  (void)state;
  enum { N = 4000 };
  static double v[N];
  static char want[N * 40]; /* 40 > any "%.*g": -Wformat-truncation at -O1 */
  uint64_t x = 12345;
  for (size_t i = 0; i < N; i++) {
    x = x * 6364136223846793005u + 1442695040888963407u; /* LCG: reproducible */
    int64_t n = (int64_t)(x >> 33) % 20000001 - 10000000;
    static const double p10[] = {1, 10, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11};
    switch (i % 4) {
    case 0: v[i] = (double)n / p10[(x >> 8) % 12]; break; /* few decimals */
    case 1: v[i] = (double)(int64_t)(x >> 4) / p10[(x >> 8) % 12]; break; /* many digits */
    case 2: v[i] = ldexp((double)(x >> 11), (int)((x >> 3) % 120) - 100); break;
    default: { /* the boundaries of the fast path */
      static const double edge[] = {1e-3, 9.99e-4, 1e14 - 0.5, 1e14 + 0.5, 0.1, 0.7, 1.1,
                                    99999999999999.9, 0.123456789, 0.1234567891, 1e-3 + 1e-12};
      v[i] = edge[(x >> 5) % (sizeof edge / sizeof edge[0])] * ((x >> 7) % 2 ? -1 : 1);
    }
    }
  }
  char *p = want + sprintf(want, "{\"rDouble\":[");
  for (size_t i = 0; i < N; i++) {
    if (v[i] == 0) v[i] = 0.5; /* signed zeros are tested elsewhere */
    if (i) *p++ = ',';
    ref_double(v[i], p, 40);
    p += strlen(p);
  }
  strcpy(p, "]}");
  AllTypes m = ALL_INIT;
  m.n_r_double = N;
  m.r_double = v;
  assert_json(&m, 0, want);
}

/* FLT_MAX is not "3.4028235e+38", its shortest form: read as a double
 * that exceeds FLT_MAX, and Google's parsers reject it. */
static void test_floats_shortest(void **state) {
  (void)state;
  float v[] = {0.1f, FLT_MAX, -FLT_MAX, FLT_MIN, FLT_TRUE_MIN, 1e20f, -0.0f,
               16777216.0f, 3.14159265f, 1e-40f, 0.3f, 1e6f, NAN, -INFINITY};
  AllTypes m = ALL_INIT;
  m.n_r_float = sizeof v / sizeof v[0];
  m.r_float = v;
  assert_json(&m, 0,
              "{\"rFloat\":[0.1,3.402823466e+38,-3.402823466e+38,1.1754944e-38,1e-45,"
              "1e+20,-0.0,16777216,3.1415927,1e-40,0.3,1e+06,\"NaN\",\"-Infinity\"]}");
  m.n_r_float = 0;
  m.f_float = 0.1f;
  m.f_double = 0.1;
  assert_json(&m, 0, "{\"fFloat\":0.1,\"fDouble\":0.1}");
}

static void test_integer_extremes(void **state) {
  (void)state;
  int32_t i32[] = {INT32_MIN, -1, 0, INT32_MAX};
  int64_t i64[] = {INT64_MIN, -1, 0, INT64_MAX};
  uint32_t u32[] = {0, UINT32_MAX};
  uint64_t u64[] = {0, UINT64_MAX};
  AllTypes m = ALL_INIT;
  m.n_r_sint32 = 4;
  m.r_sint32 = i32;
  m.n_r_sfixed64 = 4;
  m.r_sfixed64 = i64;
  m.n_r_fixed32 = 2;
  m.r_fixed32 = u32;
  m.n_r_uint64 = 2;
  m.r_uint64 = u64;
  assert_json(&m, 0,
              "{\"rUint64\":[\"0\",\"18446744073709551615\"],"
              "\"rSint32\":[-2147483648,-1,0,2147483647],\"rFixed32\":[0,4294967295],"
              "\"rSfixed64\":[\"-9223372036854775808\",\"-1\",\"0\",\"9223372036854775807\"]}");
}

/* The library never calls setlocale(); in a locale whose decimal point is
 * not '.', numbers must still be JSON. Skipped when no such locale is
 * installed (ps_AF's point is the two-byte U+066B). */
static void test_locale_independent(void **state) {
  (void)state;
  static const char *const names[] = {"de_DE.UTF-8", "ps_AF.UTF-8", "fr_FR.UTF-8",
                                      "de_DE.utf8", "ru_RU.UTF-8"};
  double d[] = {0.1, -1.5e-7, 2.5, 5e-324};
  float f[] = {0.25f, FLT_MAX};
  AllTypes m = ALL_INIT;
  m.n_r_double = 4;
  m.r_double = d;
  m.n_r_float = 2;
  m.r_float = f;
  int tested = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (!setlocale(LC_NUMERIC, names[i])) continue;
    if (strcmp(localeconv()->decimal_point, ".") == 0) continue;
    char *got = encode(&m, 0);
    setlocale(LC_NUMERIC, "C");
    assert_string_equal(got, "{\"rFloat\":[0.25,3.402823466e+38],"
                             "\"rDouble\":[0.1,-1.5e-07,2.5,5e-324]}");
    free(got);
    tested++;
  }
  setlocale(LC_NUMERIC, "C");
  if (!tested) skip();
}

/* ====================================================================== */
/* Strings and bytes                                                       */
/* ====================================================================== */

static void test_string_escapes(void **state) {
  (void)state;
  AllTypes m = ALL_INIT;
  m.f_string = (char *)"q\"b\\s/\b\f\n\r\t\x01\x1f\x7f \xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80"
                       "\xe2\x80\xa8";
  assert_json(&m, 0,
              "{\"fString\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f "
              "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\xe2\x80\xa8\"}");
}

/* Reference escaper: byte by byte, no tricks. */
static size_t ref_escape(const char *s, char *out) {
  size_t n = 0;
  out[n++] = '"';
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[n++] = '\\';
      out[n++] = (char)c;
    } else if (c < 0x20) {
      n += (size_t)sprintf(out + n, "\\u%04x", c);
      if (c == '\n') memcpy(out + n - 6, "\\n", 3), n -= 4;
      else if (c == '\t') memcpy(out + n - 6, "\\t", 3), n -= 4;
    } else {
      out[n++] = (char)c;
    }
  }
  out[n++] = '"';
  out[n] = '\0';
  return n;
}

/* The 8-bytes-at-a-time scan must find an escape at every offset. */
static void test_string_escape_positions(void **state) {
  (void)state;
  static const char specials[] = {'"', '\\', '\x01', '\n', '\t', '\x1f'};
  char s[48], want[400], got_wrapped[420];
  for (size_t len = 1; len < 40; len++) {
    for (size_t pos = 0; pos < len; pos++) {
      for (size_t i = 0; i < len; i++) s[i] = (char)('a' + i % 26);
      s[len] = '\0';
      size_t q = len > 3 ? (pos + 2) % (len - 1) : pos; /* a 2-byte character */
      if (q != pos && q + 1 != pos) memcpy(s + q, "\xc3\xa9", 2);
      s[pos] = specials[(len + pos) % sizeof specials];
      AllTypes m = ALL_INIT;
      m.f_string = s;
      ref_escape(s, want);
      snprintf(got_wrapped, sizeof got_wrapped, "{\"fString\":%s}", want);
      assert_json(&m, 0, got_wrapped);
    }
  }
}

/* A long string with escapes far apart: buffer growth while escaping. */
static void test_long_string(void **state) {
  (void)state;
  size_t n = 300000;
  char *s = malloc(n + 1), *want = malloc(2 * n + 32);
  assert_non_null(s);
  assert_non_null(want);
  for (size_t i = 0; i < n; i++) s[i] = (char)(i % 997 == 0 ? '"' : 'a' + i % 26);
  s[n] = '\0';
  strcpy(want, "{\"fString\":");
  ref_escape(s, want + strlen(want));
  strcat(want, "}");
  AllTypes m = ALL_INIT;
  m.f_string = s;
  assert_json(&m, 0, want);
  free(s);
  free(want);
}

static void test_invalid_utf8(void **state) {
  (void)state;
  AllTypes m = ALL_INIT;
  m.f_string = (char *)"ab\xff";
  assert_fails(&m, 0, EVREC_E_UTF8, "fString");
  m.f_string = (char *)"\xed\xa0\x80"; /* a surrogate */
  assert_fails(&m, 0, EVREC_E_UTF8, "fString");
  m.f_string = (char *)"\xc0\xaf"; /* overlong '/' */
  assert_fails(&m, PROTO_NAMES, EVREC_E_UTF8, "f_string");
  m.f_string = (char *)"\xe4\xb8"; /* truncated sequence */
  assert_fails(&m, 0, EVREC_E_UTF8, "fString");
  /* checked per plain run: after escapes, past 16-byte steps, and a
   * sequence cut short by an escape (runs end only at ASCII bytes) */
  m.f_string = (char *)"a\"b\n\xe2\x82\xac\t\xff";
  assert_fails(&m, 0, EVREC_E_UTF8, "fString");
  m.f_string = (char *)"0123456789abcdef0123456789abcdef\xc3";
  assert_fails(&m, 0, EVREC_E_UTF8, "fString");
  m.f_string = (char *)"0123456789\xe4\xb8\"\xad";
  assert_fails(&m, 0, EVREC_E_UTF8, "fString");
  m.f_string = (char *)"0123456789abcd\xe4\xb8\xad\xc3\xa9-\"\xf0\x9f\x98\x80";
  assert_json(&m, 0, "{\"fString\":\"0123456789abcd\xe4\xb8\xad\xc3\xa9-\\\"\xf0\x9f\x98\x80\"}");
  /* EVREC_JSON_VALID_UTF8: the caller vouches, the encoder copies as is */
  m.f_string = (char *)"ab\xff";
  assert_json(&m, EVREC_JSON_VALID_UTF8, "{\"fString\":\"ab\xff\"}");

  AllTypes r = ALL_INIT;
  char *strs[] = {(char *)"ok", (char *)"\x80"};
  r.n_r_string = 2;
  r.r_string = strs;
  assert_fails(&r, 0, EVREC_E_UTF8, "rString[1]");
}

static void test_bytes_base64(void **state) {
  (void)state;
  ProtobufCBinaryData b[] = {bin("", 0),     bin("f", 1),     bin("fo", 2),    bin("foo", 3),
                             bin("foob", 4), bin("fooba", 5), bin("foobar", 6), bin("\xff\xfe", 2)};
  AllTypes m = ALL_INIT;
  m.n_r_bytes = sizeof b / sizeof b[0];
  m.r_bytes = b;
  assert_json(&m, 0,
              "{\"rBytes\":[\"\",\"Zg==\",\"Zm8=\",\"Zm9v\",\"Zm9vYg==\",\"Zm9vYmE=\","
              "\"Zm9vYmFy\",\"//4=\"]}");
}

static void test_bytes_every_value(void **state) {
  (void)state;
  uint8_t all[256];
  for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
  AllTypes m = ALL_INIT;
  m.f_bytes.len = 256;
  m.f_bytes.data = all;
  /* python3 -c "import base64; print(base64.b64encode(bytes(range(256))))" */
  assert_json(&m, 0,
              "{\"fBytes\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v"
              "MDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdo"
              "aWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6Ch"
              "oqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna"
              "29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\"}");
}

/* ====================================================================== */
/* Enums                                                                   */
/* ====================================================================== */

static void test_enums(void **state) {
  (void)state;
  AllTypes m = ALL_INIT;
  Evrec__Test__Color r[] = {0, 1, (Evrec__Test__Color)99, EVREC__TEST__COLOR__COLOR_BLUE};
  m.f_enum = EVREC__TEST__COLOR__COLOR_BLUE; /* -3 */
  m.n_r_enum = 4;
  m.r_enum = r;
  assert_json(&m, 0,
              "{\"fEnum\":\"COLOR_BLUE\",\"rEnum\":[\"COLOR_UNSPECIFIED\",\"COLOR_RED\",99,"
              "\"COLOR_BLUE\"]}");
  assert_json(&m, ENUM_INTS, "{\"fEnum\":-3,\"rEnum\":[0,1,99,-3]}");
  m.n_r_enum = 0;
  m.f_enum = (Evrec__Test__Color)7; /* unknown numbers are legal in proto3 */
  assert_json(&m, 0, "{\"fEnum\":7}");
}

/* ====================================================================== */
/* Repeated fields and nesting                                             */
/* ====================================================================== */

static void test_repeated(void **state) {
  (void)state;
  int32_t i32[] = {1, -2, 3};
  int64_t i64[] = {1};
  protobuf_c_boolean bools[] = {1, 0};
  char *strs[] = {(char *)"a", (char *)""};
  Nested n1 = NESTED_INIT, n2 = NESTED_INIT;
  Nested *ns[] = {&n1, &n2};
  n1.a = 1;
  AllTypes m = ALL_INIT;
  m.n_r_int32 = 3;
  m.r_int32 = i32;
  m.n_r_int64 = 1;
  m.r_int64 = i64;
  m.n_r_bool = 2;
  m.r_bool = bools;
  m.n_r_string = 2;
  m.r_string = strs;
  m.n_r_nested = 2;
  m.r_nested = ns;
  assert_json(&m, 0,
              "{\"rInt32\":[1,-2,3],\"rInt64\":[\"1\"],\"rBool\":[true,false],"
              "\"rString\":[\"a\",\"\"],\"rNested\":[{\"a\":1},{}]}");
  m.n_r_int64 = m.n_r_bool = m.n_r_string = 0;
  m.n_r_int32 = 2;
  assert_json(&m, PRETTY,
              "{\n"
              "  \"rInt32\": [\n"
              "    1,\n"
              "    -2\n"
              "  ],\n"
              "  \"rNested\": [\n"
              "    {\n"
              "      \"a\": 1\n"
              "    },\n"
              "    {}\n"
              "  ]\n"
              "}");
}

static void test_nested_pretty(void **state) {
  (void)state;
  Nested child = NESTED_INIT, n = NESTED_INIT;
  child.b = (char *)"x";
  n.a = 1;
  n.child = &child;
  AllTypes m = ALL_INIT;
  m.f_nested = &n;
  m.f_bool = 1;
  assert_json(&m, 0, "{\"fBool\":true,\"fNested\":{\"a\":1,\"child\":{\"b\":\"x\"}}}");
  assert_json(&m, PRETTY,
              "{\n"
              "  \"fBool\": true,\n"
              "  \"fNested\": {\n"
              "    \"a\": 1,\n"
              "    \"child\": {\n"
              "      \"b\": \"x\"\n"
              "    }\n"
              "  }\n"
              "}");
}

/* ====================================================================== */
/* Maps                                                                    */
/* ====================================================================== */

static void test_map_order_ints(void **state) {
  (void)state;
  Evrec__Test__AllTypes__MInt32Int32Entry e[4];
  Evrec__Test__AllTypes__MInt32Int32Entry *pe[4];
  int32_t keys[] = {5, -1, 3, INT32_MIN};
  for (int i = 0; i < 4; i++) {
    evrec__test__all_types__mint32_int32_entry__init(&e[i]);
    e[i].key = keys[i];
    e[i].value = i;
    pe[i] = &e[i];
  }
  Evrec__Test__AllTypes__MUint64Uint64Entry u[3];
  Evrec__Test__AllTypes__MUint64Uint64Entry *pu[3];
  uint64_t ukeys[] = {UINT64_MAX, 0, 10};
  for (int i = 0; i < 3; i++) {
    evrec__test__all_types__muint64_uint64_entry__init(&u[i]);
    u[i].key = ukeys[i];
    u[i].value = (uint64_t)i;
    pu[i] = &u[i];
  }
  AllTypes m = ALL_INIT;
  m.n_m_int32_int32 = 4;
  m.m_int32_int32 = pe;
  m.n_m_uint64_uint64 = 3;
  m.m_uint64_uint64 = pu;
  assert_json(&m, 0,
              "{\"mInt32Int32\":{\"-2147483648\":3,\"-1\":1,\"3\":2,\"5\":0},"
              "\"mUint64Uint64\":{\"0\":\"1\",\"10\":\"2\",\"18446744073709551615\":\"0\"}}");
}

static void test_map_order_strings_and_bools(void **state) {
  (void)state;
  Evrec__Test__AllTypes__MStringStringEntry e[5];
  Evrec__Test__AllTypes__MStringStringEntry *pe[5];
  const char *keys[] = {"b", "a", "\xc3\xa9", "B", ""};
  for (int i = 0; i < 5; i++) {
    evrec__test__all_types__mstring_string_entry__init(&e[i]);
    e[i].key = (char *)keys[i];
    e[i].value = (char *)keys[i];
    pe[i] = &e[i];
  }
  Evrec__Test__AllTypes__MBoolStringEntry b[2];
  Evrec__Test__AllTypes__MBoolStringEntry *pb[2] = {&b[0], &b[1]};
  evrec__test__all_types__mbool_string_entry__init(&b[0]);
  evrec__test__all_types__mbool_string_entry__init(&b[1]);
  b[0].key = 1;
  b[0].value = (char *)"t";
  b[1].key = 0;
  b[1].value = (char *)"f";
  AllTypes m = ALL_INIT;
  m.n_m_string_string = 5;
  m.m_string_string = pe;
  m.n_m_bool_string = 2;
  m.m_bool_string = pb;
  assert_json(&m, 0,
              "{\"mStringString\":{\"\":\"\",\"B\":\"B\",\"a\":\"a\",\"b\":\"b\","
              "\"\xc3\xa9\":\"\xc3\xa9\"},\"mBoolString\":{\"false\":\"f\",\"true\":\"t\"}}");
  m.n_m_string_string = 2;
  assert_json(&m, PRETTY,
              "{\n"
              "  \"mStringString\": {\n"
              "    \"a\": \"a\",\n"
              "    \"b\": \"b\"\n"
              "  },\n"
              "  \"mBoolString\": {\n"
              "    \"false\": \"f\",\n"
              "    \"true\": \"t\"\n"
              "  }\n"
              "}");
}

/* A key repeated in binary input: the last entry wins, printed once. */
static void test_map_duplicate_keys(void **state) {
  (void)state;
  Evrec__Test__AllTypes__MStringStringEntry e[3];
  Evrec__Test__AllTypes__MStringStringEntry *pe[3] = {&e[0], &e[1], &e[2]};
  const char *kv[][2] = {{"k", "1"}, {"j", "x"}, {"k", "2"}};
  for (int i = 0; i < 3; i++) {
    evrec__test__all_types__mstring_string_entry__init(&e[i]);
    e[i].key = (char *)kv[i][0];
    e[i].value = (char *)kv[i][1];
  }
  Evrec__Test__AllTypes__MSint32DoubleEntry d[3];
  Evrec__Test__AllTypes__MSint32DoubleEntry *pd[3] = {&d[0], &d[1], &d[2]};
  for (int i = 0; i < 3; i++) {
    evrec__test__all_types__msint32_double_entry__init(&d[i]);
    d[i].key = 1;
    d[i].value = i + 0.5;
  }
  AllTypes m = ALL_INIT;
  m.n_m_string_string = 3;
  m.m_string_string = pe;
  m.n_m_sint32_double = 3;
  m.m_sint32_double = pd;
  assert_json(&m, 0, "{\"mStringString\":{\"j\":\"x\",\"k\":\"2\"},\"mSint32Double\":{\"1\":2.5}}");
}

static void test_map_value_kinds(void **state) {
  (void)state;
  Evrec__Test__AllTypes__MSfixed32EnumEntry en;
  Evrec__Test__AllTypes__MSfixed32EnumEntry *pen = &en;
  evrec__test__all_types__msfixed32_enum_entry__init(&en);
  en.key = -7;
  en.value = EVREC__TEST__COLOR__COLOR_RED;
  Evrec__Test__AllTypes__MFixed64BytesEntry by;
  Evrec__Test__AllTypes__MFixed64BytesEntry *pby = &by;
  evrec__test__all_types__mfixed64_bytes_entry__init(&by);
  by.key = 3;
  by.value = bin("hi", 2);
  Evrec__Test__AllTypes__MSint64FloatEntry fl;
  Evrec__Test__AllTypes__MSint64FloatEntry *pfl = &fl;
  evrec__test__all_types__msint64_float_entry__init(&fl);
  fl.key = INT64_MIN;
  fl.value = -0.0f; /* an entry's value is a singular field: pack() drops -0 */
  Evrec__Test__AllTypes__MStringNestedEntry sn;
  Evrec__Test__AllTypes__MStringNestedEntry *psn = &sn;
  evrec__test__all_types__mstring_nested_entry__init(&sn);
  sn.key = (char *)"k";
  sn.value = NULL; /* no value on the wire: the default instance */
  AllTypes m = ALL_INIT;
  m.n_m_sfixed32_enum = 1;
  m.m_sfixed32_enum = &pen;
  m.n_m_fixed64_bytes = 1;
  m.m_fixed64_bytes = &pby;
  m.n_m_sint64_float = 1;
  m.m_sint64_float = &pfl;
  m.n_m_string_nested = 1;
  m.m_string_nested = &psn;
  assert_json(&m, 0,
              "{\"mSint64Float\":{\"-9223372036854775808\":0},\"mFixed64Bytes\":{\"3\":\"aGk=\"},"
              "\"mSfixed32Enum\":{\"-7\":\"COLOR_RED\"},\"mStringNested\":{\"k\":{}}}");
  assert_json(&m, DEFAULTS | PRETTY,
              "{\n  \"fInt32\": 0,\n  \"fInt64\": \"0\",\n  \"fUint32\": 0,\n  \"fUint64\": \"0\",\n"
              "  \"fSint32\": 0,\n  \"fSint64\": \"0\",\n  \"fFixed32\": 0,\n  \"fFixed64\": \"0\",\n"
              "  \"fSfixed32\": 0,\n  \"fSfixed64\": \"0\",\n  \"fFloat\": 0,\n  \"fDouble\": 0,\n"
              "  \"fBool\": false,\n  \"fString\": \"\",\n  \"fBytes\": \"\",\n"
              "  \"fEnum\": \"COLOR_UNSPECIFIED\",\n  \"rInt32\": [],\n  \"rInt64\": [],\n"
              "  \"rUint32\": [],\n  \"rUint64\": [],\n  \"rSint32\": [],\n  \"rSint64\": [],\n"
              "  \"rFixed32\": [],\n  \"rFixed64\": [],\n  \"rSfixed32\": [],\n  \"rSfixed64\": [],\n"
              "  \"rFloat\": [],\n  \"rDouble\": [],\n  \"rBool\": [],\n  \"rString\": [],\n"
              "  \"rBytes\": [],\n  \"rEnum\": [],\n  \"rNested\": [],\n  \"mStringString\": {},\n"
              "  \"mInt32Int32\": {},\n  \"mInt64Int64\": {},\n  \"mUint32Uint32\": {},\n"
              "  \"mUint64Uint64\": {},\n  \"mSint32Double\": {},\n"
              "  \"mSint64Float\": {\n    \"-9223372036854775808\": 0\n  },\n"
              "  \"mFixed32Bool\": {},\n  \"mFixed64Bytes\": {\n    \"3\": \"aGk=\"\n  },\n"
              "  \"mSfixed32Enum\": {\n    \"-7\": \"COLOR_RED\"\n  },\n  \"mSfixed64Nested\": {},\n"
              "  \"mBoolString\": {},\n  \"mStringNested\": {\n    \"k\": {\n      \"a\": 0,\n"
              "      \"b\": \"\"\n    }\n  },\n  \"mStringValue\": {},\n  \"wNull\": null,\n"
              "  \"rwTimestamp\": [],\n  \"rwValue\": [],\n  \"rwInt32\": [],\n  \"rwAny\": [],\n"
              "  \"fieldName1X\": 0,\n  \"LeadingUnderscore\": 0\n}");
}

/* Same entries, different order: same bytes. */
static void test_map_deterministic(void **state) {
  (void)state;
  Evrec__Test__AllTypes__MInt64Int64Entry e[6];
  Evrec__Test__AllTypes__MInt64Int64Entry *fwd[6], *rev[6];
  for (int i = 0; i < 6; i++) {
    evrec__test__all_types__mint64_int64_entry__init(&e[i]);
    e[i].key = (i - 3) * INT64_C(1000000000000);
    e[i].value = i;
    fwd[i] = &e[i];
    rev[5 - i] = &e[i];
  }
  AllTypes a = ALL_INIT, b = ALL_INIT;
  a.n_m_int64_int64 = b.n_m_int64_int64 = 6;
  a.m_int64_int64 = fwd;
  b.m_int64_int64 = rev;
  char *ja = encode(&a, 0), *jb = encode(&b, 0), *ja2 = encode(&a, 0);
  assert_string_equal(ja, jb);
  assert_string_equal(ja, ja2);
  assert_string_equal(ja, "{\"mInt64Int64\":{\"-3000000000000\":\"0\",\"-2000000000000\":\"1\","
                          "\"-1000000000000\":\"2\",\"0\":\"3\",\"1000000000000\":\"4\","
                          "\"2000000000000\":\"5\"}}");
  free(ja);
  free(jb);
  free(ja2);
}

/* ====================================================================== */
/* Timestamp and Duration                                                  */
/* ====================================================================== */

static void check_timestamp(int64_t s, int32_t nanos, const char *want) {
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  ts.seconds = s;
  ts.nanos = nanos;
  char buf[64];
  snprintf(buf, sizeof buf, "\"%s\"", want);
  assert_json(&ts, 0, buf);
}

static void test_timestamp(void **state) {
  (void)state;
  check_timestamp(0, 0, "1970-01-01T00:00:00Z");
  check_timestamp(63108020, 21000000, "1972-01-01T10:00:20.021Z");
  check_timestamp(INT64_C(-62135596800), 0, "0001-01-01T00:00:00Z");
  check_timestamp(INT64_C(253402300799), 999999999, "9999-12-31T23:59:59.999999999Z");
  check_timestamp(-1, 0, "1969-12-31T23:59:59Z");
  check_timestamp(-1, 500000000, "1969-12-31T23:59:59.500Z");
  check_timestamp(951782400, 1000, "2000-02-29T00:00:00.000001Z");
  check_timestamp(1, 100, "1970-01-01T00:00:01.000000100Z");
  check_timestamp(INT64_C(4102444800), 500000000, "2100-01-01T00:00:00.500Z");

  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  AllTypes m = ALL_INIT;
  m.w_timestamp = &ts;
  assert_json(&m, 0, "{\"wTimestamp\":\"1970-01-01T00:00:00Z\"}");
  ts.seconds = INT64_C(253402300800);
  assert_fails(&m, 0, EVREC_E_RANGE, "wTimestamp");
  ts.seconds = INT64_C(-62135596801);
  assert_fails(&m, 0, EVREC_E_RANGE, "wTimestamp");
  ts.seconds = 0;
  ts.nanos = -1;
  assert_fails(&m, 0, EVREC_E_RANGE, "wTimestamp");
  ts.nanos = 1000000000;
  assert_fails(&m, PROTO_NAMES, EVREC_E_RANGE, "w_timestamp");

  Google__Protobuf__Timestamp ok = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  Google__Protobuf__Timestamp *list[] = {&ok, &ok, &ts};
  AllTypes r = ALL_INIT;
  r.n_rw_timestamp = 3;
  r.rw_timestamp = list;
  assert_fails(&r, 0, EVREC_E_RANGE, "rwTimestamp[2]");
  r.n_rw_timestamp = 2;
  assert_json(&r, 0, "{\"rwTimestamp\":[\"1970-01-01T00:00:00Z\",\"1970-01-01T00:00:00Z\"]}");
}

static void check_duration(int64_t s, int32_t nanos, const char *want) {
  Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
  d.seconds = s;
  d.nanos = nanos;
  AllTypes m = ALL_INIT;
  m.w_duration = &d;
  char buf[96];
  snprintf(buf, sizeof buf, "{\"wDuration\":\"%s\"}", want);
  assert_json(&m, 0, buf);
}

static void test_duration(void **state) {
  (void)state;
  check_duration(1, 340012, "1.000340012s");
  check_duration(0, -500000000, "-0.500s"); /* Google: 0, 3, 6 or 9 digits */
  check_duration(0, 0, "0s");
  check_duration(-1, 0, "-1s");
  check_duration(3, 1000, "3.000001s");
  check_duration(-5, -20000000, "-5.020s");
  check_duration(INT64_C(315576000000), 999999999, "315576000000.999999999s");
  check_duration(INT64_C(-315576000000), -999999999, "-315576000000.999999999s");

  Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
  AllTypes m = ALL_INIT;
  m.w_duration = &d;
  d.seconds = 1;
  d.nanos = -1; /* signs differ */
  assert_fails(&m, 0, EVREC_E_RANGE, "wDuration");
  d.seconds = -1;
  d.nanos = 1;
  assert_fails(&m, 0, EVREC_E_RANGE, "wDuration");
  d.seconds = INT64_C(315576000001);
  d.nanos = 0;
  assert_fails(&m, 0, EVREC_E_RANGE, "wDuration");
  d.seconds = 0;
  d.nanos = 1000000000;
  assert_fails(&m, 0, EVREC_E_RANGE, "wDuration");
}

/* ====================================================================== */
/* Wrappers, Empty, FieldMask                                              */
/* ====================================================================== */

/* A present wrapper prints its bare value, even at the default. */
static void test_wrappers_at_default(void **state) {
  (void)state;
  Google__Protobuf__DoubleValue dv = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
  Google__Protobuf__FloatValue fv = GOOGLE__PROTOBUF__FLOAT_VALUE__INIT;
  Google__Protobuf__Int64Value i64 = GOOGLE__PROTOBUF__INT64_VALUE__INIT;
  Google__Protobuf__UInt64Value u64 = GOOGLE__PROTOBUF__UINT64_VALUE__INIT;
  Google__Protobuf__Int32Value i32 = GOOGLE__PROTOBUF__INT32_VALUE__INIT;
  Google__Protobuf__UInt32Value u32 = GOOGLE__PROTOBUF__UINT32_VALUE__INIT;
  Google__Protobuf__BoolValue bv = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
  Google__Protobuf__StringValue sv = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
  Google__Protobuf__BytesValue byv = GOOGLE__PROTOBUF__BYTES_VALUE__INIT;
  Google__Protobuf__Empty em = GOOGLE__PROTOBUF__EMPTY__INIT;
  AllTypes m = ALL_INIT;
  fv.value = -0.0f; /* binary form: an empty wrapper, i.e. 0 */
  m.w_double = &dv;
  m.w_float = &fv;
  m.w_int64 = &i64;
  m.w_uint64 = &u64;
  m.w_int32 = &i32;
  m.w_uint32 = &u32;
  m.w_bool = &bv;
  m.w_string = &sv;
  m.w_bytes = &byv;
  m.w_empty = &em;
  assert_json(&m, 0,
              "{\"wEmpty\":{},\"wDouble\":0,\"wFloat\":0,\"wInt64\":\"0\",\"wUint64\":\"0\","
              "\"wInt32\":0,\"wUint32\":0,\"wBool\":false,\"wString\":\"\",\"wBytes\":\"\"}");
  dv.value = NAN;
  fv.value = 0.5f;
  i64.value = INT64_MIN;
  u64.value = UINT64_MAX;
  i32.value = -1;
  u32.value = UINT32_MAX;
  bv.value = 1;
  sv.value = (char *)"\"";
  byv.value = bin("\xff", 1);
  assert_json(&m, 0,
              "{\"wEmpty\":{},\"wDouble\":\"NaN\",\"wFloat\":0.5,"
              "\"wInt64\":\"-9223372036854775808\",\"wUint64\":\"18446744073709551615\","
              "\"wInt32\":-1,\"wUint32\":4294967295,\"wBool\":true,\"wString\":\"\\\"\","
              "\"wBytes\":\"/w==\"}");
  Google__Protobuf__Int32Value a = GOOGLE__PROTOBUF__INT32_VALUE__INIT,
                               b = GOOGLE__PROTOBUF__INT32_VALUE__INIT;
  Google__Protobuf__Int32Value *list[] = {&a, &b};
  a.value = 5;
  AllTypes r = ALL_INIT;
  r.n_rw_int32 = 2;
  r.rw_int32 = list;
  assert_json(&r, 0, "{\"rwInt32\":[5,0]}");
  assert_json(&i64, 0, "\"-9223372036854775808\""); /* top-level wrapper */
}

static void test_field_mask(void **state) {
  (void)state;
  Google__Protobuf__FieldMask fm = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
  char *paths[] = {(char *)"foo_bar", (char *)"baz.qux_quux", (char *)"a1", (char *)"_x",
                   (char *)"q\"t"};
  AllTypes m = ALL_INIT;
  m.w_field_mask = &fm;
  assert_json(&m, 0, "{\"wFieldMask\":\"\"}");
  fm.n_paths = 5;
  fm.paths = paths;
  assert_json(&m, 0, "{\"wFieldMask\":\"fooBar,baz.quxQuux,a1,X,q\\\"t\"}");
  /* Empty paths do not come back (our decoder refuses them; found by
   * fuzz_pb: binary ["", "b"] printed ",b", which did not read back). */
  char *empties[] = {(char *)"a", (char *)"", (char *)"b"};
  fm.n_paths = 3;
  fm.paths = empties;
  assert_fails(&m, 0, EVREC_E_RANGE, "wFieldMask[1]");
  fm.n_paths = 1;
  fm.paths = empties + 1;
  assert_fails(&m, 0, EVREC_E_RANGE, "wFieldMask[0]");
  /* Paths that would not come back from lowerCamelCase. */
  static const char *const bad[] = {"fooBar", "foo__bar", "foo_1", "foo_", "a,b", "x_Y"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *two[] = {(char *)"ok", (char *)bad[i]};
    fm.n_paths = 2;
    fm.paths = two;
    assert_fails(&m, 0, EVREC_E_RANGE, "wFieldMask[1]");
  }
}

/* ====================================================================== */
/* Struct, Value, ListValue                                                */
/* ====================================================================== */

typedef struct {
  Google__Protobuf__Value v[8];
  Google__Protobuf__Value *pv[8];
  Google__Protobuf__Struct__FieldsEntry fe[4];
  Google__Protobuf__Struct__FieldsEntry *pfe[4];
  Google__Protobuf__Struct st, inner;
  Google__Protobuf__ListValue lv;
} json_doc;

/* {"b": 1.5, "a": [null, true, "s", {}]} built out of order. */
static void build_doc(json_doc *d) {
  for (int i = 0; i < 8; i++) {
    google__protobuf__value__init(&d->v[i]);
    d->pv[i] = &d->v[i];
  }
  for (int i = 0; i < 4; i++) {
    google__protobuf__struct__fields_entry__init(&d->fe[i]);
    d->pfe[i] = &d->fe[i];
  }
  google__protobuf__struct__init(&d->st);
  google__protobuf__struct__init(&d->inner);
  google__protobuf__list_value__init(&d->lv);
  d->v[0].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
  d->v[0].number_value = 1.5;
  d->v[1].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
  d->v[1].list_value = &d->lv;
  d->v[2].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
  d->v[3].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
  d->v[3].bool_value = 1;
  d->v[4].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
  d->v[4].string_value = (char *)"s";
  d->v[5].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
  d->v[5].struct_value = &d->inner;
  d->lv.n_values = 4;
  d->lv.values = &d->pv[2];
  d->fe[0].key = (char *)"b";
  d->fe[0].value = &d->v[0];
  d->fe[1].key = (char *)"a";
  d->fe[1].value = &d->v[1];
  d->st.n_fields = 2;
  d->st.fields = d->pfe;
}

static void test_struct_value_list(void **state) {
  (void)state;
  json_doc d;
  build_doc(&d);
  AllTypes m = ALL_INIT;
  m.w_struct = &d.st;
  m.w_value = &d.v[4];
  m.w_list_value = &d.lv;
  assert_json(&m, 0,
              "{\"wStruct\":{\"a\":[null,true,\"s\",{}],\"b\":1.5},\"wValue\":\"s\","
              "\"wListValue\":[null,true,\"s\",{}]}");
  assert_json(&m, PRETTY | ENUM_INTS, /* null_value is null whatever the flags */
              "{\n"
              "  \"wStruct\": {\n"
              "    \"a\": [\n"
              "      null,\n"
              "      true,\n"
              "      \"s\",\n"
              "      {}\n"
              "    ],\n"
              "    \"b\": 1.5\n"
              "  },\n"
              "  \"wValue\": \"s\",\n"
              "  \"wListValue\": [\n"
              "    null,\n"
              "    true,\n"
              "    \"s\",\n"
              "    {}\n"
              "  ]\n"
              "}");
  assert_json(&d.st, 0, "{\"a\":[null,true,\"s\",{}],\"b\":1.5}"); /* top level */
  assert_json(&d.lv, 0, "[null,true,\"s\",{}]");
  assert_json(&d.v[2], 0, "null");
  d.v[0].number_value = -0.0; /* a oneof member: pack() keeps -0 */
  assert_json(&d.v[0], 0, "-0.0");
}

static void test_value_errors(void **state) {
  (void)state;
  json_doc d;
  build_doc(&d);
  AllTypes m = ALL_INIT;
  m.w_struct = &d.st;
  d.v[0].number_value = NAN; /* JSON has no NaN number; "NaN" would be a string */
  assert_fails(&m, 0, EVREC_E_RANGE, "wStruct[\"b\"]");
  d.v[0].number_value = -INFINITY;
  assert_fails(&m, 0, EVREC_E_RANGE, "wStruct[\"b\"]");
  d.v[0].number_value = 1;
  d.v[3].kind_case = GOOGLE__PROTOBUF__VALUE__KIND__NOT_SET;
  assert_fails(&m, 0, EVREC_E_SCHEMA, "wStruct[\"a\"][1]");
  d.v[3].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
  /* inner struct {"x": <no kind>} */
  d.fe[2].key = (char *)"x";
  d.fe[2].value = &d.v[6];
  d.inner.n_fields = 1;
  d.inner.fields = &d.pfe[2];
  assert_fails(&m, 0, EVREC_E_SCHEMA, "wStruct[\"a\"][3][\"x\"]");
  d.inner.n_fields = 0;
  d.v[5].struct_value = NULL; /* kind set, value missing: pack() drops it */
  assert_fails(&m, 0, EVREC_E_SCHEMA, "wStruct[\"a\"][3]");

  Google__Protobuf__Value none = GOOGLE__PROTOBUF__VALUE__INIT;
  AllTypes w = ALL_INIT;
  w.w_value = &none;
  assert_fails(&w, 0, EVREC_E_SCHEMA, "wValue");
  Google__Protobuf__Value *list[] = {&d.v[4], &none};
  AllTypes r = ALL_INIT;
  r.n_rw_value = 2;
  r.rw_value = list;
  assert_fails(&r, 0, EVREC_E_SCHEMA, "rwValue[1]");
  assert_fails(&none, 0, EVREC_E_SCHEMA, "");
}

/* ====================================================================== */
/* Any                                                                     */
/* ====================================================================== */

static void test_any_regular(void **state) {
  (void)state;
  Nested n = NESTED_INIT;
  n.a = 1;
  n.b = (char *)"x";
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  any.type_url = (char *)"type.googleapis.com/evrec.test.Nested";
  any.value = packed(&n);
  AllTypes m = ALL_INIT;
  m.w_any = &any;
  assert_json(&m, 0,
              "{\"wAny\":{\"@type\":\"type.googleapis.com/evrec.test.Nested\",\"a\":1,\"b\":\"x\"}}");
  assert_json(&m, PRETTY,
              "{\n"
              "  \"wAny\": {\n"
              "    \"@type\": \"type.googleapis.com/evrec.test.Nested\",\n"
              "    \"a\": 1,\n"
              "    \"b\": \"x\"\n"
              "  }\n"
              "}");
  /* A payload is bytes to every reader: its strings are checked even when
   * the caller vouches for the message's (found by fuzz_pb). */
  free(any.value.data);
  n.b = (char *)"\xff";
  any.value = packed(&n);
  assert_fails(&m, EVREC_JSON_VALID_UTF8, EVREC_E_UTF8, "wAny.b");
  /* and the flag is back in force after the Any */
  m.f_string = (char *)"\xfe";
  free(any.value.data);
  n.b = (char *)"x";
  any.value = packed(&n);
  assert_json(&m, EVREC_JSON_VALID_UTF8,
              "{\"fString\":\"\xfe\",\"wAny\":{\"@type\":\"type.googleapis.com/evrec.test.Nested\","
              "\"a\":1,\"b\":\"x\"}}");
  AllTypes fresh = ALL_INIT;
  m.f_string = fresh.f_string;
  /* Options apply inside the payload too. */
  free(any.value.data);
  n.b = (char *)"";
  any.value = packed(&n);
  assert_json(&any, DEFAULTS | PROTO_NAMES,
              "{\"@type\":\"type.googleapis.com/evrec.test.Nested\",\"a\":1,\"b\":\"\"}");
  /* Without any_types the payload type is unknown. */
  char *out = NULL;
  evrec_error err;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, &m.base, NULL, &err), EVREC_E_UNSUPPORTED);
  assert_string_equal(err.path, "wAny");
  assert_null(out);
  /* The type name is what follows the last '/', or all of it. */
  any.type_url = (char *)"evrec.test.Nested";
  assert_json(&m, 0, "{\"wAny\":{\"@type\":\"evrec.test.Nested\",\"a\":1}}");
  free(any.value.data);
}

static void test_any_well_known(void **state) {
  (void)state;
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  ts.seconds = 1;
  Google__Protobuf__Any inner = GOOGLE__PROTOBUF__ANY__INIT, outer = GOOGLE__PROTOBUF__ANY__INIT,
                        empty = GOOGLE__PROTOBUF__ANY__INIT, ev = GOOGLE__PROTOBUF__ANY__INIT,
                        wrap = GOOGLE__PROTOBUF__ANY__INIT;
  inner.type_url = (char *)"type.googleapis.com/google.protobuf.Timestamp";
  inner.value = packed(&ts);
  outer.type_url = (char *)"type.googleapis.com/google.protobuf.Any";
  outer.value = packed(&inner);
  Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;
  ev.type_url = (char *)"type.googleapis.com/google.protobuf.Empty";
  ev.value = packed(&e);
  Google__Protobuf__Int32Value zero = GOOGLE__PROTOBUF__INT32_VALUE__INIT;
  wrap.type_url = (char *)"type.googleapis.com/google.protobuf.Int32Value";
  wrap.value = packed(&zero); /* zero bytes */
  Google__Protobuf__Any *list[] = {&empty, &inner, &outer, &ev, &wrap};
  AllTypes m = ALL_INIT;
  m.n_rw_any = 5;
  m.rw_any = list;
  assert_json(&m, 0,
              "{\"rwAny\":[{},"
              "{\"@type\":\"type.googleapis.com/google.protobuf.Timestamp\","
              "\"value\":\"1970-01-01T00:00:01Z\"},"
              "{\"@type\":\"type.googleapis.com/google.protobuf.Any\",\"value\":"
              "{\"@type\":\"type.googleapis.com/google.protobuf.Timestamp\","
              "\"value\":\"1970-01-01T00:00:01Z\"}},"
              "{\"@type\":\"type.googleapis.com/google.protobuf.Empty\"},"
              "{\"@type\":\"type.googleapis.com/google.protobuf.Int32Value\",\"value\":0}]}");
  assert_json(&outer, PRETTY,
              "{\n"
              "  \"@type\": \"type.googleapis.com/google.protobuf.Any\",\n"
              "  \"value\": {\n"
              "    \"@type\": \"type.googleapis.com/google.protobuf.Timestamp\",\n"
              "    \"value\": \"1970-01-01T00:00:01Z\"\n"
              "  }\n"
              "}");
  free(inner.value.data);
  free(outer.value.data);
  free(ev.value.data);
  free(wrap.value.data);
}

static void test_any_errors(void **state) {
  (void)state;
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  AllTypes m = ALL_INIT;
  m.w_any = &any;
  any.type_url = (char *)"type.googleapis.com/foo.Bar";
  assert_fails(&m, 0, EVREC_E_UNSUPPORTED, "wAny");
  any.type_url = (char *)"";
  any.value = bin("\x08\x01", 2); /* a value without a type */
  assert_fails(&m, 0, EVREC_E_UNSUPPORTED, "wAny");
  any.type_url = (char *)"type.googleapis.com/evrec.test.Nested";
  any.value = bin("\xff\xff\xff", 3); /* not protobuf */
  assert_fails(&m, 0, EVREC_E_SYNTAX, "wAny");
  any.value = bin("\x12\x01\xff", 3); /* Nested.b = "\xff" */
  assert_fails(&m, 0, EVREC_E_UTF8, "wAny.b");
  Google__Protobuf__Timestamp bad = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  bad.nanos = -5;
  Google__Protobuf__Any ok = GOOGLE__PROTOBUF__ANY__INIT;
  Google__Protobuf__Any *list[] = {&ok, &any};
  any.type_url = (char *)"type.googleapis.com/google.protobuf.Timestamp";
  any.value = packed(&bad);
  AllTypes r = ALL_INIT;
  r.n_rw_any = 2;
  r.rw_any = list;
  assert_fails(&r, 0, EVREC_E_RANGE, "rwAny[1]");
  free(any.value.data);
}

/* ====================================================================== */
/* Error paths                                                             */
/* ====================================================================== */

static void test_error_paths(void **state) {
  (void)state;
  Nested bad = NESTED_INIT, child = NESTED_INIT, ok = NESTED_INIT;
  bad.b = (char *)"\xfe";
  child.child = &bad;
  Nested *ns[] = {&ok, &child};
  AllTypes inner = ALL_INIT, mid = ALL_INIT, top = ALL_INIT;
  inner.n_r_nested = 2;
  inner.r_nested = ns;
  mid.recursive = &inner;
  top.recursive = &mid;
  assert_fails(&top, 0, EVREC_E_UTF8, "recursive.recursive.rNested[1].child.b");
  assert_fails(&top, PROTO_NAMES, EVREC_E_UTF8, "recursive.recursive.r_nested[1].child.b");

  Evrec__Test__AllTypes__MStringNestedEntry se;
  Evrec__Test__AllTypes__MStringNestedEntry *pse = &se;
  evrec__test__all_types__mstring_nested_entry__init(&se);
  se.key = (char *)"k\xc3\xa9y";
  se.value = &bad;
  Evrec__Test__AllTypes__MSfixed64NestedEntry ie;
  Evrec__Test__AllTypes__MSfixed64NestedEntry *pie = &ie;
  evrec__test__all_types__msfixed64_nested_entry__init(&ie);
  ie.key = -5;
  ie.value = &bad;
  Evrec__Test__AllTypes__MBoolStringEntry be;
  Evrec__Test__AllTypes__MBoolStringEntry *pbe = &be;
  evrec__test__all_types__mbool_string_entry__init(&be);
  be.key = 1;
  be.value = (char *)"\xff";
  AllTypes m = ALL_INIT;
  m.n_m_string_nested = 1;
  m.m_string_nested = &pse;
  assert_fails(&m, 0, EVREC_E_UTF8, "mStringNested[\"k\xc3\xa9y\"].b");
  m.n_m_string_nested = 0;
  m.n_m_sfixed64_nested = 1;
  m.m_sfixed64_nested = &pie;
  assert_fails(&m, 0, EVREC_E_UTF8, "mSfixed64Nested[\"-5\"].b");
  m.n_m_sfixed64_nested = 0;
  m.n_m_bool_string = 1;
  m.m_bool_string = &pbe;
  assert_fails(&m, 0, EVREC_E_UTF8, "mBoolString[\"true\"]");
  be.key = 0;
  be.value = (char *)"ok";
  /* An invalid key: the path shows the bytes that are not UTF-8 as \xNN. */
  Evrec__Test__AllTypes__MStringStringEntry ke;
  Evrec__Test__AllTypes__MStringStringEntry *pke = &ke;
  evrec__test__all_types__mstring_string_entry__init(&ke);
  ke.key = (char *)"ab\xff";
  m.n_m_string_string = 1;
  m.m_string_string = &pke;
  assert_fails(&m, 0, EVREC_E_UTF8, "mStringString[\"ab\\xff\"]");
}

/* The path of the spec's example, on the real schema. */
static void test_error_path_record(void **state) {
  (void)state;
  Evrec__V1__Participant p0 = EVREC__V1__PARTICIPANT__INIT;
  Evrec__V1__Participant *parts[] = {&p0};
  Evrec__V1__Event e0 = EVREC__V1__EVENT__INIT, e1 = EVREC__V1__EVENT__INIT;
  Evrec__V1__Event *events[] = {&e0, &e1};
  Evrec__V1__Record rec = EVREC__V1__RECORD__INIT;
  p0.actor_id = (char *)"a\x80";
  e1.n_participants = 1;
  e1.participants = parts;
  rec.n_events = 2;
  rec.events = events;
  assert_fails(&rec, 0, EVREC_E_UTF8, "events[1].participants[0].actorId");
  assert_fails(&rec, PROTO_NAMES, EVREC_E_UTF8, "events[1].participants[0].actor_id");
}

/* A chain of n AllTypes linked through `recursive`. */
static AllTypes *chain(size_t n) {
  AllTypes *v = calloc(n, sizeof *v);
  assert_non_null(v);
  for (size_t i = 0; i < n; i++) {
    evrec__test__all_types__init(&v[i]);
    if (i + 1 < n) v[i].recursive = &v[i + 1];
  }
  return v;
}

/* Deep paths keep their innermost steps behind "...". */
static void test_error_path_truncated(void **state) {
  (void)state;
  AllTypes *v = chain(200);
  v[199].f_string = (char *)"\xff";
  evrec_json_encode_options o = EVREC_JSON_ENCODE_OPTIONS_INIT;
  evrec_error err;
  char *out = NULL;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, &v[0].base, &o, &err), EVREC_E_UTF8);
  size_t n = strlen(err.path);
  assert_true(n < EVREC_ERROR_PATH_MAX);
  assert_true(n > EVREC_ERROR_PATH_MAX - 12);
  assert_memory_equal(err.path, "....recursive.", 14);
  assert_string_equal(err.path + n - 18, ".recursive.fString");
  free(v);
}

/* 1000 nested JSON levels are fine; one more is EVREC_E_LIMIT. */
static void test_depth_limit(void **state) {
  (void)state;
  AllTypes *v = chain(1001);
  v[999].recursive = NULL;
  char *out = encode(&v[0], 0);
  assert_int_equal(strlen(out), 999 * strlen("{\"recursive\":") + 2 + 999);
  free(out);
  v[999].recursive = &v[1000];
  evrec_json_encode_options o = EVREC_JSON_ENCODE_OPTIONS_INIT;
  evrec_error err;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, &v[0].base, &o, &err), EVREC_E_LIMIT);
  assert_int_equal(err.code, EVREC_E_LIMIT);
  size_t n = strlen(err.path);
  assert_true(n > 10);
  assert_string_equal(err.path + n - 10, ".recursive");
  free(v);
}

/* ====================================================================== */
/* API: snprintf semantics, arguments, appending                           */
/* ====================================================================== */

static void test_snprintf_semantics(void **state) {
  (void)state;
  AllTypes m = ALL_INIT;
  m.f_int32 = 1;
  const char *full = "{\"fInt32\":1}"; /* 12 bytes */
  size_t len = 99;
  char buf[32];
  assert_int_equal(evrec_json_encode(NULL, 0, &len, &m.base, NULL, NULL), EVREC_OK);
  assert_int_equal(len, 12);
  memset(buf, '#', sizeof buf);
  assert_int_equal(evrec_json_encode(buf, 5, &len, &m.base, NULL, NULL), EVREC_OK);
  assert_int_equal(len, 12);
  assert_string_equal(buf, "{\"fI");
  assert_int_equal(buf[5], '#'); /* nothing written past size */
  assert_int_equal(evrec_json_encode(buf, 12, &len, &m.base, NULL, NULL), EVREC_OK);
  assert_int_equal(len, 12);
  assert_string_equal(buf, "{\"fInt32\":1");
  memset(buf, '#', sizeof buf);
  assert_int_equal(evrec_json_encode(buf, 13, &len, &m.base, NULL, NULL), EVREC_OK);
  assert_string_equal(buf, full);
  assert_int_equal(buf[13], '#');
  assert_int_equal(evrec_json_encode(buf, sizeof buf, NULL, &m.base, NULL, NULL), EVREC_OK);
  assert_string_equal(buf, full);
  /* On error: empty string, out_len 0. */
  m.f_string = (char *)"\xff";
  evrec_error err;
  assert_int_equal(evrec_json_encode(buf, sizeof buf, &len, &m.base, NULL, &err), EVREC_E_UTF8);
  assert_string_equal(buf, "");
  assert_int_equal(len, 0);
  assert_string_equal(err.path, "fString");
}

static void test_invalid_arguments(void **state) {
  (void)state;
  AllTypes m = ALL_INIT;
  evrec_error err;
  char buf[8], *out = NULL;
  evrec_json_encode_options o = EVREC_JSON_ENCODE_OPTIONS_INIT;
  assert_int_equal(evrec_json_encode(buf, sizeof buf, NULL, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  assert_int_equal(err.code, EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_json_encode(NULL, 4, NULL, &m.base, NULL, &err), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_json_encode_alloc(NULL, NULL, &m.base, NULL, &err), EVREC_E_INVALID_ARG);
  o.version = 0;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, &m.base, &o, &err), EVREC_E_INVALID_ARG);
  o.version = EVREC_JSON_ENCODE_OPTIONS_VERSION + 1;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, &m.base, &o, &err), EVREC_E_INVALID_ARG);
  o.version = EVREC_JSON_ENCODE_OPTIONS_VERSION;
  o.flags = 0x100;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, &m.base, &o, &err), EVREC_E_INVALID_ARG);
  o.flags = 0;
  o.n_any_types = 1;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, &m.base, &o, &err), EVREC_E_INVALID_ARG);
  assert_null(out);
  /* err may be NULL. */
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, NULL, NULL, NULL), EVREC_E_INVALID_ARG);
}

/* The internal entry point appends; on error it restores the length. */
static void test_encode_buf_appends(void **state) {
  (void)state;
  evrec__buf b;
  evrec__buf_init(&b);
  assert_true(evrec__buf_puts(&b, "xx"));
  AllTypes m = ALL_INIT;
  m.f_bool = 1;
  assert_int_equal(evrec__json_encode_buf(&b, &m.base, NULL, NULL, NULL), EVREC_OK);
  assert_string_equal(evrec__buf_cstr(&b), "xx{\"fBool\":true}");
  m.f_string = (char *)"\xff";
  assert_int_equal(evrec__json_encode_buf(&b, &m.base, NULL, NULL, NULL), EVREC_E_UTF8);
  assert_string_equal(evrec__buf_cstr(&b), "xx{\"fBool\":true}");
  evrec__buf_free(&b);
}

/* A message type of one string field whose name is too long for a slot of
 * the name cache (JNAME_MAX, json_encode.c): printed by the slow path. */
typedef struct LongName {
  ProtobufCMessage base;
  char *v;
} LongName;
#define LONG_FIELD "a_field_name_much_longer_than_the_cache_slots_of_json_encode_c"
static const ProtobufCFieldDescriptor long_name_fields[1] = {
    {LONG_FIELD, 1, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING, 0, offsetof(LongName, v), NULL,
     &protobuf_c_empty_string, 0, 0, NULL, NULL}};
static const unsigned long_name_by_name[1] = {0};
static const ProtobufCIntRange long_name_ranges[2] = {{1, 0}, {0, 1}};
static const ProtobufCMessageDescriptor long_name_descriptor = {
    PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "evrec.test.LongName", "LongName", "LongName",
    "evrec.test", sizeof(LongName), 1, long_name_fields, long_name_by_name, 1, long_name_ranges,
    NULL, NULL, NULL, NULL};

static char *encode_cached(const ProtobufCMessage *m, unsigned flags, evrec__jnames *names) {
  evrec_json_encode_options o = opts_for(flags);
  evrec__buf b;
  evrec__buf_init(&b);
  evrec_error err;
  int rc = evrec__json_encode_buf(&b, m, &o, names, &err);
  if (rc != EVREC_OK) fail_msg("encode: %d %s (path '%s')", rc, err.message, err.path);
  char *out = strdup(evrec__buf_cstr(&b));
  evrec__buf_free(&b);
  return out;
}

/* The writer's cache of printed field names changes nothing: one cache
 * used for two schemas (so fields share slots) and every naming and
 * spacing option in turn gives the output of no cache; a name too long
 * for a slot is printed all the same. */
static void test_encode_names_cache(void **state) {
  (void)state;
  static const unsigned flag_sets[] = {0, PRETTY, PROTO_NAMES, PRETTY | PROTO_NAMES, 0};
  evrec__jnames *names = evrec__jnames_new();
  assert_non_null(names);
  evrec_arena *a = evrec_arena_new(0);
  randmsg_options ro = RANDMSG_OPTIONS_INIT;
  ro.any_types = any_types;
  ro.n_any_types = 2;
  for (uint64_t seed = 0; seed < 200; seed++) {
    const ProtobufCMessageDescriptor *d =
        seed % 2 ? &evrec__v1__record__descriptor : &evrec__test__all_types__descriptor;
    ProtobufCMessage *m = randmsg_new(d, seed, a, &ro);
    assert_non_null(m);
    unsigned flags = flag_sets[(seed / 2) % (sizeof flag_sets / sizeof flag_sets[0])];
    char *want = encode(m, flags), *got = encode_cached(m, flags, names);
    assert_string_equal(got, want);
    free(want);
    free(got);
    evrec_arena_reset(a);
  }
  evrec_arena_free(a);
  LongName ln = {PROTOBUF_C_MESSAGE_INIT(&long_name_descriptor), (char *)"x"};
  for (int i = 0; i < 2; i++) {
    char *got = encode_cached(&ln.base, i ? PROTO_NAMES : 0, names);
    assert_string_equal(got, i ? "{\"" LONG_FIELD "\":\"x\"}"
                               : "{\"aFieldNameMuchLongerThanTheCacheSlotsOfJsonEncodeC\":\"x\"}");
    free(got);
  }
  evrec__jnames_free(names);
}

/* ====================================================================== */
/* Random messages (tests/util/randmsg.h)                                  */
/* ====================================================================== */

/* The generator is deterministic: same seed, same message. */
static void test_randmsg_deterministic(void **state) {
  (void)state;
  evrec_arena *a = evrec_arena_new(0), *b = evrec_arena_new(0);
  randmsg_options ro = RANDMSG_OPTIONS_INIT;
  ro.any_types = any_types;
  ro.n_any_types = 2;
  size_t same = 0;
  for (uint64_t seed = 0; seed < 50; seed++) {
    ProtobufCMessage *x = randmsg_new(&evrec__test__all_types__descriptor, seed, a, &ro);
    ProtobufCMessage *y = randmsg_new(&evrec__test__all_types__descriptor, seed, b, &ro);
    ProtobufCMessage *z = randmsg_new(&evrec__test__all_types__descriptor, seed + 1000, b, &ro);
    ProtobufCBinaryData px = packed(x), py = packed(y), pz = packed(z);
    assert_int_equal(px.len, py.len);
    assert_memory_equal(px.data, py.data, px.len);
    same += px.len == pz.len && memcmp(px.data, pz.data, px.len) == 0;
    free(px.data);
    free(py.data);
    free(pz.data);
    evrec_arena_reset(a);
    evrec_arena_reset(b);
  }
  assert_true(same < 3); /* different seeds, different messages */
  evrec_arena_free(a);
  evrec_arena_free(b);
}

/* Everything randmsg makes encodes, with every option, deterministically;
 * compact output has no newline, pretty output only adds whitespace. */
static void encode_random(const ProtobufCMessageDescriptor *d, unsigned count) {
  static const unsigned flag_sets[] = {0, PRETTY, DEFAULTS | PROTO_NAMES | ENUM_INTS};
  evrec_arena *a = evrec_arena_new(0);
  randmsg_options ro = RANDMSG_OPTIONS_INIT;
  ro.any_types = any_types;
  ro.n_any_types = 2;
  for (uint64_t seed = 0; seed < count; seed++) {
    ProtobufCMessage *m = randmsg_new(d, seed, a, &ro);
    assert_non_null(m);
    char *compact = NULL;
    for (size_t i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++) {
      char *j1 = encode(m, flag_sets[i]), *j2 = encode(m, flag_sets[i]);
      assert_string_equal(j1, j2);
      if (flag_sets[i] == 0) {
        assert_null(strchr(j1, '\n'));
        compact = j1;
      } else {
        if (flag_sets[i] == PRETTY) assert_true(strlen(j1) >= strlen(compact));
        free(j1);
      }
      free(j2);
    }
    free(compact);
    evrec_arena_reset(a);
  }
  evrec_arena_free(a);
}

static void test_random_alltypes(void **state) {
  (void)state;
  encode_random(&evrec__test__all_types__descriptor, 1000);
}

static void test_random_record(void **state) {
  (void)state;
  encode_random(&evrec__v1__record__descriptor, 300);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_message),
      cmocka_unit_test(test_scalars),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_defaults_omitted),
      cmocka_unit_test(test_emit_defaults_nested),
      cmocka_unit_test(test_emit_defaults_alltypes),
      cmocka_unit_test(test_oneof),
      cmocka_unit_test(test_doubles_shortest),
      cmocka_unit_test(test_doubles_fast_paths_agree),
      cmocka_unit_test(test_floats_shortest),
      cmocka_unit_test(test_integer_extremes),
      cmocka_unit_test(test_locale_independent),
      cmocka_unit_test(test_string_escapes),
      cmocka_unit_test(test_string_escape_positions),
      cmocka_unit_test(test_long_string),
      cmocka_unit_test(test_invalid_utf8),
      cmocka_unit_test(test_bytes_base64),
      cmocka_unit_test(test_bytes_every_value),
      cmocka_unit_test(test_enums),
      cmocka_unit_test(test_repeated),
      cmocka_unit_test(test_nested_pretty),
      cmocka_unit_test(test_map_order_ints),
      cmocka_unit_test(test_map_order_strings_and_bools),
      cmocka_unit_test(test_map_duplicate_keys),
      cmocka_unit_test(test_map_value_kinds),
      cmocka_unit_test(test_map_deterministic),
      cmocka_unit_test(test_timestamp),
      cmocka_unit_test(test_duration),
      cmocka_unit_test(test_wrappers_at_default),
      cmocka_unit_test(test_field_mask),
      cmocka_unit_test(test_struct_value_list),
      cmocka_unit_test(test_value_errors),
      cmocka_unit_test(test_any_regular),
      cmocka_unit_test(test_any_well_known),
      cmocka_unit_test(test_any_errors),
      cmocka_unit_test(test_error_paths),
      cmocka_unit_test(test_error_path_record),
      cmocka_unit_test(test_error_path_truncated),
      cmocka_unit_test(test_depth_limit),
      cmocka_unit_test(test_snprintf_semantics),
      cmocka_unit_test(test_invalid_arguments),
      cmocka_unit_test(test_encode_buf_appends),
      cmocka_unit_test(test_encode_names_cache),
      cmocka_unit_test(test_randmsg_deterministic),
      cmocka_unit_test(test_random_alltypes),
      cmocka_unit_test(test_random_record),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
