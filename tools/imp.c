/*
 * imp.c -- the shared machinery of import/export (see imp.h): messages,
 * building records in the arena, parsing numbers, dates and times, URLs,
 * and walking/building google.protobuf.Struct trees.
 *
 * Numbers are parsed without strtod's locale: a decimal with at most 19
 * significant digits and a power of ten within 10^22 is exact in one IEEE
 * multiplication or division (Clinger's fast path), which covers every
 * value the sources hold ("-5.12820512820512", "44.8169"); other numbers go
 * through strtod on a copy whose '.' is the C locale's decimal point.
 */
#include <ctype.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "imp.h"
#include "imp_wire.h"

/* ====================================================================== */
/* Messages                                                               */
/* ====================================================================== */

/* A message is several stdio calls; a GDELT import's writing thread
 * (import_gdelt.c) may report while the reading one does, so each message
 * holds stderr's lock (flockfile) from its first byte to its newline. */

/* "FILE:LINE: " or "FILE: record N (ID): " */
static void where(const imp *m) {
  fprintf(stderr, "evrec: %s", m->file ? m->file : "<input>");
  if (m->line) fprintf(stderr, ":%llu", (unsigned long long)m->line);
  fputs(": ", stderr);
  if (m->item) {
    fprintf(stderr, "record %llu", (unsigned long long)m->item);
    if (m->item_id && m->item_id[0]) fprintf(stderr, " (%s)", m->item_id);
    fputs(": ", stderr);
  }
}

static int bad_end(imp *m) {
  m->n_bad++;
  if (m->skip_bad) return 0;
  m->status = CLI_EXIT_INVALID;
  return IMP_STOP;
}

int imp_bad(imp *m, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  flockfile(stderr);
  where(m);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  funlockfile(stderr);
  va_end(ap);
  return bad_end(m);
}

int imp_bad_col(imp *m, unsigned col, const char *name, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  flockfile(stderr);
  where(m);
  fprintf(stderr, "column %u (%s): ", col, name);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  funlockfile(stderr);
  va_end(ap);
  return bad_end(m);
}

void imp_warn(imp *m, const char *fmt, ...) {
  m->n_warnings++;
  if (m->quiet) return;
  va_list ap;
  va_start(ap, fmt);
  flockfile(stderr);
  where(m);
  fputs("warning: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  funlockfile(stderr);
  va_end(ap);
}

int imp_fail(imp *m, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  flockfile(stderr);
  fputs("evrec: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  funlockfile(stderr);
  va_end(ap);
  m->status = CLI_EXIT_USAGE;
  return IMP_STOP;
}

/* ====================================================================== */
/* Building                                                               */
/* ====================================================================== */

void imp_discard(imp *m) {
  evrec_arena_reset(m->arena);
  m->oom = false;
  /* it may point into the arena (a record's id), and a message after this
   * record is about the next one: a ClaimReview @graph's next element named
   * the freed id (found by tests/fuzz/fuzz_import.c) */
  m->item_id = NULL;
}

int imp_start(imp *m, const char *output, const evrec_writer_options *wo) {
  evrec_error err;
  m->out_name = cli_display_name(output, true);
  m->arena = evrec_arena_new(0);
  if (!m->arena) return cli_error("out of memory"), CLI_EXIT_USAGE;
  m->alloc = evrec_arena_allocator(m->arena);
  if (evrec_writer_open_file(&m->w, output, wo, &err) != EVREC_OK) {
    cli_report(m->out_name, &err);
    evrec_arena_free(m->arena);
    m->arena = NULL;
    return CLI_EXIT_USAGE;
  }
  return 0;
}

int imp_finish(imp *m, const char *output, int status) {
  evrec_error err;
  if (status != CLI_EXIT_OK) {
    if (strcmp(output, "-") == 0) {
      if (evrec_writer_close(m->w, NULL) != EVREC_OK) {
        /* keep what stdout already got; the run has failed already */
      }
    } else {
      evrec_writer_abort(m->w); /* no partial file; an existing one stays */
    }
  } else if (evrec_writer_close(m->w, &err) != EVREC_OK) {
    cli_report(m->out_name, &err);
    status = CLI_EXIT_USAGE;
  }
  m->w = NULL;
  evrec_arena_free(m->arena);
  m->arena = NULL;
  return status;
}

/* After the writer took (rc 0) or refused a record. */
static int emitted(imp *m, int rc, evrec_error *err) {
  imp_discard(m);
  if (rc == EVREC_OK) {
    m->n_records++;
    return 0;
  }
  if (err->code == EVREC_E_IO || err->code == EVREC_E_NOMEM) {
    flockfile(stderr);
    cli_report(m->out_name, err);
    funlockfile(stderr);
    m->status = CLI_EXIT_USAGE;
    return IMP_STOP;
  }
  err->record = EVREC_UNKNOWN; /* a record we built: blame the input position */
  return imp_bad(m, "cannot write the record: %s%s%s", err->message, err->path[0] ? " at " : "",
                 err->path);
}

int imp_emit(imp *m, ev_record *r) {
  evrec_error err;
  if (m->oom) {
    imp_discard(m);
    return imp_fail(m, "out of memory");
  }
  return emitted(m, evrec_writer_write(m->w, &r->base, &err), &err);
}

int imp_emit_packed(imp *m, const evrec__buf *r) {
  evrec_error err;
  if (m->oom || r->oom) {
    imp_discard(m);
    return imp_fail(m, "out of memory");
  }
  int rc = evrec__writer_write_packed(m->w, &evrec__v1__record__descriptor, r->data, r->len, &err);
  return emitted(m, rc, &err);
}

evrec__buf *imp_packed_begin(imp *m, size_t *mark) {
  return m->oom ? NULL : evrec__writer_packed_begin(m->w, mark);
}

int imp_packed_end(imp *m, size_t mark) {
  evrec_error err;
  if (m->oom) {
    imp_discard(m);
    int rc = evrec__writer_packed_end(m->w, mark, false, &err);
    return rc ? emitted(m, rc, &err) : imp_fail(m, "out of memory");
  }
  return emitted(m, evrec__writer_packed_end(m->w, mark, true, &err), &err);
}

void wire_start(wire *w, evrec__buf *b) {
  w->b = b;
  w->p = w->end = NULL;
  if (b->data && !b->oom) {
    w->p = (uint8_t *)b->data + b->len;
    w->end = (uint8_t *)b->data + b->cap - 1; /* buf.c keeps a byte for a NUL */
  }
}

void wire_finish(wire *w) {
  if (w->p) w->b->len = (size_t)(w->p - (uint8_t *)w->b->data);
}

/* Room for n bytes and some more: one growth serves many fields. */
bool wire_grow(wire *w, size_t n) {
  evrec__buf *b = w->b;
  wire_finish(w);
  if (n > SIZE_MAX / 2 || !evrec__buf_reserve(b, n + 1024)) {
    b->oom = true;
    w->p = w->end = NULL;
    return false;
  }
  wire_start(w, b);
  return true;
}

void wire_close_long(wire *w, size_t at, size_t len) {
  uint8_t prefix[EVREC__VARINT_MAX];
  size_t h = (size_t)(wire_varint_at(prefix, len) - prefix);
  if (!wire_room(w, h - 1)) return;
  uint8_t *slot = (uint8_t *)w->b->data + at;
  memmove(slot + h, slot + 1, len);
  memcpy(slot, prefix, h);
  w->p += h - 1;
}

void *imp_alloc(imp *m, size_t size) {
  void *p = m->alloc->alloc(m->alloc->allocator_data, size ? size : 1);
  if (!p) m->oom = true;
  return p;
}

void *imp_new(imp *m, const ProtobufCMessageDescriptor *d) {
  ProtobufCMessage *msg = imp_alloc(m, d->sizeof_message);
  if (msg) d->message_init(msg);
  return msg;
}

char *imp_strn(imp *m, const char *s, size_t n) {
  char *p = imp_alloc(m, n + 1);
  if (!p) return (char *)protobuf_c_empty_string;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *imp_str(imp *m, const char *s) { return imp_strn(m, s, strlen(s)); }

char *imp_printf(imp *m, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return (char *)protobuf_c_empty_string;
  char *p = imp_alloc(m, (size_t)n + 1);
  if (!p) return (char *)protobuf_c_empty_string;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

size_t imp_u64_dec(char *out, uint64_t n) {
  char digits[20];
  size_t k = 0;
  do digits[k++] = (char)('0' + n % 10); while ((n /= 10) > 0);
  for (size_t i = 0; i < k; i++) out[i] = digits[k - 1 - i];
  return k;
}

char *imp_numbered(imp *m, const char *prefix, uint64_t n) {
  size_t plen = strlen(prefix);
  char *p = imp_alloc(m, plen + 21);
  if (!p) return (char *)protobuf_c_empty_string;
  memcpy(p, prefix, plen);
  p[plen + imp_u64_dec(p + plen, n)] = '\0';
  return p;
}

void *imp_grow_to(imp *m, void *arr, size_t n, size_t size) {
  size_t cap = n ? 2 * n : 1;
  char *p = imp_alloc(m, cap * size);
  if (!p) return NULL;
  if (n) memcpy(p, arr, n * size);
  return p;
}

/* The map field `field` of msg: count and array by offset (no aliasing of
 * typed pointers: the array pointer is moved with memcpy). */
static const ProtobufCFieldDescriptor *map_field(const ProtobufCMessage *msg, const char *field) {
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, field);
  return f && f->label == PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE ? f
                                                                                          : NULL;
}

/* Fields of protobuf-c messages, by offset: the structs align them, so the
 * casts go through void * (clang's -Wcast-align flags char * -> T *). */
static char **entry_str(void *entry, const ProtobufCMessageDescriptor *ed, unsigned i) {
  return (char **)(void *)((char *)entry + ed->fields[i].offset);
}

static void map_put_field(imp *m, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
                          const char *key, const char *value, bool copy) {
  const ProtobufCMessageDescriptor *ed = f->descriptor;
  size_t *n = (size_t *)(void *)((char *)msg + f->quantifier_offset);
  void **arr;
  memcpy(&arr, (char *)msg + f->offset, sizeof arr);
  for (size_t i = 0; i < *n; i++)
    if (strcmp(*entry_str(arr[i], ed, 0), key) == 0) {
      *entry_str(arr[i], ed, 1) = copy ? imp_str(m, value) : (char *)value;
      return;
    }
  void *entry = imp_new(m, ed);
  void **grown = imp_grow(m, arr, *n, sizeof *arr);
  if (!entry || !grown) return;
  *entry_str(entry, ed, 0) = copy ? imp_str(m, key) : (char *)key;
  *entry_str(entry, ed, 1) = copy ? imp_str(m, value) : (char *)value;
  grown[(*n)++] = entry;
  memcpy((char *)msg + f->offset, &grown, sizeof grown);
}

void imp_map_set(imp *m, ProtobufCMessage *msg, const char *field, const char *key,
                 const char *value) {
  const ProtobufCFieldDescriptor *f = map_field(msg, field);
  if (f) map_put_field(m, msg, f, key, value, true);
}

/* imp_map_set() on `extensions`, with its field descriptor remembered per
 * message type (looking it up by name is a binary search per call). */
static void ext_put(imp *m, void *msg, const char *key, const char *value, bool copy) {
  const ProtobufCMessageDescriptor *d = ((ProtobufCMessage *)msg)->descriptor;
  const ProtobufCFieldDescriptor *f = NULL;
  for (int i = 0; i < 4 && !f; i++)
    if (m->ext_type[i] == d) f = m->ext_field[i];
  if (!f) {
    f = map_field(msg, "extensions");
    if (!f) return;
    memmove(m->ext_type + 1, m->ext_type, 3 * sizeof *m->ext_type);
    memmove(m->ext_field + 1, m->ext_field, 3 * sizeof *m->ext_field);
    m->ext_type[0] = d;
    m->ext_field[0] = f;
  }
  map_put_field(m, msg, f, key, value, copy);
}

void imp_ext(imp *m, void *msg, const char *key, const char *value) {
  ext_put(m, msg, key, value, true);
}

void imp_ext_ref(imp *m, void *msg, const char *key, const char *value) {
  ext_put(m, msg, key, value, false);
}

const char *imp_map_get(const ProtobufCMessage *msg, const char *field, const char *key) {
  const ProtobufCFieldDescriptor *f = map_field(msg, field);
  if (!f) return NULL;
  size_t n = *(const size_t *)(const void *)((const char *)msg + f->quantifier_offset);
  void **arr;
  memcpy(&arr, (const char *)msg + f->offset, sizeof arr);
  for (size_t i = 0; i < n; i++)
    if (strcmp(*entry_str(arr[i], f->descriptor, 0), key) == 0)
      return *entry_str(arr[i], f->descriptor, 1);
  return NULL;
}

Google__Protobuf__Timestamp *imp_timestamp(imp *m, int64_t seconds, int32_t nanos) {
  Google__Protobuf__Timestamp *t = imp_new(m, &google__protobuf__timestamp__descriptor);
  if (t) {
    t->seconds = seconds;
    t->nanos = nanos;
  }
  return t;
}

Google__Protobuf__DoubleValue *imp_double(imp *m, double v) {
  Google__Protobuf__DoubleValue *w = imp_new(m, &google__protobuf__double_value__descriptor);
  if (w) w->value = v;
  return w;
}

Google__Protobuf__UInt32Value *imp_uint32(imp *m, uint32_t v) {
  Google__Protobuf__UInt32Value *w = imp_new(m, &google__protobuf__uint32_value__descriptor);
  if (w) w->value = v;
  return w;
}

ev_span *imp_span(imp *m, uint32_t start, uint32_t end) {
  ev_span *s = imp_new(m, &evrec__v1__span__descriptor);
  if (s) {
    s->start = start;
    s->end = end;
  }
  return s;
}

ev_extid *imp_extid(imp *m, const char *scheme, const char *value) {
  ev_extid *x = imp_new(m, &evrec__v1__external_id__descriptor);
  if (x) {
    x->scheme = imp_str(m, scheme);
    x->value = imp_str(m, value);
  }
  return x;
}

ev_code *imp_code(imp *m, const char *scheme, const char *code, const char *label) {
  ev_code *c = imp_new(m, &evrec__v1__code__descriptor);
  if (c) {
    c->scheme = imp_str(m, scheme);
    c->code = imp_str(m, code);
    if (label) c->label = imp_str(m, label);
  }
  return c;
}

/* ====================================================================== */
/* Numbers                                                                */
/* ====================================================================== */

/* isdigit() without the locale table (a call per byte in glibc). */
static inline bool dec_digit(char c) { return (unsigned char)(c - '0') < 10; }

/* Up to 16 digits are read 8 at a time (SWAR, as simdjson and fast_float
 * do): a field's bytes are loaded into a little-endian word (s[0] in the
 * lowest byte), checked for digits with one test and converted with three
 * multiplications, where a loop spends about eight instructions a digit.
 * Nothing outside s[0..n) is read. */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS (ONES * 0x80)
#define ASCII_ZEROS (ONES * '0')

static const uint64_t POW10_U64[] = {1,      10,      100,      1000,     10000,
                                     100000, 1000000, 10000000, 100000000};

/* s[0..n), n <= 8, as a little-endian word, zeros above. */
static inline uint64_t load_le(const char *s, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (n >= 4) { /* two 4-byte loads that overlap when n < 8 */
    uint32_t lo, hi;
    memcpy(&lo, s, 4);
    memcpy(&hi, s + n - 4, 4);
    return lo | (uint64_t)hi << (8 * (n - 4));
  }
  if (!n) return 0;
  return (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[n / 2] << (8 * (n / 2)) |
         (uint64_t)(unsigned char)s[n - 1] << (8 * (n - 1));
#else
  uint64_t w = 0;
  for (size_t i = n; i-- > 0;) w = w << 8 | (unsigned char)s[i];
  return w;
#endif
}

/* The value of the n decimal digits (1 <= n <= 8) in w's low n bytes
 * (the first one lowest), or false when one of them is not a digit. */
static inline bool swar_digits(uint64_t w, size_t n, uint64_t *out) {
  const uint64_t F0 = ONES * 0xF0;
  /* right-aligned, with '0's in front: the bytes above n are zero */
  w = w << (64 - 8 * n) | (ASCII_ZEROS & ~(~UINT64_C(0) << (64 - 8 * n)));
  if (((w & F0) | (((w + ONES * 6) & F0) >> 4)) != ONES * 0x33) return false;
  w -= ASCII_ZEROS;
  w = w * 10 + (w >> 8); /* pairs of digits */
  const uint64_t M = UINT64_C(0x000000FF000000FF);
  *out = ((w & M) * (100 + (UINT64_C(1000000) << 32)) +
          ((w >> 16) & M) * (1 + (UINT64_C(10000) << 32))) >> 32;
  return true;
}

/* The value of n <= 16 decimal digits, or false. */
static inline bool swar_digits16(const char *s, size_t n, uint64_t *out) {
  size_t h = n < 8 ? n : 8;
  uint64_t lo;
  if (!swar_digits(load_le(s, h), h, &lo)) return false;
  if (n > 8) {
    uint64_t hi;
    if (!swar_digits(load_le(s + 8, n - 8), n - 8, &hi)) return false;
    lo = lo * POW10_U64[n - 8] + hi;
  }
  *out = lo;
  return true;
}

bool imp_parse_u64(const char *s, size_t n, uint64_t *out) {
  uint64_t v = 0;
  if (n == 0 || n > 20) return false;
  if (n <= 16) return swar_digits16(s, n, out);
  size_t safe = n < 19 ? n : 19; /* 19 digits cannot overflow */
  for (size_t i = 0; i < safe; i++) {
    unsigned d = (unsigned char)s[i] - '0';
    if (d > 9) return false;
    v = v * 10 + d;
  }
  if (n == 20) {
    unsigned d = (unsigned char)s[19] - '0';
    if (d > 9 || v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool imp_parse_i64(const char *s, size_t n, int64_t *out) {
  bool neg = n && s[0] == '-';
  uint64_t v;
  if (!imp_parse_u64(s + neg, n - neg, &v) || v > (uint64_t)INT64_MAX + neg) return false;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return true;
}

static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* strtod in the C locale's terms on a checked lexeme. */
static double slow_double(const char *s, size_t n) {
  char buf[512];
  if (n >= sizeof buf) return NAN;
  memcpy(buf, s, n);
  buf[n] = '\0';
  const char *dp = localeconv()->decimal_point;
  char *dot = strchr(buf, '.');
  if (dot && dp && dp[0] && dp[0] != '.' && !dp[1]) *dot = dp[0];
  return strtod(buf, NULL);
}

/* The usual number ("-3.9171566189955", "54", "21.4267"): at most 16
 * digits and bytes (the point included) after an optional '-', the point,
 * if any, among the first 8, no exponent, whose value is mant / 10^k for
 * an exact mant < 2^53 (Clinger's fast path, as below). The first 8 bytes
 * are one word: the point is found with a zero-byte test, taken out with
 * two shifts, and the digits around it (and the up to 8 after the word)
 * are read with swar_digits(). @return false when the general parser must
 * decide (the result is the same, only slower). */
static inline bool simple_double(const char *s, size_t n, double *out) {
  bool neg = n && s[0] == '-';
  const char *p = s + neg;
  size_t m = n - neg;
  uint64_t mant = 0;
  size_t k = 0; /* fraction digits */
  if (m <= 4) { /* "54", "0.0", "-2": a loop is shorter */
    const char *end = p + m, *digits = p;
    while (p < end && dec_digit(*p)) mant = mant * 10 + (unsigned)(*p++ - '0');
    if (p < end && *p == '.') {
      const char *frac = ++p;
      while (p < end && dec_digit(*p)) mant = mant * 10 + (unsigned)(*p++ - '0');
      k = (size_t)(p - frac);
      if (p - digits == 1) return false; /* "." alone */
    }
    if (p != end || p == digits) return false;
  } else {
    if (m > 16) return false;
    size_t h = m < 8 ? m : 8;
    uint64_t w = load_le(p, h), x = w ^ (ONES * '.');
    uint64_t dots = (x - ONES) & ~x & HIGHS; /* the lowest flagged byte is a '.' */
    if (!dots && m > 8) return false;        /* more than 8 digits before the point */
    size_t nd = h;                           /* digits in w */
    if (dots) {
      size_t d = (size_t)__builtin_ctzll(dots) >> 3;
      uint64_t below = w & ((UINT64_C(1) << (8 * d)) - 1); /* d <= 7 */
      w = below | (w >> (8 * d) >> 8 << (8 * d)); /* the point taken out */
      nd = h - 1;
      k = m - d - 1;
    }
    if (!swar_digits(w, nd, &mant)) return false; /* nd >= 4 */
    if (m > 8) {
      uint64_t rest;
      if (!swar_digits(load_le(p + 8, m - 8), m - 8, &rest)) return false;
      mant = mant * POW10_U64[m - 8] + rest;
    }
    if (mant >= (UINT64_C(1) << 53)) return false;
  }
  double v = k ? (double)mant / POW10[k] : (double)mant;
  *out = neg ? -v : v;
  return true;
}

/* Everything else: more digits, exponents, '+'. */
static __attribute__((noinline)) bool general_double(const char *s, size_t n, double *out) {
  size_t i = 0;
  bool neg = false;
  uint64_t mant = 0;
  int digits = 0, exp10 = 0;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  size_t int_start = i;
  for (; i < n && dec_digit(s[i]); i++) {
    if (digits < 19) {
      mant = mant * 10 + (unsigned)(s[i] - '0');
      digits += mant > 0;
    } else {
      exp10++;
    }
  }
  bool int_digits = i > int_start, frac_digits = false;
  if (i < n && s[i] == '.') {
    for (i++; i < n && dec_digit(s[i]); i++) {
      frac_digits = true;
      if (digits < 19) {
        mant = mant * 10 + (unsigned)(s[i] - '0');
        digits += mant > 0;
        exp10--;
      }
    }
  }
  if (!int_digits && !frac_digits) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    bool eneg = j < n && s[j] == '-';
    if (j < n && (s[j] == '-' || s[j] == '+')) j++;
    uint64_t e;
    if (j == n || n - j > 4 || !imp_parse_u64(s + j, n - j, &e) || e > 400) return false;
    exp10 += eneg ? -(int)e : (int)e;
    i = n;
  }
  if (i != n) return false;
  double v;
  if (mant < (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22)
    v = exp10 < 0 ? (double)mant / POW10[-exp10] : (double)mant * POW10[exp10];
  else
    v = fabs(slow_double(s, n));
  if (!isfinite(v)) return false;
  *out = neg ? -v : v;
  return true;
}

bool imp_parse_double(const char *s, size_t n, double *out) {
  return simple_double(s, n, out) || general_double(s, n, out);
}

void imp_format_double(char *buf, size_t size, double v) {
  /* integers: no exponent (the range first: converting a double outside
   * int64_t's is undefined; fuzz_import found a PLOVER "lat" of 1.9e19) */
  if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v) {
    snprintf(buf, size, "%lld", (long long)v);
    return;
  }
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, size, "%.*g", prec, v);
    char *dot = strchr(buf, localeconv()->decimal_point[0]);
    if (dot && *dot != '.') *dot = '.';
    double back;
    if (imp_parse_double(buf, strlen(buf), &back) && back == v) return;
  }
}

/* ====================================================================== */
/* Dates and times                                                        */
/* ====================================================================== */

/* Howard Hinnant's days_from_civil. */
int64_t imp_days_from_civil(int64_t y, unsigned mo, unsigned d) {
  y -= mo <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

bool imp_valid_date(int64_t y, unsigned mo, unsigned d) {
  static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= mdays[mo - 1] + (unsigned)(mo == 2 && leap);
}

static bool digits_at(const char *s, size_t n, unsigned *out) {
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return false;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  *out = v;
  return true;
}

bool imp_parse_date(const char *s, size_t n, int *precision) {
  unsigned y, mo = 1, d = 1;
  if (n != 4 && n != 7 && n != 10) return false;
  if (!digits_at(s, 4, &y)) return false;
  if (n >= 7 && (s[4] != '-' || !digits_at(s + 5, 2, &mo))) return false;
  if (n == 10 && (s[7] != '-' || !digits_at(s + 8, 2, &d))) return false;
  if (!imp_valid_date(y, mo, d)) return false;
  if (precision) *precision = n == 4 ? 1 : n == 7 ? 2 : 3;
  return true;
}

/* "Z", "+02:00", "+0200", "+02", "" -> offset in seconds east of UTC. */
static bool parse_zone(const char *s, int *offset, bool *has_zone) {
  unsigned h, mi = 0;
  *offset = 0;
  *has_zone = *s != '\0';
  if (!*s) return true;
  if ((s[0] == 'Z' || s[0] == 'z') && !s[1]) return true;
  if (s[0] != '+' && s[0] != '-') return false;
  size_t n = strlen(s + 1);
  if (!digits_at(s + 1, 2, &h)) return false;
  if (n == 5 && s[3] == ':') {
    if (!digits_at(s + 4, 2, &mi)) return false;
  } else if (n == 4) {
    if (!digits_at(s + 3, 2, &mi)) return false;
  } else if (n != 2) {
    return false;
  }
  if (h > 23 || mi > 59) return false;
  *offset = (int)(h * 3600 + mi * 60) * (s[0] == '-' ? -1 : 1);
  return true;
}

bool imp_parse_time(const char *s, imp_time *out) {
  memset(out, 0, sizeof *out);
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) n--;
  size_t dn = n < 10 ? n : 10;
  if (n > 10 && s[10] != 'T' && s[10] != 't' && s[10] != ' ') return false;
  if (!imp_parse_date(s, dn, NULL)) return false;
  memcpy(out->date, s, dn);
  if (n <= 10) return true;
  unsigned y = 0, mo = 0, d = 0, h, mi, sec = 0;
  const char *t = s + 11;
  digits_at(s, 4, &y), digits_at(s + 5, 2, &mo), digits_at(s + 8, 2, &d);
  if (!digits_at(t, 2, &h) || t[2] != ':' || !digits_at(t + 3, 2, &mi)) return false;
  t += 5;
  if (*t == ':') {
    if (!digits_at(t + 1, 2, &sec)) return false;
    t += 3;
  }
  int32_t nanos = 0;
  if (*t == '.' || *t == ',') {
    int k = 0;
    for (t++; isdigit((unsigned char)*t); t++, k++)
      if (k < 9) nanos = nanos * 10 + (*t - '0');
    if (k == 0) return false;
    for (; k < 9; k++) nanos *= 10;
  }
  char zone[8];
  size_t zl = (size_t)(s + n - t);
  if (zl >= sizeof zone) return false;
  memcpy(zone, t, zl);
  zone[zl] = '\0';
  int offset;
  if (h > 23 || mi > 59 || sec > 60 || !parse_zone(zone, &offset, &out->has_zone)) return false;
  if (sec == 60) sec = 59; /* a leap second: protobuf Timestamps have none */
  out->seconds = imp_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  out->nanos = nanos;
  out->has_time = true;
  return true;
}

void imp_format_time(char *buf, int64_t seconds, int32_t nanos) {
  int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  int64_t rem = seconds - days * 86400;
  /* civil_from_days (Hinnant) */
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned mo = mp < 10 ? mp + 3 : mp - 9;
  y += mo <= 2;
  int n;
  if (y >= 0 && y <= 9999) { /* the usual case, without printf */
    unsigned v[6] = {(unsigned)y, mo, d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
                     (unsigned)(rem % 60)};
    static const char sep[6] = {'-', '-', 'T', ':', ':', 0};
    char *p = buf;
    for (int i = 0; i < 6; i++) {
      if (i == 0) *p++ = (char)('0' + v[0] / 1000), *p++ = (char)('0' + v[0] / 100 % 10);
      *p++ = (char)('0' + v[i] / 10 % 10);
      *p++ = (char)('0' + v[i] % 10);
      if (sep[i]) *p++ = sep[i];
    }
    n = (int)(p - buf);
  } else {
    n = snprintf(buf, 40, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, mo, d,
                 (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
  }
  if (nanos > 0) {
    int digits = 9;
    int32_t f = nanos;
    while (f % 10 == 0) f /= 10, digits--;
    n += snprintf(buf + n, 40 - (size_t)n, ".%0*ld", digits, (long)f);
  }
  buf[n] = 'Z';
  buf[n + 1] = '\0';
}

/* ====================================================================== */
/* Text                                                                   */
/* ====================================================================== */

/* `prefix` is lower-case ASCII; ASCII letters of s match either case, as
 * with tolower() in the C locale (the CLI never sets another one), without
 * a call per byte. */
static bool has_prefix_ci(const char *s, const char *prefix) {
  for (; *prefix; s++, prefix++)
    if ((*s >= 'A' && *s <= 'Z' ? *s + ('a' - 'A') : *s) != *prefix) return false;
  return true;
}

const char *imp_url_key(const char *url) {
  /* has_prefix_ci(url, "http"), unrolled: this runs on every GDELT row;
   * | 0x20 lowers a letter (and no other byte becomes one of "http") */
  if ((url[0] | 0x20) == 'h' && (url[1] | 0x20) == 't' && (url[2] | 0x20) == 't' &&
      (url[3] | 0x20) == 'p') {
    const char *p = url + 4 + ((url[4] | 0x20) == 's');
    if (p[0] == ':' && p[1] == '/' && p[2] == '/') return p + 3;
  }
  return url;
}

/* Whether s[0..n) holds a control character, a space or DEL, 8 bytes at a
 * time (a byte below 0x21, or a zero byte of w ^ 0x7f..7f). */
static bool has_ctl_or_space(const char *s, size_t n) {
  const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones * 0x80;
  size_t i = 0;
  for (uint64_t w, d; i + 8 <= n; i += 8) {
    memcpy(&w, s + i, 8);
    d = w ^ (ones * 0x7f);
    if ((((w - ones * 0x21) & ~w) | ((d - ones) & ~d)) & highs) return true;
  }
  for (; i < n; i++)
    if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) return true;
  return false;
}

/* The host of http(s) URL s (after imp_url_key), or NULL when s is not one. */
static const char *http_host(const char *s) {
  const char *host = imp_url_key(s);
  if (host == s || !*host || *host == '/') return NULL;
  return has_ctl_or_space(s, strlen(s)) ? NULL : host;
}

bool imp_is_http_url(const char *s) { return http_host(s) != NULL; }

/* tolower() in the C locale, 8 bytes at a time: a byte gets 0x20 when it
 * is in 'A'..'Z' (bytes >= 0x80 are not letters: their high bit masks
 * them out). */
static void ascii_lower(char *s, size_t n) {
  const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones * 0x80;
  size_t i = 0;
  for (uint64_t w; i + 8 <= n; i += 8) {
    memcpy(&w, s + i, 8);
    uint64_t low7 = w & ~highs;
    /* high bit of each byte: low7 >= 'A' and low7 <= 'Z', and w < 0x80 */
    uint64_t upper = (low7 + ones * (0x80 - 'A')) & ~(low7 + ones * (0x7f - 'Z')) & ~w & highs;
    w |= upper >> 2;
    memcpy(s + i, &w, 8);
  }
  for (; i < n; i++)
    if (s[i] >= 'A' && s[i] <= 'Z') s[i] = (char)(s[i] + ('a' - 'A'));
}

char *imp_url_domain(imp *m, const char *url) {
  const char *host = http_host(url);
  if (!host) return (char *)protobuf_c_empty_string;
  size_t n = strcspn(host, "/?#:");
  const char *at = memchr(host, '@', n);
  if (at) n -= (size_t)(at + 1 - host), host = at + 1;
  if (n > 4 && has_prefix_ci(host, "www.")) host += 4, n -= 4;
  char *d = imp_strn(m, host, n);
  if (d != protobuf_c_empty_string) ascii_lower(d, n);
  return d;
}

size_t imp_utf8_count(const char *s, size_t n) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++) count += ((unsigned char)s[i] & 0xC0) != 0x80;
  return count;
}

uint64_t imp_hash(const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t h = UINT64_C(14695981039346656037);
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * UINT64_C(1099511628211);
  return h;
}

char *imp_unix_newlines(imp *m, const char *s) {
  if (!strchr(s, '\r')) return (char *)s;
  char *out = imp_str(m, s), *w = out;
  for (const char *p = s; *p; p++) {
    if (*p == '\r') {
      *w++ = '\n';
      if (p[1] == '\n') p++;
    } else {
      *w++ = *p;
    }
  }
  *w = '\0';
  return out;
}

/* ====================================================================== */
/* JSON trees                                                             */
/* ====================================================================== */

const jv_value *jv_get(const jv_object *obj, const char *key) {
  if (!obj) return NULL;
  for (size_t i = 0; i < obj->n_fields; i++)
    if (strcmp(obj->fields[i]->key, key) == 0) return obj->fields[i]->value;
  return NULL;
}

static bool eq_ci(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
  return *a == *b;
}

const jv_value *jv_get_ci(const jv_object *obj, const char *key) {
  const jv_value *v = jv_get(obj, key);
  if (v || !obj) return v;
  for (size_t i = 0; i < obj->n_fields; i++)
    if (eq_ci(obj->fields[i]->key, key)) return obj->fields[i]->value;
  return NULL;
}

const char *jv_str(const jv_value *v) {
  return v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE ? v->string_value : NULL;
}

const jv_object *jv_obj(const jv_value *v) {
  return v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE ? v->struct_value : NULL;
}

const jv_list *jv_list_of(const jv_value *v) {
  return v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE ? v->list_value : NULL;
}

bool jv_num(const jv_value *v, double *out) {
  if (!v || v->kind_case != GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE) return false;
  *out = v->number_value;
  return true;
}

bool jv_is_null(const jv_value *v) {
  return !v || v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE ||
         v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND__NOT_SET;
}

const char *jv_text(imp *m, const jv_value *v) {
  char buf[40];
  if (!v) return NULL;
  switch (v->kind_case) {
  case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE: return v->string_value;
  case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE: return v->bool_value ? "true" : "false";
  case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE:
    imp_format_double(buf, sizeof buf, v->number_value);
    return imp_str(m, buf);
  default: return NULL;
  }
}

char *jv_to_json(imp *m, const jv_value *v) {
  size_t len;
  evrec_error err;
  if (!v) return NULL; /* its maker ran out of memory: m->oom is set */
  int rc = evrec_json_encode(NULL, 0, &len, &v->base, NULL, &err);
  char *buf = rc == EVREC_OK ? imp_alloc(m, len + 1) : NULL;
  if (buf) rc = evrec_json_encode(buf, len + 1, NULL, &v->base, NULL, &err);
  if (rc == EVREC_OK) return buf;
  /* callers take NULL for "no value": a value lost for want of memory
   * must refuse the record, not leave it out silently */
  if (rc == EVREC_E_NOMEM) m->oom = true;
  else imp_warn(m, "a value could not be kept as JSON: %s", err.message);
  return NULL;
}

jv_value *jv_from_json(imp *m, const char *json) {
  ProtobufCMessage *out;
  if (evrec_json_decode(&out, &google__protobuf__value__descriptor, json, strlen(json), m->arena,
                        NULL, NULL) != EVREC_OK)
    return NULL;
  return (jv_value *)out;
}

static jv_value *new_value(imp *m, Google__Protobuf__Value__KindCase kind) {
  jv_value *v = imp_new(m, &google__protobuf__value__descriptor);
  if (v) v->kind_case = kind;
  return v;
}

jv_value *jv_new_string(imp *m, const char *s) {
  jv_value *v = new_value(m, GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE);
  if (v) v->string_value = imp_str(m, s);
  return v;
}

jv_value *jv_new_number(imp *m, double d) {
  jv_value *v = new_value(m, GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE);
  if (v) v->number_value = d;
  return v;
}

jv_value *jv_new_bool(imp *m, bool b) {
  jv_value *v = new_value(m, GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE);
  if (v) v->bool_value = b;
  return v;
}

jv_value *jv_new_object(imp *m) {
  jv_value *v = new_value(m, GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE);
  if (v) v->struct_value = imp_new(m, &google__protobuf__struct__descriptor);
  return v && v->struct_value ? v : NULL;
}

jv_value *jv_new_list(imp *m) {
  jv_value *v = new_value(m, GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE);
  if (v) v->list_value = imp_new(m, &google__protobuf__list_value__descriptor);
  return v && v->list_value ? v : NULL;
}

void jv_remove(jv_object *obj, const char *key) {
  for (size_t i = 0; obj && i < obj->n_fields; i++)
    if (strcmp(obj->fields[i]->key, key) == 0) {
      memmove(obj->fields + i, obj->fields + i + 1, (obj->n_fields - i - 1) * sizeof *obj->fields);
      obj->n_fields--;
      return;
    }
}

jv_value *jv_take(jv_object *obj, const char *key) {
  for (size_t i = 0; obj && i < obj->n_fields; i++)
    if (strcmp(obj->fields[i]->key, key) == 0) {
      jv_value *v = obj->fields[i]->value;
      memmove(obj->fields + i, obj->fields + i + 1, (obj->n_fields - i - 1) * sizeof *obj->fields);
      obj->n_fields--;
      return v;
    }
  return NULL;
}

const char *jv_take_str(jv_object *obj, const char *key) {
  const char *s = jv_str(jv_get(obj, key));
  if (s) jv_take(obj, key);
  return s;
}

jv_value *jv_wrap(imp *m, jv_object *obj) {
  jv_value *v = imp_new(m, &google__protobuf__value__descriptor);
  if (v) {
    v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
    v->struct_value = obj;
  }
  return v;
}

void jv_set(imp *m, jv_object *obj, const char *key, jv_value *v) {
  if (!obj) return;
  if (!v) {
    jv_remove(obj, key);
    return;
  }
  for (size_t i = 0; i < obj->n_fields; i++)
    if (strcmp(obj->fields[i]->key, key) == 0) {
      obj->fields[i]->value = v;
      return;
    }
  Google__Protobuf__Struct__FieldsEntry *e =
      imp_new(m, &google__protobuf__struct__fields_entry__descriptor);
  if (!e) return;
  e->key = imp_str(m, key);
  e->value = v;
  IMP_ADD(m, obj->fields, obj->n_fields, e);
}

void jv_set_str(imp *m, jv_object *obj, const char *key, const char *s) {
  if (s && s[0]) jv_set(m, obj, key, jv_new_string(m, s));
}

void jv_append(imp *m, jv_list *list, jv_value *v) {
  if (list && v) IMP_ADD(m, list->values, list->n_values, v);
}
