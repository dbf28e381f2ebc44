/*
 * imp_vocab.c -- lookups in the generated code lists (imp_vocab.h).
 *
 * Every table is sorted by key in strcmp order, so each lookup is one
 * bsearch(); keys that are not NUL-terminated are copied into a small
 * buffer first (codes are short: anything longer than the buffer cannot
 * be a code).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "imp_vocab.h"

static int pair_cmp(const void *key, const void *elem) {
  return strcmp((const char *)key, ((const vocab_pair *)elem)->key);
}

static const char *pair_find(const vocab_pair *t, size_t n, const char *key) {
  const vocab_pair *p = bsearch(key, t, n, sizeof *t, pair_cmp);
  return p ? p->value : NULL;
}

static int str_cmp(const void *key, const void *elem) {
  return strcmp((const char *)key, *(const char *const *)elem);
}

const char *vocab_cameo_label(const char *code, size_t len) {
  char buf[8];
  if (len == 0 || len >= sizeof buf) return NULL;
  memcpy(buf, code, len);
  buf[len] = '\0';
  return pair_find(vocab_cameo, vocab_cameo_n, buf);
}

int vocab_cameo_quad(const char *code) {
  if (!isdigit((unsigned char)code[0]) || !isdigit((unsigned char)code[1])) return 0;
  int root = (code[0] - '0') * 10 + (code[1] - '0');
  if (root >= 1 && root <= 5) return 1;
  if (root >= 6 && root <= 9) return 2;
  if (root >= 10 && root <= 14) return 3;
  if (root >= 15 && root <= 20) return 4;
  return 0;
}

static int plover_cmp(const void *key, const void *elem) {
  return strcmp((const char *)key, ((const vocab_plover *)elem)->name);
}

const vocab_plover *vocab_plover_category(const char *name) {
  return bsearch(name, vocab_plover_categories, vocab_plover_categories_n,
                 sizeof vocab_plover_categories[0], plover_cmp);
}

bool vocab_plover_mode_ok(const vocab_plover *cat, const char *mode) {
  size_t n = strlen(mode);
  if (n == 0) return false;
  for (const char *p = cat->modes; *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && memcmp(p, mode, n) == 0) return true;
    p += len + (end ? 1 : 0);
  }
  return false;
}

bool vocab_plover_context_ok(const char *context) {
  return bsearch(context, vocab_plover_contexts, vocab_plover_contexts_n,
                 sizeof vocab_plover_contexts[0], str_cmp) != NULL;
}

static int country_cmp(const void *key, const void *elem) {
  return strcmp((const char *)key, ((const vocab_country *)elem)->alpha3);
}

const vocab_country *vocab_country_by_alpha3(const char *a3) {
  return bsearch(a3, vocab_countries, vocab_countries_n, sizeof vocab_countries[0], country_cmp);
}

const char *vocab_country_from_alpha2(const char *a2) {
  return pair_find(vocab_country_alpha2, vocab_country_alpha2_n, a2);
}

const char *vocab_country_from_numeric(const char *num) {
  char buf[4];
  size_t n = strlen(num);
  if (n == 0 || n > 3 || strspn(num, "0123456789") != n) return NULL;
  memset(buf, '0', 3);
  memcpy(buf + 3 - n, num, n);
  buf[3] = '\0';
  return pair_find(vocab_country_numeric, vocab_country_numeric_n, buf);
}

/* Casefolding of the ASCII letters is enough: the table was casefolded by
 * Python, and names with non-ASCII letters keep their case in both. */
const char *vocab_country_from_name(const char *name) {
  char buf[128];
  size_t n = strlen(name);
  if (n == 0 || n >= sizeof buf) return NULL;
  for (size_t i = 0; i <= n; i++) buf[i] = (char)tolower((unsigned char)name[i]);
  return pair_find(vocab_country_names, vocab_country_names_n, buf);
}

const char *vocab_fips_to_iso3(const char *fips) {
  return pair_find(vocab_fips, vocab_fips_n, fips);
}

const char *vocab_language(const char *code) {
  size_t n = strlen(code);
  if (n == 2)
    return bsearch(code, vocab_lang2, vocab_lang2_n, sizeof vocab_lang2[0], str_cmp) ? code
                                                                                     : NULL;
  if (n != 3) return NULL;
  const char *two = pair_find(vocab_lang3, vocab_lang3_n, code);
  if (!two) return NULL;
  return two[0] ? two : code;
}

static bool all(const char *p, size_t n, int (*pred)(int)) {
  for (size_t i = 0; i < n; i++)
    if (!pred((unsigned char)p[i])) return false;
  return true;
}

/* Subtags after the language, in BCP 47's order: script (4 letters),
 * region (2 letters or 3 digits), variants (5-8 alphanumerics, or 4 when
 * the first is a digit), extensions (a singleton, then 2-8), private use
 * ("x", then 1-8). */
static bool bcp47_rest(const char *p) {
  int stage = 0; /* 0 script, 1 region, 2 variant, 3 extension, 4 private use */
  while (*p) {
    const char *end = strchr(p, '-');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == 0 || n > 8 || !all(p, n, isalnum)) return false;
    if (stage == 4) {
      /* private use: anything of 1-8 */
    } else if (n == 1) {
      stage = (p[0] == 'x' || p[0] == 'X') ? 4 : 3;
      if (!end || !end[1]) return false;
    } else if (stage == 3) {
      if (n < 2) return false;
    } else if (stage == 0 && n == 4 && all(p, n, isalpha)) {
      stage = 1;
    } else if (stage <= 1 && ((n == 2 && all(p, n, isalpha)) || (n == 3 && all(p, n, isdigit)))) {
      stage = 2;
    } else if (n >= 5 || (n == 4 && isdigit((unsigned char)p[0]))) {
      stage = 2;
    } else {
      return false;
    }
    p += n + (end ? 1 : 0);
    if (end && !*p) return false; /* trailing '-' */
  }
  return true;
}

bool vocab_bcp47_ok(const char *tag) {
  char lang[4];
  const char *dash = strchr(tag, '-');
  size_t n = dash ? (size_t)(dash - tag) : strlen(tag);
  if (n < 2 || n > 3 || !all(tag, n, isalpha)) return false;
  for (size_t i = 0; i < n; i++) lang[i] = (char)tolower((unsigned char)tag[i]);
  lang[n] = '\0';
  if (strncmp(tag, lang, n) != 0) return false; /* canonical form is lower case */
  const char *known = vocab_language(lang);
  if (!known || strcmp(known, lang) != 0) return false; /* "fra" is "fr" in BCP 47 */
  return dash ? bcp47_rest(dash + 1) : true;
}
