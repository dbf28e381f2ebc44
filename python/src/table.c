/*
 * table.c -- the columns of evrec.read_table(): one row per entity
 * (event, actor, place, claim, article) with its record id and the joined
 * columns a researcher expects, built straight from the decoded records
 * (no dicts) into one Python list per column. evrec/__init__.py makes the
 * DataFrame and sets the dtypes; python/README.md documents every column.
 *
 * References resolve inside the record, as the schema says: an event's
 * place_id names a Place of the same record, its source is the first
 * participant with role ACTOR and its target the first with role
 * RECIPIENT, each an Actor of the record. A reference that does not
 * resolve leaves the joined columns empty (None).
 *
 * Conventions: an absent string, wrapper or sub-message is None; enums are
 * their value names without the type's prefix ("PERSON"), None when
 * unspecified, except quad_class, the number 1-4 GDELT users know;
 * repeated strings are joined with ';'; timestamps are nanoseconds since
 * the epoch (int), which the Python side turns into datetime64[ns, UTC]
 * -- a timestamp outside that type's range (1677-09-21 .. 2262-04-11)
 * raises evrec.RangeError rather than being lost.
 */
#include "evrecpy.h"

#include <string.h>

#include "evrec/v1/evrec.pb-c.h"

/* ====================================================================== */
/* Column specs                                                           */
/* ====================================================================== */

static const char *const events_cols[] = {
    "record_id", "event_id", "cameo_code", "cameo_label", "plover_code", "plover_label",
    "mode", "contexts", "quad_class", "goldstein", "confidence", "tone", "start_date",
    "end_date", "occurred_at", "place_id", "place_name", "place_country", "place_admin1",
    "latitude", "longitude", "source_id", "source_name", "source_country",
    "source_cameo_code", "target_id", "target_name", "target_country", "target_cameo_code",
    "fatalities", "injured", "arrested", "crowd_size", "cluster_id", "is_root", "summary",
    "published_at", NULL};

static const char *const actors_cols[] = {
    "record_id", "actor_id", "name", "kind", "country", "cameo_code", "wikidata_id", "title",
    "sectors", "aliases", "mentions", "published_at", NULL};

static const char *const places_cols[] = {
    "record_id", "place_id", "name", "country", "admin1", "admin2", "geonames_id",
    "feature_code", "latitude", "longitude", "precision", "wikidata_id", NULL};

static const char *const claims_cols[] = {
    "record_id", "claim_id", "claimant_id", "claimant_name", "text", "quote",
    "reporting_verb", "medium", "stated_at", "stated_date", "place_id", "place_name",
    "attribution", "stance", "about_event_ids", "verdict", "textual_rating", "reviewer",
    "reviews", "published_at", NULL};

static const char *const articles_cols[] = {
    "record_id", "revision", "status", "updated_at", "uri", "headline", "language", "kind",
    "published_at", "published_date", "publisher", "publisher_domain", "publisher_country",
    "byline", "section", "actors", "places", "events", "claims", NULL};

typedef enum { T_EVENTS, T_ACTORS, T_PLACES, T_CLAIMS, T_ARTICLES, T_N } table_kind;

const char *const evpy_table_names[] = {"events", "actors", "places", "claims", "articles", NULL};
static const char *const *const table_cols[T_N] = {events_cols, actors_cols, places_cols,
                                                   claims_cols, articles_cols};

struct evpy_table {
  table_kind kind;
  size_t ncols;
  PyObject **cols; /* one list per column */
  size_t at;       /* column of the next value of the row being added */
  int failed;
};

/* ====================================================================== */
/* Rows                                                                   */
/* ====================================================================== */

/* Appends v (a new reference, stolen; NULL = failed) to the next column. */
static void put(evpy_table *t, PyObject *v) {
  if (!v) {
    t->failed = 1;
    return;
  }
  if (!t->failed && (t->at >= t->ncols || PyList_Append(t->cols[t->at], v))) t->failed = 1;
  t->at++;
  Py_DECREF(v);
}

static void put_none(evpy_table *t) { put(t, Py_NewRef(Py_None)); }

static void put_str(evpy_table *t, const char *s) {
  if (!s || !*s) put_none(t);
  else put(t, PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), NULL));
}

static void put_joined(evpy_table *t, char *const *v, size_t n) {
  if (!n) {
    put_none(t);
    return;
  }
  PyObject *list = PyList_New((Py_ssize_t)n);
  for (size_t i = 0; list && i < n; i++) {
    PyObject *s = PyUnicode_DecodeUTF8(v[i] ? v[i] : "", (Py_ssize_t)strlen(v[i] ? v[i] : ""), NULL);
    if (!s) Py_CLEAR(list);
    else PyList_SET_ITEM(list, (Py_ssize_t)i, s);
  }
  PyObject *sep = list ? PyUnicode_FromString(";") : NULL;
  PyObject *r = sep ? PyUnicode_Join(sep, list) : NULL;
  Py_XDECREF(sep);
  Py_XDECREF(list);
  put(t, r);
}

static void put_u64(evpy_table *t, uint64_t v) { put(t, PyLong_FromUnsignedLongLong(v)); }

static void put_double_w(evpy_table *t, const Google__Protobuf__DoubleValue *w) {
  if (!w) put_none(t);
  else put(t, PyFloat_FromDouble(w->value));
}

static void put_u32_w(evpy_table *t, const Google__Protobuf__UInt32Value *w) {
  if (!w) put_none(t);
  else put(t, PyLong_FromUnsignedLong(w->value));
}

static void put_bool(evpy_table *t, int v) { put(t, PyBool_FromLong(v)); }

/* Enum value v of type ed by its short name; None when 0. */
static void put_enum(evpy_table *t, const ProtobufCEnumDescriptor *ed, int v) {
  if (v == 0) {
    put_none(t);
    return;
  }
  const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);
  if (!ev) {
    put(t, PyLong_FromLong(v));
    return;
  }
  PyObject *s = evpy_enum_name(ed, ev, 1);
  put(t, s ? Py_NewRef(s) : NULL);
}

/* Nanoseconds since the epoch, within datetime64[ns]. */
static void put_time(evpy_table *t, const Google__Protobuf__Timestamp *ts, const char *what) {
  if (!ts) {
    put_none(t);
    return;
  }
  const int64_t lim = INT64_MAX / 1000000000 - 1;
  if (ts->seconds < -lim || ts->seconds > lim || ts->nanos < 0 || ts->nanos > 999999999) {
    if (!t->failed)
      evpy_raise_msg(EVREC_E_RANGE, "%s: timestamp of %lld seconds is outside the range of "
                     "pandas' datetime64[ns] (1677-09-21 to 2262-04-11)", what, (long long)ts->seconds);
    t->failed = 1;
    t->at++;
    return;
  }
  put(t, PyLong_FromLongLong(ts->seconds * 1000000000 + ts->nanos));
}

/* ====================================================================== */
/* Lookups inside a record                                                */
/* ====================================================================== */

static int same(const char *a, const char *b) { return a && b && *a && strcmp(a, b) == 0; }

static const Evrec__V1__Actor *actor_by_id(const Evrec__V1__Record *r, const char *id) {
  for (size_t i = 0; id && *id && i < r->n_actors; i++)
    if (same(r->actors[i]->id, id)) return r->actors[i];
  return NULL;
}

static const Evrec__V1__Place *place_by_id(const Evrec__V1__Record *r, const char *id) {
  for (size_t i = 0; id && *id && i < r->n_places; i++)
    if (same(r->places[i]->id, id)) return r->places[i];
  return NULL;
}

static const Evrec__V1__EventType *type_of(const Evrec__V1__Event *e, Evrec__V1__EventScheme s) {
  for (size_t i = 0; i < e->n_types; i++)
    if (e->types[i]->scheme == s) return e->types[i];
  return NULL;
}

static const Evrec__V1__Participant *role_of(const Evrec__V1__Event *e, Evrec__V1__ParticipantRole ro) {
  for (size_t i = 0; i < e->n_participants; i++)
    if (e->participants[i]->role == ro) return e->participants[i];
  return NULL;
}

static const Google__Protobuf__Timestamp *published(const Evrec__V1__Record *r) {
  return r->article ? r->article->published_at : NULL;
}

/* ====================================================================== */
/* Tables                                                                 */
/* ====================================================================== */

static void put_actor_ref(evpy_table *t, const Evrec__V1__Record *r, const Evrec__V1__Participant *p) {
  const Evrec__V1__Actor *a = p ? actor_by_id(r, p->actor_id) : NULL;
  put_str(t, p ? p->actor_id : NULL);
  put_str(t, a ? a->name : NULL);
  put_str(t, a ? a->country : NULL);
  put_str(t, a ? a->cameo_code : NULL);
}

static void event_row(evpy_table *t, const Evrec__V1__Record *r, const Evrec__V1__Event *e) {
  const Evrec__V1__EventType *cameo = type_of(e, EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_CAMEO);
  const Evrec__V1__EventType *plover = type_of(e, EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_PLOVER);
  const Evrec__V1__Place *pl = place_by_id(r, e->place_id);
  const Evrec__V1__Counts *c = e->counts;
  put_str(t, r->id);
  put_str(t, e->id);
  put_str(t, cameo ? cameo->code : NULL);
  put_str(t, cameo ? cameo->label : NULL);
  put_str(t, plover ? plover->code : NULL);
  put_str(t, plover ? plover->label : NULL);
  put_str(t, e->mode);
  put_joined(t, e->contexts, e->n_contexts);
  if (e->quad_class) put(t, PyLong_FromLong(e->quad_class));
  else put_none(t);
  put_double_w(t, e->goldstein);
  put_double_w(t, e->confidence);
  put_double_w(t, e->tone);
  put_str(t, e->start_date);
  put_str(t, e->end_date);
  put_time(t, e->occurred_at, "events.occurredAt");
  put_str(t, e->place_id);
  put_str(t, pl ? pl->name : NULL);
  put_str(t, pl ? pl->country : NULL);
  put_str(t, pl ? pl->admin1 : NULL);
  if (pl && pl->point) {
    put(t, PyFloat_FromDouble(pl->point->latitude));
    put(t, PyFloat_FromDouble(pl->point->longitude));
  } else {
    put_none(t);
    put_none(t);
  }
  put_actor_ref(t, r, role_of(e, EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_ACTOR));
  put_actor_ref(t, r, role_of(e, EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_RECIPIENT));
  put_u32_w(t, c ? c->fatalities : NULL);
  put_u32_w(t, c ? c->injured : NULL);
  put_u32_w(t, c ? c->arrested : NULL);
  put_u32_w(t, c ? c->crowd_size : NULL);
  put_str(t, e->cluster_id);
  put_bool(t, e->is_root);
  put_str(t, e->summary);
  put_time(t, published(r), "article.publishedAt");
}

static void actor_row(evpy_table *t, const Evrec__V1__Record *r, const Evrec__V1__Actor *a) {
  put_str(t, r->id);
  put_str(t, a->id);
  put_str(t, a->name);
  put_enum(t, &evrec__v1__actor_kind__descriptor, a->kind);
  put_str(t, a->country);
  put_str(t, a->cameo_code);
  put_str(t, a->wikidata_id);
  put_str(t, a->title);
  put_joined(t, a->sectors, a->n_sectors);
  put_joined(t, a->aliases, a->n_aliases);
  put_u64(t, a->n_mentions);
  put_time(t, published(r), "article.publishedAt");
}

static void place_row(evpy_table *t, const Evrec__V1__Record *r, const Evrec__V1__Place *p) {
  put_str(t, r->id);
  put_str(t, p->id);
  put_str(t, p->name);
  put_str(t, p->country);
  put_str(t, p->admin1);
  put_str(t, p->admin2);
  put_str(t, p->geonames_id);
  put_str(t, p->feature_code);
  if (p->point) {
    put(t, PyFloat_FromDouble(p->point->latitude));
    put(t, PyFloat_FromDouble(p->point->longitude));
  } else {
    put_none(t);
    put_none(t);
  }
  put_enum(t, &evrec__v1__place_precision__descriptor, p->precision);
  put_str(t, p->wikidata_id);
}

static void claim_row(evpy_table *t, const Evrec__V1__Record *r, const Evrec__V1__Claim *c) {
  const Evrec__V1__Actor *a = actor_by_id(r, c->claimant_id);
  const Evrec__V1__Place *pl = place_by_id(r, c->place_id);
  const Evrec__V1__Review *rv = c->n_reviews ? c->reviews[0] : NULL;
  put_str(t, r->id);
  put_str(t, c->id);
  put_str(t, c->claimant_id);
  put_str(t, c->claimant_name && *c->claimant_name ? c->claimant_name : a ? a->name : NULL);
  put_str(t, c->text);
  put_str(t, c->quote ? c->quote->text : NULL);
  put_str(t, c->reporting_verb);
  put_str(t, c->medium);
  put_time(t, c->stated_at, "claims.statedAt");
  put_str(t, c->stated_date);
  put_str(t, c->place_id);
  put_str(t, pl ? pl->name : NULL);
  put_enum(t, &evrec__v1__attribution__descriptor, c->attribution);
  put_enum(t, &evrec__v1__stance__descriptor, c->stance);
  put_joined(t, c->about_event_ids, c->n_about_event_ids);
  put_enum(t, &evrec__v1__verdict__descriptor, rv ? rv->verdict : 0);
  put_str(t, rv ? rv->textual_rating : NULL);
  put_str(t, rv && rv->reviewer ? rv->reviewer->name : NULL);
  put_u64(t, c->n_reviews);
  put_time(t, published(r), "article.publishedAt");
}

static void article_row(evpy_table *t, const Evrec__V1__Record *r) {
  const Evrec__V1__Article *a = r->article;
  const Evrec__V1__Publisher *p = a ? a->publisher : NULL;
  put_str(t, r->id);
  put_u64(t, r->revision);
  put_enum(t, &evrec__v1__record_status__descriptor, r->status);
  put_time(t, r->updated_at, "updatedAt");
  put_str(t, a ? a->uri : NULL);
  put_str(t, a ? a->headline : NULL);
  put_str(t, a ? a->language : NULL);
  put_enum(t, &evrec__v1__article_kind__descriptor, a ? a->kind : 0);
  put_time(t, published(r), "article.publishedAt");
  put_str(t, a ? a->published_date : NULL);
  put_str(t, p ? p->name : NULL);
  put_str(t, p ? p->domain : NULL);
  put_str(t, p ? p->country : NULL);
  put_str(t, a ? a->byline : NULL);
  put_str(t, a ? a->section : NULL);
  put_u64(t, r->n_actors);
  put_u64(t, r->n_places);
  put_u64(t, r->n_events);
  put_u64(t, r->n_claims);
}

/* ====================================================================== */
/* Entry points                                                           */
/* ====================================================================== */

evpy_table *evpy_table_new(const char *name) {
  int k = 0;
  while (k < T_N && strcmp(evpy_table_names[k], name) != 0) k++;
  if (k == T_N) {
    PyErr_Format(PyExc_ValueError, "unknown table '%s' (events, actors, places, claims, articles)", name);
    return NULL;
  }
  evpy_table *t = PyMem_Calloc(1, sizeof *t);
  if (!t) return (evpy_table *)PyErr_NoMemory();
  t->kind = (table_kind)k;
  while (table_cols[k][t->ncols]) t->ncols++;
  t->cols = PyMem_Calloc(t->ncols, sizeof *t->cols);
  for (size_t i = 0; t->cols && i < t->ncols; i++)
    if (!(t->cols[i] = PyList_New(0))) t->failed = 1;
  if (!t->cols || t->failed) {
    int nomem = !t->cols;
    evpy_table_free(t);
    return nomem ? (evpy_table *)PyErr_NoMemory() : NULL;
  }
  return t;
}

/* Starts a row; afterwards checks it filled every column once. */
static int row_done(evpy_table *t) {
  if (!t->failed && t->at != t->ncols) {
    PyErr_Format(PyExc_SystemError, "evrec table row has %zu values for %zu columns", t->at, t->ncols);
    t->failed = 1;
  }
  t->at = 0;
  return t->failed ? -1 : 0;
}

int evpy_table_add(evpy_table *t, const ProtobufCMessage *record) {
  const Evrec__V1__Record *r = (const Evrec__V1__Record *)record;
  size_t i;
  switch (t->kind) {
  case T_EVENTS:
    for (i = 0; i < r->n_events && !t->failed; i++) event_row(t, r, r->events[i]), row_done(t);
    break;
  case T_ACTORS:
    for (i = 0; i < r->n_actors && !t->failed; i++) actor_row(t, r, r->actors[i]), row_done(t);
    break;
  case T_PLACES:
    for (i = 0; i < r->n_places && !t->failed; i++) place_row(t, r, r->places[i]), row_done(t);
    break;
  case T_CLAIMS:
    for (i = 0; i < r->n_claims && !t->failed; i++) claim_row(t, r, r->claims[i]), row_done(t);
    break;
  default: article_row(t, r), row_done(t); break;
  }
  if (t->failed && !PyErr_Occurred()) PyErr_NoMemory();
  return t->failed ? -1 : 0;
}

PyObject *evpy_table_finish(evpy_table *t) {
  PyObject *d = PyDict_New();
  for (size_t i = 0; d && i < t->ncols; i++)
    if (PyDict_SetItemString(d, table_cols[t->kind][i], t->cols[i])) Py_CLEAR(d);
  evpy_table_free(t);
  return d;
}

void evpy_table_free(evpy_table *t) {
  if (!t) return;
  for (size_t i = 0; t->cols && i < t->ncols; i++) Py_XDECREF(t->cols[i]);
  PyMem_Free(t->cols);
  PyMem_Free(t);
}
