/*
 * binary.c -- protobuf wire format: checked decoding, the UTF-8 walk, varints.
 *
 * evrec_pb_decode() works in two passes over one message:
 *
 *   1. A validator walks the wire data with the message descriptor: tags,
 *      wire types against field types, lengths against the bytes left,
 *      packed arrays, nesting depth, and the content of string fields (valid
 *      UTF-8, no NUL byte). It allocates nothing and explains the first
 *      problem precisely -- "field 5 (article): length 900 exceeds the 12
 *      bytes left" -- with the byte offset in err->offset and the JSON path of
 *      the field in err->path.
 *   2. protobuf_c_message_unpack() builds the message in the arena. On its
 *      own it only answers NULL, has no nesting limit (deep input overflows
 *      the C stack), wraps 32-bit lengths near 4 GiB and silently cuts a
 *      string at a NUL byte. Pass 1 rejects all of that first, so pass 2 can
 *      only fail when memory runs out -- which a wrapping allocator detects,
 *      so that case is reported as EVREC_E_NOMEM and not as bad data.
 *
 * The validator is exactly as strict as protobuf-c where protobuf-c fails
 * (groups, a wire type that does not fit a known field, packed bools other
 * than 0/1) and as strict as Google's parsers where protobuf-c is lax (field
 * number 0, invalid UTF-8 in strings).
 *
 * Field paths are built only on the error path, bottom-up: each message level
 * that sees a failure in one of its fields prepends "name", "name[i]" or
 * name["key"]. The index i of a repeated element is the number of earlier
 * occurrences of the same field number in that message, and a map key is
 * read from the entry's key field -- both cheap rescans of bytes the
 * validator has already accepted.
 *
 * evrec__check_utf8() is the tree form of the string check, for messages
 * that did not come from wire data (writers run it before packing).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Nesting limit for binary input (EVREC__PB_MAX_DEPTH, internal.h). Bounds
 * the recursion of both passes. */
#define PB_MAX_DEPTH EVREC__PB_MAX_DEPTH

/* Nesting limit of evrec__check_utf8() on caller-built trees. */
#define UTF8_WALK_MAX_DEPTH 1000

/* Field names longer than this are shown by their proto name in messages. */
#define NAME_BUF 128

/* Map keys longer than this are cut in paths. */
#define KEY_SHOWN_MAX 40

enum { WT_VARINT = 0, WT_64BIT = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_32BIT = 5 };

/* ====================================================================== */
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
/* Names, map keys and paths (shared by both checks)                      */
/* ====================================================================== */

/* JSON name of a field in `buf`, or its proto name when that is too long. */
static const char *json_name(const ProtobufCFieldDescriptor *f, char buf[NAME_BUF]) {
  if (strlen(f->name) >= NAME_BUF) return f->name;
  evrec__json_name(f->name, buf);
  return buf;
}

/* Appends `s` to out[0..cap) at *len, cutting at the end; keeps a NUL. */
static void str_add(char *out, size_t cap, size_t *len, const char *s, size_t n) {
  if (*len + 1 >= cap) return;
  if (n > cap - 1 - *len) n = cap - 1 - *len;
  memcpy(out + *len, s, n);
  *len += n;
  out[*len] = '\0';
}

/* Formats a string map key as a quoted JSON-ish string ("k"), escaping
 * quotes, backslashes and control bytes and cutting long keys. Invalid
 * UTF-8 is shown as "?" so that paths stay printable. */
static void key_from_string(char *out, size_t cap, const char *s, size_t n) {
  size_t len = 0;
  out[0] = '\0';
  str_add(out, cap, &len, "\"", 1);
  if (evrec__utf8_valid_prefix(s, n) != n) {
    str_add(out, cap, &len, "?\"", 2);
    return;
  }
  size_t shown = n > KEY_SHOWN_MAX ? KEY_SHOWN_MAX : n;
  while (shown < n && ((unsigned char)s[shown] & 0xC0) == 0x80) shown--; /* whole code points */
  for (size_t i = 0; i < shown; i++) {
    char esc[8];
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      str_add(out, cap, &len, esc, 2);
    } else if (c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", c);
      str_add(out, cap, &len, esc, 6);
    } else {
      str_add(out, cap, &len, s + i, 1);
    }
  }
  if (shown < n) str_add(out, cap, &len, "...", 3);
  str_add(out, cap, &len, "\"", 1);
}

/* Formats an integer or bool map key, from its 64-bit wire value, the way
 * the JSON mapping spells it (a quoted decimal, "true"/"false"). */
static void key_from_number(char *out, size_t cap, ProtobufCType t, uint64_t raw) {
  switch (t) {
  case PROTOBUF_C_TYPE_BOOL:
    snprintf(out, cap, "\"%s\"", raw ? "true" : "false");
    return;
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SFIXED32:
    snprintf(out, cap, "\"%" PRId32 "\"", (int32_t)(uint32_t)raw);
    return;
  case PROTOBUF_C_TYPE_SINT32:
    snprintf(out, cap, "\"%" PRId32 "\"",
             (int32_t)((uint32_t)raw >> 1) ^ -(int32_t)(raw & 1));
    return;
  case PROTOBUF_C_TYPE_SINT64:
    snprintf(out, cap, "\"%" PRId64 "\"", (int64_t)(raw >> 1) ^ -(int64_t)(raw & 1));
    return;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SFIXED64:
    snprintf(out, cap, "\"%" PRId64 "\"", (int64_t)raw);
    return;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
    snprintf(out, cap, "\"%" PRIu32 "\"", (uint32_t)raw);
    return;
  default:
    snprintf(out, cap, "\"%" PRIu64 "\"", raw);
    return;
  }
}

/* Builds the path segment "name", or "name[sub]" when sub is non-NULL. */
static void seg_build(char *seg, size_t cap, const char *name, const char *sub) {
  size_t len = 0;
  seg[0] = '\0';
  str_add(seg, cap, &len, name, strlen(name));
  if (!sub) return;
  str_add(seg, cap, &len, "[", 1);
  str_add(seg, cap, &len, sub, strlen(sub));
  str_add(seg, cap, &len, "]", 1);
}

/* Prepends "seg." to path (or sets it to seg), keeping the start on overflow. */
static void path_prepend(char *path, const char *seg) {
  char tmp[EVREC_ERROR_PATH_MAX];
  size_t len = 0;
  tmp[0] = '\0';
  str_add(tmp, sizeof tmp, &len, seg, strlen(seg));
  if (path[0]) {
    str_add(tmp, sizeof tmp, &len, ".", 1);
    str_add(tmp, sizeof tmp, &len, path, strlen(path));
  }
  memcpy(path, tmp, len + 1);
}

/* ====================================================================== */
/* Wire validator: state and errors                                       */
/* ====================================================================== */

typedef struct pbv {
  const uint8_t *base; /* first byte of the top-level message */
  int depth;           /* nesting below the top-level message */
  size_t max_string;   /* longest string or bytes field */
  evrec_error *err;    /* may be NULL */
  uint64_t offset;     /* offset of the first problem, relative to base */
  char path[EVREC_ERROR_PATH_MAX]; /* built bottom-up as the error unwinds */
} pbv;

static int pbv_message(pbv *v, const ProtobufCMessageDescriptor *d,
                       const uint8_t *p, const uint8_t *end, bool is_entry);

/* Records the first problem: "field N (name): <what>" at byte `at`. */
static int pbv_fail(pbv *v, const uint8_t *at, int code, uint32_t num,
                    const ProtobufCFieldDescriptor *f, const char *fmt, ...)
    EVREC__PRINTF(6, 7);

static int pbv_fail(pbv *v, const uint8_t *at, int code, uint32_t num,
                    const ProtobufCFieldDescriptor *f, const char *fmt, ...) {
  char what[EVREC_ERROR_MESSAGE_MAX], name[NAME_BUF];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (f)
    evrec__err(v->err, code, "field %" PRIu32 " (%s): %s", num, json_name(f, name), what);
  else if (num)
    evrec__err(v->err, code, "field %" PRIu32 ": %s", num, what);
  else
    evrec__err(v->err, code, "%s", what);
  v->offset = (uint64_t)(at - v->base);
  return code;
}

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

/* ====================================================================== */
/* Wire validator: tags and values                                        */
/* ====================================================================== */

/* Reads a tag. Field numbers are 1..2^29-1; groups are refused because
 * protobuf-c cannot parse them (proto3 has none). */
static int pbv_tag(pbv *v, const uint8_t **pp, const uint8_t *end, uint32_t *num, int *wt) {
  uint64_t t;
  int n = evrec__varint_get(*pp, (size_t)(end - *pp), &t);
  if (n == 0) return pbv_fail(v, *pp, EVREC_E_SYNTAX, 0, NULL, "truncated tag");
  if (n < 0 || n > 5 || t > UINT32_MAX)
    return pbv_fail(v, *pp, EVREC_E_SYNTAX, 0, NULL, "invalid tag (field number too large)");
  *num = (uint32_t)(t >> 3);
  *wt = (int)(t & 7);
  if (*num == 0) return pbv_fail(v, *pp, EVREC_E_SYNTAX, 0, NULL, "invalid field number 0");
  if (*wt == WT_SGROUP || *wt == WT_EGROUP)
    return pbv_fail(v, *pp, EVREC_E_SYNTAX, *num, NULL,
                    "groups (wire type %d) are not supported", *wt);
  if (*wt > WT_32BIT)
    return pbv_fail(v, *pp, EVREC_E_SYNTAX, *num, NULL, "invalid wire type %d", *wt);
  *pp += n;
  return EVREC_OK;
}

/* Reads a length prefix at *pp; the body is [*body, *body + *n). protobuf-c
 * reads at most 5 prefix bytes into 32 bits. */
static int pbv_len(pbv *v, const uint8_t *tag_at, uint32_t num,
                   const ProtobufCFieldDescriptor *f, const uint8_t **pp,
                   const uint8_t *end, const uint8_t **body, size_t *n) {
  uint64_t len;
  int used = evrec__varint_get(*pp, (size_t)(end - *pp), &len);
  if (used == 0) return pbv_fail(v, tag_at, EVREC_E_SYNTAX, num, f, "truncated length");
  if (used < 0 || used > 5 || len > UINT32_MAX)
    return pbv_fail(v, tag_at, EVREC_E_SYNTAX, num, f, "invalid length");
  size_t left = (size_t)(end - *pp) - (size_t)used;
  if (len > left)
    return pbv_fail(v, tag_at, EVREC_E_SYNTAX, num, f,
                    "length %" PRIu64 " exceeds the %zu bytes left", len, left);
  *body = *pp + used;
  *n = (size_t)len;
  *pp = *body + *n;
  return EVREC_OK;
}

/* Skips a varint, 64-bit or 32-bit value. */
static int pbv_scalar(pbv *v, const uint8_t *tag_at, uint32_t num,
                      const ProtobufCFieldDescriptor *f, int wt,
                      const uint8_t **pp, const uint8_t *end) {
  size_t left = (size_t)(end - *pp);
  if (wt == WT_VARINT) {
    int n = varint_skip_len(*pp, left);
    if (n <= 0)
      return pbv_fail(v, tag_at, EVREC_E_SYNTAX, num, f,
                      n == 0 ? "truncated varint" : "varint longer than 10 bytes");
    *pp += n;
    return EVREC_OK;
  }
  size_t need = wt == WT_64BIT ? 8 : 4;
  if (left < need)
    return pbv_fail(v, tag_at, EVREC_E_SYNTAX, num, f,
                    "truncated %s value (need %zu bytes, have %zu)", wire_type_name(wt),
                    need, left);
  *pp += need;
  return EVREC_OK;
}

/* Checks a string: valid UTF-8 (proto3) and no NUL byte (protobuf-c keeps
 * strings NUL-terminated and would silently cut it there). */
static int pbv_string(pbv *v, uint32_t num, const ProtobufCFieldDescriptor *f,
                      const uint8_t *s, size_t n) {
  size_t ok = evrec__utf8_valid_prefix((const char *)s, n);
  if (ok != n)
    return pbv_fail(v, s + ok, EVREC_E_UTF8, num, f, "invalid UTF-8 in a string");
  const uint8_t *nul = memchr(s, 0, n);
  if (nul)
    return pbv_fail(v, nul, EVREC_E_UNSUPPORTED, num, f,
                    "a string with a NUL byte (U+0000) cannot be represented");
  return EVREC_OK;
}

/* Checks the elements of a packed repeated scalar field. */
static int pbv_packed(pbv *v, uint32_t num, const ProtobufCFieldDescriptor *f,
                      const uint8_t *p, size_t n) {
  int wt = wire_type_of(f->type);
  if (wt != WT_VARINT) {
    size_t size = wt == WT_64BIT ? 8 : 4;
    if (n % size != 0)
      return pbv_fail(v, p, EVREC_E_SYNTAX, num, f,
                      "packed length %zu is not a multiple of %zu", n, size);
    return EVREC_OK;
  }
  for (size_t i = 0; i < n;) {
    if (f->type == PROTOBUF_C_TYPE_BOOL && p[i] > 1) /* protobuf-c reads one byte per bool */
      return pbv_fail(v, p + i, EVREC_E_SYNTAX, num, f,
                      "packed bool value 0x%02x is not 0 or 1", p[i]);
    int used = varint_skip_len(p + i, n - i);
    if (used <= 0)
      return pbv_fail(v, p + i, EVREC_E_SYNTAX, num, f, "invalid varint in packed data");
    i += (size_t)used;
  }
  return EVREC_OK;
}

/* Checks one occurrence of known field f with wire type wt at *pp. */
static int pbv_field(pbv *v, const uint8_t *tag_at, uint32_t num,
                     const ProtobufCFieldDescriptor *f, int wt,
                     const uint8_t **pp, const uint8_t *end) {
  int want = wire_type_of(f->type);
  bool packed = wt == WT_LEN && want != WT_LEN && f->label == PROTOBUF_C_LABEL_REPEATED;
  if (wt != want && !packed)
    return pbv_fail(v, tag_at, EVREC_E_SYNTAX, num, f,
                    "wire type %d (%s) does not fit the field's type (wire type %d, %s)",
                    wt, wire_type_name(wt), want, wire_type_name(want));
  if (wt != WT_LEN) return pbv_scalar(v, tag_at, num, f, wt, pp, end);
  const uint8_t *body;
  size_t n;
  int rc = pbv_len(v, tag_at, num, f, pp, end, &body, &n);
  if (rc) return rc;
  if (packed) return pbv_packed(v, num, f, body, n);
  if ((f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES) && n > v->max_string)
    return pbv_fail(v, tag_at, EVREC_E_LIMIT, num, f,
                    "%s of %zu bytes exceeds the limit of %zu bytes (max_string_size)",
                    f->type == PROTOBUF_C_TYPE_STRING ? "string" : "bytes value", n, v->max_string);
  if (f->type == PROTOBUF_C_TYPE_STRING) return pbv_string(v, num, f, body, n);
  if (f->type == PROTOBUF_C_TYPE_MESSAGE)
    return pbv_message(v, f->descriptor, body, body + n, evrec__field_is_map(f));
  return EVREC_OK;
}

/* Checks an unknown field: only its framing (protobuf-c keeps it raw). */
static int pbv_unknown(pbv *v, const uint8_t *tag_at, uint32_t num, int wt,
                       const uint8_t **pp, const uint8_t *end) {
  if (wt != WT_LEN) return pbv_scalar(v, tag_at, num, NULL, wt, pp, end);
  const uint8_t *body;
  size_t n;
  return pbv_len(v, tag_at, num, NULL, pp, end, &body, &n);
}

/* ====================================================================== */
/* Wire validator: locating an error (paths)                              */
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

/* Index of the occurrence of field `num` starting at tag_at in [msg, ...). */
static size_t occurrence_index(const uint8_t *msg, const uint8_t *tag_at, uint32_t num) {
  size_t count = 0;
  const uint8_t *p = msg, *body;
  uint32_t n;
  int wt;
  size_t len;
  while (p < tag_at && skip_field(&p, tag_at, &n, &wt, &body, &len))
    count += n == num;
  return count;
}

/* Reads the key of the map entry whose field starts at tag_at into `out`.
 * @return false when the entry is too damaged to tell. */
static bool entry_key(const ProtobufCFieldDescriptor *f, const uint8_t *tag_at,
                      const uint8_t *end, char *out, size_t cap) {
  const uint8_t *p = tag_at, *entry, *body;
  size_t n, len;
  uint32_t num;
  int wt;
  if (!skip_field(&p, end, &num, &wt, &entry, &n) || wt != WT_LEN) return false;
  const ProtobufCFieldDescriptor *kf = evrec__map_key(f->descriptor);
  int key_wt = wire_type_of(kf->type);
  const uint8_t *key = NULL, *q = entry;
  size_t key_len = 0;
  while (q < entry + n && skip_field(&q, entry + n, &num, &wt, &body, &len))
    if (num == 1 && wt == key_wt) key = body, key_len = len; /* the last one wins */
  if (kf->type == PROTOBUF_C_TYPE_STRING) {
    key_from_string(out, cap, key ? (const char *)key : "", key_len);
    return true;
  }
  uint64_t raw = 0;
  if (key && key_wt == WT_VARINT && evrec__varint_get(key, key_len, &raw) <= 0) return false;
  if (key && key_wt != WT_VARINT) /* fixed32/fixed64: little-endian on the wire */
    for (size_t i = key_len; i-- > 0;) raw = raw << 8 | key[i];
  key_from_number(out, cap, kf->type, raw);
  return true;
}

/* Prepends the path segment of field f (found at tag_at in msg) to v->path. */
static void pbv_locate(pbv *v, const ProtobufCFieldDescriptor *f, const uint8_t *msg,
                       const uint8_t *tag_at, const uint8_t *end) {
  char name[NAME_BUF], seg[EVREC_ERROR_PATH_MAX], sub[KEY_SHOWN_MAX * 6 + 8];
  const char *jn = json_name(f, name);
  bool sub_ok = false;
  if (evrec__field_is_map(f)) {
    sub_ok = entry_key(f, tag_at, end, sub, sizeof sub);
  } else if (f->label == PROTOBUF_C_LABEL_REPEATED && wire_type_of(f->type) == WT_LEN) {
    snprintf(sub, sizeof sub, "%zu", occurrence_index(msg, tag_at, f->id));
    sub_ok = true;
  }
  seg_build(seg, sizeof seg, jn, sub_ok ? sub : NULL);
  path_prepend(v->path, seg);
}

/* ====================================================================== */
/* Wire validator: messages                                               */
/* ====================================================================== */

/* Checks the fields of one message of type d in [p, end). A map entry
 * (is_entry) adds no path segment of its own: its parent shows name["key"]. */
static int pbv_message(pbv *v, const ProtobufCMessageDescriptor *d,
                       const uint8_t *p, const uint8_t *end, bool is_entry) {
  if (v->depth > PB_MAX_DEPTH)
    return pbv_fail(v, p, EVREC_E_LIMIT, 0, NULL, "messages nested deeper than %d levels",
                    PB_MAX_DEPTH);
  v->depth++;
  const uint8_t *start = p;
  int rc = EVREC_OK;
  while (p < end && rc == EVREC_OK) {
    const uint8_t *tag_at = p;
    uint32_t num = 0;
    int wt = 0;
    if ((rc = pbv_tag(v, &p, end, &num, &wt))) break;
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, num);
    rc = f ? pbv_field(v, tag_at, num, f, wt, &p, end) : pbv_unknown(v, tag_at, num, wt, &p, end);
    if (rc && f && !is_entry) pbv_locate(v, f, start, tag_at, end);
  }
  v->depth--;
  return rc;
}

/* ====================================================================== */
/* evrec_pb_decode                                                        */
/* ====================================================================== */

/* protobuf-c allocator over the arena that remembers whether an allocation
 * failed, to tell "out of memory" from "bad data" when unpack says NULL. */
typedef struct oom_alloc {
  ProtobufCAllocator pbc;
  evrec_arena *arena;
  bool oom;
} oom_alloc;

static void *oom_alloc_fn(void *data, size_t size) {
  oom_alloc *a = data;
  void *p = evrec__arena_alloc(a->arena, size);
  if (!p) a->oom = true;
  return p;
}

static void oom_free_fn(void *data, void *ptr) {
  (void)data;
  (void)ptr; /* freed with the arena */
}

static int pb_validate(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                       size_t len, size_t max_string, evrec_error *err) {
  pbv v;
  memset(&v, 0, sizeof v);
  v.base = data;
  v.max_string = max_string;
  v.err = err;
  int rc = pbv_message(&v, desc, data, data + len, false);
  if (rc && err) {
    err->offset = v.offset;
    memcpy(err->path, v.path, sizeof err->path);
  }
  return rc;
}

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
  int rc = pb_validate(desc, bytes, len, max_string, err);
  if (rc) return rc;
  oom_alloc a = {{oom_alloc_fn, oom_free_fn, NULL}, arena, false};
  a.pbc.allocator_data = &a;
  ProtobufCMessage *m = protobuf_c_message_unpack(desc, &a.pbc, len, bytes);
  if (!m && a.oom) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  if (!m) return evrec__err(err, EVREC_E_SYNTAX, "invalid protobuf data");
  *out = m;
  return EVREC_OK;
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
  char path[EVREC_ERROR_PATH_MAX]; /* built bottom-up, only on error */
} u8w;

static int u8w_message(u8w *w, const ProtobufCMessage *m);

static int u8w_fail(u8w *w, int code, const char *what) {
  evrec__err(w->err, code, "%s", what);
  return code;
}

/* Formats the key of a map entry message as the wire validator does. */
static void u8w_key(const ProtobufCMessage *entry, char *out, size_t cap) {
  const ProtobufCFieldDescriptor *kf = evrec__map_key(entry->descriptor);
  const void *p = evrec__field_ptr(entry, kf);
  uint64_t raw = 0;
  switch (kf->type) {
  case PROTOBUF_C_TYPE_STRING: {
    const char *s = *(const char *const *)p;
    key_from_string(out, cap, s ? s : "", s ? strlen(s) : 0);
    return;
  }
  case PROTOBUF_C_TYPE_BOOL: raw = *(const protobuf_c_boolean *)p != 0; break;
  case PROTOBUF_C_TYPE_SINT32: { /* back to the zigzag wire form key_from_number reads */
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
  key_from_number(out, cap, kf->type, raw);
}

/* On the way up from an error inside field f, prepends "name", "name[i]"
 * (index >= 0) or name["key"] (entry non-NULL) to the path. */
static int u8w_unwind(u8w *w, int rc, const ProtobufCFieldDescriptor *f,
                      const ProtobufCMessage *entry, long index) {
  char name[NAME_BUF], seg[EVREC_ERROR_PATH_MAX], sub[KEY_SHOWN_MAX * 6 + 8];
  const char *jn = json_name(f, name);
  if (entry) u8w_key(entry, sub, sizeof sub);
  else if (index >= 0) snprintf(sub, sizeof sub, "%ld", index);
  seg_build(seg, sizeof seg, jn, entry || index >= 0 ? sub : NULL);
  path_prepend(w->path, seg);
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
  w.path[0] = '\0';
  int rc = msg ? u8w_message(&w, msg) : EVREC_OK;
  if (rc && err) memcpy(err->path, w.path, sizeof err->path);
  return rc;
}
