/*
 * interop_claimreview.c -- schema.org ClaimReview (JSON-LD) <-> Claim, and
 * the Google Fact Check Tools API's claims:search response -> Claims.
 *
 * One record per ClaimReview object: one claim (claimReviewed; the
 * itemReviewed's author as the claimant actor; the itemReviewed, its
 * appearance and firstAppearance as appearances) with one review (url,
 * datePublished, author as reviewer, reviewRating, reviewBody, name,
 * inLanguage). As for ninjs (interop_ninjs.c), import takes the mapped
 * values out of the object and keeps the rest as claim extension
 * "evrec/claimreview.rest"; export puts the fields back into that skeleton
 * (a rating value that was a JSON string stays one: import leaves an empty
 * string where it was). So ClaimReview -> evrec -> ClaimReview keeps every
 * property. Input may be one object, an array, JSON lines, or a JSON-LD
 * "@graph". A schema.org NewsArticle becomes a record with its article
 * (its unmapped properties in record extension "evrec/schemaorg.rest").
 *
 * Fact Check Tools API responses ({"claims": [{text, claimant, claimDate,
 * claimReview: [{publisher, url, title, reviewDate, textualRating,
 * languageCode}]}]}) make one record per claim with one review per
 * claimReview. Their junk -- a claim text of "CLAIM", a textualRating that
 * is a cut-off piece of HTML, dates or URLs that are not -- is reported as
 * a warning with its JSON path and kept as printed where a field can hold
 * it; nothing is guessed.
 *
 * The textual rating is normalised into evrec's Verdict by its first
 * clause ("False. No such policy..." -> FALSE; "This is misleading." ->
 * MISLEADING; "Needs Context" -> OUT_OF_CONTEXT); a rating that matches no
 * entry of VERDICTS leaves the verdict unspecified.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "imp.h"

#define REST_KEY "evrec/claimreview.rest"
#define ARTICLE_REST_KEY "evrec/schemaorg.rest"

/* ====================================================================== */
/* Verdicts                                                               */
/* ====================================================================== */

static const struct {
  const char *rating;
  Evrec__V1__Verdict verdict;
} VERDICTS[] = {
    {"true", EVREC__V1__VERDICT__VERDICT_TRUE},
    {"correct", EVREC__V1__VERDICT__VERDICT_TRUE},
    {"accurate", EVREC__V1__VERDICT__VERDICT_TRUE},
    {"mostly true", EVREC__V1__VERDICT__VERDICT_MOSTLY_TRUE},
    {"mostly correct", EVREC__V1__VERDICT__VERDICT_MOSTLY_TRUE},
    {"mostly accurate", EVREC__V1__VERDICT__VERDICT_MOSTLY_TRUE},
    {"half true", EVREC__V1__VERDICT__VERDICT_MIXED},
    {"half-true", EVREC__V1__VERDICT__VERDICT_MIXED},
    {"mixed", EVREC__V1__VERDICT__VERDICT_MIXED},
    {"mixture", EVREC__V1__VERDICT__VERDICT_MIXED},
    {"partly true", EVREC__V1__VERDICT__VERDICT_MIXED},
    {"partly false", EVREC__V1__VERDICT__VERDICT_MIXED},
    {"mostly false", EVREC__V1__VERDICT__VERDICT_MOSTLY_FALSE},
    {"false", EVREC__V1__VERDICT__VERDICT_FALSE},
    {"pants on fire", EVREC__V1__VERDICT__VERDICT_FALSE},
    {"pants on fire!", EVREC__V1__VERDICT__VERDICT_FALSE},
    {"incorrect", EVREC__V1__VERDICT__VERDICT_FALSE},
    {"fake", EVREC__V1__VERDICT__VERDICT_FALSE},
    {"wrong", EVREC__V1__VERDICT__VERDICT_FALSE},
    {"without evidence", EVREC__V1__VERDICT__VERDICT_WITHOUT_EVIDENCE},
    {"no evidence", EVREC__V1__VERDICT__VERDICT_WITHOUT_EVIDENCE},
    {"unsupported", EVREC__V1__VERDICT__VERDICT_WITHOUT_EVIDENCE},
    {"misleading", EVREC__V1__VERDICT__VERDICT_MISLEADING},
    {"needs context", EVREC__V1__VERDICT__VERDICT_OUT_OF_CONTEXT},
    {"missing context", EVREC__V1__VERDICT__VERDICT_OUT_OF_CONTEXT},
    {"lacks context", EVREC__V1__VERDICT__VERDICT_OUT_OF_CONTEXT},
    {"out of context", EVREC__V1__VERDICT__VERDICT_OUT_OF_CONTEXT},
    {"satire", EVREC__V1__VERDICT__VERDICT_SATIRE},
    {"unverifiable", EVREC__V1__VERDICT__VERDICT_UNVERIFIABLE},
    {"unverified", EVREC__V1__VERDICT__VERDICT_UNVERIFIABLE},
    {"unproven", EVREC__V1__VERDICT__VERDICT_UNVERIFIABLE},
};

/* The first clause of a rating, lower case, without "this is ". */
static Evrec__V1__Verdict verdict_of(const char *rating) {
  char buf[64];
  if (!rating) return EVREC__V1__VERDICT__VERDICT_UNSPECIFIED;
  while (isspace((unsigned char)*rating)) rating++;
  if (strncasecmp(rating, "this is ", 8) == 0) rating += 8;
  else if (strncasecmp(rating, "this claim is ", 14) == 0) rating += 14;
  size_t n = strcspn(rating, ".,;:(");
  while (n && isspace((unsigned char)rating[n - 1])) n--;
  if (n == 0 || n >= sizeof buf) return EVREC__V1__VERDICT__VERDICT_UNSPECIFIED;
  for (size_t i = 0; i < n; i++) buf[i] = (char)tolower((unsigned char)rating[i]);
  buf[n] = '\0';
  for (size_t i = 0; i < sizeof VERDICTS / sizeof VERDICTS[0]; i++)
    if (strcmp(buf, VERDICTS[i].rating) == 0) return VERDICTS[i].verdict;
  return EVREC__V1__VERDICT__VERDICT_UNSPECIFIED;
}

/* ====================================================================== */
/* Small helpers                                                          */
/* ====================================================================== */

static bool eq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* The schema.org type of an object ("ClaimReview"; a list's first entry;
 * without a "schema:" or "http(s)://schema.org/" prefix). */
static const char *type_of(const jv_object *o) {
  const jv_value *t = jv_get(o, "@type");
  const jv_list *l = jv_list_of(t);
  const char *s = l && l->n_values ? jv_str(l->values[0]) : jv_str(t);
  if (!s) return NULL;
  if (strncmp(s, "schema:", 7) == 0) return s + 7;
  const char *slash = strrchr(s, '/');
  return slash && strstr(s, "schema.org/") ? slash + 1 : s;
}

/* An object value, or the first object of a list value. */
static jv_object *object_at(jv_object *o, const char *key) {
  const jv_value *v = jv_get(o, key);
  const jv_list *l = jv_list_of(v);
  if (l && l->n_values) v = l->values[0];
  return (jv_object *)jv_obj(v);
}

static char *hash8(imp *m, const char *s) {
  return imp_printf(m, "%08llx", (unsigned long long)(imp_hash(s, strlen(s)) >> 32));
}

/* Record id: "<review url>#<hash of the claim>" (several claims are often
 * reviewed on one page), or "claimreview:<hash>" without a URL. */
static char *record_id(imp *m, const char *url, const char *text) {
  if (url && url[0]) return imp_printf(m, "%s#%s", url, hash8(m, text ? text : ""));
  return imp_printf(m, "claimreview:%016llx", (unsigned long long)imp_hash(text, strlen(text)));
}

/* A date or date-time -> *at or *date. @return false when it is neither. */
static bool set_time(imp *m, const char *s, Google__Protobuf__Timestamp **at, char **date) {
  imp_time t;
  if (!s || !imp_parse_time(s, &t)) return false;
  if (t.has_time) *at = imp_timestamp(m, t.seconds, t.nanos);
  else *date = imp_str(m, t.date);
  return true;
}

/* Takes a number-or-string leaf as text; a string leaves "" behind as a
 * hint that export should write a string there again. */
static const char *take_number(imp *m, jv_object *o, const char *key) {
  const jv_value *v = jv_get(o, key);
  const char *t = jv_text(m, v);
  if (!t || !t[0]) return NULL;
  bool was_string = jv_str(v) != NULL;
  jv_take(o, key);
  if (was_string) jv_set(m, o, key, jv_new_string(m, ""));
  return t;
}

/* A list of strings or one string, taken; a list leaves [] as a hint. */
static void take_strings(imp *m, jv_object *o, const char *key, char ***arr, size_t *n) {
  const jv_value *v = jv_get(o, key);
  const jv_list *l = jv_list_of(v);
  if (jv_str(v)) {
    IMP_ADD(m, *arr, *n, imp_str(m, jv_str(v)));
  } else if (l) {
    for (size_t i = 0; i < l->n_values; i++)
      if (!jv_str(l->values[i])) return; /* not all strings: leave it be */
    for (size_t i = 0; i < l->n_values; i++) IMP_ADD(m, *arr, *n, imp_str(m, jv_str(l->values[i])));
  } else {
    return;
  }
  jv_take(o, key);
  if (l) jv_set(m, o, key, jv_new_list(m));
}

static const char *wikidata_of(const char *uri) {
  const char *q = strstr(uri, "wikidata.org/");
  if (!q) return NULL;
  q = strrchr(q, '/') + 1;
  return q[0] == 'Q' && q[1] && strspn(q + 1, "0123456789") == strlen(q + 1) ? q : NULL;
}

/* ====================================================================== */
/* Import: ClaimReview                                                    */
/* ====================================================================== */

typedef struct cr_in {
  imp *m;
  ev_record *r;
  ev_claim *c;
  ev_review *v;
} cr_in;

static void reviewer(cr_in *x, jv_object *o) {
  imp *m = x->m;
  jv_object *a = object_at(o, "author");
  if (!a) return;
  ev_publisher *p = imp_new(m, &evrec__v1__publisher__descriptor);
  if (!p) return;
  const char *name = jv_take_str(a, "name"), *url = jv_str(jv_get(a, "url"));
  if (name) p->name = imp_str(m, name);
  if (url && imp_is_http_url(url)) {
    p->url = imp_str(m, url);
    p->domain = imp_url_domain(m, url);
    jv_take(a, "url");
  }
  x->v->reviewer = p;
}

static void rating(cr_in *x, jv_object *o) {
  imp *m = x->m;
  jv_object *r = object_at(o, "reviewRating");
  if (!r) return;
  const char *s;
  if ((s = take_number(m, r, "ratingValue"))) x->v->rating_value = (char *)s;
  if ((s = take_number(m, r, "bestRating"))) x->v->best_rating = (char *)s;
  if ((s = take_number(m, r, "worstRating"))) x->v->worst_rating = (char *)s;
  if ((s = jv_take_str(r, "alternateName"))) x->v->textual_rating = imp_str(m, s);
  if ((s = jv_take_str(r, "ratingExplanation")) && !x->v->explanation[0])
    x->v->explanation = imp_str(m, s);
  x->v->verdict = verdict_of(x->v->textual_rating);
}

static void review_fields(cr_in *x, jv_object *o) {
  imp *m = x->m;
  const char *url = jv_str(jv_get(o, "url"));
  if (url && imp_is_http_url(url)) x->v->url = imp_str(m, url), jv_take(o, "url");
  else if (url) imp_warn(m, "url: \"%s\" is not an http(s) URL; kept as is", url);
  const char *date = jv_str(jv_get(o, "datePublished"));
  if (set_time(m, date, &x->v->published_at, &x->v->published_date)) jv_take(o, "datePublished");
  else if (date) imp_warn(m, "datePublished: \"%s\" is not a date; kept as is", date);
  const char *s;
  if ((s = jv_take_str(o, "reviewBody"))) x->v->explanation = imp_str(m, s);
  if ((s = jv_take_str(o, "name"))) x->v->title = imp_str(m, s);
  const char *lang = jv_str(jv_get(o, "inLanguage"));
  if (lang && vocab_bcp47_ok(lang)) x->v->language = imp_str(m, lang), jv_take(o, "inLanguage");
  else if (lang) imp_warn(m, "inLanguage: \"%s\" is not a BCP 47 tag; kept as is", lang);
  reviewer(x, o);
  rating(x, o);
}

/* itemReviewed.author -> the claimant. */
static void claimant(cr_in *x, jv_object *item) {
  imp *m = x->m;
  const jv_value *av = jv_get(item, "author");
  if (jv_str(av)) {
    x->c->claimant_name = imp_str(m, jv_str(av));
    jv_take(item, "author");
    return;
  }
  jv_object *a = object_at(item, "author");
  if (!a) return;
  ev_actor *ac = imp_new(m, &evrec__v1__actor__descriptor);
  if (!ac) return;
  ac->id = imp_printf(m, "a%zu", x->r->n_actors + 1);
  const char *t = type_of(a);
  ac->kind = eq(t, "Person") ? EVREC__V1__ACTOR_KIND__ACTOR_KIND_PERSON
             : eq(t, "Organization") ? EVREC__V1__ACTOR_KIND__ACTOR_KIND_ORGANIZATION
                                     : EVREC__V1__ACTOR_KIND__ACTOR_KIND_UNSPECIFIED;
  const char *s;
  if ((s = jv_take_str(a, "name"))) ac->name = imp_str(m, s);
  if ((s = jv_take_str(a, "jobTitle"))) ac->title = imp_str(m, s);
  take_strings(m, a, "sameAs", &ac->same_as, &ac->n_same_as);
  for (size_t i = 0; i < ac->n_same_as && !ac->wikidata_id[0]; i++)
    if (wikidata_of(ac->same_as[i])) ac->wikidata_id = imp_str(m, wikidata_of(ac->same_as[i]));
  IMP_ADD(m, x->r->actors, x->r->n_actors, ac);
  x->c->claimant_id = ac->id;
}

static Google__Protobuf__Duration *take_offset(cr_in *x, jv_object *o, const char *key) {
  const char *s = take_number(x->m, o, key);
  double secs;
  if (!s) return NULL;
  if (!imp_parse_double(s, strlen(s), &secs) || secs < 0 || secs > 1e12) {
    imp_warn(x->m, "%s: \"%s\" is not a number of seconds; left out", key, s);
    return NULL;
  }
  Google__Protobuf__Duration *d = imp_new(x->m, &google__protobuf__duration__descriptor);
  if (d) {
    d->seconds = (int64_t)secs;
    d->nanos = (int32_t)((secs - (double)d->seconds) * 1e9 + 0.5);
    if (d->nanos >= 1000000000) d->seconds++, d->nanos -= 1000000000;
  }
  return d;
}

/* A creative work (itemReviewed, one of its appearances) -> an appearance. */
static ev_appearance *appearance(cr_in *x, jv_object *w, bool first) {
  imp *m = x->m;
  ev_appearance *ap = imp_new(m, &evrec__v1__appearance__descriptor);
  if (!ap) return NULL;
  jv_object *part = object_at(w, "isPartOf");
  const char *url = jv_str(jv_get(w, "url"));
  jv_object *from = w;
  if (!url && part) url = jv_str(jv_get(part, "url")), from = part;
  if (url && imp_is_http_url(url)) ap->url = imp_str(m, url), jv_take(from, "url");
  const char *s;
  if ((s = jv_take_str(w, "name"))) ap->headline = imp_str(m, s);
  const char *date = jv_str(jv_get(w, "datePublished"));
  if (set_time(m, date, &ap->published_at, &ap->published_date)) jv_take(w, "datePublished");
  jv_object *pub = object_at(w, "publisher");
  if (pub && (s = jv_take_str(pub, "name"))) ap->publisher = imp_str(m, s);
  ap->start_offset = take_offset(x, w, "startOffset");
  ap->end_offset = take_offset(x, w, "endOffset");
  ap->is_first = first;
  IMP_ADD(m, x->c->appearances, x->c->n_appearances, ap);
  return ap;
}

static void item_reviewed(cr_in *x, jv_object *o) {
  jv_object *item = object_at(o, "itemReviewed");
  if (!item) return;
  claimant(x, item);
  jv_object *first = object_at(item, "firstAppearance");
  if (jv_get(item, "url") || jv_get(item, "name") || jv_get(item, "datePublished") ||
      jv_get(item, "isPartOf"))
    appearance(x, item, false);
  if (first) appearance(x, first, true);
  const jv_value *apv = jv_get(item, "appearance");
  const jv_list *l = jv_list_of(apv);
  for (size_t i = 0; i < (l ? l->n_values : jv_obj(apv) ? 1 : 0); i++) {
    jv_object *w = (jv_object *)jv_obj(l ? l->values[i] : apv);
    if (w) appearance(x, w, false);
  }
}

static int claim_review(imp *m, jv_object *o) {
  cr_in x = {m, imp_new(m, &evrec__v1__record__descriptor), imp_new(m, &evrec__v1__claim__descriptor),
             imp_new(m, &evrec__v1__review__descriptor)};
  if (!x.r || !x.c || !x.v) return imp_fail(m, "out of memory");
  const char *text = jv_take_str(o, "claimReviewed");
  if (!text || !text[0]) {
    imp_bad(m, "a ClaimReview without claimReviewed");
    imp_discard(m);
    return m->status ? IMP_STOP : 0;
  }
  x.c->id = "c1";
  x.c->text = imp_str(m, text);
  review_fields(&x, o);
  item_reviewed(&x, o);
  x.r->id = record_id(m, x.v->url, text);
  m->item_id = x.r->id;
  x.r->revision = 1;
  x.r->status = EVREC__V1__RECORD_STATUS__RECORD_STATUS_ACTIVE;
  IMP_ADD(m, x.c->reviews, x.c->n_reviews, x.v);
  IMP_ADD(m, x.r->claims, x.r->n_claims, x.c);
  char *rest = jv_to_json(m, jv_wrap(m, o));
  if (rest) imp_ext(m, x.c, REST_KEY, rest);
  return imp_emit(m, x.r);
}

/* ====================================================================== */
/* Import: NewsArticle                                                    */
/* ====================================================================== */

static int news_article(imp *m, jv_object *o) {
  ev_record *r = imp_new(m, &evrec__v1__record__descriptor);
  ev_article *a = imp_new(m, &evrec__v1__article__descriptor);
  if (!r || !a) return imp_fail(m, "out of memory");
  const char *url = jv_str(jv_get(o, "url")), *s;
  if (!url || !imp_is_http_url(url)) {
    imp_bad(m, "a NewsArticle without an http(s) \"url\"");
    imp_discard(m);
    return m->status ? IMP_STOP : 0;
  }
  jv_take(o, "url");
  r->id = a->uri = imp_str(m, url);
  m->item_id = r->id;
  r->revision = 1;
  r->status = EVREC__V1__RECORD_STATUS__RECORD_STATUS_ACTIVE;
  if ((s = jv_take_str(o, "headline"))) a->headline = imp_unix_newlines(m, s);
  if ((s = jv_take_str(o, "articleBody"))) a->body = imp_unix_newlines(m, s);
  if ((s = jv_take_str(o, "description"))) a->summary = imp_unix_newlines(m, s);
  if ((s = jv_str(jv_get(o, "mainEntityOfPage"))) && imp_is_http_url(s))
    a->canonical_uri = imp_str(m, s), jv_take(o, "mainEntityOfPage");
  if ((s = jv_str(jv_get(o, "inLanguage"))) && vocab_bcp47_ok(s))
    a->language = imp_str(m, s), jv_take(o, "inLanguage");
  if (set_time(m, jv_str(jv_get(o, "datePublished")), &a->published_at, &a->published_date))
    jv_take(o, "datePublished");
  char *unused = NULL;
  if (set_time(m, jv_str(jv_get(o, "dateModified")), &a->modified_at, &unused) && !unused)
    jv_take(o, "dateModified");
  jv_object *p = object_at(o, "publisher");
  if (p) {
    a->publisher = imp_new(m, &evrec__v1__publisher__descriptor);
    if (a->publisher && (s = jv_take_str(p, "name"))) a->publisher->name = imp_str(m, s);
    if (a->publisher && (s = jv_str(jv_get(p, "url"))) && imp_is_http_url(s))
      a->publisher->url = imp_str(m, s), a->publisher->domain = imp_url_domain(m, s), jv_take(p, "url");
  }
  r->article = a;
  if (o->n_fields) {
    char *rest = jv_to_json(m, jv_wrap(m, o));
    if (rest) imp_ext(m, r, ARTICLE_REST_KEY, rest);
  }
  return imp_emit(m, r);
}

/* ====================================================================== */
/* Import: the Fact Check Tools API                                       */
/* ====================================================================== */

static bool placeholder(const char *s) {
  static const char *const junk[] = {"claim", "n/a", "na", "none", "null", "-", "?", NULL};
  while (isspace((unsigned char)*s)) s++;
  if (strlen(s) < 3) return true;
  for (int i = 0; junk[i]; i++)
    if (strcasecmp(s, junk[i]) == 0) return true;
  return false;
}

static void api_review(imp *m, ev_claim *c, jv_object *o, size_t ci, size_t i) {
  ev_review *v = imp_new(m, &evrec__v1__review__descriptor);
  if (!v) return;
  jv_object *pub = (jv_object *)jv_obj(jv_get(o, "publisher"));
  const char *s;
  if (pub) {
    v->reviewer = imp_new(m, &evrec__v1__publisher__descriptor);
    if (v->reviewer && (s = jv_str(jv_get(pub, "name")))) v->reviewer->name = imp_str(m, s);
    if (v->reviewer && (s = jv_str(jv_get(pub, "site")))) v->reviewer->domain = imp_str(m, s);
  }
  if ((s = jv_str(jv_get(o, "url")))) {
    if (imp_is_http_url(s)) v->url = imp_str(m, s);
    else imp_warn(m, "claims[%zu].claimReview[%zu].url: \"%s\" is not an http(s) URL; left out", ci, i, s);
  }
  if ((s = jv_str(jv_get(o, "title")))) v->title = imp_str(m, s);
  if ((s = jv_str(jv_get(o, "reviewDate"))) && !set_time(m, s, &v->published_at, &v->published_date))
    imp_warn(m, "claims[%zu].claimReview[%zu].reviewDate: \"%s\" is not a date; left out", ci, i, s);
  if ((s = jv_str(jv_get(o, "textualRating")))) {
    v->textual_rating = imp_str(m, s);
    if (strchr(s, '<') || strstr(s, "href="))
      imp_warn(m, "claims[%zu].claimReview[%zu].textualRating: \"%.60s\" is a piece of HTML "
                  "markup, not a rating; kept as printed, no verdict", ci, i, s);
    else
      v->verdict = verdict_of(s);
  }
  if ((s = jv_str(jv_get(o, "languageCode")))) {
    const char *l = vocab_bcp47_ok(s) ? s : vocab_language(s);
    if (l) v->language = imp_str(m, l);
    else imp_warn(m, "claims[%zu].claimReview[%zu].languageCode: \"%s\" is not a BCP 47 tag; left out", ci, i, s);
  }
  IMP_ADD(m, c->reviews, c->n_reviews, v);
}

static int api_claim(imp *m, const jv_object *o, size_t index) {
  ev_record *r = imp_new(m, &evrec__v1__record__descriptor);
  ev_claim *c = imp_new(m, &evrec__v1__claim__descriptor);
  if (!r || !c) return imp_fail(m, "out of memory");
  const char *text = jv_str(jv_get(o, "text")), *s;
  m->item_id = NULL; /* messages name the claim by its index until it has an id */
  if (!text) {
    imp_bad(m, "claims[%zu]: no \"text\"", index);
    imp_discard(m);
    return m->status ? IMP_STOP : 0;
  }
  c->id = "c1";
  c->text = imp_str(m, text);
  if (placeholder(text))
    imp_warn(m, "claims[%zu].text: \"%s\" is a placeholder, not a claim; kept as printed", index,
             text);
  if ((s = jv_str(jv_get(o, "claimant")))) c->claimant_name = imp_str(m, s);
  if ((s = jv_str(jv_get(o, "claimDate"))) && !set_time(m, s, &c->stated_at, &c->stated_date))
    imp_warn(m, "claims[%zu].claimDate: \"%s\" is not a date; left out", index, s);
  const jv_list *l = jv_list_of(jv_get(o, "claimReview"));
  for (size_t i = 0; l && i < l->n_values; i++)
    if (jv_obj(l->values[i])) api_review(m, c, (jv_object *)jv_obj(l->values[i]), index, i);
  for (size_t i = 0; i < o->n_fields; i++) {
    const char *k = o->fields[i]->key;
    if (eq(k, "text") || eq(k, "claimant") || eq(k, "claimDate") || eq(k, "claimReview")) continue;
    char *json = jv_to_json(m, o->fields[i]->value);
    if (json) imp_ext(m, c, imp_printf(m, "evrec/factcheck.%s", k), json);
  }
  r->id = record_id(m, c->n_reviews ? c->reviews[0]->url : NULL, text);
  m->item_id = r->id;
  r->revision = 1;
  r->status = EVREC__V1__RECORD_STATUS__RECORD_STATUS_ACTIVE;
  IMP_ADD(m, r->claims, r->n_claims, c);
  return imp_emit(m, r);
}

/* ====================================================================== */
/* Import: dispatch                                                       */
/* ====================================================================== */

static int schemaorg_object(imp *m, jv_object *o, int depth) {
  const char *t = type_of(o);
  const jv_list *graph = jv_list_of(jv_get(o, "@graph"));
  if (graph && depth < 4) {
    for (size_t i = 0; i < graph->n_values; i++) {
      jv_object *e = (jv_object *)jv_obj(graph->values[i]);
      int rc = e ? schemaorg_object(m, e, depth + 1) : imp_bad(m, "@graph[%zu] is not an object", i);
      if (rc) return rc;
    }
    return 0;
  }
  if (eq(t, "ClaimReview")) return claim_review(m, o);
  if (t && strstr(t, "Article")) return news_article(m, o);
  const jv_list *claims = jv_list_of(jv_get(o, "claims"));
  if (claims) {
    for (size_t i = 0; i < claims->n_values; i++) {
      int rc = jv_obj(claims->values[i]) ? api_claim(m, jv_obj(claims->values[i]), i)
                                         : imp_bad(m, "claims[%zu] is not an object", i);
      if (rc) return rc;
    }
    return 0;
  }
  if (jv_get(o, "claimReview") && jv_get(o, "text")) return api_claim(m, o, 0);
  return imp_bad(m, "neither a schema.org ClaimReview or NewsArticle nor a Fact Check Tools "
                    "claims:search response (\"@type\": %s)", t ? t : "none");
}

static int cr_top(imp *m, const jv_object *o, void *payload) {
  (void)payload;
  return schemaorg_object(m, (jv_object *)o, 0);
}

int imp_claimreview(imp *m, const char *path) { return imp_json_each(m, path, cr_top, NULL); }

/* ====================================================================== */
/* Export                                                                 */
/* ====================================================================== */

/* obj[key] as an object (the first of a list of objects: JSON-LD allows a
 * list anywhere), created (with "@type": type) when absent. */
static jv_object *member(imp *m, jv_object *o, const char *key, const char *type) {
  jv_object *c = object_at(o, key);
  if (c) return c;
  jv_value *v = jv_new_object(m);
  if (!v) return NULL;
  if (type) jv_set_str(m, v->struct_value, "@type", type);
  jv_set(m, o, key, v);
  return v->struct_value;
}

/* A number-or-string leaf: a string where the skeleton has one, else a
 * JSON number when the text is one. Absent text removes the hint. */
static void put_number(imp *m, jv_object *o, const char *key, const char *text) {
  bool as_string = jv_str(jv_get(o, key)) != NULL;
  double d;
  if (!text || !text[0]) {
    jv_remove(o, key);
    return;
  }
  if (!as_string && imp_parse_double(text, strlen(text), &d)) jv_set(m, o, key, jv_new_number(m, d));
  else jv_set(m, o, key, jv_new_string(m, text));
}

static void put_time(imp *m, jv_object *o, const char *key, const Google__Protobuf__Timestamp *at,
                     const char *date) {
  char buf[40];
  if (at) {
    imp_format_time(buf, at->seconds, at->nanos);
    jv_set_str(m, o, key, buf);
  } else {
    jv_set_str(m, o, key, date);
  }
}

static void put_strings(imp *m, jv_object *o, const char *key, char *const *s, size_t n) {
  bool as_list = jv_list_of(jv_get(o, key)) != NULL || n > 1;
  if (n == 0) {
    jv_remove(o, key);
    return;
  }
  if (!as_list) {
    jv_set_str(m, o, key, s[0]);
    return;
  }
  jv_value *l = jv_new_list(m);
  for (size_t i = 0; l && i < n; i++) jv_append(m, l->list_value, jv_new_string(m, s[i]));
  jv_set(m, o, key, l);
}

static void put_duration(imp *m, jv_object *o, const char *key,
                         const Google__Protobuf__Duration *d) {
  char buf[40];
  if (!d) return;
  imp_format_double(buf, sizeof buf, (double)d->seconds + d->nanos / 1e9);
  put_number(m, o, key, buf);
}

static const ev_actor *actor_by_id(const ev_record *r, const char *id) {
  for (size_t i = 0; id && id[0] && i < r->n_actors; i++)
    if (strcmp(r->actors[i]->id, id) == 0) return r->actors[i];
  return NULL;
}

static void author_out(imp *m, const ev_record *r, const ev_claim *c, jv_object *item) {
  const ev_actor *a = actor_by_id(r, c->claimant_id);
  if (!a && !c->claimant_name[0]) return;
  const char *type = a && a->kind == EVREC__V1__ACTOR_KIND__ACTOR_KIND_ORGANIZATION ? "Organization"
                                                                                    : "Person";
  jv_object *au = member(m, item, "author", type);
  if (!au) return;
  jv_set_str(m, au, "name", a ? a->name : c->claimant_name);
  if (!a) return;
  jv_set_str(m, au, "jobTitle", a->title);
  put_strings(m, au, "sameAs", a->same_as, a->n_same_as);
}

static void appearance_out(imp *m, jv_object *w, const ev_appearance *ap) {
  jv_object *part = (jv_object *)jv_obj(jv_get(w, "isPartOf"));
  if (part && !jv_get(w, "url")) jv_set_str(m, part, "url", ap->url);
  else jv_set_str(m, w, "url", ap->url);
  jv_set_str(m, w, "name", ap->headline);
  put_time(m, w, "datePublished", ap->published_at, ap->published_date);
  if (ap->publisher[0]) jv_set_str(m, member(m, w, "publisher", "Organization"), "name", ap->publisher);
  put_duration(m, w, "startOffset", ap->start_offset);
  put_duration(m, w, "endOffset", ap->end_offset);
}

static void item_out(imp *m, const ev_record *r, const ev_claim *c, jv_object *o) {
  bool had = jv_get(o, "itemReviewed") != NULL;
  jv_object *item = member(m, o, "itemReviewed", "Claim");
  if (!item) return;
  author_out(m, r, c, item);
  size_t k = 0; /* further appearances fill the skeleton's list in order */
  const jv_list *old = jv_list_of(jv_get(item, "appearance"));
  jv_value *list = jv_new_list(m);
  bool own = false;
  for (size_t i = 0; i < c->n_appearances; i++) {
    const ev_appearance *ap = c->appearances[i];
    if (ap->is_first) {
      appearance_out(m, member(m, item, "firstAppearance", "CreativeWork"), ap);
    } else if (!own) {
      own = true;
      appearance_out(m, item, ap);
    } else if (list) {
      jv_object *e = old && k < old->n_values ? (jv_object *)jv_obj(old->values[k++]) : NULL;
      jv_value *v = e ? jv_wrap(m, e) : jv_new_object(m);
      if (!v) continue;
      if (!e) jv_set_str(m, v->struct_value, "@type", "CreativeWork");
      appearance_out(m, v->struct_value, ap);
      jv_append(m, list->list_value, v);
    }
  }
  if (list && list->list_value->n_values) jv_set(m, item, "appearance", list);
  else if (old) jv_remove(item, "appearance");
  if (!own && (c->stated_at || c->stated_date[0]))
    put_time(m, item, "datePublished", c->stated_at, c->stated_date);
  if (!had && item->n_fields == 1) jv_remove(o, "itemReviewed"); /* only our "@type" */
}

static void review_out(imp *m, const ev_review *v, jv_object *o) {
  jv_set_str(m, o, "url", v->url);
  put_time(m, o, "datePublished", v->published_at, v->published_date);
  jv_set_str(m, o, "reviewBody", v->explanation);
  jv_set_str(m, o, "name", v->title);
  jv_set_str(m, o, "inLanguage", v->language);
  if (v->reviewer) {
    jv_object *au = member(m, o, "author", "Organization");
    jv_set_str(m, au, "name", v->reviewer->name);
    jv_set_str(m, au, "url", v->reviewer->url); /* a bare domain is no URL: not invented */
  }
  if (v->rating_value[0] || v->best_rating[0] || v->worst_rating[0] || v->textual_rating[0] ||
      jv_get(o, "reviewRating")) {
    jv_object *rr = member(m, o, "reviewRating", "Rating");
    put_number(m, rr, "ratingValue", v->rating_value);
    put_number(m, rr, "bestRating", v->best_rating);
    put_number(m, rr, "worstRating", v->worst_rating);
    jv_set_str(m, rr, "alternateName", v->textual_rating);
  }
}

int exp_claimreview(imp *m, const ev_record *r, exp_out_fn out, void *payload) {
  for (size_t i = 0; i < r->n_claims; i++) {
    const ev_claim *c = r->claims[i];
    const char *rest = c->n_reviews == 1 ? imp_map_get(&c->base, "extensions", REST_KEY) : NULL;
    for (size_t j = 0; j < c->n_reviews; j++) {
      jv_value *base = rest ? jv_from_json(m, rest) : NULL;
      if (rest && !jv_obj(base)) imp_warn(m, "extension %s is not a JSON object; ignored", REST_KEY);
      if (!jv_obj(base)) base = jv_new_object(m);
      if (!base) return imp_fail(m, "out of memory");
      jv_object *o = base->struct_value;
      if (!jv_get(o, "@context")) jv_set_str(m, o, "@context", "https://schema.org");
      if (!jv_get(o, "@type")) jv_set_str(m, o, "@type", "ClaimReview");
      jv_set_str(m, o, "claimReviewed", c->text);
      review_out(m, c->reviews[j], o);
      item_out(m, r, c, o);
      int rc = out(m, base, payload);
      if (rc) return rc;
    }
  }
  return 0;
}
