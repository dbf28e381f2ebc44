/*
 * test_blocks.c -- block ranges of .evr files (evrec_reader_blocks,
 * evrec_reader_seek_block): the list covers every record once, in order,
 * across concatenated sections; every run of blocks read through
 * seek_block gives exactly the records of a sequential read, on files and
 * memory, with a reader that did not list the blocks itself (as a worker
 * in another process does); bad blocks, non-.evr and unseekable inputs and
 * a missing index fail cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "evrec.h"
#include "evrec/v1/evrec.pb-c.h"

#define N_RECS 3000

typedef struct fixture {
  char dir[64];
  char a[128], b[128], cat[128], json[128];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  strcpy(f->dir, "/tmp/evrec-test-blocks.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->a, sizeof f->a, "%s/a.evr", f->dir);
  snprintf(f->b, sizeof f->b, "%s/b.evr", f->dir);
  snprintf(f->cat, sizeof f->cat, "%s/cat.evr", f->dir);
  snprintf(f->json, sizeof f->json, "%s/x.json", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  unlink(f->a);
  unlink(f->b);
  unlink(f->cat);
  unlink(f->json);
  rmdir(f->dir);
  free(f);
  return 0;
}

/* Record i: id "r<i>", a headline of varying length (so blocks differ). */
static void write_file(const char *path, int from, int to, size_t block_size) {
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  o.block_size = block_size;
  o.threads = 2;
  o.created_at = "2026-11-27T17:00:00Z";
  evrec_writer *w = NULL;
  evrec_error e;
  assert_int_equal(evrec_writer_open_file(&w, path, &o, &e), EVREC_OK);
  for (int i = from; i < to; i++) {
    char id[32], text[256];
    Evrec__V1__Record r = EVREC__V1__RECORD__INIT;
    Evrec__V1__Article a = EVREC__V1__ARTICLE__INIT;
    snprintf(id, sizeof id, "r%d", i);
    memset(text, 'x', sizeof text);
    text[(unsigned)i * 37u % 200u + 1u] = '\0';
    a.headline = text;
    r.id = id;
    r.article = &a;
    assert_int_equal(evrec_writer_write(w, &r.base, &e), EVREC_OK);
  }
  assert_int_equal(evrec_writer_close(w, &e), EVREC_OK);
}

static void concat(const char *out, const char *a, const char *b) {
  FILE *o = fopen(out, "wb");
  assert_non_null(o);
  const char *in[2] = {a, b};
  for (int k = 0; k < 2; k++) {
    FILE *i = fopen(in[k], "rb");
    char buf[65536];
    size_t n;
    assert_non_null(i);
    while ((n = fread(buf, 1, sizeof buf, i)) > 0) assert_int_equal(fwrite(buf, 1, n, o), n);
    fclose(i);
  }
  fclose(o);
}

static int record_number(const ProtobufCMessage *m) {
  const Evrec__V1__Record *r = (const Evrec__V1__Record *)m;
  return atoi(r->id + 1);
}

/* Lists the blocks of path and checks they tile records [0, total). */
static evrec_block *list_blocks(const char *path, size_t *n, uint64_t total) {
  evrec_reader *r = NULL;
  evrec_error e;
  evrec_block *v = NULL;
  assert_int_equal(evrec_reader_open_file(&r, path, NULL, &e), EVREC_OK);
  assert_int_equal(evrec_reader_blocks(r, &v, n, &e), EVREC_OK);
  assert_true(*n > 1);
  uint64_t next = 0;
  for (size_t i = 0; i < *n; i++) {
    assert_int_equal(v[i].first, next);
    assert_true(v[i].records > 0);
    assert_true(v[i].size > 0);
    if (i) assert_true(v[i].offset >= v[i - 1].offset + v[i - 1].size);
    next += v[i].records;
  }
  assert_int_equal(next, total);
  /* reading still works after listing, once positioned */
  const ProtobufCMessage *m;
  assert_int_equal(evrec_reader_seek_ordinal(r, 0, &e), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &e), EVREC_OK);
  assert_int_equal(record_number(m), 0);
  evrec_reader_close(r);
  return v;
}

/* Reads blocks [from, to) through a fresh reader, as a worker would. */
static void read_run(evrec_reader *r, const evrec_block *v, size_t from, size_t to,
                     const int *expect) {
  evrec_error e;
  const ProtobufCMessage *m;
  assert_int_equal(evrec_reader_seek_block(r, &v[from], v[to - 1].offset + v[to - 1].size, &e), EVREC_OK);
  assert_int_equal(evrec_reader_count(r), v[from].first);
  uint64_t want = 0;
  for (size_t i = from; i < to; i++) want += v[i].records;
  for (uint64_t k = 0; k < want; k++) {
    assert_int_equal(evrec_reader_next(r, &m, &e), EVREC_OK);
    assert_int_equal(record_number(m), expect[v[from].first + k]);
  }
}

static void check_runs(const char *path, const evrec_block *v, size_t n, const int *expect,
                       uint64_t total) {
  evrec_reader *r = NULL;
  evrec_error e;
  assert_int_equal(evrec_reader_open_file(&r, path, NULL, &e), EVREC_OK);
  for (size_t run = 1; run <= 5; run += 2)
    for (size_t b = 0; b < n; b += run) read_run(r, v, b, b + run < n ? b + run : n, expect);
  /* the last run reads on to the clean end */
  const ProtobufCMessage *m;
  assert_int_equal(evrec_reader_seek_block(r, &v[n - 1], 0, &e), EVREC_OK);
  for (uint32_t k = 0; k < v[n - 1].records; k++)
    assert_int_equal(evrec_reader_next(r, &m, &e), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &e), EVREC_DONE);
  assert_int_equal(evrec_reader_count(r), total);
  evrec_reader_close(r);
}

static void test_one_section(void **state) {
  fixture *f = *state;
  write_file(f->a, 0, N_RECS, 4096);
  size_t n;
  evrec_block *v = list_blocks(f->a, &n, N_RECS);
  int *expect = malloc(N_RECS * sizeof *expect);
  for (int i = 0; i < N_RECS; i++) expect[i] = i;
  check_runs(f->a, v, n, expect, N_RECS);
  /* reading on past the end given (without read-ahead there) still works */
  evrec_reader *r0 = NULL;
  evrec_error e0;
  const ProtobufCMessage *m0;
  assert_int_equal(evrec_reader_open_file(&r0, f->a, NULL, &e0), EVREC_OK);
  assert_int_equal(evrec_reader_seek_block(r0, &v[1], v[1].offset + v[1].size, &e0), EVREC_OK);
  for (uint64_t k = v[1].first; k < N_RECS; k++) {
    assert_int_equal(evrec_reader_next(r0, &m0, &e0), EVREC_OK);
    assert_int_equal(record_number(m0), (int)k);
  }
  assert_int_equal(evrec_reader_next(r0, &m0, &e0), EVREC_DONE);
  evrec_reader_close(r0);
  /* memory input too */
  FILE *fp = fopen(f->a, "rb");
  static char buf[4 << 20];
  size_t len = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  evrec_reader *r = NULL;
  evrec_error e;
  assert_int_equal(evrec_reader_open_memory(&r, buf, len, NULL, &e), EVREC_OK);
  read_run(r, v, n / 2, n, expect);
  evrec_reader_close(r);
  free(expect);
  free(v);
}

static void test_concatenated(void **state) {
  fixture *f = *state;
  write_file(f->a, 0, 1000, 2048);
  write_file(f->b, 1000, 2500, 8192);
  concat(f->cat, f->a, f->b);
  size_t n, na;
  evrec_block *va = list_blocks(f->a, &na, 1000);
  evrec_block *v = list_blocks(f->cat, &n, 2500);
  assert_true(n > na);
  for (size_t i = 0; i < na; i++) { /* the first section is unmoved */
    assert_int_equal(v[i].offset, va[i].offset);
    assert_int_equal(v[i].size, va[i].size);
    assert_int_equal(v[i].first, va[i].first);
    assert_int_equal(v[i].records, va[i].records);
  }
  assert_int_equal(v[na].first, 1000);
  int *expect = malloc(2500 * sizeof *expect);
  for (int i = 0; i < 2500; i++) expect[i] = i;
  check_runs(f->cat, v, n, expect, 2500);
  /* a run across the section boundary */
  evrec_reader *r = NULL;
  evrec_error e;
  assert_int_equal(evrec_reader_open_file(&r, f->cat, NULL, &e), EVREC_OK);
  read_run(r, v, na - 1, na + 2, expect);
  evrec_reader_close(r);
  free(expect);
  free(va);
  free(v);
}

static void test_bad_blocks(void **state) {
  fixture *f = *state;
  write_file(f->a, 0, 500, 2048);
  size_t n;
  evrec_block *v = list_blocks(f->a, &n, 500);
  evrec_reader *r = NULL;
  evrec_error e;
  const ProtobufCMessage *m;
  assert_int_equal(evrec_reader_open_file(&r, f->a, NULL, &e), EVREC_OK);
  evrec_block b = v[1];
  b.records++;
  assert_int_equal(evrec_reader_seek_block(r, &b, 0, &e), EVREC_E_CORRUPT);
  assert_int_equal(e.offset, b.offset);
  assert_non_null(strstr(e.message, "records"));
  b = v[1];
  b.offset++; /* inside a member */
  assert_int_equal(evrec_reader_seek_block(r, &b, 0, &e), EVREC_E_CORRUPT);
  b.offset = 0; /* the header member */
  assert_int_equal(evrec_reader_seek_block(r, &b, 0, &e), EVREC_E_CORRUPT);
  b.offset = UINT64_MAX / 2;
  assert_int_equal(evrec_reader_seek_block(r, &b, 0, &e), EVREC_E_CORRUPT);
  assert_non_null(strstr(e.message, "past the end"));
  /* a good block after bad ones: reading works */
  assert_int_equal(evrec_reader_seek_block(r, &v[2], 0, &e), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &m, &e), EVREC_OK);
  assert_int_equal(record_number(m), (int)v[2].first);
  assert_int_equal(evrec_reader_seek_block(r, NULL, 0, &e), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_reader_blocks(r, NULL, &n, &e), EVREC_E_INVALID_ARG);
  evrec_reader_close(r);
  free(v);
}

static void test_not_evr(void **state) {
  fixture *f = *state;
  FILE *fp = fopen(f->json, "w");
  fputs("{\"id\": \"a\"}\n", fp);
  fclose(fp);
  evrec_reader *r = NULL;
  evrec_error e;
  evrec_block *v = (evrec_block *)1;
  size_t n = 7;
  assert_int_equal(evrec_reader_open_file(&r, f->json, NULL, &e), EVREC_OK);
  assert_int_equal(evrec_reader_blocks(r, &v, &n, &e), EVREC_E_UNSUPPORTED);
  assert_null(v);
  assert_int_equal(n, 0);
  evrec_block b = {0, 0, 0, 0};
  assert_int_equal(evrec_reader_seek_block(r, &b, 0, &e), EVREC_E_UNSUPPORTED);
  evrec_reader_close(r);
  /* an empty container has no blocks */
  write_file(f->a, 0, 0, 0);
  assert_int_equal(evrec_reader_open_file(&r, f->a, NULL, &e), EVREC_OK);
  assert_int_equal(evrec_reader_blocks(r, &v, &n, &e), EVREC_OK);
  assert_int_equal(n, 0);
  assert_null(v);
  evrec_reader_close(r);
  /* a pipe cannot seek */
  write_file(f->a, 0, 10, 0);
  fp = fopen(f->a, "rb");
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  char buf[65536];
  size_t len = fread(buf, 1, sizeof buf, fp);
  fclose(fp);
  assert_int_equal(write(fds[1], buf, len), (ssize_t)len);
  close(fds[1]);
  FILE *in = fdopen(fds[0], "rb");
  assert_int_equal(evrec_reader_open_FILE(&r, in, NULL, &e), EVREC_OK);
  assert_int_equal(evrec_reader_blocks(r, &v, &n, &e), EVREC_E_UNSUPPORTED);
  evrec_reader_close(r);
  fclose(in);
  /* a truncated file (no EOF member, so no index) */
  assert_int_equal(truncate(f->a, (off_t)len - 70), 0);
  assert_int_equal(evrec_reader_open_file(&r, f->a, NULL, &e), EVREC_OK);
  assert_int_equal(evrec_reader_blocks(r, &v, &n, &e), EVREC_E_CORRUPT);
  evrec_reader_close(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_one_section, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concatenated, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_blocks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_not_evr, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
