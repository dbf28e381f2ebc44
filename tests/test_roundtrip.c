/*
 * test_roundtrip.c -- random messages through the JSON codec and back.
 *
 * For thousands of seeded random messages (tests/util/randmsg.h) of
 * evrec.test.AllTypes and evrec.v1.Record:
 *
 *     pack(m) == pack(decode(encode(m)))      the JSON form is lossless
 *     encode(decode(encode(m))) == encode(m)  and stable
 *
 * randmsg only generates canonical content (maps in key order, the one NaN
 * JSON can carry, ...), so packed bytes can be compared directly. A failure
 * names the seed: randmsg_new(type, seed, ...) rebuilds the message.
 *
 * Written against the public API only (evrec_json_decode() comes from
 * src/json_decode.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alltypes.pb-c.h"
#include "evrec.h"
#include "evrec/v1/evrec.pb-c.h"
#include "util/randmsg.h"

#define N_MESSAGES 2000

static const ProtobufCMessageDescriptor *const any_types[] = {
    &evrec__test__nested__descriptor, &evrec__test__all_types__descriptor};

typedef struct trip {
  evrec_arena *gen, *dec; /* the random message; the decoded one */
  randmsg_options ro;
  evrec_json_encode_options eo;
  evrec_json_decode_options dopt;
  uint8_t *pack1, *pack2;
  size_t cap1, cap2;
} trip;

static int setup(void **state) {
  trip *t = calloc(1, sizeof *t);
  if (!t) return -1;
  t->gen = evrec_arena_new(0);
  t->dec = evrec_arena_new(0);
  randmsg_options ro = RANDMSG_OPTIONS_INIT;
  evrec_json_encode_options eo = EVREC_JSON_ENCODE_OPTIONS_INIT;
  evrec_json_decode_options dopt = EVREC_JSON_DECODE_OPTIONS_INIT;
  ro.any_types = eo.any_types = dopt.any_types = any_types;
  ro.n_any_types = eo.n_any_types = dopt.n_any_types = 2;
  t->ro = ro;
  t->eo = eo;
  t->dopt = dopt;
  *state = t;
  return t->gen && t->dec ? 0 : -1;
}

static int teardown(void **state) {
  trip *t = *state;
  evrec_arena_free(t->gen);
  evrec_arena_free(t->dec);
  free(t->pack1);
  free(t->pack2);
  free(t);
  return 0;
}

/* Packs m into *buf (grown as needed); @return the length. */
static size_t pack_into(const ProtobufCMessage *m, uint8_t **buf, size_t *cap) {
  size_t n = protobuf_c_message_get_packed_size(m);
  if (n + 1 > *cap) {
    *cap = 2 * n + 64;
    *buf = realloc(*buf, *cap);
    assert_non_null(*buf);
  }
  assert_int_equal(protobuf_c_message_pack(m, *buf), n);
  return n;
}

/* One message: encode, decode, compare binary, re-encode, compare JSON. */
static void one(trip *t, const ProtobufCMessageDescriptor *d, uint64_t seed) {
  evrec_arena_reset(t->gen);
  evrec_arena_reset(t->dec);
  ProtobufCMessage *m = randmsg_new(d, seed, t->gen, &t->ro);
  assert_non_null(m);
  char *j1 = NULL, *j2 = NULL;
  size_t l1 = 0, l2 = 0;
  evrec_error err;
  if (evrec_json_encode_alloc(&j1, &l1, m, &t->eo, &err) != EVREC_OK)
    fail_msg("%s seed %llu: encode: %s at '%s'", d->name, (unsigned long long)seed,
             err.message, err.path);
  ProtobufCMessage *back = NULL;
  if (evrec_json_decode(&back, d, j1, l1, t->dec, &t->dopt, &err) != EVREC_OK)
    fail_msg("%s seed %llu: decode: %s at %u:%u '%s'\n%.2000s", d->name,
             (unsigned long long)seed, err.message, err.line, err.column, err.path, j1);
  size_t n1 = pack_into(m, &t->pack1, &t->cap1), n2 = pack_into(back, &t->pack2, &t->cap2);
  if (n1 != n2 || memcmp(t->pack1, t->pack2, n1) != 0)
    fail_msg("%s seed %llu: binary differs after the round trip\n%.2000s", d->name,
             (unsigned long long)seed, j1);
  assert_int_equal(evrec_json_encode_alloc(&j2, &l2, back, &t->eo, &err), EVREC_OK);
  if (l1 != l2 || memcmp(j1, j2, l1) != 0)
    fail_msg("%s seed %llu: JSON not stable\n%.1000s\n%.1000s", d->name,
             (unsigned long long)seed, j1, j2);
  free(j1);
  free(j2);
}

static void run(void **state, const ProtobufCMessageDescriptor *d, unsigned flags,
                uint64_t first, unsigned count) {
  trip *t = *state;
  t->eo.flags = flags;
  for (uint64_t s = first; s < first + count; s++) one(t, d, s);
}

static void test_alltypes_compact(void **state) {
  run(state, &evrec__test__all_types__descriptor, 0, 0, N_MESSAGES);
}

/* Every printing option still reads back to the same message. */
static void test_alltypes_all_options(void **state) {
  run(state, &evrec__test__all_types__descriptor,
      EVREC_JSON_PRETTY | EVREC_JSON_EMIT_DEFAULTS | EVREC_JSON_PROTO_NAMES |
          EVREC_JSON_ENUMS_AS_INTS,
      100000, N_MESSAGES / 4);
}

static void test_alltypes_deep(void **state) {
  trip *t = *state;
  t->ro.max_depth = 8;
  t->ro.max_repeated = 2;
  run(state, &evrec__test__all_types__descriptor, 0, 200000, N_MESSAGES / 10);
  t->ro.max_depth = 0;
  t->ro.max_repeated = 0;
}

static void test_record(void **state) {
  run(state, &evrec__v1__record__descriptor, 0, 0, N_MESSAGES);
}

static void test_record_pretty(void **state) {
  run(state, &evrec__v1__record__descriptor, EVREC_JSON_PRETTY | EVREC_JSON_EMIT_DEFAULTS,
      300000, N_MESSAGES / 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alltypes_compact),
      cmocka_unit_test(test_alltypes_all_options),
      cmocka_unit_test(test_alltypes_deep),
      cmocka_unit_test(test_record),
      cmocka_unit_test(test_record_pretty),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
