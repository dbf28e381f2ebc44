/*
 * test_diff.c -- evrec_record_diff(), evrec_diff(), the delta form and
 * evrec_record_patch().
 *
 * Record-level cases are evrec.v1 records written as JSON (the fields that
 * matter only); each difference is rendered as one line
 *   "OP PATH OLD -> NEW"   (OP: + - ~; "_" for an absent value)
 * and the lines are compared with the expected text, so a test reads like
 * the diff it expects. The property tests run thousands of random pairs
 * (randmsg + mutate, evrec.v1 and the all-types schema): the delta of
 * diff(A, B), written and parsed back, applied to A must give B -- checked
 * by diff itself and, independently, by comparing canonical JSON with
 * entity lists sorted by id.
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
#include "diff.h"
#include "evrec/v1/evrec.pb-c.h"
#include "internal.h"
#include "util/mutate.h"
#include "util/randmsg.h"

#define REC (&evrec__v1__record__descriptor)
#define AT (&evrec__test__all_types__descriptor)

static evrec_arena *arena;

static int setup(void **state) {
  (void)state;
  arena = evrec_arena_new(0);
  return arena ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  evrec_arena_free(arena);
  return 0;
}

static ProtobufCMessage *decode(const ProtobufCMessageDescriptor *d, const char *json) {
  ProtobufCMessage *m = NULL;
  evrec_error err;
  if (evrec_json_decode(&m, d, json, strlen(json), arena, NULL, &err))
    fail_msg("decode %s: %s at %s", json, err.message, err.path);
  return m;
}

/* ---------------------------------------------------------------- rendering */

typedef struct out {
  char text[16384];
  size_t len;
  int stop_after; /* > 0: return 1 from the callback after this many */
  int n;
} out;

static int render_cb(const evrec_difference *d, void *payload) {
  out *o = payload;
  static const char ops[] = " +-~";
  o->len += (size_t)snprintf(o->text + o->len, sizeof o->text - o->len, "%c %s %s -> %s\n",
                             ops[d->op], d->path, d->old_value ? d->old_value : "_",
                             d->new_value ? d->new_value : "_");
  assert_true(o->len < sizeof o->text);
  assert_true(!d->old_value || strlen(d->old_value) == d->old_len);
  assert_true(!d->new_value || strlen(d->new_value) == d->new_len);
  assert_true((d->op == EVREC_DIFF_ADD) == !d->old_value);
  assert_true((d->op == EVREC_DIFF_REMOVE) == !d->new_value);
  return ++o->n == o->stop_after;
}

static void expect_diff_opts(const char *a, const char *b, const evrec_diff_options *o,
                             const char *want) {
  out got;
  memset(&got, 0, sizeof got);
  evrec_error err;
  int rc = evrec_record_diff(decode(REC, a), decode(REC, b), o, render_cb, &got, &err);
  if (rc) fail_msg("record_diff: %d %s", rc, err.message);
  if (strcmp(got.text, want) != 0) fail_msg("diff of\n  %s\n  %s\ngot:\n%swant:\n%s", a, b, got.text, want);
}

static void expect_diff(const char *a, const char *b, const char *want) {
  expect_diff_opts(a, b, NULL, want);
}

/* ---------------------------------------------------------------- fields */

static void test_scalars_and_messages(void **state) {
  (void)state;
  expect_diff("{\"id\":\"r\",\"revision\":1}", "{\"id\":\"r\",\"revision\":1}", "");
  expect_diff("{\"id\":\"r\",\"revision\":1}", "{\"id\":\"r\",\"revision\":2}",
              "~ revision 1 -> 2\n");
  expect_diff("{\"id\":\"r\"}", "{\"id\":\"r\",\"revision\":2,\"status\":\"RECORD_STATUS_WITHDRAWN\"}",
              "+ revision _ -> 2\n+ status _ -> \"RECORD_STATUS_WITHDRAWN\"\n");
  expect_diff("{\"id\":\"r\",\"article\":{\"headline\":\"a\",\"urgency\":3}}",
              "{\"id\":\"r\",\"article\":{\"headline\":\"b\"}}",
              "~ article.headline \"a\" -> \"b\"\n- article.urgency 3 -> _\n");
  expect_diff("{\"id\":\"r\"}", "{\"id\":\"r\",\"provenance\":{\"notes\":\"n\"}}",
              "+ provenance _ -> {\"notes\":\"n\"}\n");
  /* well-known types are one value */
  expect_diff("{\"id\":\"r\",\"updatedAt\":\"2025-01-01T00:00:00Z\"}",
              "{\"id\":\"r\",\"updatedAt\":\"2025-01-01T00:00:01.500Z\"}",
              "~ updatedAt \"2025-01-01T00:00:00Z\" -> \"2025-01-01T00:00:01.500Z\"\n");
  expect_diff("{\"id\":\"r\",\"events\":[{\"id\":\"e\",\"goldstein\":2.5}]}",
              "{\"id\":\"r\",\"events\":[{\"id\":\"e\",\"goldstein\":0}]}",
              "~ events[id=e].goldstein 2.5 -> 0\n");
}

static void test_entities(void **state) {
  (void)state;
  const char *a = "{\"id\":\"r\",\"actors\":[{\"id\":\"a1\",\"name\":\"A\"},{\"id\":\"a2\",\"name\":\"B\"},"
                  "{\"id\":\"a3\",\"name\":\"C\"}]}";
  /* reordering is no difference */
  expect_diff(a, "{\"id\":\"r\",\"actors\":[{\"id\":\"a3\",\"name\":\"C\"},{\"id\":\"a1\",\"name\":\"A\"},"
                 "{\"id\":\"a2\",\"name\":\"B\"}]}", "");
  /* removed, changed, added: A's order, then B's additions */
  expect_diff(a, "{\"id\":\"r\",\"actors\":[{\"id\":\"a4\",\"name\":\"D\"},{\"id\":\"a3\",\"name\":\"X\"},"
                 "{\"id\":\"a1\",\"name\":\"A\"}]}",
              "- actors[id=a2] {\"id\":\"a2\",\"name\":\"B\"} -> _\n"
              "~ actors[id=a3].name \"C\" -> \"X\"\n"
              "+ actors[id=a4] _ -> {\"id\":\"a4\",\"name\":\"D\"}\n");
  /* ids that are not plain are quoted */
  expect_diff("{\"id\":\"r\",\"places\":[{\"id\":\"p 1\",\"name\":\"x\"}]}",
              "{\"id\":\"r\",\"places\":[{\"id\":\"p 1\",\"name\":\"y\"}]}",
              "~ places[id=\"p 1\"].name \"x\" -> \"y\"\n");
  /* a repeated id: the list is compared by position */
  expect_diff("{\"id\":\"r\",\"claims\":[{\"id\":\"c\",\"text\":\"x\"},{\"id\":\"c\",\"text\":\"y\"}]}",
              "{\"id\":\"r\",\"claims\":[{\"id\":\"c\",\"text\":\"y\"},{\"id\":\"c\",\"text\":\"y\"}]}",
              "~ claims[0].text \"x\" -> \"y\"\n");
  /* nested lists inside an entity are ordered */
  expect_diff("{\"id\":\"r\",\"events\":[{\"id\":\"e2\",\"participants\":[{\"actorId\":\"a1\","
              "\"role\":\"PARTICIPANT_ROLE_ACTOR\"}]}]}",
              "{\"id\":\"r\",\"events\":[{\"id\":\"e2\",\"participants\":[{\"actorId\":\"a1\","
              "\"role\":\"PARTICIPANT_ROLE_RECIPIENT\"}]}]}",
              "~ events[id=e2].participants[0].role \"PARTICIPANT_ROLE_ACTOR\" -> "
              "\"PARTICIPANT_ROLE_RECIPIENT\"\n");
}

/* The entity members of the differences. */
typedef struct ents {
  char line[8][96];
  int n;
} ents;

static int entity_cb(const evrec_difference *d, void *payload) {
  ents *e = payload;
  snprintf(e->line[e->n++], sizeof e->line[0], "%s %s %d %s", d->entity ? d->entity : "-",
           d->entity_id ? d->entity_id : "-", d->entity_whole, d->field);
  return e->n == 8;
}

static void test_entity_members(void **state) {
  (void)state;
  ents e = {{{0}}, 0};
  assert_int_equal(evrec_record_diff(
      decode(REC, "{\"id\":\"r\",\"revision\":1,\"events\":[{\"id\":\"e1\",\"confidence\":0.5},{\"id\":\"e2\"}]}"),
      decode(REC, "{\"id\":\"r\",\"events\":[{\"id\":\"e1\",\"confidence\":0.25,\"participants\":[{\"actorId\":\"a\"}]},{\"id\":\"e3\"}]}"),
      NULL, entity_cb, &e, NULL), EVREC_OK);
  assert_int_equal(e.n, 5);
  assert_string_equal(e.line[0], "- - 0 revision");
  assert_string_equal(e.line[1], "events e1 0 events.participants");
  assert_string_equal(e.line[2], "events e1 0 events.confidence");
  assert_string_equal(e.line[3], "events e2 1 events");
  assert_string_equal(e.line[4], "events e3 1 events");
}

static void test_lists(void **state) {
  (void)state;
  const char *a = "{\"id\":\"r\",\"article\":{\"keywords\":[\"a\",\"b\",\"c\"]}}";
  expect_diff(a, "{\"id\":\"r\",\"article\":{\"keywords\":[\"x\",\"a\",\"c\",\"d\"]}}",
              "+ article.keywords[0] _ -> \"x\"\n"
              "- article.keywords[1] \"b\" -> _\n"
              "+ article.keywords[3] _ -> \"d\"\n");
  expect_diff(a, "{\"id\":\"r\",\"article\":{\"keywords\":[\"a\",\"z\",\"c\"]}}",
              "~ article.keywords[1] \"b\" -> \"z\"\n");
  /* order matters in a plain list */
  expect_diff(a, "{\"id\":\"r\",\"article\":{\"keywords\":[\"c\",\"b\",\"a\"]}}",
              "- article.keywords[0] \"a\" -> _\n- article.keywords[1] \"b\" -> _\n"
              "+ article.keywords[1] _ -> \"b\"\n+ article.keywords[2] _ -> \"a\"\n");
  /* an absent list is one value */
  expect_diff("{\"id\":\"r\",\"article\":{}}", a,
              "+ article.keywords _ -> [\"a\",\"b\",\"c\"]\n");
  expect_diff(a, "{\"id\":\"r\",\"article\":{}}",
              "- article.keywords [\"a\",\"b\",\"c\"] -> _\n");
  /* --ignore-order: a multiset */
  evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
  o.flags = EVREC_DIFF_IGNORE_ORDER;
  expect_diff_opts(a, "{\"id\":\"r\",\"article\":{\"keywords\":[\"c\",\"b\",\"a\"]}}", &o, "");
  expect_diff_opts(a, "{\"id\":\"r\",\"article\":{\"keywords\":[\"c\",\"z\",\"a\",\"a\"]}}", &o,
                   "- article.keywords[1] \"b\" -> _\n+ article.keywords[1] _ -> \"z\"\n"
                   "+ article.keywords[3] _ -> \"a\"\n");
  /* entities without ids (a multiset then) against none (found by fuzz_diff) */
  expect_diff_opts("{\"id\":\"r\",\"actors\":[{}]}", "{\"id\":\"r\"}", &o, "- actors[0] {} -> _\n");
  expect_diff_opts("{\"id\":\"r\"}", "{\"id\":\"r\",\"actors\":[{}]}", &o, "+ actors[0] _ -> {}\n");
}

static void test_maps(void **state) {
  (void)state;
  expect_diff("{\"id\":\"r\",\"extensions\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}",
              "{\"id\":\"r\",\"extensions\":{\"c\":\"3\",\"b\":\"two\",\"d\":\"4\"}}",
              "- extensions[\"a\"] \"1\" -> _\n~ extensions[\"b\"] \"2\" -> \"two\"\n"
              "+ extensions[\"d\"] _ -> \"4\"\n");
  expect_diff("{\"id\":\"r\"}", "{\"id\":\"r\",\"extensions\":{\"x\\\"y\":\"1\"}}",
              "+ extensions[\"x\\\"y\"] _ -> \"1\"\n");
}

static void test_tolerance_and_ignore(void **state) {
  (void)state;
  const char *a = "{\"id\":\"r\",\"provenance\":{\"codedAt\":\"2025-01-01T00:00:00Z\",\"notes\":\"n\"},"
                  "\"events\":[{\"id\":\"e1\",\"confidence\":0.5,\"goldstein\":1.0},"
                  "{\"id\":\"e2\",\"confidence\":0.25}]}";
  const char *b = "{\"id\":\"r\",\"provenance\":{\"codedAt\":\"2026-01-01T00:00:00Z\",\"notes\":\"m\"},"
                  "\"events\":[{\"id\":\"e1\",\"confidence\":0.5001,\"goldstein\":1.0001},"
                  "{\"id\":\"e2\",\"confidence\":0.75}]}";
  evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
  o.float_tolerance = 0.001;
  expect_diff_opts(a, b, &o,
                   "~ events[id=e2].confidence 0.25 -> 0.75\n"
                   "~ provenance.codedAt \"2025-01-01T00:00:00Z\" -> \"2026-01-01T00:00:00Z\"\n"
                   "~ provenance.notes \"n\" -> \"m\"\n");
  const char *globs[] = {"provenance.codedAt", "events[id=e2]", "*.goldstein", "events.confidence"};
  o.ignore = globs;
  o.n_ignore = 4;
  o.float_tolerance = 0;
  expect_diff_opts(a, b, &o, "~ provenance.notes \"n\" -> \"m\"\n");
  const char *prefix[] = {"provenance", "event?"};
  o.ignore = prefix;
  o.n_ignore = 2;
  expect_diff_opts(a, b, &o, "");
  const char *escaped[] = {"events\\[id=e1\\]*"}; /* '\\' quotes */
  o.ignore = escaped;
  o.n_ignore = 1;
  expect_diff_opts("{\"id\":\"r\",\"events\":[{\"id\":\"e1\",\"confidence\":0.5}]}",
                   "{\"id\":\"r\",\"events\":[{\"id\":\"e1\",\"confidence\":0.6}]}", &o, "");
  /* a wrapper has presence: absent is not 0 */
  o.n_ignore = 0;
  o.float_tolerance = 1e-6;
  expect_diff_opts("{\"id\":\"r\",\"events\":[{\"id\":\"e\"}]}",
                   "{\"id\":\"r\",\"events\":[{\"id\":\"e\",\"confidence\":1e-9}]}", &o,
                   "+ events[id=e].confidence _ -> 1e-09\n");
  /* a plain double: absent is 0, within the tolerance of a tiny value */
  out got;
  memset(&got, 0, sizeof got);
  assert_int_equal(evrec_record_diff(decode(AT, "{\"fFloat\":0.25}"),
                                     decode(AT, "{\"fDouble\":1e-9,\"fFloat\":0.2500001}"), &o,
                                     render_cb, &got, NULL), EVREC_OK);
  assert_string_equal(got.text, "");
}

static void test_json_patch_paths(void **state) {
  (void)state;
  evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
  o.flags = EVREC_DIFF_JSON_PATCH;
  expect_diff_opts("{\"id\":\"r\",\"article\":{\"keywords\":[\"a\",\"b\",\"c\"]},"
                   "\"actors\":[{\"id\":\"a1\"},{\"id\":\"a2\",\"name\":\"x\"}],\"extensions\":{\"k/~\":\"1\"}}",
                   "{\"id\":\"r\",\"article\":{\"keywords\":[\"x\",\"a\",\"c\",\"d\"]},"
                   "\"actors\":[{\"id\":\"a3\"},{\"id\":\"a2\",\"name\":\"y\"}],\"extensions\":{\"k/~\":\"2\"}}",
                   &o,
                   "+ /article/keywords/0 _ -> \"x\"\n"
                   "- /article/keywords/2 \"b\" -> _\n"
                   "+ /article/keywords/3 _ -> \"d\"\n"
                   "- /actors/0 {\"id\":\"a1\"} -> _\n"
                   "~ /actors/0/name \"x\" -> \"y\"\n"
                   "+ /actors/- _ -> {\"id\":\"a3\"}\n"
                   "~ /extensions/k~1~0 \"1\" -> \"2\"\n");
  /* absent containers are added whole (RFC 6902 cannot add into nothing) */
  expect_diff_opts("{\"id\":\"r\"}", "{\"id\":\"r\",\"actors\":[{\"id\":\"a1\"}],\"extensions\":{\"k\":\"v\"}}",
                   &o, "+ /actors _ -> [{\"id\":\"a1\"}]\n+ /extensions _ -> {\"k\":\"v\"}\n");
}

static void test_oneof_and_wkt_alltypes(void **state) {
  (void)state;
  out got;
  memset(&got, 0, sizeof got);
  assert_int_equal(evrec_record_diff(decode(AT, "{\"oUint32\":5,\"wStruct\":{\"a\":[1,2]},\"mInt32Int32\":{\"1\":2}}"),
                                     decode(AT, "{\"oString\":\"s\",\"wStruct\":{\"a\":[1,3]},\"mInt32Int32\":{\"1\":3}}"),
                                     NULL, render_cb, &got, NULL),
                   EVREC_OK);
  assert_string_equal(got.text, "~ mInt32Int32[\"1\"] 2 -> 3\n- oUint32 5 -> _\n+ oString _ -> \"s\"\n"
                                "~ wStruct {\"a\":[1,2]} -> {\"a\":[1,3]}\n");
}

static void test_api_errors(void **state) {
  (void)state;
  out got;
  memset(&got, 0, sizeof got);
  got.stop_after = 1;
  evrec_error err;
  ProtobufCMessage *a = decode(REC, "{\"id\":\"r\",\"revision\":1,\"status\":\"RECORD_STATUS_ACTIVE\"}");
  ProtobufCMessage *b = decode(REC, "{\"id\":\"r\"}");
  assert_int_equal(evrec_record_diff(a, b, NULL, render_cb, &got, &err), EVREC_STOPPED);
  assert_int_equal(got.n, 1);
  assert_int_equal(evrec_record_diff(a, b, NULL, NULL, NULL, &err), EVREC_OK);
  assert_int_equal(evrec_record_diff(a, decode(AT, "{}"), NULL, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_record_diff(NULL, b, NULL, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
  o.float_tolerance = -1;
  assert_int_equal(evrec_record_diff(a, b, &o, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  o.float_tolerance = 0;
  o.flags = 0x80;
  assert_int_equal(evrec_record_diff(a, b, &o, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  o.flags = 0;
  o.version = 99;
  assert_int_equal(evrec_record_diff(a, b, &o, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  assert_string_equal(evrec_status_str(EVREC_E_CONFLICT), "conflict");
}

/* ---------------------------------------------------------------- streams */

static const char set_a[] =
    "{\"id\":\"r1\",\"actors\":[{\"id\":\"a1\",\"name\":\"Ann\"},{\"id\":\"a2\",\"name\":\"Bob\"}]}\n"
    "{\"id\":\"r2\",\"revision\":1}\n"
    "{\"id\":\"r3\"}\n"
    "{\"id\":\"r5\",\"revision\":5}\n";
static const char set_b[] = /* an array, another order, r1's actors reordered */
    "[{\"id\":\"r4\"},{\"id\":\"r5\",\"revision\":5},{\"id\":\"r2\",\"revision\":2},\n"
    " {\"id\":\"r1\",\"actors\":[{\"id\":\"a2\",\"name\":\"Bob\"},{\"id\":\"a1\",\"name\":\"Ann\"}]}]";
static const char set_want[] = "~ revision 1 -> 2\n"          /* r2 */
                               "- \"\" {\"id\":\"r3\"} -> _\n" /* r3 */
                               "+ \"\" _ -> {\"id\":\"r4\"}\n"; /* r4 */

static evrec_reader *mem_reader(const char *text, evrec_format f) {
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.format = f;
  evrec_reader *r;
  assert_int_equal(evrec_reader_open_memory(&r, text, strlen(text), &o, NULL), EVREC_OK);
  return r;
}

/* Renders record ops with their record numbers too. */
static int stream_cb(const evrec_difference *d, void *payload) {
  out *o = payload;
  static const char ops[] = " +-~";
  o->len += (size_t)snprintf(o->text + o->len, sizeof o->text - o->len, "%c %s %s -> %s\n",
                             ops[d->op], *d->path ? d->path : "\"\"",
                             d->old_value ? d->old_value : "_", d->new_value ? d->new_value : "_");
  return ++o->n == o->stop_after;
}

static void test_diff_streams(void **state) {
  (void)state;
  for (unsigned threads = 0; threads < 2; threads++) {
    evrec_reader *a = mem_reader(set_a, EVREC_FORMAT_AUTO), *b = mem_reader(set_b, EVREC_FORMAT_AUTO);
    evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
    o.threads = threads;
    evrec_diff_stats st;
    out got;
    memset(&got, 0, sizeof got);
    evrec_error err;
    int rc = evrec_diff(&st, a, b, &o, stream_cb, &got, &err);
    if (rc) fail_msg("diff: %d %s", rc, err.message);
    assert_string_equal(got.text, set_want);
    assert_int_equal(st.a_records, 4);
    assert_int_equal(st.b_records, 4);
    assert_int_equal(st.same, 2); /* r5 by hash, r1 after comparing */
    assert_int_equal(st.changed, 1);
    assert_int_equal(st.removed, 1);
    assert_int_equal(st.added, 1);
    assert_int_equal(st.differences, 3);
    assert_int_equal(st.decoded_again, 6); /* r1 and r2 twice each, r3, r4 */
    evrec_reader_close(a);
    evrec_reader_close(b);
  }
}

/* evrec__diff_step(): one record's differences per step, in evrec_diff()'s
 * order; the end and errors are sticky. */
static void test_diff_steps(void **state) {
  (void)state;
  static const char *const want[] = {"~ revision 1 -> 2\n", "- \"\" {\"id\":\"r3\"} -> _\n",
                                     "+ \"\" _ -> {\"id\":\"r4\"}\n"};
  for (unsigned threads = 0; threads < 2; threads++) {
    evrec_reader *a = mem_reader(set_a, EVREC_FORMAT_AUTO), *b = mem_reader(set_b, EVREC_FORMAT_AUTO);
    evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
    o.threads = threads;
    out got;
    evrec_error err;
    evrec__diff *d;
    assert_int_equal(evrec__diff_new(&d, a, b, &o, stream_cb, &got, &err), EVREC_OK);
    for (size_t i = 0; i < 3; i++) {
      memset(&got, 0, sizeof got);
      int rc = evrec__diff_step(d, &err);
      if (rc) fail_msg("step %zu: %d %s", i, rc, err.message);
      assert_string_equal(got.text, want[i]);
    }
    memset(&got, 0, sizeof got);
    assert_int_equal(evrec__diff_step(d, &err), EVREC_DONE);
    assert_int_equal(evrec__diff_step(d, &err), EVREC_DONE);
    assert_int_equal(got.n, 0);
    evrec_diff_stats st;
    evrec__diff_stats(d, &st);
    assert_int_equal(st.same, 2);
    assert_int_equal(st.differences, 3);
    evrec__diff_free(d);
    evrec_reader_close(a);
    evrec_reader_close(b);
  }
  /* an error is returned again, with its message, by every later step */
  evrec_reader *a = mem_reader(set_a, EVREC_FORMAT_AUTO);
  evrec_reader *b = mem_reader("{\"id\":\"r1\"}\n{\"id\":\"r1\"}\n", EVREC_FORMAT_AUTO);
  evrec__diff *d;
  evrec_error err;
  assert_int_equal(evrec__diff_new(&d, a, b, NULL, NULL, NULL, &err), EVREC_OK);
  for (int i = 0; i < 2; i++) {
    evrec_error_clear(&err);
    assert_int_equal(evrec__diff_step(d, &err), EVREC_E_CONFLICT);
    assert_string_equal(err.message, "duplicate record id \"r1\" (first as record 1 at byte 0)");
    assert_int_equal(err.record, 1);
  }
  evrec_diff_stats st;
  evrec__diff_stats(d, &st);
  assert_int_equal(st.error_side, 2);
  evrec__diff_free(d);
  /* bad options fail at once, nothing allocated */
  evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
  o.float_tolerance = -1;
  assert_int_equal(evrec__diff_new(&d, a, b, &o, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  assert_null(d);
  evrec_reader_close(a);
  evrec_reader_close(b);
}

static void test_diff_stream_errors(void **state) {
  (void)state;
  evrec_error err;
  evrec_diff_stats st;
  out got;
  memset(&got, 0, sizeof got);
  got.stop_after = 1;
  evrec_reader *a = mem_reader(set_a, EVREC_FORMAT_AUTO), *b = mem_reader(set_b, EVREC_FORMAT_AUTO);
  assert_int_equal(evrec_diff(&st, a, b, NULL, stream_cb, &got, &err), EVREC_STOPPED);
  assert_int_equal(got.n, 1);
  assert_int_equal(evrec_diff(&st, a, a, NULL, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  evrec_reader_close(a);
  evrec_reader_close(b);
  /* a duplicate id: both records named */
  a = mem_reader(set_a, EVREC_FORMAT_AUTO);
  b = mem_reader("{\"id\":\"x\"}\n{\"id\":\"r1\"}\n{\"id\":\"r1\",\"revision\":2}\n", EVREC_FORMAT_AUTO);
  assert_int_equal(evrec_diff(&st, a, b, NULL, NULL, NULL, &err), EVREC_E_CONFLICT);
  assert_int_equal(st.error_side, 2);
  assert_int_equal(err.record, 2);
  assert_int_equal(err.offset, 23);
  assert_string_equal(err.message, "duplicate record id \"r1\" (first as record 2 at byte 11)");
  evrec_reader_close(a);
  evrec_reader_close(b);
  /* an invalid record on A's side */
  a = mem_reader("{\"id\":\"r1\"}\n{\"id\":7}\n", EVREC_FORMAT_AUTO);
  b = mem_reader(set_b, EVREC_FORMAT_AUTO);
  assert_int_equal(evrec_diff(&st, a, b, NULL, NULL, NULL, &err), EVREC_E_SCHEMA);
  assert_int_equal(st.error_side, 1);
  assert_int_equal(err.record, 1);
  assert_int_equal(err.line, 2);
  evrec_reader_close(a);
  evrec_reader_close(b);
  /* records of a type without an "id" field */
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.type = AT;
  assert_int_equal(evrec_reader_open_memory(&a, "{}", 2, &o, NULL), EVREC_OK);
  assert_int_equal(evrec_reader_open_memory(&b, "{}", 2, &o, NULL), EVREC_OK);
  assert_int_equal(evrec_diff(&st, a, b, NULL, NULL, NULL, &err), EVREC_E_UNSUPPORTED);
  evrec_reader_close(a);
  evrec_reader_close(b);
}

/* B from a pipe (spilled to a temporary file), A as .evr on disk. */
static void test_diff_pipe_and_evr(void **state) {
  (void)state;
  char dir[] = "/tmp/evrec-diff-XXXXXX", path[64];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/a.evr", dir);
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  wo.threads = 1;
  wo.block_size = 64; /* a block per record: seeks inflate blocks */
  evrec_writer *w;
  evrec_reader *a = mem_reader(set_a, EVREC_FORMAT_AUTO), *b;
  const ProtobufCMessage *m;
  assert_int_equal(evrec_writer_open_file(&w, path, &wo, NULL), EVREC_OK);
  while (evrec_reader_next(a, &m, NULL) == EVREC_OK) assert_int_equal(evrec_writer_write(w, m, NULL), EVREC_OK);
  assert_int_equal(evrec_writer_close(w, NULL), EVREC_OK);
  evrec_reader_close(a);
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  assert_int_equal(write(fds[1], set_b, strlen(set_b)), (ssize_t)strlen(set_b));
  close(fds[1]);
  FILE *fp = fdopen(fds[0], "rb");
  assert_int_equal(evrec_reader_open_file(&a, path, NULL, NULL), EVREC_OK);
  assert_int_equal(evrec_reader_open_FILE(&b, fp, NULL, NULL), EVREC_OK);
  evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
  o.temp_dir = dir;
  out got;
  memset(&got, 0, sizeof got);
  evrec_error err;
  int rc = evrec_diff(NULL, a, b, &o, stream_cb, &got, &err);
  if (rc) fail_msg("diff: %d %s", rc, err.message);
  assert_string_equal(got.text, set_want);
  evrec_reader_close(a);
  evrec_reader_close(b);
  fclose(fp);
  unlink(path);
  assert_int_equal(rmdir(dir), 0); /* the spill file is gone too */
}

/* ---------------------------------------------------------------- delta lines, patch */

static void test_format_parse(void **state) {
  (void)state;
  evrec_difference d;
  memset(&d, 0, sizeof d);
  d.op = EVREC_DIFF_REPLACE;
  d.id = "r\"1";
  d.path = "extensions[\"k\"]";
  d.old_value = "\"a\"";
  d.old_len = 3;
  d.new_value = "{\"x\":[1,{\"y\":\"}\"}]}";
  d.new_len = strlen(d.new_value);
  char *line;
  size_t len;
  assert_int_equal(evrec_difference_format(&line, &len, &d, NULL), EVREC_OK);
  assert_string_equal(line, "{\"op\":\"replace\",\"id\":\"r\\\"1\",\"path\":\"extensions[\\\"k\\\"]\","
                            "\"old\":\"a\",\"new\":{\"x\":[1,{\"y\":\"}\"}]}}");
  evrec_difference p;
  assert_int_equal(evrec_difference_parse(&p, line, len, arena, NULL), EVREC_OK);
  assert_int_equal(p.op, EVREC_DIFF_REPLACE);
  assert_string_equal(p.id, d.id);
  assert_string_equal(p.path, d.path);
  assert_string_equal(p.old_value, d.old_value);
  assert_string_equal(p.new_value, d.new_value);
  free(line);
  const char *ok = " {\"path\":\"\",\"x\":[1,{}],\"new\": {\"id\":\"\\u00e9\\ud83d\\ude00\"} , \"id\":\"\\u00e9\",\"op\":\"add\"} ";
  assert_int_equal(evrec_difference_parse(&p, ok, strlen(ok), arena, NULL), EVREC_OK);
  assert_string_equal(p.id, "\xc3\xa9");
  assert_null(p.old_value);
  static const struct { const char *s; int code; } bad[] = {
      {"", EVREC_E_SYNTAX}, {"[]", EVREC_E_SYNTAX}, {"{\"op\":\"add\"", EVREC_E_SYNTAX},
      {"{\"op\":\"add\",\"id\":\"r\",\"path\":\"\"}", EVREC_E_SCHEMA},              /* no new */
      {"{\"op\":\"move\",\"id\":\"r\",\"path\":\"\",\"new\":1}", EVREC_E_SCHEMA},
      {"{\"op\":\"remove\",\"id\":\"r\",\"path\":\"x\"}", EVREC_E_SCHEMA},          /* no old */
      {"{\"op\":1,\"id\":\"r\",\"path\":\"\"}", EVREC_E_SYNTAX},
      {"{\"op\":\"add\",\"id\":\"r\",\"path\":\"\",\"new\":1} x", EVREC_E_SYNTAX},
      {"{\"op\":\"add\",\"id\":\"\\ud800\",\"path\":\"\",\"new\":1}", EVREC_E_SYNTAX},
      {"{\"op\":\"add\",\"id\":\"\xff\",\"path\":\"\",\"new\":1}", EVREC_E_UTF8},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = evrec_difference_parse(&p, bad[i].s, strlen(bad[i].s), arena, NULL);
    if (rc != bad[i].code) fail_msg("parse %s: %d, want %d", bad[i].s, rc, bad[i].code);
  }
}

/* Collects the differences as parsed delta lines. */
typedef struct delta {
  evrec_difference *ops;
  size_t n, cap;
} delta;

static int delta_cb(const evrec_difference *d, void *payload) {
  delta *dl = payload;
  char *line;
  size_t len;
  assert_int_equal(evrec_difference_format(&line, &len, d, NULL), EVREC_OK);
  if (dl->n == dl->cap) {
    dl->cap = dl->cap ? dl->cap * 2 : 16;
    dl->ops = realloc(dl->ops, dl->cap * sizeof *dl->ops);
    assert_non_null(dl->ops);
  }
  evrec_error err;
  if (evrec_difference_parse(&dl->ops[dl->n], line, len, arena, &err))
    fail_msg("parse %s: %s", line, err.message);
  dl->n++;
  free(line);
  return 0;
}

static int patch_json(const char *a, const char *op_line, evrec_error *err) {
  evrec_difference d;
  assert_int_equal(evrec_difference_parse(&d, op_line, strlen(op_line), arena, NULL), EVREC_OK);
  ProtobufCMessage *patched;
  return evrec_record_patch(&patched, decode(REC, a), &d, 1, arena, err);
}

static void test_patch_errors(void **state) {
  (void)state;
  const char *a = "{\"id\":\"r\",\"revision\":1,\"actors\":[{\"id\":\"a1\",\"name\":\"N\"}],"
                  "\"article\":{\"keywords\":[\"k\"]},\"extensions\":{\"e\":\"1\"}}";
  evrec_error err;
  assert_int_equal(patch_json(a, "{\"op\":\"replace\",\"id\":\"r\",\"path\":\"revision\",\"old\":2,\"new\":3}", &err),
                   EVREC_E_CONFLICT);
  assert_string_equal(err.message, "replace at revision: the record has 1, not 2");
  assert_string_equal(err.path, "revision");
  assert_int_equal(patch_json(a, "{\"op\":\"add\",\"id\":\"r\",\"path\":\"revision\",\"new\":3}", &err),
                   EVREC_E_CONFLICT);
  assert_int_equal(patch_json(a, "{\"op\":\"remove\",\"id\":\"r\",\"path\":\"actors[id=a9]\",\"old\":{}}", &err),
                   EVREC_E_NOT_FOUND);
  assert_int_equal(patch_json(a, "{\"op\":\"add\",\"id\":\"r\",\"path\":\"actors[id=a1]\",\"new\":{\"id\":\"a1\"}}", &err),
                   EVREC_E_CONFLICT);
  assert_int_equal(patch_json(a, "{\"op\":\"add\",\"id\":\"r\",\"path\":\"actors[id=a2]\",\"new\":{\"id\":\"a3\"}}", &err),
                   EVREC_E_SCHEMA);
  assert_int_equal(patch_json(a, "{\"op\":\"replace\",\"id\":\"r\",\"path\":\"actors[id=a1].name\",\"old\":\"M\",\"new\":\"O\"}", &err),
                   EVREC_E_CONFLICT);
  assert_string_equal(err.message, "replace at actors[id=a1].name: the record has \"N\", not \"M\"");
  assert_int_equal(patch_json(a, "{\"op\":\"replace\",\"id\":\"r\",\"path\":\"article.keywords[3]\",\"old\":\"k\",\"new\":\"l\"}", &err),
                   EVREC_E_NOT_FOUND);
  assert_int_equal(patch_json(a, "{\"op\":\"add\",\"id\":\"r\",\"path\":\"article.keywords[5]\",\"new\":\"l\"}", &err),
                   EVREC_E_NOT_FOUND);
  assert_int_equal(patch_json(a, "{\"op\":\"remove\",\"id\":\"r\",\"path\":\"extensions[\\\"x\\\"]\",\"old\":\"1\"}", &err),
                   EVREC_E_NOT_FOUND);
  assert_int_equal(patch_json(a, "{\"op\":\"replace\",\"id\":\"r\",\"path\":\"nope\",\"old\":1,\"new\":2}", &err),
                   EVREC_E_SCHEMA);
  assert_int_equal(patch_json(a, "{\"op\":\"replace\",\"id\":\"r\",\"path\":\"revision\",\"old\":1,\"new\":\"x\"}", &err),
                   EVREC_E_SCHEMA);
  assert_int_equal(patch_json(a, "{\"op\":\"replace\",\"id\":\"r\",\"path\":\"/revision\",\"old\":1,\"new\":2}", &err),
                   EVREC_E_SCHEMA);
  assert_int_equal(patch_json(a, "{\"op\":\"replace\",\"id\":\"r\",\"path\":\"provenance.notes\",\"old\":\"a\",\"new\":\"b\"}", &err),
                   EVREC_E_NOT_FOUND);
  assert_int_equal(patch_json(a, "{\"op\":\"replace\",\"id\":\"r\",\"path\":\"actors[\",\"old\":1,\"new\":2}", &err),
                   EVREC_E_SCHEMA);
  assert_int_equal(patch_json(a, "{\"op\":\"replace\",\"id\":\"r\",\"path\":\"\",\"old\":1,\"new\":2}", &err),
                   EVREC_E_INVALID_ARG);
}

/* ---------------------------------------------------------------- the property */

/* Sorts the entity lists (unique, non-empty ids only) of a message tree. */
static int by_id(const void *x, const void *y) {
  const ProtobufCMessage *a = *(ProtobufCMessage *const *)x, *b = *(ProtobufCMessage *const *)y;
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(a->descriptor, "id");
  return strcmp(*(char *const *)((const char *)a + f->offset), *(char *const *)((const char *)b + f->offset));
}

static void normalize(ProtobufCMessage *m) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED) continue;
    size_t n = *(size_t *)evrec__quant_ptr(m, f);
    ProtobufCMessage **v = *(ProtobufCMessage ***)evrec__field_ptr(m, f);
    const ProtobufCFieldDescriptor *idf =
        protobuf_c_message_descriptor_get_field_by_name(f->descriptor, "id");
    if (idf && idf->type == PROTOBUF_C_TYPE_STRING && !evrec__field_is_map(f) && n > 1) {
      ProtobufCMessage **c = malloc(n * sizeof *c);
      memcpy(c, v, n * sizeof *c);
      qsort(c, n, sizeof *c, by_id);
      bool unique = true;
      for (size_t k = 0; k < n && unique; k++)
        unique = **(char **)((char *)c[k] + idf->offset) && (k == 0 || by_id(&c[k - 1], &c[k]) != 0);
      if (unique) memcpy(v, c, n * sizeof *c);
      free(c);
    }
  }
}

static char *json_of(ProtobufCMessage *m) {
  char *s;
  assert_int_equal(evrec_json_encode_alloc(&s, NULL, m, NULL, NULL), EVREC_OK);
  return s;
}

static int count_cb(const evrec_difference *d, void *payload) {
  (void)d;
  ++*(int *)payload;
  return 0;
}

/* Pairs that differed and differences seen: the property must not hold
 * only because the mutations did nothing. */
static size_t pairs_differing, ops_seen;

static void round_trip(const ProtobufCMessageDescriptor *type, uint64_t seed) {
  randmsg_options ro = RANDMSG_OPTIONS_INIT;
  ro.max_depth = 3;
  ro.max_repeated = 5;
  ProtobufCMessage *a = randmsg_new(type, seed, arena, &ro);
  assert_non_null(a);
  ProtobufCMessage *b = mutate_message(a, seed * 7919 + 1, 1 + seed % 5, false, arena);
  assert_non_null(b);
  delta dl = {NULL, 0, 0};
  evrec_error err;
  int rc = evrec_record_diff(a, b, NULL, delta_cb, &dl, &err);
  if (rc) fail_msg("seed %llu: diff: %s", (unsigned long long)seed, err.message);
  pairs_differing += dl.n > 0;
  ops_seen += dl.n;
  ProtobufCMessage *p;
  rc = evrec_record_patch(&p, a, dl.ops, dl.n, arena, &err);
  if (rc) fail_msg("seed %llu: patch: %d %s (at %s)\nA %s\nB %s", (unsigned long long)seed, rc,
                   err.message, err.path, json_of(a), json_of(b));
  int left = 0;
  assert_int_equal(evrec_record_diff(p, b, NULL, count_cb, &left, NULL), EVREC_OK);
  normalize(p);
  normalize(b);
  char *jp = json_of(p), *jb = json_of(b);
  if (left || strcmp(jp, jb) != 0)
    fail_msg("seed %llu: %d differences left\nP %s\nB %s", (unsigned long long)seed, left, jp, jb);
  free(jp);
  free(jb);
  free(dl.ops);
  evrec_arena_reset(arena);
}

static void test_property_records(void **state) {
  (void)state;
  pairs_differing = ops_seen = 0;
  for (uint64_t seed = 1; seed <= 2000; seed++) round_trip(REC, seed);
  printf("records: %zu of 2000 pairs differ, %zu differences\n", pairs_differing, ops_seen);
  assert_true(pairs_differing > 1400 && ops_seen > 4000);
}

static void test_property_alltypes(void **state) {
  (void)state;
  pairs_differing = ops_seen = 0;
  for (uint64_t seed = 1; seed <= 2000; seed++) round_trip(AT, seed);
  printf("all types: %zu of 2000 pairs differ, %zu differences\n", pairs_differing, ops_seen);
  assert_true(pairs_differing > 1400 && ops_seen > 4000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scalars_and_messages),
      cmocka_unit_test(test_entities),
      cmocka_unit_test(test_entity_members),
      cmocka_unit_test(test_lists),
      cmocka_unit_test(test_maps),
      cmocka_unit_test(test_tolerance_and_ignore),
      cmocka_unit_test(test_json_patch_paths),
      cmocka_unit_test(test_oneof_and_wkt_alltypes),
      cmocka_unit_test(test_api_errors),
      cmocka_unit_test(test_diff_streams),
      cmocka_unit_test(test_diff_steps),
      cmocka_unit_test(test_diff_stream_errors),
      cmocka_unit_test(test_diff_pipe_and_evr),
      cmocka_unit_test(test_format_parse),
      cmocka_unit_test(test_patch_errors),
      cmocka_unit_test(test_property_records),
      cmocka_unit_test(test_property_alltypes),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
