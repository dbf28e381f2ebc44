/*
 * test_writer.c -- evrec_writer: every layout byte for byte, atomic
 * replacement (destination untouched on abort and on error, no temporary
 * files left), permissions, symlinks, append, write errors (/dev/full) and
 * round trips through the reader.
 *
 * Each test works in its own mkdtemp() directory.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "alltypes.pb-c.h"
#include "internal.h"

#define AT (&evrec__test__all_types__descriptor)

typedef struct fixture {
  char dir[64];
  char path[128];
  Evrec__Test__AllTypes r1, r2; /* {fInt32: 1} and {fInt32: 2, fString: "a"} */
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  strcpy(f->dir, "/tmp/evrec-test-writer.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  Evrec__Test__AllTypes init = EVREC__TEST__ALL_TYPES__INIT;
  f->r1 = f->r2 = init;
  f->r1.f_int32 = 1;
  f->r2.f_int32 = 2;
  f->r2.f_string = "a";
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  DIR *d = opendir(f->dir);
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') unlinkat(dirfd(d), e->d_name, 0);
  closedir(d);
  rmdir(f->dir);
  free(f);
  return 0;
}

static const char *in_dir(fixture *f, const char *name) {
  snprintf(f->path, sizeof f->path, "%s/%s", f->dir, name);
  return f->path;
}

/* Number of entries in the test directory (temporary files included). */
static int dir_entries(fixture *f) {
  DIR *d = opendir(f->dir);
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static char *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  char *buf = malloc((1 << 22) + 1);
  *len = fread(buf, 1, 1 << 22, fp);
  fclose(fp);
  buf[*len] = '\0';
  return buf;
}

static void spit(const char *path, const char *s) {
  FILE *fp = fopen(path, "wb");
  fputs(s, fp);
  fclose(fp);
}

static void assert_file(const char *path, const void *want, size_t want_len) {
  size_t len = 0;
  char *got = slurp(path, &len);
  assert_non_null(got);
  if (len != want_len || memcmp(got, want, len) != 0)
    fail_msg("%s holds %zu bytes \"%s\", want %zu", path, len, got, want_len);
  free(got);
}

/* Writes r1 and r2 with these options to `name`; @return close's status. */
static int write_two(fixture *f, const char *name, evrec_format format, unsigned json_flags,
                     unsigned flags) {
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  evrec_writer *w;
  evrec_error err;
  o.format = format;
  o.json_flags = json_flags;
  o.flags = flags;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, name), &o, &err), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, &f->r1.base, &err), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, &f->r2.base, &err), EVREC_OK);
  assert_int_equal(evrec_writer_count(w), 2);
  return evrec_writer_close(w, &err);
}

#define S(lit) lit, sizeof(lit) - 1

/* ---------------------------------------------------------------- layouts */

static void test_json_layouts(void **state) {
  fixture *f = *state;
  const char *nd = "{\"fInt32\":1}\n{\"fInt32\":2,\"fString\":\"a\"}\n";
  assert_int_equal(write_two(f, "a.ndjson", EVREC_FORMAT_AUTO, 0, 0), EVREC_OK);
  assert_file(in_dir(f, "a.ndjson"), nd, strlen(nd));
  assert_int_equal(write_two(f, "a.json", EVREC_FORMAT_AUTO, 0, 0), EVREC_OK);
  assert_file(in_dir(f, "a.json"), nd, strlen(nd)); /* json = NDJSON by default */
  assert_int_equal(write_two(f, "a.txt", EVREC_FORMAT_AUTO, 0, 0), EVREC_OK);
  assert_file(in_dir(f, "a.txt"), nd, strlen(nd)); /* unknown extension: ndjson */
  /* NDJSON stays compact whatever the flags */
  assert_int_equal(write_two(f, "b.ndjson", EVREC_FORMAT_NDJSON, EVREC_JSON_PRETTY,
                             EVREC_WRITE_ARRAY), EVREC_OK);
  assert_file(in_dir(f, "b.ndjson"), nd, strlen(nd));
  assert_int_equal(write_two(f, "p.json", EVREC_FORMAT_JSON, EVREC_JSON_PRETTY, 0), EVREC_OK);
  assert_file(in_dir(f, "p.json"),
              S("{\n  \"fInt32\": 1\n}\n{\n  \"fInt32\": 2,\n  \"fString\": \"a\"\n}\n"));
  assert_int_equal(write_two(f, "arr.json", EVREC_FORMAT_JSON, 0, EVREC_WRITE_ARRAY), EVREC_OK);
  assert_file(in_dir(f, "arr.json"), S("[{\"fInt32\":1},\n{\"fInt32\":2,\"fString\":\"a\"}]\n"));
  assert_int_equal(write_two(f, "parr.json", EVREC_FORMAT_AUTO,
                             EVREC_JSON_PRETTY | EVREC_JSON_PROTO_NAMES, EVREC_WRITE_ARRAY),
                   EVREC_OK);
  assert_file(in_dir(f, "parr.json"),
              S("[{\n  \"f_int32\": 1\n},\n{\n  \"f_int32\": 2,\n  \"f_string\": \"a\"\n}]\n"));
}

static void test_empty_outputs(void **state) {
  fixture *f = *state;
  static const struct {
    const char *name;
    evrec_format format;
    unsigned flags;
    const char *want;
  } t[] = {{"e.ndjson", EVREC_FORMAT_NDJSON, 0, ""},
           {"e.json", EVREC_FORMAT_JSON, EVREC_WRITE_ARRAY, "[]\n"},
           {"e.pb", EVREC_FORMAT_PB, 0, ""}, /* the valid empty message */
           {"e.pbd", EVREC_FORMAT_PBD, 0, ""}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
    evrec_writer *w;
    evrec_error err;
    o.format = t[i].format;
    o.flags = t[i].flags;
    assert_int_equal(evrec_writer_open_file(&w, in_dir(f, t[i].name), &o, &err), EVREC_OK);
    assert_int_equal(evrec_writer_close(w, &err), EVREC_OK);
    assert_file(in_dir(f, t[i].name), t[i].want, strlen(t[i].want));
  }
}

static void test_binary_layouts(void **state) {
  fixture *f = *state;
  assert_int_equal(write_two(f, "a.pbd", EVREC_FORMAT_AUTO, 0, 0), EVREC_OK);
  assert_file(in_dir(f, "a.pbd"), S("\x02\x08\x01\x05\x08\x02\x72\x01" "a"));
  evrec_writer *w;
  evrec_error err;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "one.pb"), NULL, &err), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, &f->r2.base, &err), EVREC_OK);
  assert_int_equal(evrec_writer_close(w, &err), EVREC_OK);
  assert_file(in_dir(f, "one.pb"), S("\x08\x02\x72\x01" "a"));
}

static void test_pb_second_record(void **state) {
  fixture *f = *state;
  spit(in_dir(f, "x.pb"), "OLD");
  evrec_writer *w;
  evrec_error err;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "x.pb"), NULL, &err), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, &f->r1.base, &err), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, &f->r2.base, &err), EVREC_E_FORMAT);
  assert_string_equal(err.message, "pb holds exactly one record; use pbd for more");
  assert_int_equal(err.record, 1);
  assert_int_equal(evrec_writer_count(w), 1);
  assert_int_equal(evrec_writer_write(w, &f->r1.base, &err), EVREC_E_FORMAT); /* sticky */
  assert_int_equal(evrec_writer_close(w, &err), EVREC_E_FORMAT);
  assert_file(in_dir(f, "x.pb"), S("OLD"));
  assert_int_equal(dir_entries(f), 1);
}

/* A record over max_record_size is refused, and only it: the writer takes
 * the next one and the file closes complete without it. */
static void test_limit_not_sticky(void **state) {
  fixture *f = *state;
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  o.max_record_size = 64;
  Evrec__Test__AllTypes big = EVREC__TEST__ALL_TYPES__INIT;
  char s[200];
  memset(s, 'x', sizeof s - 1);
  s[sizeof s - 1] = '\0';
  big.f_string = s;
  evrec_writer *w;
  evrec_error err;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "x.evr"), &o, &err), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, &f->r1.base, &err), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, &big.base, &err), EVREC_E_LIMIT);
  assert_int_equal(err.record, 1);
  assert_non_null(strstr(err.message, "exceeds the maximum record size of 64 bytes"));
  assert_int_equal(evrec_writer_write(w, &f->r2.base, &err), EVREC_OK);
  assert_int_equal(evrec_writer_count(w), 2);
  assert_int_equal(evrec_writer_close(w, &err), EVREC_OK);
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_reader *r;
  const ProtobufCMessage *got;
  ro.type = AT;
  assert_int_equal(evrec_reader_open_file(&r, in_dir(f, "x.evr"), &ro, &err), EVREC_OK);
  for (int32_t i = 1; i <= 2; i++) {
    assert_int_equal(evrec_reader_next(r, &got, &err), EVREC_OK);
    assert_int_equal(((const Evrec__Test__AllTypes *)got)->f_int32, i);
  }
  assert_int_equal(evrec_reader_next(r, &got, &err), EVREC_DONE);
  evrec_reader_close(r);
}

/* ---------------------------------------------------------------- atomicity */

static void test_atomic_abort_and_close(void **state) {
  fixture *f = *state;
  spit(in_dir(f, "out.ndjson"), "OLD\n");
  evrec_writer *w;
  evrec_error err;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "out.ndjson"), NULL, &err), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, &f->r1.base, &err), EVREC_OK);
  assert_int_equal(dir_entries(f), 2); /* the temporary file sits next to it */
  assert_file(in_dir(f, "out.ndjson"), S("OLD\n"));
  evrec_writer_abort(w);
  assert_file(in_dir(f, "out.ndjson"), S("OLD\n"));
  assert_int_equal(dir_entries(f), 1);

  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "out.ndjson"), NULL, &err), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, &f->r1.base, &err), EVREC_OK);
  assert_file(in_dir(f, "out.ndjson"), S("OLD\n"));
  assert_int_equal(evrec_writer_close(w, &err), EVREC_OK);
  assert_file(in_dir(f, "out.ndjson"), S("{\"fInt32\":1}\n"));
  assert_int_equal(dir_entries(f), 1);
  evrec_writer_abort(NULL);
  assert_int_equal(evrec_writer_close(NULL, &err), EVREC_OK);
}

static void test_atomic_encode_error(void **state) {
  fixture *f = *state;
  static const char *names[] = {"bad.ndjson", "bad.pbd"};
  Evrec__Test__AllTypes bad = EVREC__TEST__ALL_TYPES__INIT;
  Evrec__Test__Nested n = EVREC__TEST__NESTED__INIT;
  bad.f_nested = &n;
  n.b = "\xff";
  for (int i = 0; i < 2; i++) {
    spit(in_dir(f, names[i]), "OLD");
    evrec_writer *w;
    evrec_error err;
    assert_int_equal(evrec_writer_open_file(&w, in_dir(f, names[i]), NULL, &err), EVREC_OK);
    assert_int_equal(evrec_writer_write(w, &f->r1.base, &err), EVREC_OK);
    assert_int_equal(evrec_writer_write(w, &bad.base, &err), EVREC_E_UTF8);
    assert_int_equal(err.record, 1);
    assert_string_equal(err.path, "fNested.b");
    assert_int_equal(evrec_writer_close(w, &err), EVREC_E_UTF8);
    assert_file(in_dir(f, names[i]), S("OLD"));
    assert_int_equal(dir_entries(f), i + 1); /* no temporary file left */
  }
}

static void test_permissions_and_symlinks(void **state) {
  fixture *f = *state;
  mode_t old = umask(022);
  struct stat st;
  assert_int_equal(write_two(f, "new.pbd", EVREC_FORMAT_AUTO, 0, 0), EVREC_OK);
  assert_int_equal(stat(in_dir(f, "new.pbd"), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644); /* 0666 & ~umask, like a plain create */
  assert_int_equal(chmod(in_dir(f, "new.pbd"), 0640), 0);
  assert_int_equal(write_two(f, "new.pbd", EVREC_FORMAT_AUTO, 0, 0), EVREC_OK);
  assert_int_equal(stat(in_dir(f, "new.pbd"), &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640); /* kept from the file it replaced */
  umask(old);
  /* a symlink stays a symlink; its target gets the records */
  spit(in_dir(f, "target.ndjson"), "OLD\n");
  char target[128];
  strcpy(target, in_dir(f, "target.ndjson"));
  assert_int_equal(symlink(target, in_dir(f, "link.ndjson")), 0);
  assert_int_equal(write_two(f, "link.ndjson", EVREC_FORMAT_AUTO, 0, 0), EVREC_OK);
  assert_int_equal(lstat(in_dir(f, "link.ndjson"), &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  assert_file(target, S("{\"fInt32\":1}\n{\"fInt32\":2,\"fString\":\"a\"}\n"));
  assert_int_equal(dir_entries(f), 3);
}

/* ---------------------------------------------------------------- append */

static void test_append(void **state) {
  fixture *f = *state;
  spit(in_dir(f, "log.ndjson"), "{\"fInt32\":0}\n");
  assert_int_equal(write_two(f, "log.ndjson", EVREC_FORMAT_AUTO, 0, EVREC_WRITE_APPEND), EVREC_OK);
  assert_file(in_dir(f, "log.ndjson"),
              S("{\"fInt32\":0}\n{\"fInt32\":1}\n{\"fInt32\":2,\"fString\":\"a\"}\n"));
  assert_int_equal(write_two(f, "log.pbd", EVREC_FORMAT_AUTO, 0, EVREC_WRITE_APPEND), EVREC_OK);
  assert_int_equal(write_two(f, "log.pbd", EVREC_FORMAT_AUTO, 0, EVREC_WRITE_APPEND), EVREC_OK);
  assert_file(in_dir(f, "log.pbd"),
              S("\x02\x08\x01\x05\x08\x02\x72\x01" "a\x02\x08\x01\x05\x08\x02\x72\x01" "a"));
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  evrec_writer *w = (evrec_writer *)1;
  evrec_error err;
  o.flags = EVREC_WRITE_APPEND;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "x.pb"), &o, &err), EVREC_E_INVALID_ARG);
  assert_string_equal(err.message, "appending works only for pbd, ndjson and evr output, not pb");
  assert_null(w);
  o.flags |= EVREC_WRITE_ARRAY;
  o.format = EVREC_FORMAT_JSON;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "x.json"), &o, &err), EVREC_E_INVALID_ARG);
  assert_string_equal(err.message, "appending works only for pbd, ndjson and evr output, not a JSON array");
  assert_int_equal(dir_entries(f), 2);
}

/* ---------------------------------------------------------------- I/O errors */

static void test_dev_full(void **state) {
  fixture *f = *state;
  evrec_writer *w;
  evrec_error err;
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  o.format = EVREC_FORMAT_PBD;
  assert_int_equal(evrec_writer_open_file(&w, "/dev/full", &o, &err), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, &f->r1.base, &err), EVREC_OK); /* buffered */
  assert_int_equal(evrec_writer_close(w, &err), EVREC_E_IO);
  assert_string_equal(err.message, "error writing /dev/full: No space left on device");
  /* the same through a FILE, with enough output to flush before close */
  FILE *fp = fopen("/dev/full", "w");
  assert_non_null(fp);
  o.format = EVREC_FORMAT_NDJSON;
  o.name = "full-stream";
  assert_int_equal(evrec_writer_open_FILE(&w, fp, &o, &err), EVREC_OK);
  int rc = EVREC_OK;
  for (int i = 0; i < 100000 && rc == EVREC_OK; i++) rc = evrec_writer_write(w, &f->r2.base, &err);
  assert_int_equal(rc, EVREC_E_IO);
  assert_string_equal(err.message, "error writing full-stream: No space left on device");
  assert_int_equal(evrec_writer_close(w, &err), EVREC_E_IO);
  fclose(fp);
}

static void test_open_errors(void **state) {
  fixture *f = *state;
  evrec_writer *w = (evrec_writer *)1;
  evrec_error err;
  assert_int_equal(evrec_writer_open_file(&w, f->dir, NULL, &err), EVREC_E_IO);
  assert_null(w);
  char want[160];
  snprintf(want, sizeof want, "cannot write %s: Is a directory", f->dir);
  assert_string_equal(err.message, want);
  assert_int_equal(evrec_writer_open_file(&w, "/nonexistent/x.pbd", NULL, &err), EVREC_E_IO);
  assert_string_equal(err.message, "cannot create a temporary file next to /nonexistent/x.pbd: "
                                   "No such file or directory");
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "x.evr"), NULL, &err), EVREC_OK);
  evrec_writer_abort(w); /* .evr is the container (test_container.c) */
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  o.version = 7;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "x.pbd"), &o, &err), EVREC_E_INVALID_ARG);
  o.version = EVREC_WRITER_OPTIONS_VERSION;
  o.flags = 0x80;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "x.pbd"), &o, &err), EVREC_E_INVALID_ARG);
  assert_string_equal(err.message, "unknown writer flags 0x80");
  assert_int_equal(evrec_writer_open_file(&w, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_writer_open_FILE(&w, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  assert_int_equal(dir_entries(f), 0);
}

/* ---------------------------------------------------------------- round trips */

/* Many records (several flushes) in each format, read back by the reader. */
static void test_round_trip_through_reader(void **state) {
  fixture *f = *state;
  static const char *names[] = {"rt.ndjson", "rt.json", "rt.pbd"};
  char text[300];
  memset(text, 'q', sizeof text - 1);
  text[sizeof text - 1] = '\0';
  for (int k = 0; k < 3; k++) {
    evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
    evrec_writer *w;
    evrec_error err;
    o.flags = k == 1 ? EVREC_WRITE_ARRAY : 0;
    o.json_flags = k == 1 ? EVREC_JSON_PRETTY : 0;
    assert_int_equal(evrec_writer_open_file(&w, in_dir(f, names[k]), &o, &err), EVREC_OK);
    Evrec__Test__AllTypes m = EVREC__TEST__ALL_TYPES__INIT;
    m.f_string = text;
    for (int i = 0; i < 3000; i++) {
      m.f_int32 = i;
      assert_int_equal(evrec_writer_write(w, &m.base, &err), EVREC_OK);
    }
    assert_int_equal(evrec_writer_close(w, &err), EVREC_OK);
    evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
    evrec_reader *r;
    const ProtobufCMessage *got;
    ro.type = AT;
    assert_int_equal(evrec_reader_open_file(&r, in_dir(f, names[k]), &ro, &err), EVREC_OK);
    for (int i = 0; i < 3000; i++) {
      assert_int_equal(evrec_reader_next(r, &got, &err), EVREC_OK);
      assert_int_equal(((const Evrec__Test__AllTypes *)got)->f_int32, i);
      assert_string_equal(((const Evrec__Test__AllTypes *)got)->f_string, text);
    }
    assert_int_equal(evrec_reader_next(r, &got, &err), EVREC_DONE);
    evrec_reader_close(r);
  }
}

/* EVREC_WRITE_VALID_UTF8 skips the writer's check, and the reader still
 * rejects what a broken promise produced. */
static void test_valid_utf8_flag(void **state) {
  fixture *f = *state;
  static const char *names[] = {"trust.ndjson", "trust.pbd", "trust.evr"};
  Evrec__Test__AllTypes bad = EVREC__TEST__ALL_TYPES__INIT;
  bad.f_string = "\xff";
  for (int i = 0; i < 3; i++) {
    evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
    evrec_writer *w;
    evrec_error err;
    wo.flags = EVREC_WRITE_VALID_UTF8;
    wo.created_at = "2026-11-27T00:00:00Z";
    assert_int_equal(evrec_writer_open_file(&w, in_dir(f, names[i]), &wo, &err), EVREC_OK);
    assert_int_equal(evrec_writer_write(w, &bad.base, &err), EVREC_OK);
    assert_int_equal(evrec_writer_close(w, &err), EVREC_OK);
    evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
    evrec_reader *r;
    const ProtobufCMessage *got;
    ro.type = AT;
    assert_int_equal(evrec_reader_open_file(&r, in_dir(f, names[i]), &ro, &err), EVREC_OK);
    assert_int_equal(evrec_reader_next(r, &got, &err), EVREC_E_UTF8);
    evrec_reader_close(r);
  }
  assert_file(in_dir(f, names[0]), S("{\"fString\":\"\xff\"}\n"));
}

/* Records handed over packed (evrec__writer_write_packed): pb/pbd copy
 * them when EVREC_WRITE_VALID_UTF8 vouches for them, everything else
 * decodes them first (and so checks them), with the bytes and errors of
 * evrec_writer_write(). */
static int write_two_packed(fixture *f, const char *name, evrec_format format, unsigned flags,
                            evrec_error *err) {
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  evrec_writer *w;
  o.format = format;
  o.flags = flags;
  o.created_at = "2026-11-27T00:00:00Z";
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, name), &o, err), EVREC_OK);
  int rc = evrec__writer_write_packed(w, AT, S("\x08\x01"), err);
  if (rc == EVREC_OK) rc = evrec__writer_write_packed(w, AT, S("\x08\x02\x72\x01" "a"), err);
  if (rc == EVREC_OK) return evrec_writer_close(w, err);
  evrec_writer_abort(w);
  return rc;
}

static void test_packed(void **state) {
  fixture *f = *state;
  const char *nd = "{\"fInt32\":1}\n{\"fInt32\":2,\"fString\":\"a\"}\n";
  evrec_error err;
  for (unsigned flags = 0; flags <= EVREC_WRITE_VALID_UTF8; flags += EVREC_WRITE_VALID_UTF8) {
    assert_int_equal(write_two_packed(f, "p.pbd", EVREC_FORMAT_PBD, flags, &err), EVREC_OK);
    assert_file(in_dir(f, "p.pbd"), S("\x02\x08\x01\x05\x08\x02\x72\x01" "a"));
    assert_int_equal(write_two_packed(f, "p.ndjson", EVREC_FORMAT_NDJSON, flags, &err), EVREC_OK);
    assert_file(in_dir(f, "p.ndjson"), nd, strlen(nd));
    assert_int_equal(write_two_packed(f, "p.pb", EVREC_FORMAT_PB, flags, &err), EVREC_E_FORMAT);
    assert_string_equal(err.message, "pb holds exactly one record; use pbd for more");
    /* .evr: the container of the same records written as messages */
    assert_int_equal(write_two_packed(f, "p.evr", EVREC_FORMAT_EVR, flags, &err), EVREC_OK);
    evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
    evrec_writer *w;
    o.created_at = "2026-11-27T00:00:00Z";
    assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "m.evr"), &o, &err), EVREC_OK);
    assert_int_equal(evrec_writer_write(w, &f->r1.base, &err), EVREC_OK);
    assert_int_equal(evrec_writer_write(w, &f->r2.base, &err), EVREC_OK);
    assert_int_equal(evrec_writer_close(w, &err), EVREC_OK);
    size_t n = 0;
    char *want = slurp(in_dir(f, "m.evr"), &n);
    assert_file(in_dir(f, "p.evr"), want, n);
    free(want);
  }
  evrec_writer *w;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "bad.pbd"), NULL, &err), EVREC_OK);
  assert_int_equal(evrec__writer_write_packed(w, AT, S("\x72\x01\xff"), &err), EVREC_E_UTF8);
  assert_int_equal(evrec__writer_write_packed(w, NULL, S("\x08\x01"), &err), EVREC_E_INVALID_ARG);
  evrec_writer_abort(w);
}

/* Records encoded in place (evrec__writer_packed_begin/_end): the bytes of
 * evrec__writer_write_packed() whatever the length's varint takes (1, 2 or
 * 3 bytes, around the 2 kept for it), across flushes; a record not kept
 * leaves nothing; other outputs say NULL. */
static size_t packed_string(char *out, size_t total) {
  /* field 14 (fString), length-delimited, total bytes in all */
  size_t h = total - 1 < 129 ? 2 : total - 1 < 16386 ? 3 : 4, n = total - h;
  out[0] = 0x72;
  evrec__varint_put(n, out + 1);
  memset(out + h, 'a' + (int)(total % 26), n);
  return total;
}

static void test_packed_in_place(void **state) {
  fixture *f = *state;
  static const size_t sizes[] = {2, 100, 127, 128, 200, 16383, 16384, 20000, 3};
  char *rec = malloc(20000);
  evrec_error err;
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  o.format = EVREC_FORMAT_PBD;
  o.flags = EVREC_WRITE_VALID_UTF8;
  evrec_writer *direct, *copied;
  assert_int_equal(evrec_writer_open_file(&direct, in_dir(f, "direct.pbd"), &o, &err), EVREC_OK);
  assert_int_equal(evrec_writer_open_file(&copied, in_dir(f, "copied.pbd"), &o, &err), EVREC_OK);
  for (int round = 0; round < 12; round++) { /* 12 * 57 KB: several 256 KB flushes */
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
      size_t n = packed_string(rec, sizes[i]), mark;
      assert_int_equal(evrec__writer_write_packed(copied, AT, rec, n, &err), EVREC_OK);
      evrec__buf *b = evrec__writer_packed_begin(direct, &mark);
      assert_non_null(b);
      assert_true(evrec__buf_append(b, rec, n));
      assert_int_equal(evrec__writer_packed_end(direct, mark, true, &err), EVREC_OK);
      /* one not kept */
      assert_non_null(b = evrec__writer_packed_begin(direct, &mark));
      assert_true(evrec__buf_append(b, rec, n));
      assert_int_equal(evrec__writer_packed_end(direct, mark, false, &err), EVREC_OK);
    }
  }
  assert_int_equal(evrec_writer_count(direct), evrec_writer_count(copied));
  assert_int_equal(evrec_writer_close(direct, &err), EVREC_OK);
  assert_int_equal(evrec_writer_close(copied, &err), EVREC_OK);
  size_t n = 0;
  char *want = slurp(in_dir(f, "copied.pbd"), &n);
  assert_true(n > 600000);
  assert_file(in_dir(f, "direct.pbd"), want, n);
  free(want);
  free(rec);
  /* outputs that take records otherwise */
  static const struct {
    evrec_format format;
    unsigned flags;
  } other[] = {{EVREC_FORMAT_PBD, 0},
               {EVREC_FORMAT_PB, EVREC_WRITE_VALID_UTF8},
               {EVREC_FORMAT_NDJSON, EVREC_WRITE_VALID_UTF8},
               {EVREC_FORMAT_EVR, EVREC_WRITE_VALID_UTF8}};
  for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
    evrec_writer *w;
    size_t mark;
    o.format = other[i].format;
    o.flags = other[i].flags;
    assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "other"), &o, &err), EVREC_OK);
    assert_null(evrec__writer_packed_begin(w, &mark));
    evrec_writer_abort(w);
  }
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_json_layouts),         T(test_empty_outputs),
      T(test_binary_layouts),       T(test_pb_second_record),
      T(test_limit_not_sticky),     T(test_packed_in_place),
      T(test_atomic_abort_and_close), T(test_atomic_encode_error),
      T(test_permissions_and_symlinks), T(test_append),
      T(test_dev_full),             T(test_open_errors),
      T(test_round_trip_through_reader), T(test_valid_utf8_flag),
      T(test_packed),
  };
  return cmocka_run_group_tests_name("writer", tests, NULL, NULL);
}
