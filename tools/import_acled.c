/*
 * import_acled.c -- ACLED CSV -> records, one per row.
 *
 * Columns are found by the header's names, not by position, so the old
 * 31-column layout (data_id, iso, ..., iso3), the current one (disorder_type,
 * civilian_targeting, tags; inter codes as text since 2024) and any export
 * with extra or reordered columns all read alike. A column the importer
 * does not know is kept in the record's extensions as "evrec/acled.<name>".
 * A file of deletions (event_id_cnty + deleted_timestamp, as ACLED's API
 * serves them) becomes DELETED tombstones.
 *
 * Dates: ACLED writes "2020-05-09" or "09 May 2020"; Excel rewrites them as
 * "9-May-20" (two-digit years are settled by the `year` column when there
 * is one, else 19xx for 97-99 -- ACLED begins in 1997 -- and 20xx below).
 * time_precision 1 and 2 keep the day, 3 keeps the month ("2020-05").
 *
 * Mapping: one event typed in the ACLED scheme (event_type + sub_event_type
 * as subtype), actor1/actor2 as actor and recipient with their inter codes
 * (scheme "acled.inter"), each associated actor ("; "-separated) as an
 * ASSOCIATED participant of its main actor, the location as a place
 * (geo_precision 1 -> CITY, 2 -> ADMIN2, 3 -> ADMIN1), fatalities, the
 * crowd size tag "[size=...]" of the notes, notes as the event summary,
 * source and source_scale on the article, timestamp -> updated_at.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imp.h"

/* Columns the importer maps. */
enum {
  K_DATA_ID, K_ISO, K_EVENT_ID_CNTY, K_EVENT_ID_NO_CNTY, K_EVENT_DATE, K_YEAR, K_TIME_PRECISION,
  K_DISORDER_TYPE, K_EVENT_TYPE, K_SUB_EVENT_TYPE, K_ACTOR1, K_ASSOC_ACTOR_1, K_INTER1, K_ACTOR2,
  K_ASSOC_ACTOR_2, K_INTER2, K_INTERACTION, K_CIVILIAN_TARGETING, K_REGION, K_COUNTRY, K_ADMIN1,
  K_ADMIN2, K_ADMIN3, K_LOCATION, K_LATITUDE, K_LONGITUDE, K_GEO_PRECISION, K_SOURCE,
  K_SOURCE_SCALE, K_NOTES, K_FATALITIES, K_TAGS, K_TIMESTAMP, K_ISO3, K_DELETED_TIMESTAMP, N_KNOWN
};

static const char *const KNOWN[N_KNOWN] = {
    "data_id", "iso", "event_id_cnty", "event_id_no_cnty", "event_date", "year",
    "time_precision", "disorder_type", "event_type", "sub_event_type", "actor1",
    "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "civilian_targeting", "region", "country", "admin1", "admin2", "admin3", "location",
    "latitude", "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities",
    "tags", "timestamp", "iso3", "deleted_timestamp"};

/* ACLED's actor type codes (inter1/inter2), numbers before 2024, text since. */
static const struct {
  const char *label;
  Evrec__V1__ActorKind kind;
} INTER[9] = {
    {"", EVREC__V1__ACTOR_KIND__ACTOR_KIND_UNSPECIFIED},
    {"State forces", EVREC__V1__ACTOR_KIND__ACTOR_KIND_GOVERNMENT},
    {"Rebel groups", EVREC__V1__ACTOR_KIND__ACTOR_KIND_ORGANIZATION},
    {"Political militias", EVREC__V1__ACTOR_KIND__ACTOR_KIND_ORGANIZATION},
    {"Identity militias", EVREC__V1__ACTOR_KIND__ACTOR_KIND_GROUP},
    {"Rioters", EVREC__V1__ACTOR_KIND__ACTOR_KIND_GROUP},
    {"Protesters", EVREC__V1__ACTOR_KIND__ACTOR_KIND_GROUP},
    {"Civilians", EVREC__V1__ACTOR_KIND__ACTOR_KIND_GROUP},
    {"External/Other forces", EVREC__V1__ACTOR_KIND__ACTOR_KIND_OTHER},
};

static const Evrec__V1__PlacePrecision GEO_PRECISION[4] = {
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_UNSPECIFIED,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_CITY,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_ADMIN2,
    EVREC__V1__PLACE_PRECISION__PLACE_PRECISION_ADMIN1};

typedef struct acled {
  imp *m;
  int col[N_KNOWN];   /* column index of each known name, -1 = absent */
  char **names;       /* header names, by column (malloc'ed copies) */
  bool *known;        /* the column is mapped */
  size_t n_cols;
  char **f;           /* the current row */
  size_t *len;
} acled;

/* The value of known column k in the current row ("" when absent). */
static const char *val(const acled *a, int k) {
  return a->col[k] >= 0 ? a->f[a->col[k]] : "";
}

static int bad(acled *a, int k, const char *what) {
  imp_bad_col(a->m, (unsigned)a->col[k] + 1, KNOWN[k], "\"%s\" %s", val(a, k), what);
  return 1;
}

/* ====================================================================== */
/* Header                                                                 */
/* ====================================================================== */

static void header_free(acled *a) {
  for (size_t i = 0; i < a->n_cols; i++) free(a->names[i]);
  free(a->names);
  free(a->known);
  a->names = NULL;
  a->known = NULL;
  a->n_cols = 0;
}

static int header(acled *a, char **f, size_t n) {
  imp *m = a->m;
  for (int k = 0; k < N_KNOWN; k++) a->col[k] = -1;
  a->names = calloc(n, sizeof *a->names);
  a->known = calloc(n, sizeof *a->known);
  if (!a->names || !a->known) return imp_fail(m, "out of memory");
  a->n_cols = n;
  for (size_t i = 0; i < n; i++) {
    char *name = f[i];
    while (isspace((unsigned char)*name)) name++;
    size_t l = strlen(name);
    while (l && isspace((unsigned char)name[l - 1])) l--;
    a->names[i] = strndup(name, l);
    if (!a->names[i]) return imp_fail(m, "out of memory");
    for (size_t j = 0; j < l; j++) a->names[i][j] = (char)tolower((unsigned char)a->names[i][j]);
    for (size_t j = 0; j < i; j++)
      if (strcmp(a->names[i], a->names[j]) == 0) {
        imp_bad(m, "column %zu: \"%s\" appears twice in the header", i + 1, a->names[i]);
        m->status = CLI_EXIT_INVALID; /* no row can be read right: not skippable */
        return IMP_STOP;
      }
    for (int k = 0; k < N_KNOWN; k++)
      if (strcmp(a->names[i], KNOWN[k]) == 0) a->col[k] = (int)i, a->known[i] = true;
  }
  bool deletions = a->col[K_DELETED_TIMESTAMP] >= 0 && a->col[K_EVENT_ID_CNTY] >= 0;
  if (!deletions && (a->col[K_EVENT_DATE] < 0 || a->col[K_EVENT_TYPE] < 0 ||
                     (a->col[K_EVENT_ID_CNTY] < 0 && a->col[K_DATA_ID] < 0))) {
    imp_bad(m, "not an ACLED header: it needs event_date, event_type and event_id_cnty "
               "(or data_id) columns");
    m->status = CLI_EXIT_INVALID;
    return IMP_STOP;
  }
  return 0;
}

/* ====================================================================== */
/* Values                                                                 */
/* ====================================================================== */

static int month_of(const char *s, size_t n) {
  static const char *const MONTHS[] = {"january", "february", "march",     "april",
                                       "may",     "june",     "july",      "august",
                                       "september", "october", "november", "december"};
  if (n < 3) return 0;
  for (int i = 0; i < 12; i++)
    if (strncasecmp(s, MONTHS[i], n) == 0 && (n == 3 || n == strlen(MONTHS[i]))) return i + 1;
  return 0;
}

/* "2020-05-09", "09 May 2020", "9 May 2020", "9-May-20", "09-May-2020". */
static bool parse_acled_date(const char *s, int64_t year_col, unsigned *y, unsigned *mo,
                             unsigned *d) {
  int p;
  if (imp_parse_date(s, strlen(s), &p) && p == 3) {
    *y = (unsigned)atoi(s), *mo = (unsigned)atoi(s + 5), *d = (unsigned)atoi(s + 8);
    return true;
  }
  char *end;
  unsigned long day = strtoul(s, &end, 10);
  if (end == s || end - s > 2 || (*end != ' ' && *end != '-')) return false;
  const char *ms = end + 1;
  size_t ml = strcspn(ms, " -");
  int month = month_of(ms, ml);
  if (!month || (ms[ml] != ' ' && ms[ml] != '-')) return false;
  const char *ys = ms + ml + 1;
  size_t yl = strlen(ys);
  uint64_t year;
  if ((yl != 2 && yl != 4) || !imp_parse_u64(ys, yl, &year)) return false;
  if (yl == 2) {
    if (year_col > 0 && year_col % 100 == (int64_t)year) year = (uint64_t)year_col;
    else year += year >= 97 ? 1900 : 2000;
  }
  *y = (unsigned)year, *mo = (unsigned)month, *d = (unsigned)day;
  return imp_valid_date(*y, *mo, *d);
}

/* The actor type code of inter1/inter2: "1".."8" or its label. */
static int inter_code(const char *s) {
  if (s[0] >= '0' && s[0] <= '8' && !s[1]) return s[0] - '0';
  for (int i = 1; i < 9; i++)
    if (strcasecmp(s, INTER[i].label) == 0) return i;
  return -1;
}

/* ====================================================================== */
/* Building                                                               */
/* ====================================================================== */

typedef struct row_build {
  acled *a;
  ev_record *r;
  ev_event *ev;
} row_build;

static ev_actor *find_actor(ev_record *r, const char *name) {
  for (size_t i = 0; i < r->n_actors; i++)
    if (strcmp(r->actors[i]->name, name) == 0) return r->actors[i];
  return NULL;
}

/* An actor of the event; `with` = the main actor for associated ones. */
static const char *add_actor(row_build *b, const char *name, Evrec__V1__ParticipantRole role,
                             int inter, const char *with) {
  imp *m = b->a->m;
  ev_actor *ac = find_actor(b->r, name);
  if (!ac) {
    ac = imp_new(m, &evrec__v1__actor__descriptor);
    if (!ac) return "";
    ac->id = imp_printf(m, "a%zu", b->r->n_actors + 1);
    ac->name = imp_str(m, name);
    if (inter > 0) {
      ac->kind = INTER[inter].kind;
      char code[2] = {(char)('0' + inter), 0};
      IMP_ADD(m, ac->codes, ac->n_codes, imp_code(m, "acled.inter", code, INTER[inter].label));
    }
    IMP_ADD(m, b->r->actors, b->r->n_actors, ac);
  }
  ev_participant *p = imp_new(m, &evrec__v1__participant__descriptor);
  if (p) {
    p->actor_id = ac->id;
    p->role = role;
    if (with) p->associated_with = (char *)with;
    IMP_ADD(m, b->ev->participants, b->ev->n_participants, p);
  }
  return ac->id;
}

/* "A; B; C" -> associated participants of `main`. */
static void add_assoc(row_build *b, const char *list, const char *main) {
  imp *m = b->a->m;
  for (const char *p = list; *p;) {
    while (*p == ' ' || *p == ';') p++;
    size_t n = strcspn(p, ";");
    size_t t = n;
    while (t && p[t - 1] == ' ') t--;
    if (t) add_actor(b, imp_strn(m, p, t), EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_ASSOCIATED, 0,
                     main);
    p += n;
  }
}

static int build_actors(row_build *b) {
  acled *a = b->a;
  const char *names[2] = {val(a, K_ACTOR1), val(a, K_ACTOR2)};
  const int inters[2] = {K_INTER1, K_INTER2}, assoc[2] = {K_ASSOC_ACTOR_1, K_ASSOC_ACTOR_2};
  for (int i = 0; i < 2; i++) {
    const char *inter_s = val(a, inters[i]);
    int inter = inter_s[0] ? inter_code(inter_s) : 0;
    if (inter < 0) return bad(a, inters[i], "is not an ACLED actor type (1-8 or its name)");
    if (!names[i][0]) {
      if (val(a, assoc[i])[0]) return bad(a, assoc[i], "names associates of no actor");
      continue;
    }
    const char *id = add_actor(b, names[i], i ? EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_RECIPIENT
                                              : EVREC__V1__PARTICIPANT_ROLE__PARTICIPANT_ROLE_ACTOR,
                               inter, NULL);
    add_assoc(b, val(a, assoc[i]), id);
  }
  return 0;
}

static int build_place(row_build *b) {
  acled *a = b->a;
  imp *m = a->m;
  ev_place *pl = imp_new(m, &evrec__v1__place__descriptor);
  if (!pl) return 0;
  pl->id = "p1";
  pl->name = imp_str(m, val(a, K_LOCATION));
  const char *iso3 = val(a, K_ISO3), *iso = val(a, K_ISO);
  if (iso3[0]) {
    if (!vocab_country_by_alpha3(iso3)) return bad(a, K_ISO3, "is not an ISO 3166-1 alpha-3 code");
    pl->country = imp_str(m, iso3);
  } else if (iso[0]) {
    const char *c = vocab_country_from_numeric(iso);
    if (c) pl->country = (char *)c;
    else imp_warn(m, "column %d (iso): \"%s\" is not an ISO 3166-1 numeric code; country left out",
                  a->col[K_ISO] + 1, iso);
  }
  pl->admin1 = imp_str(m, val(a, K_ADMIN1));
  pl->admin2 = imp_str(m, val(a, K_ADMIN2));
  pl->admin3 = imp_str(m, val(a, K_ADMIN3));
  double lat, lon;
  const char *las = val(a, K_LATITUDE), *los = val(a, K_LONGITUDE);
  if (las[0] || los[0]) {
    if (!imp_parse_double(las, strlen(las), &lat) || lat < -90 || lat > 90)
      return bad(a, K_LATITUDE, "is not a latitude (-90 to 90)");
    if (!imp_parse_double(los, strlen(los), &lon) || lon < -180 || lon > 180)
      return bad(a, K_LONGITUDE, "is not a longitude (-180 to 180)");
    pl->point = imp_new(m, &evrec__v1__geo_point__descriptor);
    if (pl->point) pl->point->latitude = lat, pl->point->longitude = lon;
  }
  const char *gp = val(a, K_GEO_PRECISION);
  if (gp[0]) {
    if (strlen(gp) != 1 || gp[0] < '1' || gp[0] > '3') return bad(a, K_GEO_PRECISION, "is not 1, 2 or 3");
    pl->precision = GEO_PRECISION[gp[0] - '0'];
  }
  if (val(a, K_REGION)[0]) imp_ext(m, pl, "evrec/acled.region", val(a, K_REGION));
  if (val(a, K_COUNTRY)[0]) imp_ext(m, pl, "evrec/acled.country", val(a, K_COUNTRY));
  IMP_ADD(m, b->r->places, b->r->n_places, pl);
  b->ev->place_id = pl->id;
  return 0;
}

static int build_dates(row_build *b) {
  acled *a = b->a;
  imp *m = a->m;
  int64_t year_col = 0;
  const char *ys = val(a, K_YEAR);
  if (ys[0] && !imp_parse_i64(ys, strlen(ys), &year_col)) return bad(a, K_YEAR, "is not a year");
  unsigned y, mo, d;
  if (!parse_acled_date(val(a, K_EVENT_DATE), year_col, &y, &mo, &d))
    return bad(a, K_EVENT_DATE, "is not a date (2020-05-09, 09 May 2020 or 9-May-20)");
  if (year_col && year_col != (int64_t)y) return bad(a, K_YEAR, "is not the year of event_date");
  const char *tp = val(a, K_TIME_PRECISION);
  if (tp[0] && (strlen(tp) != 1 || tp[0] < '1' || tp[0] > '3'))
    return bad(a, K_TIME_PRECISION, "is not 1, 2 or 3");
  b->ev->start_date = tp[0] == '3' ? imp_printf(m, "%04u-%02u", y, mo)
                                   : imp_printf(m, "%04u-%02u-%02u", y, mo, d);
  if (tp[0]) imp_ext(m, b->ev, "evrec/acled.time_precision", tp);
  return 0;
}

/* "[size=no report]" in the notes, or "crowd size=..." in the tags. */
static void crowd_size(row_build *b, Evrec__V1__Counts *c) {
  imp *m = b->a->m;
  const char *notes = val(b->a, K_NOTES), *tags = val(b->a, K_TAGS);
  const char *s = strstr(notes, "[size=");
  if (s) {
    s += 6;
    size_t n = strcspn(s, "]");
    if (s[n] == ']') c->crowd_size_text = imp_strn(m, s, n);
    return;
  }
  s = strstr(tags, "crowd size=");
  if (s) c->crowd_size_text = imp_strn(m, s + 11, strcspn(s + 11, ";"));
}

static int build_event(row_build *b) {
  acled *a = b->a;
  imp *m = a->m;
  ev_event *ev = b->ev;
  ev_event_type *t = imp_new(m, &evrec__v1__event_type__descriptor);
  if (!t) return 0;
  ev->id = "e1";
  t->scheme = EVREC__V1__EVENT_SCHEME__EVENT_SCHEME_ACLED;
  t->code = imp_str(m, val(a, K_EVENT_TYPE));
  t->subtype = imp_str(m, val(a, K_SUB_EVENT_TYPE));
  if (!t->code[0]) return bad(a, K_EVENT_TYPE, "is empty");
  IMP_ADD(m, ev->types, ev->n_types, t);
  ev->summary = imp_str(m, val(a, K_NOTES));
  if (build_dates(b) || build_actors(b) || build_place(b)) return 1;
  Evrec__V1__Counts *c = imp_new(m, &evrec__v1__counts__descriptor);
  const char *fat = val(a, K_FATALITIES);
  uint64_t n;
  if (fat[0] && (!imp_parse_u64(fat, strlen(fat), &n) || n > UINT32_MAX))
    return bad(a, K_FATALITIES, "is not a number of people");
  if (c && fat[0]) c->fatalities = imp_uint32(m, (uint32_t)n);
  if (c) crowd_size(b, c);
  if (c && (c->fatalities || c->crowd_size_text[0])) ev->counts = c;
  static const int ids[] = {K_EVENT_ID_CNTY, K_DATA_ID, K_EVENT_ID_NO_CNTY};
  static const char *const schemes[] = {"acled.event_id_cnty", "acled.data_id",
                                        "acled.event_id_no_cnty"};
  for (int i = 0; i < 3; i++)
    if (val(a, ids[i])[0]) IMP_ADD(m, ev->source_ids, ev->n_source_ids, imp_extid(m, schemes[i], val(a, ids[i])));
  static const int exts[] = {K_INTERACTION, K_DISORDER_TYPE, K_CIVILIAN_TARGETING, K_TAGS};
  for (int i = 0; i < 4; i++)
    if (val(a, exts[i])[0])
      imp_ext(m, ev, imp_printf(m, "evrec/acled.%s", KNOWN[exts[i]]), val(a, exts[i]));
  IMP_ADD(m, b->r->events, b->r->n_events, ev);
  return 0;
}

static int timestamp(acled *a, int k, Google__Protobuf__Timestamp **out) {
  const char *ts = val(a, k);
  int64_t secs;
  if (!ts[0]) return 0;
  if (!imp_parse_i64(ts, strlen(ts), &secs) || secs < 0 || secs > INT64_C(253402300799))
    return bad(a, k, "is not a Unix time in seconds");
  *out = imp_timestamp(a->m, secs, 0);
  return 0;
}

static void provenance(acled *a, ev_record *r) {
  imp *m = a->m;
  ev_provenance *pv = imp_new(m, &evrec__v1__provenance__descriptor);
  Evrec__V1__Coder *c = imp_new(m, &evrec__v1__coder__descriptor);
  Evrec__V1__Codebook *cb = imp_new(m, &evrec__v1__codebook__descriptor);
  Evrec__V1__Dataset *d = imp_new(m, &evrec__v1__dataset__descriptor);
  if (!pv || !c || !cb || !d) return;
  c->name = "ACLED";
  c->kind = EVREC__V1__CODER_KIND__CODER_KIND_HUMAN;
  cb->name = "ACLED";
  d->name = "ACLED";
  d->uri = "https://acleddata.com/";
  d->row_id = imp_str(m, val(a, a->col[K_DATA_ID] >= 0 ? K_DATA_ID : K_EVENT_ID_CNTY));
  pv->coder = c;
  IMP_ADD(m, pv->codebooks, pv->n_codebooks, cb);
  pv->dataset = d;
  r->provenance = pv;
}

static int row(acled *a, char **f, size_t *len, size_t n) {
  imp *m = a->m;
  if (n != a->n_cols) {
    while (n > a->n_cols && !len[n - 1]) n--; /* trailing empty fields */
    if (n != a->n_cols) {
      imp_bad(m, "%zu columns; the header has %zu", n, a->n_cols);
      return m->status ? IMP_STOP : 0;
    }
  }
  a->f = f;
  a->len = len;
  ev_record *r = imp_new(m, &evrec__v1__record__descriptor);
  row_build b = {a, r, imp_new(m, &evrec__v1__event__descriptor)};
  if (!r || !b.ev) return imp_fail(m, "out of memory");
  const char *id = val(a, K_EVENT_ID_CNTY)[0] ? val(a, K_EVENT_ID_CNTY) : val(a, K_DATA_ID);
  if (!id[0]) {
    bad(a, a->col[K_EVENT_ID_CNTY] >= 0 ? K_EVENT_ID_CNTY : K_DATA_ID, "is empty");
    imp_discard(m);
    return m->status ? IMP_STOP : 0;
  }
  r->id = imp_printf(m, "acled:%s", id);
  r->revision = 1;
  int rc;
  if (a->col[K_DELETED_TIMESTAMP] >= 0 && a->col[K_EVENT_TYPE] < 0) { /* a deletion */
    r->status = EVREC__V1__RECORD_STATUS__RECORD_STATUS_DELETED;
    rc = timestamp(a, K_DELETED_TIMESTAMP, &r->updated_at);
  } else {
    r->status = EVREC__V1__RECORD_STATUS__RECORD_STATUS_ACTIVE;
    rc = timestamp(a, K_TIMESTAMP, &r->updated_at) || build_event(&b);
    if (!rc && (val(a, K_SOURCE)[0] || val(a, K_SOURCE_SCALE)[0])) {
      ev_article *ar = imp_new(m, &evrec__v1__article__descriptor);
      ev_publisher *p = imp_new(m, &evrec__v1__publisher__descriptor);
      if (ar && p && val(a, K_SOURCE)[0]) p->name = imp_str(m, val(a, K_SOURCE)), ar->publisher = p;
      if (ar) ar->source_scale = imp_str(m, val(a, K_SOURCE_SCALE));
      r->article = ar;
    }
    if (!rc) provenance(a, r);
    for (size_t i = 0; !rc && i < a->n_cols; i++)
      if (!a->known[i] && len[i])
        imp_ext(m, r, imp_printf(m, "evrec/acled.%s", a->names[i]), f[i]);
  }
  if (rc) {
    imp_discard(m);
    return m->status ? IMP_STOP : 0;
  }
  return imp_emit(m, r);
}

int imp_acled(imp *m, const char *path) {
  acled a;
  imp_csv *c;
  char why[256], **f;
  size_t *len, n;
  memset(&a, 0, sizeof a);
  a.m = m;
  m->file = cli_display_name(path, false);
  if (imp_csv_open(&c, path, ',', true, m->max_row, why, sizeof why)) return imp_fail(m, "%s", why);
  int rc, status = 0;
  bool have_header = false;
  while ((rc = imp_csv_next(c, &f, &len, &n, why, sizeof why)) != 0) {
    m->line = rc == -1 ? 0 : imp_csv_line(c);
    if (rc == -1) {
      status = imp_fail(m, "%s: %s", m->file, why);
    } else if (rc == -2) {
      status = imp_bad(m, "%s", why);
      if (!have_header) { /* without a header no row can be read */
        m->status = CLI_EXIT_INVALID;
        status = IMP_STOP;
      }
    } else if (!have_header) {
      have_header = true;
      status = header(&a, f, n);
    } else {
      if (imp_csv_unterminated(c))
        imp_warn(m, "the last line has no newline: the file may be cut short");
      status = row(&a, f, len, n);
    }
    if (status) break;
  }
  if (!status && !have_header) imp_warn(m, "empty file: no header, no rows");
  imp_csv_close(c);
  header_free(&a);
  m->line = 0;
  return status;
}
