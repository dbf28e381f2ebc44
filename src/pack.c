/*
 * pack.c -- protobuf binary encoding of a protobuf-c message in one walk.
 *
 * evrec__pack() produces exactly the bytes of protobuf-c 1.4.1's
 * protobuf_c_message_pack(), which the writers used to call after
 * protobuf_c_message_get_packed_size(): two walks of every message through
 * generic per-label helpers, about 18% of a JSON -> pbd conversion.
 *
 * Design: one forward walk straight into the caller's evrec__buf.
 *   - A length-delimited sub-message gets one length byte before its body is
 *     written; when the body turns out to be 128 bytes or more, the body is
 *     moved up by the missing 1-4 bytes once its length is known, exactly as
 *     protobuf-c's pack does (bytes inside several such levels move once per
 *     level). Most sub-messages are shorter than 128 bytes and never move.
 *   - Packed varints reserve the length's size for the shortest payload (one
 *     byte per element) and move up likewise, as protobuf-c does.
 *   - Room is checked per field with one pointer compare (pk_room); growth
 *     goes through evrec__buf_reserve (doubling), so a writer that reuses its
 *     buffer stops growing it after the first large records.
 *   - proto3 fields without presence (pk_implicit) test for zero and write in
 *     one switch; a string is measured by one strlen, only when written.
 *
 * Why forward: upb encodes backwards (fields in reverse order from the end
 * of the room, so every length is known before its prefix is written, and
 * nothing moves while encoding). A backward version of this file, with the
 * same tests passing, measured on `make bench-icount` (json2pbd, 4 MB corpus,
 * evrec.v1 records of ~12 KB): whole program 109.6 M Ir forward vs 111.0 M
 * backward; the packer itself 15.1 M vs 16.6 M (protobuf-c's size + pack:
 * 29.6 M). Backward must still move each finished record down to out->len,
 * and must know a varint's size before writing it (lengths, values), while
 * forward moves only bodies of 128 bytes or more (0.6 M Ir in all here).
 *
 * Rules of protobuf-c 1.4.1 (protobuf-c.c: protobuf_c_message_pack,
 * required/oneof/optional/unlabeled/repeated_field_pack, field_is_zeroish),
 * each one checked against the installed library by tests/test_pack.c:
 *   - fields in descriptor order, then unknown fields (tag | wire type, raw
 *     data) in their stored order;
 *   - LABEL_REQUIRED always; a NULL string or message is written with length
 *     0, as in every repeated position;
 *   - oneof members (LABEL_OPTIONAL or NONE with FLAG_ONEOF) only when the
 *     case equals the field number, and string/message members not when the
 *     pointer is NULL or the field's default_value;
 *   - LABEL_OPTIONAL: string/message unless NULL or default_value, other
 *     types when has_ is set;
 *   - LABEL_NONE (proto3): skipped when "zeroish": numbers == 0 (so -0.0 is
 *     skipped, NaN written), bool 0, string NULL or "", bytes of length 0,
 *     message NULL;
 *   - int32 and enum: negative values sign-extended to 10 bytes; bool as 0/1.
 *   - Lengths and tags are minimal varints. (protobuf-c writes a string or
 *     bytes length as a 32-bit varint; one of 4 GiB or more is corrupt there
 *     and written correctly here.)
 */
#include <string.h>

#include "internal.h"

#if defined(__GNUC__)
#define PK_NOINLINE __attribute__((noinline))
#else
#define PK_NOINLINE
#endif

/* Bytes of room asked for when the buffer grows, beyond the request, and at
 * the start: one growth covers many fields. */
#define PK_SLACK 1024

/* Largest tag (5 bytes: numbers up to 2^32 - 1) plus the largest varint. */
#define PK_SCALAR_MAX 15

typedef struct pk {
  uint8_t *p;      /* next byte to write */
  uint8_t *end;    /* end of the room reserved in out */
  evrec__buf *out; /* out->len is stale while packing */
} pk;

/* ---------------------------------------------------------------- room */

static PK_NOINLINE bool pk_grow(pk *s, size_t n) {
  evrec__buf *b = s->out;
  b->len = (size_t)(s->p - (uint8_t *)b->data);
  if (n > SIZE_MAX - PK_SLACK || !evrec__buf_reserve(b, n + PK_SLACK)) return false;
  s->p = (uint8_t *)b->data + b->len;
  s->end = (uint8_t *)b->data + b->cap - 1; /* buf.c keeps one byte for a NUL */
  return true;
}

/* Makes sure n more bytes fit at s->p. */
static inline bool pk_room(pk *s, size_t n) {
  return EVREC__LIKELY((size_t)(s->end - s->p) >= n) || pk_grow(s, n);
}

/* ---------------------------------------------------------------- varints */

static inline size_t pk_varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, n++;
  return n;
}

static inline uint8_t *pk_varint(uint8_t *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

/* 32-bit values are the common case; shifts stay in 32-bit registers. */
static inline uint8_t *pk_varint32(uint8_t *p, uint32_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

static inline uint8_t *pk_tag(uint8_t *p, uint32_t id, ProtobufCWireType wt) {
  if (EVREC__LIKELY(id < 16)) {
    *p++ = (uint8_t)(id << 3 | wt);
    return p;
  }
  return pk_varint(p, (uint64_t)id << 3 | wt);
}

static inline uint32_t pk_zigzag32(int32_t v) {
  return v < 0 ? ~((uint32_t)v << 1) : (uint32_t)v << 1;
}

static inline uint64_t pk_zigzag64(int64_t v) {
  return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

/* Little-endian stores; compilers turn these into one move on x86. */
static inline uint8_t *pk_fixed32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
  return p + 4;
}

static inline uint8_t *pk_fixed64(uint8_t *p, uint64_t v) {
  pk_fixed32(p, (uint32_t)v);
  pk_fixed32(p + 4, (uint32_t)(v >> 32));
  return p + 8;
}

/* ---------------------------------------------------------------- messages and strings */

static bool pk_message(pk *s, const ProtobufCMessage *m);

/* Moves the `len` bytes after the 1-byte length slot at offset `at` up so
 * that the varint of `len` fits, and writes it. */
static bool pk_fix_length(pk *s, size_t at, size_t len) {
  size_t h = pk_varint_size(len);
  if (h > 1) {
    if (!pk_room(s, h - 1)) return false;
    uint8_t *lp = (uint8_t *)s->out->data + at;
    memmove(lp + h, lp + 1, len);
    s->p += h - 1;
  }
  pk_varint((uint8_t *)s->out->data + at, len);
  return true;
}

/* Length prefix + body of m (NULL: length 0). Needs 1 byte of room. */
static bool pk_prefixed(pk *s, const ProtobufCMessage *m) {
  if (!m) {
    *s->p++ = 0;
    return true;
  }
  size_t at = (size_t)(s->p++ - (uint8_t *)s->out->data);
  if (!pk_message(s, m)) return false;
  size_t len = (size_t)(s->p - (uint8_t *)s->out->data) - at - 1;
  if (EVREC__LIKELY(len < 0x80)) {
    s->out->data[at] = (char)len;
    return true;
  }
  return pk_fix_length(s, at, len);
}

static bool pk_submessage(pk *s, uint32_t id, const ProtobufCMessage *m) {
  if (!pk_room(s, PK_SCALAR_MAX)) return false;
  s->p = pk_tag(s->p, id, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
  return pk_prefixed(s, m);
}

static bool pk_bytes(pk *s, uint32_t id, const void *data, size_t len) {
  if (!pk_room(s, PK_SCALAR_MAX + len)) return false;
  uint8_t *p = pk_tag(s->p, id, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
  p = pk_varint(p, len);
  if (len) memcpy(p, data, len);
  s->p = p + len;
  return true;
}

/* A NULL string is written as "" (protobuf-c's string_pack). */
static bool pk_string(pk *s, uint32_t id, const char *str) {
  return pk_bytes(s, id, str, str ? strlen(str) : 0);
}

/* ---------------------------------------------------------------- single values */

/* Tag and value of one number, bool or enum at mem. Needs PK_SCALAR_MAX. */
static uint8_t *pk_scalar(uint8_t *p, const ProtobufCFieldDescriptor *f, const void *mem) {
  const ProtobufCWireType V = PROTOBUF_C_WIRE_TYPE_VARINT;
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_ENUM:
    return pk_varint(pk_tag(p, f->id, V), (uint64_t)(int64_t) * (const int32_t *)mem);
  case PROTOBUF_C_TYPE_UINT32: return pk_varint32(pk_tag(p, f->id, V), *(const uint32_t *)mem);
  case PROTOBUF_C_TYPE_SINT32:
    return pk_varint32(pk_tag(p, f->id, V), pk_zigzag32(*(const int32_t *)mem));
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_UINT64: return pk_varint(pk_tag(p, f->id, V), *(const uint64_t *)mem);
  case PROTOBUF_C_TYPE_SINT64:
    return pk_varint(pk_tag(p, f->id, V), pk_zigzag64(*(const int64_t *)mem));
  case PROTOBUF_C_TYPE_BOOL:
    p = pk_tag(p, f->id, V);
    *p++ = *(const protobuf_c_boolean *)mem ? 1 : 0;
    return p;
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_FLOAT: {
    uint32_t v;
    memcpy(&v, mem, 4);
    return pk_fixed32(pk_tag(p, f->id, PROTOBUF_C_WIRE_TYPE_32BIT), v);
  }
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_DOUBLE: {
    uint64_t v;
    memcpy(&v, mem, 8);
    return pk_fixed64(pk_tag(p, f->id, PROTOBUF_C_WIRE_TYPE_64BIT), v);
  }
  default: return p; /* length-delimited types are not scalars */
  }
}

/* One value of any type (tag included). */
static bool pk_value(pk *s, const ProtobufCFieldDescriptor *f, const void *mem) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING: return pk_string(s, f->id, *(const char *const *)mem);
  case PROTOBUF_C_TYPE_BYTES: {
    const ProtobufCBinaryData *b = mem;
    return pk_bytes(s, f->id, b->data, b->len);
  }
  case PROTOBUF_C_TYPE_MESSAGE:
    return pk_submessage(s, f->id, *(const ProtobufCMessage *const *)mem);
  default:
    if (!pk_room(s, PK_SCALAR_MAX)) return false;
    s->p = pk_scalar(s->p, f, mem);
    return true;
  }
}

/* ---------------------------------------------------------------- repeated */

/* Packed fixed-width elements: the length is known up front. */
static bool pk_packed_fixed(pk *s, uint32_t id, const void *arr, size_t n, size_t width) {
  if (n > (SIZE_MAX - PK_SCALAR_MAX) / width) return false; /* cannot fit in memory */
  size_t len = n * width;
  if (!pk_room(s, PK_SCALAR_MAX + len)) return false;
  uint8_t *p = pk_varint(pk_tag(s->p, id, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED), len);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(p, arr, len);
  p += len;
#else
  for (size_t i = 0; i < n; i++) {
    if (width == 4) p = pk_fixed32(p, ((const uint32_t *)arr)[i]);
    else p = pk_fixed64(p, ((const uint64_t *)arr)[i]);
  }
#endif
  s->p = p;
  return true;
}

/* Writes the varints of n packed elements at p; @return the end. */
static uint8_t *pk_varint_run(uint8_t *p, ProtobufCType t, const void *arr, size_t n) {
  const int32_t *i32 = arr;
  const int64_t *i64 = arr;
  const uint64_t *u64 = arr;
  const protobuf_c_boolean *b = arr;
  size_t i;
  switch (t) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_ENUM:
    for (i = 0; i < n; i++) p = pk_varint(p, (uint64_t)(int64_t)i32[i]);
    break;
  case PROTOBUF_C_TYPE_UINT32:
    for (i = 0; i < n; i++) p = pk_varint32(p, (uint32_t)i32[i]);
    break;
  case PROTOBUF_C_TYPE_SINT32:
    for (i = 0; i < n; i++) p = pk_varint32(p, pk_zigzag32(i32[i]));
    break;
  case PROTOBUF_C_TYPE_SINT64:
    for (i = 0; i < n; i++) p = pk_varint(p, pk_zigzag64(i64[i]));
    break;
  case PROTOBUF_C_TYPE_BOOL:
    for (i = 0; i < n; i++) *p++ = b[i] ? 1 : 0;
    break;
  default: /* INT64, UINT64 */
    for (i = 0; i < n; i++) p = pk_varint(p, u64[i]);
    break;
  }
  return p;
}

/* Packed varints: the length slot is sized for the shortest payload (one
 * byte per element) and the payload moves up when it needs one more byte
 * (it never needs two: elements are at most 10 bytes, size classes are 128
 * apart). */
static bool pk_packed_varints(pk *s, const ProtobufCFieldDescriptor *f, const void *arr, size_t n) {
  if (n > (SIZE_MAX - 2 * PK_SCALAR_MAX) / 10) return false;
  if (!pk_room(s, 2 * PK_SCALAR_MAX + 10 * n)) return false;
  uint8_t *lp = pk_tag(s->p, f->id, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
  size_t lo = pk_varint_size(n);
  uint8_t *body = lp + lo;
  size_t len = (size_t)(pk_varint_run(body, f->type, arr, n) - body);
  size_t h = pk_varint_size(len);
  if (h != lo) memmove(lp + h, body, len);
  pk_varint(lp, len);
  s->p = lp + h + len;
  return true;
}

/* Unpacked: one tag per element; NULL strings and messages as length 0. */
static bool pk_unpacked(pk *s, const ProtobufCFieldDescriptor *f, const void *arr, size_t n) {
  size_t i;
  switch (f->type) {
  case PROTOBUF_C_TYPE_MESSAGE:
    for (i = 0; i < n; i++)
      if (!pk_submessage(s, f->id, ((const ProtobufCMessage *const *)arr)[i])) return false;
    return true;
  case PROTOBUF_C_TYPE_STRING:
    for (i = 0; i < n; i++)
      if (!pk_string(s, f->id, ((const char *const *)arr)[i])) return false;
    return true;
  default: {
    size_t step = evrec__sizeof_type(f->type);
    for (i = 0; i < n; i++)
      if (!pk_value(s, f, (const char *)arr + i * step)) return false;
    return true;
  }
  }
}

static bool pk_repeated(pk *s, const ProtobufCFieldDescriptor *f, size_t n, const void *mem) {
  const void *arr = *(const void *const *)mem;
  if (n == 0) return true;
  if (!(f->flags & PROTOBUF_C_FIELD_FLAG_PACKED)) return pk_unpacked(s, f, arr, n);
  switch (f->type) {
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_FLOAT: return pk_packed_fixed(s, f->id, arr, n, 4);
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_DOUBLE: return pk_packed_fixed(s, f->id, arr, n, 8);
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_BYTES:
  case PROTOBUF_C_TYPE_MESSAGE: return pk_unpacked(s, f, arr, n); /* cannot be packed */
  default: return pk_packed_varints(s, f, arr, n);
  }
}

/* ---------------------------------------------------------------- presence */

/* protobuf-c's field_is_zeroish() for numbers, bools and enums: whether a
 * proto3 field is left out (strings, bytes, messages: pk_implicit). */
static inline bool pk_zeroish(const ProtobufCFieldDescriptor *f, const void *mem) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_BOOL: return *(const protobuf_c_boolean *)mem == 0;
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_ENUM: return *(const uint32_t *)mem == 0;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64: return *(const uint64_t *)mem == 0;
  case PROTOBUF_C_TYPE_FLOAT: return *(const float *)mem == 0; /* true for -0.0 */
  case PROTOBUF_C_TYPE_DOUBLE: return *(const double *)mem == 0;
  default: return true;
  }
}

/* String and message members of a oneof or LABEL_OPTIONAL are present when
 * their pointer is neither NULL nor the default value. */
static inline bool pk_pointer_set(const ProtobufCFieldDescriptor *f, const void *mem) {
  const void *ptr = *(const void *const *)mem;
  return ptr && ptr != f->default_value;
}

static inline bool pk_is_pointer(const ProtobufCFieldDescriptor *f) {
  return f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE;
}

/* Whether a required, optional or oneof field is written at all (LABEL_NONE
 * outside a oneof: pk_implicit). */
static inline bool pk_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                              const void *mem) {
  const void *q = evrec__quant_ptr(m, f);
  if (f->label == PROTOBUF_C_LABEL_REQUIRED) return true;
  if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
    return *(const uint32_t *)q == f->id && (!pk_is_pointer(f) || pk_pointer_set(f, mem));
  return pk_is_pointer(f) ? pk_pointer_set(f, mem) : *(const protobuf_c_boolean *)q != 0;
}

/* A proto3 field without presence (LABEL_NONE, not in a oneof): zero test
 * and write in one switch, the hot path for evrec.v1 records. */
static bool pk_implicit(pk *s, const ProtobufCFieldDescriptor *f, const void *mem) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING: {
    const char *str = *(const char *const *)mem;
    return !str || !*str || pk_bytes(s, f->id, str, strlen(str));
  }
  case PROTOBUF_C_TYPE_MESSAGE: {
    const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)mem;
    return !sub || pk_submessage(s, f->id, sub);
  }
  case PROTOBUF_C_TYPE_BYTES: {
    const ProtobufCBinaryData *b = mem;
    return !b->len || pk_bytes(s, f->id, b->data, b->len);
  }
  default:
    if (pk_zeroish(f, mem)) return true;
    if (!pk_room(s, PK_SCALAR_MAX)) return false;
    s->p = pk_scalar(s->p, f, mem);
    return true;
  }
}

/* ---------------------------------------------------------------- walk */

static bool pk_unknown(pk *s, const ProtobufCMessageUnknownField *u) {
  if (!pk_room(s, PK_SCALAR_MAX + u->len)) return false;
  uint8_t *p = s->p;
  s->p = pk_varint(p, (uint64_t)u->tag << 3);
  *p |= (uint8_t)u->wire_type; /* as protobuf-c: or-ed into the first byte */
  if (u->len) memcpy(s->p, u->data, u->len);
  s->p += u->len;
  return true;
}

static bool pk_message(pk *s, const ProtobufCMessage *m) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  const ProtobufCFieldDescriptor *f = d->fields, *fend = f + d->n_fields;
  for (; f < fend; f++) {
    const void *mem = evrec__field_ptr(m, f);
    bool ok;
    if (f->label == PROTOBUF_C_LABEL_NONE && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
      ok = pk_implicit(s, f, mem);
    else if (f->label == PROTOBUF_C_LABEL_REPEATED)
      ok = pk_repeated(s, f, *(const size_t *)evrec__quant_ptr(m, f), mem);
    else
      ok = !pk_present(m, f, mem) || pk_value(s, f, mem);
    if (!ok) return false;
  }
  for (unsigned i = 0; i < m->n_unknown_fields; i++)
    if (!pk_unknown(s, &m->unknown_fields[i])) return false;
  return true;
}

/* ---------------------------------------------------------------- entry points */

static bool pk_start(pk *s, evrec__buf *out) {
  s->out = out;
  if (!evrec__buf_reserve(out, PK_SLACK)) return false;
  s->p = (uint8_t *)out->data + out->len;
  s->end = (uint8_t *)out->data + out->cap - 1;
  return true;
}

static size_t pk_finish(pk *s, size_t mark, bool ok) {
  evrec__buf *out = s->out;
  if (!ok) {
    out->len = mark;
    out->oom = true;
    return SIZE_MAX;
  }
  out->len = (size_t)(s->p - (uint8_t *)out->data);
  return out->len - mark;
}

size_t evrec__pack(evrec__buf *out, const ProtobufCMessage *msg) {
  size_t mark = out->len;
  pk s;
  if (!pk_start(&s, out)) return pk_finish(&s, mark, false);
  return pk_finish(&s, mark, pk_message(&s, msg));
}

size_t evrec__pack_delimited(evrec__buf *out, const ProtobufCMessage *msg) {
  size_t mark = out->len;
  pk s;
  if (!pk_start(&s, out) || !pk_prefixed(&s, msg)) return pk_finish(&s, mark, false);
  size_t n = pk_finish(&s, mark, true);
  uint64_t len = 0;
  evrec__varint_get(out->data + mark, n, &len);
  return (size_t)len;
}
