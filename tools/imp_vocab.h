/*
 * imp_vocab.h -- code lists used by `evrec import` and `evrec export`.
 *
 * The tables are the library's own (src/vocab.h), generated once at build
 * time by vocab/gen_vocab.py from vocab/ (CAMEO, PLOVER 2.0, FIPS 10-4 ->
 * ISO 3166) and Debian's iso-codes JSON (ISO 3166-1, ISO 639): what the
 * importers map codes to is exactly what `evrec validate` accepts. This
 * file adds the lookups importers need on top (codes not NUL-terminated,
 * country names and numbers, canonical language tags). Nothing here
 * changes at run time.
 */
#ifndef EVREC_IMP_VOCAB_H
#define EVREC_IMP_VOCAB_H

#include <stdbool.h>
#include <stddef.h>

#include "vocab.h" /* src/: the generated tables */

typedef evrec__plover_category vocab_plover;
typedef evrec__country vocab_country;

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

/** @return true when `tag` is a well-formed BCP 47 tag in canonical form
 *  whose primary subtag is a known ISO 639 code in its shortest form ("en",
 *  not "eng"; lower case): "nb-NO", "zh-Hant-TW", "en". */
bool vocab_bcp47_ok(const char *tag);

#endif /* EVREC_IMP_VOCAB_H */
