/*
 * vocab.h -- the vocabularies `evrec validate` checks codes against (private).
 *
 * The tables are generated at build time by vocab/gen_vocab.py from the
 * files in vocab/ (CAMEO, PLOVER 2.0) and Debian's iso-codes JSON (ISO
 * 3166-1, ISO 639) into build/gen/vocab_data.c, sorted in strcmp() order.
 * vocab.c looks them up by binary search: no table is scanned linearly.
 * Everything here is constant data: safe from any thread.
 */
#ifndef EVREC_VOCAB_H
#define EVREC_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

/* ---------------------------------------------------------------- ASCII classes */

/* Locale-independent (unlike <ctype.h>): codes are ASCII whatever LC_CTYPE says. */
static inline bool evrec__is_alpha(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}
static inline bool evrec__is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static inline bool evrec__is_alnum(char ch) { return evrec__is_alpha(ch) || evrec__is_digit(ch); }

/** @return true when pred holds for each of s[0..n). */
static inline bool evrec__all_of(const char *s, size_t n, bool (*pred)(char)) {
  for (size_t i = 0; i < n; i++)
    if (!pred(s[i])) return false;
  return true;
}

/* ---------------------------------------------------------------- tables (generated) */

typedef struct evrec__cameo_entry {
  const char *code;  /* "0211": 2 to 4 digits */
  const char *label; /* "Appeal for economic aid" */
} evrec__cameo_entry;

#define EVREC__PLOVER_MAX_MODES 24

typedef struct evrec__plover_category {
  const char *name;        /* "PROTEST" */
  int quad_class;          /* evrec.v1.QuadClass value, 1..4 */
  int requires_recipient;  /* 1 when an event of this category needs a RECIPIENT */
  int n_modes;
  const char *modes[EVREC__PLOVER_MAX_MODES]; /* sorted */
} evrec__plover_category;

extern const evrec__cameo_entry evrec__cameo[];
extern const size_t evrec__cameo_n;
extern const evrec__plover_category evrec__plover[];
extern const size_t evrec__plover_n;
extern const char evrec__plover_contexts[][32];
extern const size_t evrec__plover_contexts_n;
extern const char evrec__iso3166[][4];
extern const size_t evrec__iso3166_n;
extern const char evrec__iso639[][4];
extern const size_t evrec__iso639_n;

/* Country data and cross-references (ISO 3166-1 from iso-codes; FIPS 10-4
 * from vocab/fips10-4-iso3166.tsv), for importers that meet other codes. */
typedef struct evrec__country {
  const char *alpha3, *alpha2, *numeric, *name;
} evrec__country;

typedef struct evrec__vocab_pair {
  const char *key, *value;
} evrec__vocab_pair;

extern const evrec__country evrec__countries[];          /* by alpha3 */
extern const size_t evrec__countries_n;
extern const evrec__vocab_pair evrec__country_names[];   /* casefolded name -> alpha3 */
extern const size_t evrec__country_names_n;
extern const evrec__vocab_pair evrec__country_alpha2[];  /* "DE" -> "DEU" */
extern const size_t evrec__country_alpha2_n;
extern const evrec__vocab_pair evrec__country_numeric[]; /* "276" -> "DEU" */
extern const size_t evrec__country_numeric_n;
extern const evrec__vocab_pair evrec__fips[];            /* FIPS 10-4 -> alpha3, "" = none */
extern const size_t evrec__fips_n;
extern const evrec__vocab_pair evrec__lang3[];           /* ISO 639-2/3 -> 639-1, "" = none */
extern const size_t evrec__lang3_n;
extern const char evrec__lang2[][3];                     /* ISO 639-1 */
extern const size_t evrec__lang2_n;

/* ---------------------------------------------------------------- lookups (vocab.c) */

/** @return the value of `key` in a sorted pair table, or NULL. */
const char *evrec__vocab_find(const evrec__vocab_pair *t, size_t n, const char *key);

/** @return the ISO 3166-1 entry of an alpha-3 code, or NULL. */
const evrec__country *evrec__country_by_alpha3(const char *alpha3);

/** @return true when `tag` is a well-formed BCP 47 language tag (RFC 5646
 *  §2.1: language, extlangs, script, region, variants, extensions, private
 *  use, in that order; "x-..." and "i-..." tags too). Shape only: the
 *  language subtag is not looked up (see evrec__language_known()). */
bool evrec__bcp47_well_formed(const char *tag);

/** @return the CAMEO entry of `code` (exact: "010" is not "10"), or NULL. */
const evrec__cameo_entry *evrec__cameo_find(const char *code);

/** Quad class (evrec.v1.QuadClass 1..4) of a CAMEO code's root ("14" ->
 *  3, verbal conflict); 0 when the code does not start with a root 01-20. */
int evrec__cameo_quad_class(const char *code);

/** @return the PLOVER 2.0 category named exactly `name` ("PROTEST"), or NULL. */
const evrec__plover_category *evrec__plover_find(const char *name);

/** @return true when `mode` is one of the category's modes. */
bool evrec__plover_has_mode(const evrec__plover_category *c, const char *mode);

/** @return true when `mode` is a mode of some PLOVER category. */
bool evrec__plover_any_mode(const char *mode);

/** @return true when `context` is one of the 37 PLOVER 2.0 contexts. */
bool evrec__plover_context_known(const char *context);

/** @return true for an ISO 3166-1 alpha-3 code ("USA"), or one of the
 *  alpha-3 ranges ISO 3166-1 leaves to users (AAA-AAZ, QMA-QZZ, XAA-XZZ,
 *  ZZA-ZZZ, e.g. "XKX" for Kosovo), so private codebooks stay usable. */
bool evrec__country_known(const char *code);

/** @return true when the 2- or 3-letter subtag (any case) is an ISO 639
 *  code (639-1, 639-2 incl. bibliographic, 639-3, 639-5) or in the range
 *  qaa-qtz that ISO 639-2 reserves for local use. */
bool evrec__language_known(const char *subtag, size_t len);

#endif /* EVREC_VOCAB_H */
