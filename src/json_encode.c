/*
 * json_encode.c -- canonical proto3 JSON encoder for any protoc-c message.
 *
 * The encoder walks a message tree by its ProtobufCMessageDescriptor and
 * prints the proto3 JSON mapping (protobuf.dev/programming-guides/json), the
 * form Google's parsers read back to the identical binary message:
 *
 *   fields      field-number order (protoc-c sorts `fields` by number);
 *               lowerCamelCase names (or proto names), converted straight
 *               into the output, or copied from the caller's cache of
 *               printed names (evrec__jnames: the writer keeps one, as it
 *               prints the same fields record after record);
 *   defaults    omitted (0, false, "", empty bytes, enum 0, NULL message,
 *               empty repeated/map) unless EVREC_JSON_EMIT_DEFAULTS, which,
 *               like Python's including_default_value_fields, prints scalars
 *               and empty repeated/maps but never unset messages or oneofs;
 *   oneofs      a member is printed iff the `*_case` equals its number, even
 *               when its value is the default -- except where protobuf-c's
 *               pack() drops it too (a string/message member that is NULL
 *               or the shared empty string), so JSON and binary agree;
 *   numbers     64-bit integers quoted; doubles/floats in the shortest text
 *               that reads back bit-exactly ("Floating point" below);
 *               "NaN", "Infinity", "-Infinity"; negative zero as -0.0 (a
 *               bare -0 is the integer 0 to Python's json);
 *   maps        objects with keys in ascending order (numeric for integer
 *               keys, bytewise for strings, false < true); when binary input
 *               repeated a key, the last entry wins (what the binary parsers
 *               do) and only it is printed;
 *   WKTs        Timestamp, Duration, FieldMask, wrappers, Struct, Value,
 *               ListValue, Empty and Any in their special forms.
 *
 * Strings are checked for valid UTF-8 in the same pass that finds their
 * plain runs (only runs with bytes >= 0x80 are checked), so mostly-ASCII
 * text is scanned once.
 *
 * Output is a pure function of the message: identical messages give
 * identical bytes. Unknown fields (`unknown_fields`, kept by protobuf-c from
 * binary input) are NOT printed: JSON cannot carry them, so a JSON round trip
 * drops them.
 *
 * Design, after upb's json/encode.c:
 *  - One private state struct `jenc` is passed first to small static
 *    helpers, one banner section per JSON construct.
 *  - Output goes into an evrec__buf through a raw cursor (`ptr`, `end`):
 *    helpers reserve room once (`need`) and then write with pointer bumps.
 *  - Errors longjmp to the single setjmp in jenc_run(). That is safe because
 *    nothing the walk allocates is owned by a stack frame: the output buffer,
 *    the scratch arena (Any payloads, default instances) and the map-sort
 *    stack all hang off `jenc` and are released at the entry point, on every
 *    path.
 *  - The field path for errors ("events[1].participants[0].actorId") is kept
 *    as a chain of `jframe`s on the C stack (a store or two per field); it is
 *    only turned into text when an error happens, before the longjmp.
 *  - Numbers are formatted without printf (dtoa.c for doubles and floats),
 *    so the host's locale never shows in the output.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fieldpath.h"
#include "internal.h"
#include "jsonscan.h"

/* Cap on open JSON containers: bounds the recursion of the walk (protobuf-c
 * itself imposes no depth limit on binary input). Far above what Google's
 * parsers accept (100) yet well inside an 8 MiB stack. */
#define JENC_MAX_DEPTH 1000

#define JENC_ALL_FLAGS \
  (EVREC_JSON_PRETTY | EVREC_JSON_EMIT_DEFAULTS | EVREC_JSON_PROTO_NAMES | \
   EVREC_JSON_ENUMS_AS_INTS | EVREC_JSON_VALID_UTF8)

/* Timestamp range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z. */
#define TS_SECONDS_MIN INT64_C(-62135596800)
#define TS_SECONDS_MAX INT64_C(253402300799)
/* Duration range: +-10000 years, as in duration.proto. */
#define DUR_SECONDS_MAX INT64_C(315576000000)
#define NANOS_MAX 999999999

/* ====================================================================== */
/* State                                                                   */
/* ====================================================================== */

/* One step of the path to the value being printed (see path_build()). */
typedef enum { FR_FIELD, FR_INDEX, FR_KEY } jframe_kind;

typedef struct jframe {
  const struct jframe *up;
  jframe_kind kind;
  const char *name;                    /* FR_FIELD: proto name */
  size_t index;                        /* FR_INDEX */
  const ProtobufCFieldDescriptor *key; /* FR_KEY: key field of ... */
  const ProtobufCMessage *entry;       /* ... this map entry */
} jframe;

typedef struct jenc {
  char *ptr;         /* next free byte of out->data */
  char *end;         /* end of the room reserved by the last grow() */
  evrec__buf *out;
  unsigned flags;
  bool pretty;
  unsigned depth;    /* open JSON containers */
  const evrec_json_encode_options *opts;
  evrec_error *err;
  int status;        /* the error being longjmp'ed with */
  jmp_buf jmp;
  const jframe *top; /* innermost path step */
  evrec_arena *scratch;   /* lazily created; see scratch_get() */
  unsigned scratch_users; /* live scratch allocations; reset at 0 */
  evrec__buf sort;        /* stack of map-sort arrays, addressed by offset */
  evrec__jnames *names;   /* printed field names kept across calls, or NULL */
} jenc;

static void path_build(const jenc *e, char *out);
static void path_steps(const jenc *e, evrec__fieldpath *p);

/* Fills the error (message, path) and unwinds to jenc_run(). */
static _Noreturn void fail(jenc *e, int code, const char *fmt, ...)
    EVREC__PRINTF(3, 4);

static _Noreturn void fail(jenc *e, int code, const char *fmt, ...) {
  if (e->err) {
    va_list ap;
    va_start(ap, fmt);
    evrec__verr(e->err, code, fmt, ap);
    va_end(ap);
    path_build(e, e->err->path);
  }
  e->status = code;
  longjmp(e->jmp, 1);
}

/* ====================================================================== */
/* Output cursor                                                           */
/* ====================================================================== */

/* Slow path of need(): grow the buffer so that n bytes fit after ptr. */
static void grow(jenc *e, size_t n) {
  evrec__buf *b = e->out;
  b->len = (size_t)(e->ptr - b->data);
  if (!evrec__buf_reserve(b, n < 256 ? 256 : n)) fail(e, EVREC_E_NOMEM, "out of memory");
  e->ptr = b->data + b->len;
  e->end = b->data + b->cap - 1; /* evrec__buf keeps one byte for a NUL */
}

/* Points the cursor at the end of the caller's buffer (which may already
 * hold text: evrec__json_encode_buf() appends). */
static void cursor_init(jenc *e) {
  evrec__buf *b = e->out;
  if (!evrec__buf_reserve(b, 256)) fail(e, EVREC_E_NOMEM, "out of memory");
  e->ptr = b->data + b->len;
  e->end = b->data + b->cap - 1;
}

/* Guarantees room for n more bytes; everything else writes unchecked. */
static inline void need(jenc *e, size_t n) {
  if (EVREC__UNLIKELY((size_t)(e->end - e->ptr) < n)) grow(e, n);
}

static inline void put_raw(jenc *e, const char *s, size_t n) {
  need(e, n);
  memcpy(e->ptr, s, n);
  e->ptr += n;
}

#define PUT_LIT(e, s) put_raw((e), (s), sizeof(s) - 1)

static inline void put_char(jenc *e, char c) {
  need(e, 1);
  *e->ptr++ = c;
}

/* ====================================================================== */
/* Containers and layout                                                   */
/*                                                                         */
/* Compact: no whitespace at all. Pretty: Python's json.dumps(indent=2):   */
/* one item per line, ": " after keys, empty containers as {} and [].      */
/* ====================================================================== */

static void open_container(jenc *e, char c) {
  if (++e->depth > JENC_MAX_DEPTH)
    fail(e, EVREC_E_LIMIT, "message nesting deeper than %d JSON levels", JENC_MAX_DEPTH);
  put_char(e, c);
}

/* Before the item with 0-based number i of the innermost container. */
static void item_sep(jenc *e, size_t i) {
  if (!e->pretty) {
    if (i) put_char(e, ',');
    return;
  }
  size_t ind = 2 * (size_t)e->depth;
  need(e, ind + 2);
  if (i) *e->ptr++ = ',';
  *e->ptr++ = '\n';
  memset(e->ptr, ' ', ind);
  e->ptr += ind;
}

/* Closes the innermost container, which holds n items. */
static void close_container(jenc *e, char c, size_t n) {
  e->depth--;
  if (e->pretty && n) {
    size_t ind = 2 * (size_t)e->depth;
    need(e, ind + 2);
    *e->ptr++ = '\n';
    memset(e->ptr, ' ', ind);
    e->ptr += ind;
  }
  put_char(e, c);
}

/* After a key: ':' or ": ". */
static inline void key_end(jenc *e) {
  need(e, 2);
  *e->ptr++ = ':';
  if (e->pretty) *e->ptr++ = ' ';
}

/* ====================================================================== */
/* Field names                                                             */
/* ====================================================================== */

/* Prints `"name":` for a field of proto name `name` (n bytes) at p, the
 * name as is or in lowerCamelCase as protoc computes json_name
 * (evrec__json_name: drop '_', upper-case the letter after it). Names are
 * identifiers, so nothing needs escaping. p needs room for n + 4 bytes.
 * @return the end. */
static char *print_field_name(char *p, const char *name, size_t n, bool proto_names) {
  *p++ = '"';
  if (proto_names) {
    memcpy(p, name, n);
    p += n;
  } else {
    p += evrec__json_name(name, p);
  }
  *p++ = '"';
  *p++ = ':';
  return p;
}

/* Writes "name": without the cache. */
static void convert_field_name(jenc *e, const char *name) {
  size_t n = strlen(name);
  need(e, n + 5);
  e->ptr = print_field_name(e->ptr, name, n, (e->flags & EVREC_JSON_PROTO_NAMES) != 0);
  if (e->pretty) *e->ptr++ = ' ';
}

/* The cache of printed names (evrec__jnames): open addressing on the field
 * descriptor's address, a slot holding the field and `"name":` as printed
 * with the cache's flags. Slots are filled, never replaced (a direct-mapped
 * table refilled colliding slots thousands of times a run): a field that
 * finds no free slot within JNAME_PROBES, or whose name is too long for a
 * slot, is converted each time. */
#define JNAME_SLOTS 512u /* a power of two; the evrec.v1 schema has ~200 fields */
#define JNAME_PROBES 8u
#define JNAME_MAX 54u    /* `"name":`, bytes: a slot is 64 bytes */

typedef struct jname {
  const ProtobufCFieldDescriptor *f;
  uint8_t len;
  char s[JNAME_MAX + 1];
} jname;

struct evrec__jnames {
  unsigned proto_names; /* EVREC_JSON_PROTO_NAMES of the names held */
  jname slot[JNAME_SLOTS];
};

evrec__jnames *evrec__jnames_new(void) { return calloc(1, sizeof(evrec__jnames)); }

void evrec__jnames_free(evrec__jnames *c) { free(c); }

/* Fills slot j with f's printed name; false when it does not fit. */
static bool jname_fill(jname *j, const ProtobufCFieldDescriptor *f, bool proto_names) {
  size_t n = strlen(f->name);
  if (n + 4 > JNAME_MAX + 1) return false;
  j->len = (uint8_t)(print_field_name(j->s, f->name, n, proto_names) - j->s);
  j->f = f;
  return true;
}

/* Writes "name": for field f, from the cache when there is one. */
static void put_field_name(jenc *e, const ProtobufCFieldDescriptor *f) {
  evrec__jnames *c = e->names;
  if (c) {
    unsigned proto = (e->flags & EVREC_JSON_PROTO_NAMES) != 0;
    if (c->proto_names != proto) { /* names printed under the other flag: start again */
      memset(c->slot, 0, sizeof c->slot);
      c->proto_names = proto;
    }
    size_t i = (size_t)(((uint64_t)(uintptr_t)f * UINT64_C(0x9E3779B97F4A7C15)) >> 40);
    for (unsigned k = 0; k < JNAME_PROBES; k++, i++) {
      jname *j = &c->slot[i & (JNAME_SLOTS - 1)];
      if (j->f != f && (j->f || !jname_fill(j, f, proto))) {
        if (j->f) continue; /* another field's */
        break;              /* too long: converted */
      }
      /* copies of a constant size (the bytes after the name are room
       * written again later): a copy of j->len bytes compiled to `rep movsq`,
       * whose start-up cost made printing 17% slower than converting */
      need(e, sizeof j->s + 1);
      if (j->len <= 32)
        memcpy(e->ptr, j->s, 32);
      else
        memcpy(e->ptr, j->s, sizeof j->s);
      e->ptr += j->len;
      if (e->pretty) *e->ptr++ = ' ';
      return;
    }
  }
  convert_field_name(e, f->name);
}

/* Writes a NUL-terminated identifier (an enum value name) in quotes. */
static void put_ident(jenc *e, const char *s) {
  size_t n = strlen(s);
  need(e, n + 2);
  *e->ptr++ = '"';
  memcpy(e->ptr, s, n);
  e->ptr += n;
  *e->ptr++ = '"';
}

/* ====================================================================== */
/* Integers                                                                */
/* ====================================================================== */

/* Writes the decimal digits of v ending just before `end`; returns start. */
static char *u64_digits(char *end, uint64_t v) {
  do {
    *--end = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return end;
}

static void put_u64(jenc *e, uint64_t v, bool quoted) {
  char tmp[24], *s = u64_digits(tmp + sizeof tmp, v);
  size_t n = (size_t)(tmp + sizeof tmp - s);
  need(e, n + 2);
  if (quoted) *e->ptr++ = '"';
  memcpy(e->ptr, s, n);
  e->ptr += n;
  if (quoted) *e->ptr++ = '"';
}

static void put_i64(jenc *e, int64_t v, bool quoted) {
  if (v >= 0) {
    put_u64(e, (uint64_t)v, quoted);
    return;
  }
  char tmp[24], *s = u64_digits(tmp + sizeof tmp, 0 - (uint64_t)v);
  *--s = '-';
  size_t n = (size_t)(tmp + sizeof tmp - s);
  need(e, n + 2);
  if (quoted) *e->ptr++ = '"';
  memcpy(e->ptr, s, n);
  e->ptr += n;
  if (quoted) *e->ptr++ = '"';
}

/* ====================================================================== */
/* Floating point                                                          */
/*                                                                         */
/* The shortest text that reads back bit-exactly (dtoa.c: Python's repr()  */
/* digits, no printf, no strtod), laid out as printf's %.Pg would with P = */
/* the digit count but at least DBL_DIG (FLT_DIG for floats; 1 for         */
/* subnormals), which is what this encoder printed before it had its own   */
/* digits: 0.1, 1e-05, 123456789012345.67, 1e+16, 5e-324.                 */
/* ====================================================================== */

/* Integral values below 10^P print as integers under %g; no digit search
 * for them. */
static size_t format_integral(double v, char *out) {
  char tmp[24], *s = u64_digits(tmp + sizeof tmp, (uint64_t)fabs(v));
  if (v < 0) *--s = '-';
  size_t n = (size_t)(tmp + sizeof tmp - s);
  memcpy(out, s, n);
  return n;
}

/* Writes -?d x 10^e the way %.Pg writes it, P = max(digits, min_prec):
 * fixed notation when -4 <= exponent < P, else d.ddde[+-]XX. Into
 * out[0..32). */
static size_t format_g(char *out, bool neg, evrec__decimal d, int min_prec) {
  char tmp[24], *dig = u64_digits(tmp + sizeof tmp, d.digits), *o = out;
  int n = (int)(tmp + sizeof tmp - dig), x = n - 1 + d.exponent; /* x: leading digit's */
  int prec = n > min_prec ? n : min_prec;
  if (neg) *o++ = '-';
  if (x < -4 || x >= prec) {
    *o++ = dig[0];
    if (n > 1) {
      *o++ = '.';
      memcpy(o, dig + 1, (size_t)n - 1);
      o += n - 1;
    }
    *o++ = 'e';
    *o++ = x < 0 ? '-' : '+';
    int ax = x < 0 ? -x : x;
    if (ax >= 100) *o++ = (char)('0' + ax / 100);
    *o++ = (char)('0' + ax / 10 % 10);
    *o++ = (char)('0' + ax % 10);
  } else if (x < 0) { /* 0.000ddd */
    *o++ = '0';
    *o++ = '.';
    memset(o, '0', (size_t)(-x - 1));
    o += -x - 1;
    memcpy(o, dig, (size_t)n);
    o += n;
  } else if (n <= x + 1) { /* ddd000 */
    memcpy(o, dig, (size_t)n);
    o += n;
    memset(o, '0', (size_t)(x + 1 - n));
    o += x + 1 - n;
  } else { /* ddd.ddd */
    memcpy(o, dig, (size_t)x + 1);
    o += x + 1;
    *o++ = '.';
    memcpy(o, dig + x + 1, (size_t)(n - x - 1));
    o += n - x - 1;
  }
  return (size_t)(o - out);
}

/* Formats a finite nonzero double into out[0..32). */
static size_t format_double(double v, char *out) {
  double a = fabs(v);
  if (a < 1e15 && v == trunc(v)) return format_integral(v, out);
  return format_g(out, v < 0, evrec__shortest_double(a), a < DBL_MIN ? 1 : DBL_DIG);
}

/* Formats a finite nonzero float into out[0..32). FLT_MAX is the one float
 * whose shortest text, 3.4028235e+38, is above FLT_MAX as a double:
 * Google's parsers range-check that double against FLT_MAX and Python's
 * json_format rejects it, so FLT_MAX prints as 3.402823466e+38, the
 * shortest %g text at or below it. */
static size_t format_float(float v, char *out) {
  float a = fabsf(v);
  if (a < 1e6f && v == truncf(v)) return format_integral(v, out);
  if (a == FLT_MAX) {
    size_t n = v < 0;
    if (n) out[0] = '-';
    memcpy(out + n, "3.402823466e+38", 15);
    return n + 15;
  }
  return format_g(out, v < 0, evrec__shortest_float(a), a < FLT_MIN ? 1 : FLT_DIG);
}

/* NaN and infinities are strings in proto3 JSON; zero keeps its sign. */
static bool put_special_double(jenc *e, double v) {
  if (isnan(v)) {
    PUT_LIT(e, "\"NaN\"");
  } else if (isinf(v)) {
    if (v > 0)
      PUT_LIT(e, "\"Infinity\"");
    else
      PUT_LIT(e, "\"-Infinity\"");
  } else if (v == 0) {
    if (signbit(v)) /* not "-0": Python's json reads that as the int 0 */
      PUT_LIT(e, "-0.0");
    else
      put_char(e, '0');
  } else {
    return false;
  }
  return true;
}

static void put_double(jenc *e, double v) {
  if (put_special_double(e, v)) return;
  need(e, 40);
  e->ptr += format_double(v, e->ptr);
}

static void put_float(jenc *e, float v) {
  if (put_special_double(e, (double)v)) return;
  need(e, 40);
  e->ptr += format_float(v, e->ptr);
}

/* ====================================================================== */
/* Strings                                                                 */
/* ====================================================================== */

/* Writes the escape for one byte; room for 6 bytes is reserved. */
static void put_escape(jenc *e, unsigned char c) {
  static const char hex[] = "0123456789abcdef";
  char *p = e->ptr;
  *p++ = '\\';
  switch (c) {
  case '"': *p++ = '"'; break;
  case '\\': *p++ = '\\'; break;
  case '\b': *p++ = 'b'; break;
  case '\f': *p++ = 'f'; break;
  case '\n': *p++ = 'n'; break;
  case '\r': *p++ = 'r'; break;
  case '\t': *p++ = 't'; break;
  default:
    memcpy(p, "u00", 3);
    p[3] = hex[c >> 4];
    p[4] = hex[c & 15];
    p += 5;
  }
  e->ptr = p;
}

static void check_utf8(jenc *e, const char *s, size_t len) {
  if (EVREC__UNLIKELY(evrec__utf8_valid_prefix(s, len) != len))
    fail(e, EVREC_E_UTF8, "string is not valid UTF-8");
}

/* Writes s[0..len) as a JSON string: plain runs are found and copied in one
 * pass by jsonscan.h's scanner (the decoder's), 16 bytes per step, into the
 * room reserved for the whole rest of the string; everything but '"', '\\'
 * and control characters is copied raw. UTF-8 is checked per run and only
 * for runs with bytes >= 0x80: escaped bytes are ASCII, so no multi-byte
 * sequence spans two runs, and mostly-ASCII text skips a second scan. A
 * failure leaves a partial string, which the caller truncates anyway. */
static void put_escaped(jenc *e, const char *s, size_t len) {
  const char *p = s, *end = s + len;
  need(e, len + 2);
  *e->ptr++ = '"';
  while (p < end) {
    const char *run = p;
    bool hi;
    p = evrec__json_run_copy(p, end, e->ptr, &hi);
    if (hi && !(e->flags & EVREC_JSON_VALID_UTF8)) check_utf8(e, run, (size_t)(p - run));
    e->ptr += p - run;
    if (p < end) {
      need(e, 6 + (size_t)(end - p)); /* the escape, the rest, the quote */
      put_escape(e, (unsigned char)*p++);
    }
  }
  *e->ptr++ = '"';
}

static void put_string(jenc *e, const char *s) {
  if (!s) s = "";
  put_escaped(e, s, strlen(s));
}

/* ====================================================================== */
/* Bytes: standard base64 with padding                                     */
/* ====================================================================== */

static void put_bytes(jenc *e, const ProtobufCBinaryData *b) {
  static const char tab[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const uint8_t *s = b->data;
  size_t n = b->len, i = 0;
  need(e, (n + 2) / 3 * 4 + 2);
  char *p = e->ptr;
  *p++ = '"';
  for (; n - i >= 3; i += 3) {
    uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
    p[0] = tab[v >> 18];
    p[1] = tab[(v >> 12) & 63];
    p[2] = tab[(v >> 6) & 63];
    p[3] = tab[v & 63];
    p += 4;
  }
  if (n - i) {
    uint32_t v = (uint32_t)s[i] << 16 | (n - i == 2 ? (uint32_t)s[i + 1] << 8 : 0);
    p[0] = tab[v >> 18];
    p[1] = tab[(v >> 12) & 63];
    p[2] = n - i == 2 ? tab[(v >> 6) & 63] : '=';
    p[3] = '=';
    p += 4;
  }
  *p++ = '"';
  e->ptr = p;
}

/* ====================================================================== */
/* Enums                                                                   */
/* ====================================================================== */

/* By name; numbers the descriptor does not know (legal in proto3) as
 * integers; google.protobuf.NullValue as null. Like Python's json_format,
 * EVREC_JSON_ENUMS_AS_INTS wins over the NullValue rule. */
static void put_enum(jenc *e, const ProtobufCEnumDescriptor *ed, int32_t v) {
  if (e->flags & EVREC_JSON_ENUMS_AS_INTS) {
    put_i64(e, v, false);
    return;
  }
  if (evrec__is_null_value_enum(ed)) {
    PUT_LIT(e, "null");
    return;
  }
  const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);
  if (ev)
    put_ident(e, ev->name);
  else
    put_i64(e, v, false);
}

/* ====================================================================== */
/* Scratch memory                                                          */
/*                                                                         */
/* Any payloads are decoded, and default instances built, in one arena     */
/* per call. It is reset whenever no scratch object is live, so a long     */
/* repeated Any does not accumulate payloads.                              */
/* ====================================================================== */

static evrec_arena *scratch_get(jenc *e) {
  if (!e->scratch && !(e->scratch = evrec_arena_new(4096)))
    fail(e, EVREC_E_NOMEM, "out of memory");
  e->scratch_users++;
  return e->scratch;
}

static void scratch_put(jenc *e) {
  if (--e->scratch_users == 0) evrec_arena_reset(e->scratch);
}

/* ====================================================================== */
/* Values of a field type                                                  */
/* ====================================================================== */

static void put_message(jenc *e, const ProtobufCMessageDescriptor *d,
                        const ProtobufCMessage *m);

/* One value of field f's type stored at p (a field slot or array element). */
static void put_value(jenc *e, const ProtobufCFieldDescriptor *f, const void *p) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32: put_i64(e, *(const int32_t *)p, false); break;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32: put_u64(e, *(const uint32_t *)p, false); break;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64: put_i64(e, *(const int64_t *)p, true); break;
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64: put_u64(e, *(const uint64_t *)p, true); break;
  case PROTOBUF_C_TYPE_FLOAT: put_float(e, *(const float *)p); break;
  case PROTOBUF_C_TYPE_DOUBLE: put_double(e, *(const double *)p); break;
  case PROTOBUF_C_TYPE_BOOL:
    if (*(const protobuf_c_boolean *)p)
      PUT_LIT(e, "true");
    else
      PUT_LIT(e, "false");
    break;
  case PROTOBUF_C_TYPE_ENUM: put_enum(e, f->descriptor, *(const int32_t *)p); break;
  case PROTOBUF_C_TYPE_STRING: put_string(e, *(char *const *)p); break;
  case PROTOBUF_C_TYPE_BYTES: put_bytes(e, (const ProtobufCBinaryData *)p); break;
  case PROTOBUF_C_TYPE_MESSAGE:
    put_message(e, f->descriptor, *(const ProtobufCMessage *const *)p);
    break;
  }
}

/* A singular (non-repeated, non-oneof) field's value, printed also when
 * absent (EMIT_DEFAULTS, wrappers): as the binary encoding has it, so a
 * -0.0 that pack() drops prints as 0. */
static void put_singular(jenc *e, const ProtobufCMessage *m,
                         const ProtobufCFieldDescriptor *f) {
  const void *p = evrec__field_ptr(m, f);
  if ((f->type == PROTOBUF_C_TYPE_DOUBLE && *(const double *)p == 0) ||
      (f->type == PROTOBUF_C_TYPE_FLOAT && *(const float *)p == 0))
    put_char(e, '0');
  else
    put_value(e, f, p);
}

/* ====================================================================== */
/* Repeated fields and maps                                                */
/* ====================================================================== */

static void put_array(jenc *e, const ProtobufCMessage *m,
                      const ProtobufCFieldDescriptor *f) {
  size_t n = *(const size_t *)evrec__quant_ptr(m, f);
  const char *arr = *(char *const *)evrec__field_ptr(m, f);
  size_t size = evrec__sizeof_type(f->type);
  jframe fr = {e->top, FR_INDEX, NULL, 0, NULL, NULL};
  e->top = &fr;
  open_container(e, '[');
  for (size_t i = 0; i < n; i++) {
    fr.index = i;
    item_sep(e, i);
    put_value(e, f, arr + i * size);
  }
  close_container(e, ']', n);
  e->top = fr.up;
}

/* A map key reduced to something comparable: integers mapped to uint64 in
 * an order-preserving way, strings by pointer; idx breaks ties so that the
 * order is total (and the last duplicate is last). */
typedef struct mkey {
  uint64_t k;
  const char *s;
  size_t idx;
} mkey;

static int mkey_cmp_int(const void *pa, const void *pb) {
  const mkey *a = pa, *b = pb;
  if (a->k != b->k) return a->k < b->k ? -1 : 1;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int mkey_cmp_str(const void *pa, const void *pb) {
  const mkey *a = pa, *b = pb;
  int c = strcmp(a->s, b->s); /* compares as unsigned char: bytewise */
  if (c) return c;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static mkey key_of(const ProtobufCFieldDescriptor *kf, const ProtobufCMessage *entry,
                   size_t idx) {
  mkey k = {0, NULL, idx};
  k.k = evrec__map_key_order(kf, entry, &k.s);
  return k;
}

static bool mkey_same(const mkey *a, const mkey *b) {
  return a->s ? strcmp(a->s, b->s) == 0 : a->k == b->k;
}

/* Pushes the print order of a map's entries on the sort stack: sorted by
 * key, one entry per key (the last). @return the number of entries kept;
 * the array starts at byte offset *off of e->sort. */
static size_t map_order(jenc *e, ProtobufCMessage *const *ents, size_t n,
                        const ProtobufCFieldDescriptor *kf, size_t *off) {
  *off = e->sort.len;
  if (n > (SIZE_MAX - *off) / sizeof(mkey) ||
      !evrec__buf_reserve(&e->sort, n * sizeof(mkey)))
    fail(e, EVREC_E_NOMEM, "out of memory");
  mkey *keys = (mkey *)(void *)(e->sort.data + *off);
  e->sort.len += n * sizeof(mkey);
  int (*cmp)(const void *, const void *) =
      kf->type == PROTOBUF_C_TYPE_STRING ? mkey_cmp_str : mkey_cmp_int;
  bool sorted = true; /* common: maps we decoded from our own JSON */
  for (size_t i = 0; i < n; i++) {
    keys[i] = key_of(kf, ents[i], i);
    if (i && sorted) sorted = cmp(&keys[i - 1], &keys[i]) < 0 && !mkey_same(&keys[i - 1], &keys[i]);
  }
  if (sorted) return n;
  qsort(keys, n, sizeof *keys, cmp);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (i + 1 < n && mkey_same(&keys[i], &keys[i + 1])) continue; /* last wins */
    keys[kept++] = keys[i];
  }
  return kept;
}

/* The key as a JSON object key: always a string. */
static void put_map_key(jenc *e, const ProtobufCFieldDescriptor *kf,
                        const ProtobufCMessage *entry) {
  const void *p = evrec__field_ptr(entry, kf);
  switch (kf->type) {
  case PROTOBUF_C_TYPE_STRING: put_string(e, *(char *const *)p); break;
  case PROTOBUF_C_TYPE_BOOL:
    if (*(const protobuf_c_boolean *)p)
      PUT_LIT(e, "\"true\"");
    else
      PUT_LIT(e, "\"false\"");
    break;
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32: put_i64(e, *(const int32_t *)p, true); break;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32: put_u64(e, *(const uint32_t *)p, true); break;
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64: put_u64(e, *(const uint64_t *)p, true); break;
  default: put_i64(e, *(const int64_t *)p, true); break; /* 64-bit signed */
  }
  key_end(e);
}

/* Prints map field f of m as an object. The entries are those protobuf-c
 * decoded (never NULL), possibly with a key twice when a caller built them;
 * the value of an entry that had none on the wire is
 * NULL, printed as the default instance. */
static void put_map(jenc *e, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  size_t n = *(const size_t *)evrec__quant_ptr(m, f);
  ProtobufCMessage *const *ents = *(ProtobufCMessage *const *const *)evrec__field_ptr(m, f);
  const ProtobufCFieldDescriptor *kf = evrec__map_key(f->descriptor);
  const ProtobufCFieldDescriptor *vf = evrec__map_value(f->descriptor);
  size_t off, kept = map_order(e, ents, n, kf, &off);
  jframe fr = {e->top, FR_KEY, NULL, 0, kf, NULL};
  e->top = &fr;
  open_container(e, '{');
  for (size_t i = 0; i < kept; i++) {
    /* Re-derive: a nested map may have moved the sort stack. */
    const mkey *k = (const mkey *)(const void *)(e->sort.data + off) + i;
    fr.entry = ents[k->idx];
    item_sep(e, i);
    put_map_key(e, kf, fr.entry);
    put_singular(e, fr.entry, vf); /* entry fields are singular fields */
  }
  close_container(e, '}', kept);
  e->top = fr.up;
  e->sort.len = off;
}

/* ====================================================================== */
/* Regular messages                                                        */
/* ====================================================================== */

/* Is a non-repeated, non-oneof field set (not at its default)? */
static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  const void *p = evrec__field_ptr(m, f);
  if (f->label == PROTOBUF_C_LABEL_REQUIRED) return true;
  if (f->type == PROTOBUF_C_TYPE_MESSAGE) return *(const void *const *)p != NULL;
  if (f->label == PROTOBUF_C_LABEL_OPTIONAL) { /* proto2: pointer or has_ flag */
    if (f->type == PROTOBUF_C_TYPE_STRING) return *(const char *const *)p != NULL;
    return *(const protobuf_c_boolean *)evrec__quant_ptr(m, f) != 0;
  }
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING: {
    const char *s = *(const char *const *)p;
    return s && *s;
  }
  case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *)p)->len != 0;
  /* -0.0 == 0: protobuf-c's pack() drops a singular -0.0, so do we. */
  case PROTOBUF_C_TYPE_FLOAT: return *(const float *)p != 0;
  case PROTOBUF_C_TYPE_DOUBLE: return *(const double *)p != 0;
  default: break;
  }
  return evrec__sizeof_type(f->type) == 8 ? *(const uint64_t *)p != 0
                                          : *(const uint32_t *)p != 0;
}

/* A oneof member is set when the case names it -- with protobuf-c's own
 * exception, which we mirror so that JSON and binary agree: pack() skips a
 * string or message member whose pointer is NULL or the default (for "",
 * the shared protobuf_c_empty_string). */
static bool oneof_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  if (*(const uint32_t *)evrec__quant_ptr(m, f) != f->id) return false;
  if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) return true;
  const void *p = *(const void *const *)evrec__field_ptr(m, f);
  return p != NULL && p != f->default_value;
}

/* Whether field f is printed; its value goes out iff it is. */
static bool field_printed(const jenc *e, const ProtobufCMessage *m,
                          const ProtobufCFieldDescriptor *f) {
  if (f->label == PROTOBUF_C_LABEL_REPEATED)
    return *(const size_t *)evrec__quant_ptr(m, f) != 0 ||
           (e->flags & EVREC_JSON_EMIT_DEFAULTS);
  if (evrec__is_oneof(f)) return oneof_present(m, f);
  if (field_present(m, f)) return true;
  /* Like Python's including_default_value_fields: not for messages. */
  return (e->flags & EVREC_JSON_EMIT_DEFAULTS) && f->type != PROTOBUF_C_TYPE_MESSAGE;
}

/* Prints the set fields of m as members of an open object that already
 * holds *count members. */
static void put_fields(jenc *e, const ProtobufCMessage *m, size_t *count) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  jframe fr = {e->top, FR_FIELD, NULL, 0, NULL, NULL};
  e->top = &fr;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (!field_printed(e, m, f)) continue;
    fr.name = f->name;
    item_sep(e, (*count)++);
    put_field_name(e, f);
    if (evrec__is_oneof(f))
      put_value(e, f, evrec__field_ptr(m, f));
    else if (f->label != PROTOBUF_C_LABEL_REPEATED)
      put_singular(e, m, f);
    else if (evrec__field_is_map(f))
      put_map(e, m, f);
    else
      put_array(e, m, f);
  }
  e->top = fr.up;
}

static void put_object(jenc *e, const ProtobufCMessage *m) {
  size_t count = 0;
  open_container(e, '{');
  put_fields(e, m, &count);
  close_container(e, '}', count);
}

/* ====================================================================== */
/* Well-known types: helpers                                               */
/*                                                                         */
/* Fields are found by number through the descriptor rather than through   */
/* our generated structs, so any copy of the WKTs' generated code works.   */
/* ====================================================================== */

static const ProtobufCFieldDescriptor *wkt_field(jenc *e, const ProtobufCMessage *m,
                                                 unsigned id) {
  const ProtobufCFieldDescriptor *f = evrec__wkt_field(m->descriptor, id);
  if (!f) fail(e, EVREC_E_SCHEMA, "%s has no field %u", m->descriptor->name, id);
  return f;
}

static const void *wkt_ptr(jenc *e, const ProtobufCMessage *m, unsigned id) {
  return evrec__field_ptr(m, wkt_field(e, m, id));
}

/* ".021", ".000021", ".000000021" or nothing: 0, 3, 6 or 9 digits, the
 * fewest that are exact, as Google prints them. Writes into p; returns end. */
static char *put_nanos(char *p, int32_t nanos) {
  int digits = 9;
  if (nanos == 0) return p;
  if (nanos % 1000000 == 0) {
    nanos /= 1000000;
    digits = 3;
  } else if (nanos % 1000 == 0) {
    nanos /= 1000;
    digits = 6;
  }
  *p++ = '.';
  for (int i = digits - 1; i >= 0; i--, nanos /= 10) p[i] = (char)('0' + nanos % 10);
  return p + digits;
}

static char *put_2digits(char *p, int v) {
  p[0] = (char)('0' + v / 10);
  p[1] = (char)('0' + v % 10);
  return p + 2;
}

/* ====================================================================== */
/* Timestamp and Duration                                                  */
/* ====================================================================== */

/* Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
 * civil_from_days). */
static void civil_from_days(int64_t z, int *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* "1972-01-01T10:00:20.021Z": UTC, 'Z', 0/3/6/9 fraction digits. */
static void put_timestamp(jenc *e, const ProtobufCMessage *m) {
  int64_t s = *(const int64_t *)wkt_ptr(e, m, 1);
  int32_t nanos = *(const int32_t *)wkt_ptr(e, m, 2);
  if (s < TS_SECONDS_MIN || s > TS_SECONDS_MAX)
    fail(e, EVREC_E_RANGE, "Timestamp seconds %" PRId64 " outside 0001-01-01..9999-12-31", s);
  if (nanos < 0 || nanos > NANOS_MAX)
    fail(e, EVREC_E_RANGE, "Timestamp nanos %" PRId32 " outside 0..999999999", nanos);
  int64_t days = (s >= 0 ? s : s - 86399) / 86400, sod = s - days * 86400;
  int y, mo, d;
  civil_from_days(days, &y, &mo, &d);
  need(e, 34);
  char *p = e->ptr;
  *p++ = '"';
  p = put_2digits(p, y / 100);
  p = put_2digits(p, y % 100);
  *p++ = '-';
  p = put_2digits(p, mo);
  *p++ = '-';
  p = put_2digits(p, d);
  *p++ = 'T';
  p = put_2digits(p, (int)(sod / 3600));
  *p++ = ':';
  p = put_2digits(p, (int)(sod / 60 % 60));
  *p++ = ':';
  p = put_2digits(p, (int)(sod % 60));
  p = put_nanos(p, nanos);
  memcpy(p, "Z\"", 2);
  e->ptr = p + 2;
}

/* "1.000340012s", "-0.500s": seconds and nanos must agree in sign. */
static void put_duration(jenc *e, const ProtobufCMessage *m) {
  int64_t s = *(const int64_t *)wkt_ptr(e, m, 1);
  int32_t nanos = *(const int32_t *)wkt_ptr(e, m, 2);
  if (s < -DUR_SECONDS_MAX || s > DUR_SECONDS_MAX)
    fail(e, EVREC_E_RANGE, "Duration seconds %" PRId64 " outside +-315576000000", s);
  if (nanos < -NANOS_MAX || nanos > NANOS_MAX)
    fail(e, EVREC_E_RANGE, "Duration nanos %" PRId32 " outside +-999999999", nanos);
  if ((s < 0 && nanos > 0) || (s > 0 && nanos < 0))
    fail(e, EVREC_E_RANGE, "Duration seconds and nanos differ in sign");
  bool neg = s < 0 || nanos < 0;
  char tmp[24], *digits = u64_digits(tmp + sizeof tmp, neg ? 0 - (uint64_t)s : (uint64_t)s);
  size_t n = (size_t)(tmp + sizeof tmp - digits);
  need(e, n + 16);
  char *p = e->ptr;
  *p++ = '"';
  if (neg) *p++ = '-';
  memcpy(p, digits, n);
  p = put_nanos(p + n, neg ? -nanos : nanos);
  memcpy(p, "s\"", 2);
  e->ptr = p + 2;
}

/* ====================================================================== */
/* FieldMask                                                               */
/* ====================================================================== */

/* Python's rule for a path that survives snake_case -> camelCase -> back:
 * no upper-case letters, every '_' followed by a lower-case letter; nor may
 * it hold ',', the separator. Nor may it be empty: our decoder refuses an
 * empty path (",a"; json_format keeps it as ["", "a"], but it names no
 * field), and a lone one would read back as [] anyway. */
static void check_mask_path(jenc *e, const char *s, size_t n_paths) {
  if (!*s && n_paths == 1) fail(e, EVREC_E_RANGE, "FieldMask has one path and it is empty");
  if (!*s) fail(e, EVREC_E_RANGE, "FieldMask path is empty, which JSON cannot carry");
  for (; *s; s++) {
    if ((*s >= 'A' && *s <= 'Z') || *s == ',')
      fail(e, EVREC_E_RANGE, "FieldMask path has '%c', which JSON cannot carry", *s);
    if (*s == '_' && !(s[1] >= 'a' && s[1] <= 'z'))
      fail(e, EVREC_E_RANGE, "FieldMask path has '_' not followed by a lower-case letter");
  }
}

/* Appends path s in lowerCamelCase, escaped (paths may hold any text). */
static void put_mask_path(jenc *e, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    need(e, 6);
    if (c == '_') {
      *e->ptr++ = (char)(*++s - 'a' + 'A'); /* checked: a lower-case letter */
    } else if (evrec__json_stop_byte(c)) {
      put_escape(e, c);
    } else {
      *e->ptr++ = (char)c;
    }
  }
}

/* "fooBar,baz.quxQuux" */
static void put_field_mask(jenc *e, const ProtobufCMessage *m) {
  const ProtobufCFieldDescriptor *f = wkt_field(e, m, 1);
  size_t n = *(const size_t *)evrec__quant_ptr(m, f);
  char *const *paths = *(char *const *const *)evrec__field_ptr(m, f);
  jframe fr = {e->top, FR_INDEX, NULL, 0, NULL, NULL};
  e->top = &fr;
  put_char(e, '"');
  for (size_t i = 0; i < n; i++) {
    const char *s = paths[i] ? paths[i] : "";
    fr.index = i;
    check_utf8(e, s, strlen(s));
    check_mask_path(e, s, n);
    if (i) put_char(e, ',');
    put_mask_path(e, s);
  }
  put_char(e, '"');
  e->top = fr.up;
}

/* ====================================================================== */
/* Struct, Value, ListValue                                                */
/* ====================================================================== */

/* Struct: its map<string, Value> `fields` as the object itself. */
static void put_struct(jenc *e, const ProtobufCMessage *m) {
  put_map(e, m, wkt_field(e, m, 1));
}

/* ListValue: its repeated Value `values` as the array itself. */
static void put_list_value(jenc *e, const ProtobufCMessage *m) {
  put_array(e, m, wkt_field(e, m, 1));
}

/* Value: the JSON value its `kind` oneof holds. A Value without kind has no
 * JSON form (Python prints null, which reads back as null_value: a
 * different message), nor have NaN and infinities (JSON has no such
 * numbers; "NaN" would read back as a string_value). */
static void put_value_wkt(jenc *e, const ProtobufCMessage *m) {
  const ProtobufCFieldDescriptor *f1 = wkt_field(e, m, 1);
  uint32_t kind = *(const uint32_t *)evrec__quant_ptr(m, f1);
  const ProtobufCFieldDescriptor *f = kind ? wkt_field(e, m, kind) : NULL;
  if (!f || !oneof_present(m, f))
    fail(e, EVREC_E_SCHEMA, "google.protobuf.Value has no kind set");
  const void *p = evrec__field_ptr(m, f);
  if (kind == 1) { /* null_value: null whatever the enum flags say */
    PUT_LIT(e, "null");
    return;
  }
  if (f->type == PROTOBUF_C_TYPE_DOUBLE && !isfinite(*(const double *)p))
    fail(e, EVREC_E_RANGE, "google.protobuf.Value number is NaN or infinite");
  put_value(e, f, p);
}

/* ====================================================================== */
/* Any                                                                     */
/* ====================================================================== */

/* An Any whose value is not a valid payload of its type: the decoder's
 * status and message, its path continuing the Any's. */
static _Noreturn void fail_payload(jenc *e, int rc, const ProtobufCMessageDescriptor *t,
                                   const evrec_error *sub) {
  if (rc == EVREC_E_NOMEM) fail(e, rc, "out of memory");
  if (e->err) {
    evrec__fieldpath p;
    evrec__err(e->err, rc, "Any value is not a valid %s: %s", t->name, sub->message);
    evrec__fieldpath_init(&p);
    evrec__fieldpath_text(&p, sub->path);
    path_steps(e, &p);
    evrec__fieldpath_get(&p, e->err->path);
  }
  e->status = rc;
  longjmp(e->jmp, 1);
}

/* {"@type": url, fields of the payload...}, or {"@type": url, "value": x}
 * when the payload is a well-known type with a special form (not Empty:
 * Google's parsers reject "value" there); {} for an empty Any. */
static void put_any(jenc *e, const ProtobufCMessage *m) {
  const char *url = *(char *const *)wkt_ptr(e, m, 1);
  const ProtobufCBinaryData *val = wkt_ptr(e, m, 2);
  if (!url) url = "";
  if (!*url && val->len == 0) {
    PUT_LIT(e, "{}");
    return;
  }
  check_utf8(e, url, strlen(url)); /* before it goes into a message */
  const char *slash = strrchr(url, '/'), *name = slash ? slash + 1 : url;
  const ProtobufCMessageDescriptor *t = evrec__find_type(
      name, strlen(name), e->opts->types, e->opts->any_types, e->opts->n_any_types);
  if (!t) {
    char q[112];
    evrec__quote(q, sizeof q, url, strlen(url), 100);
    fail(e, EVREC_E_UNSUPPORTED, "Any type %s is unknown", q);
  }
  evrec_error sub;
  ProtobufCMessage *payload = NULL;
  int rc = evrec__pb_decode_ex(&payload, t, val->data, val->len, scratch_get(e), SIZE_MAX,
                               e->err ? &sub : NULL);
  if (rc) fail_payload(e, rc, t, &sub);
  size_t count = 1;
  open_container(e, '{');
  item_sep(e, 0);
  PUT_LIT(e, "\"@type\"");
  key_end(e);
  put_string(e, url);
  /* The payload was opaque bytes until now, whatever the caller vouched
   * for; evrec__pb_decode_ex() has just checked its strings. */
  unsigned flags = e->flags;
  e->flags |= EVREC_JSON_VALID_UTF8;
  evrec__wkt w = evrec__wkt_of(t);
  if (w != EVREC__WKT_NONE && w != EVREC__WKT_EMPTY) { /* Empty is a plain {} */
    item_sep(e, count++);
    PUT_LIT(e, "\"value\"");
    key_end(e);
    put_message(e, t, payload);
  } else {
    put_fields(e, payload, &count);
  }
  e->flags = flags;
  close_container(e, '}', count);
  scratch_put(e);
}

/* ====================================================================== */
/* Message dispatch                                                        */
/* ====================================================================== */

static void put_known(jenc *e, evrec__wkt w, const ProtobufCMessage *m) {
  switch (w) {
  case EVREC__WKT_ANY: put_any(e, m); break;
  case EVREC__WKT_TIMESTAMP: put_timestamp(e, m); break;
  case EVREC__WKT_DURATION: put_duration(e, m); break;
  case EVREC__WKT_FIELD_MASK: put_field_mask(e, m); break;
  case EVREC__WKT_STRUCT: put_struct(e, m); break;
  case EVREC__WKT_VALUE: put_value_wkt(e, m); break;
  case EVREC__WKT_LIST_VALUE: put_list_value(e, m); break;
  case EVREC__WKT_NONE:
  case EVREC__WKT_EMPTY: put_object(e, m); break;
  default: /* wrappers: the bare value, even at its default */
    put_singular(e, m, wkt_field(e, m, 1));
    break;
  }
}

/* Prints message m of type d; NULL (an absent map value or array element)
 * prints as the default instance, built in scratch memory. */
static void put_message(jenc *e, const ProtobufCMessageDescriptor *d,
                        const ProtobufCMessage *m) {
  if (EVREC__LIKELY(m != NULL)) {
    put_known(e, evrec__wkt_of(d), m);
    return;
  }
  ProtobufCMessage *def = evrec__arena_alloc(scratch_get(e), d->sizeof_message);
  if (!def) fail(e, EVREC_E_NOMEM, "out of memory");
  d->message_init(def);
  put_known(e, evrec__wkt_of(d), def);
  scratch_put(e);
}

/* ====================================================================== */
/* Error paths                                                             */
/* ====================================================================== */

/* The path of the innermost frame into out (fieldpath.h's form). Map keys
 * appear as the JSON object keys they are printed as: ["key"], ["-5"],
 * ["true"]. */
static void path_build(const jenc *e, char *out) {
  evrec__fieldpath p;
  evrec__fieldpath_init(&p);
  path_steps(e, &p);
  evrec__fieldpath_get(&p, out);
}

/* Adds the steps of the frames, innermost first. */
static void path_steps(const jenc *e, evrec__fieldpath *p) {
  for (const jframe *fr = e->top; fr; fr = fr->up) {
    if (fr->kind == FR_INDEX) {
      evrec__fieldpath_index(p, fr->index);
    } else if (fr->kind == FR_FIELD) {
      evrec__fieldpath_field(p, fr->name, (e->flags & EVREC_JSON_PROTO_NAMES) != 0);
    } else if (fr->entry) { /* FR_KEY of a map entered */
      mkey k = key_of(fr->key, fr->entry, 0);
      switch (fr->key->type) {
      case PROTOBUF_C_TYPE_STRING: evrec__fieldpath_key(p, k.s, strlen(k.s)); break;
      case PROTOBUF_C_TYPE_BOOL: evrec__fieldpath_key_bool(p, k.k != 0); break;
      case PROTOBUF_C_TYPE_UINT32:
      case PROTOBUF_C_TYPE_FIXED32:
      case PROTOBUF_C_TYPE_UINT64:
      case PROTOBUF_C_TYPE_FIXED64: evrec__fieldpath_key_u64(p, k.k); break;
      default: evrec__fieldpath_key_i64(p, (int64_t)(k.k ^ EVREC__MAP_KEY_FLIP)); break;
      }
    }
  }
}

/* ====================================================================== */
/* Entry points                                                            */
/* ====================================================================== */

static int check_args(const ProtobufCMessage *msg, const evrec_json_encode_options *o,
                      evrec_error *err) {
  if (!msg || !msg->descriptor ||
      msg->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
    return evrec__err(err, EVREC_E_INVALID_ARG, "message is NULL or has no descriptor");
  if (o->version == 0 || o->version > EVREC_JSON_ENCODE_OPTIONS_VERSION)
    return evrec__err(err, EVREC_E_INVALID_ARG, "unknown encode options version %u",
                      o->version);
  if (o->flags & ~JENC_ALL_FLAGS)
    return evrec__err(err, EVREC_E_INVALID_ARG, "unknown encode flags 0x%x",
                      o->flags & ~JENC_ALL_FLAGS);
  if (o->n_any_types && !o->any_types)
    return evrec__err(err, EVREC_E_INVALID_ARG, "any_types is NULL but n_any_types > 0");
  return EVREC_OK;
}

/* The one setjmp: every error in the walk lands here with e->status. */
static int jenc_run(jenc *e, const ProtobufCMessage *msg) {
  if (setjmp(e->jmp) != 0) return e->status;
  cursor_init(e);
  put_message(e, msg->descriptor, msg);
  e->out->len = (size_t)(e->ptr - e->out->data);
  return EVREC_OK;
}

int evrec__json_encode_buf(evrec__buf *out, const ProtobufCMessage *msg,
                           const evrec_json_encode_options *opts, evrec__jnames *names,
                           evrec_error *err) {
  static const evrec_json_encode_options defaults = EVREC_JSON_ENCODE_OPTIONS_INIT;
  evrec_json_encode_options older; /* an older version's fields, defaults for the rest */
  if (!opts) opts = &defaults;
  if (opts->version != EVREC_JSON_ENCODE_OPTIONS_VERSION) {
    int rc = evrec__json_encode_options_get(&older, opts, err);
    if (rc) return rc;
    opts = &older;
  }
  int rc = check_args(msg, opts, err);
  if (rc) return rc;
  jenc e;
  memset(&e, 0, sizeof e);
  e.out = out;
  e.opts = opts;
  e.flags = opts->flags;
  e.pretty = (opts->flags & EVREC_JSON_PRETTY) != 0;
  e.err = err;
  e.names = names;
  evrec__buf_init(&e.sort);
  size_t start = out->len;
  rc = jenc_run(&e, msg);
  if (rc) out->len = start; /* drop the partial encoding */
  evrec_arena_free(e.scratch);
  evrec__buf_free(&e.sort);
  return rc;
}

int evrec_json_encode(char *buf, size_t size, size_t *out_len,
                      const ProtobufCMessage *msg, const evrec_json_encode_options *opts,
                      evrec_error *err) {
  if (out_len) *out_len = 0;
  if (!buf && size)
    return evrec__err(err, EVREC_E_INVALID_ARG, "buf is NULL but size is %zu", size);
  evrec__buf b;
  evrec__buf_init(&b);
  int rc = evrec__json_encode_buf(&b, msg, opts, NULL, err);
  if (rc == EVREC_OK) {
    if (out_len) *out_len = b.len;
    if (size) {
      size_t n = b.len < size ? b.len : size - 1;
      memcpy(buf, b.data, n);
      buf[n] = '\0';
    }
  } else if (size) {
    buf[0] = '\0';
  }
  evrec__buf_free(&b);
  return rc;
}

int evrec_json_encode_alloc(char **out, size_t *out_len, const ProtobufCMessage *msg,
                            const evrec_json_encode_options *opts, evrec_error *err) {
  if (out_len) *out_len = 0;
  if (!out) return evrec__err(err, EVREC_E_INVALID_ARG, "out is NULL");
  *out = NULL;
  evrec__buf b;
  evrec__buf_init(&b);
  int rc = evrec__json_encode_buf(&b, msg, opts, NULL, err);
  if (rc == EVREC_OK && !evrec__buf_cstr(&b))
    rc = evrec__err(err, EVREC_E_NOMEM, "out of memory");
  if (rc) {
    evrec__buf_free(&b);
    return rc;
  }
  *out = b.data;
  if (out_len) *out_len = b.len;
  return EVREC_OK;
}
