/*
 * test_reader.c -- evrec_reader over memory, files, stdio streams and pipes;
 * format names, extensions and detection.
 *
 * Records are evrec.test.AllTypes (opts.type), except one test of the
 * default type evrec.v1.Record. The JSON decoding itself is tested in
 * test_json_decode.c; here: layouts, framing, buffering, positions, limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "alltypes.pb-c.h"
#include "evrec/v1/evrec.pb-c.h"
#include "internal.h"

#define AT (&evrec__test__all_types__descriptor)
#define CHUNK (256u * 1024u) /* the reader's read size */

typedef const Evrec__Test__AllTypes *rec_t;

static evrec_reader_options at_opts(evrec_format format, const char *name) {
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.type = AT;
  o.format = format;
  o.name = name;
  return o;
}

static evrec_reader *open_mem(const char *data, size_t len, const evrec_reader_options *o) {
  evrec_reader *r = NULL;
  evrec_error err;
  int rc = evrec_reader_open_memory(&r, data, len, o, &err);
  if (rc) fail_msg("open failed: %d %s", rc, err.message);
  return r;
}

/* Reads every record, storing fInt32 values; @return the final status. */
static int read_ints(evrec_reader *r, int32_t *vals, size_t max, size_t *n, evrec_error *err) {
  const ProtobufCMessage *m;
  int rc;
  *n = 0;
  while ((rc = evrec_reader_next(r, &m, err)) == EVREC_OK) {
    assert_non_null(m);
    if (*n < max) vals[*n] = ((rec_t)m)->f_int32;
    (*n)++;
  }
  return rc;
}

/* Expects `json` to hold records whose fInt32 are 1..n in order. */
static void expect_ints(const char *json, size_t n_expected) {
  evrec_reader_options o = at_opts(EVREC_FORMAT_AUTO, NULL);
  evrec_reader *r = open_mem(json, strlen(json), &o);
  int32_t v[16];
  size_t n;
  evrec_error err;
  int rc = read_ints(r, v, 16, &n, &err);
  if (rc != EVREC_DONE) fail_msg("%s: status %d: %s", json, rc, err.message);
  assert_int_equal(n, n_expected);
  for (size_t i = 0; i < n; i++) assert_int_equal(v[i], (int32_t)i + 1);
  assert_int_equal(evrec_reader_count(r), n_expected);
  assert_int_equal(evrec_reader_offset(r), strlen(json));
  assert_int_equal(evrec_reader_next(r, (const ProtobufCMessage **)&v, &err), EVREC_DONE);
  evrec_reader_close(r);
}

/* Expects the first error of `json` to have these positions. */
static void expect_json_error(const char *json, size_t len, int code, uint64_t record,
                              uint32_t line, uint32_t col, uint64_t offset) {
  evrec_reader_options o = at_opts(EVREC_FORMAT_JSON, NULL);
  evrec_reader *r = open_mem(json, len, &o);
  int32_t v[16];
  size_t n;
  evrec_error err;
  int rc = read_ints(r, v, 16, &n, &err);
  if (rc != code) fail_msg("status %d (%s), want %d", rc, err.message, code);
  assert_int_equal(err.code, code);
  assert_int_equal(n, record);
  assert_int_equal(err.record, record);
  assert_int_equal(err.line, line);
  assert_int_equal(err.column, col);
  assert_int_equal(err.offset, offset);
  evrec_reader_close(r);
}

/* ---------------------------------------------------------------- layouts */

static void test_json_layouts(void **state) {
  (void)state;
  expect_ints("{\"fInt32\":1}", 1);
  expect_ints("{\"fInt32\":1}\n{\"fInt32\":2}\n{\"fInt32\":3}\n", 3);     /* NDJSON */
  expect_ints("{\"fInt32\":1}\r\n{\"fInt32\":2}\r\n", 2);                  /* CRLF */
  expect_ints("{\"fInt32\":1}{\"fInt32\":2}", 2);                          /* no blank */
  expect_ints(" \t{\"fInt32\":1}  \n\n\t {\"fInt32\":2} \n", 2);           /* blanks */
  expect_ints("{\n  \"fInt32\": 1\n}\n{\n  \"fInt32\": 2\n}\n", 2);        /* pretty */
  expect_ints("[{\"fInt32\":1},{\"fInt32\":2},{\"fInt32\":3}]", 3);        /* array */
  expect_ints("\n [ {\"fInt32\":1} ,\n\t{\"fInt32\":2}\n ]\n\n", 2);       /* array, blanks */
  expect_ints("[{\"fInt32\":1},\n{\"fInt32\":2}]\n", 2);                   /* --array output */
  expect_ints("\xEF\xBB\xBF{\"fInt32\":1}\n", 1);                          /* BOM */
}

static void test_empty_inputs(void **state) {
  (void)state;
  expect_ints("", 0);
  expect_ints("  \n\t\r\n", 0);
  expect_ints("[]", 0);
  expect_ints(" [ \n ] \n", 0);
  expect_ints("\xEF\xBB\xBF", 0);
  /* pbd: nothing; pb: the empty message (as Google's parsers read it) */
  evrec_reader_options o = at_opts(EVREC_FORMAT_PBD, NULL);
  evrec_reader *r = open_mem("", 0, &o);
  const ProtobufCMessage *m;
  evrec_error err;
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_DONE);
  evrec_reader_close(r);
  o.format = EVREC_FORMAT_PB;
  r = open_mem("", 0, &o);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(((rec_t)m)->f_int32, 0);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_DONE);
  assert_int_equal(evrec_reader_count(r), 1);
  evrec_reader_close(r);
}

static void test_array_errors(void **state) {
  (void)state;
  const char *s = "[{\"fInt32\":1},]";
  expect_json_error(s, strlen(s), EVREC_E_SYNTAX, 1, 1, 15, 14); /* trailing comma */
  s = "[{\"fInt32\":1} {\"fInt32\":2}]";
  expect_json_error(s, strlen(s), EVREC_E_SYNTAX, 1, 1, 15, 14);
  s = "[{\"fInt32\":1},\n";
  expect_json_error(s, strlen(s), EVREC_E_TRUNCATED, 1, 2, 1, 15);
  s = "[";
  expect_json_error(s, strlen(s), EVREC_E_TRUNCATED, 0, 1, 2, 1);
  s = "[{\"fInt32\":1}]\n x";
  expect_json_error(s, strlen(s), EVREC_E_SYNTAX, 1, 2, 2, 16);
  s = "[{\"fInt32\":1}] [{\"fInt32\":2}]";
  expect_json_error(s, strlen(s), EVREC_E_SYNTAX, 1, 1, 16, 15);
  /* the message says what was expected */
  evrec_reader_options o = at_opts(EVREC_FORMAT_AUTO, NULL);
  s = "[{\"fInt32\":1},]";
  evrec_reader *r = open_mem(s, strlen(s), &o);
  const ProtobufCMessage *m;
  evrec_error err;
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_E_SYNTAX);
  assert_string_equal(err.message, "expected a record after ',' (trailing comma)");
  assert_string_equal(err.path, "");
  evrec_reader_close(r);
}

/* ---------------------------------------------------------------- positions */

static void test_error_position_third_record(void **state) {
  (void)state;
  const char *s = "{\"fInt32\":1}\n{\"fInt32\":2}\n{\"fInt32\":3,\"bogus\":4}\n";
  expect_json_error(s, strlen(s), EVREC_E_SCHEMA, 2, 3, 13, 38);
  /* the same in a pretty array with a BOM (columns start after the BOM) */
  s = "\xEF\xBB\xBF[\n  {\"fInt32\": 1},\n  {\"fInt32\": 2},\n  {\n    \"fInt32\": 3,\n    \"bogus\": 4\n  }\n]\n";
  expect_json_error(s, strlen(s), EVREC_E_SCHEMA, 2, 6, 5, 64);
  /* a syntax error inside a record on line 2 */
  s = "{\"fInt32\":1}\n{\"fInt32\":2,,}\n";
  expect_json_error(s, strlen(s), EVREC_E_SYNTAX, 1, 2, 13, 25);
}

static void test_sticky_error(void **state) {
  (void)state;
  const char *s = "{\"fInt32\":1}\n{\"fInt32\":\"x\"}\n{\"fInt32\":3}\n";
  evrec_reader_options o = at_opts(EVREC_FORMAT_AUTO, NULL);
  evrec_reader *r = open_mem(s, strlen(s), &o);
  const ProtobufCMessage *m;
  evrec_error err, again;
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  int rc = evrec_reader_next(r, &m, &err);
  assert_true(rc < 0);
  assert_null(m);
  assert_int_equal(evrec_reader_next(r, &m, &again), rc);
  assert_null(m);
  assert_string_equal(again.message, err.message);
  assert_int_equal(again.record, 1);
  assert_int_equal(again.line, err.line);
  assert_int_equal(evrec_reader_next(r, &m, NULL), rc);
  assert_int_equal(evrec_reader_count(r), 1);
  evrec_reader_close(r);
}

static void test_ignore_unknown_and_default_type(void **state) {
  (void)state;
  const char *s = "{\"fInt32\":5,\"bogus\":[1,{\"x\":2}]}";
  evrec_reader_options o = at_opts(EVREC_FORMAT_AUTO, NULL);
  o.json_flags = EVREC_JSON_IGNORE_UNKNOWN;
  evrec_reader *r = open_mem(s, strlen(s), &o);
  const ProtobufCMessage *m;
  evrec_error err;
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(((rec_t)m)->f_int32, 5);
  evrec_reader_close(r);
  /* type NULL = evrec.v1.Record */
  s = "{\"id\":\"r1\",\"revision\":2}";
  assert_int_equal(evrec_reader_open_memory(&r, s, strlen(s), NULL, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_ptr_equal(m->descriptor, evrec_record_descriptor());
  assert_string_equal(((const Evrec__V1__Record *)m)->id, "r1");
  assert_int_equal(((const Evrec__V1__Record *)m)->revision, 2);
  evrec_reader_close(r);
}

/* ---------------------------------------------------------------- truncation */

/* Every prefix of a valid stream reads the complete records, then ends
 * cleanly (cut between records) or with EVREC_E_TRUNCATED -- never with a
 * syntax error, never a crash. */
static void test_json_truncated_everywhere(void **state) {
  (void)state;
  const char *s = "{\"fInt32\":1,\"fString\":\"a\\u00e9\\\"\xe2\x82\xac\",\"fBool\":true,"
                  "\"rDouble\":[1.5e3,-0.25],\"fNested\":{\"b\":\"x\"},\"fBytes\":\"AAE=\"}\n"
                  "{\"fInt32\":2,\"fEnum\":\"COLOR_RED\",\"fInt64\":\"-12\",\"wNull\":null}\n";
  size_t len = strlen(s), first_end = strchr(s, '\n') - s + 1;
  for (size_t n = 0; n <= len; n++) {
    evrec_reader_options o = at_opts(EVREC_FORMAT_JSON, NULL);
    evrec_reader *r = open_mem(s, n, &o);
    int32_t v[4];
    size_t got;
    evrec_error err;
    int rc = read_ints(r, v, 4, &got, &err);
    size_t complete = n >= len - 1 ? 2 : n >= first_end - 1 ? 1 : 0;
    bool between = n == 0 || n == first_end - 1 || n == first_end || n >= len - 1;
    if (rc != (between ? EVREC_DONE : EVREC_E_TRUNCATED))
      fail_msg("prefix %zu: status %d (%s)", n, rc, err.message);
    assert_int_equal(got, complete);
    if (!between) assert_int_equal(err.record, complete);
    evrec_reader_close(r);
  }
}

static void test_pbd_truncated_everywhere(void **state) {
  (void)state;
  /* two records: {fInt32: 1, fString: "ab"} and {fInt32: 2} */
  static const char data[] = "\x06\x08\x01\x72\x02" "ab" "\x02\x08\x02";
  size_t len = sizeof data - 1;
  for (size_t n = 0; n <= len; n++) {
    evrec_reader_options o = at_opts(EVREC_FORMAT_PBD, NULL);
    evrec_reader *r = open_mem(data, n, &o);
    int32_t v[4];
    size_t got;
    evrec_error err;
    int rc = read_ints(r, v, 4, &got, &err);
    bool between = n == 0 || n == 7 || n == len;
    assert_int_equal(rc, between ? EVREC_DONE : EVREC_E_TRUNCATED);
    assert_int_equal(got, n >= len ? 2 : n >= 7 ? 1 : 0);
    if (!between) {
      char want[64];
      size_t start = n < 7 ? 0 : 7, need = n < 7 ? 6 : 2;
      snprintf(want, sizeof want, "truncated: need %zu bytes, have %zu", need, n - start - 1);
      assert_string_equal(err.message, want);
      assert_int_equal(err.offset, start);
      assert_int_equal(err.record, got);
      assert_int_equal(err.line, 0);
    }
    evrec_reader_close(r);
  }
}

static void test_pbd_errors(void **state) {
  (void)state;
  const ProtobufCMessage *m;
  evrec_error err;
  evrec_reader_options o = at_opts(EVREC_FORMAT_PBD, NULL);
  /* a length prefix longer than 10 bytes */
  static const char bad_len[] = "\x02\x08\x01\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80";
  evrec_reader *r = open_mem(bad_len, sizeof bad_len - 1, &o);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_E_SYNTAX);
  assert_string_equal(err.message, "invalid length prefix");
  assert_int_equal(err.offset, 3);
  assert_int_equal(err.record, 1);
  evrec_reader_close(r);
  /* a truncated length prefix */
  r = open_mem("\x02\x08\x01\x80", 4, &o);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_E_TRUNCATED);
  assert_string_equal(err.message, "truncated length prefix");
  assert_int_equal(err.offset, 3);
  evrec_reader_close(r);
  /* bad wire data in the second record: the offset is file-relative */
  static const char bad_body[] = "\x02\x08\x01\x04\x72\x05" "ab";
  r = open_mem(bad_body, sizeof bad_body - 1, &o);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_E_SYNTAX);
  assert_string_equal(err.message, "field 14 (fString): length 5 exceeds the 2 bytes left");
  assert_int_equal(err.offset, 4); /* the tag, after the 1-byte prefix at 3 */
  assert_int_equal(err.record, 1);
  assert_string_equal(err.path, "fString");
  evrec_reader_close(r);
}

/* ---------------------------------------------------------------- limits */

static void test_max_record_size(void **state) {
  (void)state;
  const ProtobufCMessage *m;
  evrec_error err;
  const char *s = "{\"fInt32\":1}\n{\"fString\":\"0123456789012345678901234567890123456789\"}\n";
  evrec_reader_options o = at_opts(EVREC_FORMAT_AUTO, NULL);
  o.max_record_size = 20;
  evrec_reader *r = open_mem(s, strlen(s), &o);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_E_LIMIT);
  assert_string_equal(err.message, "record larger than the limit of 20 bytes (max_record_size)");
  assert_int_equal(err.record, 1);
  assert_int_equal(err.offset, 13);
  assert_int_equal(err.line, 2);
  assert_int_equal(err.column, 1);
  evrec_reader_close(r);

  o.format = EVREC_FORMAT_PBD;
  o.max_record_size = 3;
  r = open_mem("\x02\x08\x01\x04\x08\x01\x08\x02", 8, &o);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_E_LIMIT);
  assert_string_equal(err.message,
                      "record of 4 bytes exceeds the limit of 3 bytes (max_record_size)");
  assert_int_equal(err.offset, 3);
  assert_int_equal(err.record, 1);
  evrec_reader_close(r);

  o.format = EVREC_FORMAT_PB;
  r = open_mem("\x08\x01\x08\x02", 4, &o);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_E_LIMIT);
  assert_string_equal(err.message, "pb input larger than the limit of 3 bytes (max_record_size)");
  assert_int_equal(err.record, 0);
  evrec_reader_close(r);
}

/* Reads `data` with options o; @return the status of the second next(). */
static int second_record(const char *data, size_t len, const evrec_reader_options *o,
                         evrec_error *err) {
  const ProtobufCMessage *m;
  evrec_reader *r = open_mem(data, len, o);
  int rc = evrec_reader_next(r, &m, err);
  if (rc == EVREC_OK) rc = evrec_reader_next(r, &m, err);
  evrec_reader_close(r);
  return rc;
}

/* A record of exactly max_record_size bytes is read; one byte more is not. */
static void test_max_record_size_boundary(void **state) {
  (void)state;
  evrec_error err;
  const char *json = "{\"fInt32\":1}\n{\"fString\":\"abcdefg\"}\n"; /* 12 + 21 bytes */
  evrec_reader_options o = at_opts(EVREC_FORMAT_JSON, NULL);
  o.max_record_size = 21;
  assert_int_equal(second_record(json, strlen(json), &o, &err), EVREC_OK);
  o.max_record_size = 20;
  assert_int_equal(second_record(json, strlen(json), &o, &err), EVREC_E_LIMIT);
  assert_string_equal(err.message, "record larger than the limit of 20 bytes (max_record_size)");
  const char pbd[] = "\x02\x08\x01\x04\x08\x01\x08\x02"; /* records of 2 and 4 bytes */
  o.format = EVREC_FORMAT_PBD;
  o.max_record_size = 4;
  assert_int_equal(second_record(pbd, 8, &o, &err), EVREC_OK);
  o.format = EVREC_FORMAT_PB;
  assert_int_equal(second_record(pbd + 4, 4, &o, &err), EVREC_DONE); /* one record of 4 */
}

/* max_string_size in JSON, pbd and pb input: the limit passes, one more
 * byte fails with a file-relative position. */
static void test_max_string_size(void **state) {
  (void)state;
  evrec_error err;
  const char *json = "{\"fString\":\"abcd\"}\n{\"fString\":\"abcde\"}\n";
  evrec_reader_options o = at_opts(EVREC_FORMAT_AUTO, NULL);
  o.max_string_size = 5;
  assert_int_equal(second_record(json, strlen(json), &o, &err), EVREC_OK);
  o.max_string_size = 4;
  assert_int_equal(second_record(json, strlen(json), &o, &err), EVREC_E_LIMIT);
  assert_string_equal(err.message,
                      "string of 5 bytes exceeds the limit of 4 bytes (max_string_size)");
  assert_int_equal(err.record, 1);
  assert_int_equal(err.line, 2);
  assert_int_equal(err.column, 12);
  assert_int_equal(err.offset, 30);
  assert_string_equal(err.path, "fString");

  const char pbd[] = "\x06\x72\x04" "abcd" "\x07\x72\x05" "abcde";
  o.format = EVREC_FORMAT_PBD;
  o.max_string_size = 5;
  assert_int_equal(second_record(pbd, 15, &o, &err), EVREC_OK);
  o.max_string_size = 4;
  assert_int_equal(second_record(pbd, 15, &o, &err), EVREC_E_LIMIT);
  assert_string_equal(err.message, "field 14 (fString): string of 5 bytes exceeds the limit of 4 "
                                   "bytes (max_string_size)");
  assert_int_equal(err.record, 1);
  assert_int_equal(err.offset, 8); /* the tag, after the prefix at 7 */
  assert_string_equal(err.path, "fString");

  o.format = EVREC_FORMAT_PB;
  assert_int_equal(second_record(pbd + 1, 6, &o, &err), EVREC_DONE);
  assert_int_equal(second_record(pbd + 8, 7, &o, &err), EVREC_E_LIMIT);
  assert_int_equal(err.record, 0);
  assert_int_equal(err.offset, 0);
}

/* The reader options as version 1 declared them: still accepted, the
 * version-2 limits at their defaults; other versions are refused. */
static void test_options_version(void **state) {
  (void)state;
  struct v1 {
    unsigned int version;
    evrec_format format;
    const ProtobufCMessageDescriptor *type;
    unsigned int json_flags, max_depth;
    size_t max_record_size;
    const char *name;
    unsigned int flags;
  } old = {1, EVREC_FORMAT_JSON, AT, 0, 0, 20, NULL, 0};
  const char *json = "{\"fInt32\":1}\n{\"fString\":\"abcdefg\"}\n";
  const ProtobufCMessage *m;
  evrec_error err;
  evrec_reader *r = NULL;
  const evrec_reader_options *o = (const evrec_reader_options *)&old;
  assert_int_equal(evrec_reader_open_memory(&r, json, strlen(json), o, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_E_LIMIT); /* max_record_size was read */
  evrec_reader_close(r);
  evrec_reader_options v = EVREC_READER_OPTIONS_INIT;
  assert_int_equal(v.version, 3);
  v.version = 4;
  assert_int_equal(evrec_reader_open_memory(&r, json, strlen(json), &v, &err), EVREC_E_INVALID_ARG);
  assert_string_equal(err.message, "unsupported reader options version 4");
  v.version = 0;
  assert_int_equal(evrec_reader_open_memory(&r, json, strlen(json), &v, &err), EVREC_E_INVALID_ARG);
}

/* ---------------------------------------------------------------- files, streams, pipes */

static char *temp_file(const void *data, size_t len) {
  char *path = strdup("/tmp/evrec-test-reader.XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, len), (ssize_t)len);
  close(fd);
  return path;
}

/* Three NDJSON records: a string of `big` bytes that puts a two-byte
 * character across the first read boundary, a larger one, and a small one. */
static char *big_ndjson(size_t *len) {
  size_t a = CHUNK - 1 - 12, b = 3 * CHUNK; /* 12 = strlen("{\"fString\":\"") */
  char *s = malloc(a + b + 200), *p = s;
  p += sprintf(p, "{\"fString\":\"");
  memset(p, 'x', a);
  p += a;
  p += sprintf(p, "\xc3\xa9\"}\n{\"fInt32\":2,\"fString\":\"");
  memset(p, 'y', b);
  p += b;
  p += sprintf(p, "\"}\n{\"fInt32\":3}\n");
  *len = (size_t)(p - s);
  return s;
}

static void check_big(evrec_reader *r) {
  const ProtobufCMessage *m;
  evrec_error err;
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(strlen(((rec_t)m)->f_string), CHUNK - 13 + 2);
  assert_string_equal(((rec_t)m)->f_string + CHUNK - 13, "\xc3\xa9");
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(strlen(((rec_t)m)->f_string), 3 * CHUNK);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(((rec_t)m)->f_int32, 3);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_DONE);
  assert_int_equal(evrec_reader_count(r), 3);
}

static void test_records_bigger_than_chunk(void **state) {
  (void)state;
  size_t len;
  char *s = big_ndjson(&len);
  char *path = temp_file(s, len);
  evrec_reader_options o = at_opts(EVREC_FORMAT_AUTO, NULL);
  evrec_reader *r;
  evrec_error err;
  assert_int_equal(evrec_reader_open_file(&r, path, &o, &err), EVREC_OK);
  assert_int_equal(evrec_reader_format(r), EVREC_FORMAT_JSON);
  check_big(r);
  assert_int_equal(evrec_reader_offset(r), len);
  evrec_reader_close(r);
  FILE *fp = fopen(path, "rb"); /* the same through fread() */
  assert_int_equal(evrec_reader_open_FILE(&r, fp, &o, &err), EVREC_OK);
  check_big(r);
  evrec_reader_close(r);
  fclose(fp);
  unlink(path);
  free(path);
  free(s);
}

static void test_pbd_across_chunks(void **state) {
  (void)state;
  /* records of 200000 bytes: the second straddles the first read */
  size_t body = 200000, n = 3;
  char *s = malloc(n * (body + 8)), *p = s;
  for (size_t i = 0; i < n; i++) {
    size_t slen = body - 4; /* tag + 3-byte length */
    p += evrec__varint_put(body, p);
    *p++ = 0x72;
    p += evrec__varint_put(slen, p);
    memset(p, 'a' + (int)i, slen);
    p += slen;
  }
  char *path = temp_file(s, (size_t)(p - s));
  char *named = malloc(strlen(path) + 5);
  sprintf(named, "%s.pbd", path);
  assert_int_equal(rename(path, named), 0);
  evrec_reader *r;
  evrec_error err;
  const ProtobufCMessage *m;
  evrec_reader_options o = at_opts(EVREC_FORMAT_AUTO, NULL);
  assert_int_equal(evrec_reader_open_file(&r, named, &o, &err), EVREC_OK);
  assert_int_equal(evrec_reader_format(r), EVREC_FORMAT_PBD); /* from the name */
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
    assert_int_equal(strlen(((rec_t)m)->f_string), body - 4);
    assert_int_equal(((rec_t)m)->f_string[body - 5], 'a' + (int)i);
  }
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_DONE);
  assert_int_equal(evrec_reader_offset(r), (uint64_t)(p - s));
  evrec_reader_close(r);
  unlink(named);
  free(named);
  free(path);
  free(s);
}

/* A child writes the input one byte per write(2) into a FIFO: the reader
 * (read(2) on a path) sees it in tiny pieces, as from a slow pipe, and must
 * still read every record. */
static void test_trickling_pipe(void **state) {
  (void)state;
  const char *s = "[{\"fInt32\":1,\"fString\":\"\xe2\x82\xac\\u00e9\"},\n {\"fInt32\":2,\"fBool\":true},"
                  "{\"fInt32\":3,\"rDouble\":[1e-3]}]\n";
  char path[] = "/tmp/evrec-test-fifo.XXXXXX";
  int tfd = mkstemp(path);
  assert_true(tfd >= 0);
  close(tfd);
  unlink(path);
  assert_int_equal(mkfifo(path, 0600), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int fd = open(path, O_WRONLY);
    for (const char *p = s; *p; p++)
      if (write(fd, p, 1) != 1) _exit(1);
    _exit(0);
  }
  evrec_reader_options o = at_opts(EVREC_FORMAT_AUTO, NULL);
  evrec_reader *r;
  evrec_error err;
  int32_t v[4];
  size_t n;
  assert_int_equal(evrec_reader_open_file(&r, path, &o, &err), EVREC_OK);
  assert_int_equal(read_ints(r, v, 4, &n, &err), EVREC_DONE);
  assert_int_equal(n, 3);
  assert_int_equal(v[2], 3);
  assert_int_equal(evrec_reader_offset(r), strlen(s));
  evrec_reader_close(r);
  int status;
  waitpid(pid, &status, 0);
  assert_int_equal(status, 0);
  unlink(path);
}

static void test_open_errors(void **state) {
  (void)state;
  evrec_reader *r = (evrec_reader *)1;
  evrec_error err;
  assert_int_equal(evrec_reader_open_file(&r, "/nonexistent/x.json", NULL, &err), EVREC_E_IO);
  assert_null(r);
  assert_string_equal(err.message, "cannot open /nonexistent/x.json: No such file or directory");
  assert_int_equal(evrec_reader_open_file(&r, "/tmp", NULL, &err), EVREC_E_IO);
  assert_string_equal(err.message, "cannot open /tmp: Is a directory");
  assert_int_equal(evrec_reader_open_file(&r, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  evrec_reader_options o = at_opts(EVREC_FORMAT_AUTO, NULL);
  o.version = 99;
  assert_int_equal(evrec_reader_open_memory(&r, "", 0, &o, &err), EVREC_E_INVALID_ARG);
  /* undetectable binary; gzip magic is the container, whose cut first
   * member next() reports */
  o = at_opts(EVREC_FORMAT_AUTO, NULL);
  assert_int_equal(evrec_reader_open_memory(&r, "\x08\x01", 2, &o, &err), EVREC_E_FORMAT);
  assert_string_equal(err.message, "cannot detect the input format (not JSON; binary input "
                                   "needs a .pb or .pbd name or an explicit format)");
  const ProtobufCMessage *msg;
  assert_int_equal(evrec_reader_open_memory(&r, "\x1f\x8b\x08\x04", 4, &o, &err), EVREC_OK);
  assert_int_equal(evrec_reader_format(r), EVREC_FORMAT_EVR);
  assert_int_equal(evrec_reader_next(r, &msg, &err), EVREC_E_TRUNCATED);
  assert_string_equal(err.message, "truncated (no EOF member)");
  assert_int_equal(err.offset, 4);
  evrec_reader_close(r);
  /* .evr input that is empty or holds no member where it begins is not a
   * container: one message, at open, for every caller */
  o.format = EVREC_FORMAT_EVR;
  assert_int_equal(evrec_reader_open_memory(&r, "", 0, &o, &err), EVREC_E_FORMAT);
  assert_string_equal(err.message, "not an .evr container (the input is empty)");
  assert_null(r);
  assert_int_equal(evrec_reader_open_memory(&r, "{\"id\":\"x\"}", 10, &o, &err), EVREC_E_FORMAT);
  assert_string_equal(err.message, "not an .evr container (the input is JSON)");
  assert_int_equal(evrec_reader_open_memory(&r, "hello, world", 12, &o, &err), EVREC_E_FORMAT);
  assert_string_equal(err.message, "not an .evr container (no .evr member at byte 0)");
  static const char plain_gz[] = "\x1f\x8b\x08\x00\0\0\0\0\0\x03\x03\0\0\0\0\0\0\0\0\0";
  assert_int_equal(evrec_reader_open_memory(&r, plain_gz, 20, &o, &err), EVREC_E_FORMAT);
  assert_string_equal(err.message, "not an .evr container (no .evr member at byte 0: a plain gzip file)");
  /* a salvaging reader looks further: no member anywhere, same message */
  o.flags = EVREC_READ_SKIP_DAMAGE;
  assert_int_equal(evrec_reader_open_memory(&r, "hello, world", 12, &o, &err), EVREC_E_FORMAT);
  assert_string_equal(err.message, "not an .evr container (no .evr member at byte 0)");
  o.flags = 0;
  evrec_reader_close(NULL);
}

static void test_format_choice(void **state) {
  (void)state;
  evrec_reader *r;
  evrec_error err;
  const ProtobufCMessage *m;
  /* the name decides for binary content */
  evrec_reader_options o = at_opts(EVREC_FORMAT_AUTO, "in.pb");
  r = open_mem("\x08\x07", 2, &o);
  assert_int_equal(evrec_reader_format(r), EVREC_FORMAT_PB);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(((rec_t)m)->f_int32, 7);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_DONE);
  evrec_reader_close(r);
  /* an explicit format wins over content: '{' is a 123-byte length */
  o = at_opts(EVREC_FORMAT_PBD, "in.json");
  r = open_mem("{\"fInt32\":1}", 12, &o);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_E_TRUNCATED);
  assert_string_equal(err.message, "truncated: need 123 bytes, have 11");
  evrec_reader_close(r);
  /* .ndjson content is reported as ndjson */
  o = at_opts(EVREC_FORMAT_AUTO, "x.ndjson");
  r = open_mem("{\"fInt32\":1}", 12, &o);
  assert_int_equal(evrec_reader_format(r), EVREC_FORMAT_NDJSON);
  evrec_reader_close(r);
}

/* ---------------------------------------------------------------- format.c */

static void test_format_names(void **state) {
  (void)state;
  assert_string_equal(evrec_format_name(EVREC_FORMAT_AUTO), "auto");
  assert_string_equal(evrec_format_name(EVREC_FORMAT_JSON), "json");
  assert_string_equal(evrec_format_name(EVREC_FORMAT_NDJSON), "ndjson");
  assert_string_equal(evrec_format_name(EVREC_FORMAT_PB), "pb");
  assert_string_equal(evrec_format_name(EVREC_FORMAT_PBD), "pbd");
  assert_string_equal(evrec_format_name(EVREC_FORMAT_EVR), "evr");
  assert_string_equal(evrec_format_name((evrec_format)42), "?");
  assert_int_equal(evrec_format_from_name("json"), EVREC_FORMAT_JSON);
  assert_int_equal(evrec_format_from_name("ndjson"), EVREC_FORMAT_NDJSON);
  assert_int_equal(evrec_format_from_name("jsonl"), EVREC_FORMAT_NDJSON);
  assert_int_equal(evrec_format_from_name("pb"), EVREC_FORMAT_PB);
  assert_int_equal(evrec_format_from_name("pbd"), EVREC_FORMAT_PBD);
  assert_int_equal(evrec_format_from_name("evr"), EVREC_FORMAT_EVR);
  assert_int_equal(evrec_format_from_name("JSON"), EVREC_FORMAT_AUTO); /* case sensitive */
  assert_int_equal(evrec_format_from_name("xml"), EVREC_FORMAT_AUTO);
  assert_int_equal(evrec_format_from_name(NULL), EVREC_FORMAT_AUTO);
  assert_int_equal(evrec_format_from_path("a/b.json"), EVREC_FORMAT_JSON);
  assert_int_equal(evrec_format_from_path("b.JSONL"), EVREC_FORMAT_NDJSON);
  assert_int_equal(evrec_format_from_path("x.tar.pbd"), EVREC_FORMAT_PBD);
  assert_int_equal(evrec_format_from_path("x.evr"), EVREC_FORMAT_EVR);
  assert_int_equal(evrec_format_from_path("dir.json/file"), EVREC_FORMAT_AUTO);
  assert_int_equal(evrec_format_from_path(".json"), EVREC_FORMAT_AUTO);
  assert_int_equal(evrec_format_from_path("x.txt"), EVREC_FORMAT_AUTO);
  assert_int_equal(evrec_format_from_path(NULL), EVREC_FORMAT_AUTO);
}

static void test_format_detect_table(void **state) {
  (void)state;
  static const struct {
    const char *head;
    size_t len;
    const char *path;
    evrec_format want;
  } t[] = {
      {"{\"id\":1}", 8, NULL, EVREC_FORMAT_JSON},
      {"  \n[{", 5, NULL, EVREC_FORMAT_JSON},
      {"[ ]", 3, NULL, EVREC_FORMAT_JSON},
      {"{ }", 3, "x.bin", EVREC_FORMAT_JSON},
      {"{\"a\"", 4, "x.ndjson", EVREC_FORMAT_NDJSON},
      {"{\"a\"", 4, "x.jsonl", EVREC_FORMAT_NDJSON},
      {"\xEF\xBB\xBF{\"", 5, NULL, EVREC_FORMAT_JSON},
      {"{", 1, NULL, EVREC_FORMAT_JSON},            /* a prefix: best guess */
      {"\x1f\x8b\x08\x00", 4, "x.json", EVREC_FORMAT_EVR}, /* gzip magic first */
      {"\x1f\x8b", 2, "x.pb", EVREC_FORMAT_EVR},
      {"\x0a\x03" "abc", 5, NULL, EVREC_FORMAT_AUTO}, /* binary, no name */
      {"\x0a\x03" "abc", 5, "x.pb", EVREC_FORMAT_PB},
      {"{\"a\"", 4, "x.PBD", EVREC_FORMAT_PBD},      /* binary names beat content */
      {"\n{cnn.com:2025", 14, NULL, EVREC_FORMAT_AUTO}, /* pb: id of 123 bytes */
      {"\n[abc", 5, NULL, EVREC_FORMAT_AUTO},
      {"garbage", 7, "x.json", EVREC_FORMAT_JSON},   /* the name, as a last resort */
      {"", 0, NULL, EVREC_FORMAT_AUTO},
      {"", 0, "x.jsonl", EVREC_FORMAT_NDJSON},
      {"  \n ", 4, NULL, EVREC_FORMAT_AUTO},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    evrec_format got = evrec_format_detect(t[i].head, t[i].len, t[i].path);
    if (got != t[i].want)
      fail_msg("case %zu (%s): got %s, want %s", i, t[i].path ? t[i].path : "-",
               evrec_format_name(got), evrec_format_name(t[i].want));
  }
  assert_int_equal(evrec_format_detect(NULL, 5, "a.pb"), EVREC_FORMAT_PB);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_layouts),
      cmocka_unit_test(test_empty_inputs),
      cmocka_unit_test(test_array_errors),
      cmocka_unit_test(test_error_position_third_record),
      cmocka_unit_test(test_sticky_error),
      cmocka_unit_test(test_ignore_unknown_and_default_type),
      cmocka_unit_test(test_json_truncated_everywhere),
      cmocka_unit_test(test_pbd_truncated_everywhere),
      cmocka_unit_test(test_pbd_errors),
      cmocka_unit_test(test_max_record_size),
      cmocka_unit_test(test_max_record_size_boundary),
      cmocka_unit_test(test_max_string_size),
      cmocka_unit_test(test_options_version),
      cmocka_unit_test(test_records_bigger_than_chunk),
      cmocka_unit_test(test_pbd_across_chunks),
      cmocka_unit_test(test_trickling_pipe),
      cmocka_unit_test(test_open_errors),
      cmocka_unit_test(test_format_choice),
      cmocka_unit_test(test_format_names),
      cmocka_unit_test(test_format_detect_table),
  };
  return cmocka_run_group_tests_name("reader", tests, NULL, NULL);
}
