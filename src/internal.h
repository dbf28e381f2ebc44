/*
 * internal.h -- shared private helpers of libevrec (never installed).
 *
 * Modules:
 *   arena.c   bump allocator behind evrec_arena
 *   buf.c     growable byte buffer (evrec__buf) used by encoders and writers
 *   error.c   evrec_error filling, status names, version
 *   desc.c    descriptor facts: well-known types, map entries, JSON names,
 *             field lookup by name slice, the built-in Any type registry
 *   utf8.c    UTF-8 validation
 *   fieldpath.c  the text of errors: field paths, quoting (fieldpath.h)
 *   dtoa.c    shortest round-trip decimals of doubles and floats
 *
 * Naming: internal symbols are `evrec__name` (double underscore) and are hidden
 * from the shared library by -fvisibility=hidden.
 */
#ifndef EVREC_INTERNAL_H
#define EVREC_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evrec.h"

#if defined(__GNUC__)
#define EVREC__PRINTF(f, a) __attribute__((format(printf, f, a)))
#define EVREC__LIKELY(x) __builtin_expect(!!(x), 1)
#define EVREC__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define EVREC__PRINTF(f, a)
#define EVREC__LIKELY(x) (x)
#define EVREC__UNLIKELY(x) (x)
#endif

/* ---------------------------------------------------------------- arena */

/** Allocates `size` bytes aligned for any type; NULL when out of memory.
 *  Size 0 returns a valid unique-enough pointer. */
void *evrec__arena_alloc(evrec_arena *a, size_t size);

/** Duplicates `len` bytes and appends a NUL. */
char *evrec__arena_strndup(evrec_arena *a, const char *s, size_t len);

/** evrec_arena_reset(), but keeps the largest block (the newest) instead of
 *  the first: for rounds of similar, large sizes (the .evr read-ahead). */
void evrec__arena_recycle(evrec_arena *a);

/** Bytes handed out since the last reset or recycle (blocks' headers and
 *  the unused tails of full blocks included). */
size_t evrec__arena_used(const evrec_arena *a);

/** The free space of an arena's current block, [ptr, end): the first member
 *  of every evrec_arena, so that hot paths can allocate inline
 *  (evrec__arena_bump) and write a value of unknown length straight into
 *  the free space, then claim what it used (evrec__arena_claim). */
typedef struct evrec__arena_space {
  char *ptr; /* 16-byte aligned, or == end */
  char *end;
} evrec__arena_space;

static inline evrec__arena_space *evrec__arena_space_of(evrec_arena *a) {
  return (evrec__arena_space *)(void *)a;
}

/** Makes the free space at least `n` bytes, in a new block when the current
 *  one has less (its rest stays unused). @return false when out of memory. */
bool evrec__arena_reserve(evrec_arena *a, size_t n);

/** Claims the first `n` bytes of the free space (n <= its size), keeping
 *  later allocations aligned. */
static inline void evrec__arena_claim(evrec__arena_space *s, size_t n) {
  size_t room = (size_t)(s->end - s->ptr), r = (n + 15) & ~(size_t)15;
  s->ptr += r < room ? r : room;
}

/** evrec__arena_alloc()'s fast path: NULL when `size` (> 0) does not fit in
 *  the current block (then call evrec__arena_alloc). */
static inline void *evrec__arena_bump(evrec__arena_space *s, size_t size) {
  size_t room = (size_t)(s->end - s->ptr);
  if (size > room || ((size + 15) & ~(size_t)15) > room) return NULL;
  void *p = s->ptr;
  s->ptr += (size + 15) & ~(size_t)15;
  return p;
}

/* ---------------------------------------------------------------- buf */

/** Growable buffer on malloc. `data` is NUL-terminated when len > 0 is not
 *  guaranteed: call evrec__buf_cstr() when a C string is needed. */
typedef struct evrec__buf {
  char *data;
  size_t len;
  size_t cap;
  bool oom; /* sticky: an append failed; contents are incomplete */
} evrec__buf;

void evrec__buf_init(evrec__buf *b);
void evrec__buf_free(evrec__buf *b);
/** Makes room for `n` more bytes. @return false (and sets oom) on failure. */
bool evrec__buf_reserve(evrec__buf *b, size_t n);
bool evrec__buf_append(evrec__buf *b, const void *p, size_t n);
bool evrec__buf_putc(evrec__buf *b, char c);
bool evrec__buf_puts(evrec__buf *b, const char *s);
/** NUL-terminates without counting the NUL; @return data or NULL on oom. */
char *evrec__buf_cstr(evrec__buf *b);

/* ---------------------------------------------------------------- pack (pack.c) */

/**
 * Appends msg's protobuf encoding to out in one walk: the bytes of
 * protobuf_c_message_pack(), without protobuf_c_message_get_packed_size().
 * @return its length, or SIZE_MAX on out-of-memory (out->oom set, out->len
 * unchanged).
 */
size_t evrec__pack(evrec__buf *out, const ProtobufCMessage *msg);

/** evrec__pack() preceded by the encoding's length as a varint (a pbd
 *  record). @return the encoding's length without the prefix (out->len grew
 *  by the prefix too), or SIZE_MAX as evrec__pack(). */
size_t evrec__pack_delimited(evrec__buf *out, const ProtobufCMessage *msg);

/* ---------------------------------------------------------------- writer (writer.c) */

/**
 * Writes one record given as its protobuf encoding, a message of `type`,
 * for encoders in evrec's own code that make the bytes of a record
 * directly (the CLI's GDELT importer). The bytes must be well formed and
 * their strings valid UTF-8: binary output (pb, pbd, evr) written with
 * EVREC_WRITE_VALID_UTF8 takes them as they are; JSON, and checked
 * output, decode them first and write the message. Errors as
 * evrec_writer_write(); bytes that do not decode (bad UTF-8 in checked
 * output) are refused without making the writer fail.
 */
int evrec__writer_write_packed(evrec_writer *w, const ProtobufCMessageDescriptor *type,
                               const void *data, size_t len, evrec_error *err);

/**
 * Starts a record that evrec's own encoder writes straight into the
 * output: when w writes pbd with EVREC_WRITE_VALID_UTF8 and has not
 * failed, returns its output buffer, with room for the record's length
 * already taken, and its length before that in *mark. The caller appends
 * the record's protobuf encoding (well formed, strings valid UTF-8) to the
 * buffer and calls evrec__writer_packed_end(); nothing else may touch the
 * writer in between. @return NULL when w takes records otherwise (other
 * formats, checked strings, a failed writer, no memory for the length):
 * encode into a buffer of the caller's and use evrec__writer_write_packed().
 */
evrec__buf *evrec__writer_packed_begin(evrec_writer *w, size_t *mark);

/**
 * Ends a record begun with evrec__writer_packed_begin(), `mark` as it
 * returned: with `keep`, writes the record's length before it, counts it
 * and flushes a full buffer; without, drops its bytes. A buffer that ran
 * out of memory (its oom set) drops the record and makes the writer fail
 * with EVREC_E_NOMEM. @return EVREC_OK, EVREC_E_NOMEM or EVREC_E_IO
 * (sticky, as evrec_writer_write()).
 */
int evrec__writer_packed_end(evrec_writer *w, size_t mark, bool keep, evrec_error *err);

/* ---------------------------------------------------------------- errors */

/** Clears err (if non-NULL), sets code and printf-style message.
 *  @return code, so callers can `return evrec__err(err, ...)`. */
int evrec__err(evrec_error *err, int code, const char *fmt, ...)
    EVREC__PRINTF(3, 4);
int evrec__verr(evrec_error *err, int code, const char *fmt, va_list ap)
    EVREC__PRINTF(3, 0);

/* Messages may nest at most this many levels below the top-level message
 * in binary form, as Google's binary parsers allow (C++, upb: 100). The
 * binary decoder enforces it, and the JSON decoder refuses records that
 * would exceed it once packed, so every record evrec writes reads back. */
#define EVREC__PB_MAX_DEPTH 100

/* ---------------------------------------------------------------- hashing */

/** FNV-1a 64 of len bytes: fast on short keys such as record ids. */
static inline uint64_t evrec__fnv1a64(const char *s, size_t len) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
  return h;
}

/* ---------------------------------------------------------------- reader */

/** @return the reader's sticky error status (0 while it can go on): after
 *  a failed evrec_reader_next(), tells a caller whether the reader skipped
 *  the record (EVREC_READ_SKIP_INVALID, EVREC_READ_SKIP_DAMAGE) or stopped. */
int evrec__reader_sticky(const evrec_reader *r);

/* ---------------------------------------------------------------- validate (validate.c) */

/**
 * A reader's failure on a record as evrec_validate_reader() reports it,
 * for loops of their own over a reader (the Python binding's
 * evrec.validate()): when `code` (evrec_reader_next()'s status, `e` its
 * error) concerns a record, counts it in *st (errors, invalid, and records
 * unless a damaged block's) and passes fn (may be NULL) a violation of the
 * decode-* rule of the code, with record = e->record and error = e.
 * @return -1 when the code is not about a record (I/O, memory, format:
 *         no violation, nothing counted), 1 when fn asked to stop, else 0.
 */
int evrec__validate_decode_error(int code, const evrec_error *e, evrec_validate_stats *st,
                                 evrec_violation_fn fn, void *payload);

/* ---------------------------------------------------------------- utf8 */

/** @return the byte length of the longest valid UTF-8 prefix of s[0..len)
 *  (== len when all valid). Rejects overlongs, surrogates, > U+10FFFF. */
size_t evrec__utf8_valid_prefix(const char *s, size_t len);

/** Copies s[0..len) to dst[0..len) and checks it on the way: @return true
 *  when s is valid UTF-8 without a NUL byte. On false, dst holds an
 *  unspecified part of s (find the problem with evrec__utf8_valid_prefix and
 *  memchr). */
bool evrec__utf8_copy(char *dst, const char *s, size_t len);

/** Encodes code point cp (<= 0x10FFFF, not a surrogate) into out[0..4).
 *  @return bytes written (1-4). */
int evrec__utf8_encode(uint32_t cp, char *out);

/** Counts code points in a valid UTF-8 string. */
size_t evrec__utf8_count(const char *s, size_t len);

/* ---------------------------------------------------------------- dtoa */

/** A decimal digits x 10^exponent; digits has no trailing zero. */
typedef struct evrec__decimal {
  uint64_t digits;
  int exponent;
} evrec__decimal;

/** The shortest decimal that reads back as v (finite, nonzero; the sign is
 *  the caller's), the nearest to v among those, a tie to the even digit:
 *  what Python's repr() prints. No printf, no strtod (dtoa.c). */
evrec__decimal evrec__shortest_double(double v);
evrec__decimal evrec__shortest_float(float v);

/* ---------------------------------------------------------------- descriptors */

/** Well-known types with a special JSON form. */
typedef enum evrec__wkt {
  EVREC__WKT_NONE = 0,
  EVREC__WKT_ANY,
  EVREC__WKT_TIMESTAMP,
  EVREC__WKT_DURATION,
  EVREC__WKT_FIELD_MASK,
  EVREC__WKT_STRUCT,
  EVREC__WKT_VALUE,
  EVREC__WKT_LIST_VALUE,
  EVREC__WKT_EMPTY,
  EVREC__WKT_DOUBLE_VALUE, /* wrappers, in this order */
  EVREC__WKT_FLOAT_VALUE,
  EVREC__WKT_INT64_VALUE,
  EVREC__WKT_UINT64_VALUE,
  EVREC__WKT_INT32_VALUE,
  EVREC__WKT_UINT32_VALUE,
  EVREC__WKT_BOOL_VALUE,
  EVREC__WKT_STRING_VALUE,
  EVREC__WKT_BYTES_VALUE
} evrec__wkt;

/** Classifies a message type by its full name (works for any copy of the
 *  well-known types' generated code, not just ours). */
evrec__wkt evrec__wkt_of(const ProtobufCMessageDescriptor *d);

static inline bool evrec__wkt_is_wrapper(evrec__wkt w) {
  return w >= EVREC__WKT_DOUBLE_VALUE && w <= EVREC__WKT_BYTES_VALUE;
}

/** Field number `id` (> 0) of a well-known type's message `d`, found by
 *  number so that any generated copy of the WKTs works. @return NULL when
 *  `d` has no such field (a malformed descriptor: the caller reports it). */
const ProtobufCFieldDescriptor *evrec__wkt_field(const ProtobufCMessageDescriptor *d,
                                                 unsigned id);

/** @return true for google.protobuf.NullValue (JSON null, both ways). */
bool evrec__is_null_value_enum(const ProtobufCEnumDescriptor *e);

/** @return true when `f` is a map field: repeated message whose type is a
 *  nested "<Field>Entry" with exactly fields key=1 and value=2. */
bool evrec__field_is_map(const ProtobufCFieldDescriptor *f);

/** The key (number 1) and value (number 2) fields of a map entry type. */
const ProtobufCFieldDescriptor *evrec__map_key(const ProtobufCMessageDescriptor *entry);
const ProtobufCFieldDescriptor *evrec__map_value(const ProtobufCMessageDescriptor *entry);

/** Writes the lowerCamelCase JSON name of a proto field name, as protoc
 *  computes json_name: drop each '_' and upper-case the letter after it.
 *  @return its length (never longer than the proto name). `out` must hold
 *  strlen(name) + 1 bytes. */
size_t evrec__json_name(const char *name, char *out);

/** Finds a field by a JSON key slice that is either its proto name or its
 *  lowerCamelCase JSON name. @return NULL when none matches. */
const ProtobufCFieldDescriptor *evrec__field_by_key(
    const ProtobufCMessageDescriptor *d, const char *key, size_t len);

/** Finds an enum value by exact name slice. @return NULL when unknown. */
const ProtobufCEnumValue *evrec__enum_by_name(const ProtobufCEnumDescriptor *e,
                                              const char *name, size_t len);

/** Finds an enum value by number. @return NULL when unknown. */
const ProtobufCEnumValue *evrec__enum_by_number(const ProtobufCEnumDescriptor *e,
                                                int value);

/**
 * Looks a message type up by full name ("evrec.v1.Record") in the registry
 * `types` (may be NULL), then the extra list, then among the built-in types
 * (evrec.v1 and the well-known types). Used for google.protobuf.Any.
 * @return NULL when unknown.
 */
const ProtobufCMessageDescriptor *evrec__find_type(
    const char *full_name, size_t len, const evrec_types *types,
    const ProtobufCMessageDescriptor *const *extra, size_t n_extra);

/** The registry part of evrec__find_type() (types.c); NULL when absent. */
const ProtobufCMessageDescriptor *evrec__types_lookup(const evrec_types *types,
                                                     const char *name, size_t len);

/* ---------------------------------------------------------------- options */

/* Options structs of any supported version, copied into the current layout
 * (the fields the caller's version has; defaults for the rest). NULL in =
 * defaults. @return EVREC_OK or EVREC_E_INVALID_ARG (unknown version).
 * (options.c) */
int evrec__json_decode_options_get(evrec_json_decode_options *out,
                                   const evrec_json_decode_options *in, evrec_error *err);
int evrec__json_encode_options_get(evrec_json_encode_options *out,
                                   const evrec_json_encode_options *in, evrec_error *err);
int evrec__reader_options_get(evrec_reader_options *out, const evrec_reader_options *in,
                              evrec_error *err);
int evrec__writer_options_get(evrec_writer_options *out, const evrec_writer_options *in,
                              evrec_error *err);

/** `one` when n is 1, else `many`: "1 record lost", "2 records lost". */
static inline const char *evrec__plural(uint64_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

/** Address of a field inside a message (offset applied). */
static inline void *evrec__field_ptr(const ProtobufCMessage *m,
                                     const ProtobufCFieldDescriptor *f) {
  return (char *)m + f->offset;
}

/** Address of a field's quantifier (n_ count of a repeated field, or the
 *  case enum of a oneof member). */
static inline void *evrec__quant_ptr(const ProtobufCMessage *m,
                                     const ProtobufCFieldDescriptor *f) {
  return (char *)m + f->quantifier_offset;
}

/** @return true when f is a member of a oneof. */
static inline bool evrec__is_oneof(const ProtobufCFieldDescriptor *f) {
  return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
}

/** In-memory size of one element of a field of type t (for repeated arrays:
 *  the size of an array slot; message fields are pointers). */
size_t evrec__sizeof_type(ProtobufCType t);

/** Flips a signed map key, as a uint64 of its int64 value, into unsigned
 *  order; the same XOR undoes it. */
#define EVREC__MAP_KEY_FLIP (UINT64_C(1) << 63)

/**
 * The key of map entry `entry` (kf: its key field, evrec__map_key()) made
 * comparable, so that a map's entries sort by key: the order of the JSON
 * encoder's output, which the diff walks in too. A string key is stored in
 * *str ("" for NULL) and 0 returned; any other key is returned as a number
 * that orders as the key does (*str = NULL): signed integers as the uint64
 * of their int64 value XOR EVREC__MAP_KEY_FLIP, unsigned ones as they are,
 * bool as 0 or 1. Keys of a type a map cannot have all return 0.
 */
static inline uint64_t evrec__map_key_order(const ProtobufCFieldDescriptor *kf,
                                            const ProtobufCMessage *entry, const char **str) {
  const void *p = evrec__field_ptr(entry, kf);
  *str = NULL;
  switch (kf->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32:
    return (uint64_t)(int64_t) * (const int32_t *)p ^ EVREC__MAP_KEY_FLIP;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64: return (uint64_t) * (const int64_t *)p ^ EVREC__MAP_KEY_FLIP;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32: return *(const uint32_t *)p;
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64: return *(const uint64_t *)p;
  case PROTOBUF_C_TYPE_BOOL: return *(const protobuf_c_boolean *)p != 0;
  case PROTOBUF_C_TYPE_STRING:
    *str = *(char *const *)p;
    if (!*str) *str = "";
    return 0;
  default: return 0; /* not a legal key type */
  }
}


/* ---------------------------------------------------------------- codec entry points */

/** Where a JSON slice starts in its file, so errors are file-relative. */
typedef struct evrec__json_pos {
  uint64_t offset; /* byte offset of slice[0] in the file */
  uint32_t line;   /* 1-based line of slice[0] */
  uint32_t column; /* 1-based column of slice[0] */
} evrec__json_pos;

/** The JSON decoder's memory of key -> field and enum name -> value
 *  lookups, kept by a reader across its records (the same few dozen keys
 *  and enum names repeat in every record). A 4-way set-associative table
 *  (48 KiB) holding copies of the names, so nothing in it points into past
 *  input; its descriptors must outlive it. Plain data: all zero is empty.
 *  See "Key lookup memory" in json_decode.c. */
#define EVREC__JSON_KEYS_LOG2 10
#define EVREC__JSON_KEY_MAX 30 /* longer keys are looked up every time */
typedef struct evrec__json_key {
  const void *scope; /* message descriptor (key) or enum descriptor (value
                        name); NULL: empty slot */
  const void *hit;   /* its field descriptor or enum value */
  unsigned char len;
  char key[EVREC__JSON_KEY_MAX + 1];
} evrec__json_key;
typedef struct evrec__json_keys {
  evrec__json_key slot[1u << EVREC__JSON_KEYS_LOG2];
} evrec__json_keys;

/**
 * evrec_json_decode() for the reader. `base` (may be NULL = start of file)
 * makes err->offset/line/column file-relative. When `consumed` is non-NULL the
 * decoder skips leading whitespace, decodes one value and stops right after it,
 * storing the number of bytes used (trailing bytes are the caller's business);
 * when NULL only whitespace may follow the value.
 * When the input ends inside the value the status is EVREC_E_TRUNCATED, so a
 * streaming caller can read more and retry. `keys` (may be NULL) is the
 * caller's lookup memory, reused across calls.
 */
int evrec__json_decode_ex(ProtobufCMessage **out,
                          const ProtobufCMessageDescriptor *desc,
                          const char *json, size_t len, evrec_arena *arena,
                          const evrec_json_decode_options *opts,
                          const evrec__json_pos *base, size_t *consumed,
                          evrec__json_keys *keys, evrec_error *err);

/** Printed field names ("\"actorId\":") kept for an encoder that prints
 *  many records of the same types: converting each member's proto name to
 *  lowerCamelCase was 9% of printing pbd as NDJSON. Direct-mapped on the
 *  field descriptor's address, which is stable while the types exist (a
 *  writer's outlive it). One per writer; not shared between threads. */
typedef struct evrec__jnames evrec__jnames;
/** @return a new empty cache, or NULL when out of memory (encoding works
 *  without one). */
evrec__jnames *evrec__jnames_new(void);
void evrec__jnames_free(evrec__jnames *c);

/** Appends the JSON encoding of msg to `out` (no trailing newline). On error
 *  `out` may hold a partial encoding: the caller truncates it back.
 *  `names` may be NULL. */
int evrec__json_encode_buf(evrec__buf *out, const ProtobufCMessage *msg,
                           const evrec_json_encode_options *opts, evrec__jnames *names,
                           evrec_error *err);

/** evrec_pb_decode() with a limit on the length of string and bytes fields
 *  (EVREC_E_LIMIT "... (max_string_size)"); SIZE_MAX = none. */
int evrec__pb_decode_ex(ProtobufCMessage **out, const ProtobufCMessageDescriptor *desc,
                        const void *data, size_t len, evrec_arena *arena, size_t max_string,
                        evrec_error *err);

/** Walks a message tree and checks every string field is valid UTF-8.
 *  @return EVREC_OK, EVREC_E_UTF8 with err->path set, or EVREC_E_LIMIT for a
 *  tree nested deeper than 1000 messages. */
int evrec__check_utf8(const ProtobufCMessage *msg, evrec_error *err);

/* ---------------------------------------------------------------- wire helpers (binary.c, format.c) */

/** Longest base-128 varint: 64 bits in 7-bit groups. */
#define EVREC__VARINT_MAX 10

/** Reads a base-128 varint from p[0..len).
 *  @return bytes used (1..10); 0 when the data ends inside the varint;
 *          -1 when it runs past 10 bytes or its value exceeds 64 bits. */
int evrec__varint_get(const void *p, size_t len, uint64_t *value);

/** Writes `value` as a varint into out[0..EVREC__VARINT_MAX). @return bytes written. */
size_t evrec__varint_put(uint64_t value, void *out);

/** evrec_format_detect() for a stream read piece by piece: sets *more when
 *  `head` is too short to decide and more bytes exist (!at_eof). */
evrec_format evrec__format_sniff(const void *head, size_t len, const char *path,
                                 bool at_eof, bool *more);

#endif /* EVREC_INTERNAL_H */
