/*
 * interop_ninjs.c -- IPTC ninjs <-> Article (and the record's actors and
 * places).
 *
 * Import takes ("jv_take") every ninjs value a field of evrec holds out of
 * the item; what is left -- properties with no field (renditions,
 * associations, eventDetails ...) and the parts of mapped ones that no field
 * holds (a headline's role, a person's contactInfo, a body's charCount) --
 * is kept, in place, as the JSON text of record extension
 * "evrec/ninjs.rest". Export starts from that skeleton and puts each field
 * back where it came from: the main headline's value into the element with
 * role "main", a person's name into the element its actor came from
 * (Actor extension "evrec/ninjs.ref" = "people/0"). So ninjs -> evrec ->
 * ninjs gives back the same properties, and edits made on the evrec side
 * (a corrected headline, an actor removed) are what comes out. A record
 * that was never ninjs exports from an empty skeleton.
 *
 * Input: ninjs 3.x; ninjs 2.x (its lower-case names are renamed to 3.x on
 * import); agency dialects (Superdesk and the AP Media API: guid, headline,
 * body_text/body_html, description_text, byline/bylines, authors, subject,
 * person/organisation/place, altids as an object, keywords); items wrapped
 * in an API envelope ({"_items": [...]}, {"data": {"items": [{"item":
 * ...}]}}, {"items": [...]}). Line ends in text become "\n"; time stamps
 * with "+0000" offsets or none (then UTC, with a warning) are read.
 * Export writes ninjs 3.x, instants in UTC ("Z"); it leaves out top-level
 * properties of the skeleton that ninjs 3.x does not define (a dialect's
 * extras), with a warning, so the output validates against the schema.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "imp.h"

#define REST_KEY "evrec/ninjs.rest"
#define REF_KEY "evrec/ninjs.ref"

/* Top-level properties of ninjs 3.1 (ninjs-schema_3.1.json). */
static const char *const NINJS3[] = {
    "uri", "type", "representationType", "profile", "version", "firstCreated",
    "versionCreated", "contentCreated", "embargoedUntil", "pubStatus", "urgency",
    "copyrightHolder", "copyrightNotice", "usageTerms", "edNote", "language", "descriptions",
    "bodies", "headlines", "people", "organisations", "places", "subjects", "events",
    "eventDetails", "plannedCoverage", "objects", "infoSources", "title", "by", "slugline",
    "located", "renditions", "associations", "altIds", "trustIndicators", "standard", "genres",
    "expires", "rightsInfo", "digitalSourceType", NULL};

/* Every camelCase name of the 3.1 schema: ninjs 2.x writes them in lower case. */
static const char *const CAMEL[] = {
    "altIds", "aspectRatio", "charCount", "contactInfo", "contentCreated", "contentType",
    "copyrightHolder", "copyrightNotice", "digitalSourceType", "edNote", "embargoedUntil",
    "encodedRights", "endDate", "eventDetails", "eventStatus", "exclAudience",
    "expectedDuration", "expectedEndDate", "expectedStartDate", "firstCreated", "frameRate",
    "geoJSON", "infoSources", "itemCount", "langId", "linkedRights", "plannedCoverage",
    "plannedCoverageStatus", "postalCode", "pubStatus", "rangeFrom", "rangeTo",
    "recurrenceDates", "recurrenceRules", "representationType", "rightsInfo", "scanType",
    "sizeInBytes", "startDate", "symbolType", "transportProtocol", "trustIndicators",
    "usageTerms", "versionCreated", "videoCodec", "wordCount", NULL};

static const char *const KINDS[] = {"",          "text",      "video",     "audio", "picture",
                                    "graphic",   "composite", "component", "text",  "text",
                                    "text",      "event",     "planning",  ""};

static const char *const PUB_STATUS[] = {"", "usable", "withheld", "canceled"};

static bool in_list(const char *const *list, const char *s) {
  for (; *list; list++)
    if (strcmp(*list, s) == 0) return true;
  return false;
}

/* ====================================================================== */
/* Import                                                                 */
/* ====================================================================== */

typedef struct nin {
  imp *m;
  ev_record *r;
  ev_article *a;
  jv_object *o;
} nin;

static bool lower_name(const char *s) {
  for (; *s; s++)
    if (isupper((unsigned char)*s)) return false;
  return true;
}

/* ninjs 2.x -> 3.x names, in every object of the item. */
static void camel_keys(imp *m, jv_value *v, int depth) {
  if (!v || depth > 64) return;
  if (jv_list_of(v)) {
    for (size_t i = 0; i < v->list_value->n_values; i++) camel_keys(m, v->list_value->values[i], depth + 1);
    return;
  }
  jv_object *o = (jv_object *)jv_obj(v);
  for (size_t i = 0; o && i < o->n_fields; i++) {
    char *k = o->fields[i]->key;
    if (strcmp(k, "embargoed") == 0 && !jv_get(o, "embargoedUntil")) {
      o->fields[i]->key = "embargoedUntil";
    } else if (lower_name(k)) {
      for (const char *const *c = CAMEL; *c; c++)
        if (strcasecmp(*c, k) == 0 && !jv_get(o, *c)) o->fields[i]->key = (char *)*c;
    }
    camel_keys(m, o->fields[i]->value, depth + 1);
  }
}

static char *text(nin *x, const char *s) { return imp_unix_newlines(x->m, s); }

/* A non-empty string property -> *out (taken), with newlines made "\n".
 * An empty string stays in the skeleton, so it comes back as it was. */
static void take_text(nin *x, jv_object *o, const char *key, char **out) {
  const char *s = jv_str(jv_get(o, key));
  if (!s || !s[0]) return;
  jv_take(o, key);
  *out = text(x, s);
}

/* A date-time property -> an instant (or, where there is one, a date field
 * for a plain date). Anything else stays in the skeleton, with a warning. */
static void take_time(nin *x, const char *key, Google__Protobuf__Timestamp **at, char **date) {
  const char *s = jv_str(jv_get(x->o, key));
  imp_time t;
  if (!s) return;
  if (!imp_parse_time(s, &t) || (!t.has_time && !date)) {
    imp_warn(x->m, "%s: \"%s\" is not a date-time; kept as is", key, s);
    return;
  }
  if (t.has_time && !t.has_zone)
    imp_warn(x->m, "%s: \"%s\" has no time zone; taken as UTC", key, s);
  if (t.has_time) *at = imp_timestamp(x->m, t.seconds, t.nanos);
  else *date = imp_str(x->m, t.date);
  jv_take(x->o, key);
}

static bool eq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* headlines[role=main] -> headline, [role=sub] -> subheadline. */
static void headlines(nin *x) {
  const jv_list *l = jv_list_of(jv_get(x->o, "headlines"));
  for (size_t i = 0; l && i < l->n_values; i++) {
    jv_object *e = (jv_object *)jv_obj(l->values[i]);
    const char *role = jv_str(jv_get(e, "role"));
    if (!jv_str(jv_get(e, "value"))) continue;
    if (!x->a->headline[0] && (eq(role, "main") || !role)) take_text(x, e, "value", &x->a->headline);
    else if (!x->a->subheadline[0] && eq(role, "sub")) take_text(x, e, "value", &x->a->subheadline);
  }
}

static void descriptions(nin *x) {
  const jv_list *l = jv_list_of(jv_get(x->o, "descriptions"));
  for (size_t i = 0; l && i < l->n_values && !x->a->summary[0]; i++) {
    jv_object *e = (jv_object *)jv_obj(l->values[i]);
    const char *role = jv_str(jv_get(e, "role"));
    const char *ct = jv_str(jv_get(e, "contentType"));
    if ((!role || eq(role, "summary") || eq(role, "text")) && (!ct || eq(ct, "text/plain")))
      take_text(x, e, "value", &x->a->summary);
  }
}

/* A body element is markup (-> body_html) or plain text (-> body). */
static bool body_is_html(const jv_object *e) {
  const char *role = jv_str(jv_get(e, "role")), *ct = jv_str(jv_get(e, "contentType"));
  return (ct && strstr(ct, "html")) || eq(role, "html") || eq(role, "xhtml");
}

static bool body_is_plain(const jv_object *e) {
  const char *role = jv_str(jv_get(e, "role")), *ct = jv_str(jv_get(e, "contentType"));
  return eq(ct, "text/plain") || (!ct && (!role || eq(role, "text") || eq(role, "plain")));
}

static void bodies(nin *x) {
  const jv_list *l = jv_list_of(jv_get(x->o, "bodies"));
  for (size_t i = 0; l && i < l->n_values; i++) {
    jv_object *e = (jv_object *)jv_obj(l->values[i]);
    if (!jv_str(jv_get(e, "value"))) continue;
    if (!x->a->body_html[0] && body_is_html(e)) take_text(x, e, "value", &x->a->body_html);
    else if (!x->a->body[0] && body_is_plain(e)) take_text(x, e, "value", &x->a->body);
  }
}

static const char *wikidata_of(const char *uri) {
  static const char *const prefixes[] = {"http://www.wikidata.org/entity/",
                                         "https://www.wikidata.org/wiki/",
                                         "https://www.wikidata.org/entity/", NULL};
  for (int i = 0; uri && prefixes[i]; i++) {
    size_t n = strlen(prefixes[i]);
    const char *q = uri + n;
    if (strncmp(uri, prefixes[i], n) == 0 && q[0] == 'Q' && q[1] &&
        strspn(q + 1, "0123456789") == strlen(q + 1))
      return q;
  }
  return NULL;
}

/* people / organisations -> actors. */
static void entities(nin *x, const char *prop, Evrec__V1__ActorKind kind) {
  imp *m = x->m;
  const jv_list *l = jv_list_of(jv_get(x->o, prop));
  for (size_t i = 0; l && i < l->n_values; i++) {
    jv_object *e = (jv_object *)jv_obj(l->values[i]);
    if (!e) continue;
    ev_actor *ac = imp_new(m, &evrec__v1__actor__descriptor);
    if (!ac) return;
    ac->id = imp_printf(m, "a%zu", x->r->n_actors + 1);
    ac->kind = kind;
    take_text(x, e, "name", &ac->name);
    const char *uri = jv_take_str(e, "uri");
    if (uri && uri[0]) {
      IMP_ADD(m, ac->same_as, ac->n_same_as, imp_str(m, uri));
      if (wikidata_of(uri)) ac->wikidata_id = imp_str(m, wikidata_of(uri));
    }
    imp_ext(m, ac, REF_KEY, imp_printf(m, "%s/%zu", prop, i));
    IMP_ADD(m, x->r->actors, x->r->n_actors, ac);
  }
}

static void geo_point(nin *x, jv_object *e, ev_place *pl) {
  const jv_object *g = jv_obj(jv_get(e, "geoJSON"));
  const jv_list *c = jv_list_of(jv_get(g, "coordinates"));
  double lon, lat;
  if (!g || g->n_fields != 2 || !eq(jv_str(jv_get(g, "type")), "Point") || !c || c->n_values != 2 ||
      !jv_num(c->values[0], &lon) || !jv_num(c->values[1], &lat) || lat < -90 || lat > 90 ||
      lon < -180 || lon > 180)
    return;
  pl->point = imp_new(x->m, &evrec__v1__geo_point__descriptor);
  if (!pl->point) return;
  pl->point->latitude = lat;
  pl->point->longitude = lon;
  jv_take(e, "geoJSON");
}

static void places(nin *x) {
  imp *m = x->m;
  const jv_list *l = jv_list_of(jv_get(x->o, "places"));
  for (size_t i = 0; l && i < l->n_values; i++) {
    jv_object *e = (jv_object *)jv_obj(l->values[i]);
    if (!e) continue;
    ev_place *pl = imp_new(m, &evrec__v1__place__descriptor);
    if (!pl) return;
    pl->id = imp_printf(m, "p%zu", x->r->n_places + 1);
    take_text(x, e, "name", &pl->name);
    const char *uri = jv_take_str(e, "uri");
    if (uri && uri[0]) {
      IMP_ADD(m, pl->source_ids, pl->n_source_ids, imp_extid(m, "uri", uri));
      if (wikidata_of(uri)) pl->wikidata_id = imp_str(m, wikidata_of(uri));
    }
    geo_point(x, e, pl);
    imp_ext(m, pl, REF_KEY, imp_printf(m, "places/%zu", i));
    IMP_ADD(m, x->r->places, x->r->n_places, pl);
  }
}

/* subjects / genres -> Subject (name, uri, literal as code). */
static void subjects(nin *x, const char *prop, ev_subject ***arr, size_t *n) {
  imp *m = x->m;
  const jv_list *l = jv_list_of(jv_get(x->o, prop));
  for (size_t i = 0; l && i < l->n_values; i++) {
    jv_object *e = (jv_object *)jv_obj(l->values[i]);
    ev_subject *s = imp_new(m, &evrec__v1__subject__descriptor);
    if (!e || !s) continue;
    take_text(x, e, "name", &s->name);
    take_text(x, e, "uri", &s->uri);
    take_text(x, e, "literal", &s->code);
    take_text(x, e, "scheme", &s->scheme); /* Superdesk; ninjs has no place for it */
    IMP_ADD(m, *arr, *n, s);
  }
}

static void alt_ids(nin *x) {
  imp *m = x->m;
  const jv_list *l = jv_list_of(jv_get(x->o, "altIds"));
  for (size_t i = 0; l && i < l->n_values; i++) {
    jv_object *e = (jv_object *)jv_obj(l->values[i]);
    const char *value = jv_str(jv_get(e, "value")), *role = jv_str(jv_get(e, "role"));
    if (!value) continue;
    IMP_ADD(m, x->a->alt_ids, x->a->n_alt_ids,
            imp_extid(m, role ? imp_printf(m, "ninjs.altid.%s", role) : "ninjs.altid", value));
    jv_take(e, "value");
    if (role) jv_take(e, "role");
  }
}

static void scalars(nin *x) {
  imp *m = x->m;
  ev_article *a = x->a;
  const char *type = jv_str(jv_get(x->o, "type"));
  for (int k = 1; type && k < 13; k++)
    if (strcmp(type, KINDS[k]) == 0 && k != 8 && k != 9 && k != 10) {
      a->kind = (Evrec__V1__ArticleKind)k;
      jv_take(x->o, "type");
      break;
    }
  const char *ps = jv_str(jv_get(x->o, "pubStatus"));
  for (int k = 1; ps && k < 4; k++)
    if (strcmp(ps, PUB_STATUS[k]) == 0) a->pub_status = (Evrec__V1__PubStatus)k, jv_take(x->o, "pubStatus");
  double u;
  if (jv_num(jv_get(x->o, "urgency"), &u)) {
    if (u >= 1 && u <= 9 && u == (int)u) a->urgency = imp_uint32(m, (uint32_t)u), jv_take(x->o, "urgency");
    else imp_warn(m, "urgency %g is not 1 to 9; kept as is", u);
  }
  const char *lang = jv_str(jv_get(x->o, "language"));
  if (lang && vocab_bcp47_ok(lang)) a->language = imp_str(m, lang), jv_take(x->o, "language");
  else if (lang) imp_warn(m, "language \"%s\" is not a BCP 47 tag; kept as is", lang);
  static const struct { const char *key; size_t off; } STR[] = {
      {"profile", offsetof(ev_article, profile)},   {"version", offsetof(ev_article, version)},
      {"title", offsetof(ev_article, title)},       {"slugline", offsetof(ev_article, slugline)},
      {"by", offsetof(ev_article, byline)},         {"edNote", offsetof(ev_article, editor_note)},
  };
  for (size_t i = 0; i < sizeof STR / sizeof STR[0]; i++)
    take_text(x, x->o, STR[i].key, (char **)(void *)((char *)a + STR[i].off)); /* aligned */
}

static void rights(nin *x) {
  imp *m = x->m;
  Evrec__V1__Rights *rt = imp_new(m, &evrec__v1__rights__descriptor);
  if (!rt) return;
  take_text(x, x->o, "copyrightHolder", &rt->copyright_holder);
  take_text(x, x->o, "copyrightNotice", &rt->copyright_notice);
  take_text(x, x->o, "usageTerms", &rt->usage_terms);
  jv_object *ri = (jv_object *)jv_obj(jv_get(x->o, "rightsInfo"));
  take_text(x, ri, "linkedRights", &rt->license_uri);
  if (rt->copyright_holder[0] || rt->copyright_notice[0] || rt->usage_terms[0] ||
      rt->license_uri[0])
    x->a->rights = rt;
  /* "copyrightNotice": "" is a value too: it stays in the skeleton */
}

static void located(nin *x) {
  const char *s = jv_take_str(x->o, "located");
  if (!s || !s[0]) return;
  x->a->dateline = imp_new(x->m, &evrec__v1__dateline__descriptor);
  if (x->a->dateline) x->a->dateline->text = text(x, s);
}

/* Agency dialects: Superdesk and AP Media API names (before ninjs 2). */
static void dialects(nin *x) {
  imp *m = x->m;
  ev_article *a = x->a;
  if (!a->headline[0]) take_text(x, x->o, "headline", &a->headline);
  if (!a->subheadline[0]) take_text(x, x->o, "headline_extended", &a->subheadline);
  if (!a->summary[0]) take_text(x, x->o, "description_text", &a->summary);
  if (!a->summary[0]) take_text(x, x->o, "summary", &a->summary);
  if (!a->body[0]) take_text(x, x->o, "body_text", &a->body);
  if (!a->body_html[0]) take_text(x, x->o, "body_html", &a->body_html);
  if (!a->byline[0]) take_text(x, x->o, "byline", &a->byline);
  const jv_list *bl = jv_list_of(jv_get(x->o, "bylines"));
  for (size_t i = 0; bl && i < bl->n_values && !a->byline[0]; i++)
    take_text(x, (jv_object *)jv_obj(bl->values[i]), "by", &a->byline);
  const jv_list *au = jv_list_of(jv_get(x->o, "authors"));
  for (size_t i = 0; au && i < au->n_values; i++) {
    jv_object *e = (jv_object *)jv_obj(au->values[i]);
    Evrec__V1__Contributor *c = imp_new(m, &evrec__v1__contributor__descriptor);
    if (!e || !c) continue;
    take_text(x, e, "name", &c->name);
    const char *role = jv_str(jv_get(e, "role"));
    c->role = eq(role, "editor")   ? EVREC__V1__CONTRIBUTOR_ROLE__CONTRIBUTOR_ROLE_EDITOR
              : eq(role, "writer") || eq(role, "author") ? EVREC__V1__CONTRIBUTOR_ROLE__CONTRIBUTOR_ROLE_AUTHOR
              : role ? EVREC__V1__CONTRIBUTOR_ROLE__CONTRIBUTOR_ROLE_OTHER
                     : EVREC__V1__CONTRIBUTOR_ROLE__CONTRIBUTOR_ROLE_AUTHOR;
    if (role && c->role != EVREC__V1__CONTRIBUTOR_ROLE__CONTRIBUTOR_ROLE_OTHER) jv_take(e, "role");
    IMP_ADD(m, a->contributors, a->n_contributors, c);
  }
  const jv_list *kw = jv_list_of(jv_get(x->o, "keywords"));
  for (size_t i = 0; kw && i < kw->n_values; i++)
    if (jv_str(kw->values[i])) IMP_ADD(m, a->keywords, a->n_keywords, text(x, jv_str(kw->values[i])));
  if (kw) jv_take(x->o, "keywords");
  const jv_object *ids = jv_obj(jv_get(x->o, "altIds")); /* AP: an object (renamed) */
  for (size_t i = 0; ids && i < ids->n_fields; i++)
    if (jv_str(ids->fields[i]->value))
      IMP_ADD(m, a->alt_ids, a->n_alt_ids,
              imp_extid(m, imp_printf(m, "ninjs.altid.%s", ids->fields[i]->key),
                        jv_str(ids->fields[i]->value)));
  if (ids) jv_take(x->o, "altIds");
  double version; /* AP: a number */
  if (!a->version[0] && jv_num(jv_get(x->o, "version"), &version) && version >= 0 &&
      version < 1e15 && version == (double)(int64_t)version) { /* the range before the cast */
    a->version = imp_printf(m, "%lld", (long long)version);
    jv_take(x->o, "version");
  }
  static const char *const lists[][2] = {{"subject", "subjects"}, {"person", "people"},
                                         {"organisation", "organisations"}, {"place", "places"}};
  for (int i = 0; i < 4; i++) /* singular names of the same lists */
    if (jv_list_of(jv_get(x->o, lists[i][0])) && !jv_get(x->o, lists[i][1])) {
      jv_value *v = jv_take(x->o, lists[i][0]);
      jv_set(m, x->o, lists[i][1], v);
    }
  static const char *const coded[] = {"subjects", "people", "organisations", "places", NULL};
  for (int k = 0; coded[k]; k++) { /* Superdesk/AP: "code" where ninjs has "literal" */
    const jv_list *sl = jv_list_of(jv_get(x->o, coded[k]));
    for (size_t i = 0; sl && i < sl->n_values; i++) {
      jv_object *e = (jv_object *)jv_obj(sl->values[i]);
      if (e && !jv_get(e, "literal") && jv_str(jv_get(e, "code")))
        jv_set(m, e, "literal", jv_take(e, "code"));
    }
  }
}

static void frame(nin *x, const char *uri) {
  imp *m = x->m;
  ev_record *r = x->r;
  ev_article *a = x->a;
  r->id = imp_str(m, uri);
  a->uri = r->id;
  uint64_t v;
  r->revision = a->version[0] && imp_parse_u64(a->version, strlen(a->version), &v) && v > 0 &&
                        v <= UINT32_MAX ? (uint32_t)v : 1;
  r->status = a->pub_status == EVREC__V1__PUB_STATUS__PUB_STATUS_CANCELED
                  ? EVREC__V1__RECORD_STATUS__RECORD_STATUS_WITHDRAWN
                  : EVREC__V1__RECORD_STATUS__RECORD_STATUS_ACTIVE;
  if (a->modified_at) r->updated_at = imp_timestamp(m, a->modified_at->seconds, a->modified_at->nanos);
  r->article = a;
}

/* Empty objects and lists left behind inside lists say nothing: an element
 * all of whose values were taken goes (its place is known from the ref). */
static bool empty(const jv_value *v) {
  return (jv_obj(v) && !jv_obj(v)->n_fields) || (jv_list_of(v) && !jv_list_of(v)->n_values);
}

static void keep_rest(nin *x) {
  imp *m = x->m;
  for (size_t i = 0; i < x->o->n_fields; i++) {
    jv_list *l = (jv_list *)jv_list_of(x->o->fields[i]->value);
    bool all_empty = l != NULL;
    for (size_t j = 0; l && j < l->n_values; j++) all_empty &= empty(l->values[j]);
    if (all_empty) jv_remove(x->o, x->o->fields[i--]->key);
  }
  if (!x->o->n_fields) return;
  char *json = jv_to_json(m, jv_wrap(m, x->o));
  if (json) imp_ext(m, x->r, REST_KEY, json);
}

static int ninjs_item(imp *m, jv_object *o) {
  nin x = {m, imp_new(m, &evrec__v1__record__descriptor),
           imp_new(m, &evrec__v1__article__descriptor), o};
  if (!x.r || !x.a) return imp_fail(m, "out of memory");
  camel_keys(m, jv_wrap(m, o), 0);
  const char *uri = jv_take_str(o, "uri");
  if (!uri || !uri[0]) uri = jv_take_str(o, "guid");
  m->item_id = uri;
  if (!uri || !uri[0]) {
    imp_bad(m, "no \"uri\" (or \"guid\"): a ninjs item needs its identifier");
    imp_discard(m);
    return m->status ? IMP_STOP : 0;
  }
  scalars(&x);
  take_time(&x, "firstCreated", &x.a->published_at, &x.a->published_date);
  take_time(&x, "versionCreated", &x.a->modified_at, NULL);
  take_time(&x, "contentCreated", &x.a->created_at, NULL);
  take_time(&x, "embargoedUntil", &x.a->embargoed_until, NULL);
  take_time(&x, "expires", &x.a->expires_at, NULL);
  headlines(&x);
  descriptions(&x);
  bodies(&x);
  dialects(&x);
  rights(&x);
  located(&x);
  entities(&x, "people", EVREC__V1__ACTOR_KIND__ACTOR_KIND_PERSON);
  entities(&x, "organisations", EVREC__V1__ACTOR_KIND__ACTOR_KIND_ORGANIZATION);
  places(&x);
  subjects(&x, "subjects", &x.a->subjects, &x.a->n_subjects);
  subjects(&x, "genres", &x.a->genres, &x.a->n_genres);
  alt_ids(&x);
  jv_object *dst = (jv_object *)jv_obj(jv_get(o, "digitalSourceType"));
  take_text(&x, dst, "uri", &x.a->digital_source_type);
  frame(&x, uri);
  keep_rest(&x);
  return imp_emit(m, x.r);
}

/* A ninjs item, or an API envelope around items. */
static int ninjs_value(imp *m, const jv_value *v, int depth) {
  jv_object *o = (jv_object *)jv_obj(v);
  if (!o) return imp_bad(m, "a ninjs item must be a JSON object");
  if (jv_get(o, "uri") || jv_get(o, "guid")) return ninjs_item(m, o);
  if (depth < 4) {
    static const char *const lists[] = {"_items", "items", NULL};
    for (int i = 0; lists[i]; i++) {
      const jv_list *l = jv_list_of(jv_get(o, lists[i]));
      for (size_t j = 0; l && j < l->n_values; j++) {
        int rc = ninjs_value(m, l->values[j], depth + 1);
        if (rc) return rc;
      }
      if (l) return 0;
    }
    static const char *const wrappers[] = {"data", "item", NULL};
    for (int i = 0; wrappers[i]; i++)
      if (jv_obj(jv_get(o, wrappers[i]))) return ninjs_value(m, jv_get(o, wrappers[i]), depth + 1);
  }
  return imp_bad(m, "neither a ninjs item (no \"uri\") nor an API envelope of items");
}

static int ninjs_top(imp *m, const jv_object *o, void *payload) {
  (void)payload;
  jv_value *v = jv_wrap(m, (jv_object *)o);
  return v ? ninjs_value(m, v, 0) : imp_fail(m, "out of memory");
}

int imp_ninjs(imp *m, const char *path) { return imp_json_each(m, path, ninjs_top, NULL); }

/* ====================================================================== */
/* Export                                                                 */
/* ====================================================================== */

typedef struct nout {
  imp *m;
  const ev_record *r;
  jv_object *o;
} nout;

static jv_object *obj_member(nout *x, jv_object *o, const char *key) {
  jv_object *c = (jv_object *)jv_obj(jv_get(o, key));
  if (c) return c;
  jv_value *v = jv_new_object(x->m);
  jv_set(x->m, o, key, v);
  return v ? v->struct_value : NULL;
}

static jv_list *list_member(nout *x, jv_object *o, const char *key) {
  jv_list *l = (jv_list *)jv_list_of(jv_get(o, key));
  if (l) return l;
  jv_value *v = jv_new_list(x->m);
  jv_set(x->m, o, key, v);
  return v ? v->list_value : NULL;
}

static void put_time(nout *x, const char *key, const Google__Protobuf__Timestamp *t) {
  char buf[40];
  if (!t) return;
  imp_format_time(buf, t->seconds, t->nanos);
  jv_set_str(x->m, x->o, key, buf);
}

/* Puts `value` into the element of list `key` that `match` picks and that
 * has no value yet; appends a new element {defaults..., value} when none
 * does. An empty value removes such a hole instead. */
static void put_element(nout *x, const char *key, const char *value,
                        bool (*match)(const jv_object *e), const char *role, const char *ct) {
  imp *m = x->m;
  jv_list *l = (jv_list *)jv_list_of(jv_get(x->o, key));
  for (size_t i = 0; l && i < l->n_values; i++) {
    jv_object *e = (jv_object *)jv_obj(l->values[i]);
    if (!e || jv_get(e, "value") || !match(e)) continue;
    if (value && value[0]) {
      jv_set_str(m, e, "value", value);
    } else {
      memmove(l->values + i, l->values + i + 1, (l->n_values - i - 1) * sizeof *l->values);
      l->n_values--;
    }
    return;
  }
  if (!value || !value[0]) return;
  jv_value *e = jv_new_object(m);
  if (!e) return;
  if (role) jv_set_str(m, e->struct_value, "role", role);
  if (ct) jv_set_str(m, e->struct_value, "contentType", ct);
  jv_set_str(m, e->struct_value, "value", value);
  jv_append(m, list_member(x, x->o, key), e);
}

static bool is_main(const jv_object *e) {
  const char *r = jv_str(jv_get(e, "role"));
  return !r || strcmp(r, "main") == 0;
}
static bool is_sub(const jv_object *e) { return eq(jv_str(jv_get(e, "role")), "sub"); }
static bool is_summary(const jv_object *e) {
  const char *role = jv_str(jv_get(e, "role")), *ct = jv_str(jv_get(e, "contentType"));
  return (!role || eq(role, "summary") || eq(role, "text")) && (!ct || eq(ct, "text/plain"));
}

static void drop_empty_list(nout *x, const char *key) {
  const jv_list *l = jv_list_of(jv_get(x->o, key));
  if (l && !l->n_values) jv_remove(x->o, key);
}

static void texts(nout *x, const ev_article *a) {
  put_element(x, "headlines", a->headline, is_main, "main", NULL);
  put_element(x, "headlines", a->subheadline, is_sub, "sub", NULL);
  put_element(x, "descriptions", a->summary, is_summary, "summary", "text/plain");
  put_element(x, "bodies", a->body, body_is_plain, "text", "text/plain");
  put_element(x, "bodies", a->body_html, body_is_html, "html", "text/html");
  drop_empty_list(x, "headlines");
  drop_empty_list(x, "descriptions");
  drop_empty_list(x, "bodies");
}

/* The skeleton element a ref ("people/2") points at, or NULL. */
static jv_object *ref_element(nout *x, const char *ref, const char *prop) {
  size_t n = strlen(prop);
  uint64_t i;
  if (!ref || strncmp(ref, prop, n) != 0 || ref[n] != '/' || !imp_parse_u64(ref + n + 1, strlen(ref + n + 1), &i))
    return NULL;
  const jv_list *l = jv_list_of(jv_get(x->o, prop));
  return l && i < l->n_values ? (jv_object *)jv_obj(l->values[i]) : NULL;
}

/* Rebuilds list `prop` from entities: each one's skeleton element (by ref)
 * or a new one, in the entities' order; unreferenced elements go. */
static jv_list *fresh_list(nout *x) {
  jv_value *v = jv_new_list(x->m);
  return v ? v->list_value : NULL;
}

static void set_list(nout *x, const char *prop, jv_list *l) {
  if (!l || !l->n_values) {
    jv_remove(x->o, prop);
    return;
  }
  jv_value *v = imp_new(x->m, &google__protobuf__value__descriptor);
  if (!v) return;
  v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
  v->list_value = l;
  jv_set(x->m, x->o, prop, v);
}

static void actors_out(nout *x) {
  imp *m = x->m;
  jv_list *people = fresh_list(x), *orgs = fresh_list(x);
  for (size_t i = 0; i < x->r->n_actors; i++) {
    const ev_actor *ac = x->r->actors[i];
    bool person = ac->kind == EVREC__V1__ACTOR_KIND__ACTOR_KIND_PERSON;
    const char *ref = imp_map_get(&ac->base, "extensions", REF_KEY);
    jv_object *e = ref_element(x, ref, person ? "people" : "organisations");
    jv_value *v = e ? jv_wrap(m, e) : jv_new_object(m);
    if (!v) return;
    jv_set_str(m, v->struct_value, "name", ac->name);
    const char *uri = ac->n_same_as ? ac->same_as[0] : NULL;
    if (uri) jv_set_str(m, v->struct_value, "uri", uri);
    else if (ac->wikidata_id[0])
      jv_set_str(m, v->struct_value, "uri", imp_printf(m, "http://www.wikidata.org/entity/%s", ac->wikidata_id));
    jv_append(m, person ? people : orgs, v);
  }
  set_list(x, "people", people);
  set_list(x, "organisations", orgs);
}

static void places_out(nout *x) {
  imp *m = x->m;
  jv_list *l = fresh_list(x);
  for (size_t i = 0; i < x->r->n_places; i++) {
    const ev_place *pl = x->r->places[i];
    jv_object *e = ref_element(x, imp_map_get(&pl->base, "extensions", REF_KEY), "places");
    jv_value *v = e ? jv_wrap(m, e) : jv_new_object(m);
    if (!v) return;
    jv_set_str(m, v->struct_value, "name", pl->name);
    const char *uri = NULL;
    for (size_t j = 0; j < pl->n_source_ids && !uri; j++)
      if (strcmp(pl->source_ids[j]->scheme, "uri") == 0) uri = pl->source_ids[j]->value;
    if (!uri && pl->geonames_id[0]) uri = imp_printf(m, "http://sws.geonames.org/%s/", pl->geonames_id);
    if (!uri && pl->wikidata_id[0]) uri = imp_printf(m, "http://www.wikidata.org/entity/%s", pl->wikidata_id);
    if (uri) jv_set_str(m, v->struct_value, "uri", uri);
    if (pl->point && !jv_get(v->struct_value, "geoJSON")) {
      jv_value *g = jv_new_object(m), *c = jv_new_list(m);
      if (g && c) {
        jv_set_str(m, g->struct_value, "type", "Point");
        jv_append(m, c->list_value, jv_new_number(m, pl->point->longitude));
        jv_append(m, c->list_value, jv_new_number(m, pl->point->latitude));
        jv_set(m, g->struct_value, "coordinates", c);
        jv_set(m, v->struct_value, "geoJSON", g);
      }
    }
    jv_append(m, l, v);
  }
  set_list(x, "places", l);
}

static void subjects_out(nout *x, const char *prop, ev_subject *const *s, size_t n) {
  imp *m = x->m;
  const jv_list *old = jv_list_of(jv_get(x->o, prop));
  bool aligned = old && old->n_values == n;
  jv_list *l = fresh_list(x);
  for (size_t i = 0; i < n; i++) {
    jv_object *e = aligned ? (jv_object *)jv_obj(old->values[i]) : NULL;
    jv_value *v = e ? jv_wrap(m, e) : jv_new_object(m);
    if (!v) return;
    jv_set_str(m, v->struct_value, "name", s[i]->name);
    jv_set_str(m, v->struct_value, "uri", s[i]->uri);
    jv_set_str(m, v->struct_value, "literal", s[i]->code);
    jv_append(m, l, v);
  }
  set_list(x, prop, l);
}

static void alt_ids_out(nout *x, const ev_article *a) {
  imp *m = x->m;
  jv_list *l = (jv_list *)jv_list_of(jv_get(x->o, "altIds"));
  size_t k = 0; /* skeleton elements without role and value are filled in order */
  for (size_t i = 0; i < a->n_alt_ids; i++) {
    const char *scheme = a->alt_ids[i]->scheme;
    const char *role = strncmp(scheme, "ninjs.altid.", 12) == 0 ? scheme + 12
                       : strcmp(scheme, "ninjs.altid") == 0 ? NULL : scheme;
    jv_object *e = NULL;
    while (l && k < l->n_values && !e) {
      jv_object *c = (jv_object *)jv_obj(l->values[k++]);
      if (c && !jv_get(c, "value") && !jv_get(c, "role")) e = c;
    }
    jv_value *v = e ? jv_wrap(m, e) : jv_new_object(m);
    if (!v) return;
    if (role) jv_set_str(m, v->struct_value, "role", role);
    jv_set_str(m, v->struct_value, "value", a->alt_ids[i]->value);
    if (!e) jv_append(m, list_member(x, x->o, "altIds"), v);
  }
}

static void scalars_out(nout *x, const ev_record *r, const ev_article *a) {
  imp *m = x->m;
  jv_set_str(m, x->o, "uri", a->uri[0] ? a->uri : r->id);
  if (a->kind > 0 && a->kind < 13 && KINDS[a->kind][0]) jv_set_str(m, x->o, "type", KINDS[a->kind]);
  jv_set_str(m, x->o, "profile", a->profile);
  jv_set_str(m, x->o, "version", a->version);
  put_time(x, "firstCreated", a->published_at);
  put_time(x, "versionCreated", a->modified_at);
  put_time(x, "contentCreated", a->created_at);
  put_time(x, "embargoedUntil", a->embargoed_until);
  put_time(x, "expires", a->expires_at);
  if (a->pub_status > 0 && a->pub_status < 4) jv_set_str(m, x->o, "pubStatus", PUB_STATUS[a->pub_status]);
  if (a->urgency) jv_set(m, x->o, "urgency", jv_new_number(m, a->urgency->value));
  jv_set_str(m, x->o, "language", a->language);
  jv_set_str(m, x->o, "title", a->title);
  jv_set_str(m, x->o, "by", a->byline);
  jv_set_str(m, x->o, "slugline", a->slugline);
  jv_set_str(m, x->o, "edNote", a->editor_note);
  if (a->dateline) jv_set_str(m, x->o, "located", a->dateline->text);
  if (a->rights) {
    jv_set_str(m, x->o, "copyrightHolder", a->rights->copyright_holder);
    jv_set_str(m, x->o, "copyrightNotice", a->rights->copyright_notice);
    jv_set_str(m, x->o, "usageTerms", a->rights->usage_terms);
    if (a->rights->license_uri[0])
      jv_set_str(m, obj_member(x, x->o, "rightsInfo"), "linkedRights", a->rights->license_uri);
  }
  if (a->digital_source_type[0])
    jv_set_str(m, obj_member(x, x->o, "digitalSourceType"), "uri", a->digital_source_type);
}

/* The properties ninjs 3.1 allows in the elements of its lists (the
 * schema's additionalProperties: false). */
static const struct {
  const char *list;
  const char *const *keys;
} ELEMENT_KEYS[] = {
    {"headlines", (const char *const[]){"role", "contentType", "value", NULL}},
    {"descriptions", (const char *const[]){"role", "contentType", "value", NULL}},
    {"bodies", (const char *const[]){"role", "contentType", "charCount", "wordCount", "value", NULL}},
    {"people", (const char *const[]){"name", "rel", "uri", "literal", "contactInfo", NULL}},
    {"organisations",
     (const char *const[]){"name", "rel", "uri", "literal", "symbols", "contactInfo", NULL}},
    {"places", (const char *const[]){"name", "rel", "uri", "literal", "contactInfo", "geoJSON", NULL}},
    {"subjects", (const char *const[]){"name", "rel", "uri", "literal", "creator", "relevance",
                                       "confidence", NULL}},
    {"genres", (const char *const[]){"name", "uri", "literal", NULL}},
    {"altIds", (const char *const[]){"role", "value", NULL}},
};

static void drop_key(nout *x, jv_object *o, size_t *i, const char *where) {
  imp_warn(x->m, "\"%s\"%s is not a ninjs 3.x property; left out", o->fields[*i]->key, where);
  jv_remove(o, o->fields[*i]->key);
  (*i)--;
}

/* Skeleton properties that ninjs 3.x does not define (a dialect's extras):
 * at the top and in the elements of the lists above. */
static void drop_foreign(nout *x) {
  for (size_t i = 0; i < x->o->n_fields; i++)
    if (!in_list(NINJS3, x->o->fields[i]->key)) drop_key(x, x->o, &i, "");
  for (size_t k = 0; k < sizeof ELEMENT_KEYS / sizeof ELEMENT_KEYS[0]; k++) {
    const jv_list *l = jv_list_of(jv_get(x->o, ELEMENT_KEYS[k].list));
    for (size_t j = 0; l && j < l->n_values; j++) {
      jv_object *e = (jv_object *)jv_obj(l->values[j]);
      char where[48];
      snprintf(where, sizeof where, " in %s", ELEMENT_KEYS[k].list);
      for (size_t i = 0; e && i < e->n_fields; i++)
        if (!in_list(ELEMENT_KEYS[k].keys, e->fields[i]->key)) drop_key(x, e, &i, where);
    }
  }
}

int exp_ninjs(imp *m, const ev_record *r, exp_out_fn out, void *payload) {
  const ev_article *a = r->article;
  if (!a) return 0;
  const char *rest = imp_map_get(&r->base, "extensions", REST_KEY);
  jv_value *base = rest ? jv_from_json(m, rest) : NULL;
  if (rest && !jv_obj(base)) imp_warn(m, "extension %s is not a JSON object; ignored", REST_KEY);
  if (!jv_obj(base)) base = jv_new_object(m);
  if (!base) return imp_fail(m, "out of memory");
  nout x = {m, r, base->struct_value};
  scalars_out(&x, r, a);
  texts(&x, a);
  actors_out(&x);
  places_out(&x);
  subjects_out(&x, "subjects", a->subjects, a->n_subjects);
  subjects_out(&x, "genres", a->genres, a->n_genres);
  alt_ids_out(&x, a);
  drop_foreign(&x);
  return out(m, base, payload);
}
