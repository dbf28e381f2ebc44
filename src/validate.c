/*
 * validate.c -- the semantic rules of evrec.v1 records (SPEC §6).
 *
 * The rules are declared once, in rules.h; docs/VALIDATION.md documents each
 * with an example that tests/data/validate/ runs. This file checks decoded
 * records, walking the evrec.v1 structs that protoc-c generates directly:
 * the rules are about this schema's meaning (which field references which
 * entity, which string is a CAMEO code), not about protobuf in general, so a
 * descriptor-driven walk would only add indirection. The JSON codec and the
 * container know nothing of validation; evrec_validate_reader() sits on top
 * of the public reader.
 *
 * Design:
 *  - One pass per record, in field order, so violations come out in the
 *    order a person reads the record. A `vctx` holds the record being
 *    checked, the callback and the field path.
 *  - The field path is a stack of segments (name, index or map key) pushed
 *    and popped as the walk descends; it is rendered to text only when a
 *    violation is reported, so a clean record never formats a path.
 *  - References resolve through per-record hash tables of the local ids
 *    (actors, places, events), built in scratch memory the validator keeps
 *    from record to record: a record with 10,000 actors costs linear time,
 *    not quadratic.
 *  - Spans count Unicode code points. The body is scanned once per record
 *    (only when the record has spans): an ASCII body indexes bytes
 *    directly; otherwise a table of the byte offset of every 64th code
 *    point lets each span find its bytes by stepping at most 63 code points.
 *    No span rescans the body from its start.
 *  - Record ids seen in a stream are kept as 64-bit hashes (of id and
 *    revision) with the first record's index, in an open-addressing table:
 *    16 bytes per record, never the strings.
 *  - Vocabulary lookups are binary searches over generated tables (vocab.c).
 *  - Messages count records from 1, as every place a person reads does;
 *    evrec_violation.record is 0-based like evrec_error.record.
 */
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evrec/v1/evrec.pb-c.h"
#include "fieldpath.h"
#include "internal.h"
#include "rules.h"
#include "vocab.h"

/* ====================================================================== */
/* The rule table                                                         */
/* ====================================================================== */

enum {
#define R(name, id, sev, group, summary) RULE_##name,
  EVREC__RULES(R)
#undef R
  RULE_COUNT
};

static const evrec_rule rule_table[] = {
#define R(name, id, sev, group, summary) {id, EVREC_SEVERITY_##sev, group, summary},
    EVREC__RULES(R)
#undef R
};

const evrec_rule *evrec_rules(size_t *count) {
  if (count) *count = RULE_COUNT;
  return rule_table;
}

/* ====================================================================== */
/* Validator state                                                        */
/* ====================================================================== */

/* Record ids seen: hash of (id, revision) -> index of the first record. */
typedef struct idslot {
  uint64_t hash; /* 0 = empty (a real hash of 0 is stored as 1) */
  uint64_t first;
} idslot;

/* One list's local ids, for reference lookups: slot = index + 1, 0 empty. */
typedef struct idtab {
  uint32_t *slot;
  size_t size; /* slots in use for this record: a power of two, or 0 */
  size_t cap;  /* slots allocated (kept from record to record) */
} idtab;

struct evrec_validator {
  unsigned flags;
  bool on[RULE_COUNT];
  idslot *seen;
  size_t seen_cap, seen_n;
  idtab tab[4];        /* local ids of actors, places, events, claims */
  const char **ids[4]; /* the id strings of the same */
  size_t ids_cap[4];
  size_t *marks; /* byte offset of every 64th code point of the body */
  size_t marks_cap;
};

#define PATH_DEPTH 12
#define MARK_STEP 64

typedef struct seg {
  const char *name; /* JSON name, or NULL for a bare index/key step */
  size_t index;     /* SIZE_MAX: no index */
  const char *key;  /* map key, or NULL */
} seg;

typedef struct vctx {
  evrec_validator *v;
  const Evrec__V1__Record *rec;
  uint64_t index;
  evrec_validate_stats *stats;
  evrec_violation_fn fn;
  void *payload;
  bool stopped, invalid;
  seg path[PATH_DEPTH];
  int depth;
  /* the body, analysed on first use */
  const char *body;
  size_t body_len, body_cps;
  bool body_ready, body_ascii;
} vctx;

/* ====================================================================== */
/* Paths and reporting                                                    */
/* ====================================================================== */

static void push(vctx *c, const char *name, size_t index) {
  if (c->depth < PATH_DEPTH) c->path[c->depth] = (seg){name, index, NULL};
  c->depth++;
}

static void push_key(vctx *c, const char *name, const char *key) {
  if (c->depth < PATH_DEPTH) c->path[c->depth] = (seg){name, SIZE_MAX, key};
  c->depth++;
}

static void pop(vctx *c) { c->depth--; }

/* Appends s to buf[*n..size) without cutting a UTF-8 character. */
static void put_str(char *buf, size_t size, size_t *n, const char *s, size_t len) {
  if (*n + 1 >= size) return;
  size_t room = size - 1 - *n;
  if (len > room) {
    len = room;
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) len--;
  }
  memcpy(buf + *n, s, len);
  *n += len;
  buf[*n] = '\0';
}

/* The path of the segments pushed (fieldpath.h's form, as the codecs'). */
static void render_path(const vctx *c, char *out) {
  evrec__fieldpath p;
  evrec__fieldpath_init(&p);
  for (int i = (c->depth < PATH_DEPTH ? c->depth : PATH_DEPTH) - 1; i >= 0; i--) {
    const seg *s = &c->path[i];
    if (s->key) evrec__fieldpath_key(&p, s->key, strlen(s->key));
    if (s->index != SIZE_MAX) evrec__fieldpath_index(&p, s->index);
    if (s->name) evrec__fieldpath_name(&p, s->name);
  }
  evrec__fieldpath_get(&p, out);
}

static void report(vctx *c, int rule, const char *fmt, ...) EVREC__PRINTF(3, 4);

/* Reports a violation of `rule` at the current path (if the rule is on). */
static void report(vctx *c, int rule, const char *fmt, ...) {
  if (c->stopped || !c->v->on[rule]) return;
  char message[EVREC_ERROR_MESSAGE_MAX], path[EVREC_ERROR_PATH_MAX];
  va_list ap;
  va_start(ap, fmt); /* quoted data may hold any character: made one clean line */
  evrec__text_vformat(message, sizeof message, fmt, ap);
  va_end(ap);
  render_path(c, path);
  evrec_violation v = {rule_table[rule].id, rule_table[rule].severity, c->index,
                       c->rec->id ? c->rec->id : "", path, message, NULL};
  if (c->v->flags & EVREC_VALIDATE_STRICT) v.severity = EVREC_SEVERITY_ERROR;
  if (v.severity == EVREC_SEVERITY_ERROR) c->invalid = true;
  if (c->stats) {
    if (v.severity == EVREC_SEVERITY_ERROR) c->stats->errors++;
    else c->stats->warnings++;
  }
  if (c->fn && c->fn(&v, c->payload)) c->stopped = true;
}

/* Copies at most 40 code points of s[0..len) into out as a quoted
 * excerpt ("..." appended when cut). */
static const char *excerpt(char *out, size_t size, const char *s, size_t len) {
  size_t i = 0, cps = 0;
  while (i < len && cps < 40) {
    i++;
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    cps++;
  }
  snprintf(out, size, "\"%.*s%s\"", (int)i, s, i < len ? "..." : "");
  return out;
}

/* ====================================================================== */
/* Hashes and id tables                                                   */
/* ====================================================================== */

static uint64_t mix64(uint64_t h) { /* MurmurHash3's finaliser */
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

static uint64_t str_hash(const char *s) {
  size_t len = strlen(s);
  return mix64(evrec__fnv1a64(s, len) ^ len);
}

static bool grow_array(void **p, size_t *cap, size_t want, size_t elem) {
  if (*cap >= want) return true;
  size_t n = *cap ? *cap : 64;
  while (n < want) n *= 2;
  void *q = realloc(*p, n * elem);
  if (!q) return false;
  *p = q;
  *cap = n;
  return true;
}

/* Sizes t for n ids (load <= 1/2) and empties the slots this record uses
 * (not all it ever allocated: one huge record must not slow the rest). */
static bool idtab_prepare(idtab *t, size_t n) {
  size_t want = 16;
  while (want < 2 * n) want *= 2;
  if (want > t->cap) {
    uint32_t *p = realloc(t->slot, want * sizeof *p);
    if (!p) return false;
    t->slot = p;
    t->cap = want;
  }
  t->size = want;
  memset(t->slot, 0, want * sizeof *t->slot);
  return true;
}

/* Looks id up among list[0..n) through t. @return its index or SIZE_MAX. */
static size_t idtab_find(const idtab *t, const char *const *ids, const char *id) {
  if (!t->size) return SIZE_MAX;
  size_t mask = t->size - 1, i = (size_t)str_hash(id) & mask;
  for (; t->slot[i]; i = (i + 1) & mask)
    if (strcmp(ids[t->slot[i] - 1], id) == 0) return t->slot[i] - 1;
  return SIZE_MAX;
}

/* Adds ids[k] (non-empty). @return the index of an earlier equal id, or
 * SIZE_MAX when it is new. */
static size_t idtab_add(idtab *t, const char *const *ids, size_t k) {
  size_t mask = t->size - 1, i = (size_t)str_hash(ids[k]) & mask;
  for (; t->slot[i]; i = (i + 1) & mask)
    if (strcmp(ids[t->slot[i] - 1], ids[k]) == 0) return t->slot[i] - 1;
  t->slot[i] = (uint32_t)k + 1;
  return SIZE_MAX;
}

/* ====================================================================== */
/* Record ids seen in the stream                                          */
/* ====================================================================== */

static bool seen_grow(evrec_validator *v) {
  size_t cap = v->seen_cap ? v->seen_cap * 2 : 1024;
  idslot *t = calloc(cap, sizeof *t);
  if (!t) return false;
  for (size_t i = 0; i < v->seen_cap; i++) {
    if (!v->seen[i].hash) continue;
    size_t j = (size_t)v->seen[i].hash & (cap - 1);
    while (t[j].hash) j = (j + 1) & (cap - 1);
    t[j] = v->seen[i];
  }
  free(v->seen);
  v->seen = t;
  v->seen_cap = cap;
  return true;
}

/* Remembers (hash, index). @return the first index with this hash, or
 * UINT64_MAX when new; -2 (as UINT64_MAX - 1) when out of memory. */
static uint64_t seen_add(evrec_validator *v, uint64_t hash, uint64_t index) {
  if (!hash) hash = 1;
  if ((v->seen_n + 1) * 2 > v->seen_cap && !seen_grow(v)) return UINT64_MAX - 1;
  size_t mask = v->seen_cap - 1, i = (size_t)hash & mask;
  for (; v->seen[i].hash; i = (i + 1) & mask)
    if (v->seen[i].hash == hash) return v->seen[i].first;
  v->seen[i] = (idslot){hash, index};
  v->seen_n++;
  return UINT64_MAX;
}

/* ====================================================================== */
/* Rule checks: ids and references                                        */
/* ====================================================================== */

/* Checks a record's id; @return EVREC_E_NOMEM or EVREC_OK. */
static int check_record_id(vctx *c) {
  const char *id = c->rec->id;
  push(c, "id", SIZE_MAX);
  if (!id || !*id) {
    report(c, RULE_RECORD_ID_MISSING, "the record has no id");
  } else if (c->v->on[RULE_RECORD_ID_DUPLICATE]) {
    uint64_t h = mix64(str_hash(id) ^ ((uint64_t)c->rec->revision * 0x9e3779b97f4a7c15ull));
    uint64_t first = seen_add(c->v, h, c->index);
    if (first == UINT64_MAX - 1) return EVREC_E_NOMEM;
    if (first != UINT64_MAX)
      report(c, RULE_RECORD_ID_DUPLICATE, "record id \"%s\" with revision %" PRIu32
             " was already used by record %" PRIu64, id, c->rec->revision, first + 1);
  }
  pop(c);
  return EVREC_OK;
}

/* Fills t with the non-empty ids of a list (the first of equal ids wins). */
static int index_ids(idtab *t, const char *const *ids, size_t n) {
  if (!idtab_prepare(t, n)) return EVREC_E_NOMEM;
  for (size_t i = 0; i < n; i++)
    if (ids[i][0]) idtab_add(t, ids, i);
  return EVREC_OK;
}

/* Reports a missing or duplicate id of entity `k` of a list (the entity is
 * at the current path; `list` is its JSON name, `what` its kind). */
static void check_entity_id(vctx *c, const idtab *t, const char *const *ids, size_t k,
                            const char *list, const char *what) {
  push(c, "id", SIZE_MAX);
  size_t first = ids[k][0] ? idtab_find(t, ids, ids[k]) : k;
  if (!ids[k][0])
    report(c, RULE_ENTITY_ID_MISSING, "%s without an id", what);
  else if (first != k)
    report(c, RULE_ENTITY_ID_DUPLICATE, "%s id \"%.40s\" is already used by %s[%zu]", what, ids[k],
           list, first);
  pop(c);
}

/* The id strings of an entity list, copied into scratch so one lookup
 * routine serves every entity type (their structs differ). */
typedef struct idview {
  const char **ids;
  size_t n;
} idview;

enum { K_ACTORS, K_PLACES, K_EVENTS, K_CLAIMS, K_COUNT };

/* The record's entity ids: views[k] lists them, the validator's tab[k]
 * finds them. */
typedef struct refs {
  idview actors, places, events, claims;
} refs;

/* Reports `field` (at the current path) unless `id` names an entity of
 * `view`. An empty id is allowed where `optional`. */
static void ref_check(vctx *c, const idtab *t, const idview *view, int rule, const char *field,
                      const char *id, bool optional, const char *what) {
  if (!id[0] && optional) return;
  if (field) push(c, field, SIZE_MAX);
  if (!id[0])
    report(c, rule, "empty %s reference", what);
  else if (idtab_find(t, view->ids, id) == SIZE_MAX)
    report(c, rule, "no %s with id \"%s\" in this record", what, id);
  if (field) pop(c);
}

static void ref_actor(vctx *c, const refs *r, const char *field, const char *id, bool optional) {
  ref_check(c, &c->v->tab[K_ACTORS], &r->actors, RULE_REF_ACTOR_UNRESOLVED, field, id, optional, "actor");
}

static void ref_place(vctx *c, const refs *r, const char *field, const char *id) {
  ref_check(c, &c->v->tab[K_PLACES], &r->places, RULE_REF_PLACE_UNRESOLVED, field, id, true, "place");
}

static void ref_event(vctx *c, const refs *r, const char *field, const char *id) {
  ref_check(c, &c->v->tab[K_EVENTS], &r->events, RULE_REF_EVENT_UNRESOLVED, field, id, false, "event");
}

/* Repeated references: `list[k]` each. */
static void ref_actor_list(vctx *c, const refs *r, const char *list, char **ids, size_t n) {
  for (size_t k = 0; k < n; k++) {
    push(c, list, k);
    ref_actor(c, r, NULL, ids[k], false);
    pop(c);
  }
}

/* ====================================================================== */
/* Rule checks: spans                                                     */
/* ====================================================================== */

/* The UTF-8 continuation bytes (10xxxxxx) of an 8-byte word, as its bit 7s. */
static uint64_t cont_bits(uint64_t w) { return w & ~(w << 1) & 0x8080808080808080ull; }

static unsigned popcount64(uint64_t x) {
#if defined(__GNUC__)
  return (unsigned)__builtin_popcountll(x);
#else
  unsigned n = 0;
  for (; x; x &= x - 1) n++;
  return n;
#endif
}

/* Notes the byte offset of every MARK_STEP-th code point of s[0..len) in
 * marks[] (which has room) and @return the number of code points. Eight
 * bytes per step: a word holds at most one mark (8 < MARK_STEP), found byte
 * by byte only in the word where it falls. */
static size_t mark_code_points(const char *s, size_t len, size_t *marks) {
  size_t cps = 0, next = 0, i = 0; /* next: the code point of the next mark */
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    size_t n = 8 - popcount64(cont_bits(w));
    if (next < cps + n) /* the mark falls in this word: find its byte */
      for (size_t k = i, c = cps;; k++)
        if (((unsigned char)s[k] & 0xC0) != 0x80 && c++ == next) {
          marks[next / MARK_STEP] = k;
          next += MARK_STEP;
          break;
        }
    cps += n;
  }
  for (; i < len; i++) {
    if (((unsigned char)s[i] & 0xC0) == 0x80) continue;
    if (cps == next) marks[next / MARK_STEP] = i, next += MARK_STEP;
    cps++;
  }
  return cps;
}

/* Counts the body's code points and notes where every MARK_STEP-th one
 * starts (an ASCII body needs no marks: code points are bytes). */
static int body_prepare(vctx *c) {
  const Evrec__V1__Article *a = c->rec->article;
  evrec_validator *v = c->v;
  c->body = a && a->body ? a->body : "";
  c->body_len = strlen(c->body);
  c->body_ready = true;
  if (!grow_array((void **)&v->marks, &v->marks_cap, c->body_len / MARK_STEP + 2,
                  sizeof *v->marks))
    return EVREC_E_NOMEM;
  c->body_cps = mark_code_points(c->body, c->body_len, v->marks);
  c->body_ascii = c->body_cps == c->body_len;
  return EVREC_OK;
}

/* Byte offset of code point `cp` (<= body_cps) of the body. */
static size_t body_byte(const vctx *c, size_t cp) {
  if (c->body_ascii) return cp;
  if (cp == c->body_cps) return c->body_len;
  size_t i = c->v->marks[cp / MARK_STEP];
  for (size_t k = cp % MARK_STEP; k > 0; k--) {
    i++;
    while (((unsigned char)c->body[i] & 0xC0) == 0x80) i++;
  }
  return i;
}

/* Checks a span (at the current path, named `span_field` when non-NULL)
 * and, when `text` is non-empty, that the body holds it there (reported at
 * `text_field`). */
static int check_span(vctx *c, const Evrec__V1__Span *s, const char *span_field,
                      const char *text, const char *text_field) {
  if (!s) return EVREC_OK;
  if (!c->body_ready && body_prepare(c) != EVREC_OK) return EVREC_E_NOMEM;
  if (span_field) push(c, span_field, SIZE_MAX);
  bool ok = false;
  if (s->start > s->end)
    report(c, RULE_SPAN_INVERTED, "span [%" PRIu32 ", %" PRIu32 ") starts after its end",
           s->start, s->end);
  else if (s->end > c->body_cps && !c->body_cps)
    report(c, RULE_SPAN_OUT_OF_BODY, "span [%" PRIu32 ", %" PRIu32 ") but the article has no body",
           s->start, s->end);
  else if (s->end > c->body_cps)
    report(c, RULE_SPAN_OUT_OF_BODY, "span [%" PRIu32 ", %" PRIu32 ") ends past the body (%zu "
           "code points)", s->start, s->end, c->body_cps);
  else if (s->start == s->end)
    report(c, RULE_SPAN_EMPTY, "span [%" PRIu32 ", %" PRIu32 ") is empty", s->start, s->end);
  else
    ok = true;
  if (span_field) pop(c);
  if (!ok || !text || !text[0] || !c->v->on[RULE_SPAN_TEXT_MISMATCH]) return EVREC_OK;
  size_t b0 = body_byte(c, s->start), b1 = body_byte(c, s->end), tl = strlen(text);
  if (tl == b1 - b0 && memcmp(c->body + b0, text, tl) == 0) return EVREC_OK;
  char a[200], b[200];
  push(c, text_field, SIZE_MAX);
  report(c, RULE_SPAN_TEXT_MISMATCH, "text %s differs from the body at [%" PRIu32 ", %" PRIu32
         "): %s", excerpt(a, sizeof a, text, tl), s->start, s->end,
         excerpt(b, sizeof b, c->body + b0, b1 - b0));
  pop(c);
  return EVREC_OK;
}

/* A Mention's span and text, the mention being at the current path. */
static int check_mention(vctx *c, const Evrec__V1__Mention *m) {
  return check_span(c, m->span, "span", m->text, "text");
}

/* ====================================================================== */
/* Rule checks: dates                                                     */
/* ====================================================================== */

/* A calendar date of reduced precision as a range of days. */
typedef struct cal {
  int year, month, day; /* month and day 0 when absent */
  int64_t first, last;  /* days since 1970-01-01 covered by it */
} cal;

static bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int y, int m) {
  static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/* Parses "YYYY", "YYYY-MM" or "YYYY-MM-DD" (years 0001-9999, as
 * Timestamp's range). @return false when malformed or not a real date. */
static bool cal_parse(const char *s, cal *out) {
  size_t len = strlen(s);
  memset(out, 0, sizeof *out);
  if (len != 4 && len != 7 && len != 10) return false;
  out->year = digits(s, 4);
  if (out->year < 1) return false;
  if (len >= 7 && (s[4] != '-' || (out->month = digits(s + 5, 2)) < 1 || out->month > 12))
    return false;
  if (len == 10 && (s[7] != '-' || (out->day = digits(s + 8, 2)) < 1 ||
                    out->day > month_days(out->year, out->month)))
    return false;
  int m0 = out->month ? out->month : 1, m1 = out->month ? out->month : 12;
  out->first = days_from_civil(out->year, m0, out->day ? out->day : 1);
  out->last = days_from_civil(out->year, m1, out->day ? out->day : month_days(out->year, m1));
  return true;
}

/* Checks the date in `field` (at the current path); @return true when it is
 * set and valid (then *out holds it). */
static bool check_date(vctx *c, const char *field, const char *s, cal *out) {
  if (!s || !s[0]) return false;
  if (cal_parse(s, out)) return true;
  push(c, field, SIZE_MAX);
  report(c, RULE_DATE_INVALID, "\"%.40s\" is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", s);
  pop(c);
  return false;
}

/* Day (since 1970-01-01, UTC) of a Timestamp. */
static int64_t ts_day(const Google__Protobuf__Timestamp *t) {
  int64_t s = t->seconds;
  return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

static void put_ts_date(char *buf, size_t size, int64_t day) {
  /* civil_from_days, for the message */
  day += 719468;
  int64_t era = (day >= 0 ? day : day - 146096) / 146097;
  int64_t doe = day - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = (int)(doy - (153 * mp + 2) / 5 + 1), m = (int)(mp < 10 ? mp + 3 : mp - 9);
  int64_t y = yoe + era * 400 + (m <= 2);
  snprintf(buf, size, "%04" PRId64 "-%02d-%02d", y, m, d);
}

/* An instant and a date of the same fact (`at_field`, `date_field`): both
 * set must agree within a day either way (the date may be local time). */
static void check_instant_date(vctx *c, const Google__Protobuf__Timestamp *at,
                               const char *at_field, const char *date, const char *date_field) {
  cal d;
  if (!check_date(c, date_field, date, &d) || !at) return;
  int64_t day = ts_day(at);
  if (day >= d.first - 1 && day <= d.last + 1) return;
  char when[32];
  put_ts_date(when, sizeof when, day);
  push(c, date_field, SIZE_MAX);
  report(c, RULE_DATE_MISMATCH, "%s is %s, more than a day from %s", at_field, when, date);
  pop(c);
}

static void check_event_dates(vctx *c, const Evrec__V1__Event *e) {
  cal s, t;
  bool has_s = check_date(c, "startDate", e->start_date, &s);
  bool has_t = check_date(c, "endDate", e->end_date, &t);
  if (e->end_date[0] && !e->start_date[0]) {
    push(c, "endDate", SIZE_MAX);
    report(c, RULE_DATE_END_WITHOUT_START, "end date %.40s but no start date", e->end_date);
    pop(c);
  }
  if (has_s && has_t && t.last < s.first) {
    push(c, "endDate", SIZE_MAX);
    report(c, RULE_DATE_END_BEFORE_START, "end date %s is before the start date %s", e->end_date,
           e->start_date);
    pop(c);
  }
  if (!e->occurred_at || !has_s) return;
  int64_t day = ts_day(e->occurred_at), last = has_t && t.last >= s.first ? t.last : s.last;
  if (day >= s.first - 1 && day <= last + 1) return;
  char when[32];
  put_ts_date(when, sizeof when, day);
  push(c, "occurredAt", SIZE_MAX);
  report(c, RULE_DATE_MISMATCH, "occurredAt is %s, outside the event's dates %s..%s", when,
         e->start_date, e->end_date[0] ? e->end_date : e->start_date);
  pop(c);
}

/* ====================================================================== */
/* Rule checks: codes                                                     */
/* ====================================================================== */


static void check_language(vctx *c, const char *field, const char *tag) {
  if (!tag || !tag[0]) return;
  push(c, field, SIZE_MAX);
  size_t primary = strcspn(tag, "-");
  if (!evrec__bcp47_well_formed(tag))
    report(c, RULE_LANGUAGE_INVALID_TAG, "\"%.40s\" is not a BCP 47 language tag", tag);
  else if (primary >= 2 && !evrec__language_known(tag, primary)) /* 4-8 letters: none registered */
    report(c, RULE_LANGUAGE_UNKNOWN, "\"%.*s\"%s%.40s%s is not an ISO 639 language code",
           (int)primary, tag, tag[primary] ? " in \"" : "", tag[primary] ? tag : "",
           tag[primary] ? "\"" : "");
  pop(c);
}

static void check_country(vctx *c, const char *field, const char *code) {
  if (!code || !code[0] || evrec__country_known(code)) return;
  push(c, field, SIZE_MAX);
  report(c, RULE_COUNTRY_UNKNOWN_CODE, "\"%.40s\" is not an ISO 3166-1 alpha-3 country code",
         code);
  pop(c);
}

static void check_wikidata(vctx *c, const char *id) {
  if (!id || !id[0]) return;
  size_t n = strlen(id);
  if (id[0] == 'Q' && n >= 2 && n <= 20 && id[1] != '0' && evrec__all_of(id + 1, n - 1, evrec__is_digit))
    return;
  push(c, "wikidataId", SIZE_MAX);
  report(c, RULE_WIKIDATA_INVALID_ID, "\"%.40s\" is not a Wikidata id (Q and a number)", id);
  pop(c);
}

static bool no_blanks(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s <= 0x20 || *s == 0x7f) return false;
  return true;
}

/* "scheme:rest" with an RFC 3986 scheme and no blank or control byte. */
static bool uri_ok(const char *s) {
  if (!evrec__is_alpha(s[0])) return false;
  size_t i = 1;
  while (evrec__is_alnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.') i++;
  return s[i] == ':' && s[i + 1] && no_blanks(s);
}

/* @return strlen(p) when s starts with the lower-case ASCII p in any case, else 0. */
static size_t prefix_ci(const char *s, const char *p) {
  size_t i = 0;
  for (; p[i]; i++)
    if ((s[i] | 0x20) != p[i]) return 0;
  return i;
}

/* An absolute http(s) URL with a host. */
static bool url_ok(const char *s) {
  size_t skip = prefix_ci(s, "https://");
  if (!skip) skip = prefix_ci(s, "http://");
  if (!skip || !no_blanks(s)) return false;
  size_t host = strcspn(s + skip, "/?#");
  const char *at = memchr(s + skip, '@', host); /* userinfo@host */
  return host > 0 && (!at || at + 1 < s + skip + host);
}

static void check_url(vctx *c, const char *field, const char *s) {
  if (!s || !s[0] || url_ok(s)) return;
  push(c, field, SIZE_MAX);
  report(c, RULE_URL_INVALID, "\"%.60s\" is not an absolute http(s) URL", s);
  pop(c);
}

static void check_uri(vctx *c, const char *field, size_t index, const char *s) {
  if (!s || !s[0] || uri_ok(s)) return;
  push(c, field, index);
  report(c, RULE_URI_INVALID, "\"%.60s\" is not an absolute URI", s);
  pop(c);
}

static void check_enum(vctx *c, const char *field, size_t index,
                       const ProtobufCEnumDescriptor *d, int value) {
  if (value == 0 || protobuf_c_enum_descriptor_get_value(d, value)) return;
  push(c, field, index);
  report(c, RULE_ENUM_UNKNOWN_VALUE, "%d is not a value of %s", value, d->name);
  pop(c);
}

/* "<domain>/<name>": a DNS name with a dot (or the project's own "evrec"),
 * then a non-empty name. */
static bool ext_key_ok(const char *k) {
  const char *slash = strchr(k, '/');
  if (!slash || slash == k || !slash[1]) return false;
  size_t n = (size_t)(slash - k);
  if (n == 5 && memcmp(k, "evrec", 5) == 0) return true;
  if (!memchr(k, '.', n) || k[0] == '.' || k[n - 1] == '.' || k[0] == '-') return false;
  for (size_t i = 0; i < n; i++)
    if (!evrec__is_alnum(k[i]) && k[i] != '.' && k[i] != '-') return false;
  return !strstr(k, "..");
}

/* The extensions map of an entity (entries of any *ExtensionsEntry type:
 * they all are {base, key, value}). */
_Static_assert(offsetof(Evrec__V1__Actor__ExtensionsEntry, key) ==
                       offsetof(Evrec__V1__Record__ExtensionsEntry, key) &&
                   offsetof(Evrec__V1__Place__ExtensionsEntry, key) ==
                       offsetof(Evrec__V1__Record__ExtensionsEntry, key) &&
                   offsetof(Evrec__V1__Event__ExtensionsEntry, key) ==
                       offsetof(Evrec__V1__Record__ExtensionsEntry, key) &&
                   offsetof(Evrec__V1__Claim__ExtensionsEntry, key) ==
                       offsetof(Evrec__V1__Record__ExtensionsEntry, key),
               "map entries keep their key at the same place");
static void check_extensions(vctx *c, size_t n, void *const *entries) {
  for (size_t i = 0; i < n; i++) {
    const Evrec__V1__Record__ExtensionsEntry *e = entries[i];
    if (ext_key_ok(e->key)) continue;
    push_key(c, "extensions", e->key);
    report(c, RULE_EXTENSION_KEY_INVALID, "key \"%.60s\" is not namespaced as "
           "\"<domain>/<name>\"", e->key);
    pop(c);
  }
}

/* ====================================================================== */
/* Rule checks: ranges                                                    */
/* ====================================================================== */

/* A double wrapper in `field` must lie in [lo, hi]. */
static void check_range(vctx *c, int rule, const char *field,
                        const Google__Protobuf__DoubleValue *w, double lo, double hi,
                        const char *what) {
  if (!w || (w->value >= lo && w->value <= hi)) return; /* NaN fails both */
  push(c, field, SIZE_MAX);
  report(c, rule, "%s %.15g is outside %g..%g", what, w->value, lo, hi);
  pop(c);
}

static void check_point(vctx *c, const Evrec__V1__GeoPoint *p) {
  if (!p) return;
  push(c, "point", SIZE_MAX);
  Google__Protobuf__DoubleValue lat = {.value = p->latitude}, lon = {.value = p->longitude};
  check_range(c, RULE_GEO_OUT_OF_RANGE, "latitude", &lat, -90, 90, "latitude");
  check_range(c, RULE_GEO_OUT_OF_RANGE, "longitude", &lon, -180, 180, "longitude");
  pop(c);
}

#define COUNT_PLAUSIBLE 100000000u

static void check_count(vctx *c, const char *field, const Google__Protobuf__UInt32Value *w) {
  if (!w || w->value < COUNT_PLAUSIBLE) return;
  push(c, field, SIZE_MAX);
  report(c, RULE_COUNT_IMPLAUSIBLE, "%" PRIu32 " is not a plausible count (100 million or more)",
         w->value);
  pop(c);
}

/* A plain decimal number ("4", "-1.5"); locale-independent, unlike strtod.
 * @return false when s is not one. */
static bool parse_number(const char *s, double *out) {
  double v = 0, scale = 1;
  bool neg = *s == '-', any = false, frac = false;
  if (*s == '-' || *s == '+') s++;
  for (; *s; s++) {
    if (*s == '.' && !frac) {
      frac = true;
      continue;
    }
    if (!evrec__is_digit(*s)) return false;
    any = true;
    if (frac) scale /= 10, v += (*s - '0') * scale;
    else v = v * 10 + (*s - '0');
  }
  *out = neg ? -v : v;
  return any;
}

/* A numeric rating inside its scale, when the scale is given. Ratings are
 * strings (some reviewers print words); only numbers are checked. */
static void check_rating(vctx *c, const Evrec__V1__Review *r) {
  double v, best = 0, worst = 0; /* zeroed for gcc -O3 (maybe-uninitialized) */
  if (!parse_number(r->rating_value, &v)) return;
  bool has_best = parse_number(r->best_rating, &best);
  bool has_worst = parse_number(r->worst_rating, &worst);
  if (!has_best && !has_worst) return;
  double lo = has_worst ? worst : -INFINITY, hi = has_best ? best : INFINITY;
  if (has_best && has_worst && lo > hi) lo = best, hi = worst; /* a descending scale */
  if (v >= lo && v <= hi) return;
  push(c, "ratingValue", SIZE_MAX);
  report(c, RULE_RATING_OUT_OF_SCALE, "rating %s is outside the scale %s..%s", r->rating_value,
         has_worst ? r->worst_rating : "", has_best ? r->best_rating : "");
  pop(c);
}

/* ====================================================================== */
/* Events                                                                 */
/* ====================================================================== */

/* What an event's types say, gathered for the cross-field rules. */
typedef struct typeinfo {
  int cameo_quad;                      /* quad class of the first CAMEO root, 0 none */
  const char *cameo_code;
  const evrec__plover_category *plover; /* the first known PLOVER category */
} typeinfo;

static void check_type(vctx *c, const Evrec__V1__EventType *t, typeinfo *ti) {
  check_enum(c, "scheme", SIZE_MAX, &evrec__v1__event_scheme__descriptor, (int)t->scheme);
  bool has_code = t->code && t->code[0];
  if (!has_code || t->scheme == EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_UNSPECIFIED ||
      (t->scheme == EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_OTHER && !t->scheme_name[0]))
    report(c, RULE_EVENT_TYPE_INCOMPLETE, "%s", !has_code ? "event type without a code"
           : t->scheme == EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_OTHER
               ? "event type of scheme OTHER without a schemeName"
               : "event type without a scheme");
  if (!has_code) return;
  push(c, "code", SIZE_MAX);
  if (t->scheme == EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_CAMEO) {
    if (!evrec__cameo_find(t->code))
      report(c, RULE_CAMEO_UNKNOWN_CODE, "\"%.40s\" is not a CAMEO event code", t->code);
    else if (!ti->cameo_quad)
      ti->cameo_quad = evrec__cameo_quad_class(t->code), ti->cameo_code = t->code;
  } else if (t->scheme == EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_PLOVER) {
    const evrec__plover_category *p = evrec__plover_find(t->code);
    if (!p) report(c, RULE_PLOVER_UNKNOWN_CATEGORY, "\"%.40s\" is not a PLOVER 2.0 category",
                   t->code);
    else if (!ti->plover) ti->plover = p;
  }
  pop(c);
}

static void modes_list(const evrec__plover_category *p, char *buf, size_t size) {
  size_t n = 0;
  buf[0] = '\0';
  for (int i = 0; i < p->n_modes; i++) {
    if (i) put_str(buf, size, &n, ", ", 2);
    put_str(buf, size, &n, p->modes[i], strlen(p->modes[i]));
  }
}

static void check_mode_contexts(vctx *c, const Evrec__V1__Event *e, const typeinfo *ti) {
  if (e->mode[0]) {
    char modes[200];
    push(c, "mode", SIZE_MAX);
    if (ti->plover && !evrec__plover_has_mode(ti->plover, e->mode)) {
      modes_list(ti->plover, modes, sizeof modes);
      report(c, RULE_PLOVER_UNKNOWN_MODE, "\"%.40s\" is not a mode of PLOVER %s (%s%s)", e->mode,
             ti->plover->name, ti->plover->n_modes ? "modes: " : "it has no modes", modes);
    } else if (!ti->plover && !evrec__plover_any_mode(e->mode)) {
      report(c, RULE_PLOVER_UNKNOWN_MODE, "\"%.40s\" is not a PLOVER 2.0 mode", e->mode);
    }
    pop(c);
  }
  for (size_t k = 0; k < e->n_contexts; k++) {
    if (evrec__plover_context_known(e->contexts[k])) continue;
    push(c, "contexts", k);
    report(c, RULE_PLOVER_UNKNOWN_CONTEXT, "\"%.40s\" is not a PLOVER 2.0 context",
           e->contexts[k]);
    pop(c);
  }
}

static const char *quad_name(int q) {
  const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
      &evrec__v1__quad_class__descriptor, q);
  return v ? v->name : "?";
}

static void check_quad_recipient(vctx *c, const Evrec__V1__Event *e, const typeinfo *ti) {
  int q = (int)e->quad_class, want = ti->cameo_quad ? ti->cameo_quad
                                     : ti->plover ? ti->plover->quad_class : 0;
  if (q && want && q != want) {
    push(c, "quadClass", SIZE_MAX);
    if (ti->cameo_quad)
      report(c, RULE_QUAD_CLASS_MISMATCH, "%s does not match CAMEO %s (root %.2s: %s)",
             quad_name(q), ti->cameo_code, ti->cameo_code, quad_name(want));
    else
      report(c, RULE_QUAD_CLASS_MISMATCH, "%s does not match PLOVER %s (%s)", quad_name(q),
             ti->plover->name, quad_name(want));
    pop(c);
  }
  if (!ti->plover || !ti->plover->requires_recipient) return;
  for (size_t i = 0; i < e->n_participants; i++)
    if (e->participants[i]->role == EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_RECIPIENT)
      return;
  push(c, "participants", SIZE_MAX);
  report(c, RULE_PLOVER_RECIPIENT_MISSING, "PLOVER %s requires a RECIPIENT participant",
         ti->plover->name);
  pop(c);
}

static void check_participant(vctx *c, const refs *r, const Evrec__V1__Participant *p) {
  ref_actor(c, r, "actorId", p->actor_id, false);
  check_enum(c, "role", SIZE_MAX, &evrec__v1__participant_role__descriptor, (int)p->role);
  if (!p->role)
    report(c, RULE_PARTICIPANT_ROLE_MISSING, "participant without a role (ACTOR, RECIPIENT or ASSOCIATED)");
  ref_place(c, r, "placeId", p->place_id);
  ref_actor(c, r, "associatedWith", p->associated_with, true);
}

static void check_counts(vctx *c, const Evrec__V1__Counts *k) {
  if (!k) return;
  push(c, "counts", SIZE_MAX);
  check_count(c, "fatalities", k->fatalities);
  check_count(c, "injured", k->injured);
  check_count(c, "arrested", k->arrested);
  check_count(c, "crowdSize", k->crowd_size);
  pop(c);
}

/* Evidence mentions of an event or a claim. */
static int check_evidence(vctx *c, size_t n, Evrec__V1__Mention *const *m) {
  for (size_t k = 0; k < n; k++) {
    push(c, "evidence", k);
    int rc = check_mention(c, m[k]);
    check_range(c, RULE_CONFIDENCE_OUT_OF_RANGE, "confidence", m[k]->confidence, 0, 1,
                "confidence");
    pop(c);
    if (rc) return rc;
  }
  return EVREC_OK;
}

static int check_event(vctx *c, const refs *r, const Evrec__V1__Event *e) {
  typeinfo ti = {0, NULL, NULL};
  if (!e->n_types) report(c, RULE_EVENT_TYPE_MISSING, "event %.40s has no type", e->id);
  for (size_t k = 0; k < e->n_types; k++) {
    push(c, "types", k);
    check_type(c, e->types[k], &ti);
    pop(c);
  }
  check_mode_contexts(c, e, &ti);
  for (size_t k = 0; k < e->n_modality; k++)
    check_enum(c, "modality", k, &evrec__v1__modality__descriptor, (int)e->modality[k]);
  for (size_t k = 0; k < e->n_participants; k++) {
    push(c, "participants", k);
    check_participant(c, r, e->participants[k]);
    pop(c);
  }
  ref_place(c, r, "placeId", e->place_id);
  check_event_dates(c, e);
  check_enum(c, "quadClass", SIZE_MAX, &evrec__v1__quad_class__descriptor, (int)e->quad_class);
  check_quad_recipient(c, e, &ti);
  check_range(c, RULE_GOLDSTEIN_OUT_OF_RANGE, "goldstein", e->goldstein, -10, 10, "Goldstein score");
  check_counts(c, e->counts);
  int rc = check_evidence(c, e->n_evidence, e->evidence);
  check_range(c, RULE_CONFIDENCE_OUT_OF_RANGE, "confidence", e->confidence, 0, 1, "confidence");
  check_range(c, RULE_TONE_OUT_OF_RANGE, "tone", e->tone, -100, 100, "tone");
  check_extensions(c, e->n_extensions, (void *const *)e->extensions);
  return rc;
}

/* ====================================================================== */
/* Actors, places, claims                                                 */
/* ====================================================================== */

static int check_actor(vctx *c, const refs *r, const Evrec__V1__Actor *a) {
  check_enum(c, "kind", SIZE_MAX, &evrec__v1__actor_kind__descriptor, (int)a->kind);
  check_country(c, "country", a->country);
  check_wikidata(c, a->wikidata_id);
  for (size_t k = 0; k < a->n_same_as; k++) check_uri(c, "sameAs", k, a->same_as[k]);
  for (size_t k = 0; k < a->n_mentions; k++) {
    push(c, "mentions", k);
    int rc = check_span(c, a->mentions[k], NULL, NULL, NULL);
    pop(c);
    if (rc) return rc;
  }
  ref_actor_list(c, r, "affiliationIds", a->affiliation_ids, a->n_affiliation_ids);
  check_extensions(c, a->n_extensions, (void *const *)a->extensions);
  return EVREC_OK;
}

static int check_place(vctx *c, const Evrec__V1__Place *p) {
  int rc = check_span(c, p->mention, "mention", NULL, NULL);
  check_country(c, "country", p->country);
  check_point(c, p->point);
  check_enum(c, "precision", SIZE_MAX, &evrec__v1__place_precision__descriptor,
             (int)p->precision);
  check_wikidata(c, p->wikidata_id);
  check_extensions(c, p->n_extensions, (void *const *)p->extensions);
  return rc;
}

static void check_publisher(vctx *c, const refs *r, const char *field,
                            const Evrec__V1__Publisher *p) {
  if (!p) return;
  push(c, field, SIZE_MAX);
  check_url(c, "url", p->url);
  check_country(c, "country", p->country);
  ref_actor(c, r, "actorId", p->actor_id, true);
  pop(c);
}

static void check_review(vctx *c, const refs *r, const Evrec__V1__Review *v) {
  check_publisher(c, r, "reviewer", v->reviewer);
  check_url(c, "url", v->url);
  check_instant_date(c, v->published_at, "publishedAt", v->published_date, "publishedDate");
  check_language(c, "language", v->language);
  check_rating(c, v);
  check_enum(c, "verdict", SIZE_MAX, &evrec__v1__verdict__descriptor, (int)v->verdict);
}

static void check_claim_links(vctx *c, const refs *r, const Evrec__V1__Claim *k) {
  ref_actor(c, r, "claimantId", k->claimant_id, true);
  ref_actor_list(c, r, "addresseeIds", k->addressee_ids, k->n_addressee_ids);
  ref_place(c, r, "placeId", k->place_id);
  for (size_t i = 0; i < k->n_about_event_ids; i++) {
    push(c, "aboutEventIds", i);
    ref_event(c, r, NULL, k->about_event_ids[i]);
    pop(c);
  }
}

static int check_claim(vctx *c, const refs *r, const Evrec__V1__Claim *k) {
  int rc = EVREC_OK;
  check_claim_links(c, r, k);
  if (k->quote) {
    push(c, "quote", SIZE_MAX);
    rc = check_span(c, k->quote->span, "span", k->quote->text, "text");
    check_language(c, "language", k->quote->language);
    pop(c);
  }
  check_instant_date(c, k->stated_at, "statedAt", k->stated_date, "statedDate");
  check_enum(c, "attribution", SIZE_MAX, &evrec__v1__attribution__descriptor,
             (int)k->attribution);
  check_enum(c, "stance", SIZE_MAX, &evrec__v1__stance__descriptor, (int)k->stance);
  if (rc == EVREC_OK) rc = check_evidence(c, k->n_evidence, k->evidence);
  for (size_t i = 0; i < k->n_appearances; i++) {
    const Evrec__V1__Appearance *a = k->appearances[i];
    push(c, "appearances", i);
    check_url(c, "url", a->url);
    check_instant_date(c, a->published_at, "publishedAt", a->published_date, "publishedDate");
    pop(c);
  }
  for (size_t i = 0; i < k->n_reviews; i++) {
    push(c, "reviews", i);
    check_review(c, r, k->reviews[i]);
    pop(c);
  }
  check_extensions(c, k->n_extensions, (void *const *)k->extensions);
  return rc;
}

/* ====================================================================== */
/* Article, provenance, the record                                        */
/* ====================================================================== */

static void check_subjects(vctx *c, const char *field, size_t n, Evrec__V1__Subject *const *s) {
  for (size_t i = 0; i < n; i++) {
    push(c, field, i);
    check_uri(c, "uri", SIZE_MAX, s[i]->uri);
    pop(c);
  }
}

static void check_article_links(vctx *c, const refs *r, const Evrec__V1__Article *a) {
  check_publisher(c, r, "publisher", a->publisher);
  for (size_t i = 0; i < a->n_contributors; i++) {
    const Evrec__V1__Contributor *k = a->contributors[i];
    push(c, "contributors", i);
    check_enum(c, "role", SIZE_MAX, &evrec__v1__contributor_role__descriptor, (int)k->role);
    ref_actor(c, r, "actorId", k->actor_id, true);
    check_uri(c, "uri", SIZE_MAX, k->uri);
    pop(c);
  }
  if (a->dateline) {
    push(c, "dateline", SIZE_MAX);
    ref_place(c, r, "placeId", a->dateline->place_id);
    pop(c);
  }
}

static void check_article(vctx *c, const refs *r, const Evrec__V1__Article *a) {
  if (!a) return;
  push(c, "article", SIZE_MAX);
  check_uri(c, "uri", SIZE_MAX, a->uri);
  check_url(c, "canonicalUri", a->canonical_uri);
  check_enum(c, "kind", SIZE_MAX, &evrec__v1__article_kind__descriptor, (int)a->kind);
  check_enum(c, "pubStatus", SIZE_MAX, &evrec__v1__pub_status__descriptor, (int)a->pub_status);
  check_language(c, "language", a->language);
  check_instant_date(c, a->published_at, "publishedAt", a->published_date, "publishedDate");
  check_article_links(c, r, a);
  if (a->urgency && (a->urgency->value < 1 || a->urgency->value > 9)) {
    push(c, "urgency", SIZE_MAX);
    report(c, RULE_URGENCY_OUT_OF_RANGE, "urgency %" PRIu32 " is outside 1..9", a->urgency->value);
    pop(c);
  }
  check_subjects(c, "subjects", a->n_subjects, a->subjects);
  check_subjects(c, "genres", a->n_genres, a->genres);
  for (size_t i = 0; i < a->n_corrections; i++)
    check_enum(c, "corrections", i, &evrec__v1__correction_kind__descriptor,
               (int)a->corrections[i]->kind);
  if (a->rights) check_uri(c, "rights.licenseUri", SIZE_MAX, a->rights->license_uri);
  if (a->translation) {
    push(c, "translation", SIZE_MAX);
    check_language(c, "sourceLanguage", a->translation->source_language);
    check_uri(c, "sourceUri", SIZE_MAX, a->translation->source_uri);
    pop(c);
  }
  check_uri(c, "digitalSourceType", SIZE_MAX, a->digital_source_type);
  pop(c);
}

static void check_provenance(vctx *c, const Evrec__V1__Provenance *p) {
  if (!p) return;
  push(c, "provenance", SIZE_MAX);
  if (p->coder)
    check_enum(c, "coder.kind", SIZE_MAX, &evrec__v1__coder_kind__descriptor, (int)p->coder->kind);
  for (size_t i = 0; i < p->n_codebooks; i++) {
    push(c, "codebooks", i);
    check_uri(c, "uri", SIZE_MAX, p->codebooks[i]->uri);
    pop(c);
  }
  check_instant_date(c, p->coded_at, "codedAt", p->coded_date, "codedDate");
  if (p->dataset) check_uri(c, "dataset.uri", SIZE_MAX, p->dataset->uri);
  pop(c);
}

static void check_tombstone(vctx *c, const Evrec__V1__Record *rec) {
  if (rec->status != EVREC__V1__RECORD_STATUS__RECORD_STATUS_DELETED) return;
  if (!rec->article && !rec->n_actors && !rec->n_places && !rec->n_events && !rec->n_claims)
    return;
  report(c, RULE_TOMBSTONE_HAS_CONTENT, "a DELETED record (a tombstone) carries%s%s%s%s%s",
         rec->article ? " an article" : "", rec->n_actors ? " actors" : "",
         rec->n_places ? " places" : "", rec->n_events ? " events" : "",
         rec->n_claims ? " claims" : "");
}

/* Copies the id strings of n entities (each a struct whose first field
 * after `base` is `char *id`, as every evrec.v1 entity's is) into slot
 * `which` of the validator's scratch. */
_Static_assert(offsetof(Evrec__V1__Place, id) == offsetof(Evrec__V1__Actor, id) &&
                   offsetof(Evrec__V1__Event, id) == offsetof(Evrec__V1__Actor, id) &&
                   offsetof(Evrec__V1__Claim, id) == offsetof(Evrec__V1__Actor, id),
               "evrec.v1 entities keep their id at the same place");
static int id_view(evrec_validator *v, int which, void *const *ents, size_t n, idview *out) {
  if (!grow_array((void **)&v->ids[which], &v->ids_cap[which], n + 1, sizeof(char *)))
    return EVREC_E_NOMEM;
  for (size_t i = 0; i < n; i++)
    v->ids[which][i] = ((const Evrec__V1__Actor *)ents[i])->id;
  out->ids = v->ids[which];
  out->n = n;
  return EVREC_OK;
}

/* The id tables of a record. */
static int build_refs(vctx *c, refs *r) {
  const Evrec__V1__Record *rec = c->rec;
  evrec_validator *v = c->v;
  idview *views[K_COUNT] = {&r->actors, &r->places, &r->events, &r->claims};
  void *const *ents[K_COUNT] = {(void *const *)rec->actors, (void *const *)rec->places,
                                (void *const *)rec->events, (void *const *)rec->claims};
  size_t n[K_COUNT] = {rec->n_actors, rec->n_places, rec->n_events, rec->n_claims};
  for (int k = 0; k < K_COUNT; k++) {
    int rc = id_view(v, k, ents[k], n[k], views[k]);
    if (rc == EVREC_OK) rc = index_ids(&v->tab[k], views[k]->ids, n[k]);
    if (rc) return rc;
  }
  return EVREC_OK;
}

/* Each entity list: its ids, then each entity's own rules. */
static int check_actors(vctx *c, const refs *r) {
  const Evrec__V1__Record *rec = c->rec;
  int rc = EVREC_OK;
  for (size_t i = 0; rc == EVREC_OK && i < rec->n_actors; i++) {
    push(c, "actors", i);
    check_entity_id(c, &c->v->tab[K_ACTORS], r->actors.ids, i, "actors", "actor");
    rc = check_actor(c, r, rec->actors[i]);
    pop(c);
  }
  return rc;
}

static int check_places(vctx *c, const refs *r) {
  const Evrec__V1__Record *rec = c->rec;
  int rc = EVREC_OK;
  for (size_t i = 0; rc == EVREC_OK && i < rec->n_places; i++) {
    push(c, "places", i);
    check_entity_id(c, &c->v->tab[K_PLACES], r->places.ids, i, "places", "place");
    rc = check_place(c, rec->places[i]);
    pop(c);
  }
  return rc;
}

static int check_events(vctx *c, const refs *r) {
  const Evrec__V1__Record *rec = c->rec;
  int rc = EVREC_OK;
  for (size_t i = 0; rc == EVREC_OK && i < rec->n_events; i++) {
    push(c, "events", i);
    check_entity_id(c, &c->v->tab[K_EVENTS], r->events.ids, i, "events", "event");
    rc = check_event(c, r, rec->events[i]);
    pop(c);
  }
  return rc;
}

static int check_claims(vctx *c, const refs *r) {
  const Evrec__V1__Record *rec = c->rec;
  int rc = EVREC_OK;
  for (size_t i = 0; rc == EVREC_OK && i < rec->n_claims; i++) {
    push(c, "claims", i);
    check_entity_id(c, &c->v->tab[K_CLAIMS], r->claims.ids, i, "claims", "claim");
    rc = check_claim(c, r, rec->claims[i]);
    pop(c);
  }
  return rc;
}

static int check_record(vctx *c) {
  const Evrec__V1__Record *rec = c->rec;
  refs r;
  int rc = build_refs(c, &r);
  if (rc == EVREC_OK) rc = check_record_id(c);
  if (rc) return rc;
  check_enum(c, "status", SIZE_MAX, &evrec__v1__record_status__descriptor, (int)rec->status);
  check_tombstone(c, rec);
  check_article(c, &r, rec->article);
  rc = check_actors(c, &r);
  if (rc == EVREC_OK) rc = check_places(c, &r);
  if (rc == EVREC_OK) rc = check_events(c, &r);
  if (rc == EVREC_OK) rc = check_claims(c, &r);
  check_provenance(c, rec->provenance);
  check_extensions(c, rec->n_extensions, (void *const *)rec->extensions);
  return rc;
}

/* ====================================================================== */
/* Public API                                                             */
/* ====================================================================== */

/* Applies one rules/skip_rules list: each pattern must match a rule. */
static int select_rules(bool *on, const char *const *pats, size_t n, bool value,
                        evrec_error *err) {
  for (size_t i = 0; i < n; i++) {
    bool any = false;
    if (!pats || !pats[i])
      return evrec__err(err, EVREC_E_INVALID_ARG, "validate: NULL rule pattern");
    for (int r = 0; r < RULE_COUNT; r++)
      if (fnmatch(pats[i], rule_table[r].id, 0) == 0) on[r] = value, any = true;
    if (!any)
      return evrec__err(err, EVREC_E_INVALID_ARG, "no rule matches \"%.60s\" (see evrec_rules())",
                        pats[i]);
  }
  return EVREC_OK;
}

static int resolve_options(evrec_validator *v, const evrec_validate_options *o,
                           evrec_error *err) {
  evrec_validate_options defaults = EVREC_VALIDATE_OPTIONS_INIT;
  if (!o) o = &defaults;
  if (o->version != EVREC_VALIDATE_OPTIONS_VERSION)
    return evrec__err(err, EVREC_E_INVALID_ARG, "unsupported validate options version %u",
                      o->version);
  v->flags = o->flags;
  for (int r = 0; r < RULE_COUNT; r++) v->on[r] = o->n_rules == 0;
  int rc = select_rules(v->on, o->rules, o->n_rules, true, err);
  if (rc == EVREC_OK) rc = select_rules(v->on, o->skip_rules, o->n_skip_rules, false, err);
  for (int r = 0; r <= RULE_DECODE_DAMAGED; r++) v->on[r] = true; /* always reported */
  return rc;
}

int evrec_validator_new(evrec_validator **out, const evrec_validate_options *opts,
                        evrec_error *err) {
  if (!out) return evrec__err(err, EVREC_E_INVALID_ARG, "validate: NULL argument");
  *out = NULL;
  evrec_validator *v = calloc(1, sizeof *v);
  if (!v) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  int rc = resolve_options(v, opts, err);
  if (rc) {
    free(v);
    return rc;
  }
  *out = v;
  return EVREC_OK;
}

void evrec_validator_reset(evrec_validator *v) {
  if (!v) return;
  free(v->seen);
  v->seen = NULL;
  v->seen_cap = v->seen_n = 0;
}

void evrec_validator_free(evrec_validator *v) {
  if (!v) return;
  evrec_validator_reset(v);
  for (int k = 0; k < K_COUNT; k++) {
    free(v->tab[k].slot);
    free(v->ids[k]);
  }
  free(v->marks);
  free(v);
}

static bool is_record(const ProtobufCMessage *m) {
  const ProtobufCMessageDescriptor *d = m->descriptor, *want = &evrec__v1__record__descriptor;
  return d == want ||
         (d && strcmp(d->name, want->name) == 0 && d->sizeof_message == want->sizeof_message);
}

int evrec_validator_check(evrec_validator *v, const ProtobufCMessage *record, uint64_t index,
                          evrec_validate_stats *stats, evrec_violation_fn fn, void *payload,
                          evrec_error *err) {
  if (!v || !record) return evrec__err(err, EVREC_E_INVALID_ARG, "validate: NULL argument");
  if (!is_record(record))
    return evrec__err(err, EVREC_E_INVALID_ARG, "validate: %s is not an evrec.v1.Record",
                      record->descriptor ? record->descriptor->name : "message");
  vctx c;
  memset(&c, 0, sizeof c);
  c.v = v;
  c.rec = (const Evrec__V1__Record *)record;
  c.index = index;
  c.stats = stats;
  c.fn = fn;
  c.payload = payload;
  int rc = check_record(&c);
  if (stats) {
    stats->records++;
    stats->invalid += c.invalid;
  }
  if (rc) return evrec__err(err, rc, "out of memory");
  return c.stopped ? EVREC_STOPPED : EVREC_OK;
}

int evrec_validate(const ProtobufCMessage *record, const evrec_validate_options *opts,
                   evrec_validate_stats *stats, evrec_violation_fn fn, void *payload,
                   evrec_error *err) {
  evrec_validator *v;
  int rc = evrec_validator_new(&v, opts, err);
  if (rc) return rc;
  rc = evrec_validator_check(v, record, 0, stats, fn, payload, err);
  evrec_validator_free(v);
  return rc;
}

/* ---------------------------------------------------------------------- */
/* Streams                                                                */
/* ---------------------------------------------------------------------- */

static int decode_rule(int code) {
  switch (code) {
  case EVREC_E_SCHEMA:
  case EVREC_E_UNSUPPORTED: return RULE_DECODE_SCHEMA;
  case EVREC_E_RANGE: return RULE_DECODE_RANGE;
  case EVREC_E_UTF8: return RULE_DECODE_UTF8;
  case EVREC_E_LIMIT: return RULE_DECODE_LIMIT;
  case EVREC_E_CORRUPT: return RULE_DECODE_DAMAGED;
  case EVREC_E_SYNTAX:
  case EVREC_E_TRUNCATED: return RULE_DECODE_SYNTAX;
  default: return -1; /* I/O, memory, format: not about a record */
  }
}

int evrec__validate_decode_error(int code, const evrec_error *e, evrec_validate_stats *st,
                                 evrec_violation_fn fn, void *payload) {
  int rule = decode_rule(code);
  if (rule < 0) return -1;
  evrec_violation viol = {rule_table[rule].id, EVREC_SEVERITY_ERROR, e->record, "", e->path,
                          e->message, e};
  st->errors++;
  st->invalid++;
  if (rule != RULE_DECODE_DAMAGED) st->records++; /* a damaged block's records are unknown */
  return fn && fn(&viol, payload) != 0;
}

/* The loop of evrec_validate_reader(). */
static int validate_stream(evrec_validator *v, evrec_reader *r, evrec_validate_stats *st,
                           evrec_violation_fn fn, void *payload, evrec_error *err) {
  const ProtobufCMessage *msg;
  evrec_error e;
  for (;;) {
    int rc = evrec_reader_next(r, &msg, &e);
    if (rc == EVREC_DONE) return EVREC_OK;
    if (rc == EVREC_OK) {
      rc = evrec_validator_check(v, msg, evrec_reader_count(r) - 1, st, fn, payload, err);
      if (rc) return rc;
      continue;
    }
    int d = evrec__validate_decode_error(rc, &e, st, fn, payload);
    if (d > 0) return EVREC_STOPPED;
    if (d < 0 || evrec__reader_sticky(r)) { /* the reader cannot go on */
      if (err) *err = e;
      return rc;
    }
  }
}

int evrec_validate_reader(evrec_reader *r, const evrec_validate_options *opts,
                          evrec_validate_stats *stats, evrec_violation_fn fn, void *payload,
                          evrec_error *err) {
  evrec_validate_stats local;
  evrec_validator *v;
  if (!r) return evrec__err(err, EVREC_E_INVALID_ARG, "validate: NULL reader");
  if (!stats) stats = &local;
  memset(stats, 0, sizeof *stats);
  int rc = evrec_validator_new(&v, opts, err);
  if (rc) return rc;
  rc = validate_stream(v, r, stats, fn, payload, err);
  evrec_validator_free(v);
  return rc;
}
