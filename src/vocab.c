/*
 * vocab.c -- code lookups over the generated vocabulary tables (vocab.h).
 *
 * Every table is sorted in strcmp() order by vocab/gen_vocab.py, so each
 * lookup is one binary search. Codes are compared exactly (case included):
 * CAMEO "010" is not "10", PLOVER categories are upper case and modes and
 * contexts lower case, as their manuals write them. Only BCP 47 subtags are
 * case-insensitive (RFC 5646 §2.1.1), and they are folded before the search.
 */
#include <stdlib.h>
#include <string.h>

#include "vocab.h"

static int cameo_cmp(const void *key, const void *elem) {
  return strcmp(key, ((const evrec__cameo_entry *)elem)->code);
}

const evrec__cameo_entry *evrec__cameo_find(const char *code) {
  return bsearch(code, evrec__cameo, evrec__cameo_n, sizeof evrec__cameo[0], cameo_cmp);
}

int evrec__cameo_quad_class(const char *code) {
  if (code[0] < '0' || code[0] > '9' || code[1] < '0' || code[1] > '9') return 0;
  int root = (code[0] - '0') * 10 + (code[1] - '0');
  if (root < 1 || root > 20) return 0;
  return root <= 5 ? 1 : root <= 9 ? 2 : root <= 14 ? 3 : 4;
}

static int plover_cmp(const void *key, const void *elem) {
  return strcmp(key, ((const evrec__plover_category *)elem)->name);
}

const evrec__plover_category *evrec__plover_find(const char *name) {
  return bsearch(name, evrec__plover, evrec__plover_n, sizeof evrec__plover[0], plover_cmp);
}

static int str_cmp(const void *key, const void *elem) {
  return strcmp(key, *(const char *const *)elem);
}

bool evrec__plover_has_mode(const evrec__plover_category *c, const char *mode) {
  return bsearch(mode, c->modes, (size_t)c->n_modes, sizeof c->modes[0], str_cmp) != NULL;
}

bool evrec__plover_any_mode(const char *mode) {
  for (size_t i = 0; i < evrec__plover_n; i++) /* 16 categories, each searched */
    if (evrec__plover_has_mode(&evrec__plover[i], mode)) return true;
  return false;
}

static int ctx_cmp(const void *key, const void *elem) { return strcmp(key, elem); }

bool evrec__plover_context_known(const char *context) {
  if (strlen(context) >= sizeof evrec__plover_contexts[0]) return false;
  return bsearch(context, evrec__plover_contexts, evrec__plover_contexts_n,
                 sizeof evrec__plover_contexts[0], ctx_cmp) != NULL;
}

/* The alpha-3 ranges ISO 3166-1 §8.1.3 leaves to users. */
static bool country_user_assigned(const char *c) {
  return (c[0] == 'A' && c[1] == 'A') || (c[0] == 'Q' && c[1] >= 'M') || c[0] == 'X' ||
         (c[0] == 'Z' && c[1] == 'Z');
}

bool evrec__country_known(const char *code) {
  if (strlen(code) != 3) return false;
  for (int i = 0; i < 3; i++)
    if (code[i] < 'A' || code[i] > 'Z') return false;
  if (country_user_assigned(code)) return true;
  return bsearch(code, evrec__iso3166, evrec__iso3166_n, sizeof evrec__iso3166[0], ctx_cmp) !=
         NULL;
}

bool evrec__language_known(const char *subtag, size_t len) {
  char key[4];
  if (len < 2 || len > 3) return false;
  for (size_t i = 0; i < len; i++) {
    char c = subtag[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c < 'a' || c > 'z') return false;
    key[i] = c;
  }
  key[len] = '\0';
  if (len == 3 && key[0] == 'q' && key[1] >= 'a' && key[1] <= 't') return true; /* qaa-qtz */
  return bsearch(key, evrec__iso639, evrec__iso639_n, sizeof evrec__iso639[0], ctx_cmp) != NULL;
}

/* ---------------------------------------------------------------- BCP 47 */


/* The subtags of a BCP 47 tag, walked left to right. */
typedef struct tagwalk {
  const char *s;   /* next subtag */
  size_t len;      /* its length (0 at the end) */
} tagwalk;

static void tag_next(tagwalk *w) {
  if (w->len) {
    w->s += w->len;
    if (*w->s == '-') w->s++;
  }
  w->len = strcspn(w->s, "-");
}

/* After a singleton: one or more subtags of min..8 alphanumerics, up to
 * the next singleton (extensions, min 2) or the end (private use, min 1).
 * @return false when there is none or one is malformed. */
static bool tag_run(tagwalk *w, size_t min) {
  size_t count = 0;
  for (tag_next(w); w->len; tag_next(w)) {
    if (w->len == 1 && min > 1) break;
    if (w->len < min || w->len > 8 || !evrec__all_of(w->s, w->len, evrec__is_alnum)) return false;
    count++;
  }
  return count > 0;
}

/* Well-formedness of a BCP 47 language tag (RFC 5646 §2.1, langtag and
 * privateuse; the two dozen grandfathered tags other than "i-..." are not
 * accepted). Subtag order: language(-extlang){0,3} (-script) (-region)
 * (-variant)* (-extension)* (-privateuse). */
bool evrec__bcp47_well_formed(const char *tag) {
  tagwalk w = {tag, 0};
  size_t n = strlen(tag);
  if (!n || tag[n - 1] == '-' || strstr(tag, "--")) return false;
  tag_next(&w);
  if (w.len == 1 && (w.s[0] == 'x' || w.s[0] == 'X' || w.s[0] == 'i' || w.s[0] == 'I'))
    return tag_run(&w, 1) && !w.len;
  if (w.len < 2 || w.len > 8 || !evrec__all_of(w.s, w.len, evrec__is_alpha)) return false;
  tag_next(&w);
  for (int k = 0; k < 3 && w.len == 3 && evrec__all_of(w.s, 3, evrec__is_alpha); k++) tag_next(&w);
  if (w.len == 4 && evrec__all_of(w.s, 4, evrec__is_alpha)) tag_next(&w);
  if ((w.len == 2 && evrec__all_of(w.s, 2, evrec__is_alpha)) || (w.len == 3 && evrec__all_of(w.s, 3, evrec__is_digit)))
    tag_next(&w);
  while ((w.len >= 5 && w.len <= 8 && evrec__all_of(w.s, w.len, evrec__is_alnum)) ||
         (w.len == 4 && evrec__is_digit(w.s[0]) && evrec__all_of(w.s, 4, evrec__is_alnum)))
    tag_next(&w);
  while (w.len == 1 && w.s[0] != 'x' && w.s[0] != 'X' && evrec__is_alnum(w.s[0]))
    if (!tag_run(&w, 2)) return false;
  if (w.len == 1 && (w.s[0] == 'x' || w.s[0] == 'X')) return tag_run(&w, 1) && !w.len;
  return w.len == 0;
}


/* ---------------------------------------------------------------- countries */

static int pair_cmp(const void *key, const void *elem) {
  return strcmp(key, ((const evrec__vocab_pair *)elem)->key);
}

const char *evrec__vocab_find(const evrec__vocab_pair *t, size_t n, const char *key) {
  const evrec__vocab_pair *p = bsearch(key, t, n, sizeof *t, pair_cmp);
  return p ? p->value : NULL;
}

static int country_cmp(const void *key, const void *elem) {
  return strcmp(key, ((const evrec__country *)elem)->alpha3);
}

const evrec__country *evrec__country_by_alpha3(const char *alpha3) {
  return bsearch(alpha3, evrec__countries, evrec__countries_n, sizeof evrec__countries[0],
                 country_cmp);
}
