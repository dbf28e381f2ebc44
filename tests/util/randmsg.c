/*
 * randmsg.c -- seeded random messages of any protoc-c type (see randmsg.h).
 *
 * Design: one generator state `rgen` (PRNG, arena, options) passed first to
 * small helpers, one section per kind of value. The walk is the mirror image
 * of the JSON encoder's: it fills fields through the descriptor (offsets,
 * quantifiers, oneof cases), and builds the well-known types through their
 * descriptors too, so it works for any copy of their generated code.
 * Allocation failure longjmps to randmsg_new(), which returns NULL; the
 * arena owns whatever was built so far.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <string.h>

#include "internal.h"
#include "randmsg.h"


/* ====================================================================== */
/* State and PRNG                                                          */
/* ====================================================================== */

typedef struct rgen {
  uint64_t state; /* splitmix64 */
  evrec_arena *arena;
  unsigned max_depth, max_repeated, fill_percent;
  const ProtobufCMessageDescriptor *const *any_types;
  size_t n_any_types;
  jmp_buf oom;
} rgen;

/* splitmix64 (Steele, Lea, Flood 2014): tiny, fast, good enough to drive
 * tests, and identical everywhere. */
static uint64_t next(rgen *g) {
  uint64_t z = (g->state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0); the modulo bias is irrelevant for tests. */
static uint64_t below(rgen *g, uint64_t n) { return next(g) % n; }

static bool chance(rgen *g, unsigned percent) { return below(g, 100) < percent; }

/* Uniform in [lo, hi]. */
static int64_t in_range(rgen *g, int64_t lo, int64_t hi) {
  return lo + (int64_t)below(g, (uint64_t)(hi - lo) + 1);
}

static void *alloc(rgen *g, size_t size) {
  void *p = evrec__arena_alloc(g->arena, size);
  if (!p) longjmp(g->oom, 1);
  memset(p, 0, size);
  return p;
}

static ProtobufCMessage *new_message(rgen *g, const ProtobufCMessageDescriptor *d) {
  ProtobufCMessage *m = alloc(g, d->sizeof_message);
  d->message_init(m);
  return m;
}

static const ProtobufCFieldDescriptor *field_no(const ProtobufCMessageDescriptor *d,
                                                unsigned id) {
  for (unsigned i = 0; i < d->n_fields; i++)
    if (d->fields[i].id == id) return &d->fields[i];
  return NULL;
}

static void *slot(ProtobufCMessage *m, unsigned id) {
  return (char *)m + field_no(m->descriptor, id)->offset;
}

/* ====================================================================== */
/* Scalars                                                                 */
/* ====================================================================== */

static int64_t gen_i64(rgen *g, int bits) {
  static const int64_t special[] = {0, 1, -1, 2, -2, 127, -128, 9007199254740993};
  switch (below(g, 4)) {
  case 0: return special[below(g, sizeof special / sizeof special[0])];
  case 1: return bits == 32 ? (chance(g, 50) ? INT32_MIN : INT32_MAX)
                            : (chance(g, 50) ? INT64_MIN : INT64_MAX);
  case 2: return (int64_t)below(g, 1000) - 500;
  default: return bits == 32 ? (int32_t)(uint32_t)next(g) : (int64_t)next(g);
  }
}

static uint64_t gen_u64(rgen *g, int bits) {
  switch (below(g, 4)) {
  case 0: return below(g, 3);
  case 1: return bits == 32 ? UINT32_MAX : UINT64_MAX;
  case 2: return below(g, 100000);
  default: return bits == 32 ? (uint32_t)next(g) : next(g);
  }
}

/* A finite double; the shapes the float printer must get right. */
static double gen_finite(rgen *g) {
  static const double special[] = {0.0,     -0.0,    0.1,       -0.1,   1.5,
                                   1e20,    1e21,    1e-7,      5e-324, -5e-324,
                                   DBL_MIN, DBL_MAX, -DBL_MAX,  1e15,   123456789012345678.0,
                                   1.0 / 3, 2.5e-310, 9007199254740993.0};
  switch (below(g, 4)) {
  case 0: return special[below(g, sizeof special / sizeof special[0])];
  case 1: return (double)((int64_t)below(g, 2000001) - 1000000);
  case 2: return ((double)(int64_t)next(g)) / 1e12;
  default: {
    uint64_t bits = next(g);
    double d;
    memcpy(&d, &bits, sizeof d);
    return isfinite(d) ? d : 42.0;
  }
  }
}

static double gen_double(rgen *g) {
  switch (below(g, 10)) {
  case 0: return NAN; /* the one NaN JSON can carry */
  case 1: return chance(g, 50) ? INFINITY : -INFINITY;
  default: return gen_finite(g);
  }
}

static float gen_float(rgen *g) {
  static const float special[] = {0.0f,    -0.0f,   0.1f,     -0.1f,         1e20f,
                                  FLT_MAX, -FLT_MAX, FLT_MIN, FLT_TRUE_MIN, 16777217.0f,
                                  3.14159265f, 1e-40f};
  switch (below(g, 6)) {
  case 0: return NAN;
  case 1: return chance(g, 50) ? INFINITY : -INFINITY;
  case 2: return special[below(g, sizeof special / sizeof special[0])];
  case 3: return (float)((int32_t)below(g, 20001) - 10000);
  default: {
    uint32_t bits = (uint32_t)next(g);
    float f;
    memcpy(&f, &bits, sizeof f);
    return isfinite(f) ? f : 0.5f;
  }
  }
}

/* ====================================================================== */
/* Strings and bytes                                                       */
/* ====================================================================== */

/* Pieces a string is made of: ASCII, JSON escapes, controls, DEL, accents,
 * a 3-byte CJK pair, a 4-byte emoji, and U+2028 (raw in JSON, escaped by
 * JavaScript serializers). */
static const char *const pieces[] = {
    "a",  "Z",    "0",  " ",  "hello", "\"",  "\\",     "/",          "\n",
    "\t", "\r",   "\b", "\f", "\x01",  "\x1f", "\x7f",  "\xc3\xa9",   "\xc3\xbc",
    "\xe4\xb8\xad\xe6\x96\x87", "\xf0\x9f\x98\x80", "\xe2\x80\xa8", "_", "{}", "1.5"};

/* Appends one random code point (not NUL, not a surrogate) as UTF-8. */
static size_t random_code_point(rgen *g, char *out) {
  static const uint32_t top[] = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
  uint32_t cp;
  do {
    cp = 1 + (uint32_t)below(g, top[below(g, 4)]);
  } while (cp >= 0xD800 && cp <= 0xDFFF);
  return (size_t)evrec__utf8_encode(cp, out);
}

static char *gen_string(rgen *g, unsigned max_pieces) {
  char tmp[256];
  size_t n = 0, k = below(g, max_pieces + 1);
  for (size_t i = 0; i < k; i++) {
    if (chance(g, 20)) {
      n += random_code_point(g, tmp + n);
    } else {
      const char *p = pieces[below(g, sizeof pieces / sizeof pieces[0])];
      size_t len = strlen(p);
      memcpy(tmp + n, p, len);
      n += len;
    }
  }
  /* Even "" gets its own allocation: pack() drops a oneof string member
   * that points at the shared protobuf_c_empty_string. */
  char *s = alloc(g, n + 1);
  memcpy(s, tmp, n);
  return s;
}

static ProtobufCBinaryData gen_bytes(rgen *g) {
  ProtobufCBinaryData b = {0, NULL};
  if (chance(g, 10)) { /* every byte value once */
    b.len = 256;
    b.data = alloc(g, 256);
    for (size_t i = 0; i < 256; i++) b.data[i] = (uint8_t)i;
    return b;
  }
  b.len = below(g, 12);
  if (b.len == 0) return b;
  b.data = alloc(g, b.len);
  for (size_t i = 0; i < b.len; i++) b.data[i] = (uint8_t)next(g);
  return b;
}

/* ====================================================================== */
/* Values of a field type                                                  */
/* ====================================================================== */

static ProtobufCMessage *gen_message(rgen *g, const ProtobufCMessageDescriptor *d,
                                     unsigned depth);

static bool is_null_value(const ProtobufCEnumDescriptor *ed) {
  return strcmp(ed->name, "google.protobuf.NullValue") == 0;
}

static int32_t gen_enum(rgen *g, const ProtobufCEnumDescriptor *ed) {
  if (is_null_value(ed) || ed->n_values == 0) return 0;
  if (chance(g, 10)) return 1000 + (int32_t)below(g, 1000); /* undeclared */
  return ed->values[below(g, ed->n_values)].value;
}

/* Stores one random value of f's type at p (a field slot or array slot). */
static void gen_value(rgen *g, const ProtobufCFieldDescriptor *f, void *p, unsigned depth) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32: *(int32_t *)p = (int32_t)gen_i64(g, 32); break;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32: *(uint32_t *)p = (uint32_t)gen_u64(g, 32); break;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64: *(int64_t *)p = gen_i64(g, 64); break;
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64: *(uint64_t *)p = gen_u64(g, 64); break;
  case PROTOBUF_C_TYPE_FLOAT: *(float *)p = gen_float(g); break;
  case PROTOBUF_C_TYPE_DOUBLE: *(double *)p = gen_double(g); break;
  case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)p = chance(g, 50); break;
  case PROTOBUF_C_TYPE_ENUM: *(int32_t *)p = gen_enum(g, f->descriptor); break;
  case PROTOBUF_C_TYPE_STRING: *(char **)p = gen_string(g, 6); break;
  case PROTOBUF_C_TYPE_BYTES: *(ProtobufCBinaryData *)p = gen_bytes(g); break;
  case PROTOBUF_C_TYPE_MESSAGE:
    *(ProtobufCMessage **)p = gen_message(g, f->descriptor, depth + 1);
    break;
  }
}

/* ====================================================================== */
/* Maps: unique keys in the encoder's order                                */
/* ====================================================================== */

/* Orders keys as the JSON encoder prints them. */
static int key_cmp(const ProtobufCFieldDescriptor *kf, const void *a, const void *b) {
  switch (kf->type) {
  case PROTOBUF_C_TYPE_STRING: return strcmp(*(char *const *)a, *(char *const *)b);
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32: {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
  }
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64: {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
  }
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64: {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
  }
  default: { /* uint32, fixed32, bool */
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
  }
  }
}

static const void *key_ptr(ProtobufCMessage *entry, const ProtobufCFieldDescriptor *kf) {
  return (const char *)entry + kf->offset;
}

/* Inserts a new entry into ents[0..*n) in key order; drops it when its key
 * is already there. */
static void map_insert(ProtobufCMessage **ents, size_t *n, ProtobufCMessage *e,
                       const ProtobufCFieldDescriptor *kf) {
  size_t i = *n;
  for (size_t j = 0; j < *n; j++)
    if (key_cmp(kf, key_ptr(ents[j], kf), key_ptr(e, kf)) == 0) return;
  while (i > 0 && key_cmp(kf, key_ptr(ents[i - 1], kf), key_ptr(e, kf)) > 0) {
    ents[i] = ents[i - 1];
    i--;
  }
  ents[i] = e;
  (*n)++;
}

static void gen_map(rgen *g, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                    unsigned depth) {
  const ProtobufCMessageDescriptor *ed = f->descriptor;
  const ProtobufCFieldDescriptor *kf = evrec__map_key(ed), *vf = evrec__map_value(ed);
  size_t want = below(g, g->max_repeated + 1), n = 0;
  if (vf->type == PROTOBUF_C_TYPE_MESSAGE && depth + 1 > g->max_depth) want = 0;
  ProtobufCMessage **ents = alloc(g, (want + 1) * sizeof *ents);
  for (size_t i = 0; i < want; i++) {
    ProtobufCMessage *e = new_message(g, ed);
    gen_value(g, kf, (char *)e + kf->offset, depth);
    gen_value(g, vf, (char *)e + vf->offset, depth);
    map_insert(ents, &n, e, kf);
  }
  *(size_t *)((char *)m + f->quantifier_offset) = n;
  *(ProtobufCMessage ***)((char *)m + f->offset) = ents;
}

/* ====================================================================== */
/* Regular messages                                                        */
/* ====================================================================== */

static void gen_repeated(rgen *g, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                         unsigned depth) {
  if (evrec__field_is_map(f)) {
    gen_map(g, m, f, depth);
    return;
  }
  size_t n = below(g, g->max_repeated + 1), size = evrec__sizeof_type(f->type);
  if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth + 1 > g->max_depth) n = 0;
  char *arr = n ? alloc(g, n * size) : NULL;
  for (size_t i = 0; i < n; i++) gen_value(g, f, arr + i * size, depth);
  *(size_t *)((char *)m + f->quantifier_offset) = n;
  *(char **)((char *)m + f->offset) = arr;
}

/* Picks at most one member of the oneof whose first member is fields[first]. */
static void gen_oneof(rgen *g, ProtobufCMessage *m, unsigned first, unsigned depth) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  const ProtobufCFieldDescriptor *members[64];
  unsigned n = 0, q = d->fields[first].quantifier_offset;
  for (unsigned i = first; i < d->n_fields && n < 64; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    bool msg_too_deep = f->type == PROTOBUF_C_TYPE_MESSAGE && depth + 1 > g->max_depth;
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->quantifier_offset == q && !msg_too_deep)
      members[n++] = f;
  }
  if (n == 0 || !chance(g, g->fill_percent)) return;
  const ProtobufCFieldDescriptor *f = members[below(g, n)];
  *(uint32_t *)((char *)m + q) = f->id;
  gen_value(g, f, (char *)m + f->offset, depth);
}

/* Is fields[i] the first member of its oneof in field-number order? */
static bool first_of_oneof(const ProtobufCMessageDescriptor *d, unsigned i) {
  for (unsigned j = 0; j < i; j++)
    if ((d->fields[j].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
        d->fields[j].quantifier_offset == d->fields[i].quantifier_offset)
      return false;
  return true;
}

static void gen_fields(rgen *g, ProtobufCMessage *m, unsigned depth) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      if (first_of_oneof(d, i)) gen_oneof(g, m, i, depth);
    } else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      if (chance(g, g->fill_percent)) gen_repeated(g, m, f, depth);
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth + 1 > g->max_depth) {
      continue;
    } else if (chance(g, g->fill_percent)) {
      gen_value(g, f, (char *)m + f->offset, depth);
    }
  }
}

/* ====================================================================== */
/* Well-known types                                                        */
/* ====================================================================== */

/* Nanos with 0, 3, 6 or 9 significant fraction digits, in [0, 1e9). */
static int32_t gen_nanos(rgen *g) {
  switch (below(g, 4)) {
  case 0: return 0;
  case 1: return (int32_t)below(g, 1000) * 1000000;
  case 2: return (int32_t)below(g, 1000000) * 1000;
  default: return (int32_t)below(g, 1000000000);
  }
}

static void gen_timestamp(rgen *g, ProtobufCMessage *m) {
  int64_t s;
  switch (below(g, 4)) {
  case 0: s = chance(g, 50) ? INT64_C(-62135596800) : INT64_C(253402300799); break;
  case 1: s = in_range(g, 0, INT64_C(2000000000)); break;
  default: s = in_range(g, INT64_C(-62135596800), INT64_C(253402300799)); break;
  }
  *(int64_t *)slot(m, 1) = s;
  *(int32_t *)slot(m, 2) = gen_nanos(g);
}

static void gen_duration(rgen *g, ProtobufCMessage *m) {
  const int64_t max = INT64_C(315576000000);
  int64_t s = chance(g, 20) ? (chance(g, 50) ? max : -max)
                            : chance(g, 30) ? 0 : in_range(g, -max, max);
  int32_t n = gen_nanos(g);
  if (s < 0 || (s == 0 && chance(g, 50))) n = -n; /* signs must agree */
  *(int64_t *)slot(m, 1) = s;
  *(int32_t *)slot(m, 2) = n;
}

/* "foo_bar.baz2": lower-case words joined by '_' (each '_' before a letter),
 * segments joined by '.', so snake_case <-> lowerCamelCase is lossless. */
static char *gen_mask_path(rgen *g) {
  char tmp[128];
  size_t n = 0, segs = 1 + below(g, 3);
  for (size_t s = 0; s < segs; s++) {
    if (s) tmp[n++] = '.';
    size_t words = 1 + below(g, 3);
    for (size_t w = 0; w < words; w++) {
      if (w) tmp[n++] = '_';
      tmp[n++] = (char)('a' + below(g, 26));
      for (size_t k = below(g, 5); k > 0; k--)
        tmp[n++] = "abcdefghijklmnopqrstuvwxyz0123456789"[below(g, 36)];
    }
  }
  char *p = alloc(g, n + 1);
  memcpy(p, tmp, n);
  return p;
}

static void gen_field_mask(rgen *g, ProtobufCMessage *m) {
  const ProtobufCFieldDescriptor *f = field_no(m->descriptor, 1);
  size_t n = below(g, 4);
  char **paths = n ? alloc(g, n * sizeof *paths) : NULL;
  for (size_t i = 0; i < n; i++) paths[i] = gen_mask_path(g);
  *(size_t *)((char *)m + f->quantifier_offset) = n;
  *(char ***)((char *)m + f->offset) = paths;
}

/* Value: a kind always set, numbers finite; containers only above the cap. */
static void gen_value_wkt(rgen *g, ProtobufCMessage *m, unsigned depth) {
  unsigned kind = 1 + (unsigned)below(g, depth + 1 > g->max_depth ? 4 : 6);
  const ProtobufCFieldDescriptor *f = field_no(m->descriptor, kind);
  void *p = (char *)m + f->offset;
  *(uint32_t *)((char *)m + f->quantifier_offset) = kind;
  if (f->type == PROTOBUF_C_TYPE_DOUBLE)
    *(double *)p = gen_finite(g);
  else
    gen_value(g, f, p, depth);
}

/* Struct and ListValue need no special code: their fields are a map of
 * Values and a repeated Value, and Values are generated valid. */

/* The types Any packs: every type built into the library (the well-known
 * types and evrec.v1, which the codec resolves without options; the list is
 * generated by make) plus the caller's. */
extern const ProtobufCMessageDescriptor *const evrec__builtin_types[];
extern const size_t evrec__n_builtin_types;

/* Map entry types are messages too, but Google's runtimes refuse to
 * serialize one on its own (Python: "missing required fields"). */
static bool is_map_entry(const ProtobufCMessageDescriptor *d) {
  size_t n = strlen(d->short_name);
  return n > 5 && strcmp(d->short_name + n - 5, "Entry") == 0 && d->n_fields == 2 &&
         evrec__map_key(d) && evrec__map_value(d) && strcmp(evrec__map_key(d)->name, "key") == 0;
}

static const ProtobufCMessageDescriptor *any_payload_type(rgen *g) {
  for (;;) {
    size_t i = below(g, evrec__n_builtin_types + g->n_any_types);
    const ProtobufCMessageDescriptor *t = i < evrec__n_builtin_types
                                              ? evrec__builtin_types[i]
                                              : g->any_types[i - evrec__n_builtin_types];
    if (!is_map_entry(t)) return t;
  }
}

static void gen_any(rgen *g, ProtobufCMessage *m, unsigned depth) {
  if (chance(g, 10) || depth + 1 > g->max_depth) return; /* the empty Any: {} */
  const ProtobufCMessageDescriptor *t = any_payload_type(g);
  ProtobufCMessage *payload = gen_message(g, t, depth + 1);
  static const char prefix[] = "type.googleapis.com/";
  size_t plen = sizeof prefix - 1, nlen = strlen(t->name);
  char *url = alloc(g, plen + nlen + 1);
  memcpy(url, prefix, plen);
  memcpy(url + plen, t->name, nlen);
  ProtobufCBinaryData *val = slot(m, 2);
  val->len = protobuf_c_message_get_packed_size(payload);
  val->data = val->len ? alloc(g, val->len) : NULL;
  if (val->len) protobuf_c_message_pack(payload, val->data);
  *(char **)slot(m, 1) = url;
}

/* ====================================================================== */
/* Dispatch and entry point                                                */
/* ====================================================================== */

static ProtobufCMessage *gen_message(rgen *g, const ProtobufCMessageDescriptor *d,
                                     unsigned depth) {
  ProtobufCMessage *m = new_message(g, d);
  switch (evrec__wkt_of(d)) {
  case EVREC__WKT_ANY: gen_any(g, m, depth); break;
  case EVREC__WKT_TIMESTAMP: gen_timestamp(g, m); break;
  case EVREC__WKT_DURATION: gen_duration(g, m); break;
  case EVREC__WKT_FIELD_MASK: gen_field_mask(g, m); break;
  case EVREC__WKT_VALUE: gen_value_wkt(g, m, depth); break;
  case EVREC__WKT_STRUCT:
  case EVREC__WKT_LIST_VALUE:
    if (depth + 1 <= g->max_depth) gen_repeated(g, m, field_no(d, 1), depth);
    break;
  default: gen_fields(g, m, depth); break; /* regular, Empty, wrappers */
  }
  return m;
}

ProtobufCMessage *randmsg_new(const ProtobufCMessageDescriptor *d, uint64_t seed,
                              evrec_arena *a, const randmsg_options *o) {
  static const randmsg_options defaults = RANDMSG_OPTIONS_INIT;
  if (!o) o = &defaults;
  rgen g;
  memset(&g, 0, sizeof g);
  g.state = seed;
  g.arena = a;
  g.max_depth = o->max_depth ? o->max_depth : 3;
  g.max_repeated = o->max_repeated ? o->max_repeated : 4;
  g.fill_percent = o->fill_percent ? o->fill_percent : 50;
  g.any_types = o->any_types;
  g.n_any_types = o->any_types ? o->n_any_types : 0;
  if (setjmp(g.oom) != 0) return NULL;
  return gen_message(&g, d, 0);
}
