/*
 * test_reader_seek.c -- evrec_reader_tell() / evrec_reader_seek(): going
 * back to a record read before, in every layout and format, from memory and
 * from files (whose buffer is smaller than the input, so that seeks leave
 * it), and the refusal on pipes.
 *
 * Records are evrec.test.AllTypes whose fInt32 numbers them 1..n; each test
 * reads them all once taking positions, then seeks to them in a scrambled
 * order and must read the same record again, and reading on after a seek
 * must continue in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alltypes.pb-c.h"
#include "internal.h"

#define AT (&evrec__test__all_types__descriptor)
#define MAXREC 4000

typedef const Evrec__Test__AllTypes *rec_t;

static evrec_reader_options opts(evrec_format f) {
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.type = AT;
  o.format = f;
  return o;
}

/* Reads all records taking positions; checks numbering. @return count. */
static size_t read_positions(evrec_reader *r, uint64_t *pos) {
  const ProtobufCMessage *m;
  evrec_error err;
  size_t n = 0;
  int rc;
  for (;;) {
    uint64_t p = evrec_reader_tell(r);
    if ((rc = evrec_reader_next(r, &m, &err)) != EVREC_OK) break;
    assert_true(n < MAXREC);
    assert_int_equal(((rec_t)m)->f_int32, (int32_t)n + 1);
    pos[n++] = p;
  }
  if (rc != EVREC_DONE) fail_msg("read: %d %s", rc, err.message);
  return n;
}

/* Seeks to every position in a scrambled order, then reads on from one. */
static void check_seeks(evrec_reader *r, const uint64_t *pos, size_t n) {
  const ProtobufCMessage *m;
  evrec_error err;
  for (size_t k = 0; k < n; k++) {
    size_t i = (k * 7919) % n;
    int rc = evrec_reader_seek(r, pos[i], &err);
    if (rc) fail_msg("seek to record %zu: %d %s", i + 1, rc, err.message);
    assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
    assert_int_equal(((rec_t)m)->f_int32, (int32_t)i + 1);
  }
  size_t from = n / 2;
  assert_int_equal(evrec_reader_seek(r, pos[from], &err), EVREC_OK);
  for (size_t i = from; i < n; i++) {
    assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
    assert_int_equal(((rec_t)m)->f_int32, (int32_t)i + 1);
  }
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_DONE);
}

/* n records (with a filler string so that files span many buffers) in the
 * layout: 0 NDJSON, 1 array, 2 pretty concatenated. */
static char *make_json(size_t n, int layout, size_t *len) {
  size_t cap = n * 400 + 16, k = 0;
  char *s = malloc(cap);
  assert_non_null(s);
  if (layout == 1) k += (size_t)snprintf(s + k, cap - k, " [\n");
  for (size_t i = 0; i < n; i++) {
    const char *sep = layout == 1 && i + 1 < n ? " ,\n" : "\n";
    if (layout == 2)
      k += (size_t)snprintf(s + k, cap - k, "{\n  \"fInt32\": %zu,\n  \"fString\": \"%0300zu\"\n}\n\n", i + 1, i);
    else
      k += (size_t)snprintf(s + k, cap - k, "{\"fInt32\":%zu,\"fString\":\"%0300zu\"}%s", i + 1, i, sep);
  }
  if (layout == 1) k += (size_t)snprintf(s + k, cap - k, "]\n");
  *len = k;
  return s;
}

static void check_memory_and_file(const char *data, size_t len, evrec_format f, const char *ext) {
  static uint64_t pos[MAXREC];
  evrec_reader_options o = opts(f);
  evrec_reader *r;
  evrec_error err;
  assert_int_equal(evrec_reader_open_memory(&r, data, len, &o, &err), EVREC_OK);
  size_t n = read_positions(r, pos);
  check_seeks(r, pos, n);
  evrec_reader_close(r);

  char dir[] = "/tmp/evrec-seek-XXXXXX", path[64];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/in%s", dir, ext);
  FILE *out = fopen(path, "wb");
  assert_non_null(out);
  assert_int_equal(fwrite(data, 1, len, out), len);
  assert_int_equal(fclose(out), 0);
  assert_int_equal(evrec_reader_open_file(&r, path, &o, &err), EVREC_OK);
  assert_int_equal(read_positions(r, pos), n);
  check_seeks(r, pos, n);
  evrec_reader_close(r);
  FILE *fp = fopen(path, "rb"); /* a caller's FILE */
  assert_non_null(fp);
  assert_int_equal(evrec_reader_open_FILE(&r, fp, &o, &err), EVREC_OK);
  assert_int_equal(read_positions(r, pos), n);
  check_seeks(r, pos, n);
  evrec_reader_close(r);
  fclose(fp);
  unlink(path);
  rmdir(dir);
}

static void test_json_layouts(void **state) {
  (void)state;
  for (int layout = 0; layout < 3; layout++) {
    size_t len;
    char *s = make_json(2000, layout, &len); /* about 700 KB: several buffers */
    check_memory_and_file(s, len, EVREC_FORMAT_AUTO, ".json");
    free(s);
  }
  check_memory_and_file("\xEF\xBB\xBF{\"fInt32\":1}\n{\"fInt32\":2}", 28, EVREC_FORMAT_AUTO, ".json");
  check_memory_and_file("[{\"fInt32\":1}]", 14, EVREC_FORMAT_AUTO, ".json");
}

/* The same records written by a writer in another format. */
static char *convert(const char *json, size_t len, evrec_format to, size_t *out_len) {
  char path[] = "/tmp/evrec-seek-conv-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  evrec_reader_options o = opts(EVREC_FORMAT_AUTO);
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  wo.format = to;
  wo.block_size = 4096; /* many .evr blocks */
  wo.threads = 1;
  evrec_reader *r;
  evrec_writer *w;
  evrec_error err;
  const ProtobufCMessage *m;
  assert_int_equal(evrec_reader_open_memory(&r, json, len, &o, &err), EVREC_OK);
  assert_int_equal(evrec_writer_open_file(&w, path, &wo, &err), EVREC_OK);
  while (evrec_reader_next(r, &m, &err) == EVREC_OK)
    assert_int_equal(evrec_writer_write(w, m, &err), EVREC_OK);
  assert_int_equal(evrec_writer_close(w, &err), EVREC_OK);
  evrec_reader_close(r);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *buf = malloc(len * 2 + 4096);
  *out_len = fread(buf, 1, len * 2 + 4096, f);
  fclose(f);
  unlink(path);
  return buf;
}

static void test_binary_formats(void **state) {
  (void)state;
  size_t len, blen;
  char *s = make_json(1500, 0, &len);
  char *b = convert(s, len, EVREC_FORMAT_PBD, &blen);
  check_memory_and_file(b, blen, EVREC_FORMAT_PBD, ".pbd");
  free(b);
  b = convert(s, len, EVREC_FORMAT_EVR, &blen);
  check_memory_and_file(b, blen, EVREC_FORMAT_EVR, ".evr");
  free(b);
  free(s);
  b = convert("{\"fInt32\":1}", 12, EVREC_FORMAT_PB, &blen);
  check_memory_and_file(b, blen, EVREC_FORMAT_PB, ".pb");
  free(b);
}

/* Offsets of positions: the record's first byte. */
static void test_offsets(void **state) {
  (void)state;
  const char *s = "[ {\"fInt32\":1} ,\n  {\"fInt32\":2}]";
  evrec_reader_options o = opts(EVREC_FORMAT_AUTO);
  evrec_reader *r;
  evrec_error err;
  const ProtobufCMessage *m;
  assert_int_equal(evrec_reader_open_memory(&r, s, strlen(s), &o, &err), EVREC_OK);
  assert_int_equal(evrec_reader_pos_offset(r, evrec_reader_tell(r)), 2);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(evrec_reader_pos_offset(r, evrec_reader_tell(r)), 19);
  assert_int_equal(evrec_reader_seek(r, 12345, &err), EVREC_E_INVALID_ARG); /* not a position */
  evrec_reader_close(r);
}

/* A pipe cannot go back; a bad position is refused. */
static void test_pipe(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  assert_int_equal(write(fds[1], "{\"fInt32\":1}\n", 13), 13);
  close(fds[1]);
  FILE *fp = fdopen(fds[0], "rb");
  evrec_reader_options o = opts(EVREC_FORMAT_JSON);
  evrec_reader *r;
  evrec_error err;
  const ProtobufCMessage *m;
  assert_int_equal(evrec_reader_open_FILE(&r, fp, &o, &err), EVREC_OK);
  uint64_t p = evrec_reader_tell(r);
  assert_int_equal(evrec_reader_next(r, &m, &err), EVREC_OK);
  assert_int_equal(evrec_reader_seek(r, p, &err), EVREC_E_UNSUPPORTED);
  evrec_reader_close(r);
  fclose(fp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_layouts),
      cmocka_unit_test(test_binary_formats),
      cmocka_unit_test(test_offsets),
      cmocka_unit_test(test_pipe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
