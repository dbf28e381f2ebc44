/*
 * test_types.c -- embedding ergonomics: the type registry (evrec_types)
 * shared by decoding, encoding, readers and writers; the options_init
 * functions beside the _INIT macros, and older options versions; the
 * arena's small first block and its reset policy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alltypes.pb-c.h"
#include "evrec.h"

#define NESTED_DESC (&evrec__test__nested__descriptor)
#define ALLTYPES_DESC (&evrec__test__all_types__descriptor)

/* An AllTypes whose w_any carries an evrec.test.Nested, as JSON. */
static const char any_json[] =
    "{\"wAny\":{\"@type\":\"type.googleapis.com/evrec.test.Nested\",\"a\":7,\"b\":\"x\"}}";

/* ====================================================================== */
/* Building and looking up                                                */
/* ====================================================================== */

static void test_types_build(void **state) {
  (void)state;
  evrec_types *t = NULL;
  evrec_error err;
  const ProtobufCMessageDescriptor *one[] = {ALLTYPES_DESC};
  assert_int_equal(evrec_types_new(&t, one, 1, &err), EVREC_OK);
  /* AllTypes brings what its fields are made of: Nested, the map entries,
   * the well-known types it uses */
  assert_true(evrec_types_count(t) > 10);
  assert_ptr_equal(evrec_types_find(t, "evrec.test.AllTypes"), ALLTYPES_DESC);
  assert_ptr_equal(evrec_types_find(t, "evrec.test.Nested"), NESTED_DESC);
  assert_ptr_equal(evrec_types_find(t, "type.googleapis.com/evrec.test.Nested"), NESTED_DESC);
  assert_ptr_equal(evrec_types_find(t, "x/y/evrec.test.Nested"), NESTED_DESC);
  assert_null(evrec_types_find(t, "evrec.test.Nested2"));
  assert_null(evrec_types_find(t, "evrec.test.Neste"));
  assert_null(evrec_types_find(t, NULL));
  /* built-in types are found with or without a registry */
  assert_ptr_equal(evrec_types_find(t, "evrec.v1.Record"), evrec_record_descriptor());
  assert_ptr_equal(evrec_types_find(NULL, "evrec.v1.Record"), evrec_record_descriptor());
  assert_non_null(evrec_types_find(NULL, "google.protobuf.Timestamp"));
  assert_null(evrec_types_find(NULL, "evrec.test.Nested"));
  assert_int_equal(evrec_types_count(NULL), 0);
  evrec_types_free(t);
  evrec_types_free(NULL);

  /* the same type twice, and an empty registry, are fine */
  const ProtobufCMessageDescriptor *twice[] = {NESTED_DESC, NESTED_DESC};
  assert_int_equal(evrec_types_new(&t, twice, 2, &err), EVREC_OK);
  assert_int_equal(evrec_types_count(t), 1);
  evrec_types_free(t);
  assert_int_equal(evrec_types_new(&t, NULL, 0, &err), EVREC_OK);
  assert_int_equal(evrec_types_count(t), 0);
  evrec_types_free(t);
}

static void test_types_errors(void **state) {
  (void)state;
  evrec_types *t = (evrec_types *)&t;
  evrec_error err;
  assert_int_equal(evrec_types_new(NULL, NULL, 0, &err), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_types_new(&t, NULL, 1, &err), EVREC_E_INVALID_ARG);
  assert_null(t);
  const ProtobufCMessageDescriptor *null_one[] = {NESTED_DESC, NULL};
  assert_int_equal(evrec_types_new(&t, null_one, 2, &err), EVREC_E_INVALID_ARG);
  assert_string_equal(err.message, "type 1 is not a message descriptor");
  assert_null(t);
  /* two copies of one type's generated code: which one an Any means would
   * depend on the order, so the registry refuses */
  ProtobufCMessageDescriptor copy = *NESTED_DESC;
  const ProtobufCMessageDescriptor *copies[] = {NESTED_DESC, &copy};
  assert_int_equal(evrec_types_new(&t, copies, 2, &err), EVREC_E_INVALID_ARG);
  assert_string_equal(err.message, "two different descriptors of type evrec.test.Nested "
                                   "(two copies of its generated code?)");
  assert_null(t);
  /* a descriptor that is not a message's */
  ProtobufCMessageDescriptor bad = *NESTED_DESC;
  bad.magic = 0;
  const ProtobufCMessageDescriptor *bads[] = {&bad};
  assert_int_equal(evrec_types_new(&t, bads, 1, &err), EVREC_E_INVALID_ARG);
}

/* ====================================================================== */
/* One registry, every direction                                          */
/* ====================================================================== */

static void test_types_codec(void **state) {
  (void)state;
  evrec_types *t;
  evrec_error err;
  const ProtobufCMessageDescriptor *one[] = {NESTED_DESC};
  assert_int_equal(evrec_types_new(&t, one, 1, &err), EVREC_OK);
  evrec_arena *a = evrec_arena_new(0);
  assert_non_null(a);
  ProtobufCMessage *m;

  /* without it, the Any's type is unknown both ways */
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, any_json, strlen(any_json), a, NULL, &err),
                   EVREC_E_UNSUPPORTED);

  evrec_json_decode_options d = EVREC_JSON_DECODE_OPTIONS_INIT;
  evrec_json_encode_options e = EVREC_JSON_ENCODE_OPTIONS_INIT;
  d.types = e.types = t;
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, any_json, strlen(any_json), a, &d, &err),
                   EVREC_OK);
  char *out = NULL;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, m, NULL, &err), EVREC_E_UNSUPPORTED);
  assert_null(out);
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, m, &e, &err), EVREC_OK);
  assert_string_equal(out, any_json);
  free(out);

  /* the old per-call lists still work, also beside a registry */
  static const ProtobufCMessageDescriptor *const legacy[] = {NESTED_DESC};
  evrec_json_decode_options d2 = EVREC_JSON_DECODE_OPTIONS_INIT;
  evrec_json_encode_options e2 = EVREC_JSON_ENCODE_OPTIONS_INIT;
  d2.any_types = e2.any_types = legacy;
  d2.n_any_types = e2.n_any_types = 1;
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, any_json, strlen(any_json), a, &d2, &err),
                   EVREC_OK);
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, m, &e2, &err), EVREC_OK);
  assert_string_equal(out, any_json);
  free(out);
  evrec_arena_free(a);
  evrec_types_free(t);
}

static char tmpdir[64];

static const char *tmp_path(const char *name) {
  static char p[128];
  snprintf(p, sizeof p, "%s/%s", tmpdir, name);
  return p;
}

/* A writer and a reader of AllTypes records share the registry: JSON ->
 * ndjson file -> reader, and a record written as JSON by the writer. */
static void test_types_reader_writer(void **state) {
  (void)state;
  evrec_types *t;
  evrec_error err;
  const ProtobufCMessageDescriptor *one[] = {NESTED_DESC};
  assert_int_equal(evrec_types_new(&t, one, 1, &err), EVREC_OK);
  FILE *f = fopen(tmp_path("in.ndjson"), "w");
  assert_non_null(f);
  fprintf(f, "%s\n%s\n", any_json, any_json);
  assert_int_equal(fclose(f), 0);

  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  ro.type = ALLTYPES_DESC;
  evrec_reader *r;
  evrec_writer *w;
  const ProtobufCMessage *msg;
  /* reading without the registry fails on the first record */
  assert_int_equal(evrec_reader_open_file(&r, tmp_path("in.ndjson"), &ro, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &msg, &err), EVREC_E_UNSUPPORTED);
  evrec_reader_close(r);

  ro.types = wo.types = t;
  assert_int_equal(evrec_reader_open_file(&r, tmp_path("in.ndjson"), &ro, &err), EVREC_OK);
  assert_int_equal(evrec_writer_open_file(&w, tmp_path("out.ndjson"), &wo, &err), EVREC_OK);
  int rc;
  while ((rc = evrec_reader_next(r, &msg, &err)) == EVREC_OK)
    assert_int_equal(evrec_writer_write(w, msg, &err), EVREC_OK);
  assert_int_equal(rc, EVREC_DONE);
  assert_int_equal(evrec_writer_close(w, &err), EVREC_OK);
  evrec_reader_close(r);
  char buf[512];
  f = fopen(tmp_path("out.ndjson"), "r");
  assert_non_null(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char want[512];
  snprintf(want, sizeof want, "%s\n%s\n", any_json, any_json);
  assert_string_equal(buf, want);

  /* a writer without it cannot print the Any */
  wo.types = NULL;
  ro.types = t;
  assert_int_equal(evrec_reader_open_file(&r, tmp_path("in.ndjson"), &ro, &err), EVREC_OK);
  assert_int_equal(evrec_writer_open_file(&w, tmp_path("out2.ndjson"), &wo, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &msg, &err), EVREC_OK);
  assert_int_equal(evrec_writer_write(w, msg, &err), EVREC_E_UNSUPPORTED);
  evrec_writer_abort(w);
  evrec_reader_close(r);
  evrec_types_free(t);
}

/* ====================================================================== */
/* Options: _init functions, older versions                               */
/* ====================================================================== */

static void test_options_init(void **state) {
  (void)state;
  evrec_json_decode_options d, dm = EVREC_JSON_DECODE_OPTIONS_INIT;
  evrec_json_encode_options e, em = EVREC_JSON_ENCODE_OPTIONS_INIT;
  evrec_reader_options r, rm = EVREC_READER_OPTIONS_INIT;
  evrec_writer_options w, wm = EVREC_WRITER_OPTIONS_INIT;
  evrec_validate_options v, vm = EVREC_VALIDATE_OPTIONS_INIT;
  /* the current version: the same as the macro, field by field */
  memset(&d, 0x55, sizeof d);
  memset(&e, 0x55, sizeof e);
  memset(&r, 0x55, sizeof r);
  memset(&w, 0x55, sizeof w);
  memset(&v, 0x55, sizeof v);
  assert_int_equal(evrec_json_decode_options_init(&d, EVREC_JSON_DECODE_OPTIONS_VERSION), EVREC_OK);
  assert_int_equal(evrec_json_encode_options_init(&e, EVREC_JSON_ENCODE_OPTIONS_VERSION), EVREC_OK);
  assert_int_equal(evrec_reader_options_init(&r, EVREC_READER_OPTIONS_VERSION), EVREC_OK);
  assert_int_equal(evrec_writer_options_init(&w, EVREC_WRITER_OPTIONS_VERSION), EVREC_OK);
  assert_int_equal(evrec_validate_options_init(&v, EVREC_VALIDATE_OPTIONS_VERSION), EVREC_OK);
  assert_true(d.version == dm.version && d.flags == dm.flags && d.max_depth == dm.max_depth &&
              d.any_types == NULL && d.n_any_types == 0 && d.max_string_size == 0 &&
              d.types == NULL);
  assert_true(e.version == em.version && e.flags == 0 && e.any_types == NULL &&
              e.n_any_types == 0 && e.types == NULL);
  assert_true(r.version == rm.version && r.format == rm.format && r.type == NULL &&
              r.max_record_size == 0 && r.name == NULL && r.flags == 0 &&
              r.max_index_size == 0 && r.types == NULL);
  assert_true(w.version == wm.version && w.level == -1 && w.threads == 0 && w.meta == NULL &&
              w.created_at == NULL && w.types == NULL);
  assert_true(v.version == vm.version && v.rules == NULL && v.n_rules == 0 &&
              v.skip_rules == NULL && v.n_skip_rules == 0);

  /* an older version fills only the bytes that version has */
  union {
    evrec_reader_options r;
    evrec_writer_options w;
    unsigned char b[sizeof(evrec_reader_options) + sizeof(evrec_writer_options)];
  } raw;
  memset(raw.b, 0xAA, sizeof raw.b);
  assert_int_equal(evrec_reader_options_init(&raw.r, 1), EVREC_OK);
  assert_int_equal(raw.r.version, 1);
  assert_int_equal(raw.b[offsetof(evrec_reader_options, max_string_size)], 0xAA);
  assert_int_equal(raw.b[offsetof(evrec_reader_options, flags)], 0);
  memset(raw.b, 0xAA, sizeof raw.b);
  assert_int_equal(evrec_writer_options_init(&raw.w, 1), EVREC_OK);
  assert_int_equal(raw.b[offsetof(evrec_writer_options, types)], 0xAA);
  assert_int_equal(raw.b[offsetof(evrec_writer_options, level)], 0xFF); /* -1 */

  /* unknown versions and NULL */
  assert_int_equal(evrec_json_decode_options_init(&d, 0), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_json_decode_options_init(&d, EVREC_JSON_DECODE_OPTIONS_VERSION + 1),
                   EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_json_encode_options_init(NULL, 1), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_reader_options_init(&r, 99), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_writer_options_init(&w, 3), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_validate_options_init(&v, 2), EVREC_E_INVALID_ARG);
}

/* Structs of every older version still work, declared as those versions
 * declared them (so at their old sizes): a version-2 decode and a version-1
 * encode options struct, a version-1 writer and a version-2 reader options
 * struct. */
struct decode_v2 {
  unsigned int version, flags, max_depth;
  const ProtobufCMessageDescriptor *const *any_types;
  size_t n_any_types, max_string_size;
};
struct encode_v1 {
  unsigned int version, flags;
  const ProtobufCMessageDescriptor *const *any_types;
  size_t n_any_types;
};
struct writer_v1 {
  unsigned int version;
  evrec_format format;
  unsigned int json_flags, flags;
  const char *name;
  int level;
  unsigned int threads;
  size_t block_size;
  const char *const *meta;
  size_t n_meta, max_record_size;
  const char *created_at;
};
struct reader_v2 {
  unsigned int version;
  evrec_format format;
  const ProtobufCMessageDescriptor *type;
  unsigned int json_flags, max_depth;
  size_t max_record_size;
  const char *name;
  unsigned int flags;
  size_t max_string_size, max_block_size, max_block_records, max_index_size;
};

static void test_options_older_versions(void **state) {
  (void)state;
  assert_int_equal(sizeof(struct decode_v2), offsetof(evrec_json_decode_options, types));
  assert_int_equal(sizeof(struct encode_v1), offsetof(evrec_json_encode_options, types));
  assert_int_equal(sizeof(struct writer_v1), offsetof(evrec_writer_options, types));
  assert_int_equal(sizeof(struct reader_v2), offsetof(evrec_reader_options, types));
  evrec_error err;
  evrec_arena *a = evrec_arena_new(0);
  ProtobufCMessage *m;
  static const ProtobufCMessageDescriptor *const legacy[] = {NESTED_DESC};
  struct decode_v2 d;
  assert_int_equal(evrec_json_decode_options_init((evrec_json_decode_options *)(void *)&d, 2),
                   EVREC_OK);
  d.any_types = legacy;
  d.n_any_types = 1;
  assert_int_equal(evrec_json_decode(&m, ALLTYPES_DESC, any_json, strlen(any_json), a,
                                     (const evrec_json_decode_options *)(void *)&d, &err),
                   EVREC_OK);
  struct encode_v1 e;
  assert_int_equal(evrec_json_encode_options_init((evrec_json_encode_options *)(void *)&e, 1),
                   EVREC_OK);
  e.any_types = legacy;
  e.n_any_types = 1;
  char *out;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, m,
                                           (const evrec_json_encode_options *)(void *)&e, &err),
                   EVREC_OK);
  assert_string_equal(out, any_json);
  free(out);

  struct writer_v1 wo;
  assert_int_equal(evrec_writer_options_init((evrec_writer_options *)(void *)&wo, 1), EVREC_OK);
  wo.format = EVREC_FORMAT_PBD;
  evrec_writer *w;
  assert_int_equal(evrec_writer_open_file(&w, tmp_path("old.pbd"),
                                          (const evrec_writer_options *)(void *)&wo, &err),
                   EVREC_OK);
  assert_int_equal(evrec_writer_write(w, m, &err), EVREC_OK);
  assert_int_equal(evrec_writer_close(w, &err), EVREC_OK);
  struct reader_v2 ro;
  assert_int_equal(evrec_reader_options_init((evrec_reader_options *)(void *)&ro, 2), EVREC_OK);
  ro.type = ALLTYPES_DESC;
  evrec_reader *r;
  const ProtobufCMessage *msg;
  assert_int_equal(evrec_reader_open_file(&r, tmp_path("old.pbd"),
                                          (const evrec_reader_options *)(void *)&ro, &err),
                   EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &msg, &err), EVREC_OK);
  assert_int_equal(evrec_reader_next(r, &msg, &err), EVREC_DONE);
  evrec_reader_close(r);
  evrec_arena_free(a);
}

/* ====================================================================== */
/* Arenas                                                                 */
/* ====================================================================== */

static void test_arena_small_first_block(void **state) {
  (void)state;
  evrec_arena *a = evrec_arena_new(0);
  assert_non_null(a);
  size_t fresh = evrec_arena_size(a);
  assert_true(fresh >= EVREC_ARENA_DEFAULT_BLOCK && fresh <= EVREC_ARENA_DEFAULT_BLOCK + 64);
  /* one small message fits the first block */
  ProtobufCMessage *m;
  evrec_error err;
  const char *j = "{\"id\":\"r1\",\"article\":{\"headline\":\"A small record\"}}";
  assert_int_equal(evrec_json_decode(&m, evrec_record_descriptor(), j, strlen(j), a, NULL, &err),
                   EVREC_OK);
  assert_int_equal(evrec_arena_size(a), fresh);
  /* growing: blocks double; reset keeps the newest (largest) block, so a
   * reused arena stops allocating */
  ProtobufCAllocator *pa = evrec_arena_allocator(a);
  for (int i = 0; i < 100; i++) assert_non_null(pa->alloc(pa->allocator_data, 1000));
  size_t grown = evrec_arena_size(a);
  assert_true(grown > 100000);
  evrec_arena_reset(a);
  size_t kept = evrec_arena_size(a);
  assert_true(kept > fresh && kept < grown);
  for (int i = 0; i < 50; i++) assert_non_null(pa->alloc(pa->allocator_data, 1000));
  assert_int_equal(evrec_arena_size(a), kept); /* fits: no new block */
  /* a block larger than EVREC_ARENA_KEEP_MAX is not kept */
  assert_non_null(pa->alloc(pa->allocator_data, 3u * EVREC_ARENA_KEEP_MAX));
  evrec_arena_reset(a);
  assert_int_equal(evrec_arena_size(a), kept);
  evrec_arena_free(a);
  /* an explicit first block is a hint, kept however large */
  a = evrec_arena_new(2u * EVREC_ARENA_KEEP_MAX);
  assert_non_null(a);
  fresh = evrec_arena_size(a);
  assert_non_null(pa = evrec_arena_allocator(a));
  assert_non_null(pa->alloc(pa->allocator_data, 4u * EVREC_ARENA_KEEP_MAX));
  evrec_arena_reset(a);
  assert_int_equal(evrec_arena_size(a), fresh);
  evrec_arena_free(a);
}

static int setup(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/evrec-types.XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_types_build),
      cmocka_unit_test(test_types_errors),
      cmocka_unit_test(test_types_codec),
      cmocka_unit_test(test_types_reader_writer),
      cmocka_unit_test(test_options_init),
      cmocka_unit_test(test_options_older_versions),
      cmocka_unit_test(test_arena_small_first_block),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
