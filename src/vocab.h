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

/* ---------------------------------------------------------------- lookups (vocab.c) */

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
