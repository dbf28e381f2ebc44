/*
 * test_validate.c -- evrec_validate() and friends (src/validate.c), and the
 * reader's EVREC_READ_SKIP_INVALID that validation relies on.
 *
 * Each rule's own violating record and valid neighbour are in
 * tests/data/validate/ (run by tests/validate.sh); here: the API contract
 * (options, callback stop, statistics, duplicates across records, the rule
 * table), the parsers behind the rules on tables of edge cases (dates, BCP
 * 47 tags, URLs, code vocabularies), spans on random non-ASCII bodies
 * against a naive reference, hostile sizes, and skipping invalid records in
 * every format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alltypes.pb-c.h"
#include "evrec/v1/evrec.pb-c.h"
#include "internal.h"
#include "vocab.h"

#define MAXV 64

/* What the callback saw. */
typedef struct seen {
  int n;
  char rule[MAXV][40];
  char path[MAXV][EVREC_ERROR_PATH_MAX];
  char msg[MAXV][EVREC_ERROR_MESSAGE_MAX];
  uint64_t record[MAXV];
  evrec_severity sev[MAXV];
  int stop_after; /* stop when n reaches it; 0 = never */
} seen;

static int collect(const evrec_violation *v, void *payload) {
  seen *s = payload;
  assert_non_null(v->rule);
  assert_non_null(v->path);
  assert_non_null(v->message);
  assert_non_null(v->record_id);
  assert_true(v->message[0] != '\0');
  assert_int_equal(evrec__utf8_valid_prefix(v->path, strlen(v->path)), strlen(v->path));
  assert_int_equal(evrec__utf8_valid_prefix(v->message, strlen(v->message)), strlen(v->message));
  if (s->n < MAXV) {
    snprintf(s->rule[s->n], sizeof s->rule[0], "%s", v->rule);
    snprintf(s->path[s->n], sizeof s->path[0], "%s", v->path);
    snprintf(s->msg[s->n], sizeof s->msg[0], "%s", v->message);
    s->record[s->n] = v->record;
    s->sev[s->n] = v->severity;
  }
  s->n++;
  return s->stop_after && s->n >= s->stop_after;
}

/* Decodes one JSON record into `arena` (fails the test on error). */
static const ProtobufCMessage *rec(evrec_arena *arena, const char *json) {
  ProtobufCMessage *m = NULL;
  evrec_error err;
  int rc = evrec_json_decode(&m, evrec_record_descriptor(), json, strlen(json), arena, NULL, &err);
  if (rc) fail_msg("decode failed: %s at %s: %s", err.message, err.path, json);
  return m;
}

/* Validates one JSON record alone; @return the rules reported, space-joined. */
static const char *rules_of(const char *json, const evrec_validate_options *o) {
  static char out[1024];
  evrec_arena *a = evrec_arena_new(0);
  seen s;
  memset(&s, 0, sizeof s);
  int rc = evrec_validate(rec(a, json), o, NULL, collect, &s, NULL);
  assert_int_equal(rc, EVREC_OK);
  out[0] = '\0';
  for (int i = 0; i < s.n && i < MAXV; i++) {
    strcat(out, i ? " " : "");
    strcat(out, s.rule[i]);
  }
  evrec_arena_free(a);
  return out;
}

/* ====================================================================== */
/* The rule table and the API contract                                    */
/* ====================================================================== */

static void test_rule_table(void **state) {
  (void)state;
  size_t n = 0;
  const evrec_rule *r = evrec_rules(&n);
  assert_true(n >= 40);
  assert_ptr_equal(evrec_rules(NULL), r);
  static const char *groups[] = {"decode", "ids", "references", "spans", "dates", "codes",
                                 "ranges", "consistency"};
  size_t g = 0;
  for (size_t i = 0; i < n; i++) {
    assert_true(r[i].severity == EVREC_SEVERITY_ERROR || r[i].severity == EVREC_SEVERITY_WARNING);
    while (g < 8 && strcmp(r[i].group, groups[g]) != 0) g++; /* groups in doc order */
    assert_true(g < 8);
    assert_true(strlen(r[i].summary) > 10);
    for (size_t j = 0; j < i; j++) assert_string_not_equal(r[i].id, r[j].id);
    if (strcmp(r[i].group, "decode") == 0) assert_int_equal(r[i].severity, EVREC_SEVERITY_ERROR);
  }
}

static const char *const SEED_BAD =
    "{\"id\":\"r1\",\"article\":{\"language\":\"english\",\"urgency\":0},"
    "\"actors\":[{\"id\":\"a1\",\"country\":\"XX1\"}],"
    "\"events\":[{\"id\":\"e1\",\"participants\":[{\"actorId\":\"a9\"}]}]}";

static void test_callback_and_stats(void **state) {
  (void)state;
  evrec_arena *a = evrec_arena_new(0);
  const ProtobufCMessage *m = rec(a, SEED_BAD);
  seen s;
  memset(&s, 0, sizeof s);
  evrec_validate_stats st = {0, 0, 0, 0};
  assert_int_equal(evrec_validate(m, NULL, &st, collect, &s, NULL), EVREC_OK);
  /* field order: article (language, urgency), actors, events */
  assert_int_equal(s.n, 6);
  assert_string_equal(s.rule[0], "language-unknown");
  assert_string_equal(s.path[0], "article.language");
  assert_string_equal(s.rule[1], "urgency-out-of-range");
  assert_string_equal(s.rule[2], "country-unknown-code");
  assert_string_equal(s.path[2], "actors[0].country");
  assert_string_equal(s.rule[3], "event-type-missing");
  assert_string_equal(s.rule[4], "ref-actor-unresolved");
  assert_string_equal(s.path[4], "events[0].participants[0].actorId");
  assert_string_equal(s.rule[5], "participant-role-missing"); /* role after actorId */
  assert_int_equal(st.records, 1);
  assert_int_equal(st.invalid, 1);
  assert_int_equal(st.errors, 3);
  assert_int_equal(st.warnings, 3);

  /* A non-zero callback stops the run at once. */
  memset(&s, 0, sizeof s);
  s.stop_after = 2;
  assert_int_equal(evrec_validate(m, NULL, NULL, collect, &s, NULL), EVREC_STOPPED);
  assert_int_equal(s.n, 2);
  /* A NULL callback only counts. */
  memset(&st, 0, sizeof st);
  assert_int_equal(evrec_validate(m, NULL, &st, NULL, NULL, NULL), EVREC_OK);
  assert_int_equal(st.errors + st.warnings, 6);
  evrec_arena_free(a);
}

static void test_options(void **state) {
  (void)state;
  evrec_validate_options o = EVREC_VALIDATE_OPTIONS_INIT;
  evrec_validator *v = NULL;
  evrec_error err;
  o.version = 99;
  assert_int_equal(evrec_validator_new(&v, &o, &err), EVREC_E_INVALID_ARG);
  assert_null(v);
  o.version = EVREC_VALIDATE_OPTIONS_VERSION;
  const char *bad[] = {"span-*", "no-such-*"};
  o.rules = bad;
  o.n_rules = 2;
  assert_int_equal(evrec_validator_new(&v, &o, &err), EVREC_E_INVALID_ARG);
  assert_non_null(strstr(err.message, "no-such-*"));
  assert_int_equal(evrec_validator_new(NULL, NULL, &err), EVREC_E_INVALID_ARG);

  const char *only[] = {"*-unresolved", "urgency-*"};
  o.rules = only;
  o.n_rules = 2;
  assert_string_equal(rules_of(SEED_BAD, &o), "urgency-out-of-range ref-actor-unresolved");
  const char *skip[] = {"urgency-out-of-range"};
  o.skip_rules = skip;
  o.n_skip_rules = 1;
  assert_string_equal(rules_of(SEED_BAD, &o), "ref-actor-unresolved");

  /* Strict: warnings come with severity ERROR and count as errors. */
  evrec_validate_options strict = EVREC_VALIDATE_OPTIONS_INIT;
  strict.flags = EVREC_VALIDATE_STRICT;
  evrec_arena *a = evrec_arena_new(0);
  evrec_validate_stats st = {0, 0, 0, 0};
  seen s;
  memset(&s, 0, sizeof s);
  assert_int_equal(evrec_validate(rec(a, SEED_BAD), &strict, &st, collect, &s, NULL), EVREC_OK);
  assert_int_equal(st.errors, 6);
  assert_int_equal(st.warnings, 0);
  for (int i = 0; i < s.n; i++) assert_int_equal(s.sev[i], EVREC_SEVERITY_ERROR);
  evrec_arena_free(a);
}

static void test_not_a_record(void **state) {
  (void)state;
  Evrec__Test__AllTypes at = EVREC__TEST__ALL_TYPES__INIT;
  evrec_error err;
  assert_int_equal(evrec_validate(&at.base, NULL, NULL, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  assert_non_null(strstr(err.message, "not an evrec.v1.Record"));
  assert_int_equal(evrec_validate(NULL, NULL, NULL, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  assert_int_equal(evrec_validate_reader(NULL, NULL, NULL, NULL, NULL, &err), EVREC_E_INVALID_ARG);
  evrec_validator_free(NULL);
  evrec_validator_reset(NULL);
}

static void test_duplicates(void **state) {
  (void)state;
  evrec_validator *v;
  evrec_arena *a = evrec_arena_new(0);
  assert_int_equal(evrec_validator_new(&v, NULL, NULL), EVREC_OK);
  static const char *const recs[] = {
      "{\"id\":\"x\",\"revision\":1}", "{\"id\":\"y\",\"revision\":1}",
      "{\"id\":\"x\",\"revision\":2}", "{\"id\":\"x\",\"revision\":1}",
      "{\"id\":\"y\",\"revision\":1}",
  };
  seen s;
  memset(&s, 0, sizeof s);
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(evrec_validator_check(v, rec(a, recs[i]), 100 + i, NULL, collect, &s, NULL),
                     EVREC_OK);
  assert_int_equal(s.n, 2);
  assert_int_equal(s.record[0], 103);
  assert_non_null(strstr(s.msg[0], "already used by record 101")); /* 1-based in text */
  assert_int_equal(s.record[1], 104);
  /* Many distinct ids: the table grows and finds none twice. */
  char buf[64];
  for (int i = 0; i < 50000; i++) {
    snprintf(buf, sizeof buf, "{\"id\":\"rec-%d\"}", i);
    evrec_arena_reset(a);
    assert_int_equal(evrec_validator_check(v, rec(a, buf), (uint64_t)i, NULL, collect, &s, NULL),
                     EVREC_OK);
  }
  assert_int_equal(s.n, 2);
  evrec_validator_reset(v);
  evrec_arena_reset(a);
  assert_int_equal(evrec_validator_check(v, rec(a, recs[0]), 0, NULL, collect, &s, NULL), EVREC_OK);
  assert_int_equal(s.n, 2); /* forgotten */
  evrec_validator_free(v);
  evrec_arena_free(a);
}

/* ====================================================================== */
/* The parsers behind the rules                                           */
/* ====================================================================== */

static void expect_rules(const char *json, const char *want) {
  const char *got = rules_of(json, NULL);
  if (strcmp(got, want) != 0) fail_msg("%s\n  got  [%s]\n  want [%s]", json, got, want);
}

static void test_dates(void **state) {
  (void)state;
  static const struct { const char *date; bool ok; } t[] = {
      {"2025", true}, {"2025-06", true}, {"2025-06-16", true}, {"2024-02-29", true},
      {"2000-02-29", true}, {"1900-02-28", true}, {"0001-01-01", true}, {"9999-12-31", true},
      {"1900-02-29", false}, {"2025-02-29", false}, {"2025-04-31", false}, {"2025-13", false},
      {"2025-00", false}, {"2025-06-00", false}, {"0000", false}, {"25", false},
      {"2025-6-16", false}, {"2025/06/16", false}, {"2025-06-16T00:00:00Z", false},
      {" 2025", false}, {"2025-06-1x", false}, {"20250616", false},
  };
  char json[256];
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    snprintf(json, sizeof json, "{\"id\":\"r\",\"article\":{\"publishedDate\":\"%s\"}}", t[i].date);
    expect_rules(json, t[i].ok ? "" : "date-invalid");
  }
  /* Reduced precision covers a whole month or year. */
  expect_rules("{\"id\":\"r\",\"events\":[{\"id\":\"e\",\"types\":[{\"scheme\":1,\"code\":\"036\"}],"
               "\"startDate\":\"2025-06-10\",\"endDate\":\"2025-06\"}]}", "");
  expect_rules("{\"id\":\"r\",\"events\":[{\"id\":\"e\",\"types\":[{\"scheme\":1,\"code\":\"036\"}],"
               "\"startDate\":\"2025-06-10\",\"endDate\":\"2025-05\"}]}", "date-end-before-start");
  expect_rules("{\"id\":\"r\",\"events\":[{\"id\":\"e\",\"types\":[{\"scheme\":1,\"code\":\"036\"}],"
               "\"startDate\":\"2025\",\"occurredAt\":\"2025-12-31T23:00:00Z\"}]}", "");
  expect_rules("{\"id\":\"r\",\"events\":[{\"id\":\"e\",\"types\":[{\"scheme\":1,\"code\":\"036\"}],"
               "\"startDate\":\"2025-06-10\",\"endDate\":\"2025-06-12\","
               "\"occurredAt\":\"2025-06-14T00:00:00Z\"}]}", "date-mismatch");
  /* Instants before 1970 and a date a day off (another timezone) agree. */
  expect_rules("{\"id\":\"r\",\"article\":{\"publishedAt\":\"1969-07-20T20:17:00Z\","
               "\"publishedDate\":\"1969-07-21\"}}", "");
  expect_rules("{\"id\":\"r\",\"article\":{\"publishedAt\":\"1969-07-20T20:17:00Z\","
               "\"publishedDate\":\"1969-07-23\"}}", "date-mismatch");
}

static void test_language_tags(void **state) {
  (void)state;
  static const struct { const char *tag; const char *want; } t[] = {
      {"en", ""}, {"EN", ""}, {"en-US", ""}, {"nb-NO", ""}, {"zh-Hant-TW", ""},
      {"sr-Latn-RS", ""}, {"es-419", ""}, {"de-CH-1996", ""}, {"sl-rozaj-biske", ""},
      {"en-a-bbb-x-a-ccc", ""}, {"x-private", ""}, {"i-klingon", ""}, {"fre", ""},
      {"qaa", ""}, {"zh-yue", ""}, {"en-US-u-ca-gregory", ""},
      {"en_US", "language-invalid-tag"}, {"en-", "language-invalid-tag"},
      {"-en", "language-invalid-tag"}, {"e", "language-invalid-tag"},
      {"en--US", "language-invalid-tag"}, {"en-US-a", "language-invalid-tag"},
      {"toolongsubtag", "language-invalid-tag"}, {"en US", "language-invalid-tag"},
      {"en-x", "language-invalid-tag"}, {"123", "language-invalid-tag"},
      {"xx", "language-unknown"}, {"english", "language-unknown"}, {"xyz-US", "language-unknown"},
  };
  char json[256];
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    snprintf(json, sizeof json, "{\"id\":\"r\",\"article\":{\"language\":\"%s\"}}", t[i].tag);
    expect_rules(json, t[i].want);
  }
}

static void test_urls_and_codes(void **state) {
  (void)state;
  static const struct { const char *url; bool ok; } u[] = {
      {"https://www.cnn.com/x", true}, {"http://a.b", true}, {"HTTPS://EXAMPLE.ORG", true},
      {"https://user@host/p", true}, {"https://host?q=1", true},
      {"ftp://host/x", false}, {"https://", false}, {"https:///path", false},
      {"www.cnn.com", false}, {"https://a b.com", false}, {"https://user@/p", false},
      {"javascript:alert(1)", false},
  };
  char json[256];
  for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
    snprintf(json, sizeof json, "{\"id\":\"r\",\"article\":{\"canonicalUri\":\"%s\"}}", u[i].url);
    expect_rules(json, u[i].ok ? "" : "url-invalid");
  }
  expect_rules("{\"id\":\"r\",\"article\":{\"uri\":\"urn:newsml:dpa.com:20090101:190510\"}}", "");
  expect_rules("{\"id\":\"r\",\"article\":{\"uri\":\"1urn:x\"}}", "uri-invalid");
  expect_rules("{\"id\":\"r\",\"article\":{\"uri\":\"urn:\"}}", "uri-invalid");
  /* Countries: ISO codes, the user-assigned ranges, nothing else. */
  static const struct { const char *c; bool ok; } k[] = {
      {"USA", true}, {"FRA", true}, {"XKX", true}, {"AAB", true}, {"QMZ", true}, {"ZZZ", true},
      {"QAA", false}, {"usa", false}, {"US", false}, {"USAA", false}, {"ABC", false},
  };
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    snprintf(json, sizeof json, "{\"id\":\"r\",\"actors\":[{\"id\":\"a\",\"country\":\"%s\"}]}",
             k[i].c);
    expect_rules(json, k[i].ok ? "" : "country-unknown-code");
  }
  /* CAMEO codes are exact strings; every quad class follows the root. */
  assert_non_null(evrec__cameo_find("010"));
  assert_null(evrec__cameo_find("10 "));
  assert_null(evrec__cameo_find("0100"));
  assert_int_equal(evrec__cameo_quad_class("05"), 1);
  assert_int_equal(evrec__cameo_quad_class("0871"), 2);
  assert_int_equal(evrec__cameo_quad_class("145"), 3);
  assert_int_equal(evrec__cameo_quad_class("2042"), 4);
  assert_int_equal(evrec__cameo_quad_class("21"), 0);
  for (size_t i = 0; i < evrec__cameo_n; i++) {
    assert_ptr_equal(evrec__cameo_find(evrec__cameo[i].code), &evrec__cameo[i]);
    assert_int_not_equal(evrec__cameo_quad_class(evrec__cameo[i].code), 0);
  }
  assert_int_equal(evrec__plover_n, 16);
  assert_int_equal(evrec__plover_contexts_n, 37);
  const evrec__plover_category *p = evrec__plover_find("PROTEST");
  assert_non_null(p);
  assert_int_equal(p->quad_class, 4);
  assert_true(evrec__plover_has_mode(p, "riot"));
  assert_false(evrec__plover_has_mode(p, "arrest"));
  assert_true(evrec__plover_find("AID")->requires_recipient);
  assert_true(evrec__plover_any_mode("arrest"));
  assert_false(evrec__plover_any_mode("Arrest"));
  assert_true(evrec__language_known("EN", 2));
  /* Extension keys. */
  expect_rules("{\"id\":\"r\",\"extensions\":{\"evrec/gdelt.num_mentions\":\"3\","
               "\"news-desk.example.org/x\":\"1\"}}", "");
  expect_rules("{\"id\":\"r\",\"extensions\":{\"a/\":\"1\",\"/b\":\"1\",\"a..b/c\":\"1\","
               "\"nodot/x\":\"1\"}}",
               "extension-key-invalid extension-key-invalid extension-key-invalid "
               "extension-key-invalid");
  /* Ratings: numbers only, either direction of scale; words are not checked. */
  expect_rules("{\"id\":\"r\",\"claims\":[{\"id\":\"c\",\"reviews\":[{\"ratingValue\":\"1\","
               "\"bestRating\":\"1\",\"worstRating\":\"5\"}]}]}", "");
  expect_rules("{\"id\":\"r\",\"claims\":[{\"id\":\"c\",\"reviews\":[{\"ratingValue\":\"False\","
               "\"bestRating\":\"5\"}]}]}", "");
  expect_rules("{\"id\":\"r\",\"claims\":[{\"id\":\"c\",\"reviews\":[{\"ratingValue\":\"-0.5\","
               "\"worstRating\":\"0\"}]}]}", "rating-out-of-scale");
  /* NaN and infinities are out of every range. */
  expect_rules("{\"id\":\"r\",\"places\":[{\"id\":\"p\",\"point\":{\"latitude\":\"NaN\","
               "\"longitude\":\"-Infinity\"}}]}", "geo-out-of-range geo-out-of-range");
}

/* ====================================================================== */
/* Spans on random bodies against a naive reference                       */
/* ====================================================================== */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng % n);
}

/* Appends a random code point of 1-4 UTF-8 bytes (none needing JSON
 * escapes); records its byte offset. */
static size_t put_cp(char *p) {
  static const char *const cps[] = {"a", "Z", " ", "\xC3\xA9", "\xD0\x96", "\xE2\x80\x9C",
                                    "\xE6\x9D\xB1", "\xF0\x9F\x98\x80"};
  const char *c = cps[rnd(8)];
  size_t n = strlen(c);
  memcpy(p, c, n);
  return n;
}

static void test_spans_random(void **state) {
  (void)state;
  enum { MAXCP = 700 };
  static char body[MAXCP * 4 + 1], json[MAXCP * 8 + 1024], text[MAXCP * 4 + 1];
  static size_t off[MAXCP + 1];
  evrec_arena *a = evrec_arena_new(0);
  for (int iter = 0; iter < 3000; iter++) {
    size_t ncp = rnd(4) == 0 ? rnd(3) * 64 + rnd(2) : rnd(MAXCP), len = 0;
    for (size_t i = 0; i < ncp; i++) {
      off[i] = len;
      len += put_cp(body + len);
    }
    off[ncp] = len;
    body[len] = '\0';
    uint32_t s = rnd((uint32_t)ncp + 3), e = rnd((uint32_t)ncp + 3);
    bool good_text = rnd(2);
    text[0] = '\0';
    if (s < e && e <= ncp) {
      size_t b0 = off[s], b1 = off[e];
      memcpy(text, body + b0, b1 - b0);
      text[b1 - b0] = '\0';
      if (!good_text) {
        if (b1 - b0 > 1 && text[0] == 'a') text[0] = 'b';
        else strcat(text, "x");
      }
    }
    snprintf(json, sizeof json, "{\"id\":\"r\",\"article\":{\"body\":\"%s\"},\"claims\":[{\"id\":"
             "\"c\",\"quote\":{\"text\":\"%s\",\"span\":{\"start\":%u,\"end\":%u}}}]}",
             body, text, s, e);
    const char *want = s > e ? "span-inverted" : e > ncp ? "span-out-of-body"
                       : s == e ? "span-empty" : good_text ? "" : "span-text-mismatch";
    evrec_arena_reset(a);
    const char *got = rules_of(json, NULL);
    if (strcmp(got, want) != 0)
      fail_msg("iteration %d: %zu code points, span [%u, %u): got [%s], want [%s]", iter, ncp, s,
               e, got, want);
  }
  evrec_arena_free(a);
}

/* ====================================================================== */
/* Hostile sizes                                                          */
/* ====================================================================== */

static void test_many_entities(void **state) {
  (void)state;
  enum { N = 20000 };
  Evrec__V1__Record r = EVREC__V1__RECORD__INIT;
  Evrec__V1__Actor *actors = calloc(N, sizeof *actors), **ap = calloc(N, sizeof *ap);
  Evrec__V1__Event ev = EVREC__V1__EVENT__INIT, *evp = &ev;
  Evrec__V1__Participant *parts = calloc(N, sizeof *parts), **pp = calloc(N, sizeof *pp);
  Evrec__V1__EventType ty = EVREC__V1__EVENT_TYPE__INIT, *typ = &ty;
  assert_non_null(actors);
  assert_non_null(parts);
  r.id = "many";
  for (int i = 0; i < N; i++) {
    Evrec__V1__Actor init = EVREC__V1__ACTOR__INIT;
    Evrec__V1__Participant pinit = EVREC__V1__PARTICIPANT__INIT;
    actors[i] = init;
    actors[i].id = "same"; /* every one a duplicate of the first */
    ap[i] = &actors[i];
    parts[i] = pinit;
    parts[i].actor_id = i % 2 ? "same" : "missing";
    parts[i].role = EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_ACTOR;
    pp[i] = &parts[i];
  }
  ty.scheme = EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_CAMEO;
  ty.code = "036";
  ev.id = "e";
  ev.n_types = 1;
  ev.types = &typ;
  ev.n_participants = N;
  ev.participants = pp;
  r.n_actors = N;
  r.actors = ap;
  r.n_events = 1;
  r.events = &evp;
  evrec_validate_stats st = {0, 0, 0, 0};
  assert_int_equal(evrec_validate(&r.base, NULL, &st, NULL, NULL, NULL), EVREC_OK);
  assert_int_equal(st.errors, (N - 1) + N / 2); /* duplicates + unresolved */
  /* Spans at the edges of uint32. */
  Evrec__V1__Span sp = EVREC__V1__SPAN__INIT, *spp = &sp;
  sp.start = UINT32_MAX;
  sp.end = UINT32_MAX;
  actors[0].n_mentions = 1;
  actors[0].mentions = &spp;
  r.n_actors = 1;
  r.n_events = 0;
  seen s;
  memset(&s, 0, sizeof s);
  assert_int_equal(evrec_validate(&r.base, NULL, NULL, collect, &s, NULL), EVREC_OK);
  assert_int_equal(s.n, 1);
  assert_string_equal(s.rule[0], "span-out-of-body");
  free(actors);
  free(ap);
  free(parts);
  free(pp);
}

/* ====================================================================== */
/* Streams: validate_reader and EVREC_READ_SKIP_INVALID                   */
/* ====================================================================== */

/* Validates `data` as `format`; @return the status and the records and
 * rules seen ("2:decode-schema 4:ref-actor-unresolved"). */
static int stream(const char *data, size_t len, evrec_format format, unsigned flags,
                  char *out, size_t size) {
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_reader *r;
  ro.format = format;
  ro.flags = flags;
  assert_int_equal(evrec_reader_open_memory(&r, data, len, &ro, NULL), EVREC_OK);
  seen s;
  memset(&s, 0, sizeof s);
  evrec_validate_stats st;
  evrec_error err;
  int rc = evrec_validate_reader(r, NULL, &st, collect, &s, &err);
  out[0] = '\0';
  for (int i = 0; i < s.n && i < MAXV; i++) {
    char one[64];
    snprintf(one, sizeof one, "%s%llu:%s", i ? " " : "", (unsigned long long)s.record[i] + 1,
             s.rule[i]);
    strncat(out, one, size - strlen(out) - 1);
  }
  assert_int_equal(st.errors, (uint64_t)s.n); /* every violation here is an error */
  evrec_reader_close(r);
  return rc;
}

static void test_stream_json(void **state) {
  (void)state;
  char got[512];
  const char *nd = "{\"id\":\"a\"}\n{\"id\":\"b\",\"x\":1}\n{\"id\":\"c\",\n"
                   "{\"id\":\"d\",\"actors\":[{\"id\":\"\"}]}\n{\"id\":\"a\"}\n";
  /* Without SKIP_INVALID the first decoding error ends the run. */
  assert_int_equal(stream(nd, strlen(nd), EVREC_FORMAT_AUTO, 0, got, sizeof got), EVREC_E_SCHEMA);
  assert_string_equal(got, "2:decode-schema");
  assert_int_equal(stream(nd, strlen(nd), EVREC_FORMAT_AUTO, EVREC_READ_SKIP_INVALID, got,
                          sizeof got), EVREC_OK);
  assert_string_equal(got, "2:decode-schema 3:decode-syntax 4:entity-id-missing "
                           "5:record-id-duplicate");
  /* An array, pretty-printed: a schema error is skipped exactly, a syntax
   * error resynchronises on the next record's line. */
  const char *arr = "[\n{\"id\":\"a\",\n \"revision\":\"x\"\n},\n{\"id\":\"b\" \"c\"},\n"
                    "{\"id\":\"c\"}\n]\n";
  assert_int_equal(stream(arr, strlen(arr), EVREC_FORMAT_AUTO, EVREC_READ_SKIP_INVALID, got,
                          sizeof got), EVREC_OK);
  assert_string_equal(got, "1:decode-schema 2:decode-syntax");
  /* Concatenated objects on one line. */
  const char *cat = "{\"id\":\"a\"}{\"id\":\"b\",\"q\":[{}]}{\"id\":\"c\"} {\"id\":\"c\"}";
  assert_int_equal(stream(cat, strlen(cat), EVREC_FORMAT_AUTO, EVREC_READ_SKIP_INVALID, got,
                          sizeof got), EVREC_OK);
  assert_string_equal(got, "2:decode-schema 4:record-id-duplicate");
  /* A truncated last record. */
  const char *cut = "{\"id\":\"a\"}\n{\"id\":\"b\",\"article\":{";
  assert_int_equal(stream(cut, strlen(cut), EVREC_FORMAT_AUTO, EVREC_READ_SKIP_INVALID, got,
                          sizeof got), EVREC_OK);
  assert_string_equal(got, "2:decode-syntax");
}

/* Packs a record into a pbd buffer. */
static size_t put_pbd(char *out, const ProtobufCMessage *m) {
  evrec__buf b;
  evrec__buf_init(&b);
  size_t n = evrec__pack_delimited(&b, m);
  assert_true(n != SIZE_MAX);
  memcpy(out, b.data, b.len);
  n = b.len;
  evrec__buf_free(&b);
  return n;
}

static void test_stream_binary(void **state) {
  (void)state;
  char pbd[4096], got[512];
  size_t n = 0;
  evrec_arena *a = evrec_arena_new(0);
  n += put_pbd(pbd + n, rec(a, "{\"id\":\"a\"}"));
  memcpy(pbd + n, "\x04\x0a\x02\xff\xfe", 5); /* id = invalid UTF-8 */
  n += 5;
  memcpy(pbd + n, "\x02\x0a\x09", 3); /* a length past the record */
  n += 3;
  n += put_pbd(pbd + n, rec(a, "{\"id\":\"a\",\"revision\":2}"));
  assert_int_equal(stream(pbd, n, EVREC_FORMAT_PBD, EVREC_READ_SKIP_INVALID, got, sizeof got),
                   EVREC_OK);
  assert_string_equal(got, "2:decode-utf8 3:decode-syntax");
  /* A length prefix that runs past the input stays fatal. */
  memcpy(pbd + n, "\x7f\x0a", 2);
  assert_int_equal(stream(pbd, n + 2, EVREC_FORMAT_PBD, EVREC_READ_SKIP_INVALID, got, sizeof got),
                   EVREC_E_TRUNCATED);
  assert_string_equal(got, "2:decode-utf8 3:decode-syntax 5:decode-syntax");

  /* .evr: a block whose second record is invalid UTF-8 (written by a
   * writer told not to check), between valid ones; with read-ahead. */
  char path[] = "/tmp/evrec-tv-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  wo.format = EVREC_FORMAT_EVR;
  wo.flags = EVREC_WRITE_VALID_UTF8;
  wo.block_size = 64;
  evrec_writer *w;
  assert_int_equal(evrec_writer_open_file(&w, path, &wo, NULL), EVREC_OK);
  Evrec__V1__Record r = EVREC__V1__RECORD__INIT;
  char id[16];
  for (int i = 0; i < 40; i++) {
    snprintf(id, sizeof id, i % 7 == 3 ? "bad\xff%d" : "r%d", i);
    r.id = id;
    assert_int_equal(evrec_writer_write(w, &r.base, NULL), EVREC_OK);
  }
  assert_int_equal(evrec_writer_close(w, NULL), EVREC_OK);
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  ro.flags = EVREC_READ_SKIP_INVALID;
  evrec_reader *rd;
  assert_int_equal(evrec_reader_open_file(&rd, path, &ro, NULL), EVREC_OK);
  seen s;
  memset(&s, 0, sizeof s);
  evrec_validate_stats st;
  assert_int_equal(evrec_validate_reader(rd, NULL, &st, collect, &s, NULL), EVREC_OK);
  assert_int_equal(st.records, 40);
  assert_int_equal(s.n, 6); /* i = 3, 10, 17, 24, 31, 38 */
  for (int i = 0; i < s.n; i++) {
    assert_string_equal(s.rule[i], "decode-utf8");
    assert_int_equal(s.record[i], (uint64_t)(3 + 7 * i));
  }
  assert_int_equal(evrec_reader_count(rd), 40);
  evrec_reader_close(rd);
  unlink(path);
  evrec_arena_free(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rule_table),
      cmocka_unit_test(test_callback_and_stats),
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_not_a_record),
      cmocka_unit_test(test_duplicates),
      cmocka_unit_test(test_dates),
      cmocka_unit_test(test_language_tags),
      cmocka_unit_test(test_urls_and_codes),
      cmocka_unit_test(test_spans_random),
      cmocka_unit_test(test_many_entities),
      cmocka_unit_test(test_stream_json),
      cmocka_unit_test(test_stream_binary),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
