/*
 * fieldpath.h -- the text of errors: field paths, quoted strings, clean
 * messages. One formatter for the JSON decoder, the JSON encoder, the
 * binary decoder and the validator, so that a path reads the same whichever
 * way a record came in or goes out.
 *
 * evrec_error.path names the field an error is about, in JSON names:
 *
 *   events[1].participants[0].actorId
 *   extensions["ns:key"].listValue    mStringNested["a\"b"].b    mInt32Int32["-5"]
 *
 *   a field       .name    its lowerCamelCase JSON name (the proto name where
 *                          the caller prints proto names); a path does not
 *                          start with the '.'
 *   an element    [3]      0-based index in the repeated field
 *   a map entry   ["key"]  (also a Struct member) the key as the JSON object
 *                          key it is written as: strings quoted as below,
 *                          integer keys in decimal ("-5"), bools "true" or
 *                          "false"
 *
 * Quoting (keys in paths; strings that messages quote): '"' and '\\' as \"
 * and \\, control characters and DEL as \u00XX, each byte that is not part
 * of valid UTF-8 (binary input, messages built in memory) as \xNN, all else
 * as it is. A key shows at most EVREC__PATH_KEY_MAX bytes of that text,
 * whole characters and escapes, then "..." before the closing quote.
 *
 * Length: paths of up to EVREC__PATH_SHOWN_MAX (251) bytes are shown whole.
 * A longer one may keep only its innermost whole steps -- the ones that name
 * what failed; the record number and the position say where -- behind
 * "...": "....recursive.recursive.fString" (the fourth '.' is the step's
 * own), 255 bytes at most. An innermost step that alone is too long keeps
 * its end, cut on a character boundary.
 *
 * Everything here writes valid UTF-8 without control characters, and so
 * does evrec__verr() for every message, and the validator for violations
 * (through evrec__text_vformat()).
 *
 * Steps are added from the innermost outwards: the order in which the
 * codecs find them, following their chain of frames up to the root (JSON)
 * or prepending as a failure unwinds (binary).
 *
 *   evrec__fieldpath p;
 *   evrec__fieldpath_init(&p);
 *   evrec__fieldpath_name(&p, "actorId");
 *   evrec__fieldpath_index(&p, 0);
 *   evrec__fieldpath_name(&p, "participants");   ...
 *   evrec__fieldpath_get(&p, err->path);
 */
#ifndef EVREC_FIELDPATH_H
#define EVREC_FIELDPATH_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/** Bytes of a key's quoted text shown in a path (escapes count as written). */
#define EVREC__PATH_KEY_MAX 64
/** Longest path always shown whole; longer ones may be cut as above (the
 *  room of the "..." and of the '.' before a first field name are kept). */
#define EVREC__PATH_SHOWN_MAX (EVREC_ERROR_PATH_MAX - 5)

/** A path under construction, right to left in `buf`. */
typedef struct evrec__fieldpath {
  size_t pos; /* the steps so far: buf[pos .. EVREC_ERROR_PATH_MAX - 1) */
  bool cut;   /* steps were left out: no outer step is added any more */
  char buf[EVREC_ERROR_PATH_MAX];
} evrec__fieldpath;

/** Starts an empty path. */
void evrec__fieldpath_init(evrec__fieldpath *p);

/** Adds the step ".name", with `name` as given (a JSON name already, or a
 *  pseudo-field such as Any's "value"). */
void evrec__fieldpath_name(evrec__fieldpath *p, const char *name);

/** Adds the step of the field whose proto name is `proto_name`: its JSON
 *  (lowerCamelCase) name, or the proto name itself when `as_proto`. */
void evrec__fieldpath_field(evrec__fieldpath *p, const char *proto_name, bool as_proto);

/** Adds the step "[i]". */
void evrec__fieldpath_index(evrec__fieldpath *p, size_t i);

/** Adds the step ["key"] of the string key s[0..n) (any bytes). */
void evrec__fieldpath_key(evrec__fieldpath *p, const char *s, size_t n);

/** Adds the step ["-5"] of a signed integer map key. */
void evrec__fieldpath_key_i64(evrec__fieldpath *p, int64_t v);

/** Adds the step ["5"] of an unsigned integer map key. */
void evrec__fieldpath_key_u64(evrec__fieldpath *p, uint64_t v);

/** Adds the step ["true"] or ["false"] of a bool map key. */
void evrec__fieldpath_key_bool(evrec__fieldpath *p, bool v);

/** Adds the steps of a path rendered before (another error's `path`, made
 *  by these functions) as the innermost ones. */
void evrec__fieldpath_text(evrec__fieldpath *p, const char *path);

/** Writes the path, NUL-terminated, to out (EVREC_ERROR_PATH_MAX bytes). */
void evrec__fieldpath_get(const evrec__fieldpath *p, char *out);

/** Writes s[0..n) quoted as above to out[0..cap), NUL-terminated: at most
 *  `max` bytes of text between the quotes, then "..." when s goes on.
 *  `cap` must be at least max + 6. @return the length written. */
size_t evrec__quote(char *out, size_t cap, const char *s, size_t n, size_t max);

/** Copies the text s[0..n) to out[0..cap), NUL-terminated, as valid UTF-8
 *  without control characters: those as \u00XX, bytes that are not UTF-8
 *  as \xNN; cut on a character boundary when it does not fit. out and s
 *  must not overlap. @return the length written. */
size_t evrec__text_clean(char *out, size_t cap, const char *s, size_t n);

/** vsnprintf() to out[0..cap) (at most EVREC_ERROR_MESSAGE_MAX - 1 bytes
 *  of text), then as evrec__text_clean(): a cut drops a character left
 *  incomplete. The form of every message (evrec__verr, the validator's).
 *  @return the length written. */
size_t evrec__text_vformat(char *out, size_t cap, const char *fmt, va_list ap)
    EVREC__PRINTF(3, 0);

#endif /* EVREC_FIELDPATH_H */
