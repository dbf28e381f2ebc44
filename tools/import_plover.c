/*
 * import_plover.c -- PLOVER JSON and ICEWS JSON lines -> records, one per
 * event object.
 *
 * PLOVER comes in two vocabularies. The 2.0 manual names the fields actor,
 * recipient, event (a list), mode, context (lists), event_loc, text_info,
 * cite_info, coded_date; the 0.5b1 gold-standard records name them source,
 * target, event (a string), eventText, context ("a, b"), eventLoc, textInfo,
 * dateCoded, and use category names that PLOVER 2.0 renamed or merged
 * (DEMAND -> REQUEST, DISAPPROVE and INVESTIGATE -> ACCUSE with that mode,
 * FIGHT -> ASSAULT). Both are read; codes are mapped to PLOVER 2.0 by the
 * tables below, and a 0.5b1 mode or context with no 2.0 equivalent is kept
 * in the event's extensions ("evrec/plover.mode_0_5b1",
 * "evrec/plover.contexts_0_5b1") with a warning, never dropped. A category
 * that is neither is an error. actor/recipient may be a list of entity
 * objects, one object, a string, or missing. A DOCUMENT object (the
 * gold-standard file opens with one) describes the file: it makes no
 * record, and its license and copyright apply to the records after it.
 *
 * When the record carries its text, actor and event words are located in
 * it as Spans (code points): from the 0.5b1 markup "(SRC: ...) (EVT: ...)
 * (TAR: ...)" when it reproduces the text, else by searching the words.
 *
 * ICEWS-to-jsonl (philip-schrodt/ICEWS-to-jsonl) events carry a CAMEO code,
 * dates, a headline and sentence, locations with "NULL" for unknown parts,
 * and the protester identity as "Name: sectors: Country".
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imp.h"

/* ====================================================================== */
/* PLOVER 0.5b1 -> 2.0                                                    */
/* ====================================================================== */

static const struct {
  const char *old, *cat, *mode;
} CAT_05[] = {
    {"DEMAND", "REQUEST", NULL},         {"DISAPPROVE", "ACCUSE", "disapprove"},
    {"INVESTIGATE", "ACCUSE", "investigate"}, {"FIGHT", "ASSAULT", NULL},
};

static const struct {
  const char *cat, *old, *mode;
} MODE_05[] = {
    {"PROTEST", "demo-org", "demo"},    {"PROTEST", "demo-spon", "demo"},
    {"PROTEST", "riot-spon", "riot"},   {"PROTEST", "riot-org", "riot"},
    {"PROTEST", "strike-hun", "hunger"}, {"PROTEST", "strike-gen", "strike"},
    {"COERCE", "confiscate", "seize"},  {"COERCE", "detain", "arrest"},
    {"ASSAULT", "assassinate", "targeted"},
};

static const struct {
  const char *old, *ctx;
} CTX_05[] = {
    {"refugee", "asylum"},    {"refugees", "asylum"},          {"resource", "natural_resource"},
    {"resources", "natural_resource"}, {"religion", "religion_ethnicity"},
    {"rights", "human_rights"},
};

/* ====================================================================== */
/* Per-file state                                                         */
/* ====================================================================== */

typedef struct plover_file {
  const char *license, *copyright; /* from a DOCUMENT object (malloc'ed) */
  bool icews;
} plover_file;

typedef struct item {
  imp *m;
  plover_file *pf;
  const jv_object *o;
  ev_record *r;
  ev_event *ev;
  const char *body;   /* article body ("" if none) */
  const char *markup;
  const char **both;  /* actors marked "SRC/TAR" in 0.5b1 markup */
  size_t n_both;
} item;

static const char *text_of(item *it, const char *key) {
  return jv_text(it->m, jv_get(it->o, key));
}

/* A string value that is present, not empty and not ICEWS's "NULL". */
static const char *present(const char *s) {
  return s && s[0] && strcmp(s, "NULL") != 0 ? s : NULL;
}

/* Reports a bad item. @return 1 (callers then look at m->status). */
static int item_bad(item *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int item_bad(item *it, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  imp_bad(it->m, "%s", msg);
  return 1;
}

/* ====================================================================== */
/* Spans                                                                  */
/* ====================================================================== */

/* strstr, ignoring the case of ASCII letters. */
static const char *find_ci(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (strncasecmp(hay, needle, n) == 0) return hay;
  return NULL;
}

/* The first occurrence of `words` in the body as a span (exact, else
 * ignoring ASCII case: "Gunmen" is a mention of "gunmen"), or NULL. */
static ev_span *find_span_at(item *it, const char *words, const char **found) {
  if (!words || !words[0] || !it->body[0]) return NULL;
  const char *at = strstr(it->body, words);
  if (!at) at = find_ci(it->body, words);
  if (!at) return NULL;
  if (found) *found = at;
  size_t start = imp_utf8_count(it->body, (size_t)(at - it->body));
  return imp_span(it->m, (uint32_t)start, (uint32_t)(start + imp_utf8_count(words, strlen(words))));
}

static ev_span *find_span(item *it, const char *words) { return find_span_at(it, words, NULL); }

/* One "(TAG: words)" group of 0.5b1 markup, located in the plain text. */
typedef struct mark {
  char tag[8];
  const char *words; /* arena copy */
  uint32_t start, end; /* code points in the body */
} mark;

/* Parses the markup into groups, located where the markup with its
 * wrappers removed puts them when that equals the body, else by searching
 * their words in the body (groups not found are left out). @return the
 * number of groups. */
static size_t parse_markup(item *it, mark *out, size_t max) {
  const char *p = it->markup;
  if (!p || !it->body[0]) return 0;
  size_t n = 0, plain_len = 0, cp = 0;
  char *plain = imp_alloc(it->m, strlen(p) + 1);
  if (!plain) return 0;
  while (*p) {
    size_t tl = strspn(p + 1, "SRCTAEVLO/");
    if (*p == '(' && tl && p[1 + tl] == ':' && p[2 + tl] == ' ' && n < max) {
      mark *k = &out[n];
      snprintf(k->tag, sizeof k->tag, "%.*s", (int)tl, p + 1);
      p += tl + 3;
      const char *w = p;
      int depth = 1;
      for (; *p && depth; p++) depth += (*p == '(') - (*p == ')');
      if (depth) return 0;
      size_t wl = (size_t)(p - 1 - w);
      k->words = imp_strn(it->m, w, wl);
      k->start = (uint32_t)cp;
      memcpy(plain + plain_len, w, wl);
      plain_len += wl;
      cp += imp_utf8_count(w, wl);
      k->end = (uint32_t)cp;
      n++;
    } else {
      cp += ((unsigned char)*p & 0xC0) != 0x80;
      plain[plain_len++] = *p++;
    }
  }
  plain[plain_len] = '\0';
  if (strcmp(plain, it->body) == 0) return n;
  /* The markup does not reproduce the text (the gold standard has typos in
   * it): find each group's words in the text, in order, instead. */
  size_t kept = 0;
  const char *from = it->body;
  for (size_t i = 0; i < n; i++) {
    const char *at = strstr(from, out[i].words);
    if (!at) continue;
    out[kept] = out[i];
    out[kept].start = (uint32_t)imp_utf8_count(it->body, (size_t)(at - it->body));
    out[kept].end = out[kept].start + (uint32_t)imp_utf8_count(at, strlen(out[i].words));
    from = at + strlen(out[i].words);
    kept++;
  }
  return kept;
}

/* ====================================================================== */
/* Actors                                                                 */
/* ====================================================================== */

static const char *const ENTITY_NAMES[] = {"entity_name", "actorText", "entity_text", "raw_text",
                                           "identifier_text", "name", NULL};
static const char *const ENTITY_MAPPED[] = {
    "entity_name", "actorText", "entity_text", "raw_text", "identifier_text", "name", "code",
    "sector", "sector_code", "other_sector_codes", "wikidata_id", "identifier_id",
    "wiki_description", "country_name", "office", "religion", "ethnicity", NULL};

static bool in_list(const char *const *list, const char *s) {
  for (; *list; list++)
    if (strcmp(*list, s) == 0) return true;
  return false;
}

static void add_sectors(imp *m, ev_actor *a, const char *s) {
  while (s && *s) {
    s += strspn(s, " ,;");
    size_t n = strcspn(s, " ,;");
    if (n) IMP_ADD(m, a->sectors, a->n_sectors, imp_strn(m, s, n));
    s += n;
  }
}

static void set_country(item *it, ev_actor *a, const char *code, const char *name) {
  if (code && vocab_country_by_alpha3(code)) a->country = imp_str(it->m, code);
  else if (name) {
    const char *c = vocab_country_from_name(name);
    if (c) a->country = (char *)c;
    else imp_warn(it->m, "country \"%s\" is not an ISO 3166-1 country; left out", name);
  }
}

/* An entity object -> a new actor. */
static ev_actor *entity_actor(item *it, const jv_object *e) {
  imp *m = it->m;
  ev_actor *a = imp_new(m, &evrec__v1__actor__descriptor);
  if (!a) return NULL;
  for (int i = 0; ENTITY_NAMES[i]; i++)
    if (present(jv_str(jv_get(e, ENTITY_NAMES[i]))) && !a->name[0])
      a->name = imp_str(m, jv_str(jv_get(e, ENTITY_NAMES[i])));
  const char *code = jv_str(jv_get(e, "code"));
  if (present(code)) a->cameo_code = imp_str(m, code);
  if (!a->name[0] && a->cameo_code[0]) a->name = a->cameo_code;
  const char *raw = jv_str(jv_get(e, "raw_text"));
  if (present(raw) && strcmp(raw, a->name) != 0) IMP_ADD(m, a->aliases, a->n_aliases, imp_str(m, raw));
  add_sectors(m, a, jv_str(jv_get(e, "sector")));
  add_sectors(m, a, jv_str(jv_get(e, "sector_code")));
  add_sectors(m, a, jv_str(jv_get(e, "other_sector_codes")));
  const char *wd = jv_str(jv_get(e, "wikidata_id"));
  if (!present(wd)) wd = jv_str(jv_get(e, "identifier_id"));
  if (present(wd) && wd[0] == 'Q' && strspn(wd + 1, "0123456789") == strlen(wd + 1) && wd[1])
    a->wikidata_id = imp_str(m, wd);
  else if (present(wd))
    imp_ext(m, a, "evrec/plover.identifier_id", wd);
  const char *title = jv_str(jv_get(e, "office"));
  if (!present(title)) title = jv_str(jv_get(e, "wiki_description"));
  if (present(title)) a->title = imp_str(m, title);
  set_country(it, a, code, present(jv_str(jv_get(e, "country_name"))));
  static const char *const codes[][2] = {{"religion", "plover.religion"},
                                         {"ethnicity", "plover.ethnicity"}};
  for (int i = 0; i < 2; i++) {
    const char *v = jv_text(m, jv_get(e, codes[i][0]));
    if (present(v)) IMP_ADD(m, a->codes, a->n_codes, imp_code(m, codes[i][1], v, NULL));
  }
  for (size_t i = 0; i < e->n_fields; i++) { /* gender, age, anything else */
    const char *k = e->fields[i]->key;
    const jv_value *v = e->fields[i]->value;
    if (in_list(ENTITY_MAPPED, k) || jv_is_null(v)) continue;
    const char *t = jv_text(m, v);
    imp_ext(m, a, imp_printf(m, "evrec/plover.%s", k), t ? t : jv_to_json(m, v));
  }
  return a;
}

static void add_participant(item *it, const char *actor_id, Evrec__V1__ParticipantRole role) {
  ev_participant *p = imp_new(it->m, &evrec__v1__participant__descriptor);
  if (!p) return;
  p->actor_id = (char *)actor_id;
  p->role = role;
  IMP_ADD(it->m, it->ev->participants, it->ev->n_participants, p);
}

/* Adds the participants of role `role` from value v (list, object or string). */
static void add_entities(item *it, const jv_value *v, Evrec__V1__ParticipantRole role,
                         const mark *marks, size_t n_marks) {
  imp *m = it->m;
  const jv_list *l = jv_list_of(v);
  size_t n = l ? l->n_values : jv_is_null(v) ? 0 : 1;
  for (size_t i = 0; i < n; i++) {
    const jv_value *e = l ? l->values[i] : v;
    ev_actor *a = NULL;
    if (jv_obj(e)) {
      a = entity_actor(it, jv_obj(e));
    } else if (present(jv_str(e))) {
      a = imp_new(m, &evrec__v1__actor__descriptor);
      if (a) a->name = imp_str(m, jv_str(e));
    } else {
      imp_warn(m, "%s entry %zu is neither an object nor a name; left out",
               role == EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_ACTOR ? "actor" : "recipient",
               i + 1);
    }
    if (!a || !a->name[0]) continue;
    a->id = imp_printf(m, "a%zu", it->r->n_actors + 1);
    const char *tag = role == EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_ACTOR ? "SRC" : "TAR";
    bool marked = false, both = false;
    for (size_t k = 0; k < n_marks; k++)
      if (strstr(marks[k].tag, tag) && (strcmp(marks[k].words, a->name) == 0 ||
                                        (a->n_aliases && strcmp(marks[k].words, a->aliases[0]) == 0))) {
        IMP_ADD(m, a->mentions, a->n_mentions, imp_span(m, marks[k].start, marks[k].end));
        marked = true;
        both |= strcmp(marks[k].tag, "SRC/TAR") == 0;
      }
    if (!marked) {
      ev_span *s = find_span(it, a->n_aliases ? a->aliases[0] : a->name);
      if (s) IMP_ADD(m, a->mentions, a->n_mentions, s);
    }
    IMP_ADD(m, it->r->actors, it->r->n_actors, a);
    add_participant(it, a->id, role);
    if (both) IMP_ADD(m, it->both, it->n_both, a->id);
  }
}

/* ====================================================================== */
/* Event codes                                                            */
/* ====================================================================== */

/* A string or a list of strings -> each element (comma-split for strings
 * when `split`), through `fn`. */
static int each_code(item *it, const jv_value *v, bool split,
                     int (*fn)(item *it, const char *code, size_t n)) {
  const jv_list *l = jv_list_of(v);
  size_t count = l ? l->n_values : 1;
  for (size_t i = 0; i < count; i++) {
    const char *s = jv_str(l ? l->values[i] : v);
    if (!s) continue;
    while (*s) {
      s += strspn(s, " ,");
      size_t n = split ? strcspn(s, ",") : strlen(s);
      size_t t = n;
      while (t && s[t - 1] == ' ') t--;
      if (t && fn(it, s, t)) return 1;
      s += n;
    }
  }
  return 0;
}

static int add_category(item *it, const char *s, size_t n) {
  imp *m = it->m;
  char *name = imp_strn(m, s, n);
  for (char *p = name; *p; p++) *p = (char)toupper((unsigned char)*p);
  const char *mode = NULL;
  for (size_t i = 0; i < sizeof CAT_05 / sizeof CAT_05[0]; i++)
    if (strcmp(name, CAT_05[i].old) == 0) {
      imp_ext(m, it->ev, "evrec/plover.event_0_5b1", name);
      name = (char *)CAT_05[i].cat;
      mode = CAT_05[i].mode;
    }
  const vocab_plover *cat = vocab_plover_category(name);
  if (!cat) return item_bad(it, "event: \"%.*s\" is not a PLOVER category", (int)n, s);
  ev_event_type *t = imp_new(m, &evrec__v1__event_type__descriptor);
  if (!t) return 0;
  t->scheme = EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_PLOVER;
  t->code = name;
  IMP_ADD(m, it->ev->types, it->ev->n_types, t);
  if (it->ev->n_types == 1) it->ev->quad_class = (Evrec__V1__QuadClass)cat->quad_class;
  else if ((int)it->ev->quad_class != cat->quad_class) it->ev->quad_class = 0;
  if (mode && !it->ev->mode[0]) it->ev->mode = (char *)mode;
  return 0;
}

static int add_mode(item *it, const char *s, size_t n) {
  imp *m = it->m;
  char *mode = imp_strn(m, s, n);
  const vocab_plover *cat = it->ev->n_types ? vocab_plover_category(it->ev->types[0]->code) : NULL;
  for (size_t i = 0; cat && i < sizeof MODE_05 / sizeof MODE_05[0]; i++)
    if (strcmp(cat->name, MODE_05[i].cat) == 0 && strcmp(mode, MODE_05[i].old) == 0)
      mode = (char *)MODE_05[i].mode;
  if (cat && vocab_plover_mode_ok(cat, mode) && !it->ev->mode[0]) {
    it->ev->mode = mode;
    return 0;
  }
  const char *old = imp_map_get(&it->ev->base, "extensions", "evrec/plover.mode_0_5b1");
  imp_ext(m, it->ev, "evrec/plover.mode_0_5b1", old ? imp_printf(m, "%s,%.*s", old, (int)n, s)
                                                     : imp_strn(m, s, n));
  imp_warn(m, "mode \"%.*s\" is not a PLOVER 2.0 mode of %s; kept in extensions", (int)n, s,
           cat ? cat->name : "the event");
  return 0;
}

static int add_context(item *it, const char *s, size_t n) {
  imp *m = it->m;
  char *ctx = imp_strn(m, s, n);
  for (char *p = ctx; *p; p++) *p = (char)tolower((unsigned char)*p);
  for (size_t i = 0; i < sizeof CTX_05 / sizeof CTX_05[0]; i++)
    if (strcmp(ctx, CTX_05[i].old) == 0) ctx = (char *)CTX_05[i].ctx;
  if (vocab_plover_context_ok(ctx)) {
    for (size_t i = 0; i < it->ev->n_contexts; i++)
      if (strcmp(it->ev->contexts[i], ctx) == 0) return 0;
    IMP_ADD(m, it->ev->contexts, it->ev->n_contexts, ctx);
    return 0;
  }
  const char *old = imp_map_get(&it->ev->base, "extensions", "evrec/plover.contexts_0_5b1");
  imp_ext(m, it->ev, "evrec/plover.contexts_0_5b1", old ? imp_printf(m, "%s,%.*s", old, (int)n, s)
                                                         : imp_strn(m, s, n));
  imp_warn(m, "context \"%.*s\" has no PLOVER 2.0 equivalent; kept in extensions", (int)n, s);
  return 0;
}

/* ====================================================================== */
/* Places, dates, counts, provenance                                      */
/* ====================================================================== */

static const Evrec__V1__PlacePrecision RESOLUTION[6] = {
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_UNSPECIFIED,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_COUNTRY,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_ADMIN1,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_ADMIN2,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_CITY,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_EXACT};

static double num_of(imp *m, const jv_value *v, bool *ok) {
  double d = 0;
  const char *s = jv_str(v);
  *ok = jv_num(v, &d) || (present(s) && imp_parse_double(s, strlen(s), &d));
  (void)m;
  return d;
}

/* A location object (PLOVER event_loc, ICEWS location[i]) -> a place. */
static ev_place *location(item *it, const jv_object *o, const char *fallback_country) {
  imp *m = it->m;
  ev_place *pl = imp_new(m, &evrec__v1__place__descriptor);
  if (!pl) return NULL;
  pl->id = imp_printf(m, "p%zu", it->r->n_places + 1);
  static const char *const names[] = {"resolved_place", "name", "extracted_place", "city",
                                      "district", "province", "country", NULL};
  for (int i = 0; names[i] && !pl->name[0]; i++)
    if (present(jv_str(jv_get(o, names[i])))) pl->name = imp_str(m, jv_str(jv_get(o, names[i])));
  if (present(jv_str(jv_get(o, "province")))) pl->admin1 = imp_str(m, jv_str(jv_get(o, "province")));
  if (present(jv_str(jv_get(o, "district")))) pl->admin2 = imp_str(m, jv_str(jv_get(o, "district")));
  const char *cc = present(jv_str(jv_get(o, "country_code")));
  const char *cn = present(jv_str(jv_get(o, "country")));
  if (cc && vocab_country_by_alpha3(cc)) pl->country = imp_str(m, cc);
  else if (cn && vocab_country_from_name(cn)) pl->country = (char *)vocab_country_from_name(cn);
  else if (fallback_country) pl->country = (char *)fallback_country;
  bool has_lat, has_lon;
  double lat = num_of(m, jv_get(o, "lat"), &has_lat);
  double lon = num_of(m, jv_get(o, jv_get(o, "lon") ? "lon" : "long"), &has_lon);
  if (has_lat && has_lon && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
    pl->point = imp_new(m, &evrec__v1__geo_point__descriptor);
    if (pl->point) pl->point->latitude = lat, pl->point->longitude = lon;
  } else if (has_lat || has_lon) {
    imp_warn(m, "location coordinates out of range; left out");
  }
  const char *gid = jv_text(m, jv_get(o, "geonameid"));
  if (present(gid)) pl->geonames_id = imp_str(m, gid);
  const char *fc = present(jv_str(jv_get(o, "feature_code")));
  if (fc) pl->feature_code = imp_str(m, fc);
  bool has_res;
  double res = num_of(m, jv_get(o, "resolution"), &has_res);
  if (has_res && res >= 1 && res <= 5) pl->precision = RESOLUTION[(int)res];
  else if (present(jv_str(jv_get(o, "city")))) pl->precision = EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_CITY;
  else if (pl->admin2[0]) pl->precision = EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_ADMIN2;
  else if (pl->admin1[0]) pl->precision = EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_ADMIN1;
  if (present(jv_str(jv_get(o, "city"))) && strcmp(pl->name, jv_str(jv_get(o, "city"))) != 0)
    imp_ext(m, pl, "evrec/plover.city", jv_str(jv_get(o, "city")));
  ev_span *s = find_span(it, present(jv_str(jv_get(o, "extracted_place"))));
  if (s) pl->mention = s;
  if (!pl->name[0] && !pl->point) return NULL;
  IMP_ADD(m, it->r->places, it->r->n_places, pl);
  return pl;
}

/* A date field: "YYYY[-MM[-DD]]" (a number year too). */
static int date_field(item *it, const char *key, char **out) {
  const char *s = text_of(it, key);
  if (!present(s)) return 0;
  int p;
  if (!imp_parse_date(s, strlen(s), &p)) return item_bad(it, "%s: \"%s\" is not a date YYYY-MM-DD", key, s);
  *out = imp_str(it->m, s);
  return 0;
}

static void counts(item *it) {
  imp *m = it->m;
  static const char *const keys[] = {"dead", "injured", "arrested", "size"};
  Evrec__V1__Counts *c = imp_new(m, &evrec__v1__counts__descriptor);
  if (!c) return;
  bool any = false;
  for (int i = 0; i < 4; i++) {
    const jv_value *v = jv_get(it->o, keys[i]);
    const char *t = jv_text(m, v);
    if (!present(t)) continue;
    uint64_t n;
    if (!imp_parse_u64(t, strlen(t), &n) || n > UINT32_MAX) {
      if (i == 3) c->crowd_size_text = imp_str(m, t), any = true;
      else imp_ext(m, it->ev, imp_printf(m, "evrec/plover.%s", keys[i]), t); /* "dozens" */
      continue;
    }
    Google__Protobuf__UInt32Value *w = imp_uint32(m, (uint32_t)n);
    if (i == 0) c->fatalities = w;
    else if (i == 1) c->injured = w;
    else if (i == 2) c->arrested = w;
    else c->crowd_size = w;
    any = true;
  }
  if (any) it->ev->counts = c;
}

static void provenance(item *it, const char *dataset, const char *codebook) {
  imp *m = it->m;
  ev_provenance *pv = imp_new(m, &evrec__v1__provenance__descriptor);
  Evrec__V1__Coder *c = imp_new(m, &evrec__v1__coder__descriptor);
  Evrec__V1__Codebook *cb = imp_new(m, &evrec__v1__codebook__descriptor);
  Evrec__V1__Dataset *d = imp_new(m, &evrec__v1__dataset__descriptor);
  if (!pv || !c || !cb || !d) return;
  const jv_object *cite = jv_obj(jv_get(it->o, "cite_info"));
  const char *coder = present(text_of(it, "coder"));
  if (!coder) coder = present(jv_str(jv_get(cite, "coder")));
  if (coder) c->name = imp_str(m, coder), pv->coder = c;
  /* The codes are PLOVER 2.0 (or CAMEO 1.1b3) after import; the source's
   * own version (PLOVER 0.5b1 of the gold standard, the ICEWS converter's)
   * is the dataset's. */
  cb->name = (char *)codebook;
  cb->version = it->pf->icews ? "1.1b3" : "2.0";
  const char *version = present(text_of(it, "version"));
  if (!version) version = present(jv_str(jv_get(cite, "version")));
  if (version) d->version = imp_str(m, version);
  const char *cbs = present(jv_str(jv_get(cite, "codebook")));
  if (cbs) imp_ext(m, it->r, "evrec/plover.codebook", cbs);
  IMP_ADD(m, pv->codebooks, pv->n_codebooks, cb);
  d->name = (char *)dataset;
  d->row_id = imp_str(m, present(text_of(it, "id")));
  pv->dataset = d;
  static const char *const dates[] = {"dateCoded", "coded_date", "codedDate"};
  for (int i = 0; i < 3; i++) {
    const char *s = present(text_of(it, dates[i]));
    imp_time t;
    if (!s) continue;
    if (imp_parse_time(s, &t) && !t.has_time) pv->coded_date = imp_str(m, s);
    else if (imp_parse_time(s, &t)) pv->coded_at = imp_timestamp(m, t.seconds, t.nanos);
    else imp_warn(m, "%s: \"%s\" is not a date; left out", dates[i], s);
  }
  const char *lic = present(text_of(it, "license")), *cr = present(text_of(it, "copyright"));
  pv->license = imp_str(m, lic ? lic : it->pf->license ? it->pf->license : "");
  pv->copyright = imp_str(m, cr ? cr : it->pf->copyright ? it->pf->copyright : "");
  const char *notes = present(text_of(it, "comment"));
  if (notes) pv->notes = imp_str(m, notes);
  it->r->provenance = pv;
}

/* ====================================================================== */
/* The article                                                            */
/* ====================================================================== */

static void article(item *it) {
  imp *m = it->m;
  ev_article *a = imp_new(m, &evrec__v1__article__descriptor);
  if (!a) return;
  const jv_object *cite = jv_obj(jv_get(it->o, "cite_info"));
  a->body = imp_str(m, it->body);
  a->headline = imp_str(m, present(text_of(it, "headline")) ? text_of(it, "headline") : "");
  const jv_value *lv = jv_get(it->o, "language");
  if (!lv) lv = jv_get(cite, "language");
  const char *lang = jv_list_of(lv) && jv_list_of(lv)->n_values ? jv_str(jv_list_of(lv)->values[0])
                                                                  : jv_str(lv);
  if (present(lang)) {
    const char *l = vocab_bcp47_ok(lang) ? lang : vocab_language(lang);
    if (l) a->language = imp_str(m, l);
    else imp_warn(m, "language \"%s\" is not a BCP 47 tag; left out", lang);
  }
  const char *pub = present(text_of(it, "publication"));
  if (!pub) pub = present(jv_str(jv_get(cite, "publication")));
  const char *via = pub ? strstr(pub, ": Factiva") : NULL; /* ICEWS: "AP Newswires: Factiva" */
  if (via && !via[9]) {
    imp_ext(m, it->r, "evrec/icews.publication", pub);
    pub = strncmp(pub, "Unknown:", 8) == 0 ? NULL : imp_strn(m, pub, (size_t)(via - pub));
  }
  if (pub) {
    a->publisher = imp_new(m, &evrec__v1__publisher__descriptor);
    if (a->publisher) a->publisher->name = imp_str(m, pub);
  }
  const char *url = present(jv_str(jv_get(cite, "url")));
  if (url && imp_is_http_url(url)) a->uri = imp_str(m, url);
  const char *title = present(jv_str(jv_get(cite, "title")));
  if (title && !a->headline[0]) a->headline = imp_str(m, title);
  const char *citation = present(jv_text(m, jv_get(cite, "citation")));
  if (citation) IMP_ADD(m, a->alt_ids, a->n_alt_ids, imp_extid(m, "plover.citation", citation));
  if (a->body[0] || a->headline[0] || a->language[0] || a->publisher || a->uri[0]) it->r->article = a;
}

/* Evidence of the event: EVT markup groups, else the event text(s). */
static void evidence(item *it, const mark *marks, size_t n_marks) {
  imp *m = it->m;
  bool any = false;
  for (size_t k = 0; k < n_marks; k++) {
    if (strcmp(marks[k].tag, "EVT") != 0) continue;
    ev_mention *e = imp_new(m, &evrec__v1__mention__descriptor);
    if (!e) continue;
    e->span = imp_span(m, marks[k].start, marks[k].end);
    e->text = (char *)marks[k].words;
    IMP_ADD(m, it->ev->evidence, it->ev->n_evidence, e);
    any = true;
  }
  if (any) return;
  const jv_value *v = jv_get(it->o, "eventText");
  if (!v) v = jv_get(it->o, "event_text");
  const jv_list *l = jv_list_of(v);
  for (size_t i = 0; i < (l ? l->n_values : v ? 1 : 0); i++) {
    const char *t = present(jv_str(l ? l->values[i] : v));
    if (!t) continue;
    ev_mention *e = imp_new(m, &evrec__v1__mention__descriptor);
    if (!e) continue;
    const char *at = NULL;
    e->span = find_span_at(it, t, &at);
    if (e->span) e->text = imp_strn(m, at, strlen(t)); /* as in the body: must equal body[span] */
    else imp_ext(m, it->ev, "evrec/plover.event_text", t);
    if (e->span) IMP_ADD(m, it->ev->evidence, it->ev->n_evidence, e);
  }
}

/* ====================================================================== */
/* PLOVER items                                                           */
/* ====================================================================== */

static const char *const PLOVER_MAPPED[] = {
    "id", "date", "enddate", "time", "endtime", "actor", "source", "recipient", "target",
    "event", "eventText", "event_text", "mode", "context", "eventLoc", "event_loc", "text",
    "textInfo", "text_info", "cite_info", "language", "publication", "coder", "version",
    "dateCoded", "coded_date", "coded_time", "license", "copyright", "comment", "dead",
    "injured", "arrested", "size", "link", "quad_code", "has_event", "headline", NULL};

static void keep_rest(item *it, const char *const *mapped) {
  imp *m = it->m;
  for (size_t i = 0; i < it->o->n_fields; i++) {
    const char *k = it->o->fields[i]->key;
    const jv_value *v = it->o->fields[i]->value;
    if (in_list(mapped, k) || jv_is_null(v)) continue;
    const char *t = jv_text(m, v);
    if (t && !t[0]) continue;
    imp_ext(m, it->ev, imp_printf(m, "evrec/%s.%s", it->pf->icews ? "icews" : "plover", k),
            t ? t : jv_to_json(m, v));
  }
}

static int document(imp *m, plover_file *pf, const jv_object *o) {
  const char *lic = jv_str(jv_get(o, "license")), *cr = jv_str(jv_get(o, "copyright"));
  free((char *)pf->license);
  free((char *)pf->copyright);
  pf->license = present(lic) ? strdup(lic) : NULL;
  pf->copyright = present(cr) ? strdup(cr) : NULL;
  /* kept for every record after it: losing one would drop it silently */
  if ((present(lic) && !pf->license) || (present(cr) && !pf->copyright))
    return imp_fail(m, "out of memory");
  return 0;
}

static int item_start(item *it, imp *m, plover_file *pf, const jv_object *o) {
  memset(it, 0, sizeof *it);
  it->m = m;
  it->pf = pf;
  it->o = o;
  it->r = imp_new(m, &evrec__v1__record__descriptor);
  it->ev = imp_new(m, &evrec__v1__event__descriptor);
  if (!it->r || !it->ev) return imp_fail(m, "out of memory");
  const char *id = present(jv_text(m, jv_get(o, "id")));
  m->item_id = id;
  if (!id) {
    imp_bad(m, "no \"id\": every %s record needs one", pf->icews ? "ICEWS" : "PLOVER");
    return 1;
  }
  it->r->id = imp_printf(m, "%s:%s", pf->icews ? "icews" : "plover", id);
  it->r->revision = 1;
  it->r->status = EVREC__V1__RECORD_STATUS__RECORD_STATUS_ACTIVE;
  it->ev->id = "e1";
  it->body = present(text_of(it, "text")) ? imp_unix_newlines(m, text_of(it, "text")) : "";
  IMP_ADD(m, it->ev->source_ids, it->ev->n_source_ids,
          imp_extid(m, pf->icews ? "icews.id" : "plover.id", id));
  return 0;
}

static int item_end(item *it, int rc) {
  imp *m = it->m;
  if (rc) {
    imp_discard(m);
    return m->status ? IMP_STOP : 0;
  }
  IMP_ADD(m, it->r->events, it->r->n_events, it->ev);
  return imp_emit(m, it->r);
}

static int plover_item(imp *m, const jv_object *o, void *payload) {
  plover_file *pf = payload;
  item it;
  const jv_value *ev = jv_get(o, "event");
  if (jv_str(ev) && strcmp(jv_str(ev), "DOCUMENT") == 0) return document(m, pf, o);
  const jv_value *has = jv_get(o, "has_event");
  if (has && has->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE && !has->bool_value) {
    imp_warn(m, "has_event is false: no event coded; skipped");
    return 0;
  }
  int rc = item_start(&it, m, pf, o);
  if (rc) return rc < 0 ? rc : item_end(&it, rc);
  const jv_object *ti = jv_obj(jv_get(o, "textInfo"));
  if (!ti) ti = jv_obj(jv_get(o, "text_info"));
  it.markup = jv_str(jv_get(ti, "markup"));
  mark marks[64];
  size_t n_marks = parse_markup(&it, marks, 64);
  if (!ev || (!jv_str(ev) && !jv_list_of(ev)))
    rc = item_bad(&it, "no \"event\": the PLOVER category is required");
  if (!rc) rc = each_code(&it, ev, false, add_category);
  if (!rc) rc = each_code(&it, jv_get(o, "mode"), false, add_mode);
  if (!rc) rc = each_code(&it, jv_get(o, "context"), true, add_context);
  if (!rc) rc = date_field(&it, "date", &it.ev->start_date) ||
                date_field(&it, "enddate", &it.ev->end_date);
  if (rc) return item_end(&it, rc);
  const jv_value *actor = jv_get(o, "actor");
  add_entities(&it, actor ? actor : jv_get(o, "source"),
               EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_ACTOR, marks, n_marks);
  const jv_value *recipient = jv_get(o, "recipient");
  if (!recipient) recipient = jv_get(o, "target");
  add_entities(&it, recipient, EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_RECIPIENT, marks,
               n_marks);
  /* 0.5b1 codes both sides of a symmetric event ("Hungarian and Romanian
   * officials agreed") as sources marked SRC/TAR: each is also a recipient. */
  if (jv_is_null(recipient))
    for (size_t i = 0; i < it.n_both; i++)
      add_participant(&it, it.both[i], EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_RECIPIENT);
  const jv_object *loc = jv_obj(jv_get(o, "event_loc"));
  if (!loc) loc = jv_obj(jv_get(o, "eventLoc"));
  ev_place *pl = loc ? location(&it, loc, NULL) : NULL;
  if (pl) it.ev->place_id = pl->id;
  const char *link = present(text_of(&it, "link"));
  if (link) it.ev->cluster_id = imp_str(m, link);
  double q;
  if (jv_num(jv_get(o, "quad_code"), &q) && it.ev->quad_class && q != it.ev->quad_class)
    imp_warn(m, "quad_code %g differs from the quad class of %s; the category's is kept", q,
             it.ev->types[0]->code);
  evidence(&it, marks, n_marks);
  counts(&it);
  article(&it);
  provenance(&it, "PLOVER", "PLOVER");
  keep_rest(&it, PLOVER_MAPPED);
  return item_end(&it, 0);
}

/* ====================================================================== */
/* ICEWS items                                                            */
/* ====================================================================== */

static const char *const ICEWS_MAPPED[] = {
    "id", "date", "enddate", "event", "eventText", "headline", "text", "language", "location",
    "ccode", "publication", "coder", "codedDate", "version", "size", "sizeCategory",
    "protesteridentity", "country", "year", NULL};

/* "Citizen (Armenia): Social,General Population / Civilian / Social: Armenia" */
static void protester(item *it, const char *s) {
  imp *m = it->m;
  const char *c1 = strstr(s, ": ");
  const char *c2 = c1 ? strstr(c1 + 2, ": ") : NULL;
  ev_actor *a = imp_new(m, &evrec__v1__actor__descriptor);
  if (!a) return;
  a->id = imp_printf(m, "a%zu", it->r->n_actors + 1);
  a->name = c1 ? imp_strn(m, s, (size_t)(c1 - s)) : imp_str(m, s);
  if (c2) {
    imp_ext(m, a, "evrec/icews.sectors", imp_strn(m, c1 + 2, (size_t)(c2 - c1 - 2)));
    set_country(it, a, NULL, c2 + 2);
  }
  ev_span *sp = find_span(it, a->name);
  if (sp) IMP_ADD(m, a->mentions, a->n_mentions, sp);
  IMP_ADD(m, it->r->actors, it->r->n_actors, a);
  ev_participant *p = imp_new(m, &evrec__v1__participant__descriptor);
  if (p) {
    p->actor_id = a->id;
    p->role = EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_ACTOR;
    IMP_ADD(m, it->ev->participants, it->ev->n_participants, p);
  }
}

static int icews_event(item *it) {
  imp *m = it->m;
  const char *code = text_of(it, "event");
  if (!present(code)) return item_bad(it, "no \"event\": the CAMEO code is required");
  const char *label = vocab_cameo_label(code, strlen(code));
  if (!label) return item_bad(it, "event: \"%s\" is not a CAMEO code", code);
  ev_event_type *t = imp_new(m, &evrec__v1__event_type__descriptor);
  if (!t) return 0;
  t->scheme = EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_CAMEO;
  t->code = imp_str(m, code);
  t->label = imp_str(m, present(text_of(it, "eventText")) ? text_of(it, "eventText") : label);
  IMP_ADD(m, it->ev->types, it->ev->n_types, t);
  it->ev->quad_class = (Evrec__V1__QuadClass)vocab_cameo_quad(code);
  return 0;
}

static void icews_places(item *it) {
  imp *m = it->m;
  const char *cc = present(text_of(it, "ccode"));
  const char *fallback = cc && vocab_country_by_alpha3(cc) ? cc : NULL;
  const jv_value *v = jv_get(it->o, "location");
  const jv_list *l = jv_list_of(v);
  for (size_t i = 0; i < (l ? l->n_values : jv_obj(v) ? 1 : 0); i++) {
    const jv_object *o = jv_obj(l ? l->values[i] : v);
    ev_place *pl = o ? location(it, o, fallback) : NULL;
    if (pl && !it->ev->place_id[0]) it->ev->place_id = pl->id;
  }
  if (!it->ev->place_id[0] && fallback) { /* no location: the country */
    ev_place *pl = imp_new(m, &evrec__v1__place__descriptor);
    if (!pl) return;
    pl->id = imp_printf(m, "p%zu", it->r->n_places + 1);
    pl->name = imp_str(m, present(text_of(it, "country")) ? text_of(it, "country") : fallback);
    pl->country = (char *)fallback;
    pl->precision = EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_COUNTRY;
    IMP_ADD(m, it->r->places, it->r->n_places, pl);
    it->ev->place_id = pl->id;
  }
}

static int icews_item(imp *m, const jv_object *o, void *payload) {
  plover_file *pf = payload;
  item it;
  int rc = item_start(&it, m, pf, o);
  if (rc) return rc < 0 ? rc : item_end(&it, rc);
  rc = icews_event(&it);
  if (!rc) rc = date_field(&it, "date", &it.ev->start_date) ||
                date_field(&it, "enddate", &it.ev->end_date);
  if (rc) return item_end(&it, rc);
  if (!strcmp(it.ev->end_date, it.ev->start_date)) it.ev->end_date = (char *)protobuf_c_empty_string;
  const char *who = present(text_of(&it, "protesteridentity"));
  if (who) protester(&it, who);
  icews_places(&it);
  const char *size = present(text_of(&it, "size")), *cat = present(text_of(&it, "sizeCategory"));
  if (size || cat) {
    Evrec__V1__Counts *c = imp_new(m, &evrec__v1__counts__descriptor);
    uint64_t n;
    if (c && size && imp_parse_u64(size, strlen(size), &n) && n <= UINT32_MAX)
      c->crowd_size = imp_uint32(m, (uint32_t)n);
    else if (c && size)
      c->crowd_size_text = imp_str(m, size);
    if (c && cat && !c->crowd_size_text[0]) c->crowd_size_text = imp_str(m, cat);
    it.ev->counts = c;
  }
  article(&it);
  provenance(&it, "ICEWS", "CAMEO");
  keep_rest(&it, ICEWS_MAPPED);
  return item_end(&it, 0);
}

static int run(imp *m, const char *path, bool icews) {
  plover_file pf = {NULL, NULL, icews};
  int rc = imp_json_each(m, path, icews ? icews_item : plover_item, &pf);
  free((char *)pf.license);
  free((char *)pf.copyright);
  return rc;
}

int imp_plover(imp *m, const char *path) { return run(m, path, false); }
int imp_icews(imp *m, const char *path) { return run(m, path, true); }
