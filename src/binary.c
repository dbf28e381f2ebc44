/*
 * binary.c -- protobuf wire format: the decoder, the UTF-8 tree walk, varints.
 *
 * evrec_pb_decode() decodes one message in a single descriptor-driven pass
 * straight into the arena, with exactly the layout protobuf-c 1.4.1's
 * protobuf_c_message_unpack() gives (so pack, protobuf_c_message_check(),
 * free_unpacked with the arena's allocator and the JSON encoder work on it),
 * and checks everything on the way: tags, wire types against field types,
 * lengths against the bytes left, packed arrays, nesting (100 levels below
 * the top-level message), max_string_size, and string fields (valid UTF-8,
 * no NUL byte: protobuf-c strings are NUL-terminated). The first problem is
 * explained precisely -- "field 5 (article): length 900 exceeds the 12 bytes
 * left" -- with the byte offset of the field's tag (of the bad byte for
 * UTF-8) in err->offset and the JSON path of the field in err->path.
 *
 * It replaces a validating walk followed by protobuf_c_message_unpack(),
 * which read every record twice (and a third time for UTF-8), and which did
 * not implement protobuf's merge rules: unpack failed on a singular message
 * field given twice and replaced a oneof message member instead of merging
 * it. Here, as in Google's parsers (the encoding spec, "Last One Wins" and
 * "Merging"):
 *   - a scalar, string or bytes field given again: the last value wins;
 *   - repeated fields append; packable types accept packed and unpacked
 *     occurrences in any mix (packed bools as any varint, 0 = false);
 *   - a singular or oneof message field given again merges into the
 *     message already there, recursively (so concatenated encodings of a
 *     message decode as their merge);
 *   - a oneof member of another field clears the member set before;
 *   - a map entry whose key was seen before replaces that entry's value, in
 *     its first position (small maps inline; maps of more than MAP_INLINE
 *     entries once at the end, by sorting: no quadratic input);
 *   - unknown fields are kept as protobuf-c keeps them (tag, wire type and
 *     the raw value bytes, the length prefix included), in wire order, so
 *     that pack() writes them back and pb -> pb loses nothing.
 * Stricter than Google where protobuf-c must be: groups are refused (no
 * protobuf-c struct can hold them), and so are strings with a NUL byte.
 * proto2 `optional` fields get their has_ flag; `required` fields are not
 * enforced (neither does the JSON decoder).
 *
 * Memory: messages come from the arena, initialised by the descriptor's
 * message_init. A repeated field's array always holds pow2ceil(n) slots
 * (rep_room), so its capacity is known from its count alone -- also when a
 * later occurrence of the field, or a merge into its message, appends to
 * it. When an array is full, the run of consecutive occurrences of the same
 * tag is counted first (run_count), so that the usual contiguous repeated
 * field is allocated once. A string is copied, then checked once for UTF-8
 * and NUL bytes together (evrec__utf8_copy), while its bytes are in cache.
 *
 * Field paths are built only on the error path, bottom-up: each message level
 * that sees a failure in one of its fields prepends "name", "name[i]" (i: the
 * element's index in the decoded array) or name["key"] (the key read back
 * from the failing map entry's bytes), in fieldpath.c's form, which the JSON
 * codecs' paths share.
 *
 * evrec__check_utf8() is the tree form of the string check, for messages
 * that did not come from wire data (writers run it before packing).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fieldpath.h"
#include "internal.h"

/* Nesting limit for binary input (EVREC__PB_MAX_DEPTH, internal.h). Bounds
 * the decoder's recursion. */
#define PB_MAX_DEPTH EVREC__PB_MAX_DEPTH

/* Nesting limit of evrec__check_utf8() on caller-built trees. */
#define UTF8_WALK_MAX_DEPTH 1000

/* Field names longer than this are shown by their proto name in messages. */
#define NAME_BUF 128

#if defined(__GNUC__)
/* Error paths kept out of the decoder's loop: inlined there, they cost the
 * hot path registers and instructions (locate: +0.5% on pbd -> NDJSON). */
#define PB_COLD __attribute__((noinline, cold))
#else
#define PB_COLD
#endif

/* Maps up to this many entries find a repeated key by comparing with every
 * entry as it arrives; larger ones are deduplicated at the end (map_dedup). */
#define MAP_INLINE 8

enum { WT_VARINT = 0, WT_64BIT = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_32BIT = 5 };

/* Varints                                                                */
/* ====================================================================== */

int evrec__varint_get(const void *p, size_t len, uint64_t *value) {
  const uint8_t *s = p;
  size_t max = len < EVREC__VARINT_MAX ? len : EVREC__VARINT_MAX;
  uint64_t v = 0;
  for (size_t i = 0; i < max; i++) {
    if (i == EVREC__VARINT_MAX - 1 && s[i] > 1) return -1; /* bits past 64 */
    v |= (uint64_t)(s[i] & 0x7f) << (7 * i);
    if (!(s[i] & 0x80)) {
      *value = v;
      return (int)i + 1;
    }
  }
  return len < EVREC__VARINT_MAX ? 0 : -1;
}

size_t evrec__varint_put(uint64_t value, void *out) {
  uint8_t *o = out;
  size_t n = 0;
  while (value >= 0x80) {
    o[n++] = (uint8_t)(value | 0x80);
    value >>= 7;
  }
  o[n++] = (uint8_t)value;
  return n;
}

/* Length of the varint at p (1..10), 0 when unterminated within the data,
 * -1 past 10 bytes. Field values are skipped this leniently (no 64-bit
 * overflow check), as protobuf-c and Google's parsers do. */
static int varint_skip_len(const uint8_t *p, size_t len) {
  size_t max = len < EVREC__VARINT_MAX ? len : EVREC__VARINT_MAX;
  for (size_t i = 0; i < max; i++)
    if (!(p[i] & 0x80)) return (int)i + 1;
  return len < EVREC__VARINT_MAX ? 0 : -1;
}


/* ====================================================================== */
/* Names and map keys in paths (decoder and tree walk)                    */
/* ====================================================================== */

/* JSON name of a field in `buf`, or its proto name when that is too long. */
static const char *json_name(const ProtobufCFieldDescriptor *f, char buf[NAME_BUF]) {
  if (strlen(f->name) >= NAME_BUF) return f->name;
  evrec__json_name(f->name, buf);
  return buf;
}

/* Adds the path step of an integer or bool map key, from its 64-bit wire
 * value, the way the JSON mapping spells it (a quoted decimal, "true"). */
static void key_step(evrec__fieldpath *p, ProtobufCType t, uint64_t raw) {
  switch (t) {
  case PROTOBUF_C_TYPE_BOOL: evrec__fieldpath_key_bool(p, raw != 0); return;
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SFIXED32: evrec__fieldpath_key_i64(p, (int32_t)(uint32_t)raw); return;
  case PROTOBUF_C_TYPE_SINT32:
    evrec__fieldpath_key_i64(p, (int32_t)((uint32_t)raw >> 1) ^ -(int32_t)(raw & 1));
    return;
  case PROTOBUF_C_TYPE_SINT64:
    evrec__fieldpath_key_i64(p, (int64_t)(raw >> 1) ^ -(int64_t)(raw & 1));
    return;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SFIXED64: evrec__fieldpath_key_i64(p, (int64_t)raw); return;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32: evrec__fieldpath_key_u64(p, (uint32_t)raw); return;
  default: evrec__fieldpath_key_u64(p, raw); return;
  }
}


/* ====================================================================== */
/* Decoder: state and errors                                              */
/* ====================================================================== */

/* A map of more than MAP_INLINE entries, deduplicated after decoding. */
typedef struct bigmap {
  struct bigmap *next;
  ProtobufCMessage *m;
  const ProtobufCFieldDescriptor *f;
} bigmap;

typedef struct pbdec {
  const uint8_t *base; /* first byte of the top-level message */
  evrec_arena *arena;
  size_t max_string;   /* longest string or bytes field */
  int depth;           /* nesting below the top-level message */
  evrec_error *err;    /* may be NULL: then no message is formatted */
  uint64_t offset;     /* offset of the first problem, relative to base */
  bigmap *maps;
  evrec__fieldpath path; /* built bottom-up as the error unwinds */
} pbdec;

static int dec_sub(pbdec *s, ProtobufCMessage *m, const uint8_t *p, const uint8_t *end,
                   bool is_entry);

/* Records the first problem: "field N (name): <what>" at byte `at`. */
static int dec_fail(pbdec *s, const uint8_t *at, int code, uint32_t num,
                    const ProtobufCFieldDescriptor *f, const char *fmt, ...)
    EVREC__PRINTF(6, 7);

static int dec_fail(pbdec *s, const uint8_t *at, int code, uint32_t num,
                    const ProtobufCFieldDescriptor *f, const char *fmt, ...) {
  s->offset = (uint64_t)(at - s->base);
  if (!s->err) return code; /* the read-ahead: only the status matters */
  char what[EVREC_ERROR_MESSAGE_MAX], name[NAME_BUF];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (f)
    evrec__err(s->err, code, "field %" PRIu32 " (%s): %s", num, json_name(f, name), what);
  else if (num)
    evrec__err(s->err, code, "field %" PRIu32 ": %s", num, what);
  else
    evrec__err(s->err, code, "%s", what);
  return code;
}

static int dec_nomem(pbdec *s) { return evrec__err(s->err, EVREC_E_NOMEM, "out of memory"); }

static const char *wire_type_name(int wt) {
  static const char *const names[] = {"varint", "64-bit", "length-delimited",
                                      "start-group", "end-group", "32-bit"};
  return wt >= 0 && wt <= 5 ? names[wt] : "invalid";
}

/* The wire type a field of type t uses when not packed. */
static int wire_type_of(ProtobufCType t) {
  switch (t) {
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_DOUBLE: return WT_64BIT;
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_FLOAT: return WT_32BIT;
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_BYTES:
  case PROTOBUF_C_TYPE_MESSAGE: return WT_LEN;
  default: return WT_VARINT;
  }
}

static int wire_type_error(pbdec *s, const uint8_t *tag_at, const ProtobufCFieldDescriptor *f,
                           int wt) {
  int want = wire_type_of(f->type);
  return dec_fail(s, tag_at, EVREC_E_SYNTAX, f->id, f,
                  "wire type %d (%s) does not fit the field's type (wire type %d, %s)", wt,
                  wire_type_name(wt), want, wire_type_name(want));
}

/* ====================================================================== */
/* Decoder: tags, lengths, scalar values                                  */
/* ====================================================================== */

/* Reads a tag of more than two bytes, or a truncated one. Field numbers are
 * 1..2^29-1 (checked by the caller), in at most 5 bytes. */
static int tag_slow(pbdec *s, const uint8_t **pp, const uint8_t *end, uint32_t *tag) {
  uint64_t t;
  int n = evrec__varint_get(*pp, (size_t)(end - *pp), &t);
  if (n == 0) return dec_fail(s, *pp, EVREC_E_SYNTAX, 0, NULL, "truncated tag");
  if (n < 0 || n > 5 || t > UINT32_MAX)
    return dec_fail(s, *pp, EVREC_E_SYNTAX, 0, NULL, "invalid tag (field number too large)");
  *tag = (uint32_t)t;
  *pp += n;
  return EVREC_OK;
}

/* Field number 0, groups (which protobuf-c cannot parse; proto3 has none)
 * and wire types 6 and 7. */
static int tag_error(pbdec *s, const uint8_t *tag_at, uint32_t num, int wt) {
  if (num == 0) return dec_fail(s, tag_at, EVREC_E_SYNTAX, 0, NULL, "invalid field number 0");
  if (wt == WT_SGROUP || wt == WT_EGROUP)
    return dec_fail(s, tag_at, EVREC_E_SYNTAX, num, NULL,
                    "groups (wire type %d) are not supported", wt);
  return dec_fail(s, tag_at, EVREC_E_SYNTAX, num, NULL, "invalid wire type %d", wt);
}

/* Reads a varint value of 1..10 bytes at p; NULL when it does not end
 * within the data or within 10 bytes. Bits past 64 are dropped, as Google's
 * parsers do. */
static const uint8_t *rd_varint_slow(const uint8_t *p, const uint8_t *end, uint64_t *v) {
  size_t max = (size_t)(end - p) < EVREC__VARINT_MAX ? (size_t)(end - p) : EVREC__VARINT_MAX;
  uint64_t x = 0;
  for (size_t i = 0; i < max; i++) {
    x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
    if (p[i] < 0x80) {
      *v = x;
      return p + i + 1;
    }
  }
  return NULL;
}

static inline const uint8_t *rd_varint(const uint8_t *p, const uint8_t *end, uint64_t *v) {
  if (EVREC__LIKELY(p < end && *p < 0x80)) {
    *v = *p;
    return p + 1;
  }
  return rd_varint_slow(p, end, v);
}

static inline uint32_t rd_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t rd_le64(const uint8_t *p) {
  return rd_le32(p) | (uint64_t)rd_le32(p + 4) << 32;
}

/* Reads a length prefix at *pp; the body is [*body, *body + *n). protobuf-c
 * reads at most 5 prefix bytes into 32 bits; so do we. */
static int rd_len_slow(pbdec *s, const uint8_t *tag_at, const ProtobufCFieldDescriptor *f,
                       uint32_t num, const uint8_t **pp, const uint8_t *end,
                       const uint8_t **body, size_t *n) {
  uint64_t len;
  int used = evrec__varint_get(*pp, (size_t)(end - *pp), &len);
  if (used == 0) return dec_fail(s, tag_at, EVREC_E_SYNTAX, num, f, "truncated length");
  if (used < 0 || used > 5 || len > UINT32_MAX)
    return dec_fail(s, tag_at, EVREC_E_SYNTAX, num, f, "invalid length");
  size_t left = (size_t)(end - *pp) - (size_t)used;
  if (len > left)
    return dec_fail(s, tag_at, EVREC_E_SYNTAX, num, f,
                    "length %" PRIu64 " exceeds the %zu bytes left", len, left);
  *body = *pp + used;
  *n = (size_t)len;
  *pp = *body + *n;
  return EVREC_OK;
}

static inline int rd_len(pbdec *s, const uint8_t *tag_at, const ProtobufCFieldDescriptor *f,
                         uint32_t num, const uint8_t **pp, const uint8_t *end,
                         const uint8_t **body, size_t *n) {
  const uint8_t *p = *pp;
  if (EVREC__LIKELY(p < end && *p < 0x80 && (size_t)*p < (size_t)(end - p))) {
    *body = p + 1;
    *n = *p;
    *pp = p + 1 + *p;
    return EVREC_OK;
  }
  return rd_len_slow(s, tag_at, f, num, pp, end, body, n);
}

/* The error for a varint value at p that rd_varint() refused. */
static int varint_error(pbdec *s, const uint8_t *tag_at, const ProtobufCFieldDescriptor *f,
                        uint32_t num, const uint8_t *p, const uint8_t *end) {
  int n = varint_skip_len(p, (size_t)(end - p));
  return dec_fail(s, tag_at, EVREC_E_SYNTAX, num, f,
                  n == 0 ? "truncated varint" : "varint longer than 10 bytes");
}

static int fixed_error(pbdec *s, const uint8_t *tag_at, const ProtobufCFieldDescriptor *f,
                       uint32_t num, int wt, size_t left) {
  return dec_fail(s, tag_at, EVREC_E_SYNTAX, num, f,
                  "truncated %s value (need %zu bytes, have %zu)", wire_type_name(wt),
                  wt == WT_64BIT ? (size_t)8 : (size_t)4, left);
}

/* Stores a varint's value as field type t does (protobuf-c's layout). */
static inline void store_varint(void *mem, ProtobufCType t, uint64_t v) {
  switch (t) {
  case PROTOBUF_C_TYPE_SINT32: {
    uint32_t u = (uint32_t)v;
    *(uint32_t *)mem = (u >> 1) ^ (0u - (u & 1));
    break;
  }
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_UINT64: *(uint64_t *)mem = v; break;
  case PROTOBUF_C_TYPE_SINT64: *(uint64_t *)mem = (v >> 1) ^ (0 - (v & 1)); break;
  case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)mem = v != 0; break;
  default: *(uint32_t *)mem = (uint32_t)v; break; /* int32, uint32, enum: low 32 bits */
  }
}

/* Reads one varint, 32-bit or 64-bit value (wire type wt, which fits f)
 * into mem. */
static int dec_scalar(pbdec *s, void *mem, const ProtobufCFieldDescriptor *f, int wt,
                      const uint8_t *tag_at, const uint8_t **pp, const uint8_t *end) {
  const uint8_t *p = *pp;
  if (wt == WT_VARINT) {
    uint64_t v;
    const uint8_t *q = rd_varint(p, end, &v);
    if (EVREC__UNLIKELY(!q)) return varint_error(s, tag_at, f, f->id, p, end);
    store_varint(mem, f->type, v);
    *pp = q;
    return EVREC_OK;
  }
  size_t left = (size_t)(end - p);
  if (wt == WT_64BIT) {
    if (EVREC__UNLIKELY(left < 8)) return fixed_error(s, tag_at, f, f->id, wt, left);
    uint64_t v = rd_le64(p);
    memcpy(mem, &v, 8);
    *pp = p + 8;
  } else {
    if (EVREC__UNLIKELY(left < 4)) return fixed_error(s, tag_at, f, f->id, wt, left);
    uint32_t v = rd_le32(p);
    memcpy(mem, &v, 4);
    *pp = p + 4;
  }
  return EVREC_OK;
}

/* ====================================================================== */
/* Decoder: strings, bytes, messages                                      */
/* ====================================================================== */

static int limit_error(pbdec *s, const uint8_t *tag_at, const ProtobufCFieldDescriptor *f,
                       size_t n) {
  return dec_fail(s, tag_at, EVREC_E_LIMIT, f->id, f,
                  "%s of %zu bytes exceeds the limit of %zu bytes (max_string_size)",
                  f->type == PROTOBUF_C_TYPE_STRING ? "string" : "bytes value", n,
                  s->max_string);
}

/* The first problem of a string evrec__utf8_copy() refused: invalid UTF-8
 * anywhere comes first, then a NUL byte (protobuf-c keeps strings
 * NUL-terminated and would cut it there). */
static int string_error(pbdec *s, const ProtobufCFieldDescriptor *f, const uint8_t *str,
                        size_t n) {
  size_t ok = evrec__utf8_valid_prefix((const char *)str, n);
  if (ok != n)
    return dec_fail(s, str + ok, EVREC_E_UTF8, f->id, f, "invalid UTF-8 in a string");
  const uint8_t *nul = memchr(str, 0, n);
  return dec_fail(s, nul ? nul : str, EVREC_E_UNSUPPORTED, f->id, f,
                  "a string with a NUL byte (U+0000) cannot be represented");
}

/* A string field's value [body, body + n) into *out. An empty string is the
 * shared protobuf_c_empty_string where that means "not set" anyway
 * (`shared_empty`: proto3 singular fields, array elements); elsewhere (a
 * oneof member, proto2 optional) "" is a value and gets its own copy, as
 * unpack gives it. */
static int dec_string(pbdec *s, char **out, const ProtobufCFieldDescriptor *f,
                      const uint8_t *tag_at, const uint8_t *body, size_t n, bool shared_empty) {
  if (EVREC__UNLIKELY(n > s->max_string)) return limit_error(s, tag_at, f, n);
  if (n == 0 && shared_empty) {
    *out = (char *)protobuf_c_empty_string;
    return EVREC_OK;
  }
  char *d = evrec__arena_alloc(s->arena, n + 1);
  if (!d) return dec_nomem(s);
  if (EVREC__UNLIKELY(!evrec__utf8_copy(d, (const char *)body, n)))
    return string_error(s, f, body, n);
  d[n] = '\0';
  *out = d;
  return EVREC_OK;
}

/* A bytes field's value; empty is {0, NULL}, as unpack gives it. */
static int dec_bytes(pbdec *s, ProtobufCBinaryData *out, const ProtobufCFieldDescriptor *f,
                     const uint8_t *tag_at, const uint8_t *body, size_t n) {
  if (EVREC__UNLIKELY(n > s->max_string)) return limit_error(s, tag_at, f, n);
  out->len = n;
  out->data = NULL;
  if (n == 0) return EVREC_OK;
  if (!(out->data = evrec__arena_alloc(s->arena, n))) return dec_nomem(s);
  memcpy(out->data, body, n);
  return EVREC_OK;
}

static ProtobufCMessage *msg_new(pbdec *s, const ProtobufCMessageDescriptor *d) {
  ProtobufCMessage *m = evrec__arena_alloc(s->arena, d->sizeof_message);
  if (m) d->message_init(m);
  return m;
}

/* ====================================================================== */
/* Decoder: repeated fields                                               */
/* ====================================================================== */

/* evrec__sizeof_type() without the call: an array slot of type t. */
static inline size_t slot_size(ProtobufCType t) {
  static const uint8_t size[] = {
      [PROTOBUF_C_TYPE_INT32] = 4,    [PROTOBUF_C_TYPE_SINT32] = 4,
      [PROTOBUF_C_TYPE_SFIXED32] = 4, [PROTOBUF_C_TYPE_INT64] = 8,
      [PROTOBUF_C_TYPE_SINT64] = 8,   [PROTOBUF_C_TYPE_SFIXED64] = 8,
      [PROTOBUF_C_TYPE_UINT32] = 4,   [PROTOBUF_C_TYPE_FIXED32] = 4,
      [PROTOBUF_C_TYPE_UINT64] = 8,   [PROTOBUF_C_TYPE_FIXED64] = 8,
      [PROTOBUF_C_TYPE_FLOAT] = 4,    [PROTOBUF_C_TYPE_DOUBLE] = 8,
      [PROTOBUF_C_TYPE_BOOL] = sizeof(protobuf_c_boolean),
      [PROTOBUF_C_TYPE_ENUM] = 4,     [PROTOBUF_C_TYPE_STRING] = sizeof(char *),
      [PROTOBUF_C_TYPE_BYTES] = sizeof(ProtobufCBinaryData),
      [PROTOBUF_C_TYPE_MESSAGE] = sizeof(void *),
  };
  return (unsigned)t < sizeof size ? size[t] : 0;
}

/* Slots of an array holding n elements: every array is allocated with
 * pow2ceil(count) slots, so that its count alone tells its room. */
static inline size_t rep_cap(size_t n) {
  if (n <= 1) return n;
  size_t c = 2;
  while (c < n) c <<= 1;
  return c;
}

/* Room for `add` more elements after the n already in the array at *arr
 * (elements of `size` bytes): the address of element n, or NULL when out of
 * memory. The count is not changed. */
static void *rep_room(pbdec *s, void **arr, size_t n, size_t add, size_t size) {
  size_t want = n + add;
  if (want <= rep_cap(n)) return (char *)*arr + n * size;
  if (want > SIZE_MAX / 2 / size) return NULL; /* beyond any input */
  size_t cap = rep_cap(want);
  void *a = evrec__arena_alloc(s->arena, cap * size);
  if (!a) return NULL;
  if (n) memcpy(a, *arr, n * size);
  *arr = a;
  return (char *)a + n * size;
}

/* Skips one value of wire type wt at p; NULL when its framing is broken. */
static const uint8_t *skip_value(const uint8_t *p, const uint8_t *end, int wt) {
  uint64_t len;
  switch (wt) {
  case WT_VARINT: return rd_varint(p, end, &len);
  case WT_64BIT: return end - p >= 8 ? p + 8 : NULL;
  case WT_32BIT: return end - p >= 4 ? p + 4 : NULL;
  default:
    if (!(p = rd_varint(p, end, &len)) || len > (uint64_t)(end - p)) return NULL;
    return p + len;
  }
}

/* Does the tag [tag, tag + taglen) start at p (with a value after it)? */
static inline bool same_tag(const uint8_t *p, const uint8_t *end, const uint8_t *tag,
                            size_t taglen) {
  if ((size_t)(end - p) <= taglen || p[0] != tag[0]) return false;
  for (size_t i = 1; i < taglen; i++)
    if (p[i] != tag[i]) return false;
  return true;
}

/* How many occurrences of the tag [tag, tag + taglen) follow each other,
 * from the one whose value starts at p, as far as their framing holds: the
 * room an array needs for a repeated field written contiguously. */
static size_t run_count(const uint8_t *tag, size_t taglen, int wt, const uint8_t *p,
                        const uint8_t *end) {
  size_t k = 1;
  while ((p = skip_value(p, end, wt)) && same_tag(p, end, tag, taglen)) {
    p += taglen;
    k++;
  }
  return k;
}

/* The elements of a packed field at [p, end) into the array (f's type is
 * a scalar, so its elements are 4 or 8 bytes). */
static int dec_packed(pbdec *s, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                      const uint8_t *tag_at, const uint8_t **pp, const uint8_t *end) {
  const uint8_t *p = NULL, *bend;
  size_t n = 0; /* set by rd_len; zeroed for gcc -O3's maybe-uninitialized */
  int rc = rd_len(s, tag_at, f, f->id, pp, end, &p, &n);
  if (rc) return rc;
  bend = p + n;
  size_t *count = evrec__quant_ptr(m, f), size = slot_size(f->type), k = 0;
  void **arr = evrec__field_ptr(m, f);
  int wt = wire_type_of(f->type);
  if (wt != WT_VARINT) {
    size_t w = wt == WT_64BIT ? 8 : 4;
    if (n % w != 0)
      return dec_fail(s, p, EVREC_E_SYNTAX, f->id, f,
                      "packed length %zu is not a multiple of %zu", n, w);
    if ((k = n / w) == 0) return EVREC_OK;
    char *slot = rep_room(s, arr, *count, k, size);
    if (!slot) return dec_nomem(s);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(slot, p, n);
#else
    for (size_t i = 0; i < k; i++, slot += w) {
      if (w == 8) {
        uint64_t v = rd_le64(p + 8 * i);
        memcpy(slot, &v, 8);
      } else {
        uint32_t v = rd_le32(p + 4 * i);
        memcpy(slot, &v, 4);
      }
    }
#endif
    *count += k;
    return EVREC_OK;
  }
  for (const uint8_t *q = p; q < bend; q++) k += *q < 0x80; /* one ending byte each */
  char *slot = k ? rep_room(s, arr, *count, k, size) : NULL;
  if (k && !slot) return dec_nomem(s);
  for (size_t i = 0; i < k; i++, slot += size) {
    uint64_t v;
    const uint8_t *q = rd_varint(p, bend, &v);
    if (!q) break; /* longer than 10 bytes */
    store_varint(slot, f->type, v);
    p = q;
    (*count)++;
  }
  if (p != bend)
    return dec_fail(s, p, EVREC_E_SYNTAX, f->id, f, "invalid varint in packed data");
  return EVREC_OK;
}

/* ====================================================================== */
/* Decoder: maps                                                          */
/* ====================================================================== */

/* Do two entries of a map have the same key? */
static bool key_equal(const ProtobufCFieldDescriptor *kf, const ProtobufCMessage *a,
                      const ProtobufCMessage *b) {
  const void *x = evrec__field_ptr(a, kf), *y = evrec__field_ptr(b, kf);
  if (kf->type == PROTOBUF_C_TYPE_STRING) { /* NULL: a proto2 entry without key */
    const char *sa = *(const char *const *)x, *sb = *(const char *const *)y;
    return strcmp(sa ? sa : "", sb ? sb : "") == 0;
  }
  return memcmp(x, y, evrec__sizeof_type(kf->type)) == 0; /* bools are stored 0/1 */
}

/* The entry just decoded into slot n of map field f: a key seen before
 * replaces that entry (its first position, the last value), as Google's
 * parsers do. Small maps compare at once; a map that grows past MAP_INLINE
 * entries is noted for map_dedup(). @return the new count. */
static size_t map_put(pbdec *s, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                      ProtobufCMessage **ents, size_t n, bool *nomem) {
  if (n < MAP_INLINE) {
    const ProtobufCFieldDescriptor *kf = evrec__map_key(f->descriptor);
    for (size_t i = 0; i < n; i++)
      if (key_equal(kf, ents[i], ents[n])) {
        ents[i] = ents[n];
        return n;
      }
  } else if (n == MAP_INLINE) {
    bigmap *b = evrec__arena_alloc(s->arena, sizeof *b);
    if (!b) {
      *nomem = true;
      return n;
    }
    b->m = m;
    b->f = f;
    b->next = s->maps;
    s->maps = b;
  }
  return n + 1;
}

/* A map key as an order-preserving 64-bit number, or a string; idx makes
 * the sort stable. */
typedef struct mkey {
  uint64_t k;
  const char *s;
  size_t idx;
} mkey;

static mkey mkey_of(const ProtobufCFieldDescriptor *kf, const ProtobufCMessage *e, size_t idx) {
  mkey k = {0, NULL, idx};
  const void *p = evrec__field_ptr(e, kf);
  switch (kf->type) {
  case PROTOBUF_C_TYPE_STRING:
    k.s = *(const char *const *)p;
    if (!k.s) k.s = "";
    break;
  case PROTOBUF_C_TYPE_BOOL: k.k = *(const protobuf_c_boolean *)p != 0; break;
  default:
    if (evrec__sizeof_type(kf->type) == 8) k.k = *(const uint64_t *)p;
    else k.k = *(const uint32_t *)p; /* equal keys, equal numbers: all a sort needs */
  }
  return k;
}

static int mkey_keycmp(const mkey *a, const mkey *b) {
  return a->s ? strcmp(a->s, b->s) : (a->k > b->k) - (a->k < b->k);
}

static int mkey_cmp(const mkey *a, const mkey *b) {
  int c = mkey_keycmp(a, b);
  return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/* Bottom-up merge sort of k[0..n) with tmp[0..n): O(n log n) whatever the
 * keys, so a hostile map cannot make decoding quadratic. */
static mkey *mkey_sort(mkey *k, mkey *tmp, size_t n) {
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi) tmp[o++] = mkey_cmp(&k[j], &k[i]) < 0 ? k[j++] : k[i++];
      while (i < mid) tmp[o++] = k[i++];
      while (j < hi) tmp[o++] = k[j++];
    }
    mkey *t = k;
    k = tmp;
    tmp = t;
  }
  return k;
}

/* One entry per key in map field f of m: the first position, the last
 * value. */
static int map_dedup(pbdec *s, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  size_t *count = evrec__quant_ptr(m, f), n = *count;
  ProtobufCMessage **ents = *(ProtobufCMessage ***)evrec__field_ptr(m, f);
  const ProtobufCFieldDescriptor *kf = evrec__map_key(f->descriptor);
  if (n > SIZE_MAX / 2 / sizeof(mkey)) return dec_nomem(s);
  mkey *k = evrec__arena_alloc(s->arena, 2 * n * sizeof *k);
  if (!k) return dec_nomem(s);
  for (size_t i = 0; i < n; i++) k[i] = mkey_of(kf, ents[i], i);
  k = mkey_sort(k, k + n, n);
  for (size_t i = 0, j; i < n; i = j) {
    for (j = i + 1; j < n && mkey_keycmp(&k[j], &k[i]) == 0; j++) {}
    if (j - i == 1) continue;
    ents[k[i].idx] = ents[k[j - 1].idx]; /* sorted by index within a key */
    for (size_t d = i + 1; d < j; d++) ents[k[d].idx] = NULL;
  }
  size_t kept = 0;
  for (size_t i = 0; i < n; i++)
    if (ents[i]) ents[kept++] = ents[i];
  *count = kept;
  return EVREC_OK;
}

/* ====================================================================== */
/* Decoder: fields                                                        */
/* ====================================================================== */

/* One element of repeated field f (its wire type fits) into slot. */
static int dec_element(pbdec *s, void *slot, const ProtobufCFieldDescriptor *f, int wt,
                       bool is_map, const uint8_t *tag_at, const uint8_t **pp,
                       const uint8_t *end) {
  if (wt != WT_LEN) return dec_scalar(s, slot, f, wt, tag_at, pp, end);
  const uint8_t *body = NULL;
  size_t n = 0; /* set by rd_len; zeroed for gcc -O3's maybe-uninitialized */
  int rc = rd_len(s, tag_at, f, f->id, pp, end, &body, &n);
  if (rc) return rc;
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING: return dec_string(s, slot, f, tag_at, body, n, true);
  case PROTOBUF_C_TYPE_BYTES: return dec_bytes(s, slot, f, tag_at, body, n);
  default: {
    ProtobufCMessage *sub = msg_new(s, f->descriptor);
    if (!sub) return dec_nomem(s);
    *(ProtobufCMessage **)slot = sub;
    return dec_sub(s, sub, body, body + n, is_map);
  }
  }
}

/* A repeated field: a packed run, or one element and every element right
 * after it with the same tag bytes (repeated fields are written
 * contiguously), without going back to the message loop. On failure, *ix
 * and *elem_at say which element failed (its index and tag), for the path:
 * the caller's locals, since a nested repeated field has its own. */
static int dec_repeated(pbdec *s, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                        int wt, const uint8_t *tag_at, const uint8_t **pp, const uint8_t *end,
                        size_t *ix, const uint8_t **elem_at) {
  int want = wire_type_of(f->type);
  size_t *count = evrec__quant_ptr(m, f);
  *ix = *count;
  *elem_at = tag_at;
  if (wt != want) {
    if (wt == WT_LEN) return dec_packed(s, m, f, tag_at, pp, end);
    return wire_type_error(s, tag_at, f, wt);
  }
  void **arr = evrec__field_ptr(m, f);
  size_t size = slot_size(f->type), taglen = (size_t)(*pp - tag_at);
  bool is_map = f->type == PROTOBUF_C_TYPE_MESSAGE && evrec__field_is_map(f);
  const uint8_t *at = tag_at;
  for (;;) {
    size_t n = *count;
    *ix = n;
    *elem_at = at;
    char *slot = n < rep_cap(n) ? (char *)*arr + n * size
                                : rep_room(s, arr, n, run_count(tag_at, taglen, wt, *pp, end), size);
    if (!slot) return dec_nomem(s);
    int rc = dec_element(s, slot, f, wt, is_map, at, pp, end);
    if (rc) return rc;
    if (is_map) {
      bool nomem = false;
      *count = map_put(s, m, f, *arr, n, &nomem);
      if (nomem) return dec_nomem(s);
    } else {
      *count = n + 1;
    }
    if (!same_tag(*pp, end, tag_at, taglen)) return EVREC_OK;
    at = *pp;
    *pp += taglen;
  }
}

/* Makes f the member of its oneof: another member set before is cleared
 * (the union zeroed, as unpack does), the same one is kept (a message
 * member merges). */
static void oneof_select(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, void *mem) {
  uint32_t *c = evrec__quant_ptr(m, f);
  if (*c == f->id) return;
  if (*c) {
    const ProtobufCFieldDescriptor *old = protobuf_c_message_descriptor_get_field(m->descriptor, *c);
    memset(mem, 0, evrec__sizeof_type((old ? old : f)->type));
  }
  *c = f->id;
}

/* A non-repeated field: the last value wins, a message merges. */
static int dec_singular(pbdec *s, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                        int wt, const uint8_t *tag_at, const uint8_t **pp, const uint8_t *end) {
  int want = wire_type_of(f->type);
  if (EVREC__UNLIKELY(wt != want)) return wire_type_error(s, tag_at, f, wt);
  void *mem = evrec__field_ptr(m, f);
  bool oneof = evrec__is_oneof(f);
  if (oneof)
    oneof_select(m, f, mem);
  else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
    *(protobuf_c_boolean *)evrec__quant_ptr(m, f) = 1; /* proto2 has_ */
  if (want != WT_LEN) return dec_scalar(s, mem, f, wt, tag_at, pp, end);
  const uint8_t *body = NULL;
  size_t n = 0; /* set by rd_len; zeroed for gcc -O3's maybe-uninitialized */
  int rc = rd_len(s, tag_at, f, f->id, pp, end, &body, &n);
  if (rc) return rc;
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING:
    return dec_string(s, mem, f, tag_at, body, n, f->label == PROTOBUF_C_LABEL_NONE && !oneof);
  case PROTOBUF_C_TYPE_BYTES: return dec_bytes(s, mem, f, tag_at, body, n);
  default: {
    ProtobufCMessage **sub = mem;
    if (!*sub && !(*sub = msg_new(s, f->descriptor))) return dec_nomem(s);
    return dec_sub(s, *sub, body, body + n, false);
  }
  }
}

/* An unknown field: its framing is checked and its value bytes kept as
 * protobuf-c keeps them (after the tag, a length prefix included). */
static int dec_unknown(pbdec *s, ProtobufCMessage *m, uint32_t num, int wt,
                       const uint8_t *tag_at, const uint8_t **pp, const uint8_t *end) {
  const uint8_t *v = *pp;
  if (wt == WT_LEN) {
    const uint8_t *body;
    size_t n;
    int rc = rd_len(s, tag_at, NULL, num, pp, end, &body, &n);
    if (rc) return rc;
  } else if (wt == WT_VARINT) {
    int n = varint_skip_len(v, (size_t)(end - v));
    if (n <= 0)
      return dec_fail(s, tag_at, EVREC_E_SYNTAX, num, NULL,
                      n == 0 ? "truncated varint" : "varint longer than 10 bytes");
    *pp = v + n;
  } else {
    size_t need = wt == WT_64BIT ? 8 : 4, left = (size_t)(end - v);
    if (left < need) return fixed_error(s, tag_at, NULL, num, wt, left);
    *pp = v + need;
  }
  size_t len = (size_t)(*pp - v);
  void *arr = m->unknown_fields;
  ProtobufCMessageUnknownField *u =
      rep_room(s, &arr, m->n_unknown_fields, 1, sizeof(ProtobufCMessageUnknownField));
  uint8_t *data = evrec__arena_alloc(s->arena, len);
  if (!u || !data) return dec_nomem(s);
  m->unknown_fields = arr;
  m->n_unknown_fields++;
  memcpy(data, v, len);
  u->tag = num;
  u->wire_type = (ProtobufCWireType)wt;
  u->len = len;
  u->data = data;
  return EVREC_OK;
}

/* ====================================================================== */
/* Decoder: map keys in paths                                             */
/* ====================================================================== */

/* Skips one field of already validated data; false when it cannot. */
static bool skip_field(const uint8_t **pp, const uint8_t *end, uint32_t *num, int *wt,
                       const uint8_t **body, size_t *n) {
  uint64_t t, len;
  int used = evrec__varint_get(*pp, (size_t)(end - *pp), &t);
  if (used <= 0) return false;
  *num = (uint32_t)(t >> 3);
  *wt = (int)(t & 7);
  const uint8_t *p = *pp + used;
  size_t left = (size_t)(end - p);
  *body = p;
  switch (*wt) {
  case WT_VARINT: used = varint_skip_len(p, left); *n = used > 0 ? (size_t)used : 0; break;
  case WT_64BIT: *n = 8; used = left >= 8; break;
  case WT_32BIT: *n = 4; used = left >= 4; break;
  case WT_LEN:
    used = evrec__varint_get(p, left, &len);
    if (used <= 0 || len > left - (size_t)used) return false;
    *body = p + used;
    *n = (size_t)len;
    break;
  default: return false;
  }
  if (used <= 0) return false;
  *pp = *body + *n;
  return true;
}


/* Adds the path step of the key of the map entry whose field starts at
 * tag_at; none when the entry is too damaged to tell. */
static void entry_key(const ProtobufCFieldDescriptor *f, const uint8_t *tag_at,
                      const uint8_t *end, evrec__fieldpath *path) {
  const uint8_t *p = tag_at, *entry, *body;
  size_t n, len;
  uint32_t num;
  int wt;
  if (!skip_field(&p, end, &num, &wt, &entry, &n) || wt != WT_LEN) return;
  const ProtobufCFieldDescriptor *kf = evrec__map_key(f->descriptor);
  int key_wt = wire_type_of(kf->type);
  const uint8_t *key = NULL, *q = entry;
  size_t key_len = 0;
  while (q < entry + n && skip_field(&q, entry + n, &num, &wt, &body, &len))
    if (num == 1 && wt == key_wt) key = body, key_len = len; /* the last one wins */
  if (kf->type == PROTOBUF_C_TYPE_STRING) {
    evrec__fieldpath_key(path, key ? (const char *)key : "", key_len);
    return;
  }
  uint64_t raw = 0;
  if (key && key_wt == WT_VARINT && evrec__varint_get(key, key_len, &raw) <= 0) return;
  if (key && key_wt != WT_VARINT) /* fixed32/fixed64: little-endian on the wire */
    for (size_t i = key_len; i-- > 0;) raw = raw << 8 | key[i];
  key_step(path, kf->type, raw);
}


/* ====================================================================== */
/* Decoder: locating an error (paths)                                     */
/* ====================================================================== */

/* Prepends the path steps of field f to s->path: "name", "name[i]" for
 * element i of a repeated string, bytes or message field, name["key"] for
 * a map entry (whose tag is at elem_at). */
static PB_COLD void locate(pbdec *s, const ProtobufCFieldDescriptor *f, size_t ix,
                   const uint8_t *elem_at, const uint8_t *end) {
  if (evrec__field_is_map(f))
    entry_key(f, elem_at, end, &s->path);
  else if (f->label == PROTOBUF_C_LABEL_REPEATED && wire_type_of(f->type) == WT_LEN)
    evrec__fieldpath_index(&s->path, ix);
  evrec__fieldpath_field(&s->path, f->name, false);
}

/* ====================================================================== */
/* Decoder: messages                                                      */
/* ====================================================================== */

/* Decodes the fields in [p, end) into m (new, or holding what earlier
 * occurrences gave: a merge). A map entry (is_entry) adds no path segment
 * of its own: its parent shows name["key"]. */
static int dec_fields(pbdec *s, ProtobufCMessage *m, const uint8_t *p, const uint8_t *end,
                      bool is_entry) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  const ProtobufCFieldDescriptor *fields = d->fields;
  unsigned nf = d->n_fields, next = 0; /* fields come in number order: try the next one first */
  while (p < end) {
    const uint8_t *tag_at = p;
    uint32_t tag = 0;
    int rc;
    if (EVREC__LIKELY(p[0] < 0x80)) {
      tag = *p++;
    } else if (end - p >= 2 && p[1] < 0x80) {
      tag = (p[0] & 0x7fu) | (uint32_t)p[1] << 7;
      p += 2;
    } else if ((rc = tag_slow(s, &p, end, &tag)) != EVREC_OK) {
      return rc;
    }
    uint32_t num = tag >> 3;
    int wt = (int)(tag & 7);
    if (EVREC__UNLIKELY(num == 0 || !((0x27u >> wt) & 1))) /* wire types 0, 1, 2, 5 */
      return tag_error(s, tag_at, num, wt);
    const ProtobufCFieldDescriptor *f;
    if (next < nf && fields[next].id == num)
      f = &fields[next];
    else if (next > 0 && fields[next - 1].id == num)
      f = &fields[next - 1];
    else if (!(f = protobuf_c_message_descriptor_get_field(d, num))) {
      if ((rc = dec_unknown(s, m, num, wt, tag_at, &p, end)) != EVREC_OK) return rc;
      continue;
    }
    next = (unsigned)(f - fields) + 1;
    size_t ix = 0;
    const uint8_t *elem_at = tag_at;
    rc = f->label == PROTOBUF_C_LABEL_REPEATED
             ? dec_repeated(s, m, f, wt, tag_at, &p, end, &ix, &elem_at)
             : dec_singular(s, m, f, wt, tag_at, &p, end);
    if (EVREC__UNLIKELY(rc != EVREC_OK)) {
      if (rc != EVREC_E_NOMEM && !is_entry) locate(s, f, ix, elem_at, end);
      return rc;
    }
  }
  return EVREC_OK;
}

static int dec_sub(pbdec *s, ProtobufCMessage *m, const uint8_t *p, const uint8_t *end,
                   bool is_entry) {
  if (EVREC__UNLIKELY(s->depth > PB_MAX_DEPTH))
    return dec_fail(s, p, EVREC_E_LIMIT, 0, NULL, "messages nested deeper than %d levels",
                    PB_MAX_DEPTH);
  s->depth++;
  int rc = dec_fields(s, m, p, end, is_entry);
  s->depth--;
  return rc;
}

/* ====================================================================== */
/* evrec_pb_decode                                                        */
/* ====================================================================== */

int evrec__pb_decode_ex(ProtobufCMessage **out, const ProtobufCMessageDescriptor *desc,
                        const void *data, size_t len, evrec_arena *arena, size_t max_string,
                        evrec_error *err) {
  static const uint8_t empty[1] = {0};
  if (out) *out = NULL;
  if (!out || !desc || !arena || (!data && len) ||
      desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
    return evrec__err(err, EVREC_E_INVALID_ARG, "evrec_pb_decode: invalid argument");
  if (len > UINT32_MAX)
    return evrec__err(err, EVREC_E_LIMIT, "a protobuf message cannot exceed 4 GiB");
  const uint8_t *bytes = len ? data : empty;
  pbdec s;
  s.base = bytes;
  s.arena = arena;
  s.max_string = max_string;
  s.depth = 0;
  s.err = err;
  s.offset = 0;
  s.maps = NULL;
  evrec__fieldpath_init(&s.path);
  ProtobufCMessage *m = msg_new(&s, desc);
  int rc = m ? dec_sub(&s, m, bytes, bytes + len, false) : dec_nomem(&s);
  for (bigmap *b = s.maps; b && rc == EVREC_OK; b = b->next) rc = map_dedup(&s, b->m, b->f);
  if (rc == EVREC_OK) {
    *out = m;
  } else if (err && rc != EVREC_E_NOMEM) {
    err->offset = s.offset;
    evrec__fieldpath_get(&s.path, err->path);
  }
  return rc;
}

/* The public form has no string limit: the caller chose `len`. */
int evrec_pb_decode(ProtobufCMessage **out, const ProtobufCMessageDescriptor *desc,
                    const void *data, size_t len, evrec_arena *arena, evrec_error *err) {
  return evrec__pb_decode_ex(out, desc, data, len, arena, SIZE_MAX, err);
}

/* ====================================================================== */
/* evrec__check_utf8: the same string check on a message tree             */
/* ====================================================================== */

typedef struct u8w {
  evrec_error *err;
  int depth;
  evrec__fieldpath path; /* built bottom-up, only on error */
} u8w;

static int u8w_message(u8w *w, const ProtobufCMessage *m);

static int u8w_fail(u8w *w, int code, const char *what) {
  evrec__err(w->err, code, "%s", what);
  return code;
}

/* Adds the path step of the key of a map entry message. */
static void u8w_key(const ProtobufCMessage *entry, evrec__fieldpath *path) {
  const ProtobufCFieldDescriptor *kf = evrec__map_key(entry->descriptor);
  const void *p = evrec__field_ptr(entry, kf);
  uint64_t raw = 0;
  switch (kf->type) {
  case PROTOBUF_C_TYPE_STRING: {
    const char *s = *(const char *const *)p;
    evrec__fieldpath_key(path, s ? s : "", s ? strlen(s) : 0);
    return;
  }
  case PROTOBUF_C_TYPE_BOOL: raw = *(const protobuf_c_boolean *)p != 0; break;
  case PROTOBUF_C_TYPE_SINT32: { /* back to the zigzag wire form key_step reads */
    int32_t v = *(const int32_t *)p;
    raw = ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
    break;
  }
  case PROTOBUF_C_TYPE_SINT64: {
    int64_t v = *(const int64_t *)p;
    raw = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    break;
  }
  default:
    if (evrec__sizeof_type(kf->type) == 8) raw = *(const uint64_t *)p;
    else raw = *(const uint32_t *)p;
  }
  key_step(path, kf->type, raw);
}

/* On the way up from an error inside field f, prepends "name", "name[i]"
 * (index >= 0) or name["key"] (entry non-NULL) to the path. */
static PB_COLD int u8w_unwind(u8w *w, int rc, const ProtobufCFieldDescriptor *f,
                      const ProtobufCMessage *entry, long index) {
  if (entry) u8w_key(entry, &w->path);
  else if (index >= 0) evrec__fieldpath_index(&w->path, (size_t)index);
  evrec__fieldpath_field(&w->path, f->name, false);
  return rc;
}

/* Checks one value of field f stored at p (a char * or a message pointer). */
static int u8w_value(u8w *w, const ProtobufCFieldDescriptor *f, const void *p) {
  if (f->type == PROTOBUF_C_TYPE_STRING) {
    const char *s = *(const char *const *)p;
    if (!s) return EVREC_OK;
    size_t n = strlen(s);
    if (evrec__utf8_valid_prefix(s, n) != n)
      return u8w_fail(w, EVREC_E_UTF8, "invalid UTF-8 in a string");
    return EVREC_OK;
  }
  const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;
  return sub ? u8w_message(w, sub) : EVREC_OK;
}

static int u8w_map(u8w *w, const ProtobufCFieldDescriptor *f,
                   ProtobufCMessage *const *entries, size_t n) {
  const ProtobufCFieldDescriptor *kf = evrec__map_key(f->descriptor);
  const ProtobufCFieldDescriptor *vf = evrec__map_value(f->descriptor);
  bool check_value = vf->type == PROTOBUF_C_TYPE_STRING || vf->type == PROTOBUF_C_TYPE_MESSAGE;
  for (size_t i = 0; i < n; i++) {
    int rc = EVREC_OK;
    if (kf->type == PROTOBUF_C_TYPE_STRING) rc = u8w_value(w, kf, evrec__field_ptr(entries[i], kf));
    if (rc == EVREC_OK && check_value) rc = u8w_value(w, vf, evrec__field_ptr(entries[i], vf));
    if (rc) return u8w_unwind(w, rc, f, entries[i], -1);
  }
  return EVREC_OK;
}

static int u8w_repeated(u8w *w, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  size_t n = *(const size_t *)evrec__quant_ptr(m, f);
  if (n == 0) return EVREC_OK;
  const char *arr = *(const char *const *)evrec__field_ptr(m, f);
  if (f->type == PROTOBUF_C_TYPE_MESSAGE && evrec__field_is_map(f))
    return u8w_map(w, f, (ProtobufCMessage *const *)(const void *)arr, n);
  size_t size = evrec__sizeof_type(f->type);
  for (size_t i = 0; i < n; i++) {
    int rc = u8w_value(w, f, arr + i * size);
    if (rc) return u8w_unwind(w, rc, f, NULL, (long)i);
  }
  return EVREC_OK;
}

static int u8w_field(u8w *w, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) return EVREC_OK;
  if (evrec__is_oneof(f) && *(const uint32_t *)evrec__quant_ptr(m, f) != f->id) return EVREC_OK;
  if (f->label == PROTOBUF_C_LABEL_REPEATED) return u8w_repeated(w, m, f);
  int rc = u8w_value(w, f, evrec__field_ptr(m, f));
  return rc ? u8w_unwind(w, rc, f, NULL, -1) : EVREC_OK;
}

static int u8w_message(u8w *w, const ProtobufCMessage *m) {
  if (w->depth >= UTF8_WALK_MAX_DEPTH)
    return u8w_fail(w, EVREC_E_LIMIT, "messages nested too deeply");
  w->depth++;
  const ProtobufCMessageDescriptor *d = m->descriptor;
  int rc = EVREC_OK;
  for (unsigned i = 0; i < d->n_fields && rc == EVREC_OK; i++)
    rc = u8w_field(w, m, &d->fields[i]);
  w->depth--;
  return rc;
}

int evrec__check_utf8(const ProtobufCMessage *msg, evrec_error *err) {
  u8w w;
  w.err = err;
  w.depth = 0;
  evrec__fieldpath_init(&w.path);
  int rc = msg ? u8w_message(&w, msg) : EVREC_OK;
  if (rc && err) evrec__fieldpath_get(&w.path, err->path);
  return rc;
}
