/*
 * imp_vocab.h -- code lists used by `evrec import` and `evrec export`.
 *
 * The tables are generated at build time by tools/gen_vocab.py from the
 * files in data/ (CAMEO, PLOVER 2.0, FIPS 10-4 -> ISO 3166) and from
 * Debian's iso-codes JSON (ISO 3166-1 countries, ISO 639 languages), into
 * build/gen/imp_vocab_data.c. Each table is sorted by its key in strcmp
 * order; lookups are binary searches. Nothing here changes at run time.
 */
#ifndef EVREC_IMP_VOCAB_H
#define EVREC_IMP_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

typedef struct vocab_pair {
  const char *key, *value;
} vocab_pair;

typedef struct vocab_plover {
  const char *name;      /* "ASSAULT" */
  int quad_class;        /* 1..4, as evrec.v1.QuadClass */
  int needs_recipient;   /* 1 when the category requires a recipient */
  const char *modes;     /* allowed modes, comma-separated ("" = none) */
} vocab_plover;

typedef struct vocab_country {
  const char *alpha3, *alpha2, *numeric, *name;
} vocab_country;

/* The generated tables (build/gen/imp_vocab_data.c). */
extern const vocab_pair vocab_cameo[];            /* code -> label */
extern const size_t vocab_cameo_n;
extern const vocab_plover vocab_plover_categories[];
extern const size_t vocab_plover_categories_n;
extern const char *const vocab_plover_contexts[];
extern const size_t vocab_plover_contexts_n;
extern const vocab_country vocab_countries[];     /* by alpha-3 */
extern const size_t vocab_countries_n;
extern const vocab_pair vocab_country_names[];    /* casefolded name -> alpha-3 */
extern const size_t vocab_country_names_n;
extern const vocab_pair vocab_country_alpha2[];   /* "DE" -> "DEU" */
extern const size_t vocab_country_alpha2_n;
extern const vocab_pair vocab_country_numeric[];  /* "276" -> "DEU" */
extern const size_t vocab_country_numeric_n;
extern const vocab_pair vocab_fips[];             /* FIPS 10-4 -> alpha-3 ("" = none) */
extern const size_t vocab_fips_n;
extern const vocab_pair vocab_lang3[];            /* ISO 639-2/3 -> 639-1 ("" = none) */
extern const size_t vocab_lang3_n;
extern const char *const vocab_lang2[];           /* ISO 639-1 codes */
extern const size_t vocab_lang2_n;

/** @return the label of a CAMEO event code ("0211"), or NULL if unknown. */
const char *vocab_cameo_label(const char *code, size_t len);

/** @return the QuadClass (1..4) of a CAMEO root ("01".."20"), 0 if none. */
int vocab_cameo_quad(const char *code);

/** @return the PLOVER 2.0 category named `name` (upper case), or NULL. */
const vocab_plover *vocab_plover_category(const char *name);

/** @return true when `mode` is allowed for category `cat`. */
bool vocab_plover_mode_ok(const vocab_plover *cat, const char *mode);

/** @return true when `context` is a PLOVER 2.0 context. */
bool vocab_plover_context_ok(const char *context);

/** @return the country with ISO 3166-1 alpha-3 code `a3`, or NULL. */
const vocab_country *vocab_country_by_alpha3(const char *a3);

/** @return the alpha-3 code of a country given by alpha-2 code, numeric
 *  code (leading zeros optional: "4" = "004") or name (any case; ISO name,
 *  common or official name), or NULL. */
const char *vocab_country_from_alpha2(const char *a2);
const char *vocab_country_from_numeric(const char *num);
const char *vocab_country_from_name(const char *name);

/** @return the ISO alpha-3 code of a FIPS 10-4 country code; "" when the
 *  FIPS code is known but has no ISO country (Kosovo, Spratly Islands);
 *  NULL when the FIPS code is unknown. */
const char *vocab_fips_to_iso3(const char *fips);

/** @return the shortest BCP 47 language subtag for an ISO 639 code: the
 *  two-letter code when there is one ("fra", "fre" -> "fr"), the code itself
 *  when it is a known three-letter code without one, NULL when unknown. */
const char *vocab_language(const char *code);

/** @return true when `tag` is a BCP 47 tag whose primary subtag is a known
 *  ISO 639 code and whose other subtags have BCP 47's shape ("nb-NO",
 *  "zh-Hant-TW", "en"). */
bool vocab_bcp47_ok(const char *tag);

#endif /* EVREC_IMP_VOCAB_H */
