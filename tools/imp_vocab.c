/*
 * imp_vocab.c -- the importers' lookups over the library's generated code
 * lists (src/vocab.h). Every table is sorted by key in strcmp order, so
 * each lookup is one bsearch(); keys that are not NUL-terminated are
 * copied into a small buffer first (codes are short: anything longer than
 * the buffer cannot be a code).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "imp_vocab.h"

const char *vocab_cameo_label(const char *code, size_t len) {
  char buf[8];
  if (len == 0 || len >= sizeof buf) return NULL;
  memcpy(buf, code, len);
  buf[len] = '\0';
  const evrec__cameo_entry *e = evrec__cameo_find(buf);
  return e ? e->label : NULL;
}

int vocab_cameo_quad(const char *code) { return evrec__cameo_quad_class(code); }

const vocab_plover *vocab_plover_category(const char *name) { return evrec__plover_find(name); }

bool vocab_plover_mode_ok(const vocab_plover *cat, const char *mode) {
  return evrec__plover_has_mode(cat, mode);
}

bool vocab_plover_context_ok(const char *context) {
  return evrec__plover_context_known(context);
}

const vocab_country *vocab_country_by_alpha3(const char *a3) {
  return evrec__country_by_alpha3(a3);
}

const char *vocab_country_from_alpha2(const char *a2) {
  return evrec__vocab_find(evrec__country_alpha2, evrec__country_alpha2_n, a2);
}

const char *vocab_country_from_numeric(const char *num) {
  char buf[4];
  size_t n = strlen(num);
  if (n == 0 || n > 3 || strspn(num, "0123456789") != n) return NULL;
  memset(buf, '0', 3);
  memcpy(buf + 3 - n, num, n);
  buf[3] = '\0';
  return evrec__vocab_find(evrec__country_numeric, evrec__country_numeric_n, buf);
}

/* Casefolding of the ASCII letters is enough: the table was casefolded by
 * Python, and names with non-ASCII letters keep their case in both. */
const char *vocab_country_from_name(const char *name) {
  char buf[128];
  size_t n = strlen(name);
  if (n == 0 || n >= sizeof buf) return NULL;
  for (size_t i = 0; i <= n; i++) buf[i] = (char)tolower((unsigned char)name[i]);
  return evrec__vocab_find(evrec__country_names, evrec__country_names_n, buf);
}

const char *vocab_fips_to_iso3(const char *fips) {
  return evrec__vocab_find(evrec__fips, evrec__fips_n, fips);
}

static int lang2_cmp(const void *key, const void *elem) { return strcmp(key, elem); }

const char *vocab_language(const char *code) {
  size_t n = strlen(code);
  if (n == 2)
    return bsearch(code, evrec__lang2, evrec__lang2_n, sizeof evrec__lang2[0], lang2_cmp) ? code
                                                                                          : NULL;
  if (n != 3) return NULL;
  const char *two = evrec__vocab_find(evrec__lang3, evrec__lang3_n, code);
  if (!two) return NULL;
  return two[0] ? two : code;
}

bool vocab_bcp47_ok(const char *tag) {
  char lang[4];
  size_t n = strcspn(tag, "-");
  if (n < 2 || n > 3 || !evrec__bcp47_well_formed(tag)) return false;
  for (size_t i = 0; i < n; i++) lang[i] = (char)tolower((unsigned char)tag[i]);
  lang[n] = '\0';
  if (strncmp(tag, lang, n) != 0) return false; /* canonical form is lower case */
  const char *known = vocab_language(lang);
  return known && strcmp(known, lang) == 0; /* "fra" is "fr" in BCP 47 */
}
