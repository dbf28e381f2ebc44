/*
 * test_container.c -- the .evr container (src/container_*.c) through the
 * public API, with zlib to inspect the bytes: member layout and header
 * blob byte for byte, gzip compatibility, byte-identical output for every
 * thread count, level and block size, oversized records and the record
 * size limit, metadata validation, random access by ordinal and by id
 * (counting inflated blocks), concatenated files, append, truncation at
 * every offset and damage at 100 seeded offsets.
 *
 * Each test works in its own mkdtemp() directory.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "alltypes.pb-c.h"
#include "evrec/v1/evrec.pb-c.h"
#include "internal.h"

#define AT (&evrec__test__all_types__descriptor)
#define CREATED "2026-11-27T17:00:00Z"

typedef struct fixture {
  char dir[64];
  char path[160];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  strcpy(f->dir, "/tmp/evrec-test-container.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
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

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  uint8_t *buf = malloc((size_t)n + 1);
  *len = fread(buf, 1, (size_t)n, fp);
  fclose(fp);
  return buf;
}

static void spit(const char *path, const void *p, size_t n) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(p, 1, n, fp), n);
  fclose(fp);
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* ====================================================================== */
/* Records                                                                */
/* ====================================================================== */

static uint64_t mix(uint64_t x) { /* splitmix64 */
  x += 0x9e3779b97f4a7c15u;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

/* Record i: id "rec-i" (every 1000th + 10 is "dup"), a headline of
 * pseudo-random words, revision i. */
typedef struct rec {
  Evrec__V1__Record r;
  Evrec__V1__Article a;
  char id[32];
  char text[600];
} rec;

static const char *id_of(uint64_t i, char *buf) {
  if (i % 1000 == 10) return strcpy(buf, "dup");
  snprintf(buf, 32, "rec-%05llu", (unsigned long long)i);
  return buf;
}

static const ProtobufCMessage *make_rec(rec *x, uint64_t i) {
  static const char *words[] = {"police", "protest", "capital", "minister", "talks",
                                "ceasefire", "election", "court", "strike", "flood"};
  Evrec__V1__Record r0 = EVREC__V1__RECORD__INIT;
  Evrec__V1__Article a0 = EVREC__V1__ARTICLE__INIT;
  x->r = r0;
  x->a = a0;
  id_of(i, x->id);
  uint64_t s = mix(i + 1);
  size_t n = 0, words_n = 3 + s % 60;
  for (size_t k = 0; k < words_n; k++) {
    s = mix(s);
    n += (size_t)snprintf(x->text + n, sizeof x->text - n, "%s%s", k ? " " : "", words[s % 10]);
  }
  x->a.headline = x->text;
  x->r.id = x->id;
  x->r.revision = (uint32_t)i;
  x->r.article = &x->a;
  return &x->r.base;
}

/* Packed bytes of record i into buf (at least 1024 bytes). */
static size_t pack_rec(uint64_t i, uint8_t *buf) {
  rec x;
  return protobuf_c_message_pack(make_rec(&x, i), buf);
}

static evrec_writer_options wopts(int level, unsigned threads, size_t block) {
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  o.level = level;
  o.threads = threads;
  o.block_size = block;
  o.created_at = CREATED;
  return o;
}

/* Writes records [from, to) to path. */
static void write_recs(const char *path, uint64_t from, uint64_t to, const evrec_writer_options *o) {
  evrec_writer *w = NULL;
  evrec_error e;
  assert_int_equal(evrec_writer_open_file(&w, path, o, &e), EVREC_OK);
  for (uint64_t i = from; i < to; i++) {
    rec x;
    assert_int_equal(evrec_writer_write(w, make_rec(&x, i), &e), EVREC_OK);
  }
  assert_int_equal(evrec_writer_close(w, &e), EVREC_OK);
}

/* Asserts that msg packs to exactly record i. */
static void assert_is_rec(const ProtobufCMessage *msg, uint64_t i) {
  uint8_t a[1024], b[1024];
  assert_non_null(msg);
  size_t n = protobuf_c_message_pack(msg, a);
  assert_int_equal(n, pack_rec(i, b));
  assert_memory_equal(a, b, n);
}

static evrec_reader_options ropts(unsigned flags) {
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.format = EVREC_FORMAT_EVR;
  o.flags = flags;
  return o;
}

/* ====================================================================== */
/* Member walking                                                         */
/* ====================================================================== */

typedef struct mem {
  size_t off;
  uint32_t bsize, nrec;
  int kind;
} mem;

/* Hops member to member by bsize; returns how many (at most max). */
static size_t members(const uint8_t *p, size_t len, mem *out, size_t max) {
  size_t n = 0, off = 0;
  while (off < len && n < max) {
    assert_true(len - off >= 28);
    assert_int_equal(p[off], 0x1f);
    out[n] = (mem){off, rd32(p + off + 16), rd32(p + off + 20), p[off + 24]};
    off += out[n++].bsize;
  }
  assert_int_equal(off, len);
  return n;
}

/* ====================================================================== */
/* Layout                                                                 */
/* ====================================================================== */

static void test_layout_bytes(void **state) {
  fixture *f = *state;
  const char *meta[] = {"b=x=y", "a=1"};
  evrec_writer_options o = wopts(6, 1, 0);
  o.meta = meta;
  o.n_meta = 2;
  evrec_writer *w = NULL;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "l.evr"), &o, NULL), EVREC_OK);
  Evrec__Test__AllTypes m = EVREC__TEST__ALL_TYPES__INIT;
  for (int i = 1; i <= 3; i++) {
    m.f_int32 = i;
    assert_int_equal(evrec_writer_write(w, &m.base, NULL), EVREC_OK);
  }
  assert_int_equal(evrec_writer_close(w, NULL), EVREC_OK);
  size_t len;
  uint8_t *p = slurp(f->path, &len);
  mem v[8];
  assert_int_equal(members(p, len, v, 8), 4); /* header, data, index, eof */
  static const uint8_t head[] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 255};
  for (int i = 0; i < 4; i++) {
    assert_memory_equal(p + v[i].off, head, sizeof head);
    assert_memory_equal(p + v[i].off + 12, "EV\x0c\x00", 4);
    assert_int_equal(p[v[i].off + 25], 1); /* version */
    assert_int_equal(v[i].kind, i < 3 ? i == 0 ? 1 : i == 1 ? 0 : 2 : 3);
  }
  assert_int_equal(v[1].nrec, 3);
  const char *json = "{\"formatVersion\":1,\"recordType\":\"evrec.test.AllTypes\","
                     "\"creator\":\"evrec 0.1.0\",\"createdAt\":\"" CREATED "\","
                     "\"metadata\":{\"a\":\"1\",\"b\":\"x=y\"}}";
  const uint8_t *h = p + 28; /* EH subfield of the header member */
  assert_memory_equal(h, "EH", 2);
  assert_memory_equal(h + 4, "EVRH\x01\0\0\0", 8);
  assert_int_equal(rd32(h + 12), strlen(json));
  assert_memory_equal(h + 16, json, strlen(json));
  assert_int_equal(rd32(h + 16 + strlen(json)), 0); /* no schema for test types */
  assert_int_equal(h[2] | h[3] << 8, 12 + strlen(json) + 4 + 4); /* + CRC32 trailer */
  /* empty payloads: 03 00, CRC 0, ISIZE 0 */
  assert_memory_equal(p + v[0].off + v[0].bsize - 10, "\x03\x00\0\0\0\0\0\0\0\0", 10);
  /* index: one block, no ids (AllTypes has no "id") */
  const uint8_t *x = p + v[2].off + 28;
  assert_memory_equal(x, "EX", 2);
  assert_memory_equal(x + 4, "EVRX\x01\0\0\0", 8);
  assert_int_equal(rd64(x + 12), 1);
  assert_int_equal(rd64(x + 20), 0);
  assert_int_equal(rd64(x + 28), v[2].off - v[1].off); /* back */
  assert_int_equal(rd64(x + 36), 0);                    /* first */
  assert_int_equal(rd32(x + 44), 3);
  assert_int_equal(rd32(x + 48), v[1].bsize);
  /* EOF: 66 bytes, XLEN 44, EE */
  const uint8_t *e = p + v[3].off;
  assert_int_equal(v[3].bsize, 66);
  assert_int_equal(len - v[3].off, 66);
  assert_int_equal(e[10], 44);
  assert_memory_equal(e + 28, "EE\x18\x00", 4);
  assert_int_equal(rd64(e + 32), v[3].off - v[2].off);
  assert_int_equal(rd64(e + 40), v[3].off);
  assert_int_equal(rd64(e + 48), 3);
  free(p);
}

/* Inflating member by member in gzip mode gives exactly the pbd stream. */
static void test_gzip_compat(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 2, 2000);
  write_recs(in_dir(f, "g.evr"), 0, 700, &o);
  size_t len;
  uint8_t *p = slurp(f->path, &len);
  evrec__buf want, got;
  evrec__buf_init(&want);
  evrec__buf_init(&got);
  for (uint64_t i = 0; i < 700; i++) {
    uint8_t b[1100];
    size_t n = pack_rec(i, b + 10);
    size_t h = evrec__varint_put(n, b);
    memmove(b + h, b + 10, n);
    evrec__buf_append(&want, b, h + n);
  }
  z_stream z;
  memset(&z, 0, sizeof z);
  assert_int_equal(inflateInit2(&z, 16 + 15), Z_OK);
  size_t off = 0, nmem = 0;
  uint8_t out[65536];
  while (off < len) {
    inflateReset(&z);
    z.next_in = p + off;
    z.avail_in = (uInt)(len - off);
    int zr;
    do {
      z.next_out = out;
      z.avail_out = sizeof out;
      zr = inflate(&z, Z_NO_FLUSH);
      assert_true(zr == Z_OK || zr == Z_STREAM_END);
      evrec__buf_append(&got, out, sizeof out - z.avail_out);
    } while (zr != Z_STREAM_END);
    off += z.total_in;
    nmem++;
  }
  inflateEnd(&z);
  assert_true(nmem > 20);
  assert_int_equal(got.len, want.len);
  assert_memory_equal(got.data, want.data, want.len);
  evrec__buf_free(&want);
  evrec__buf_free(&got);
  free(p);
}

/* ====================================================================== */
/* Writer options and determinism                                         */
/* ====================================================================== */

static void test_identical_for_all_threads(void **state) {
  fixture *f = *state;
  static const unsigned threads[] = {1, 2, 3, 8};
  static const size_t blocks[] = {300, 4096, 65536};
  for (int level = 0; level <= 9; level++) {
    for (size_t b = 0; b < 3; b++) {
      uint8_t *ref = NULL;
      size_t ref_len = 0;
      for (size_t t = 0; t < 4; t++) {
        evrec_writer_options o = wopts(level, threads[t], blocks[b]);
        write_recs(in_dir(f, "t.evr"), 0, 600, &o);
        size_t len;
        uint8_t *p = slurp(f->path, &len);
        if (!ref) {
          ref = p, ref_len = len;
          continue;
        }
        assert_int_equal(len, ref_len);
        assert_memory_equal(p, ref, len);
        free(p);
      }
      mem v[4096];
      size_t n = members(ref, ref_len, v, 4096);
      if (blocks[b] == 300) assert_true(n > 100);
      free(ref);
    }
  }
}

static void test_levels_differ(void **state) {
  fixture *f = *state;
  evrec_writer_options o0 = wopts(0, 1, 0), o9 = wopts(9, 1, 0);
  size_t l0, l9;
  write_recs(in_dir(f, "0.evr"), 0, 300, &o0);
  free(slurp(f->path, &l0));
  write_recs(in_dir(f, "9.evr"), 0, 300, &o9);
  free(slurp(f->path, &l9));
  assert_true(l9 * 3 < l0); /* stored vs best */
  evrec_writer_options bad = wopts(10, 1, 0);
  evrec_writer *w = NULL;
  evrec_error e;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "x.evr"), &bad, &e), EVREC_E_INVALID_ARG);
  assert_string_equal(e.message, "compression level 10 is not in 0-9");
}

static void test_meta_invalid(void **state) {
  fixture *f = *state;
  static const char *bad[][2] = {{"novalue", NULL}, {"=x", NULL}, {"k=1", "k=2"}};
  static const char *msgs[] = {"metadata \"novalue\" is not key=value with a non-empty key",
                               "metadata \"=x\" is not key=value with a non-empty key",
                               "metadata key \"k\" given twice"};
  for (int i = 0; i < 3; i++) {
    evrec_writer_options o = wopts(6, 1, 0);
    o.meta = bad[i];
    o.n_meta = bad[i][1] ? 2 : 1;
    evrec_writer *w = NULL;
    evrec_error e;
    assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "m.evr"), &o, &e), EVREC_E_INVALID_ARG);
    assert_null(w);
    assert_string_equal(e.message, msgs[i]);
  }
  DIR *d = opendir(f->dir);
  struct dirent *ent;
  int n = 0;
  while ((ent = readdir(d)) != NULL) n += ent->d_name[0] != '.';
  closedir(d);
  assert_int_equal(n, 0); /* no temporary file left */
}

/* An oversized record gets its own block; max_record_size is enforced. */
static void test_oversized_and_limit(void **state) {
  fixture *f = *state;
  static char big[5001];
  memset(big, 'z', 5000);
  evrec_writer_options o = wopts(6, 2, 1000);
  evrec_writer *w = NULL;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "o.evr"), &o, NULL), EVREC_OK);
  Evrec__Test__AllTypes m = EVREC__TEST__ALL_TYPES__INIT;
  m.f_string = "0123456789012345678901234567890123456789";
  for (int i = 0; i < 60; i++) {
    m.f_string = i == 30 ? big : "0123456789012345678901234567890123456789";
    m.f_int32 = i;
    assert_int_equal(evrec_writer_write(w, &m.base, NULL), EVREC_OK);
  }
  assert_int_equal(evrec_writer_close(w, NULL), EVREC_OK);
  size_t len;
  uint8_t *p = slurp(f->path, &len);
  mem v[64];
  size_t n = members(p, len, v, 64), total = 0, singles = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i].kind != 0) continue;
    uint32_t isize = rd32(p + v[i].off + v[i].bsize - 4);
    if (isize > 1000) assert_int_equal(v[i].nrec, 1), singles++;
    total += v[i].nrec;
  }
  assert_int_equal(total, 60);
  assert_int_equal(singles, 1);
  free(p);

  o.max_record_size = 2000;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "l.evr"), &o, NULL), EVREC_OK);
  evrec_error e;
  for (int i = 0; i < 6; i++) {
    m.f_string = i == 5 ? big : "x";
    int rc = evrec_writer_write(w, &m.base, &e);
    assert_int_equal(rc, i == 5 ? EVREC_E_LIMIT : EVREC_OK);
  }
  assert_int_equal(e.record, 5); /* the index; the message counts from 1 */
  assert_string_equal(e.message, "record 6 of 5005 bytes exceeds the maximum record size of 2000 bytes");
  /* a record refused for its size is not a sticky error: the writer takes
   * the next one, and the file closes complete without it */
  m.f_string = "y";
  assert_int_equal(evrec_writer_write(w, &m.base, &e), EVREC_OK);
  assert_int_equal(evrec_writer_count(w), 6);
  assert_int_equal(evrec_writer_close(w, &e), EVREC_OK);
}

/* ====================================================================== */
/* Reading                                                                */
/* ====================================================================== */

/* Reads everything; asserts records from..to in order and the status. */
static void read_expect(const char *path, uint64_t from, uint64_t to) {
  evrec_reader *r = NULL;
  evrec_error e;
  assert_int_equal(evrec_reader_open_file(&r, path, NULL, &e), EVREC_OK);
  assert_int_equal(evrec_reader_format(r), EVREC_FORMAT_EVR);
  const ProtobufCMessage *msg;
  for (uint64_t i = from; i < to; i++) {
    assert_int_equal(evrec_reader_next(r, &msg, &e), EVREC_OK);
    assert_is_rec(msg, i);
  }
  assert_int_equal(evrec_reader_next(r, &msg, &e), EVREC_DONE);
  evrec_reader_stats st;
  evrec_reader_stats_get(r, &st);
  assert_int_equal(st.eof_member, 1);
  assert_int_equal(st.truncated, 0);
  assert_int_equal(st.damaged_blocks, 0);
  evrec_reader_close(r);
}

/* Reads path (read-ahead on: a regular file) or the same bytes from a pipe
 * (no read-ahead) until the first error; returns its code, *n the records
 * read before it. */
static int read_until_error(const char *path, bool pipe, size_t max_record, uint64_t *n,
                            evrec_error *e) {
  evrec_reader_options o = ropts(0);
  o.max_record_size = max_record;
  evrec_reader *r = NULL;
  FILE *fp = NULL;
  char cmd[256];
  snprintf(cmd, sizeof cmd, "cat '%s'", path);
  if (pipe) assert_non_null(fp = popen(cmd, "r"));
  assert_int_equal(pipe ? evrec_reader_open_FILE(&r, fp, &o, e) : evrec_reader_open_file(&r, path, &o, e),
                   EVREC_OK);
  const ProtobufCMessage *msg;
  int rc;
  for (*n = 0; (rc = evrec_reader_next(r, &msg, e)) == EVREC_OK; ++*n) assert_is_rec(msg, *n);
  evrec_reader_close(r);
  if (fp) pclose(fp);
  return rc;
}

/* Records the read-ahead workers decode come out as synchronous decoding
 * gives them, errors included: a record that fails (invalid UTF-8, written
 * on a promise EVREC_WRITE_VALID_UTF8 broke) or exceeds max_record_size in
 * an intact block of a file read with read-ahead reports the same code,
 * message, path and offset as reading the bytes from a pipe. */
static void test_read_ahead_errors(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(1, 1, 700);
  o.flags = EVREC_WRITE_VALID_UTF8;
  evrec_writer *w = NULL;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "ra.evr"), &o, NULL), EVREC_OK);
  for (uint64_t i = 0; i < 200; i++) {
    rec x;
    const ProtobufCMessage *m = make_rec(&x, i);
    if (i == 150) x.text[3] = (char)0xff;
    assert_int_equal(evrec_writer_write(w, m, NULL), EVREC_OK);
  }
  assert_int_equal(evrec_writer_close(w, NULL), EVREC_OK);
  /* A limit that the first record setting a new running maximum of size
   * at index >= 30 (past the blocks read before read-ahead starts) exceeds. */
  size_t limits[2] = {0, 0}, runmax = 0;
  uint8_t buf[1024];
  for (uint64_t i = 0; i < 150 && !limits[1]; i++) {
    size_t n = pack_rec(i, buf);
    if (i >= 30 && n > runmax) limits[1] = runmax;
    if (n > runmax) runmax = n;
  }
  assert_true(limits[1] > 0);
  for (int k = 0; k < 2; k++) {
    evrec_error a, b;
    uint64_t na, nb;
    int rca = read_until_error(f->path, false, limits[k], &na, &a);
    int rcb = read_until_error(f->path, true, limits[k], &nb, &b);
    assert_int_equal(rca, k == 0 ? EVREC_E_UTF8 : EVREC_E_LIMIT);
    assert_int_equal(rca, rcb);
    if (k == 0) assert_int_equal(na, 150);
    assert_true(na >= 30);
    assert_int_equal(na, nb);
    assert_string_equal(a.message, b.message);
    assert_string_equal(a.path, b.path);
    assert_int_equal(a.offset, b.offset);
    assert_int_equal(a.record, b.record);
  }
}

static void test_header_api(void **state) {
  fixture *f = *state;
  const char *meta[] = {"source=wire", "desk=world", "lang=en"};
  evrec_writer_options o = wopts(6, 1, 0);
  o.meta = meta;
  o.n_meta = 3;
  write_recs(in_dir(f, "h.evr"), 0, 50, &o);
  evrec_reader *r = NULL;
  assert_int_equal(evrec_reader_open_file(&r, f->path, NULL, NULL), EVREC_OK);
  const evrec_container_header *h = evrec_reader_header(r);
  assert_non_null(h);
  assert_int_equal(h->format_version, 1);
  assert_string_equal(h->record_type, "evrec.v1.Record");
  assert_string_equal(h->creator, "evrec " EVREC_VERSION_STRING);
  assert_string_equal(h->created_at, CREATED);
  assert_int_equal(h->n_meta, 3);
  assert_string_equal(h->meta_keys[0], "desk");
  assert_string_equal(h->meta_values[0], "world");
  assert_string_equal(h->meta_keys[2], "source");
  assert_string_equal(h->meta_values[2], "wire");
  size_t slen;
  const void *schema = evrec_schema_descriptor_set(&slen);
  assert_int_equal(h->schema_len, slen);
  assert_memory_equal(h->schema, schema, slen);
  assert_int_equal(h->json_len, strlen(h->json));
  assert_non_null(strstr(h->json, "\"metadata\":{\"desk\":\"world\",\"lang\":\"en\",\"source\":\"wire\"}"));
  evrec_reader_close(r);
  read_expect(f->path, 0, 50);

  /* A header longer than one member's 60000 bytes spans several. */
  static char big[3][40010];
  const char *bm[3];
  for (int i = 0; i < 3; i++) {
    memcpy(big[i], "k0=", 3);
    big[i][1] = (char)('0' + i);
    memset(big[i] + 3, 'a' + i, 40000);
    big[i][40003] = '\0';
    bm[i] = big[i];
  }
  o.meta = bm;
  write_recs(in_dir(f, "hb.evr"), 0, 10, &o);
  size_t len;
  uint8_t *p = slurp(f->path, &len);
  mem v[16];
  size_t n = members(p, len, v, 16);
  assert_int_equal(n, 6); /* 3 x header (120 KB), data, index, eof */
  assert_int_equal(v[0].kind, 1);
  assert_int_equal(v[1].kind, 1);
  assert_int_equal(v[2].kind, 1);
  free(p);
  assert_int_equal(evrec_reader_open_file(&r, f->path, NULL, NULL), EVREC_OK);
  h = evrec_reader_header(r);
  assert_non_null(h);
  assert_int_equal(h->n_meta, 3);
  assert_int_equal(strlen(h->meta_values[1]), 40000);
  assert_int_equal(h->meta_values[1][0], 'b');
  evrec_reader_close(r);
  read_expect(f->path, 0, 10);
}

static void test_type_mismatch(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 1, 0);
  evrec_writer *w = NULL;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "a.evr"), &o, NULL), EVREC_OK);
  Evrec__Test__AllTypes m = EVREC__TEST__ALL_TYPES__INIT;
  assert_int_equal(evrec_writer_write(w, &m.base, NULL), EVREC_OK);
  assert_int_equal(evrec_writer_close(w, NULL), EVREC_OK);
  evrec_reader *r = NULL;
  evrec_error e;
  assert_int_equal(evrec_reader_open_file(&r, f->path, NULL, &e), EVREC_E_FORMAT);
  assert_string_equal(e.message, "the container holds evrec.test.AllTypes records, not evrec.v1.Record");
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  ro.type = AT;
  assert_int_equal(evrec_reader_open_file(&r, f->path, &ro, &e), EVREC_OK);
  const ProtobufCMessage *msg;
  assert_int_equal(evrec_reader_next(r, &msg, &e), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &msg, &e), EVREC_DONE);
  /* random access by id needs an "id" field */
  assert_int_equal(evrec_reader_get_id(r, "x", &msg, &e), EVREC_E_UNSUPPORTED);
  evrec_reader_close(r);
}

static void test_empty_container(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 3, 0);
  write_recs(in_dir(f, "e.evr"), 0, 0, &o);
  read_expect(f->path, 0, 0);
  evrec_reader *r = NULL;
  evrec_error e;
  assert_int_equal(evrec_reader_open_file(&r, f->path, NULL, &e), EVREC_OK);
  assert_string_equal(evrec_reader_header(r)->record_type, "evrec.v1.Record");
  assert_int_equal(evrec_reader_seek_ordinal(r, 0, &e), EVREC_E_NOT_FOUND);
  evrec_reader_close(r);
}

/* ====================================================================== */
/* Random access                                                          */
/* ====================================================================== */

#define N_BIG 5000

static void check_random_access(evrec_reader *r, uint64_t n) {
  evrec_error e;
  const ProtobufCMessage *msg;
  evrec_reader_stats before, after;
  /* a missing id loads the index of every section (loading an index
   * replaces the current block, so a lookup right after it inflates) */
  assert_int_equal(evrec_reader_get_id(r, "no-such-id", &msg, &e), EVREC_E_NOT_FOUND);
  for (uint64_t i = 0; i < n; i += 97) {
    evrec_reader_stats_get(r, &before);
    assert_int_equal(evrec_reader_seek_ordinal(r, i, &e), EVREC_OK);
    evrec_reader_stats_get(r, &after);
    assert_int_equal(after.blocks - before.blocks, 1);
    assert_int_equal(evrec_reader_next(r, &msg, &e), EVREC_OK);
    assert_is_rec(msg, i);
    assert_int_equal(evrec_reader_count(r), i + 1);
    if (i % 1000 == 10) continue; /* "dup" */
    char id[32];
    evrec_reader_stats_get(r, &before);
    assert_int_equal(evrec_reader_get_id(r, id_of(i, id), &msg, &e), EVREC_OK);
    evrec_reader_stats_get(r, &after);
    assert_int_equal(after.blocks - before.blocks, 0); /* the block the seek inflated */
    assert_is_rec(msg, i);
    uint64_t far = (i + 50) % n; /* in another block: inflated, once */
    if (far % 1000 != 10) {
      evrec_reader_stats_get(r, &before);
      assert_int_equal(evrec_reader_get_id(r, id_of(far, id), &msg, &e), EVREC_OK);
      evrec_reader_stats_get(r, &after);
      assert_int_equal(after.blocks - before.blocks, 1);
      assert_is_rec(msg, far);
      assert_int_equal(evrec_reader_get_id(r, id_of(i, id), &msg, &e), EVREC_OK);
      assert_is_rec(msg, i);
    }
    if (i + 1 < n) { /* reading goes on after the record found */
      assert_int_equal(evrec_reader_next(r, &msg, &e), EVREC_OK);
      assert_is_rec(msg, i + 1);
    }
  }
  assert_int_equal(evrec_reader_seek_ordinal(r, n, &e), EVREC_E_NOT_FOUND);
  assert_int_equal(evrec_reader_get_id(r, "no-such-id", &msg, &e), EVREC_E_NOT_FOUND);
  assert_string_equal(e.message, "no record with id \"no-such-id\"");
  assert_int_equal(evrec_reader_get_id(r, "dup", &msg, &e), EVREC_OK);
  assert_is_rec(msg, (n - 11) / 1000 * 1000 + 10); /* the last one */
}

static void test_random_access(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 3, 1024);
  write_recs(in_dir(f, "r.evr"), 0, N_BIG, &o);
  size_t len;
  uint8_t *p = slurp(f->path, &len);
  mem *v = malloc(4096 * sizeof *v);
  size_t n = members(p, len, v, 4096);
  assert_true(n > 300);
  free(v);
  evrec_reader *r = NULL;
  evrec_error e;
  assert_int_equal(evrec_reader_open_file(&r, f->path, NULL, &e), EVREC_OK);
  check_random_access(r, N_BIG);
  evrec_reader_stats st;
  evrec_reader_stats_get(r, &st);
  assert_int_equal(st.index_members, 2); /* 5000 ids x 12 bytes: two chunks */
  evrec_reader_close(r);
  /* the same on memory input */
  assert_int_equal(evrec_reader_open_memory(&r, p, len, NULL, &e), EVREC_OK);
  check_random_access(r, N_BIG);
  evrec_reader_close(r);
  free(p);
  /* not seekable: a pipe */
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  FILE *in = fdopen(fds[0], "rb");
  assert_int_equal(write(fds[1], "\x1f\x8b\x08\x04", 4), 4);
  close(fds[1]);
  assert_int_equal(evrec_reader_open_FILE(&r, in, NULL, &e), EVREC_OK);
  assert_int_equal(evrec_reader_seek_ordinal(r, 0, &e), EVREC_E_UNSUPPORTED);
  evrec_reader_close(r);
  fclose(in);
}

static uint64_t revision_of(const ProtobufCMessage *msg) {
  return ((const Evrec__V1__Record *)msg)->revision;
}

/* What evrec_reader_get_many() handed its callback. */
typedef struct many {
  size_t calls, n, stop_after;
  int order[64];      /* the lookup of each call */
  uint64_t rev[64];   /* revision of the record found, or UINT64_MAX */
  int code[64];       /* the failure, or 0 */
  uint64_t off[64];   /* its offset */
} many;

static int many_fn(size_t i, const ProtobufCMessage *msg, const evrec_error *err, void *payload) {
  many *m = payload;
  assert_true(i < m->n);
  assert_true((msg == NULL) != (err == NULL));
  m->order[m->calls++] = (int)i;
  m->rev[i] = msg ? revision_of(msg) : UINT64_MAX;
  m->code[i] = err ? err->code : 0;
  m->off[i] = err ? err->offset : 0;
  return m->stop_after && m->calls == m->stop_after;
}

/* Threads of this process now (/proc/self/task). */
static size_t count_threads(void) {
  DIR *d = opendir("/proc/self/task");
  assert_non_null(d);
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* The block of record `ordinal`, from the block list. */
static size_t block_of(const evrec_block *b, size_t nb, uint64_t ordinal) {
  for (size_t k = 0; k < nb; k++)
    if (ordinal >= b[k].first && ordinal < b[k].first + b[k].records) return k;
  fail();
  return 0;
}

static void test_get_many(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 2, 2048);
  write_recs(in_dir(f, "m.evr"), 0, 3000, &o);
  char path[160];
  snprintf(path, sizeof path, "%s", f->path);
  evrec_reader *r = NULL;
  evrec_error e;
  evrec_block *blocks;
  size_t nb;
  assert_int_equal(evrec_reader_open_file(&r, path, NULL, &e), EVREC_OK);
  assert_int_equal(evrec_reader_blocks(r, &blocks, &nb, &e), EVREC_OK);
  assert_true(nb > 100);
  /* ids and numbers, out of file order, several per block, one twice,
   * "dup" (the last one wins), a missing id and a missing number */
  static const uint64_t want[] = {2999, 5, 1500, 6, 4, 2998, 1500, 1010 /* dup */,
                                  UINT64_MAX, 7, 2000, UINT64_MAX - 1};
  enum { N = sizeof want / sizeof want[0] };
  char ids[N][32];
  evrec_lookup q[N];
  for (size_t i = 0; i < N; i++) {
    q[i] = (evrec_lookup){NULL, want[i]};
    if (i % 2 == 0 && want[i] < 3000) q[i].id = id_of(want[i], ids[i]);
  }
  q[7].id = "dup";
  q[8].id = "no-such-id";
  q[11].ordinal = 3000; /* past the end */
  many m = {0, N, 0, {0}, {0}, {0}, {0}};
  evrec_reader_stats before, after;
  evrec_reader_stats_get(r, &before);
  size_t threads = count_threads();
  assert_int_equal(evrec_reader_get_many(r, q, N, many_fn, &m, &e), EVREC_OK);
  evrec_reader_stats_get(r, &after);
  assert_int_equal(m.calls, N);
  assert_int_equal(count_threads(), threads); /* random access reads no block ahead */
  bool seen[N] = {false}, inflated[4096] = {false};
  size_t distinct = 0;
  uint64_t last_block = 0;
  for (size_t c = 0; c < N; c++) {
    size_t i = (size_t)m.order[c];
    assert_false(seen[i]); /* each lookup once */
    seen[i] = true;
    if (i == 8 || i == 11) {
      assert_int_equal(m.code[i], EVREC_E_NOT_FOUND);
      continue;
    }
    uint64_t ord = i == 7 ? 2010 : want[i]; /* "dup": the last of 10, 1010, 2010 */
    assert_int_equal(m.code[i], 0);
    assert_int_equal(m.rev[i], ord);
    size_t b = block_of(blocks, nb, ord);
    assert_true(b >= last_block); /* served in file order */
    last_block = b;
    if (!inflated[b]) distinct++;
    inflated[b] = true;
  }
  /* each block once: 1500 twice and 4/5/6/7 share blocks */
  assert_int_equal(after.blocks - before.blocks, distinct);
  assert_true(distinct < N - 2);
  /* reading goes on after the last record served (the last in file order) */
  evrec_lookup q2[2] = {{NULL, 100}, {NULL, 50}};
  many m2 = {0, 2, 0, {0}, {0}, {0}, {0}};
  assert_int_equal(evrec_reader_get_many(r, q2, 2, many_fn, &m2, &e), EVREC_OK);
  assert_int_equal(m2.order[0], 1);
  assert_int_equal(m2.order[1], 0);
  const ProtobufCMessage *msg;
  assert_int_equal(evrec_reader_next(r, &msg, &e), EVREC_OK);
  assert_is_rec(msg, 101);
  assert_int_equal(evrec_reader_count(r), 102);
  assert_int_equal(count_threads(), threads);
  for (uint64_t i = 102; i < 300; i++) { /* reading on: blocks are read ahead */
    assert_int_equal(evrec_reader_next(r, &msg, &e), EVREC_OK);
    assert_is_rec(msg, i);
  }
  assert_true(count_threads() > threads);
  /* the callback stops it */
  many m3 = {0, N, 2, {0}, {0}, {0}, {0}};
  assert_int_equal(evrec_reader_get_many(r, q, N, many_fn, &m3, &e), EVREC_STOPPED);
  assert_int_equal(m3.calls, 2);
  /* nothing to look up; arguments */
  assert_int_equal(evrec_reader_get_many(r, q, 0, many_fn, &m3, &e), EVREC_OK);
  assert_int_equal(m3.calls, 2);
  assert_int_equal(evrec_reader_get_many(r, q, N, NULL, &m3, &e), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_reader_get_many(r, NULL, 1, many_fn, &m3, &e), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_reader_get_many(r, q, SIZE_MAX, many_fn, &m3, &e), EVREC_E_NOMEM);
  assert_int_equal(m3.calls, 2);
  evrec_reader_close(r);

  /* a damaged block fails its lookups only, with its offset */
  size_t len, b1500 = block_of(blocks, nb, 1500);
  uint8_t *p = slurp(path, &len);
  p[blocks[b1500].offset + blocks[b1500].size - 12] ^= 0x55; /* in the deflate data */
  spit(in_dir(f, "flip.evr"), p, len);
  assert_int_equal(evrec_reader_open_file(&r, f->path, NULL, &e), EVREC_OK);
  many m4 = {0, N, 0, {0}, {0}, {0}, {0}};
  assert_int_equal(evrec_reader_get_many(r, q, N, many_fn, &m4, &e), EVREC_OK);
  assert_int_equal(m4.calls, N);
  for (size_t i = 0; i < N; i++) {
    if (want[i] == 1500) {
      assert_int_equal(m4.code[i], EVREC_E_CORRUPT);
      assert_int_equal(m4.off[i], blocks[b1500].offset);
    } else {
      assert_int_equal(m4.code[i], m.code[i]);
      assert_int_equal(m4.rev[i], m.rev[i]);
    }
  }
  evrec_reader_close(r);
  free(p);
  free(blocks);

  /* not an .evr */
  assert_int_equal(evrec_reader_open_memory(&r, "{}", 2, NULL, &e), EVREC_OK);
  assert_int_equal(evrec_reader_get_many(r, q, N, many_fn, &m3, &e), EVREC_E_UNSUPPORTED);
  evrec_reader_close(r);
}

static void test_concatenated(void **state) {
  fixture *f = *state;
  evrec_writer_options o1 = wopts(6, 2, 700), o2 = wopts(1, 1, 5000);
  write_recs(in_dir(f, "a.evr"), 0, 1200, &o1);
  size_t la, lb;
  uint8_t *a = slurp(f->path, &la);
  write_recs(in_dir(f, "b.evr"), 1200, 2500, &o2);
  uint8_t *b = slurp(f->path, &lb);
  a = realloc(a, la + lb);
  memcpy(a + la, b, lb);
  spit(in_dir(f, "c.evr"), a, la + lb);
  read_expect(f->path, 0, 2500);
  evrec_reader *r = NULL;
  evrec_error e;
  assert_int_equal(evrec_reader_open_file(&r, f->path, NULL, &e), EVREC_OK);
  check_random_access(r, 2500);
  evrec_reader_close(r);
  free(a);
  free(b);
}

/* ====================================================================== */
/* Append                                                                 */
/* ====================================================================== */

static void test_append(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 2, 900);
  write_recs(in_dir(f, "p.evr"), 0, 1500, &o);
  size_t l0;
  uint8_t *old = slurp(f->path, &l0);
  o.flags = EVREC_WRITE_APPEND;
  o.created_at = "1999-01-01T00:00:00Z"; /* ignored: the old header stays */
  write_recs(f->path, 1500, 2600, &o);
  size_t l1;
  uint8_t *now = slurp(f->path, &l1);
  assert_true(l1 > l0);
  assert_memory_equal(now, old, l0); /* old bytes untouched */
  assert_int_equal(rd64(now + l1 - 66 + 40), l1 - 66); /* one section from byte 0 */
  assert_int_equal(rd64(now + l1 - 66 + 48), 2600);
  read_expect(f->path, 0, 2600);
  evrec_reader *r = NULL;
  evrec_error e;
  assert_int_equal(evrec_reader_open_file(&r, f->path, NULL, &e), EVREC_OK);
  assert_string_equal(evrec_reader_header(r)->created_at, CREATED);
  check_random_access(r, 2600);
  evrec_reader_close(r);

  /* a failed append leaves the file as it was: wrong type, abort */
  evrec_writer *w = NULL;
  assert_int_equal(evrec_writer_open_file(&w, f->path, &o, &e), EVREC_OK);
  rec x;
  assert_int_equal(evrec_writer_write(w, make_rec(&x, 2600), &e), EVREC_OK);
  Evrec__Test__AllTypes m = EVREC__TEST__ALL_TYPES__INIT;
  assert_int_equal(evrec_writer_write(w, &m.base, &e), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_writer_close(w, &e), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_writer_open_file(&w, f->path, &o, &e), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, &m.base, &e), EVREC_E_FORMAT);
  assert_string_equal(e.message, "cannot append evrec.test.AllTypes records to a container of evrec.v1.Record");
  evrec_writer_abort(w);
  assert_int_equal(evrec_writer_open_file(&w, f->path, &o, &e), EVREC_OK);
  for (int i = 0; i < 3000; i++) assert_int_equal(evrec_writer_write(w, make_rec(&x, 9), &e), EVREC_OK);
  evrec_writer_abort(w); /* blocks were written: truncated back */
  size_t l2;
  uint8_t *after = slurp(f->path, &l2);
  assert_int_equal(l2, l1);
  assert_memory_equal(after, now, l1);
  free(after);

  /* appending to a truncated file is refused and changes nothing */
  spit(f->path, now, l1 - 10);
  assert_int_equal(evrec_writer_open_file(&w, f->path, &o, &e), EVREC_E_CORRUPT);
  assert_non_null(strstr(e.message, "no intact EOF member at its end"));
  after = slurp(f->path, &l2);
  assert_int_equal(l2, l1 - 10);
  free(after);

  /* appending to a missing file creates a whole container */
  write_recs(in_dir(f, "new.evr"), 0, 20, &o);
  read_expect(f->path, 0, 20);
  free(old);
  free(now);
}

/* ====================================================================== */
/* Truncation and damage                                                  */
/* ====================================================================== */

/* Reads data[0..cut) and checks: the records of complete blocks, then
 * TRUNCATED at `cut` (or DONE when nothing is cut). */
static void check_cut(const uint8_t *data, size_t len, size_t cut, const mem *v, size_t nv) {
  uint64_t want = 0;
  for (size_t i = 0; i < nv; i++)
    if (v[i].kind == 0 && v[i].off + v[i].bsize <= cut) want += v[i].nrec;
  evrec_reader_options o = ropts(0);
  evrec_reader *r = NULL;
  evrec_error e;
  if (cut == 0) { /* nothing left: not a container at all, said at open */
    assert_int_equal(evrec_reader_open_memory(&r, data, cut, &o, &e), EVREC_E_FORMAT);
    assert_string_equal(e.message, "not an .evr container (the input is empty)");
    return;
  }
  assert_int_equal(evrec_reader_open_memory(&r, data, cut, &o, &e), EVREC_OK);
  const ProtobufCMessage *msg;
  uint64_t got = 0;
  int rc;
  while ((rc = evrec_reader_next(r, &msg, &e)) == EVREC_OK) assert_is_rec(msg, got++);
  assert_int_equal(got, want);
  if (cut == len) {
    assert_int_equal(rc, EVREC_DONE);
  } else {
    assert_int_equal(rc, EVREC_E_TRUNCATED);
    assert_int_equal(e.offset, cut); /* the position in its field, not in the text */
    assert_string_equal(e.message, "truncated (no EOF member)");
    evrec_reader_stats st;
    evrec_reader_stats_get(r, &st);
    assert_int_equal(st.truncated, 1);
  }
  evrec_reader_close(r);
}

static void test_truncation(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 1, 1500);
  write_recs(in_dir(f, "s.evr"), 0, 14, &o);
  size_t len;
  uint8_t *p = slurp(f->path, &len);
  mem v[16];
  size_t nv = members(p, len, v, 16), blocks = 0;
  for (size_t i = 0; i < nv; i++) blocks += v[i].kind == 0;
  assert_int_equal(blocks, 3);
  for (size_t cut = 0; cut <= len; cut++) check_cut(p, len, cut, v, nv);
  free(p);

  write_recs(in_dir(f, "b.evr"), 0, 3000, &o);
  p = slurp(f->path, &len);
  mem *bv = malloc(4096 * sizeof *bv);
  nv = members(p, len, bv, 4096);
  uint64_t s = 42;
  for (int k = 0; k < 60; k++) check_cut(p, len, (s = mix(s)) % len, bv, nv);
  for (size_t cut = len - 70; cut <= len; cut++) check_cut(p, len, cut, bv, nv); /* EOF, index */
  free(bv);
  free(p);
}

/* One flipped byte: what SKIP_DAMAGE returns and reports. */
static bool check_flip(const uint8_t *orig, size_t len, const mem *v, size_t nv, size_t at,
                       uint8_t x, uint64_t nrec) {
  uint8_t *d = malloc(len);
  memcpy(d, orig, len);
  d[at] ^= x;
  size_t hit = 0; /* member holding the flip */
  while (hit < nv && !(v[hit].off <= at && at < v[hit].off + v[hit].bsize)) hit++;
  assert_true(hit < nv);
  uint64_t first = 0, block = 0; /* records before it, data blocks before it */
  for (size_t i = 0; i < hit; i++) first += v[i].kind == 0 ? v[i].nrec : 0, block += v[i].kind == 0;
  evrec_reader_options o = ropts(EVREC_READ_SKIP_DAMAGE);
  evrec_reader *r = NULL;
  evrec_error e;
  int rc = evrec_reader_open_memory(&r, d, len, &o, &e);
  if (rc == EVREC_E_FORMAT) { /* the flip renamed the header's record type */
    assert_int_equal(v[hit].kind, 1);
    free(d);
    return false;
  }
  assert_int_equal(rc, EVREC_OK);
  const ProtobufCMessage *msg;
  uint64_t next = 0, reports = 0;
  bool named = false, unknown = false;
  while ((rc = evrec_reader_next(r, &msg, &e)) != EVREC_DONE && rc != EVREC_E_TRUNCATED) {
    if (rc == EVREC_E_CORRUPT) {
      reports++;
      char m[64];
      snprintf(m, sizeof m, "block %llu: ", (unsigned long long)block);
      named |= e.offset == v[hit].off && strncmp(e.message, m, strlen(m)) == 0;
      unknown |= strstr(e.message, "; records lost: unknown") != NULL;
      continue;
    }
    assert_int_equal(rc, EVREC_OK);
    uint64_t i = revision_of(msg);
    /* in order, none twice, none altered; only the hit block may be missing */
    if (i != next) {
      assert_int_equal(v[hit].kind, 0);
      assert_int_equal(next, first);
      assert_int_equal(i, first + v[hit].nrec);
    }
    assert_is_rec(msg, i);
    next = i + 1;
  }
  assert_int_equal(next, nrec);
  evrec_reader_stats st;
  evrec_reader_stats_get(r, &st);
  if (evrec_reader_count(r) < nrec) { /* records were lost: it was said where */
    assert_true(named);
    bool nrec_hit = at >= v[hit].off + 20 && at < v[hit].off + 24; /* the count itself */
    if (!nrec_hit) assert_int_equal(st.records_lost, unknown ? 0 : v[hit].nrec);
  }
  assert_int_equal(st.damaged_blocks, reports);
  assert_true(reports <= 1);
  bool lost = evrec_reader_count(r) < nrec;
  evrec_reader_close(r);
  free(d);
  return lost;
}

static void test_damage(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 2, 2048);
  write_recs(in_dir(f, "d.evr"), 0, 2000, &o);
  size_t len;
  uint8_t *p = slurp(f->path, &len);
  mem *v = malloc(4096 * sizeof *v);
  size_t nv = members(p, len, v, 4096);
  assert_true(nv > 100);
  uint64_t s = 7;
  int lost = 0;
  for (int k = 0; k < 100; k++) {
    s = mix(s);
    size_t at = s % len;
    uint8_t x = (uint8_t)(1 + (s >> 40) % 255);
    lost += check_flip(p, len, v, nv, at, x, 2000);
  }
  assert_true(lost >= 60); /* most flips land in data blocks (76 with this seed) */
  /* a flip in a data block's deflate data, in depth */
  assert_true(check_flip(p, len, v, nv, v[5].off + 40, 0x10, 2000));
  /* without SKIP_DAMAGE the error is sticky */
  p[v[5].off + 40] ^= 0x10;
  evrec_reader_options ro = ropts(0);
  evrec_reader *r = NULL;
  evrec_error e;
  assert_int_equal(evrec_reader_open_memory(&r, p, len, &ro, &e), EVREC_OK);
  const ProtobufCMessage *msg;
  int rc;
  while ((rc = evrec_reader_next(r, &msg, &e)) == EVREC_OK) {}
  assert_int_equal(rc, EVREC_E_CORRUPT);
  assert_int_equal(e.offset, v[5].off);
  assert_int_equal(evrec_reader_next(r, &msg, &e), EVREC_E_CORRUPT);
  evrec_reader_close(r);
  free(v);
  free(p);
}

/* The header and index blobs live in gzip extra fields, which gzip's CRC does
 * not cover; their own CRC32 trailer must catch a flipped bit, so random
 * access can never silently land on the wrong record. */
static void test_blob_checksums(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 1, 2048);
  write_recs(in_dir(f, "c.evr"), 0, 300, &o);
  size_t len;
  uint8_t *p = slurp(f->path, &len);
  mem v[256];
  size_t nv = members(p, len, v, 256), ix = 0;
  while (ix < nv && v[ix].kind != 2) ix++;
  assert_true(ix < nv);
  for (int which = 0; which < 2; which++) {
    size_t at = which == 0 ? v[ix].off + 28 + 4 + 40 /* a block entry */
                           : v[0].off + 28 + 4 + 30; /* header JSON */
    p[at] ^= 0x10;
    FILE *fp = fopen(in_dir(f, "c2.evr"), "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(p, 1, len, fp), len);
    fclose(fp);
    p[at] ^= 0x10;
    evrec_reader_options ro = ropts(0);
    evrec_reader *r = NULL;
    evrec_error e;
    int rc = evrec_reader_open_file(&r, f->path, &ro, &e);
    if (which == 0) {
      assert_int_equal(rc, EVREC_OK);
      assert_int_equal(evrec_reader_seek_ordinal(r, 100, &e), EVREC_E_CORRUPT);
      assert_non_null(strstr(e.message, "index checksum mismatch"));
    } else {
      if (rc == EVREC_OK) {
        const ProtobufCMessage *m;
        rc = evrec_reader_next(r, &m, &e);
      }
      assert_int_equal(rc, EVREC_E_CORRUPT);
      assert_non_null(strstr(e.message, "header checksum mismatch"));
    }
    evrec_reader_close(r);
  }
  free(p);
}

/* ====================================================================== */
/* Limits                                                                 */
/* ====================================================================== */

/* Reads everything with `ro`; @return the first error (or EVREC_DONE) and
 * the records before it in *n. An error at open counts too. */
static int read_limited(const uint8_t *p, size_t len, const char *path,
                        const evrec_reader_options *ro, uint64_t *n, evrec_error *e) {
  evrec_reader *r = NULL;
  const ProtobufCMessage *msg;
  int rc = path ? evrec_reader_open_file(&r, path, ro, e)
                : evrec_reader_open_memory(&r, p, len, ro, e);
  *n = 0;
  while (rc == EVREC_OK && (rc = evrec_reader_next(r, &msg, e)) == EVREC_OK) ++*n;
  if (r) assert_int_equal(evrec_reader_next(r, &msg, e), rc); /* sticky, even with SKIP_DAMAGE */
  evrec_reader_close(r);
  return rc;
}

/* The first data block of the most (by=0: payload bytes, 1: records):
 * its index in v, data-block number and records before it. */
static size_t biggest_block(const uint8_t *p, const mem *v, size_t nv, int by, uint32_t *most,
                            uint64_t *block_no, uint64_t *before) {
  size_t at = nv;
  uint64_t b = 0, recs = 0;
  *most = 0;
  for (size_t i = 0; i < nv; i++) {
    if (v[i].kind != 0) continue;
    uint32_t x = by ? v[i].nrec : rd32(p + v[i].off + v[i].bsize - 4);
    if (x > *most) *most = x, at = i, *block_no = b, *before = recs;
    b++;
    recs += v[i].nrec;
  }
  return at;
}

/* max_block_size and max_block_records: the largest block passes, one less
 * fails at that block with EVREC_E_LIMIT, on files (read-ahead) and memory,
 * also under EVREC_READ_SKIP_DAMAGE (a limit is not damage: sticky). */
static void test_block_limits(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 2, 3000);
  write_recs(in_dir(f, "b.evr"), 0, 600, &o);
  size_t len;
  uint8_t *p = slurp(f->path, &len);
  mem v[512];
  size_t nv = members(p, len, v, 512);
  for (int by = 0; by < 2; by++) {
    uint32_t most;
    uint64_t block_no = 0, before = 0, n;
    size_t at = biggest_block(p, v, nv, by, &most, &block_no, &before);
    assert_true(at < nv && block_no > 2);
    char want[160];
    if (by == 0)
      snprintf(want, sizeof want, "block %llu: payload of %u bytes exceeds the limit "
               "of %u bytes (max_block_size)", (unsigned long long)block_no, most, most - 1);
    else
      snprintf(want, sizeof want, "block %llu: %u records exceed the limit of %u "
               "per block (max_block_records)", (unsigned long long)block_no, most, most - 1);
    for (int src = 0; src < 4; src++) {
      evrec_reader_options ro = ropts(src & 2 ? EVREC_READ_SKIP_DAMAGE : 0);
      evrec_error e;
      const char *path = src & 1 ? f->path : NULL;
      *(by ? &ro.max_block_records : &ro.max_block_size) = most;
      assert_int_equal(read_limited(p, len, path, &ro, &n, &e), EVREC_DONE);
      assert_int_equal(n, 600);
      *(by ? &ro.max_block_records : &ro.max_block_size) = most - 1;
      assert_int_equal(read_limited(p, len, path, &ro, &n, &e), EVREC_E_LIMIT);
      assert_int_equal(n, before);
      assert_string_equal(e.message, want);
      assert_int_equal(e.offset, v[at].off);
      assert_int_equal(e.record, before);
    }
  }
  free(p);
}

/* Deflates `zeros` zero bytes into a data member claiming ISIZE `isize`
 * and `nrec` records, appended to b (malloc'ed, *n bytes). */
static uint8_t *bomb_member(uint8_t *b, size_t *n, uint64_t zeros, uint32_t isize, uint32_t nrec) {
  static uint8_t zero[1 << 16];
  z_stream z;
  memset(&z, 0, sizeof z);
  assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
  size_t cap = zeros / 1000 + 4096, start = *n;
  b = realloc(b, *n + 28 + cap + 8);
  uint8_t *m = b + start;
  uLong crc = crc32(0L, Z_NULL, 0);
  z.next_out = m + 28;
  z.avail_out = (uInt)cap;
  for (uint64_t left = zeros;;) {
    uInt k = left < sizeof zero ? (uInt)left : (uInt)sizeof zero;
    z.next_in = zero;
    z.avail_in = k;
    crc = crc32(crc, zero, k);
    left -= k;
    int zr = deflate(&z, left ? Z_NO_FLUSH : Z_FINISH);
    assert_true(zr == Z_OK || zr == Z_STREAM_END);
    if (zr == Z_STREAM_END) break;
  }
  size_t dlen = cap - z.avail_out, bsize = 28 + dlen + 8;
  deflateEnd(&z);
  static const uint8_t head[28] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 255, 16, 0, 'E', 'V', 12, 0};
  memcpy(m, head, 28);
  for (int i = 0; i < 4; i++) {
    m[16 + i] = (uint8_t)(bsize >> 8 * i);
    m[20 + i] = (uint8_t)(nrec >> 8 * i);
    m[bsize - 8 + i] = (uint8_t)(crc >> 8 * i);
    m[bsize - 4 + i] = (uint8_t)(isize >> 8 * i);
  }
  m[25] = 1;
  *n += bsize;
  return b;
}

static long max_rss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* Zip bombs: a data member after a valid header whose deflate data inflates
 * far past the block limit. The reader stops inflating at the limit
 * (EVREC_E_LIMIT), never allocates what ISIZE claims, and calls an ISIZE
 * that no deflate data of that length can reach damage without inflating. */
static void test_zip_bomb(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 1, 0);
  write_recs(in_dir(f, "h.evr"), 0, 1, &o);
  size_t len;
  uint8_t *valid = slurp(f->path, &len);
  mem v[8];
  members(valid, len, v, 8);
  assert_int_equal(v[0].kind, 1);
  size_t hlen = v[0].bsize; /* the header member */
  evrec_error e;
  uint64_t n;
  evrec_reader_options ro = ropts(0);
  char want[160];

  /* 256 MiB of zeros (about 250 KiB deflated), ISIZE honest: the default
   * limit (64 MiB + 16) stops it, and memory grows by about that much */
  size_t blen = hlen;
  uint8_t *b = malloc(hlen);
  memcpy(b, valid, hlen);
  b = bomb_member(b, &blen, 256u << 20, 256u << 20, 1);
  long rss = max_rss_kib();
  assert_int_equal(read_limited(b, blen, NULL, &ro, &n, &e), EVREC_E_LIMIT);
  assert_true(max_rss_kib() - rss < 100 * 1024); /* KiB: well below 256 MiB */
  snprintf(want, sizeof want, "block 0: payload of %u bytes exceeds the limit of %u "
           "bytes (max_block_size)", 256u << 20, (64u << 20) + 16);
  assert_string_equal(e.message, want);
  assert_int_equal(e.offset, hlen);
  assert_int_equal(n, 0);

  /* 4 MiB of zeros, ISIZE lies small: inflating stops after ISIZE + 1 */
  blen = hlen;
  b = bomb_member(b, &blen, 4u << 20, 100, 1);
  assert_int_equal(read_limited(b, blen, NULL, &ro, &n, &e), EVREC_E_CORRUPT);
  assert_string_equal(e.message, "block 0: payload longer than ISIZE; 1 record lost");
  assert_int_equal(e.offset, hlen);

  /* ISIZE claims 4 GiB - 2 (within a raised limit) for 4 KiB of zeros:
   * no deflate data of that length inflates so far -- damage, found
   * without allocating or inflating anything */
  blen = hlen;
  b = bomb_member(b, &blen, 4096, UINT32_MAX - 1, 1);
  ro.max_block_size = (size_t)UINT32_MAX - 1;
  assert_int_equal(read_limited(b, blen, NULL, &ro, &n, &e), EVREC_E_CORRUPT);
  assert_string_equal(e.message, "block 0: ISIZE larger than the deflate data can hold; "
                                 "1 record lost");
  assert_int_equal(e.offset, hlen);

  /* the limit exactly: 1 MiB of zeros with max_block_size 1 MiB inflates
   * (then fails as the payload holds no records); 1 MiB - 1 does not */
  blen = hlen;
  b = bomb_member(b, &blen, 1u << 20, 1u << 20, 1);
  ro.max_block_size = 1u << 20;
  assert_int_equal(read_limited(b, blen, NULL, &ro, &n, &e), EVREC_E_CORRUPT);
  assert_non_null(strstr(e.message, "payload does not hold exactly nrec whole records"));
  ro.max_block_size = (1u << 20) - 1;
  assert_int_equal(read_limited(b, blen, NULL, &ro, &n, &e), EVREC_E_LIMIT);
  assert_non_null(strstr(e.message, "exceeds the limit of 1048575 bytes (max_block_size)"));
  free(b);
  free(valid);
}

/* Size of the index members of a file written by write_recs. */
static size_t index_size(const uint8_t *p, size_t len, size_t *first) {
  mem v[4096];
  size_t nv = members(p, len, v, 4096), size = 0;
  *first = len;
  for (size_t i = 0; i < nv; i++)
    if (v[i].kind == 2) size += v[i].bsize, *first = *first < v[i].off ? *first : v[i].off;
  return size;
}

/* max_index_size: checked before the index is read, for every section;
 * sequential reading needs no index and is not limited. */
static void test_index_limit(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 2, 1024);
  write_recs(in_dir(f, "a.evr"), 0, 3000, &o);
  size_t la, lb, at_a, at_b;
  uint8_t *a = slurp(f->path, &la);
  size_t size_a = index_size(a, la, &at_a);
  assert_true(size_a > 3000 * 12);
  evrec_reader_options ro = ropts(0);
  evrec_reader *r = NULL;
  evrec_error e;
  const ProtobufCMessage *msg;
  char want[200];
  ro.max_index_size = size_a;
  assert_int_equal(evrec_reader_open_file(&r, f->path, &ro, &e), EVREC_OK);
  assert_int_equal(evrec_reader_seek_ordinal(r, 2999, &e), EVREC_OK);
  evrec_reader_close(r);
  ro.max_index_size = size_a - 1;
  assert_int_equal(evrec_reader_open_file(&r, f->path, &ro, &e), EVREC_OK);
  assert_int_equal(evrec_reader_seek_ordinal(r, 5, &e), EVREC_E_LIMIT);
  snprintf(want, sizeof want, "random access: index of %zu bytes exceeds the limit of "
           "%zu bytes (max_index_size)", size_a, size_a - 1);
  assert_string_equal(e.message, want);
  assert_int_equal(e.offset, at_a);
  assert_int_equal(evrec_reader_get_id(r, "rec-00005", &msg, &e), EVREC_E_LIMIT);
  evrec_reader_stats st;
  evrec_reader_stats_get(r, &st);
  assert_int_equal(st.index_members, 0); /* refused before reading */
  evrec_reader_close(r);
  uint64_t n;
  ro.max_index_size = 1;
  assert_int_equal(read_limited(NULL, 0, f->path, &ro, &n, &e), EVREC_DONE);
  assert_int_equal(n, 3000);

  /* two sections: the limit covers the indexes loaded together */
  write_recs(in_dir(f, "b.evr"), 3000, 4000, &o);
  uint8_t *b = slurp(f->path, &lb);
  size_t size_b = index_size(b, lb, &at_b);
  a = realloc(a, la + lb);
  memcpy(a + la, b, lb);
  spit(in_dir(f, "ab.evr"), a, la + lb);
  ro.max_index_size = size_a + size_b;
  assert_int_equal(evrec_reader_open_file(&r, f->path, &ro, &e), EVREC_OK);
  assert_int_equal(evrec_reader_seek_ordinal(r, 3500, &e), EVREC_OK);
  assert_int_equal(evrec_reader_seek_ordinal(r, 5, &e), EVREC_OK);
  evrec_reader_close(r);
  ro.max_index_size = size_a + size_b - 1;
  assert_int_equal(evrec_reader_open_file(&r, f->path, &ro, &e), EVREC_OK);
  assert_int_equal(evrec_reader_seek_ordinal(r, 3500, &e), EVREC_OK);
  assert_int_equal(evrec_reader_seek_ordinal(r, 5, &e), EVREC_E_LIMIT);
  snprintf(want, sizeof want, "random access: index of %zu bytes, with the %zu loaded "
           "before, exceeds the limit of %zu bytes (max_index_size)", size_a, size_b,
           size_a + size_b - 1);
  assert_string_equal(e.message, want);
  assert_int_equal(e.offset, at_a);
  assert_int_equal(evrec_reader_seek_ordinal(r, 3999, &e), EVREC_OK); /* loaded already */
  evrec_reader_close(r);
  free(a);
  free(b);
}

/* max_string_size and max_record_size on .evr input, also for records the
 * read-ahead decodes on its own thread. */
static void test_evr_record_limits(void **state) {
  fixture *f = *state;
  evrec_writer_options o = wopts(6, 2, 200);
  evrec_writer *w = NULL;
  evrec_error e;
  assert_int_equal(evrec_writer_open_file(&w, in_dir(f, "s.evr"), &o, &e), EVREC_OK);
  for (int i = 0; i < 100; i++) {
    Evrec__Test__AllTypes m = EVREC__TEST__ALL_TYPES__INIT;
    m.f_int32 = i;
    m.f_string = i == 57 ? "abcde" : "abcd";
    assert_int_equal(evrec_writer_write(w, &m.base, &e), EVREC_OK);
  }
  assert_int_equal(evrec_writer_close(w, &e), EVREC_OK);
  size_t len;
  uint8_t *p = slurp(f->path, &len);
  mem v[256];
  size_t nv = members(p, len, v, 256), blk = 0;
  uint64_t recs = 0;
  while (blk < nv && (v[blk].kind != 0 || recs + v[blk].nrec <= 57))
    recs += v[blk++].nrec; /* to the block of record 57 */
  assert_true(blk < nv && recs > 0);
  for (int src = 0; src < 2; src++) {
    evrec_reader_options ro = ropts(0);
    const char *path = src ? f->path : NULL;
    uint64_t n;
    ro.type = AT;
    ro.max_string_size = 5;
    assert_int_equal(read_limited(p, len, path, &ro, &n, &e), EVREC_DONE);
    assert_int_equal(n, 100);
    ro.max_string_size = 4;
    assert_int_equal(read_limited(p, len, path, &ro, &n, &e), EVREC_E_LIMIT);
    assert_int_equal(n, 57);
    assert_string_equal(e.message,
                        "field 14 (fString): string of 5 bytes exceeds the limit of 4 bytes "
                        "(max_string_size)");
    assert_int_equal(e.record, 57);
    assert_int_equal(e.offset, v[blk].off);
    ro.max_string_size = 0;
    ro.max_record_size = 8; /* fInt32 57 + "abcd": 2 + 6 bytes; "abcde": 9 */
    assert_int_equal(read_limited(p, len, path, &ro, &n, &e), EVREC_E_LIMIT);
    assert_int_equal(n, 57);
    assert_string_equal(e.message,
                        "record of 9 bytes exceeds the limit of 8 bytes (max_record_size)");
  }
  free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_layout_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gzip_compat, setup, teardown),
      cmocka_unit_test_setup_teardown(test_identical_for_all_threads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_levels_differ, setup, teardown),
      cmocka_unit_test_setup_teardown(test_meta_invalid, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oversized_and_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_ahead_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_header_api, setup, teardown),
      cmocka_unit_test_setup_teardown(test_type_mismatch, setup, teardown),
      cmocka_unit_test_setup_teardown(test_empty_container, setup, teardown),
      cmocka_unit_test_setup_teardown(test_random_access, setup, teardown),
      cmocka_unit_test_setup_teardown(test_get_many, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concatenated, setup, teardown),
      cmocka_unit_test_setup_teardown(test_append, setup, teardown),
      cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
      cmocka_unit_test_setup_teardown(test_damage, setup, teardown),
      cmocka_unit_test_setup_teardown(test_blob_checksums, setup, teardown),
      cmocka_unit_test_setup_teardown(test_block_limits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_zip_bomb, setup, teardown),
      cmocka_unit_test_setup_teardown(test_index_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_evr_record_limits, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
