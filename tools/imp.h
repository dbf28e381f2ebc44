/*
 * imp.h -- shared machinery of `evrec import` and `evrec export`.
 *
 * An import run (`imp`) owns one arena in which each record is built, the
 * writer it goes to, and the position used in messages. Adapters (one file
 * per source format) read their input, build an evrec.v1.Record with the
 * helpers below and hand it to imp_emit(), which writes it and resets the
 * arena: memory is bounded by the largest record, whatever the input size.
 * The GDELT adapter, whose speed matters most, encodes its records straight
 * to wire format instead (imp_wire.h) and hands them to imp_emit_packed().
 *
 * Allocation failures do not clutter the adapters: every helper that
 * allocates sets `m->oom` and returns a harmless value (NULL, "") when the
 * arena is exhausted; imp_emit() refuses a record built while `oom` was set,
 * so a half-built record is never written.
 *
 * Messages about the input (cli formats):
 *   evrec: FILE:LINE: column 27 (EventCode): "0x1" is not a CAMEO code   CSV/TSV rows
 *   evrec: FILE: record 3 (PLOVER-GSR01-X): event: "FOO" is not ...      JSON items
 *   evrec: FILE:LINE: warning: ...                                       kept going
 * A bad row or item stops the run with exit status 1, unless --skip-bad,
 * which skips it, counts it and reports the count at the end.
 *
 * Schema-less JSON (PLOVER, ICEWS, ninjs, ClaimReview) is read as
 * google.protobuf.Struct trees through evrec's own reader (any layout: one
 * object, an array, JSON lines, concatenated objects), one top-level item at
 * a time; the jv_* helpers walk those trees and also build them for export.
 */
#ifndef EVREC_IMP_H
#define EVREC_IMP_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "evrec/v1/evrec.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "imp_vocab.h"

/* Short names for the generated types. */
typedef Evrec__V1__Record ev_record;
typedef Evrec__V1__Article ev_article;
typedef Evrec__V1__Actor ev_actor;
typedef Evrec__V1__Place ev_place;
typedef Evrec__V1__Event ev_event;
typedef Evrec__V1__EventType ev_event_type;
typedef Evrec__V1__Participant ev_participant;
typedef Evrec__V1__Mention ev_mention;
typedef Evrec__V1__Span ev_span;
typedef Evrec__V1__Claim ev_claim;
typedef Evrec__V1__Review ev_review;
typedef Evrec__V1__Appearance ev_appearance;
typedef Evrec__V1__ExternalId ev_extid;
typedef Evrec__V1__Code ev_code;
typedef Evrec__V1__Subject ev_subject;
typedef Evrec__V1__Publisher ev_publisher;
typedef Evrec__V1__Provenance ev_provenance;
typedef Google__Protobuf__Timestamp pb_timestamp;
typedef Google__Protobuf__Value jv_value;
typedef Google__Protobuf__Struct jv_object;
typedef Google__Protobuf__ListValue jv_list;

/* Adapter results: 0 = go on, IMP_STOP = stop the run with `m->status`. */
#define IMP_STOP (-1)

typedef struct imp {
  const cli_command *cmd;
  evrec_arena *arena;        /* the record being built; reset by imp_emit() */
  ProtobufCAllocator *alloc; /* of `arena` */
  evrec_writer *w;
  const char *out_name;      /* for messages */
  /* Where we are, for messages. */
  const char *file;          /* display name of the input */
  uint64_t line;             /* CSV/TSV: line of the current row, 1-based; 0 = none */
  uint64_t item;             /* JSON: number of the current item, 1-based; 0 = none */
  const char *item_id;       /* JSON: the item's id when known, for messages */
  /* Options. */
  bool skip_bad;             /* --skip-bad */
  bool quiet;                /* --quiet: no warnings */
  size_t max_row;            /* longest CSV/TSV row (--max-record-size) */
  cli_limits lim;            /* JSON input limits */
  /* State. */
  bool oom;                  /* an allocation failed while building */
  int status;                /* exit status once stopped */
  uint64_t n_bad, n_warnings, n_records;
  /* The `extensions` field of the last message types imp_ext() saw. */
  const ProtobufCMessageDescriptor *ext_type[4];
  const ProtobufCFieldDescriptor *ext_field[4];
} imp;

/* ---------------------------------------------------------------- messages */

/** Reports a bad row/item (at the current position). Counts it. @return 0
 *  when --skip-bad lets the run go on (the caller skips the row), IMP_STOP
 *  otherwise (status 1). */
int imp_bad(imp *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** A bad value in CSV column `col` (1-based) named `name`. */
int imp_bad_col(imp *m, unsigned col, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Prints a warning at the current position (unless --quiet) and counts it. */
void imp_warn(imp *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** An I/O or resource failure: reports it, sets status 2. @return IMP_STOP. */
int imp_fail(imp *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- building */

/** Writes a finished record and resets the arena. @return 0 or IMP_STOP. */
int imp_emit(imp *m, ev_record *r);
struct evrec__buf; /* src/internal.h */
/** imp_emit() of a record already in protobuf wire format (imp_wire.h). */
int imp_emit_packed(imp *m, const struct evrec__buf *r);
/** Starts a record encoded in wire format straight into the output
 *  (evrec__writer_packed_begin(): pbd output): append it to the buffer
 *  returned and end it with imp_packed_end(), which writes it as
 *  imp_emit_packed() would. @return NULL when the output takes records
 *  otherwise: encode into a buffer and imp_emit_packed() it. */
struct evrec__buf *imp_packed_begin(imp *m, size_t *mark);
/** Ends the record begun at mark: writes it, or with m->oom set drops it
 *  and fails. @return 0 or IMP_STOP, as imp_emit_packed(). */
int imp_packed_end(imp *m, size_t mark);

/** Drops the record being built (resets the arena). */
void imp_discard(imp *m);

/** Starts a run's output: the arena and the writer of `output` ("-" =
 *  stdout) with options wo. @return 0, or CLI_EXIT_USAGE (reported; nothing
 *  left to free). */
int imp_start(imp *m, const char *output, const evrec_writer_options *wo);
/** Ends it: when status is CLI_EXIT_OK, closes the writer (a file is
 *  renamed into place); otherwise discards a file output (an existing file
 *  stays as it was) or keeps what stdout already got. Frees the arena.
 *  @return status, or CLI_EXIT_USAGE when closing failed (reported). */
int imp_finish(imp *m, const char *output, int status);

void *imp_alloc(imp *m, size_t size);
/** A new message of type `d`, initialised; NULL when out of memory. */
void *imp_new(imp *m, const ProtobufCMessageDescriptor *d);
/** Copies of strings in the arena ("" when out of memory, never NULL). */
char *imp_strn(imp *m, const char *s, size_t n);
char *imp_str(imp *m, const char *s);
char *imp_printf(imp *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** prefix + decimal n ("a12", "gdelt:1256322770") without printf. */
char *imp_numbered(imp *m, const char *prefix, uint64_t n);
/** Writes n in decimal to out (at least 20 bytes, no NUL). @return its length. */
size_t imp_u64_dec(char *out, uint64_t n);

/** Makes room for element `n` of an array of `size`-byte elements that
 *  holds n elements (capacity is the next power of two, implicitly).
 *  @return the (possibly moved) array, or NULL when out of memory. */
void *imp_grow_to(imp *m, void *arr, size_t n, size_t size);
static inline void *imp_grow(imp *m, void *arr, size_t n, size_t size) {
  return n && (n & (n - 1)) ? arr : imp_grow_to(m, arr, n, size); /* room left */
}

/** Appends `val` to the repeated field `arr` with count `n` (lvalues). */
#define IMP_ADD(m, arr, n, val)                                             \
  do {                                                                      \
    void *imp_add_tmp_ = imp_grow((m), (arr), (n), sizeof *(arr));          \
    if (imp_add_tmp_) {                                                     \
      (arr) = imp_add_tmp_;                                                 \
      (arr)[(n)++] = (val);                                                 \
    }                                                                       \
  } while (0)

/** Sets key -> value in the map<string,string> field named `field` of `msg`
 *  (replacing an existing key). Values are copied. */
void imp_map_set(imp *m, ProtobufCMessage *msg, const char *field, const char *key,
                 const char *value);
/** Shorthand for the `extensions` map every extensible message has. */
void imp_ext(imp *m, void *msg, const char *key, const char *value);
/** imp_ext() without copies: key and value must outlive the record. */
void imp_ext_ref(imp *m, void *msg, const char *key, const char *value);
/** @return the value of `key` in map field `field` of msg, or NULL. */
const char *imp_map_get(const ProtobufCMessage *msg, const char *field, const char *key);

Google__Protobuf__Timestamp *imp_timestamp(imp *m, int64_t seconds, int32_t nanos);
Google__Protobuf__DoubleValue *imp_double(imp *m, double v);
Google__Protobuf__UInt32Value *imp_uint32(imp *m, uint32_t v);
ev_span *imp_span(imp *m, uint32_t start, uint32_t end);
ev_extid *imp_extid(imp *m, const char *scheme, const char *value);
ev_code *imp_code(imp *m, const char *scheme, const char *code, const char *label);

/* ---------------------------------------------------------------- values */

/** Parses a decimal integer of exactly `n` bytes (optional '-'). */
bool imp_parse_i64(const char *s, size_t n, int64_t *out);
bool imp_parse_u64(const char *s, size_t n, uint64_t *out);
/** Parses a decimal number ("-5.12", "31", "1e3") of exactly `n` bytes,
 *  independent of the locale. */
bool imp_parse_double(const char *s, size_t n, double *out);

/** Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t imp_days_from_civil(int64_t y, unsigned mo, unsigned d);
/** @return true when y-mo-d is a real calendar date (year 1..9999). */
bool imp_valid_date(int64_t y, unsigned mo, unsigned d);
/** Parses "YYYY", "YYYY-MM" or "YYYY-MM-DD" (n bytes). */
bool imp_parse_date(const char *s, size_t n, int *precision);

/** An instant or a date as found in JSON sources. `has_time` is false for a
 *  plain date ("2014-07-23", "2014-07", "2014"), which then sits in `date`. */
typedef struct imp_time {
  int64_t seconds;
  int32_t nanos;
  bool has_time;
  bool has_zone;   /* false: "2019-05-10T10:00:00" without Z or offset (taken as UTC) */
  char date[11];   /* the date part, "YYYY[-MM[-DD]]" */
} imp_time;

/** Parses RFC 3339 and the variants met in the wild: "Z", "+02:00",
 *  "+0200", "+02", no zone, a space instead of "T", fractional seconds,
 *  and plain dates of reduced precision. */
bool imp_parse_time(const char *s, imp_time *out);

/** Formats an instant as RFC 3339 UTC ("2019-05-10T14:02:28Z", with the
 *  fraction only when non-zero) into buf (at least 40 bytes). */
void imp_format_time(char *buf, int64_t seconds, int32_t nanos);

/** Formats a double in the shortest form that reads back ("5", "0.25"). */
void imp_format_double(char *buf, size_t size, double v);

/** @return true for an absolute http(s) URL with a host. */
bool imp_is_http_url(const char *s);
/** @return the URL without "http://" / "https://" (the grouping key). */
const char *imp_url_key(const char *url);
/** The host of an http(s) URL without "www." (arena copy), or "". */
char *imp_url_domain(imp *m, const char *url);

/** Number of Unicode code points in valid UTF-8 text s[0..n). */
size_t imp_utf8_count(const char *s, size_t n);

/** 64-bit FNV-1a of n bytes. */
uint64_t imp_hash(const void *p, size_t n);

/** Copies s with every "\r\n" and lone "\r" turned into "\n". */
char *imp_unix_newlines(imp *m, const char *s);

/* ---------------------------------------------------------------- JSON trees */

/** @return member `key` of obj (exact match), or NULL. */
const jv_value *jv_get(const jv_object *obj, const char *key);
/** Like jv_get, ASCII case-insensitive (ninjs 2.x spells names in lower case). */
const jv_value *jv_get_ci(const jv_object *obj, const char *key);
/** The string, or NULL when v is absent or not a string. */
const char *jv_str(const jv_value *v);
/** The object, or NULL. */
const jv_object *jv_obj(const jv_value *v);
/** The list, or NULL. */
const jv_list *jv_list_of(const jv_value *v);
/** @return true and *out when v is a number. */
bool jv_num(const jv_value *v, double *out);
/** @return true when v is null or absent. */
bool jv_is_null(const jv_value *v);
/** The value as text: strings as they are, numbers in shortest form, true/
 *  false; NULL for null, objects and lists. */
const char *jv_text(imp *m, const jv_value *v);
/** A JSON value as compact JSON text (arena copy); NULL on failure. */
char *jv_to_json(imp *m, const jv_value *v);
/** Parses JSON text into a value in the arena; NULL when it is not JSON. */
jv_value *jv_from_json(imp *m, const char *json);

/* Building trees (in the arena). */
jv_value *jv_new_string(imp *m, const char *s);
jv_value *jv_new_number(imp *m, double v);
jv_value *jv_new_bool(imp *m, bool b);
jv_value *jv_new_object(imp *m);
jv_value *jv_new_list(imp *m);
/** Sets obj[key] = v (replacing an existing member; v NULL removes it). */
void jv_set(imp *m, jv_object *obj, const char *key, jv_value *v);
/** Sets obj[key] to a string copy, unless s is NULL or "". */
void jv_set_str(imp *m, jv_object *obj, const char *key, const char *s);
/** Removes member `key` (exact) from obj, if present. */
void jv_remove(jv_object *obj, const char *key);
/** Removes member `key` from obj and returns its value (NULL if absent).
 *  Importers "take" what they map, so what is left is what no field holds. */
jv_value *jv_take(jv_object *obj, const char *key);
/** Takes member `key` when it is a string; leaves other types in place. */
const char *jv_take_str(jv_object *obj, const char *key);
/** Wraps an object in a value (for jv_to_json). */
jv_value *jv_wrap(imp *m, jv_object *obj);
void jv_append(imp *m, jv_list *list, jv_value *v);

/* ---------------------------------------------------------------- adapters */

/** CSV/TSV reader (imp_csv.c): RFC 4180 quoting (or none, for GDELT's TSV),
 *  a UTF-8 BOM at the start is skipped, "\n" or "\r\n" line ends, rows of at
 *  most max_row bytes, fields NUL-terminated in place. */
typedef struct imp_csv imp_csv;
int imp_csv_open(imp_csv **out, const char *path, char sep, bool quotes, size_t max_row,
                 char *why, size_t why_size);
/** @return 1 with a row in fields[0..n), 0 at the end, -1 on an input error
 *  (I/O, memory, a row over max_row), -2 for a malformed row that can be
 *  skipped (quoting, invalid UTF-8): `why` says what. */
int imp_csv_next(imp_csv *c, char ***fields, size_t **lens, size_t *n, char *why,
                 size_t why_size);
/** The next row as it is, for a reader that splits and checks a row in
 *  one pass (imp_csv_split_tabs): row[0..len) without its
 *  line end, row[len] a NUL, and at least 64 readable bytes after it. @return 1, 0 at the end,
 *  -1 on an input error (`why`). Unquoted readers only. */
int imp_csv_next_row(imp_csv *c, char **row, size_t *len, char *why, size_t why_size);
/** Splits the row imp_csv_next_row() returned, as imp_csv_next() would
 *  have: @return 1, -1 or -2 as imp_csv_next(). The row must be as it was
 *  returned. */
int imp_csv_split_row(imp_csv *c, char ***fields, size_t **lens, size_t *n, char *why,
                      size_t why_size);
/** Splits a row from imp_csv_next_row() (row[0..len), 64 readable bytes
 *  past row[len]) that has exactly `want` tab-separated fields and is plain
 *  ASCII (no NUL, no byte 0x80 and above), in one pass: every tab becomes a
 *  NUL, off[i] is where field i starts and off[want] = len + 1 (off holds
 *  want + 1 entries). @return false, with the row as it was, for any other
 *  row (imp_csv_split_row() then says what is wrong with it). */
bool imp_csv_split_tabs(char *row, size_t len, uint32_t *off, unsigned want);
/** Line number of the row returned last (1-based) and its byte offset. */
uint64_t imp_csv_line(const imp_csv *c);
uint64_t imp_csv_offset(const imp_csv *c);
/** True when the row returned last ended without a line end: the last line
 *  of an input that may have been cut short. */
bool imp_csv_unterminated(const imp_csv *c);
/** Reads the input ahead on a thread of its own (a regular file only, and
 *  before the first row; otherwise, or without memory or a thread, nothing
 *  changes). Rows, messages and errors are as without it. */
void imp_csv_readahead(imp_csv *c);
void imp_csv_close(imp_csv *c);

/* For the steps of a hot loop that must be inlined whatever the size of
 * the function they are in. */
#if defined(__GNUC__)
#define IMP_INLINE static inline __attribute__((always_inline))
#else
#define IMP_INLINE static inline
#endif

/** Runs `item` on every top-level JSON object of `path` (one object, an
 *  array of objects, JSON lines or concatenated objects) read as a
 *  google.protobuf.Struct. @return 0 or IMP_STOP. */
typedef int (*imp_json_item_fn)(imp *m, const jv_object *obj, void *payload);
int imp_json_each(imp *m, const char *path, imp_json_item_fn item, void *payload);

/* One entry point per format (import_*.c, interop_*.c). */
typedef struct imp_gdelt_options {
  const char *const *mentions; /* mentions files (--mentions) */
  size_t n_mentions;
  uint64_t window;             /* --window N rows (0 = default) */
  bool two_pass;               /* --two-pass */
  unsigned threads;            /* -j: 1 = one thread, 0 = by the online cores */
} imp_gdelt_options;
int imp_gdelt(imp *m, const char *const *inputs, size_t n, const imp_gdelt_options *o);
int imp_acled(imp *m, const char *path);
int imp_plover(imp *m, const char *path);
int imp_icews(imp *m, const char *path);
int imp_ninjs(imp *m, const char *path);
int imp_claimreview(imp *m, const char *path);

/** Export: turns one record into zero or more JSON objects (ninjs: one;
 *  ClaimReview: one per review of each claim), each passed to `out`. */
typedef int (*exp_out_fn)(imp *m, jv_value *obj, void *payload);
int exp_ninjs(imp *m, const ev_record *r, exp_out_fn out, void *payload);
int exp_claimreview(imp *m, const ev_record *r, exp_out_fn out, void *payload);

#endif /* EVREC_IMP_H */
