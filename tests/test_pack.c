/*
 * test_pack.c -- evrec__pack() and evrec__pack_delimited() against the
 * oracle, protobuf-c's own protobuf_c_message_pack().
 *
 * Every case packs with both and compares bytes; ours is run three ways:
 * into an empty buffer, appended after some bytes already in a buffer (their
 * number varies, so the buffer runs out of room at every position in turn),
 * and length-delimited. Cases:
 *   - the 5,200 seeded random messages of test_roundtrip.c (same types,
 *     seeds and options);
 *   - every type at 0, -1, min, max, -0.0, NaN, ... in every label, through
 *     a descriptor built here (the all-types schema is proto3 only: no
 *     required, has_ flags, unpacked repeated, default values or field
 *     numbers past 102);
 *   - oneof members (case set/unset/foreign; NULL and default pointers);
 *   - unknown fields, from unpacking wire data with unknown tags;
 *   - nesting 100 deep; sub-messages whose length varint takes 1 to 4 bytes;
 *   - packed repeated fields whose length crosses varint size boundaries;
 *   - out of memory: SIZE_MAX, out->len unchanged, out->oom set.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alltypes.pb-c.h"
#include "evrec/v1/evrec.pb-c.h"
#include "internal.h"
#include "util/randmsg.h"

#define AT (&evrec__test__all_types__descriptor)

/* ---------------------------------------------------------------- comparison */

static unsigned g_shift; /* bytes already in the buffer; varies per call */

static void fail_diff(const char *how, const char *what, unsigned long long k,
                      const uint8_t *want, size_t wn, const uint8_t *got, size_t gn) {
  size_t i = 0;
  while (i < wn && i < gn && want[i] == got[i]) i++;
  fail_msg("%s %llu (%s): %zu bytes, protobuf-c %zu; first difference at %zu", what, k, how,
           gn, wn, i);
}

/* Checks our three ways of packing m against want[0..n). */
static void compare(const ProtobufCMessage *m, const uint8_t *want, size_t n, const char *what,
                    unsigned long long k) {
  evrec__buf b;
  evrec__buf_init(&b);
  size_t got = evrec__pack(&b, m);
  if (got != n || b.len != n || (n && memcmp(b.data, want, n) != 0))
    fail_diff("empty buffer", what, k, want, n, (const uint8_t *)b.data, got);

  unsigned shift = g_shift = (g_shift + 37) % 3001;
  b.len = 0;
  for (unsigned i = 0; i < shift; i++) evrec__buf_putc(&b, (char)i);
  got = evrec__pack(&b, m);
  if (got != n || b.len != shift + n || memcmp(b.data + shift, want, n) != 0)
    fail_diff("appended", what, k, want, n, (const uint8_t *)b.data + shift, got);
  for (unsigned i = 0; i < shift; i++) assert_int_equal((uint8_t)b.data[i], (uint8_t)i);

  b.len = shift;
  got = evrec__pack_delimited(&b, m);
  uint8_t head[EVREC__VARINT_MAX];
  size_t h = evrec__varint_put(n, head);
  if (got != n || b.len != shift + h + n || memcmp(b.data + shift, head, h) != 0 ||
      memcmp(b.data + shift + h, want, n) != 0)
    fail_diff("delimited", what, k, want, n, (const uint8_t *)b.data + shift + h, got);
  assert_false(b.oom);
  evrec__buf_free(&b);
}

/* The oracle: get_packed_size + pack, as the writers did. */
static void same(const ProtobufCMessage *m, const char *what, unsigned long long k) {
  size_t n = protobuf_c_message_get_packed_size(m);
  uint8_t *want = malloc(n + 1);
  assert_non_null(want);
  assert_int_equal(protobuf_c_message_pack(m, want), n);
  compare(m, want, n, what, k);
  free(want);
}

/* For messages get_packed_size() cannot measure (it calls strlen on a NULL
 * element of a repeated string), pack alone into a roomy buffer. */
static void same_pack_only(const ProtobufCMessage *m, const char *what, unsigned long long k) {
  size_t cap = 1 << 20;
  uint8_t *want = malloc(cap);
  assert_non_null(want);
  size_t n = protobuf_c_message_pack(m, want);
  assert_true(n < cap);
  compare(m, want, n, what, k);
  free(want);
}

/* ---------------------------------------------------------------- random messages */

static const ProtobufCMessageDescriptor *const any_types[] = {
    &evrec__test__nested__descriptor, &evrec__test__all_types__descriptor};

static void random_run(const ProtobufCMessageDescriptor *d, uint64_t first, unsigned count,
                       unsigned max_depth, unsigned max_repeated) {
  evrec_arena *a = evrec_arena_new(0);
  assert_non_null(a);
  randmsg_options ro = RANDMSG_OPTIONS_INIT;
  ro.any_types = any_types;
  ro.n_any_types = 2;
  ro.max_depth = max_depth;
  ro.max_repeated = max_repeated;
  for (uint64_t s = first; s < first + count; s++) {
    evrec_arena_reset(a);
    ProtobufCMessage *m = randmsg_new(d, s, a, &ro);
    assert_non_null(m);
    same(m, d->name, s);
  }
  evrec_arena_free(a);
}

/* The seeds and options of test_roundtrip.c: 5,200 messages. */
static void test_random_alltypes(void **state) {
  (void)state;
  random_run(AT, 0, 2000, 0, 0);
  random_run(AT, 100000, 500, 0, 0);
  random_run(AT, 200000, 200, 8, 2);
}

static void test_random_record(void **state) {
  (void)state;
  random_run(&evrec__v1__record__descriptor, 0, 2000, 0, 0);
  random_run(&evrec__v1__record__descriptor, 300000, 500, 0, 0);
}

/* ---------------------------------------------------------------- a descriptor with every label */

/*
 * A message type built at run time: every field type in every label --
 * required, optional (has_), proto3 unlabeled, repeated unpacked, repeated
 * packed (where legal) -- plus one oneof holding every type. Field values
 * live in `slot`s: the value, then its quantifier.
 */
enum { L_REQUIRED, L_OPTIONAL, L_NONE, L_UNPACKED, L_PACKED, L_ONEOF_OPT, L_ONEOF_NONE, L_N };
#define N_TYPES 17 /* ProtobufCType has 17 values, 0..16 */
#define G_FIELDS (L_N * N_TYPES)

typedef struct gslot {
  union {
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    float f;
    double d;
    protobuf_c_boolean b;
    char *s;
    ProtobufCBinaryData bytes;
    ProtobufCMessage *m;
    void *arr;
  } v;
  union {
    size_t n;
    protobuf_c_boolean has;
  } q;
} gslot;

typedef struct gmsg {
  ProtobufCMessage base;
  uint32_t oneof_case;
  gslot slot[G_FIELDS];
} gmsg;

static ProtobufCFieldDescriptor g_fields[G_FIELDS];
static ProtobufCMessageDescriptor g_desc;
static const char g_default[] = "dflt"; /* default_value of string fields */

/* Field numbers mix 1-byte, 2-byte and the largest tags (5 bytes, with
 * numbers from 2^29 on that protobuf-c writes through its 64-bit path). */
static uint32_t g_number(unsigned i) {
  static const uint32_t big[] = {15,        16,        2047,       2048,      262143,
                                 262144,    33554431,  33554432,   536870911, 536870912,
                                 UINT32_MAX, UINT32_MAX - 1};
  return i < sizeof big / sizeof *big ? big[i] : 100 + i;
}

static bool g_packable(ProtobufCType t) {
  return t != PROTOBUF_C_TYPE_STRING && t != PROTOBUF_C_TYPE_BYTES &&
         t != PROTOBUF_C_TYPE_MESSAGE;
}

static void g_build(void) {
  static bool done;
  if (done) return;
  done = true;
  for (unsigned l = 0; l < L_N; l++) {
    for (unsigned t = 0; t < N_TYPES; t++) {
      unsigned i = l * N_TYPES + t;
      ProtobufCFieldDescriptor *f = &g_fields[i];
      f->name = "f";
      f->id = g_number(i);
      f->type = (ProtobufCType)t;
      f->offset = (unsigned)offsetof(gmsg, slot[i].v);
      f->quantifier_offset = (unsigned)offsetof(gmsg, slot[i].q);
      if (t == PROTOBUF_C_TYPE_STRING) f->default_value = g_default;
      if (t == PROTOBUF_C_TYPE_ENUM) f->descriptor = &evrec__test__color__descriptor;
      if (t == PROTOBUF_C_TYPE_MESSAGE) f->descriptor = &evrec__test__nested__descriptor;
      switch (l) {
      case L_REQUIRED: f->label = PROTOBUF_C_LABEL_REQUIRED; break;
      case L_OPTIONAL: f->label = PROTOBUF_C_LABEL_OPTIONAL; break;
      case L_NONE: f->label = PROTOBUF_C_LABEL_NONE; break;
      case L_UNPACKED: f->label = PROTOBUF_C_LABEL_REPEATED; break;
      case L_PACKED:
        f->label = PROTOBUF_C_LABEL_REPEATED;
        if (g_packable(f->type)) f->flags = PROTOBUF_C_FIELD_FLAG_PACKED;
        break;
      default:
        f->label = l == L_ONEOF_OPT ? PROTOBUF_C_LABEL_OPTIONAL : PROTOBUF_C_LABEL_NONE;
        f->flags = PROTOBUF_C_FIELD_FLAG_ONEOF;
        f->quantifier_offset = (unsigned)offsetof(gmsg, oneof_case);
        break;
      }
    }
  }
  g_desc.magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC;
  g_desc.name = g_desc.short_name = g_desc.c_name = "evrec.test.G";
  g_desc.package_name = "evrec.test";
  g_desc.sizeof_message = sizeof(gmsg);
  g_desc.n_fields = G_FIELDS;
  g_desc.fields = g_fields;
}

static void g_init(gmsg *g) {
  memset(g, 0, sizeof *g);
  g->base.descriptor = &g_desc;
}

/* Interesting values; index k picks one per type (wrapping). */
static const uint64_t k_u64[] = {0, UINT64_MAX, (uint64_t)INT64_MIN, INT64_MAX, 1, 127, 128,
                                 16383, 16384, UINT32_MAX, (uint64_t)UINT32_MAX + 1};
static const uint32_t k_u32[] = {0, UINT32_MAX, (uint32_t)INT32_MIN, INT32_MAX, 1, 127, 128,
                                 16383, 16384, 0xfffffff, 0x10000000};
static const double k_d[] = {0.0, -0.0, -1.0, DBL_MAX, -DBL_MAX, 5e-324, NAN, -NAN, INFINITY,
                             -INFINITY, 1.5};
static const float k_f[] = {0.0f, -0.0f, -1.0f, FLT_MAX, -FLT_MAX, 1e-45f, NAN, -NAN, INFINITY,
                            -INFINITY, 1.5f};
#define N_K (sizeof k_u64 / sizeof *k_u64)

static Evrec__Test__Nested g_nested = EVREC__TEST__NESTED__INIT;
static char g_empty[] = "";
static char g_abc[] = "abc";
static char g_dflt_copy[] = "dflt"; /* equal to the default, another pointer */
static uint8_t g_bytes[] = {0, 1, 2, 0xff};

/* Stores value k of type t at v (a scalar slot or an array element). */
static void g_value(void *v, ProtobufCType t, unsigned k) {
  k %= N_K;
  switch (t) {
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64: memcpy(v, &k_u64[k], 8); break;
  case PROTOBUF_C_TYPE_DOUBLE: memcpy(v, &k_d[k], 8); break;
  case PROTOBUF_C_TYPE_FLOAT: memcpy(v, &k_f[k], 4); break;
  case PROTOBUF_C_TYPE_BOOL: { /* protobuf-c writes any non-zero as 1 */
    protobuf_c_boolean b = (protobuf_c_boolean)(k % 3 == 2 ? 7 : k % 3);
    memcpy(v, &b, sizeof b);
    break;
  }
  case PROTOBUF_C_TYPE_STRING: {
    char *const s[] = {NULL, g_empty, g_abc, (char *)g_default, g_dflt_copy};
    memcpy(v, &s[k % 5], sizeof(char *));
    break;
  }
  case PROTOBUF_C_TYPE_BYTES: {
    ProtobufCBinaryData b = {k % 3, k % 3 ? g_bytes : (k % 2 ? g_bytes : NULL)};
    memcpy(v, &b, sizeof b);
    break;
  }
  case PROTOBUF_C_TYPE_MESSAGE: {
    ProtobufCMessage *m = k % 2 ? &g_nested.base : NULL;
    memcpy(v, &m, sizeof m);
    break;
  }
  default: memcpy(v, &k_u32[k], 4); break; /* 32-bit integers, enum */
  }
}

/* Fills every non-oneof field: singular ones with value k (has_ = has),
 * repeated ones with n elements k, k+1, ... */
static void g_fill(gmsg *g, unsigned k, bool has, size_t n, unsigned char *store) {
  for (unsigned i = 0; i < L_ONEOF_OPT * N_TYPES; i++) {
    const ProtobufCFieldDescriptor *f = &g_fields[i];
    gslot *s = &g->slot[i];
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
      g_value(&s->v, f->type, k);
      s->q.has = has;
      continue;
    }
    s->v.arr = store;
    s->q.n = n;
    for (size_t e = 0; e < n; e++) g_value(store + e * evrec__sizeof_type(f->type), f->type, k + (unsigned)e);
    store += (n * evrec__sizeof_type(f->type) + 15) & ~(size_t)15; /* keep arrays aligned */
  }
}

static void test_labels_and_types(void **state) {
  (void)state;
  g_build();
  g_nested.a = -5;
  g_nested.b = g_abc;
  static _Alignas(16) unsigned char store[L_N * N_TYPES * 16 * 16];
  gmsg g;
  unsigned long long k = 0;
  for (unsigned v = 0; v < N_K; v++)
    for (int has = 0; has <= 1; has++)
      for (size_t n = 0; n <= 13; n += has ? 13 : 1, k++) {
        g_init(&g);
        g_fill(&g, v, has, n, store);
        same_pack_only(&g.base, "labels", k);
      }
}

/* Each oneof member in turn, at every value, in both oneof labels. */
static void test_oneof(void **state) {
  (void)state;
  g_build();
  gmsg g;
  unsigned long long k = 0;
  for (unsigned i = L_ONEOF_OPT * N_TYPES; i < G_FIELDS; i++)
    for (unsigned v = 0; v < N_K; v++, k++) {
      g_init(&g);
      g_value(&g.slot[i].v, g_fields[i].type, v);
      g.oneof_case = g_fields[i].id;
      same_pack_only(&g.base, "oneof", k);
      g.oneof_case = 99; /* no member's number: nothing */
      same_pack_only(&g.base, "oneof other case", k);
      g.oneof_case = 0;
      same_pack_only(&g.base, "oneof unset", k);
    }
}

/* ---------------------------------------------------------------- the all-types schema */

static Evrec__Test__AllTypes at_init(void) {
  Evrec__Test__AllTypes m = EVREC__TEST__ALL_TYPES__INIT;
  return m;
}

/* Every singular scalar of the proto3 schema at each interesting value. */
static void test_scalar_values(void **state) {
  (void)state;
  for (unsigned k = 0; k < N_K; k++) {
    Evrec__Test__AllTypes m = at_init();
    m.f_int32 = m.f_sint32 = m.f_sfixed32 = (int32_t)k_u32[k];
    m.f_uint32 = m.f_fixed32 = k_u32[k];
    m.f_int64 = m.f_sint64 = m.f_sfixed64 = (int64_t)k_u64[k];
    m.f_uint64 = m.f_fixed64 = k_u64[k];
    m.f_float = k_f[k];
    m.f_double = k_d[k];
    m.f_bool = (protobuf_c_boolean)k;
    m.f_enum = (Evrec__Test__Color)k_u32[k];
    same(&m.base, "scalars", k);
  }
}

/* Empty, default and NULL strings, bytes and messages; oneof members. */
static void test_empty_and_null(void **state) {
  (void)state;
  Evrec__Test__AllTypes m = at_init();
  same(&m.base, "all default", 0);
  m.f_string = g_empty; /* "" that is not protobuf_c_empty_string */
  m.f_bytes.data = g_bytes; /* length 0, data set */
  same(&m.base, "empty string and bytes", 0);
  m.f_string = NULL;
  same(&m.base, "NULL string", 0);
  Evrec__Test__Nested empty = EVREC__TEST__NESTED__INIT;
  m.f_nested = &empty; /* present but empty: tag and length 0 */
  same(&m.base, "empty message", 0);

  static const uint32_t cases[] = {
      EVREC__TEST__ALL_TYPES__CHOICE_O_UINT32, EVREC__TEST__ALL_TYPES__CHOICE_O_STRING,
      EVREC__TEST__ALL_TYPES__CHOICE_O_NESTED, EVREC__TEST__ALL_TYPES__CHOICE_O_ENUM,
      EVREC__TEST__ALL_TYPES__CHOICE_O_BYTES,  EVREC__TEST__ALL_TYPES__CHOICE_O_NULL};
  for (unsigned c = 0; c < 6; c++) { /* every member at zero / NULL */
    m = at_init();
    memset(&m.o_bytes, 0, sizeof m.o_bytes); /* the largest member of the union */
    m.choice_case = (Evrec__Test__AllTypes__ChoiceCase)cases[c];
    same(&m.base, "oneof zero", c); /* pointers skipped, other members written */
  }
  m = at_init();
  m.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_STRING;
  m.o_string = (char *)protobuf_c_empty_string; /* == default_value: skipped */
  same(&m.base, "oneof default string", 0);
  m.o_string = g_empty; /* another "": written */
  same(&m.base, "oneof empty string", 0);
  m.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_BYTES;
  m.o_bytes.len = 0;
  m.o_bytes.data = g_bytes;
  same(&m.base, "oneof empty bytes", 0);
  m = at_init();
  m.choice_case = EVREC__TEST__ALL_TYPES__CHOICE_O_NESTED;
  m.o_nested = &empty;
  same(&m.base, "oneof empty message", 0);
}

/* Wire data with unknown fields (at top level and in a sub-message), in
 * canonical order, so the repacked bytes are the input again. */
static void test_unknown_fields(void **state) {
  (void)state;
  static const uint8_t wire[] = {
      0x08, 0x05,                                     /* f_int32 = 5 */
      0x8a, 0x01, 0x05, 0x08, 0x01, 0x90, 0x03, 0x07, /* f_nested {a: 1, #50: 7} */
      0xc0, 0x3e, 0xac, 0x02,                         /* #1000 varint 300 */
      0x9a, 0x06, 0x02, 'h', 'i',                     /* #99 "hi" */
      0xc5, 0x0c, 1, 2, 3, 4,                         /* #200 fixed32 */
      0xf9, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3, 4, 5, 6, 7, 8, /* #2^29-1 fixed64 */
  };
  ProtobufCMessage *m = protobuf_c_message_unpack(AT, NULL, sizeof wire, wire);
  assert_non_null(m);
  assert_int_equal(m->n_unknown_fields, 4);
  assert_int_equal(((Evrec__Test__AllTypes *)m)->f_nested->base.n_unknown_fields, 1);
  compare(m, wire, sizeof wire, "unknown fields", 0);
  same(m, "unknown fields", 0);

  /* made by hand: the largest tag number, an empty payload */
  uint8_t data[3] = {0x80, 0x01, 0x2a};
  ProtobufCMessageUnknownField u[] = {{UINT32_MAX, PROTOBUF_C_WIRE_TYPE_VARINT, 2, data},
                                      {3, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED, 1, data + 2},
                                      {16, PROTOBUF_C_WIRE_TYPE_32BIT, 0, NULL}};
  Evrec__Test__Nested n = EVREC__TEST__NESTED__INIT;
  n.base.n_unknown_fields = 3;
  n.base.unknown_fields = u;
  same(&n.base, "hand-made unknown fields", 0);
  protobuf_c_message_free_unpacked(m, NULL);
}

/* 100 levels of Nested.child and of AllTypes.recursive. */
static void test_depth(void **state) {
  (void)state;
  enum { DEPTH = 100 };
  static Evrec__Test__Nested n[DEPTH];
  static Evrec__Test__AllTypes a[DEPTH];
  for (int i = DEPTH - 1; i >= 0; i--) {
    Evrec__Test__Nested ni = EVREC__TEST__NESTED__INIT;
    n[i] = ni;
    n[i].a = i;
    n[i].b = g_abc;
    n[i].child = i + 1 < DEPTH ? &n[i + 1] : NULL;
    a[i] = at_init();
    a[i].f_int32 = -i;
    a[i].recursive = i + 1 < DEPTH ? &a[i + 1] : NULL;
  }
  a[DEPTH - 1].f_nested = &n[0];
  same(&n[0].base, "nested depth", DEPTH);
  same(&a[0].base, "recursive depth", DEPTH);
}

/* Sub-messages whose length needs 1, 2, 3 and 4 bytes, each boundary hit
 * exactly, three levels deep (every level's length moves) and repeated. */
static void test_submessage_lengths(void **state) {
  (void)state;
  static const size_t around[] = {127, 16383, 2097151};
  size_t max = 2097151 + 16;
  char *big = malloc(max + 1);
  assert_non_null(big);
  memset(big, 'x', max);
  for (unsigned b = 0; b < 3; b++) {
    for (size_t len = around[b] - 8; len <= around[b] + 8; len++) {
      big[len] = '\0';
      Evrec__Test__Nested inner = EVREC__TEST__NESTED__INIT, mid = EVREC__TEST__NESTED__INIT,
                          outer = EVREC__TEST__NESTED__INIT;
      inner.b = big;
      mid.child = &inner;
      outer.child = &mid;
      outer.a = 1;
      Evrec__Test__Nested *two[] = {&inner, &outer};
      Evrec__Test__AllTypes m = at_init();
      m.f_nested = &outer;
      m.n_r_nested = 2;
      m.r_nested = two;
      same(&m.base, "sub-message length", len);
      big[len] = 'x';
    }
  }
  free(big);
}

/* Every packed field of the schema with 0, 1 and many elements, including
 * counts whose payload length crosses a varint size boundary (127/128,
 * 16383/16384 bytes) for 1-, 5- and 10-byte elements. */
static void test_packed_boundaries(void **state) {
  (void)state;
  static const size_t counts[] = {0, 1, 2, 12, 13, 25, 26, 127, 128, 1638, 1639, 3276, 3277,
                                  16383, 16384, 20000};
  enum { MAXN = 20000 };
  uint64_t *arr = malloc(MAXN * sizeof *arr);
  assert_non_null(arr);
  for (unsigned pattern = 0; pattern < 4; pattern++) {
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < MAXN; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      arr[i] = pattern == 0 ? 1 : pattern == 1 ? UINT64_MAX : pattern == 2 ? 0x7f : x;
    }
    for (unsigned fi = 0; fi < AT->n_fields; fi++) {
      const ProtobufCFieldDescriptor *f = &AT->fields[fi];
      if (!(f->flags & PROTOBUF_C_FIELD_FLAG_PACKED)) continue;
      for (unsigned c = 0; c < sizeof counts / sizeof *counts; c++) {
        Evrec__Test__AllTypes m = at_init();
        *(size_t *)evrec__quant_ptr(&m.base, f) = counts[c];
        *(void **)evrec__field_ptr(&m.base, f) = arr;
        char what[64];
        snprintf(what, sizeof what, "packed %s pattern %u", f->name, pattern);
        same(&m.base, what, counts[c]);
      }
    }
  }
  free(arr);
}

/* ---------------------------------------------------------------- out of memory */

static void expect_oom(evrec__buf *b, const ProtobufCMessage *m, bool delimited) {
  size_t mark = b->len;
  char *before = malloc(mark + 1);
  assert_non_null(before);
  memcpy(before, b->data, mark);
  size_t got = delimited ? evrec__pack_delimited(b, m) : evrec__pack(b, m);
  assert_true(got == SIZE_MAX);
  assert_int_equal(b->len, mark);
  assert_true(b->oom);
  assert_memory_equal(b->data, before, mark);
  free(before);
}

/* The buffer fails when asked for more than the address space (before any
 * realloc, so this also runs under ASan), in the middle of a message after
 * bytes were written, at any depth; and it stays failed (oom is sticky). */
static void test_out_of_memory(void **state) {
  (void)state;
  for (unsigned what = 0; what < 4; what++) {
    for (int delimited = 0; delimited <= 1; delimited++) {
      Evrec__Test__AllTypes top = at_init(), deep = at_init();
      top.f_string = g_abc;
      top.f_int32 = 7;
      top.recursive = &deep;
      deep.f_string = g_abc;
      switch (what) {
      case 0: deep.f_bytes.len = SIZE_MAX - 600, deep.f_bytes.data = g_bytes; break;
      case 1: top.n_r_int64 = SIZE_MAX / 4, top.r_int64 = (int64_t *)(void *)g_bytes; break;
      case 2: deep.n_r_double = SIZE_MAX / 8, deep.r_double = (double *)(void *)g_bytes; break;
      default: break;
      }
      evrec__buf b;
      evrec__buf_init(&b);
      evrec__buf_puts(&b, "keep me");
      if (what == 3) b.oom = true; /* already failed */
      expect_oom(&b, &top.base, delimited);
      expect_oom(&b, &deep.base, delimited); /* sticky, even for a small message */
      evrec__buf_free(&b);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_alltypes),   cmocka_unit_test(test_random_record),
      cmocka_unit_test(test_labels_and_types),  cmocka_unit_test(test_oneof),
      cmocka_unit_test(test_scalar_values),     cmocka_unit_test(test_empty_and_null),
      cmocka_unit_test(test_unknown_fields),    cmocka_unit_test(test_depth),
      cmocka_unit_test(test_submessage_lengths), cmocka_unit_test(test_packed_boundaries),
      cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
